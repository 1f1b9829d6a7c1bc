"""Joint (cross-table) suppression for primary care network (PCN) new-role tables: lib.sharing.joint's plan for
the PCN tables a viewer can reach together.

A viewer of the PCN page (ui.pcn_view), the board pack's PCN section (lib.report.pack) or `python -m lib roles
--disclosure-control` sees, for every census quarter loaded and each data source (every source, NWRS Staff, NWRS
contracted services): a system's PCNs x staff role with each PCN's "All roles"; systems, regions and England x role
on the 2022 and the 2026 ICBs. Every one of those cells is a sum of *base cells*, one per quarter x PCN x data source
x role (FTE and headcount both add up exactly: a PCN x role cell's headcount is the sum of its sources' headcounts,
"All roles" the sum of the roles). A reader can add and subtract across all of them, so the hidden cells are chosen
over all of them at once by lib.sharing.joint (the same determinacy test, greedy choice and plan format as the trust
tables): a PCN x data source is joint's *unit*, a role its *staff group*, "All roles" its "All staff groups", FTE and
headcount its staff in post (one measure group: hidden together), the rule lib.sharing.disclosure.small_cell's
(headcount or FTE under 5, zero included).

Quarters share no cell (no start-of-period figure links them), so each quarter is planned on its own (its linear
system is a component of the whole) and the plans are put together.

Tables in the plan (kind, footprint, setting = data source, "" for every source, code):
* "area": systems, regions and England on each footprint (regions as the rows carry them on that footprint);
* "pcn": PCNs (footprint ""; a PCN's cells are the same on every footprint, only its system changes).
A table row the plan does not know (a system with no PCN rows that quarter, listed with zeros) is hidden whole.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib.data.schema import ALL_STAFF
from lib.sharing import joint

PCN = "pcn"      # table kind: PCN x role
AREA = "area"    # table kind: systems, regions, England x role (joint.standard_tables' kind for every source)
ALL_ROLES = "All roles"  # lib.insight.pcn_roles.ALL_ROLES (not imported: lib.sharing stays below lib.insight)
SOURCES = ("staff", "contracted")  # lib.data.schema.PCN_DATA_SOURCES' values: the parts of "every source"


def _setting(source: str) -> str:
    return "" if source == "all" else source


def base_cells(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """joint's base rows from PCN rows (lib.data.pcn_store.load) on each footprint (`frames`: key -> the same rows
    on that footprint, pcn_store.on_footprint; row for row): one row per quarter x PCN x data source x role published
    that quarter (zero where the PCN has none in that source), and per PCN x source its "All roles" (ALL_STAFF).
    A PCN x source with no rows in a quarter has no base cells (the source's tables do not list it)."""
    keys = list(frames)
    first = frames[keys[0]]
    if first.empty:
        return pd.DataFrame(columns=["period", "unit", "staff_group", "org_code", "cluster_group",
                                     "benchmark_group", *joint.COLUMNS,
                                     *[c for k in keys for c in (f"area_{k}", f"region_{k}")]])
    f = pd.DataFrame({"period": first["period_end"].astype(str).to_numpy(),
                      "pcn": first["pcn_code"].astype(str).to_numpy(),
                      "source": first["data_source"].astype(str).to_numpy(),
                      "role": first["staff_role"].astype(str).to_numpy(),
                      "fte": first["fte"].to_numpy(dtype=float), "hc": first["headcount"].to_numpy(dtype=float)})
    for k, fr in frames.items():
        f[f"area_{k}"] = fr["area_code"].astype(str).to_numpy()
        f[f"region_{k}"] = fr["region_code"].fillna("").astype(str).to_numpy()
    f["unit"] = f["pcn"] + "|" + f["source"]
    sums = f.groupby(["period", "unit", "role"], sort=False)[["fte", "hc"]].sum()
    info_cols = [c for k in keys for c in (f"area_{k}", f"region_{k}")]
    info = f.groupby(["period", "unit"], sort=True)[["pcn", "source", *info_cols]].first().reset_index()
    roles = f.groupby("period")["role"].unique()
    grid = info.merge(pd.DataFrame([(p, r) for p, rs in roles.items() for r in rs], columns=["period", "role"]),
                      on="period")
    grid = grid.merge(sums.reset_index(), on=["period", "unit", "role"], how="left")
    grid[["fte", "hc"]] = grid[["fte", "hc"]].fillna(0.0)
    total = grid.groupby(["period", "unit"], as_index=False, sort=True)[["fte", "hc"]].sum()
    total = info.merge(total, on=["period", "unit"]).assign(role=ALL_STAFF)
    out = pd.concat([grid, total], ignore_index=True).rename(columns={"role": "staff_group"})
    base = out[["period", "unit", "staff_group", "pcn", "source", *info_cols]].copy()
    base["org_code"] = ""  # no organisation tables: joint.standard_tables then gives the all-source area tables only
    base["cluster_group"] = ""
    base["benchmark_group"] = ""
    for c in joint.COLUMNS:
        base[c] = np.nan
    base["sip_end_fte"] = out["fte"].to_numpy()
    base["sip_end_hc"] = out["hc"].to_numpy()
    return base.sort_values(["period", "unit", "staff_group"], ignore_index=True)


def pcn_tables(units: pd.DataFrame, footprints: Sequence[str]) -> pd.DataFrame:
    """A joint.TableProvider: the PCN tables besides joint.standard_tables' (which, with no organisations, gives the
    systems, regions and England of every source): PCNs of every source and of each source, and systems, regions
    and England of each source, on every footprint."""
    parts = []
    for source in ("all", *SOURCES):
        sub = units if source == "all" else units[units["source"] == source]
        if sub.empty:
            continue
        setting = _setting(source)
        parts.append(pd.DataFrame({"kind": PCN, "footprint": "", "setting": setting, "code": sub["pcn"],
                                   "unit": sub["unit"]}))
        if source == "all":
            continue
        for key in footprints:
            for code in (sub[f"area_{key}"], sub[f"region_{key}"], pd.Series(joint.ENGLAND, index=sub.index)):
                keep = code != ""
                parts.append(pd.DataFrame({"kind": AREA, "footprint": key, "setting": setting,
                                           "code": code[keep], "unit": sub.loc[keep, "unit"]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["kind", "footprint", "setting", "code", "unit"])


def plan(frames: dict[str, pd.DataFrame]) -> joint.Plan:
    """The hidden cells of every PCN table a viewer can reach, every quarter in `frames` (key -> PCN rows on that
    footprint), chosen jointly (lib.sharing.joint), one quarter at a time."""
    base = base_cells(frames)
    plans = [joint.plan_base(b, list(frames), extra_tables=(pcn_tables,), stock_flow=False)
             for _, b in base.groupby("period", sort=True)]
    return combine(plans, tuple(frames))


def combine(plans: list[joint.Plan], footprints: tuple[str, ...]) -> joint.Plan:
    """Plans of separate periods as one (aggregate numbers made distinct)."""
    tables, cells, stats, offset = [], [], {"periods": {}}, 0
    for p in plans:
        tables.append(p.tables.assign(agg=p.tables["agg"] + offset))
        cells.append(p.cells.assign(agg=p.cells["agg"] + offset))
        period = str(p.cells["period"].iloc[0]) if len(p.cells) else ""
        stats["periods"][period] = p.stats
        offset += int(p.tables["agg"].max()) + 1 if len(p.tables) else 0
    if not plans:
        return joint.Plan(pd.DataFrame(columns=["period", "kind", "footprint", "setting", "code", "agg"]),
                          pd.DataFrame(columns=["period", "agg", "staff_group"]), footprints, False, stats)
    return joint.Plan(pd.concat(tables, ignore_index=True), pd.concat(cells, ignore_index=True), footprints, False,
                      stats)


def apply(t: pd.DataFrame, plan_: joint.Plan, kind: str, footprint: str = "", source: str = "all") -> pd.DataFrame:
    """A PCN table (lib.insight.pcn_roles.roles_table: period, area_code, role, fte, headcount, ...) as the viewer
    sees it: the plan's hidden cells NaN (fte, headcount and fte_per_100k) and a `suppressed` column. kind PCN
    (area_code = PCN code) or AREA (systems, regions, England on `footprint`); source "all", "staff" or
    "contracted". A row the plan does not know is hidden (fail closed)."""
    from lib.sharing import disclosure as dc
    x = t.assign(staff_group=t["role"].where(t["role"] != ALL_ROLES, ALL_STAFF))
    out = joint.apply(x, plan_, kind, "" if kind == PCN else footprint, _setting(source))
    out["staff_group"] = t["staff_group"].to_numpy() if "staff_group" in t else out["staff_group"]
    if "fte_per_100k" in out:  # FTE x 100,000 / a published population: hidden with the FTE
        out["fte_per_100k"] = out["fte_per_100k"].where(out["fte"].notna(), np.nan)
    out[dc.SUPPRESSED_COLUMN] = np.where(out[dc.SUPPRESSED_COLUMN] != "", "small count or would reveal one", "")
    return out
