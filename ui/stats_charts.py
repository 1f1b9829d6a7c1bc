"""SPC and funnel charts as NHS analysts know them ("Making Data Count"), and sections other pages can call.

Stable API for other pages (keep these signatures):

    from ui import stats_charts
    stats_charts.spc_section(metrics_df, area_code, staff_group, measure, *, until=None, target=None,
                             key=None, title=None, show_table=True)
        metrics_df: rows from ui.data.metrics(ctx.data_dir, ctx.level) (lib.insight.metrics.area_metrics columns);
        area_code: a system Q-code, a region Y-code or "ENG"; staff_group: e.g. "All staff groups";
        measure: one of lib.stats.signals.MEASURE_KEYS ("leaver_rate", "joiner_rate", "vacancy_rate", "fte");
        until: last period to chart (default: all loaded; pass ctx.period to match the sidebar).
        Draws the XmR chart, the icons' meaning in words, notes (trial limits, gaps) and, if asked, the table
        with CSV/Excel downloads. Never raises for missing data: it says what is missing instead.
    stats_charts.what_changed_summary(ctx, *, staff_group="All staff groups", key="what_changed", heading=True)
        Systems whose latest point (ctx.period) is special cause, per measure, concerns first.

Lower-level: spc_chart(spc_df, title, ...) and funnel_chart(view, ...) return Altair charts.
"""
from __future__ import annotations

from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lib.insight import calendar, chart_text
from lib.stats import signals
from lib.stats.funnel import funnel_limits
from lib.data.schema import ALL_STAFF
from lib.stats.spc import ASSURANCE_ICON_MEANINGS, VARIATION_ICON_MEANINGS
from ui import auth, data, on_request, shell, trend_charts

# Making Data Count colours (NHSRplotthedots ptd_spc_colours).
MDC_COMMON = "#7B7D7D"
MDC_IMPROVEMENT = "#289DE0"
MDC_CONCERN = "#FAB428"
MDC_NEUTRAL = "#361475"
MDC_TARGET = "#DE1B1B"
POINT_LABELS = signals.POINT_LABELS   # the points' readings in words (lib.stats.signals.point_label)
_POINT_DOMAIN = signals.POINT_DOMAIN
_POINT_RANGE = [MDC_COMMON, MDC_IMPROVEMENT, MDC_CONCERN, MDC_NEUTRAL, "#AEB7BD"]
# Vega renders these small charts as SVG (crisp on a projector; the browser test counts the marks).
_SVG = {"embedOptions": {"renderer": "svg"}}


def value_text(measure: str, x: float | None) -> str:
    if measure in signals.MEASURES and signals.MEASURES[measure].is_rate:
        return shell.pct(x)
    return shell.num(x)


def _axis_format(measure: str, values=None) -> str:
    if not signals.MEASURES.get(measure, signals.MEASURES["fte"]).is_rate:
        return ",.0f"
    # monthly leaver rates sit near 1%: one decimal place would repeat labels on the axis
    top = np.nanmax(np.abs(np.asarray(values, dtype=float))) if values is not None and len(values) else 1.0
    return ".2%" if np.isnan(top) or top < 0.1 else ".1%"


# ----------------------------------------------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------------------------------------------

