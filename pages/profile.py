"""System profile: one system's headline figures, where it ranks, trends and role mix (printable: no tabs)."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from lib.data import geography
from lib.insight import axes, chart_text, exports, map_data as im
from lib.insight.metrics import DEFINITIONS
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from ui import auth, charts, data, inside, map_view, shell, state, trend_charts, stats_charts

SERIES_COLOURS = [charts.SYSTEM_COLOUR, charts.REGION_COLOUR, charts.ENGLAND_COLOUR]  # one visual language
TREND_WIDTH = 270  # px per trend panel: two side by side fit 720 px (a 1440 px screen at 200% zoom)

ctx = st.session_state.get("ctx")
st.title("System profile")
if ctx is None:
    state.show_url_notices()
    st.stop()
shell.synthetic_marker(ctx)


def profile_parts(m: pd.DataFrame, area: str, area_name: str, group: str, period: str, previous: str | None,
                  year_ago: str | None) -> dict:
    """Headline figures, the trends chart and the role-mix chart for one system, group and period (the charts as
    Vega-Lite dicts): computed once per data snapshot and selection through _cached_parts."""
    out = {"figs": im.profile_figures(m, area, period, previous, year_ago, group), "trends": None, "trend_notes": []}
    tr = im.trends(m, area, group)
    if not tr.empty:
        tr["month"] = pd.to_datetime(tr["period"] + "-01")
        series = list(dict.fromkeys(tr["series"]))
        colour = alt.Color("series:N", title=None, sort=series,
                           scale=alt.Scale(domain=series, range=SERIES_COLOURS[:len(series)]),
                           legend=alt.Legend(orient="bottom"))
        panels = []
        for col_name, label in im.TREND_MEASURES:
            rate = col_name != "fte"
            values = tr.loc[tr["measure"] == label, "value"]
            if not values.notna().any():  # e.g. no vacancy file: say which file fills it, not an empty panel
                out["trend_notes"].append(f"{label}: " + im.EMPTY_MEASURE_HELP.get(col_name, "no figures loaded."))
                continue
            panels.append(alt.Chart(title=label).transform_filter(
                alt.FieldEqualPredicate(field="measure", equal=label)).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
                x=alt.X("month:T", title=None, axis=trend_charts.month_axis(tr["period"])),
                y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False),
                        axis=alt.Axis(format=axes.percent_format(values) if rate else axes.number_format(values))),
                color=colour, strokeDash=alt.StrokeDash("series:N", sort=series, legend=None, scale=alt.Scale(
                    domain=series, range=[charts.SYSTEM_DASH, charts.REGION_DASH, charts.ENGLAND_DASH][:len(series)])),
                tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("month:T", title="Month", format="%b %Y"),
                         alt.Tooltip("value:Q", title=label, format=".2%" if rate else ",.1f"),
                         alt.Tooltip("fte:Q", title="FTE", format=",.0f")]).properties(height=230, width=TREND_WIDTH))
        # one chart of four panels: one embed in the browser instead of four
        out["trends_description"] = chart_text.profile_trends_description(tr, period)
        out["trends"] = trend_charts.stable_spec(
            alt.vconcat(alt.hconcat(*panels[:2]), alt.hconcat(*panels[2:]), data=tr).resolve_scale(y="independent"))
    rm = im.role_mix(m, area, period)
    out["rm"] = rm
    out["mix_description"] = chart_text.profile_mix_description(rm, area_name, period) if not rm.empty else ""
    if not rm.empty:
        long = pd.concat([rm.assign(series=area_name, share=rm["system_share"]),
                          rm.assign(series="England", share=rm["england_share"])], ignore_index=True)
        out["mix"] = trend_charts.stable_spec(alt.Chart(long).mark_bar().encode(
            y=alt.Y("staff_group:N", sort=[g for g in STAFF_GROUP_ORDER if g != ALL_STAFF], title=None,
                    axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("series:N", sort=[area_name, "England"]),
            x=alt.X("share:Q", title="Share of FTE", axis=alt.Axis(format=".0%")),
            color=alt.Color("series:N", title=None, sort=[area_name, "England"],
                            scale=alt.Scale(range=[SERIES_COLOURS[0], SERIES_COLOURS[2]]),
                            legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("staff_group:N", title="Staff group"),
                     alt.Tooltip("share:Q", title="Share of FTE", format=".2%")]).properties(height=420))
    return out


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_parts(figures: tuple, area: str, area_name: str, group: str, period: str, previous: str | None,
                  year_ago: str | None) -> dict:
    parts = profile_parts(data.metrics_for(*figures), area, area_name, group, period, previous, year_ago)
    for k in ("trends", "mix"):  # rows converted to Arrow once, not on every rerun
        if parts.get(k) is not None:
            parts[k] = trend_charts.frozen(parts[k])
    return parts


# System and staff group rerun only this fragment, not the whole app and its sidebar.
@st.fragment
def profile_body() -> None:
    notices = st.container()
    options = im.area_options(ctx.level)
    names = ctx.area_names
    picked = st.session_state.get("map_selected_area")
    c1, c2 = st.columns([3, 2])
    area = state.selectbox("System", "area", options, default=picked if picked in options else options[0],
                           format_func=lambda c: f"{names.get(c, c)} ({c})", container=c1)
    group = state.selectbox("Staff group", "group", STAFF_GROUP_ORDER, default=ALL_STAFF, container=c2)
    with notices:
        state.show_url_notices()

    m = data.metrics(ctx.data_dir, ctx.level)
    pop = data.population(ctx.data_dir, ctx.level)
    region = geography.area_lookup_regions(ctx.level).get(area, "")
    group_text = "all staff groups" if group == ALL_STAFF else group
    st.header(f"{names[area]} ({area})")
    st.caption(f"{geography.REGIONS.get(region, '')} region - {ctx.systems_label} - month ending "
               f"{shell.period_label(ctx.period)} - {group_text}")

    # ---- headline figures
    figures = data.figures_key(ctx.data_dir, ctx.level)
    try:
        parts = _cached_parts(figures, area, names[area], group, ctx.period, ctx.previous_period, ctx.year_ago_period)
    except Exception:  # noqa: BLE001 - store unreadable: the last good figures (m above) are used
        parts = profile_parts(m, area, names[area], group, ctx.period, ctx.previous_period, ctx.year_ago_period)
    figs = parts["figs"]
    prev_text = shell.period_label(ctx.previous_period) if ctx.previous_period else None
    year_text = shell.period_label(ctx.year_ago_period) if ctx.year_ago_period else None
    st.subheader("Headline figures")
    for col, f in zip(st.columns(len(figs)), figs):
        col.metric(f.label, f.value_text, f.change_previous_text, delta_color=f.delta_color, border=True,
                   help=DEFINITIONS.get(f.column))
        lines = [f"Since {year_text}: **{f.change_year_text or 'no data'}**" if year_text
                 else "12 months earlier: not loaded", f"England: {f.england_text}"]
        col.caption("  \n".join(lines))
    st.caption((f"Arrows: change since {prev_text} (previous month). " if prev_text else
                "No earlier month is loaded, so no change is shown. ") + "Rates are monthly, FTE basis. "
               "Leavers are summed over organisations, so moves between organisations inside a system count.")
    shell.definition("fte", "headcount", "leaver_rate", "joiner_rate", "vacancy_rate")

    # ---- ranks
    st.subheader("Where it ranks")
    ranks = map_view.rank_sentences(m, ctx.data_dir, ctx.level, ctx.period, area, group, pop)
    if ranks.empty:
        st.info("No figures to rank for this period.")
    else:
        st.markdown("\n".join(f"- **{r.label}** {r.value_text}: {r.phrase}" if pd.notna(r.rank)
                               else f"- **{r.label}**: no figures for this system, so not ranked"
                               for r in ranks.itertuples()))
        st.caption(f"Among the {ctx.systems_label} with figures for {shell.period_label(ctx.period)}; 1st = highest.")
    shell.definition(*[k for r in ranks["measure"] for k in im.definitions_for(r)])
    if "fte_per_100k" in set(ranks["measure"]):
        st.caption(f"FTE per 100,000 population: {im.PER_100K_DEFINITION}")

    # ---- trends
    st.subheader(f"Trends, all loaded months ({len(ctx.periods)})")
    if parts["trends"] is None:
        st.info("No trend figures for this system and staff group.")
    else:
        for note in parts["trend_notes"]:  # e.g. no vacancy file: say which file fills it, not an empty panel
            st.caption(note)
        grid = parts["trends"]
        trend_charts.show(grid, f"trends_{area}", "profile_trends", width="content",
                          description=parts.get("trends_description"))
        st.caption("Staff in post is shown as an index (first loaded month = 100) so the system, its region and England "
                   "share one scale; hover for FTE.")

    # ---- signal or noise: SPC (Making Data Count) on the two rates leaders ask about; not in an expander so it prints
    st.subheader("Signal or noise?")
    # full width, one under the other: side by side the SPC titles and legends were clipped
    spc_data = (data.snapshot(ctx.data_dir), ctx.level, "fte", auth.disclosure_on())  # computed once per selection
    stats_charts.spc_section(m, area, group, "leaver_rate", until=ctx.period, key="profile_spc_leaver",
                             show_table=False, cache_key=spc_data)
    stats_charts.spc_section(m, area, group, "vacancy_rate", until=ctx.period, key="profile_spc_vacancy",
                             show_table=False, cache_key=spc_data)

    # ---- why staff in post moved (published flows) and the organisations inside the system
    st.subheader("Why staff in post moved")
    inside.link_to_organisations(ctx, area, group)
    if ctx.previous_period is None:
        st.info("The bridge needs the month before the chosen one: only one month is loaded.", icon=":material/info:")
    else:
        try:
            b = inside.bridge(ctx.data_dir, ctx.level, area, ctx.previous_period, ctx.period, group)
        except ValueError as exc:
            st.info(str(exc), icon=":material/info:")
        else:
            inside.show_bridge(b, f"{names[area]}, {group_text}: {shell.period_label(ctx.previous_period)} to "
                                  f"{shell.period_label(ctx.period)} (FTE)", "profile_bridge")

    # ---- role mix
    st.subheader("Role mix compared with England")
    rm = parts["rm"]
    if rm.empty:
        st.info("No staff-group figures for this period.")
    else:
        mix = parts["mix"]
        trend_charts.show(mix, f"role_mix_{area}_{ctx.period}", "profile_mix",
                          description=parts.get("mix_description"))
        table = pd.DataFrame({"Staff group": rm["staff_group"], "FTE": rm["system_fte"],
                              "Share": rm["system_share"], "England share": rm["england_share"],
                              "Difference (points)": 100 * rm["difference"]})
        st.dataframe(table, hide_index=True, width="stretch", height=36 * (len(table) + 1) + 4, column_config={
            "FTE": st.column_config.NumberColumn(format="localized"),
            "Share": st.column_config.NumberColumn(format="percent"),
            "England share": st.column_config.NumberColumn(format="percent"),
            "Difference (points)": st.column_config.NumberColumn(format="%+.2f")})
        shell.definition("fte_share")

    # ---- downloads
    st.subheader("Download this profile")
    heads = pd.DataFrame([{"Figure": f.label, "Value": f.value, f"Change since {prev_text or 'previous month'}":
                           f.change_previous, f"Change since {year_text or '12 months earlier'}": f.change_year,
                           "England": f.england_text} for f in figs])
    out = pd.concat([heads.assign(Section="Headline figures"),
                     ranks.rename(columns={"label": "Figure", "value_text": "Value", "phrase": "Rank"})[
                         ["Figure", "Value", "Rank"]].assign(Section="Ranks")], ignore_index=True)
    # one kind of number a column: rates as fractions (not "0.88%" text beside 0.0088), named so (issue 15)
    for c in [c for c in out.columns if c == "Value" or c == "England" or str(c).startswith("Change since")]:
        out[c] = out[c].map(exports.text_to_number)
    out = out.rename(columns={c: f"{c} (rates as fractions)" for c in out.columns
                              if c == "Value" or c == "England" or str(c).startswith("Change since")})
    shell.downloads(out,
                    f"profile_{area}_{ctx.level}_{ctx.period}", "profile_table",
                    notes=[f"{ctx.source_label}; {ctx.systems_label}; {names[area]} ({area}); period ending {ctx.period}; "
                           f"{group_text}", *([] if not ctx.synthetic else ["SYNTHETIC demo data - not real figures"])])


profile_body()
