"""What-if assumptions as data: AfC pay, employer on-costs, training pipelines, new roles.

Defaults live in `assumptions_default.json` next to this file; every record carries a `source` and a
`verified` flag (false = placeholder to confirm, METHODS.md section 6). The page shows `table()` and
passes user edits to `with_overrides()`, which validates them with messages naming the field.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_PATH = Path(__file__).with_name("assumptions_default.json")
NATIONAL_VACANCY = "national_vacancy_rates"

# Defaults of the formula in METHODS 1.7 (2025/26 employer rules on 2024/25 pay).
PENSION_RATE = 0.237
NI_RATE = 0.15
NI_THRESHOLD = 5000.0


class AssumptionError(ValueError):
    """An assumption value or override that cannot be used; the message names the field."""


def employer_cost(salary, pension_rate: float = PENSION_RATE, ni_rate: float = NI_RATE,
                  ni_threshold: float = NI_THRESHOLD, levy_rate: float = 0.0):
    """Annual employer cost of one FTE: S*(1+pension+levy) + NI*max(0, S-threshold) (METHODS 1.7).

    Works on scalars and numpy arrays. Band 4 mid-point 27,822 -> 37,839.11.
    """
    s = np.asarray(salary, dtype=float)
    out = s * (1.0 + pension_rate + levy_rate) + ni_rate * np.maximum(0.0, s - ni_threshold)
    return float(out) if out.ndim == 0 else out


# Numeric fields and their allowed ranges (inclusive); anything else numeric must be >= 0.
_RANGES: dict[str, tuple[float, float]] = {
    "pension_rate": (0.0, 1.0), "ni_rate": (0.0, 1.0), "apprenticeship_levy_rate": (0.0, 1.0),
    "completion_rate": (0.0, 1.0), "take_up_rate": (0.0, 1.0), "leaver_rate": (0.0, 1.0),
    "study_time": (0.0, 1.0), "substitution_ratio": (0.0, 5.0), "course_years": (1, 10),
    "demand_growth": (-0.5, 0.5), "productivity": (-0.5, 0.5), "agency_cost_multiplier": (1.0, 10.0),
    "vacancy_rate": (0.0, 0.5),
}
_INT_FIELDS = {"course_years"}


@dataclass(frozen=True)
class Assumptions:
    """Validated assumption document. Treat as immutable; use `with_overrides` to change values."""

    data: dict

    # ---- pay -------------------------------------------------------------------------------------
    @property
    def bands(self) -> list[str]:
        return list(self.data["afc_bands"])

    def band_salary(self, band: str, point: str = "mid") -> float:
        """Basic salary of an AfC band at 'entry', 'top' or 'mid' = (entry+top)/2 (METHODS 1.7)."""
        rec = self.data["afc_bands"].get(str(band))
        if rec is None:
            raise AssumptionError(f"unknown AfC band {band!r}; known bands: {', '.join(self.bands)}")
        if point == "mid":
            return (rec["entry"] + rec["top"]) / 2.0
        if point in ("entry", "top"):
            return float(rec[point])
        raise AssumptionError(f"pay point must be 'entry', 'top' or 'mid', got {point!r}")

    def on_cost(self, name: str) -> float:
        return float(self.data["on_costs"][name]["value"])

    def employer_cost(self, salary):
        """employer_cost() with this document's on-cost parameters."""
        return employer_cost(salary, self.on_cost("pension_rate"), self.on_cost("ni_rate"),
                             self.on_cost("ni_threshold"), self.on_cost("apprenticeship_levy_rate"))

    def band_cost(self, band: str | None) -> float:
        """Employer cost per FTE at the mid-point of a band (0 for None: e.g. unpaid students)."""
        return 0.0 if band is None else self.employer_cost(self.band_salary(band))

    def staff_group_cost(self, staff_group: str) -> float:
        """Employer cost per FTE used for a staff group's pay bill."""
        rec = self.data["staff_group_pay"].get(staff_group)
        if rec is None:
            return self.band_cost("5")  # unknown groups priced at band 5, stated in table()
        if "employer_cost" in rec:
            return float(rec["employer_cost"])
        return self.band_cost(rec["band"])

    # ---- training and roles -----------------------------------------------------------------------
    def training(self, staff_group: str) -> dict:
        return self.data["training"].get(staff_group, {
            "course_years": 3, "completion_rate": 1.0, "take_up_rate": 1.0, "cost_per_student_year": 0})

    @property
    def new_role_ids(self) -> list[str]:
        return list(self.data["new_roles"])

    def new_role(self, role: str) -> dict:
        rec = self.data["new_roles"].get(role)
        if rec is None:
            raise AssumptionError(f"unknown new role {role!r}; known roles: {', '.join(self.new_role_ids)}")
        return rec

    def value(self, section: str, name: str) -> float:
        return float(self.data[section][name]["value"])

    # ---- starting gap when no vacancy file is loaded ---------------------------------------------
    def national_vacancy_rate(self, staff_group: str) -> float:
        """National default vacancy rate V / (V + SIP) of a staff group (NHS Vacancy Statistics; 0 if none).
        Used only where the system's own vacancies are not loaded: 'national default, not your system's figure'."""
        rec = self.data.get(NATIONAL_VACANCY, {}).get(staff_group)
        return float(rec["value"]) if isinstance(rec, dict) else 0.0

    def national_vacancy_source(self, staff_group: str) -> str:
        rec = self.data.get(NATIONAL_VACANCY, {}).get(staff_group)
        return str(rec.get("source", "")) if isinstance(rec, dict) else ""

    # ---- editing ---------------------------------------------------------------------------------
    def with_overrides(self, overrides: dict | None) -> "Assumptions":
        """A copy with `overrides` (same nesting as the JSON, e.g. {"new_roles": {"nursing_associate":
        {"substitution_ratio": 0.7}}, "on_costs": {"pension_rate": 0.1438}}) merged in and validated."""
        if not overrides:
            return self
        data = copy.deepcopy(self.data)
        _merge(data, overrides, "assumptions")
        return Assumptions(validate_assumptions(data))

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2)

    def table(self) -> pd.DataFrame:
        """One row per editable value: section, item, field, value, source, verified."""
        rows = []
        for section, body in self.data.items():
            if not isinstance(body, dict):
                continue
            for item, rec in body.items():
                if not isinstance(rec, dict):
                    continue
                for field, val in rec.items():
                    if field in ("source", "verified"):
                        continue
                    rows.append({"section": section, "item": item, "field": field, "value": val,
                                 "source": rec.get("source", ""), "verified": bool(rec.get("verified", False))})
        return pd.DataFrame(rows, columns=["section", "item", "field", "value", "source", "verified"])


