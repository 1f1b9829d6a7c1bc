"""Map: every system coloured by one measure, with a ranked bar chart beside it; click a system for its profile."""
from __future__ import annotations

import streamlit as st

from lib.insight import peers
from lib.insight import map_data as im
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER
from ui import data, map_view, on_request, shell, state, trend_charts
from ui.text import md

CLICK_HINT = ("Click a system on the map to see its figures and open its profile. "
              "Hover for name, value, numerator and denominator.")

ctx = st.session_state.get("ctx")
st.title("Map of systems")
if ctx is None:
    state.show_url_notices()
    st.stop()
shell.synthetic_marker(ctx)


# Measure, staff group, map shape and a click on a system rerun only this fragment (not the app and its sidebar).
@st.fragment
def map_body() -> None:
    notices = st.container()

    pop = data.population(ctx.data_dir, ctx.level)
    available = im.measures_available(pop)
    figures = data.figures_key(ctx.data_dir, ctx.level)
    m = None  # the metrics frame is loaded (unpickled) only when a selection is not cached or the store failed
    try:
        default = map_view.default_measure(figures, ctx.period, available)  # leaver rate when no vacancies
    except Exception:  # noqa: BLE001 - store unreadable: last good figures, with the warning metrics() shows
        m = data.metrics(ctx.data_dir, ctx.level)
        default = im.default_measure(m, ctx.period, available)
    if st.query_params.get("measure") == "fte_per_100k" and "fte_per_100k" not in available:
        # valid measure, but this data has no population for the level: say so rather than "not recognised"
        notices.info(f"FTE per 100,000 population needs population figures for {ctx.level} level "
                     f"(population_{ctx.level}.csv in the data directory); showing the "
                     f"{im.MEASURES[default].label.lower()} instead.", icon=":material/info:")
        st.query_params["measure"] = default
        st.session_state.pop("url_measure", None)

    # one row (a horizontal container: one element where columns were four; issue 16)
    row = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
    measure = state.selectbox("Measure", "measure", available, default=default,
                              format_func=lambda k: im.MEASURES[k].label, container=row)
    if measure == "fte_share" and st.session_state.get("url_group", st.query_params.get("group")) in (None, ALL_STAFF):
        st.session_state["url_group"] = im.DEFAULT_SHARE_GROUP
        notices.info("A share of all staff groups is 100% everywhere, so the share of "
                     f"{im.DEFAULT_SHARE_GROUP.lower()} is shown: choose another staff group if you wish.",
                     icon=":material/info:")
    group = state.selectbox("Staff group", "group", STAFF_GROUP_ORDER, default=ALL_STAFF, container=row)
    with row:  # the words are built and sent only when the popover is opened
        shell.definition(*im.definitions_for(measure), key="map_definitions")
    with notices:
        state.show_url_notices()

    ms = im.MEASURES[measure]
    shapes, problem = map_view.load_boundaries(ctx.data_dir, ctx.level)
    use_shapes = False
    if shapes is not None:
        use_shapes = st.radio("Map", ["Hex cartogram", "ONS boundaries"], horizontal=True, key="map_shape",
                              help="The hex cartogram gives every system the same space; boundaries show real areas."
                              ) == "ONS boundaries"
    # the hex cartogram is drawn by Vega-Lite (no GPU; recoloured in place); pydeck draws the boundary map
    # (WORKFORCE_MAP_FORM=deck draws the hexes with pydeck too: kept for bench/bench_pages_map.py's comparison)
    vega = not use_shapes and map_view.hex_form() == "vega"
    codes = set(im.area_options(ctx.level))
    clicked = (map_view.picked_code(st.session_state.get("map_hex"), codes) if vega
               else map_view.selected_code(st.session_state.get("map_deck"), codes))
    pick = st.session_state.get("map_pick")
    selected = clicked or (pick if pick in codes else None)
    if vega:
        try:
            fig = map_view.hex_figures(figures, ctx.period, measure, group, pop, selected)
        except Exception:  # noqa: BLE001 - store unreadable: last good figures, with the warning metrics() shows
            m = data.metrics(ctx.data_dir, ctx.level) if m is None else m
            fig = map_view.hex_figures_of(m, ctx.level, ctx.period, measure, group, pop, selected)
        table = fig["table"]
    else:
        m = data.metrics(ctx.data_dir, ctx.level) if m is None else m
        table = map_view.map_table(m, ctx.data_dir, ctx.level, ctx.period, measure, group, pop)
    scale = im.colour_scale(table["value"], ms.kind)
    what = f"{ms.label}, {group.lower() if group != ALL_STAFF else 'all staff groups'}"
    st.subheader(f"{what}: {ctx.systems_label}, month ending {shell.period_label(ctx.period)}")
    # notes that come and go sit in one container that is always there: the elements after it keep their places,
    # so the browser swaps new rows into the charts already drawn instead of building them again
    with st.container():
        if measure == "fte_per_100k":
            st.caption(im.PER_100K_DEFINITION)
        if measure in ("leaver_rate", "joiner_rate"):
            st.caption("Monthly rates, FTE basis. Leavers are summed over organisations, so moves between "
                       "organisations inside a system count.")
        if table["value"].notna().sum() == 0:
            st.warning(f"No {ms.label.lower()} figures for {group} in this period. "
                       + im.EMPTY_MEASURE_HELP.get(measure, "The data loaded does not include them."),
                       icon=":material/warning:")
        if problem:
            st.warning(md(problem), icon=":material/warning:")

    description = fig["description"] if vega else im.map_description(table, measure, group)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        if vega:
            # a copy: Streamlit pops the datasets. No alt=: it would change the spec (see map_view.hex_spec)
            st.vega_lite_chart(spec={**fig["hexes"]}, key="map_hex", on_select="rerun", width="content")
            st.caption(description if selected else f"{description}  \n{CLICK_HINT}")
            trend_charts.show(fig["legend"], "", "map_legend", downloads=False, height=map_view.LEGEND_HEIGHT_PX)
        else:
            deck = map_view.build_deck(table, scale, measure, ctx.level, shapes if use_shapes else None, selected)
            event = st.pydeck_chart(deck, on_select="rerun", selection_mode="single-object", key="map_deck",
                                    height=map_view.MAP_HEIGHT,
                                    alt=f"Map of the {ctx.systems_label} coloured by {ms.label.lower()}. {description}")
            selected = map_view.selected_code(event, codes) or selected
            st.caption(description if selected else f"{description}  \n{CLICK_HINT}")
            trend_charts.show(map_view.legend_chart(scale, table["value"].isna().any()), "", "map_legend",
                              downloads=False, height=map_view.LEGEND_HEIGHT_PX)
        if not use_shapes:  # the hexagons carry short labels: the key names every system
            map_view.hex_key(ctx.level)
        # the map itself cannot take keyboard focus: the same choice from a list, beside it
        names = fig["names"] if vega else map_view.picker_names(table)
        st.selectbox("Choose a system (keyboard or list)", list(names), index=None,
                     format_func=lambda c: f"{names[c]} ({c})", key="map_pick",
                     placeholder="Type or pick a system name")
        if selected:
            st.session_state["map_selected_area"] = selected
            r = table[table["code"] == selected].iloc[0]
            st.markdown(f"**{r['name']}** ({r['region_name']})  \n{ms.label}: **{r['value_text']}**  \n"
                        f"{ms.numerator}: {r['numerator_text']}; {ms.denominator}: {r['denominator_text']}")
            st.page_link("views/profile.py", label=f"Open the profile of {r['name']}", icon=":material/account_box:",
                         query_params={"source": st.query_params.get("source", ""), "level": ctx.level,
                                       "period": ctx.period, "area": selected, "group": group})
    with right:
        rank = fig["rank"] if vega else map_view.ranked_chart(table, scale, measure, selected)
        rank_words = (fig["rank_words"] if vega
                      else map_view.rank_words(table, measure, group, ctx.period, selected))
        trend_charts.show(rank, f"ranking_{measure}_{ctx.level}_{ctx.period}", "map_rank", description=rank_words,
                          note=f"Bars: {ms.label.lower() if ms.label[1:2].islower() else ms.label} by system, highest "
                               "first. Grey ticks: each system's region average. Dotted dark grey line: England. "
                               "Averages are ratios of sums over systems."
                               + (f" {peers.BETTER[measure].capitalize()} is better." if measure in peers.BETTER
                                  else ""))
        # every system's figures as CSV / Excel: the table and its files are built only when the popover is open
        on_request.table_downloads(lambda: im.export_table(table, measure, group, ctx.period),
                                   f"map_{measure}_{ctx.level}_{ctx.period}", "map_table",
                                   notes=[f"{ctx.source_label}; {ctx.systems_label}; period ending {ctx.period}; "
                                          f"{what}",
                                          *([] if not ctx.synthetic else ["SYNTHETIC demo data - not real figures"])],
                                   label="Download map data")


map_body()
