"""Turnover: leaver and joiner rates over time for a system (or region, or England) and staff group against
its region and England, leavers and joiners side by side with the net change, and every system for the period."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.insight import chart_text, trends
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from ui import data, inside, on_request, shell, state, stats_charts, tables, trend_charts

BASIS_LABELS = {"fte": "FTE", "hc": "Headcount"}
WINDOW_LABELS = {"month": "Monthly", "12m": "12-month rolling"}
PEER_MEASURES = ("leaver_rate", "joiner_rate", "leaver_rate_12m", "joiner_rate_12m")  # rows with a figure shown

ctx = st.session_state.get("ctx")
st.title("Turnover: leavers and joiners")
if ctx is None:
    state.show_url_notices()
    st.stop()


def turnover_view(m: pd.DataFrame, level: str, basis: str, area: str, group: str, period: str, window: str) -> dict:
    """Everything the page draws for one selection, computed from the metrics frame (with rolling columns)."""
    if m.empty or not m["leaver_rate"].notna().any():
        return {"empty": True}
    cur = m[(m["area_code"] == area) & (m["period"] == period) & (m["staff_group"] == group)]
    suffix = "" if window == "month" else "_12m"
    wlabel = "monthly" if window == "month" else "12-month rolling"
    charts, descriptions = {}, {}
    for kind in ("leaver", "joiner"):
        measure = f"{kind}_rate{suffix}"
        title = f"{kind.capitalize()} rate ({wlabel})"
        series = trends.trend(m, level, area, group, [measure], {measure: title})
        descriptions[kind] = chart_text.trend_description(series, title, period=period)
        charts[kind] = (title, trend_charts.trend_chart(series, title, percent=True, selected=period, height=240)
                        if series["value"].notna().any() else None)
    fl = trends.flows(m, area, group, basis)
    unit = trends.BASIS_UNITS[basis]
    descriptions["flows"] = chart_text.flows_description(fl, trends.area_label(level, area), unit, period)
    return {"empty": False, "cur": cur.iloc[0].to_dict() if len(cur) else None, "charts": charts,
            "descriptions": descriptions,
            "flows": None if fl.empty else trend_charts.flows_chart(fl, unit, selected=period),
            "table": trends.turnover_table(m, level, period, group, basis)}


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_view(figures: tuple, area: str, group: str, period: str, window: str) -> dict:
    # computed once per data snapshot and selection; a repeat is served without touching the metrics frame
    view = turnover_view(data.metrics_for(*figures), figures[2], figures[3], area, group, period, window)
    if not view["empty"]:  # rows converted to Arrow once, not on every rerun
        view["charts"] = {k: (t, spec and trend_charts.frozen(spec)) for k, (t, spec) in view["charts"].items()}
        view["flows"] = view["flows"] and trend_charts.frozen(view["flows"])
    return view


# Page controls rerun only this fragment, not the whole app and its sidebar (the sidebar period reruns all).
@st.fragment
def turnover_body() -> None:
    # one row of controls: a horizontal container is one element where columns were four (issue 16: every element
    # is re-sent and redrawn on each change)
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    area = state.selectbox("System, region or England", "area", trends.area_choices(ctx.level),
                           format_func=lambda c: trends.area_label(ctx.level, c), container=row)
    group = state.selectbox("Staff group", "group", STAFF_GROUP_ORDER, default=ALL_STAFF, container=row)
    basis = state.radio("Count", "basis", list(BASIS_LABELS), default="fte", format_func=BASIS_LABELS.get,
                        container=row, help="FTE (default, as NHS Digital reports) or headcount")
    state.show_url_notices()
    shell.synthetic_marker(ctx)
    inside.link_to_organisations(ctx, area, group)
    unit = trends.BASIS_UNITS[basis]
    label = trends.area_label(ctx.level, area)
    when = shell.period_label(ctx.period)
    st.caption(f"{trends.MONTHLY_NOTE} {trends.SYSTEM_FLOWS_NOTE} Counts and rates on a {unit} basis.")

    # the Rates radio is drawn below the headline figures; its value (session, else the link) picks the view now
    wanted = st.session_state.get("url_window")
    if wanted not in WINDOW_LABELS:
        wanted = state.url_value("window", list(WINDOW_LABELS), "month")
    figures = data.figures_key(ctx.data_dir, ctx.level, basis, rolling=True)

    def fetch(window: str) -> dict:
        try:
            return _cached_view(figures, area, group, ctx.period, window)
        except Exception:  # noqa: BLE001 - store unreadable: last good figures, with the warning metrics() shows
            return turnover_view(data.metrics_with_rolling(ctx.data_dir, ctx.level, basis=basis), ctx.level, basis,
                                 area, group, ctx.period, window)
    view = fetch(wanted)
    if view["empty"]:
        st.info("No leaver or joiner figures are loaded. Load NHS Digital's 'Turnover benchmarking 2' monthly CSV with "
                "`python -m lib ingest FILE --data-dir DIR`.", icon=":material/info:")
        return

    u = "fte" if basis == "fte" else "hc"
    st.subheader(f"{label}: {group}, month ending {when}")
    if view["cur"] is None:
        st.info(f"No turnover figures for {label}, {group}, in the month ending {when}. Choose another staff group, "
                "area or period.", icon=":material/info:")
    else:
        r = view["cur"]
        k = st.container(horizontal=True)  # one row of five figures: one element where columns were six
        k.metric(f"Leavers ({unit})", shell.num(r[f"leavers_{u}"], 1), border=True)
        k.metric(f"Joiners ({unit})", shell.num(r[f"joiners_{u}"], 1), border=True)
        net = float(r[f"joiners_{u}"]) - float(r[f"leavers_{u}"])  # NaN (hidden or unknown) stays NaN, never 0
        k.metric(f"Net change ({unit})", f"{net:+,.1f}" if net == net else shell.num(net, 1), border=True,
                    help="Joiners minus leavers in the month")
        k.metric("Leaver rate (monthly)", shell.pct(r["leaver_rate"]), border=True)
        rolling_ok = r["leaver_rate_12m"] == r["leaver_rate_12m"]
        k.metric("12-month leaver rate", shell.pct(r["leaver_rate_12m"]) if rolling_ok
                    else "n/a", border=True, help=trends.ROLLING_NOTE)
        if not rolling_ok:
            st.caption(f"12-month leaver rate: {trends.rolling_need(ctx.periods, ctx.period)}")
        # beside England: the similar systems' quartiles, and hosted regional services named (issue 24)
        inside.rates_against_peers(ctx, figures, area, group, PEER_MEASURES, key="turnover_peers",
                                   title=f"{label} against similar systems and England, month ending {when} ({unit})")

    st.subheader("Leaver and joiner rates over time")
    window = state.radio("Rates", "window", list(WINDOW_LABELS), default="month", format_func=WINDOW_LABELS.get)
    if window != wanted:  # the radio corrected a bad value: fetch that view
        view = fetch(window)
    charts = view["charts"]
    for kind in ("leaver", "joiner"):
        title, spec = charts[kind]
        st.markdown(f"**{title}**")
        if spec is not None:
            trend_charts.show(spec, f"{kind}_rate_{window}_{ctx.level}_{area}", f"turnover_{kind}_trend",
                              description=view["descriptions"][kind])
        else:
            st.info("Not enough loaded months for this view. " + trends.rolling_need(ctx.periods, ctx.period)
                    if window == "12m" else "No figures for this selection.", icon=":material/info:")
    if window == "12m":
        st.caption(trends.ROLLING_NOTE)
    shell.definition("leaver_rate", "joiner_rate", key="turnover_definitions")

    # SPC view: signal or noise for the leaver rate (built only while its expander is open; the frame is read
    # only then)
    stats_charts.spc_on_request("Signal or noise? SPC chart of the monthly leaver rate",
                                lambda: data.metrics_with_rolling(ctx.data_dir, ctx.level, basis=basis), area, group,
                                "leaver_rate", until=ctx.period, key="turnover_spc", cache_key=figures[1:5])

    st.subheader(f"Leavers and joiners each month, and net change ({unit})")
    if view["flows"] is None:
        st.info("No leaver or joiner counts for this selection.", icon=":material/info:")
    else:
        trend_charts.show(view["flows"], f"flows_{ctx.level}_{area}", "turnover_flows",
                          description=view["descriptions"]["flows"],
                          note=f"Net change = joiners - leavers in the month ({unit}). It differs from the change in "
                               "staff in post, which also moves when existing staff change hours.")

    # every system's figures: built and sent only when asked for (the 42-row table was the page's largest browser
    # cost on every change); opened once, it stays open for the session
    box = on_request.system_table(when, group, on_request.TURNOVER_TABLE, view["table"])
    if box is None:
        return
    with box:
        table = view["table"]
        # one table style (ui.tables): rates 2 dp, FTE 1 dp with separators, headcount whole
        net_fmt = "%+,.1f" if basis == "fte" else "%+,d"
        # On screen: the columns a reader compares, with short headings, so the table fits 1440 px without
        # sideways scrolling; the download keeps every column (code, staff in post at start, staff group).
        on_screen = table.drop(columns=["Code", "Region", "Staff group", f"Staff in post at start ({unit})"])
        tables.show(on_screen, key="turnover_table", column_config={  # names whole, and kept in view when scrolled
            "System": st.column_config.TextColumn("System", width=tables.name_width_px(table["System"]),
                                                  pinned=True),
            f"Leavers ({unit})": st.column_config.NumberColumn("Leavers", width="small"),
            f"Joiners ({unit})": st.column_config.NumberColumn("Joiners", width="small"),
            f"Net change ({unit}, joiners - leavers)": st.column_config.NumberColumn(
                "Net change", format=net_fmt, width=85, help="Joiners minus leavers"),
            "Leaver rate (monthly)": st.column_config.NumberColumn("Leaver rate", width=82),
            "Joiner rate (monthly)": st.column_config.NumberColumn("Joiner rate", width=82),
            "Leaver rate (12-month rolling)": st.column_config.NumberColumn(
                "Year leaver rate", width=108, help="12 months to the month shown (rolling)"),
            "Joiner rate (12-month rolling)": st.column_config.NumberColumn(
                "Year joiner rate", width=108, help="12 months to the month shown (rolling)"),
            f"Staff in post at end ({unit})": st.column_config.NumberColumn("Staff in post", width=90)})
        st.caption(f"Figures in {unit}; rates are for the month and for 12 months. The download adds each "
                   "system's code, region and staff in post at the start.  \nClick a column heading to sort. "
                   + trends.SYSTEM_FLOWS_NOTE)
        shell.downloads(table, f"turnover_{ctx.level}_{ctx.period}_{basis}", "turnover_dl",
                        notes=[f"{ctx.source_label}; {ctx.systems_label}; month ending {ctx.period}; "
                               f"staff group {group}; {unit} basis", trends.MONTHLY_NOTE, trends.ROLLING_NOTE,
                               trends.SYSTEM_FLOWS_NOTE,
                               *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else [])])


turnover_body()
