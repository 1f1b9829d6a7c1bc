"""Ingest published workforce files into the canonical Parquet store.

Accepted as published:
* NHS Digital "Turnover benchmarking 2. Staff group and organisation, monthly" CSV
* NHS Digital "Core 1. Staff group - England, NHSE region, ICS and org" staff-in-post CSV
* the product's vacancy template (PWR-style; see data/README.md and VACANCY_TEMPLATE_COLUMNS)
* NHS Digital sickness absence CSV (DATE, ..., ICS_CODE, ORG_CODE, ORG_NAME, ORG_TYPE, FTE_DAYS_LOST,
  FTE_DAYS_AVAILABLE): stored in its own small schema (lib.data.schema.SICKNESS_COLUMNS) under sickness/

Every file is parsed and validated completely before anything is written; a rejected file
writes nothing. Writes go to a temporary file in the target directory, then os.replace().
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.data import geography
from lib.data.schema import (
    ALL_STAFF, ARROW_SCHEMA, STAFF_GROUPS, UNIQUE_KEY, check_canonical, conform,
    is_period, known_staff_group_labels, normalise_staff_group,
    SICKNESS_ARROW_SCHEMA, SICKNESS_OUTSIDE_SYSTEMS, SICKNESS_UNIQUE_KEY, conform_sickness,
)

MAX_ERRORS_SHOWN = 20

TURNOVER_COLUMNS = ("PERIOD", "TYPE", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME",
                    "REPORTING_ORG_NAME", "REPORTING_ORG_CODE", "STAFF_GROUP_1_NAME", "HC", "FTE")
CORE1_COLUMNS = ("DATA_MONTH", "DATA_LEVEL", "NHSE_REGION_CODE", "ICS_CODE", "ICS_NAME",
                 "ORG_CODE", "ORG_NAME", "STAFF_GROUP_1", "FTE", "HEADCOUNT")
VACANCY_TEMPLATE_COLUMNS = ("period", "level", "area_code", "org_code", "staff_group", "vacancy_fte",
                            "establishment_fte")
VACANCY_REQUIRED = ("period", "area_code", "staff_group", "vacancy_fte")
SICKNESS_REQUIRED = ("DATE", "ICS_CODE", "ORG_CODE", "ORG_NAME", "FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE")
SICKNESS_STAFF_GROUP_COLUMNS = ("STAFF_GROUP", "STAFF_GROUP_1_NAME", "STAFF_GROUP_1")  # "where given"

TURNOVER_TYPES = {
    "denominator at start of period": "sip_start",
    "denominator at end of period": "sip_end",
    "joiners": "joiners",
    "leavers": "leavers",
}
# Published placeholders: "*" suppressed and ".." not available -> unknown (NaN, never zero);
# "-" is NHS Digital's nil -> 0. Empty cells are unknown.
PLACEHOLDER_MISSING = {"", "*", "..", "n/a", "na"}
PLACEHOLDER_ZERO = {"-"}
_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
MAIN_GROUP_LABELS = {g.lower() for g in set(STAFF_GROUPS.values())} - {"unknown classification"}


class IngestError(ValueError):
    """A file was rejected. `problems` lists 'file: row N, column C: ...' messages."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = f"{path}: rejected, nothing was written.\n  " + "\n  ".join(shown)
        if more > 0:
            text += f"\n  ... and {more} more problems"
        super().__init__(text)


