"""pydeck map of the systems (hex cartogram or user-supplied ONS boundaries), its legend and the ranked bar chart.

Only the 42 aggregate rows (plus simplified polygons) go to the browser. Tooltips use deck.gl's plain-text
template (no HTML), so no data is ever interpreted as markup.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import altair as alt
import pandas as pd
import pydeck as pdk
import streamlit as st

from lib.data import boundaries
from lib.data import hexmap
from lib.data.schema import ALL_STAFF
from lib.insight import chart_text
from lib.insight import map_data as im
from lib.insight.map_data import MEASURES, NO_DATA_COLOUR, ColourScale, Measure, fmt_value, hex_to_rgb, text_colour
from ui.text import md
from ui import auth, charts, data, trend_charts

LAYER_ID = "systems"
MAP_HEIGHT = 560
LABEL_DARK, LABEL_LIGHT = [0, 0, 0], [255, 255, 255]  # black on light fills, white on the darkest two (map_data)
# deck.gl's default label font: other families (sans-serif, Source Sans Pro; bold) drew blank glyphs in the
# headless Chromium the tests use, so only the colour and size change here.


@st.cache_data(max_entries=64, show_spinner=False)
def _map_table(data_dir: str, snap: tuple, sdc: bool, level: str, period: str, measure: str, group: str,
               pop: tuple, _m: pd.DataFrame) -> pd.DataFrame:
    return im.map_table(_m, level, period, measure, group, dict(pop))


def map_table(m: pd.DataFrame, data_dir, level: str, period: str, measure: str, group: str,
              pop: dict[str, float]) -> pd.DataFrame:
    """lib.insight.map_data.map_table, cached per store snapshot and selection (the metrics frame itself is not
    hashed: it is what ui.data.metrics returns for that snapshot)."""
    return _map_table(str(data_dir), data.snapshot(data_dir), auth.disclosure_on(), level, period, measure, group,
                      tuple(sorted(pop.items())), m)


def boundary_path(data_dir: Path, level: str) -> Path:
    return Path(data_dir) / f"boundaries_{level}.geojson"


@st.cache_data(max_entries=8, show_spinner="Reading boundaries...")
def _read_boundaries(path: str, mtime: float, level: str) -> pd.DataFrame:
    return boundaries.read_boundaries(path, level)


def load_boundaries(data_dir: Path, level: str) -> tuple[pd.DataFrame | None, str | None]:
    """(boundaries, None) when the data directory supplies a readable file; (None, message) on error;
    (None, None) when there is no file."""
    p = boundary_path(data_dir, level)
    if not p.exists():
        return None, None
    try:
        return _read_boundaries(str(p), p.stat().st_mtime, level), None
    except (ValueError, OSError) as e:  # BoundaryFileError is a ValueError
        return None, (f"The boundary file {p.name} could not be used ({e}). Showing the hex cartogram instead; "
                      f"replace the file with the ONS GeoJSON for {level} as published.")


@st.cache_data(max_entries=64, show_spinner=False)
def _rank_sentences(data_dir: str, snap: tuple, sdc: bool, level: str, period: str, area: str, group: str,
                    pop: tuple, _m: pd.DataFrame) -> pd.DataFrame:
    return im.rank_sentences(_m, level, period, area, group, dict(pop))


def rank_sentences(m: pd.DataFrame, data_dir, level: str, period: str, area: str, group: str,
                   pop: dict[str, float]) -> pd.DataFrame:
    """lib.insight.map_data.rank_sentences (one map table per measure), cached per snapshot and selection."""
    return _rank_sentences(str(data_dir), data.snapshot(data_dir), auth.disclosure_on(), level, period, area, group,
                           tuple(sorted(pop.items())), m)


def _records(table: pd.DataFrame, scale: ColourScale, measure: str, info: Measure | None = None) -> pd.DataFrame:
    ms = info or MEASURES[measure]
    d = table[["code", "name", "region_name", "value_text", "numerator_text", "denominator_text", "value"]].copy()
    fills = d["value"].map(scale.colour)
    d["fill"] = [hex_to_rgb(c) + [235] for c in fills]
    d["text_rgb"] = [LABEL_DARK if text_colour(c) == "#000000" else LABEL_LIGHT for c in fills]
    d["measure"] = ms.label
    d["num_label"], d["den_label"] = ms.numerator, ms.denominator
    return d.drop(columns=["value"])


def build_deck(table: pd.DataFrame, scale: ColourScale, measure: str, level: str,
               shapes: pd.DataFrame | None = None, selected: str | None = None,
               info: Measure | None = None) -> pdk.Deck:
    """PolygonLayer (id LAYER_ID, pickable) over hexes, or over exploded boundary polygons when given.

    The selected system's red outline is a separate small layer, so a click changes only that layer and the
    systems layer (all the data) stays as it was in the browser."""
    recs = _records(table, scale, measure, info)  # info: a measure not on the map page (e.g. sickness)
    if shapes is None:
        lay = hexmap.hex_layout(level)[["code", "polygon", "label", "lon", "lat"]]
        view = hexmap.view_state(level)
        view["zoom"] = round(view["zoom"] - 0.3, 2)  # the helper frames ~600 px; leave a margin in MAP_HEIGHT
    else:
        ex = boundaries.explode_polygons(shapes)[["code", "polygon"]]
        lab = boundaries.centroids(shapes)[["code", "lon", "lat"]]
        lay = ex.merge(lab, on="code")
        lay["label"] = ""
        view = boundaries.view_state(shapes)
    data = lay.merge(recs, on="code", how="left")
    poly = pdk.Layer(
        "PolygonLayer", data=data, id=LAYER_ID, get_polygon="polygon", get_fill_color="fill",
        get_line_color=[255, 255, 255], line_width_min_pixels=1, stroked=True, filled=True,
        pickable=True, auto_highlight=True, highlight_color=[255, 255, 255, 90])
    layers = [poly]
    if selected in set(data["code"]):
        outline = data.loc[data["code"] == selected, ["polygon"]]
        layers.append(pdk.Layer("PolygonLayer", data=outline, id="selected", get_polygon="polygon", filled=False,
                                stroked=True, get_line_color=[255, 0, 0], get_line_width=5000,  # metres, ~3 px
                                line_width_min_pixels=2, pickable=False))
    if shapes is None:
        labels = data[["label", "lon", "lat", "text_rgb"]]
        layers.append(pdk.Layer("TextLayer", data=labels, id="labels", get_position=["lon", "lat"],
                                get_text="label", get_color="text_rgb", get_size=14,
                                get_alignment_baseline="'center'", pickable=False))
    tooltip = {"text": "{name} ({code})\n{region_name}\n{measure}: {value_text}\n"
                       "{num_label}: {numerator_text}\n{den_label}: {denominator_text}"}
    return pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(**view), map_provider=None,
                    tooltip=tooltip, views=[pdk.View("MapView", controller=True)])


def selected_code(event, allowed: set[str]) -> str | None:
    """The code of the clicked system from st.pydeck_chart's selection state, checked against known codes."""
    try:
        objs = event.selection["objects"].get(LAYER_ID) or []
    except (AttributeError, KeyError, TypeError):
        return None
    code = objs[0].get("code") if objs and isinstance(objs[0], dict) else None
    return code if code in allowed else None


