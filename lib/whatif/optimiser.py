""""Close the gap by year N at least cost": a linear programme over the lever mix (METHODS 4.2).

Decision x_j = FTE (of the role the lever produces) in post at year N thanks to lever j.
    minimise  sum_j c_j x_j
    subject   sum_j a_fj x_j >= gap_f(N)   for every staff group f with a gap
              0 <= x_j <= u_j               facilitator limits
c_j = annual employer cost at year N per FTE delivered + one-off costs (training, recruitment, retention
programme) incurred in years 1..N per FTE delivered. a_fj and the yields are read off the projection
model itself (run once per lever at a unit quantity), so they include substitution ratios, study time,
leavers after arrival, and upskilling's loss to the source group (-1 per FTE moved in METHODS 4.3).
The duals are the marginal cost of one more FTE-equivalent of gap in each staff group.
Agency/locum cover (optional, unbounded, `agency_cost_multiplier` x employer cost) keeps it feasible;
without it the result says plainly which gap the allowed levers cannot close (TEST ANCHOR 4.3c).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from lib.whatif.assumptions import Assumptions, load_assumptions
from lib.whatif.projection import Baseline, project
from lib.whatif.scenario import (NewRole, Recruitment, Retention, Scenario, TrainingPlaces, _retention_cost, build_inputs,
                          run_scenario, validate)

_STATUS = {0: "optimal", 1: "iteration or time limit reached", 2: "infeasible", 3: "unbounded",
           4: "numerical difficulties"}


@dataclass
class Intervention:
    """One column of the LP. `contributions`: staff group -> FTE-equivalent per FTE delivered."""

    name: str
    cost_per_fte: float
    contributions: dict[str, float]
    upper_bound: float | None = None     # FTE at year N; None = unlimited
    label: str = ""
    lever: dict | None = None            # how to turn x into a scenario lever (None: not a lever, e.g. agency)
    yield_per_unit: float = 1.0          # FTE at year N per unit of the lever (per FTE/yr, or per -1 ppt)


@dataclass
class MixResult:
    status: int
    status_text: str
    success: bool
    message: str                          # plain English, for the page
    mix: pd.DataFrame                     # intervention, label, fte, cost_per_fte, cost, upper_bound, at_bound, lever_per_year
    cost: float                           # £ objective (annual cost at year N incl. one-off costs per FTE)
    duals: pd.Series                      # £ per extra FTE-equivalent of gap, by staff group
    gaps: pd.Series                       # gap per staff group at year N that had to be closed
    year: int | None = None
    scenario: Scenario | None = None      # levers that deliver the mix (agency excluded)
    check: pd.DataFrame | None = None     # gap at year N when the scenario is run through the model
    notes: list[str] = field(default_factory=list)


def _fmt(x: float) -> str:
    return f"{x:,.1f}"


def solve_mix(interventions: list[Intervention], gaps: dict[str, float], integer: bool = False,
              year: int | None = None) -> MixResult:
    """Least-cost mix meeting every gap. `integer=True` uses milp (whole FTE; no duals)."""
    funcs = [f for f, g in gaps.items()]
    b = np.array([gaps[f] for f in funcs], dtype=float)
    c = np.array([iv.cost_per_fte for iv in interventions], dtype=float)
    A = np.array([[iv.contributions.get(f, 0.0) for iv in interventions] for f in funcs], dtype=float)
    ub = np.array([np.inf if iv.upper_bound is None else iv.upper_bound for iv in interventions], dtype=float)
    names = [iv.name for iv in interventions]
    by = f" by year {year}" if year else ""
    if integer:
        res = milp(c, integrality=np.ones(len(c)), bounds=Bounds(np.zeros(len(c)), ub),
                   constraints=LinearConstraint(A, lb=b, ub=np.inf))
        duals = pd.Series(np.nan, index=funcs, name="marginal_cost_per_fte")
    else:
        res = linprog(c, A_ub=-A, b_ub=-b, bounds=list(zip(np.zeros(len(c)), [None if np.isinf(u) else u for u in ub])),
                      method="highs")
        duals = pd.Series(-res.ineqlin.marginals if res.status == 0 else np.nan, index=funcs,
                          name="marginal_cost_per_fte", dtype=float)
    status = int(res.status)
    ok = status == 0
    x = np.asarray(res.x, float) if ok else np.full(len(c), np.nan)
    mix = pd.DataFrame({
        "intervention": names, "label": [iv.label or iv.name for iv in interventions], "fte": x,
        "cost_per_fte": c, "cost": x * c, "upper_bound": ub,
        "at_bound": np.isfinite(ub) & (np.abs(x - ub) <= 1e-6 * np.maximum(1.0, ub)),
        "lever_per_year": x / np.array([iv.yield_per_unit or np.nan for iv in interventions]),
    })
    gap_s = pd.Series(b, index=funcs, name="gap_fte")
    if ok:
        used = mix[mix["fte"] > 1e-9]
        parts = ", ".join(f"{r.label} {_fmt(r.fte)} FTE" for r in used.itertuples())
        msg = (f"Cheapest mix that closes the gap{by}: {parts or 'nothing needed'}; "
               f"cost £{float(res.fun):,.2f} a year at that point.")
        if integer:
            msg += " Whole-FTE solution (milp): marginal costs are not available."
    elif status == 2:
        msg = _infeasible_message(funcs, b, A, ub, interventions, by)
    else:
        msg = f"The optimiser stopped without an answer ({_STATUS.get(status, 'unknown status')}): {res.message}"
    return MixResult(status, _STATUS.get(status, "unknown"), ok, msg, mix, float(res.fun) if ok else float("nan"),
                     duals, gap_s, year)


def _infeasible_message(funcs, b, A, ub, interventions, by) -> str:
    finite_ub = np.where(np.isinf(ub), 0.0, ub)[None, :]
    most = np.where(A > 0, np.where(np.isinf(ub)[None, :], np.inf, A * finite_ub), 0.0).sum(axis=1)  # all at limit
    short = [f"{f}: at most {_fmt(m)} FTE-equivalent against a gap of {_fmt(g)}"
             for f, m, g in zip(funcs, most, b) if m < g - 1e-9]
    if short:
        return (f"No mix of the allowed levers closes the gap{by} (infeasible). With every lever at its limit, "
                + "; ".join(short) + ". Raise a limit, allow agency/locum cover, or give more years.")
    return (f"No mix of the allowed levers closes the gap{by} (infeasible): the levers that help one staff group "
            "take staff from another (e.g. upskilling), so the limits cannot all be met together. Raise a limit "
            "or allow agency/locum cover.")


# ------------------------------------------------------------------------------------------------
# From loaded data: candidate levers, their model-derived coefficients, and the scenario that delivers x
# ------------------------------------------------------------------------------------------------
def candidate_levers(baseline: Baseline, area: str, by_year: int, assumptions: Assumptions | None = None,
                     limits: dict[str, float] | None = None, base_scenario: Scenario | None = None,
                     include_agency: bool = True) -> list[Intervention]:
    """Interventions for every staff group with a gap at `by_year`, with coefficients from the model.

    `limits` (lever units: FTE per year, or leaver-rate reduction for retention) by name, e.g.
    {"recruit_international:Nurses & health visitors": 200, "new_role:nursing_associate": 100,
     "retention:Nurses & health visitors": 0.02}. Default limits [illustrative, UNVERIFIED]: recruitment
    2% of the group's FTE a year each route, new-role trainees 1% of the group they count towards,
    retention 2 percentage points, training places 2%.
    """
    a = (assumptions or load_assumptions()).with_overrides(base_scenario.assumptions if base_scenario else None)
    base_scn = copy.deepcopy(base_scenario) if base_scenario else Scenario()
    base_scn.area, base_scn.horizon = area, by_year
    base_scn.levers = type(base_scn.levers)()
    limits = limits or {}
    ref = build_inputs(base_scn, baseline, a, with_levers=False)
    p0 = project(ref.inputs).sum_batch()
    groups = ref.roles[:ref.inputs.n_groups]
    gap_N = p0.gap[0, :, -1]
    group_fte = p0.fte[0, :len(groups), 0]
    need = [g for g, v in zip(groups, gap_N) if v > 1e-9]

    specs: list[tuple[str, str, str, dict, float]] = []    # name, label, target role, lever, default limit
    for g in need:
        fte = float(group_fte[groups.index(g)])
        specs.append((f"recruit_domestic:{g}", f"{g}: domestic recruitment", g,
                      {"kind": "recruitment", "staff_group": g, "field": "domestic_fte_per_year"}, 0.02 * fte))
        specs.append((f"recruit_international:{g}", f"{g}: international recruitment", g,
                      {"kind": "recruitment", "staff_group": g, "field": "international_fte_per_year"}, 0.02 * fte))
        specs.append((f"retention:{g}", f"{g}: retention", g, {"kind": "retention", "staff_group": g}, 0.02))
        course = int(a.training(g)["course_years"])
        if course < by_year:
            specs.append((f"training_places:{g}", f"{g}: extra training places", g,
                          {"kind": "training_places", "staff_group": g}, 0.02 * fte))
    for rid in a.new_role_ids:
        rec = a.new_role(rid)
        if rec["counts_towards"] in need and rec["substitution_ratio"] > 0 and rec["course_years"] <= by_year:
            fte = float(group_fte[groups.index(rec["counts_towards"])])
            specs.append((f"new_role:{rid}", f"{rec.get('label', rid)}", rid, {"kind": "new_role", "role": rid},
                          0.01 * fte))

    out: list[Intervention] = []
    for name, label, target, lever, default_limit in specs:
        unit = 0.01 if lever["kind"] == "retention" else 1.0
        scn = _with_lever(base_scn, lever, unit, a, by_year)
        s = build_inputs(scn, baseline, a, with_levers=True)
        p1 = project(s.inputs)
        ret = _retention_cost(s, p1, True).sum(axis=0)
        p1 = p1.sum_batch()
        ti = s.roles.index(target)
        dy = float(p1.fte[0, ti, -1] - p0.fte[0, ti, -1])
        if dy <= 1e-9:
            continue
        dcap = p1.capacity[0, :, -1] - p0.capacity[0, :, -1]
        dpay = float(p1.pay_bill[0, :, -1].sum() - p0.pay_bill[0, :, -1].sum())
        one_off = float((p1.training_cost[0] - p0.training_cost[0]).sum() + (p1.recruitment_cost[0]
                        - p0.recruitment_cost[0]).sum() + ret.sum())
        limit = limits.get(name, default_limit)
        contrib = {g: float(v / dy) for g, v in zip(groups, dcap) if abs(v) > 1e-9}
        out.append(Intervention(name, (dpay + one_off) / dy, contrib,
                                None if limit is None else float(limit) / unit * dy, label, lever, dy / unit))
    if include_agency:
        mult = a.value("recruitment", "agency_cost_multiplier")
        for g in need:
            out.append(Intervention(f"agency:{g}", mult * a.staff_group_cost(g), {g: 1.0}, limits.get(f"agency:{g}"),
                                    f"{g}: agency/locum cover", None, 1.0))
    return out


def _with_lever(base: Scenario, lever: dict, qty: float, a: Assumptions, by_year: int) -> Scenario:
    scn = copy.deepcopy(base)
    kind = lever["kind"]
    if kind == "recruitment":
        scn.levers.recruitment.append(Recruitment(lever["staff_group"], **{lever["field"]: qty}))
    elif kind == "retention":
        scn.levers.retention.append(Retention(lever["staff_group"], -qty))
    elif kind == "training_places":
        last = by_year - int(a.training(lever["staff_group"])["course_years"])
        scn.levers.training_places.append(TrainingPlaces(lever["staff_group"], qty, 1, max(last, 1)))
    elif kind == "new_role":
        last = by_year - int(a.new_role(lever["role"])["course_years"]) + 1   # cohorts finish by year N
        scn.levers.new_roles.append(NewRole(lever["role"], trainees_per_year=qty, start_year=1, end_year=max(last, 1)))
    return scn


def close_gap(baseline: Baseline, area: str, by_year: int, assumptions: Assumptions | None = None,
              limits: dict[str, float] | None = None, base_scenario: Scenario | None = None,
              include_agency: bool = True, integer: bool = False) -> MixResult:
    """Least-cost levers closing every staff group's gap in `area` by `by_year`, plus the Scenario."""
    ivs = candidate_levers(baseline, area, by_year, assumptions, limits, base_scenario, include_agency)
    base_scn = copy.deepcopy(base_scenario) if base_scenario else Scenario()
    base_scn.area, base_scn.horizon = area, max(by_year, base_scn.horizon if base_scenario else by_year)
    base_scn.levers = type(base_scn.levers)()
    ref = build_inputs(base_scn, baseline, assumptions, with_levers=False)
    p0 = project(ref.inputs).sum_batch()
    groups = ref.roles[:ref.inputs.n_groups]
    gaps = {g: float(v) for g, v in zip(groups, p0.gap[0, :, by_year]) if v > 1e-9}
    if not gaps:
        empty = pd.DataFrame(columns=["intervention", "label", "fte", "cost_per_fte", "cost", "upper_bound",
                                      "at_bound", "lever_per_year"])
        return MixResult(0, "optimal", True, f"No staff group has a gap in year {by_year}: nothing to close.",
                         empty, 0.0, pd.Series(dtype=float), pd.Series(dtype=float), by_year, base_scn)
    res = solve_mix(ivs, gaps, integer=integer, year=by_year)
    if res.success:
        res.scenario = mix_to_scenario(res, ivs, base_scn, assumptions, by_year)
        run = run_scenario(res.scenario, baseline, assumptions, include_systems=False)
        t = run.table
        t = t[(t["scenario"] == "scenario") & (t["year"] == by_year) & (t["role"].isin(list(gaps)))
              & (t["area_code"] == area)]
        agency = res.mix[res.mix["intervention"].str.startswith("agency:")].set_index("intervention")["fte"]
        res.check = pd.DataFrame({
            "staff_group": t["role"].to_numpy(), "gap_baseline": [gaps[g] for g in t["role"]],
            "gap_with_levers": t["gap"].to_numpy(),
            "agency_fte": [float(agency.get(f"agency:{g}", 0.0)) for g in t["role"]],
        })
        res.check["gap_after_agency"] = res.check["gap_with_levers"] - res.check["agency_fte"]
        if agency.sum() > 1e-6:
            res.message += f" Agency/locum cover of {_fmt(float(agency.sum()))} FTE is part of it and is not a lever in the scenario."
        res.notes.append("Retention is linearised at a 1 percentage-point change; `check` shows the gap "
                         "when the scenario is run through the model.")
    return res


def mix_to_scenario(res: MixResult, interventions: list[Intervention], base: Scenario,
                    assumptions: Assumptions | None, by_year: int) -> Scenario:
    """Scenario whose levers deliver the optimum's x (agency/locum is not a lever and is left out)."""
    a = (assumptions or load_assumptions()).with_overrides(base.assumptions)
    scn = copy.deepcopy(base)
    scn.name = scn.name or f"Least-cost mix to close the gap by year {by_year}"
    for iv, x in zip(interventions, res.mix["fte"]):
        if iv.lever is None or not x > 1e-9:
            continue
        q = x / iv.yield_per_unit
        if iv.lever["kind"] == "retention":
            q = round(q, 5)
        else:
            q = round(q, 2)
        if q > 0:
            scn = _with_lever(scn, iv.lever, q, a, by_year)
    return validate(scn)
