"""The studio's panels below the results: compare scenarios, least-cost mix, uncertainty, assumptions, save/load/share.
"""
from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from lib.insight import exports
from lib.whatif import library
from lib.whatif import studio as w
from lib.whatif.scenario import Scenario, ScenarioError
from lib.sharing.redact import for_viewers
from ui import board_pack, charts, shell, tables
from ui.text import md, quoted
from ui.whatif.bridge_panel import bridge_panel
from ui.whatif.results import plain_note, plain_source
from ui.whatif.session import (SS, PANELS, baseline_cached, baseline, run_cached, monte_carlo, optimise, live_key,
                               reset_editor, load_later, show_errors, log_change, auth_user, money, offer_moved,
                               library_url)


def panels(ctx, scn: Scenario, res, names: dict) -> None:
    """One control and the chosen panel: only that panel is built and sent (nothing is computed for the others).
    Six tabs were seven elements on every lever move; this is two."""
    SS.setdefault("wi_panel", PANELS[0])        # set before the widget (no default argument: tests and links set it)
    choice = st.segmented_control("More on this scenario", PANELS, key="wi_panel", required=True,
                                  label_visibility="collapsed") or PANELS[0]
    fn = dict(zip(PANELS, (compare_panel, bridge_panel, optimiser_panel, uncertainty_panel, assumptions_panel,
                           save_panel)))[choice]
    with st.container(key="wi_panel_body"):
        fn(ctx, scn, res)


def _next_name(saved: dict) -> str:
    i = len(saved) + 1
    while f"Scenario {i}" in saved:
        i += 1
    return f"Scenario {i}"


def unique_name(name: str, saved: dict) -> str:
    """The name typed, or 'name (2)', 'name (3)'... when it is taken: adding never overwrites a saved row."""
    if name not in saved:
        return name
    i = 2
    while f"{name} ({i})" in saved:
        i += 1
    return f"{name} ({i})"


def _add_to_comparison(scn_json: str, scn_name: str) -> None:
    """Button callback: add under the scenario's own name (the one name box, 'Scenario name' above the levers),
    made unique; unnamed scenarios become 'Scenario N'."""
    saved: dict = SS.setdefault("wi_saved", {})
    if len(saved) >= w.MAX_COMPARE:
        return
    typed = " ".join(str(scn_name or "").split())[:60]
    name = unique_name(typed or _next_name(saved), saved)
    saved[name] = scn_json
    log_change("Added to the comparison", name)


def compare_chart_spec(n_series: int, group: str, big: bool = False) -> dict:
    """Gap over time for the compared scenarios: 280 px plot, year labels horizontal, legend under the plot in
    as many columns as series (so no name is clipped), fixed colours and marker shapes per scenario."""
    f = charts.BIG_FONT_PX if big else 12
    return {
        "title": {"text": f"Gap over time: {group}", "anchor": "start"},
        "height": 280,
        "mark": {"type": "line", "point": {"size": 90 if big else 50, "filled": True}, "strokeWidth": 3 if big else 2},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "Year",
                  "axis": {"labelAngle": 0, "labelFontSize": f, "titleFontSize": f}},
            "y": {"field": "gap", "type": "quantitative", "title": "Gap (FTE)",
                  "axis": {"labelFontSize": f, "titleFontSize": f, "format": ",.0f"}},
            "color": {"field": "scenario", "type": "nominal", "title": None, "sort": None,
                      "scale": {"range": [charts.BASELINE_COLOUR, *charts.COMPARE_COLOURS]},
                      "legend": {"orient": "bottom", "columns": max(n_series, 1), "labelLimit": 0,
                                 "labelFontSize": f, "symbolStrokeWidth": 3}},
            "shape": {"field": "scenario", "type": "nominal", "sort": None, "legend": None,
                      "scale": {"range": ["stroke", *charts.COMPARE_SHAPES]}},
            "tooltip": [{"field": "scenario", "type": "nominal", "title": "Scenario"},
                        {"field": "year", "type": "ordinal", "title": "Year"},
                        {"field": "gap", "type": "quantitative", "title": "Gap (FTE)", "format": ",.0f"}]},
        "config": charts.with_text_colours(charts.big_config() if big else None),
    }


