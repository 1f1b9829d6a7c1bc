"""The studio's results: headline figures for the followed staff group, gap / vacancy / FTE / cost charts (fixed
Vega-Lite specs with data passed beside them) and the results table.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.whatif import studio as w
from lib.whatif.scenario import Scenario
from ui import shell
from ui.whatif.session import SCN_SCALE, SS, baseline_cached, live_key, money


X_YEAR = {"field": "year", "type": "ordinal", "title": "Year", "axis": {"labelAngle": 0}}
SCN_COLOUR = {"field": "scenario", "type": "nominal", "scale": SCN_SCALE, "title": None, "legend": {"orient": "bottom"}}


def headlines(ctx, res, hidden: list[str]) -> str:
    """The followed staff group's figures; returns the group. Groups disclosure control hides here are not offered."""
    groups = [g for g in w.KNOWN_STAFF_GROUPS if g not in hidden and g in set(res.summary["staff_group"])]
    if SS.get("wi_focus") not in groups:
        SS["wi_focus"] = w.NURSES if w.NURSES in groups else groups[0]
    group = st.selectbox("Staff group to follow", groups, key="wi_focus", width=420)
    if hidden:
        st.caption(f"Not shown for this system (disclosure control: staff in post under 5, or hidden so a total "
                   f"cannot reveal one): {', '.join(hidden)}.")
    h = w.headline(res, group)
    b, s, T = h["baseline"], h["scenario"], h["horizon"]
    cols = st.columns(4)
    d_gap = s["gap_end"] - b["gap_end"]
    d_vr = 100 * (s["vacancy_rate_end"] - b["vacancy_rate_end"])
    cols[0].metric(f"Gap in year {T} (FTE)", shell.num(s["gap_end"]),
                   f"{d_gap:+,.0f} vs baseline" if abs(d_gap) >= 0.5 else "same as baseline",
                   delta_color="inverse" if abs(d_gap) >= 0.5 else "off", border=True,
                   help="Demand minus capacity (FTE). Negative = more capacity than demand. Baseline: "
                        f"{shell.num(b['gap_end'])}.")
    cols[1].metric(f"Vacancy rate, year {T}", shell.pct(s["vacancy_rate_end"], 1),
                   f"{d_vr:+.1f} points" if abs(d_vr) >= 0.05 else "same as baseline",
                   delta_color="inverse" if abs(d_vr) >= 0.05 else "off",
                   border=True, help="max(gap, 0) / demand. Baseline: " + shell.pct(b["vacancy_rate_end"], 1))
    cols[2].metric("Gap closes", w.year_short(s["year_gap_closes"], T),
                   f"{w.year_label(s['year_gap_closes'], ctx.period, T)}; baseline: "
                   f"{w.year_short(b['year_gap_closes'], T).lower()}", delta_color="off", delta_arrow="off", border=True,
                   help="First year in which capacity meets demand for this staff group.")
    extra = s["total_cost"] - b["total_cost"]
    cols[3].metric("Extra cost", money(extra), f"pay bill, year {T}: {money(s['pay_bill_end'])}",
                   delta_color="off", border=True,
                   help=f"Pay bill, training, recruitment and retention costs summed over years 1-{T}, scenario minus "
                        f"baseline. Training cost in the scenario: {money(s['training_cost_total'])}.")
    a = w.shared_assumptions().with_overrides(res.scenario.assumptions)
    for line in w.baseline_lines(baseline_cached(*live_key(ctx)), res.scenario.area, group, a):
        st.caption(line)
    return group


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
                                   "legend": {"orient": "right", "labelLimit": 260}},
                         "strokeDash": {"field": "scenario", "type": "nominal", "title": None,
                                        "sort": list(w.SCENARIO_LABELS.values())[::-1], "legend": {"orient": "right"}},
                         "tooltip": [_tip("role_label", "nominal", title="Role"), _tip("scenario", "nominal"),
                                     _tip("year", "ordinal"), _tip("fte", fmt=",.0f", title="FTE")]}}