def spc_chart(spc_df: pd.DataFrame, title: str, *, measure: str = "fte", value_label: str | None = None,
              show_near_limits: bool = False, target: float | None = None, height: int = 340,
              axis_format: str | None = None) -> alt.LayerChart:
    """XmR chart: grey line of values, points coloured by Making Data Count type, mean (solid), process limits
    (dashed), optional near limits (dotted, 2 sigma) and target (red). spc_df is lib.stats.spc.spc output (with
    `period` if from lib.stats.signals); one line segment per phase. axis_format: a fixed d3 format (else chosen
    from the values; fixed keeps the spec the same across systems, so the browser swaps rows in place)."""
    fmt = axis_format or _axis_format(measure, spc_df["y"])
    label = value_label or signals.MEASURES.get(measure, signals.MEASURES["fte"]).label
    d = pd.DataFrame({
        "Month": pd.to_datetime(spc_df["x"]).dt.strftime("%Y-%m-%d"),
        "Period": spc_df["period"] if "period" in spc_df else pd.to_datetime(spc_df["x"]).dt.strftime("%Y-%m"),
        "Value": spc_df["y"], "Average": spc_df["mean"], "Lower limit": spc_df["lpl"],
        "Upper limit": spc_df["upl"], "near_lpl": spc_df["near_lpl"], "near_upl": spc_df["near_upl"],
        "phase": spc_df["phase"].astype(int),
        "Reading": [signals.point_label(t) for t in spc_df["point_type"]],
        "Rule": [signals.rule_words(r) if s else "" for r, s in zip(spc_df["special_cause_rule"],
                                                                      spc_df["special_cause"])],
    })
    # a missing month is a row with no value: the line and the limits break there (lib.insight.calendar)
    d = calendar.with_month_gaps(d, period="Period")
    d["Month"] = d["Period"].astype(str) + "-01"
    d = d.replace({np.nan: None})
    x = alt.X("Month:T", title=None, axis=trend_charts.month_axis(d["Period"].dropna(), labelAngle=0, tickCount=8))
    base = alt.Chart(d).encode(x=x)

    def limit(col: str, dash: list[int] | None, color: str, width: float = 1.2) -> alt.Chart:
        return base.mark_line(strokeDash=dash or [], color=color, strokeWidth=width).encode(
            y=f"{col}:Q", detail="phase:N")

    layers = [
        limit("Upper limit", [6, 4], "#425563"),
        limit("Lower limit", [6, 4], "#425563"),
        limit("Average", None, "#231f20", 1.5),
    ]
    if show_near_limits:
        layers += [limit("near_upl", [2, 3], "#AEB7BD", 1), limit("near_lpl", [2, 3], "#AEB7BD", 1)]
    if target is not None and not pd.isna(target):
        layers.append(alt.Chart(pd.DataFrame({"Target": [float(target)]})).mark_rule(
            color=MDC_TARGET, strokeDash=[4, 2], strokeWidth=1.5).encode(y="Target:Q"))
    tip_fmt = ".2%" if fmt.endswith("%") else fmt
    tooltip = [alt.Tooltip("Period:N"), alt.Tooltip("Value:Q", format=tip_fmt),
               alt.Tooltip("Average:Q", format=tip_fmt), "Reading:N", "Rule:N"]
    layers.append(base.mark_line(color=MDC_COMMON, strokeWidth=1.5).encode(
        y=alt.Y("Value:Q", title=label, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False))))
    layers.append(base.mark_point(filled=True, size=55, opacity=1).encode(
        y="Value:Q",
        color=alt.Color("Reading:N", scale=alt.Scale(domain=_POINT_DOMAIN, range=_POINT_RANGE),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=0)),
        tooltip=tooltip,
    ).transform_filter("datum.Value != null").properties(name="spc_points"))
    brk = trend_charts.break_rules(pd.DataFrame({"month": pd.to_datetime(d["Month"])}))
    if brk is not None:  # where the systems changed (geography vintages): earlier months are re-based
        layers.append(brk)
    return alt.layer(*layers).properties(title=title, height=height, usermeta=_SVG)


