"""Any month on any vintage's footprint: re-assign each organisation to its system in a chosen vintage.

The turnover files are published per organisation, so a month can be shown on the systems of another vintage
(e.g. November 2025 on the 36 ICBs of April 2026) by moving each organisation's rows to the system it belongs
to in that vintage. The rule, in order:

1. **Periods of the chosen vintage are shown as published.** A row whose period falls in the vintage's own time
   (the vintage in force for its month is the chosen one) keeps the system its file gives it.
2. **Seen in the chosen vintage's files: its latest system there.** An organisation that appears in any loaded
   period of the chosen vintage takes the system its latest such period gives it (so a trust of a split ICB goes
   where the published files put it).
3. **Otherwise, through the succession table.** An organisation never seen in the chosen vintage's periods (it
   closed or merged before them, or no period of that vintage is loaded yet, and every ICB's own staff of an
   abolished ICB) follows its system's succession: a merger to the new system; a split predecessor to the
   successor marked ``default_successor=yes`` in lib/data/vintages (the one taking the larger part of its
   population); back in time, a system formed from several to the one marked ``default_predecessor=yes``.
   Rows without an organisation (area totals, vacancy template rows) follow the same table.

Nothing is dropped: every row is moved, never filtered, so the sum over systems of every measure equals the
un-re-based total exactly. `assignments()` lists each organisation, where it went and by which rule, with its
FTE, so closed and merged organisations are shown rather than lost.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lib.data import geography, loader
from lib.data.schema import SICKNESS_OUTSIDE_SYSTEMS

RULE_AS_PUBLISHED = "as published (period of this footprint)"
RULE_SEEN = "its system in the latest period of this footprint"
RULE_SUCCESSION = "succession of its system"


def footprint_key(level: str, footprint: str | None, period: str | None = None) -> str:
    """The geography key for a store level and a footprint choice: None = the vintage in force for `period`
    (the latest vintage of the level when no period is given); a year ("2026") or key ("ICS2026") otherwise."""
    level_key = geography.vintage(level)
    if footprint in (None, ""):
        if period:
            return geography.vintage_for(level_key.level, period).key
        return geography.level_vintages(level_key.level)[-1].key
    v = geography.vintage(str(footprint))
    if v.level != level_key.level:
        choices = ", ".join(x.year for x in geography.level_vintages(level_key.level))
        raise ValueError(f"footprint {footprint!r} is not a vintage of level {level_key.level}; expected one of "
                         f"{choices}")
    return v.key


def _period_vintage(periods: pd.Series, level: str) -> pd.Series:
    uniq = pd.unique(periods)
    return periods.map({p: geography.vintage_for(level, p).key for p in uniq})


def seen_systems(data_dir: str | Path, key: str) -> pd.DataFrame:
    """org_code, area_code, period: each organisation's system in the latest loaded period of vintage `key`."""
    level = geography.store_level(key)
    own = [p for p in loader.available_periods(data_dir, level) if geography.vintage_for(level, p).key == key]
    if not own:
        return pd.DataFrame({"org_code": pd.Series(dtype=str), "area_code": pd.Series(dtype=str),
                             "period": pd.Series(dtype=str)})
    f = loader.load_frame(data_dir, level, periods=own)
    f = f.loc[f["org_code"].astype(str) != "", ["org_code", "area_code", "period_end"]]
    f = f.sort_values("period_end", kind="stable").drop_duplicates("org_code", keep="last")
    return f.rename(columns={"period_end": "period"}).reset_index(drop=True)


def rebase(frame: pd.DataFrame, key: str, seen: pd.DataFrame) -> pd.DataFrame:
    """Canonical rows moved onto the systems of vintage `key` (rule in the module docstring); `level` becomes
    the key, area_name and region_code those of the new system. Same rows, same measures: nothing dropped."""
    if frame.empty:
        out = frame.copy()
        out["level"] = out["level"].astype(str)
        return out
    level = geography.store_level(key)
    out = frame.copy()
    codes, _ = _assign(out, key, level, seen)
    c, uniq = pd.factorize(codes)
    names, regions = geography.area_name_lookup(key), geography.area_lookup_regions(key)
    out["area_code"] = codes
    out["area_name"] = np.array([names.get(u, "") for u in uniq], dtype=object)[c]
    region = np.array([regions.get(u) for u in uniq], dtype=object)[c]
    out["region_code"] = np.where(pd.isna(region), out["region_code"].to_numpy(dtype=object), region)
    out["level"] = key
    return out


