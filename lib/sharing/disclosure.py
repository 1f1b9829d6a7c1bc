"""Statistical disclosure control for shared views: counts under 5 suppressed, and rates built on them hidden.

The rule (applied to a `lib.insight.metrics.area_metrics` frame, one row per period x area x staff group):

* A *count* is any number of people or posts: staff in post (headcount, FTE) at the start and end of the
  period, joiners and leavers (headcount, FTE) and vacancies (FTE). A count under 5 (zero included) is
  suppressed. Headcount and FTE of the same thing go together: if either is under 5 both are hidden.
  This is the product's one rule for every table (the brief: "counts under 5 are suppressed"): trust tables here
  and in lib.sharing.joint, primary care network roles in lib.sharing.pcn_joint, all through `small_cell`. FTE
  counts as well as headcount because an FTE under 5 still describes fewer than five full-time people (a few
  part-timers), and vacancies are published as FTE only.
* What a suppressed count would reveal is hidden with it: leaver/joiner rates from suppressed leavers,
  joiners or staff in post; vacancy rate and establishment from suppressed vacancies or staff in post;
  FTE share and FTE growth from suppressed staff in post.
* Secondary suppression: where exactly one staff group in an area, or one system in a region, is hidden, the
  total minus the others would give it away, so the smallest other shown value there is hidden too
  (repeated until no such single cell is left).
* The stock-flow identity: staff in post at start + joiners - leavers = staff in post at end (exact for FTE in
  the published turnover files, and staff in post at start is last month's staff in post at end). Where any of
  the four is hidden in a row, one equation with one unknown would give it back, so **both flows (joiners and
  leavers, FTE and headcount, with their rates) are hidden** in that row: the identity then leaves at least
  two unknowns and says only joiners - leavers = end - start. The new hidden flows go through secondary
  suppression again, and the two rules repeat until neither hides anything more. `tests/test_disclosure.py`
  has an attacker that solves every identity (totals, regions, England, stock-flow, month to month) over the
  whole small test store and must recover no hidden cell.

Suppressed cells become NaN (pages show them as not available) and the `suppressed` column names what was
hidden in each row, so pages and exports can say "suppressed" rather than "missing".
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

THRESHOLD = 5
ENV_FLAG = "WORKFORCE_DISCLOSURE_CONTROL"
SUPPRESSED_COLUMN = "suppressed"
NOTE = ("Disclosure control is on: counts under 5 (and rates calculated from them) are suppressed and "
        "shown as not available.")

# measure group -> (columns that trigger it, columns hidden with it); a trigger under 5 hides the group.
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "staff in post": (("headcount", "fte", "sip_end_hc", "sip_end_fte"),
                      ("headcount", "fte", "sip_end_hc", "sip_end_fte", "fte_share")),
    "staff in post at start": (("sip_start_hc", "sip_start_fte"), ("sip_start_hc", "sip_start_fte")),
    "leavers": (("leavers_hc", "leavers_fte"), ("leavers_hc", "leavers_fte", "leaver_rate")),
    "joiners": (("joiners_hc", "joiners_fte"), ("joiners_hc", "joiners_fte", "joiner_rate")),
    "vacancies": (("vacancy_fte",), ("vacancy_fte", "vacancy_rate", "establishment_fte")),
}
# Derived values that a hidden group would let a reader work back to.
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "staff in post": ("leaver_rate", "joiner_rate", "vacancy_rate", "establishment_fte", "fte_growth"),
    "staff in post at start": ("leaver_rate", "joiner_rate", "fte_growth"),
}
# Groups whose staff-group values add up to the "All staff groups" row and whose systems add up to regions.
ADDITIVE = ("staff in post", "staff in post at start", "leavers", "joiners", "vacancies")
COUNT_COLUMNS = tuple(sorted({c for trig, _ in GROUPS.values() for c in trig}))
MAX_ROUNDS = 20
# The four terms of start + joiners - leavers = end, as GROUPS names; a hidden one hides both FLOWS in the row.
STOCK_FLOW = ("staff in post at start", "joiners", "leavers", "staff in post")
FLOWS = ("joiners", "leavers")


def parse_flag(value: object) -> bool:
    """A yes/no setting. Raises ValueError for anything else so a typo cannot silently switch control off."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = str(value).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"disclosure_control must be true or false, got {value!r}")


