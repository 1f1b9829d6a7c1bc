"""Altair chart builders for the Vacancies, Turnover and Role mix pages, and ``show``: draws a chart so that a
change of data alone updates the chart already in the browser.

Inputs are the small, already aggregated tables from lib.insight.trends (tens to hundreds of rows), so the
browser never receives the metrics frame itself.
"""
from __future__ import annotations

import json
import threading
from contextlib import nullcontext

import altair as alt
import pandas as pd
import streamlit as st

from lib.data import geography
from lib.insight import axes
from lib.insight.trends import ROLE_ORDER
from ui import charts

try:  # Streamlit holds this lock while it swaps Altair's global data transformer and theme; hold it too
    from streamlit.elements.vega_charts import _altair_globals_lock as _ALTAIR_LOCK
except ImportError:  # pragma: no cover - a later Streamlit may move it
    _ALTAIR_LOCK = threading.Lock()


def _rename_data(node, names: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("data")
        if isinstance(ref, dict) and ref.get("name") in names:
            node["data"] = {**ref, "name": names[ref["name"]]}
        for v in node.values():
            _rename_data(v, names)
    elif isinstance(node, list):
        for v in node:
            _rename_data(v, names)


def stable_spec(chart: alt.TopLevelMixin) -> dict:
    """Vega-Lite dict of an Altair chart, not schema-validated (the builders here are fixed code; validation cost
    ~0.1 s a chart on every rerun), its datasets named source_0, source_1... instead of by a hash of their rows.

    st.altair_chart names datasets by content hash, so new rows meant a new spec and the browser re-embedded the
    chart; with fixed names an unchanged spec lets Streamlit swap the rows into the chart already drawn."""
    with _ALTAIR_LOCK, (alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()):
        spec = chart.to_dict(validate=False)
    data = spec.pop("datasets", {})
    names = {old: f"source_{i}" for i, old in enumerate(data)}  # not data_N: Vega generates those itself
    _rename_data(spec, names)
    spec["datasets"] = {names[k]: v for k, v in data.items()}
    return spec


def show(chart: alt.TopLevelMixin, name: str, key: str, *, downloads: bool = True, **kwargs) -> None:
    """Like ui.charts.show_chart (PNG/SVG downloads rendered only when clicked) with a stable spec."""
    spec = stable_spec(chart)
    st.vega_lite_chart(spec={**spec}, key=key, **{"width": "stretch", **kwargs})  # copy: Streamlit pops datasets
    if downloads:
        charts.download_row(spec, name, key)

# Analysis Function palette: system, region, England (England dashed so it reads in greyscale too)
ROLE_COLOURS = {k: c for k, (c, _) in charts.COMPARATORS.items()}   # one visual language (ui.charts)
ROLE_DASH = {k: d for k, (_, d) in charts.COMPARATORS.items()}
FLOW_COLOURS = {"Joiners": "#28A197", "Leavers": "#801650", "Net change": "#12436D"}
SELECTED_COLOUR = "#F46A25"


def _month(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["month"] = pd.to_datetime(out["period"] + "-01")
    return out


def _y_axis(percent: bool, values=None) -> alt.Axis:
    if percent and values is not None:  # decimals so that ticks differ (0.88%-0.95% is not "0.9% 0.9% 0.9%")
        return alt.Axis(format=axes.percent_format(values), tickCount=axes.PERCENT_TICKS)
    return alt.Axis(format=".1%" if percent else ",.0f")


def month_axis(periods, fmt: str = "%b %Y", **kwargs) -> alt.Axis:
    """Time axis with one tick per loaded month when there are few (no "Oct 2025" repeated eight times)."""
    ticks = axes.month_ticks(periods)
    return alt.Axis(format=fmt, **({"values": ticks} if ticks else {}), **kwargs)


def _selected_rule(period: str | None) -> alt.Chart | None:
    if not period:
        return None
    d = pd.DataFrame({"month": [pd.Timestamp(period + "-01")], "label": ["Chosen period"]})
    return alt.Chart(d).mark_rule(color=SELECTED_COLOUR, strokeWidth=1.5).encode(
        x="month:T", tooltip=[alt.Tooltip("month:T", title="Chosen period", format="%b %Y")])


BREAK_COLOUR = "#3D3D3D"


def _break_rows(df: pd.DataFrame) -> pd.DataFrame | None:
    """month, label of each geography change (e.g. 1 April 2026, 42 -> 36 ICBs) inside the plotted months."""
    if df.empty:
        return None
    first, last = df["month"].min(), df["month"].max()
    rows = [{"month": pd.Timestamp(v.first_month + "-01"),
             "label": f"{v.title} ({len(v.areas)}) from {v.effective_from}: figures before are re-based"}
            for v in geography.VINTAGES.values() if v.level == "ICS" and v.key != "ICS"
            and first < pd.Timestamp(v.first_month + "-01") <= last]
    return pd.DataFrame(rows) if rows else None


def _break_rules(df: pd.DataFrame) -> alt.Chart | None:
    """Dashed marks at each geography change inside the plotted months, so a reader sees where the systems
    changed; earlier months are shown on the chosen footprint (lib/data/footprint)."""
    rows = _break_rows(df)
    if rows is None:
        return None
    return alt.Chart(rows).mark_rule(color=BREAK_COLOUR, strokeDash=[4, 4], strokeWidth=1.2).encode(
        x="month:T", tooltip=[alt.Tooltip("label:N", title="Geography change")])


def trend_chart(series: pd.DataFrame, y_title: str, *, percent: bool = True, selected: str | None = None,
                height: int = 300, axis_format: str | None = None) -> alt.LayerChart:
    """Lines for the chosen area and its comparators (one measure), with the chosen period marked."""
    df = _month(series.dropna(subset=["value"]))
    order = (df.drop_duplicates("series").assign(_r=lambda d: d["role"].map({r: i for i, r in enumerate(ROLE_ORDER)}))
             .sort_values("_r"))
    domain, roles = list(order["series"]), list(order["role"])
    lines = alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("month:T", title=None, axis=month_axis(df["period"])),
        y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=axis_format) if axis_format else _y_axis(percent, df["value"])),
        color=alt.Color("series:N", title=None, sort=domain,
                        scale=alt.Scale(domain=domain, range=[ROLE_COLOURS[r] for r in roles]),
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        strokeDash=alt.StrokeDash("series:N", sort=domain, legend=None,
                                  scale=alt.Scale(domain=domain, range=[ROLE_DASH[r] for r in roles])),
        tooltip=[alt.Tooltip("series:N", title="Area"), alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("value:Q", title=y_title, format=".2%" if percent else ",.1f")],
    )
    rule = _selected_rule(selected)
    layers = [lines] + [r for r in (rule, _break_rules(df)) if r is not None]
    chart = lines if len(layers) == 1 else alt.layer(*layers)
    return chart.properties(height=height)


