"""The board pack's charts: fixed Vega-Lite specs in the app's visual language (ui/charts.py: the system dark blue
solid, its region teal dashed, England dark grey dotted; Making Data Count colours on SPC charts; the bridge's
waterfall colours), rows inline, rendered to SVG by vl-convert so the PDF holds vector graphics with selectable
text. The colours are repeated here because lib never imports ui; tests/test_report.py checks they are the same.
"""
from __future__ import annotations

import json

import pandas as pd

from lib.stats import signals

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
FONT = "Liberation Sans"  # Arial's metrics (the NHS identity's web font); Debian fonts-liberation, installed by CI

# ui.charts
ENGLAND_COLOUR, REGION_COLOUR, SYSTEM_COLOUR = "#3D3D3D", "#28A197", "#12436D"
ENGLAND_DASH, REGION_DASH, SYSTEM_DASH = [2, 2], [6, 3], [1, 0]
BASELINE_COLOUR = "#768692"
COMPARE_COLOURS = ["#12436D", "#F46A25", "#801650", "#28A197"]
COMPARE_SHAPES = ["circle", "square", "triangle-up", "diamond"]
# ui.inside.WATERFALL_COLOURS
WATERFALL_COLOURS = {"total": "#005EB8", "decrease": "#801650", "increase": "#28A197", "residual": "#A285D1"}
# ui.stats_charts (Making Data Count)
MDC_COMMON, MDC_IMPROVEMENT, MDC_CONCERN, MDC_NEUTRAL = "#7B7D7D", "#289DE0", "#FAB428", "#361475"
# the points' readings in the app's words and colours (ui.stats_charts: lib.stats.signals.point_label)
POINT_WORDS = signals.POINT_DOMAIN
POINT_COLOURS = [MDC_COMMON, MDC_IMPROVEMENT, MDC_CONCERN, MDC_NEUTRAL, "#AEB7BD"]
INK = "#231f20"

WIDTH = 420  # px of the plot; Typst scales the SVG to its column, so text stays in proportion

CONFIG = {"font": FONT, "background": "white", "view": {"stroke": None},
          "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelColor": INK, "titleColor": INK,
                   "gridColor": "#E8EDEE"},
          "legend": {"labelFontSize": 11, "orient": "bottom", "title": None, "labelLimit": 320},
          "title": {"fontSize": 13, "anchor": "start", "color": INK}}


def _spec(body: dict, rows: pd.DataFrame | list, title: str | None = None) -> dict:
    values = rows if isinstance(rows, list) else json.loads(rows.to_json(orient="records", double_precision=10))
    out = {"$schema": SCHEMA, "data": {"values": values}, "config": CONFIG, **body}
    if title:
        out["title"] = title
    return out


def series_lines(rows: pd.DataFrame, title: str, y_format: str, y_title: str | None = None) -> dict:
    """System, region and England over the months: rows month (YYYY-MM), series, order (0 system, 1 region,
    2 England), value. Points on every month so a two-month line still reads."""
    d = rows.assign(month=rows["month"].astype(str) + "-01")
    names = d.drop_duplicates("series").sort_values("order")
    colours = [[SYSTEM_COLOUR, REGION_COLOUR, ENGLAND_COLOUR][int(o)] for o in names["order"]]
    dashes = [[SYSTEM_DASH, REGION_DASH, ENGLAND_DASH][int(o)] for o in names["order"]]
    series = {"field": "series", "type": "nominal", "sort": list(names["series"]), "title": None}
    months = sorted(d["month"].unique())
    return _spec({
        "width": WIDTH, "height": 190,
        "mark": {"type": "line", "point": {"size": 30, "filled": True}, "strokeWidth": 2},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": None,
                  "axis": {"format": "%b %Y", "labelAngle": 0, **({"values": months} if len(months) <= 6 else
                                                                   {"tickCount": 6})}},
            "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False},
                  "axis": {"format": y_format}},
            "color": {**series, "scale": {"domain": list(names["series"]), "range": colours},
                      "legend": {"symbolType": "stroke", "symbolStrokeWidth": 2, "symbolSize": 300}},
            "strokeDash": {**series, "scale": {"domain": list(names["series"]), "range": dashes}}}},
        d[["month", "series", "value"]], title)


