"""What-if studio widgets and charts. Computation lives in lib.whatif; ui.whatif draws.

State: the canonical scenario is kept as JSON in st.session_state["wi_scn"] (and in the URL as `scn`);
the lever widgets ("wi_c_<control>") are set from it whenever a scenario is loaded (link, file, saved
comparison, optimiser).

Speed on a slider move (bench/bench_what_if.py): levers and results are two keyed fragments, and a lever's
callback reruns only the results fragment (st.rerun("wi_results")), so the ~35 lever widgets are not rebuilt
or redrawn; the data key is worked out once per full run; live charts are fixed Vega-Lite specs with the data
passed beside them, so the browser swaps the rows into the existing view instead of rebuilding the chart.
With disclosure control on the baseline comes from the suppressed metrics (lib.whatif.studio.shared_baseline).
"""
from __future__ import annotations

import streamlit as st

from lib.data import geography
from lib.whatif import studio as w
from lib.whatif.projection import ENGLAND
from lib.whatif.scenario import Scenario, ScenarioError, from_query, to_query
from ui import a11y, shell, state
from ui.text import md
from ui.whatif.session import (SS, C, RESULTS, WORKSHOP_KEY, baseline_hidden, baseline, run_cached, live_key,
                               apply_scenario, show_messages, show_errors, offer_moved, show_offer, workshop_from_url, workshop_on,
                               workshop_changed)
from ui.whatif.levers import lever_panel, live_levers, workshop_levers
from ui.whatif.results import HEADLINE_CSS, headlines, results, summary_section
from ui.whatif.panels import compare_panel, panels

WORKSHOP_VIEWS = ["Levers and results", "Compare scenarios"]


def page(ctx) -> None:
    try:
        base = baseline(ctx)            # also records the data key the fragment's reruns reuse
    except (ValueError, OSError) as exc:
        st.error(f"The what-if model cannot start from the loaded data: {md(exc)}. Choose another period or data source.")
        return
    names = dict(zip(base.area_codes, base.area_names))
    options = [ENGLAND] + sorted(base.area_codes, key=lambda c: names[c] or c)

    if not SS.get("wi_url_read"):            # a shared link: once per session, before the widgets exist
        SS["wi_url_read"] = True
        raw = st.query_params.get("scn")
        if raw:
            try:
                scn = from_query(str(raw))
                if not offer_moved(scn, base, "The scenario in this link"):
                    errs = w.check_area(scn, base)
                    if errs:
                        raise ScenarioError(errs)
                    SS["wi_pending"] = scn.to_json(None)
            except ScenarioError as exc:
                SS.setdefault("wi_msgs", []).append((
                    "warning", "The scenario in this link could not be read, so the default scenario is shown. "
                    f"({md('; '.join(exc.errors)[:300])})"))
        raw_cmp = st.query_params.get("cmp")
        if raw_cmp and not SS.get("wi_saved"):     # the comparison of a shared link or a reload (issue 24)
            saved, problems = w.comparison_from_query(str(raw_cmp), base)
            SS["wi_saved"] = saved
            if problems:
                SS.setdefault("wi_msgs", []).append((
                    "warning", "Some compared scenarios in this link could not be read and are left out: "
                    + md("; ".join(problems)[:300])))
    if SS.get("wi_pending"):
        area = Scenario.from_json(SS["wi_pending"]).area
        if area in options:
            SS["url_area"] = area

    workshop_from_url()
    ws = workshop_on()
    st.html(HEADLINE_CSS)                     # static CSS: equal headline cards
    head = st.columns([3, 1.4] if not ws else [2, 1.3, 3.2, 2.4], vertical_alignment="bottom")
    area = state.selectbox("System", "area", options, default=ENGLAND, help="England is the sum of the systems.",
                           container=head[0], check=lambda raw: w.link_area(raw, base),
                           format_func=lambda c: "England (sum of systems)" if c == ENGLAND else f"{names[c]} ({c})")
    SS["wi_area_label"] = "England" if area == ENGLAND else f"{names[area]} ({area})"
    head[1].toggle("Workshop mode", key=WORKSHOP_KEY, on_change=workshop_changed,
                   help="Projector layout: the levers you choose as live sliders beside the headline results, large "
                        "chart text, and a comparison view for up to four scenarios. Link: add ?workshop=1.")
    if not ws:   # in the System box's help too; what the rates rest on is under the headline and the charts
        head[0].caption(f"Projection from the month ending {shell.period_label(base.period)} "
                        f"({ctx.systems_label}); year 1 is the 12 months after it.")
    show_messages()
    state.show_url_notices()   # a link's area of another footprint: what it became (ui.state.url_value)
    show_offer(names)
    if SS.get("wi_pending"):
        apply_scenario(Scenario.from_json(SS.pop("wi_pending")))
        SS.pop("wi_live_values", None)
    elif C + "horizon" not in SS:               # first visit, or back from another page
        apply_scenario(Scenario.from_json(SS["wi_scn"]) if SS.get("wi_scn") else Scenario(area=area))
    if not ws:
        SS.pop("wi_live_values", None)
        top = st.container()
        left, right = st.columns([1, 2.3], gap="medium")
        below = st.container()
        with left:
            lever_panel(area)
        with right:
            studio(ctx, area, names, top, below)
        return
    # ---- workshop mode: chosen levers (live sliders) beside the headline results, everything else below
    a11y.workshop_styles()
    a = w.shared_assumptions()
    levers = live_levers(area, a)
    default = [k for k in (f"nr_{a.new_role_ids[0]}_trainees", "ret_change_pp") if k in levers]
    chosen = lever_chooser(head[2], levers, default)
    view = head[3].segmented_control("Show", WORKSHOP_VIEWS, default=WORKSHOP_VIEWS[0], key="wi_ws_view",
                                     required=True) or WORKSHOP_VIEWS[0]
    live = SS.get("wi_live_values", {})
    live = {k: live.get(k, SS.get(C + k, 0)) for k in chosen}
    SS["wi_live_values"] = live
    for k, v in live.items():
        SS[C + k] = v
    if view == WORKSHOP_VIEWS[1]:
        studio(ctx, area, names, st.container(), st.container(), view="compare")
        with st.expander("All levers", icon=":material/tune:"):
            lever_panel(area)
        return
    left, right = st.columns([1, 2.6], gap="medium")
    with left:
        st.markdown("**Levers**")
        if chosen:
            workshop_levers(area, chosen)
        else:
            st.caption("Choose levers to show above.")
        st.caption(f"From {shell.period_label(base.period)}, {ctx.systems_label}. More levers below.")
    below = st.container()
    with right:
        studio(ctx, area, names, st.container(), below, view="workshop")
    with below:
        with st.expander("All levers", icon=":material/tune:"):
            lever_panel(area)


