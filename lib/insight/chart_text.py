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


def _signed(value: float, unit: str = "") -> str:
    return "no figure" if value != value else f"{value:+,.1f}{unit}"


def spc_description(chart: pd.DataFrame, summary: dict, title: str, *, percent: bool, verdicts: dict,
                    rule_words) -> str:
    """'Leaver rate (month): South East London, All staff groups. SPC chart of 24 months, Dec 2023-Nov 2025:
    latest 0.95% in Nov 2025; average (centre line) 0.90%; process limits 0.70% to 1.10%. The latest month is
    within the usual variation (no signal).' From lib.stats.signals.SpcView (chart with period, y, point_type,
    special_cause, phase; summary from lib.stats.spc.spc_summary). `verdicts` maps point types to words
    (lib.stats.signals.VERDICT) and `rule_words` names a rule (lib.stats.signals.rule_words): passed in so this
    module stays free of the statistics package. Empty chart -> ''."""
    if chart.empty:
        return ""
    periods = [str(p) for p in chart["period"]]
    last = periods[-1]
    text = (f"{title}. SPC chart of {len(periods)} months, {month_span(periods)}: latest "
            f"{_fmt(summary['last_value'], percent)} in {period_label(last)}; average (centre line) "
            f"{_fmt(summary['mean'], percent)}; process limits {_fmt(summary['lpl'], percent)} to "
            f"{_fmt(summary['upl'], percent)}.")
    if summary["last_value"] != summary["last_value"]:
        text += " The latest month has no value, so it cannot signal anything."
    elif summary["last_point_type"] in verdicts:
        text += (f" The latest month is unusual ({verdicts[summary['last_point_type']]}): "
                 f"{rule_words(summary['last_rule'])}.")
    else:
        text += " The latest month is within the usual variation (no signal)."
    phase = chart[chart["phase"] == chart["phase"].iloc[-1]]
    special = phase[phase["special_cause"].astype(bool)]
    if len(special):
        counts = special["point_type"].map(verdicts).value_counts()
        kinds = ", ".join(f"{n} {v}" for v, n in counts.items())
        text += f" {len(special)} of {len(phase)} months are unusual ({kinds})."
    if summary.get("trial_limits"):
        text += " Trial limits: too few months to trust them fully."
    return text


def flows_description(flows: pd.DataFrame, area: str, unit: str, period: str | None = None) -> str:
    """'Leavers and joiners for South East London (FTE), Nov 2025: 120.0 joiners, 100.0 leavers, net change
    +20.0; over Oct-Nov 2025 net change +35.0 in all.' From lib.insight.trends.flows (period, flow, value); the
    figures are at `period` (else the latest month with a figure). Unknown or hidden counts say 'no figure'.
    Empty input -> ''."""
    f = flows.dropna(subset=["value"])
    if f.empty:
        return ""
    wide = flows.drop_duplicates(["period", "flow"]).set_index(["period", "flow"])["value"].astype(float).unstack()
    at = period if period is not None and period in set(f["period"]) else str(f["period"].max())

    def get(flow: str, p: str = at) -> float:
        return float(wide.at[p, flow]) if flow in wide.columns and p in wide.index else float("nan")
    text = (f"Leavers and joiners for {area} ({unit}), {period_label(at)}: {_fmt(get('Joiners'), False)} joiners, "
            f"{_fmt(get('Leavers'), False)} leavers, net change {_signed(get('Net change'))}")
    net = wide["Net change"].dropna() if "Net change" in wide.columns else pd.Series(dtype=float)
    if len(net) > 1:
        text += f"; over {month_span(list(net.index))} net change {_signed(float(net.sum()))} in all"
    return text + "."


def expected_description(expected: pd.DataFrame, area: str, period: str, *, top: int = 2) -> str:
    """'FTE more or fewer than expected for the size of South East London, Nov 2025 (its total FTE x England's share
    of each group): most above: Nurses & health visitors +250.0 FTE (5,250.0 against 5,000.0 expected); most
    below: HCHS Doctors -120.0 FTE (880.0 against 1,000.0 expected).' From lib.insight.trends.expected_mix.
    Empty input -> ''."""
    d = expected.dropna(subset=["Difference (FTE)"])
    if d.empty:
        return ""

    def item(r) -> str:
        return (f"{r['Staff group']} {_signed(float(r['Difference (FTE)']))} FTE ({_fmt(float(r['FTE']), False)} "
                f"against {_fmt(float(r['Expected FTE']), False)} expected)")
    parts = _extremes(d, "Difference (FTE)", ["Staff group"], item, top, ("most above", "most below"),
                      "every group as expected")
    return (f"FTE more or fewer than expected for the size of {area}, {period_label(period)} (its total FTE x England's "
            "share of each group): " + "; ".join(parts) + ".")



