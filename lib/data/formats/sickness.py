"""NHS Digital sickness absence CSV (DATE, ..., ICS_CODE, ORG_CODE, ORG_NAME, ORG_TYPE, FTE_DAYS_LOST,
FTE_DAYS_AVAILABLE) -> rows of its own small schema (lib.data.schema.SICKNESS_COLUMNS), stored under sickness/."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.data import geography
from lib.data.formats.common import Parsed, Rows, parse_month, parse_number, staff_group
from lib.data.schema import ALL_STAFF, SICKNESS_OUTSIDE_SYSTEMS, conform_sickness

KIND = "sickness"
TITLE = "the NHS Digital sickness absence CSV"
COLUMNS = ("DATE", "ICS_CODE", "ORG_CODE", "ORG_NAME", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE")  # required
STAFF_GROUP_COLUMNS = ("STAFF_GROUP", "STAFF_GROUP_1_NAME", "STAFF_GROUP_1")  # "where given"


def detect(upper: set[str], lower: set[str]) -> bool:
    return "FTE_DAYS_LOST" in upper or "FTE_DAYS_AVAILABLE" in upper


def parse(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    """NHS Digital sickness absence CSV -> sickness rows (lib.data.schema.SICKNESS_COLUMNS).

    Each organisation is placed in the system its row's ICS_CODE names, checked against the geography of the
    level (and its NHSE_REGION_CODE against that system's region); ICS_CODE QZZ (special health authorities and
    other statutory bodies) is kept as outside any system. Staff group where the file gives one, else all staff.
    """
    rows = Rows(path, header, data, COLUMNS)
    group_col = next((c for c in STAFF_GROUP_COLUMNS if rows.has(c)), None)
    regions = geography.area_lookup_regions(level)
    recs = []
    months: dict[str, int] = {}
    seen: dict[tuple, int] = {}
    mismatched_rates = 0
    for line, r in rows.lines():
        month = parse_month(rows.get(r, "DATE"))
        if month is None:
            rows.error(line, "DATE", f"{rows.get(r, 'DATE')!r} is not a date; expected e.g. 31/03/2025 or 2025-03-31")
        raw_area = rows.get(r, "ICS_CODE")
        if raw_area.upper() == SICKNESS_OUTSIDE_SYSTEMS:
            area, area_name, region = SICKNESS_OUTSIDE_SYSTEMS, (rows.get(r, "ICS_NAME") if rows.has("ICS_NAME")
                                                                  else "") or "Outside any system", ""
        else:
            area = geography.resolve_area(raw_area, level)
            if area is None:
                rows.error(line, "ICS_CODE", f"unknown {level} code {raw_area!r}; expected one of "
                                             f"{', '.join(geography.areas(level)['code'])} or QZZ (outside any system)")
                area_name = region = ""
            else:
                area_name, region = geography.area_name_lookup(level)[area], regions[area]
                given = rows.get(r, "NHSE_REGION_CODE") if rows.has("NHSE_REGION_CODE") else ""
                if given and given != region:
                    rows.error(line, "NHSE_REGION_CODE", f"{given!r} disagrees with the region of {area} "
                                                         f"({region}); expected {region}")
        org = rows.get(r, "ORG_CODE")
        if not org:
            rows.error(line, "ORG_CODE", "empty; expected an organisation code such as RJ1")
        group = ALL_STAFF
        if group_col is not None:
            group = staff_group(rows, line, group_col, rows.get(r, group_col))
        days = {}
        for col in ("FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE"):
            before = len(rows.problems)
            days[col] = rows.number(line, r, col)
            if days[col] is None and len(rows.problems) == before:  # blank or a placeholder: a rate needs both
                rows.error(line, col, f"{rows.get(r, col)!r} is not available; expected a number of FTE days")
        lost, avail = days["FTE_DAYS_LOST"], days["FTE_DAYS_AVAILABLE"]
        if lost is None or avail is None:
            continue
        if avail <= 0:
            rows.error(line, "FTE_DAYS_AVAILABLE", f"{avail:g}; expected more than zero days available")
            continue
        if lost > avail:
            rows.error(line, "FTE_DAYS_LOST", f"{lost:g} days lost exceed the {avail:g} days available; expected "
                                              "no more than FTE_DAYS_AVAILABLE")
            continue
        if rows.has("SICKNESS_ABSENCE_RATE_PERCENT"):
            try:
                published = parse_number(rows.get(r, "SICKNESS_ABSENCE_RATE_PERCENT"))
            except ValueError:
                published = None
            if published is not None and abs(published - 100 * lost / avail) > 0.0051:
                mismatched_rates += 1
        if month is None or area is None or group is None or not org:
            continue
        months.setdefault(month, line)
        key = (month, org, group)
        if key in seen:
            rows.error(line, None, f"duplicates row {seen[key]} (same month, organisation {org} and staff group); "
                                   "expected one row each")
            continue
        seen[key] = line
        org_type = rows.get(r, "ORG_TYPE") if rows.has("ORG_TYPE") else ""
        recs.append((month, level, area, area_name, region, org, rows.get(r, "ORG_NAME"), org_type, group,
                     "sickness", lost, avail))
    if not recs and not rows.problems:
        rows.problems.append("row 2: no data rows; expected at least one")
    rows.finish()
    df = pd.DataFrame(recs, columns=["period_end", "level", "area_code", "area_name", "region_code", "org_code",
                                     "org_name", "org_type", "staff_group", "source", "fte_days_lost",
                                     "fte_days_available"])
    notes = [f"{df['org_code'].nunique()} organisations, {df['area_code'].ne(SICKNESS_OUTSIDE_SYSTEMS).sum()} rows "
             f"in systems"]
    if mismatched_rates:
        notes.append(f"{mismatched_rates} rows' SICKNESS_ABSENCE_RATE_PERCENT differs from days lost / days "
                     "available by more than rounding; the rate is recomputed from the days")
    return Parsed("sickness", str(path), conform_sickness(df), notes=notes, table="sickness")
