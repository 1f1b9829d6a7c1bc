"""What-if studio widgets and charts. Computation lives in lib.what_if_view / lib.scenario; this draws.

State: the canonical scenario is kept as JSON in st.session_state["wi_scn"] (and in the URL as `scn`);
the lever widgets ("wi_c_<control>") are set from it whenever a scenario is loaded (link, file, saved
comparison, optimiser).

Speed on a slider move (bench/bench_what_if.py): levers and results are two keyed fragments, and a lever's
callback reruns only the results fragment (st.rerun("wi_results")), so the ~35 lever widgets are not rebuilt
or redrawn; the data key is worked out once per full run; live charts are fixed Vega-Lite specs with the data
passed beside them, so the browser swaps the rows into the existing view instead of rebuilding the chart.
With disclosure control on the baseline comes from the suppressed metrics (lib.what_if_view.shared_baseline).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from lib import optimiser, uncertainty
from lib import what_if_view as w
from lib.projection import ENGLAND
from lib.scenario import Scenario, ScenarioError, from_query, to_query
from ui import charts, shell, state

SS = st.session_state
C = "wi_c_"                      # prefix of lever widget keys
SCN_COLOURS = alt.Scale(domain=list(w.SCENARIO_LABELS.values()), range=["#768692", "#005EB8"])
SCN_SCALE = {"domain": list(w.SCENARIO_LABELS.values()), "range": ["#768692", "#005EB8"]}
PANELS = ["Compare scenarios", "Least-cost mix", "Uncertainty", "Assumptions", "Save, load and share"]


# ------------------------------------------------------------------------------------------------
# Cached computation (keyed on the data snapshot and the scenario JSON, never on a DataFrame)
# ------------------------------------------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def _baseline_hidden(data_dir: str, snap: str, level: str, period: str, sdc: bool):
    """(baseline, {system: staff groups hidden by disclosure control}). Without control: exactly the CLI's."""
    if not sdc:
        return w.load_baseline(data_dir, level, period), {}
    from ui import data
    return w.shared_baseline(data.metrics(Path(data_dir), level, [period]), period)


def _baseline(*key):
    return _baseline_hidden(*key)[0]


def baseline(ctx):
    return _baseline(*_key(ctx))


@st.cache_data(max_entries=128, show_spinner=False)
def _run(data_dir: str, snap: str, level: str, period: str, sdc: bool, scn_json: str):
    base, hidden = _baseline_hidden(data_dir, snap, level, period, sdc)
    scn = Scenario.from_json(scn_json)
    return w.hide_groups(w.run(scn, base), hidden.get(scn.area))


@st.cache_data(max_entries=32, show_spinner="Running the Monte Carlo simulation...")
def _monte_carlo(data_dir, snap, level, period, sdc, scn_json, leaver_pp, growth_pp, n_draws, seed):
    scn = Scenario.from_json(scn_json)
    base = _baseline(data_dir, snap, level, period, sdc)
    g = scn.demand_growth if scn.demand_growth is not None else w.shared_assumptions().with_overrides(
        scn.assumptions).value("demand", "demand_growth")
    return uncertainty.run_monte_carlo(scn, base, leaver_rate_change=(-leaver_pp / 100, leaver_pp / 100),
                                       demand_growth=(g - growth_pp / 100, g + growth_pp / 100),
                                       n_draws=n_draws, seed=seed)


@st.cache_data(max_entries=32, show_spinner="Finding the least-cost mix...")
def _optimise(data_dir, snap, level, period, sdc, scn_json, year, limits_json, agency, integer):
    scn = Scenario.from_json(scn_json)
    base = _baseline(data_dir, snap, level, period, sdc)
    return optimiser.close_gap(base, scn.area, year, limits=json.loads(limits_json), base_scenario=scn,
                               include_agency=agency, integer=integer)


def _key(ctx) -> tuple:
    """(data dir, store snapshot digest, level, period, disclosure control): the cache key of every figure.
    Worked out on full runs; slider reruns of the studio fragment reuse the last one (SS["wi_key"])."""
    from ui import auth, data
    snap = hashlib.sha1(repr(data.snapshot(ctx.data_dir)).encode()).hexdigest()
    SS["wi_key"] = key = (str(ctx.data_dir), snap, ctx.level, ctx.period, auth.disclosure_on())
    return key