def _extremes(d: pd.DataFrame, by: str, ties: list[str], item, top: int, labels: tuple[str, str],
              none_text: str) -> list[str]:
    """['<above label>: a; b', '<below label>: c; d']: the `top` rows furthest above and below 0 in `by` (ties in
    `ties` order), each in item(row)'s words; [none_text] when every row is 0."""
    above = d[d[by] > 0].sort_values([by, *ties], ascending=[False, *[True] * len(ties)])
    below = d[d[by] < 0].sort_values([by, *ties])
    parts = [f"{label}: " + "; ".join(item(r) for _, r in rows.head(top).iterrows())
             for label, rows in zip(labels, (above, below)) if len(rows)]
    return parts or [none_text]

def mix_over_time_description(over: pd.DataFrame, *, top: int = 2) -> str:
    """'Share of FTE by staff group over time, South East London against England, Oct-Nov 2025 (one shared
    axis from 0%): largest changes: Nurses & health visitors 30.00% to 30.40% (+0.40 points; England +0.05
    points); ...' From lib.insight.trends.mix_over_time (period, staff_group, series, role, share); the subject is
    the first role in System, Region, England order; changes are from its first to its latest month with a
    share. Empty input -> ''."""
    o = over.dropna(subset=["share"])
    if o.empty:
        return ""
    roles = [r for r in _ROLE_ORDER if r in set(o["role"])]
    main = o[o["role"] == roles[0]]
    name = str(main["series"].iloc[0])
    first, last = str(main["period"].min()), str(main["period"].max())
    span = month_span(list(main["period"].astype(str)))
    others = [f"{o.loc[o['role'] == r, 'series'].iloc[0]}" for r in roles[1:]]
    head = (f"Share of FTE by staff group over time, {name}" + (f" against {' and '.join(others)}" if others else "")
            + f", {span} (one shared axis from 0%)")

    def share(frame: pd.DataFrame, group: str, p: str) -> float:
        v = frame.loc[(frame["staff_group"] == group) & (frame["period"] == p), "share"]
        return float(v.iloc[0]) if len(v) else float("nan")
    rows = []
    for g in dict.fromkeys(main["staff_group"]):
        a, b = share(main, g, first), share(main, g, last)
        if a == a and b == b:
            rows.append((abs(b - a), g, a, b))
    if first == last or not rows:
        return head + f": a single month ({period_label(last)}), so no change is shown."
    rows.sort(key=lambda r: (-r[0], r[1]))
    eng = o[o["role"] == "England"] if roles[0] != "England" else o.iloc[0:0]
    parts = []
    for _, g, a, b in rows[:top]:
        t = f"{g} {_fmt(a, True)} to {_fmt(b, True)} ({100 * (b - a):+.2f} points"
        ea, eb = share(eng, g, first), share(eng, g, last)
        if ea == ea and eb == eb:
            t += f"; England {100 * (eb - ea):+.2f} points"
        parts.append(t + ")")
    return head + f": largest changes from {period_label(first)} to {period_label(last)}: " + "; ".join(parts) + "."


def heatmap_description(mix: pd.DataFrame, period: str, *, top: int = 2) -> str:
    """'Share of FTE in each staff group minus England's, 42 systems, Nov 2025: furthest above England: Alpha,
    Midwives +1.20 points (3.20% against 2.00%); ... furthest below: ...' From lib.insight.trends.mix_vs_england
    (area_name, staff_group, share, england_share, diff_pts). Empty input -> ''."""
    d = mix.dropna(subset=["diff_pts"])
    if d.empty:
        return ""

    def item(r) -> str:
        return (f"{r['area_name']}, {r['staff_group']} {float(r['diff_pts']):+.2f} points "
                f"({_fmt(float(r['share']), True)} against {_fmt(float(r['england_share']), True)})")
    parts = _extremes(d, "diff_pts", ["area_name", "staff_group"], item, top,
                      ("furthest above England", "furthest below"), "every system matches England's mix")
    return (f"Share of FTE in each staff group minus England's, {d['area_name'].nunique()} systems, "
            f"{period_label(period)}: " + "; ".join(parts) + ".")


