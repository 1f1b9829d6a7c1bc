"""A cross-table attacker on primary care network (PCN) tables (issue 22 item 2): take every PCN table a viewer can
see for a quarter, write down every sum that holds exactly between them, solve, and list the hidden cells under 5
it pins down.

What the reader sees (built as the page, the board pack and `python -m lib roles` build them: lib.insight.pcn_roles'
roles_table, then the suppression under test): for every data source (every source, NWRS Staff, NWRS contracted
services) the PCN x role table (each PCN's "All roles" too) and the systems, regions and England x role tables on
the 2022 and 2026 ICBs.

Sums used (from the tables' own rows and the footprint each PCN is shown in, not from lib.sharing.joint): every
cell is the sum of its PCNs' cells per data source and role; "All roles" the sum of the roles; "every source" the sum
of the two. FTE and headcount both add up this way. Unknowns: the PCN x source x role cells hidden in the per-source
PCN tables. A hidden cell is recovered when its row (over the unknowns) lies in the row space of the shown cells'
rows: checked per connected component against an orthonormal basis from Householder QR with column pivoting
(scipy.linalg.qr), its value solved from the same factors.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from lib.insight import pcn_roles
from lib.sharing.disclosure import small_cell

THRESHOLD = 5
SOURCES = ("all", "staff", "contracted")
COLUMNS = ("fte", "headcount")


@dataclass
class Table:
    name: str
    kind: str          # "pcn" or "area"
    footprint: str
    source: str
    shown: pd.DataFrame
    truth: pd.DataFrame


def per_table_rule(grid: pd.DataFrame, also: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rule PCN tables had before issue 22 (lib.sharing.pcn_cells.hide_small_cells, kept here as the baseline):
    small cells hidden, then in every row (a unit's roles and 'All roles'), every column (a role over the units and
    the column total shown elsewhere) and every `also` sum, a single hidden member hides the smallest shown one."""
    out = grid.reset_index(drop=True).copy()
    parent = out.groupby("role", as_index=False)[["fte", "headcount"]].sum().assign(area_code="__parent__")
    out = pd.concat([out, parent], ignore_index=True)
    hc = out["headcount"].to_numpy(dtype=float)
    hidden = small_cell(out["headcount"], out["fte"]).copy()
    keys = [out["area_code"].astype(str).to_numpy(), out["role"].astype(str).to_numpy()]
    if also:
        k = out[also[0]].fillna("").astype(str)
        for c in also[1:]:
            k = k + "\x1f" + out[c].fillna("").astype(str)
        keys.append(k.to_numpy())
    members = [np.asarray(ix) for k in keys for ix in pd.Series(k).groupby(k).indices.values()]
    for _ in range(20):
        changed = False
        for ix in members:
            if len(ix) < 2 or hidden[ix].sum() != 1:
                continue
            shown = ix[~hidden[ix]]
            hidden[shown[np.argmin(hc[shown])]] = True
            changed = True
        if not changed:
            break
    for c in COLUMNS:
        out[c] = out[c].astype(float).where(~hidden, np.nan)
    return out[out["area_code"] != "__parent__"].reset_index(drop=True)


def viewer_tables(frames: dict[str, pd.DataFrame], period: str, suppress: str, plan=None) -> list[Table]:
    """Every PCN table of one quarter (frames: footprint key -> PCN rows on it, lib.data.pcn_store.on_footprint).
    suppress: "joint" (lib.sharing.pcn_joint.apply with `plan`), "per_table" (the rule before issue 22, as the
    CLI applied it) or "none"."""
    from lib.data import geography
    from lib.sharing import pcn_joint
    out = []
    keys = list(frames)
    for source in SOURCES:
        pcn = pcn_roles.roles_table(frames[keys[0]], period, by="pcn", source=source)
        if suppress == "joint":
            shown = pcn_joint.apply(pcn, plan, pcn_joint.PCN, source=source)
        elif suppress == "per_table":
            shown = per_table_rule(pcn, also=("system_code", "role"))
        else:
            shown = pcn
        out.append(Table(f"PCNs, {source}", "pcn", "", source, shown, pcn))
        for fp, frame in frames.items():
            systems = list(geography.vintage(fp).areas["code"])
            for by in ("area", "region", "england"):
                t = pcn_roles.roles_table(frame, period, by=by, source=source,
                                          systems=systems if by == "area" else None)
                if suppress == "joint":
                    shown = pcn_joint.apply(t, plan, pcn_joint.AREA, fp, source)
                elif suppress == "per_table":
                    shown = per_table_rule(t)
                else:
                    shown = t
                out.append(Table(f"{by} {fp}, {source}", "area", fp, source, shown, t))
    return out