def compare_picture_spec(spec: dict, rows: list[dict]) -> dict:
    """The comparison chart as a picture for a board paper: every compared scenario in the legend (two columns
    under the plot, names never shortened) and a picture that grows to hold them (autosize 'pad'; the on-screen
    'fit' cut the legend and the source line at the picture's edge)."""
    out = {k: v for k, v in spec.items() if k not in ("autosize", "config", "height", "width")}
    enc = json.loads(json.dumps(out["encoding"]))
    enc["color"]["legend"] = {"orient": "bottom", "direction": "vertical", "columns": 2, "labelLimit": 0,
                              "symbolStrokeWidth": 3, "labelFontSize": 12, "columnPadding": 24}
    for ax in ("x", "y"):
        enc[ax]["axis"] = {k: v for k, v in enc[ax]["axis"].items() if not k.endswith("FontSize")}
    out.update({"encoding": enc, "data": {"values": rows}, "width": 760, "height": 320, "autosize": {"type": "pad"}})
    return out


def _add_row(scn: Scenario, saved: dict) -> None:
    full = len(saved) >= w.MAX_COMPARE
    row = st.container(horizontal=True, vertical_alignment="center")   # one block: not columns (3 elements)
    row.button("Add current scenario", key="wi_cmp_add", disabled=full, icon=":material/add:",
               on_click=_add_to_comparison, args=(scn.to_json(None), scn.name))
    as_name = unique_name(" ".join(scn.name.split())[:60] or _next_name(saved), saved)
    row.caption(f"Up to {w.MAX_COMPARE} scenarios side by side: remove one to add another." if full else
                f"Adds it as '{as_name}': the name is the scenario's own ('Scenario name', above the levers; one "
                "name for the comparison, the library and the downloaded file).".replace("[", "(").replace("]", ")"))


