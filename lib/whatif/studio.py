"""What-if page computation without streamlit: the baseline (same as `python -m lib scenario`), lever
controls <-> scenario documents, result frames for charts and tables, optimiser limits and words.

The page's widgets hold a flat dict of "controls" (percentages as the facilitator sees them); this
module turns them into a validated `lib.whatif.scenario.Scenario` and back. Levers a loaded scenario holds that
the controls cannot show exactly (a second recruitment line, a start year, a value off the slider grid)
are kept as "extra" levers so nothing loaded is silently lost.
"""
from __future__ import annotations

import copy
import json
import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from lib.whatif.assumptions import AssumptionError, Assumptions, load_assumptions
from lib.whatif.projection import (ALL_STAFF as ALL_STAFF_GROUPS, ENGLAND, MIN_CELL_FTE, Baseline,
                                   baseline_from_metrics)
from lib.whatif.scenario import (DEFAULT, KNOWN_STAFF_GROUPS, Scenario, ScenarioError, ScenarioResult, run_scenario)

MAX_UPLOAD_BYTES = 200_000
MAX_COMPARE = 4
NURSES = "Nurses & health visitors"
SCENARIO_LABELS = {"baseline": "Baseline (no levers)", "scenario": "Scenario"}
COST_LABELS = {"pay_bill": "Pay bill", "training_cost": "Training cost", "recruitment_cost": "Recruitment cost",
               "retention_cost": "Retention programme cost"}
# New-role assumptions the lever panel edits directly (not in the assumptions table, so one place sets them).
ROLE_FIELDS = ("course_years", "training_cost_per_year", "substitution_ratio")


@lru_cache(maxsize=1)
def shared_assumptions() -> Assumptions:
    """The shipped defaults, loaded once and shared: read it, never change it (`with_overrides` copies).
    `load_assumptions()` deep-copies on every call, which the page used to do several times per slider move."""
    return load_assumptions()


# ------------------------------------------------------------------------------------------------
# Baseline: exactly what the CLI does, so page and `python -m lib scenario` give identical numbers
# ------------------------------------------------------------------------------------------------
def load_baseline(data_dir, level: str, period: str | None = None) -> Baseline:
    from lib.data import footprint, geography
    from lib.data.loader import available_periods
    from lib.insight.metrics import area_metrics
    periods = available_periods(data_dir, geography.store_level(level))
    if not periods:
        raise ValueError(f"no {level} data in {data_dir}")
    period = period or periods[-1]
    if period not in periods:
        raise ValueError(f"period {period!r} is not loaded at {level} level")
    window = evidence_periods(data_dir, level, period, periods)
    from lib.insight.coverage import covered_metrics
    # level is a geography key: the baseline is on that footprint (lib/data/footprint.py)
    metrics = area_metrics(footprint.load_area_frame(data_dir, level, periods=window), by_staff_group=True)
    metrics = covered_metrics(data_dir, level, metrics)  # partial vacancy figures fall back to the national default
    base = baseline_from_metrics(metrics, period=period, vacancy_rates=national_vacancy_rates())
    base.footprint = geography.vintage(level).key
    return base


def evidence_periods(data_dir, level: str, period: str, periods: list[str] | None = None) -> list[str]:
    """Loaded periods up to the start, at most 12: the baseline takes its evidence window from them (a 12-month
    file, else up to 12 consecutive monthly files)."""
    if periods is None:
        from lib.data import geography
        from lib.data.loader import available_periods
        periods = available_periods(data_dir, geography.store_level(level))
    return [p for p in periods if p <= period][-12:]


def national_vacancy_rates(a: Assumptions | None = None) -> dict[str, float]:
    """Default starting vacancy rate by staff group (assumptions 'national_vacancy_rates')."""
    a = a or shared_assumptions()
    return {g: a.national_vacancy_rate(g) for g in KNOWN_STAFF_GROUPS}


def baseline_lines(base: Baseline, area: str, group: str, a: Assumptions | None = None) -> list[str]:
    """What the followed staff group's baseline rests on, in words, for the page: the months of evidence,
    where the starting gap comes from (the system's own vacancies, or the national default), held-flat cells."""
    a = a or shared_assumptions()
    lines = []
    if base.months_label and base.months == 0:
        lines.append(base.rate_basis[:1].upper() + base.rate_basis[1:] + ".")
    elif base.months_label:
        lines.append(f"Rates and growth {base.months_label}" + (
            " (a few months are not a year: intakes, such as newly qualified nurses in the autumn, and rotations "
            "are seasonal). Every projected figure here depends on them." if base.provisional else "."))
    if group not in base.staff_groups:
        return lines
    j = base.staff_groups.index(group)
    rows = list(range(len(base.area_codes))) if area == ENGLAND else [base.area_codes.index(area)]
    fte = base.fte[rows, j]
    own = base.vacancy_known[rows, j] & (fte > 0)
    n_own, n_all = int(own.sum()), int((fte > 0).sum())
    rate = a.national_vacancy_rate(group)
    default = (f"national default vacancy rate {100 * rate:.1f}% for {group} (NHS Vacancy Statistics, England, "
               f"30 Sep 2025; editable under Assumptions) applied to staff in post: national default, not your "
               f"system's figure")
    if base.vacancy_default and n_own == 0:
        lines.append(f"Gap now: {default}. Load your vacancy file (Data page template) to use your own figures.")
    elif base.vacancy_default and n_own < n_all:
        lines.append(f"Gap now: the system's own vacancies for {n_own} of {n_all} systems; elsewhere the {default}.")
    elif n_own:
        lines.append("Gap now: the system's own vacancies (vacancy file loaded).")
    if base.held_flat is not None:
        flat = base.held_flat[rows, j] & (fte > 0)
        if flat.any():
            where = "this system" if area != ENGLAND else f"{int(flat.sum())} of {n_all} systems"
            lines.append(f"{group} is held flat at its starting FTE in {where}: cells under {MIN_CELL_FTE:,.0f} FTE "
                         f"and 'Unknown classification' are not projected to grow or shrink.")
    return lines


# Disclosure control (lib.sharing.disclosure): FTE-like columns of the result table, blanked under 5 in shared views.
FTE_COLUMNS = ("fte", "fte_in_training", "effective_fte", "capacity_contributed", "capacity", "demand", "leavers",
               "joiners_other", "trained_in", "recruited", "upskilled_in", "upskilled_out", "trainees")