def run_chart(run_df: pd.DataFrame, title: str, *, measure: str = "fte", value_label: str | None = None,
              height: int = 300, axis_format: str | None = None) -> alt.LayerChart:
    """Run chart (fewer than 12 months): grey line of values, the median (solid), points coloured by the run chart
    rules (a shift of 6+ on one side of the median, a trend of 5+ rising or falling). run_df: lib.stats.signals
    RunView.chart (period, y, median, point_type, special_cause_rule, special_cause). Missing months break the line."""
    fmt = axis_format or _axis_format(measure, run_df["y"])
    label = value_label or signals.MEASURES.get(measure, signals.MEASURES["fte"]).label
    d = pd.DataFrame({
        "Period": run_df["period"].astype(str), "Value": run_df["y"], "Median": run_df["median"],
        "Reading": [signals.point_label(t) for t in run_df["point_type"]],
        "Rule": [signals.rule_words(r) if sc else "" for r, sc in zip(run_df["special_cause_rule"],
                                                                       run_df["special_cause"])]})
    d = calendar.with_month_gaps(d, period="Period")
    d["Month"] = d["Period"] + "-01"
    d = d.replace({np.nan: None})
    tip_fmt = ".2%" if fmt.endswith("%") else fmt
    x = alt.X("Month:T", title=None, axis=trend_charts.month_axis(d["Period"].dropna(), labelAngle=0, tickCount=8))
    base = alt.Chart(d).encode(x=x)
    median = alt.Chart(pd.DataFrame({"Median": [float(run_df["median"].iloc[0])]})).mark_rule(
        color="#231f20", strokeWidth=1.5).encode(y="Median:Q", tooltip=[alt.Tooltip("Median:Q", format=tip_fmt)])
    line = base.mark_line(color=MDC_COMMON, strokeWidth=1.5).encode(
        y=alt.Y("Value:Q", title=label, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)))
    points = base.mark_point(filled=True, size=55, opacity=1).encode(
        y="Value:Q", color=alt.Color("Reading:N", scale=alt.Scale(domain=_POINT_DOMAIN, range=_POINT_RANGE),
                                     legend=alt.Legend(orient="bottom", title=None, labelLimit=0)),
        tooltip=[alt.Tooltip("Period:N"), alt.Tooltip("Value:Q", format=tip_fmt), "Reading:N", "Rule:N"],
    ).transform_filter("datum.Value != null").properties(name="run_points")
    return alt.layer(line, median, points).properties(title=f"{title} (run chart)", height=height, usermeta=_SVG)


def run_words(summary: dict, measure: str) -> list[str]:
    """A run chart's reading in words: the median, the latest month, and a shift or trend (or too few points)."""
    m = signals.MEASURES.get(measure)
    lines = [f"Run chart of {summary['n_points']} months: median **{value_text(measure, summary['median'])}**, "
             f"latest **{value_text(measure, summary['last_value'])}**."]
    if not summary["verdict_possible"]:
        lines.append(f"Too few points for a verdict: {' and '.join(summary['too_few_for'])}.")
    elif summary["last_rule"] in ("Shift", "Trend"):
        what = signals.VERDICT.get(summary["last_point_type"], "change")
        lines.append(f"**{summary['last_rule']} ({what}).** The latest month is part of "
                     f"{signals.rule_words(summary['last_rule'])}.")
    else:
        lines.append("No shift (6 or more points in a row on one side of the median) and no trend (5 or more in a "
                     "row rising or falling) up to the latest month.")
    if m is not None and m.why_direction:
        lines.append(f"Which way is better: {m.why_direction}")
    return lines


def run_section(view: signals.RunView, title: str, measure: str, key: str, axis_format: str | None = None) -> None:
    """Draw a run chart with its reading (fewer than 12 months: Making Data Count advises a run chart)."""
    m = signals.measure(measure)
    description = chart_text.run_chart_description(view.chart, view.summary, title, percent=m.is_rate,
                                                   verdicts=signals.VERDICT, rule_words=signals.rule_words)
    trend_charts.show(run_chart(view.chart, title, measure=measure, axis_format=axis_format),
                      f"run_{key}_{measure}", key=f"{key}_run", description=description, caption=False)
    for line in run_words(view.summary, measure):
        st.markdown(line)
    for note in view.notes:
        st.caption(note)


LIMIT_POINTS = 60  # points per limit line, spaced evenly on a log scale of size: smooth where the funnel bends


