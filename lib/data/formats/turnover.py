"""NHS Digital "Turnover benchmarking 2. Staff group and organisation, monthly" CSV -> canonical rows
(source "turnover": staff in post at start and end, joiners and leavers, FTE and headcount, per organisation
and staff group)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lib.data import geography
from lib.data.formats.common import IngestError, Parsed, Rows, resolve_area, staff_group, unused_columns
from lib.data.schema import conform, is_period

KIND = "turnover"
TITLE = "the NHS Digital Turnover benchmarking 2 CSV"
COLUMNS = ("PERIOD", "TYPE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME",
           "REPORTING_ORG_NAME", "REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME", "HC", "FTE")
OPTIONAL = ("CLUSTER_GROUP", "BENCHMARK_GROUP", "STP_CODE", "STP_NAME")  # read where given (older layouts lack them)
TURNOVER_TYPES = {
    "denominator at start of period": "sip_start",
    "denominator at end of period": "sip_end",
    "joiners": "joiners",
    "leavers": "leavers",
}


def detect(upper: set[str], lower: set[str]) -> bool:
    return {"PERIOD", "TYPE"} <= upper and ("STAFF_GROUP_1_NAME" in upper or "REPORTING_ORG_CODE" in upper)


def _parse_turnover_period(text: str) -> tuple[str, str, int] | None:
    m = re.fullmatch(r"\s*(\d{4})(\d{2})\s+to\s+(\d{4})(\d{2})\s*", text)
    if not m:
        return None
    start, end = f"{m[1]}-{m[2]}", f"{m[3]}-{m[4]}"
    if not (is_period(start) and is_period(end)):
        return None
    months = (int(m[3]) - int(m[1])) * 12 + int(m[4]) - int(m[2])
    if months <= 0:
        return None
    return start, end, months


def parse(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    code_col = "ICS_CODE"
    if "STP_CODE" in {h.upper() for h in header} and "ICS_CODE" not in {h.upper() for h in header}:
        code_col, level = "STP_CODE", "STP"
    required = tuple(c if c != "ICS_CODE" else code_col for c in COLUMNS if c != "ICS_NAME")
    rows = Rows(path, header, data, required)
    has_cluster, has_benchmark = rows.has("CLUSTER_GROUP"), rows.has("BENCHMARK_GROUP")  # optional (older files)
    recs = []
    periods: dict[str, int] = {}
    seen: dict[tuple, int] = {}
    for line, r in rows.lines():
        per = _parse_turnover_period(rows.get(r, "PERIOD"))
        if per is None:
            rows.error(line, "PERIOD", f"{rows.get(r, 'PERIOD')!r} is not a period; expected 'YYYYMM to YYYYMM'")
            continue
        periods.setdefault(per[1], line)
        typ = TURNOVER_TYPES.get(rows.get(r, "TYPE").strip().lower())
        if typ is None:
            rows.error(line, "TYPE", f"unknown TYPE {rows.get(r, 'TYPE')!r}; expected one of "
                                     "Denominator at start of period, Denominator at end of period, Joiners, Leavers")
            continue
        area = resolve_area(rows, line, code_col, rows.get(r, code_col), level, per[1],
                             rows.get(r, "ICS_NAME") if rows.has("ICS_NAME") else "")
        region = rows.get(r, "NHSE_REGION_CODE")
        if region not in geography.REGIONS:
            rows.error(line, "NHSE_REGION_CODE", f"unknown region {region!r}; expected one of "
                                                 f"{', '.join(geography.REGIONS)}")
        group = staff_group(rows, line, "STAFF_GROUP_1_NAME", rows.get(r, "STAFF_GROUP_1_NAME"))
        org = rows.get(r, "REPORTING_ORG_CODE")
        if not org:
            rows.error(line, "REPORTING_ORG_CODE", "empty; expected an organisation code such as RJ1")
        hc = rows.number(line, r, "HC")
        fte = rows.number(line, r, "FTE")
        if area is None or group is None or not org:
            continue
        key = (per[1], org, group, typ)
        if key in seen:
            rows.error(line, None, f"duplicates row {seen[key]} (same period, organisation {org}, staff group "
                                   f"{group!r}, TYPE); expected one row each")
            continue
        seen[key] = line
        recs.append((per[0], per[1], per[2], area, region, org, rows.get(r, "REPORTING_ORG_NAME"), group,
                     typ, hc, fte, rows.get(r, "CLUSTER_GROUP") if has_cluster else "",
                     rows.get(r, "BENCHMARK_GROUP") if has_benchmark else ""))
    if len(periods) > 1:
        rows.error(min(periods.values()), "PERIOD",
                   f"the file mixes periods ({', '.join(sorted(periods))}); expected one period per monthly file")
    if not recs and not rows.problems:
        rows.problems.append("row 2: no data rows; expected at least one")
    rows.finish()
    df = pd.DataFrame(recs, columns=["period_start", "period_end", "period_months", "area_code", "region_code",
                                     "org_code", "org_name", "staff_group", "type", "hc", "fte",
                                     "cluster_group", "benchmark_group"])
    # Care setting and peer group are organisation attributes: one value per organisation (first row's).
    for col in ("cluster_group", "benchmark_group"):
        df[col] = df["org_code"].map(df.groupby("org_code", sort=False)[col].first())
    # Organisation region must agree with the area's region; one area per organisation.
    org_areas = df.groupby("org_code")["area_code"].nunique()
    if (org_areas > 1).any():
        bad = org_areas[org_areas > 1].index[0]
        line = seen[next(k for k in seen if k[1] == bad)]
        raise IngestError(str(path), [f"row {line}, column {code_col}: organisation {bad} appears under more "
                                      f"than one {level}; expected one"])
    idx = ["period_start", "period_end", "period_months", "area_code", "region_code", "org_code", "org_name",
           "staff_group", "cluster_group", "benchmark_group"]
    wide = df.groupby([*idx, "type"], sort=False)[["hc", "fte"]].sum(min_count=1).unstack("type")
    wide.columns = [f"{t}_{u}" for u, t in wide.columns]
    # Which TYPE rows exist per org x group: an absent row is a zero cell, but a present row holding "*" or
    # ".." is unknown and must stay NaN (never silently zero).
    present = df.groupby([*idx, "type"], sort=False).size().unstack("type").reindex(wide.index)
    wide = wide.reset_index()
    for m in ("sip_start_fte", "sip_start_hc", "sip_end_fte", "sip_end_hc", "joiners_fte", "joiners_hc",
              "leavers_fte", "leavers_hc"):
        if m not in wide:
            wide[m] = 0.0
            continue
        typ = m.rsplit("_", 1)[0]
        absent = present[typ].isna().to_numpy() if typ in present else np.ones(len(wide), dtype=bool)
        wide[m] = wide[m].mask(absent & wide[m].isna().to_numpy(), 0.0)
    wide["level"] = level
    wide["area_name"] = wide["area_code"].map(geography.area_name_lookup(level))
    wide["source"] = "turnover"
    extra = unused_columns(header, COLUMNS, OPTIONAL)  # an extra column is said, never silently accepted
    return Parsed("turnover", str(path), conform(wide), notes=[extra] if extra else [])
