"""Coverage before rates: a vacancy rate only where the vacancy figures cover the staff they are divided by.

The vacancy rate of a system x staff group is vacancy FTE / (vacancy FTE + staff in post FTE), with staff in post
from the NHS Digital files for the whole system. If vacancies were reported for one trust of eight, that rate
divides one trust's vacancies by eight trusts' staff and looks reassuringly low. So:

RULE (COVERAGE_RULE below): a system x staff group shows a vacancy rate only when the organisations with vacancy
figures hold at least 95 % of its staff in post FTE (or the vacancy row was given for the system as a whole, with
no organisation code). Otherwise the rate is withheld and the coverage is shown instead: "vacancies reported for
1 of 8 organisations, 12 % of staff in post".
"All staff groups" is judged on staff in post across every (organisation, staff group) cell: the share of the
system's staff in cells with vacancy figures.
Region and England vacancy rates are ratios of sums over COVERED system cells only; their coverage says how many
systems, and what share of staff in post, they stand for.

Only rows from the vacancy template (source "vacancy") are judged: the synthetic demo store gives every system a
vacancy figure by construction.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.data import footprint, geography, loader
from lib.data.schema import ALL_STAFF

COVERAGE_THRESHOLD = 0.95
COVERAGE_RULE = ("A vacancy rate is shown for a system and staff group only where vacancy figures were reported "
                 f"for organisations holding at least {COVERAGE_THRESHOLD:.0%} of its staff in post FTE (or for "
                 "the system as a whole); otherwise the coverage is shown instead. Region and England rates use "
                 "covered systems only.")
VACANCY_SOURCE = "vacancy"
SYSTEM_WIDE = ""  # org_code of a vacancy row given for the whole system
COVERAGE_COLUMNS = ["vacancy_orgs_reported", "vacancy_orgs", "vacancy_staff_share", "vacancy_covered"]
_CELL = ["period", "area_code", "staff_group"]


def _org_cells(org_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per period x area x organisation x staff group: staff in post FTE and whether vacancies were given."""
    f = org_frame.rename(columns={"period_end": "period"})
    sip = (f[f["source"] != VACANCY_SOURCE].groupby([*_CELL, "org_code"], as_index=False, observed=True)
           ["sip_end_fte"].max())
    vac = f[(f["source"] == VACANCY_SOURCE) & (f["vacancy_fte"].notna() | f["establishment_fte"].notna())]
    rep = vac[[*_CELL, "org_code"]].drop_duplicates().assign(reported=True)
    cells = sip.merge(rep, on=[*_CELL, "org_code"], how="outer")
    cells["reported"] = cells["reported"].fillna(False).astype(bool)
    cells["sip_end_fte"] = cells["sip_end_fte"].fillna(0.0)
    return cells