def compare_panel(ctx, scn: Scenario, res, big: bool = False) -> None:
    """Up to four saved scenarios side by side (a card each) and their gap over time. In workshop mode (`big`)
    the cards and the chart come first, so the room sees them without scrolling; adding comes after."""
    saved: dict = SS.setdefault("wi_saved", {})
    group = SS.get("wi_focus", w.NURSES)
    if not big:
        _add_row(scn, saved)
    if not saved:
        st.info("Add the current scenario, change the levers, and add again to compare up to four side by side.")
        if big:
            _add_row(scn, saved)
        return
    runs, problems = {}, []
    for n, js in saved.items():
        try:
            runs[n] = run_cached(*live_key(ctx), js)
        except ScenarioError as exc:
            problems.append(f"{n}: {'; '.join(exc.errors)}")
    for p in problems:
        st.warning(f"Cannot run {md(p)}")
    if not runs:
        return
    gaps, table = w.comparison(runs, group)
    cols = st.columns(len(table))
    for i, (col, (_, r)) in enumerate(zip(cols, table.iterrows())):
        T = int(r["Years"])
        closes = w.year_short(None if pd.isna(r["Gap closes (year)"]) else int(r["Gap closes (year)"]), T)
        gap = float(r["Gap in final year (FTE)"])
        with col.container(border=True):   # a surplus said as the headline cards say it (studio.gap_word)
            st.markdown(f"**{i + 1}. {md(r['Scenario'])}**  \n"
                        f"{w.gap_word(gap)} in year {T}: **{shell.num(abs(gap))} FTE**  \n"
                        f"{'Surplus from' if w.is_surplus(gap) else 'Gap closes'}: **{closes}**  \n"
                        f"Extra cost: **{money(r['Extra cost over baseline, all years (£)'])}**  \n"
                        + ":gray[" + "; ".join(w.lever_summary(Scenario.from_json(saved[r["Scenario"]])))
                        .replace("[", "(").replace("]", ")") + "]")  # the product's own words for the levers
    base = w.gap_frame(res, group)
    base = base[base["scenario"] == w.SCENARIO_LABELS["baseline"]].assign(scenario="Baseline (no levers)")
    data = pd.concat([base, gaps], ignore_index=True)[["scenario", "year", "gap"]]
    spec = compare_chart_spec(data["scenario"].nunique(), group, big)
    ends = gaps[gaps["year"] == gaps.groupby("scenario")["year"].transform("max")]
    desc = w.final_year_caption(ends, base["gap"].iloc[-1])
    spec["description"] = desc
    # the cards now carry each scenario's levers (a line or two more): a lower chart keeps four scenarios' cards
    # and the whole chart on a 1366x768 screen (tests/browser/test_room_ready.py)
    spec["height"] = 220 if big else 240
    height = spec.pop("height") + 70 + (30 if big else 24) + (20 if big else 0)
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    st.vega_lite_chart(data, spec, key="wi_ch_cmp", width="stretch", height=height)
    st.caption(desc)
    base_model = baseline_cached(*live_key(ctx))
    charts.download_row(compare_picture_spec(spec, data.to_dict("records")), "what_if_compare", "wi_ch_cmp",
                        title=f"Gap over time: {group}", system=SS.get("wi_area_label"),
                        source=st.session_state.get("_source_statement"),
                        notes=w.picture_notes(base_model, scn.area, group))
    if big:
        _add_row(scn, saved)
    # the system's board pack with these scenarios (those of another system are named and left out there)
    board_pack.button(ctx, scn.area, "wi_board_pack", scenarios=dict(saved))
    with st.expander("Comparison table", expanded=not big):
        tables.show(table, column_config={
            c: st.column_config.NumberColumn(format="percent" if "rate" in c else "%,.0f") for c in table.columns[3:]})
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Saved scenario", list(saved), key="wi_cmp_pick")
    if c2.button("Load into the levers", key="wi_cmp_load"):
        load_later(Scenario.from_json(saved[pick]), f"Loaded {quoted(pick)} from the comparison.")
    if c3.button("Remove", key="wi_cmp_remove"):
        saved.pop(pick, None)
        st.rerun(scope="fragment")