MAX_LIVE = 4
LIVE_CHOSEN = "wi_live_chosen"


def _keep_at_most_four() -> None:
    """A fifth lever is refused (the previous choice stays) and the person is told why."""
    now = list(SS.get(LIVE_CHOSEN) or [])
    if len(now) > MAX_LIVE:
        SS[LIVE_CHOSEN] = [k for k in SS.get("wi_live_chosen_prev", now) if k in now][:MAX_LIVE]
        SS["wi_live_too_many"] = True
    else:
        SS["wi_live_chosen_prev"] = now


def lever_chooser(box, levers: dict, default: list[str]) -> list[str]:
    """The levers shown as live sliders: toggle buttons in a popover. (A multiselect's chips are 15x7 px remove
    targets and carry an aria-label on a span with no role, which axe-core flags; pills are real buttons with
    aria-pressed, 24 px or more.)"""
    with box.popover("Levers on screen (up to 4)", icon=":material/tune:", width="stretch"):
        chosen = st.pills("Levers on screen (up to 4)", list(levers), default=default, selection_mode="multi",
                          key=LIVE_CHOSEN, format_func=lambda k: levers[k][0], on_change=_keep_at_most_four,
                          label_visibility="collapsed")
        if SS.pop("wi_live_too_many", False):
            st.caption("Up to four levers fit beside the results: take one off first.")
    return list(chosen or [])[:MAX_LIVE]


@st.fragment(key=RESULTS)
def studio(ctx, area: str, names: dict, top, below, view: str = "normal") -> None:
    for k, v in (SS.get("wi_live_values") or {}).items():   # workshop mode: the live sliders' values
        if SS.get(WORKSHOP_KEY):
            SS[C + k] = v
    a = w.shared_assumptions()
    controls = {k: SS.get(C + k, v) for k, v in w.default_controls(a).items()}
    try:
        scn = w.scenario_from_controls(controls, area, SS.get("wi_name", ""), SS.get("wi_extras"),
                                       SS.get("wi_overrides"), a=a, footprint=geography.vintage(ctx.level).key)
    except ScenarioError as exc:
        show_errors("These lever settings cannot be run:", exc.errors)
        return
    js = scn.to_json(None)
    SS["wi_scn"] = js
    try:
        q = to_query(scn)
        if st.query_params.get("scn") != q:
            st.query_params["scn"] = q
    except ScenarioError as exc:
        st.warning(f"This scenario is too large to share as a link ({md(exc.errors[0])}); save it as a file instead.")
    sync_comparison_url()
    key = live_key(ctx)
    try:
        res = run_cached(*key, js)
    except ScenarioError as exc:
        show_errors("This scenario does not fit the loaded data:", exc.errors)
        return
    hidden = baseline_hidden(*key)[1].get(area, [])
    if view == "compare":
        compare_panel(ctx, scn, res, big=True)
        return
    with top:
        group = headlines(ctx, res, hidden)
    results(ctx, scn, res, group, split=below if view == "workshop" else None)
    with below:
        summary_section(ctx, scn, res)
        panels(ctx, scn, res, names)


def sync_comparison_url() -> None:
    """The compared scenarios in the address (`cmp`), so they survive a reload and travel in a copied link."""
    saved = SS.get("wi_saved") or {}
    try:
        q = w.comparison_to_query(saved) if saved else None
    except ScenarioError:
        q = None
    if q is None:
        if "cmp" in st.query_params and not saved:
            del st.query_params["cmp"]
    elif st.query_params.get("cmp") != q:
        st.query_params["cmp"] = q