@dataclass
class Parsed:
    kind: str
    path: str
    frame: pd.DataFrame  # canonical rows
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------- reading
def read_csv_text(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV as strings: UTF-8 with or without BOM (cp1252 fallback), CRLF or LF."""
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(str(path), ["the file is empty: expected a header row and data rows"])
    if raw[:4] == b"PAR1" or b"\x00" in raw[:4096]:
        raise IngestError(str(path), ["this is a binary file, not a CSV: expected comma-separated text"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [r for r in reader]
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise IngestError(str(path), ["the file is empty: expected a header row and data rows"])
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    return header, rows[1:]


def detect_kind(header: list[str]) -> str | None:
    up = {h.upper() for h in header}
    # Recognise a kind by its distinctive columns, then report any other missing column precisely.
    if "FTE_DAYS_LOST" in up or "FTE_DAYS_AVAILABLE" in up:
        return "sickness"
    if {"PERIOD", "TYPE"} <= up and ("STAFF_GROUP_1_NAME" in up or "REPORTING_ORG_CODE" in up):
        return "turnover"
    if {"DATA_MONTH", "DATA_LEVEL"} <= up:
        return "staff_in_post"
    low = {h.lower() for h in header}
    if "vacancy_fte" in low or ({"period", "staff_group"} <= low and "establishment_fte" in low):
        return "vacancy"
    return None


def parse_number(text: str) -> float | None:
    """Published number -> float; None = unknown; raises ValueError when it is not a number."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if t.lower() in PLACEHOLDER_MISSING:
        return None
    if t in PLACEHOLDER_ZERO:
        return 0.0
    if not _NUMBER_RE.match(t) or t in {"+", "-", "."}:
        raise ValueError(text)
    return float(t.replace(",", ""))


class _Rows:
    """Row access by column name with error collection naming file, row and column."""

    def __init__(self, path: Path, header: list[str], rows: list[list[str]], required: tuple[str, ...],
                 case_insensitive: bool = True):
        self.path = str(path)
        self.problems: list[str] = []
        norm = (lambda s: s.strip().lower()) if case_insensitive else (lambda s: s.strip())
        self.index = {norm(h): i for i, h in enumerate(header)}
        self.norm = norm
        missing = [c for c in required if norm(c) not in self.index]
        if missing:
            raise IngestError(self.path, [
                f"row 1 (header): missing column(s) {', '.join(missing)}; expected columns "
                f"{', '.join(required)}; found {', '.join(header)}"])
        self.rows = rows
        self.width = len(header)
        # (column, value, vintage, period) -> [first line, rows, name in file]: reported once each
        self.unknown_areas: dict[tuple[str, str, str, str], list] = {}

    def has(self, col: str) -> bool:
        return self.norm(col) in self.index

    def get(self, row: list[str], col: str) -> str:
        i = self.index[self.norm(col)]
        return row[i].strip() if i < len(row) else ""

    def error(self, line: int, col: str | None, msg: str) -> None:
        where = f"row {line}" + (f", column {col}" if col else "")
        self.problems.append(f"{where}: {msg}")

    def number(self, line: int, row: list[str], col: str, *, allow_negative: bool = False) -> float | None:
        raw = self.get(row, col)
        try:
            v = parse_number(raw)
        except ValueError:
            self.error(line, col, f"{raw!r} is not a number; expected a number such as 1234.5 "
                                  f"(thousands separators and the placeholders * - .. are accepted)")
            return None
        if v is not None and not np.isfinite(v):
            self.error(line, col, f"{raw!r} is not a finite number")
            return None
        if v is not None and v < 0 and not allow_negative:
            self.error(line, col, f"{raw!r} is negative; expected zero or more")
            return None
        if v is not None and v > 5e7:
            self.error(line, col, f"{raw!r} is implausibly large for a workforce count (over 50 million)")
            return None
        return v

    def lines(self):
        """(file line number, row) for non-blank rows; the header is line 1."""
        for i, r in enumerate(self.rows, start=2):
            if not any(c.strip() for c in r):
                continue
            if len(r) != self.width:
                self.error(i, None, f"has {len(r)} fields; expected {self.width} like the header "
                                    f"(an unquoted comma in a name?)")
                continue
            yield i, r

    def finish(self) -> None:
        _report_unknown_areas(self)
        self.unknown_areas = {}
        if self.problems:
            raise IngestError(self.path, self.problems)


def _resolve_area(rows: _Rows, line: int, col: str, value: str, level: str, period: str | None = None,
                  name: str = "") -> str | None:
    """The system's code, checked against the vintage in force for the row's period (the level's first vintage
    when the period is not known). Unknown codes are reported once each by _report_unknown_areas."""
    key = geography.vintage_for(level, period).key if period else level
    code = geography.resolve_area(value, key)
    if code is None:
        seen = rows.unknown_areas.setdefault((col, value, key, period or ""), [line, 0, name])
        seen[1] += 1
    return code


def _report_unknown_areas(rows: _Rows) -> None:
    """One problem per unknown system code: how many rows carry it, the name the file gives it, what is known,
    and how to add a vintage (never one line per row)."""
    for (col, value, key, period), (line, count, name) in rows.unknown_areas.items():
        v = geography.vintage(key)
        what = f"{v.level} code or name {value!r}" + (f" (named {name!r} in the file)" if name and name != value else "")
        when = f" for period {period}" if period else ""
        hint = ""
        other = next((o for o in geography.VINTAGES.values() if o.level == v.level and o.key != v.key
                      and geography.resolve_area(value, o.key)), None)
        if other is not None:
            hint = (f" It is a system of {other.title} (in force from {other.effective_from}), not of {v.title} "
                    f"(in force from {v.effective_from}), which applies to this file's period.")
            moved = geography.became(geography.resolve_area(value, other.key), v.key)
            if moved is not None:
                hint += f" {moved[1]}"
        rows.problems.append(
            f"row {line}, column {col}: unknown {what} in {count:,} row{'s' if count != 1 else ''}{when}; "
            f"checked against {v.label}, in force from {v.effective_from}; expected one of "
            f"{', '.join(v.areas['code'])} (or their ONS E54 codes or names).{hint} If a new geography has taken "
            "effect, add its vintage: put its CSV files in lib/data/vintages/ (see the README there) and run "
            "`python -m lib geography check`.")


def _region_of(area: str, level: str) -> str:
    return geography.area_lookup_regions(level)[area]


def _staff_group(rows: _Rows, line: int, col: str, value: str) -> str | None:
    g = normalise_staff_group(value)
    if g is None:
        rows.error(line, col, f"unknown staff group {value!r}; known: {'; '.join(known_staff_group_labels())}")
    return g


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


_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], start=1)}


