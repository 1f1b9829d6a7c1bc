"""Sickness absence: rate = FTE days lost / FTE days available (NHS Digital), by system on a map and in a funnel,
over time with SPC, by organisation type, and the organisations of a system."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from lib.data import geography
from lib.data.schema import ALL_STAFF, SICKNESS_OUTSIDE_SYSTEMS
from lib.insight import calendar, chart_text
from lib.insight import map_data as im
from lib.insight import sickness as sk
from lib.stats import signals
from ui import charts, data, inside, map_view, on_request, shell, state, stats_charts, tables, trend_charts
from ui.text import md

INFO = im.Measure("sickness_rate", "Sickness absence rate", "rate", "FTE days lost", "FTE days available", ())
ENGLAND = sk.ENGLAND_CODE

ctx = st.session_state.get("ctx")
st.title("Sickness absence")
if ctx is None:
    state.show_url_notices()
    st.stop()
shell.synthetic_marker(ctx)


RANK_NOTE = ("Bars: sickness absence rate by system, highest first (lower is better). Grey ticks: each system's "
             "region average. Dotted dark grey line: England (all organisations, including national bodies outside "
             "any system).")


RANK_DESCRIPTION = ("Bar chart of every system's sickness absence rate, highest first. Its key figures are written "
                    "beside it, under the map.")


@st.cache_data(max_entries=32, show_spinner=False)
def figures(data_dir: str, snap: tuple, level: str, month: str, group: str, area: str) -> dict:
    """Everything the page draws for a month, staff group and system down to the funnel, plus the organisation
    tables: computed once per store snapshot (the files' identity: ui.data.snapshot) and selection, the charts'
    specs already converted (stable_spec, Arrow rows). py-spy of an open (issue 24): the Altair charts' to_dict, the
    hex layout and the rates over every organisation row were most of the 480 ms of server CPU each open took."""
    df = inside.sickness(Path(data_dir), level)
    cur = df[df["period_end"] == month]
    highlight = area if area != ENGLAND else None
    eng = sk.rates(cur, "england", group, level)
    table = sk.system_table(df, month, group, level)
    mt = pd.DataFrame({"code": table["code"], "name": table["name"], "region_code": table["region_code"],
                       "region_name": table["region_name"], "value": table["sickness_rate"],
                       "numerator": table["fte_days_lost"], "denominator": table["fte_days_available"],
                       "region_value": table["region_rate"], "england_value": table["england_rate"],
                       "rank": table["rank"]})
    mt["value_text"] = mt["value"].map(lambda x: im.fmt_value(x, "rate"))
    mt["numerator_text"] = mt["numerator"].map(lambda x: im.fmt_value(x, "count") if pd.notna(x) else "no data")
    mt["denominator_text"] = mt["denominator"].map(lambda x: im.fmt_value(x, "count") if pd.notna(x) else "no data")
    scale = im.colour_scale(mt["value"], "rate")
    eng_rate = float(eng["sickness_rate"].iloc[0]) if len(eng) else None
    what = "Sickness absence rate" if group == ALL_STAFF else f"Sickness absence rate, {group}"
    hexes = {**map_view.hex_spec(level), "datasets": {"hexes": map_view.hex_rows(
        mt, scale, "sickness_rate", level, highlight, info=INFO)}}

    def spec(chart) -> dict:
        return trend_charts.frozen(trend_charts.stable_spec(chart))
    out = {"table": table, "england_rate": eng_rate, "hexes": trend_charts.frozen(hexes),
           "legend": spec(map_view.legend_chart(scale, mt["value"].isna().any())),
           # the Map page's ranking (fixed spec, values on a top axis, no axis title to cut at 1366 px)
           "rank": trend_charts.frozen({**map_view.ranked_spec("rate", len(mt)),
                                        "datasets": map_view.ranked_rows(mt, scale, "sickness_rate", highlight,
                                                                         info=INFO)}),
           "rank_words": chart_text.ranking_description(mt, what, month, noun="systems", highlight=highlight,
                                                        england=eng_rate),
           "funnel": None, "funnel_problem": None,
           "bytype": sk.rates(cur, "org_type", group, level), "orgs": sk.rates(cur, "org", group, level)}
    try:
        view = sk.funnel_view(df, month, "area", group, level)
    except signals.SignalError as exc:
        out["funnel_problem"] = str(exc)
    else:
        out["funnel"] = spec(stats_charts.funnel_chart(view, f"Sickness absence rate by system, "
                                                             f"{shell.period_label(month)}", highlight=highlight))
        out["funnel_words"] = chart_text.funnel_description(view.units, view.result.target, what, month,
                                                            highlight=highlight)
        out["funnel_note"] = stats_charts.overdispersion_note(view)
    return out


@st.fragment
def sickness_body() -> None:
    notices = st.container()
    df = inside.sickness(ctx.data_dir, ctx.level)
    if df.empty:
        with notices:
            state.show_url_notices()
        st.info("No sickness absence figures are loaded. Load NHS Digital's monthly sickness absence CSV (columns "
                "DATE, ..., ORG_CODE, FTE_DAYS_LOST, FTE_DAYS_AVAILABLE) with `python -m lib ingest FILE --data-dir "
                "DIR`.", icon=":material/info:")
        return
    synthetic = bool((df["source"] == "demo").any())
    if synthetic:
        st.caption(":material/science: **Synthetic demo sickness absence figures** - not real figures for any system.")
    months = sorted(df["period_end"].unique())
    groups = [g for g in [ALL_STAFF, *sorted(set(df["staff_group"]) - {ALL_STAFF})] if g in set(df["staff_group"])]
    systems = [c for c in geography.areas(ctx.level)["code"]]
    names = ctx.area_names
    c1, c2, c3 = st.columns([2, 3, 2])
    month = state.selectbox("Month", "smonth", months[::-1], default=months[-1], format_func=shell.period_label,
                            container=c1, help="Sickness absence is published for its own months, apart from the "
                                               "turnover files, so it has its own month.")
    area = state.selectbox("System", "area", [ENGLAND, *systems], default=ENGLAND,
                           format_func=lambda c: "England" if c == ENGLAND else f"{names.get(c, c)} ({c})",
                           container=c2)
    group = state.selectbox("Staff group", "sgroup", groups, default=ALL_STAFF, container=c3) if len(groups) > 1 \
        else groups[0]
    with notices:
        state.show_url_notices()
    when = shell.period_label(month)

    fig = figures(str(ctx.data_dir), data.snapshot(ctx.data_dir), ctx.level, month, group, area)
    table, eng_rate = fig["table"], fig["england_rate"]
    what = "Sickness absence rate" if group == ALL_STAFF else f"Sickness absence rate, {group}"
    k = st.columns(3)
    k[0].metric(f"England, {when}", shell.pct(eng_rate) if eng_rate is not None else "-", border=True,
                help=sk.DEFINITION)
    if area != ENGLAND:
        r = table[table["code"] == area]
        if len(r) and pd.notna(r["sickness_rate"].iloc[0]):
            r = r.iloc[0]
            k[1].metric(f"{names.get(area, area)}", shell.pct(r["sickness_rate"]), border=True)
            n = int(table["sickness_rate"].notna().sum())
            k[2].metric(f"Rank among {n} systems (1 = highest absence)", f"{int(r['rank'])} of {n}", border=True,
                        help=f"Lower absence is better: 1 is the highest sickness absence rate, {n} the lowest.")
    own = calendar.own_date_text("Sickness absence", month, ctx.period)   # their own date, beside them
    st.caption(f"{own} {sk.DEFINITION}" if own else sk.DEFINITION)

    # ---- map and ranking
    st.subheader(f"Every system, {when}")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        # the hex cartogram in Vega-Lite, as on the Map page: the pydeck (WebGL) map was most of the 12-19 s this
        # page took to open in a browser without a GPU (the server's rerun takes 0.3 s: py-spy, bench/README.md)
        st.vega_lite_chart(spec={**fig["hexes"]}, key="sickness_hex", width="content")
        # the map page's height: without one the key's 'fit' autosize drew a title and no bands
        trend_charts.show(fig["legend"], "", "sickness_legend", downloads=False, height=map_view.LEGEND_HEIGHT_PX)
        # the key figures of both the map and the bars, under the map: beside the 42 bars, not under them (the
        # left column was 400 px shorter than the right one, an empty space at 1400 px)
        st.caption(f"{fig['rank_words']}  \n{RANK_NOTE}")
        map_view.hex_key(ctx.level)
    with right:
        # fixed words (figures in a spec would redraw the chart on every selection): the figures are under the map
        trend_charts.show({**fig["rank"], "description": RANK_DESCRIPTION}, f"sickness_rank_{month}", "sickness_rank",
                          export_title=f"Sickness absence rate by system, {when}")

    # ---- funnel
    st.subheader("Funnel plot: systems of different size")
    if fig["funnel"] is None:
        st.info(fig["funnel_problem"], icon=":material/info:")
    else:
        trend_charts.show(fig["funnel"], f"sickness_funnel_{month}", "sickness_funnel",
                          description=fig["funnel_words"])
        st.caption(fig["funnel_note"] + " Size = FTE days available.")

    # ---- trend and SPC
    label = "England" if area == ENGLAND else names.get(area, area)
    st.subheader(f"Over time: {label}")
    by = "england" if area == ENGLAND else "area"
    tr = sk.trend(df, area, by, group, ctx.level)
    if len(tr) >= 2:
        parts = [tr.assign(series=label, role="System" if area != ENGLAND else "England")]
        if area != ENGLAND:
            region = geography.area_lookup_regions(ctx.level).get(area, "")
            reg = sk.trend(df, region, "region", group, ctx.level)
            parts += [reg.assign(series=geography.REGIONS.get(region, region), role="Region"),
                      sk.trend(df, ENGLAND, "england", group, ctx.level).assign(series="England", role="England")]
        series = pd.concat(parts, ignore_index=True)
        series["value"] = series["sickness_rate"]
        series = series[["period", "series", "role", "value"]]
        trend_charts.show(trend_charts.trend_chart(series, "Sickness absence rate", selected=month, height=260,
                                                   axis_format=".2%"), f"sickness_trend_{area}", "sickness_trend",
                          description=chart_text.trend_description(series, what, period=month))
    try:
        spc_v = sk.chart_view(df, area, by, group, ctx.level)   # from 12 months XmR, below a run chart
    except signals.SignalError as exc:
        spc_v = None
        st.info(str(exc), icon=":material/info:")
    if isinstance(spc_v, signals.RunView):
        stats_charts.run_section(spc_v, f"Sickness absence rate: {label}", "sickness_rate", f"sickness_{area}")
    elif spc_v is not None:
        spc_title = f"Sickness absence rate: {label}"
        charts.show_chart(stats_charts.spc_chart(spc_v.chart, spc_title, measure="sickness_rate"),
                          f"sickness_spc_{area}", key="sickness_spc",
                          description=chart_text.spc_description(spc_v.chart, spc_v.summary, f"{spc_title}, {group}",
                                                                 percent=True,
                                                                 verdicts=signals.VERDICT,
                                                                 rule_words=signals.rule_words))
        for line in stats_charts.icon_words(spc_v.summary, "sickness_rate"):
            st.markdown(line)
        for n in spc_v.notes:
            st.warning(md(n), icon=":material/warning:")

    # ---- by organisation type and organisations
    st.subheader(f"By organisation type, {when}")
    bytype = fig["bytype"]
    # the one table style (ui.tables): rates as % with 2 decimals, days to 1 decimal place with separators
    tables.show(pd.DataFrame({"Organisation type": bytype["code"], "Organisations": bytype["n_organisations"],
                              "FTE days lost": bytype["fte_days_lost"],
                              "FTE days available": bytype["fte_days_available"],
                              "Sickness absence rate": bytype["sickness_rate"]}).sort_values(
        "Sickness absence rate", ascending=False), key="sickness_types")
    orgs = fig["orgs"]
    if area != ENGLAND:
        orgs = orgs[orgs["area_code"] == area]
        st.subheader(f"Organisations in {label}, {when}")
        box = st.container()
    else:  # every organisation in England: hundreds of rows, sent only when asked for (issue 24: the page was slow)
        st.subheader(f"Every organisation, {when}")
        box = on_request.section(f"Show every organisation in England ({len(orgs)}): table and downloads",
                                 on_request.SICKNESS_ORGS)
    if box is not None:
        with box:
            orgs = orgs.sort_values("sickness_rate", ascending=False)
            shown = pd.DataFrame({
                "Organisation": orgs["name"], "Code": orgs["code"], "Type": orgs["org_type"],
                "System": orgs["area_code"].map(lambda c: "outside any system" if c == SICKNESS_OUTSIDE_SYSTEMS
                                                else names.get(c, c)),
                "FTE days lost": orgs["fte_days_lost"], "FTE days available": orgs["fte_days_available"],
                "Sickness absence rate": orgs["sickness_rate"]})
            tables.show(shown, key="sickness_orgs")
            shell.downloads(shown, f"sickness_{area}_{month}", "sickness_dl",
                            notes=[f"{ctx.source_label}; sickness absence; month {month}; {group}", sk.DEFINITION,
                                   *(["SYNTHETIC demo figures - not real"] if synthetic else [])])
    if area != ENGLAND:
        inside.link_to_organisations(ctx, area)


sickness_body()