def shared_baseline(metrics: pd.DataFrame, period: str, footprint: str = "", plan=None
                    ) -> tuple[Baseline, dict[str, list[str]]]:
    """Baseline from disclosure-controlled metrics (ui.data.metrics with control on), and per system the staff
    groups whose staff in post is suppressed there. Those start at 0 FTE, so England sums only the shown
    systems, and the page leaves them out of every figure for that system (see `hide_groups`).
    Metrics not yet controlled (no `suppressed` column) are controlled here with `plan`, the store's joint plan
    (lib.insight.disclosure_plan, as the pages and the board pack), on geography key `footprint`; without a plan
    they are refused: a per-table rule would let a sum between the tables give a hidden cell back."""
    from lib.sharing import disclosure
    from lib.data.geography import REGIONS
    if disclosure.SUPPRESSED_COLUMN in metrics:
        m = metrics
    elif plan is None:
        raise ValueError("shared_baseline needs disclosure-controlled metrics or the store's disclosure plan")
    else:
        from lib.insight.disclosure_plan import shown
        m = shown(metrics, plan, "area", footprint)
    m = m[~m["area_code"].isin(list(REGIONS)) & (m["period"].astype(str) <= period)]
    base = baseline_from_metrics(m, period=period, vacancy_rates=national_vacancy_rates())
    base.footprint = footprint
    sys_rows = m[(m["area_code"] != ENGLAND) & (m["staff_group"] != ALL_STAFF_GROUPS) & (m["period"].astype(str) == period)]
    gone = sys_rows[sys_rows["fte"].isna()]
    hidden: dict[str, list[str]] = {}
    for a, g in zip(gone["area_code"].astype(str), gone["staff_group"].astype(str)):
        hidden.setdefault(a, []).append(g)
    if hidden:
        n = sum(map(len, hidden.values()))
        base.notes.append(f"Disclosure control is on: {n} system x staff group starting points with staff in post "
                          "suppressed (under 5, or hidden so a total cannot reveal one) are left out; England adds "
                          "up the rest.")
    return base, hidden


def hide_groups(res: ScenarioResult, groups: list[str] | None) -> ScenarioResult:
    """The result without rows for staff groups that disclosure control hides in this area."""
    if not groups:
        return res
    return res.without_groups(groups)


SDC_EXPORT_NOTE = ("Disclosure control is on: FTE figures under 5 are left blank in the download, and staff groups "
                   "with suppressed staff in post are left out.")


def mask_small(table: pd.DataFrame) -> pd.DataFrame:
    """FTE figures under 5 (zero included) blanked, as disclosure control does for counts (lib.sharing.disclosure)."""
    from lib.sharing.disclosure import THRESHOLD
    out = table.copy()
    for c in FTE_COLUMNS:
        if c in out:
            out[c] = out[c].where(~(out[c] < THRESHOLD))
    return out


def run(scn: Scenario, baseline: Baseline, assumptions: Assumptions | None = None) -> ScenarioResult:
    """Baseline and scenario for the scenario's area only (England = sum of systems)."""
    return run_scenario(scn, baseline, assumptions, include_systems=False)


def no_levers_key(scn: Scenario) -> str:
    """The part of a scenario the no-levers (baseline) run depends on: area, horizon, demand growth, productivity
    and assumption overrides (scenario.build_inputs with with_levers=False reads nothing else). Lever moves keep
    it the same, so the baseline half of a run can be reused (run_half / join_halves)."""
    return Scenario(area=scn.area, horizon=scn.horizon, demand_growth=scn.demand_growth,
                    productivity=scn.productivity, assumptions=scn.assumptions).to_json(None)


def run_half(scn: Scenario, baseline: Baseline, with_levers: bool, assumptions: Assumptions | None = None) -> tuple:
    """One half of `run` (the no-levers baseline, or the scenario): the same steps as
    scenario.run_scenario(include_systems=False) for one label, as (table, summary, costs, notes): numpy columns
    (dicts), no frames."""
    from lib.whatif import scenario as S
    from lib.whatif.projection import project
    label = "scenario" if with_levers else "baseline"
    setup = S.build_inputs(scn, baseline, assumptions, with_levers=with_levers)
    proj = project(setup.inputs)
    ret = S._retention_cost(setup, proj, with_levers)
    groups = setup.roles[:proj.n_groups]
    if scn.area == ENGLAND:
        proj, ret, codes, names = proj.sum_batch(), ret.sum(axis=0, keepdims=True), [ENGLAND], ["England"]
    else:
        codes, names = setup.area_codes, setup.area_names
    return (S._frame_columns(label, setup, proj, ret, codes, names),
            S._summary_columns(label, proj, codes, names, groups, scn.horizon),
            S._costs_columns(label, proj, ret, codes, names), setup.notes)


def join_halves(scn: Scenario, base_half: tuple, scn_half: tuple) -> ScenarioResult:
    """`run`'s result from its two halves (identical to run_scenario(include_systems=False): tested). The halves'
    columns are copied (the no-levers half is shared); no frame is built until one is asked for."""
    return ScenarioResult.from_blocks(scn, {"table": [base_half[0], scn_half[0]], "summary": [base_half[1], scn_half[1]],
                                            "costs": [base_half[2], scn_half[2]]}, scn_half[3])


# ------------------------------------------------------------------------------------------------
# Controls <-> scenario
# ------------------------------------------------------------------------------------------------
def _pct(x: float) -> float:
    return round(100.0 * float(x), 6)


def _frac(p: float) -> float:
    return round(float(p) / 100.0, 8)


def _on_grid(v: float, step: float, lo: float, hi: float) -> bool:
    return lo - 1e-9 <= v <= hi + 1e-9 and abs(v / step - round(v / step)) < 1e-6


# Slider grids (percent units) - values off these grids stay as extra levers, never rounded.
GRID = {"retention_pp": (0.1, -5.0, 5.0), "upskill_pct": (0.5, 0.0, 20.0), "study_pct": (5.0, 0.0, 100.0)}


def trainee_max(area: str) -> int:
    return 5000 if area == ENGLAND else 500


def default_controls(a: Assumptions | None = None, horizon: int = 5) -> dict[str, Any]:
    a = a or shared_assumptions()
    c: dict[str, Any] = {
        "horizon": horizon, "demand_growth_pct": _pct(a.value("demand", "demand_growth")),
        "productivity_pct": _pct(a.value("demand", "productivity")), "productivity_gain_pct": 0.0,
        "ret_group": NURSES, "ret_change_pp": 0.0,
        "rec_group": NURSES, "rec_domestic": 0.0, "rec_international": 0.0,
        "up_from": NURSES, "up_to": "advanced_clinical_practitioner", "up_share_pct": 0.0,
    }
    c.update(_upskill_defaults(a, c["up_to"]))
    for r in a.new_role_ids:
        rec = a.new_role(r)
        c[f"nr_{r}_trainees"] = 0
        c[f"nr_{r}_recruited"] = 0.0
        c[f"nr_{r}_course_years"] = int(rec["course_years"])
        c[f"nr_{r}_training_cost_per_year"] = float(rec["training_cost_per_year"])
        c[f"nr_{r}_substitution_ratio"] = float(rec["substitution_ratio"])
    return c


def _upskill_defaults(a: Assumptions, to_role: str) -> dict[str, Any]:
    """Training time, time lost and cost the engine uses for an upskilling target when none is given."""
    if to_role in a.new_role_ids:
        rec = a.new_role(to_role)
        d = (rec["course_years"], rec["study_time"], rec["training_cost_per_year"])
    else:
        t = a.training(to_role)
        d = (t["course_years"], 0.2, t["cost_per_student_year"])
    return {"up_years": int(d[0]), "up_study_pct": _pct(d[1]), "up_cost": float(d[2])}


def upskill_targets(a: Assumptions | None = None) -> list[str]:
    a = a or shared_assumptions()
    return a.new_role_ids + KNOWN_STAFF_GROUPS


def role_label(role: str, a: Assumptions | None = None) -> str:
    a = a or shared_assumptions()
    return a.new_role(role).get("label", role) if role in a.new_role_ids else role