def enabled(settings: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """On when the secrets section or the environment turns it on (either is enough; neither can undo the
    other). An unreadable value counts as on (fail closed) - callers that want to warn use parse_flag."""
    settings = settings or {}
    env = os.environ if env is None else env
    out = False
    for v in (settings.get("disclosure_control"), env.get(ENV_FLAG)):
        try:
            out = out or parse_flag(v)
        except ValueError:
            return True
    return out


def small_cell(*values: object) -> np.ndarray:
    """The primary rule for one cell's figures (its headcount and its FTE, as arrays or columns): True where any of
    them is under THRESHOLD (zero included). A figure not published (NaN) does not decide."""
    mask = None
    for v in values:
        a = pd.to_numeric(pd.Series(v), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        mask = a < THRESHOLD if mask is None else mask | (a < THRESHOLD)
    if mask is None:
        raise ValueError("small_cell needs at least one figure")
    return mask


def _small(df: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    present = [df[c] for c in cols if c in df]
    return small_cell(*present) if present else np.zeros(len(df), dtype=bool)


def _secondary(df: pd.DataFrame, hidden: dict[str, np.ndarray]) -> None:
    """Complementary suppression so no hidden cell is the only one in its total (updates `hidden`)."""
    if not {"period", "area_code", "staff_group"} <= set(df.columns):
        return
    # Each total and its parts form one sum, so one hidden member among them could be worked out.
    codes = df["area_code"].astype(str).to_numpy()
    everyone = np.ones(len(df), dtype=bool)
    not_england = codes != "ENG"
    partitions = [(everyone, ["period", "area_code"]),                      # All staff groups = sum of groups
                  (not_england, ["period", "staff_group", "region_code"])]  # region = sum of its systems
    if "region_code" not in df:
        partitions = partitions[:1]
    for name in ADDITIVE:
        size_col = next((c for c in GROUPS[name][0] if c.endswith("fte") and c in df), None)
        if size_col is None:
            continue
        size = pd.to_numeric(df[size_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        for _ in range(MAX_ROUNDS):
            changed = False
            for members, keys in partitions:
                h = hidden[name]
                sub = df.loc[members, keys].copy()
                sub["_h"] = h[members]
                sub["_size"] = np.where(h[members] | np.isnan(size[members]), np.inf, size[members])
                sub["_i"] = np.flatnonzero(members)
                g = sub.groupby(keys, sort=False, dropna=False)
                lone = g["_h"].transform("sum").to_numpy() == 1
                # the smallest shown member of each cell with exactly one hidden member
                cand = sub[lone & np.isfinite(sub["_size"].to_numpy())]
                if cand.empty:
                    continue
                pick = cand.loc[cand.groupby(keys, sort=False, dropna=False)["_size"].idxmin(), "_i"].to_numpy()
                if len(pick):
                    h[pick] = True
                    changed = True
            if not changed:
                break


def _stock_flow(df: pd.DataFrame, hidden: dict[str, np.ndarray]) -> None:
    """Hide both flows in every row where a term of the stock-flow identity is hidden (updates `hidden`).

    Only rows that carry flows take part: a frame without joiner or leaver columns has no identity to solve."""
    if not any(c in df for f in FLOWS for c in GROUPS[f][0]):
        return
    any_hidden = np.zeros(len(df), dtype=bool)
    for name in STOCK_FLOW:
        if any(c in df for c in GROUPS[name][0]):
            any_hidden |= hidden[name]
    for name in FLOWS:
        hidden[name] |= any_hidden


def suppress_metrics(df: pd.DataFrame, secondary: bool = True) -> pd.DataFrame:
    """A copy of a metrics frame with disclosive cells set to NaN and a `suppressed` column naming them."""
    out = df.copy()
    if out.empty:
        out[SUPPRESSED_COLUMN] = pd.Series(dtype=str)
        return out
    hidden = {name: _small(out, trig) for name, (trig, _) in GROUPS.items()}
    for _ in range(MAX_ROUNDS):
        before = sum(int(h.sum()) for h in hidden.values())
        _stock_flow(out, hidden)
        if secondary:
            _secondary(out, hidden)
        if sum(int(h.sum()) for h in hidden.values()) == before:
            break
    labels = np.full(len(out), "", dtype=object)
    for name, (_, cols) in GROUPS.items():
        h = hidden[name]
        if not h.any():
            continue
        for c in (*cols, *DEPENDENTS.get(name, ())):
            if c in out:
                out[c] = out[c].astype(float).where(~h, np.nan)
        labels = np.where(h, np.where(labels == "", name, labels + "; " + name), labels)
    out[SUPPRESSED_COLUMN] = labels.astype(str)
    return out


def small_counts(df: pd.DataFrame, columns: tuple[str, ...] = COUNT_COLUMNS) -> pd.DataFrame:
    """Rows of a frame that still show a count under 5 (a check for tests and for an export gate)."""
    return df[_small(df, tuple(c for c in columns if c in df))]
