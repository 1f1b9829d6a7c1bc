"""Read the canonical Parquet store with filters pushed down.

Partition pruning picks only `level=X/period=P/` files; area filters are pushed into the Parquet
reader. `snapshot_id()` identifies the files' state (paths, sizes, mtimes) so the app can cache on it
and pick up new extracts without a restart.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lib.data.ingest import read_manifest
from lib.data.schema import (ARROW_SCHEMA, CANONICAL_COLUMNS, MEASURES, ORG_ATTRIBUTE_COLUMNS, SICKNESS_ARROW_SCHEMA,
                             SICKNESS_COLUMNS)

ENV_DATA_DIR = "WORKFORCE_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA_DIR = REPO_ROOT / "data" / "demo"


class DataDirError(ValueError):
    """The data directory is missing or holds nothing readable."""


def default_data_dir() -> Path:
    """$WORKFORCE_DATA_DIR if set, else the embedded synthetic demo data."""
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    return Path(env) if env else DEMO_DATA_DIR


# Footer checks keyed on (path, size, mtime): a file is re-checked only when it changes.
_CHECKED: dict[tuple[str, int, int], str | None] = {}
_CHECKED_MAX = 20000


def _file_key(f: Path) -> tuple[str, int, int] | None:
    try:
        st = f.stat()
    except OSError:
        return None
    return (str(f), st.st_size, st.st_mtime_ns)


def _type_ok(column: str, typ: pa.DataType) -> bool:
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if column == "period_months":
        return pa.types.is_integer(typ)
    if column in MEASURES:
        return pa.types.is_floating(typ) or pa.types.is_integer(typ) or pa.types.is_null(typ)
    return pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ)


def _stat_values(meta: pq.FileMetaData, column: str) -> tuple[list, bool]:
    """(min and max values over row groups, complete) from footer statistics."""
    idx = meta.schema.names.index(column)
    vals, complete = [], True
    for rg in range(meta.num_row_groups):
        stats = meta.row_group(rg).column(idx).statistics
        if stats is None or not stats.has_min_max:
            complete = False
            continue
        vals += [stats.min, stats.max]
    return vals, complete


def _check_footer(f: Path, level: str, period: str) -> str | None:
    """Why a store file cannot be served (None = fine), from its Parquet footer only (cheap)."""
    what = "; it is ignored and the other files are still used. Remove it or re-ingest the extract"
    try:
        meta = pq.read_metadata(f)
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"{f}: not a readable Parquet file (damaged or truncated: {str(exc)[:120]}){what}"
    # Organisation attributes (care setting, peer group) came later: files written before them still load.
    missing = [c for c in CANONICAL_COLUMNS if c not in schema.names and c not in ORG_ATTRIBUTE_COLUMNS]
    if missing:
        return (f"{f}: not a workforce store file (missing column(s) {', '.join(missing[:6])}"
                f"{'...' if len(missing) > 6 else ''}){what}")
    bad = [c for c in CANONICAL_COLUMNS if c in schema.names and not _type_ok(c, schema.field(c).type)]
    if bad:
        return f"{f}: column(s) {', '.join(bad)} have the wrong type ({schema.field(bad[0]).type}){what}"
    for column, expected in (("level", level), ("period_end", period)):
        vals, _ = _stat_values(meta, column)
        if any(v != expected for v in vals):
            return (f"{f}: holds {column} {sorted(set(map(str, vals)) - {expected})[:3]} but sits in the "
                    f"{column.split('_')[0]}={expected} folder{what}")
    for m in MEASURES:
        vals, _ = _stat_values(meta, m)
        if any(isinstance(v, (int, float)) and v < 0 for v in vals):
            return f"{f}: negative values in column {m}{what}"
    return None


def _file_problem(f: Path, level: str, period: str) -> str | None:
    key = _file_key(f)
    if key is None:
        return None  # vanished since it was listed; the next listing will not show it
    if key not in _CHECKED:
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[key] = _check_footer(f, level, period)
    return _CHECKED[key]


def _remember_problem(f: Path, problem: str) -> None:
    key = _file_key(f)
    if key is not None:
        _CHECKED[key] = problem


def _partitions(data_dir: Path, level: str, problems: list[str] | None = None) -> dict[str, list[Path]]:
    """Readable store files by period; files that cannot be served are skipped and described in problems."""
    base = Path(data_dir) / f"level={level}"
    out: dict[str, list[Path]] = {}
    if not base.is_dir():
        return out
    for pdir in sorted(base.glob("period=*")):
        period = pdir.name.split("=", 1)[1]
        files = []
        for f in sorted(f for f in pdir.glob("*.parquet") if not f.name.startswith(".")):
            problem = _file_problem(f, level, period)
            if problem is None:
                files.append(f)
            elif problems is not None:
                problems.append(problem)
        if files:
            out[period] = files
    return out


def store_problems(data_dir: str | Path, level: str | None = None) -> list[str]:
    """Files in the store that are refused (damaged, truncated, foreign), one message each; [] when all good."""
    out: list[str] = []
    for lv in ([level] if level else ["ICS", "STP"]):
        _partitions(Path(data_dir), lv, out)
    return out


def available_periods(data_dir: str | Path, level: str) -> list[str]:
    return sorted(_partitions(Path(data_dir), level))


def available_levels(data_dir: str | Path) -> list[str]:
    return [lv for lv in ("ICS", "STP") if _partitions(Path(data_dir), lv)]


def snapshot_id(data_dir: str | Path) -> tuple:
    """Identity of the store's current files: changes whenever a file is added, replaced or removed."""
    d = Path(data_dir)
    items = []
    for f in (sorted(d.glob("level=*/period=*/*.parquet")) + sorted(d.glob("sickness/level=*/period=*/*.parquet"))
              + [d / "manifest.json"]):
        try:
            st = f.stat()
        except OSError:
            continue
        items.append((str(f.relative_to(d)), st.st_size, st.st_mtime_ns))
    return (str(d.resolve()), tuple(items))