def _live_key(ctx) -> tuple:
    key = SS.get("wi_key")
    return key if key and key[0] == str(ctx.data_dir) and key[2:4] == (ctx.level, ctx.period) else _key(ctx)


# ------------------------------------------------------------------------------------------------
# Loading scenarios into the widgets
# ------------------------------------------------------------------------------------------------
def _apply(scn: Scenario) -> None:
    """Set every lever widget from a scenario (call before the widgets are drawn)."""
    controls, extras, ov = w.controls_from_scenario(scn)
    for k, v in controls.items():
        SS[C + k] = v
    SS["wi_extras"] = extras
    SS["wi_overrides"] = ov
    SS["wi_name"] = scn.name
    SS["wi_scn"] = scn.to_json(None)
    _reset_editor()


def _reset_editor() -> None:
    a = w.shared_assumptions()
    try:
        a = a.with_overrides(SS.get("wi_overrides") or {})
    except Exception:  # noqa: BLE001 - bad overrides were rejected on load; show defaults
        SS["wi_overrides"] = {}
    SS["wi_editor_base"] = w.assumption_table(a)
    SS["wi_editor_ver"] = SS.get("wi_editor_ver", 0) + 1


def load_later(scn: Scenario, message: str) -> None:
    """Queue a scenario for the widgets and rerun the whole page (the area selector sits outside)."""
    SS["wi_pending"] = scn.to_json(None)
    SS.setdefault("wi_msgs", []).append(("success", message))
    st.rerun(scope="app")


def _messages() -> None:
    for kind, msg in SS.pop("wi_msgs", []):
        getattr(st, kind)(msg, icon=":material/info:" if kind == "info" else None)


def _errors(title: str, errors: list[str]) -> None:
    st.error(title + "\n\n" + "\n".join(f"- {e}" for e in errors[:12]), icon=":material/error:")


# ------------------------------------------------------------------------------------------------
# Page
# ------------------------------------------------------------------------------------------------
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
    st.caption(f"Projection starts from the month ending {shell.period_label(base.period)} ({ctx.level} data); "
               f"year 1 is the 12 months after it. Rates: {base.rate_basis}.")
    _messages()
    if SS.get("wi_pending"):
        _apply(Scenario.from_json(SS.pop("wi_pending")))
    elif C + "horizon" not in SS:               # first visit, or back from another page
        _apply(Scenario.from_json(SS["wi_scn"]) if SS.get("wi_scn") else Scenario(area=area))
    top = st.container()
    left, right = st.columns([1, 2.3], gap="medium")
    below = st.container()
    with left:
        lever_panel(area)
    with right:
        studio(ctx, area, names, top, below)


# Two fragments: moving a lever reruns only the results (its callback names the results fragment), so the
# ~35 lever widgets are neither rebuilt on the server nor redrawn in the browser. Widgets that change other
# widgets (upskilling target, role details) rerun the levers too.
LEVERS, RESULTS = "wi_levers", "wi_results"


def _to_results() -> None:
    st.rerun(RESULTS)


def _to_both() -> None:
    st.rerun([LEVERS, RESULTS])


@st.fragment(key=RESULTS)
def studio(ctx, area: str, names: dict, top, below) -> None:
    a = w.shared_assumptions()
    controls = {k: SS.get(C + k, v) for k, v in w.default_controls(a).items()}
    try:
        scn = w.scenario_from_controls(controls, area, SS.get("wi_name", ""), SS.get("wi_extras"),
                                       SS.get("wi_overrides"), a=a)
    except ScenarioError as exc:
        _errors("These lever settings cannot be run:", exc.errors)
        return
    js = scn.to_json(None)
    SS["wi_scn"] = js
    try:
        q = to_query(scn)
        if st.query_params.get("scn") != q:
            st.query_params["scn"] = q
    except ScenarioError as exc:
        st.warning(f"This scenario is too large to share as a link ({exc.errors[0]}); save it as a file instead.")
    key = _live_key(ctx)
    try:
        res = _run(*key, js)
    except ScenarioError as exc:
        _errors("This scenario does not fit the loaded data:", exc.errors)
        return
    hidden = _baseline_hidden(*key)[1].get(area, [])
    with top:
        group = headlines(ctx, res, hidden)
    results(ctx, scn, res, group)
    with below:
        panels(ctx, scn, res, names)