def profile_mix_description(rm: pd.DataFrame, area: str, period: str, *, top: int = 2) -> str:
    """The profile's role-mix chart, in mix_description's words. From lib.insight.map_data.role_mix
    (staff_group, system_share, england_share, difference as a fraction). Empty input -> ''."""
    e = pd.DataFrame({"Staff group": rm["staff_group"], "Share": rm["system_share"],
                      "England share": rm["england_share"], "Difference (percentage points)": 100 * rm["difference"]})
    return mix_description(e, area, period, top=top)


# ------------------------------------------------------------------ Inside a system, Sickness absence, the bridges
def _names_at(d: pd.DataFrame, v: float) -> str:
    """The names whose value is v (ties named together: two by name, more as 'A and N others')."""
    hit = sorted(str(n) for n in d.loc[(d["value"] - v).abs() <= 1e-12, "name"])
    return " and ".join(hit) if len(hit) <= 2 else f"{hit[0]} and {len(hit) - 1} others"


def ranking_description(table: pd.DataFrame, title: str, period: str, *, noun: str, percent: bool = True,
                        highlight: str | None = None, england: float | None = None) -> str:
    """'Leaver rate (month) across 12 organisations of South East London, Nov 2025: highest Alpha (1.20%);
    lowest Beta (0.50%); England 0.89%; South East London 0.95%, rank 3 of 12 (1 = highest).' A ranked bar
    chart in words. `table`: code, name, value (a row per bar; rows without a value are counted as 'no figure').
    `noun`: what the bars are ('organisations of South East London', 'systems'). `highlight`: a code to name with
    its value and rank (ties share the higher rank). Empty or all-missing input -> ''."""
    d = table.dropna(subset=["value"])
    if d.empty:
        return ""
    hi, lo = float(d["value"].max()), float(d["value"].min())
    text = (f"{title} across {len(d)} {noun}, {period_label(period)}: highest {_names_at(d, hi)} "
            f"({_fmt(hi, percent)}); lowest {_names_at(d, lo)} ({_fmt(lo, percent)})")
    if england is not None and england == england:
        text += f"; England {_fmt(float(england), percent)}"
    row = d[d["code"] == highlight] if highlight else d.iloc[0:0]
    if len(row):
        v = float(row["value"].iloc[0])
        rank = int((d["value"] > v + 1e-12).sum()) + 1
        text += f"; {row['name'].iloc[0]} {_fmt(v, percent)}, rank {rank} of {len(d)} (1 = highest)"
    missing = len(table) - len(d)
    if missing:
        text += f"; {missing} with no figure"
    return text + "."


def measures_trend_description(long: pd.DataFrame, name: str, *, percent: bool = True) -> str:
    """'Leaver rate and joiner rate for Alpha, Oct-Nov 2025: leaver rate 0.95% in Nov 2025 (0.90% in Oct 2025);
    joiner rate 1.00% in Nov 2025 (1.10% in Oct 2025).' Several measures of one unit over time. `long`: period,
    measure, value; each measure's latest month with a value, against its first. Empty input -> ''."""
    d = long.dropna(subset=["value"])
    if d.empty:
        return ""
    measures = list(dict.fromkeys(d["measure"]))
    parts = []
    for meas in measures:
        m = d[d["measure"] == meas].sort_values("period")
        first, last = m.iloc[0], m.iloc[-1]
        t = f"{str(meas).lower()} {_fmt(float(last['value']), percent)} in {period_label(str(last['period']))}"
        if str(first["period"]) != str(last["period"]):
            t += f" ({_fmt(float(first['value']), percent)} in {period_label(str(first['period']))})"
        parts.append(t)
    head = " and ".join(str(m).lower() if i else str(m) for i, m in enumerate(measures))
    return f"{head} for {name}, {month_span(list(d['period'].astype(str)))}: " + "; ".join(parts) + "."


