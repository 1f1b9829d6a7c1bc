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
import pyarrow as pa
import pyarrow.acero  # noqa: F401 - group_by's engine, imported up front rather than on first use
import pyarrow.compute as pc

from lib.data import geography
from lib.data.schema import ALL_STAFF, MEASURES, STAFF_GROUP_ORDER

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
_AREA_KEYS = ["period", "level", "area_code"]
_FTE_MEASURES = [m for m in MEASURES if not m.endswith("_hc")]
_TEXT = pa.string()

OUTPUT_COLUMNS = [
    "period", "period_months", "level", "area_code", "area_name", "region_code", "staff_group",
    "fte", "headcount", "sip_start_fte", "sip_start_hc", "joiners_fte", "joiners_hc", "leavers_fte", "leavers_hc",
    "leaver_rate", "joiner_rate", "vacancy_fte", "establishment_fte", "vacancy_rate", "fte_share", "fte_growth",
    "basis",
]

# Grouping and joining run in Arrow's C++ hash group-by on the text keys: pandas factorising string columns
# dominated at national scale (hundreds of thousands of organisation rows). Single-threaded so that float sums
# come out bit-identical on every run (cached figures never flicker in the last digit).
_THREADS = False


def _arrow_input(frame: pd.DataFrame) -> pa.Table:
    """The columns the metrics need, as Arrow: text keys dictionary-encoded, measures float64, keys never null.

    Dictionary keys group several times faster than text (pandas hands its text over as large_string, which
    Arrow's group-by hashes slowly)."""
    cols = ["period_end", "level", "area_code", "staff_group", "source", "period_months", *MEASURES]
    t = pa.Table.from_pandas(frame[cols], preserve_index=False)  # NaN -> null; zero-copy for Arrow-backed text
    t = t.rename_columns(["period", *cols[1:]])
    out = {}
    for name in t.column_names:
        col = t[name]
        if name in (*_GROUP_KEYS, "source"):
            out[name] = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col.cast(pa.large_string()))
        else:
            out[name] = col if col.type == pa.float64() else col.cast(pa.float64())
    t = pa.table(out)
    valid = None  # pandas' groupby dropped rows with a missing key; so do we
    for k in _GROUP_KEYS:
        if t[k].null_count:
            v = pc.is_valid(t[k])
            valid = v if valid is None else pc.and_(valid, v)
    return t if valid is None else t.filter(valid)


def _group(t: pa.Table, keys: list[str], aggs: list[tuple[str, str]]) -> pa.Table:
    """Group-by with the aggregated columns keeping their names (Arrow appends _sum, _max...)."""
    g = t.group_by(keys, use_threads=_THREADS).aggregate(aggs)
    return g.rename_columns([n if n in keys else n.rsplit("_", 1)[0] for n in g.column_names])


def _sums(t: pa.Table, keys: list[str], measures=MEASURES) -> pa.Table:
    # Arrow's sum skips nulls and is null when a group has none (pandas sum(min_count=1)); months: largest > 0.
    return _group(t, keys, [(m, "sum") for m in measures] + [("period_months", "max")])


def _components(frame: pd.DataFrame) -> pa.Table:
    """Sum organisations to area level per source, then pick each measure from the best source."""
    t = _arrow_input(frame)
    if t.num_rows == 0:
        return t.drop_columns(["source"])
    pm = t["period_months"]
    t = t.set_column(t.column_names.index("period_months"), "period_months",
                     pc.if_else(pc.greater(pm, 0), pm, pa.scalar(None, pa.float64())))
    by_source = _sums(t, [*_GROUP_KEYS, "source"])  # months from every row, measures from known sources only
    for k in (*_GROUP_KEYS, "source"):  # plain text again (few rows now) for the joins and sorting below
        by_source = by_source.set_column(by_source.column_names.index(k), k, by_source[k].cast(_TEXT))
    known = by_source.filter(pc.is_in(by_source["source"], value_set=pa.array(SOURCE_PRIORITY, _TEXT)))
    if known.num_rows == 0:
        return known.drop_columns(["source"])
    if pc.count_distinct(by_source["source"]).as_py() == 1:
        comp = known.drop_columns(["source"])
    else:
        # First non-missing value of each measure in SOURCE_PRIORITY order (ordered group-by: one thread).
        rank = pc.index_in(known["source"], value_set=pa.array(SOURCE_PRIORITY, _TEXT))
        known = known.append_column("_rank", rank).sort_by("_rank")
        g = known.group_by(_GROUP_KEYS, use_threads=False).aggregate([(m, "first") for m in MEASURES])
        comp = g.rename_columns([n.removesuffix("_first") for n in g.column_names])
        months = _group(by_source, _GROUP_KEYS, [("period_months", "max")])
        comp = comp.join(months, keys=_GROUP_KEYS, join_type="left outer", use_threads=_THREADS)
    months = comp["period_months"].fill_null(0).cast(pa.int64())
    comp = comp.set_column(comp.column_names.index("period_months"), "period_months", months)
    return _fill_totals(comp.select([*_GROUP_KEYS, "period_months", *MEASURES]))