# ------------------------------------------------------------------------------------------------
# Levers
# ------------------------------------------------------------------------------------------------
def _w(kind, label, key, **kw):
    kw.setdefault("on_change", _to_results)
    return getattr(st, kind)(label, key=C + key, **kw)


def _upskill_target_changed() -> None:
    d = w._upskill_defaults(w.shared_assumptions(), SS[C + "up_to"])
    for k, v in d.items():
        SS[C + k] = v
    _to_both()


def _clear_extras() -> None:
    SS["wi_extras"] = {}
    _to_both()


@st.fragment(key=LEVERS)
def lever_panel(area: str) -> None:
    a = w.shared_assumptions()
    groups = w.KNOWN_STAFF_GROUPS
    st.text_input("Scenario name", key="wi_name", max_chars=80, placeholder="e.g. 40 nursing associates a year",
                  on_change=_to_results)
    _w("slider", "Years ahead", "horizon", min_value=1, max_value=10, step=1,
       help="Horizon of the projection, 1 to 10 years.")
    with st.expander("New roles", expanded=True, icon=":material/person_add:"):
        tmax = w.trainee_max(area)
        for r in a.new_role_ids:
            rec = a.new_role(r)
            k = f"nr_{r}_trainees"
            hi = max(tmax, int(SS.get(C + k, 0)))
            _w("slider", f"{rec['label']}: trainees a year", k, min_value=0, max_value=hi, step=1,
               help=f"Counts towards {rec['counts_towards']}. Recorded in NHS data as {rec.get('recorded_in_data_as')}.")
        role = st.selectbox("Details for", a.new_role_ids, format_func=lambda r: a.new_role(r)["label"],
                            key="wi_role_detail")
        rec = a.new_role(role)
        c1, c2 = st.columns(2)
        c1.number_input("Recruited trained, FTE a year", min_value=0.0, max_value=100000.0, step=5.0,
                        key=C + f"nr_{role}_recruited", on_change=_to_results)
        c2.number_input("Training lag (years)", min_value=1, max_value=10, step=1, key=C + f"nr_{role}_course_years",
                        on_change=_to_results, help="Years of training before a trainee counts in the workforce.")
        c1.number_input("Training cost, £ per trainee a year", min_value=0.0, max_value=1e6, step=500.0,
                        key=C + f"nr_{role}_training_cost_per_year", on_change=_to_results,
                        help="Course fees; trainee pay is added from the band.")
        c2.number_input(f"Substitution ratio ({rec['counts_towards']})", min_value=0.0, max_value=5.0, step=0.05,
                        key=C + f"nr_{role}_substitution_ratio", on_change=_to_results,
                        help=f"How much of a {rec['counts_towards']} FTE's work one FTE of this role takes on.")
    with st.expander("Upskilling", icon=":material/school:"):
        _w("selectbox", "From staff group", "up_from", options=groups)
        _w("selectbox", "To role", "up_to", options=w.upskill_targets(a), format_func=lambda r: w.role_label(r, a),
           on_change=_upskill_target_changed)
        _w("slider", "Share moved each year (%)", "up_share_pct", min_value=0.0, max_value=20.0, step=0.5,
           format="%.1f%%")
        c1, c2 = st.columns(2)
        c1.number_input("Course length (years)", min_value=1, max_value=10, step=1, key=C + "up_years",
                        on_change=_to_results)
        c2.slider("Training time lost (%)", min_value=0.0, max_value=100.0, step=5.0, key=C + "up_study_pct",
                  on_change=_to_results, format="%.0f%%", help="Share of a trainee's time away from service while training.")
        st.number_input("Training cost, £ per trainee a year", min_value=0.0, max_value=1e6, step=500.0, key=C + "up_cost",
                        on_change=_to_results)
    with st.expander("Retention and recruitment", icon=":material/group_add:"):
        _w("selectbox", "Retention: staff group", "ret_group", options=groups)
        _w("slider", "Change in annual leaver rate (percentage points)", "ret_change_pp", min_value=-5.0, max_value=5.0,
           step=0.1, format="%+.1f", help="Negative = fewer leavers. A programme cost per FTE retained applies.")
        _w("selectbox", "Recruitment: staff group", "rec_group", options=groups)
        c1, c2 = st.columns(2)
        c1.number_input("Domestic, FTE a year", min_value=0.0, max_value=100000.0, step=10.0, key=C + "rec_domestic",
                        on_change=_to_results)
        c2.number_input("International, FTE a year", min_value=0.0, max_value=100000.0, step=10.0,
                        key=C + "rec_international", on_change=_to_results)
    with st.expander("Demand and productivity", icon=":material/trending_up:"):
        _w("slider", "Demand growth (% a year)", "demand_growth_pct", min_value=-5.0, max_value=10.0, step=0.1,
           format="%.1f%%", help="Applies to baseline and scenario alike.")
        _w("slider", "Baseline productivity growth (% a year)", "productivity_pct", min_value=-5.0, max_value=5.0,
           step=0.1, format="%.1f%%", help="Applies to baseline and scenario alike.")
        _w("slider", "Extra productivity from the scenario (% a year)", "productivity_gain_pct", min_value=-5.0,
           max_value=5.0, step=0.1, format="%.1f%%")
    extras = SS.get("wi_extras") or {}
    if extras:
        with st.container(border=True):
            st.caption("Also in this scenario (loaded; the controls above do not show these):")
            for line in w.describe_extras(extras, a):
                st.caption(f"- {line}")
            st.button("Remove these extra levers", key="wi_clear_extras", on_click=_clear_extras)


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------
def _money(x: float) -> str:
    if abs(x) >= 1e9:
        return f"£{x / 1e9:,.2f}bn"
    if abs(x) >= 1e6:
        return f"£{x / 1e6:,.1f}m"
    return f"£{x:,.0f}"


