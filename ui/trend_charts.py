"""Altair chart builders for the Vacancies, Turnover and Role mix pages, and ``show``: draws a chart so that a
change of data alone updates the chart already in the browser.

Inputs are the small, already aggregated tables from lib.insight.trends (tens to hundreds of rows), so the
browser never receives the metrics frame itself.
"""
from __future__ import annotations

import threading
from contextlib import nullcontext

import altair as alt
import pandas as pd
import streamlit as st

from lib.data import geography
from lib.insight import axes, calendar
from lib.insight.trends import ROLE_ORDER
from ui import charts, on_request

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
    if isinstance(chart, dict):  # already a Vega-Lite dict (trend_chart, flows_chart): nothing to convert
        return chart
    with _ALTAIR_LOCK, (alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()):
        spec = chart.to_dict(validate=False)
    data = spec.pop("datasets", {})
    names = {old: f"source_{i}" for i, old in enumerate(data)}  # not data_N: Vega generates those itself
    _rename_data(spec, names)
    spec["datasets"] = {names[k]: v for k, v in data.items()}
    return spec


def frozen(spec: dict) -> dict:
    """The spec with its datasets already in Arrow IPC bytes, the form Streamlit sends: for specs kept in a cache,
    so a repeat selection does not convert the same rows again on every rerun (Streamlit passes bytes through)."""
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes
    data = spec.get("datasets")
    if not data:
        return spec
    return {**spec, "datasets": {k: v if isinstance(v, bytes) else convert_anything_to_arrow_bytes(
        v if isinstance(v, pd.DataFrame) else pd.DataFrame(v)) for k, v in data.items()}}


def _records(v) -> list | object:
    if isinstance(v, bytes):  # frozen(): Arrow IPC stream
        import pyarrow as pa
        v = pa.ipc.open_stream(v).read_all().to_pandas()
    if isinstance(v, pd.DataFrame):
        return v.astype(object).where(v.notna(), None).to_dict("records")
    return v


def _json_ready(spec: dict) -> dict:
    """The spec with its datasets as lists of records (for vl-convert's PNG/SVG; only on click)."""
    data = {k: _records(v) for k, v in spec.get("datasets", {}).items()}
    return {**spec, "datasets": data} if data else spec


def show(chart: alt.TopLevelMixin | dict, name: str, key: str, *, downloads: bool = True,
         description: str | None = None, caption: bool = True, note: str | None = None,
         export_title: str | None = None, **kwargs) -> None:
    """Like ui.charts.show_chart (PNG/SVG downloads behind a 'Download chart' popover, built only while open) with
    a stable spec. `chart` is an Altair chart or a ready Vega-Lite dict (the fast path: datasets may be DataFrames, sent as Arrow).
    `description` states the key figures (lib.insight.chart_text) in the caption under the chart, and the chart's
    own description is the fixed charts.CAPTIONED, so a new selection swaps rows into the drawn chart;
    caption=False (where the page already writes the same figures beside the chart): the sentence is the chart's
    description. `note`: a fixed sentence (how to read the chart) written in the same caption, on its own line
    (one element fewer per change than a caption of its own). export_title: the title of the downloaded picture
    when the spec's own (fixed) title does not name the selection."""
    spec = chart if isinstance(chart, dict) else stable_spec(chart)
    if description:
        spec = {**spec, "description": charts.CAPTIONED if caption else description}
    spec = {**spec, "config": charts.with_text_colours(spec.get("config"))}  # stated text colours (4.5:1)
    st.vega_lite_chart(spec=spec, key=key, **{"width": "stretch", **kwargs})  # copy: Streamlit pops datasets
    words = [w for w in ((description if caption else None), note) if w]
    if words:
        st.caption("  \n".join(words))
    if downloads:  # built only while the 'Download chart' popover is open: not re-sent per change (issue 16)
        box = on_request.chart_downloads(key)
        if box is not None:
            with box:  # rows as records, only when a picture is asked for
                charts.download_row(lambda: _json_ready(spec), name, key,
                                    title=export_title or (None if charts._spec_title(spec) else
                                                           charts.title_from_words(description, name)))

# Analysis Function palette: system, region, England (England dashed so it reads in greyscale too)
ROLE_COLOURS = {k: c for k, (c, _) in charts.COMPARATORS.items()}   # one visual language (ui.charts)
ROLE_DASH = {k: d for k, (_, d) in charts.COMPARATORS.items()}
FLOW_COLOURS = {"Joiners": "#28A197", "Leavers": "#801650", "Net change": "#12436D"}
SELECTED_COLOUR = "#F46A25"
# The key of a chart of lines (system, region, England): each series' own line (colour and dash) as its symbol. The
# default symbol of a line with points, a circle outlined in the series' dash, read as a blot.
LINE_LEGEND = {"orient": "bottom", "labelLimit": 0, "symbolType": "stroke", "symbolSize": 400,
               "symbolStrokeWidth": 2.5}


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