def _limit_lines(curve: pd.DataFrame, result) -> pd.DataFrame:
    """The four limit lines as long rows (denominator, limit, rate) at LIMIT_POINTS sizes spaced evenly in
    log(size) between the curve's ends, computed exactly there (lib.stats.funnel.funnel_limits, the result's
    target and the spread it used). The drawing curve is on a fine linear grid: 250 rows of it a line sent 87 KB for
    the sickness funnel (sizes up to millions of days) and bent in too few points where it curves most."""
    cols = ["lower_95", "upper_95", "lower_99_8", "upper_99_8"]
    x = curve["denominator"].to_numpy(dtype=float)
    if len(x) > LIMIT_POINTS and x[0] > 0:
        grid = np.geomspace(x[0], x[-1], LIMIT_POINTS)
        c = funnel_limits(result.target, grid, result.tau2 if result.adjusted else 0.0, result.levels)
    else:
        c = curve
    c = c[["denominator", *cols]].round({"denominator": 1, **{k: 7 for k in cols}})
    return c.melt(id_vars=["denominator"], value_vars=cols, var_name="limit", value_name="rate")


def funnel_chart(view: signals.FunnelView, title: str, *, highlight: str | None = None,
                 height: int = 400) -> alt.LayerChart:
    """Funnel plot: each system's rate against its size (the rate's denominator), the pooled rate, 95% (dashed)
    and 99.8% (solid) limits, overdispersion-adjusted as FunnelPlotR does; outliers (outside 99.8%) named."""
    m = signals.measure(view.measure)
    fmt = _axis_format(view.measure, view.units["rate"])
    curve = view.result.curve
    # Start the limits near the smallest system: from a denominator of 3 they would stretch the axis to 70%.
    curve = curve[curve["denominator"] >= 0.5 * float(view.units["denominator"].min())]
    long = _limit_lines(curve, view.result)
    # a rate cannot be below 0%: the lower limits stop at 0 (for small sizes they dipped below the axis' 0%)
    long["rate"] = long["rate"].clip(lower=0.0)
    long["Limits"] = np.where(long["limit"].str.endswith("99_8"), "99.8% limits", "95% limits")
    u = view.units
    better = {"decrease": "below", "increase": "above"}.get(m.direction)

    def reading(side: str) -> str:
        if side == "within limits":
            return "Within limits"
        outlier = "99.8" in side
        if better is None:
            return "Outlier (outside 99.8%)" if outlier else "Outside 95% only"
        good = side.startswith(better)
        return (("Better than expected" if good else "Worse than expected") + (" (outlier)" if outlier
                                                                                 else " (95% only)"))

    pts = pd.DataFrame({
        "System": u["area_name"], "Code": u["area_code"], "Size": u["denominator"], "Rate": u["rate"],
        "Numerator": u["numerator"], "Reading": [reading(s) for s in u["side"]], "outlier": u["outlier"],
        "selected": u["area_code"] == highlight,
    })
    domain = ["Within limits", "Better than expected (95% only)", "Better than expected (outlier)",
              "Worse than expected (95% only)", "Worse than expected (outlier)", "Outside 95% only",
              "Outlier (outside 99.8%)"]
    rng = [MDC_COMMON, "#9CCBEF", MDC_IMPROVEMENT, "#FCD58E", MDC_CONCERN, "#A89BC7", MDC_NEUTRAL]
    used = [(dv, r) for dv, r in zip(domain, rng) if dv in set(pts["Reading"])]
    x = alt.X("denominator:Q", title=m.size_label, axis=alt.Axis(format=",.0f"))
    # the axis never goes below 0% (Vega's rounding of the domain put a "-0.5%" under limits that stop at 0)
    vals = pd.concat([long["rate"], pts["Rate"]]).astype(float).dropna()
    lo, hi = (float(vals.min()), float(vals.max())) if len(vals) else (0.0, 1.0)
    pad = 0.05 * (hi - lo if hi > lo else max(hi, 0.01))
    y_scale = alt.Scale(zero=False, nice=False, domain=[max(0.0, lo - pad), hi + pad])
    lines = alt.Chart(long).mark_line(color="#425563", strokeWidth=1.2).encode(
        x=x, y=alt.Y("rate:Q", title=m.label, axis=alt.Axis(format=fmt), scale=y_scale),
        strokeDash=alt.StrokeDash("Limits:N", scale=alt.Scale(domain=["95% limits", "99.8% limits"],
                                                              range=[[5, 4], [1, 0]]),
                                  legend=alt.Legend(orient="bottom", title=None, labelLimit=0)),
        detail="limit:N")
    target = alt.Chart(pd.DataFrame({"Pooled rate": [view.result.target]})).mark_rule(
        color="#231f20", strokeWidth=1.2).encode(y="Pooled rate:Q")
    tip = [alt.Tooltip("System:N"), alt.Tooltip("Rate:Q", format=".2%"),
           alt.Tooltip("Size:Q", format=",.0f", title="Size (FTE)"), "Reading:N"]
    points = alt.Chart(pts).mark_point(filled=True, size=70, opacity=0.95).encode(
        x=alt.X("Size:Q"), y="Rate:Q",
        color=alt.Color("Reading:N", scale=alt.Scale(domain=[d_ for d_, _ in used], range=[r for _, r in used]),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=0, columns=3)),
        tooltip=tip).properties(name="funnel_points")
    labels = alt.Chart(pts[pts["outlier"] | pts["selected"]]).mark_text(
        align="left", dx=7, dy=-7, fontSize=11, color="#231f20").encode(x="Size:Q", y="Rate:Q", text="System:N")
    layers = [lines, target, points, labels]
    if highlight is not None and pts["selected"].any():
        layers.append(alt.Chart(pts[pts["selected"]]).mark_point(size=260, strokeWidth=2, color="#231f20",
                                                                 filled=False).encode(x="Size:Q", y="Rate:Q"))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=title, height=height, usermeta=_SVG)