def headlines(ctx, res, hidden: list[str]) -> str:
    """The followed staff group's figures; returns the group. Groups disclosure control hides here are not offered."""
    groups = [g for g in w.KNOWN_STAFF_GROUPS if g not in hidden and g in set(res.summary["staff_group"])]
    if SS.get("wi_focus") not in groups:
        SS["wi_focus"] = w.NURSES if w.NURSES in groups else groups[0]
    group = st.selectbox("Staff group to follow", groups, key="wi_focus", width=420)
    if hidden:
        st.caption(f"Not shown for this system (disclosure control: staff in post under 5, or hidden so a total "
                   f"cannot reveal one): {', '.join(hidden)}.")
    h = w.headline(res, group)
    b, s, T = h["baseline"], h["scenario"], h["horizon"]
    cols = st.columns(4)
    d_gap = s["gap_end"] - b["gap_end"]
    d_vr = 100 * (s["vacancy_rate_end"] - b["vacancy_rate_end"])
    cols[0].metric(f"Gap in year {T} (FTE)", shell.num(s["gap_end"]),
                   f"{d_gap:+,.0f} vs baseline" if abs(d_gap) >= 0.5 else "same as baseline",
                   delta_color="inverse" if abs(d_gap) >= 0.5 else "off", border=True,
                   help="Demand minus capacity (FTE). Negative = more capacity than demand. Baseline: "
                        f"{shell.num(b['gap_end'])}.")
    cols[1].metric(f"Vacancy rate, year {T}", shell.pct(s["vacancy_rate_end"], 1),
                   f"{d_vr:+.1f} points" if abs(d_vr) >= 0.05 else "same as baseline",
                   delta_color="inverse" if abs(d_vr) >= 0.05 else "off",
                   border=True, help="max(gap, 0) / demand. Baseline: " + shell.pct(b["vacancy_rate_end"], 1))
    cols[2].metric("Gap closes", w.year_short(s["year_gap_closes"], T),
                   f"{w.year_label(s['year_gap_closes'], ctx.period, T)}; baseline: "
                   f"{w.year_short(b['year_gap_closes'], T).lower()}", delta_color="off", delta_arrow="off", border=True,
                   help="First year in which capacity meets demand for this staff group.")
    extra = s["total_cost"] - b["total_cost"]
    cols[3].metric("Extra cost", _money(extra), f"pay bill, year {T}: {_money(s['pay_bill_end'])}",
                   delta_color="off", border=True,
                   help=f"Pay bill, training, recruitment and retention costs summed over years 1-{T}, scenario minus "
                        f"baseline. Training cost in the scenario: {_money(s['training_cost_total'])}.")
    return group


