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

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib.data import engine, footprint, geography, loader
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

_FTE_MEASURES = [m for m in MEASURES if not m.endswith("_hc")]
OUTPUT_COLUMNS = [
    "period", "period_months", "level", "area_code", "area_name", "region_code", "staff_group",
    "fte", "headcount", "sip_start_fte", "sip_start_hc", "joiners_fte", "joiners_hc", "leavers_fte", "leavers_hc",
    "leaver_rate", "joiner_rate", "vacancy_fte", "establishment_fte", "vacancy_rate", "fte_share", "fte_growth",
    "basis",
]

_TEXT_OUT = {"period", "level", "area_code", "area_name", "region_code", "staff_group", "basis"}
_OUTPUT_SCHEMA = pa.schema([(c, pa.large_string()) if c in _TEXT_OUT else (c, pa.int64()) if c == "period_months"
                            else (c, pa.float64()) for c in OUTPUT_COLUMNS])
_INPUT_COLUMNS = ["period_end", "level", "area_code", "staff_group", "source", "period_months", *MEASURES]


def metrics_sql(rows: str, basis: str, by_staff_group: bool, include_england: bool, include_regions: bool,
                one_source: bool = False) -> str:
    """The metrics as one DuckDB query over `rows` (a relation with the canonical columns period_end, level,
    area_code, staff_group, source, period_months and the measures; organisation rows or area rows alike).

    Steps, as the module docstring defines them: rows summed per period x area x staff group x source; each measure
    from the first source in SOURCE_PRIORITY that has it (one_source: the rows hold a single known source, so the
    sums are the figures); an area's missing "All staff groups" FTE figures from the sum of its groups (headcount
    never); regions and England as sums of areas (added in area order, one thread: the same figures to the bit
    whatever order the rows came in and however many periods are asked for); rates from the sums; FTE share of the area's "All staff groups"
    FTE. Missing stays missing (SQL NULL), and a rate with no positive denominator is missing.

    Rows come unordered, with two more columns, _kind (0 area, 1 region, 2 England) and _staff_order (the staff
    group's place in STAFF_GROUP_ORDER): run_metrics puts them in the published order (ORDERED_BY) in Arrow: at 120
    months ~18 ms where DuckDB's ORDER BY over these wide rows took ~50 (the query's CPU 265 -> 232 ms;
    bench/README.md, history at scale).
    """
    q = engine.quoted
    u = "fte" if basis == "fte" else "hc"
    m_sum = ", ".join(f"sum(CAST({q(m)} AS DOUBLE)) AS {q(m)}" for m in MEASURES)
    m_first = ", ".join(f"arg_min({q(m)}, _rank) FILTER (WHERE {q(m)} IS NOT NULL) AS {q(m)}" for m in MEASURES)
    m_fill = ", ".join(f"coalesce(t.{q(m)}, g.{q(m)}) AS {q(m)}" if m in _FTE_MEASURES else f"t.{q(m)}"
                       for m in MEASURES)
    g_sum = ", ".join(f"sum({q(m)}) AS {q(m)}" for m in _FTE_MEASURES)
    m_agg = ", ".join(f"sum({q(m)}) AS {q(m)}" for m in MEASURES)
    m_plain = ", ".join(q(m) for m in MEASURES)
    all_staff = engine.text_list([ALL_STAFF])[1:-1]
    keys = ("CAST(period_end AS VARCHAR) AS period, CAST(level AS VARCHAR) AS level, CAST(area_code AS VARCHAR) "
            "AS area_code, CAST(staff_group AS VARCHAR) AS staff_group")
    months = "CAST(max(CASE WHEN period_months > 0 THEN period_months END) AS BIGINT)"
    valid = "period_end IS NOT NULL AND level IS NOT NULL AND area_code IS NOT NULL AND staff_group IS NOT NULL"
    if one_source:
        comp = (f"SELECT {keys}, coalesce({months}, 0) AS period_months, {m_sum} FROM {rows} WHERE {valid} "
                "GROUP BY ALL")
    else:  # months from every row, measures from known sources only
        comp = f"""SELECT period, level, area_code, staff_group, coalesce(max(period_months), 0) AS period_months,
         {m_first}
  FROM (SELECT {keys}, {months} AS period_months, {m_sum},
               list_position({engine.text_list(SOURCE_PRIORITY)}, CAST(source AS VARCHAR)) AS _rank
        FROM {rows} WHERE {valid} GROUP BY ALL)
  GROUP BY period, level, area_code, staff_group HAVING count(_rank) > 0"""
    parts = ["SELECT period, level, area_code, staff_group, period_months, " + m_plain + ", region_code, 0 AS _kind "
             "FROM areas"]
    if include_regions:  # areas outside the lookup have no region to add to
        parts.append("SELECT period, level, region_code, staff_group, max(period_months), " + m_agg +
                     ", region_code, 1 FROM areas WHERE region_code IS NOT NULL GROUP BY period, level, region_code, "
                     "staff_group")
    if include_england:
        parts.append(f"SELECT period, level, '{ENGLAND_CODE}', staff_group, max(period_months), " + m_agg +
                     ", '', 2 FROM areas GROUP BY period, level, staff_group")
    keep = "" if by_staff_group else f"WHERE staff_group = {all_staff}"
    union = "\n  UNION ALL ".join(parts)
    return f"""
WITH comp AS (
  {comp}
),
groups AS (SELECT * FROM comp WHERE staff_group <> {all_staff}),
group_sums AS (
  SELECT period, level, area_code, max(period_months) AS period_months, {g_sum}
  FROM groups GROUP BY period, level, area_code
),
filled AS (  -- a total's own figures win; a missing FTE figure is the groups' sum; headcount never summed
  SELECT coalesce(t.period, g.period) AS period, coalesce(t.level, g.level) AS level,
         coalesce(t.area_code, g.area_code) AS area_code, {all_staff} AS staff_group,
         coalesce(t.period_months, g.period_months) AS period_months, {m_fill}
  FROM (SELECT * FROM comp WHERE staff_group = {all_staff}) t
  FULL OUTER JOIN group_sums g ON t.period = g.period AND t.level = g.level AND t.area_code = g.area_code
),
areas AS (  -- in key order: regions and England add their areas in the same order whatever order rows came in
  SELECT c.*, r.region_code FROM (SELECT * FROM groups UNION ALL SELECT * FROM filled) c
  LEFT JOIN _regions r ON r.area_code = c.area_code
  ORDER BY c.period, c.level, c.area_code, c.staff_group
),
rows_out AS (
  {union}
),
rated AS (
  SELECT r.*, (sip_start_{u} + sip_end_{u}) / 2.0 AS _mean_sip,
         coalesce(vacancy_fte, establishment_fte - sip_end_fte) AS _vacancy, t._total_fte
  FROM rows_out r
  LEFT JOIN (SELECT period, level, area_code, sip_end_fte AS _total_fte FROM rows_out
             WHERE staff_group = {all_staff}) t
    ON t.period = r.period AND t.level = r.level AND t.area_code = r.area_code
  {keep}
)
SELECT r.period, r.period_months, r.level, r.area_code, n.area_name, r.region_code, r.staff_group,
       r.sip_end_fte AS fte, r.sip_end_hc AS headcount, r.sip_start_fte, r.sip_start_hc, r.joiners_fte, r.joiners_hc,
       r.leavers_fte, r.leavers_hc,
       CASE WHEN _mean_sip > 0 THEN leavers_{u} / _mean_sip END AS leaver_rate,
       CASE WHEN _mean_sip > 0 THEN joiners_{u} / _mean_sip END AS joiner_rate,
       _vacancy AS vacancy_fte, r.establishment_fte,
       CASE WHEN _vacancy + sip_end_fte > 0 THEN _vacancy / (_vacancy + sip_end_fte) END AS vacancy_rate,
       CASE WHEN _total_fte > 0 THEN sip_end_fte / _total_fte END AS fte_share,
       CASE WHEN sip_start_fte > 0 THEN (sip_end_fte - sip_start_fte) / sip_start_fte END AS fte_growth,
       '{basis}' AS basis, r._kind,
       coalesce(list_position($staff_groups, r.staff_group), {len(STAFF_GROUP_ORDER) + 1}) AS _staff_order
FROM rated r LEFT JOIN _names n ON n.area_code = r.area_code
"""


