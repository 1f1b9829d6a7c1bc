"""Inside a system: its organisations ranked and charted, each with its trend and SPC, its peers nationally, a
care-setting filter, and the staff-in-post bridge. Deep link: ?area=QKK&org=RJ1 (validated against known codes)."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib.data import geography
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from lib.insight import bridge as br
from lib.insight import axes, calendar, chart_text
from lib.insight import organisations as og
from lib.insight.metrics import DEFINITIONS
from lib.sharing import disclosure
from lib.stats import signals
from ui import auth, inside, shell, state, stats_charts, trend_charts

ALL_SETTINGS = "All care settings"
RANK_MEASURES = {"leaver_rate": "Leaver rate (month)", "joiner_rate": "Joiner rate (month)",
                 "fte": "Staff in post (FTE)", "fte_growth": "FTE growth (month)"}
SPC_MONTHS = 12

ctx = st.session_state.get("ctx")
st.title("Inside a system: organisations")
if ctx is None:
    state.show_url_notices()
    st.stop()
shell.synthetic_marker(ctx)


@st.fragment
def organisations_body() -> None:
    notices = st.container()
    frame = inside.org_frame(ctx.data_dir, ctx.level)
    if frame.empty:
        with notices:
            state.show_url_notices()
        st.info("The data loaded has no organisation rows: the demo data and staff-in-post ICS totals are system "
                "figures. Load NHS Digital's 'Turnover benchmarking 2. Staff group and organisation' monthly CSVs "
                "(`python -m lib ingest FILE --data-dir DIR`) to see the organisations inside each system.",
                icon=":material/info:")
        return
    m = inside.org_metrics(ctx.data_dir, ctx.level)
    orgs = og.directory(frame, ctx.level)
    known_orgs = orgs["org_code"].tolist()
    names = ctx.area_names
    systems = [c for c in geography.areas(ctx.level)["code"] if c in set(orgs["system_code"])]

    # ?org=CODE (validated) picks its system too
    org_param = state.url_value("org", known_orgs, "the system's first organisation")
    if org_param in known_orgs and st.session_state.get("_org_seen") != org_param:
        st.session_state["url_area"] = orgs.loc[orgs["org_code"] == org_param, "system_code"].iloc[0]
        st.session_state["url_org"] = org_param
        st.session_state["_org_seen"] = org_param
    # Arriving from another page, the same keys belonged to widgets with other options: re-assigning keeps the
    # value (Streamlit would otherwise reset a key whose widget changed) so a link's system and group hold.
    for key in ("url_area", "url_group"):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
    area = state.selectbox("System", "area", systems, format_func=lambda c: f"{names.get(c, c)} ({c})", container=c1)
    group = state.selectbox("Staff group", "group", STAFF_GROUP_ORDER, default=ALL_STAFF, container=c2)
    settings = [ALL_SETTINGS, *og.care_settings(frame)]
    setting = state.selectbox("Care setting", "setting", settings, default=ALL_SETTINGS, container=c3,
                              help=og.CARE_SETTING_DEFINITION)
    sort_by = state.selectbox("Rank by", "rank", list(RANK_MEASURES), default="leaver_rate",
                              format_func=RANK_MEASURES.get, container=c4)
    with notices:
        state.show_url_notices()
    if auth.disclosure_on():
        st.caption(disclosure.NOTE + " At organisation level too: an organisation's counts under 5 are hidden, "
                   "and more where a hidden figure could be worked out from the totals of any tables shown "
                   "together (systems under each year's ICB boundaries, regions, England, care settings, staff groups).")

    when = shell.period_label(ctx.period)
    table = og.system_organisations(m, area, ctx.period, group, None if setting == ALL_SETTINGS else setting, sort_by)
    st.header(f"{names.get(area, area)} ({area}): {len(table)} organisations")
    st.caption(f"Month ending {when} - {group} - {setting}. Organisation names as published by NHS Digital. "
               "An organisation's leavers include staff moving to another NHS organisation.")
    if table.empty:
        st.info(f"No organisation figures for {group} in {when} for this choice.", icon=":material/info:")
        return
    # ---- ranked chart and table
    label = RANK_MEASURES[sort_by]
    rate = sort_by != "fte"
    chart_df = table[["org_name", "org_code", "cluster_group", sort_by]].rename(columns={sort_by: "value"})
    chart_df = chart_df.assign(pos=range(len(chart_df)))
    bars = alt.Chart(chart_df).mark_bar(color="#005EB8").encode(
        y=alt.Y("org_name:N", sort=alt.EncodingSortField("pos", op="min"), title=None,
                axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        # five ticks with as many decimals as tell them apart (labels every 0.05% crowded the axis)
        x=alt.X("value:Q", title=label, axis=alt.Axis(format=axes.percent_format(chart_df["value"]) if rate
                                                      else ",.0f", tickCount=5)),
        tooltip=[alt.Tooltip("org_name:N", title="Organisation"), alt.Tooltip("org_code:N", title="Code"),
                 alt.Tooltip("cluster_group:N", title="Care setting"),
                 alt.Tooltip("value:Q", title=label, format=".2%" if rate else ",.1f")]
    ).properties(height=max(30 * len(chart_df), 120))
    noun = f"organisations of {names.get(area, area)}" + ("" if setting == ALL_SETTINGS else f" ({setting})")
    rank_text = chart_text.ranking_description(
        chart_df.rename(columns={"org_code": "code", "org_name": "name"}),
        label if group == ALL_STAFF else f"{label}, {group}", ctx.period, noun=noun, percent=rate,
        highlight=st.session_state.get("url_org")  # the organisation chosen below (a code of this table or none)
    ) or f"{label}: none of the {noun} has a figure to show for {group}, {when} (hidden by disclosure control or not published)."
    trend_charts.show(bars, f"organisations_{area}_{ctx.period}_{sort_by}", "org_rank",
                      description=inside.plain(rank_text),
                      export_title=f"{label if group == ALL_STAFF else f'{label}, {group}'}: {noun}, {when}")
    shown = pd.DataFrame({
        "Rank": table["rank"], "Organisation": table["org_name"], "Code": table["org_code"],
        "Care setting": table["cluster_group"], "Peer group": table["benchmark_group"],
        "Staff in post FTE": table["fte"], "Leavers FTE": table["leavers_fte"], "Joiners FTE": table["joiners_fte"],
        "Leaver rate": table["leaver_rate"], "Joiner rate": table["joiner_rate"]})
    if "suppressed" in table:
        shown["Suppressed"] = table["suppressed"]
    st.dataframe(shown, hide_index=True, width="stretch", key="org_table", column_config={
        "Staff in post FTE": st.column_config.NumberColumn(format="localized"),
        "Leavers FTE": st.column_config.NumberColumn(format="%.1f"),
        "Joiners FTE": st.column_config.NumberColumn(format="%.1f"),
        "Leaver rate": st.column_config.NumberColumn(format="percent"),
        "Joiner rate": st.column_config.NumberColumn(format="percent")})
    st.caption("Monthly rates, FTE basis; 1 = highest. The system's own figure is the sum of these organisations "
               "(all care settings).")
    shell.downloads(shown, f"organisations_{area}_{ctx.period}", "org_dl",
                    notes=[f"{ctx.source_label}; {ctx.systems_label}; {names.get(area, area)} ({area}); month ending "
                           f"{ctx.period}; {group}; {setting}"])
    shell.definition("leaver_rate", "joiner_rate", "fte")

    # ---- one organisation
    in_system = table["org_code"].tolist()
    if st.session_state.get("url_org") not in in_system:  # another system's organisation, or none yet
        st.session_state["url_org"] = in_system[0]
    org = state.selectbox("Organisation", "org", in_system, default=in_system[0],
                          format_func=lambda c: f"{orgs.set_index('org_code').at[c, 'org_name']} ({c})")
    info = orgs.set_index("org_code").loc[org]
    st.subheader(inside.plain(info["org_name"]))
    st.caption(inside.plain(f"{org} - {info['cluster_group'] or 'care setting not given'} - peer group: "
                            f"{info['benchmark_group'] or 'not given'} - {names.get(area, area)}"))

    months = sorted(m.loc[m["org_code"] == org, "period"].unique())
    st.markdown(f"**Trend** ({len(months)} month{'s' if len(months) != 1 else ''} loaded)")
    series = m[(m["org_code"] == org) & (m["staff_group"] == group)].sort_values("period")
    if len(series) >= 2:
        long = series.melt(id_vars=["period"], value_vars=["leaver_rate", "joiner_rate"], var_name="measure",
                           value_name="value")
        long["measure"] = long["measure"].map({"leaver_rate": "Leaver rate", "joiner_rate": "Joiner rate"})
        long = calendar.with_month_gaps(long, ["measure"])  # a missing month: an empty slot and a break in the line
        long["month"] = long["period"].map(shell.period_label)  # one label a month (a time axis repeats them)
        line = alt.Chart(long).mark_line(point=True).encode(
            x=alt.X("month:O", title=None, sort=list(map(shell.period_label, sorted(long["period"].unique()))),
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title="Rate (month)", axis=alt.Axis(format=".2%")),
            color=alt.Color("measure:N", title=None, scale=alt.Scale(range=["#12436D", "#28A197"]),
                            legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=["measure:N", alt.Tooltip("month:O", title="Month"), alt.Tooltip("value:Q", format=".2%")]
        ).properties(height=220)
        trend_charts.show(line, f"org_trend_{org}", "org_trend", description=inside.plain(
            chart_text.measures_trend_description(long.dropna(subset=["value"])[["period", "measure", "value"]],
                                                  f"{info['org_name']}, {group}")))
    if len(months) >= 2:   # from SPC_MONTHS the XmR chart, below a run chart (spc_section chooses)
        stats_charts.spc_section(m, org, group, "leaver_rate", until=ctx.period, key="org_spc", show_table=False)
    else:
        st.info(f"A run chart needs 2 months of this organisation's figures and an SPC chart {SPC_MONTHS}; "
                f"{len(months)} {'is' if len(months) == 1 else 'are'} loaded. Load more monthly turnover files.",
                icon=":material/info:")

    # ---- peers nationally
    st.subheader(f"Against its peers: {inside.plain(info['benchmark_group'] or 'no peer group')}")
    try:
        cmp = og.peer_comparison(m, org, ctx.period, group, "leaver_rate")
    except signals.SignalError as exc:
        st.info(str(exc), icon=":material/info:")
    else:
        rank_text = (f"ranks **{cmp.rank} of {cmp.n_peers}** (1 = highest leaver rate)" if cmp.rank
                     else "has no leaver rate to rank")
        st.markdown(f"Leaver rate {shell.pct(cmp.value)}: {rank_text} among {inside.plain(cmp.peer_group)} "
                    f"organisations in "
                    f"England, month ending {when}.")
        if cmp.funnel is not None:
            trend_charts.show(stats_charts.funnel_chart(cmp.funnel, f"Leaver rate: {cmp.peer_group}, {when}",
                                                        highlight=org), f"peer_funnel_{org}", "org_peer_funnel",
                              description=inside.plain(chart_text.units_funnel_description(
                                  cmp.funnel.units, cmp.funnel.result.target, "Leaver rate", ctx.period,
                                  noun=f"{cmp.peer_group} organisations in England ({group})", highlight=org)))
            st.caption(og.PEER_DEFINITION + " " + stats_charts.overdispersion_note(cmp.funnel))
        for n in cmp.notes:
            st.caption(n)
        peers = cmp.peers.rename(columns={"org_name": "Organisation", "org_code": "Code", "system_name": "System",
                                          "value": "Leaver rate", "rank": "Rank", "funnel": "Funnel reading"})
        st.dataframe(peers[["Rank", "Organisation", "Code", "System", "Leaver rate", "Funnel reading"]],
                     hide_index=True, width="stretch", key="org_peers",
                     column_config={"Leaver rate": st.column_config.NumberColumn(format="percent")})

    # ---- bridge
    st.subheader("Why staff in post moved")
    prev = ctx.previous_period
    if prev is None:
        st.info("The bridge needs the month before the chosen one: only one month is loaded.", icon=":material/info:")
    else:
        for unit_code, org_code, title in ((area, org, f"{inside.plain(info['org_name'])}: {shell.period_label(prev)} "
                                                      f"to {when}"),
                                           (area, None, f"{names.get(area, area)} (all its organisations): "
                                                        f"{shell.period_label(prev)} to {when}")):
            try:
                b = inside.bridge(ctx.data_dir, ctx.level, unit_code, prev, ctx.period, group, "fte", org_code)
            except br.BridgeError as exc:
                st.info(str(exc), icon=":material/info:")
                continue
            if auth.disclosure_on() and inside.bridge_disclosive(b, ctx.data_dir, ctx.level, org_code):
                st.info(f"{title}: not shown, because a count in it is under {disclosure.THRESHOLD} "
                        "(disclosure control).", icon=":material/visibility_off:")
                continue
            inside.show_bridge(b, title, f"bridge_{'org' if org_code else 'system'}")
    st.caption(DEFINITIONS["leaver_rate"])


organisations_body()