# ----------------------------------------------------------------------------------------------------------
# Words
# ----------------------------------------------------------------------------------------------------------

def icon_words(summary: dict, measure: str) -> list[str]:
    """The variation (and, with a target, assurance) icons' meaning in words."""
    m = signals.MEASURES.get(measure)
    lines = []
    icon = summary["variation_icon"]
    name = {"common_cause": "Usual variation", "improvement_high": "Improvement (higher is better)",
            "improvement_low": "Improvement (lower is better)", "concern_high": "Concern (higher is worse)",
            "concern_low": "Concern (lower is worse)", "neutral_high": "Change upwards",
            "neutral_low": "Change downwards"}.get(icon, icon)
    rule = summary.get("last_rule")
    why = f" Rule met by the latest month: {signals.rule_words(rule)}." if rule and rule != "Common Cause" else ""
    lines.append(f"**Variation icon: {name}.** {VARIATION_ICON_MEANINGS[icon]}{why}")
    if summary.get("assurance"):
        lines.append(f"**Assurance icon:** {ASSURANCE_ICON_MEANINGS[summary['assurance']]}")
    if m is not None and m.why_direction:
        lines.append(f"Which way is better: {m.why_direction}")
    return lines


HOW_TO_READ_SPC = (
    "Each dot is one month. The solid line is the average; the dashed lines are the **process limits** "
    "(average +/- 2.66 x the average month-to-month change, about 3 sigma). Values between the limits are "
    "**usual variation**: the ups and downs of this process, not worth explaining month by month. "
    "An **unusual** point (coloured dot) is flagged when: a point falls outside a limit; 7 points in a row rise "
    "or fall; 7 points in a row sit on one side of the average; or 2 of 3 points sit near a limit (beyond two "
    "thirds of the way) on the same side. Blue = improvement, orange = concern, purple = a change where "
    "neither direction is better. Method: NHS England Making Data Count, as the NHSRplotthedots R package (its "
    "terms are explained on Data and definitions).")
HOW_TO_READ_FUNNEL = (
    "League tables rank every system even when the differences are chance: a small system's rate swings more "
    "from month to month than a large one's. A **funnel plot** draws each system at its size (the rate's "
    "denominator) with limits that narrow as size grows. Inside the 95% limits (dashed) a system is as expected "
    "for its size; outside the 99.8% limits (solid) it is an **outlier** worth looking into. When systems "
    "differ by more than chance alone the limits are widened by the "
    "spread between systems, as the FunnelPlotR R package does, so that only real outliers stand out.")