def _fill_totals(comp: pa.Table) -> pa.Table:
    """Where an area has no "All staff groups" figure, FTE measures are the sum of its groups.

    Headcount totals are never summed from groups (a person in two groups counts once in the total).
    """
    is_total = pc.equal(comp["staff_group"], pa.scalar(ALL_STAFF, _TEXT))
    groups = comp.filter(pc.invert(is_total))
    if groups.num_rows == 0:
        return _in_key_order(comp)
    totals = comp.filter(is_total)
    sums = _sums(groups, _AREA_KEYS, _FTE_MEASURES)
    sums = sums.rename_columns([n if n in _AREA_KEYS else f"_g_{n}" for n in sums.column_names])
    both = totals.join(sums, keys=_AREA_KEYS, join_type="full outer", use_threads=_THREADS)
    # A total's own figures win; a missing FTE figure (e.g. vacancies only given by group) is the groups' sum.
    # Areas with no total row get one: FTE from the groups, headcount missing, months the groups' longest.
    cols = {k: both[k] for k in _AREA_KEYS}
    cols["staff_group"] = pa.array(np.full(both.num_rows, ALL_STAFF, dtype=object), _TEXT)
    cols["period_months"] = pc.coalesce(both["period_months"], both["_g_period_months"].cast(pa.int64()))
    for m in MEASURES:
        cols[m] = pc.coalesce(both[m], both[f"_g_{m}"]) if m in _FTE_MEASURES else both[m]
    filled = pa.table(cols).cast(comp.schema)
    # In key order, so region and England sums add areas in the same order whatever order the rows came in.
    return _in_key_order(pa.concat_tables([groups, filled]))


def _in_key_order(t: pa.Table) -> pa.Table:
    return t.take(pa.array(np.lexsort([_rank(t[k]) for k in reversed(_GROUP_KEYS)])))


def _aggregate(comp: pa.Table, code_col: str | None) -> pa.Table:
    """Sum area components to regions (code_col='region_code') or England (None)."""
    if code_col is None:
        g = _sums(comp, ["period", "level", "staff_group"])
        code = pa.array(np.full(g.num_rows, ENGLAND_CODE, dtype=object), _TEXT)
        g = g.append_column("area_code", code).append_column("region_code", pa.array([""] * g.num_rows, _TEXT))
    else:
        c = comp.filter(pc.is_valid(comp[code_col]))  # areas outside the lookup have no region to add to
        g = _sums(c, ["period", "level", code_col, "staff_group"])
        g = g.append_column("area_code", g[code_col])
    g = g.set_column(g.column_names.index("period_months"), "period_months",
                     g["period_months"].cast(pa.int64()))
    return g.select([*_GROUP_KEYS, "period_months", *MEASURES, "region_code"])


def _lookup(codes: pa.ChunkedArray, mapping: dict[str, str]) -> pa.ChunkedArray:
    """mapping[code] for each code (null where unknown), looked up once per distinct code."""
    keys = pa.array(list(mapping), _TEXT)
    idx = pc.index_in(codes, value_set=keys)
    return pa.array(list(mapping.values()), _TEXT).take(idx)


