"""A cross-table attacker (issue 22 item 2): take every table a signed-in viewer can see for one month, write down
every sum that holds exactly between them, solve, and list the hidden cells under 5 it pins down.

What the reader sees (built as the app builds them, or parsed from `python -m lib metrics --disclosure-control`):
the organisation table (each organisation's system on every footprint, its care setting), the system / region /
England tables on every footprint offered, and the same for every care setting; every staff group.

Sums used (built here from the tables' own columns and the published geography, not from lib.sharing.joint):
* a system, region or England row (of any footprint, of any care setting) = the sum of its organisations' rows;
* "All staff groups" = the sum of the staff groups, in every row, for FTE and for joiner and leaver headcount (for
  headcount in post, people in two groups make the total differ: not used).
Unknowns: the organisation x staff group cells hidden in the organisation table. A hidden cell is recovered when
its row vector (over the unknowns) lies in the row space of the shown cells' rows: checked against an orthonormal
basis of that row space (Householder QR with column pivoting, scipy.linalg.qr) per connected component, and its
value solved from the same factors.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from lib.data import geography
from lib.data.schema import ALL_STAFF

# column -> whether "All staff groups" is the sum of the groups (a reader knows FTE adds up; headcount in post not)
COLUMNS = {"leavers_hc": True, "joiners_hc": True, "leavers_fte": True, "joiners_fte": True, "fte": True,
           "sip_start_fte": True, "headcount": False, "sip_start_hc": False}
THRESHOLD = 5


@dataclass
class Table:
    """One table as shown: rows (area_code, staff_group, the COLUMNS; NaN = hidden) and its kind."""
    name: str
    kind: str            # "org" or "area"
    footprint: str       # geography key for area tables
    setting: str         # care setting ("" = all)
    shown: pd.DataFrame
    truth: pd.DataFrame  # the same rows unsuppressed


def _members(org: pd.DataFrame, fp_systems: dict[str, dict[str, str]], table: Table) -> dict[str, list[str]]:
    """Unit code -> organisation codes, from the organisation table's columns and the published region lookup."""
    orgs = org.drop_duplicates("org_code")
    if table.setting == "without hosted services":  # lib.insight.peers: systems and England without them
        from lib.insight.peers import is_hosted
        orgs = orgs[~is_hosted(orgs)]
    elif table.setting:
        orgs = orgs[orgs["cluster_group"] == table.setting]
    system = fp_systems[table.footprint]
    regions = geography.area_lookup_regions(table.footprint)
    out: dict[str, list[str]] = {"ENG": list(orgs["org_code"])}
    for o in orgs["org_code"]:
        s = system[o]
        out.setdefault(s, []).append(o)
        r = regions.get(s)
        if r:
            out.setdefault(r, []).append(o)
    return out


def recovered(tables: list[Table], fp_systems: dict[str, dict[str, str]], period: str,
              columns: tuple[str, ...] = tuple(COLUMNS)) -> tuple[list[tuple], dict[str, int]]:
    """([(table, code, staff group, column, solved, true)] for hidden cells under 5 pinned down exactly,
    {column: hidden cells under 5 attacked}). fp_systems: footprint -> {organisation: its system}, as the
    organisation table on that footprint shows it. columns: which of COLUMNS to attack (default all)."""
    with threadpool_limits(limits=1, user_api="blas"):  # many mid-sized products: BLAS threads only spin (py-spy)
        return _recovered(tables, fp_systems, period, columns)


