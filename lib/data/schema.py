"""Canonical workforce snapshot schema and label normalisation.

One tidy row per period x level x area x organisation x staff group x source (see data/README.md).
"""
from __future__ import annotations

import calendar

import re

import pandas as pd
import pyarrow as pa

ALL_STAFF = "All staff groups"

# NHS Digital staff groups (Turnover 1 hierarchy), in publication order, with their main group.
STAFF_GROUPS: dict[str, str] = {
    "HCHS Doctors": "Professionally qualified clinical staff",
    "Nurses & health visitors": "Professionally qualified clinical staff",
    "Midwives": "Professionally qualified clinical staff",
    "Ambulance staff": "Professionally qualified clinical staff",
    "Scientific, therapeutic & technical staff": "Professionally qualified clinical staff",
    "Support to doctors, nurses & midwives": "Support to clinical staff",
    "Support to ambulance staff": "Support to clinical staff",
    "Support to ST&T staff": "Support to clinical staff",
    "Senior managers": "NHS infrastructure support",
    "Managers": "NHS infrastructure support",
    "Central functions": "NHS infrastructure support",
    "Hotel, property & estates": "NHS infrastructure support",
    "Unknown classification": "Unknown classification",
}
STAFF_GROUP_ORDER: list[str] = [ALL_STAFF, *STAFF_GROUPS]

# Spellings seen in published files -> canonical label. Keys are compared after _label_key().
# Nov-25 files renamed doctors to "HCHS Doctors (exc. Resident doctors and equivalents)"; older files
# use "HCHS Doctors", "HCHS doctors" or "HCHS doctors - All grades". All map to one series, and the
# rename is recorded in data/README.md so a user knows the definition narrowed.
_ALIASES: dict[str, str] = {
    "total": ALL_STAFF,
    "all staff": ALL_STAFF,
    "all staff groups": ALL_STAFF,
    "hchs doctors (exc. resident doctors and equivalents)": "HCHS Doctors",
    "hchs doctors (excl. resident doctors and equivalents)": "HCHS Doctors",
    "hchs doctors - all grades": "HCHS Doctors",
    "nurses and health visitors": "Nurses & health visitors",
    "scientific, therapeutic and technical staff": "Scientific, therapeutic & technical staff",
    "support to doctors, nurses and midwives": "Support to doctors, nurses & midwives",
    "support to st and t staff": "Support to ST&T staff",
    "hotel, property and estates": "Hotel, property & estates",
}


def _label_key(label: str) -> str:
    return " ".join(str(label).replace("\ufeff", "").strip().lower().split())


_LOOKUP: dict[str, str] = {_label_key(k): k for k in STAFF_GROUP_ORDER}
_LOOKUP.update({_label_key(k): v for k, v in _ALIASES.items()})


def normalise_staff_group(label: str) -> str | None:
    """Canonical staff-group label, or None when the label is not known (callers report it)."""
    return _LOOKUP.get(_label_key(label))


def known_staff_group_labels() -> list[str]:
    return STAFF_GROUP_ORDER.copy()


MEASURES: tuple[str, ...] = (
    "sip_start_fte", "sip_start_hc", "sip_end_fte", "sip_end_hc",
    "joiners_fte", "joiners_hc", "leavers_fte", "leavers_hc",
    "vacancy_fte", "establishment_fte",
)
KEY_COLUMNS: tuple[str, ...] = (
    "period_start", "period_end", "period_months", "level", "area_code", "area_name", "region_code",
    "org_code", "org_name", "staff_group", "source", "cluster_group", "benchmark_group",
)
# Organisation attributes as published in the turnover files: CLUSTER_GROUP (care setting: Acute, Mental Health,
# Community Provider Trust, Ambulance, Integrated Care Board) and BENCHMARK_GROUP (peer group, e.g. "Acute -
# Teaching"). Empty on rows that are not one organisation's (system totals, demo data) and in stores written
# before these columns existed: the loader fills them with "" so older stores and files still load.
ORG_ATTRIBUTE_COLUMNS: tuple[str, ...] = ("cluster_group", "benchmark_group")
CANONICAL_COLUMNS: tuple[str, ...] = KEY_COLUMNS + MEASURES
# Rows are unique on this key; re-ingesting replaces rows with the same key (idempotent).
UNIQUE_KEY: tuple[str, ...] = ("period_end", "level", "area_code", "org_code", "staff_group", "source")
SOURCES: tuple[str, ...] = ("turnover", "staff_in_post", "vacancy", "demo")