LEGEND_HEIGHT_PX = 100   # element height: key cells, labels under them and the title (at 25 px the key was empty)


def _short(label: str) -> str:
    """'0.61% to 0.72%' -> '0.61-0.72%' so neighbouring band labels do not run into each other."""
    a, sep, b = str(label).partition(" to ")
    if sep and a.endswith("%") and b.endswith("%"):
        return f"{a[:-1]}-{b}"
    return str(label)


def legend_chart(scale: ColourScale, has_missing: bool) -> alt.Chart:
    """The colour key as a small horizontal Altair chart (drawn by Streamlit, no HTML): one cell per band with its
    range written under it, and a description that lists the bands for a screen reader."""
    labels = scale.labels()
    rows = [{"bin": _short(lab), "words": lab, "colour": c, "order": i}
            for i, (lab, c) in enumerate(zip(labels, scale.colours))]
    if has_missing:
        rows.append({"bin": "no data", "words": "no data", "colour": NO_DATA_COLOUR, "order": len(rows)})
    df = pd.DataFrame(rows)
    x = alt.X("bin:N", sort=alt.SortField("order"), title=None,
              axis=alt.Axis(labelAngle=0, labelLimit=200, labelFontSize=12, ticks=False, domain=False,
                            orient="bottom", labelOverlap=False))
    desc = "Colour key, lightest to darkest: " + "; ".join(df["words"])
    return alt.Chart(df, title=alt.Title("Colour key", anchor="start", fontSize=13),
                     description=desc).mark_rect(stroke="white").encode(
        x=x, color=alt.Color("colour:N", scale=None, legend=None),
        tooltip=[alt.Tooltip("words:N", title="Band")]).properties(height=36, autosize=alt.AutoSizeParams(
            type="fit", contains="padding"))


