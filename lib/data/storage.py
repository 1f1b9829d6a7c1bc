"""The store, written once for every format: partitions of Parquet files, each written to a temporary file and
renamed into place, and manifest.json (files, sha256, kind, periods). Nothing here knows a published format.

Tables: the canonical table (lib.data.schema.CANONICAL_COLUMNS) at DATA_DIR/level=L/period=P/<source>.parquet,
upserted on UNIQUE_KEY and checked whole before it is written; and formats with their own schema (sickness) in
a folder of their own (TABLES: sickness, pcn, population), upserted on their own key or replaced a period at a time.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.data.formats.common import IngestError, Parsed
from lib.data.schema import (
    ARROW_SCHEMA, PCN_ARROW_SCHEMA, PCN_UNIQUE_KEY, POPULATION_ARROW_SCHEMA, POPULATION_UNIQUE_KEY,
    SICKNESS_ARROW_SCHEMA, SICKNESS_UNIQUE_KEY, UNIQUE_KEY, check_canonical, conform, conform_pcn, conform_population,
    conform_sickness,
)


# ----------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class OwnTable:
    """A format whose rows do not fit the canonical table: its folder, schema, key and sort order."""
    folder: str
    arrow_schema: pa.Schema
    unique_key: tuple[str, ...]
    conform: Callable[[pd.DataFrame], pd.DataFrame]
    sort: tuple[str, ...]
    replace_period: bool = False  # True: a file is a whole census, so its period's partition is replaced, not upserted


TABLES: dict[str, OwnTable] = {
    "sickness": OwnTable("sickness", SICKNESS_ARROW_SCHEMA, tuple(SICKNESS_UNIQUE_KEY), conform_sickness,
                         ("area_code", "org_code", "staff_group")),
    # A PCN file is the whole census of its month: re-ingesting a month replaces it (a PCN or role dropped from a
    # corrected file must not linger).
    "pcn": OwnTable("pcn", PCN_ARROW_SCHEMA, PCN_UNIQUE_KEY, conform_pcn,
                    ("area_code", "sub_icb_code", "pcn_code", "staff_group", "staff_role", "data_source"),
                    replace_period=True),
    "population": OwnTable("population", POPULATION_ARROW_SCHEMA, POPULATION_UNIQUE_KEY, conform_population,
                           ("area_code", "sub_icb_code"), replace_period=True),
}


def partition_path(data_dir: Path, level: str, period: str, source: str) -> Path:
    return Path(data_dir) / f"level={level}" / f"period={period}" / f"{source}.parquet"


def own_partition_path(table: str, data_dir: Path, level: str, period: str, source: str) -> Path:
    return Path(data_dir) / TABLES[table].folder / f"level={level}" / f"period={period}" / f"{source}.parquet"


def sickness_partition_path(data_dir: Path, level: str, period: str, source: str) -> Path:
    return own_partition_path("sickness", data_dir, level, period, source)


def own_table_bytes(table: str, df: pd.DataFrame) -> bytes:
    spec = TABLES[table]
    arrow = pa.Table.from_pandas(spec.conform(df), schema=spec.arrow_schema, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def sickness_table_bytes(df: pd.DataFrame) -> bytes:
    return own_table_bytes("sickness", df)


def _stage_own(table: str, frames: list[pd.DataFrame], data_dir: Path) -> list[tuple[Path, bytes]]:
    """A table's partitions to write: upserted on its key (like the canonical store), or replaced whole."""
    staged: list[tuple[Path, bytes]] = []
    if not frames:
        return staged
    spec = TABLES[table]
    keys = list(spec.unique_key)
    for (level, period, source), part in pd.concat(frames, ignore_index=True).groupby(
            ["level", "period_end", "source"], sort=True):
        target = own_partition_path(table, data_dir, level, period, source)
        if target.exists() and not spec.replace_period:
            old = pd.read_parquet(target)
            keep = old.merge(part[keys].drop_duplicates(), on=keys, how="left", indicator=True)
            part = pd.concat([keep[keep["_merge"] == "left_only"].drop(columns="_merge"), part], ignore_index=True)
        part = part.sort_values(list(spec.sort), ignore_index=True)
        staged.append((target, own_table_bytes(table, part)))
    return staged


# ----------------------------------------------------------------------------------------- writing
# Store files are written rw-r--r-- and new folders rwxr-xr-x whatever the umask: analysts ingest from their own
# account into the directory the dashboard's service account reads (deploy/README.md). mkstemp alone gives 0600.
STORE_FILE_MODE = 0o644
STORE_DIR_MODE = 0o755


def _make_dirs(d: Path) -> None:
    missing = []
    while not d.exists():
        missing.append(d)
        d = d.parent
    for m in reversed(missing):
        m.mkdir(exist_ok=True)
        os.chmod(m, STORE_DIR_MODE)


