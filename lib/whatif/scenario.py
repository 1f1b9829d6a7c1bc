"""What-if scenarios: a small versioned JSON document, its validation, URL encoding, and running it.

Schema (version 1); every field except schema_version is optional:
{
  "schema_version": 1, "name": "NA expansion", "area": "QKK" | "ENG", "horizon": 5,
  "demand_growth": 0.02, "productivity": 0.0,          # apply to baseline AND scenario
  "levers": {                                          # apply to the scenario only
    "productivity_gain": 0.01,                         # extra labour productivity per year
    "retention":  [{"staff_group": "...", "leaver_rate_change": -0.01}],   # absolute change, annual rate
    "recruitment": [{"staff_group": "...", "domestic_fte_per_year": 20, "international_fte_per_year": 10,
                     "start_year": 1, "end_year": 5}],
    "training_places": [{"staff_group": "...", "extra_places_per_year": 50}],
    "new_roles": [{"role": "nursing_associate", "trainees_per_year": 40, "recruited_fte_per_year": 0,
                   "from_staff_group": "Support to doctors, nurses & midwives" | null}],
    "upskilling": [{"from_staff_group": "...", "to_role": "advanced_clinical_practitioner",
                    "share_per_year": 0.05, "fte_per_year": 0}]
  },
  "assumptions": {...}                                 # overrides of lib/assumptions_default.json
}
For area "ENG" the model runs all systems and England = sum of systems; absolute quantities (FTE per
year) are shared across systems in proportion to the relevant staff group's FTE, shares and rate
changes apply to every system.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import math
import re
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lib.data import geography
from lib.data.schema import ALL_STAFF, STAFF_GROUPS
from lib.whatif.assumptions import AssumptionError, Assumptions, load_assumptions
from lib.whatif.projection import ENGLAND, Baseline, ModelInputs, Projection, project, year_gap_closes

KNOWN_STAFF_GROUPS = [g for g in STAFF_GROUPS if g != ALL_STAFF]

SCHEMA_VERSION = 1
MAX_HORIZON = 10
MAX_FTE_PER_YEAR = 100_000.0     # more than any system employs: catches typos, not policy
MAX_QUERY_CHARS = 4_000          # encoded URL value
MAX_JSON_BYTES = 32_000          # decompressed document (zip-bomb guard)
QUERY_PREFIX = "s1."
DEFAULT = "default"              # new_roles.from_staff_group: use the role's default source group


class ScenarioError(ValueError):
    """Invalid scenario; `errors` lists one plain message per problem, each naming the field."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("invalid scenario: " + "; ".join(self.errors))


@dataclass
class Retention:
    staff_group: str
    leaver_rate_change: float


@dataclass
class Recruitment:
    staff_group: str
    domestic_fte_per_year: float = 0.0
    international_fte_per_year: float = 0.0
    start_year: int = 1
    end_year: int | None = None


@dataclass
class TrainingPlaces:
    staff_group: str
    extra_places_per_year: float
    start_year: int = 1
    end_year: int | None = None


@dataclass
class NewRole:
    role: str
    trainees_per_year: float = 0.0
    recruited_fte_per_year: float = 0.0
    from_staff_group: str | None = DEFAULT
    start_year: int = 1
    end_year: int | None = None


@dataclass
class Upskilling:
    from_staff_group: str
    to_role: str
    share_per_year: float = 0.0
    fte_per_year: float = 0.0
    start_year: int = 1
    end_year: int | None = None
    course_years: int | None = None
    completion_rate: float | None = None
    study_time: float | None = None
    training_cost_per_year: float | None = None


@dataclass
class Levers:
    productivity_gain: float = 0.0
    retention: list[Retention] = field(default_factory=list)
    recruitment: list[Recruitment] = field(default_factory=list)
    training_places: list[TrainingPlaces] = field(default_factory=list)
    new_roles: list[NewRole] = field(default_factory=list)
    upskilling: list[Upskilling] = field(default_factory=list)


@dataclass
class Scenario:
    area: str = ENGLAND
    horizon: int = 5
    name: str = ""
    demand_growth: float | None = None
    productivity: float | None = None
    levers: Levers = field(default_factory=Levers)
    assumptions: dict = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    footprint: str | None = None   # geography vintage key the scenario was built on ("ICS2026"); None: not recorded

    # ---- serialisation ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Canonical document: defaults and empty lists left out so URLs stay short."""
        d: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "area": self.area, "horizon": self.horizon}
        if self.footprint:
            d["footprint"] = self.footprint
        if self.name:
            d["name"] = self.name
        for k in ("demand_growth", "productivity"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        lev: dict[str, Any] = {}
        if self.levers.productivity_gain:
            lev["productivity_gain"] = self.levers.productivity_gain
        for kind, cls in _LEVER_TYPES.items():
            items = getattr(self.levers, kind)
            if items:
                defaults = {f.name: f.default for f in cls.__dataclass_fields__.values()}
                lev[kind] = [{k: v for k, v in asdict(it).items() if k not in defaults or v != defaults[k]}
                             for it in items]
        if lev:
            d["levers"] = lev
        if self.assumptions:
            d["assumptions"] = self.assumptions
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Scenario":
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ScenarioError([f"not valid JSON ({exc})"]) from None
        except RecursionError:
            raise ScenarioError(["not a scenario: nested too deeply"]) from None
        except ValueError as exc:  # e.g. an integer longer than Python's int max str digits (4,300)
            raise ScenarioError([f"not valid JSON ({str(exc)[:160]})"]) from None
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: Any) -> "Scenario":
        try:
            return _parse(doc)
        except ScenarioError:
            raise
        except RecursionError:
            raise ScenarioError(["not a scenario: nested too deeply"]) from None
        except (ValueError, OverflowError, TypeError) as exc:  # a number too large to use, and the like
            raise ScenarioError([f"not a valid scenario ({str(exc)[:160]})"]) from None


