"""Role mix: each system's FTE share by staff group against England's, the groups it has more or fewer of than
expected for its size, and how its mix has changed over time."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.insight import chart_text, trends
from lib.data.schema import ALL_STAFF
from ui import data, inside, on_request, shell, state, stats_charts, tables, trend_charts

ctx = st.session_state.get("ctx")
st.title("Role mix")
if ctx is None:
    state.show_url_notices()
    st.stop()


def area_parts(m: pd.DataFrame, level: str, area: str, period: str, first: str) -> dict:
    """What the page draws for an area and period (not the group followed), from the metrics frame."""
    if m.empty or not m["fte_share"].notna().any():
        return {"empty": True}
    label = trends.area_label(level, area)
    expected = trends.expected_mix(m, area, period)
    over = trends.mix_over_time(m, level, area)
    mix = trends.mix_vs_england(m, level, period)
    out = {"empty": False, "expected": expected, "over_empty": over.empty, "mix_empty": mix.empty}
    if not expected.empty and area != "ENG":
        out["mix_bars"] = trend_charts.stable_spec(trend_charts.mix_bars(expected, label))
        out["mix_description"] = chart_text.mix_description(expected, label, period)
        out["expected_chart"] = trend_charts.stable_spec(trend_charts.expected_chart(expected))
        out["expected_description"] = chart_text.expected_description(expected, label, period)
    if not over.empty:
        out["multiples"] = trend_charts.stable_spec(trend_charts.mix_small_multiples(over, trends.GROUPS))
        out["multiples_description"] = chart_text.mix_over_time_description(over)
        out["change"] = trends.mix_change(m, area, first, period)
    if not mix.empty:
        out["heatmap"] = trend_charts.stable_spec(trend_charts.mix_heatmap(mix, trends.GROUPS))
        out["heatmap_description"] = chart_text.heatmap_description(mix, period)
        wide = (mix.pivot_table(index=["area_code", "area_name"], columns="staff_group", values="diff_pts")
                .reindex(columns=[g for g in trends.GROUPS if g in set(mix["staff_group"])]).reset_index()
                .rename(columns={"area_code": "Code", "area_name": "System"}).sort_values("System", ignore_index=True))
        wide.columns.name = None
        out["wide"] = wide
    return out


def group_chart(m: pd.DataFrame, level: str, area: str, group: str, period: str) -> dict:
    series = trends.trend(m, level, area, group, ["fte_share"], {"fte_share": "Share of FTE"})
    spec = trend_charts.trend_chart(series, "Share of FTE", selected=period, height=260, axis_format=".2%")
    return {**spec, "description": chart_text.trend_description(series, f"{group} share of FTE", period=period)}


# computed once per data snapshot and selection; a repeat is served without touching the metrics frame
@st.cache_data(max_entries=128, show_spinner=False)
def _cached_area_parts(figures: tuple, area: str, period: str, first: str) -> dict:
    parts = area_parts(data.metrics_for(*figures), figures[2], area, period, first)
    for k in ("mix_bars", "expected_chart", "multiples", "heatmap"):  # rows converted to Arrow once
        if k in parts:
            parts[k] = trend_charts.frozen(parts[k])
    return parts


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_group_chart(figures: tuple, area: str, group: str, period: str) -> dict:
    return trend_charts.frozen(group_chart(data.metrics_for(*figures), figures[2], area, group, period))


def fair_comparisons(area: str, label: str, when: str, export_notes: list[str]) -> None:
    """Hosted regional services marked (and the mix without them), and the similar systems' quartiles beside
    England (issue 24: South East London's ambulance staff were London Ambulance Service's, which serves all of
    London)."""
    from lib.insight import peers
    parts = inside.peer_parts(ctx.data_dir, ctx.level, ctx.period)
    if parts is None or area not in ctx.area_names:
        return
    note = inside.hosted_note(parts["hosted"], area, ctx.area_names)
    if note:   # the warning itself is under the page's heading (hosted_warning); here the mix without them
        if st.toggle(peers.HOSTED_SWITCH, key="mix_no_hosted"):
            shown = trends.expected_mix(parts["without_hosted"], area, ctx.period)
            st.markdown(f"**{label} without hosted regional services: more or fewer than expected (FTE)**")
            tables.show(shown, key="mix_expected_nohost_table", column_config={
                "Difference (FTE)": st.column_config.NumberColumn(format="%+,.1f"),
                "Difference (percentage points)": st.column_config.NumberColumn(format="%+.2f")})
            on_request.table_downloads(shown, f"role_mix_without_hosted_{ctx.level}_{area}_{ctx.period}",
                                       "mix_nohost_dl", notes=[*export_notes, peers.HOSTED_RULE])
    similar = peers.similar_systems(parts["profile"], area)
    if similar.empty:
        return
    names = [ctx.area_names.get(c, c) for c in similar["area_code"]]
    st.markdown(f"**{label} against similar systems and England, month ending {when}**")
    st.caption(f"Similar systems (closest in size, care-setting mix and region; Data and definitions says the rule): "
               f"{inside.plain('; '.join(names))}.")
    m = data.metrics(ctx.data_dir, ctx.level)
    table = peers.mix_with_peers(m, area, ctx.period, list(similar["area_code"]))
    tables.show(table, key="mix_peers_table")   # shares as % with 2 decimals, the one table style
    on_request.table_downloads(table, f"role_mix_similar_{ctx.level}_{area}_{ctx.period}", "mix_peers_dl",
                               notes=[*export_notes, peers.SIMILAR_RULE, "Similar systems: " + "; ".join(names)])


def hosted_warning(area: str) -> None:
    """Under the comparison's heading, before any figure: hosted regional services counted in this system."""
    parts = inside.peer_parts(ctx.data_dir, ctx.level, ctx.period)
    note = None if parts is None else inside.hosted_note(parts["hosted"], area, ctx.area_names)
    if note:
        st.warning(note, icon=":material/local_hospital:")