# Live charts: fixed Vega-Lite specs (a title changes only with the followed group) with the rows passed
# beside them. Streamlit then replaces the rows in the chart already drawn; a spec that changed on every
# move (Altair names its datasets by a hash of the data) made the browser rebuild all five charts.
def _tip(field: str, kind: str = "quantitative", fmt: str | None = None, title: str | None = None) -> dict:
    t = {"field": field, "type": kind}
    if fmt:
        t["format"] = fmt
    if title:
        t["title"] = title
    return t


X_YEAR = {"field": "year", "type": "ordinal", "title": "Year", "axis": {"labelAngle": 0}}
SCN_COLOUR = {"field": "scenario", "type": "nominal", "scale": SCN_SCALE, "title": None, "legend": {"orient": "bottom"}}


def _line(y: str, y_title: str, tips: list, title: str, height: int, y_extra: dict | None = None,
          zero_rule: bool = False) -> dict:
    layer = {"mark": {"type": "line", "point": True},
             "encoding": {"x": X_YEAR, "y": {"field": y, "type": "quantitative", "title": y_title, **(y_extra or {})},
                          "color": SCN_COLOUR, "tooltip": tips}}
    if not zero_rule:
        return {"title": title, "height": height, **layer}
    rule = {"data": {"values": [{"zero": 0}]}, "mark": {"type": "rule", "color": "#3D3D3D", "strokeDash": [2, 2]},
            "encoding": {"y": {"field": "zero", "type": "quantitative"}}}
    return {"title": title, "height": height, "layer": [layer, rule]}


def _spec_fte() -> dict:
    return {"title": "FTE by role (solid: scenario, dashed: baseline)", "height": 240, "mark": {"type": "line"},
            "encoding": {"x": X_YEAR, "y": {"field": "fte", "type": "quantitative", "title": "FTE"},
                         "color": {"field": "role_label", "type": "nominal", "title": None,
                                   "legend": {"orient": "right", "labelLimit": 260}},
                         "strokeDash": {"field": "scenario", "type": "nominal", "title": None,
                                        "sort": list(w.SCENARIO_LABELS.values())[::-1], "legend": {"orient": "right"}},
                         "tooltip": [_tip("role_label", "nominal", title="Role"), _tip("scenario", "nominal"),
                                     _tip("year", "ordinal"), _tip("fte", fmt=",.0f", title="FTE")]}}


def _spec_costs() -> dict:
    return {"title": "Training and other one-off costs (scenario)", "height": 220, "mark": {"type": "bar"},
            "encoding": {"x": X_YEAR, "y": {"field": "pounds_k", "type": "quantitative", "title": "£ thousand a year",
                                            "stack": "zero"},
                         "color": {"field": "measure", "type": "nominal", "title": None,
                                   "legend": {"orient": "bottom", "columns": 2}},
                         "tooltip": [_tip("year", "ordinal"), _tip("measure", "nominal"),
                                     _tip("pounds_k", fmt=",.1f", title="£ thousand")]}}


def _draw(data: pd.DataFrame, spec: dict, key: str) -> None:
    """No PNG/SVG export on live charts (the data are downloadable below; comparison and fan charts keep it).
    The element gets a fixed pixel height that Vega fits title, axes and legend into: sized to content, a
    chart with a bottom legend overlapped the one below it after its rows were swapped."""
    height = spec.pop("height") + 110
    spec["autosize"] = {"type": "fit", "contains": "padding"}
    st.vega_lite_chart(data, spec, key=key, width="stretch", height=height)


