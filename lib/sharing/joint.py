"""Joint (cross-table) small-number suppression: one set of hidden cells for every table a viewer can reach.

`lib.sharing.disclosure.suppress_metrics` hides cells table by table. A reader who sees several tables of the
same month can add and subtract between them: an organisation table and its system's total, the system tables on
two footprints (2022 and 2026 ICBs group the same organisations differently), regions and England, the care-setting
cuts, "All staff groups" = sum of the groups. This module chooses the hidden cells of ALL those tables together.

The model. Every published count is a sum of *base cells*: one per period x unit x staff group x column, where a
unit is an organisation (or, in a store without organisations, a system as published) and the columns are the
counts (staff in post at end and start, joiners, leavers, FTE and headcount; vacancies FTE). Each published cell is
a 0/1 row over the base cells of its column:

* a table row (organisation, system or region on each footprint offered, England, a care setting's systems /
  regions / England on each footprint; extra tables through `extra_tables`, e.g. primary-care roles) is the sum of
  its units' base cells of that staff group; several tables showing the same set of units show the same cell
  (one decision for all of them);
* "All staff groups" is the sum of the groups plus the unit's *rest* (published total - sum of its groups): zero
  for FTE; for headcount in post the rest is people counted in two groups, unknown to a reader, so a base cell of
  its own; for joiner and leaver headcount the rest is tiny (0 in almost every organisation), so the model assumes
  the reader knows it (a stronger reader than the real one: safe side);
* staff in post at the start of a month is the same base cell as staff in post at the end of the month before
  (exact in the published files), so months are linked;
* where the stock-flow identity (start + joiners - leavers = end) holds in a store to within rounding (the
  synthetic demo; NOT the published turnover files, where a residual of up to 130 FTE an organisation remains) the
  per-row rule of lib.sharing.disclosure is kept: a hidden stock hides both flows of that cell.

A hidden cell is *determined* when its row lies in the row space of the shown cells' rows (a reader solving the
linear system gets its exact value). Test: base cells shown on their own are known; the rest are unknowns; with N a
null-space basis of the shown rows over the unknowns (per connected component, from the eigenvectors of the small
Gram matrix), a hidden row h is determined iff h N = 0.

The rule. Primary: a count under 5 (FTE or headcount, zero included) hides its measure group (headcount and FTE of
the same thing together), as lib.sharing.disclosure does. What must not be determined are these primary cells
only: a complementary cell (5 or more) that a reader can work out tells nothing the shown cells do not, so it needs
no protection of its own (protecting every hidden cell, the first rule, hid 79% of the organisation staff-in-post
cells of Nov-25; this rule 29%: bench/bench_disclosure_joint_families.py). Then, repeated until nothing changes:
1. the quick rule over every plain sum (a table row = its units' rows; "All staff groups" = the groups): where a sum
   has exactly one hidden cell and it is primary, its smallest other part (fewest people) is hidden too; a
   start-of-month cell and the end-of-last-month cell it equals are hidden together;
2. the linear test: for each primary cell still determined, the reader's derivation of it (least-squares combination
   of shown rows, plus the singly shown base cells it subtracts) names the shown cells it uses; the one with the
   one inside the most tables that also hold the determined cell (the same organisation's other groups first, then a
   sibling in the same systems and care setting: one such cell breaks all those sums at once, where the smallest value
   alone is often a cell only one of several derivations needs; measured: that converges in a few rounds, the
   smallest value alone did not), then the fewest people, is hidden. Greedy, not optimal; each round hides at least
   one shown cell, so it ends.
3. at the end, every complementary cell the shown cells determine (in each system it is in) is shown again: it
   protected nothing, and its row is already in the shown rows' row space, so no other cell becomes determined. So
   still no hidden cell at all is determined by the shown ones.

What a page or export then shows is `apply(frame, plan, kind, footprint, care_setting)`: every table row looked up
by (period, table, unit code, staff group); a row the plan does not know is hidden whole (fail closed).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from lib.data import geography, loader
from lib.data.footprint import rebase, seen_systems
from lib.data.schema import ALL_STAFF, month_add, month_range
from lib.sharing import disclosure as dc

ENGLAND = "ENG"
REST = "\x00rest"  # a unit's "All staff groups" minus the sum of its groups
# table kinds: area = systems, regions and England on a footprint; org = organisations; care = one care setting's
# systems, regions and England on a footprint. Extra kinds come from `extra_tables` (issue 23: primary-care roles).
KINDS = ("area", "org", "care")
# column -> measure group (lib.sharing.disclosure.GROUPS: hidden together)
COLUMNS: dict[str, str] = {
    "sip_end_fte": "staff in post", "sip_end_hc": "staff in post",
    "sip_start_fte": "staff in post at start", "sip_start_hc": "staff in post at start",
    "joiners_fte": "joiners", "joiners_hc": "joiners", "leavers_fte": "leavers", "leavers_hc": "leavers",
    "vacancy_fte": "vacancies",
}
MEASURE_GROUPS = tuple(dc.GROUPS)
# the reader's linear systems: columns in one system share base cells (start of a month = end of the month before)
FAMILIES: dict[str, tuple[str, ...]] = {
    "staff in post FTE": ("sip_end_fte", "sip_start_fte"), "staff in post headcount": ("sip_end_hc", "sip_start_hc"),
    "joiners FTE": ("joiners_fte",), "joiners headcount": ("joiners_hc",),
    "leavers FTE": ("leavers_fte",), "leavers headcount": ("leavers_hc",), "vacancies FTE": ("vacancy_fte",),
}
START_OF = {"sip_start_fte": "sip_end_fte", "sip_start_hc": "sip_end_hc"}
KNOWN_REST = frozenset({"joiners_hc", "leavers_hc"})  # modelled as if the reader knew the (tiny) rest
REST_TOL = 1e-6
STOCK_FLOW_ROUNDING = 0.25  # a store whose identity holds this closely (per base cell, FTE: 4 figures rounded to 0.1) is exact
NULL_TOL = 1e-9
USE_TOL = 1e-7
MAX_ROUNDS = 200
DEBUG = False

# A provider of extra tables: given one period's base rows (columns unit, org_code, area_code, cluster_group,
# benchmark_group and area_<footprint> / region_<footprint> for each footprint), the (kind, footprint, setting,
# code, unit) membership rows of the tables it publishes.
TableProvider = Callable[[pd.DataFrame, Sequence[str]], pd.DataFrame]


@dataclass
class Plan:
    """The hidden cells of every table for the store's periods. `tables`: (period, kind, footprint, setting, code)
    -> agg; `cells`: (period, agg, staff_group) -> hidden flag per measure group, value per column."""
    tables: pd.DataFrame
    cells: pd.DataFrame
    footprints: tuple[str, ...]
    stock_flow_exact: bool
    stats: dict = field(default_factory=dict)

    def hidden_counts(self) -> pd.DataFrame:
        """Hidden (cell, measure group) pairs per period and table kind, counted as table rows show them (a cell
        shown in two tables counts in each): period, kind, measure group, primary, joint, cells."""
        t = self.tables.merge(self.cells, on=["period", "agg"])
        rows = []
        for (p, kind), g in t.groupby(["period", "kind"], sort=True):
            for mg in MEASURE_GROUPS:
                if f"primary:{mg}" not in g:
                    continue
                present = g[f"present:{mg}"]
                rows.append({"period": p, "kind": kind, "measure": mg, "cells": int(present.sum()),
                             "primary": int((g[f"primary:{mg}"] & present).sum()),
                             "joint": int((g[f"hidden:{mg}"] & present).sum())})
        return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- the base rows
def _unit(frame: pd.DataFrame) -> np.ndarray:
    org = frame["org_code"].fillna("").astype(str).to_numpy(dtype=object)
    area = frame["area_code"].astype(str).to_numpy(dtype=object)
    return np.where(org != "", org, "area:" + area)


def base_rows(frame: pd.DataFrame, footprints: dict[str, pd.DataFrame],
              source_priority: Sequence[str] = ("turnover", "staff_in_post", "vacancy", "demo")) -> pd.DataFrame:
    """One row per period x unit x staff group (incl. "All staff groups"): each column from the first source in
    the metrics' priority that has it (as lib.insight.metrics does), and each unit's system and region on every
    footprint (`footprints`: key -> the same rows re-based onto that vintage's systems, row for row)."""
    f = pd.DataFrame({"period": frame["period_end"].astype(str).to_numpy(), "unit": _unit(frame),
                      "org_code": frame["org_code"].fillna("").astype(str).to_numpy(),
                      "staff_group": frame["staff_group"].astype(str).to_numpy(),
                      "cluster_group": frame["cluster_group"].fillna("").astype(str).to_numpy()
                      if "cluster_group" in frame else "",
                      "benchmark_group": frame["benchmark_group"].fillna("").astype(str).to_numpy()
                      if "benchmark_group" in frame else "",
                      "_rank": frame["source"].astype(str).map({s: i for i, s in enumerate(source_priority)})
                      .fillna(len(source_priority)).to_numpy()})
    for c in COLUMNS:
        f[c] = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float) if c in frame else np.nan
    for key, fr in footprints.items():
        f[f"area_{key}"] = fr["area_code"].astype(str).to_numpy()
        regions = geography.area_lookup_regions(key)
        f[f"region_{key}"] = f[f"area_{key}"].map(regions).fillna("").to_numpy()
    keys = ["period", "unit", "staff_group"]
    f = f.sort_values("_rank", kind="stable")
    # per source: sum the rows; then per cell the first source that has the column (NaN skipped by first())
    by_source = f.groupby([*keys, "_rank"], sort=False, dropna=False)[list(COLUMNS)].sum(min_count=1).reset_index()
    by_source = by_source.sort_values("_rank", kind="stable")
    vals = by_source.groupby(keys, sort=False)[list(COLUMNS)].first()
    info_cols = ["org_code", "cluster_group", "benchmark_group",
                 *[c for key in footprints for c in (f"area_{key}", f"region_{key}")]]
    info = f.groupby(keys, sort=False)[info_cols].first()
    return info.join(vals).reset_index()