def _recovered(tables: list[Table], fp_systems: dict[str, dict[str, str]], period: str,
               columns: tuple[str, ...]) -> tuple[list[tuple], dict[str, int]]:
    org_t = next(t for t in tables if t.kind == "org")
    org_shown = org_t.shown[org_t.shown["period"] == period].set_index(["area_code", "staff_group"])
    org_truth = org_t.truth[org_t.truth["period"] == period].set_index(["area_code", "staff_group"])
    info = org_t.truth[org_t.truth["period"] == period][["area_code", "cluster_group", "benchmark_group"]].rename(
        columns={"area_code": "org_code"})
    groups = sorted(set(org_truth.index.get_level_values(1)) - {ALL_STAFF})
    out: list[tuple] = []
    attacked: dict[str, int] = {}
    factors: dict[bytes, tuple] = {}  # QR by the equations' pattern: FTE and headcount of a flow share it
    for col in columns:
        additive = COLUMNS[col]
        truth_s = org_truth[col]
        shown_s = org_shown[col].reindex(truth_s.index)
        truth = {k: float(v) for k, v in truth_s.items() if pd.notna(v)}  # cells that exist
        shown = {k: float(v) for k, v in shown_s.items() if pd.notna(v)}
        # unknowns: hidden organisation cells (a total is its own unknown only where the groups do not add up)
        var_cells = [k for k in truth if k not in shown and (k[1] != ALL_STAFF or not additive)]
        var = {k: i for i, k in enumerate(var_cells)}
        known = shown

        def terms(orgs: list[str], g: str) -> tuple[dict[int, float], float, bool]:
            """(unknown -> coefficient, known part, exists) of the sum of these organisations' cells of group g."""
            coef: dict[int, float] = {}
            const, exists = 0.0, False
            cells = [(o, x) for o in orgs for x in ((groups if additive else []) if g == ALL_STAFF else [g])]
            if g == ALL_STAFF and not additive:
                cells = [(o, ALL_STAFF) for o in orgs]
            for k in cells:
                if k not in truth:
                    continue
                exists = True
                if k in var:
                    coef[var[k]] = coef.get(var[k], 0.0) + 1.0
                else:
                    const += known[k]
            return coef, const, exists

        eqs, rhs, targets = [], [], []
        for t in tables:
            sh = t.shown[t.shown["period"] == period]
            trs = t.truth[t.truth["period"] == period]
            tr = dict(zip(zip(trs["area_code"], trs["staff_group"]), trs[col].astype(float)))
            members = ({o: [o] for o in org_truth.index.get_level_values(0).unique()} if t.kind == "org"
                       else _members(info, fp_systems, t))
            for code, g, v in zip(sh["area_code"], sh["staff_group"], sh[col]):
                orgs = members.get(code)
                if orgs is None:
                    continue
                if t.kind == "org" and (g != ALL_STAFF or not additive):
                    if pd.isna(v) and (code, g) in var and tr.get((code, g), np.nan) < THRESHOLD:
                        targets.append((t.name, code, g, {var[(code, g)]: 1.0}, 0.0, float(tr[(code, g)])))
                    continue  # a shown organisation cell is known already
                coef, const, exists = terms(orgs, g)
                if not exists:
                    continue
                if pd.notna(v):
                    if coef:
                        eqs.append(coef)
                        rhs.append(float(v) - const)
                else:
                    true = float(tr.get((code, g), np.nan))
                    if true < THRESHOLD:
                        targets.append((t.name, code, g, coef, const, true))
        attacked[col] = len(targets)
        if not targets:
            continue
        n = len(var)
        M = sp.csr_matrix((np.ones(sum(len(e) for e in eqs)),
                           (np.repeat(np.arange(len(eqs)), [len(e) for e in eqs]),
                            np.fromiter((j for e in eqs for j in e), dtype=np.int64))), shape=(len(eqs), n))
        b = np.asarray(rhs, dtype=float)
        ncomp, label = connected_components((M.T @ M).tocsr(), directed=False)
        null_parts: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for c in range(ncomp):
            cols = np.flatnonzero(label == c)
            rws = np.unique(M[:, cols].tocoo().row)
            Mc = M[rws][:, cols].toarray()
            if len(rws) == 0:
                null_parts[c] = (cols, np.zeros((len(cols), 0)), np.zeros((0, 0)), np.zeros(0))
                continue
            # an orthonormal basis of the row space: Householder QR with column pivoting of M^T
            pattern = hashlib.sha256(Mc.tobytes() + np.asarray(Mc.shape).tobytes()).digest()
            if pattern not in factors:
                factors[pattern] = scipy.linalg.qr(Mc.T, mode="economic", pivoting=True)
            Qm, Rm, perm = factors[pattern]
            d = np.abs(np.diag(Rm))
            rank = int((d > 1e-9 * max(1.0, d[0] if len(d) else 1.0)).sum())
            null_parts[c] = (cols, Qm[:, :rank], Rm[:rank, :rank], b[rws][perm[:rank]])
        # every target at once, per component (one product per component, not one per target)
        T = sp.csr_matrix((np.fromiter((x for t in targets for x in t[3].values()), dtype=float),
                           (np.repeat(np.arange(len(targets)), [len(t[3]) for t in targets]),
                            np.fromiter((j for t in targets for j in t[3]), dtype=np.int64))),
                          shape=(len(targets), n))
        pinned = np.ones(len(targets), dtype=bool)
        value = np.array([t[4] for t in targets], dtype=float)
        Tc_all = T.tocsc()
        for c, (cols, Qr, R11, bp) in null_parts.items():
            Tc = Tc_all[:, cols].tocsr()
            tix = np.flatnonzero(np.diff(Tc.indptr) > 0)
            for s0 in range(0, len(tix), 500):
                ix = tix[s0:s0 + 500]
                A = Tc[ix].toarray()
                P = A @ Qr
                # not in the row space: free to move
                pinned[ix] &= np.linalg.norm(A - P @ Qr.T, axis=1) <= 1e-7
                if len(bp):  # a = M^T y: the value is y . b (M^T P = Q R, so y[perm] = [R11^-1 Q^T a, 0])
                    value[ix] += scipy.linalg.solve_triangular(R11, P.T).T @ bp
        for k in np.flatnonzero(pinned):
            name, code, g, _, _, true = targets[k]
            out.append((name, code, g, col, float(value[k]), true))
    return out, attacked