# a ranking row per system: 22 px and 12 px names (15 px rows of 10 px names crammed 42 systems together)
RANK_ROW_PX = 22


def ranked_chart(table: pd.DataFrame, scale: ColourScale, measure: str, selected: str | None,
                 info: Measure | None = None) -> alt.LayerChart:
    """Horizontal bars of every system, highest first, coloured as on the map; a tick marks each system's region
    average and a labelled rule the England average."""
    ms = info or MEASURES[measure]
    kind = ms.kind
    d = table[["code", "name", "region_name", "value", "value_text", "numerator_text", "denominator_text",
               "region_value", "rank"]].copy()
    d["colour"] = d["value"].map(scale.colour)
    d["region_text"] = d["region_value"].map(lambda x: fmt_value(x, kind))
    d["selected"] = d["code"] == selected
    d = d.sort_values(["value", "name"], ascending=[False, True], na_position="last")
    fmt = ".1%" if kind == "rate" else ",.0f"
    d["pos"] = range(len(d))  # order as a field, not a list of names in the spec: new figures keep the spec as is
    y = alt.Y("name:N", sort=alt.EncodingSortField("pos", op="min"), title=None,
              axis=alt.Axis(labelLimit=340, labelOverlap=False, labelFontSize=12))  # full names (e.g. Bath and North East Somerset, Swindon and Wiltshire)
    tip = [alt.Tooltip("name:N", title="System"), alt.Tooltip("region_name:N", title="Region"),
           alt.Tooltip("value_text:N", title=ms.label), alt.Tooltip("numerator_text:N", title=ms.numerator),
           alt.Tooltip("denominator_text:N", title=ms.denominator),
           alt.Tooltip("region_text:N", title="Region average")]
    bars = alt.Chart(d).mark_bar(stroke="#d5281b").encode(
        y=y, x=alt.X("value:Q", title=ms.label, axis=alt.Axis(format=fmt)),
        color=alt.Color("colour:N", scale=None, legend=None),
        strokeWidth=alt.condition("datum.selected", alt.value(2.5), alt.value(0)), tooltip=tip)
    ticks = alt.Chart(d).mark_tick(color="#3D3D3D", thickness=2, size=12).encode(
        y=y, x="region_value:Q", tooltip=[alt.Tooltip("region_name:N", title="Region"),
                                           alt.Tooltip("region_text:N", title="Region average")])
    eng = table["england_value"].dropna()
    layers = [bars, ticks]
    if len(eng):
        e = pd.DataFrame({"value": [float(eng.iloc[0])], "label": [f"England {fmt_value(eng.iloc[0], kind)}"]})
        rule = alt.Chart(e).mark_rule(color=charts.ENGLAND_COLOUR, strokeDash=charts.ENGLAND_DASH, size=2).encode(
            x="value:Q")
        text = alt.Chart(e).mark_text(align="right", dx=-4, dy=-6, color=charts.ENGLAND_COLOUR,
                                      fontWeight="bold").encode(
            x="value:Q", y=alt.value(0), text="label:N")
        layers += [rule, text]
    return alt.layer(*layers).properties(height=max(RANK_ROW_PX * len(d), 200))


