"""Headlines: England and every system for the chosen period."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.insight import headlines, map_data as im
from lib.data.schema import ALL_STAFF
from ui import data, shell, state, stats_charts

ctx = st.session_state.get("ctx")
st.title("NHS workforce headlines")
state.show_url_notices()
if ctx is None:
    st.stop()
shell.synthetic_marker(ctx)

m = data.metrics(ctx.data_dir, ctx.level)
eng = headlines.headline_figures(m, "ENG", ctx.period, ctx.previous_period, ctx.year_ago_period)
st.subheader(f"England, {ctx.level} data, month ending {shell.period_label(ctx.period)}")
cols = st.columns(5)
for col, fig in zip(cols, eng):
    col.metric(fig.label, fig.value_text, fig.delta_text, delta_color=fig.delta_color, help=fig.help,
               border=True)
st.caption("Change shown against the previous month; rates are monthly. " + headlines.COMPARISON_NOTE)
if eng[-1].value is None:  # the turnover files carry no vacancies: say which file would fill the figure
    st.caption(f"Vacancy rate: {im.EMPTY_MEASURE_HELP['vacancy_rate']}")
shell.definition("fte", "headcount", "leaver_rate", "joiner_rate", "vacancy_rate")

st.subheader(f"All {len(ctx.area_names)} systems")
table = headlines.system_table(m, ctx.period)
st.dataframe(
    table, hide_index=True, width="stretch",
    column_config={
        "Leaver rate": st.column_config.NumberColumn(format="percent"),
        "Joiner rate": st.column_config.NumberColumn(format="percent"),
        "Vacancy rate": st.column_config.NumberColumn(format="percent"),
        "FTE": st.column_config.NumberColumn(format="localized"),
        "Headcount": st.column_config.NumberColumn(format="localized"),
        "Vacancy FTE": st.column_config.NumberColumn(format="localized"),
    },
)
shell.downloads(table, f"headlines_{ctx.level}_{ctx.period}", "home_table",
                notes=[f"{ctx.source_label}; {ctx.level}; period ending {ctx.period}; rates monthly, FTE basis",
                       *([] if not ctx.synthetic else ["SYNTHETIC demo data - not real figures"])])

stats_charts.what_changed_summary(ctx)  # systems showing special cause this month (SPC rules)
