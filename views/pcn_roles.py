"""Primary care networks' new roles: per system FTE per 100,000 people by role and in total, ranked and mapped;
growth a year by role with its quarterly trend; a funnel of per-capita totals; a system's PCNs ranked."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.data import geography
from lib.data.schema import period_label
from lib.insight import map_data as im
from lib.insight import pcn_roles
from ui import auth, map_view, pcn_view, shell, state, tables, trend_charts

ENGLAND = pcn_view.ENGLAND
INFO = im.Measure("pcn_fte_per_100k", "PCN FTE per 100,000 people", "per100k", "FTE in PCNs",
                  "Population (ONS mid-2022)", ())
SOURCES = {"all": "Every data source", "staff": "NWRS Staff", "contracted": "NWRS contracted services"}

ctx = st.session_state.get("ctx")
st.title("Primary care networks' new roles")
if ctx is None:
    state.show_url_notices()
    st.stop()
shell.synthetic_marker(ctx)


@st.fragment
def pcn_body() -> None:
    ps = pcn_view.periods(ctx.data_dir)
    if not ps:
        state.show_url_notices()
        st.info("No primary care network figures are loaded. Load NHS Digital's 'Primary Care Networks - <Month "
                "Year> Individual Level' CSV files (and the ONS sub-ICB population file for figures per 100,000) "
                "with `python -m lib ingest FILE... --data-dir DIR`.", icon=":material/info:")
        return
    key = pcn_view.footprint(ctx.level)
    systems = list(geography.vintage(key).areas["code"])
    names = geography.area_names(key)
    c1, c2, c3, c4 = st.columns([2, 3, 3, 2])
    month = state.selectbox("Census month", "pmonth", ps[::-1], default=ps[-1], format_func=period_label,
                            container=c1, help="PCN figures are published quarterly, apart from the trust files, "
                                               "so they have their own month.")
    area = state.selectbox("System", "area", [ENGLAND, *systems], default=ENGLAND,
                           format_func=lambda c: "England" if c == ENGLAND else f"{names.get(c, c)} ({c})",
                           container=c2)
    source = state.selectbox("Data source", "psource", list(SOURCES), default="all", format_func=SOURCES.get,
                             container=c4)
    t = pcn_view.table(ctx.data_dir, ctx.level, month, source)
    roles = [pcn_roles.ALL_ROLES, *sorted(set(t["role"]) - {pcn_roles.ALL_ROLES})]
    role = state.selectbox("Role", "prole", roles, default=pcn_roles.ALL_ROLES, container=c3)
    state.show_url_notices()
    has_pop = "fte_per_100k" in t and t["population"].notna().any()
    when = period_label(month)
    st.caption(f"Source: {pcn_view.SOURCE}, census {when}; quarterly, {period_label(ps[0])} to "
               f"{period_label(ps[-1])} loaded. {pcn_view.POPULATION if has_pop else 'No population loaded'}. "
               f"Systems: {geography.vintage(key).title}"
               + (" (a PCN goes where its sub-ICB location goes when its ICB was split; Frimley, one sub-ICB "
                  "location, goes whole to Thames Valley)" if key == "ICS2026" else "") + ".")
    if month in pcn_roles.PARTIAL_COLLECTION:
        st.warning(pcn_roles.PARTIAL_COLLECTION[month] + ": its figures undercount, and growth is not measured "
                   "from it.", icon=":material/warning:")
    if auth.disclosure_on():
        st.caption("Disclosure control is on: system x role and PCN x role cells with headcount or FTE under 5 are "
                   "hidden, with any figure that would reveal them from the totals shown in any table here (every "
                   "footprint, quarter and data source).")

    eng = t[(t["area_code"] == ENGLAND) & (t["role"] == role)]
    k = st.columns(3)
    if len(eng):
        e = eng.iloc[0]
        k[0].metric(f"England, {role.lower() if role != pcn_roles.ALL_ROLES else 'all roles'}, {when}",
                    f"{e['fte']:,.1f} FTE", border=True,
                    help="Sum of every PCN's rows (the file's own total).")
        if has_pop:
            k[1].metric("England, FTE per 100,000 people", f"{e['fte_per_100k']:,.1f}", border=True,
                        help=pcn_roles.PER_100K_DEFINITION)
    if area != ENGLAND and has_pop:
        mt_all = pcn_roles.map_table(t[t["area_code"] != ENGLAND], role, key)
        r = mt_all[mt_all["code"] == area]
        if len(r) and pd.notna(r["value"].iloc[0]):
            n = int(mt_all["value"].notna().sum())
            k[2].metric(f"{names.get(area, area)}, FTE per 100,000 people", f"{r['value'].iloc[0]:,.1f}",
                        delta=f"rank {int(r['rank'].iloc[0])} of {n} (1 = most)", delta_color="off",
                        delta_arrow="off", border=True, help="Rank 1 = the most FTE per 100,000 people.")

    # ---- map and ranking
    if has_pop:
        st.subheader(f"{role}: FTE per 100,000 people by system, {when}")
        st.caption(pcn_roles.PER_100K_DEFINITION)
        mt = pcn_roles.map_table(t[t["area_code"] != ENGLAND], role, key)
        scale = im.colour_scale(mt["value"], "per100k")
        selected = area if area != ENGLAND else None
        left, right = st.columns([3, 2], gap="medium")
        with left:
            hexes = {**map_view.hex_spec(key),
                     "datasets": {"hexes": map_view.hex_rows(mt, scale, "fte_per_100k", key, selected, info=INFO)}}
            st.vega_lite_chart(spec=hexes, key="pcn_hex", width="content")
            trend_charts.show(map_view.legend_chart(scale, mt["value"].isna().any()), "", "pcn_legend",
                              downloads=False)
        with right:
            trend_charts.show(map_view.ranked_chart(mt, scale, "fte_per_100k", selected, info=INFO),
                              f"pcn_rank_{role}_{month}", "pcn_rank",
                              note="Bars: systems, most FTE per 100,000 first. Grey ticks: region figures. Dotted "
                                   "line: England.")
    else:
        st.info("Load the ONS sub-ICB population file (`python -m lib ingest \"ICB Population estimates "
                "2022.csv\"`) to see figures per 100,000 people, the map and the funnel.", icon=":material/info:")

    # ---- growth by role
    label = "England" if area == ENGLAND else names.get(area, area)
    st.subheader(f"Growth a year by role: {label}")
    g = pcn_view.growth(ctx.data_dir, ctx.level, source)
    gm = g[g["area_code"] == area].copy() if len(g) else g
    if len(gm):
        gm = gm[gm["role"].isin(roles)]
        shown = pd.DataFrame({
            "Role": gm["role"], f"FTE, {period_label(gm['end'].iloc[0])}": gm["fte_end"],
            "FTE a year earlier (or first published)": gm["fte_start"],
            "From": gm["start"].map(lambda p: period_label(p) if isinstance(p, str) else "not yet published"),
            "Growth, FTE a year": gm["fte_per_year"]})
        if "per_100k_per_year" in gm:
            shown["Growth per 100,000 a year"] = gm["per_100k_per_year"]
            if area != ENGLAND:
                shown["Pace rank among systems"] = gm["pace_rank"]
        shown = shown.sort_values("Growth, FTE a year", ascending=False, na_position="last")
        tables.show(shown, key="pcn_growth")
        st.caption("Growth a year = (FTE in the latest quarter - FTE a year earlier) / years; for a role first "
                   "published later, from its first quarter, annualised. Pace rank: 1 = fastest growth per 100,000 "
                   "people. A role absent from a quarter was not published then (missing, not zero).")
    tr = pcn_view.trend(ctx.data_dir, ctx.level, area, source)
    top = [r for r in gm.sort_values("fte_end", ascending=False)["role"] if r != pcn_roles.ALL_ROLES][:6] \
        if len(gm) else []
    chosen = [role] if role != pcn_roles.ALL_ROLES else top
    trend_charts.show(pcn_view.trend_chart(tr, chosen, f"{label}: FTE by quarter"), f"pcn_trend_{area}_{role}",
                      "pcn_trend", note="One line per role; a gap is a quarter not loaded, a role not yet published "
                                        "or a hidden figure. Largest roles shown when all roles are chosen.")

    # ---- funnel
    if has_pop:
        st.subheader(f"Funnel plot: {role.lower() if role != pcn_roles.ALL_ROLES else 'all roles'} per 100,000 "
                     f"people, {when}")
        units = pcn_roles.funnel_input(t[t["area_code"] != ENGLAND], role)
        if len(units) >= 5:
            chart, words = pcn_view.funnel_chart(units, f"FTE per 100,000 people by system, {when}",
                                                 area if area != ENGLAND else None)
            trend_charts.show(chart, f"pcn_funnel_{role}_{month}", "pcn_funnel", description=words)
        else:
            st.info("Too few systems with figures for a funnel plot.", icon=":material/info:")

    # ---- PCNs in the system
    if area != ENGLAND:
        st.subheader(f"PCNs in {label}, {when}")
        ranked, grid = pcn_view.pcns(ctx.data_dir, ctx.level, month, area, source)
        shown = pd.DataFrame({"Rank": ranked["rank"], "PCN": ranked["area_name"], "Code": ranked["area_code"],
                              "Sub-ICB location": ranked["sub_icb_name"], "FTE, all roles": ranked["fte"],
                              "Headcount (sum of roles)": ranked["headcount"]})
        st.dataframe(shown, hide_index=True, width="stretch", key="pcn_list",
                     column_config={"FTE, all roles": st.column_config.NumberColumn(format="%.1f")})
        st.caption("Ranked by FTE in every role. Headcount sums the PCN's role cells (a person in two roles "
                   "counts in each)." + (" Hidden figures: headcount or FTE under 5, or would reveal one."
                                         if auth.disclosure_on() else ""))
        shell.downloads(grid.drop(columns=["suppressed"], errors="ignore"), f"pcn_roles_{area}_{month}", "pcn_dl",
                        notes=[f"{pcn_view.SOURCE}, census {when}; {SOURCES[source]}",
                               *(["Disclosure control on: cells with headcount or FTE under 5 hidden, and what would "
                                  "reveal them"]
                                 if auth.disclosure_on() else [])])


pcn_body()