def overdispersion_note(view: signals.FunnelView) -> str:
    r = view.result
    if r.adjusted:
        times = f"{r.phi:,.0f}" if r.phi >= 10 else f"{r.phi:.1f}"
        return (f"Systems differ about {times} times as much as chance alone would, so the limits are widened to "
                "allow for real differences between systems: only the far outliers stand out.")
    return ("Systems differ no more than chance alone would, so the limits are the plain ones for a rate of that "
            "size.")


# ----------------------------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------------------------

@st.cache_data(max_entries=128, show_spinner=False)
def _spc_parts(_metrics_df: pd.DataFrame, cache_key: tuple, area_code: str, staff_group: str, measure: str,
               until: str | None, target: float | None, title: str | None):
    """(view, chart spec, title) for one SPC chart; computed once per data (cache_key names the frame: snapshot,
    level, basis, disclosure) and selection. A SignalError is raised, not cached."""
    view = signals.spc_view(_metrics_df, area_code, staff_group, measure, until=until, target=target)
    names = _metrics_df.loc[_metrics_df["area_code"] == area_code, "area_name"]
    area_name = names.iloc[0] if len(names) else area_code
    title = title or f"{signals.measure(measure).label}: {area_name}, {staff_group}"
    spec = trend_charts.frozen(trend_charts.stable_spec(spc_chart(view.chart, title, measure=measure, target=target)))
    return view, spec, title


def spc_section(metrics_df: pd.DataFrame, area_code: str, staff_group: str, measure: str, *,
                until: str | None = None, target: float | None = None, key: str | None = None,
                title: str | None = None, show_table: bool = True,
                cache_key: tuple | None = None) -> signals.SpcView | None:
    """Draw one system's SPC chart with its reading in words; see the module docstring. Returns the view or
    None when there is nothing to chart (a message has been shown). cache_key: anything that identifies
    metrics_df (e.g. (data.snapshot(dir), level, basis, disclosure)): the view and chart are then computed once
    per data and selection; None computes them every time."""
    key = key or f"spc_{area_code}_{measure}"
    try:
        m = signals.measure(measure)
        if cache_key is not None:
            view, spec, title = _spc_parts(metrics_df, cache_key, area_code, staff_group, measure, until, target,
                                           title)
        else:
            view = signals.spc_view(metrics_df, area_code, staff_group, measure, until=until, target=target)
    except signals.SignalError as exc:
        try:   # fewer than 12 months: a run chart (median, shifts, trends), as Making Data Count advises
            run = signals.chart_view(metrics_df, area_code, staff_group, measure, until=until)
        except signals.SignalError:
            run = None
        if not isinstance(run, signals.RunView):
            st.info(str(exc), icon=":material/info:")
            return None
        names = metrics_df.loc[metrics_df["area_code"] == area_code, "area_name"]
        area_name = names.iloc[0] if len(names) else area_code
        run_section(run, title or f"{signals.measure(measure).label}: {area_name}, {staff_group}", measure, key)
        return None
    if cache_key is None:
        names = metrics_df.loc[metrics_df["area_code"] == area_code, "area_name"]
        area_name = names.iloc[0] if len(names) else area_code
        title = title or f"{m.label}: {area_name}, {staff_group}"
        spec = spc_chart(view.chart, title, measure=measure, target=target)
    # the chart's accessible description states the figures and the signal; the lines below show the same on screen
    description = chart_text.spc_description(view.chart, view.summary, title, percent=m.is_rate,
                                             verdicts=signals.VERDICT, rule_words=signals.rule_words)
    trend_charts.show(spec, f"spc_{area_code}_{measure}", key=f"{key}_chart", description=description,
                      caption=False)
    s = view.summary
    st.markdown(f"Latest month {shell.period_label(view.chart['period'].iloc[-1])}: "
                f"**{value_text(measure, s['last_value'])}** (average {value_text(measure, s['mean'])}, "
                f"process limits {value_text(measure, s['lpl'])} to {value_text(measure, s['upl'])}).")
    for line in icon_words(s, measure):
        st.markdown(line)
    for note in view.notes:
        st.warning(note, icon=":material/warning:")
    if show_table:
        with st.expander("SPC table and downloads"):
            table = signals.spc_table(view.chart, m.label)
            st.dataframe(table, hide_index=True, width="stretch", column_config=_rate_config(measure, table))
            shell.downloads(table, f"spc_{area_code}_{measure}", f"{key}_dl",
                            notes=[title, "XmR chart, Making Data Count rules (NHSRplotthedots method)"])
    return view


