"""Headlines: England and every system for the chosen period."""
from __future__ import annotations

import streamlit as st

from lib.data import geography
from lib.insight import calendar, headlines, map_data as im
from ui import data, inside, on_request, shell, state, stats_charts, tables
from ui import my_system as my_system_ui

ctx = st.session_state.get("ctx")
st.title("NHS workforce headlines")
state.show_url_notices()
if ctx is None:
    st.stop()
shell.synthetic_marker(ctx)



@st.cache_data(max_entries=128, show_spinner=False)
def _england_view(figures: tuple, period: str, previous: str | None, year_ago: str | None) -> dict:
    # England's figures, its year line and every system's row for one month: computed once per data snapshot and
    # month, so a rerun no longer copies the whole metrics frame out of the cache and filters it (issue 25)
    return england_view(data.metrics_for(*figures), period, previous, year_ago)


def england_view(m, period: str, previous: str | None, year_ago: str | None) -> dict:
    return {"eng": headlines.headline_figures(m, "ENG", period, previous, year_ago),
            # the same month a year earlier, if loaded
            "year_line": (headlines.year_change_line(m, "ENG", period, year_ago) if year_ago != previous else None),
            "table": headlines.system_table(m, period)}


def my_system(code: str, how: str = "link") -> None:
    """A leader's landing (issue 24): ?area=CODE (checked against the known systems) opens on that system's
    summary, with England, the similar systems and which end is better beside each rate, and links onwards."""
    from lib.insight import peers
    m = data.metrics(ctx.data_dir, ctx.level)
    name = ctx.area_names.get(code, code)
    st.subheader(f"{inside.plain(name)}: summary, month ending {shell.period_label(ctx.period)}")
    if how == "remembered":   # said at the top: the plain address opened on a system, not England
        st.caption(":material/bookmark: Opened on the system this browser remembers; 'Forget this system', under the "
                   "summary, opens England again.")
    figs = headlines.headline_figures(m, code, ctx.period, ctx.previous_period, ctx.year_ago_period)
    row = st.container(horizontal=True)
    for fig in figs:
        row.metric(fig.label, fig.value_text, fig.delta_text, help=fig.help, border=True, **fig.delta_kwargs)
    st.caption(calendar.comparison_caption(ctx.period, ctx.previous_period, ctx.year_ago_period))
    parts = inside.peer_parts(ctx.data_dir, ctx.level, ctx.period)
    similar = [] if parts is None else list(peers.similar_systems(parts["profile"], code)["area_code"])
    lines = peers.comparison_lines(m, code, ctx.period, similar)
    if similar:
        lines.append("Similar systems (size, care-setting mix, region; the rule is on Data and definitions): "
                     + inside.plain("; ".join(ctx.area_names.get(c, c) for c in similar)) + ".")
    note = None if parts is None else inside.hosted_note(parts["hosted"], code, ctx.area_names)
    st.caption("  \n".join(lines) if lines else "No rates for this system in this month.")
    if note:
        st.caption(":material/local_hospital: " + note)
    links = st.container(horizontal=True)
    q = {"level": ctx.level, "period": ctx.period, "area": code}
    for target, label, icon in (("views/profile.py", "System profile", ":material/account_box:"),
                                ("views/turnover.py", "Turnover", ":material/sync_alt:"),
                                ("views/role_mix.py", "Role mix", ":material/donut_small:"),
                                ("views/what_if.py", "What-if studio", ":material/tune:")):
        links.page_link(target, label=label, icon=icon, query_params=q)
    my_system_ui.link_and_remember(code, inside.plain(name))
    st.divider()


def _open_system() -> None:
    st.query_params["area"] = st.session_state["my_system_pick"]


my_system_ui.write_pending()   # a Remember or Forget pressed on the last run: the cookie is set or cleared now
# ?area= (or ?system=) a system of the footprint shown, else the one this browser remembers, else England; checked
# against the footprint's list (never a path or a pattern); an old code says what it became (ui.state)
mine, how = my_system_ui.chosen(ctx.level)
if mine != "ENG":
    my_system(mine, how)
else:   # a leader's first visit: one choice opens their system's summary (and offers its link to bookmark)
    st.selectbox("Your system: open its summary", sorted(geography.area_codes(ctx.level),
                                                          key=lambda c: ctx.area_names.get(c, c)),
                 index=None, placeholder="Choose your system", key="my_system_pick", on_change=_open_system,
                 format_func=lambda c: ctx.area_names.get(c, c), width=420,
                 help="Opens this page on the system's summary, with a link to bookmark and a choice to remember it "
                      "on this browser")
state.show_url_notices()

try:
    view = _england_view(data.figures_key(ctx.data_dir, ctx.level), ctx.period, ctx.previous_period,
                         ctx.year_ago_period)
except Exception:  # noqa: BLE001 - store unreadable: metrics() serves the last good figures with a warning
    view = england_view(data.metrics(ctx.data_dir, ctx.level), ctx.period, ctx.previous_period, ctx.year_ago_period)
eng = view["eng"]
st.subheader(f"England, {ctx.systems_label}, month ending {shell.period_label(ctx.period)}")
cols = st.columns(5)
for col, fig in zip(cols, eng):
    col.metric(fig.label, fig.value_text, fig.delta_text, help=fig.help, border=True, **fig.delta_kwargs)
year_line = view["year_line"]
st.caption(calendar.comparison_caption(ctx.period, ctx.previous_period, ctx.year_ago_period) + " Rates are monthly. "
           + headlines.COMPARISON_NOTE + (f"  \n{year_line}" if year_line else ""))
if eng[-1].value is None:  # the turnover files carry no vacancies: say which file would fill the figure
    st.caption(f"Vacancy rate: {im.EMPTY_MEASURE_HELP['vacancy_rate']}")
else:                      # the vacancy figure's own date and source, beside it
    st.caption(calendar.own_date_line(calendar.VACANCIES, ctx.period, calendar.VACANCY_TEMPLATE_SOURCE))
shell.definition("fte", "headcount", "leaver_rate", "joiner_rate", "vacancy_rate")

st.subheader(headlines.systems_heading(ctx.level))
table = view["table"]
# how the systems compare without the table: drawing the data grid of every system was most of a first visit's
# browser time (issue 25, bench/README.md), so the table and its downloads come on request, as on Turnover
spread = headlines.leaver_rate_range_line(table, name=inside.plain)
if spread:
    st.caption(spread)
box = on_request.section(on_request.TABLE_LABEL, on_request.HEADLINES_TABLE)
if box is not None:
    with box:
        # one table style (ui.tables): rates as % with 2 decimals, FTE 1 dp, widths that fit 1440 px without a side
        # scroll
        tables.show(table.drop(columns=["Code"]), column_config={
            "System": st.column_config.TextColumn("System", width="medium", help="Hover a name to read it in full; "
                                                  "the download has the codes"),
            "Region": st.column_config.TextColumn("Region", width=115)})
        shell.downloads(table, f"headlines_{ctx.level}_{ctx.period}", "home_table",
                        notes=[f"{ctx.source_label}; {ctx.systems_label}; period ending {ctx.period}; rates monthly, "
                               "FTE basis", *([] if not ctx.synthetic else ["SYNTHETIC demo data - not real figures"])])

stats_charts.what_changed_summary(ctx)  # systems showing special cause this month (SPC rules)
