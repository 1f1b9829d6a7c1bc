"""The studio's results: headline figures for the followed staff group, gap / vacancy / FTE / cost charts (fixed
Vega-Lite specs with data passed beside them) and the results table.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import streamlit as st

from lib.whatif import cards
from lib.whatif import studio as w
from lib.whatif.scenario import Scenario
from ui import charts, shell, tables
from ui.whatif.session import SCN_SCALE, SS, baseline_cached, live_key, workshop_on


X_YEAR = {"field": "year", "type": "ordinal", "title": "Year", "axis": {"labelAngle": 0}}
SUMMARY_OPEN = "wi_summary_open"   # session key of the "All staff groups" expander's open state
HEADLINE_ROW = "wi_heads"          # key of the headline cards' row
# Static CSS, no data: the four headline cards share one row (never wrapping below the fold in the projector
# layout), shrinking with an ellipsis only when the row is too narrow (as the four columns did); the two chart rows
# are halves, as two columns were. Drawn once per full run (ui.whatif.page), not on lever moves.
HEADLINE_CSS = """<style>
.st-key-wi_heads > div { flex: 1 1 auto !important; min-width: 0 !important; }
.st-key-wi_row_gap > div, .st-key-wi_row_pay > div { flex: 1 1 0 !important; min-width: 0 !important; }
</style>"""
SCN_COLOUR = {"field": "scenario", "type": "nominal", "scale": SCN_SCALE, "title": None,
              "legend": {"orient": "bottom", "labelLimit": 0}}


def plain_note(note: str) -> str:
    """A model note in the words of the page (no formulas, code names or document references)."""
    n = str(note)
    if "1-(1-m)" in n:
        return ("Leaver and joiner rates are yearly rates worked out from the loaded months' rates (a monthly "
                "leaver rate compounds over 12 months).")
    if n.startswith("vacancy_fte unknown"):
        return ("Vacancy figures are missing for some systems and staff groups: there, demand starts equal to staff "
                "in post, so the gap starts at zero.")
    m = re.match(r"(\d+) missing (leaver_rate|joiner_rate) values filled", n)
    if m:
        what = "leaver" if m.group(2) == "leaver_rate" else "joiner"
        return (f"{m.group(1)} system and staff group starting points had no {what} rate: the staff group's "
                "average rate across systems is used for them.")
    n = re.sub(r"\s*\(?METHODS [0-9.a-d]+\)?", "", n)
    n = n.replace("`check`", "the check table").replace(" x staff group", " and staff group")
    return n.replace("_", " ")


def plain_source(text: str) -> str:
    """An assumption's source without references to the project's internal methods document (users do not have
    it): the reference is dropped and the sentence tidied."""
    t = re.sub(r"\s*\(METHODS [0-9.]+[a-d]?\)", "", str(text))
    t = re.sub(r"METHODS(\.md)?( section)? [0-9.]+[a-d]?( worked example| standard)?", "", t)
    t = re.sub(r"\b(as in|from)\s*(?=[;),\[]|$|\s[-(\[])", "", t)
    t = re.sub(r"\(\s*,?\s*(SEEN|[0-9.]+)?\s*\)", "", t)
    t = re.sub(r"\(\s*,\s*", "(", t)
    t = re.sub(r"^\s*:\s*", "", t)
    return re.sub(r"\s{2,}", " ", re.sub(r"\s+([;,)])", r"\1", t)).strip()


def rate_basis_words(basis: str) -> str:
    """How the baseline's rates were made, without formulas (older stores said 'leaver 1-(1-m)^12')."""
    if "1-(1-m)" in basis:
        return "yearly, worked out from monthly rates" if "monthly" in basis else \
            "yearly, worked out from the loaded months' rates"
    return basis.replace(" x 12/", " scaled to a year from ").rstrip(".")