def optimiser_panel(ctx, scn: Scenario, res) -> None:
    st.markdown("**Close the gap by year N at least cost.** The optimiser picks recruitment, retention, training "
                "places and new-role trainees within your limits so that no staff group in the chosen area has a gap "
                "in that year, at the lowest cost (pay bill in that year plus one-off costs).")
    c1, c2, c3 = st.columns(3)
    year = c1.slider("Close the gap by year", 1, 10, min(5, scn.horizon), key="wi_opt_year")
    agency = c2.toggle("Allow agency/locum cover", value=False, key="wi_opt_agency",
                       help="Agency cover at the agency price keeps every problem solvable; it is not a lever.")
    integer = c3.toggle("Whole FTE only", value=False, key="wi_opt_int")
    c1, c2, c3, c4 = st.columns(4)
    rec = c1.number_input("Recruitment limit (% of group FTE a year, each route)", 0.0, 20.0, 2.0, 0.5, key="wi_opt_rec")
    ret = c2.number_input("Leaver-rate cut limit (points)", 0.0, 10.0, 2.0, 0.5, key="wi_opt_ret")
    tp = c3.number_input("Extra training places limit (% of group FTE a year)", 0.0, 20.0, 2.0, 0.5, key="wi_opt_tp")
    nr = c4.number_input("New-role trainees limit (% of the group they support)", 0.0, 20.0, 1.0, 0.5, key="wi_opt_nr")
    base = baseline_cached(*live_key(ctx))
    limits = w.optimiser_limits(base, scn.area, rec, ret, tp, nr)
    args = (*live_key(ctx), scn.to_json(None), int(year), json.dumps(limits, sort_keys=True), bool(agency), bool(integer))
    if st.button("Find the least-cost mix", key="wi_opt_go", type="primary", icon=":material/calculate:"):
        SS["wi_opt_args"] = args
    if SS.get("wi_opt_args") != args:
        if SS.get("wi_opt_args"):
            st.caption("Settings have changed since the last run: press the button again.")
        return
    try:
        mix = optimise(*args)
    except (ScenarioError, ValueError) as exc:
        st.error(f"The optimiser could not run: {md(exc)}")
        return
    if not mix.success:
        st.warning(mix.message, icon=":material/block:")
        return
    for line in w.explain_mix(mix):
        st.markdown(line)
    mt = w.mix_table(mix)
    if len(mt):
        st.dataframe(mt, hide_index=True, width="stretch", column_config={
            "FTE delivered by the year": st.column_config.NumberColumn(format="localized"),
            "Cost (£ a year at that point)": st.column_config.NumberColumn(format="localized")})
    if mix.check is not None:
        with st.expander("Check table: the gap in that year when the mix is run through the model"):
            st.dataframe(mix.check.rename(columns={"staff_group": "Staff group", "gap_baseline": "Gap, baseline",
                                                   "gap_with_levers": "Gap with the levers",
                                                   "agency_fte": "Agency cover (FTE)",
                                                   "gap_after_agency": "Gap after agency cover"}),
                         hide_index=True, width="stretch")
    for n in mix.notes:
        st.caption(plain_note(n))
    if mix.scenario is not None and st.button("Load this mix as the current scenario", key="wi_opt_load",
                                              icon=":material/input:"):
        load_later(mix.scenario, "Loaded the least-cost mix into the levers (levers the controls cannot show are "
                                 "listed under the controls).")


def uncertainty_panel(ctx, scn: Scenario, res) -> None:
    group = SS.get("wi_focus", w.NURSES)
    st.markdown(f"**How sure is the gap for {group}?** Leaver rates and demand growth are drawn at random "
                "(one draw applies to every system and role: a national shock) and the model is rerun for each draw.")
    c1, c2, c3, c4 = st.columns(4)
    lp = c1.slider("Leaver rate: +/- points (80% range)", 0.0, 5.0, 1.0, 0.1, key="wi_mc_leaver")
    gp = c2.slider("Demand growth: +/- points (80% range)", 0.0, 5.0, 1.0, 0.1, key="wi_mc_growth")
    n = c3.selectbox("Draws", [200, 500, 1000], index=1, key="wi_mc_draws")
    seed = int(c4.number_input("Random draw number", 0, 2**31 - 1, 2024, key="wi_mc_seed",
                               help="The same number gives the same fan; change it to see another set of draws."))
    by = st.slider("Chance the gap has closed by year", 1, scn.horizon, scn.horizon, key="wi_mc_year")
    mc = monte_carlo(*live_key(ctx), scn.to_json(None), lp, gp, int(n), seed)
    fan = w.fan_frame(mc, scn.area, group)
    p = w.prob_closed(mc, scn.area, group, by)
    st.metric(f"Chance the {group} gap has closed by year {by}", shell.pct(p, 0), border=True,
              help=f"Share of {n} draws in which the gap reached zero in some year up to {by}.")
    band = alt.Chart(fan).mark_area(opacity=0.25, color="#005EB8").encode(
        x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0)), y=alt.Y("gap_p10:Q", title="Gap (FTE)"),
        y2="gap_p90:Q",
        tooltip=["year", alt.Tooltip("gap_p10:Q", format=",.0f", title="Low (1 in 10 below)"),
                 alt.Tooltip("gap_p50:Q", format=",.0f", title="Middle"),
                 alt.Tooltip("gap_p90:Q", format=",.0f", title="High (1 in 10 above)")])
    mid = alt.Chart(fan).mark_line(color="#003087").encode(x=alt.X("year:O", axis=alt.Axis(labelAngle=0)),
                                                            y="gap_p50:Q")
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#3D3D3D", strokeDash=[2, 2]).encode(y="y:Q")
    last = fan.iloc[-1]
    charts.show_chart((band + mid + zero).properties(
        title=f"Range of the gap (8 in 10 draws inside the band; line: middle): {group}", height=260),
        "what_if_fan", "wi_ch_fan", height=400,
        description=(f"Gap in year {int(last['year'])}: middle {last['gap_p50']:,.0f} FTE; 8 in 10 draws between "
                     f"{last['gap_p10']:,.0f} and {last['gap_p90']:,.0f} FTE."))
    st.caption(f"{mc.n_draws} draws (random draw number {mc.seed}); the ranges you set are 80% intervals of a normal "
               "distribution.")