def spc_on_request(label: str, metrics_df, area_code: str, staff_group: str, measure: str, *,
                   key: str, **kwargs) -> signals.SpcView | None:
    """spc_section inside an expander that builds it only while open (a collapsed expander's body would
    otherwise run on every rerun: ~230 ms of server time per change on the Turnover page). The open state is
    kept per session under `key`_open; opening or closing reruns the enclosing fragment. metrics_df may be a
    function returning the frame, called only when the expander is open."""
    box = st.expander(label, icon=":material/monitoring:", key=f"{key}_open", on_change="rerun")
    if not box.open:
        return None
    with box:
        frame = metrics_df() if callable(metrics_df) else metrics_df
        return spc_section(frame, area_code, staff_group, measure, key=key, **kwargs)


def _rate_config(measure: str, table: pd.DataFrame) -> dict:
    fmt = "percent" if signals.MEASURES[measure].is_rate else "localized"
    cols = [signals.MEASURES[measure].label, "Average", "Lower process limit", "Upper process limit"]
    return {c: st.column_config.NumberColumn(format=fmt) for c in cols if c in table}


@st.cache_data(max_entries=32, show_spinner=False)
def _what_changed(data_dir: str, snap: tuple, level: str, period: str, staff_group: str,
                  disclosure: bool) -> pd.DataFrame:
    # `disclosure` is in the key so suppressed and unsuppressed figures never share a cache entry
    m = data.metrics(Path(data_dir), level)
    return signals.what_changed(m, level, period, staff_group)


def what_changed(ctx, staff_group: str = ALL_STAFF) -> pd.DataFrame:
    """Cached lib.stats.signals.what_changed for the sidebar's data, level and period."""
    return _what_changed(str(ctx.data_dir), data.snapshot(ctx.data_dir), ctx.level, ctx.period, staff_group,
                         auth.disclosure_on())


@st.cache_data(max_entries=64, show_spinner=False)
def _not_enough_months(figures: tuple, period: str) -> str | None:
    # once per data snapshot and month: reading the whole metrics frame (a copy out of the cache) on every Headlines
    # rerun to count its months was a fifth of the rerun's CPU (py-spy, issue 25)
    return signals.not_enough_months(data.metrics_for(*figures), period)


def _too_few_months(ctx) -> str | None:
    try:
        return _not_enough_months(data.figures_key(ctx.data_dir, ctx.level), ctx.period)
    except Exception:  # noqa: BLE001 - store unreadable: metrics() serves the last good figures with a warning
        return signals.not_enough_months(data.metrics(ctx.data_dir, ctx.level), ctx.period)