# ------------------------------------------------------------------------------------------------ Vega-Lite form
# The hex cartogram as fixed Vega-Lite specs (one per level / measure kind) with the figures as named datasets:
# a measure, staff group or period change sends new rows only and the browser swaps them into the chart already
# drawn (no WebGL: Vega draws to a 2D canvas). Chosen over the pydeck hex layer by measurement (bench/README.md).
HEX_PX = 36                 # pixels per hexagon unit (circumradius): the 42-hex England is about 480 x 560 px
HEX_GAP = 0.05              # each hexagon shrunk by this fraction: a thin white gutter between neighbours
SELECTED_STROKE = "#d5281b"  # NHS red outline of the chosen system (as the pydeck form's outline)
PICK = "pick"               # the click selection's name (st.vega_lite_chart returns selection[PICK])
_VL = "https://vega.github.io/schema/vega-lite/v6.json"
_TIP = [{"field": "system", "type": "nominal", "title": "System"},
        {"field": "region_name", "type": "nominal", "title": "Region"},
        {"field": "value_line", "type": "nominal", "title": "Figure"},
        {"field": "numerator_line", "type": "nominal", "title": "Numerator"},
        {"field": "denominator_line", "type": "nominal", "title": "Denominator"}]


def hex_spec(level: str) -> dict:
    """The cartogram's spec for a level, without data (dataset `hexes`, rows from hex_rows): hexagon point marks
    at fixed pixel positions, filled with each row's colour, white (or red when chosen) outlines, labels, tooltips
    with full names; a click selects a system (selection `pick` on field `code`)."""
    x0, x1, y0, y1 = hexmap.extent(level)
    w, h = round(HEX_PX * (x1 - x0)), round(HEX_PX * (y1 - y0))
    size = round((2 * HEX_PX * (1 - HEX_GAP)) ** 2)
    x = {"field": "x", "type": "quantitative", "axis": None,
         "scale": {"domain": [x0, x1], "range": [0, w], "nice": False, "zero": False}}
    y = {"field": "y", "type": "quantitative", "axis": None,
         "scale": {"domain": [y0, y1], "range": [h, 0], "nice": False, "zero": False}}
    hexes = {"params": [{"name": PICK, "select": {"type": "point", "fields": ["code"], "toggle": False}}],
             "mark": {"type": "point", "shape": hexmap.HEXAGON_PATH, "size": size, "filled": True, "opacity": 1,
                      "cursor": "pointer"},
             "encoding": {"x": x, "y": y, "fill": {"field": "colour", "type": "nominal", "scale": None},
                          "stroke": {"condition": {"test": "datum.selected", "value": SELECTED_STROKE},
                                     "value": "#ffffff"},
                          "strokeWidth": {"condition": {"test": "datum.selected", "value": 4}, "value": 1},
                          "description": {"field": "aria", "type": "nominal"},  # what a screen reader says
                          "tooltip": _TIP}}
    labels = {"mark": {"type": "text", "fontSize": 12, "fontWeight": "bold", "cursor": "pointer", "aria": False},
              "encoding": {"x": x, "y": y, "text": {"field": "label", "type": "nominal"},
                           "color": {"field": "text_colour", "type": "nominal", "scale": None}, "tooltip": _TIP}}
    return {"$schema": _VL, "width": w, "height": h, "autosize": {"type": "none"},
            "config": charts.with_text_colours({"view": {"stroke": None}}), "data": {"name": "hexes"}, "layer": [hexes, labels],
            # fixed words (Streamlit 1.67 writes st.vega_lite_chart(alt=...) into the spec, so changing figures
            # there rebuilt the chart on every change): the key figures are in the caption under the map
            "description": "Hex cartogram: one equal hexagon per system, placed roughly as on the map of England, "
                           "coloured by the chosen measure (darker = higher). The key figures are written under "
                           "the map; every system's figures are in the ranking and the table download."}