def atomic_write_bytes(target: Path, payload: bytes) -> None:
    _make_dirs(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    try:
        os.fchmod(fd, STORE_FILE_MODE)  # before the rename: the file is never visible with other permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_atomic_write_bytes = atomic_write_bytes  # the name lib.data.demo and older callers use


def table_bytes(df: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(conform(df), schema=ARROW_SCHEMA, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _merge(existing: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    if existing is None or existing.empty:
        return new
    # Upsert: rows of the new file replace rows with the same key, so re-ingesting is idempotent.
    keys = list(UNIQUE_KEY)
    keep = existing.merge(new[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    keep = keep[keep["_merge"] == "left_only"].drop(columns="_merge")
    out = pd.concat([keep, new], ignore_index=True)
    return out.sort_values(["area_code", "org_code", "staff_group"], ignore_index=True)


# ----------------------------------------------------------------------------------------- manifest
def read_manifest(data_dir: Path) -> dict:
    p = Path(data_dir) / "manifest.json"
    if not p.exists():
        return {"synthetic": False, "files": []}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"synthetic": False, "files": []}


def stage(parsed_files: list[Parsed], data_dir: str | Path) -> list[tuple[Path, bytes]]:
    """Every partition the files would write, checked and serialised (nothing written)."""
    data_dir = Path(data_dir)
    staged: list[tuple[Path, bytes]] = []
    for table in TABLES:
        staged += _stage_own(table, [p.frame for p in parsed_files if p.table == table], data_dir)
    canonical = [p.frame for p in parsed_files if p.table == "canonical"]
    frames = pd.concat(canonical, ignore_index=True) if canonical else pd.DataFrame(
        columns=["level", "period_end", "source"])
    for (level, period, source), part in frames.groupby(["level", "period_end", "source"], sort=True):
        target = partition_path(data_dir, level, period, source)
        existing = pd.read_parquet(target) if target.exists() else None
        merged = _merge(existing, part)
        problems = check_canonical(merged)
        if problems:
            raise IngestError(str(target), problems)
        staged.append((target, table_bytes(merged)))
    return staged


def manifest_entry(p: Parsed) -> dict:
    return {
        "file": Path(p.path).name, "sha256": hashlib.sha256(Path(p.path).read_bytes()).hexdigest(), "kind": p.kind,
        "rows": int(len(p.frame)), "periods": sorted(p.frame["period_end"].unique().tolist()),
        "levels": sorted(p.frame["level"].unique().tolist()),
        "ingested_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def updated_manifest(manifest: dict, entries: list[dict]) -> tuple[dict, list[str]]:
    """The manifest with the new files' entries, and what they replace. A file already listed (same bytes) is
    listed once; a file of the same kind and level for a period already listed replaces that period's entry (the
    store's rows for it were replaced too), so a corrected file never leaves two entries for one period."""
    files = [dict(f) for f in manifest.get("files", [])]
    replaced: list[str] = []
    for e in entries:
        kept = []
        for f in files:
            if f.get("sha256") == e["sha256"]:
                replaced.append(f"{f.get('file')} (same file, listed once)")
                continue
            if f.get("kind") == e["kind"] and set(f.get("levels", [])) == set(e["levels"]):
                overlap = sorted(set(f.get("periods", [])) & set(e["periods"]))
                if overlap:
                    left = [q for q in f.get("periods", []) if q not in overlap]
                    replaced.append(f"{f.get('file')} for {', '.join(overlap)}")
                    if not left:
                        continue
                    f = {**f, "periods": left}
            kept.append(f)
        files = kept + [e]
    return {**manifest, "files": files}, replaced


def store(parsed_files: list[Parsed], data_dir: str | Path) -> list[Path]:
    """Write parsed files into the store (all were validated before this is called)."""
    data_dir = Path(data_dir)
    staged = stage(parsed_files, data_dir)
    for target, payload in staged:
        atomic_write_bytes(target, payload)
    manifest, _ = updated_manifest(read_manifest(data_dir), [manifest_entry(p) for p in parsed_files])
    atomic_write_bytes(data_dir / "manifest.json", json.dumps(manifest, indent=1).encode("utf-8"))
    return [t for t, _ in staged]


def plan(parsed_files: list[Parsed], data_dir: str | Path) -> list[str]:
    """What store() would change, one line each (nothing written): each partition added or replaced, with its rows
    before and after, and each manifest entry replaced."""
    data_dir = Path(data_dir)
    lines = []
    for target, payload in stage(parsed_files, data_dir):
        after = pq.ParquetFile(pa.BufferReader(payload)).metadata.num_rows
        rel = target.relative_to(data_dir)
        if target.exists():
            before = pq.ParquetFile(target).metadata.num_rows
            lines.append(f"would replace {rel}: {before:,} rows -> {after:,} rows")
        else:
            lines.append(f"would add {rel}: {after:,} rows")
    _, replaced = updated_manifest(read_manifest(data_dir), [manifest_entry(p) for p in parsed_files])
    lines += [f"would replace manifest entry: {r}" for r in replaced]
    lines.append(f"would list {len(parsed_files)} file(s) in {data_dir / 'manifest.json'}")
    return lines


# Real files go into a store of their own: never the embedded demo, never a store marked synthetic (its label
# would then sit over real rows). Without --data-dir the CLI writes here (git-ignored).
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_STORE = REPO_ROOT / "data" / "demo"
LOCAL_STORE = REPO_ROOT / "data" / "local"
CHOOSE_STORE = ("Choose a directory of your own with --data-dir DIR (or set WORKFORCE_DATA_DIR=DIR); without "
                "either, `python -m lib ingest` writes to data/local/ (git-ignored).")


def refuse_synthetic_store(data_dir: str | Path) -> None:
    """Raise IngestError if data_dir is the embedded demo store or a store whose manifest says synthetic."""
    d = Path(data_dir)
    if d.resolve() == DEMO_STORE.resolve():
        raise IngestError(str(d), ["this is the embedded synthetic demo store: real files are never written "
                                   "into it. " + CHOOSE_STORE])
    if read_manifest(d).get("synthetic"):
        raise IngestError(str(d / "manifest.json"), ["this store is marked synthetic (demo data): real files are "
                                                     "never mixed into it. " + CHOOSE_STORE])