def load_frame(data_dir: str | Path, level: str, periods: list[str] | None = None,
               area_codes: list[str] | None = None, sources: list[str] | None = None,
               problems: list[str] | None = None) -> pd.DataFrame:
    """Canonical rows for a level, optionally only some periods / areas / sources.

    A store file that cannot be served (damaged, truncated, foreign) is skipped, never fatal: the good
    files keep being served and the reason is appended to `problems` (see also store_problems()).
    """
    return _load(data_dir, level, periods, area_codes, sources, problems, by_area=False)


def load_area_frame(data_dir: str | Path, level: str, periods: list[str] | None = None,
                    area_codes: list[str] | None = None, sources: list[str] | None = None,
                    problems: list[str] | None = None) -> pd.DataFrame:
    """As load_frame, with organisations summed: one row per period x area x staff group x source.

    Same canonical columns and dtypes (org_code and org_name empty; names and period_start from the area's
    first row; period_months the longest). lib.insight.metrics.area_metrics gives the same figures from it as from
    load_frame, from a small fraction of the rows: the summing runs in Arrow while each file is read, and
    the organisation columns are never decoded. Use it wherever figures per area are all that is needed.
    """
    return _load(data_dir, level, periods, area_codes, sources, problems, by_area=True)


def _load(data_dir, level, periods, area_codes, sources, problems, by_area: bool) -> pd.DataFrame:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist; ingest files into it first "
                           f"(python -m lib ingest FILE --data-dir {data_dir})")
    parts = _partitions(data_dir, level, problems)
    wanted = set(periods) if periods is not None else None
    files = [(p, f) for p, fs in parts.items() if wanted is None or p in wanted for f in fs
             if sources is None or f.stem in sources]
    wanted_areas = pa.array(list(area_codes), pa.string()) if area_codes else None
    # Files are read in parallel (Arrow releases the GIL) with the repetitive text columns dictionary-encoded,
    # which halves decoding time and memory; they are decoded back to plain text before pandas sees them.
    with ThreadPoolExecutor(max_workers=min(_READ_THREADS, max(1, len(files)))) as pool:
        results = list(pool.map(lambda pf: _read_one(pf[1], level, pf[0], wanted_areas, by_area), files))
    tables = []
    for (_, f), (table, problem) in zip(files, results):
        if problem is None:
            tables.append(table)
            continue
        _remember_problem(f, problem)
        if problems is not None:
            problems.append(problem)
    if not tables:
        return pd.DataFrame({c: pd.Series(dtype=ARROW_SCHEMA.field(c).type.to_pandas_dtype())
                             for c in CANONICAL_COLUMNS})
    return pa.concat_tables(tables).to_pandas()


