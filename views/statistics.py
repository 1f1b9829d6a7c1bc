"""Signal or noise: one system's SPC chart, a funnel plot across systems, and what changed this month."""
from __future__ import annotations

import streamlit as st

from lib.insight import chart_text
from lib.stats import signals
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from ui import charts, data, shell, state, stats_charts

ctx = st.session_state.get("ctx")
st.title("Signal or noise")
state.show_url_notices()
if ctx is None:
    st.stop()
shell.synthetic_marker(ctx)
st.caption("Is a change real or the usual ups and downs? SPC charts follow one system over time; funnel plots "
           "compare systems of different sizes in one month.")

m = data.metrics(ctx.data_dir, ctx.level)
names = ctx.area_names
systems = sorted(names, key=lambda c: names[c])
area_options = [signals.ENGLAND, *systems]
loaded = set(m["staff_group"].unique())  # once: inside the comprehension it walked every row per staff group
groups = [g for g in STAFF_GROUP_ORDER if g in loaded] or [ALL_STAFF]
figures = data.figures_key(ctx.data_dir, ctx.level)  # m's identity: the charts' views are cached on it


@st.cache_data(max_entries=128, show_spinner=False)
def _funnel_view(figures: tuple, group: str, measure: str, period: str) -> signals.FunnelView:
    # once per data snapshot and selection (a SignalError is raised, not cached)
    return signals.funnel_view(data.metrics_for(*figures), figures[2], group, measure, period)


@st.cache_data(max_entries=128, show_spinner=False)
def _funnel_chart(figures: tuple, group: str, measure: str, period: str, title: str, highlight: str | None):
    # the Altair chart built once per selection (its layers took ~60 ms a rerun, py-spy); a copy comes back each time
    return stats_charts.funnel_chart(_funnel_view(figures, group, measure, period), title, highlight=highlight)


def funnel_chart(view: signals.FunnelView, group: str, measure: str, title: str, highlight: str | None):
    try:
        return _funnel_chart(figures, group, measure, ctx.period, title, highlight)
    except Exception:  # noqa: BLE001 - store unreadable: the view in hand holds the last good figures
        return stats_charts.funnel_chart(view, title, highlight=highlight)


def funnel_view(group: str, measure: str) -> signals.FunnelView:
    try:
        return _funnel_view(figures, group, measure, ctx.period)
    except signals.SignalError:
        raise
    except Exception:  # noqa: BLE001 - store unreadable: m holds the last good figures (metrics() warned)
        return signals.funnel_view(m, ctx.level, group, measure, ctx.period)

c1, c2, c3 = st.columns([1, 2, 2])
with c1:
    measure = state.selectbox("Measure", "measure", list(signals.MEASURE_KEYS), default="leaver_rate",
                              format_func=lambda k: signals.MEASURES[k].label)
with c2:
    area = state.selectbox("System", "area", area_options, default=signals.ENGLAND,
                           format_func=lambda c: "England" if c == signals.ENGLAND else f"{names[c]} ({c})")
with c3:
    group = state.selectbox("Staff group", "group", groups, default=ALL_STAFF)
state.show_url_notices()
mdef = signals.MEASURES[measure]
area_name = "England" if area == signals.ENGLAND else names[area]

# --- SPC -------------------------------------------------------------------------------------------------
st.subheader(f"Over time: {area_name}")
st.caption(f"Monthly {mdef.label.lower()} up to {shell.period_label(ctx.period)} (the sidebar's period), "
           f"{ctx.systems_label}, FTE basis.")
stats_charts.spc_section(m, area, group, measure, until=ctx.period, key="stats_spc", cache_key=figures[1:5])
shell.definition(measure)
with st.expander("How to read an SPC chart"):
    st.markdown(stats_charts.HOW_TO_READ_SPC)

# --- Funnel ----------------------------------------------------------------------------------------------
st.subheader(f"Across systems: {shell.period_label(ctx.period)}")
if not mdef.is_rate:
    st.info(f"{mdef.label} is a count, not a rate, so systems of different sizes cannot be compared on a funnel "
            "plot. Choose leaver, joiner or vacancy rate.", icon=":material/info:")
else:
    try:
        view = funnel_view(group, measure)
    except signals.SignalError as exc:
        st.info(str(exc), icon=":material/info:")
        view = None
    if view is not None:
        title = f"{mdef.label}, {group}: {len(view.units)} systems ({ctx.systems_label}), {shell.period_label(ctx.period)}"
        charts.show_chart(funnel_chart(view, group, measure, title, None if area == signals.ENGLAND else area),
                          f"funnel_{ctx.level}_{measure}_{ctx.period}",
                          key="stats_funnel", description=chart_text.funnel_description(
                              view.units, view.result.target, mdef.label, ctx.period,
                              highlight=None if area == signals.ENGLAND else area))
        pooled = stats_charts.value_text(measure, view.result.target)
        st.markdown(f"Pooled rate across systems (the centre line): **{pooled}**. "
                    + stats_charts.overdispersion_note(view))
        out = view.outliers
        if out.empty:
            st.markdown("**No outliers:** every system is within the 99.8% limits for its size.")
        else:
            better = {"decrease": "below", "increase": "above"}.get(mdef.direction)
            items = []
            for r in out.itertuples():
                how = ("better than expected" if better and r.side.startswith(better) else
                       "worse than expected" if better else r.side.split(" ")[0] + " the limits")
                items.append(f"- **{r.area_name}** ({r.area_code}): {stats_charts.value_text(measure, r.rate)}, "
                             f"{how} ({r.side})")
            st.markdown(f"**Outliers (outside the 99.8% limits): {len(out)}**\n" + "\n".join(items))
        for note in view.notes:
            st.caption(note)
        with st.expander("Funnel table and downloads"):
            table = signals.funnel_table(view)
            pct_cols = [mdef.label, "95% lower", "95% upper", "99.8% lower", "99.8% upper"]
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="percent") for c in pct_cols}
                         | {c: st.column_config.NumberColumn(format="localized")
                            for c in ("Numerator (FTE)", "Denominator (FTE)")})
            shell.downloads(table, f"funnel_{ctx.level}_{measure}_{ctx.period}", "stats_funnel_dl",
                            notes=[title, f"Pooled rate across systems (the centre line): {pooled}",
                                   stats_charts.overdispersion_note(view),
                                   "Limits as the FunnelPlotR R package sets them (see Data and definitions)"])
with st.expander("Why funnel plots, not league tables"):
    st.markdown(stats_charts.HOW_TO_READ_FUNNEL)

# --- What changed ------------------------------------------------------------------------------------------
st.divider()
stats_charts.what_changed_summary(ctx, staff_group=group, key="stats_changed")
if ctx.synthetic:
    st.caption("The demo data are synthetic with steady national trends built in, so many systems show the "
               "same signals; real extracts are noisier.")
st.caption(f"{ctx.systems_label}. At system level leavers are summed over organisations, "
           "so moves between organisations inside a system count as leavers and joiners.")
