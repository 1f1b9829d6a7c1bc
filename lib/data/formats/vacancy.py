"""The product's vacancy template (PWR-style; data/README.md) -> canonical rows (source "vacancy": vacancy and
establishment FTE per system, organisation and staff group)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.data import geography
from lib.data.formats.common import Parsed, Rows, parse_month, region_of, resolve_area, staff_group
from lib.data.schema import conform, is_period

KIND = "vacancy"
TITLE = "the vacancy template"
COLUMNS = ("period", "level", "area_code", "org_code", "staff_group", "vacancy_fte", "establishment_fte")
REQUIRED = ("period", "area_code", "staff_group", "vacancy_fte")


def detect(upper: set[str], lower: set[str]) -> bool:
    return "vacancy_fte" in lower or ({"period", "staff_group"} <= lower and "establishment_fte" in lower)


def parse(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    rows = Rows(path, header, data, REQUIRED)
    recs = []
    seen: dict[tuple, int] = {}
    for line, r in rows.lines():
        per_raw = rows.get(r, "period")
        per = per_raw if is_period(per_raw) else parse_month(per_raw)
        if per is None:
            rows.error(line, "period", f"{per_raw!r} is not a month; expected YYYY-MM such as 2025-11")
        lev = rows.get(r, "level").upper() if rows.has("level") and rows.get(r, "level") else level
        if lev not in geography.LEVELS:
            rows.error(line, "level", f"{lev!r} is not a level; expected ICS or STP")
            continue
        area = resolve_area(rows, line, "area_code", rows.get(r, "area_code"), lev, per)
        group = staff_group(rows, line, "staff_group", rows.get(r, "staff_group"))
        vac = rows.number(line, r, "vacancy_fte")
        est = rows.number(line, r, "establishment_fte") if rows.has("establishment_fte") else None
        if vac is None and est is None and per is not None:
            rows.error(line, "vacancy_fte", "empty; expected vacancy FTE (or an establishment_fte)")
        org = rows.get(r, "org_code") if rows.has("org_code") else ""
        if per is None or area is None or group is None:
            continue
        key = (per, lev, area, org, group)
        if key in seen:
            rows.error(line, None, f"duplicates row {seen[key]} (same period, area, organisation and staff group)")
            continue
        seen[key] = line
        region = region_of(area, lev)
        recs.append((per, per, 0, lev, area, region, org, group, vac, est))
    if not recs and not rows.problems:
        rows.problems.append("row 2: no data rows; expected at least one")
    rows.finish()
    df = pd.DataFrame(recs, columns=["period_start", "period_end", "period_months", "level", "area_code",
                                     "region_code", "org_code", "staff_group", "vacancy_fte", "establishment_fte"])
    df["area_name"] = [geography.area_name_lookup(lv)[a] for lv, a in zip(df["level"], df["area_code"])]
    df["org_name"] = ""
    df["source"] = "vacancy"
    return Parsed("vacancy", str(path), conform(df))