_LEVER_TYPES = {"retention": Retention, "recruitment": Recruitment, "training_places": TrainingPlaces,
                "new_roles": NewRole, "upskilling": Upskilling}


# ------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------
def _num(errs, where, v, lo=-math.inf, hi=math.inf, integer=False, what="a number"):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not math.isfinite(v)):
        errs.append(f"{where}: expected {what}, got {json.dumps(v) if _jsonable(v) else type(v).__name__}")
        return None
    if integer and int(v) != v:
        errs.append(f"{where}: expected a whole number, got {v}")
        return None
    if not lo <= v <= hi:
        errs.append(f"{where}: {v} is outside the allowed range [{lo:g}, {hi:g}]")
        return None
    return int(v) if integer else float(v)


def _jsonable(v) -> bool:
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError):
        return False


def _check_keys(errs, where, obj, allowed) -> bool:
    if not isinstance(obj, dict):
        errs.append(f"{where}: expected an object, got {type(obj).__name__}")
        return False
    extra = [k for k in obj if k not in allowed]
    if extra:
        errs.append(f"{where}: unknown key(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}")
    return True


@functools.lru_cache(maxsize=1)
def _defaults() -> Assumptions:
    """One copy of the shipped assumptions for validation, which only reads it (load_assumptions deep-copies
    on every call; validation runs on every slider move)."""
    return load_assumptions()


def _group(errs, where, v, roles_ok=False, assumptions: Assumptions | None = None):
    roles = (assumptions or _defaults()).new_role_ids if roles_ok else []
    if not isinstance(v, str) or (v not in KNOWN_STAFF_GROUPS and v not in roles):
        known = KNOWN_STAFF_GROUPS + roles
        errs.append(f"{where}: unknown {'staff group or role' if roles_ok else 'staff group'} {v!r}; "
                    f"expected one of: {', '.join(known)}")
        return None
    return v


def _parse(doc: Any) -> Scenario:
    errs: list[str] = []
    top = ["schema_version", "name", "area", "footprint", "horizon", "demand_growth", "productivity", "levers", "assumptions"]
    if not _check_keys(errs, "scenario", doc, top):
        raise ScenarioError(errs)
    ver = doc.get("schema_version", SCHEMA_VERSION)
    if ver != SCHEMA_VERSION or isinstance(ver, bool):
        raise ScenarioError([f"schema_version: expected {SCHEMA_VERSION}, got {json.dumps(ver) if _jsonable(ver) else ver!r}"])
    scn = Scenario()
    name = doc.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        errs.append("name: expected text of at most 200 characters")
    else:
        scn.name = name
    try:  # the geography vintages are the one list of places (lib/data/vintages), never a pattern
        scn.area = geography.check_area(doc.get("area", ENGLAND), "area")
    except geography.AreaError as exc:
        errs.append(str(exc))
    fp = doc.get("footprint")
    if fp is not None:
        if isinstance(fp, str) and fp in geography.VINTAGES:
            scn.footprint = fp
        else:
            errs.append(f"footprint: expected a geography vintage ({', '.join(geography.VINTAGES)}), got "
                        f"{json.dumps(fp) if _jsonable(fp) else type(fp).__name__}"[:300])
    h = _num(errs, "horizon", doc.get("horizon", 5), 1, MAX_HORIZON, integer=True, what="a whole number of years")
    scn.horizon = h if h is not None else 5
    for k in ("demand_growth", "productivity"):
        if doc.get(k) is not None:
            setattr(scn, k, _num(errs, k, doc[k], -0.5, 0.5, what="an annual rate such as 0.02"))
    overrides = doc.get("assumptions", {})
    assumptions = _defaults()
    if not isinstance(overrides, dict):
        errs.append("assumptions: expected an object of overrides")
    elif overrides:
        try:
            assumptions = assumptions.with_overrides(overrides)
            scn.assumptions = overrides
        except AssumptionError as exc:
            errs.append(str(exc))
    lev = doc.get("levers", {})
    if _check_keys(errs, "levers", lev, ["productivity_gain", *_LEVER_TYPES]):
        if "productivity_gain" in lev:
            v = _num(errs, "levers.productivity_gain", lev["productivity_gain"], -0.5, 0.5, what="an annual rate")
            scn.levers.productivity_gain = v or 0.0
        for kind, cls in _LEVER_TYPES.items():
            items = lev.get(kind, [])
            if not isinstance(items, list):
                errs.append(f"levers.{kind}: expected a list")
                continue
            for i, it in enumerate(items):
                parsed = _parse_lever(errs, f"levers.{kind}[{i}]", kind, cls, it, scn.horizon, assumptions)
                if parsed is not None:
                    getattr(scn.levers, kind).append(parsed)
        seen = set()
        for i, r in enumerate(scn.levers.retention):
            if r.staff_group in seen:
                errs.append(f"levers.retention[{i}].staff_group: {r.staff_group!r} appears twice; give one change")
            seen.add(r.staff_group)
    if errs:
        raise ScenarioError(errs)
    return scn