GROUP_SECTION = "role_mix_group"


def _group_changed() -> None:
    st.query_params["group"] = st.session_state["url_group"]
    st.rerun(GROUP_SECTION)  # only the followed group's chart and SPC depend on it: the rest is not re-sent


@st.fragment(key=GROUP_SECTION)
def group_section(area: str, figures: tuple) -> None:
    """The followed staff group's share of FTE over time and its SPC (their own fragment: changing the group
    reruns and redraws only this, issue 16)."""
    group = st.session_state.get("url_group")
    if group not in trends.GROUPS:
        group = state.url_value("group", trends.GROUPS, "Nurses & health visitors")
    try:
        trend_spec = _cached_group_chart(figures, area, group, ctx.period)
    except Exception:  # noqa: BLE001 - store unreadable: last good figures, with the warning metrics() shows
        trend_spec = group_chart(data.metrics(ctx.data_dir, ctx.level), ctx.level, area, group, ctx.period)
    st.markdown(f"**{group}: share of FTE over time**")
    trend_charts.show(trend_spec, f"share_{ctx.level}_{area}", "mix_group_trend",
                      description=trend_spec.get("description"))

    # SPC view: signal or noise for this group's staff in post (built only while its expander is open)
    stats_charts.spc_on_request(f"Signal or noise? SPC chart of {group} staff in post (FTE)",
                                lambda: data.metrics(ctx.data_dir, ctx.level), area, group, "fte",
                                until=ctx.period, key="role_mix_spc", cache_key=figures[1:5])