def _assign(frame: pd.DataFrame, key: str, level: str, seen: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(new area code, rule) per row. Works on the distinct periods, areas and organisations (factorised), so a
    national history of hundreds of thousands of rows costs a few lookups per distinct value."""
    p_codes, p_uniq = pd.factorize(frame["period_end"].astype(str))
    a_codes, a_uniq = pd.factorize(frame["area_code"].astype(str))
    o_codes, o_uniq = pd.factorize(frame["org_code"].astype(str))
    a_uniq = np.asarray(a_uniq, dtype=object)
    p_vint = np.array([geography.vintage_for(level, p).key for p in p_uniq], dtype=object)
    own = (p_vint == key)[p_codes]
    seen_map = dict(zip(seen["org_code"], seen["area_code"]))
    o_new = np.array([seen_map.get(o) if o else None for o in o_uniq], dtype=object)
    by_org = o_new[o_codes]
    has_org = np.array([v is not None for v in o_new], dtype=bool)[o_codes]
    v_codes, v_uniq = pd.factorize(p_vint)
    pair = v_codes[p_codes].astype(np.int64) * len(a_uniq) + a_codes
    pairs, inverse = np.unique(pair, return_inverse=True)
    moved = np.array([geography.translate(a_uniq[q % len(a_uniq)], v_uniq[q // len(a_uniq)], key)[0]
                      or a_uniq[q % len(a_uniq)]  # a code no chain can place stays as it is: its figures still add up
                      for q in pairs], dtype=object)
    area = a_uniq[a_codes]
    codes = np.where(own, area, np.where(has_org, by_org, moved[inverse]))
    rule = np.where(own, RULE_AS_PUBLISHED, np.where(has_org, RULE_SEEN, RULE_SUCCESSION))
    return codes.astype(object), rule


def load_area_frame(data_dir: str | Path, key: str, periods: list[str] | None = None,
                    problems: list[str] | None = None, names: bool = True) -> pd.DataFrame:
    """Canonical rows summed per area (as loader.load_area_frame) on the footprint of vintage `key`.

    Periods of the vintage itself are read pre-summed (fast path, as published); other periods are read per
    organisation, re-assigned and then summed per new area."""
    level = geography.store_level(key)
    own, other = _split_periods(data_dir, key, periods)
    parts = []
    if own or not other:
        f = loader.load_area_frame(data_dir, level, periods=own, problems=problems, names=names)
        f["level"] = key
        parts.append(f)
    if other:
        seen = seen_systems(data_dir, key)
        f = loader.load_frame(data_dir, level, periods=other, problems=problems)
        parts.append(_sum_by_area(rebase(f, key, seen)))
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return out


def _split_periods(data_dir: str | Path, key: str, periods: list[str] | None) -> tuple[list[str], list[str]]:
    """(the store's periods asked for that are of vintage `key`, those of other vintages); periods=None: all."""
    level = geography.store_level(key)
    available = loader.available_periods(data_dir, level)
    wanted = available if periods is None else [p for p in periods if p in available]
    own = [p for p in wanted if geography.vintage_for(level, p).key == key]
    return own, [p for p in wanted if p not in own]


def published_periods(data_dir: str | Path, key: str, periods: list[str] | None = None) -> list[str] | None:
    """The store's periods asked for (None: all) when every one is of vintage `key`, so all are shown as published
    (no organisation re-assigned); None when some would be re-assigned to the footprint's systems."""
    own, other = _split_periods(data_dir, key, periods)
    return None if other else own


def _sum_by_area(f: pd.DataFrame) -> pd.DataFrame:
    """Organisations summed per period x area x staff group x source by the loader's own query (lib/data/engine.py),
    so an unchanged system's figures are the ones loader.load_area_frame gives for its as-published periods."""
    return loader.sum_by_area(f)


def assignments(data_dir: str | Path, key: str, period: str) -> pd.DataFrame:
    """Where each organisation of `period` goes on the footprint of `key`, and why, with its FTE:
    org_code, org_name, from_code, from_name, to_code, to_name, rule, how, sip_end_fte, leavers_fte, joiners_fte.

    Includes organisations that closed or merged (rule: succession of its system), so their FTE is visible."""
    level = geography.store_level(key)
    f = loader.load_frame(data_dir, level, periods=[period])
    f = f[f["staff_group"] == "All staff groups"]
    if f.empty:
        return pd.DataFrame(columns=["org_code", "org_name", "from_code", "from_name", "to_code", "to_name", "rule",
                                     "how", "sip_end_fte", "leavers_fte", "joiners_fte"])
    codes, rule = _assign(f, key, level, seen_systems(data_dir, key))
    src = geography.vintage_for(level, period).key
    out = pd.DataFrame({
        "org_code": f["org_code"].to_numpy(), "org_name": f["org_name"].to_numpy(),
        "from_code": f["area_code"].to_numpy(), "to_code": codes, "rule": rule,
        "sip_end_fte": f["sip_end_fte"].to_numpy(), "leavers_fte": f["leavers_fte"].to_numpy(),
        "joiners_fte": f["joiners_fte"].to_numpy()})
    out["how"] = [geography.translate(a, src, key)[1] if r == RULE_SUCCESSION else "" for a, r in
                  zip(out["from_code"], out["rule"])]
    out = out.groupby(["org_code", "org_name", "from_code", "to_code", "rule", "how"], as_index=False, dropna=False)[
        ["sip_end_fte", "leavers_fte", "joiners_fte"]].sum(min_count=1)
    names = geography.area_name_lookup(key)
    out.insert(3, "from_name", out["from_code"].map(names))
    out.insert(5, "to_name", out["to_code"].map(names))
    return out.sort_values(["to_code", "org_code"], ignore_index=True)


def load_frame(data_dir: str | Path, key: str, periods: list[str] | None = None,
               area_codes: list[str] | None = None, sources: list[str] | None = None,
               problems: list[str] | None = None) -> pd.DataFrame:
    """Organisation rows (as loader.load_frame) on the footprint of vintage `key`: each row's area is its
    organisation's system in that vintage (rule in the module docstring); area_codes filter after re-assigning."""
    level = geography.store_level(key)
    f = loader.load_frame(data_dir, level, periods=periods, sources=sources, problems=problems)
    if f.empty:
        f["level"] = f["level"].astype(str)
        return f
    own = _period_vintage(f["period_end"].astype(str), level) == key
    if own.all():
        f["level"] = key
    else:
        f = rebase(f, key, seen_systems(data_dir, key))
    if area_codes is not None:
        f = f[f["area_code"].isin(list(area_codes))].reset_index(drop=True)
    return f


def rebase_sickness(frame: pd.DataFrame, key: str, seen: pd.DataFrame) -> pd.DataFrame:
    """Sickness absence rows (lib.data.schema.SICKNESS_COLUMNS) moved onto the systems of vintage `key` by the
    same rules as turnover rows (module docstring): each organisation's days lost and days available count in its
    system on that footprint. Nothing is dropped or summed: the same rows, so England's days are unchanged.
    A row the footprint cannot place keeps the code it was published with: organisations outside any system
    (ICS_CODE QZZ, special health authorities and other national bodies) stay outside every system, counted in
    England's rate and their organisation type's as published; a code no succession chain reaches stays as it is."""
    out = frame.copy()
    if out.empty:
        out["level"] = key
        return out
    level = geography.store_level(key)
    codes, _ = _assign(out, key, level, seen)
    outside = out["area_code"].astype(str).to_numpy() == SICKNESS_OUTSIDE_SYSTEMS
    codes = np.where(outside, SICKNESS_OUTSIDE_SYSTEMS, codes).astype(object)  # outside systems stays outside
    names, regions = geography.area_name_lookup(key), geography.area_lookup_regions(key)
    region = np.array([regions.get(c) for c in codes], dtype=object)
    name = np.array([names.get(c) for c in codes], dtype=object)
    out["area_code"] = codes
    out["area_name"] = np.where(pd.isna(name), out["area_name"].to_numpy(dtype=object), name)
    out["region_code"] = np.where(pd.isna(region), out["region_code"].to_numpy(dtype=object), region)
    out["level"] = key
    return out


def load_sickness(data_dir: str | Path, key: str, periods: list[str] | None = None,
                  problems: list[str] | None = None) -> pd.DataFrame:
    """Sickness absence rows (as loader.load_sickness) on the footprint of vintage `key`; months of that vintage
    as published, others re-assigned by rebase_sickness."""
    level = geography.store_level(key)
    f = loader.load_sickness(data_dir, level, periods=periods, problems=problems)
    if f.empty:
        return f
    own = _period_vintage(f["period_end"].astype(str), level) == key
    if own.all():
        f["level"] = key
        return f
    return rebase_sickness(f, key, seen_systems(data_dir, key))
