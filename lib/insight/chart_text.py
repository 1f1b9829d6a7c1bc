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


def profile_trends_description(tr: pd.DataFrame, period: str) -> str:
    """The profile's four trend panels in one sentence, at `period` (else each measure's latest month):
    'Trends for South East London to Nov 2025: Leaver rate 0.95% (England 0.89%); ...'. From
    `lib.insight.map_data.trends` (period, measure, series, value; the system is the first series)."""
    t = tr.dropna(subset=["value"])
    if t.empty:
        return ""
    name = str(tr["series"].iloc[0])
    parts, months = [], []
    for measure in dict.fromkeys(tr["measure"]):
        own = t[(t["measure"] == measure) & (t["series"] == name)]
        if own.empty:
            continue
        at = period if period in set(own["period"]) else str(own["period"].max())
        months.append(at)
        percent = "index" not in measure.lower() and "fte" not in measure.lower()
        text = f"{measure} {_fmt(float(own.loc[own['period'] == at, 'value'].iloc[0]), percent)}"
        eng = t[(t["measure"] == measure) & (t["series"] == "England") & (t["period"] == at)]
        if name != "England" and len(eng):
            text += f" (England {_fmt(float(eng['value'].iloc[0]), percent)})"
        parts.append(text)
    if not parts:
        return ""
    return f"Trends for {name} to {period_label(max(months))}: " + "; ".join(parts) + "."


def funnel_description(units: pd.DataFrame, target: float, measure: str, period: str,
                       highlight: str | None = None) -> str:
    """'Leaver rate across 42 systems, Nov 2025: pooled rate 0.89%; 3 outside the 99.8% limits (2 above, 1
    below); South East London 0.95%, within limits.' From `lib.stats.signals.FunnelView.units` (area_code,
    area_name, rate, above_99_8, below_99_8, side) and the pooled rate (the centre line)."""
    if units.empty:
        return ""
    above, below = int(units["above_99_8"].sum()), int(units["below_99_8"].sum())
    n_out = above + below
    text = (f"{measure} across {len(units)} systems, {period_label(period)}: pooled rate {_fmt(float(target), True)}; "
            + (f"{n_out} outside the 99.8% limits ({above} above, {below} below)" if n_out
               else "none outside the 99.8% limits"))
    row = units[units["area_code"] == highlight] if highlight else units.iloc[0:0]
    if len(row):
        r = row.iloc[0]
        text += f"; {r['area_name']} {_fmt(float(r['rate']), True)}, {r['side']}"
    return text + "."
