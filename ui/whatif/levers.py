"""The lever panel (its own fragment): new roles, upskilling, retention, recruitment, demand and productivity.
"""
from __future__ import annotations

import streamlit as st

from lib.whatif import studio as w
from ui.whatif.session import SS, C, LEVERS, rerun_results, rerun_both, baseline, log_change
from ui.whatif.live_slider import live_slider
from ui.whatif import role_evidence

NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def nice_range(group_fte: float, current: int = 0, share: float = 0.05, ticks: int = 50) -> tuple[int, int, int]:
    """(0, max, step) for a trainee slider: max about `share` of the supported group's FTE rounded up to a whole
    number of steps, step the smallest 'nice' number giving at most `ticks` steps (so an arrow key moves a
    meaningful amount, not one trainee in 5,000). A current value above the range widens it."""
    target = max(float(group_fte) * share, 20.0)
    step = next((n for n in NICE_STEPS if target / n <= ticks), NICE_STEPS[-1])
    hi = int(-(-target // step) * step)
    if current > hi:
        hi = int(-(-current // step) * step)
    return 0, hi, step


def group_fte(area: str, group: str) -> float:
    base = baseline(SS["ctx"])
    if group not in base.staff_groups:
        return 0.0
    j = base.staff_groups.index(group)
    if area in base.area_codes:
        return float(base.fte[base.area_codes.index(area), j])
    return float(base.fte[:, j].sum())          # England: the sum of systems


def trainee_range(area: str, group: str, current: int = 0) -> tuple[int, int, int]:
    return nice_range(group_fte(area, group), current)


# Levers a facilitator can put on screen in workshop mode, each a live slider: control -> (label, unit, range)
def live_levers(area: str, a) -> dict[str, tuple[str, str, tuple[float, float, float]]]:
    out = {}
    for r in a.new_role_ids:
        rec = a.new_role(r)
        k = f"nr_{r}_trainees"
        cur = int(SS.get(C + k, 0) or 0)
        out[k] = (f"{rec['label']}: trainees a year", "trainees",
                  role_evidence.slider_range(area, r, trainee_range(area, rec["counts_towards"], cur), cur))
    out["ret_change_pp"] = (f"Change in leaver rate, {SS.get(C + 'ret_group', w.NURSES)} (points)", "points",
                            (-5.0, 5.0, 0.1))
    out["up_share_pct"] = ("Upskilling: share moved each year (%)", "%", (0.0, 20.0, 0.5))
    out["demand_growth_pct"] = ("Demand growth (% a year)", "%", (-5.0, 10.0, 0.1))
    return out


LIVE = "wi_lv_"   # state of the live sliders (workshop mode), copied into the lever controls


def _live_changed(k: str, label: str) -> None:
    st_val = SS.get(LIVE + k)
    v = st_val.get("value") if isinstance(st_val, dict) else getattr(st_val, "value", None)
    if v is None:
        return
    v = int(v) if k.endswith("_trainees") else float(v)
    SS["wi_live_values"] = {**SS.get("wi_live_values", {}), k: v}
    log_change(label, v)
    rerun_results()


def workshop_levers(area: str, chosen: list[str]) -> None:
    """The chosen levers as live sliders: the results move while a slider is dragged."""
    a = w.shared_assumptions()
    levers = live_levers(area, a)
    for k in chosen:
        if k not in levers:
            continue
        label, unit, (lo, hi, step) = levers[k]
        cur = SS.get("wi_live_values", {}).get(k, SS.get(C + k, 0))
        live_slider(label, key=LIVE + k, value=cur, min_value=lo, max_value=hi, step=step, unit=unit,
                    on_change=_live_changed, args=(k, label))


def _w(kind, label, key, **kw):
    """A lever widget; levers on screen as live sliders (workshop mode) are not drawn twice."""
    if key in SS.get("wi_live_values", {}) and SS.get("wi_workshop"):
        st.caption(f"{label}: on the live slider at the top of the page.")
        return SS.get(C + key)
    kw.setdefault("on_change", _logged(label, key))
    return getattr(st, kind)(label, key=C + key, **kw)


def _logged(label: str, key: str):
    def cb() -> None:
        log_change(label, SS.get(C + key))
        rerun_results()
    return cb


def _upskill_target_changed() -> None:
    d = w._upskill_defaults(w.shared_assumptions(), SS[C + "up_to"])
    for k, v in d.items():
        SS[C + k] = v
    rerun_both()


def _clear_extras() -> None:
    SS["wi_extras"] = {}
    rerun_both()


@st.fragment(key=LEVERS)
def lever_panel(area: str) -> None:
    a = w.shared_assumptions()
    groups = w.KNOWN_STAFF_GROUPS
    st.text_input("Scenario name", key="wi_name", max_chars=80, placeholder="e.g. 40 nursing associates a year",
                  on_change=rerun_results)
    _w("slider", "Years ahead", "horizon", min_value=1, max_value=10, step=1,
       help="Horizon of the projection, 1 to 10 years.")
    with st.expander("New roles", expanded=True, icon=":material/person_add:"):
        for r in a.new_role_ids:
            rec = a.new_role(r)
            k = f"nr_{r}_trainees"
            default = trainee_range(area, rec["counts_towards"], int(SS.get(C + k, 0) or 0))
            lo, hi, step = role_evidence.slider_range(area, r, default, int(SS.get(C + k, 0) or 0))
            observed = (lo, hi, step) != default
            _w("slider", f"{rec['label']}: trainees a year", k, min_value=lo, max_value=hi, step=step,
               help=f"Counts towards {rec['counts_towards']}. Recorded in NHS data as "
                    f"{rec.get('recorded_in_data_as')}. Range 0 to {hi:,} in steps of {step:,} ("
                    + ("up to the fastest system's observed growth in primary care networks at this system's size"
                       if observed else "about 5% of the staff group it supports")
                    + "); type a value into a saved scenario for more.")
            role_evidence.show(area, r)
        role = st.selectbox("Details for", a.new_role_ids, format_func=lambda r: a.new_role(r)["label"],
                            key="wi_role_detail")
        rec = a.new_role(role)
        c1, c2 = st.columns(2)
        c1.number_input("Recruited trained, FTE a year", min_value=0.0, max_value=100000.0, step=5.0,
                        key=C + f"nr_{role}_recruited", on_change=rerun_results)
        c2.number_input("Training lag (years)", min_value=1, max_value=10, step=1, key=C + f"nr_{role}_course_years",
                        on_change=rerun_results, help="Years of training before a trainee counts in the workforce.")
        c1.number_input("Training cost, £ per trainee a year", min_value=0.0, max_value=1e6, step=500.0,
                        key=C + f"nr_{role}_training_cost_per_year", on_change=rerun_results,
                        help="Course fees; trainee pay is added from the band.")
        c2.number_input(f"Substitution ratio ({rec['counts_towards']})", min_value=0.0, max_value=5.0, step=0.05,
                        key=C + f"nr_{role}_substitution_ratio", on_change=rerun_results,
                        help=f"How much of a {rec['counts_towards']} FTE's work one FTE of this role takes on.")
    with st.expander("Upskilling", icon=":material/school:"):
        _w("selectbox", "From staff group", "up_from", options=groups)
        _w("selectbox", "To role", "up_to", options=w.upskill_targets(a), format_func=lambda r: w.role_label(r, a),
           on_change=_upskill_target_changed)
        _w("slider", "Share moved each year (%)", "up_share_pct", min_value=0.0, max_value=20.0, step=0.5,
           format="%.1f%%")
        c1, c2 = st.columns(2)
        c1.number_input("Course length (years)", min_value=1, max_value=10, step=1, key=C + "up_years",
                        on_change=rerun_results)
        c2.slider("Training time lost (%)", min_value=0.0, max_value=100.0, step=5.0, key=C + "up_study_pct",
                  on_change=rerun_results, format="%.0f%%", help="Share of a trainee's time away from service while training.")
        st.number_input("Training cost, £ per trainee a year", min_value=0.0, max_value=1e6, step=500.0, key=C + "up_cost",
                        on_change=rerun_results)
    with st.expander("Retention and recruitment", icon=":material/group_add:"):
        _w("selectbox", "Retention: staff group", "ret_group", options=groups)
        _w("slider", "Change in annual leaver rate (percentage points)", "ret_change_pp", min_value=-5.0, max_value=5.0,
           step=0.1, format="%+.1f", help="Negative = fewer leavers. A programme cost per FTE retained applies.")
        _w("selectbox", "Recruitment: staff group", "rec_group", options=groups)
        c1, c2 = st.columns(2)
        c1.number_input("Domestic, FTE a year", min_value=0.0, max_value=100000.0, step=10.0, key=C + "rec_domestic",
                        on_change=rerun_results)
        c2.number_input("International, FTE a year", min_value=0.0, max_value=100000.0, step=10.0,
                        key=C + "rec_international", on_change=rerun_results)
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
