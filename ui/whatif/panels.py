"""The studio's panels below the results: compare scenarios, least-cost mix, uncertainty, assumptions, save/load/share.
"""
from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from lib.whatif import studio as w
from lib.whatif.scenario import Scenario, ScenarioError
from ui import charts, shell
from ui.whatif.session import SS, PANELS, baseline_cached, baseline, run_cached, monte_carlo, optimise, live_key, reset_editor, load_later, show_errors


def panels(ctx, scn: Scenario, res, names: dict) -> None:
    tabs = st.tabs(PANELS, key="wi_panel", on_change="rerun")
    for tab, fn in zip(tabs, (compare_panel, optimiser_panel, uncertainty_panel, assumptions_panel, save_panel)):
        if tab.open:
            with tab:
                fn(ctx, scn, res)


def compare_panel(ctx, scn: Scenario, res) -> None:
    saved: dict = SS.setdefault("wi_saved", {})
    group = SS.get("wi_focus", w.NURSES)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    default = scn.name or f"Scenario {len(saved) + 1}"
    name = c1.text_input("Name for the comparison", value=default, max_chars=60, key="wi_cmp_name").strip() or default
    full = len(saved) >= w.MAX_COMPARE and name not in saved
    if c2.button("Add current scenario", key="wi_cmp_add", disabled=full, icon=":material/add:"):
        saved[name] = scn.to_json(None)
        st.rerun(scope="fragment")
    if full:
        st.caption(f"Up to {w.MAX_COMPARE} scenarios side by side: remove one to add another.")
    if not saved:
        st.info("Add the current scenario, change the levers, and add again to compare up to four side by side.")
        return
    runs, problems = {}, []
    for n, js in saved.items():
        try:
            runs[n] = run_cached(*live_key(ctx), js)
        except ScenarioError as exc:
            problems.append(f"{n}: {'; '.join(exc.errors)}")
    for p in problems:
        st.warning(f"Cannot run {p}")
    if not runs:
        return
    gaps, table = w.comparison(runs, group)
    base = w.gap_frame(res, group)
    base = base[base["scenario"] == w.SCENARIO_LABELS["baseline"]].assign(scenario="Baseline (current area)")
    data = pd.concat([base, gaps], ignore_index=True)
    ch = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("year:O", title="Year"), y=alt.Y("gap:Q", title="Gap (FTE)"),
        color=alt.Color("scenario:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=300)),
        tooltip=["scenario", "year", alt.Tooltip("gap:Q", format=",.0f")])
    charts.show_chart(ch.properties(title=f"Gap over time: {group}", height=260), "what_if_compare", "wi_ch_cmp")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(format="percent" if "rate" in c else "localized") for c in table.columns[3:]})
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Saved scenario", list(saved), key="wi_cmp_pick")
    if c2.button("Load into the levers", key="wi_cmp_load"):
        load_later(Scenario.from_json(saved[pick]), f"Loaded {pick!r} from the comparison.")
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
        st.error(f"The optimiser could not run: {exc}")
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
        with st.expander("Check: the gap in that year when the mix is run through the model"):
            st.dataframe(mix.check.rename(columns={"staff_group": "Staff group", "gap_baseline": "Gap, baseline",
                                                   "gap_with_levers": "Gap with the levers",
                                                   "agency_fte": "Agency cover (FTE)",
                                                   "gap_after_agency": "Gap after agency cover"}),
                         hide_index=True, width="stretch")
    for n in mix.notes:
        st.caption(n)
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
    seed = int(c4.number_input("Seed", 0, 2**31 - 1, 2024, key="wi_mc_seed", help="Same seed, same fan."))
    by = st.slider("Chance the gap has closed by year", 1, scn.horizon, scn.horizon, key="wi_mc_year")
    mc = monte_carlo(*live_key(ctx), scn.to_json(None), lp, gp, int(n), seed)
    fan = w.fan_frame(mc, scn.area, group)
    p = w.prob_closed(mc, scn.area, group, by)
    st.metric(f"Chance the {group} gap has closed by year {by}", shell.pct(p, 0), border=True,
              help=f"Share of {n} draws in which the gap reached zero in some year up to {by}.")
    band = alt.Chart(fan).mark_area(opacity=0.25, color="#005EB8").encode(
        x=alt.X("year:O", title="Year"), y=alt.Y("gap_p10:Q", title="Gap (FTE)"), y2="gap_p90:Q",
        tooltip=["year", alt.Tooltip("gap_p10:Q", format=",.0f", title="P10"),
                 alt.Tooltip("gap_p50:Q", format=",.0f", title="P50"), alt.Tooltip("gap_p90:Q", format=",.0f", title="P90")])
    mid = alt.Chart(fan).mark_line(color="#003087").encode(x="year:O", y="gap_p50:Q")
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#3D3D3D", strokeDash=[2, 2]).encode(y="y:Q")
    charts.show_chart((band + mid + zero).properties(title=f"Gap fan (P10-P90, line P50): {group}", height=260),
                      "what_if_fan", "wi_ch_fan")
    st.caption(f"{mc.n_draws} draws, seed {mc.seed}; ranges are 80% intervals drawn from a normal distribution "
               "(METHODS 5).")


def _editor_changed(key: str) -> None:
    """Fold the edits into the table the editor starts from, so they survive tab switches."""
    ed = SS.get(key) or {}
    t = SS["wi_editor_base"].copy()
    for i, row in (ed.get("edited_rows") or {}).items():
        for col, val in row.items():
            t.loc[int(i), col] = val
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
        st.error(f"Not applied: {e}")
    key = f"wi_editor_{SS.get('wi_editor_ver', 0)}"
    st.data_editor(t, key=key, hide_index=True, width="stretch", height=360,
                   disabled=["section", "item", "field", "status", "source"], on_change=_editor_changed, args=(key,),
                   column_config={"value": st.column_config.TextColumn("value", help="Numbers or AfC band codes"),
                                  "status": st.column_config.TextColumn("status", help="UNVERIFIED = placeholder"),
                                  "source": st.column_config.TextColumn("source", width="large")})
    ov = SS.get("wi_overrides") or {}
    if ov:
        st.caption("Changed from the defaults: " + json.dumps(ov)[:400])
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
            _load_text(up.getvalue(), f"file {up.name!r}")
        text = st.text_area("Or paste scenario JSON", key="wi_paste", height=120)
        if st.button("Load pasted JSON", key="wi_paste_go"):
            _load_text(text, "the pasted text")


def _load_text(raw, what: str) -> None:
    try:
        scn = w.parse_upload(raw)
        errs = w.check_area(scn, baseline(st.session_state["ctx"]))
        if errs:
            raise ScenarioError(errs)
    except ScenarioError as exc:
        show_errors(f"Could not load {what}: it is not a valid scenario. Nothing was changed.", exc.errors)
        return
    load_later(scn, f"Loaded scenario {scn.name or ''} from {what}.".replace("  ", " "))
