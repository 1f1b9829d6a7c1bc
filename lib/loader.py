"""Read the canonical Parquet store with filters pushed down.

Partition pruning picks only `level=X/period=P/` files; area filters are pushed into the Parquet
reader. `snapshot_id()` identifies the files' state (paths, sizes, mtimes) so the app can cache on it
and pick up new extracts without a restart.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lib.ingest import read_manifest
from lib.schema import ARROW_SCHEMA, CANONICAL_COLUMNS

ENV_DATA_DIR = "WORKFORCE_DATA_DIR"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_DATA_DIR = REPO_ROOT / "data" / "demo"


class DataDirError(ValueError):
    """The data directory is missing or holds nothing readable."""


def default_data_dir() -> Path:
    """$WORKFORCE_DATA_DIR if set, else the embedded synthetic demo data."""
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    return Path(env) if env else DEMO_DATA_DIR


def _partitions(data_dir: Path, level: str) -> dict[str, list[Path]]:
    base = Path(data_dir) / f"level={level}"
    out: dict[str, list[Path]] = {}
    if not base.is_dir():
        return out
    for pdir in sorted(base.glob("period=*")):
        files = sorted(f for f in pdir.glob("*.parquet") if not f.name.startswith("."))
        if files:
            out[pdir.name.split("=", 1)[1]] = files
    return out


def available_periods(data_dir: str | Path, level: str) -> list[str]:
    return sorted(_partitions(Path(data_dir), level))


def available_levels(data_dir: str | Path) -> list[str]:
    return [lv for lv in ("ICS", "STP") if _partitions(Path(data_dir), lv)]


def snapshot_id(data_dir: str | Path) -> tuple:
    """Identity of the store's current files: changes whenever a file is added, replaced or removed."""
    d = Path(data_dir)
    items = []
    for f in sorted(d.glob("level=*/period=*/*.parquet")) + [d / "manifest.json"]:
        try:
            st = f.stat()
        except OSError:
            continue
        items.append((str(f.relative_to(d)), st.st_size, st.st_mtime_ns))
    return (str(d.resolve()), tuple(items))


def load_frame(data_dir: str | Path, level: str, periods: list[str] | None = None,
               area_codes: list[str] | None = None, sources: list[str] | None = None) -> pd.DataFrame:
    """Canonical rows for a level, optionally only some periods / areas / sources."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(f"data directory {data_dir} does not exist; ingest files into it first "
                           f"(python -m lib ingest FILE --data-dir {data_dir})")
    parts = _partitions(data_dir, level)
    wanted = set(periods) if periods is not None else None
    files = [f for p, fs in parts.items() if wanted is None or p in wanted for f in fs
             if sources is None or f.stem in sources]
    if not files:
        return pd.DataFrame({c: pd.Series(dtype=ARROW_SCHEMA.field(c).type.to_pandas_dtype())
                             for c in CANONICAL_COLUMNS})
    filters = [("area_code", "in", list(area_codes))] if area_codes else None
    tables = []
    for f in files:
        try:
            tables.append(pq.read_table(f, columns=list(CANONICAL_COLUMNS), filters=filters, schema=ARROW_SCHEMA))
        except (pa.ArrowException, OSError) as exc:
            raise DataDirError(f"{f}: cannot be read as a workforce Parquet file ({exc}); remove or re-ingest it") \
                from exc
    return pa.concat_tables(tables).to_pandas()


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