def _stock_flow_exact(base: pd.DataFrame) -> bool:
    b = base.dropna(subset=["sip_start_fte", "joiners_fte", "leavers_fte", "sip_end_fte"])
    if b.empty:
        return False
    r = b["sip_start_fte"] + b["joiners_fte"] - b["leavers_fte"] - b["sip_end_fte"]
    return bool(r.abs().max() <= STOCK_FLOW_ROUNDING)


# ------------------------------------------------------------------------------------------------ the tables
def standard_tables(units: pd.DataFrame, footprints: Sequence[str]) -> pd.DataFrame:
    """The tables every viewer can reach (kind, footprint, setting, code, unit) from one period's units: the
    organisation table; systems, regions and England on every footprint; the same for each care setting. Peer
    groups show organisation cells (their funnel's pooled rate is computed from the shown cells only), so they
    add no sum of their own."""
    parts = []
    org = units[units["org_code"] != ""]
    parts.append(pd.DataFrame({"kind": "org", "footprint": "", "setting": "", "code": org["org_code"],
                               "unit": org["unit"]}))
    for key in footprints:
        area, region = units[f"area_{key}"], units[f"region_{key}"]
        for setting, sub in (("", units), *((s, org[org["cluster_group"] == s])
                                           for s in sorted(set(org["cluster_group"]) - {""}))):
            kind = "care" if setting else "area"
            a, r = area.loc[sub.index], region.loc[sub.index]
            parts.append(pd.DataFrame({"kind": kind, "footprint": key, "setting": setting, "code": a,
                                       "unit": sub["unit"]}))
            has_r = r != ""
            parts.append(pd.DataFrame({"kind": kind, "footprint": key, "setting": setting, "code": r[has_r],
                                       "unit": sub.loc[has_r, "unit"]}))
            parts.append(pd.DataFrame({"kind": kind, "footprint": key, "setting": setting, "code": ENGLAND,
                                       "unit": sub["unit"]}))
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------------------------- the solver
@dataclass
class _Family:
    name: str
    rows: sp.csr_matrix          # published cell rows over base cells
    row_cell: np.ndarray         # cell index of each row
    row_mg: np.ndarray           # measure-group index of each row
    block: np.ndarray            # period x staff group of each base cell (rows other than "All staff groups" and
                                 # a month's start stay in one)
    parts: list | None = None    # connected parts (rows, base cells), found once
    keys: list | None = None     # (period, unit, staff group, unaliased start) of each base cell