def break_rules(df: pd.DataFrame) -> alt.Chart | None:
    """Dashed marks at each geography change inside the plotted months, so a reader sees where the systems
    changed; earlier months are shown on the chosen footprint (lib/data/footprint)."""
    rows = _break_rows(df)
    if rows is None:
        return None
    return alt.Chart(rows).mark_rule(color=BREAK_COLOUR, strokeDash=[4, 4], strokeWidth=1.2).encode(
        x="month:T", tooltip=[alt.Tooltip("label:N", title="Geography change")])


def _month_text(period: pd.Series) -> pd.Series:
    return period.astype(str) + "-01T00:00:00"  # as Altair serialised pd.Timestamp: a local-time month start


def _selected_data(period: str | None) -> pd.DataFrame:
    return pd.DataFrame({"month": [period + "-01T00:00:00"] if period else [], "label": ["Chosen period"] if period
                         else []}, dtype=object)


_SELECTED_LAYER = {"data": {"name": "selected"}, "mark": {"type": "rule", "color": SELECTED_COLOUR, "strokeWidth": 1.5},
                   "encoding": {"x": {"field": "month", "type": "temporal"},
                                "tooltip": [{"field": "month", "type": "temporal", "title": "Chosen period",
                                             "format": "%b %Y"}]}}


def _break_layer(ordinal: bool = False) -> dict:
    """Dashed rule at each geography change (dataset `breaks`: month, label), as break_rules draws it."""
    x = ({"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "bandPosition": 0} if ordinal
         else {"field": "month", "type": "temporal"})
    return {"data": {"name": "breaks"},
            "mark": {"type": "rule", "color": BREAK_COLOUR, "strokeDash": [4, 4], "strokeWidth": 1.2},
            "encoding": {"x": x, "tooltip": [{"field": "label", "type": "nominal", "title": "Geography change"}]}}


def _break_data(periods: pd.Series, snap_to_plotted: bool = False) -> pd.DataFrame | None:
    months = pd.DataFrame({"month": pd.to_datetime(periods.astype(str) + "-01")})
    brk = _break_rows(months)
    if brk is None:
        return None
    if snap_to_plotted:  # months are bands: mark the first plotted month of the new footprint
        brk["month"] = [months.loc[months["month"] >= m, "month"].min() for m in brk["month"]]
    return pd.DataFrame({"month": brk["month"].dt.strftime("%Y-%m-%dT00:00:00"), "label": brk["label"]})


def trend_chart(series: pd.DataFrame, y_title: str, *, percent: bool = True, selected: str | None = None,
                height: int = 300, axis_format: str | None = None) -> dict:
    """Lines for the chosen area and its comparators (one measure), with the chosen period marked.

    A plain Vega-Lite dict (no Altair objects: ~60 ms a chart less on every rerun); the rows travel beside it
    as datasets `lines` and `selected`, so a new selection with the same areas swaps rows into the chart drawn."""
    df = series.dropna(subset=["value"])
    order = (df.drop_duplicates("series").assign(_r=lambda d: d["role"].map({r: i for i, r in enumerate(ROLE_ORDER)}))
             .sort_values("_r"))
    domain, roles = list(order["series"]), list(order["role"])
    # a missing month is a row with no value, so the line breaks there instead of joining across (lib.insight.calendar)
    rows = calendar.with_month_gaps(pd.DataFrame({"period": df["period"].astype(str), "series": df["series"].astype(str),
                                                  "value": df["value"].astype(float)}), ["series"])
    rows = pd.DataFrame({"month": _month_text(rows["period"]), "series": rows["series"], "value": rows["value"]})
    if axis_format:
        y_axis = {"format": axis_format}
    elif percent:  # decimals so that ticks differ (0.88%-0.95% is not "0.9% 0.9% 0.9%")
        y_axis = {"format": axes.percent_format(df["value"]), "tickCount": axes.PERCENT_TICKS}
    else:
        y_axis = {"format": ",.0f"}
    ticks = axes.month_ticks(df["period"])  # one tick per loaded month when there are few
    series_enc = {"field": "series", "type": "nominal", "sort": domain}
    lines = {
        "data": {"name": "lines"},
        "mark": {"type": "line", "point": {"size": 18}},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": None,
                  "axis": {"format": "%b %Y", **({"values": ticks} if ticks else {})}},
            "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False},
                  "axis": y_axis},
            "color": {**series_enc, "title": None, "scale": {"domain": domain,
                                                               "range": [ROLE_COLOURS[r] for r in roles]},
                      "legend": LINE_LEGEND},
            "strokeDash": {**series_enc, "legend": None,
                           "scale": {"domain": domain, "range": [ROLE_DASH[r] for r in roles]}},
            "tooltip": [{"field": "series", "type": "nominal", "title": "Area"},
                        {"field": "month", "type": "temporal", "title": "Month", "format": "%b %Y"},
                        {"field": "value", "type": "quantitative", "title": y_title,
                         "format": ".2%" if percent else ",.1f"}],
        },
    }
    breaks = _break_data(df["period"])  # dashed marks where the systems changed (geography vintages)
    layer = [lines] + ([_SELECTED_LAYER] if selected else []) + ([_break_layer()] if breaks is not None else [])
    datasets = {"lines": rows, **({"selected": _selected_data(selected)} if selected else {}),
                **({"breaks": breaks} if breaks is not None else {})}
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "height": height, "layer": layer,
            "datasets": datasets}


