"""NHS Digital "Primary Care Networks - <Month Year> Individual Level" CSV (one row per person and role in a PCN)
-> aggregated rows of its own schema (lib.data.schema.PCN_COLUMNS), stored under pcn/: census month x PCN x
sub-ICB location x ICB x staff group x staff role x data source, with FTE, headcount and the number of rows.
No row per person is ever stored.

Checked as strictly as the turnover files: every column present, one census month per file, known ICB (2022
Q-codes: the files restate history on them), region and data source, a PCN in one sub-ICB location and a sub-ICB
location in one ICB, FTE a number. Two things are accepted and said, because the published files have them:
* a staff role (or staff group) never seen before: the Additional Roles scheme keeps widening, and a new quarter
  must not be refused for it ("new role first seen: ...");
* negative FTE on a few rows (published adjustments, e.g. -0.027 in September and December 2021): kept, so the
  stored sums equal the file's own, and listed.
Spelling variants of a role or group (case, spacing, dashes, Dietitians/Dieticians) are normalised to the label
as published first and listed. Names are stored as published, trailing spaces removed (SUB_ICB_NAME has them).

Headcount: a cell's distinct UNIQUE_IDENTIFIERs plus one for each row without one (blank or "NULL": every
contracted-services row), since such rows cannot be matched to each other. A person in two roles or PCNs counts
in each, so headcounts do not add up to people across cells; FTE does add.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from lib.data import geography
from lib.data.formats.common import Parsed, Rows, resolve_area, unused_columns
from lib.data.schema import PCN_DATA_SOURCES, conform_pcn

KIND = "pcn"
TITLE = "the NHS Digital Primary Care Networks Individual Level CSV"
COLUMNS = ("Data_source", "CENSUS_YEAR", "CENSUS_MONTH", "PCN_CODE", "PCN_NAME", "SUB_ICB_CODE", "SUB_ICB_NAME",
           "ICB_CODE", "ICB_NAME", "COMM_REGION_CODE", "COMM_REGION_NAME", "STAFF_GROUP", "STAFF_ROLE",
           "DETAILED_STAFF_ROLE", "FTE", "UNIQUE_IDENTIFIER")
LEVEL = "ICS"  # the files carry 2022 ICB codes for every quarter
MAX_ROW_FTE = 100.0  # one person's role, or one contracted service, above this is not a workforce figure
NO_IDENTIFIER = {"", "null", "na", "n/a", "*"}
ROLES_FILE = Path(__file__).with_name("pcn_roles.csv")
# Spellings that are the same label (after _label_key) -> the label as published in the reference files.
SPELLINGS: dict[str, str] = {"dietitians": "dieticians", "dietitian": "dietician"}
_PCN_CODE = re.compile(r"^[A-Z]\d{5}$")
_SUB_ICB_CODE = re.compile(r"^[0-9A-Z]{3}$|^[0-9A-Z]{5}$")


def detect(upper: set[str], lower: set[str]) -> bool:
    return {"PCN_CODE", "STAFF_ROLE"} <= upper


def known_roles() -> pd.DataFrame:
    """staff_group, staff_role, first_published: the roles of the published quarters this product was built on."""
    with ROLES_FILE.open(encoding="utf-8", newline="") as fh:
        return pd.DataFrame(list(csv.DictReader(fh)), columns=["staff_group", "staff_role", "first_published"])


def _label_key(text: str) -> str:
    t = " ".join(text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("&", "and").split())
    t = re.sub(r"\s*-\s*", "-", t)
    return SPELLINGS.get(t, t)


def parse(path: Path, header: list[str], data: list[list[str]], level: str = LEVEL) -> Parsed:
    rows = Rows(path, header, data, COLUMNS)
    known = known_roles()
    role_labels = {_label_key(r): r for r in known["staff_role"]}
    group_labels = {_label_key(g): g for g in known["staff_group"]}
    regions = geography.area_lookup_regions(LEVEL)
    recs = []
    months: dict[str, int] = {}
    pcn_sub: dict[str, tuple[str, int]] = {}
    sub_icb: dict[str, tuple[str, int]] = {}
    variants: dict[tuple[str, str, str], int] = {}   # (column, as written, label) -> rows
    negatives: list[tuple[int, float]] = []
    unidentified_staff = 0
    for line, r in rows.lines():
        source = PCN_DATA_SOURCES.get(rows.get(r, "Data_source").lower())
        if source is None:
            rows.error(line, "Data_source", f"unknown data source {rows.get(r, 'Data_source')!r}; expected "
                                            "NWRS Staff or NWRS contracted services")
        year, month = rows.get(r, "CENSUS_YEAR"), rows.get(r, "CENSUS_MONTH")
        period = None
        if not re.fullmatch(r"(19|20)\d\d", year):
            rows.error(line, "CENSUS_YEAR", f"{year!r} is not a year; expected four digits such as 2021")
        elif not re.fullmatch(r"0?[1-9]|1[0-2]", month):
            rows.error(line, "CENSUS_MONTH", f"{month!r} is not a month; expected a number from 1 to 12")
        else:
            period = f"{year}-{int(month):02d}"
            months.setdefault(period, line)
        pcn = rows.get(r, "PCN_CODE").upper()
        if not _PCN_CODE.match(pcn):
            rows.error(line, "PCN_CODE", f"{rows.get(r, 'PCN_CODE')!r} is not a PCN code; expected a letter and "
                                         "five digits such as U68696")
        sub = rows.get(r, "SUB_ICB_CODE").upper()
        if not _SUB_ICB_CODE.match(sub):
            rows.error(line, "SUB_ICB_CODE", f"{rows.get(r, 'SUB_ICB_CODE')!r} is not a sub-ICB location code; "
                                             "expected three or five letters and digits such as 15A or D4U1Y")
        area = resolve_area(rows, line, "ICB_CODE", rows.get(r, "ICB_CODE"), LEVEL, None, rows.get(r, "ICB_NAME"))
        region = rows.get(r, "COMM_REGION_CODE").upper()
        if region not in geography.REGIONS:
            rows.error(line, "COMM_REGION_CODE", f"unknown region {region!r}; expected one of "
                                                 f"{', '.join(geography.REGIONS)}")
        elif area is not None and regions.get(area) != region:
            rows.error(line, "COMM_REGION_CODE", f"{region!r} disagrees with the region of ICB {area} "
                                                 f"({regions.get(area)}); expected {regions.get(area)}")
        labels = {}
        for col, table in (("STAFF_GROUP", group_labels), ("STAFF_ROLE", role_labels)):
            raw = " ".join(rows.get(r, col).split())
            if not raw:
                rows.error(line, col, "empty; expected a label such as "
                                      + ("Other Direct Patient Care staff" if col == "STAFF_GROUP" else "Pharmacists"))
                continue
            key = _label_key(raw)
            label = table.setdefault(key, raw)  # a new label: the first spelling in the file is its label
            if label != rows.get(r, col):
                variants[(col, rows.get(r, col), label)] = variants.get((col, rows.get(r, col), label), 0) + 1
            labels[col] = label
        fte = rows.number(line, r, "FTE", allow_negative=True)
        if fte is None and rows.get(r, "FTE").lower() in {"", "*", "..", "n/a", "na"}:
            rows.error(line, "FTE", f"{rows.get(r, 'FTE')!r}: expected the person's FTE in this role, a number")
        elif fte is not None and abs(fte) > MAX_ROW_FTE:
            rows.error(line, "FTE", f"{fte:g} is implausible for one person's role or one contracted service; "
                                    f"expected between -{MAX_ROW_FTE:g} and {MAX_ROW_FTE:g}")
            fte = None
        elif fte is not None and fte < 0:
            negatives.append((line, fte))
        ident = rows.get(r, "UNIQUE_IDENTIFIER")
        if ident.lower() in NO_IDENTIFIER:
            ident = ""
            unidentified_staff += source == "staff"
        if pcn and sub:
            first = pcn_sub.setdefault(pcn, (sub, line))
            if first[0] != sub:
                rows.error(line, "SUB_ICB_CODE", f"PCN {pcn} is under sub-ICB location {first[0]} on row {first[1]}; "
                                                 "expected one sub-ICB location per PCN")
        if sub and area:
            first = sub_icb.setdefault(sub, (area, line))
            if first[0] != area:
                rows.error(line, "ICB_CODE", f"sub-ICB location {sub} is in ICB {first[0]} on row {first[1]}; "
                                             "expected one ICB per sub-ICB location")
        if source is None or period is None or area is None or fte is None or len(labels) < 2 \
                or not _PCN_CODE.match(pcn) or not _SUB_ICB_CODE.match(sub) or region not in geography.REGIONS:
            continue
        recs.append((period, area, region, sub, rows.get(r, "SUB_ICB_NAME"), pcn, rows.get(r, "PCN_NAME"),
                     labels["STAFF_GROUP"], labels["STAFF_ROLE"], source, fte, ident))
    if len(months) > 1:
        rows.error(min(months.values()), "CENSUS_MONTH",
                   f"the file mixes census months ({', '.join(sorted(months))}); expected one month per file")
    if not recs and not rows.problems:
        rows.problems.append("row 2: no data rows; expected at least one")
    rows.finish()
    people = pd.DataFrame(recs, columns=["period_end", "area_code", "region_code", "sub_icb_code", "sub_icb_name",
                                         "pcn_code", "pcn_name", "staff_group", "staff_role", "data_source", "fte",
                                         "identifier"])
    frame = aggregate(people)
    notes = [f"{frame['pcn_code'].nunique()} PCNs, {frame['staff_role'].nunique()} staff roles, "
             f"{people['fte'].sum():,.1f} FTE from {len(people):,} person-role rows (stored as {len(frame):,} "
             "aggregated rows)"]
    notes += _new_labels(people, known)
    if variants:
        notes.append("labels normalised: " + "; ".join(f"{col} {raw!r} -> {label!r} ({n} rows)"
                                                         for (col, raw, label), n in sorted(variants.items())))
    if negatives:
        notes.append(f"{len(negatives)} row(s) with negative FTE kept as published (the file's totals include "
                     "them): " + ", ".join(f"row {ln} ({v:g})" for ln, v in negatives[:10]))
    if unidentified_staff:
        notes.append(f"{unidentified_staff} NWRS Staff row(s) without UNIQUE_IDENTIFIER, each counted as one head")
    extra = unused_columns(header, COLUMNS)
    if extra:
        notes.append(extra)
    return Parsed(KIND, str(path), frame, notes=notes, table="pcn")


def aggregate(people: pd.DataFrame) -> pd.DataFrame:
    """Person-role rows -> one row per period x PCN x sub-ICB x ICB x staff group x staff role x data source."""
    keys = ["period_end", "area_code", "region_code", "sub_icb_code", "pcn_code", "staff_group", "staff_role",
            "data_source"]
    no_id = people["identifier"] == ""
    out = people.assign(unidentified=no_id.astype("int64")).groupby(keys, sort=True).agg(
        fte=("fte", "sum"), records=("fte", "size"), unidentified=("unidentified", "sum"),
        sub_icb_name=("sub_icb_name", "first"), pcn_name=("pcn_name", "first")).reset_index()
    # distinct identifiers per cell (vectorised: count the cell's distinct (cell, identifier) pairs)
    ids = people[~no_id].drop_duplicates([*keys, "identifier"]).groupby(keys, sort=True).size().rename("ids")
    out = out.merge(ids.reset_index(), on=keys, how="left")
    out["ids"] = out["ids"].fillna(0).astype("int64")
    out["headcount"] = out["ids"] + out["unidentified"]
    out["level"] = LEVEL
    out["area_name"] = out["area_code"].map(geography.area_name_lookup(LEVEL))
    out["source"] = KIND
    return conform_pcn(out)


def _new_labels(people: pd.DataFrame, known: pd.DataFrame) -> list[str]:
    notes = []
    roles = set(known["staff_role"])
    for role, part in people[~people["staff_role"].isin(roles)].groupby("staff_role", sort=True):
        notes.append(f"new role first seen: {role!r} (staff group {part['staff_group'].iloc[0]!r}): "
                     f"{len(part):,} rows, {part['fte'].sum():,.1f} FTE in {part['pcn_code'].nunique()} PCNs; "
                     f"accepted (not among the roles this product knows, lib/data/formats/{ROLES_FILE.name})")
    for group in sorted(set(people["staff_group"]) - set(known["staff_group"])):
        notes.append(f"new staff group first seen: {group!r}; accepted")
    return notes