def headlines(ctx, res, hidden: list[str]) -> str:
    """The followed staff group's figures; returns the group. Groups disclosure control hides here are not offered.
    Arrows only where a figure moved against the baseline, pointing the way it moved (no arrow on 'same as
    baseline' or on a plain figure such as the pay bill). Figures come from the view cached per lever state."""
    groups = [g for g in w.KNOWN_STAFF_GROUPS if g not in hidden and g in set(res.column("summary", "staff_group"))]
    if SS.get("wi_focus") not in groups:
        SS["wi_focus"] = w.NURSES if w.NURSES in groups else groups[0]
    group = st.selectbox("Staff group to follow", groups, key="wi_focus", width=420)
    if hidden:
        st.caption(f"Not shown for this system (disclosure control: staff in post under 5, or hidden so a total "
                   f"cannot reveal one): {', '.join(hidden)}.")
    v = view(ctx, group)
    # one block of four cards (HEADLINE_CSS), not a columns block and four columns: 4 elements fewer on every move
    row = st.container(horizontal=True, gap="small", wrap=False, key=HEADLINE_ROW)
    for f in v["figures"]:
        row.metric(f["label"], f["value"], f["delta"], delta_color=f["delta_color"],
                   delta_arrow="auto" if f["arrow"] else "off", border=True, help=f["help"])
    # one element, a line each (each element costs the browser a few ms on every move); the gap's drivers first,
    # beside the headline (issue 24: the baseline gap grew with no lever moved and the page never said why)
    # the full sentences on what the rates rest on are under the charts (results), so the gap chart starts above
    # the fold at 1366x768; the short caveat stays here
    st.caption("  \n".join(x for x in (f"**{v['drivers']}**", v["caveat"]) if x))
    return group


def view(ctx, group: str) -> dict:
    """The cached view of the scenario in SS["wi_scn"] (set by the studio fragment just before)."""
    return view_cached(*live_key(ctx), SS["wi_scn"], group)


@st.cache_data(max_entries=256, show_spinner=False)
def view_cached(data_dir: str, snap: str, level: str, period: str, sdc: bool, scn_json: str, group: str) -> dict:
    """Everything the results draw for one lever state and followed group, computed once per data snapshot, lever
    state and group: headline cards, the baseline lines, chart rows already as Arrow IPC bytes (Streamlit passes
    bytes through, so nothing is converted on a repeat), descriptions and notes. Built from numpy columns
    (lib.whatif.studio.*_columns) straight into Arrow, with no pandas frames on the way. A slider moved back to a
    value seen before, or another session on the same scenario, is served from here (bench/bench_what_if.py)."""
    from ui.whatif.session import run_cached
    key = (data_dir, snap, level, period, sdc)
    res = run_cached(*key, scn_json)
    h = w.headline(res, group)
    a = w.shared_assumptions().with_overrides(res.scenario.assumptions)
    g = w.gap_columns(res, group)
    fte = w.fte_columns(res, group)
    cf = w.cost_columns(res)
    pay = cf["measure"] == "Pay bill"
    one = ~pay & (cf["scenario"] == w.SCENARIO_LABELS["scenario"]) & (cf["pounds"] > 0)
    return {
        "figures": headline_figures(period, h),
        "lines": w.baseline_lines(baseline_cached(*key), res.scenario.area, group, a),
        "drivers": w.gap_driver_line(w.gap_drivers(res, group, "baseline", a), group),
        "caveat": w.caveat_line(baseline_cached(*key), res.scenario.area, group, a),
        "gap": _arrow({k: g[k] for k in ("scenario", "year", "gap", "demand", "capacity")}),
        "gap_desc": describe_gap(g, group),
        "vac": _arrow({k: g[k] for k in ("scenario", "year", "vacancy_rate")}),
        "fte": _arrow({k: fte[k] for k in ("scenario", "role_label", "year", "fte")}),
        "pay": _arrow({"scenario": cf["scenario"][pay], "year": cf["year"][pay], "pounds_m": cf["pounds"][pay] / 1e6}),
        "cost": None if not one.any() else _arrow({"year": cf["year"][one], "measure": cf["measure"][one],
                                                   "pounds_k": cf["pounds"][one] / 1e3}),
        "notes": list(dict.fromkeys(plain_note(n) for n in res.notes)),
    }


def _arrow(cols: dict) -> bytes:
    """Numpy columns as Arrow IPC bytes, the form Streamlit sends chart rows in (text as strings, numbers as
    numbers; no pandas frame built on the way)."""
    import pyarrow as pa
    from streamlit.dataframe_util import convert_arrow_table_to_arrow_bytes
    return convert_arrow_table_to_arrow_bytes(pa.table({
        k: pa.array(v.tolist() if v.dtype == object else v, type=pa.string() if v.dtype == object else None)
        for k, v in cols.items()}))


def headline_figures(period: str, h: dict) -> list[dict]:
    """Label, value, delta text, colour and whether an arrow makes sense, for the four headline cards (`period`:
    the data month the projection starts from): lib.whatif.cards, which the board pack shows too."""
    return cards.headline_cards(period, h)