def _family(name: str, cols: Sequence[str], base: pd.DataFrame, mem: pd.DataFrame, cell_ix: pd.Series,
            mg_ix: dict[str, int]) -> _Family | None:
    """The reader's linear system for one family of columns: vars = base cells (aliases resolved), rows = cells."""
    groups = base[base["staff_group"] != ALL_STAFF]
    totals = base[base["staff_group"] == ALL_STAFF]
    var_keys: dict[tuple, int] = {}
    rows_parts = []

    def vid(keys: Iterable[tuple]) -> np.ndarray:
        out = np.empty(len(keys := list(keys)), dtype=np.int64)
        for i, k in enumerate(keys):
            out[i] = var_keys.setdefault(k, len(var_keys))
        return out

    for col in cols:
        g = groups[groups[col].notna()]
        # rest = total - sum of groups, where the reader cannot know it
        rest = pd.DataFrame(columns=["period", "unit", "staff_group", col])
        if col not in KNOWN_REST and not totals.empty:
            s = g.groupby(["period", "unit"])[col].sum()
            t = totals[totals[col].notna()].set_index(["period", "unit"])[col]
            diff = t - s.reindex(t.index).fillna(0.0)
            diff = diff[diff.abs() > REST_TOL]
            rest = diff.rename(col).reset_index().assign(staff_group=REST)
        v = pd.concat([g[["period", "unit", "staff_group", col]], rest], ignore_index=True)
        if v.empty:
            continue
        if col in START_OF:  # the start of a month is the end of the month before (where both are loaded, equal)
            end = START_OF[col]
            prev = v["period"].map(lambda p: month_add(p, -1))
            ends = {}
            for df in (groups[groups[end].notna()][["period", "unit", "staff_group", end]],):
                ends = dict(zip(zip(df["period"], df["unit"], df["staff_group"]), df[end]))
            if end not in KNOWN_REST and not totals.empty:
                se = groups.groupby(["period", "unit"])[end].sum()
                te = totals[totals[end].notna()].set_index(["period", "unit"])[end]
                de = te - se.reindex(te.index).fillna(0.0)
                ends.update({(p, u, REST): x for (p, u), x in de.items() if abs(x) > REST_TOL})
            keys = []
            for p, u, sg, x in zip(prev, v["unit"], v["staff_group"], v[col]):
                e = ends.get((p, u, sg))
                keys.append((end, p, u, sg) if e is not None and abs(e - x) <= 1e-9 else (col, p, u, sg))
            v["var"] = vid(keys)
        else:
            v["var"] = vid((col, p, u, sg) for p, u, sg in zip(v["period"], v["unit"], v["staff_group"]))
        m = mem.merge(v[["period", "unit", "staff_group", "var"]], on=["period", "unit"])
        own = m[m["staff_group"] != REST][["period", "agg", "staff_group", "var"]]
        tot = m[["period", "agg", "var"]].assign(staff_group=ALL_STAFF)
        entries = pd.concat([own, tot], ignore_index=True)
        idx = pd.MultiIndex.from_frame(entries[["period", "agg", "staff_group"]])
        cell = cell_ix.reindex(idx).to_numpy()
        entries = entries.assign(cell=cell)
        entries = entries[~np.isnan(cell)]
        rows_parts.append((col, entries))
    if not rows_parts:
        return None
    nvar = len(var_keys)
    mats, cells, mgs = [], [], []
    for col, e in rows_parts:
        rc, rinv = np.unique(e["cell"].to_numpy(dtype=np.int64), return_inverse=True)
        mats.append(sp.csr_matrix((np.ones(len(e)), (rinv, e["var"].to_numpy())), shape=(len(rc), nvar)))
        cells.append(rc)
        mgs.append(np.full(len(rc), mg_ix[COLUMNS[col]]))
    block = pd.factorize(pd.Series([f"{k[1]}|{k[3]}" for k in var_keys]))[0]  # period x staff group
    keys = [(k[1], k[2], k[3], k[0] in START_OF) for k in var_keys]  # (period, unit, group, unaliased start)
    return _Family(name, sp.vstack(mats, format="csr"), np.concatenate(cells), np.concatenate(mgs), block,
                   keys=keys)


