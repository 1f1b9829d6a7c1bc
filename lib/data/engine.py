"""The one data engine behind the loader and the metrics: DuckDB, embedded, over the store's Parquet files.

Chosen by measurement (bench/README.md, "One engine for the loader and the metrics"): pyarrow's dataset scan and Acero group-by over
text keys were 6x slower and 4.7x the memory at 10x national history. The app (ui/data.py) and the CLI read the
store (lib/data/loader.py) and compute figures (lib/insight/metrics.py) through the functions here, so their
figures come from the same SQL by construction.

One in-memory database per process (two: all cores, and one thread for the metrics), holding nothing between calls
but DuckDB's own caches; each thread queries it through its own cursor. Independent one-thread queries (the metrics of
separate groups of months) run side by side on the process's pool (`side_by_side`), one core each.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow as pa

Error = duckdb.Error  # what a failed query raises (unreadable file, wrong type, missing column...)

_LOCAL = threading.local()
_DATABASES: dict[str, duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()
_POOL: list[ThreadPoolExecutor] = []


def _database(threads: int | None) -> duckdb.DuckDBPyConnection:
    """The process's engine: one in-memory database per thread setting (all cores for reading the store; one
    thread where sums must be added in the same order on every run), shared by every session."""
    key = "one" if threads == 1 else "all"
    with _LOCK:
        db = _DATABASES.get(key)
        if db is None:
            # Parquet footers are cached between queries while the files are unchanged (DuckDB checks the mtime).
            config = {"enable_object_cache": True, **({"threads": 1} if threads == 1 else {})}
            db = _DATABASES[key] = duckdb.connect(":memory:", config=config)
        return db


def connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """This thread's connection to the engine (Streamlit runs each session's script in its own thread; a DuckDB
    connection is used by one thread at a time, and cursors of one database share its workers and caches)."""
    if threads not in (None, 1):
        raise ValueError(f"threads must be None (all cores) or 1, got {threads!r}")
    cons = getattr(_LOCAL, "cons", None)
    if cons is None:
        cons = _LOCAL.cons = {}
    if threads not in cons:
        cons[threads] = _database(threads).cursor()
    return cons[threads]


def query(sql: str, params: dict | None = None, tables: dict[str, pa.Table] | None = None,
          threads: int | None = None) -> pa.Table:
    """Run `sql` (named $parameters) with `tables` visible to it by name; the result as one Arrow table.
    threads=1: one thread, so floating-point sums are added in the same order on every run."""
    con = connection(threads)
    names = list(tables or {})
    try:
        for name in names:
            con.register(name, tables[name])
        return con.sql(sql, params=params or None).to_arrow_table()
    finally:
        for name in names:
            con.unregister(name)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def side_by_side(fn, items: list) -> list:
    """[fn(item) for item in items], run on the process's pool (one worker a core, shared by every session: a busy
    server queues here rather than oversubscribing the cores). Each worker thread has its own cursors, so one-thread
    queries run in parallel (DuckDB releases the interpreter lock while it works) and each adds its sums in the same
    order as it would alone. Results in the order of `items`; the first exception is raised."""
    if len(items) <= 1:
        return [fn(item) for item in items]
    with _LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=cores(), thread_name_prefix="engine"))
        pool = _POOL[0]
    return list(pool.map(fn, items))


def quoted(name: str) -> str:
    """A column name as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def text_list(values) -> str:
    """A list of text values as an SQL list literal (values are the product's own constants, quoted anyway)."""
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"