ARROW_SCHEMA = pa.schema(
    [(c, pa.string()) for c in KEY_COLUMNS if c != "period_months"]
    + [("period_months", pa.int16())]
    + [(m, pa.float64()) for m in MEASURES]
)

_PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def is_period(text: str) -> bool:
    """True for a 'YYYY-MM' month key."""
    return bool(_PERIOD_RE.match(str(text)))


def month_add(period: str, months: int) -> str:
    y, m = int(period[:4]), int(period[5:7])
    idx = y * 12 + (m - 1) + months
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def period_label(period: str) -> str:
    """'2025-11' -> 'Nov 2025' (the month a period ends, as users read it)."""
    return f"{calendar.month_abbr[int(period[5:7])]} {period[:4]}"


def month_range(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from first to last inclusive."""
    out, p = [], first
    while p <= last:
        out.append(p)
        p = month_add(p, 1)
    return out


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Return df with exactly the canonical columns and dtypes (missing measures become NaN)."""
    out = pd.DataFrame(index=df.index)
    for c in KEY_COLUMNS:
        if c == "period_months":
            out[c] = df[c].astype("int16")
        else:
            out[c] = df[c].fillna("").astype(str) if c in df else ""
    for m in MEASURES:
        out[m] = pd.to_numeric(df[m], errors="raise").astype("float64") if m in df else float("nan")
    return out.reset_index(drop=True)


def check_canonical(df: pd.DataFrame) -> list[str]:
    """Problems that make a frame unfit to store (empty list = fine)."""
    problems: list[str] = []
    missing = [c for c in CANONICAL_COLUMNS if c not in df.columns]
    if missing:
        return [f"missing columns: {', '.join(missing)}"]
    bad_period = ~df["period_end"].map(is_period)
    if bad_period.any():
        problems.append(f"period_end not YYYY-MM in {int(bad_period.sum())} rows")
    bad_group = ~df["staff_group"].isin(STAFF_GROUP_ORDER)
    if bad_group.any():
        problems.append(f"unknown staff groups: {sorted(df.loc[bad_group, 'staff_group'].unique())[:5]}")
    for m in MEASURES:
        neg = df[m] < 0
        if neg.any():
            problems.append(f"negative {m} in {int(neg.sum())} rows")
    dup = df.duplicated(list(UNIQUE_KEY))
    if dup.any():
        problems.append(f"{int(dup.sum())} duplicated rows on {', '.join(UNIQUE_KEY)}")
    return problems


# ----------------------------------------------------------------------------------------- sickness absence
# NHS Digital sickness absence (monthly, by organisation) is stored apart from the canonical rows, in its own
# small schema under <data_dir>/sickness/level=L/period=YYYY-MM/<source>.parquet: its measures (FTE days lost and
# available) share nothing with staff in post and flows, and keeping them apart leaves the canonical store as it was.
# area_code is the file's ICS_CODE; organisations outside any system (ICS_CODE "QZZ", special health authorities
# and other statutory bodies) keep that code: they count in England's rate, in no system's.
SICKNESS_KEY_COLUMNS: tuple[str, ...] = (
    "period_end", "level", "area_code", "area_name", "region_code", "org_code", "org_name", "org_type",
    "staff_group", "source",
)
SICKNESS_MEASURES: tuple[str, ...] = ("fte_days_lost", "fte_days_available")
SICKNESS_COLUMNS: tuple[str, ...] = SICKNESS_KEY_COLUMNS + SICKNESS_MEASURES
SICKNESS_UNIQUE_KEY: tuple[str, ...] = ("period_end", "level", "org_code", "staff_group", "source")
SICKNESS_OUTSIDE_SYSTEMS = "QZZ"
SICKNESS_ARROW_SCHEMA = pa.schema([(c, pa.string()) for c in SICKNESS_KEY_COLUMNS]
                                  + [(m, pa.float64()) for m in SICKNESS_MEASURES])


def conform_sickness(df: pd.DataFrame) -> pd.DataFrame:
    """df with exactly the sickness columns and dtypes."""
    out = pd.DataFrame(index=df.index)
    for c in SICKNESS_KEY_COLUMNS:
        out[c] = df[c].fillna("").astype(str) if c in df else ""
    for m in SICKNESS_MEASURES:
        out[m] = pd.to_numeric(df[m], errors="raise").astype("float64") if m in df else float("nan")
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------------------- primary care networks
# NHS Digital "Primary Care Networks - <Month Year> Individual Level" files (one row per person and role) are stored
# aggregated, never a row per person, in their own schema under <data_dir>/pcn/level=ICS/period=YYYY-MM/pcn.parquet:
# one row per census month x PCN x sub-ICB location x ICB x staff group x staff role x data source. The files carry
# 2022 ICB Q-codes for every quarter (history restated), so level is always ICS. data_source is "staff" (NWRS
# Staff) or "contracted" (NWRS contracted services). headcount counts distinct UNIQUE_IDENTIFIERs in the cell, plus
# one per row without an identifier (the contracted rows carry "NULL"); records counts the file's rows in the cell.
PCN_KEY_COLUMNS: tuple[str, ...] = (
    "period_end", "level", "area_code", "area_name", "region_code", "sub_icb_code", "sub_icb_name", "pcn_code",
    "pcn_name", "staff_group", "staff_role", "data_source", "source",
)
PCN_MEASURES: tuple[str, ...] = ("fte", "headcount", "records")
PCN_COLUMNS: tuple[str, ...] = PCN_KEY_COLUMNS + PCN_MEASURES
PCN_UNIQUE_KEY: tuple[str, ...] = ("period_end", "level", "pcn_code", "sub_icb_code", "staff_group", "staff_role",
                                   "data_source", "source")
PCN_DATA_SOURCES: dict[str, str] = {"nwrs staff": "staff", "nwrs contracted services": "contracted"}
PCN_ARROW_SCHEMA = pa.schema([(c, pa.string()) for c in PCN_KEY_COLUMNS]
                             + [(m, pa.float64()) for m in PCN_MEASURES])


def conform_pcn(df: pd.DataFrame) -> pd.DataFrame:
    """df with exactly the PCN columns and dtypes."""
    out = pd.DataFrame(index=df.index)
    for c in PCN_KEY_COLUMNS:
        out[c] = df[c].fillna("").astype(str) if c in df else ""
    for m in PCN_MEASURES:
        out[m] = pd.to_numeric(df[m], errors="raise").astype("float64") if m in df else float("nan")
    return out.reset_index(drop=True)


# ONS mid-2022 population of sub-ICB locations (lib.data.formats.population), under <data_dir>/population/.
POPULATION_KEY_COLUMNS: tuple[str, ...] = ("period_end", "level", "area_code", "sub_icb_code", "sub_icb_name",
                                           "sub_icb_ons_code", "source")
POPULATION_COLUMNS: tuple[str, ...] = POPULATION_KEY_COLUMNS + ("population",)
POPULATION_UNIQUE_KEY: tuple[str, ...] = ("period_end", "level", "sub_icb_code", "source")
POPULATION_ARROW_SCHEMA = pa.schema([(c, pa.string()) for c in POPULATION_KEY_COLUMNS]
                                    + [("population", pa.float64())])


def conform_population(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for c in POPULATION_KEY_COLUMNS:
        out[c] = df[c].fillna("").astype(str) if c in df else ""
    out["population"] = pd.to_numeric(df["population"], errors="raise").astype("float64")
    return out.reset_index(drop=True)