def what_changed_summary(ctx, *, staff_group: str = ALL_STAFF, key: str = "what_changed",
                         heading: bool = True, max_items: int = 8) -> pd.DataFrame | None:
    """'What changed this period': counts of special-cause systems per measure, the most pressing named,
    and the full list with downloads. For the home page: `stats_charts.what_changed_summary(ctx)`."""
    if ctx is None:
        return None
    if heading:
        st.subheader(f"What changed in {shell.period_label(ctx.period)}")
    short = _too_few_months(ctx)
    if short:  # no verdict from too few months: never "no change"
        st.info(short, icon=":material/hourglass_empty:")
        return None
    with st.spinner("Checking every system's SPC chart..."):
        changes, parts = _cached_summary(str(ctx.data_dir), data.snapshot(ctx.data_dir), ctx.level, ctx.period,
                                         staff_group, auth.disclosure_on(), max_items)
    st.caption(f"Systems whose latest month ({shell.period_label(ctx.period)}) is unusual on its own chart over "
               f"time ({staff_group}); everything else is within the usual variation. Concerns first.")
    if changes.empty:
        st.success("No system shows unusual variation this month on leaver, joiner or vacancy rate or "
                   "staff in post: the changes are within the usual ups and downs.", icon=":material/check:")
        return changes
    st.markdown(parts["lines"])
    if parts["concerns"]:
        st.markdown(parts["concerns"])
    # built only while open (issue 25): with Headlines' table of every system on request, this list was the landing
    # page's last data grid, and the grid's code (25 files) is fetched and run for the first grid on a page
    box = st.expander(f"All {len(changes)} signals", key=on_request.signals_key(key), on_change="rerun")
    if not box.open:
        return changes
    with box:
        table = parts["table"]
        st.dataframe(table, hide_index=True, width="stretch")
        shell.downloads(table, f"what_changed_{ctx.level}_{ctx.period}", f"{key}_dl",
                        notes=[f"{ctx.source_label}; {ctx.level}; month ending {ctx.period}; {staff_group}"])
    return changes


def summary_parts(changes: pd.DataFrame, level: str, max_items: int) -> dict:
    """What what_changed_summary writes for a non-empty `changes`: the counts per measure with England's readings
    (Markdown), the concerns to look into (Markdown, or None) and the table of every signal."""
    systems = changes[changes["area_code"] != signals.ENGLAND]
    n_systems = len(signals.system_codes(level))
    lines = []
    for key_, g in systems.groupby("measure", sort=False):
        counts = g["verdict"].value_counts()
        parts = [f"{n} {v}" for v, n in counts.items()]
        lines.append(f"- **{signals.MEASURES[key_].label}**: {', '.join(parts)} "
                     f"(of {n_systems} systems)")
    eng = changes[changes["area_code"] == signals.ENGLAND]
    for r in eng.itertuples():
        label = r.measure_label[0].lower() + r.measure_label[1:]  # keep "FTE" in capitals
        lines.append(f"- England, {label}: {r.verdict} ({r.rule_words})")
    concerns = systems[systems["verdict"] == "concern"]
    top = concerns.head(max_items)
    concerns_md = None
    if not top.empty:
        # the heading says how many there are, so it matches the counts above ("8 of 10" when the list is cut)
        shown = (f"all {len(concerns)}" if len(top) == len(concerns) else
                 f"the first {len(top)} of {len(concerns)}; the rest are in the list of all signals below")
        concerns_md = (f"**Concerns to look into ({shown}):**\n" + "\n".join(
            f"- {s}" for s in signals.what_changed_sentences(top, value_text)))
    table = pd.DataFrame({
        "System": changes["area_name"], "Code": changes["area_code"], "Measure": changes["measure_label"],
        "Value": [value_text(mk, v) for mk, v in zip(changes["measure"], changes["value"])],
        "Average": [value_text(mk, v) for mk, v in zip(changes["measure"], changes["mean"])],
        "Reading": changes["verdict"], "Rule": changes["rule_words"],
        "Trial limits": changes["trial_limits"],
    })
    return {"lines": "\n".join(lines), "concerns": concerns_md, "table": table}


@st.cache_data(max_entries=64, show_spinner=False)
def _cached_summary(data_dir: str, snap: tuple, level: str, period: str, staff_group: str, disclosure: bool,
                    max_items: int) -> tuple[pd.DataFrame, dict | None]:
    # once per data snapshot and selection: the counts, sentences and table were rebuilt from the signals on every
    # Headlines rerun (a third of its CPU, py-spy, issue 25)
    changes = _what_changed(data_dir, snap, level, period, staff_group, disclosure)
    return changes, (None if changes.empty else summary_parts(changes, level, max_items))