_READ_THREADS = max(2, min(8, os.cpu_count() or 2))
_TEXT_COLUMNS = [f.name for f in ARROW_SCHEMA if pa.types.is_string(f.type)]
_READ_SCHEMA = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if pa.types.is_string(f.type)
                          else f for f in ARROW_SCHEMA])
_ORG_COLUMNS = ("org_code", "org_name", *ORG_ATTRIBUTE_COLUMNS)
_AREA_KEYS = ["period_end", "level", "area_code", "staff_group", "source"]
_AREA_FIRST = ["period_start", "area_name", "region_code"]


def _decoded(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return col.cast(pa.large_string()) if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type) else col


def _codes(col: pa.ChunkedArray) -> tuple[np.ndarray, int]:
    """Integer code per row (-1 = missing) and the number of distinct values, from a unified dictionary column."""
    if col.num_chunks == 0:
        return np.zeros(0, dtype=np.int64), 1
    codes = np.concatenate([c.indices.fill_null(-1).to_numpy().astype(np.int64) for c in col.chunks])
    return codes, len(col.chunks[0].dictionary)


def _by_area(t: pa.Table) -> pa.Table:
    """Rows summed over organisations per period x area x staff group x source, in order of first appearance.

    Sums skip missing values and stay missing when a group has none (as area_metrics sums), added in row
    order (numpy bincount), so the figures are the ones area_metrics gets from the organisation rows.
    """
    t = t.unify_dictionaries()
    key = np.zeros(t.num_rows, dtype=np.int64)
    for k in _AREA_KEYS:
        codes, n = _codes(t[k])
        if (int(key.max(initial=0)) + 1) * (n + 1) >= 1 << 62:  # would overflow: renumber the key so far
            key = pd.factorize(key)[0].astype(np.int64)
        key = key * (n + 1) + (codes + 1)
    group, _ = pd.factorize(key)  # numbered in order of first appearance
    n_groups = int(group.max(initial=-1)) + 1
    blank = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n_groups, dtype=np.int32)), pa.array([""]))
    if n_groups == t.num_rows:  # one organisation per area (already area totals): nothing to add up
        t = t.drop_columns([c for c in _ORG_COLUMNS if c in t.column_names])
        for c in _ORG_COLUMNS:
            t = t.append_column(c, blank)
        return t.select(_READ_SCHEMA.names).cast(_READ_SCHEMA)
    first = np.searchsorted(np.maximum.accumulate(group), np.arange(n_groups))  # each group's first row
    cols = {}
    for m in MEASURES:
        x = t[m].to_numpy()
        missing = np.isnan(x)
        if not missing.any():
            cols[m] = np.bincount(group, weights=x, minlength=n_groups)
            continue
        total = np.bincount(group, weights=np.where(missing, 0.0, x), minlength=n_groups)
        cols[m] = np.where(np.bincount(group, weights=~missing, minlength=n_groups) > 0, total, np.nan)
    months = np.full(n_groups, np.iinfo(np.int16).min, dtype=np.int16)
    np.maximum.at(months, group, t["period_months"].fill_null(0).to_numpy())
    take = pa.array(first)
    out = {c: t[c].take(take) for c in (*_AREA_KEYS, *_AREA_FIRST)}
    out.update({c: blank for c in _ORG_COLUMNS}, period_months=months, **cols)
    return pa.table({c: out[c] for c in _READ_SCHEMA.names}).cast(_READ_SCHEMA)


