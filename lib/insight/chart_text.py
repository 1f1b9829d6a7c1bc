"""Sentences that state a chart's key figures: shown as a caption under the chart and set as its Vega-Lite
`description` (the accessible name), so a screen reader hears the figures, not just "Vega visualization".

Input is the long frame from `lib.insight.trends.trend` (period, series, role, measure, value)."""
from __future__ import annotations

import math

import pandas as pd

from lib.data.schema import period_label
from lib.insight.provenance import month_span

_ROLE_ORDER = ("System", "Region", "England")


def _fmt(value: float, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no figure"
    return f"{100 * value:.2f}%" if percent else f"{value:,.1f}"


def trend_description(series: pd.DataFrame, title: str, *, percent: bool = True,
                      period: str | None = None) -> str:
    """'Leaver rate for South East London, Oct-Nov 2025: 0.95% in Nov 2025 against London 0.90% and England 0.89%.'

    The first series (system, else region, else England) is the subject; the figure is at `period` (else its
    latest month with a value); comparators are the other series in the same month. Empty input -> ''."""
    s = series.dropna(subset=["value"])
    if s.empty:
        return ""
    roles = [r for r in _ROLE_ORDER if r in set(s["role"])]
    main = s[s["role"] == roles[0]]
    name = str(main["series"].iloc[0])
    span = month_span(list(main["period"].astype(str)))
    at = period if period is not None and period in set(main["period"]) else str(main["period"].max())
    value = float(main.loc[main["period"] == at, "value"].iloc[0])
    text = f"{title} for {name}, {span}: {_fmt(value, percent)} in {period_label(at)}"
    others = []
    for role in roles[1:]:
        row = s[(s["role"] == role) & (s["period"] == at)]
        if len(row):
            others.append(f"{row['series'].iloc[0]} {_fmt(float(row['value'].iloc[0]), percent)}")
    if others:
        text += " against " + " and ".join(others)
    return text + "."