def lever_names(scn: Scenario) -> list[str]:
    """Plain-English names of the scenario's levers, in the what-if bridge's order (lib.insight.bridge._lever_steps):
    the studio's "Why it differs" tab and the board pack name them alike."""
    from lib.insight import bridge as br
    a = shared_assumptions().with_overrides(scn.assumptions)
    out = []
    for kind, _label, it in br._lever_steps(scn.levers):
        if kind == "productivity_gain":
            out.append(f"Productivity {100 * scn.levers.productivity_gain:+g}% a year")
        elif kind == "retention":
            pts = round(100 * it.leaver_rate_change, 6)
            out.append(f"Leaver rate {abs(pts):g} point{'' if abs(pts) == 1 else 's'} "
                       f"{'lower' if pts < 0 else 'higher'}: {it.staff_group}")
        elif kind == "recruitment":
            out.append(f"Extra recruitment: {it.staff_group}")
        elif kind == "training_places":
            out.append(f"Extra training places: {it.staff_group}")
        elif kind == "new_roles":
            out.append(f"New role: {role_label(it.role, a)}")
        else:
            out.append(f"Upskilling {it.from_staff_group} to {role_label(it.to_role, a)}")
    return out


def plain_bridge_table(table: pd.DataFrame, scn: Scenario) -> pd.DataFrame:
    """A what-if bridge (lib.insight.bridge.whatif_bridge) with lever names in plain English (first row baseline,
    last row scenario)."""
    names = ["Baseline", *lever_names(scn), "Scenario"]
    return table.assign(label=names[:len(table)])


def scenario_from_controls(c: dict[str, Any], area: str, name: str = "", extras: dict | None = None,
                           overrides: dict | None = None, a: Assumptions | None = None,
                           footprint: str | None = None) -> Scenario:
    """Validated scenario from control values (+ extra levers and assumption-table overrides).

    Raises ScenarioError (field-named messages) when the combination is invalid."""
    a0 = a or shared_assumptions()
    assumptions = copy.deepcopy(overrides or {})
    for r in a0.new_role_ids:
        rec = a0.new_role(r)
        for f in ROLE_FIELDS:
            v = c[f"nr_{r}_{f}"]
            if float(v) != float(rec[f]):
                assumptions.setdefault("new_roles", {}).setdefault(r, {})[f] = int(v) if f == "course_years" else float(v)
    doc: dict[str, Any] = {"schema_version": 1, "area": area, "horizon": int(c["horizon"])}
    if footprint:  # the systems it was built on, so a link or file says which footprint its area belongs to
        doc["footprint"] = footprint
    if name:
        doc["name"] = name
    g = _frac(c["demand_growth_pct"])
    if g != a0.value("demand", "demand_growth"):
        doc["demand_growth"] = g
    p = _frac(c["productivity_pct"])
    if p != a0.value("demand", "productivity"):
        doc["productivity"] = p
    lev: dict[str, list] = {k: [] for k in ("retention", "recruitment", "new_roles", "upskilling")}
    if c["productivity_gain_pct"]:
        lev["productivity_gain"] = _frac(c["productivity_gain_pct"])
    if c["ret_change_pp"]:
        lev["retention"].append({"staff_group": c["ret_group"], "leaver_rate_change": _frac(c["ret_change_pp"])})
    if c["rec_domestic"] or c["rec_international"]:
        item = {"staff_group": c["rec_group"]}
        if c["rec_domestic"]:
            item["domestic_fte_per_year"] = float(c["rec_domestic"])
        if c["rec_international"]:
            item["international_fte_per_year"] = float(c["rec_international"])
        lev["recruitment"].append(item)
    for r in a0.new_role_ids:
        t, rc = c[f"nr_{r}_trainees"], c[f"nr_{r}_recruited"]
        if t or rc:
            item = {"role": r}
            if t:
                item["trainees_per_year"] = float(t)
            if rc:
                item["recruited_fte_per_year"] = float(rc)
            lev["new_roles"].append(item)
    if c["up_share_pct"]:
        item = {"from_staff_group": c["up_from"], "to_role": c["up_to"], "share_per_year": _frac(c["up_share_pct"])}
        d = _upskill_defaults(a0.with_overrides(assumptions) if assumptions else a0, c["up_to"])
        if int(c["up_years"]) != d["up_years"]:
            item["course_years"] = int(c["up_years"])
        if float(c["up_study_pct"]) != d["up_study_pct"]:
            item["study_time"] = _frac(c["up_study_pct"])
        if float(c["up_cost"]) != d["up_cost"]:
            item["training_cost_per_year"] = float(c["up_cost"])
        lev["upskilling"].append(item)
    for kind, items in (extras or {}).items():
        if kind == "productivity_gain":
            lev["productivity_gain"] = items
        else:
            lev.setdefault(kind, []).extend(copy.deepcopy(items))
    lev = {k: v for k, v in lev.items() if v}
    if lev:
        doc["levers"] = lev
    if assumptions:
        doc["assumptions"] = assumptions
    return Scenario.from_dict(doc)


def controls_from_scenario(scn: Scenario, a: Assumptions | None = None) -> tuple[dict, dict, dict]:
    """(controls, extra levers, assumption-table overrides) such that scenario_from_controls gives back
    an equivalent scenario (same numbers). Demand overrides are folded into the growth controls."""
    a0 = a or shared_assumptions()
    ov = copy.deepcopy(scn.assumptions or {})
    try:
        eff = a0.with_overrides(ov)
    except AssumptionError:
        eff = a0
    # Role fields and demand rates go to the controls; the rest stays for the assumptions table.
    for r, rec in list(ov.get("new_roles", {}).items()):
        for f in ROLE_FIELDS:
            rec.pop(f, None)
        if not rec:
            ov["new_roles"].pop(r)
    ov.pop("demand", None)
    ov = {k: v for k, v in ov.items() if v}
    c = default_controls(eff, scn.horizon)
    c["demand_growth_pct"] = _pct(scn.demand_growth if scn.demand_growth is not None else eff.value("demand", "demand_growth"))
    c["productivity_pct"] = _pct(scn.productivity if scn.productivity is not None else eff.value("demand", "productivity"))
    lev = scn.levers
    c["productivity_gain_pct"] = _pct(lev.productivity_gain)
    extras: dict[str, list] = {}

    def extra(kind, obj):
        extras.setdefault(kind, []).append(_lever_dict(obj))

    for r in lev.retention:
        pp = _pct(r.leaver_rate_change)
        if c["ret_change_pp"] == 0 and r.staff_group in KNOWN_STAFF_GROUPS and _on_grid(pp, *GRID["retention_pp"]) and pp:
            c["ret_group"], c["ret_change_pp"] = r.staff_group, pp
        else:
            extra("retention", r)
    for r in lev.recruitment:
        if (not (c["rec_domestic"] or c["rec_international"]) and r.start_year == 1 and r.end_year is None):
            c["rec_group"], c["rec_domestic"], c["rec_international"] = (
                r.staff_group, r.domestic_fte_per_year, r.international_fte_per_year)
        else:
            extra("recruitment", r)
    for r in lev.training_places:
        extra("training_places", r)
    for r in lev.new_roles:
        k = f"nr_{r.role}_trainees"
        plain = (r.start_year == 1 and r.end_year is None and r.from_staff_group == DEFAULT
                 and float(r.trainees_per_year).is_integer() and r.trainees_per_year <= 100_000)
        if plain and c.get(k) == 0 and c.get(f"nr_{r.role}_recruited") == 0:
            c[k] = int(r.trainees_per_year)
            c[f"nr_{r.role}_recruited"] = float(r.recruited_fte_per_year)
        else:
            extra("new_roles", r)
    for u in lev.upskilling:
        share = _pct(u.share_per_year)
        d = _upskill_defaults(eff, u.to_role)
        study = _pct(u.study_time) if u.study_time is not None else d["up_study_pct"]
        ok = (c["up_share_pct"] == 0 and share and not u.fte_per_year and u.start_year == 1 and u.end_year is None
              and u.completion_rate is None and _on_grid(share, *GRID["upskill_pct"])
              and _on_grid(study, *GRID["study_pct"]) and u.from_staff_group in KNOWN_STAFF_GROUPS)
        if ok:
            c.update({"up_from": u.from_staff_group, "up_to": u.to_role, "up_share_pct": share,
                      "up_years": int(u.course_years or d["up_years"]), "up_study_pct": study,
                      "up_cost": float(u.training_cost_per_year if u.training_cost_per_year is not None else d["up_cost"])})
        else:
            extra("upskilling", u)
    return c, extras, ov