def _merge(base: dict, upd: Any, path: str) -> None:
    if not isinstance(upd, dict):
        raise AssumptionError(f"{path}: expected an object, got {type(upd).__name__}")
    for key, val in upd.items():
        where = f"{path}.{key}"
        if key not in base:
            known = ", ".join(map(str, base)) if len(base) < 30 else f"{len(base)} keys"
            raise AssumptionError(f"{where}: unknown key (known: {known})")
        if isinstance(base[key], dict):
            _merge(base[key], val, where)
        else:
            base[key] = val


def _check_number(where: str, field: str, val: Any) -> None:
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not np.isfinite(val):
        raise AssumptionError(f"{where}: expected a number, got {val!r}")
    lo, hi = _RANGES.get(field, (0.0, float("inf")))
    if not lo <= val <= hi:
        raise AssumptionError(f"{where}: {val!r} is outside the allowed range [{lo}, {hi}]")
    if field in _INT_FIELDS and int(val) != val:
        raise AssumptionError(f"{where}: expected a whole number of years, got {val!r}")


def validate_assumptions(data: dict) -> dict:
    """Check the structure and ranges of an assumptions document; returns it or raises AssumptionError."""
    for section in ("afc_bands", "on_costs", "staff_group_pay", "training", "new_roles", "recruitment", "demand"):
        if not isinstance(data.get(section), dict):
            raise AssumptionError(f"assumptions.{section}: missing or not an object")
    bands = data["afc_bands"]
    for band, rec in bands.items():
        for f in ("entry", "top"):
            _check_number(f"afc_bands.{band}.{f}", f, rec.get(f))
        if rec["top"] < rec["entry"]:
            raise AssumptionError(f"afc_bands.{band}: top {rec['top']} is below entry {rec['entry']}")
    for section in ("on_costs", "recruitment", "demand"):
        for name, rec in data[section].items():
            _check_number(f"{section}.{name}.value", name, rec.get("value"))
    for g, rec in data.get(NATIONAL_VACANCY, {}).items():
        if isinstance(rec, dict):
            _check_number(f"{NATIONAL_VACANCY}.{g}.value", "vacancy_rate", rec.get("value"))
    groups = set(data["staff_group_pay"]) | set(data["training"])
    for g, rec in data["staff_group_pay"].items():
        if "employer_cost" in rec:
            _check_number(f"staff_group_pay.{g}.employer_cost", "employer_cost", rec["employer_cost"])
        elif str(rec.get("band")) not in bands:
            raise AssumptionError(f"staff_group_pay.{g}.band: {rec.get('band')!r} is not an AfC band ({', '.join(bands)})")
    for g, rec in data["training"].items():
        for f in ("course_years", "completion_rate", "take_up_rate", "cost_per_student_year"):
            _check_number(f"training.{g}.{f}", f, rec.get(f))
    for role, rec in data["new_roles"].items():
        where = f"new_roles.{role}"
        for f in ("substitution_ratio", "course_years", "completion_rate", "leaver_rate",
                  "training_cost_per_year", "study_time"):
            _check_number(f"{where}.{f}", f, rec.get(f))
        for f in ("band", "trainee_band"):
            if rec.get(f) is not None and str(rec[f]) not in bands:
                raise AssumptionError(f"{where}.{f}: {rec[f]!r} is not an AfC band ({', '.join(bands)})")
        if rec.get("band") is None:
            raise AssumptionError(f"{where}.band: required")
        if rec.get("counts_towards") not in groups:
            raise AssumptionError(f"{where}.counts_towards: {rec.get('counts_towards')!r} is not a staff group")
        if rec.get("source_group") is not None and rec["source_group"] not in groups:
            raise AssumptionError(f"{where}.source_group: {rec['source_group']!r} is not a staff group")
    return data


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return validate_assumptions(json.load(fh))


def load_assumptions(path: str | Path | None = None) -> Assumptions:
    """Assumptions from a JSON file (default: the shipped defaults). Returns a fresh copy."""
    return Assumptions(copy.deepcopy(_load(str(path or DEFAULT_PATH))))
