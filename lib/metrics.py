"""Workforce metrics per area (and staff group), as NHS Digital defines them.

* leaver rate = leavers / mean(staff in post at start, at end) of the period; joiner rate likewise.
  FTE basis by default, headcount with basis="hc". The period is the file's (monthly for the
  turnover benchmarking files). At ICS level leavers are summed over organisations, so moves
  between organisations inside a system count as a leaver and a joiner.
* vacancy rate = vacancy FTE / (vacancy FTE + staff in post FTE).
* FTE share = a staff group's FTE / the area's "All staff groups" FTE (FTE is additive, HC is not).
All rates are fractions. Aggregates (region, England) are ratios of sums, never means of rates.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib import geography
from lib.schema import ALL_STAFF, MEASURES, STAFF_GROUP_ORDER

SOURCE_PRIORITY = ("turnover", "staff_in_post", "vacancy", "demo")
ENGLAND_CODE = "ENG"
ENGLAND_NAME = "England"
BASES = ("fte", "hc")

DEFINITIONS: dict[str, str] = {
    "leaver_rate": "Leavers in the period / mean of staff in post at the start and end of the period "
                   "(NHS Digital). FTE-based unless headcount is chosen. Summed over organisations, so moves "
                   "between organisations inside a system count as leavers.",
    "joiner_rate": "Joiners in the period / mean of staff in post at the start and end of the period (NHS Digital).",
    "vacancy_rate": "Vacancy FTE / (vacancy FTE + staff in post FTE) (NHS England definition; vacancies from the "
                    "Provider Workforce Return or the product's vacancy template).",
    "fte_share": "FTE of the staff group / FTE of all staff groups in the area (role mix; FTE because headcount "
                 "of groups does not add up to the total).",
    "fte": "Full-time equivalent staff in post at the end of the period (1.0 FTE = 37.5 hours a week).",
    "headcount": "People in post at the end of the period; a person in two groups counts once in the total.",
    "fte_growth": "Change in staff in post FTE over the period / staff in post FTE at the start.",
    "fte_per_100k": "Staff in post FTE at the end of the period x 100,000 / the system's ONS mid-year population "
                    "(supplied with the data as population_<LEVEL>.csv).",
}

_GROUP_KEYS = ["period", "level", "area_code", "staff_group"]


def _components(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum organisations to area level per source, then pick each measure from the best source."""
    if frame.empty:
        return pd.DataFrame(columns=[*_GROUP_KEYS, "period_months", *MEASURES])
    f = frame.rename(columns={"period_end": "period"})
    by_source = f.groupby([*_GROUP_KEYS, "source"], sort=False, observed=True)[list(MEASURES)].sum(min_count=1)
    months = (f[f["period_months"] > 0].groupby(_GROUP_KEYS, observed=True)["period_months"].max())
    out = None
    for src in SOURCE_PRIORITY:
        if src not in by_source.index.get_level_values("source"):
            continue
        part = by_source.xs(src, level="source")
        out = part if out is None else out.combine_first(part)
    out = out.reset_index()
    out["period_months"] = out.set_index(_GROUP_KEYS).index.map(months).fillna(0).astype(int)
    return _fill_totals(out)


def _fill_totals(comp: pd.DataFrame) -> pd.DataFrame:
    """Where an area has no "All staff groups" figure, FTE measures are the sum of its groups.

    Headcount totals are never summed from groups (a person in two groups counts once in the total).
    """
    keys = ["period", "level", "area_code"]
    groups = comp[comp["staff_group"] != ALL_STAFF]
    if groups.empty:
        return comp
    fte_cols = [m for m in MEASURES if not m.endswith("_hc")]
    sums = groups.groupby(keys, observed=True)[fte_cols].sum(min_count=1)
    totals = comp[comp["staff_group"] == ALL_STAFF].set_index(keys)
    missing_idx = sums.index.difference(totals.index)
    add = sums.loc[missing_idx].reset_index()
    add["staff_group"] = ALL_STAFF
    add["period_months"] = groups.groupby(keys, observed=True)["period_months"].max().loc[missing_idx].values
    for hc in (m for m in MEASURES if m.endswith("_hc")):
        add[hc] = np.nan
    totals = totals.combine_first(sums)  # fills e.g. vacancy totals when only groups carry vacancies
    totals = totals.reset_index()
    out = pd.concat([comp[comp["staff_group"] != ALL_STAFF], totals, add], ignore_index=True)
    return out