def results(ctx, scn: Scenario, res, group: str) -> None:
    g = w.gap_frame(res, group)
    c1, c2 = st.columns(2)
    with c1:
        _draw(g[["scenario", "year", "gap", "demand", "capacity"]],
              _line("gap", "Gap (FTE)", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                         _tip("gap", fmt=",.0f"), _tip("demand", fmt=",.0f"),
                                         _tip("capacity", fmt=",.0f")],
                    f"Gap: {group}", 260, zero_rule=True), "wi_ch_gap")
    with c2:
        _draw(g[["scenario", "year", "vacancy_rate"]],
              _line("vacancy_rate", "Vacancy rate", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                                     _tip("vacancy_rate", fmt=".1%")],
                    f"Vacancy rate: {group}", 260, y_extra={"axis": {"format": "%"}}), "wi_ch_vac")
    _draw(w.fte_frame(res, group)[["scenario", "role_label", "year", "fte"]], _spec_fte(), "wi_ch_fte")
    cf = w.cost_frame(res)
    c1, c2 = st.columns(2)
    with c1:
        pay = cf[cf["measure"] == "Pay bill"]
        _draw(pd.DataFrame({"scenario": pay["scenario"], "year": pay["year"], "pounds_m": pay["pounds"] / 1e6}),
              _line("pounds_m", "£m a year", [_tip("scenario", "nominal"), _tip("year", "ordinal"),
                                              _tip("pounds_m", fmt=",.1f", title="£m")],
                    "Pay bill (all roles)", 220, y_extra={"scale": {"zero": False}}), "wi_ch_pay")
    with c2:
        one = cf[(cf["measure"] != "Pay bill") & (cf["scenario"] == w.SCENARIO_LABELS["scenario"]) & (cf["pounds"] > 0)]
        if one.empty:
            st.markdown("**Training, recruitment and retention costs**")
            st.caption("None in this scenario: add new-role trainees, upskilling, recruitment or retention.")
        else:
            _draw(pd.DataFrame({"year": one["year"], "measure": one["measure"], "pounds_k": one["pounds"] / 1e3}),
                  _spec_costs(), "wi_ch_cost")
    sdc = bool(_live_key(ctx)[4])
    with st.expander("All staff groups: baseline beside scenario"):
        tbl = w.summary_table(res)
        st.dataframe(tbl, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(format="percent" if "rate" in c else "localized") for c in tbl.columns[1:]})
        table = w.mask_small(res.table) if sdc else res.table
        shell.downloads(table, f"what_if_{scn.area}", "wi_table",
                        notes=[f"Scenario: {scn.to_json(None)}", f"Data period {ctx.period}, {ctx.level}",
                               *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else []),
                               *([w.SDC_EXPORT_NOTE] if sdc else [])])
        if sdc:
            st.caption(w.SDC_EXPORT_NOTE)
    for n in res.notes:
        st.caption(n)


# ------------------------------------------------------------------------------------------------
# Lower panels (lazy tabs: only the open one runs)
# ------------------------------------------------------------------------------------------------
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
            runs[n] = _run(*_live_key(ctx), js)
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
    base = _baseline(*_live_key(ctx))
    limits = w.optimiser_limits(base, scn.area, rec, ret, tp, nr)
    args = (*_live_key(ctx), scn.to_json(None), int(year), json.dumps(limits, sort_keys=True), bool(agency), bool(integer))
    if st.button("Find the least-cost mix", key="wi_opt_go", type="primary", icon=":material/calculate:"):
        SS["wi_opt_args"] = args
    if SS.get("wi_opt_args") != args:
        if SS.get("wi_opt_args"):
            st.caption("Settings have changed since the last run: press the button again.")
        return
    try:
        mix = _optimise(*args)
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
    mc = _monte_carlo(*_live_key(ctx), scn.to_json(None), lp, gp, int(n), seed)
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
        _reset_editor()
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
            _reset_editor()
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
        _errors(f"Could not load {what}: it is not a valid scenario. Nothing was changed.", exc.errors)
        return
    load_later(scn, f"Loaded scenario {scn.name or ''} from {what}.".replace("  ", " "))