SECTION_WORDS = {"afc_bands": "Agenda for Change pay bands", "on_costs": "Employer on-costs",
                 "staff_group_pay": "Pay by staff group", "new_roles": "New roles", "training": "Training",
                 "recruitment": "Recruitment and retention", "demand": "Demand"}


def _editor_changed(key: str) -> None:
    """Fold the edits into the table the editor starts from, so they survive tab switches."""
    ed = SS.get(key) or {}
    t = SS["wi_editor_base"].copy()
    for i, row in (ed.get("edited_rows") or {}).items():
        for col, val in row.items():
            t.loc[int(i), col] = val
            log_change(f"Assumption {t.loc[int(i), 'section']} / {t.loc[int(i), 'item']} / "
                       f"{t.loc[int(i), 'field']}", val)
    ov, errs = w.overrides_from_table(t)
    SS["wi_assump_errors"] = errs
    if not errs:
        SS["wi_overrides"] = ov
        SS["wi_editor_base"] = t
    SS["wi_editor_ver"] = SS.get("wi_editor_ver", 0) + 1


def assumptions_panel(ctx, scn: Scenario, res) -> None:
    if "wi_editor_base" not in SS:
        reset_editor()
    t = SS["wi_editor_base"]
    unv = int((t["status"] == "UNVERIFIED").sum())
    st.markdown(f"**Assumptions used by the model.** Edit a value to change it for this scenario. "
                f"{unv} of {len(t)} values are marked **UNVERIFIED**: placeholders to confirm locally.")
    st.caption("New-role training lag, cost and substitution ratio, and demand growth and productivity, are set "
               "with the lever controls.")
    for e in SS.pop("wi_assump_errors", []):
        st.error(f"Not applied: {md(e)}")
    key = f"wi_editor_{SS.get('wi_editor_ver', 0)}"
    shown = t.assign(section=t["section"].map(lambda v: SECTION_WORDS.get(v, str(v).replace("_", " ").capitalize())),
                     field=t["field"].map(lambda v: str(v).replace("_", " ")),
                     source=t["source"].map(plain_source))
    st.data_editor(shown, key=key, hide_index=True, width="stretch", height=360,
                   disabled=["section", "item", "field", "status", "source"], on_change=_editor_changed, args=(key,),
                   column_config={"section": st.column_config.TextColumn("Area", width="small"),
                                  "item": st.column_config.TextColumn("Item"),
                                  "field": st.column_config.TextColumn("Setting"),
                                  "value": st.column_config.TextColumn("Value", help="Numbers or Agenda for Change "
                                                                                     "band codes (e.g. 5, 8a)"),
                                  "status": st.column_config.TextColumn("Status", help="UNVERIFIED = placeholder "
                                                                                       "to confirm locally"),
                                  "source": st.column_config.TextColumn("Source", width="large")})
    ov = SS.get("wi_overrides") or {}
    if ov:
        st.caption(f"{sum(len(v) if isinstance(v, dict) else 1 for v in ov.values())} assumption group(s) changed "
                   "from the defaults (the scenario file lists them).")
        if st.button("Reset assumptions to the defaults", key="wi_assump_reset"):
            SS["wi_overrides"] = {}
            reset_editor()
            st.rerun(scope="fragment")