def recovered(tables: list[Table], frames: dict[str, pd.DataFrame], period: str,
              columns: tuple[str, ...] = COLUMNS) -> tuple[list[tuple], dict[str, int]]:
    """([(table, code, role, column, solved, true)] for hidden cells under 5 pinned down exactly,
    {column: hidden cells under 5 attacked})."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _recovered(tables, frames, period, columns)


def _members(frames: dict[str, pd.DataFrame], period: str) -> dict[tuple[str, str], list[str]]:
    """(footprint, unit code) -> PCN codes: each system's, region's and England's PCNs as the rows place them."""
    out: dict[tuple[str, str], list[str]] = {}
    for fp, f in frames.items():
        p = f[f["period_end"] == period].drop_duplicates("pcn_code")
        for col in ("area_code", "region_code"):
            for code, g in p.groupby(col):
                out[(fp, code)] = list(g["pcn_code"])
        out[(fp, pcn_roles.ENGLAND[0])] = list(p["pcn_code"])
    return out


def _recovered(tables, frames, period, columns):
    pcn_t = {t.source: t for t in tables if t.kind == "pcn"}
    all_roles = pcn_roles.ALL_ROLES
    members = _members(frames, period)
    mem = pd.DataFrame([(fp, code, p) for (fp, code), ps in members.items() for p in ps],
                       columns=["footprint", "code", "pcn"])
    out, attacked = [], {}
    for col in columns:
        # base cells: PCN x source x role, known where the per-source PCN table shows them
        base = pd.concat([pd.DataFrame({"pcn": pcn_t[s].truth["area_code"].to_numpy(), "src": s,
                                        "role": pcn_t[s].truth["role"].to_numpy(),
                                        "known": pcn_t[s].shown[col].to_numpy(dtype=float)})
                          for s in ("staff", "contracted")], ignore_index=True)
        base = base[base["role"] != all_roles].reset_index(drop=True)
        unknown = base["known"].isna().to_numpy()
        base["var"] = np.where(unknown, np.cumsum(unknown) - 1, -1)
        n = int(unknown.sum())
        # every table cell as (cell id, PCN, source, role); "All roles" and "every source" spread over their parts
        parts = []
        for ti, t in enumerate(tables):
            c = pd.DataFrame({"code": t.shown["area_code"].to_numpy(), "role": t.shown["role"].to_numpy(),
                              "v": t.shown[col].to_numpy(dtype=float), "true": t.truth[col].to_numpy(dtype=float)})
            c["cell"] = np.arange(len(c)) + ti * 10**6
            c["table"], c["fp"] = t.name, t.footprint
            if t.kind == "pcn":
                c["pcn"] = c["code"]
            else:
                c = c.merge(mem, left_on=["fp", "code"], right_on=["footprint", "code"]).drop(columns="footprint")
            c["src"] = [("staff", "contracted") if t.source == "all" else (t.source,)] * len(c)
            parts.append(c.explode("src"))
        cells = pd.concat(parts, ignore_index=True)
        one = cells[cells["role"] != all_roles].merge(base, on=["pcn", "src", "role"])
        tot = cells[cells["role"] == all_roles].drop(columns="role").merge(base, on=["pcn", "src"])
        e = pd.concat([one, tot], ignore_index=True)
        info = cells.drop_duplicates("cell").set_index("cell")[["table", "code", "role", "v", "true"]]
        const = e.groupby("cell")["known"].sum(min_count=1).fillna(0.0)
        ev = e[e["var"] >= 0]
        shown_cells = info.index[info["v"].notna()]
        # a cell summing no PCN (a system with no PCN in a data source, listed with zeros) is a zero the listing
        # itself shows (its PCN table lists none): no hidden person, not a target
        target_cells = info.index[info["v"].isna() & (info["true"] < THRESHOLD) & info.index.isin(e["cell"])]
        eq = ev[ev["cell"].isin(shown_cells)]
        eq_ix = pd.factorize(eq["cell"])[0]
        ucells = pd.unique(eq["cell"])
        M = sp.csr_matrix((np.ones(len(eq)), (eq_ix, eq["var"].to_numpy())), shape=(len(ucells), n))
        M.sum_duplicates()
        b = (info.loc[ucells, "v"] - const.reindex(ucells).fillna(0.0)).to_numpy()
        # a hidden cell under 5 whose parts are all shown elsewhere is a target with no unknown: pinned at once
        tcells = np.asarray(target_cells)
        attacked[col] = len(tcells)
        if not len(tcells):
            continue
        tv = ev[ev["cell"].isin(target_cells)]
        trow = pd.Series(np.arange(len(tcells)), index=tcells)
        T = sp.csr_matrix((np.ones(len(tv)), (trow.reindex(tv["cell"]).to_numpy(), tv["var"].to_numpy())),
                          shape=(len(tcells), n))
        T.sum_duplicates()
        ti = info.loc[tcells]
        targets = list(zip(ti["table"], ti["code"], ti["role"], [None] * len(ti),
                           const.reindex(tcells).fillna(0.0).astype(float), ti["true"].astype(float)))
        in_eq = np.zeros(n, dtype=bool)
        in_eq[M.indices] = True
        m = M.shape[0]  # components of the bipartite graph sums - unknowns (M^T M would be dense for England)
        graph = sp.bmat([[None, M], [M.T, None]], format="csr") if m else sp.csr_matrix((n, n))
        _, label = connected_components(graph, directed=False)
        label = label[m:] if m else label
        label = np.where(in_eq, label, -1)  # an unknown in no shown sum is free: a target holding it moves
        pinned = np.ones(len(targets), dtype=bool)
        value = np.array([t[4] for t in targets], dtype=float)
        free = np.flatnonzero(label < 0)
        pinned &= np.asarray(abs(T[:, free]).sum(axis=1)).ravel() == 0
        Tc_all = T.tocsc()
        for c in np.unique(label[label >= 0]):
            cols = np.flatnonzero(label == c)
            Tc = Tc_all[:, cols].tocsr()
            tix = np.flatnonzero((np.diff(Tc.indptr) > 0) & pinned)
            if len(tix) == 0:
                continue
            rws = np.unique(M[:, cols].tocoo().row)
            Mc = M[rws][:, cols].toarray()
            Q, R, perm = scipy.linalg.qr(Mc.T, mode="economic", pivoting=True)
            d = np.abs(np.diag(R))
            rank = int((d > 1e-9 * max(1.0, d[0] if len(d) else 1.0)).sum())
            Qr, R11, bp = Q[:, :rank], R[:rank, :rank], b[rws][perm[:rank]]
            for s0 in range(0, len(tix), 500):
                ix = tix[s0:s0 + 500]
                A = Tc[ix]
                P = np.asarray(A @ Qr)
                # distance from the row space: |a|^2 - |Q^T a|^2 (a is 0/1: |a|^2 a whole number of cells)
                norm2 = np.asarray(A.multiply(A).sum(axis=1)).ravel()
                pinned[ix] &= norm2 - (P ** 2).sum(axis=1) <= 1e-8 * np.maximum(1.0, norm2)
                if rank:
                    value[ix] += scipy.linalg.solve_triangular(R11, P.T).T @ bp
        for k in np.flatnonzero(pinned):
            name, code, role, _, _, true = targets[k]
            out.append((name, code, role, col, float(value[k]), true))
    return out, attacked
