"""System profile: one system's headline figures, where it ranks, trends and role mix (printable: no tabs)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.data import geography
from lib.insight import calendar, chart_text, map_data as im
from lib.insight.metrics import DEFINITIONS
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from ui import board_pack, data, inside, on_request, pcn_view, profile_view, shell, state, trend_charts

ctx = st.session_state.get("ctx")
st.title("System profile")
if ctx is None:
    state.show_url_notices()
    st.stop()
shell.synthetic_marker(ctx)


SOURCE_NOTE = ("Source: NHS Digital NHS Workforce Statistics (turnover benchmarking, staff in post); vacancies from "
               "the Provider Workforce Return or the vacancy template. Rates are fractions shown as %.")


def _view(figures: tuple, area: str, group: str, prev_text: str | None, year_text: str | None) -> dict:
    """profile_view.profile_cached for the sidebar's context; if the store cannot be read, the last good figures
    (data.metrics serves them with a warning), computed uncached."""
    names = ctx.area_names
    pop = data.population(ctx.data_dir, ctx.level)
    args = (area, names[area], group, ctx.period, ctx.previous_period, ctx.year_ago_period)
    try:
        return profile_view.profile_cached(figures, *args, tuple(ctx.periods), tuple(sorted(pop.items())),
                                           prev_text, year_text)
    except Exception:  # noqa: BLE001 - store unreadable: the last good figures are used
        view = profile_view.profile_view(data.metrics(ctx.data_dir, ctx.level), str(ctx.data_dir), ctx.level, *args,
                                         tuple(ctx.periods), pop)
        view["bridge"] = profile_view.bridge_view(ctx.data_dir, ctx.level, area, ctx.previous_period, ctx.period,
                                                  group, sdc=figures[4])
        view["download"] = profile_view.download_table(view["figs"], view["ranks"], prev_text, year_text)
        return view


def _headline_caption(figs, prev_text: str | None, year_text: str | None) -> str:
    """One caption under the headline figures (not one under each): the change since 12 months earlier, England,
    and what the arrows mean."""
    since = (f"Since {year_text}: " + "; ".join(f"{f.label} **{f.change_year_text or 'no data'}**" for f in figs)
             if year_text else f"The same month a year earlier ({shell.period_label(shell.month_add(ctx.period, -12))}) "
             "is not loaded")
    england = "England: " + "; ".join(f"{f.label} {f.england_text}" for f in figs)
    arrows = ((f"Arrows: {calendar.comparison_text(ctx.period, ctx.previous_period)}. " if prev_text else
               "No earlier month is loaded, so no change is shown. ") + "Rates are monthly, FTE basis. Leavers are "
              "summed over organisations, so moves between organisations inside a system count.")
    vacancies = [calendar.own_date_line(calendar.VACANCIES, ctx.period, calendar.VACANCY_TEMPLATE_SOURCE)
                 for f in figs if f.column == "vacancy_rate" and f.value is not None and not pd.isna(f.value)]
    return "  \n".join([since, england, arrows, *vacancies])   # the vacancy figure's own date, beside it


def _definitions(keys: list[str]) -> None:
    """One 'Definitions and source' popover for the page (one markdown in it), not one beside each section."""
    keys = list(dict.fromkeys(k for k in keys if k in DEFINITIONS))
    with st.popover("Definitions and source", icon=":material/info:"):
        st.markdown("\n\n".join([*(f"**{k.replace('_', ' ').capitalize()}**: {DEFINITIONS[k]}" for k in keys),
                                  f"**FTE per 100,000 population**: {im.PER_100K_DEFINITION}", SOURCE_NOTE]))


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

    region = geography.area_lookup_regions(ctx.level).get(area, "")
    group_text = "all staff groups" if group == ALL_STAFF else group
    when = shell.period_label(ctx.period)
    st.header(f"{names[area]} ({area})")
    st.caption(f"{geography.REGIONS.get(region, '')} region - {ctx.systems_label} - month ending {when} - {group_text}")
    prev_text = shell.period_label(ctx.previous_period) if ctx.previous_period else None
    year_text = shell.period_label(ctx.year_ago_period) if ctx.year_ago_period else None
    figures = data.figures_key(ctx.data_dir, ctx.level)
    view = _view(figures, area, group, prev_text, year_text)

    # ---- headline figures
    figs, ranks = view["figs"], view["ranks"]
    st.subheader("Headline figures")
    for col, f in zip(st.columns(len(figs)), figs):
        col.metric(f.label, f.value_text, f.change_previous_text, border=True, help=DEFINITIONS.get(f.column),
                   **f.delta_kwargs)
    st.caption(_headline_caption(figs, prev_text, year_text))
    # beside England: the similar systems' quartiles, and hosted regional services named (issue 24)
    inside.rates_against_peers(ctx, figures, area, group, ("leaver_rate", "joiner_rate", "vacancy_rate"),
                               key="profile_peers", title=f"Against similar systems and England, month ending {when}")
    _definitions(["fte", "headcount", "leaver_rate", "joiner_rate", "vacancy_rate",
                  *[k for r in ranks["measure"] for k in im.definitions_for(r)], "fte_share"])

    # ---- ranks
    st.subheader("Where it ranks")
    if ranks.empty:
        st.info("No figures to rank for this period.")
    else:
        st.markdown("\n".join(f"- **{r.label}** {r.value_text}: {r.phrase}" if pd.notna(r.rank)
                               else f"- **{r.label}**: no figures for this system, so not ranked"
                               for r in ranks.itertuples()))
        per_100k = (f" FTE per 100,000 population: {im.PER_100K_DEFINITION}"
                    if "fte_per_100k" in set(ranks["measure"]) else "")
        st.caption(f"Among the {ctx.systems_label} with figures for {when}; 1st = highest.{per_100k}")

    # ---- trends: one chart of four panels, its key figures, notes and how to read it in one caption
    st.subheader(f"Trends, all loaded months ({len(ctx.periods)})")
    if view["trends"] is None:
        st.info("No trend figures for this system and staff group.")
        for note in view["trend_notes"]:
            st.caption(note)
    else:
        text = " ".join([view.get("trends_description") or "", "Staff in post is shown as an index (first loaded "
                         "month = 100) so the system, its region and England share one scale; hover for FTE.",
                         *view["trend_notes"]]).strip()
        trend_charts.show(view["trends"], f"trends_{area}", "profile_trends", width="content", description=text,
                          export_title=f"Trends: {names[area]} ({area}), {group_text}")

    # ---- signal or noise: SPC (Making Data Count) on the two rates leaders ask about; not in an expander so it prints
    st.subheader("Signal or noise?")
    for measure, part in view["spc"].items():  # full width, one under the other: side by side titles were clipped
        if "info" in part:
            st.info(part["info"], icon=":material/info:")
            continue
        trend_charts.show(part["spec"], f"spc_{area}_{measure}", f"profile_spc_{measure}", description=part["caption"],
                          export_title=part["title"])
        st.markdown(part["words"])
        for note in part["notes"]:
            st.warning(note, icon=":material/warning:")

    # ---- why staff in post moved (published flows) and the organisations inside the system
    st.subheader("Why staff in post moved")
    inside.link_to_organisations(ctx, area, group)
    b = view["bridge"]
    if "info" in b:
        st.info(b["info"], icon=":material/info:")
    else:
        unit, bb = b["unit"], b["bridge"]
        title = f"{names[area]}, {group_text}: {shell.period_label(ctx.previous_period)} to {when}"
        st.markdown(f"**{title} ({unit})**")
        description = chart_text.bridge_description(bb.table, f"Why staff in post moved, {title}", unit)
        name = f"bridge_{bb.area_code}_{bb.start_month}_{bb.end_month}"
        trend_charts.show(b["spec"], name, "profile_bridge", description=description,
                          export_title=f"{title} ({unit})")
        st.markdown(b["lines"])
        if b["notes"]:
            st.caption("  \n".join(b["notes"]))
        on_request.table_downloads(b["table"], name, "profile_bridge_dl", notes=b["notes"])

    # ---- role mix
    st.subheader("Role mix compared with England and similar systems")
    rm = view["rm"]
    if rm.empty:
        st.info("No staff-group figures for this period.")
    else:
        trend_charts.show(view["mix"], f"role_mix_{area}_{ctx.period}", "profile_mix",
                          description=view["mix_description"], export_title=f"Role mix: {names[area]} ({area})")
        table = pd.DataFrame({"Staff group": rm["staff_group"], "FTE": rm["system_fte"],
                              "Share": rm["system_share"], "England share": rm["england_share"],
                              "Difference (points)": 100 * rm["difference"]})
        mix_peers = inside.mix_against_peers(ctx, figures, area)
        if mix_peers is not None and not mix_peers.empty:   # the similar systems beside England (issue 24)
            by = mix_peers.set_index("Staff group")
            for c in ("Similar systems' share: median", "Among similar systems"):
                table[c] = table["Staff group"].map(by[c])
        st.dataframe(table, hide_index=True, width="stretch", height=36 * (len(table) + 1) + 4, column_config={
            "FTE": st.column_config.NumberColumn(format="localized"),
            "Share": st.column_config.NumberColumn(format="percent"),
            "England share": st.column_config.NumberColumn(format="percent"),
            "Similar systems' share: median": st.column_config.NumberColumn("Similar systems' median",
                                                                            format="percent"),
            "Difference (points)": st.column_config.NumberColumn("Difference from England (points)",
                                                                 format="%+.2f")})
        if mix_peers is not None and not mix_peers.empty:
            st.caption("Similar systems' median: the middle share among the similar systems named above; 'Among "
                       "similar systems' says whether this system is inside their middle half. Role mix shows their "
                       "quartiles and the mix without hosted regional services.")

    # ---- beside trust staff: primary care networks' new roles (own census month and source)
    pcn_view.profile_panel(ctx.data_dir, ctx.level, area, trust_when=when,
                           trust_source=pcn_view.trust_publications(ctx.provenance, ctx.source_label),
                           trust_fte=None if rm.empty else float(rm["system_fte"].sum()))

    # ---- downloads
    st.subheader("Download this profile")
    board_pack.button(ctx, area, "profile_board_pack")  # the whole system's report, built when clicked
    on_request.table_downloads(view["download"], f"profile_{area}_{ctx.level}_{ctx.period}", "profile_table",
                    notes=[f"{ctx.source_label}; {ctx.systems_label}; {names[area]} ({area}); period ending {ctx.period}; "
                           f"{group_text}", *([] if not ctx.synthetic else ["SYNTHETIC demo data - not real figures"])])


profile_body()