def _lever_dict(obj) -> dict:
    from dataclasses import asdict, fields
    defaults = {f.name: f.default for f in fields(obj)}
    return {k: v for k, v in asdict(obj).items() if k not in defaults or v != defaults[k]}


def describe_extras(extras: dict, a: Assumptions | None = None) -> list[str]:
    """One plain sentence per extra lever."""
    out = []
    for kind, items in extras.items():
        for it in items:
            bits = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in it.items())
            out.append(f"{kind.replace('_', ' ').capitalize()}: {bits}")
    return out


# ------------------------------------------------------------------------------------------------
# Loading scenario documents
# ------------------------------------------------------------------------------------------------
def parse_upload(raw: bytes | str) -> Scenario:
    """Scenario from an uploaded/pasted JSON document; ScenarioError with plain messages otherwise."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ScenarioError([f"the file is larger than {MAX_UPLOAD_BYTES:,} bytes; a scenario file is a few KB"])
    if not raw.strip():
        raise ScenarioError(["the file is empty"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(["the file is not UTF-8 text (is it a scenario JSON file?)"]) from None
    return Scenario.from_json(text)


def check_area(scn: Scenario, baseline: Baseline) -> list[str]:
    from lib.whatif.scenario import area_not_in_baseline
    if scn.area != ENGLAND and scn.area not in baseline.area_codes:
        return [area_not_in_baseline(scn.area, baseline)]
    return []


def link_area(raw: str, baseline: Baseline) -> str:
    """The what-if page's check of a link's `area`: the command line's own (lib.data.geography.area_on_footprint on the
    baseline's footprint, as lib.cli.areas.scenario_area), then England or a system of the loaded data. AreaError
    (a ValueError) otherwise."""
    from lib.data import geography
    code = (geography.area_on_footprint(raw, baseline.footprint, "area")[0] if baseline.footprint
            else geography.check_area(raw, "area"))
    problems = check_area(Scenario(area=code), baseline)
    if problems:
        raise geography.AreaError(problems[0])
    return code


def moved_scenario(scn: Scenario, baseline: Baseline) -> tuple[Scenario, str] | None:
    """A scenario whose area is a system of another footprint (an old link or file naming an abolished ICB), moved
    to the system it became on the baseline's footprint, with the sentence saying so; None when it needs no move
    or no succession places it."""
    from lib.whatif.scenario import successor_in
    moved = successor_in(scn.area, baseline)
    if moved is None:
        return None
    doc = {**scn.to_dict(), "area": moved[0]}
    if baseline.footprint:
        doc["footprint"] = baseline.footprint
    return Scenario.from_dict(doc), moved[1]


# ------------------------------------------------------------------------------------------------
# Result frames
# ------------------------------------------------------------------------------------------------
def _area_rows(df: pd.DataFrame, area: str) -> pd.DataFrame:
    return df[df["area_code"] == area]


def headline(res: ScenarioResult, group: str) -> dict[str, Any]:
    """Figures for one staff group at the horizon, baseline and scenario, plus costs."""
    area = res.scenario.area
    T = res.scenario.horizon
    # Plain array lookups on the result's columns: this runs on every slider move (no frame is built).
    s = lambda name: res.column("summary", name)  # noqa: E731
    c = lambda name: res.column("costs", name)  # noqa: E731
    s_sel = (s("area_code") == area) & (s("staff_group") == group)
    s_scn = s("scenario")
    c_area = c("area_code") == area
    c_scn, c_year = c("scenario"), c("year")
    col = {k: np.asarray(c(k), dtype=float) for k in ("pay_bill", "training_cost", "recruitment_cost",
                                                        "retention_cost", "total_cost")}
    out: dict[str, Any] = {"horizon": T, "group": group}
    for lab in ("baseline", "scenario"):
        hit = np.flatnonzero(s_sel & (s_scn == lab))
        if not len(hit):
            raise KeyError((lab, group))
        i = hit[0]
        row = {k: s(k)[i] for k in ("gap_start", "gap_end", "vacancy_rate_end", "fte_end", "capacity_end",
                                     "demand_end")}
        yc = s("year_gap_closes")[i]
        rows = c_area & (c_scn == lab)
        end = np.flatnonzero(rows & (c_year == T))
        if not len(end):
            raise KeyError((lab, T))
        out[lab] = {
            "gap_start": float(row["gap_start"]), "gap_end": float(row["gap_end"]),
            "vacancy_rate_end": float(row["vacancy_rate_end"]), "fte_end": float(row["fte_end"]),
            "capacity_end": float(row["capacity_end"]), "demand_end": float(row["demand_end"]),
            "year_gap_closes": None if pd.isna(yc) else int(yc),
            "pay_bill_end": float(col["pay_bill"][end[0]]),
            "training_cost_total": float(np.nansum(col["training_cost"][rows])),
            "one_off_total": float(sum(np.nansum(col[k][rows]) for k in ("training_cost", "recruitment_cost",
                                                                          "retention_cost"))),
            "total_cost": float(np.nansum(col["total_cost"][rows])),
        }
    return out


def year_label(year: int | None, period: str, horizon: int) -> str:
    """'Year 3 (Nov 2028)'; 'No gap now'; 'Not by year 5'."""
    if year is None:
        return f"Not by year {horizon}"
    if year == 0:
        return "No gap now"
    if period and len(period) == 7:
        import calendar
        return f"Year {year} ({calendar.month_abbr[int(period[5:7])]} {int(period[:4]) + year})"
    return f"Year {year}"


def year_short(year: int | None, horizon: int) -> str:
    """Short form for a headline figure: 'Year 3', 'Now', '> year 5'."""
    return f"> year {horizon}" if year is None else ("Now" if year == 0 else f"Year {year}")


def _columns(res: ScenarioResult, kind: str, names: tuple[str, ...], extra=None, using: tuple[str, ...] = ()
             ) -> dict[str, np.ndarray]:
    """The named columns of the result's `kind` rows ("table", "costs") for its area (and where `extra(columns)` is
    true) as numpy arrays, in table order. Plain arrays, not pandas frames or filters: this runs on every new lever
    state (a boolean filter, a column selection and a .map cost about 1 ms each on the result tables)."""
    area = res.scenario.area
    need = tuple(dict.fromkeys(("area_code", *names, *using)))
    cols = {c: res.column(kind, c) for c in need}
    keep = cols["area_code"] == area
    if extra is not None:
        keep &= extra(cols)
    return {c: cols[c][keep] for c in names}


def _labels(scenarios: np.ndarray) -> np.ndarray:
    return np.array([SCENARIO_LABELS[x] for x in scenarios], dtype=object)


def fte_frame(res: ScenarioResult, group: str, max_roles: int = 4) -> pd.DataFrame:
    """FTE by role and year (baseline and scenario) for the focus group and the roles the levers change."""
    return pd.DataFrame(fte_columns(res, group, max_roles))


def fte_columns(res: ScenarioResult, group: str, max_roles: int = 4) -> dict[str, np.ndarray]:
    """fte_frame's columns as numpy arrays (the page sends them to the browser without building a frame)."""
    t = _columns(res, "table", ("scenario", "role", "role_label", "year", "fte"))
    # Per role and year, the summed FTE of each run (a pivot table's sum, NaN kept) with numpy bincounts; then the
    # largest |scenario - baseline| per role over the years both runs have, and the scenario's largest FTE.
    roles_u, r_idx = np.unique(t["role"].astype(str), return_inverse=True)
    year = t["year"].astype(np.int64)
    Y = int(year.max()) + 1 if len(year) else 1
    key, fte, size = r_idx * Y + year, t["fte"].astype(float), len(roles_u) * Y
    runs = {}
    for lab in ("scenario", "baseline"):
        on = t["scenario"] == lab
        runs[lab] = (np.bincount(key[on], weights=fte[on], minlength=size).reshape(-1, Y),
                     np.bincount(key[on], minlength=size).reshape(-1, Y) > 0)
    (s_sum, s_has), (b_sum, b_has) = runs["scenario"], runs["baseline"]
    with np.errstate(invalid="ignore"):
        both = s_has & b_has & ~np.isnan(s_sum) & ~np.isnan(b_sum)
        gap = np.where(both, np.abs(s_sum - b_sum), -np.inf)
        top = np.where(s_has & ~np.isnan(s_sum), s_sum, -np.inf).max(axis=1)
    diff = {r: float(v) for r, v, ok in zip(roles_u, gap.max(axis=1), both.any(axis=1)) if ok}
    has = {r: float(v) for r, v, ok in zip(roles_u, top, s_has.any(axis=1)) if ok}
    # largest change first, ties in role order (a pandas Series sorted by index then by value did the same, at
    # ~1 ms a move for its text index)
    order = sorted(sorted(diff), key=lambda r: -diff[r])
    changed = [r for r in order if diff[r] > 1e-6 and has.get(r, 0) > 1e-6]
    roles = [group] + [r for r in changed if r != group][: max_roles - 1]
    keep = np.isin(t["role"].astype(str), roles)
    return {"scenario": _labels(t["scenario"][keep]), "role": t["role"][keep], "role_label": t["role_label"][keep],
            "year": t["year"][keep], "fte": t["fte"][keep]}


