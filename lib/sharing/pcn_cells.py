"""Disclosure control for tables of primary care network new roles: a unit (PCN or system) x staff role grid with
each unit's 'All roles' total and each role's total over the units (the parent's figure, shown elsewhere).

* Primary: a cell whose headcount or FTE is under 5 (zero included) is hidden, FTE and headcount together: the
  rule trust tables follow (lib.sharing.disclosure.small_cell, the one rule of the product).
* Secondary: every row (a unit's roles and its 'All roles' total) and every column (a role over the units and the
  parent's figure for it) is one sum; where exactly one member of a sum is hidden, the smallest shown member is
  hidden too, repeated until no sum has a single hidden member. So nothing hidden is recoverable from the totals
  shown beside it.

HOOK: this is the per-table rule (lib.sharing.disclosure's rule applied to this grid). A joint suppression over
several tables shown together (being written in lib/sharing) should replace `hide_small_cells` here; the page and
the CLI call only this function.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.sharing.disclosure import MAX_ROUNDS, SUPPRESSED_COLUMN, small_cell

PARENT = "__parent__"


def hide_small_cells(grid: pd.DataFrame, *, unit: str = "area_code", role: str = "role", total_role: str,
                     parent_code: str | None = None, values: tuple[str, ...] = ("fte", "headcount"),
                     extra: tuple[str, ...] = ("fte_per_100k",),
                     also: tuple[tuple[str, ...], ...] = ()) -> pd.DataFrame:
    """A copy of `grid` with disclosive cells NaN and a `suppressed` column ('small count' or 'would reveal a
    small count'). Rows whose unit is `parent_code` are the column totals (the parent's figure per role).
    `also` names further sums whose totals are shown elsewhere (e.g. ("system_code", "role"): a system's PCNs in
    a role add up to the system's figure for it), each treated like a row or column."""
    out = grid.reset_index(drop=True).copy()
    if out.empty:
        out[SUPPRESSED_COLUMN] = pd.Series(dtype=str)
        return out
    hc = pd.to_numeric(out["headcount"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    primary = small_cell(out["headcount"], *(out[c] for c in values if c != "headcount" and c in out))
    hidden = primary.copy()
    units = out[unit].astype(str).to_numpy()
    roles = out[role].astype(str).to_numpy()
    groups = [pd.Series(units).groupby(units).indices.values()]
    groups.append(pd.Series(roles).groupby(roles).indices.values())   # each role over units (+ the parent row)
    for cols in also:
        keys = out[list(cols)].fillna("").astype(str).agg("\x1f".join, axis=1).to_numpy()
        groups.append(pd.Series(keys).groupby(keys).indices.values())
    members = [np.asarray(ix) for family in groups for ix in family]
    for _ in range(MAX_ROUNDS):
        changed = False
        for ix in members:
            if len(ix) < 2 or hidden[ix].sum() != 1:
                continue
            shown = ix[~hidden[ix]]
            pick = shown[np.argmin(hc[shown])]
            hidden[pick] = True
            changed = True
        if not changed:
            break
    for c in (*values, *extra):
        if c in out:
            out[c] = out[c].astype(float).where(~hidden, np.nan)
    out[SUPPRESSED_COLUMN] = np.where(primary, "small count", np.where(hidden, "would reveal a small count", ""))
    return out