def _parse_lever(errs, where, kind, cls, it, horizon, assumptions) -> Any:
    fields = list(cls.__dataclass_fields__)
    if not _check_keys(errs, where, it, fields):
        return None
    n0 = len(errs)
    kw: dict[str, Any] = {}
    fte_fields = {"domestic_fte_per_year", "international_fte_per_year", "extra_places_per_year",
                  "trainees_per_year", "recruited_fte_per_year", "fte_per_year"}
    for k, v in it.items():
        w = f"{where}.{k}"
        if k == "staff_group":
            kw[k] = _group(errs, w, v, roles_ok=(kind == "retention"), assumptions=assumptions)
        elif k == "from_staff_group":
            kw[k] = v if (kind == "new_roles" and v in (None, DEFAULT)) else _group(errs, w, v)
        elif k == "to_role":
            kw[k] = _group(errs, w, v, roles_ok=True, assumptions=assumptions)
        elif k == "role":
            if v not in assumptions.new_role_ids:
                errs.append(f"{w}: unknown role {v!r}; expected one of: {', '.join(assumptions.new_role_ids)}")
            kw[k] = v
        elif k == "leaver_rate_change":
            kw[k] = _num(errs, w, v, -1.0, 1.0, what="a change in the annual leaver rate between -1 and 1 (e.g. -0.01)")
        elif k in fte_fields:
            kw[k] = _num(errs, w, v, 0.0, MAX_FTE_PER_YEAR, what="FTE per year (0 or more)")
        elif k == "share_per_year":
            kw[k] = _num(errs, w, v, 0.0, 0.5, what="a share of the staff group per year between 0 and 0.5")
        elif k in ("start_year", "end_year"):
            kw[k] = None if (k == "end_year" and v is None) else _num(errs, w, v, 1, horizon, integer=True,
                                                                     what=f"a year between 1 and the horizon ({horizon})")
        elif k == "course_years":
            kw[k] = None if v is None else _num(errs, w, v, 1, 10, integer=True, what="a whole number of years 1-10")
        elif k in ("completion_rate", "study_time"):
            kw[k] = None if v is None else _num(errs, w, v, 0.0, 1.0, what="a fraction between 0 and 1")
        elif k == "training_cost_per_year":
            kw[k] = None if v is None else _num(errs, w, v, 0.0, 1e7, what="pounds per trainee per year")
    required = [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    for r in required:
        if r not in it:
            errs.append(f"{where}: missing required field {r!r}")
    if len(errs) > n0:
        return None
    obj = cls(**kw)
    if getattr(obj, "end_year", None) is not None and obj.start_year > obj.end_year:
        errs.append(f"{where}: start_year {obj.start_year} is after end_year {obj.end_year}")
    if kind == "upskilling":
        if obj.from_staff_group == obj.to_role:
            errs.append(f"{where}: from_staff_group and to_role are the same")
        if obj.share_per_year and obj.fte_per_year:
            errs.append(f"{where}: give share_per_year or fte_per_year, not both")
    return obj if len(errs) == n0 else None


def validate(scn: Scenario) -> Scenario:
    """Re-check a Scenario built in code (e.g. by the page or the optimiser)."""
    return Scenario.from_dict(scn.to_dict())


# ------------------------------------------------------------------------------------------------
# URL encoding: "s1." + urlsafe base64 of zlib-compressed compact JSON. Never pickle, never eval.
# ------------------------------------------------------------------------------------------------
def to_query(scn: Scenario) -> str:
    raw = json.dumps(scn.to_dict(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    if len(raw) > MAX_JSON_BYTES:
        raise ScenarioError([f"scenario is too large to share as a link ({len(raw)} bytes)"])
    out = QUERY_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")
    if len(out) > MAX_QUERY_CHARS:
        raise ScenarioError([f"scenario is too large to share as a link ({len(out)} characters)"])
    return out


def from_query(text: str) -> Scenario:
    if not isinstance(text, str) or not text.startswith(QUERY_PREFIX):
        raise ScenarioError([f"link value: expected text starting {QUERY_PREFIX!r} (scenario link version 1)"])
    if len(text) > MAX_QUERY_CHARS:
        raise ScenarioError([f"link value: longer than {MAX_QUERY_CHARS} characters"])
    body = text[len(QUERY_PREFIX):]
    if not re.fullmatch(r"[A-Za-z0-9_-]*", body):
        raise ScenarioError(["link value: contains characters that are not URL-safe base64"])
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        d = zlib.decompressobj()
        raw = d.decompress(packed, MAX_JSON_BYTES)
        if d.unconsumed_tail or not d.eof:
            raise ScenarioError(["link value: damaged or larger than allowed"])
    except (binascii.Error, zlib.error, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError([f"link value: cannot be decoded ({exc})"]) from None
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ScenarioError(["link value: the scenario inside is not UTF-8 text (damaged link?)"]) from None
    return Scenario.from_json(text)


# ------------------------------------------------------------------------------------------------
# Scenario -> model arrays
# ------------------------------------------------------------------------------------------------
@dataclass
class ModelSetup:
    """What `build_inputs` produced, with the labels needed to present the arrays."""

    inputs: ModelInputs
    area_codes: list[str]
    area_names: list[str]
    roles: list[str]
    role_labels: list[str]
    role_types: list[str]            # "staff_group" or "new_role"
    counts_towards: list[str]
    base_leaver_rate: np.ndarray     # (A,R) before the retention lever (for retention cost)
    retention_cost_per_fte: float
    assumptions: Assumptions
    notes: list[str]


def check_against(scn: Scenario, baseline: Baseline) -> None:
    """Errors for references the loaded data cannot satisfy (area, staff groups)."""
    errs = []
    if scn.area != ENGLAND and scn.area not in baseline.area_codes:
        errs.append(area_not_in_baseline(scn.area, baseline))
    groups = set(baseline.staff_groups)
    lev = scn.levers

    def chk(where, g, roles_ok=True):
        if g is not None and g != DEFAULT and g not in groups and not (roles_ok and g in _role_ids(scn)):
            errs.append(f"{where}: staff group {g!r} has no data in the baseline")
    for i, r in enumerate(lev.retention):
        chk(f"levers.retention[{i}].staff_group", r.staff_group)
    for i, r in enumerate(lev.recruitment):
        chk(f"levers.recruitment[{i}].staff_group", r.staff_group, False)
    for i, r in enumerate(lev.training_places):
        chk(f"levers.training_places[{i}].staff_group", r.staff_group, False)
    for i, r in enumerate(lev.new_roles):
        chk(f"levers.new_roles[{i}].from_staff_group", r.from_staff_group, False)
    for i, r in enumerate(lev.upskilling):
        chk(f"levers.upskilling[{i}].from_staff_group", r.from_staff_group, False)
        chk(f"levers.upskilling[{i}].to_role", r.to_role)
    if errs:
        raise ScenarioError(errs)


def area_not_in_baseline(area: str, baseline: Baseline) -> str:
    """Why a valid area code cannot run on this baseline, and what to use instead (the succession tables say what
    an abolished system became)."""
    where = f"the loaded data for {baseline.period or '?'}"
    if baseline.footprint:
        where += f" (systems: {geography.vintage(baseline.footprint).title})"
    if geography.area_kind(area) == "region":
        return (f"area: {area} is a region ({geography.REGIONS[area]}); the what-if model runs one system or "
                "England (the sum of systems)")
    moved = geography.successor_on(area, baseline.footprint) if baseline.footprint else None
    if moved is not None and moved[0] in baseline.area_codes:
        return f"area: {area} is not a system of {where}. {moved[1]} Use {moved[0]}."
    return f"area: {area!r} is not a system of {where}"


def successor_in(area: str, baseline: Baseline) -> tuple[str, str] | None:
    """(the system of the baseline's footprint an area of another vintage became, a sentence), or None."""
    if area == ENGLAND or area in baseline.area_codes or not baseline.footprint:
        return None
    moved = geography.successor_on(area, baseline.footprint)
    return moved if moved is not None and moved[0] in baseline.area_codes else None


def _role_ids(scn: Scenario) -> list[str]:
    return _defaults().with_overrides(scn.assumptions).new_role_ids


def _window(T: int, start: int, end: int | None) -> np.ndarray:
    t = np.arange(1, T + 1)
    return ((t >= start) & (t <= (end or T))).astype(float)


def build_inputs(scn: Scenario, baseline: Baseline, assumptions: Assumptions | None = None,
                 with_levers: bool = True) -> ModelSetup:
    """Arrays for `project` from a scenario. `with_levers=False` gives the baseline run (same shapes)."""
    check_against(scn, baseline)
    a = (assumptions or _defaults()).with_overrides(scn.assumptions)
    base = baseline if scn.area == ENGLAND else baseline.subset([scn.area])
    A, G = base.fte.shape
    groups = list(base.staff_groups)
    new_ids = a.new_role_ids
    roles = groups + new_ids
    R, T = len(roles), scn.horizon
    ridx = {r: i for i, r in enumerate(roles)}
    nr = [a.new_role(r) for r in new_ids]
    notes: list[str] = []

    sigma = np.zeros((R, G))
    sigma[np.arange(G), np.arange(G)] = 1.0
    counts = list(groups)
    for j, rec in enumerate(nr):
        counts.append(rec["counts_towards"])
        if rec["counts_towards"] in groups:
            sigma[G + j, groups.index(rec["counts_towards"])] = rec["substitution_ratio"]
        else:
            notes.append(f"{new_ids[j]}: counts towards {rec['counts_towards']!r}, which has no data; capacity not counted")

    stock0 = np.concatenate([base.fte, np.zeros((A, len(new_ids)))], axis=1)
    ell0 = np.concatenate([base.leaver_rate, np.broadcast_to([r["leaver_rate"] for r in nr], (A, len(nr)))], axis=1)
    jo = np.concatenate([base.joiner_rate, np.zeros((A, len(nr)))], axis=1)
    tr = [a.training(g) for g in groups]
    delay = np.array([int(t["course_years"]) for t in tr] + [int(r["course_years"]) - 1 for r in nr])
    course = np.array([int(t["course_years"]) for t in tr] + [int(r["course_years"]) for r in nr])
    yld = np.array([t["completion_rate"] * t["take_up_rate"] for t in tr] + [r["completion_rate"] for r in nr])
    fee = np.array([t["cost_per_student_year"] for t in tr] + [r["training_cost_per_year"] for r in nr], float)
    trainee_pay = np.array([0.0] * G + [a.band_cost(r.get("trainee_band")) for r in nr])
    cost = np.array([a.staff_group_cost(g) for g in groups] + [a.band_cost(r["band"]) for r in nr])

    # Share of each system in each staff group's FTE: how England-level FTE quantities are split.
    tot = base.fte.sum(axis=0)
    weight = np.where(tot > 0, base.fte / np.where(tot > 0, tot, 1.0), 1.0 / A)          # (A,G)

    def w_for(role: str) -> np.ndarray:
        g = role if role in groups else a.new_role(role)["counts_towards"] if role in new_ids else None
        return weight[:, groups.index(g)] if g in groups else np.full(A, 1.0 / A)

    g_default = a.value("demand", "demand_growth")
    p_default = a.value("demand", "productivity")
    growth = scn.demand_growth if scn.demand_growth is not None else g_default
    prod = scn.productivity if scn.productivity is not None else p_default

    recruited = np.zeros((A, R, T))
    rec_cost = np.zeros((A, R, T))
    intake = np.zeros((A, R, T))
    ell = ell0.copy()
    f_from, f_to, f_fte, f_share, f_L, f_c, f_tau, f_fee = [], [], [], [], [], [], [], []
    lev = scn.levers
    if with_levers:
        prod = prod + lev.productivity_gain
        c_dom = a.value("recruitment", "domestic_cost_per_fte")
        c_int = a.value("recruitment", "international_cost_per_fte")
        for r in lev.retention:
            ell[:, ridx[r.staff_group]] = np.clip(ell0[:, ridx[r.staff_group]] + r.leaver_rate_change, 0.0, 1.0)
        for r in lev.recruitment:
            i = ridx[r.staff_group]
            w = _window(T, r.start_year, r.end_year)[None, :] * w_for(r.staff_group)[:, None]
            recruited[:, i] += (r.domestic_fte_per_year + r.international_fte_per_year) * w
            rec_cost[:, i] += (r.domestic_fte_per_year * c_dom + r.international_fte_per_year * c_int) * w
        for r in lev.training_places:
            i = ridx[r.staff_group]
            intake[:, i] += r.extra_places_per_year * _window(T, r.start_year, r.end_year)[None, :] * w_for(r.staff_group)[:, None]
        for r in lev.new_roles:
            i = ridx[r.role]
            rec = a.new_role(r.role)
            w = _window(T, r.start_year, r.end_year)[None, :] * w_for(r.role)[:, None]
            recruited[:, i] += r.recruited_fte_per_year * w
            rec_cost[:, i] += r.recruited_fte_per_year * c_dom * w
            src = rec.get("source_group") if r.from_staff_group == DEFAULT else r.from_staff_group
            if r.trainees_per_year and src in groups:
                f_from.append(ridx[src]); f_to.append(i)
                f_fte.append(r.trainees_per_year * w); f_share.append(np.zeros((A, T)))
                f_L.append(int(rec["course_years"])); f_c.append(rec["completion_rate"])
                f_tau.append(rec["study_time"]); f_fee.append(rec["training_cost_per_year"])
            elif r.trainees_per_year:
                if src is not None:
                    notes.append(f"{r.role}: source group {src!r} has no data; trainees treated as new entrants")
                intake[:, i] += r.trainees_per_year * w
        for u in lev.upskilling:
            i_from, i_to = ridx[u.from_staff_group], ridx[u.to_role]
            if u.to_role in new_ids:
                rec = a.new_role(u.to_role)
                d_L, d_c, d_tau, d_fee = rec["course_years"], rec["completion_rate"], rec["study_time"], rec["training_cost_per_year"]
            else:
                t_ = a.training(u.to_role)
                d_L, d_c, d_tau, d_fee = t_["course_years"], t_["completion_rate"], 0.2, t_["cost_per_student_year"]
            win = _window(T, u.start_year, u.end_year)[None, :]
            f_from.append(i_from); f_to.append(i_to)
            f_fte.append(u.fte_per_year * win * w_for(u.from_staff_group)[:, None])
            f_share.append(u.share_per_year * np.broadcast_to(win, (A, T)))
            f_L.append(int(u.course_years or d_L))
            f_c.append(d_c if u.completion_rate is None else u.completion_rate)
            f_tau.append(d_tau if u.study_time is None else u.study_time)
            f_fee.append(d_fee if u.training_cost_per_year is None else u.training_cost_per_year)

    F = len(f_from)
    inputs = ModelInputs(
        roles=roles, n_groups=G, horizon=T, stock0=stock0, leaver_rate=ell, joiner_rate=jo,
        demand0=base.demand0_with(a.national_vacancy_rate), substitution=sigma, demand_growth=growth, productivity=prod,
        recruited=recruited, intake=intake, intake_history=np.zeros((A, R)), pipeline_delay=delay,
        pipeline_course=course, pipeline_yield=yld,
        flow_from=np.array(f_from, int) if F else None, flow_to=np.array(f_to, int) if F else None,
        flow_fte=np.stack(f_fte, axis=1) if F else None, flow_share=np.stack(f_share, axis=1) if F else None,
        flow_course=np.array(f_L, int) if F else None, flow_completion=np.array(f_c) if F else None,
        flow_study_time=np.array(f_tau) if F else None, flow_fee=np.array(f_fee, float) if F else None,
        cost_per_fte=cost, pipeline_fee=fee, trainee_cost=trainee_pay, recruitment_cost=rec_cost,
    )
    labels = list(groups) + [r.get("label", k) for k, r in zip(new_ids, nr)]
    return ModelSetup(inputs, list(base.area_codes), list(base.area_names), roles, labels,
                      ["staff_group"] * G + ["new_role"] * len(new_ids), counts, ell0,
                      a.value("recruitment", "retention_cost_per_fte_retained"), a, notes + list(base.notes))


# ------------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------------
TABLE_COLUMNS = [
    "scenario", "area_code", "area_name", "role", "role_label", "role_type", "counts_towards", "year",
    "fte", "fte_in_training", "effective_fte", "capacity_contributed", "capacity", "demand", "gap", "gap_pct",
    "vacancy_rate", "leavers", "joiners_other", "trained_in", "recruited", "upskilled_in", "upskilled_out",
    "trainees", "pay_bill", "training_cost", "recruitment_cost", "retention_cost", "total_cost",
]
SUMMARY_COLUMNS = [
    "scenario", "area_code", "area_name", "staff_group", "horizon", "fte_start", "fte_end", "capacity_end",
    "demand_start", "demand_end", "gap_start", "gap_end", "vacancy_rate_start", "vacancy_rate_end", "year_gap_closes",
]
COST_COLUMNS = ["scenario", "area_code", "area_name", "year", "fte", "pay_bill", "training_cost",
                "recruitment_cost", "retention_cost", "total_cost"]


class ScenarioResult:
    """`table`: one row per scenario ("baseline"/"scenario") x area x role x year (0..horizon).
    `summary`: one row per scenario x area x staff group (horizon figures, year the gap closes).
    `costs`: one row per scenario x area x year, summed over roles. England rows have area_code "ENG".

    A run keeps its results as numpy columns and builds each pandas frame the first time it is asked for (issue 16:
    the frames, with their text columns, were ~40 % of a what-if lever move; the page's hot path reads
    `column(kind, name)` and never builds them). A result made from frames (`ScenarioResult(scn, table, summary,
    costs, notes)`) works as before. Shared results are READ-ONLY."""

    KINDS = {"table": TABLE_COLUMNS, "summary": SUMMARY_COLUMNS, "costs": COST_COLUMNS}

    def __init__(self, scenario: Scenario, table: pd.DataFrame | None = None, summary: pd.DataFrame | None = None,
                 costs: pd.DataFrame | None = None, notes: list[str] | None = None, *,
                 columns: dict[str, dict[str, np.ndarray]] | None = None):
        self.scenario = scenario
        self.notes = list(notes) if notes is not None else []
        self._frames = {"table": table, "summary": summary, "costs": costs}
        self._columns = columns or {}
        missing = [k for k in self.KINDS if self._frames[k] is None and k not in self._columns]
        if missing:
            raise ValueError(f"ScenarioResult needs {', '.join(missing)} (as a frame or as columns)")

    @classmethod
    def from_blocks(cls, scenario: Scenario, blocks: dict[str, list[dict]], notes: list[str]) -> "ScenarioResult":
        """Blocks of columns (each kind: one dict of equal-length arrays per label and area block) joined in order:
        the same rows, order and values as concatenating the blocks' frames."""
        return cls(scenario, notes=notes, columns={
            kind: {c: np.concatenate([b[c] for b in blocks[kind]]) for c in names} for kind, names in cls.KINDS.items()})

    @property
    def table(self) -> pd.DataFrame:
        return self._frame("table")

    @property
    def summary(self) -> pd.DataFrame:
        return self._frame("summary")

    @property
    def costs(self) -> pd.DataFrame:
        return self._frame("costs")

    def _frame(self, kind: str) -> pd.DataFrame:
        f = self._frames[kind]
        if f is None:
            cols = dict(self._columns[kind])
            if kind == "summary":
                cols["year_gap_closes"] = _year_or_na(cols["year_gap_closes"])
            f = self._frames[kind] = pd.DataFrame(cols)
        return f

    def column(self, kind: str, name: str) -> np.ndarray:
        """One column as a numpy array (text as objects; `year_gap_closes` as floats with NaN for 'not closed'),
        without building the frame. Do not write to it."""
        cols = self._columns.get(kind)
        if cols is not None:
            return cols[name]
        v = self._frames[kind][name]
        if name == "year_gap_closes":
            return v.to_numpy(dtype=float, na_value=np.nan)
        return v.to_numpy()

    def without_groups(self, groups) -> "ScenarioResult":
        """The result without table rows whose role, or summary rows whose staff group, is in `groups` (costs as
        they are)."""
        groups = list(groups)
        if not self._columns:
            t, s = self.table, self.summary
            return ScenarioResult(self.scenario, t[~t["role"].isin(groups)].reset_index(drop=True),
                                  s[~s["staff_group"].isin(groups)].reset_index(drop=True), self.costs, self.notes)
        keep_t = ~np.isin(self._columns["table"]["role"], groups)
        keep_s = ~np.isin(self._columns["summary"]["staff_group"], groups)
        return ScenarioResult(self.scenario, notes=self.notes, columns={
            "table": {c: v[keep_t] for c, v in self._columns["table"].items()},
            "summary": {c: v[keep_s] for c, v in self._columns["summary"].items()},
            "costs": self._columns["costs"]})


def _year_or_na(closes: np.ndarray):
    """Years as a nullable integer array: NaN (the gap does not close) -> <NA>."""
    closes = np.asarray(closes, dtype=float)
    na = np.isnan(closes)
    return pd.arrays.IntegerArray(np.where(na, -1, closes).astype(np.int64), na)


def _retention_cost(setup: ModelSetup, proj: Projection, scenario_run: bool) -> np.ndarray:
    """£ programme cost for FTE retained: (baseline rate - scenario rate) x start-of-year stock."""
    B, R, T1 = proj.fte.shape
    out = np.zeros((B, R, T1))
    if scenario_run:
        cut = np.maximum(setup.base_leaver_rate - np.asarray(setup.inputs.leaver_rate), 0.0)
        out[:, :, 1:] = cut[:, :, None] * proj.fte[:, :, :-1] * setup.retention_cost_per_fte
    return out


def _frame_columns(label: str, setup: ModelSetup, proj: Projection, ret_cost: np.ndarray,
                   codes: list[str], names: list[str]) -> dict[str, np.ndarray]:
    """The `table` rows of one label and area block as numpy columns."""
    B, R, T1 = proj.fte.shape
    G = proj.n_groups
    n = B * R * T1
    sig_row = setup.inputs.substitution.sum(axis=1)                  # each role counts towards one group
    cap_pad = np.full((B, R, T1), np.nan)
    cap_pad[:, :G] = proj.capacity
    dem_pad = np.full((B, R, T1), np.nan)
    dem_pad[:, :G] = proj.demand
    gap = dem_pad - cap_pad
    with np.errstate(invalid="ignore", divide="ignore"):
        gap_pct = np.where(dem_pad > 0, gap / dem_pad, np.nan)
        vac = np.where(dem_pad > 0, np.maximum(gap, 0.0) / dem_pad, np.nan)
    total = proj.pay_bill + proj.training_cost + proj.recruitment_cost + ret_cost
    rep = lambda xs: np.repeat(np.asarray(xs, dtype=object), R * T1)            # noqa: E731
    per_role = lambda xs: np.tile(np.repeat(np.asarray(xs, dtype=object), T1), B)  # noqa: E731
    cols = {
        "scenario": np.full(n, label, dtype=object), "area_code": rep(codes), "area_name": rep(names),
        "role": per_role(setup.roles), "role_label": per_role(setup.role_labels),
        "role_type": per_role(setup.role_types), "counts_towards": per_role(setup.counts_towards),
        "year": np.tile(np.arange(T1), B * R),
        "fte": proj.fte, "fte_in_training": proj.in_training, "effective_fte": proj.effective_fte,
        "capacity_contributed": proj.effective_fte * sig_row[None, :, None], "capacity": cap_pad, "demand": dem_pad,
        "gap": gap, "gap_pct": gap_pct, "vacancy_rate": vac, "leavers": proj.leavers,
        "joiners_other": proj.joiners_other, "trained_in": proj.trained_in, "recruited": proj.recruited,
        "upskilled_in": proj.upskilled_in, "upskilled_out": proj.upskilled_out, "trainees": proj.trainees,
        "pay_bill": proj.pay_bill, "training_cost": proj.training_cost, "recruitment_cost": proj.recruitment_cost,
        "retention_cost": ret_cost, "total_cost": total,
    }
    return {k: (v.ravel() if isinstance(v, np.ndarray) and v.ndim == 3 else v) for k, v in cols.items()}


def _frame(label: str, setup: ModelSetup, proj: Projection, ret_cost: np.ndarray,
           codes: list[str], names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(_frame_columns(label, setup, proj, ret_cost, codes, names))


def _text(xs) -> np.ndarray:
    return np.asarray(xs, dtype=object)


def _summary_columns(label, proj: Projection, codes, names, groups, T) -> dict[str, np.ndarray]:
    """The `summary` rows of one label and area block as numpy columns (year_gap_closes: floats, NaN = not
    closed)."""
    B, G = proj.demand.shape[:2]
    n = B * G
    gap = proj.gap
    closes = year_gap_closes(gap)
    vr = proj.vacancy_rate
    return {
        "scenario": np.full(n, label, dtype=object), "area_code": np.repeat(_text(codes), G),
        "area_name": np.repeat(_text(names), G), "staff_group": np.tile(_text(groups), B),
        "horizon": np.full(n, T, dtype=np.int64),
        "fte_start": proj.fte[:, :G, 0].ravel(), "fte_end": proj.fte[:, :G, -1].ravel(),
        "capacity_end": proj.capacity[:, :, -1].ravel(),
        "demand_start": proj.demand[:, :, 0].ravel(), "demand_end": proj.demand[:, :, -1].ravel(),
        "gap_start": gap[:, :, 0].ravel(), "gap_end": gap[:, :, -1].ravel(),
        "vacancy_rate_start": vr[:, :, 0].ravel(), "vacancy_rate_end": vr[:, :, -1].ravel(),
        "year_gap_closes": np.asarray(closes, dtype=float).ravel(),
    }


def _summary(label, proj: Projection, codes, names, groups, T) -> pd.DataFrame:
    cols = _summary_columns(label, proj, codes, names, groups, T)
    return pd.DataFrame({**cols, "year_gap_closes": _year_or_na(cols["year_gap_closes"])})


def _costs_columns(label, proj: Projection, ret_cost, codes, names) -> dict[str, np.ndarray]:
    """The `costs` rows of one label and area block as numpy columns."""
    B, R, T1 = proj.fte.shape
    parts = {k: getattr(proj, k).sum(axis=1) for k in ("fte", "pay_bill", "training_cost", "recruitment_cost")}
    parts["retention_cost"] = ret_cost.sum(axis=1)
    parts["total_cost"] = parts["pay_bill"] + parts["training_cost"] + parts["recruitment_cost"] + parts["retention_cost"]
    return {"scenario": np.full(B * T1, label, dtype=object), "area_code": np.repeat(_text(codes), T1),
            "area_name": np.repeat(_text(names), T1), "year": np.tile(np.arange(T1), B),
            **{k: v.ravel() for k, v in parts.items()}}


def _costs(label, proj: Projection, ret_cost, codes, names) -> pd.DataFrame:
    return pd.DataFrame(_costs_columns(label, proj, ret_cost, codes, names))


def run_scenario(scenario: Scenario, baseline: Baseline, assumptions: Assumptions | None = None,
                 include_systems: bool = True) -> ScenarioResult:
    """Baseline (no levers) and scenario projections side by side.

    For area "ENG" the tables hold every system (unless include_systems=False) plus England = sum
    of systems (vacancy rate and gap recomputed from the sums, so surpluses offset shortfalls)."""
    blocks: dict[str, list[dict]] = {"table": [], "summary": [], "costs": []}
    notes: list[str] = []
    for label, with_levers in (("baseline", False), ("scenario", True)):
        setup = build_inputs(scenario, baseline, assumptions, with_levers=with_levers)
        proj = project(setup.inputs)
        ret = _retention_cost(setup, proj, with_levers)
        groups = setup.roles[:proj.n_groups]
        parts = []
        if scenario.area != ENGLAND or include_systems:
            parts.append((proj, ret, setup.area_codes, setup.area_names))
        if scenario.area == ENGLAND:
            parts.append((proj.sum_batch(), ret.sum(axis=0, keepdims=True), [ENGLAND], ["England"]))
        for p, r, codes, names in parts:
            blocks["table"].append(_frame_columns(label, setup, p, r, codes, names))
            blocks["summary"].append(_summary_columns(label, p, codes, names, groups, scenario.horizon))
            blocks["costs"].append(_costs_columns(label, p, r, codes, names))
        notes = setup.notes
    return ScenarioResult.from_blocks(scenario, blocks, notes)