def flows_chart(flows: pd.DataFrame, unit: str, *, selected: str | None = None, height: int = 300) -> dict:
    """Leavers and joiners side by side each month, net change (joiners - leavers) as a line. A plain Vega-Lite
    dict with the rows as dataset `flows` (see trend_chart)."""
    # missing months: empty bands and a break in the net-change line (lib.insight.calendar)
    rows = calendar.with_month_gaps(pd.DataFrame({
        "period": flows["period"].astype(str), "flow": flows["flow"].astype(str),
        "value": pd.to_numeric(flows["value"], errors="coerce").astype(float)}), ["flow"])
    rows = pd.DataFrame({"month": _month_text(rows["period"]), "flow": rows["flow"], "value": rows["value"]})
    colour = {"field": "flow", "type": "nominal", "title": None,
              "scale": {"domain": list(FLOW_COLOURS), "range": list(FLOW_COLOURS.values())},
              "legend": {"orient": "bottom", "labelLimit": 0}}
    tip = [{"field": "month", "type": "temporal", "title": "Month", "format": "%b %Y"},
           {"field": "flow", "type": "nominal", "title": "Flow"},
           {"field": "value", "type": "quantitative", "title": unit, "format": ",.1f"}]
    # ordinal months: one band per loaded month (a temporal bar axis showed an empty slot for the month after)
    x = {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": None,
         "axis": {"format": "%b %Y", "formatType": "time", "labelAngle": 0, "labelOverlap": True}}
    bars = {"data": {"name": "flows"}, "transform": [{"filter": {"field": "flow", "oneOf": ["Leavers", "Joiners"]}}],
            "mark": {"type": "bar"},
            "encoding": {"x": x, "xOffset": {"field": "flow", "type": "nominal", "sort": ["Joiners", "Leavers"]},
                         "y": {"field": "value", "type": "quantitative", "title": unit}, "color": colour,
                         "tooltip": tip}}
    net = {"data": {"name": "flows"}, "transform": [{"filter": "datum.flow === 'Net change'"}],
           "mark": {"type": "line", "point": True},
           "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"}, "color": colour, "tooltip": tip}}
    rule = {**_SELECTED_LAYER, "encoding": {**_SELECTED_LAYER["encoding"],
                                            "x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth"}}}
    breaks = _break_data(flows["period"], snap_to_plotted=True)
    layer = [bars, net] + ([rule] if selected else []) + ([_break_layer(ordinal=True)] if breaks is not None else [])
    datasets = {"flows": rows, **({"selected": _selected_data(selected)} if selected else {}),
                **({"breaks": breaks} if breaks is not None else {})}
    return {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "height": height, "layer": layer,
            "datasets": datasets}


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
                        legend=alt.Legend(orient="bottom", labelLimit=0)),
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
                        legend=alt.Legend(orient="bottom", labelLimit=0)),
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
    df = _month(calendar.with_month_gaps(df.drop(columns="month"), ["staff_group", "series"]))  # breaks at gaps
    base = alt.Chart().mark_line().encode(
        x=alt.X("month:T", title=None, axis=month_axis(df["period"], "%b %Y" if axes.month_ticks(df["period"])
                                                         else "%Y", tickCount=4)),
        y=alt.Y("share:Q", title=None, axis=alt.Axis(format=".0%", tickCount=3), scale=alt.Scale(zero=True)),
        color=alt.Color("series:N", title=None, sort=domain,
                        scale=alt.Scale(domain=domain, range=[ROLE_COLOURS[r] for r in roles]),
                        legend=alt.Legend(**LINE_LEGEND)),
        strokeDash=alt.StrokeDash("series:N", sort=domain, legend=None,
                                  scale=alt.Scale(domain=domain, range=[ROLE_DASH[r] for r in roles])),
        tooltip=[alt.Tooltip("staff_group:N", title="Staff group"), alt.Tooltip("series:N", title="Area"),
                 alt.Tooltip("month:T", title="Month", format="%b %Y"),
                 alt.Tooltip("share:Q", title="Share of FTE", format=".2%")],
    ).properties(width=190, height=110)  # three panels a row fit 720 px (200% zoom of 1440)
    layers = [base]
    brk = _break_rows(df)
    if brk is not None:  # dashed mark in every panel where the systems changed (figures before are re-based)
        breaks = [m.strftime("%Y-%m") for m in brk["month"]]
        # aria=False: in small multiples Vega gave these marks an image role with no name (axe-core svg-img-alt);
        # the break is stated in words under the chart
        layers.append(alt.Chart().mark_rule(color=BREAK_COLOUR, strokeDash=[4, 4], strokeWidth=1.2, aria=False).encode(
            x="month:T").transform_filter(alt.FieldOneOfPredicate(field="period", oneOf=breaks)))
    return alt.layer(*layers, data=df).facet(
        facet=alt.Facet("staff_group:N", sort=groups, title=None, header=alt.Header(labelFontWeight="bold")),
        columns=3).resolve_scale(y="shared")  # one y-axis from zero: a 0.01-point move no longer looks like a fall