def gap_frame(res: ScenarioResult, group: str) -> pd.DataFrame:
    return pd.DataFrame(gap_columns(res, group))


def gap_columns(res: ScenarioResult, group: str) -> dict[str, np.ndarray]:
    """gap_frame's columns as numpy arrays: scenario label, year, demand, capacity, gap, vacancy rate."""
    t = _columns(res, "table", ("scenario", "year", "demand", "capacity", "gap", "vacancy_rate"),
                 extra=lambda c: c["role"] == group, using=("role",))
    return {**t, "scenario": _labels(t["scenario"])}


def cost_frame(res: ScenarioResult) -> pd.DataFrame:
    """Long frame: scenario, year, measure, pounds (years 1..horizon; year 0 is the snapshot)."""
    return pd.DataFrame(cost_columns(res))


def cost_columns(res: ScenarioResult) -> dict[str, np.ndarray]:
    """cost_frame's columns as numpy arrays."""
    c = _columns(res, "costs", ("scenario", "year", *COST_LABELS), extra=lambda c: c["year"] > 0)
    n, k = len(c["year"]), len(COST_LABELS)
    # Same rows and order as DataFrame.melt (measure by measure), built directly.
    return {
        "scenario": np.tile(_labels(c["scenario"]), k),
        "year": np.tile(c["year"], k),
        "measure": np.repeat(np.array(list(COST_LABELS.values()), dtype=object), n),
        "pounds": np.concatenate([c[m] for m in COST_LABELS]).astype(float) if n else np.array([], dtype=float),
    }


def summary_table(res: ScenarioResult) -> pd.DataFrame:
    """Per staff group, baseline beside scenario at the horizon, in users' words."""
    s = _area_rows(res.summary, res.scenario.area)
    b = s[s["scenario"] == "baseline"].set_index("staff_group")
    sc = s[s["scenario"] == "scenario"].set_index("staff_group")
    T = res.scenario.horizon
    return pd.DataFrame({
        "Staff group": b.index,
        "Gap now (FTE)": b["gap_start"].to_numpy(),
        f"Gap in year {T}, baseline (FTE)": b["gap_end"].to_numpy(),
        f"Gap in year {T}, scenario (FTE)": sc["gap_end"].reindex(b.index).to_numpy(),
        f"Vacancy rate in year {T}, baseline": b["vacancy_rate_end"].to_numpy(),
        f"Vacancy rate in year {T}, scenario": sc["vacancy_rate_end"].reindex(b.index).to_numpy(),
        "Gap closes (year), baseline": b["year_gap_closes"].to_numpy(),
        "Gap closes (year), scenario": sc["year_gap_closes"].reindex(b.index).to_numpy(),
    })