def _tip(field: str, kind: str = "quantitative", fmt: str | None = None, title: str | None = None) -> dict:
    t = {"field": field, "type": kind}
    if fmt:
        t["format"] = fmt
    if title:
        t["title"] = title
    return t


def _line(y: str, y_title: str, tips: list, title: str, height: int, y_extra: dict | None = None,
          zero_rule: bool = False) -> dict:
    layer = {"mark": {"type": "line", "point": True},
             "encoding": {"x": X_YEAR, "y": {"field": y, "type": "quantitative", "title": y_title, **(y_extra or {})},
                          "color": SCN_COLOUR, "tooltip": tips}}
    if not zero_rule:
        return {"title": title, "height": height, **layer}
    rule = {"data": {"values": [{"zero": 0}]}, "mark": {"type": "rule", "color": "#3D3D3D", "strokeDash": [2, 2]},
            "encoding": {"y": {"field": "zero", "type": "quantitative"}}}
    return {"title": title, "height": height, "layer": [layer, rule]}


def _spec_fte() -> dict:
    return {"title": "FTE by role (solid: scenario, dashed: baseline)", "height": 240, "mark": {"type": "line"},
            "encoding": {"x": X_YEAR, "y": {"field": "fte", "type": "quantitative", "title": "FTE"},
                         "color": {"field": "role_label", "type": "nominal", "title": None,
                                   "legend": {"orient": "right", "labelLimit": 0}},
                         "strokeDash": {"field": "scenario", "type": "nominal", "title": None,
                                        "sort": list(w.SCENARIO_LABELS.values())[::-1], "legend": {"orient": "right", "labelLimit": 0}},
                         "tooltip": [_tip("role_label", "nominal", title="Role"), _tip("scenario", "nominal"),
                                     _tip("year", "ordinal"), _tip("fte", fmt=",.0f", title="FTE")]}}


def _spec_costs() -> dict:
    return {"title": "Training and other one-off costs (scenario)", "height": 220, "mark": {"type": "bar"},
            "encoding": {"x": X_YEAR, "y": {"field": "pounds_k", "type": "quantitative", "title": "£ thousand a year",
                                            "stack": "zero"},
                         "color": {"field": "measure", "type": "nominal", "title": None,
                                   "legend": {"orient": "bottom", "columns": 2, "labelLimit": 0}},
                         "tooltip": [_tip("year", "ordinal"), _tip("measure", "nominal"),
                                     _tip("pounds_k", fmt=",.1f", title="£ thousand")]}}


def _draw(data, spec: dict, key: str) -> None:
    """No PNG/SVG export on live charts (the data are downloadable below; comparison and fan charts keep it).
    The element gets a fixed pixel height that Vega fits title, axes and legend into: sized to content, a
    chart with a bottom legend overlapped the one below it after its rows were swapped."""
    height = spec.pop("height") + (130 if workshop_on() else 110)
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    spec["config"] = charts.with_text_colours(charts.big_config() if workshop_on() else spec.get("config"))
    if isinstance(data, bytes):   # rows already in Arrow (view_cached): a named dataset, which Streamlit passes through
        spec["datasets"], spec["data"] = {"rows": data}, {"name": "rows"}
        data = None
    st.vega_lite_chart(data, spec, key=key, width="stretch", height=height)


def describe_gap(g, group: str) -> str:
    """The gap chart's key figures in words (caption under the chart and its accessible description). `g`: gap
    frame or its columns (scenario label, year, gap)."""
    year, gap, scn = np.asarray(g["year"]), np.asarray(g["gap"], dtype=float), np.asarray(g["scenario"])
    T = int(year.max())
    end = {s: v for s, y, v in zip(scn, year, gap) if y == T}
    b = end.get(w.SCENARIO_LABELS["baseline"])
    sc = end.get(w.SCENARIO_LABELS["scenario"])
    start = gap[year == year.min()][0]
    return (f"{group}: {w.gap_phrase(start)} at the start; in year {T} {w.gap_phrase(sc)} with the scenario "
            f"against {w.gap_phrase(b)} with no levers (below 0 on the chart: a surplus, capacity above demand).")