def _spec_costs() -> dict:
    return {"title": "Training and other one-off costs (scenario)", "height": 220, "mark": {"type": "bar"},
            "encoding": {"x": X_YEAR, "y": {"field": "pounds_k", "type": "quantitative", "title": "£ thousand a year",
                                            "stack": "zero"},
                         "color": {"field": "measure", "type": "nominal", "title": None,
                                   "legend": {"orient": "bottom", "columns": 2}},
                         "tooltip": [_tip("year", "ordinal"), _tip("measure", "nominal"),
                                     _tip("pounds_k", fmt=",.1f", title="£ thousand")]}}


def _draw(data: pd.DataFrame, spec: dict, key: str) -> None:
    """No PNG/SVG export on live charts (the data are downloadable below; comparison and fan charts keep it).
    The element gets a fixed pixel height that Vega fits title, axes and legend into: sized to content, a
    chart with a bottom legend overlapped the one below it after its rows were swapped."""
    height = spec.pop("height") + 110
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    st.vega_lite_chart(data, spec, key=key, width="stretch", height=height)


def results(ctx, scn: Scenario, res, group: str) -> None:
    g = w.gap_frame(res, group)
    c1, c2 = st.columns(2)
    with c1:
        _draw(g[["scenario", "year", "gap", "demand", "capacity"]],
              _line("gap", "Gap (FTE)", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                         _tip("gap", fmt=",.0f"), _tip("demand", fmt=",.0f"),
                                         _tip("capacity", fmt=",.0f")],
                    f"Gap: {group}", 260, zero_rule=True), "wi_ch_gap")
    with c2:
        _draw(g[["scenario", "year", "vacancy_rate"]],
              _line("vacancy_rate", "Vacancy rate", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                                     _tip("vacancy_rate", fmt=".1%")],
                    f"Vacancy rate: {group}", 260, y_extra={"axis": {"format": "%"}}), "wi_ch_vac")
    _draw(w.fte_frame(res, group)[["scenario", "role_label", "year", "fte"]], _spec_fte(), "wi_ch_fte")
    cf = w.cost_frame(res)
    c1, c2 = st.columns(2)
    with c1:
        pay = cf[cf["measure"] == "Pay bill"]
        _draw(pd.DataFrame({"scenario": pay["scenario"], "year": pay["year"], "pounds_m": pay["pounds"] / 1e6}),
              _line("pounds_m", "£m a year", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                              _tip("pounds_m", fmt=",.1f", title="£m")],
                    "Pay bill (all roles)", 220, y_extra={"scale": {"zero": False}}), "wi_ch_pay")
    with c2:
        one = cf[(cf["measure"] != "Pay bill") & (cf["scenario"] == w.SCENARIO_LABELS["scenario"]) & (cf["pounds"] > 0)]
        if one.empty:
            st.markdown("**Training, recruitment and retention costs**")
            st.caption("None in this scenario: add new-role trainees, upskilling, recruitment or retention.")
        else:
            _draw(pd.DataFrame({"year": one["year"], "measure": one["measure"], "pounds_k": one["pounds"] / 1e3}),
                  _spec_costs(), "wi_ch_cost")
    sdc = bool(live_key(ctx)[4])
    with st.expander("All staff groups: baseline beside scenario"):
        tbl = w.summary_table(res)
        st.dataframe(tbl, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="percent" if "rate" in c else "localized") for c in tbl.columns[1:]})
        table = w.mask_small(res.table) if sdc else res.table
        shell.downloads(table, f"what_if_{scn.area}", "wi_table",
                        notes=[f"Scenario: {scn.to_json(None)}", f"Data period {ctx.period}, {ctx.level}",
                               f"Baseline rates {baseline_cached(*live_key(ctx)).rate_basis}",
                               *w.baseline_lines(baseline_cached(*live_key(ctx)), scn.area, group,
                                                 w.shared_assumptions().with_overrides(scn.assumptions))[1:],
                               *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else []),
                               *([w.SDC_EXPORT_NOTE] if sdc else [])])
        if sdc:
            st.caption(w.SDC_EXPORT_NOTE)
    for n in res.notes:
        st.caption(n)