def spc(chart: pd.DataFrame, title: str, y_format: str) -> dict:
    """XmR chart as the app draws it (ui.stats_charts.spc_chart): values grey, points by Making Data Count type,
    average solid, process limits dashed. `chart`: lib.stats.signals.SpcView.chart."""
    d = pd.DataFrame({"month": chart["period"].astype(str) + "-01", "value": chart["y"].astype(float),
                      "mean": chart["mean"].astype(float), "lpl": chart["lpl"].astype(float),
                      "upl": chart["upl"].astype(float), "phase": chart["phase"].astype(int),
                      "reading": [signals.point_label(t) for t in chart["point_type"]]})
    x = {"field": "month", "type": "temporal", "title": None, "axis": {"format": "%b %Y", "labelAngle": 0,
                                                                        "tickCount": 6}}
    colour = dict(zip(POINT_WORDS, POINT_COLOURS))
    present = [p for p in POINT_WORDS if p in set(d["reading"])]  # the key names only what is drawn

    def rule(col: str, dash: list[int] | None, colour: str, width: float) -> dict:
        return {"mark": {"type": "line", "color": colour, "strokeWidth": width, "strokeDash": dash or [1, 0]},
                "encoding": {"x": x, "y": {"field": col, "type": "quantitative"}, "detail": {"field": "phase"}}}

    return _spec({
        "width": WIDTH, "height": 190,
        "layer": [rule("upl", [6, 4], "#425563", 1.2), rule("lpl", [6, 4], "#425563", 1.2),
                  rule("mean", None, INK, 1.5),
                  *_value_layers(x, y_format, present, colour)]},
        d, title)


def _value_layers(x: dict, y_format: str, present: list[str], colour: dict[str, str]) -> list[dict]:
    """The values' grey line and their points coloured by Making Data Count reading: shared by the SPC and run
    charts."""
    return [{"mark": {"type": "line", "color": MDC_COMMON, "strokeWidth": 1.5},
             "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": None,
                                        "scale": {"zero": False}, "axis": {"format": y_format}}}},
            {"mark": {"type": "point", "filled": True, "size": 40, "opacity": 1},
             "transform": [{"filter": "datum.value != null"}],
             "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"},
                          "color": {"field": "reading", "type": "nominal", "title": None,
                                    "scale": {"domain": present, "range": [colour[p] for p in present]},
                                    "legend": {"columns": 3}}}}]


def run(chart: pd.DataFrame, title: str | None, y_format: str) -> dict:
    """Run chart as the app draws it below 12 months (ui.stats_charts.run_chart): values grey, points by Making Data
    Count type, the median dashed. `chart`: lib.stats.signals.RunView.chart."""
    d = pd.DataFrame({"month": chart["period"].astype(str) + "-01", "value": chart["y"].astype(float),
                      "median": chart["median"].astype(float),
                      "reading": [signals.point_label(t) for t in chart["point_type"]]})
    months = sorted(d["month"])
    x = {"field": "month", "type": "temporal", "title": None,
         "axis": {"format": "%b %Y", "labelAngle": 0, **({"values": months} if len(months) <= 6 else
                                                          {"tickCount": 6})}}
    colour = dict(zip(POINT_WORDS, POINT_COLOURS))
    present = [p for p in POINT_WORDS if p in set(d["reading"])]
    return _spec({
        "width": WIDTH, "height": 190,
        "layer": [{"mark": {"type": "line", "color": INK, "strokeWidth": 1.2, "strokeDash": [6, 4]},
                   "encoding": {"x": x, "y": {"field": "median", "type": "quantitative"}}},
                  *_value_layers(x, y_format, present, colour)]},
        d, title)


def waterfall(table: pd.DataFrame, unit: str, legend: dict[str, str], title: str | None = None) -> dict:
    """A bridge as a waterfall (lib.insight.bridge.waterfall_frame: label, value, cumulative, kind, low, high,
    order): totals and steps; the axis starts just below the smallest total so the flows can be seen (as the
    profile's bridge does, ui.profile_view.bridge_rows)."""
    from lib.insight import bridge as br
    w = br.waterfall_frame(table)
    steps = w[w["kind"] != "total"]
    hi = float(w["high"].max())
    span = max(hi - float(w.loc[w["kind"] == "total", "cumulative"].min()) + 1, 1.0)
    floor = max(0.0, float(w["cumulative"].min()) - 1.5 * max(
        float(steps["value"].abs().max() if len(steps) else 0), 0.01 * span))
    if float(w["low"].min()) < 0:  # a gap bridge can be negative: no floor then
        floor = float(w["low"].min())
    d = pd.DataFrame({"step": w["label"].astype(str), "order": w["order"].astype(int),
                      "kind": w["kind"].map(legend).astype(str), "change": w["value"].astype(float),
                      "low": w["low"].clip(lower=floor).astype(float), "high": w["high"].astype(float),
                      "label": [f"{v:,.1f}" if k == "total" else f"{v:+,.1f}" for k, v in zip(w["kind"], w["value"])]})
    x = {"field": "step", "type": "nominal", "sort": list(d["step"]), "title": None,
         "axis": {"labelAngle": -20, "labelAlign": "right", "labelLimit": 190, "labelFontSize": 10}}
    kinds = [k for k in legend if legend[k] in set(d["kind"])]
    return _spec({
        "width": WIDTH, "height": 200,
        "layer": [
            {"mark": {"type": "bar", "size": 34},
             "encoding": {"x": x, "y": {"field": "low", "type": "quantitative", "title": unit,
                                        "scale": {"zero": False, "nice": False, "padding": 14},
                                        "axis": {"format": ",.0f"}},
                          "y2": {"field": "high"},
                          "color": {"field": "kind", "type": "nominal", "title": None,
                                    "scale": {"domain": [legend[k] for k in kinds],
                                              "range": [WATERFALL_COLOURS[k] for k in kinds]}}}},
            {"mark": {"type": "text", "dy": -7, "fontSize": 10, "color": INK},
             "encoding": {"x": x, "y": {"field": "high", "type": "quantitative"},
                          "text": {"field": "label", "type": "nominal"}}}]},
        d, title)