# Page controls rerun only this fragment, not the whole app and its sidebar (the sidebar period reruns all).
@st.fragment
def role_mix_body() -> None:
    # "All staff groups" has a share of 100%: on this page the staff group picks one group to follow over time.
    if st.query_params.get("group") == ALL_STAFF:
        del st.query_params["group"]
    row = st.container(horizontal=True, gap="medium")  # one element where two columns were three (issue 16)
    area = state.selectbox("System, region or England", "area", trends.area_choices(ctx.level),
                           format_func=lambda c: trends.area_label(ctx.level, c), container=row)
    # the followed group changes only its own chart and SPC: its callback reruns just that fragment (group_section)
    if st.session_state.get("url_group") not in trends.GROUPS:
        st.session_state["url_group"] = state.url_value("group", trends.GROUPS, "Nurses & health visitors")
    group = row.selectbox("Staff group to follow over time", trends.GROUPS, key="url_group", on_change=_group_changed)
    st.query_params["group"] = group
    state.show_url_notices()
    shell.synthetic_marker(ctx)
    inside.link_to_organisations(ctx, area)
    label = trends.area_label(ctx.level, area)
    when = shell.period_label(ctx.period)
    export_notes = [f"{ctx.source_label}; {ctx.systems_label}; month ending {ctx.period}", trends.EXPECTED_NOTE,
                    *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else [])]

    figures = data.figures_key(ctx.data_dir, ctx.level)
    first = ctx.periods[0]
    try:
        parts = _cached_area_parts(figures, area, ctx.period, first)
    except Exception:  # noqa: BLE001 - store unreadable: last good figures, with the warning metrics() shows
        parts = area_parts(data.metrics(ctx.data_dir, ctx.level), ctx.level, area, ctx.period, first)
    if parts["empty"]:
        st.info("No staff in post figures are loaded, so the role mix cannot be shown. Load NHS Digital's turnover "
                "benchmarking or staff in post CSV with `python -m lib ingest FILE --data-dir DIR`.",
                icon=":material/info:")
        return

    st.subheader(f"{label} against England, month ending {when}")
    hosted_warning(area)
    if area == "ENG":
        st.info("England is the comparator. Choose a system or region to compare its mix with England's.",
                icon=":material/info:")
    expected = parts["expected"]
    if expected.empty:
        st.info(f"No staff in post figures for {label} in the month ending {when}.", icon=":material/info:")
    elif area != "ENG":
        st.markdown("**Share of FTE by staff group**")
        trend_charts.show(parts["mix_bars"], f"role_mix_{ctx.level}_{area}_{ctx.period}",
                          "mix_bars", description=parts["mix_description"])
        st.markdown("**More or fewer than expected for its size (FTE)**")
        trend_charts.show(parts["expected_chart"], f"role_mix_expected_{ctx.level}_{area}_{ctx.period}",
                          "mix_expected", description=parts["expected_description"], note=trends.EXPECTED_NOTE)
        tables.show(expected, key="mix_expected_table", column_config={  # one table style: shares 2 dp, FTE 1 dp
            "Difference (FTE)": st.column_config.NumberColumn(format="%+,.1f"),
            "Difference (percentage points)": st.column_config.NumberColumn(format="%+.2f"),
        })
        on_request.table_downloads(expected, f"role_mix_{ctx.level}_{area}_{ctx.period}", "mix_expected_dl",
                                   notes=export_notes)
        fair_comparisons(area, label, when, export_notes)
    shell.definition("fte_share", "fte", key="role_mix_definitions")

    st.subheader(f"Change in mix over time: {label}")
    if parts["over_empty"]:
        st.info(f"No staff in post figures over time for {label}.", icon=":material/info:")
    else:
        group_section(area, figures)

        st.markdown("**Every staff group: share of FTE over time**")
        trend_charts.show(parts["multiples"], f"mix_over_time_{ctx.level}_{area}",
                          "mix_small_multiples", width="content", description=parts["multiples_description"])
        change = parts["change"]
        st.markdown(f"**Change in share, {shell.period_label(first)} to {when}**")
        tables.show(change, key="mix_change_table", column_config={
            c: st.column_config.NumberColumn(format="%+.2f") for c in change.columns if "points" in c})
        on_request.table_downloads(change, f"role_mix_change_{ctx.level}_{area}_{first}_{ctx.period}",
                                   "mix_change_dl", notes=export_notes)

    st.subheader(f"Every system against England, month ending {when}")
    if parts["mix_empty"]:
        st.info(f"No system figures for the month ending {when}.", icon=":material/info:")
    else:
        trend_charts.show(parts["heatmap"], f"role_mix_all_{ctx.level}_{ctx.period}",
                          "mix_heatmap", description=parts["heatmap_description"],
                          note="Each cell: the system's share of FTE in the staff group minus England's, in percentage "
                               "points (blue: more than England's mix, orange: fewer).")
        wide = parts["wide"]
        tables.show(wide, key="mix_all_table",
                    column_config={g: st.column_config.NumberColumn(format="%+.2f") for g in trends.GROUPS})
        on_request.table_downloads(wide, f"role_mix_vs_england_{ctx.level}_{ctx.period}", "mix_all_dl",
                                   notes=[*export_notes, "Values: share of FTE minus England's share, percentage "
                                                         "points"])


role_mix_body()
