"""Vacancies: vacancy rate over time for a system (or region, or England) and staff group against its region
and England, then every system for the chosen period."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.insight import calendar, chart_text, coverage, trends
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from ui import data, inside, on_request, shell, state, stats_charts, tables, trend_charts

ctx = st.session_state.get("ctx")
st.title("Vacancies")
if ctx is None:
    state.show_url_notices()
    st.stop()


def vacancy_view(m: pd.DataFrame, level: str, area: str, group: str, period: str) -> dict:
    """Everything the page draws for one selection, computed from the metrics frame."""
    if m.empty or not m["vacancy_rate"].notna().any():
        return {"empty": True}
    cur = m[(m["area_code"] == area) & (m["period"] == period) & (m["staff_group"] == group)]
    eng = m[(m["area_code"] == "ENG") & (m["period"] == period) & (m["staff_group"] == group)]
    series = trends.trend(m, level, area, group, ["vacancy_rate"], {"vacancy_rate": "Vacancy rate"})
    return {"empty": False, "cur": cur.iloc[0].to_dict() if len(cur) else None,
            "eng": eng.iloc[0].to_dict() if len(eng) else None,
            "eng_rate": eng["vacancy_rate"].iloc[0] if len(eng) else None,
            "description": chart_text.trend_description(series, "Vacancy rate", period=period),
            "chart": trend_charts.trend_chart(series, "Vacancy rate", percent=True, selected=period)
            if series["value"].notna().any() else None,
            "table": trends.vacancy_table(m, level, period, group)}


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_view(figures: tuple, area: str, group: str, period: str) -> dict:
    # computed once per data snapshot and selection; a repeat is served without touching the metrics frame
    view = vacancy_view(data.metrics_for(*figures), figures[2], area, group, period)
    if not view["empty"] and view["chart"] is not None:
        view["chart"] = trend_charts.frozen(view["chart"])  # rows converted to Arrow once, not on every rerun
    return view


def england_published_rates() -> None:
    """England's published vacancy rates, where the what-if studio uses them for want of system figures (issue 24:
    on real data no vacancy figure was shown anywhere while the studio silently used these)."""
    from lib.whatif.studio import NATIONAL_VACANCY_SOURCE, national_vacancy_table, vacancy_date_line
    t = national_vacancy_table()
    if t.empty:
        return
    st.subheader("England's published vacancy rates")
    st.caption(vacancy_date_line())   # their own date, beside them (not the month chosen in the sidebar)
    st.caption(f"Source: {NATIONAL_VACANCY_SOURCE}. England figures, not any system's: the what-if studio applies "
               "them to a system's staff in post as its starting gap while no vacancy file is loaded, and says so "
               "there. A system's own figures need the vacancy template (Data and definitions).")
    tables.show(t, key="vacancy_england_published")   # rates as % with 2 decimals, the one table style


# Page controls rerun only this fragment, not the whole app and its sidebar (the sidebar period reruns all).
@st.fragment
def vacancy_body() -> None:
    row = st.container(horizontal=True, gap="medium")  # one element where two columns were three (issue 16)
    area = state.selectbox("System, region or England", "area", trends.area_choices(ctx.level),
                           format_func=lambda c: trends.area_label(ctx.level, c), container=row)
    group = state.selectbox("Staff group", "group", STAFF_GROUP_ORDER, default=ALL_STAFF, container=row)
    state.show_url_notices()
    shell.synthetic_marker(ctx)
    inside.link_to_organisations(ctx, area)
    label = trends.area_label(ctx.level, area)
    when = shell.period_label(ctx.period)

    figures = data.figures_key(ctx.data_dir, ctx.level)
    try:
        view = _cached_view(figures, area, group, ctx.period)
    except Exception:  # noqa: BLE001 - store unreadable: last good figures, with the warning metrics() shows
        view = vacancy_view(data.metrics(ctx.data_dir, ctx.level), ctx.level, area, group, ctx.period)
    if view["empty"]:
        st.info("No vacancy figures are loaded for this data. Vacancies below region level come from the Provider "
                "Workforce Return: download the vacancy template on **Data and definitions**, fill it from your "
                "extract and load it with `python -m lib ingest FILE --data-dir DIR`.", icon=":material/info:")
        england_published_rates()
        return

    # Headline figures for the chosen area and period
    eng_rate = view["eng_rate"]
    st.subheader(f"{label}: {group}, month ending {when}")
    cur = None if view["cur"] is None else pd.Series(view["cur"])
    if cur is not None and pd.isna(cur["vacancy_rate"]) and pd.notna(cur.get("vacancy_orgs")):
        st.warning(f"No vacancy rate for {label}, {group}: {coverage.coverage_text(cur)}. "
                   + coverage.COVERAGE_RULE, icon=":material/rule:")
    elif cur is None or pd.isna(cur["vacancy_rate"]):
        st.info(f"No vacancy figure for {label}, {group}, in the month ending {when}. Choose another staff group, "
                "area or period.", icon=":material/info:")
    else:
        r = cur
        k = st.container(horizontal=True)  # one row of four figures: one element, not five
        k.metric("Vacancy rate", shell.pct(r["vacancy_rate"]), border=True,
                  help="Vacancy FTE / (vacancy FTE + staff in post FTE)")
        k.metric("Vacancy FTE", shell.num(r["vacancy_fte"], 1), border=True)
        k.metric("Staff in post FTE", shell.num(r["fte"], 1), border=True)
        k.metric("England vacancy rate", shell.pct(eng_rate) if eng_rate is not None else "-", border=True)
        st.caption(calendar.own_date_line(calendar.VACANCIES, ctx.period, calendar.VACANCY_TEMPLATE_SOURCE))
        # coverage beside every rate built from partial figures (a region or England: covered systems only)
        shown = [(r, trends.area_kind(area) != trends.SYSTEM)] + (
            [(pd.Series(view["eng"]), True)] if view["eng"] is not None else [])
        for row, aggregate in shown:
            if pd.notna(row.get("vacancy_orgs")) and (aggregate or not bool(row.get("vacancy_covered"))):
                st.caption(f"{row['area_name']}: {coverage.coverage_text(row, aggregate=aggregate)}.")

    st.subheader("Vacancy rate over time")
    if view["chart"] is not None:
        trend_charts.show(view["chart"], f"vacancy_rate_{ctx.level}_{area}", "vacancy_trend",
                          description=view["description"],
                          note=f"{label} against {'its region and ' if trends.area_kind(area) == trends.SYSTEM else ''}"
                               "England; regions and England are ratios of summed vacancies and staff in post. The "
                               "orange line marks the chosen period.")
    else:
        st.info("No vacancy figures over time for this selection.", icon=":material/info:")
    shell.definition("vacancy_rate", "fte", key="vacancy_definitions")

    # SPC view: signal or noise for this series (built only while its expander is open; the frame is read only then)
    stats_charts.spc_on_request("Signal or noise? SPC chart of the vacancy rate",
                                lambda: data.metrics(ctx.data_dir, ctx.level), area, group, "vacancy_rate",
                                until=ctx.period, key="vacancy_spc", cache_key=figures[1:5])

    # every system's figures: built and sent only when asked for (see ui.on_request)
    box = on_request.system_table(when, group, on_request.VACANCY_TABLE, view["table"])
    if box is None:
        return
    with box:
        table = view["table"]
        tables.show(table, key="vacancy_table", column_config={  # one table style: rates 2 dp, FTE 1 dp
            "System": st.column_config.TextColumn("System", width="large", pinned=True),
            "Difference from England (percentage points)": st.column_config.NumberColumn(format="%+.2f")})
        st.caption("Click a column heading to sort. England's vacancy rate: "
                   f"{shell.pct(eng_rate) if eng_rate is not None else '-'}.")
        shell.downloads(table, f"vacancies_{ctx.level}_{ctx.period}", "vacancy_dl",
                        notes=[f"{ctx.source_label}; {ctx.systems_label}; month ending {ctx.period}; "
                               f"staff group {group}",
                               "Vacancy rate = vacancy FTE / (vacancy FTE + staff in post FTE)",
                               *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else [])])


vacancy_body()