def flows_chart(flows: pd.DataFrame, unit: str, *, selected: str | None = None, height: int = 300) -> alt.LayerChart:
    """Leavers and joiners side by side each month, net change (joiners - leavers) as a line."""
    df = _month(flows)
    colour = alt.Color("flow:N", title=None, scale=alt.Scale(domain=list(FLOW_COLOURS),
                                                             range=list(FLOW_COLOURS.values())),
                       legend=alt.Legend(orient="bottom", labelLimit=400))
    tip = [alt.Tooltip("month:T", title="Month", format="%b %Y"), alt.Tooltip("flow:N", title="Flow"),
           alt.Tooltip("value:Q", title=unit, format=",.1f")]
    # ordinal months: one band per loaded month (a temporal bar axis showed an empty slot for the month after)
    x = alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%b %Y", formatType="time", labelAngle=0,
                                                               labelOverlap=True))
    bars = alt.Chart(df).transform_filter(alt.FieldOneOfPredicate("flow", ["Leavers", "Joiners"])).mark_bar().encode(
        x=x, xOffset=alt.XOffset("flow:N", sort=["Joiners", "Leavers"]), y=alt.Y("value:Q", title=unit),
        color=colour, tooltip=tip)
    net = alt.Chart(df).transform_filter(alt.datum.flow == "Net change").mark_line(point=True).encode(
        x=x, y="value:Q", color=colour, tooltip=tip)
    layers = [bars, net]
    if selected:
        sel = pd.DataFrame({"month": [pd.Timestamp(selected + "-01")]})
        layers.append(alt.Chart(sel).mark_rule(color=SELECTED_COLOUR, strokeWidth=1.5).encode(
            x=alt.X("yearmonth(month):O"), tooltip=[alt.Tooltip("month:T", title="Chosen period", format="%b %Y")]))
    if (brk := _break_rows(df)) is not None:  # months are bands here: mark the first month of the new footprint
        brk["month"] = [df.loc[df["month"] >= m, "month"].min() for m in brk["month"]]
        layers.append(alt.Chart(brk).mark_rule(color=BREAK_COLOUR, strokeDash=[4, 4], strokeWidth=1.2).encode(
            x=alt.X("yearmonth(month):O", bandPosition=0), tooltip=[alt.Tooltip("label:N", title="Geography change")]))
    return alt.layer(*layers).properties(height=height)