# The published row order: month, then areas, regions, England, then code, then staff groups in their own order
# (a group outside it after them, by name). Arrow's sort is stable, so equal keys keep the engine's order.
ORDERED_BY = [("period", "ascending"), ("_kind", "ascending"), ("area_code", "ascending"), ("level", "ascending"),
              ("_staff_order", "ascending"), ("staff_group", "ascending")]
# Months per query when a long history is split across cores: a split costs ~15 % more CPU in all (two plans, two
# sets of lookups), so a short history stays one query (bench/README.md, history at scale).
MONTHS_PER_QUERY = 24


def lookups(level: str) -> tuple[dict[str, pa.Table], dict]:
    """The tables and parameters metrics_sql reads besides the rows: each area's region and name at `level`."""
    regions = geography.area_lookup_regions(level)
    names = {**geography.REGIONS, **geography.area_name_lookup(level), ENGLAND_CODE: ENGLAND_NAME}
    tables = {"_regions": pa.table({"area_code": pa.array(list(regions), pa.string()),
                                    "region_code": pa.array(list(regions.values()), pa.string())}),
              "_names": pa.table({"area_code": pa.array(list(names), pa.string()),
                                  "area_name": pa.array(list(names.values()), pa.string())})}
    return tables, {"staff_groups": list(STAFF_GROUP_ORDER)}