def _orth_rows(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V, lam, U) with V an orthonormal basis of M's row space (columns), from the eigenvectors of the smaller
    Gram matrix: M^T M = V diag(lam) V^T (or M M^T = U diag(lam) U^T, V = M^T U / sqrt(lam))."""
    m, n = M.shape
    if m == 0 or n == 0:
        return np.zeros((n, 0)), np.zeros(0), np.zeros((m, 0))
    if n <= m:
        lam, V = np.linalg.eigh(M.T @ M)
        keep = lam > NULL_TOL * max(1.0, float(lam[-1])) * n
        V, lam = V[:, keep], lam[keep]
        return V, lam, (M @ V) / np.sqrt(lam)
    lam, U = np.linalg.eigh(M @ M.T)
    keep = lam > NULL_TOL * max(1.0, float(lam[-1])) * m
    U, lam = U[:, keep], lam[keep]
    return (M.T @ U) / np.sqrt(lam), lam, U


def determined(rows: sp.csr_matrix, shown: np.ndarray, block: np.ndarray | None = None,
               want: np.ndarray | None = None) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Which rows NOT shown are determined by the shown ones (their row lies in the shown rows' row space), and for
    each the shown rows a reader's derivation of it uses (least-squares certificate: shown aggregate rows with a
    non-zero weight, plus the singly shown base cells it subtracts).

    rows: cells x base cells (0/1); shown: bool per row; block: a label per base cell (its staff group) such that
    most rows stay inside one block (the rest, "All staff groups" rows, couple them); want: rows to test (default
    every hidden row). Exact linear algebra in floating point on small dense blocks: with P the projector onto the
    one-block shown rows' row space (block diagonal) and C' the coupling rows with P taken off, a row h is
    determined iff (I - P) h lies in the row space of C'."""
    rows = sp.csr_matrix(rows)
    nnz = np.diff(rows.indptr)
    single = shown & (nnz == 1)
    known = np.zeros(rows.shape[1], dtype=bool)
    known[rows.indices[rows.indptr[:-1][single]]] = True
    unknown = np.flatnonzero(~known)
    test = np.flatnonzero(~shown) if want is None else np.asarray(want, dtype=np.int64)
    if len(test) == 0:
        return np.zeros(0, dtype=np.int64), {}
    blk_all = np.zeros(rows.shape[1], dtype=np.int64) if block is None else np.asarray(block, dtype=np.int64)
    blk = blk_all[unknown]
    srows = np.flatnonzero(shown & (nnz > 1))
    MS = rows[srows][:, unknown].tocsr()
    keep_rows = np.diff(MS.indptr) > 0
    srows, MS = srows[keep_rows], MS[keep_rows]
    MH = rows[test][:, unknown].tocsr()
    # rows inside one block vs coupling rows
    if MS.nnz:
        rb = blk[MS.indices]
        starts = MS.indptr[:-1]
        lo = np.minimum.reduceat(rb, starts)
        hi = np.maximum.reduceat(rb, starts)
        one = lo == hi
    else:
        lo, one = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    blocks = {}
    for b in np.unique(blk):
        cols = np.flatnonzero(blk == b)
        rws = np.flatnonzero(one & (lo == b))
        Bb = MS[rws][:, cols].toarray()
        V, lam, U = _orth_rows(Bb)
        blocks[int(b)] = (cols, rws, V, lam, U)

    def off_p(X: sp.csr_matrix) -> np.ndarray:  # X (I - P) as a dense array
        out = X.toarray()
        Xc = X.tocsc()
        for cols, _, V, _, _ in blocks.values():
            if V.shape[1]:
                out[:, cols] -= (Xc[:, cols] @ V) @ V.T
        return out

    crows = np.flatnonzero(~one)
    Cp = off_p(MS[crows])
    Q, lamc, Uc = _orth_rows(Cp)
    if DEBUG:
        print(f"  unknowns {len(unknown)}, one-block rows {int(one.sum())}, coupling rows {len(crows)} "
              f"(rank {Q.shape[1]}), blocks {len(blocks)}, tested {len(test)}", flush=True)
    det = np.zeros(len(test), dtype=bool)
    uses: dict[int, np.ndarray] = {}
    var_single = np.full(rows.shape[1], -1, dtype=np.int64)  # base cell -> the row showing it alone
    srow_ix = np.flatnonzero(single)
    var_single[rows.indices[rows.indptr[:-1][srow_ix]]] = srow_ix
    RS_T = rows[srows].T.tocsr()
    C_T = MS[crows].T.tocsr()
    # ||(I - Pi) h||^2 = ||h||^2 - ||P h||^2 - ||Q^T h||^2 with Pi = P + Q Q^T the projector onto the shown rows'
    # row space (Q lies in the range of I - P): sparse products only, for every tested row at once
    MHc = MH.tocsc()
    hv = {}
    resid = np.asarray(MH.multiply(MH).sum(axis=1)).ravel()
    for b, (cols, _, V, _, _) in blocks.items():
        if V.shape[1]:
            hv[b] = np.asarray(MHc[:, cols] @ V)
            resid -= (hv[b] ** 2).sum(axis=1)
    if Q.shape[1]:
        resid -= (np.asarray(MH @ Q) ** 2).sum(axis=1)
    det = resid < 1e-9 * np.maximum(1.0, np.asarray(MH.multiply(MH).sum(axis=1)).ravel())
    chunk = 400
    dix = np.flatnonzero(det)
    for s0 in range(0, len(dix), chunk):
        ix = dix[s0:s0 + chunk]
        # certificates for the determined rows, all at once: coupling weights z, then block weights
        Td = MH[ix].toarray()
        for b, (cols, _, V, _, _) in blocks.items():
            if b in hv:
                Td[:, cols] -= hv[b][ix] @ V.T
        y = np.zeros((len(ix), len(srows)))
        rest = MH[ix].toarray()
        if Q.shape[1]:
            Z = ((Td @ Q) / np.sqrt(lamc)) @ Uc.T
            y[:, crows] = Z
            rest -= (C_T @ Z.T).T
        for cols, rws, V, lam, U in blocks.values():
            if V.shape[1]:
                y[:, rws] += ((rest[:, cols] @ V) / np.sqrt(lam)) @ U.T
        full = rows[test[ix]].toarray() - (RS_T @ y.T).T
        for j, i in enumerate(ix):
            used = srows[np.abs(y[j]) > USE_TOL]
            ks = var_single[known & (np.abs(full[j]) > USE_TOL)]
            used = np.concatenate([used, ks[ks >= 0]]).astype(np.int64)
            uses[int(test[i])] = used
    return test[det], uses


def _dominated(a: _Family, b: _Family) -> bool:
    """True when b's system is a's plus unknowns of its own (the staff-in-post headcount "rest", people in two
    groups) with the same cells and hidden flags: anything determined in b is then determined in a (drop the extra
    unknowns from a derivation), so once a has nothing determined neither has b."""
    if not (np.array_equal(a.row_cell, b.row_cell) and np.array_equal(a.row_mg, b.row_mg)):
        return False
    if any(k[2] == REST for k in a.keys):
        return False
    ix = {k: i for i, k in enumerate(a.keys)}
    cmap = np.array([ix.get(k, -1) for k in b.keys])
    if (cmap[np.array([k[2] != REST for k in b.keys], dtype=bool)] < 0).any():
        return False
    B = b.rows.tocoo()
    keep = cmap[B.col] >= 0
    mapped = sp.csr_matrix((B.data[keep], (B.row[keep], cmap[B.col[keep]])), shape=a.rows.shape)
    return (mapped != a.rows).nnz == 0


