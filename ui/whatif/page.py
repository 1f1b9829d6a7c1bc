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

from lib.whatif import studio as w
from lib.whatif.projection import ENGLAND
from lib.whatif.scenario import Scenario, ScenarioError, from_query, to_query
from ui import shell, state
from ui.whatif.session import SS, C, RESULTS, baseline_hidden, baseline, run_cached, live_key, apply_scenario, show_messages, show_errors
from ui.whatif.levers import lever_panel
from ui.whatif.results import headlines, results
from ui.whatif.panels import panels


def page(ctx) -> None:
    try:
        base = baseline(ctx)            # also records the data key the fragment's reruns reuse
    except (ValueError, OSError) as exc:
        st.error(f"The what-if model cannot start from the loaded data: {exc}. Choose another period or data source.")
        return
    names = dict(zip(base.area_codes, base.area_names))
    options = [ENGLAND] + sorted(base.area_codes, key=lambda c: names[c] or c)

    if not SS.get("wi_url_read"):            # a shared link: once per session, before the widgets exist
        SS["wi_url_read"] = True
        raw = st.query_params.get("scn")
        if raw:
            try:
                scn = from_query(str(raw))
                errs = w.check_area(scn, base)
                if errs:
                    raise ScenarioError(errs)
                SS["wi_pending"] = scn.to_json(None)
            except ScenarioError as exc:
                SS.setdefault("wi_msgs", []).append((
                    "warning", "The scenario in this link could not be read, so the default scenario is shown. "
                    f"({'; '.join(exc.errors)[:300]})"))
    if SS.get("wi_pending"):
        area = Scenario.from_json(SS["wi_pending"]).area
        if area in options:
            SS["url_area"] = area

    area = state.selectbox("System", "area", options, default=ENGLAND, help="England is the sum of the systems.",
                           format_func=lambda c: "England (sum of systems)" if c == ENGLAND else f"{names[c]} ({c})")
    st.caption(f"Projection starts from the month ending {shell.period_label(base.period)} ({ctx.systems_label}); "
               f"year 1 is the 12 months after it. Rates: {base.rate_basis}.")
    show_messages()
    if SS.get("wi_pending"):
        apply_scenario(Scenario.from_json(SS.pop("wi_pending")))
    elif C + "horizon" not in SS:               # first visit, or back from another page
        apply_scenario(Scenario.from_json(SS["wi_scn"]) if SS.get("wi_scn") else Scenario(area=area))
    top = st.container()
    left, right = st.columns([1, 2.3], gap="medium")
    below = st.container()
    with left:
        lever_panel(area)
    with right:
        studio(ctx, area, names, top, below)


@st.fragment(key=RESULTS)
def studio(ctx, area: str, names: dict, top, below) -> None:
    a = w.shared_assumptions()
    controls = {k: SS.get(C + k, v) for k, v in w.default_controls(a).items()}
    try:
        scn = w.scenario_from_controls(controls, area, SS.get("wi_name", ""), SS.get("wi_extras"),
                                       SS.get("wi_overrides"), a=a)
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
        st.warning(f"This scenario is too large to share as a link ({exc.errors[0]}); save it as a file instead.")
    key = live_key(ctx)
    try:
        res = run_cached(*key, js)
    except ScenarioError as exc:
        show_errors("This scenario does not fit the loaded data:", exc.errors)
        return
    hidden = baseline_hidden(*key)[1].get(area, [])
    with top:
        group = headlines(ctx, res, hidden)
    results(ctx, scn, res, group)
    with below:
        panels(ctx, scn, res, names)