def _rates(df: dict[str, np.ndarray], basis: str) -> None:
    u = "fte" if basis == "fte" else "hc"
    mean_sip = (df[f"sip_start_{u}"] + df[f"sip_end_{u}"]) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        df["leaver_rate"] = np.where(mean_sip > 0, df[f"leavers_{u}"] / mean_sip, np.nan)
        df["joiner_rate"] = np.where(mean_sip > 0, df[f"joiners_{u}"] / mean_sip, np.nan)
        vac = np.where(np.isnan(df["vacancy_fte"]), df["establishment_fte"] - df["sip_end_fte"], df["vacancy_fte"])
        df["vacancy_fte"] = vac
        denom = vac + df["sip_end_fte"]
        df["vacancy_rate"] = np.where(denom > 0, vac / denom, np.nan)
        start = df["sip_start_fte"]
        df["fte_growth"] = np.where(start > 0, (df["sip_end_fte"] - start) / start, np.nan)


def _rank(col: pa.ChunkedArray) -> np.ndarray:
    """Each value's place among the distinct values in text order (so integers sort like the text)."""
    enc = pc.dictionary_encode(col).combine_chunks()
    rank = np.empty(len(enc.dictionary), dtype=np.int64)
    rank[pc.array_sort_indices(enc.dictionary).to_numpy()] = np.arange(len(enc.dictionary))
    return rank[enc.indices.to_numpy(zero_copy_only=False)]


def _float(col: pa.ChunkedArray) -> np.ndarray:
    return col.to_numpy().astype(np.float64, copy=True)  # nulls come back as NaN


def area_metrics(frame: pd.DataFrame, by_staff_group: bool = True, *, basis: str = "fte",
                 include_england: bool = False, include_regions: bool = False) -> pd.DataFrame:
    """Metrics per period x area (x staff group) from canonical rows (see module docstring)."""
    if frame.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    comp = _components(frame)
    if comp.num_rows == 0:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    level = comp["level"][0].as_py()
    comp = comp.append_column("region_code", _lookup(comp["area_code"], geography.area_lookup_regions(level)))
    parts = [comp]
    if include_regions:
        parts.append(_aggregate(comp, "region_code"))
    if include_england:
        parts.append(_aggregate(comp, None))
    t = pa.concat_tables(parts)
    if not by_staff_group:
        t = t.filter(pc.equal(t["staff_group"], pa.scalar(ALL_STAFF, _TEXT)))
    # Order: period, then areas, regions, England, then staff groups in publication order (unknown last). Sorted
    # on integer ranks (numpy) rather than on the text: several times faster than a multi-column text sort.
    code = t["area_code"]
    kind = np.where(pc.equal(code, pa.scalar(ENGLAND_CODE, _TEXT)).to_numpy(zero_copy_only=False), 2,
                    np.where(pc.is_in(code, value_set=pa.array(list(geography.REGIONS), _TEXT))
                             .to_numpy(zero_copy_only=False), 1, 0))
    group = pc.index_in(t["staff_group"], value_set=pa.array(STAFF_GROUP_ORDER, _TEXT))
    group = group.fill_null(len(STAFF_GROUP_ORDER)).to_numpy()
    period, area, lvl = _rank(t["period"]), _rank(code), _rank(t["level"])
    order = np.lexsort((group, lvl, area, kind, period))
    t = t.take(pa.array(order))
    period, area, lvl, group = period[order], area[order], lvl[order], group[order]
    # fte_share: each (period, area) block starts with its "All staff groups" row when it has one.
    n = len(order)
    new_block = np.ones(n, dtype=bool)
    new_block[1:] = (period[1:] != period[:-1]) | (area[1:] != area[:-1]) | (lvl[1:] != lvl[:-1])
    first = np.maximum.accumulate(np.where(new_block, np.arange(n), 0))
    names = {**geography.REGIONS, **geography.area_names(level), ENGLAND_CODE: ENGLAND_NAME}
    num = {m: _float(t[m]) for m in MEASURES}
    _rates(num, basis)
    tot = np.where(group[first] == 0, num["sip_end_fte"][first], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(tot > 0, num["sip_end_fte"] / tot, np.nan)
    cols = {"period": t["period"], "period_months": t["period_months"], "level": t["level"],
            "area_code": t["area_code"], "area_name": _lookup(t["area_code"], names),
            "region_code": t["region_code"], "staff_group": t["staff_group"],
            "fte": num["sip_end_fte"], "headcount": num["sip_end_hc"], **num, "fte_share": share}
    cols["basis"] = pa.array(np.full(t.num_rows, basis, dtype=object), _TEXT)
    return pa.table({c: cols[c] for c in OUTPUT_COLUMNS}).to_pandas()