def paired_bars(rows: pd.DataFrame, order: list[str], names: tuple[str, str], title: str | None = None,
                x_title: str = "Share of FTE") -> dict:
    """Horizontal bars, two per category (the system and England): rows category, series, value (a fraction)."""
    series = {"field": "series", "type": "nominal", "sort": list(names), "title": None}
    return _spec({
        "width": 300, "height": {"step": 9},
        "mark": {"type": "bar"},
        "encoding": {"y": {"field": "category", "type": "nominal", "sort": order, "title": None,
                           "axis": {"labelLimit": 200}},
                     "yOffset": series,
                     "x": {"field": "value", "type": "quantitative", "title": x_title, "axis": {"format": ".0%"}},
                     "color": {**series, "scale": {"domain": list(names), "range": [SYSTEM_COLOUR, ENGLAND_COLOUR]}}}},
        rows, title)


def ranked_bars(rows: pd.DataFrame, x_format: str, x_title: str, reference: float | None = None,
                reference_label: str = "England", title: str | None = None) -> dict:
    """One bar per unit, highest first (rows name, value), with a reference rule (England) where given."""
    d = rows.dropna(subset=["value"]).sort_values(["value", "name"], ascending=[False, True])
    layers = [{"mark": {"type": "bar", "color": SYSTEM_COLOUR},
               "encoding": {"y": {"field": "name", "type": "nominal", "sort": list(d["name"]), "title": None,
                                  "axis": {"labelLimit": 320}},
                            "x": {"field": "value", "type": "quantitative", "title": x_title,
                                  "axis": {"format": x_format}}}}]
    if reference is not None and reference == reference:
        layers.append({"data": {"values": [{"ref": reference, "label": reference_label}]},
                       "mark": {"type": "rule", "color": ENGLAND_COLOUR, "strokeDash": ENGLAND_DASH,
                                "strokeWidth": 2},
                       "encoding": {"x": {"field": "ref", "type": "quantitative"}}})
    return _spec({"width": 230, "height": {"step": 15}, "layer": layers}, d[["name", "value"]], title)


def scenario_gaps(rows: pd.DataFrame, title: str) -> dict:
    """Gap over time for the baseline and each compared scenario (ui.whatif.panels.compare_chart_spec's colours
    and shapes): rows scenario, year, gap; the baseline first."""
    names = list(dict.fromkeys(rows["scenario"]))
    return _spec({
        "width": WIDTH, "height": 200,
        "mark": {"type": "line", "point": {"size": 45, "filled": True}, "strokeWidth": 2},
        "encoding": {"x": {"field": "year", "type": "ordinal", "title": "Year", "axis": {"labelAngle": 0}},
                     "y": {"field": "gap", "type": "quantitative", "title": "Gap (FTE)", "axis": {"format": ",.0f"}},
                     "color": {"field": "scenario", "type": "nominal", "title": None, "sort": names,
                               "scale": {"domain": names, "range": [BASELINE_COLOUR, *COMPARE_COLOURS]},
                               "legend": {"columns": 2}},
                     "shape": {"field": "scenario", "type": "nominal", "sort": names, "legend": None,
                               "scale": {"domain": names, "range": ["circle", *COMPARE_SHAPES]}}}},
        rows[["scenario", "year", "gap"]], title)


def warm_renderer() -> "threading.Thread":
    """Start vl-convert's JavaScript engine on a background thread (its first chart costs ~0.5 s of start-up, and
    vl-convert releases the GIL): called before the figures are loaded, the start-up overlaps the store read."""
    import threading
    tiny = {"$schema": SCHEMA, "data": {"values": [{"x": 1}]}, "mark": "point",
            "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    t = threading.Thread(target=to_svg, args=(tiny,), name="vl-convert-warm", daemon=True)
    t.start()
    return t


def to_svg(spec: dict) -> str:
    """The chart as SVG (vl-convert, offline: the Vega project's own renderer)."""
    import vl_convert as vlc
    return vlc.vegalite_to_svg(json.dumps(spec))
