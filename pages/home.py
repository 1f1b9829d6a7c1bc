"""Headlines: England and every system for the chosen period."""
from __future__ import annotations

import streamlit as st

from lib.insight import calendar, headlines, map_data as im
from ui import data, shell, state, stats_charts, tables

ctx = st.session_state.get("ctx")
st.title("NHS workforce headlines")
state.show_url_notices()
if ctx is None:
    st.stop()
shell.synthetic_marker(ctx)

m = data.metrics(ctx.data_dir, ctx.level)
eng = headlines.headline_figures(m, "ENG", ctx.period, ctx.previous_period, ctx.year_ago_period)
st.subheader(f"England, {ctx.systems_label}, month ending {shell.period_label(ctx.period)}")
cols = st.columns(5)
for col, fig in zip(cols, eng):
    col.metric(fig.label, fig.value_text, fig.delta_text, help=fig.help, border=True, **fig.delta_kwargs)
st.caption(calendar.comparison_caption(ctx.period, ctx.previous_period, ctx.year_ago_period) + " Rates are monthly. "
           + headlines.COMPARISON_NOTE)
if eng[-1].value is None:  # the turnover files carry no vacancies: say which file would fill the figure
    st.caption(f"Vacancy rate: {im.EMPTY_MEASURE_HELP['vacancy_rate']}")
shell.definition("fte", "headcount", "leaver_rate", "joiner_rate", "vacancy_rate")

st.subheader(headlines.systems_heading(ctx.level))
table = headlines.system_table(m, ctx.period)
# one table style (ui.tables): rates as % with 2 decimals, FTE 1 dp, widths that fit 1440 px without a side scroll
tables.show(table.drop(columns=["Code"]), column_config={
    "System": st.column_config.TextColumn("System", width="medium", help="Hover a name to read it in full; the "
                                          "download has the codes"),
    "Region": st.column_config.TextColumn("Region", width=115)})
shell.downloads(table, f"headlines_{ctx.level}_{ctx.period}", "home_table",
                notes=[f"{ctx.source_label}; {ctx.systems_label}; period ending {ctx.period}; rates monthly, FTE basis",
                       *([] if not ctx.synthetic else ["SYNTHETIC demo data - not real figures"])])

stats_charts.what_changed_summary(ctx)  # systems showing special cause this month (SPC rules)