def run_metrics(rows: str, level: str, *, by_staff_group: bool, basis: str, include_england: bool,
                include_regions: bool, one_source: bool = False, params: dict | None = None,
                tables: dict[str, pa.Table] | None = None) -> pd.DataFrame:
    """metrics_sql over `rows` (SQL text: a registered table or a read_parquet scan) in the engine, as pandas."""
    return _as_pandas([metrics_table(rows, level, by_staff_group=by_staff_group, basis=basis,
                                     include_england=include_england, include_regions=include_regions,
                                     one_source=one_source, params=params, tables=tables)])


def metrics_table(rows: str, level: str, *, by_staff_group: bool, basis: str, include_england: bool,
                  include_regions: bool, one_source: bool = False, params: dict | None = None,
                  tables: dict[str, pa.Table] | None = None) -> pa.Table:
    """run_metrics' answer as an Arrow table (OUTPUT_COLUMNS, in the published order)."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    extra, lookup_params = lookups(level)
    sql = metrics_sql(rows, basis, by_staff_group, include_england, include_regions, one_source)
    # One thread: every sum is added in the same order on every run, so cached figures never flicker in the
    # last digit and the app and the CLI agree to the bit (the rows here are area totals: few, fast).
    out = engine.query(sql, {**lookup_params, **(params or {})}, {**extra, **(tables or {})}, threads=1)
    out = out.take(pc.sort_indices(out, sort_keys=ORDERED_BY)).drop_columns(["_kind", "_staff_order"])
    return out.cast(_OUTPUT_SCHEMA)


def _as_pandas(tables: list[pa.Table]) -> pd.DataFrame:
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    return (tables[0] if len(tables) == 1 else pa.concat_tables(tables)).to_pandas()


def area_metrics(frame: pd.DataFrame, by_staff_group: bool = True, *, basis: str = "fte",
                 include_england: bool = False, include_regions: bool = False) -> pd.DataFrame:
    """Metrics per period x area (x staff group) from canonical rows (see module docstring)."""
    if frame.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    level = _first_level(frame)
    rows = pa.Table.from_pandas(frame[_INPUT_COLUMNS], preserve_index=False)  # NaN -> missing (NULL)
    sources = frame["source"].unique()
    return run_metrics("_rows", level, by_staff_group=by_staff_group, basis=basis, include_england=include_england,
                       include_regions=include_regions, one_source=len(sources) == 1 and sources[0] in SOURCE_PRIORITY,
                       tables={"_rows": rows})


def store_metrics(data_dir, key: str, periods: list[str] | None = None, *, by_staff_group: bool = True,
                  basis: str = "fte", include_england: bool = False, include_regions: bool = False) -> pd.DataFrame:
    """area_metrics of the store's periods (None: all) on the systems of geography key `key` (lib/data/footprint.py).
    The app (ui/data.py) and the CLI (`python -m lib metrics`) both get their figures here: the same by construction.

    When every period asked is of vintage `key` (shown as published: the common case), the files that pass the
    loader's checks are read, summed and rated by ONE query (metrics_sql over the store's rows, loader.store_rows_sql),
    so no area row leaves the engine; otherwise organisations are re-assigned in the area frame
    (footprint.load_area_frame) and metrics_sql runs over that frame. Same figures to the bit either way
    (tests/test_engine.py): the organisations' sums are added in file row order, one thread, in both.

    A long history is split into runs of consecutive months (MONTHS_PER_QUERY or more each, at most one a core),
    queried side by side: a month's figures never read another month's rows, so the answer is the same to the bit
    as one query's (tests/test_engine.py), in about 1/cores of the time on an idle server."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    own = footprint.published_periods(data_dir, key, periods)
    if own is None:
        frame = footprint.load_area_frame(data_dir, key, periods=periods, names=False)
        return area_metrics(frame, by_staff_group, basis=basis, include_england=include_england,
                            include_regions=include_regions)

    def over(rows: str, params: dict, sources: frozenset | None) -> pa.Table:
        # One known source in every file (by their footers): its sums are the figures, and the source is not read.
        one_source = sources is not None and len(sources) == 1 and next(iter(sources)) in SOURCE_PRIORITY
        return metrics_table(f"(SELECT * REPLACE (CAST($footprint AS VARCHAR) AS level) FROM {rows})", key,
                             by_staff_group=by_staff_group, basis=basis, include_england=include_england,
                             include_regions=include_regions, one_source=one_source,
                             params={**params, "footprint": key})

    runs = max(1, min(engine.cores(), len(own) // MONTHS_PER_QUERY))
    # Each run is in the published order and holds whole months, in month order: together they are too.
    return _as_pandas(loader.load_area_frame(data_dir, geography.store_level(key), periods=own, names=False,
                                             over=over, groups=runs))


def _first_level(frame: pd.DataFrame) -> str:
    """The level whose lookups name the areas: that of the first period's rows (one level in practice)."""
    keyed = frame[["period_end", "level"]].dropna()
    if keyed.empty:
        return ""
    first = keyed["period_end"].astype(str).min()
    return str(keyed.loc[keyed["period_end"].astype(str) == first, "level"].astype(str).min())
