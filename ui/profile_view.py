"""System profile (views/profile.py): everything the page draws for one data snapshot, system, staff group and
period, computed once (st.cache_data), and its charts as fixed Vega-Lite specs (issue 16).

A spec here never carries an area name, a figure or a format chosen from the figures: the system's and its
region's names are data (`series`, ordered by `order`: system, region, England), each panel's axis format is
fixed, and the key figures are in the caption under each chart. A new system or staff group therefore sends the
same specs with new rows, and the browser swaps the rows into the charts already drawn instead of rebuilding them.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from lib.insight import bridge as br
from lib.insight import calendar, chart_text, exports, map_data as im
from lib.sharing import disclosure
from lib.stats import signals
from ui import charts, data, inside, map_view, stats_charts, trend_charts

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
TREND_WIDTH = 270  # px per trend panel: two side by side fit 720 px (a 1440 px screen at 200% zoom)
# series order 0, 1, 2 = the system, its region, England: one visual language (ui.charts)
SERIES_COLOURS = [charts.SYSTEM_COLOUR, charts.REGION_COLOUR, charts.ENGLAND_COLOUR]
SERIES_DASHES = [charts.SYSTEM_DASH, charts.REGION_DASH, charts.ENGLAND_DASH]
# axis and tooltip formats per panel, fixed (not chosen from the figures, which would change the spec)
# ("~": no trailing zeros, so an index from 100.0 to 100.3 is labelled 100.1, 100.15, 100.2, not 100.1 100.1 100.2)
TREND_FORMATS = {"fte": (",.2~f", ",.1f"), "leaver_rate": (".2%", ".2%"), "joiner_rate": (".2%", ".2%"),
                 "vacancy_rate": (".2~%", ".2%")}
SPC_MEASURES = ("leaver_rate", "vacancy_rate")
SPC_FORMATS = {"leaver_rate": ".2%", "vacancy_rate": ".1%"}
_BY_ORDER = {"field": "order", "op": "min"}
MIX_GROUPS = [g for g in STAFF_GROUP_ORDER if g != ALL_STAFF]


# ---------------------------------------------------------------------------------------------- trends grid
def trends_rows(tr: pd.DataFrame) -> pd.DataFrame:
    """The rows of the trends grid from lib.insight.map_data.trends: month (local-time text, as Vega parses it),
    measure, series (the area's name), order (0 the system, 1 its region, 2 England), value, fte."""
    first = tr["series"].iloc[0] if len(tr) else None
    tr = calendar.with_month_gaps(tr, ["measure", "series"])   # a missing month breaks the line (no join across)
    order = [0 if s == first else 2 if s == "England" else 1 for s in tr["series"]]
    return pd.DataFrame({"month": tr["period"].astype(str) + "-01T00:00:00", "measure": tr["measure"].astype(str),
                         "series": tr["series"].astype(str), "order": order,
                         "value": tr["value"].astype(float), "fte": tr["fte"].astype(float)})


def _trend_panel(column: str, label: str, ticks) -> dict:
    axis_fmt, tip_fmt = TREND_FORMATS[column]
    series = {"field": "series", "type": "nominal", "sort": _BY_ORDER}
    return {
        "title": label, "width": TREND_WIDTH, "height": 230,
        "transform": [{"filter": {"field": "measure", "equal": label}}],
        "mark": {"type": "line", "point": {"size": 12}},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": None,
                  "axis": {"format": "%b %Y", **({"values": ticks} if ticks else {})}},
            "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False},
                  "axis": {"format": axis_fmt}},
            "color": {**series, "title": None, "scale": {"range": SERIES_COLOURS},
                      # whole names, one a row: "Buckinghamshire, Oxfordshire and Berkshire West" was cut at 160 px
                      "legend": {**trend_charts.LINE_LEGEND, "direction": "vertical"}},
            "strokeDash": {**series, "legend": None, "scale": {"range": SERIES_DASHES}},
            "tooltip": [{"field": "series", "type": "nominal", "title": "Series"},
                        {"field": "month", "type": "temporal", "title": "Month", "format": "%b %Y"},
                        {"field": "value", "type": "quantitative", "title": label, "format": tip_fmt},
                        {"field": "fte", "type": "quantitative", "title": "FTE", "format": ",.0f"}]}}


