"""NHS Digital "Core 1. Staff group - England, NHSE region, ICS and org" staff-in-post CSV -> canonical rows
(source "staff_in_post": a month's snapshot of FTE and headcount per system, or per organisation)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from lib.data import geography
from lib.data.formats.common import IngestError, Parsed, Rows, parse_month, resolve_area, staff_group
from lib.data.schema import STAFF_GROUPS, conform

KIND = "staff_in_post"
TITLE = "the Core 1 staff-in-post CSV"
COLUMNS = ("DATA_MONTH", "DATA_LEVEL", "NHSE_REGION_CODE", "ICS_CODE", "ICS_NAME",
           "ORG_CODE", "ORG_NAME", "STAFF_GROUP_1", "FTE", "HEADCOUNT")
MAIN_GROUP_LABELS = {g.lower() for g in set(STAFF_GROUPS.values())} - {"unknown classification"}


def detect(upper: set[str], lower: set[str]) -> bool:
    return {"DATA_MONTH", "DATA_LEVEL"} <= upper


def parse(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    rows = Rows(path, header, data, COLUMNS)
    area_rows, org_rows = [], []
    months: dict[str, int] = {}
    for line, r in rows.lines():
        data_level = rows.get(r, "DATA_LEVEL").strip().lower()
        if data_level in {"national", "nhs england region", "england", "region"}:
            continue  # national and regional totals are recomputed from areas
        if data_level not in {"ics area", "organisation", "ics", "stp area"}:
            rows.error(line, "DATA_LEVEL", f"unknown DATA_LEVEL {rows.get(r, 'DATA_LEVEL')!r}; expected National, "
                                           "NHS England region, ICS area or Organisation")
            continue
        month = parse_month(rows.get(r, "DATA_MONTH"))
        if month is None:
            rows.error(line, "DATA_MONTH", f"{rows.get(r, 'DATA_MONTH')!r} is not a month; expected a date "
                                           "such as 2025-10-31 or 31/10/2025")
            continue
        months.setdefault(month, line)
        label = rows.get(r, "STAFF_GROUP_1")
        if label.strip().lower() in MAIN_GROUP_LABELS:
            continue  # main-group subtotal rows: recomputed, never stored twice
        group = staff_group(rows, line, "STAFF_GROUP_1", label)
        area = resolve_area(rows, line, "ICS_CODE", rows.get(r, "ICS_CODE"), level, month,
                             rows.get(r, "ICS_NAME"))
        fte = rows.number(line, r, "FTE")
        hc = rows.number(line, r, "HEADCOUNT")
        region = rows.get(r, "NHSE_REGION_CODE")
        if region not in geography.REGIONS:
            rows.error(line, "NHSE_REGION_CODE", f"unknown region {region!r}; expected one of "
                                                 f"{', '.join(geography.REGIONS)}")
        if group is None or area is None:
            continue
        rec = (month, area, region, rows.get(r, "ORG_CODE") if data_level == "organisation" else "",
               rows.get(r, "ORG_NAME") if data_level == "organisation" else "", group, fte, hc, line)
        (org_rows if data_level == "organisation" else area_rows).append(rec)
    if len(months) > 1:
        rows.error(min(months.values()), "DATA_MONTH",
                   f"the file mixes months ({', '.join(sorted(months))}); expected one month per file")
    if not area_rows and not org_rows and not rows.problems:
        rows.problems.append("row 2: no ICS area or Organisation rows; expected at least one")
    rows.finish()
    # The ICS-area rows count a person once per system; prefer them over summing organisations.
    chosen = area_rows or org_rows
    df = pd.DataFrame(chosen, columns=["period_end", "area_code", "region_code", "org_code", "org_name",
                                       "staff_group", "sip_end_fte", "sip_end_hc", "line"])
    dup = df.duplicated(["area_code", "org_code", "staff_group"], keep="first")
    if dup.any():
        line = int(df.loc[dup, "line"].iloc[0])
        raise IngestError(str(path), [f"row {line}: duplicates an earlier row (same area, organisation and staff "
                                      "group); expected one row each"])
    df = df.drop(columns="line")
    df["period_start"] = df["period_end"]
    df["period_months"] = 0  # a snapshot, not a period of flows
    df["level"] = level
    df["area_name"] = df["area_code"].map(geography.area_name_lookup(level))
    df["source"] = "staff_in_post"
    return Parsed("staff_in_post", str(path), conform(df),
                  notes=[f"used {'ICS area' if area_rows else 'Organisation'} rows"])