def _tooltip_lines(d: pd.DataFrame, scale, ms, selected: str | None) -> None:
    """Colour, system name, the measure's tooltip lines and the chosen flag, added to `d` in place (hexes and bars
    share them, so a tooltip reads the same on the map and the ranking)."""
    d["colour"] = d["value"].map(scale.colour)
    d["system"] = d["name"] + " (" + d["code"] + ")"
    d["value_line"] = f"{ms.label}: " + d["value_text"]
    d["numerator_line"] = f"{ms.numerator}: " + d["numerator_text"]
    d["denominator_line"] = f"{ms.denominator}: " + d["denominator_text"]
    d["selected"] = d["code"] == selected


def hex_rows(table: pd.DataFrame, scale: ColourScale, measure: str, level: str, selected: str | None = None,
             info: Measure | None = None) -> pd.DataFrame:
    """The cartogram's dataset: one row per system with its cell centre, colour, label colour and tooltip lines."""
    ms = info or MEASURES[measure]
    cells = hexmap.cell_centres(level)[["code", "label", "x", "y"]]
    d = cells.merge(table[["code", "name", "region_name", "value", "value_text", "numerator_text",
                           "denominator_text"]], on="code", how="left")
    _tooltip_lines(d, scale, ms, selected)
    d["text_colour"] = [text_colour(c) for c in d["colour"]]  # at least 5.5:1 on every fill (map_data._TEXT_ON)
    d["aria"] = d["system"] + ", " + d["region_name"] + ": " + d["value_line"]
    return d[["code", "label", "x", "y", "colour", "text_colour", "system", "region_name", "value_line",
              "numerator_line", "denominator_line", "selected", "aria"]]


def picked_code(event, allowed: set[str]) -> str | None:
    """The code of the clicked hexagon from st.vega_lite_chart's selection state, checked against known codes."""
    try:
        pts = event.selection[PICK] or []
    except (AttributeError, KeyError, TypeError):
        return None
    code = pts[0].get("code") if pts and isinstance(pts[0], dict) else None
    return code if code in allowed else None


def legend_spec() -> dict:
    """The colour key as a fixed spec (dataset `bands`, rows from legend_rows): one cell per band with its range
    written under it. Fixed, so a new measure swaps the rows into the key already drawn."""
    x = {"field": "bin", "type": "nominal", "sort": {"field": "order"}, "title": None,
         "axis": {"labelAngle": 0, "labelLimit": 200, "labelFontSize": 12, "ticks": False, "domain": False,
                  "orient": "bottom", "labelOverlap": False}}
    return {"$schema": _VL, "data": {"name": "bands"}, "height": 36,
            "title": {"text": "Colour key", "anchor": "start", "fontSize": 13},
            "autosize": {"type": "fit", "contains": "padding"},
            "description": "Colour key of the map, lightest (lowest) to darkest (highest); each band's range is "
                           "written under its cell.",
            "mark": {"type": "rect", "stroke": "white"},
            "encoding": {"x": x, "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
                         "tooltip": [{"field": "words", "type": "nominal", "title": "Band"}]}}


def legend_rows(scale: ColourScale, has_missing: bool) -> pd.DataFrame:
    labels = scale.labels()
    rows = [{"bin": _short(lab), "words": lab, "colour": c, "order": i}
            for i, (lab, c) in enumerate(zip(labels, scale.colours))]
    if has_missing:
        rows.append({"bin": "no data", "words": "no data", "colour": NO_DATA_COLOUR, "order": len(rows)})
    return pd.DataFrame(rows, columns=["bin", "words", "colour", "order"])