def _rates(df: pd.DataFrame, basis: str) -> pd.DataFrame:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    u = "fte" if basis == "fte" else "hc"
    mean_sip = (df[f"sip_start_{u}"] + df[f"sip_end_{u}"]) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        df["leaver_rate"] = np.where(mean_sip > 0, df[f"leavers_{u}"] / mean_sip, np.nan)
        df["joiner_rate"] = np.where(mean_sip > 0, df[f"joiners_{u}"] / mean_sip, np.nan)
        vac = df["vacancy_fte"].where(df["vacancy_fte"].notna(), df["establishment_fte"] - df["sip_end_fte"])
        df["vacancy_fte"] = vac
        denom = vac + df["sip_end_fte"]
        df["vacancy_rate"] = np.where(denom > 0, vac / denom, np.nan)
        df["fte_growth"] = np.where(df["sip_start_fte"] > 0,
                                    (df["sip_end_fte"] - df["sip_start_fte"]) / df["sip_start_fte"], np.nan)
    df["basis"] = basis
    return df


def _share(df: pd.DataFrame) -> pd.DataFrame:
    total = df[df["staff_group"] == ALL_STAFF].set_index(["period", "level", "area_code"])["sip_end_fte"]
    idx = pd.MultiIndex.from_frame(df[["period", "level", "area_code"]])
    tot = total.reindex(idx).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        df["fte_share"] = np.where(tot > 0, df["sip_end_fte"].to_numpy() / tot, np.nan)
    return df


def _aggregate(comp: pd.DataFrame, code_col: str | None) -> pd.DataFrame:
    """Sum area components to regions (code_col='region_code') or England (None)."""
    c = comp.copy()
    c["area_code"] = ENGLAND_CODE if code_col is None else c[code_col]
    g = c.groupby(["period", "level", "area_code", "staff_group"], observed=True)
    out = g[list(MEASURES)].sum(min_count=1)  # vectorised; NaN only when every area lacks the measure
    out["period_months"] = g["period_months"].max()
    return out.reset_index()


OUTPUT_COLUMNS = [
    "period", "period_months", "level", "area_code", "area_name", "region_code", "staff_group",
    "fte", "headcount", "sip_start_fte", "sip_start_hc", "joiners_fte", "joiners_hc", "leavers_fte", "leavers_hc",
    "leaver_rate", "joiner_rate", "vacancy_fte", "establishment_fte", "vacancy_rate", "fte_share", "fte_growth",
    "basis",
]


def area_metrics(frame: pd.DataFrame, by_staff_group: bool = True, *, basis: str = "fte",
                 include_england: bool = False, include_regions: bool = False) -> pd.DataFrame:
    """Metrics per period x area (x staff group) from canonical rows (see module docstring)."""
    comp = _components(frame)
    if comp.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    level = comp["level"].iloc[0]
    names = geography.area_names(level)
    regions = geography.areas(level).set_index("code")["region_code"]
    comp["region_code"] = comp["area_code"].map(regions)
    parts = [comp]
    if include_regions:
        reg = _aggregate(comp, "region_code")
        reg["region_code"] = reg["area_code"]
        parts.append(reg)
    if include_england:
        eng = _aggregate(comp, None)
        eng["region_code"] = ""
        parts.append(eng)
    df = pd.concat(parts, ignore_index=True)
    df["area_name"] = df["area_code"].map(names)
    df.loc[df["area_code"] == ENGLAND_CODE, "area_name"] = ENGLAND_NAME
    df["area_name"] = df["area_name"].fillna(df["area_code"].map(geography.REGIONS))
    df = _share(_rates(df, basis))
    df["fte"] = df["sip_end_fte"]
    df["headcount"] = df["sip_end_hc"]
    if not by_staff_group:
        df = df[df["staff_group"] == ALL_STAFF]
    order = {g: i for i, g in enumerate(STAFF_GROUP_ORDER)}
    kind = np.where(df["area_code"] == ENGLAND_CODE, 2, np.where(df["area_code"].isin(geography.REGIONS), 1, 0))
    df = df.assign(_k=kind, _g=df["staff_group"].map(order)).sort_values(
        ["period", "_k", "area_code", "_g"]).drop(columns=["_k", "_g"])
    return df[OUTPUT_COLUMNS].reset_index(drop=True)
