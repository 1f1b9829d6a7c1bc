"""Read the canonical Parquet store through the data engine (DuckDB, lib/data/engine.py).

Partition pruning picks only `level=X/period=P/` files; each file is checked on its own first (footer: columns,
types, level and month, negative values; then overlapping files of one month) and a file that fails, or that the
engine cannot decode, is refused by name while the others are served. The files left are read by one query
(organisations summed per area in it for load_area_frame; or, with load_area_frame(over=...), the caller's query
over them: lib.insight.metrics.store_metrics computes the metrics straight from the files that way).
`snapshot_id()` identifies the files' state (paths, sizes, mtimes) so the app can cache on it and pick up new
extracts without a restart.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from lib.data import engine
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
_LOCAL_FS = pafs.LocalFileSystem()
_CHECKED: dict[tuple[str, int, int], str | None] = {}
_CHECKED_MAX = 20000
_LACKS_ATTRIBUTES: dict[tuple[str, int, int] | None, bool] = {}  # written before the organisation attributes
_SOURCES: dict[tuple[str, int, int] | None, frozenset | None] = {}  # source values per footer (None: no statistics)


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


def _stat_values(meta: pq.FileMetaData, column: str, names: list[str], groups: list) -> tuple[list, bool]:
    """(min and max values over row groups, complete) from footer statistics (names: the file's column names;
    groups: its row groups' metadata, taken once: each access builds new Python objects)."""
    idx = names.index(column)
    vals, complete = [], True
    for group in groups:
        stats = group.column(idx).statistics
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
    names = set(schema.names)
    missing = [c for c in CANONICAL_COLUMNS if c not in names and c not in ORG_ATTRIBUTE_COLUMNS]
    _LACKS_ATTRIBUTES[_file_key(f)] = any(c not in names for c in ORG_ATTRIBUTE_COLUMNS)
    if missing:
        return (f"{f}: not a workforce store file (missing column(s) {', '.join(missing[:6])}"
                f"{'...' if len(missing) > 6 else ''}){what}")
    bad = [c for c in CANONICAL_COLUMNS if c in names and not _type_ok(c, schema.field(c).type)]
    if bad:
        return f"{f}: column(s) {', '.join(bad)} have the wrong type ({schema.field(bad[0]).type}){what}"
    columns, groups = meta.schema.names, [meta.row_group(rg) for rg in range(meta.num_row_groups)]
    for column, expected in (("level", level), ("period_end", period)):
        vals, complete = _stat_values(meta, column, columns, groups)
        if not complete and meta.num_rows:  # written without statistics: the column itself settles it
            try:
                vals = pq.read_table(f, columns=[column]).column(column).unique().to_pylist()
            except (pa.ArrowException, OSError, ValueError) as exc:
                return f"{f}: not a readable Parquet file (damaged or truncated: {str(exc)[:120]}){what}"
        if any(v != expected for v in vals):
            return (f"{f}: holds {column} {sorted(set(map(str, vals)) - {expected})[:3]} but sits in the "
                    f"{column.split('_')[0]}={expected} folder{what}")
    for m in MEASURES:
        vals, _ = _stat_values(meta, m, columns, groups)
        if any(isinstance(v, (int, float)) and v < 0 for v in vals):
            return f"{f}: negative values in column {m}{what}"
    vals, complete = _stat_values(meta, "source", columns, groups)
    _SOURCES[_file_key(f)] = frozenset(map(str, vals)) if complete and meta.num_rows else None
    return None


def _file_problem(f: Path, level: str, period: str) -> str | None:
    key = _file_key(f)
    if key is None:
        return None  # vanished since it was listed; the next listing will not show it
    if key not in _CHECKED:
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
            _LACKS_ATTRIBUTES.clear()
            _SOURCES.clear()
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
        if len(files) > 1:
            files = _without_overlaps(files, problems)
        if files:
            out[period] = files
    return out


# Overlap checks keyed on the period's files (path, size, mtime): re-checked only when a file changes.
_OVERLAPS: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_OVERLAP_KEY = ["period_end", "level", "area_code", "org_code", "staff_group", "source"]


def _overlap(files: list[Path]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(files refused, one message per refusal) for files of one period whose rows share a key
    (period, level, area, organisation, staff group, source): read twice, every figure would double."""
    keys = {}
    for f in files:
        try:
            t = pq.read_table(f, columns=_OVERLAP_KEY).to_pandas()
        except (pa.ArrowException, OSError, ValueError):
            continue  # unreadable files are refused later by _read_one, with their own message
        keys[f] = pd.MultiIndex.from_frame(t.astype(str))
    refused: dict[Path, Path] = {}
    ordered = list(keys)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if a in refused or b in refused or not len(keys[a].intersection(keys[b])):
                continue
            sources = set(keys[a].get_level_values("source")) | set(keys[b].get_level_values("source"))
            # Keep the file ingest wrote (named after its source); refuse the other. If neither or both are,
            # refuse both: doubled figures are worse than missing ones.
            own_a, own_b = a.stem in sources, b.stem in sources
            if own_a != own_b:
                refused[b if own_a else a] = a if own_a else b
            else:
                refused[a], refused[b] = b, a
    msgs = tuple(f"{f}: holds rows with the same period, area, organisation, staff group and source as {other.name} "
                 "(a copied or duplicated file?); it is ignored so no figure is counted twice. Remove one of "
                 "the two files" for f, other in refused.items())
    return tuple(str(f) for f in refused), msgs


def _without_overlaps(files: list[Path], problems: list[str] | None) -> list[Path]:
    key = tuple(_file_key(f) for f in files)
    if key not in _OVERLAPS:
        if len(_OVERLAPS) >= 256:
            _OVERLAPS.clear()
        _OVERLAPS[key] = _overlap(files)
    refused, msgs = _OVERLAPS[key]
    if problems is not None:
        problems.extend(msgs)
    return [f for f in files if str(f) not in refused]


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
    # One call into Arrow's file system lists and stats the whole store with the GIL released once. A Python walk
    # (Path.glob or os.scandir + stat) gives the GIL up and waits for it again on every file: with 25 sessions
    # rerunning on one replica, that wait was where most script threads stood (py-spy dump) and rerun latency queued.
    try:
        infos = _LOCAL_FS.get_file_info(pafs.FileSelector(str(d), recursive=True, allow_not_found=True))
    except OSError:
        infos = []
    cut = len(str(d).rstrip("/")) + 1
    items = []
    for info in infos:
        rel = info.path[cut:]
        if _store_file(rel) and info.type == pafs.FileType.File:
            items.append((rel, info.size, info.mtime_ns))
    # workforce files, then sickness files (each in path order), then the manifest
    items.sort(key=lambda i: (i[0] == "manifest.json", i[0].startswith(("sickness/", "pcn/", "population/")),
                              i[0].split("/")))
    return (str(d.resolve()), tuple(items))


def snapshot_key(data_dir: str | Path) -> tuple[str, str]:
    """snapshot_id() in short: (the store's resolved path, a digest of its files' paths, sizes and mtimes). It
    changes exactly when snapshot_id() does. For cache keys: st.cache_data hashes every argument on every call, and
    the full list (120 files in the demo store) took about 2 ms to hash, once per cached call, several calls a
    rerun (py-spy: a quarter to a third of a rerun's CPU on Turnover and the map)."""
    import hashlib
    root, items = snapshot_id(data_dir)
    return root, hashlib.blake2b(repr(items).encode(), digest_size=16).hexdigest()


def _store_file(rel: str) -> bool:
    """level=*/period=*/*.parquet, sickness/, pcn/ or population/ level=*/period=*/*.parquet, or manifest.json
    (paths relative to the store)."""
    if rel == "manifest.json":
        return True
    parts = rel.split("/")
    if parts[0] in ("sickness", "pcn", "population"):
        parts = parts[1:]
    return (len(parts) == 3 and parts[0].startswith("level=") and parts[1].startswith("period=")
            and parts[2].endswith(".parquet"))


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
                    problems: list[str] | None = None, names: bool = True, over=None,
                    groups: int | None = None) -> pd.DataFrame:
    """As load_frame, with organisations summed: one row per period x area x staff group x source.

    Same canonical columns and dtypes (org_code and org_name empty; names and period_start from the area's
    first row; period_months the longest). lib.insight.metrics.area_metrics gives the same figures from it as from
    load_frame, from a small fraction of the rows: the summing runs in the engine (lib/data/engine.py) as the
    files are read, and the organisation columns are never decoded. Use it wherever figures per area are all that
    is needed. names=False: period_start, area_name and region_code are left "" (area_metrics names areas from
    the geography lookups and never reads them), which saves decoding three text columns of every row.

    over: instead of the area frame, the result of a query over the same accepted files, run in the engine:
    `over(rows_sql, params, sources)` with rows_sql the files' organisation rows as an SQL relation (store_rows_sql),
    params its $parameters and sources the values of their source column by the files' footer statistics (None
    when a footer has none) (lib.insight.metrics.store_metrics sums and rates them in one query, so the area rows
    never leave the engine). None when no file is left. A file the engine cannot read is refused by name and the
    query run again without it, as for the frame.

    groups (with over): the accepted files are split into up to `groups` runs of whole, consecutive periods, over is
    called on each side by side on the engine's pool (engine.side_by_side), and the result is the list of over's
    results in period order ([] when no file is left). For a query whose rows of one period never meet another's
    (the metrics), that is the same answer, to the bit, from several cores.
    """
    return _load(data_dir, level, periods, area_codes, sources, problems, by_area=True, names=names, over=over,
                 groups=groups)


def _load(data_dir, level, periods, area_codes, sources, problems, by_area: bool, names: bool = True, over=None,
          groups: int | None = None):
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist; ingest files into it first "
                           f"(python -m lib ingest FILE --data-dir {data_dir})")
    parts = _partitions(data_dir, level, problems)
    wanted = set(periods) if periods is not None else None
    by_period = [[f for f in fs if sources is None or f.stem in sources]
                 for p, fs in parts.items() if wanted is None or p in wanted]
    if over is not None and groups is not None:
        runs = [[f for fs in run for f in fs] for run in _runs([fs for fs in by_period if fs], groups)]
        out = engine.side_by_side(lambda files: _read(files, area_codes, by_area, problems, names, over), runs)
        return [r for r in out if r is not None]
    files = [f for fs in by_period for f in fs]
    table = _read(files, area_codes, by_area, problems, names, over)
    if over is not None:
        return table
    if table is None:
        return pd.DataFrame({c: pd.Series(dtype=ARROW_SCHEMA.field(c).type.to_pandas_dtype())
                             for c in CANONICAL_COLUMNS})
    return table.to_pandas()


def _runs(items: list, n: int) -> list[list]:
    """items cut into min(n, len(items)) consecutive runs of near-equal length, in order."""
    n = max(1, min(n, len(items)))
    return [items[i * len(items) // n:(i + 1) * len(items) // n] for i in range(n)] if items else []


_TEXT_COLUMNS = [f.name for f in ARROW_SCHEMA if pa.types.is_string(f.type)]
_ORG_COLUMNS = ("org_code", "org_name", *ORG_ATTRIBUTE_COLUMNS)
_AREA_KEYS = ["period_end", "level", "area_code", "staff_group", "source"]
_AREA_FIRST = ["period_start", "area_name", "region_code"]
# Text as large_string: pandas' own text storage, which it then takes as it is.
_OUT_SCHEMA = pa.schema([pa.field(c, pa.large_string()) if c in _TEXT_COLUMNS else ARROW_SCHEMA.field(c)
                         for c in CANONICAL_COLUMNS])


def _column_sql(c: str, present: bool = True) -> str:
    """One canonical column read from the files, in its canonical type (measures may be stored as integers;
    organisation attributes are "" where missing, as in files written before they existed)."""
    if not present:
        return f"''::VARCHAR AS {c}"
    typ = "SMALLINT" if c == "period_months" else "DOUBLE" if c in MEASURES else "VARCHAR"
    expr = f"coalesce({c}, '')" if c in ORG_ATTRIBUTE_COLUMNS else c
    return f"CAST({expr} AS {typ}) AS {c}"


def _store_sql(files: list[Path], by_area: bool, area_codes, names: bool = True) -> tuple[str, dict]:
    """The query reading `files`: every canonical column per organisation row, or (by_area) organisations summed
    per period x area x staff group x source (names and period_start from the group's first row, months the
    longest, sums skipping missing values and missing when a group has none)."""
    params: dict = {}
    where = _area_filter(area_codes, params)
    if not by_area:
        old = [f for f in files if _LACKS_ATTRIBUTES.get(_file_key(f))]
        new = [f for f in files if f not in old]
        selects = []
        for name, group in (("files", new), ("old_files", old)):  # files written before the attributes: ""
            if group:
                params[name] = [str(f) for f in group]
                cols = ", ".join(_column_sql(c, present=not (group is old and c in ORG_ATTRIBUTE_COLUMNS))
                                 for c in CANONICAL_COLUMNS)
                selects.append(f"SELECT {cols} FROM read_parquet(${name}) {where}")
        return " UNION ALL ".join(selects), params
    params["files"] = [str(f) for f in files]
    return _area_sums_sql("read_parquet($files)", where, names), params


def _area_filter(area_codes, params: dict) -> str:
    """WHERE clause keeping only `area_codes` (none: every area); the codes go into params as $areas."""
    if not area_codes:
        return ""
    params["areas"] = [str(a) for a in area_codes]
    return "WHERE list_contains($areas, area_code)"


def store_rows_sql(files: list[Path], area_codes=None) -> tuple[str, dict]:
    """The files' organisation rows as an SQL relation holding what the metrics read (lib.insight.metrics.metrics_sql:
    keys, source, months and the measures, as stored), and its $parameters."""
    params: dict = {"files": [str(f) for f in files]}
    where = _area_filter(area_codes, params)
    cols = ", ".join(["period_end", "level", "area_code", "staff_group", "source", "period_months", *MEASURES])
    return f"(SELECT {cols} FROM read_parquet($files) {where})", params


def _file_sources(files: list[Path]) -> frozenset | None:
    """The source values the files hold, from their footers' statistics (None: a file's footer has none)."""
    out: set = set()
    for f in files:
        vals = _SOURCES.get(_file_key(f))
        if vals is None:
            return None
        out |= vals
    return frozenset(out)


def _area_sums_sql(rows: str, where: str = "", names: bool = True) -> str:
    """Organisation rows of `rows` summed per period x area x staff group x source, in key order."""
    out = []
    for c in CANONICAL_COLUMNS:
        if c in _ORG_COLUMNS or (not names and c in _AREA_FIRST):
            out.append(f"''::VARCHAR AS {c}")
        elif c in _AREA_KEYS:
            out.append(f"CAST({c} AS VARCHAR) AS {c}")
        elif c == "period_months":
            out.append("CAST(max(coalesce(period_months, 0)) AS SMALLINT) AS period_months")
        elif c in MEASURES:
            out.append(f"sum(CAST({c} AS DOUBLE)) AS {c}")
        else:
            out.append(f"CAST(first({c}) AS VARCHAR) AS {c}")
    keys = ", ".join(_AREA_KEYS)
    return f"SELECT {', '.join(out)} FROM {rows} {where} GROUP BY {keys} ORDER BY {keys}"


def sum_by_area(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical organisation rows (e.g. re-assigned to another vintage's systems) summed per period x area x staff
    group x source by the same query load_area_frame reads the store with: same figures, same columns and dtypes.
    One thread, so each group is added in row order."""
    if frame.empty:
        return frame
    rows = pa.Table.from_pandas(frame[list(CANONICAL_COLUMNS)], preserve_index=False)  # NaN -> missing
    return engine.query(_area_sums_sql("_org_rows"), tables={"_org_rows": rows}, threads=1).cast(
        _OUT_SCHEMA).to_pandas()


def _read(files: list[Path], area_codes, by_area: bool, problems: list[str] | None,
          names: bool = True, over=None) -> pa.Table | None:
    """The files' rows as one Arrow table, or over's result on them (None when no file is left). A file the engine
    cannot read (damaged pages, wrong types the footer did not show) is refused by name and the others are read
    again without it."""
    while files:
        try:
            if over is not None:
                return over(*store_rows_sql(files, area_codes), _file_sources(files))
            sql, params = _store_sql(files, by_area, area_codes, names)
            return engine.query(sql, params).cast(_OUT_SCHEMA)
        except engine.Error:
            bad = _unreadable(files, by_area)
            if not bad:
                raise
        for f, problem in bad.items():
            _remember_problem(f, problem)
            if problems is not None:
                problems.append(problem)
        files = [f for f in files if f not in bad]
    return None


def _unreadable(files: list[Path], by_area: bool) -> dict[Path, str]:
    """Which of `files` fail when read on their own, and why."""
    out = {}
    for f in files:
        sql, params = _store_sql([f], by_area, None)
        try:
            engine.query(sql, params)  # every column read and decoded (a count would skip the measures)
        except engine.Error as exc:
            out[f] = (f"{f}: cannot be read as a workforce Parquet file ({str(exc)[:120]}); it is ignored and "
                      "the other files are still used. Remove it or re-ingest the extract")
    return out


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


def table_periods(data_dir: str | Path, folder: str, level: str) -> list[str]:
    """Months with rows in a table of its own (storage.TABLES: <data_dir>/<folder>/level=L/period=P/*.parquet)."""
    base = Path(data_dir) / folder / f"level={level}"
    return sorted(p.name.split("=", 1)[1] for p in base.glob("period=*") if any(p.glob("*.parquet")))


def sickness_periods(data_dir: str | Path, level: str) -> list[str]:
    """Months with sickness absence rows at a level (its own store: <data_dir>/sickness/level=L/period=P/)."""
    return table_periods(data_dir, "sickness", level)


def load_sickness(data_dir: str | Path, level: str, periods: list[str] | None = None,
                  problems: list[str] | None = None) -> pd.DataFrame:
    """Sickness absence rows (lib.data.schema.SICKNESS_COLUMNS) for a level; an unreadable file is skipped and
    named in `problems`, never fatal."""
    return load_table(data_dir, "sickness", level, SICKNESS_COLUMNS, SICKNESS_ARROW_SCHEMA, periods, problems,
                      "sickness absence")


def load_table(data_dir: str | Path, folder: str, level: str, columns, schema: pa.Schema,
               periods: list[str] | None = None, problems: list[str] | None = None,
               what: str | None = None) -> pd.DataFrame:
    """Rows of a table of its own (sickness, pcn, population) for a level and the `periods` asked (None: all),
    cast to `schema`. A file that cannot be read, or holds rows of another month than its folder, is skipped and
    named in `problems` ('not a readable <what> file'), never fatal."""
    base = Path(data_dir) / folder / f"level={level}"
    wanted = set(periods) if periods is not None else None
    tables = []
    for pdir in sorted(base.glob("period=*")):
        period = pdir.name.split("=", 1)[1]
        if wanted is not None and period not in wanted:
            continue
        for f in sorted(x for x in pdir.glob("*.parquet") if not x.name.startswith(".")):
            try:
                t = pq.read_table(f, columns=list(columns)).cast(schema)
            except (pa.ArrowException, OSError, ValueError, KeyError) as exc:
                if problems is not None:
                    problems.append(f"{f}: not a readable {what or folder} file ({str(exc)[:120]}); it is ignored")
                continue
            if t.num_rows and not pc.all(pc.equal(t["period_end"], period)).as_py():
                if problems is not None:
                    problems.append(f"{f}: holds rows of another month than its folder ({period}); it is ignored")
                continue
            tables.append(t)
    if not tables:
        return pd.DataFrame({f.name: pd.Series(dtype=f.type.to_pandas_dtype()) for f in schema})
    return pa.concat_tables(tables).to_pandas()