def ranked_spec(kind: str, n_rows: int) -> dict:
    """Horizontal bars of every system, highest first, coloured as on the map (dataset `bars`), a tick at each
    system's region average and a labelled dotted rule at England's (dataset `england`). Fixed per measure kind
    and number of systems: the measure's name is in the rows' tooltips and the page's heading and caption."""
    fmt = ".1%" if kind == "rate" else ",.0f"
    y = {"field": "name", "type": "nominal", "sort": {"field": "pos", "op": "min"}, "title": None,
         "axis": {"labelLimit": 340, "labelOverlap": False, "labelFontSize": 12}}
    tip = [{"field": "system", "type": "nominal", "title": "System"},
           {"field": "region_name", "type": "nominal", "title": "Region"},
           {"field": "value_line", "type": "nominal", "title": "Figure"},
           {"field": "numerator_line", "type": "nominal", "title": "Numerator"},
           {"field": "denominator_line", "type": "nominal", "title": "Denominator"},
           {"field": "region_text", "type": "nominal", "title": "Region average"}]
    bars = {"data": {"name": "bars"}, "mark": {"type": "bar", "stroke": SELECTED_STROKE},
            "encoding": {"y": y, "x": {"field": "value", "type": "quantitative", "title": None,
                                       "axis": {"format": fmt, "orient": "top"}},
                         "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
                         "strokeWidth": {"condition": {"test": "datum.selected", "value": 2.5}, "value": 0},
                         "description": {"field": "aria", "type": "nominal"}, "tooltip": tip}}
    ticks = {"data": {"name": "bars"}, "mark": {"type": "tick", "color": "#3D3D3D", "thickness": 2, "size": 12,
                                                "aria": False},  # the region average is in each bar's words
             "encoding": {"y": y, "x": {"field": "region_value", "type": "quantitative"},
                          "tooltip": [{"field": "region_name", "type": "nominal", "title": "Region"},
                                      {"field": "region_text", "type": "nominal", "title": "Region average"}]}}
    rule = {"data": {"name": "england"},
            "mark": {"type": "rule", "color": charts.ENGLAND_COLOUR, "strokeDash": charts.ENGLAND_DASH, "size": 2},
            "encoding": {"x": {"field": "value", "type": "quantitative"}}}
    text = {"data": {"name": "england"},
            "mark": {"type": "text", "align": "right", "dx": -4, "dy": -6, "color": charts.ENGLAND_COLOUR,
                     "fontWeight": "bold"},
            "encoding": {"x": {"field": "value", "type": "quantitative"}, "y": {"value": 0},
                         "text": {"field": "label", "type": "nominal"}}}
    return {"$schema": _VL, "height": max(RANK_ROW_PX * n_rows, 200), "layer": [bars, ticks, rule, text]}


def ranked_rows(table: pd.DataFrame, scale: ColourScale, measure: str, selected: str | None,
                info: Measure | None = None) -> dict[str, pd.DataFrame]:
    """Datasets of ranked_spec: `bars` (systems highest first, no data last) and `england` (0 or 1 row)."""
    ms = info or MEASURES[measure]
    kind = ms.kind
    d = table[["code", "name", "region_name", "value", "value_text", "numerator_text", "denominator_text",
               "region_value"]].copy()
    _tooltip_lines(d, scale, ms, selected)
    d["region_text"] = d["region_value"].map(lambda x: fmt_value(x, kind))
    d["aria"] = d["system"] + ": " + d["value_line"] + "; region average " + d["region_text"]
    d = d.sort_values(["value", "name"], ascending=[False, True], na_position="last", ignore_index=True)
    d["pos"] = range(len(d))
    bars = d[["code", "name", "system", "region_name", "value", "value_line", "numerator_line", "denominator_line",
              "region_value", "region_text", "colour", "selected", "pos", "aria"]]
    eng = table["england_value"].dropna()
    england = pd.DataFrame({"value": [float(eng.iloc[0])] if len(eng) else [],
                            "label": [f"England {fmt_value(eng.iloc[0], kind)}"] if len(eng) else []},
                           columns=["value", "label"])
    return {"bars": bars, "england": england}