def viewer_tables(store, suppress: str, plan=None, footprints: tuple[str, ...] = ("ICS", "ICS2026")
                  ) -> tuple[list[Table], dict[str, dict[str, str]]]:
    """Every table a signed-in viewer can reach in a store (systems, regions and England on each footprint offered,
    organisations, care settings, systems and England without hosted services; every staff group), as the app builds
    them (ui.data, ui.inside): suppress = "joint" (the plan, lib.insight.disclosure_plan.shown), "per_table"
    (lib.sharing.disclosure per table, before issue 22) or "none". (tables, {footprint: {organisation: system}})."""
    from lib.data import footprint
    from lib.insight import organisations as og
    from lib.insight import peers
    from lib.insight.disclosure_plan import NOHOST
    from lib.insight.disclosure_plan import shown as joint_shown
    from lib.insight.metrics import area_metrics, store_metrics
    from lib.sharing import disclosure
    tables, systems = [], {}
    for fp in footprints:
        frame = footprint.load_frame(store, fp)
        area = store_metrics(store, fp, None, by_staff_group=True, include_england=True, include_regions=True)
        orgm = og.org_metrics(frame, level=fp)
        systems[fp] = dict(zip(orgm["org_code"], orgm["system_code"]))
        cuts = {s: og.care_setting_metrics(frame, s) for s in og.care_settings(frame)}
        nohost = area_metrics(peers.without_hosted(frame), by_staff_group=True, include_england=True)
        if suppress == "joint":
            a_s = joint_shown(area, plan, "area", fp)
            o_s = joint_shown(orgm, plan, "org")
            c_s = {s: joint_shown(m, plan, "care", fp, s) for s, m in cuts.items()}
            n_s = joint_shown(nohost, plan, NOHOST, fp)
        elif suppress == "per_table":
            a_s = disclosure.suppress_metrics(area)
            o_s = og.suppress_org_metrics(orgm)
            c_s = {s: disclosure.suppress_metrics(m) for s, m in cuts.items()}
            n_s = disclosure.suppress_metrics(nohost)
        else:
            a_s, o_s, c_s, n_s = area, orgm, cuts, nohost
        tables.append(Table(f"systems {fp}", "area", fp, "", a_s, area))
        tables.append(Table(f"without hosted services {fp}", "area", fp, "without hosted services", n_s, nohost))
        if fp == "ICS":
            tables.append(Table("organisations", "org", "", "", o_s.assign(cluster_group=orgm["cluster_group"]),
                                orgm))
        tables += [Table(f"{s} {fp}", "area", fp, s, c_s[s], cuts[s]) for s in cuts]
    return tables, systems