def save_panel(ctx, scn: Scenario, res) -> None:
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Save or share**")
        fname = "".join(ch if ch.isalnum() else "_" for ch in (scn.name or "scenario"))[:40] or "scenario"
        st.download_button("Download scenario (JSON)", w.scenario_json(scn), file_name=f"{fname}.json",
                           mime="application/json", key="wi_save", icon=":material/download:", on_click="ignore")
        st.caption("The page address always carries the current scenario: copy it from the browser bar to share "
                   "exactly what is on screen. Command line: `python -m lib scenario --data-dir DIR --scenario FILE`.")
        with st.expander("Scenario JSON"):
            st.code(w.scenario_json(scn), language="json")
    with c2:
        st.markdown("**Load a scenario**")
        up = st.file_uploader("Scenario file (JSON)", type=["json"], key="wi_upload")
        if up is not None and SS.get("wi_upload_done") != up.file_id:
            SS["wi_upload_done"] = up.file_id
            _load_text(up.getvalue(), f"file {quoted(up.name)}")
        text = st.text_area("Or paste scenario JSON", key="wi_paste", height=120)
        if st.button("Load pasted JSON", key="wi_paste_go"):
            _load_text(text, "the pasted text")
    st.divider()
    library_section(ctx, scn)
    st.divider()
    change_log_section(ctx)