def _read_one(f: Path, level: str, period: str, area_codes: pa.Array | None,
              by_area: bool = False) -> tuple[pa.Table | None, str | None]:
    """(table, None) or (None, why the file is refused)."""
    columns = [c for c in CANONICAL_COLUMNS if not (by_area and c in _ORG_COLUMNS)]
    try:
        # ParquetFile.read: no per-call dataset set-up (read_table's), which cost more than the reading itself.
        try:
            with pq.ParquetFile(f, read_dictionary=[c for c in _TEXT_COLUMNS if c in columns]) as pf:
                t = pf.read(columns=columns, use_threads=False)
            names = set(columns)
        except KeyError:  # written before the organisation attributes existed (checked in the footer)
            names = set(pq.read_schema(f).names)
            present = [c for c in columns if c in names]
            with pq.ParquetFile(f, read_dictionary=[c for c in _TEXT_COLUMNS if c in present]) as pf:
                t = pf.read(columns=present, use_threads=False)
        for c in columns:  # a store written before the organisation attributes existed: they are ""
            if c not in names and c in ORG_ATTRIBUTE_COLUMNS:
                t = t.append_column(c, pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(t.num_rows, dtype=np.int32)), pa.array([""])))
        schema = pa.schema([_READ_SCHEMA.field(c) for c in columns])
        t = t.select(columns).cast(schema)
        if area_codes is not None:
            t = t.filter(pc.is_in(t["area_code"], value_set=area_codes))
    except (pa.ArrowException, OSError, ValueError) as exc:
        return None, (f"{f}: cannot be read as a workforce Parquet file ({str(exc)[:120]}); it is ignored and "
                      "the other files are still used. Remove it or re-ingest the extract")
    if (problem := _content_problem(f, t, level, period)) is not None:
        return None, problem
    # Summed file by file (a period's file holds one source, so no group spans two files): memory stays at
    # one file's organisation rows per reader. Text is decoded here, in parallel, into large_string: pandas'
    # own text storage, which it then takes as it is.
    t = _by_area(t) if by_area else t
    return pa.table({c: _decoded(t[c]) for c in CANONICAL_COLUMNS}), None


def _content_problem(f: Path, t: pa.Table, level: str, period: str) -> str | None:
    """Checks the footer could not settle (files written without statistics)."""
    for column, expected in (("level", level), ("period_end", period)):
        col = t[column]
        if pa.types.is_dictionary(col.type) and all(  # the usual case, settled by the distinct values alone
                c.dictionary.to_pylist() in ([expected], []) for c in col.chunks):
            continue
        if t.num_rows and not pc.all(pc.equal(col, expected)).as_py():
            return (f"{f}: holds rows of another {column.split('_')[0]} than its folder ({expected}); it is "
                    "ignored and the other files are still used. Remove it or re-ingest the extract")
    return None


def provenance(data_dir: str | Path) -> dict:
    """What the data directory holds: synthetic flag, source files, levels and period ranges."""
    data_dir = Path(data_dir)
    man = read_manifest(data_dir)
    out = {"data_dir": str(data_dir), "synthetic": bool(man.get("synthetic", False)),
           "description": man.get("description", ""), "files": man.get("files", []), "levels": {}}
    for lv in available_levels(data_dir):
        ps = available_periods(data_dir, lv)
        out["levels"][lv] = {"first": ps[0], "last": ps[-1], "count": len(ps)}
    return out


def sickness_periods(data_dir: str | Path, level: str) -> list[str]:
    """Months with sickness absence rows at a level (its own store: <data_dir>/sickness/level=L/period=P/)."""
    base = Path(data_dir) / "sickness" / f"level={level}"
    return sorted(p.name.split("=", 1)[1] for p in base.glob("period=*") if any(p.glob("*.parquet")))


def load_sickness(data_dir: str | Path, level: str, periods: list[str] | None = None,
                  problems: list[str] | None = None) -> pd.DataFrame:
    """Sickness absence rows (lib.data.schema.SICKNESS_COLUMNS) for a level; an unreadable file is skipped and
    named in `problems`, never fatal."""
    base = Path(data_dir) / "sickness" / f"level={level}"
    wanted = set(periods) if periods is not None else None
    tables = []
    for pdir in sorted(base.glob("period=*")):
        period = pdir.name.split("=", 1)[1]
        if wanted is not None and period not in wanted:
            continue
        for f in sorted(x for x in pdir.glob("*.parquet") if not x.name.startswith(".")):
            try:
                t = pq.read_table(f, columns=list(SICKNESS_COLUMNS)).cast(SICKNESS_ARROW_SCHEMA)
            except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
                if problems is not None:
                    problems.append(f"{f}: not a readable sickness absence file ({str(exc)[:120]}); it is ignored")
                continue
            if t.num_rows and not pc.all(pc.equal(t["period_end"], period)).as_py():
                if problems is not None:
                    problems.append(f"{f}: holds rows of another month than its folder ({period}); it is ignored")
                continue
            tables.append(t)
    if not tables:
        return pd.DataFrame({f.name: pd.Series(dtype=f.type.to_pandas_dtype()) for f in SICKNESS_ARROW_SCHEMA})
    return pa.concat_tables(tables).to_pandas()