def units_funnel_description(units: pd.DataFrame, target: float, measure: str, period: str, *, noun: str,
                             highlight: str | None = None) -> str:
    """funnel_description's sentence for units other than systems: 'Leaver rate across 30 Acute teaching
    organisations in England, Nov 2025: pooled rate 0.89%; 2 outside the 99.8% limits (1 above, 1 below); Alpha
    0.95%, within limits.' `noun`: what the points are."""
    if units.empty:
        return ""
    above, below = int(units["above_99_8"].sum()), int(units["below_99_8"].sum())
    text = (f"{measure} across {len(units)} {noun}, {period_label(period)}: pooled rate {_fmt(float(target), True)}; "
            + (f"{above + below} outside the 99.8% limits ({above} above, {below} below)" if above + below
               else "none outside the 99.8% limits"))
    row = units[units["area_code"] == highlight] if highlight else units.iloc[0:0]
    if len(row):
        text += f"; {row['area_name'].iloc[0]} {_fmt(float(row['rate'].iloc[0]), True)}, {row['side'].iloc[0]}"
    return text + "."


def bridge_description(table: pd.DataFrame, title: str, unit: str) -> str:
    """'Why staff in post moved, Alpha, Oct 2025 to Nov 2025 (FTE): 1,000.0 at the start; 50.0 leavers; 60.0
    joiners; other changes (hours, moves between staff groups) +5.0; 1,015.0 at the end (+15.0 in all).' The
    staff-in-post waterfall in words, from lib.insight.bridge's table (label, value, kind; first and last rows
    are the start and end totals). Empty input -> ''."""
    if table.empty:
        return ""
    start, end = float(table["value"].iloc[0]), float(table["value"].iloc[-1])
    parts = [f"{_fmt(start, False)} at the start"]
    for _, r in table.iloc[1:-1].iterrows():
        v = float(r["value"])
        if r["label"] == "Leavers":
            parts.append(f"{_fmt(-v, False)} leavers")
        elif r["label"] == "Joiners":
            parts.append(f"{_fmt(v, False)} joiners")
        else:
            parts.append(f"{str(r['label']).lower()} {_signed(v)}")
    parts.append(f"{_fmt(end, False)} at the end ({_signed(end - start)} in all)")
    return f"{title} ({unit}): " + "; ".join(parts) + "."


def whatif_bridge_description(table: pd.DataFrame, group: str, year: int) -> str:
    """'Why Nurses FTE in year 5 differs from the baseline: baseline 1,000.0 FTE; Leaver rate 1 point lower:
    Nurses +30.0; Extra recruitment: Nurses +20.0; scenario 1,050.0 FTE (+50.0).' The what-if waterfall in
    words, from lib.whatif.studio.plain_bridge_table (label, value; first row baseline, last row scenario), every
    lever in the bridge's order. Empty input -> ''."""
    if table.empty:
        return ""
    base, scen = float(table["value"].iloc[0]), float(table["value"].iloc[-1])
    parts = [f"baseline {_fmt(base, False)} FTE"]
    parts += [f"{r['label']} {_signed(float(r['value']))}" for _, r in table.iloc[1:-1].iterrows()]
    parts.append(f"scenario {_fmt(scen, False)} FTE ({_signed(scen - base)})")
    return f"Why {group} FTE in year {year} differs from the baseline: " + "; ".join(parts) + "."


def run_chart_description(chart: pd.DataFrame, summary: dict, title: str, *, percent: bool, verdicts: dict,
                          rule_words) -> str:
    """'Sickness absence rate: England. Run chart of 9 months, Apr 2024-Mar 2025 (too few for process limits):
    latest 4.88% in Mar 2025; median 4.87%. ...' From lib.stats.signals.RunView."""
    if chart.empty:
        return ""
    have = chart[chart["y"].notna()]
    periods = [str(p) for p in have["period"]]
    text = (f"{title}. Run chart of {len(periods)} months, {month_span(periods)} (too few for process limits): "
            f"latest {_fmt(summary['last_value'], percent)} in {period_label(str(chart['period'].iloc[-1]))}; "
            f"median {_fmt(summary['median'], percent)}.")
    if not summary["verdict_possible"]:
        text += f" Too few points for a verdict ({' and '.join(summary['too_few_for'])})."
    elif summary["last_point_type"] in verdicts:
        text += f" The latest month is part of a {summary['last_rule'].lower()}: {rule_words(summary['last_rule'])}."
    else:
        text += " No shift (6 or more points on one side of the median) or trend (5 or more rising or falling)."
    return text