def results(ctx, scn: Scenario, res, group: str, split=None) -> None:
    """The charts and table. With `split` (workshop mode) only the gap chart is drawn here, the rest in `split`."""
    v = view(ctx, group)
    ws = split is not None
    # normal layout: one horizontal row holding a block (gap chart and its caption) and the vacancy chart: 2
    # elements where two columns were 3
    c1, c2 = (st.container(), split.container()) if ws else _pair()
    with c1:
        spec = _line("gap", "Gap (FTE)", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                          _tip("gap", fmt=",.0f"), _tip("demand", fmt=",.0f"),
                                          _tip("capacity", fmt=",.0f")],
                     f"Gap: {group}", 230 if ws else 260, zero_rule=True)
        spec["description"] = charts.CAPTIONED  # fixed: the figures are in the caption (rows swap in place)
        _draw(v["gap"], spec, "wi_ch_gap")
        st.caption(v["gap_desc"])
    with c2:
        _draw(v["vac"],
              _line("vacancy_rate", "Vacancy rate", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                                     _tip("vacancy_rate", fmt=".1%")],
                    f"Vacancy rate: {group}", 260, y_extra={"axis": {"format": "%"}}), "wi_ch_vac")
    if ws:
        with split:
            _rest(v)
    else:
        _rest(v)


def _pair():
    """Two side-by-side places in one horizontal row: (a block for several elements, the row itself for one)."""
    row = st.container(horizontal=True, gap="small", wrap=False, key="wi_row_gap")
    return row.container(), row


def _rest(v: dict) -> None:
    _draw(v["fte"], _spec_fte(), "wi_ch_fte")
    with st.container(horizontal=True, gap="small", wrap=False, key="wi_row_pay"):   # one block, not three
        _draw(v["pay"], _line("pounds_m", "£m a year", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                                         _tip("pounds_m", fmt=",.1f", title="£m")],
                              "Pay bill (all roles)", 220, y_extra={"scale": {"zero": False}}), "wi_ch_pay")
        if v["cost"] is None:
            st.markdown("**Training, recruitment and retention costs**  \n"
                        ":gray[None in this scenario: add new-role trainees, upskilling, recruitment or retention.]")
        else:
            _draw(v["cost"], _spec_costs(), "wi_ch_cost")
    if v["notes"] or v["lines"]:
        st.caption("  \n".join([*v["lines"], *v["notes"]]))


def long_summary(tbl: pd.DataFrame, T: int) -> pd.DataFrame:
    """Baseline and scenario as two rows a staff group (six columns fit a 1440 px screen; eight side by side did
    not)."""
    rows = []
    for _, r in tbl.iterrows():
        for key, label in (("baseline", "Baseline (no levers)"), ("scenario", "Scenario")):
            rows.append({"Staff group": r["Staff group"], "Run": label, "Gap now (FTE)": r["Gap now (FTE)"],
                         f"Gap in year {T} (FTE)": r[f"Gap in year {T}, {key} (FTE)"],
                         f"Vacancy rate in year {T}": r[f"Vacancy rate in year {T}, {key}"],
                         "Gap closes": w.year_short(None if pd.isna(r[f"Gap closes (year), {key}"]) else
                                                    int(r[f"Gap closes (year), {key}"]), T)})
    return pd.DataFrame(rows)


def summary_section(ctx, scn: Scenario, res) -> None:
    """Every staff group, baseline beside scenario, full width (in the right-hand column its eight columns did not
    fit a 1440 px screen), with the downloads."""
    sdc = bool(live_key(ctx)[4])
    T = scn.horizon
    # built only while open (a collapsed expander's body still runs: this table and its downloads were a fifth of
    # the server time of every lever move); opening or closing reruns the results fragment
    box = st.expander("All staff groups: baseline beside scenario", key=SUMMARY_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        tables.show(long_summary(w.summary_table(res), T), column_config={
            "Staff group": st.column_config.TextColumn("Staff group", width=270),
            "Gap now (FTE)": st.column_config.NumberColumn(format="%,.0f"),
            f"Gap in year {T} (FTE)": st.column_config.NumberColumn(format="%,.0f"),
            f"Vacancy rate in year {T}": st.column_config.NumberColumn(format="percent")})
        table = w.mask_small(res.table) if sdc else res.table
        group = SS.get("wi_focus", w.NURSES)
        base = baseline_cached(*live_key(ctx))
        shell.downloads(table, f"what_if_{scn.area}", "wi_table",
                        notes=[f"Scenario: {scn.to_json(None)}", f"Data period {ctx.period}, {ctx.level}",
                               f"Baseline rates: {rate_basis_words(base.rate_basis)}",
                               *w.baseline_lines(base, scn.area, group,
                                                 w.shared_assumptions().with_overrides(scn.assumptions))[1:],
                               *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else []),
                               *([w.SDC_EXPORT_NOTE] if sdc else [])])
        if sdc:
            st.caption(w.SDC_EXPORT_NOTE)