def comparison(results: dict[str, ScenarioResult], group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(gap over time by named scenario, table of figures) for up to four saved scenarios + baseline."""
    rows, table = [], []
    for name, res in results.items():
        g = gap_frame(res, group)
        g = g[g["scenario"] == SCENARIO_LABELS["scenario"]].assign(scenario=name)
        rows.append(g)
        h = headline(res, group)
        s = h["scenario"]
        table.append({"Scenario": name, "Area": res.scenario.area, "Years": h["horizon"],
                      "Gap in final year (FTE)": s["gap_end"], "Vacancy rate in final year": s["vacancy_rate_end"],
                      "Gap closes (year)": s["year_gap_closes"], "Pay bill in final year (£)": s["pay_bill_end"],
                      "Training cost, all years (£)": s["training_cost_total"],
                      "Extra cost over baseline, all years (£)": s["total_cost"] - h["baseline"]["total_cost"]})
    return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["scenario", "year", "gap"]),
            pd.DataFrame(table))


# ------------------------------------------------------------------------------------------------
# Assumptions table (editable) and overrides
# ------------------------------------------------------------------------------------------------
def _hidden(row) -> bool:
    """Rows the lever controls set (one place for each value) or that are not values."""
    return ((row["section"] == "new_roles" and row["field"] in ROLE_FIELDS + ("label",))
            or row["section"] == "demand")


def assumption_table(a: Assumptions) -> pd.DataFrame:
    """Editable table: value as text (numbers and band codes alike), with its source and status."""
    t = a.table()
    t = t[~t.apply(_hidden, axis=1)].reset_index(drop=True)
    t["value"] = t["value"].map(lambda v: "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v)))
    t["status"] = np.where(t["verified"], "verified", "UNVERIFIED")
    return t[["section", "item", "field", "value", "status", "source"]]


def overrides_from_table(edited: pd.DataFrame, a: Assumptions | None = None) -> tuple[dict, list[str]]:
    """Nested overrides for rows whose value differs from the shipped default; errors name the row."""
    a = a or shared_assumptions()
    errors: list[str] = []
    ov: dict = {}
    for row in edited.itertuples(index=False):
        orig = a.data.get(row.section, {}).get(row.item, {}).get(row.field, None)
        text = "" if row.value is None or (isinstance(row.value, float) and math.isnan(row.value)) else str(row.value).strip()
        where = f"{row.section} / {row.item} / {row.field}"
        if isinstance(orig, bool):
            continue
        if isinstance(orig, (int, float)):
            try:
                val: Any = float(text.replace(",", "").replace("£", ""))
            except ValueError:
                errors.append(f"{where}: {text!r} is not a number")
                continue
            if isinstance(orig, int) and val.is_integer():
                val = int(val)
            if val == orig:
                continue
        else:
            val = None if text == "" else text
            if val == orig:
                continue
        ov.setdefault(row.section, {}).setdefault(row.item, {})[row.field] = val
    if ov and not errors:
        try:
            a.with_overrides(ov)
        except AssumptionError as exc:
            errors.append(str(exc))
    return ov, errors


# ------------------------------------------------------------------------------------------------
# Optimiser: facilitator bounds -> limits, and the chosen mix in words
# ------------------------------------------------------------------------------------------------
def optimiser_limits(baseline: Baseline, area: str, recruit_pct: float, retention_pp: float, training_pct: float,
                     new_role_pct: float, a: Assumptions | None = None) -> dict[str, float]:
    """Per-lever limits (lever units) from facilitator bounds given as % of each group's FTE a year."""
    a = a or shared_assumptions()
    b = baseline if area == ENGLAND else baseline.subset([area])
    fte = dict(zip(b.staff_groups, b.fte.sum(axis=0)))
    lim: dict[str, float] = {}
    for g, f in fte.items():
        lim[f"recruit_domestic:{g}"] = recruit_pct / 100 * f
        lim[f"recruit_international:{g}"] = recruit_pct / 100 * f
        lim[f"retention:{g}"] = retention_pp / 100
        lim[f"training_places:{g}"] = training_pct / 100 * f
    for r in a.new_role_ids:
        lim[f"new_role:{r}"] = new_role_pct / 100 * fte.get(a.new_role(r)["counts_towards"], 0.0)
    return lim


def mix_table(res) -> pd.DataFrame:
    """Levers the optimiser uses (FTE > 0), in words and units."""
    m = res.mix
    if m is None or m.empty:
        return pd.DataFrame(columns=["Lever", "FTE delivered by the year", "Per year", "Cost (£ a year at that point)",
                                     "At its limit"])
    m = m[m["fte"] > 1e-6]
    per_year = []
    for r in m.itertuples():
        if r.intervention.startswith("retention:"):
            per_year.append(f"leaver rate down {100 * r.lever_per_year:.2f} points")
        elif r.intervention.startswith("agency:"):
            per_year.append("cover in that year")
        elif r.intervention.startswith("new_role:"):
            per_year.append(f"{r.lever_per_year:,.1f} trainees a year")
        else:
            per_year.append(f"{r.lever_per_year:,.1f} FTE a year")
    return pd.DataFrame({"Lever": m["label"].to_numpy(), "FTE delivered by the year": m["fte"].to_numpy(),
                         "Per year": per_year, "Cost (£ a year at that point)": m["cost"].to_numpy(),
                         "At its limit": np.where(m["at_bound"], "yes", "no")})


def explain_mix(res) -> list[str]:
    """Plain sentences: what the optimum costs, which levers carry it, what binds, the marginal cost."""
    if not res.success:
        return [res.message]
    m = res.mix
    by = f" by year {res.year}" if res.year else ""
    if m is None or m.empty or not (m["fte"] > 1e-6).any():
        return [res.message]
    used = m[m["fte"] > 1e-6].sort_values("fte", ascending=False)
    out = [f"The cheapest mix that closes every staff group's gap{by} costs £{res.cost:,.0f} a year at that point "
           f"(pay bill of the extra staff plus one-off training, recruitment and retention costs). "
           f"It uses {len(used)} lever{'s' if len(used) != 1 else ''}."]
    top = "; ".join(f"{r.label}: {r.fte:,.0f} FTE" for r in used.head(3).itertuples())
    out.append(f"Largest contributions: {top}.")
    bound = used[used["at_bound"]]
    if len(bound):
        names = ", ".join(bound["label"].head(5)) + (f" and {len(bound) - 5} more" if len(bound) > 5 else "")
        out.append(f"{len(bound)} lever{'s are' if len(bound) != 1 else ' is'} at the limit you set ({names}): "
                   "raising a limit would make the mix cheaper.")
    agency = used[used["intervention"].str.startswith("agency:")]
    if len(agency):
        out.append(f"Agency/locum cover of {agency['fte'].sum():,.0f} FTE is part of it; it is not a lever, so it is "
                   "left out when the mix is loaded as a scenario.")
    d = res.duals.dropna() if res.duals is not None else pd.Series(dtype=float)
    d = d[d > 1]
    if len(d):
        out.append(f"One more FTE of gap in {d.idxmax()} would add about £{d.max():,.0f} a year.")
    return out


# ------------------------------------------------------------------------------------------------
# Uncertainty
# ------------------------------------------------------------------------------------------------
def fan_frame(mc, area: str, group: str) -> pd.DataFrame:
    f = mc.fan
    return f[(f["area_code"] == area) & (f["staff_group"] == group)].reset_index(drop=True)


def prob_closed(mc, area: str, group: str, year: int) -> float:
    p = mc.prob_closed
    row = p[(p["area_code"] == area) & (p["staff_group"] == group) & (p["year"] == year)]
    return float(row["prob_gap_closed"].iloc[0]) if len(row) else float("nan")


def scenario_json(scn: Scenario) -> str:
    return json.dumps(scn.to_dict(), indent=2, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------
# Why the gap moves, and a surplus said as a surplus (issue 24)
# ------------------------------------------------------------------------------------------------
def gap_drivers(res: ScenarioResult, group: str, run: str = "baseline", a: Assumptions | None = None
                ) -> dict[str, Any]:
    """What moves the followed group's gap from now to the final year of one run ("baseline": no lever moved).

    The gap is demand minus capacity, so its change splits exactly into the change in demand (demand growth less
    productivity, both assumptions) and the change in capacity (leavers and joiners at the loaded rates, plus any
    lever): gap_end - gap_start = demand_added - capacity_added. `demand_share_of_gap` is the part of the
    final-year gap that the demand added since now makes up (None when there is no gap in the final year)."""
    a = (a or shared_assumptions()).with_overrides(res.scenario.assumptions) if res.scenario.assumptions else \
        (a or shared_assumptions())
    g = gap_columns(res, group)
    on = g["scenario"] == SCENARIO_LABELS[run]
    year = np.asarray(g["year"])[on]
    if not len(year):
        raise KeyError((run, group))
    first, last = np.argmin(year), np.argmax(year)
    dem, cap, gap = (np.asarray(g[k], dtype=float)[on] for k in ("demand", "capacity", "gap"))
    growth = res.scenario.demand_growth if res.scenario.demand_growth is not None else a.value("demand",
                                                                                                "demand_growth")
    prod = res.scenario.productivity if res.scenario.productivity is not None else a.value("demand", "productivity")
    verified = _demand_verified(a)
    demand_added = float(dem[last] - dem[first])
    gap_end = float(gap[last])
    return {"horizon": int(year[last]), "gap_start": float(gap[first]), "gap_end": gap_end,
            "demand_added": demand_added, "capacity_added": float(cap[last] - cap[first]),
            "demand_growth": float(growth), "productivity": float(prod),
            "demand_growth_verified": verified.get("demand_growth", False),
            "demand_share_of_gap": demand_added / gap_end if gap_end > 0.5 else None}


def _demand_verified(a: Assumptions) -> dict[str, bool]:
    t = a.table()
    t = t[(t["section"] == "demand") & (t["field"] == "value")]
    return {str(i): bool(v) for i, v in zip(t["item"], t["verified"])}


def gap_driver_line(d: dict[str, Any], group: str) -> str:
    """The baseline's gap change in words, naming demand growth as its driver (shown beside the headline)."""
    T = d["horizon"]
    g = f"{100 * d['demand_growth']:.1f}% a year"
    status = "illustrative, not verified" if not d["demand_growth_verified"] else "verified"
    prod = (f" less productivity {100 * d['productivity']:.1f}% a year" if d["productivity"] else "")
    cap = d["capacity_added"]
    staff = (f"staff in post {'grow' if cap >= 0 else 'fall'} by {abs(cap):,.0f} FTE (leavers and joiners at the "
             f"loaded rates)")
    start, end = d["gap_start"], d["gap_end"]
    move = (f"{gap_phrase(start)} now to {gap_phrase(end)} in year {T}")
    share = d["demand_share_of_gap"]
    share_text = ("" if share is None or share <= 0 else f", more than the whole year-{T} gap" if share > 1 else
                  f", {100 * share:.0f}% of the year-{T} gap")
    return (f"With no lever moved, {group} go from {move}. Drivers: demand growth of {g}{prod} (an assumption, "
            f"{status}; under All levers) adds {d['demand_added']:,.0f} FTE of demand{share_text}; {staff}.")


def is_surplus(gap: float) -> bool:
    """Capacity above demand by half an FTE or more: said as a surplus (a positive figure), never a negative gap.
    The one test the cards, the comparison cards, their caption and the board pack share (issue 24)."""
    return bool(gap < -0.5)


def gap_word(gap: float) -> str:
    """'Surplus' or 'Gap', as a card's label starts."""
    return "Surplus" if is_surplus(gap) else "Gap"


def gap_phrase(gap: float) -> str:
    """'a gap of 1,200 FTE', 'a surplus of 80 FTE' (capacity above demand), 'no gap'."""
    if is_surplus(gap):
        return f"a surplus of {-gap:,.0f} FTE"
    return f"a gap of {gap:,.0f} FTE" if gap >= 0.5 else "no gap"


def final_year_caption(ends: pd.DataFrame, baseline_gap: float) -> str:
    """The comparison chart's key figures: each scenario's final-year gap or surplus, then the baseline's, in the
    cards' words ('Retain and recruit: a surplus of 1,146 FTE', not '-1,146 FTE'). `ends`: scenario, gap."""
    parts = [f"{name}: {gap_phrase(float(gap))}" for name, gap in zip(ends["scenario"], ends["gap"])]
    return ("In the final year: " + "; ".join([*parts, f"baseline (no levers): {gap_phrase(float(baseline_gap))}"])
            + ". Below 0 on the chart is a surplus (capacity above demand).")


def lever_summary(scn: Scenario, a: Assumptions | None = None) -> list[str]:
    """Each lever of a scenario in a few words, for its comparison card and library row ('No levers moved' when
    none): a card names what the scenario does, not only what it is called."""
    a = a or shared_assumptions()
    lev, out = scn.levers, []

    def years(x) -> str:
        if x.start_year == 1 and x.end_year is None:
            return ""
        return f" (years {x.start_year}-{x.end_year})" if x.end_year else f" (from year {x.start_year})"

    if scn.demand_growth is not None:
        out.append(f"Demand growth {100 * scn.demand_growth:.1f}% a year")
    if scn.productivity is not None:
        out.append(f"Productivity {100 * scn.productivity:.1f}% a year")
    if lev.productivity_gain:
        out.append(f"Productivity gain {100 * lev.productivity_gain:.1f}%")
    for r in lev.retention:
        out.append(f"{r.staff_group}: leaver rate {100 * r.leaver_rate_change:+.1f} points")
    for r in lev.recruitment:
        bits = [f"{v:,.0f} {k} FTE a year" for k, v in (("domestic", r.domestic_fte_per_year),
                                                       ("international", r.international_fte_per_year)) if v]
        out.append(f"{r.staff_group}: recruit {' + '.join(bits)}{years(r)}")
    for r in lev.training_places:
        out.append(f"{r.staff_group}: {r.extra_places_per_year:,.0f} extra training places a year{years(r)}")
    for r in lev.new_roles:
        bits = [f"{r.trainees_per_year:,.0f} trainees a year"] if r.trainees_per_year else []
        bits += [f"{r.recruited_fte_per_year:,.0f} FTE recruited a year"] if r.recruited_fte_per_year else []
        out.append(f"{role_label(r.role, a)}: {' + '.join(bits)}{years(r)}")
    for u in lev.upskilling:
        amount = f"{100 * u.share_per_year:.1f}% a year" if u.share_per_year else f"{u.fte_per_year:,.0f} FTE a year"
        out.append(f"Upskill {amount} of {u.from_staff_group} to {role_label(u.to_role, a)}{years(u)}")
    if scn.assumptions:
        out.append("Assumptions changed: " + ", ".join(str(k).replace("_", " ") for k in scn.assumptions))
    return out or ["No levers moved"]


def picture_notes(base: Baseline, area: str, group: str, a: Assumptions | None = None) -> list[str]:
    """What a downloaded what-if picture must say beside its figures so it stands alone in a board paper: where the
    starting gap comes from (the system's own vacancies, or England's published rates, with source and date),
    how many months the rates rest on (provisional under 12) and that demand growth is an assumption."""
    a = a or shared_assumptions()
    out = []
    if base.provisional and base.months:
        span = base.months_label.split(", ", 1)[-1].split(":")[0]
        out.append(f"Provisional, {base.months} month{'s' if base.months != 1 else ''}: leaver and joiner rates "
                   f"from {span}, scaled to a year (a year needs 12 months).")
    elif base.months_label:
        out.append(f"Rates {base.months_label}.")
    j = base.staff_groups.index(group) if group in base.staff_groups else None
    if j is not None:
        rows = list(range(len(base.area_codes))) if area == ENGLAND else [base.area_codes.index(area)]
        fte = base.fte[rows, j]
        own = int((base.vacancy_known[rows, j] & (fte > 0)).sum())
        if base.vacancy_default and own == 0:
            which = (f"England's published all-staff vacancy rate (none is published for {group})"
                     if a.national_vacancy_source(group).startswith("No national figure")
                     else f"England's published vacancy rate for {group}")
            out.append(f"Starting gap: {which}, "
                       f"{100 * a.national_vacancy_rate(group):.1f}% (NHS Vacancy Statistics, England, 30 Sep 2025), "
                       "applied to staff in post: a national default, not this system's vacancies (they need the "
                       "vacancy template).")
        elif base.vacancy_default:
            out.append(f"Starting gap: the systems' own vacancies for {own} of {int((fte > 0).sum())} systems; "
                       "elsewhere England's published vacancy rate (NHS Vacancy Statistics, 30 Sep 2025).")
        else:
            out.append("Starting gap: the systems' own vacancies (vacancy template).")
        # each kind of vacancy figure used, with its own date (issue 21: figures of another month say so)
        out += [vacancy_date_line(b, a) + "." for b, used in ((base, own > 0), (None, base.vacancy_default)) if used]
    g = a.value("demand", "demand_growth")
    out.append(f"Demand growth {100 * g:.1f}% a year unless a scenario sets it: "
               + ("an illustrative assumption, not verified." if not _demand_verified(a).get("demand_growth")
                  else "an assumption."))
    return out


# ------------------------------------------------------------------------------------------------
# The comparison in the page address (issue 24: compared scenarios survive a reload and travel in a link)
# ------------------------------------------------------------------------------------------------
COMPARE_SEPARATOR = "~"      # not in URL-safe base64, so it cannot occur inside one scenario's link value


def comparison_to_query(saved: dict[str, str]) -> str:
    """The compared scenarios (name -> scenario JSON) as one URL value: each scenario's link value with the name
    it was compared under, joined by '~'. ScenarioError when it would be too long for a link."""
    from lib.whatif.scenario import MAX_QUERY_CHARS, to_query
    parts = []
    for name, js in list(saved.items())[:MAX_COMPARE]:
        scn = Scenario.from_json(js)
        scn.name = name
        parts.append(to_query(scn))
    out = COMPARE_SEPARATOR.join(parts)
    if len(out) > MAX_QUERY_CHARS:
        raise ScenarioError([f"the comparison is too long for a link ({len(out)} characters)"])
    return out


def comparison_from_query(text: str, baseline: Baseline | None = None) -> tuple[dict[str, str], list[str]]:
    """(name -> scenario JSON, problems) from a `cmp` URL value: every part checked as a scenario link (and
    against the loaded systems when `baseline` is given); a bad part is left out and named, never run."""
    from lib.whatif.scenario import MAX_QUERY_CHARS, from_query
    out: dict[str, str] = {}
    problems: list[str] = []
    if not isinstance(text, str) or len(text) > MAX_QUERY_CHARS:
        return out, ["the comparison in the link is too long"]
    for i, part in enumerate(text.split(COMPARE_SEPARATOR)[:MAX_COMPARE], start=1):
        try:
            scn = from_query(part)
            errs = check_area(scn, baseline) if baseline is not None else []
            if errs:
                raise ScenarioError(errs)
        except ScenarioError as exc:
            problems.append(f"scenario {i}: {'; '.join(exc.errors)}"[:200])
            continue
        name = " ".join((scn.name or f"Scenario {i}").split())[:60]
        while name in out:
            name += " (2)"
        out[name] = scn.to_json(None)
    return out, problems


def national_vacancy_table(a: Assumptions | None = None) -> pd.DataFrame:
    """England's published vacancy rates as the what-if studio uses them (assumptions 'national_vacancy_rates'):
    staff group, rate, what it is (the group's own published rate, or the all-staff rate where none is published
    for the group), reference date and whether the figure has been checked against the official tables."""
    a = a or shared_assumptions()
    rows = []
    for g in KNOWN_STAFF_GROUPS:
        rec = a.data.get("national_vacancy_rates", {}).get(g)
        if not isinstance(rec, dict):
            continue
        src = str(rec.get("source", ""))
        rows.append({"Staff group": g, "England vacancy rate": float(rec["value"]),
                     "What it is": ("All-staff rate (none is published for this group)"
                                    if src.startswith("No national figure") else "The group's published rate"),
                     "As at": str(rec.get("as_at", "")),
                     "Checked against the official tables": "no" if "[UNVERIFIED]" in src else "yes"})
    return pd.DataFrame(rows)


NATIONAL_VACANCY_SHORT_SOURCE = "NHS Vacancy Statistics, England"


def national_vacancy_month(a: Assumptions | None = None) -> str:
    """The month England's published vacancy rates are for: their reference date ('as_at' in the assumptions)."""
    a = a or shared_assumptions()
    dates = {str(rec.get("as_at", ""))[:7] for rec in a.data.get("national_vacancy_rates", {}).values()
             if isinstance(rec, dict)}
    return max(d for d in dates if d)


def vacancy_date_line(base: Baseline | None = None, a: Assumptions | None = None) -> str:
    """'Vacancies: Sep 2025 (NHS Vacancy Statistics, England)' beside England's published rates (base None), or
    'Vacancies: <the baseline's month> (vacancy template, ...)' beside the systems' own vacancies."""
    from lib.insight.calendar import VACANCIES, VACANCY_TEMPLATE_SOURCE, own_date_line
    if base is not None:
        return own_date_line(VACANCIES, base.period, VACANCY_TEMPLATE_SOURCE)
    return own_date_line(VACANCIES, national_vacancy_month(a), NATIONAL_VACANCY_SHORT_SOURCE)


NATIONAL_VACANCY_SOURCE = ("NHS Vacancy Statistics, England (NHS England, experimental statistics), reference date "
                           "30 September 2025, published 27 November 2025")


def caveat_line(base: Baseline, area: str, group: str, a: Assumptions | None = None) -> str:
    """The baseline's two caveats in one short line under the headline (the full sentences are under the charts):
    how many months the rates rest on, and where the gap now comes from."""
    a = a or shared_assumptions()
    bits = []
    if base.provisional and base.months:
        span = base.months_label.split(", ", 1)[-1].split(":")[0]
        bits.append(f"Provisional: rates from {base.months} month{'s' if base.months != 1 else ''} ({span})")
    if group in base.staff_groups:
        j = base.staff_groups.index(group)
        rows = list(range(len(base.area_codes))) if area == ENGLAND else [base.area_codes.index(area)]
        fte = base.fte[rows, j]
        if base.vacancy_default and not (base.vacancy_known[rows, j] & (fte > 0)).any():
            bits.append(f"gap now from England's published vacancy rate, {100 * a.national_vacancy_rate(group):.1f}%, "
                        "not this system's figure")
            bits.append(vacancy_date_line(None, a))        # the figure's own date and source, beside it
    return "; ".join(bits) + "." if bits else ""