def hex_figures_of(m: pd.DataFrame, level: str, period: str, measure: str, group: str, pop: dict[str, float],
                   selected: str | None) -> dict:
    """Everything the Map page draws for a selection: the map table, the three chart specs (cartogram, colour key,
    ranking) with their rows in Arrow, and the sentence of key figures."""
    table = im.map_table(m, level, period, measure, group, pop)
    ms = MEASURES[measure]
    scale = im.colour_scale(table["value"], ms.kind)
    hexes = {**hex_spec(level), "datasets": {"hexes": hex_rows(table, scale, measure, level, selected)}}
    legend = {**legend_spec(), "datasets": {"bands": legend_rows(scale, table["value"].isna().any())}}
    rank = {**ranked_spec(ms.kind, len(table)), "datasets": ranked_rows(table, scale, measure, selected)}
    return {"table": table, "scale": scale, "hexes": trend_charts.frozen(hexes),
            "legend": trend_charts.frozen(legend), "rank": trend_charts.frozen(rank),
            "description": im.map_description(table, measure, group),
            "rank_words": rank_words(table, measure, group, period, selected),
            "names": picker_names(table)}


def rank_words(table: pd.DataFrame, measure: str, group: str, period: str, selected: str | None) -> str:
    """The ranking chart's key figures in words (highest, lowest, the chosen system, England)."""
    ms = MEASURES[measure]
    what = f"{ms.label}, {group.lower() if group != ALL_STAFF else 'all staff groups'}"
    return chart_text.ranking_description(
        table, ms.label, period, noun=f"systems ({group})", percent=ms.kind == "rate", highlight=selected,
        england=im.england_value(table, measure)) or f"{what}: no system has figures for this period."


def picker_names(table: pd.DataFrame) -> dict[str, str]:
    """{code: name} of the map table's systems in name order (the keyboard picker beside the map)."""
    by_name = table.sort_values("name")
    return dict(zip(by_name["code"], by_name["name"]))


@st.cache_data(max_entries=128, show_spinner=False)
def _hex_figures(figures: tuple, period: str, measure: str, group: str, pop: tuple, selected: str | None) -> dict:
    return hex_figures_of(data.metrics_for(*figures), figures[2], period, measure, group, dict(pop), selected)


def hex_figures(figures: tuple, period: str, measure: str, group: str, pop: dict[str, float],
                selected: str | None) -> dict:
    """hex_figures_of, computed once per data snapshot and selection (figures: ui.data.figures_key): a repeat
    selection is served without loading the metrics frame. Raises if the store cannot be read (the page then
    falls back to ui.data.metrics, which serves the last good figures with a warning)."""
    return _hex_figures(figures, period, measure, group, tuple(sorted(pop.items())), selected)


@st.cache_data(max_entries=64, show_spinner=False)
def _default_measure(figures: tuple, period: str, available: tuple) -> str:
    return im.default_measure(data.metrics_for(*figures), period, list(available))


def default_measure(figures: tuple, period: str, available: list[str]) -> str:
    """lib.insight.map_data.default_measure, once per data snapshot and period (figures: ui.data.figures_key)."""
    return _default_measure(figures, period, tuple(available))


HEX_FORMS = ("vega", "deck")


def hex_key(level: str) -> None:
    """What each hexagon's letters stand for (lib.data.hexmap.label_key), folded under the cartogram: every
    short label with its system's full name, so no abbreviation is left unexplained."""
    with st.expander("Key to the hexagon labels"):
        st.caption(_hex_key_words(level))


@lru_cache(maxsize=16)
def _hex_key_words(level: str) -> str:
    # fixed reference data per level: written once, not on every Map rerun
    return "; ".join(f"**{md(lab)}** {md(name)}" for lab, name in hexmap.label_key(level))


def hex_form() -> str:
    """How the Map page draws the hex cartogram: "vega" (the product), or "deck" (the former pydeck layer) when the
    server runs with WORKFORCE_MAP_FORM=deck, for bench/bench_pages_map.py's like-for-like comparison. Anything
    else is the product's form."""
    form = os.environ.get("WORKFORCE_MAP_FORM", "vega").strip().lower()
    return form if form in HEX_FORMS else "vega"