def mix_bars(expected: pd.DataFrame, area_label: str, height: int = 380) -> alt.Chart:
    """The area's FTE share of each staff group beside England's (grouped horizontal bars)."""
    long = expected.melt(id_vars="Staff group", value_vars=["Share", "England share"], var_name="who",
                         value_name="share")
    long["who"] = long["who"].map({"Share": area_label, "England share": "England"})
    groups = list(expected["Staff group"])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("Staff group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
        yOffset=alt.YOffset("who:N", sort=[area_label, "England"]),
        x=alt.X("share:Q", title="Share of FTE", axis=alt.Axis(format=".0%")),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=[area_label, "England"],
                                                             range=[ROLE_COLOURS["System"], ROLE_COLOURS["England"]]),
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        tooltip=[alt.Tooltip("Staff group:N"), alt.Tooltip("who:N", title="Area"),
                 alt.Tooltip("share:Q", title="Share of FTE", format=".2%")],
    ).properties(height=height)


def expected_chart(expected: pd.DataFrame, height: int = 380) -> alt.Chart:
    """Diverging bars: FTE more (right) or fewer (left) than expected for the area's size."""
    groups = list(expected["Staff group"])
    return alt.Chart(expected).mark_bar().encode(
        y=alt.Y("Staff group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
        x=alt.X("Difference (FTE):Q", title="FTE more (+) or fewer (-) than expected for its size"),
        color=alt.Color("More or fewer than expected:N", title=None,
                        scale=alt.Scale(domain=["More", "Fewer", "As expected"],
                                        range=["#12436D", "#F46A25", "#3D3D3D"]),
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        tooltip=[alt.Tooltip("Staff group:N"), alt.Tooltip("FTE:Q", format=",.1f"),
                 alt.Tooltip("Expected FTE:Q", format=",.1f"), alt.Tooltip("Difference (FTE):Q", format="+,.1f"),
                 alt.Tooltip("Difference (percentage points):Q", format="+.2f")],
    ).properties(height=height)


def mix_heatmap(mix: pd.DataFrame, groups: list[str]) -> alt.Chart:
    """Every system (rows) x staff group (columns): share minus England's share, percentage points."""
    systems = sorted(mix["area_name"].dropna().unique())
    lim = float(mix["diff_pts"].abs().max() or 1.0)
    return alt.Chart(mix).mark_rect().encode(
        x=alt.X("staff_group:N", sort=groups, title=None,
                axis=alt.Axis(labelAngle=-35, labelLimit=220, labelOverlap=False)),
        y=alt.Y("area_name:N", sort=systems, title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
        color=alt.Color("diff_pts:Q", title="Points vs England",
                        scale=alt.Scale(scheme="blueorange", domain=[-lim, lim], domainMid=0, reverse=True)),
        tooltip=[alt.Tooltip("area_name:N", title="System"), alt.Tooltip("staff_group:N", title="Staff group"),
                 alt.Tooltip("share:Q", title="Share of FTE", format=".2%"),
                 alt.Tooltip("england_share:Q", title="England share", format=".2%"),
                 alt.Tooltip("diff_pts:Q", title="Difference (points)", format="+.2f")],
    ).properties(height=max(200, 18 * len(systems)))


def mix_small_multiples(over_time: pd.DataFrame, groups: list[str]) -> alt.FacetChart:
    """Share of FTE over time per staff group (one small panel each): the area against England."""
    df = _month(over_time.dropna(subset=["share"]))
    order = (df.drop_duplicates("series").assign(_r=lambda d: d["role"].map({r: i for i, r in enumerate(ROLE_ORDER)}))
             .sort_values("_r"))
    domain, roles = list(order["series"]), list(order["role"])
    base = alt.Chart().mark_line().encode(
        x=alt.X("month:T", title=None, axis=month_axis(df["period"], "%b %Y" if axes.month_ticks(df["period"])
                                                         else "%Y", tickCount=4)),
        y=alt.Y("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=3), scale=alt.Scale(zero=True)),
        color=alt.Color("series:N", title=None, sort=domain,
                        scale=alt.Scale(domain=domain, range=[ROLE_COLOURS[r] for r in roles]),
                        legend=alt.Legend(orient="bottom", labelLimit=400)),
        strokeDash=alt.StrokeDash("series:N", sort=domain, legend=None,
                                  scale=alt.Scale(domain=domain, range=[ROLE_DASH[r] for r in roles])),
        tooltip=[alt.Tooltip("staff_group:N", title="Staff group"), alt.Tooltip("series:N", title="Area"),
                 alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("share:Q", title="Share of FTE", format=".2%")],
    ).properties(width=250, height=110)
    return alt.layer(base, data=df).facet(
        facet=alt.Facet("staff_group:N", sort=groups, title=None, header=alt.Header(labelFontWeight="bold")),
        columns=3).resolve_scale(y="shared")  # one y-axis from zero: a 0.01-point move no longer looks like a fall