def vacancy_coverage(org_frame: pd.DataFrame) -> pd.DataFrame:
    """Coverage per period x area x staff group (including "All staff groups") from organisation-level canonical
    rows (lib.data.loader.load_frame). Columns: period, area_code, staff_group, vacancy_orgs_reported,
    vacancy_orgs, vacancy_staff_share, vacancy_covered. Only cells with some vacancy row are listed."""
    cols = [*_CELL, *COVERAGE_COLUMNS]
    if org_frame.empty or not (org_frame["source"] == VACANCY_SOURCE).any():
        return pd.DataFrame(columns=cols)
    cells = _org_cells(org_frame)
    reported_cells = cells.loc[cells["reported"], _CELL].drop_duplicates()
    # "All staff groups" is judged wherever any group of the system has vacancy figures
    reported_cells = pd.concat([reported_cells, reported_cells.assign(staff_group=ALL_STAFF)]).drop_duplicates()
    system_wide = cells.loc[cells["reported"] & (cells["org_code"] == SYSTEM_WIDE), _CELL].drop_duplicates()
    orgs = cells[cells["org_code"] != SYSTEM_WIDE]

    def summarise(g: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        staff = g.groupby(keys)["sip_end_fte"].sum()
        rep_staff = g[g["reported"]].groupby(keys)["sip_end_fte"].sum()
        n_orgs = g[g["sip_end_fte"] > 0].groupby(keys)["org_code"].nunique()
        n_rep = g[g["reported"]].groupby(keys)["org_code"].nunique()
        out = pd.DataFrame({"vacancy_orgs": n_orgs, "vacancy_orgs_reported": n_rep, "_staff": staff,
                            "_rep": rep_staff}).fillna(0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["vacancy_staff_share"] = np.where(out["_staff"] > 0, out["_rep"] / out["_staff"], np.nan)
        return out.drop(columns=["_staff", "_rep"]).reset_index()

    by_group = summarise(orgs[orgs["staff_group"] != ALL_STAFF], _CELL)
    # All staff groups: staff in every (organisation, staff group) cell of the system, reported or not
    groups_only = orgs[orgs["staff_group"] != ALL_STAFF]
    total = summarise(groups_only.assign(staff_group=ALL_STAFF), _CELL)
    # a vacancy row given for "All staff groups" itself covers the organisation's whole staff
    tot_rep = orgs[(orgs["staff_group"] == ALL_STAFF) & orgs["reported"]]
    if not tot_rep.empty:
        total = total.set_index(_CELL)
        extra = summarise(orgs[orgs["staff_group"] == ALL_STAFF], _CELL).set_index(_CELL)
        better = extra["vacancy_staff_share"].reindex(total.index) > total["vacancy_staff_share"]
        total.loc[better[better].index] = extra.loc[better[better].index, total.columns]
        total = total.reset_index()
    out = pd.concat([by_group, total], ignore_index=True)
    out = out.merge(reported_cells, on=_CELL, how="right")  # only cells where something was reported
    for c in ("vacancy_orgs", "vacancy_orgs_reported"):
        out[c] = out[c].fillna(0).astype(int)
    out["vacancy_covered"] = out["vacancy_staff_share"].fillna(0) >= COVERAGE_THRESHOLD
    if not system_wide.empty:
        sw = out.merge(system_wide.assign(_sw=True), on=_CELL, how="left")["_sw"].fillna(False).to_numpy(bool)
        out.loc[sw, "vacancy_covered"] = True
        out.loc[sw, "vacancy_staff_share"] = 1.0
        out.loc[sw, "vacancy_orgs_reported"] = out.loc[sw, "vacancy_orgs"]  # given for the system as a whole
    return out[cols]


def apply_vacancy_coverage(metrics: pd.DataFrame, coverage: pd.DataFrame, systems: set[str]) -> pd.DataFrame:
    """Metrics with vacancy rates withheld where coverage is short, coverage columns added, and region and
    England vacancy figures recomputed from covered system cells only. `systems`: the level's area codes.
    With no vacancy-template rows (coverage empty) the metrics come back unchanged plus empty columns."""
    out = metrics.copy()
    if coverage.empty:
        for c in COVERAGE_COLUMNS:
            out[c] = np.nan
        return out
    out = out.merge(coverage, on=_CELL, how="left")
    is_sys = out["area_code"].isin(systems)
    has_vac = out["vacancy_fte"].notna()
    uncovered = is_sys & has_vac & ~out["vacancy_covered"].fillna(False).astype(bool)
    out.loc[uncovered, "vacancy_rate"] = np.nan
    # Regions and England: ratios of sums over covered system cells
    cov = out[is_sys & has_vac & ~uncovered]
    sip_all = out[is_sys].assign(_r=out["region_code"])
    for scope in ("region", "england"):
        key = ["period", "staff_group"] + (["region_code"] if scope == "region" else [])
        num = cov.groupby(key)["vacancy_fte"].sum()
        den = (cov["vacancy_fte"] + cov["fte"]).groupby([cov[k] for k in key]).sum()
        n_cov = cov.groupby(key)["area_code"].nunique()
        n_all = sip_all.groupby(key)["area_code"].nunique()
        staff_cov = cov.groupby(key)["fte"].sum()
        staff_all = sip_all.groupby(key)["fte"].sum()
        agg = pd.DataFrame({"_num": num, "_den": den, "_ncov": n_cov, "_nall": n_all, "_scov": staff_cov,
                            "_sall": staff_all}).reset_index()
        if scope == "region":
            target = out["area_code"].isin(set(out["region_code"].dropna())) & ~is_sys
            agg = agg.rename(columns={"region_code": "area_code"})
        else:
            target = out["area_code"] == "ENG"
        rows = out[target][["period", "staff_group", "area_code"]].reset_index()
        if scope == "england":
            rows = rows.drop(columns="area_code")
        j = rows.merge(agg, on=[c for c in rows.columns if c != "index"], how="left").set_index("index")
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(j["_den"] > 0, j["_num"] / j["_den"], np.nan)
        share = np.where(j["_sall"] > 0, j["_scov"].fillna(0) / j["_sall"], np.nan)
        had = out.loc[j.index, "vacancy_fte"].notna().to_numpy()
        out.loc[j.index, "vacancy_rate"] = np.where(had, rate, np.nan)
        out.loc[j.index, "vacancy_fte"] = np.where(had, j["_num"], np.nan)
        out.loc[j.index, "vacancy_orgs_reported"] = np.where(had, j["_ncov"].fillna(0), np.nan)  # systems
        out.loc[j.index, "vacancy_orgs"] = np.where(had, j["_nall"], np.nan)
        out.loc[j.index, "vacancy_staff_share"] = np.where(had, share, np.nan)
        out.loc[j.index, "vacancy_covered"] = np.where(had, j["_ncov"].fillna(0) == j["_nall"], np.nan)
    return out


def coverage_text(row, *, aggregate: bool = False) -> str:
    """'vacancies reported for 1 of 8 organisations, 12% of staff in post' (systems for regions/England)."""
    n_rep, n_all, share = row["vacancy_orgs_reported"], row["vacancy_orgs"], row["vacancy_staff_share"]
    if pd.isna(n_all):
        return ""
    pct = "" if pd.isna(share) else f", {100 * share:.0f}% of staff in post"
    if aggregate:
        return (f"rate from covered systems only: {int(n_rep)} of {int(n_all)} systems have vacancy figures "
                f"covering their staff{pct}")
    return f"vacancies reported for {int(n_rep)} of {int(n_all)} organisations{pct}"


def covered_metrics(data_dir, level: str, metrics: pd.DataFrame) -> pd.DataFrame:
    """apply_vacancy_coverage for a store: reads the vacancy-template rows and, only for their periods, the
    organisation-level staff in post (nothing extra is read when no vacancy template is loaded).
    `level` is a geography key: on another vintage's footprint the organisations are re-assigned first
    (lib/data/footprint.py), so coverage is judged per system of that footprint."""
    store = geography.store_level(level)
    vac = loader.load_frame(data_dir, store, sources=[VACANCY_SOURCE])
    if vac.empty:
        return apply_vacancy_coverage(metrics, pd.DataFrame(), set())
    org = loader.load_frame(data_dir, store, periods=sorted(vac["period_end"].unique()))
    org = footprint.rebase(org, level, footprint.seen_systems(data_dir, level))
    return apply_vacancy_coverage(metrics, vacancy_coverage(org), set(geography.areas(level)["code"]))
