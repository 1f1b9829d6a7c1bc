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


def mix_description(expected: pd.DataFrame, area: str, period: str, *, top: int = 2) -> str:
    """'Share of FTE by staff group for South East London, Nov 2025: largest differences from England's mix:
    Nurses & health visitors 30.00% against England 27.50% (+2.50 points); Doctors 9.00% against England
    10.00% (-1.00 points).' From `lib.insight.trends.expected_mix` (Share, England share, Difference (percentage
    points)); the `top` groups furthest from England's share, largest first. Empty input -> ''."""
    d = expected.dropna(subset=["Difference (percentage points)"])
    if d.empty:
        return ""
    d = d.assign(_gap=d["Difference (percentage points)"].abs()).sort_values(
        ["_gap", "Staff group"], ascending=[False, True]).head(top)
    parts = [f"{r['Staff group']} {_fmt(float(r['Share']), True)} against England "
             f"{_fmt(float(r['England share']), True)} ({float(r['Difference (percentage points)']):+.2f} points)"
             for _, r in d.iterrows()]
    return (f"Share of FTE by staff group for {area}, {period_label(period)}: largest differences from England's "
            "mix: " + "; ".join(parts) + ".")