def _same_system(a: _Family, b: _Family) -> bool:
    return (a.rows.shape == b.rows.shape and np.array_equal(a.row_cell, b.row_cell)
            and np.array_equal(a.row_mg, b.row_mg) and (a.rows != b.rows).nnz == 0)


def _components(fam: _Family) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, base cells) of each connected part of a family's system (e.g. each month of a flow): solved apart."""
    R = fam.rows.tocoo()
    nb = int(fam.block.max()) + 1 if len(fam.block) else 0
    rb = fam.block[R.col]
    # blocks linked by a row that spans them
    link = sp.coo_matrix((np.ones(len(R.row)), (R.row, rb)), shape=(R.shape[0], nb)).tocsr()
    adj = (link.T @ link).tocsr()
    ncomp, lab = connected_components(adj, directed=False)
    first = np.full(R.shape[0], -1)
    first[R.row[::-1]] = rb[::-1]
    row_comp = lab[first]
    var_comp = lab[fam.block]
    return [(np.flatnonzero(row_comp == k), np.flatnonzero(var_comp == k)) for k in range(ncomp)]


def _determined_by_component(fam: _Family, shown: np.ndarray, want: np.ndarray | None
                             ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    if fam.parts is None:
        fam.parts = _components(fam)
    det_all, uses_all = [], {}
    for rws, cols in fam.parts:
        w = None
        if want is not None:
            w = np.flatnonzero(np.isin(rws, want))
            if len(w) == 0:
                continue
        sub = fam.rows[rws][:, cols]
        det, uses = determined(sub, shown[rws], fam.block[cols], w)
        det_all.append(rws[det])
        uses_all.update({int(rws[k]): rws[v] for k, v in uses.items()})
    return (np.concatenate(det_all) if det_all else np.zeros(0, dtype=np.int64)), uses_all


def _closeness(mem: pd.DataFrame) -> np.ndarray:
    """agg x agg: how many published unit sets contain both (each one's sums are broken by hiding the other)."""
    a_ix = mem["agg"].to_numpy(dtype=np.int64)
    u_ix = pd.factorize(mem["period"] + "\x01" + mem["unit"])[0]
    n = int(a_ix.max()) + 1
    A = sp.csr_matrix((np.ones(len(a_ix)), (a_ix, u_ix)), shape=(n, int(u_ix.max()) + 1))
    inter = (A @ A.T).toarray()
    size = np.asarray(A.sum(axis=1)).ravel()
    sup = (inter >= size[:, None]).astype(np.float64)  # sup[a, b]: b contains a
    return sup @ sup.T


def _relations(mem: pd.DataFrame, cells: pd.DataFrame, cell_ix: pd.Series) -> pd.DataFrame:
    """The plain sums between cells (rel, cell, total): a table row = the sum of its units' own rows (same staff
    group), and "All staff groups" = the sum of the groups (FTE adds up; a staff-in-post cell is hidden for FTE and
    headcount together, so the FTE sum decides). The quick rule below (_peel) works on these; the linear test
    catches every combination of them."""
    size = mem.groupby("agg")["unit"].transform("size")
    single = mem[size == 1][["period", "unit", "agg"]].rename(columns={"agg": "own"})
    multi = mem[size > 1][["period", "agg", "unit"]]
    groups = cells[["period", "agg", "staff_group"]].assign(cell=np.arange(len(cells)))
    parts = []
    # a table row = sum of its units' own rows
    m = multi.merge(single, on=["period", "unit"])
    m = m.merge(groups.rename(columns={"agg": "own", "cell": "part"}), on=["period", "own"])
    m = m.merge(groups.rename(columns={"cell": "whole"}), on=["period", "agg", "staff_group"])
    key = m["period"] + "|" + m["agg"].astype(str) + "|" + m["staff_group"]
    parts.append(pd.DataFrame({"rel": "u|" + key, "cell": m["part"], "total": False}))
    w = m.drop_duplicates("whole")
    parts.append(pd.DataFrame({"rel": "u|" + key.loc[w.index], "cell": w["whole"], "total": True}))
    # "All staff groups" = sum of the groups
    g = groups.copy()
    key = g["period"] + "|" + g["agg"].astype(str)
    parts.append(pd.DataFrame({"rel": "g|" + key, "cell": g["cell"], "total": g["staff_group"] == ALL_STAFF}))
    out = pd.concat(parts, ignore_index=True)
    out["rel"] = pd.factorize(out["rel"])[0]
    return out


def _peel(rel: pd.DataFrame, hidden: np.ndarray, present: np.ndarray, cost: np.ndarray,
          primary: np.ndarray | None = None) -> None:
    """Where a sum has exactly one hidden cell (total or part) and it is a count under 5 (`primary`; default any),
    hide its smallest other part (fewest people), or its total when no part is left to hide; repeated until no such
    sum is left (updates `hidden`). A lone complementary cell is left alone: a reader may work it out, but it is 5
    or more and tells nothing the shown cells do not (the release below shows such cells again)."""
    r = rel["rel"].to_numpy()
    c = rel["cell"].to_numpy()
    tot = rel["total"].to_numpy()
    nrel = int(r.max()) + 1 if len(r) else 0
    for i in range(hidden.shape[0]):
        ok = present[i][c]
        for _ in range(MAX_ROUNDS):
            h = hidden[i][c] & ok
            cnt = np.bincount(r, weights=h, minlength=nrel)
            lone = (cnt == 1)
            if primary is not None:
                lone &= np.bincount(r, weights=h & primary[i][c], minlength=nrel) == 1
            lone = lone[r]
            if not lone.any():
                break
            before = int(hidden[i].sum())
            cand = lone & ok & ~h & ~tot
            d = pd.DataFrame({"r": r[cand], "c": c[cand], "cost": cost[i][c[cand]]})
            pick = d.sort_values(["cost", "c"], kind="stable").drop_duplicates("r")
            hidden[i][pick["c"].to_numpy()] = True
            left = np.setdiff1d(np.unique(r[lone]), pick["r"].to_numpy())
            tcells = c[tot & ok & np.isin(r, left)]
            hidden[i][tcells] = True
            if int(hidden[i].sum()) == before:  # only sums with nothing shown left: nothing to add
                break



def _release(families: Sequence[_Family], hidden: np.ndarray, primary: np.ndarray, present: np.ndarray,
             stock: Sequence[int], flows: Sequence[int]) -> int:
    """Show again every complementary (not primary) hidden cell that the shown cells determine in every system it
    is in: a reader works it out anyway, so hiding it protects nothing, and showing it adds a row already in the
    shown rows' row space, so nothing else becomes determined (all are shown at once). In a store where the
    stock-flow identity holds, a flow hidden with its hidden stock stays hidden. Updates `hidden`; returns how many
    (measure group, cell) pairs were shown again."""
    undetermined = np.zeros_like(hidden)
    seen = np.zeros_like(hidden)
    for fam in families:
        shown = ~hidden[fam.row_mg, fam.row_cell]
        test = np.flatnonzero(~shown & ~primary[fam.row_mg, fam.row_cell])
        seen[fam.row_mg[test], fam.row_cell[test]] = True
        if len(test) == 0:
            continue
        det, _ = _determined_by_component(fam, shown, test)
        left = np.setdiff1d(test, det)
        undetermined[fam.row_mg[left], fam.row_cell[left]] = True
    free = hidden & ~primary & present & seen & ~undetermined
    if len(stock):
        anyh = hidden[list(stock)].any(axis=0)
        for i in flows:
            free[i] &= ~anyh
    hidden &= ~free
    return int(free.sum())

def _start_alias(sets: pd.DataFrame, cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(cells at the start of a month, the same cells at the end of the month before): the same units and staff
    group, with the same values (staff in post at the start of a month is the end of the month before)."""
    units = sets.drop_duplicates("agg").set_index("agg")["unit"].map("\x02".join)
    c = cells[["period", "agg", "staff_group"]].assign(units=cells["agg"].map(units).to_numpy(),
                                                       cell=np.arange(len(cells)))
    c["prev"] = c["period"].map(lambda p: month_add(p, -1))
    m = c.merge(c, left_on=["prev", "units", "staff_group"], right_on=["period", "units", "staff_group"],
                suffixes=("", "_end"))
    start = m["cell"].to_numpy()
    end = m["cell_end"].to_numpy()
    same = np.ones(len(m), dtype=bool)
    for s_col, e_col in START_OF.items():
        a = cells[s_col].to_numpy(dtype=float)[start]
        b = cells[e_col].to_numpy(dtype=float)[end]
        same &= (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= 1e-9)
    return start[same], end[same]


def _sync(alias: tuple[np.ndarray, np.ndarray], hidden: np.ndarray, mg_ix: dict[str, int]) -> None:
    """A start-of-month cell and the end-of-last-month cell it equals are hidden together (updates `hidden`)."""
    start, end = alias
    if len(start) == 0:
        return
    s, e = mg_ix["staff in post at start"], mg_ix["staff in post"]
    both = hidden[s][start] | hidden[e][end]
    hidden[s][start] = both
    hidden[e][end] = both


def _plan_from_base(base: pd.DataFrame, footprints: Sequence[str], extra_tables: Sequence[TableProvider] = (),
                    stock_flow: bool | None = None, standard: TableProvider | None = None) -> Plan:
    """The plan for base rows (base_rows). standard: the standard tables' provider (default standard_tables; the
    bench bench/bench_disclosure_joint_families.py leaves families out with it)."""
    t0 = time.perf_counter()
    units = base.drop_duplicates(["period", "unit"]).reset_index(drop=True)
    parts = []
    for p, u in units.groupby("period", sort=True):
        u = u.reset_index(drop=True)
        t = [(standard or standard_tables)(u, footprints), *(fn(u, footprints) for fn in extra_tables)]
        parts.append(pd.concat(t, ignore_index=True).assign(period=p))
    tables = pd.concat(parts, ignore_index=True).drop_duplicates()
    # one aggregate per distinct set of units in a period: the same cell however many tables show it
    sets = tables.groupby(["period", "kind", "footprint", "setting", "code"], sort=False)["unit"].agg(
        lambda s: tuple(sorted(s)))
    sets = sets.reset_index()
    sets["agg"] = pd.factorize(sets["period"] + "\x01" + sets["unit"].map("\x02".join))[0]
    mem = sets[["period", "agg", "unit"]].drop_duplicates("agg").explode("unit")
    table_index = sets.drop(columns="unit")
    # cells: (period, agg, staff group) present in the data, with their published values
    vals = mem.merge(base[["period", "unit", "staff_group", *COLUMNS]], on=["period", "unit"])
    cells = vals.groupby(["period", "agg", "staff_group"], sort=True)[list(COLUMNS)].sum(min_count=1).reset_index()
    cell_ix = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_frame(cells[["period", "agg", "staff_group"]]))
    mg_ix = {mg: i for i, mg in enumerate(MEASURE_GROUPS)}
    ncell = len(cells)
    hidden = np.zeros((len(MEASURE_GROUPS), ncell), dtype=bool)
    present = np.zeros_like(hidden)
    cost = np.full(hidden.shape, np.inf)
    for mg, (trig, _) in dc.GROUPS.items():
        cols = [c for c in trig if c in cells]
        i = mg_ix[mg]
        for c in ({"headcount": "sip_end_hc", "fte": "sip_end_fte"}.get(x, x) for x in cols):
            v = cells[c].to_numpy(dtype=float)
            present[i] |= ~np.isnan(v)
            hidden[i] |= v < dc.THRESHOLD
        hc = next((c for c in cols if c.endswith("_hc")), None)
        fte = next((c for c in cols if c.endswith("fte")), None)
        for c in (fte, hc):  # people (headcount) where published, else FTE
            if c is not None:
                v = cells[{"headcount": "sip_end_hc", "fte": "sip_end_fte"}.get(c, c)].to_numpy(dtype=float)
                cost[i] = np.where(np.isnan(v), cost[i], v)
    primary = hidden.copy()
    exact = _stock_flow_exact(base) if stock_flow is None else stock_flow
    relations = _relations(mem, cells, cell_ix)
    close = _closeness(mem)
    cell_agg = cells["agg"].to_numpy()
    alias = _start_alias(sets, cells)
    families: list[_Family] = []
    dominated: list[_Family] = []  # tested once at the end (see the release below)
    for name, cols in FAMILIES.items():
        f = _family(name, cols, base, mem, cell_ix, mg_ix)
        # joiner and leaver headcount have exactly the FTE system (same cells, same sums): solved once
        # and staff-in-post headcount is the FTE system with the headcount rest added (see _dominated)
        if f is None or any(_same_system(f, g) for g in families):
            continue
        if any(_dominated(g, f) for g in families):
            dominated.append(f)
        else:
            families.append(f)
    t1 = time.perf_counter()
    rounds, added_by_round = 0, []
    stock = [mg_ix[m] for m in dc.STOCK_FLOW if m in mg_ix]
    flows = [mg_ix[m] for m in dc.FLOWS]
    # Each round tests only what can have changed: hiding cells shrinks the shown rows' row space, so a hidden cell
    # that was not determined stays so; the cells newly hidden and those determined last round are tested again.
    state: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    solve_calls = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        before = int(hidden.sum())
        if exact:  # a hidden term of start + joiners - leavers = end hides both flows of the cell
            anyh = hidden[stock].any(axis=0)
            for i in flows:
                hidden[i] |= anyh & present[i]
        _peel(relations, hidden, present, cost, primary)
        _sync(alias, hidden, mg_ix)
        picks: set[tuple[int, int]] = set()
        for fam in families:
            shown = ~hidden[fam.row_mg, fam.row_cell]
            if fam.name in state:
                prev_shown, last = state[fam.name]
                want = last[~shown[last]]
                if len(want) == 0:
                    continue
            else:  # the counts under 5: what must not be determined
                want = np.flatnonzero(~shown & primary[fam.row_mg, fam.row_cell])
            _t = time.perf_counter()
            det, uses = _determined_by_component(fam, shown, want)
            solve_calls += 1
            state[fam.name] = (shown, det)
            if DEBUG:
                print(f"round {rounds} {fam.name}: rows {fam.rows.shape}, hidden {int((~shown).sum())}, tested "
                      f"{'all' if want is None else len(want)}, determined {len(det)}, "
                      f"{time.perf_counter() - _t:.2f}s", flush=True)
            # greedy: for each determined cell, of the shown cells its derivation uses, the one in the most tables
            # that also hold the determined cell, then the fewest people
            for r in det:
                used = uses.get(int(r), np.zeros(0, dtype=np.int64))
                used = used[shown[used]]
                if len(used) == 0:
                    continue
                c = cost[fam.row_mg[used], fam.row_cell[used]]
                near = close[cell_agg[fam.row_cell[r]], cell_agg[fam.row_cell[used]]]
                best = used[int(np.lexsort((used, c, -near))[0])]
                picks.add((int(fam.row_mg[best]), int(fam.row_cell[best])))
        for i, c in picks:
            hidden[i, c] = True
        added_by_round.append(int(hidden.sum()) - before)
        if int(hidden.sum()) == before:
            break
    released = _release(families + dominated, hidden, primary, present, stock if exact else [],
                        flows if exact else [])
    _sync(alias, hidden, mg_ix)
    for mg, i in mg_ix.items():
        cells[f"present:{mg}"] = present[i]
        cells[f"primary:{mg}"] = primary[i] & present[i]
        cells[f"hidden:{mg}"] = hidden[i] & present[i]
    stats = {"build_s": t1 - t0, "solve_s": time.perf_counter() - t1, "rounds": rounds, "solves": solve_calls,
             "added_by_round": added_by_round, "released": released, "cells": ncell, "aggregates": int(sets["agg"].nunique())}
    return Plan(table_index, cells, tuple(footprints), exact, stats)


def plan_frame(frame: pd.DataFrame, footprints: dict[str, pd.DataFrame],
               extra_tables: Sequence[TableProvider] = (), stock_flow: bool | None = None,
               source_priority: Sequence[str] | None = None) -> Plan:
    """The plan for canonical rows (`frame`, as published) and the same rows on each footprint offered.
    source_priority: which source's figures count where several give one (lib.insight.metrics.SOURCE_PRIORITY)."""
    base = base_rows(frame, footprints) if source_priority is None else base_rows(frame, footprints, source_priority)
    # One BLAS thread: the solver's dense products are small (a few hundred unknowns a block) and many; with
    # OpenBLAS's threads on a shared 2-core machine they cost 5x the CPU (py-spy: 53 s against 9 s on the real
    # Oct/Nov-25 store), the threads spinning for each other.
    with threadpool_limits(limits=1, user_api="blas"):
        return _plan_from_base(base, list(footprints), extra_tables, stock_flow)


def plan_base(base: pd.DataFrame, footprints: Sequence[str], extra_tables: Sequence[TableProvider] = (),
              stock_flow: bool | None = None) -> Plan:
    """The plan for any model of base cells already in base_rows' shape (period, unit, staff_group with ALL_STAFF
    the unit's total, org_code, cluster_group, benchmark_group, area_<key> / region_<key> per footprint, COLUMNS):
    e.g. primary care networks' roles (lib.sharing.pcn_joint), where a unit is a PCN x data source and a role a
    staff group. Units with org_code "" get from standard_tables only the systems, regions and England of every
    footprint; every other table comes from `extra_tables`."""
    with threadpool_limits(limits=1, user_api="blas"):  # as plan_frame
        return _plan_from_base(base, list(footprints), extra_tables, stock_flow)


def store_plan(data_dir: str | Path, level: str, extra_tables: Sequence[TableProvider] = (),
               source_priority: Sequence[str] | None = None) -> Plan:
    """The plan for every period of a store's level (geography key or store level), on every footprint the app
    offers for it (geography.level_vintages). The app (ui.data) and the CLI both call this: same hidden cells."""
    store = geography.store_level(level)
    frame = loader.load_frame(data_dir, store)
    keys = [v.key for v in geography.level_vintages(store)]
    fps = {k: rebase(frame, k, seen_systems(data_dir, k)) if not frame.empty else frame for k in keys}
    return plan_frame(frame, fps, extra_tables, source_priority=source_priority)


# ---------------------------------------------------------------------------------------------- kept on disk
PLAN_FILES = ("tables.parquet", "cells.parquet", "plan.json")


def save_plan(plan: Plan, directory: str | Path) -> None:
    """Write a plan as two Parquet tables and a JSON note into `directory` (made here; it must not exist yet).
    Plain data, never pickle: a plan is read back from a data directory."""
    d = Path(directory)
    d.mkdir(parents=True)
    plan.tables.to_parquet(d / "tables.parquet", index=False)
    plan.cells.to_parquet(d / "cells.parquet", index=False)
    meta = {"footprints": list(plan.footprints), "stock_flow_exact": bool(plan.stock_flow_exact),
            "stats": json.loads(json.dumps(plan.stats, default=float))}
    (d / "plan.json").write_text(json.dumps(meta), encoding="utf-8")


def load_plan(directory: str | Path) -> Plan:
    """A plan written by save_plan. Raises ValueError when a file is missing or not what save_plan writes."""
    d = Path(directory)
    try:
        meta = json.loads((d / "plan.json").read_text(encoding="utf-8"))
        tables = pd.read_parquet(d / "tables.parquet")
        cells = pd.read_parquet(d / "cells.parquet")
    except (OSError, ValueError) as exc:
        raise ValueError(f"{d}: not a saved disclosure plan ({exc})") from exc
    need_t = {"period", "kind", "footprint", "setting", "code", "agg"}
    need_c = {"period", "agg", "staff_group", *(f"{x}:{mg}" for mg in MEASURE_GROUPS
                                                for x in ("present", "primary", "hidden"))}
    if not (need_t <= set(tables.columns) and need_c <= set(cells.columns)
            and isinstance(meta.get("footprints"), list)):
        raise ValueError(f"{d}: a saved disclosure plan lacks columns it needs")
    return Plan(tables, cells, tuple(meta["footprints"]), bool(meta.get("stock_flow_exact")), meta.get("stats", {}))


# ------------------------------------------------------------------------------------------------ applying it
def apply(df: pd.DataFrame, plan: Plan, kind: str, footprint: str = "", setting: str = "",
          code_column: str = "area_code") -> pd.DataFrame:
    """A copy of a table (period, <code_column>, staff_group rows; metrics columns) with the plan's hidden cells
    NaN and a `suppressed` column naming them, as lib.sharing.disclosure.suppress_metrics does. A row the plan does
    not know (a table, unit or staff group it was not built with) is hidden whole: fail closed."""
    out = df.copy()
    if out.empty:
        out[dc.SUPPRESSED_COLUMN] = pd.Series(dtype=str)
        return out
    fp = "" if kind == "org" else footprint
    t = plan.tables[(plan.tables["kind"] == kind) & (plan.tables["footprint"] == fp)
                    & (plan.tables["setting"] == setting)][["period", "code", "agg"]]
    keys = pd.DataFrame({"period": out["period"].astype(str).to_numpy(),
                         "code": out[code_column].astype(str).to_numpy(),
                         "staff_group": out["staff_group"].astype(str).to_numpy()})
    flags = [f"hidden:{mg}" for mg in MEASURE_GROUPS]
    m = keys.merge(t, on=["period", "code"], how="left").merge(
        plan.cells[["period", "agg", "staff_group", *flags]], on=["period", "agg", "staff_group"], how="left")
    labels = np.full(len(out), "", dtype=object)
    for mg, (_, cols) in dc.GROUPS.items():
        h = m[f"hidden:{mg}"].astype("boolean").fillna(True).to_numpy(dtype=bool)  # unknown row: hidden
        if not h.any():
            continue
        for c in (*cols, *dc.DEPENDENTS.get(mg, ())):
            if c in out:
                out[c] = out[c].astype(float).where(~h, np.nan)
        labels = np.where(h, np.where(labels == "", mg, labels + "; " + mg), labels)
    out[dc.SUPPRESSED_COLUMN] = labels.astype(str)
    return out


def cell_hidden(plan: Plan, kind: str, footprint: str, code: str, period: str, staff_group: str,
                measure_group: str, setting: str = "") -> bool:
    """Whether one table cell is hidden (True too when the plan does not know it: fail closed)."""
    fp = "" if kind == "org" else footprint
    t = plan.tables
    a = t.loc[(t["period"] == period) & (t["kind"] == kind) & (t["footprint"] == fp) & (t["setting"] == setting)
              & (t["code"] == code), "agg"]
    if a.empty:
        return True
    c = plan.cells
    row = c[(c["period"] == period) & (c["agg"] == int(a.iloc[0])) & (c["staff_group"] == staff_group)]
    if row.empty:
        return True
    return bool(row[f"hidden:{measure_group}"].iloc[0])


def bridge_hidden(plan: Plan, kind: str, footprint: str, code: str, start_month: str, end_month: str,
                  staff_group: str) -> bool:
    """Whether a staff-in-post bridge (lib.insight.bridge: start, leavers, joiners, residual, end) would show a
    hidden figure: any of its stocks or flows hidden in the tables. With all four shown, the residual is worked out
    from shown figures and reveals nothing more."""
    months = month_range(month_add(start_month, 1), end_month) if end_month > start_month else [end_month]
    checks = [(months[0], "staff in post at start"), (end_month, "staff in post"),
              *((m, f) for m in months for f in ("leavers", "joiners"))]
    return any(cell_hidden(plan, kind, footprint, code, p, staff_group, mg) for p, mg in checks)