def trends_spec(columns: tuple[str, ...], ticks) -> dict:
    """The grid of trend panels (two a row, y scales independent) for the measures `columns` (keys of
    im.TREND_MEASURES that have figures), rows in dataset `trends`. One chart: one embed in the browser."""
    labels = dict(im.TREND_MEASURES)
    panels = [_trend_panel(c, labels[c], ticks) for c in columns]
    return {"$schema": SCHEMA, "data": {"name": "trends"},
            "vconcat": [{"hconcat": panels[i:i + 2]} for i in range(0, len(panels), 2)],
            "resolve": {"scale": {"y": "independent"}}, "description": charts.CAPTIONED,
            # SVG: the legend's names are text a screen reader (and a browser test) can read whole
            "usermeta": {"embedOptions": {"renderer": "svg"}}}


# ---------------------------------------------------------------------------------------------- role mix
def mix_rows(rm: pd.DataFrame, area_name: str) -> pd.DataFrame:
    """Rows of the role-mix bars from lib.insight.map_data.role_mix: staff_group, series (the system's name or
    England), order (0 the system, 2 England), share."""
    n = len(rm)
    return pd.DataFrame({"staff_group": list(rm["staff_group"]) * 2, "series": [area_name] * n + ["England"] * n,
                         "order": [0] * n + [2] * n,
                         "share": list(rm["system_share"].astype(float)) + list(rm["england_share"].astype(float))})


