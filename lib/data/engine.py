"""The one data engine behind the loader and the metrics: DuckDB, embedded, over the store's Parquet files.

Chosen by measurement (bench/README.md, "Engine for the loader"): pyarrow's dataset scan and Acero group-by over
text keys were 6x slower and 4.7x the memory at 10x national history. The app (ui/data.py) and the CLI read the
store (lib/data/loader.py) and compute figures (lib/insight/metrics.py) through the functions here, so their
figures come from the same SQL by construction.

One connection per thread (DuckDB connections are not shared between threads; Streamlit reruns sessions in
threads); each is an in-memory database holding nothing between calls but the engine's own caches.
"""
from __future__ import annotations

import threading

import duckdb
import pyarrow as pa

Error = duckdb.Error  # what a failed query raises (unreadable file, wrong type, missing column...)

_LOCAL = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_LOCAL, "con", None)
    if con is None:
        con = duckdb.connect(":memory:")
        # Parquet footers are cached between queries while the files are unchanged (DuckDB checks the mtime).
        con.sql("SET enable_object_cache = true")
        _LOCAL.con = con
    return con


def query(sql: str, params: dict | None = None, tables: dict[str, pa.Table] | None = None,
          threads: int | None = None) -> pa.Table:
    """Run `sql` (named $parameters) with `tables` visible to it by name; the result as one Arrow table.
    threads=1: one thread, so floating-point sums are added in the same order on every run."""
    con = connection()
    names = list(tables or {})
    if threads is not None:
        con.sql(f"SET threads = {int(threads)}")
    try:
        for name in names:
            con.register(name, tables[name])
        return con.sql(sql, params=params or None).to_arrow_table()
    finally:
        for name in names:
            con.unregister(name)
        if threads is not None:
            con.sql("RESET threads")


def quoted(name: str) -> str:
    """A column name as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def text_list(values) -> str:
    """A list of text values as an SQL list literal (values are the product's own constants, quoted anyway)."""
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"