def library_section(ctx, scn: Scenario) -> None:
    """Named scenarios kept on the server (lib.whatif.library: SQLite in the store, or the deployment's database):
    outlive the browser session, with who and when; the library's own change log downloads as CSV."""
    db = library_url()
    where = "in the deployment's database" if db else "on the server with the data"
    st.markdown(f"**Workshop library** (kept {where}, for everyone using this data)")
    row = st.container(horizontal=True, vertical_alignment="center")
    name = " ".join(scn.name.split())
    if row.button("Save to the library", key="wi_lib_save", icon=":material/bookmark_add:", disabled=not name):
        try:
            name = library.save(ctx.data_dir, name, scn, auth_user(), database_url=db)
            log_change("Saved to the library", name)
            st.success(f"Saved {quoted(name)} to the library.")
        except (library.LibraryError, OSError) as exc:
            st.error(f"Not saved: {md(for_viewers(exc, ctx.data_dir))}")
    row.caption(f"Saves it as {quoted(name)} (the scenario's name, above the levers)." if name else
                "Name the scenario first ('Scenario name', above the levers): the library keeps it under that name.")
    try:
        t, problems = library.entries(ctx.data_dir, database_url=db)
    except (library.LibraryError, OSError) as exc:
        st.warning(f"The library cannot be shown just now: {md(for_viewers(exc, ctx.data_dir))}",
                   icon=":material/warning:")
        return
    for p in problems:
        st.warning(f"A library entry could not be read and is not listed: {md(for_viewers(p, ctx.data_dir))}")
    if t.empty:
        st.caption("No scenarios in the library yet.")
        return
    shown = t.rename(columns={"name": "Name", "saved_by": "Saved by", "saved_at_utc": "Saved at (UTC)",
                              "area": "System", "years": "Years", "levers": "Levers"})
    st.dataframe(shown, hide_index=True, width="stretch", height=min(36 * (len(shown) + 1) + 4, 220))
    st.caption(f"You are {md(auth_user())}. Everyone here can load, compare and export any scenario; only the "
               "person who saved one can replace or delete it. Names differing only in capitals or Unicode form "
               "count as the same name.")
    saved: dict = SS.setdefault("wi_saved", {})
    c1, c2, c5, c3, c4 = st.columns([2, 1, 1.3, 1, 1.3], vertical_alignment="bottom")
    pick = c1.selectbox("Library scenario", list(t["name"]), key="wi_lib_pick")
    if c5.button("Add to comparison", key="wi_lib_compare", icon=":material/compare_arrows:",
                 disabled=len(saved) >= w.MAX_COMPARE,
                 help=f"Compare it beside the others (up to {w.MAX_COMPARE}) without loading it into the levers"):
        try:
            loaded = library.load(ctx.data_dir, pick, database_url=db)
            errs = w.check_area(loaded, baseline(ctx))
            if errs:
                raise ScenarioError(errs)
        except (library.LibraryError, ScenarioError) as exc:
            st.error(f"Could not compare {quoted(pick)}: {md(for_viewers(exc, ctx.data_dir))}")
        else:
            name = unique_name(pick, saved)
            saved[name] = loaded.to_json(None)
            log_change("Added to the comparison from the library", name)
            st.success(f"Added {quoted(name)} to the comparison ({len(saved)} of {w.MAX_COMPARE}): see Compare "
                       "scenarios.")
    if c2.button("Load", key="wi_lib_load", icon=":material/input:"):
        try:
            loaded = library.load(ctx.data_dir, pick, database_url=db)
            if offer_moved(loaded, baseline(ctx), f"Library scenario {quoted(pick)}"):
                st.rerun(scope="app")
            errs = w.check_area(loaded, baseline(ctx))
            if errs:
                raise ScenarioError(errs)
        except (library.LibraryError, ScenarioError) as exc:
            st.error(f"Could not load {quoted(pick)}: {md(for_viewers(exc, ctx.data_dir))}")
        else:
            load_later(loaded, f"Loaded {quoted(pick)} from the workshop library.")
    me, owner = auth_user(), library.owner(ctx.data_dir, pick, database_url=db)
    mine = owner is not None and library.may_change(owner, me)
    if c3.button("Delete", key="wi_lib_delete", icon=":material/delete:", disabled=not mine,
                 help=None if mine else f"Only {owner or 'its owner'} can delete it"):
        try:
            library.delete(ctx.data_dir, pick, me, database_url=db)
        except library.LibraryError as exc:
            st.error(md(exc))
        else:
            log_change("Deleted from the library", pick)
            st.rerun(scope="fragment")
    c4.download_button("Export library (zip)", lambda: library.export_zip(ctx.data_dir, database_url=db),
                       file_name="what_if_library.zip", mime="application/zip", key="wi_lib_export",
                       icon=":material/download:", on_click="ignore")
    notes = exports.standard_notes("What-if library change log", period=f"{shell.period_label(ctx.period)} "
                                   f"({ctx.level})", synthetic=ctx.synthetic)
    st.download_button("Library change log (CSV): who saved, replaced, deleted or imported what, when",
                       lambda: library.library_log_csv(ctx.data_dir, notes, db),
                       file_name="what_if_library_changes.csv", mime="text/csv", key="wi_lib_changes",
                       icon=":material/history:", on_click="ignore")


def change_log_section(ctx) -> None:
    rows = SS.get("wi_log", [])
    st.markdown("**Change log of this session**")
    st.caption(f"{len(rows)} lever and assumption changes recorded (who, when, what, value).")
    notes = exports.standard_notes("What-if studio change log", period=f"{shell.period_label(ctx.period)} "
                                   f"({ctx.level})", synthetic=ctx.synthetic)
    st.download_button("Download the change log (CSV)", lambda: library.log_csv(rows, notes),
                       file_name="what_if_change_log.csv", mime="text/csv", key="wi_log_csv",
                       icon=":material/download:", on_click="ignore", disabled=not rows)


def _load_text(raw, what: str) -> None:
    try:
        scn = w.parse_upload(raw)
        if offer_moved(scn, baseline(st.session_state["ctx"]), f"The scenario in {what}"):
            st.rerun(scope="app")
        errs = w.check_area(scn, baseline(st.session_state["ctx"]))
        if errs:
            raise ScenarioError(errs)
    except ScenarioError as exc:
        show_errors(f"Could not load {what}: it is not a valid scenario. Nothing was changed.", exc.errors)
        return
    load_later(scn, f"Loaded scenario {quoted(scn.name) if scn.name else ''} from {what}.".replace("  ", " "))
