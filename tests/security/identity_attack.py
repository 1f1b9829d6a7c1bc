"""An attacker against disclosure control: solve every linear identity a reader knows over a suppressed metrics
frame and list the hidden cells it pins down exactly.

Identities used (FTE, which adds up; all hold in the published files and in the test stores):
* stock-flow, per row: staff in post at start + joiners - leavers = staff in post at end;
* staff groups add up to "All staff groups" in each area; systems add up to their region, and to England;
* month to month: staff in post at start of a month = staff in post at end of the month before (where one
  side is shown it gives the other; a chain of hidden months is not linked, which only weakens the attack).
Each equation is kept only if it holds in the unsuppressed figures (within rounding), as a reader would know
from the definitions. Unknowns are the hidden cells; a hidden cell is recovered when it is the same in every
solution (its unit vector lies in the row space of the equations), found per month from the null space.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg

from lib.data.schema import ALL_STAFF

COLUMNS = ("sip_start_fte", "joiners_fte", "leavers_fte", "fte")
ROUNDING = 0.05  # the small store is rounded to 0.1 FTE


def _equations(shown: pd.DataFrame) -> list[list[tuple[int, int, float]]]:
    """Each identity as [(column index, row, coefficient), ...] summing to 0."""
    eqs: list[list[tuple[int, int, float]]] = []
    n = len(shown)
    for i in range(n):
        eqs.append([(0, i, 1.0), (1, i, 1.0), (2, i, -1.0), (3, i, -1.0)])
    period = shown["period"].to_numpy()
    area = shown["area_code"].astype(str).to_numpy()
    group = shown["staff_group"].astype(str).to_numpy()
    region = shown["region_code"].astype(str).to_numpy()
    pos = {k: i for i, k in enumerate(zip(period, area, group))}
    is_sys = ~pd.Series(area).str.fullmatch(r"ENG|Y\d\d").to_numpy()
    sums: dict[tuple, list[int]] = {}
    for i in range(n):
        if group[i] != ALL_STAFF:
            sums.setdefault(("g", period[i], area[i], ALL_STAFF), []).append(i)
        if is_sys[i]:
            sums.setdefault(("r", period[i], region[i], group[i]), []).append(i)
            sums.setdefault(("e", period[i], "ENG", group[i]), []).append(i)
    for (_, p, a, g), parts in sums.items():
        tot = pos.get((p, a, g))
        if tot is not None:
            for c in range(4):
                eqs.append([(c, i, 1.0) for i in parts] + [(c, tot, -1.0)])
    periods = sorted(set(period))
    nxt = dict(zip(periods[:-1], periods[1:]))
    for i in range(n):
        j = pos.get((nxt.get(period[i]), area[i], group[i]))
        if j is not None:
            eqs.append([(0, j, 1.0), (3, i, -1.0)])
    return eqs


def recovered_cells(shown: pd.DataFrame, truth: pd.DataFrame) -> tuple[list[tuple], int]:
    """([(period, area, staff group, column, value solved, true value)], number of hidden cells attacked)."""
    shown = shown.reset_index(drop=True)
    truth = truth.reset_index(drop=True)
    S = np.column_stack([pd.to_numeric(shown[c], errors="coerce").to_numpy(float) for c in COLUMNS])
    T = np.column_stack([pd.to_numeric(truth[c], errors="coerce").to_numpy(float) for c in COLUMNS])
    hidden = np.isnan(S) & ~np.isnan(T)
    period = shown["period"].to_numpy()
    per_month: dict[str, list[tuple[dict, float]]] = {}
    for eq in _equations(shown):
        if any(np.isnan(T[i, c]) for c, i, _ in eq):
            continue
        if abs(sum(k * T[i, c] for c, i, k in eq)) > ROUNDING * len(eq):
            continue  # not an identity in these figures
        unknown: dict[tuple[int, int], float] = {}
        rhs = 0.0
        for c, i, k in eq:
            if hidden[i, c]:
                unknown[(c, i)] = unknown.get((c, i), 0.0) + k
            else:
                rhs -= k * S[i, c]
        if not unknown:
            continue
        months = {period[i] for _, i in unknown}
        if len(months) > 1:
            continue  # both sides of a month-to-month link hidden: not linked (see module docstring)
        per_month.setdefault(months.pop(), []).append((unknown, rhs))
    out = []
    for eqs in per_month.values():
        cells = sorted({cell for u, _ in eqs for cell in u})
        col = {cell: k for k, cell in enumerate(cells)}
        A = np.zeros((len(eqs), len(cells)))
        b = np.zeros(len(eqs))
        for r, (u, rhs) in enumerate(eqs):
            for cell, k in u.items():
                A[r, col[cell]] = k
            b[r] = rhs
        # null space of A: the eigenvectors of A'A with eigenvalue ~0 (A is a 0/1/-1 incidence matrix), computed
        # alone (LAPACK's evr driver) since only they decide; the tolerance is relative to a bound on the largest
        # eigenvalue (the largest absolute row sum of A'A)
        ata = A.T @ A
        tol = 1e-8 * max(1.0, float(np.abs(ata).sum(axis=1).max(initial=0.0)))
        null = scipy.linalg.eigh(ata, subset_by_value=(-np.inf, tol), driver="evr")[1] if len(cells) else ata
        pinned = np.abs(null).max(axis=1) < 1e-6 if null.shape[1] else np.ones(len(cells), dtype=bool)
        if not pinned.any():
            continue
        x = np.linalg.lstsq(A, b, rcond=None)[0]  # the minimum-norm solution: exact on every pinned cell
        for k in np.flatnonzero(pinned):
            c, i = cells[k]
            out.append((period[i], shown.at[i, "area_code"], shown.at[i, "staff_group"], COLUMNS[c],
                        round(float(x[k]), 3), float(T[i, c])))
    return out, int(hidden.sum())