def mix_spec() -> dict:
    series = {"field": "series", "type": "nominal", "sort": _BY_ORDER}
    return {"$schema": SCHEMA, "data": {"name": "mix"}, "height": 420, "mark": {"type": "bar"},
            "description": charts.CAPTIONED,
            "encoding": {
                "y": {"field": "staff_group", "type": "nominal", "sort": MIX_GROUPS, "title": None,
                      "axis": {"labelLimit": 260}},
                "yOffset": series,
                "x": {"field": "share", "type": "quantitative", "title": "Share of FTE", "axis": {"format": ".0%"}},
                "color": {**series, "title": None, "scale": {"range": [SERIES_COLOURS[0], SERIES_COLOURS[2]]},
                          "legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 0}},
                "tooltip": [{"field": "series", "type": "nominal", "title": "Series"},
                            {"field": "staff_group", "type": "nominal", "title": "Staff group"},
                            {"field": "share", "type": "quantitative", "title": "Share of FTE", "format": ".2%"}]}}


# ---------------------------------------------------------------------------------------------- bridge
BRIDGE_KINDS = {"total": "Staff in post", "decrease": "Leavers / fall", "increase": "Joiners / rise",
                "residual": "Other changes: hours, regrading (not a published flow)"}


def bridge_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Waterfall bars of a bridge table (as ui.inside.waterfall_chart draws them): Step, order, Kind, Change,
    Running total, low, high. The axis starts just below the smallest running total so the flows (small beside
    the stock) can be seen: the totals' bars are cut there (low = the floor), in the rows, not in the spec."""
    w = br.waterfall_frame(table)
    steps = w[w["kind"] != "total"]
    hi = float(w["high"].max())
    span = max(hi - float(w.loc[w["kind"] == "total", "cumulative"].min()) + 1, 1.0)
    floor = max(0.0, float(w["cumulative"].min()) - 1.5 * max(float(steps["value"].abs().max() if len(steps) else 0),
                                                               0.01 * span))
    return pd.DataFrame({"Step": w["label"].astype(str), "order": w["order"].astype(int),
                         "Kind": w["kind"].map(BRIDGE_KINDS).astype(str), "Change": w["value"].astype(float),
                         "Running total": w["cumulative"].astype(float),
                         "low": w["low"].clip(lower=floor).astype(float), "high": w["high"].astype(float)})


def bridge_spec(unit: str) -> dict:
    x = {"field": "Step", "type": "nominal", "sort": _BY_ORDER, "title": None,
         "axis": {"labelAngle": 0, "labelLimit": 170, "labelFontSize": 11}}
    colours = [inside.WATERFALL_COLOURS[k] for k in BRIDGE_KINDS]
    bars = {"mark": {"type": "bar", "size": 46},
            "encoding": {"x": x, "y": {"field": "low", "type": "quantitative", "title": unit,
                                       "scale": {"zero": False, "nice": False, "padding": 16},
                                       "axis": {"format": ",.0f"}},
                         "y2": {"field": "high"},
                         "color": {"field": "Kind", "type": "nominal",
                                   "scale": {"domain": list(BRIDGE_KINDS.values()), "range": colours},
                                   "legend": {"orient": "bottom", "title": None, "labelLimit": 0}},
                         "tooltip": [{"field": "Step", "type": "nominal"},
                                     {"field": "Change", "type": "quantitative", "format": ",.1f"},
                                     {"field": "Running total", "type": "quantitative", "format": ",.1f"}]}}
    text = {"mark": {"type": "text", "dy": -8, "fontSize": 11, "color": "#231f20"},
            "encoding": {"x": x, "y": {"field": "high", "type": "quantitative"},
                         "text": {"field": "Change", "type": "quantitative", "format": "+,.1f"}}}
    return {"$schema": SCHEMA, "data": {"name": "bridge"}, "height": 300, "layer": [bars, text],
            "description": charts.CAPTIONED}


# ---------------------------------------------------------------------------------------------- SPC
def spc_parts(m: pd.DataFrame, area: str, area_name: str, group: str, measure: str, period: str) -> dict:
    """One SPC chart (Making Data Count XmR, ui.stats_charts.spc_chart's drawing) with a fixed title (the measure;
    the page's heading names the system and group) and axis format; its figures in words (the caption) and the
    icons' meaning. {'info': reason} when there is nothing to chart."""
    try:
        view = signals.chart_view(m, area, group, measure, until=period)   # a run chart below 12 months
    except signals.SignalError as exc:
        return {"info": str(exc)}
    label = signals.measure(measure).label
    if isinstance(view, signals.RunView):
        spec = trend_charts.stable_spec(stats_charts.run_chart(view.chart, label, measure=measure,
                                                               axis_format=SPC_FORMATS[measure]))
        spec["description"] = charts.CAPTIONED
        title = f"{label}: {area_name}, {group}"
        return {"spec": spec, "title": title, "notes": [],
                "caption": chart_text.run_chart_description(view.chart, view.summary, title, percent=True,
                                                            verdicts=signals.VERDICT, rule_words=signals.rule_words),
                "words": "  \n".join([*stats_charts.run_words(view.summary, measure), *view.notes])}
    spec = trend_charts.stable_spec(stats_charts.spc_chart(view.chart, label, measure=measure,
                                                           axis_format=SPC_FORMATS[measure]))
    spec["description"] = charts.CAPTIONED
    title = f"{label}: {area_name}, {group}"
    m_ = signals.measure(measure)
    return {"spec": spec, "title": title, "notes": list(view.notes),
            "caption": chart_text.spc_description(view.chart, view.summary, title, percent=m_.is_rate,
                                                  verdicts=signals.VERDICT, rule_words=signals.rule_words),
            "words": "  \n".join(stats_charts.icon_words(view.summary, measure))}


# ---------------------------------------------------------------------------------------------- the page's view
def profile_view(m: pd.DataFrame, data_dir: str, level: str, area: str, area_name: str, group: str, period: str,
                 previous: str | None, year_ago: str | None, periods: tuple, pop: dict) -> dict:
    """Everything the profile draws for one selection (see the module docstring); charts as specs with their rows
    as DataFrames in `datasets` (profile_cached freezes them to Arrow once)."""
    out: dict = {"figs": im.profile_figures(m, area, period, previous, year_ago, group), "trend_notes": []}
    tr = im.trends(m, area, group)
    out["trends"] = None
    if not tr.empty:
        columns = []
        for col, label in im.TREND_MEASURES:
            if tr.loc[tr["measure"] == label, "value"].notna().any():
                columns.append(col)
            else:  # e.g. no vacancy file: say which file fills it, not an empty panel
                out["trend_notes"].append(f"{label}: " + im.EMPTY_MEASURE_HELP.get(col, "no figures loaded."))
        if columns:
            from lib.insight import axes
            out["trends"] = {**trends_spec(tuple(columns), axes.month_ticks(periods)),
                             "datasets": {"trends": trends_rows(tr)}}
            out["trends_description"] = chart_text.profile_trends_description(tr, period)
    rm = im.role_mix(m, area, period)
    out["rm"] = rm
    out["mix"] = None if rm.empty else {**mix_spec(), "datasets": {"mix": mix_rows(rm, area_name)}}
    out["mix_description"] = chart_text.profile_mix_description(rm, area_name, period) if not rm.empty else ""
    out["ranks"] = map_view.rank_sentences(m, data_dir, level, period, area, group, pop)
    out["spc"] = {k: spc_parts(m, area, area_name, group, k, period) for k in SPC_MEASURES}
    return out


def bridge_view(data_dir, level: str, area: str, previous: str | None, period: str, group: str,
                sdc: bool = False) -> dict:
    """The staff-in-post bridge from `previous` to `period`: {'info': why not} or spec, caption, lines, notes,
    download table."""
    if previous is None:
        return {"info": "The bridge needs the month before the chosen one: only one month is loaded."}
    try:
        b = inside.bridge(data_dir, level, area, previous, period, group)
    except ValueError as exc:
        return {"info": str(exc)}
    if sdc and inside.bridge_disclosive(b, data_dir, level):
        return {"info": f"Not shown: a figure of this bridge is hidden by disclosure control (counts under "
                        f"{disclosure.THRESHOLD}, and what would reveal them)."}
    unit = "FTE" if b.basis == "fte" else "Headcount"
    return {"bridge": b, "unit": unit, "spec": {**bridge_spec(unit), "datasets": {"bridge": bridge_rows(b.table)}},
            "lines": "  \n".join(br.bridge_text(b)), "notes": list(b.notes),
            "table": b.table.rename(columns={"label": "Step", "value": f"Change ({unit})",
                                             "cumulative": f"Running total ({unit})"})}


def download_table(figs, ranks: pd.DataFrame, prev_text: str | None, year_text: str | None) -> pd.DataFrame:
    """The profile's download: headline figures and ranks, one kind of number a column (rates as fractions)."""
    heads = pd.DataFrame([{"Figure": f.label, "Value": f.value, f"Change since {prev_text or 'previous month'}":
                           f.change_previous, f"Change since {year_text or '12 months earlier'}": f.change_year,
                           "England": f.england_text} for f in figs])
    out = pd.concat([heads.assign(Section="Headline figures"),
                     ranks.rename(columns={"label": "Figure", "value_text": "Value", "phrase": "Rank"})[
                         ["Figure", "Value", "Rank"]].assign(Section="Ranks")], ignore_index=True)
    numeric = [c for c in out.columns if c == "Value" or c == "England" or str(c).startswith("Change since")]
    for c in numeric:
        out[c] = out[c].map(exports.text_to_number)
    return out.rename(columns={c: f"{c} (rates as fractions)" for c in numeric})


def _freeze(spec: dict | None) -> dict | None:
    return None if spec is None else trend_charts.frozen(spec)


@st.cache_data(max_entries=256, show_spinner=False)
def profile_cached(figures: tuple, area: str, area_name: str, group: str, period: str, previous: str | None,
                   year_ago: str | None, periods: tuple, pop: tuple, prev_text: str | None,
                   year_text: str | None) -> dict:
    """profile_view, bridge_view and the download table for one (snapshot, system, group, period): computed once,
    chart rows already Arrow bytes, so a repeat selection costs only drawing."""
    data_dir, level = figures[0], figures[2]
    view = profile_view(data.metrics_for(*figures), data_dir, level, area, area_name, group, period, previous,
                        year_ago, periods, dict(pop))
    view["trends"], view["mix"] = _freeze(view["trends"]), _freeze(view["mix"])
    for part in view["spc"].values():
        if "spec" in part:
            part["spec"] = _freeze(part["spec"])
    view["bridge"] = bridge_view(data_dir, level, area, previous, period, group, sdc=figures[4])
    if "spec" in view["bridge"]:
        view["bridge"]["spec"] = _freeze(view["bridge"]["spec"])
    view["download"] = download_table(view["figs"], view["ranks"], prev_text, year_text)
    return view