def parse_month(text: str) -> str | None:
    """'YYYY-MM' from the month formats published files use (2025-10-31, 31/10/2025, 202510, Oct-25...)."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m", "%Y%m", "%b-%y", "%B-%y", "%b %Y", "%B %Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            d = dt.datetime.strptime(t, fmt)
            return f"{d.year:04d}-{d.month:02d}"
        except ValueError:
            continue
    return None


# ----------------------------------------------------------------------------------------- parsers
def parse_turnover(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    code_col = "ICS_CODE"
    if "STP_CODE" in {h.upper() for h in header} and "ICS_CODE" not in {h.upper() for h in header}:
        code_col, level = "STP_CODE", "STP"
    required = tuple(c if c != "ICS_CODE" else code_col for c in TURNOVER_COLUMNS if c != "ICS_NAME")
    rows = _Rows(path, header, data, required)
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
        area = _resolve_area(rows, line, code_col, rows.get(r, code_col), level, per[1],
                             rows.get(r, "ICS_NAME") if rows.has("ICS_NAME") else "")
        region = rows.get(r, "NHSE_REGION_CODE")
        if region not in geography.REGIONS:
            rows.error(line, "NHSE_REGION_CODE", f"unknown region {region!r}; expected one of "
                                                 f"{', '.join(geography.REGIONS)}")
        group = _staff_group(rows, line, "STAFF_GROUP_1_NAME", rows.get(r, "STAFF_GROUP_1_NAME"))
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
    wide["area_name"] = wide["area_code"].map(geography.area_names(level))
    wide["source"] = "turnover"
    return Parsed("turnover", str(path), conform(wide))


def parse_core1(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    rows = _Rows(path, header, data, CORE1_COLUMNS)
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
        group = _staff_group(rows, line, "STAFF_GROUP_1", label)
        area = _resolve_area(rows, line, "ICS_CODE", rows.get(r, "ICS_CODE"), level, month,
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
    df["area_name"] = df["area_code"].map(geography.area_names(level))
    df["source"] = "staff_in_post"
    return Parsed("staff_in_post", str(path), conform(df),
                  notes=[f"used {'ICS area' if area_rows else 'Organisation'} rows"])


def parse_vacancy(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    rows = _Rows(path, header, data, VACANCY_REQUIRED)
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
        area = _resolve_area(rows, line, "area_code", rows.get(r, "area_code"), lev, per)
        group = _staff_group(rows, line, "staff_group", rows.get(r, "staff_group"))
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
        region = _region_of(area, lev)
        recs.append((per, per, 0, lev, area, region, org, group, vac, est))
    if not recs and not rows.problems:
        rows.problems.append("row 2: no data rows; expected at least one")
    rows.finish()
    df = pd.DataFrame(recs, columns=["period_start", "period_end", "period_months", "level", "area_code",
                                     "region_code", "org_code", "staff_group", "vacancy_fte", "establishment_fte"])
    df["area_name"] = [geography.area_names(lv)[a] for lv, a in zip(df["level"], df["area_code"])]
    df["org_name"] = ""
    df["source"] = "vacancy"
    return Parsed("vacancy", str(path), conform(df))


def parse_sickness(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    """NHS Digital sickness absence CSV -> sickness rows (lib.data.schema.SICKNESS_COLUMNS).

    Each organisation is placed in the system its row's ICS_CODE names, checked against the geography of the
    level (and its NHSE_REGION_CODE against that system's region); ICS_CODE QZZ (special health authorities and
    other statutory bodies) is kept as outside any system. Staff group where the file gives one, else all staff.
    """
    rows = _Rows(path, header, data, SICKNESS_REQUIRED)
    group_col = next((c for c in SICKNESS_STAFF_GROUP_COLUMNS if rows.has(c)), None)
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
                area_name, region = geography.area_names(level)[area], regions[area]
                given = rows.get(r, "NHSE_REGION_CODE") if rows.has("NHSE_REGION_CODE") else ""
                if given and given != region:
                    rows.error(line, "NHSE_REGION_CODE", f"{given!r} disagrees with the region of {area} "
                                                         f"({region}); expected {region}")
        org = rows.get(r, "ORG_CODE")
        if not org:
            rows.error(line, "ORG_CODE", "empty; expected an organisation code such as RJ1")
        group = ALL_STAFF
        if group_col is not None:
            group = _staff_group(rows, line, group_col, rows.get(r, group_col))
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
    return Parsed("sickness", str(path), conform_sickness(df), notes=notes)


PARSERS = {"turnover": parse_turnover, "staff_in_post": parse_core1, "vacancy": parse_vacancy,
           "sickness": parse_sickness}


def parse_file(path: str | Path, level: str = "ICS") -> Parsed:
    p = Path(path)
    if not p.is_file():
        raise IngestError(str(p), ["no such file"])
    header, data = read_csv_text(p)
    kind = detect_kind(header)
    if kind is None:
        raise IngestError(str(p), [
            "row 1 (header): not a file this tool knows. Expected one of: the NHS Digital Turnover benchmarking 2 "
            f"CSV ({', '.join(TURNOVER_COLUMNS)}); the Core 1 staff-in-post CSV ({', '.join(CORE1_COLUMNS)}); "
            f"the vacancy template ({', '.join(VACANCY_TEMPLATE_COLUMNS)}); the NHS Digital sickness absence CSV "
            f"({', '.join(SICKNESS_REQUIRED)}). Found: {', '.join(header[:15])}"])
    parsed = PARSERS[kind](p, header, data, level)
    if kind == "sickness":
        return parsed  # its own schema, checked by parse_sickness
    problems = check_canonical(parsed.frame)
    if problems:
        raise IngestError(str(p), problems)
    return parsed


# ----------------------------------------------------------------------------------------- storing
def partition_path(data_dir: Path, level: str, period: str, source: str) -> Path:
    return Path(data_dir) / f"level={level}" / f"period={period}" / f"{source}.parquet"


def sickness_partition_path(data_dir: Path, level: str, period: str, source: str) -> Path:
    return Path(data_dir) / "sickness" / f"level={level}" / f"period={period}" / f"{source}.parquet"


def sickness_table_bytes(df: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(conform_sickness(df), schema=SICKNESS_ARROW_SCHEMA, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _stage_sickness(frames: list[pd.DataFrame], data_dir: Path) -> list[tuple[Path, bytes]]:
    """Sickness partitions to write (upserted on SICKNESS_UNIQUE_KEY, like the canonical store)."""
    staged: list[tuple[Path, bytes]] = []
    if not frames:
        return staged
    keys = list(SICKNESS_UNIQUE_KEY)
    for (level, period, source), part in pd.concat(frames, ignore_index=True).groupby(
            ["level", "period_end", "source"], sort=True):
        target = sickness_partition_path(data_dir, level, period, source)
        if target.exists():
            old = pd.read_parquet(target)
            keep = old.merge(part[keys].drop_duplicates(), on=keys, how="left", indicator=True)
            part = pd.concat([keep[keep["_merge"] == "left_only"].drop(columns="_merge"), part], ignore_index=True)
        part = part.sort_values(["area_code", "org_code", "staff_group"], ignore_index=True)
        staged.append((target, sickness_table_bytes(part)))
    return staged


# Store files are written rw-r--r-- and new folders rwxr-xr-x whatever the umask: analysts ingest from their own
# account into the directory the dashboard's service account reads (deploy/README.md). mkstemp alone gives 0600.
STORE_FILE_MODE = 0o644
STORE_DIR_MODE = 0o755


def _make_dirs(d: Path) -> None:
    missing = []
    while not d.exists():
        missing.append(d)
        d = d.parent
    for m in reversed(missing):
        m.mkdir(exist_ok=True)
        os.chmod(m, STORE_DIR_MODE)


def _atomic_write_bytes(target: Path, payload: bytes) -> None:
    _make_dirs(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    try:
        os.fchmod(fd, STORE_FILE_MODE)  # before the rename: the file is never visible with other permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table_bytes(df: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(conform(df), schema=ARROW_SCHEMA, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _merge(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    if existing is None or existing.empty:
        return new
    # Upsert: rows of the new file replace rows with the same key, so re-ingesting is idempotent.
    keys = list(UNIQUE_KEY)
    keep = existing.merge(new[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    keep = keep[keep["_merge"] == "left_only"].drop(columns="_merge")
    out = pd.concat([keep, new], ignore_index=True)
    return out.sort_values(["area_code", "org_code", "staff_group"], ignore_index=True)


def read_manifest(data_dir: Path) -> dict:
    p = Path(data_dir) / "manifest.json"
    if not p.exists():
        return {"synthetic": False, "files": []}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"synthetic": False, "files": []}


def store(parsed_files: list[Parsed], data_dir: str | Path) -> list[Path]:
    """Write parsed files into the store (all were validated before this is called)."""
    data_dir = Path(data_dir)
    staged = _stage_sickness([p.frame for p in parsed_files if p.kind == "sickness"], data_dir)
    canonical = [p.frame for p in parsed_files if p.kind != "sickness"]
    frames = pd.concat(canonical, ignore_index=True) if canonical else pd.DataFrame(
        columns=["level", "period_end", "source"])
    for (level, period, source), part in frames.groupby(["level", "period_end", "source"], sort=True):
        target = partition_path(data_dir, level, period, source)
        existing = pd.read_parquet(target) if target.exists() else None
        merged = _merge(existing, part)
        problems = check_canonical(merged)
        if problems:
            raise IngestError(str(target), problems)
        staged.append((target, table_bytes(merged)))
    for target, payload in staged:
        _atomic_write_bytes(target, payload)
    manifest = read_manifest(data_dir)
    for p in parsed_files:
        digest = hashlib.sha256(Path(p.path).read_bytes()).hexdigest()
        manifest["files"] = [f for f in manifest.get("files", []) if f.get("sha256") != digest]
        manifest["files"].append({
            "file": Path(p.path).name, "sha256": digest, "kind": p.kind, "rows": int(len(p.frame)),
            "periods": sorted(p.frame["period_end"].unique().tolist()),
            "levels": sorted(p.frame["level"].unique().tolist()),
            "ingested_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        })
    _atomic_write_bytes(data_dir / "manifest.json", json.dumps(manifest, indent=1).encode("utf-8"))
    return [t for t, _ in staged]


# Real files go into a store of their own: never the embedded demo, never a store marked synthetic (its label
# would then sit over real rows). Without --data-dir the CLI writes here (git-ignored).
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_STORE = REPO_ROOT / "data" / "demo"
LOCAL_STORE = REPO_ROOT / "data" / "local"
CHOOSE_STORE = ("Choose a directory of your own with --data-dir DIR (or set WORKFORCE_DATA_DIR=DIR); without "
                "either, `python -m lib ingest` writes to data/local/ (git-ignored).")


def refuse_synthetic_store(data_dir: str | Path) -> None:
    """Raise IngestError if data_dir is the embedded demo store or a store whose manifest says synthetic."""
    d = Path(data_dir)
    if d.resolve() == DEMO_STORE.resolve():
        raise IngestError(str(d), ["this is the embedded synthetic demo store: real files are never written "
                                   "into it. " + CHOOSE_STORE])
    if read_manifest(d).get("synthetic"):
        raise IngestError(str(d / "manifest.json"), ["this store is marked synthetic (demo data): real files are "
                                                     "never mixed into it. " + CHOOSE_STORE])


def ingest(paths: list[str | Path], data_dir: str | Path, level: str = "ICS") -> list[Parsed]:
    """Parse every file first; only if all are valid, write them. Raises IngestError otherwise (also when
    data_dir is the demo store or a store marked synthetic: nothing is parsed or written)."""
    refuse_synthetic_store(data_dir)
    parsed = [parse_file(p, level) for p in paths]
    store(parsed, data_dir)
    return parsed


__all__ = ["IngestError", "ingest", "refuse_synthetic_store", "LOCAL_STORE", "parse_file", "store", "read_manifest", "VACANCY_TEMPLATE_COLUMNS"]
