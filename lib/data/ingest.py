"""Ingest published workforce files into the store: the entry point (`python -m lib ingest`).

Each published format has its own module in lib/data/formats/ (header, checks, canonical rows):
* turnover: NHS Digital "Turnover benchmarking 2. Staff group and organisation, monthly" CSV
* core1: NHS Digital "Core 1. Staff group - England, NHSE region, ICS and org" staff-in-post CSV
* vacancy: the product's vacancy template (PWR-style; see data/README.md and VACANCY_TEMPLATE_COLUMNS)
* sickness: NHS Digital sickness absence CSV, stored in its own small schema under sickness/
* pcn: NHS Digital Primary Care Networks Individual Level CSV, stored aggregated in its own schema under pcn/
Reading and number parsing are shared (lib.data.formats.common); the store and manifest are written once
(lib.data.storage).

Every file is parsed and validated completely before anything is written; a rejected file
writes nothing. Writes go to a temporary file in the target directory, then os.replace().
"""
from __future__ import annotations

from pathlib import Path

from lib.data.formats import BY_KIND, detect_kind, unknown_header_message
from lib.data.formats import core1 as _core1, sickness as _sickness, turnover as _turnover, vacancy as _vacancy
from lib.data.formats.common import (  # noqa: F401  (re-exported: callers import these from here)
    MAX_ERRORS_SHOWN, PLACEHOLDER_MISSING, PLACEHOLDER_ZERO, IngestError, Parsed, parse_month, parse_number,
    read_csv_text,
)
from lib.data.schema import check_canonical
from lib.data.storage import (  # noqa: F401  (re-exported)
    CHOOSE_STORE, DEMO_STORE, LOCAL_STORE, REPO_ROOT, STORE_DIR_MODE, STORE_FILE_MODE, _atomic_write_bytes,
    atomic_write_bytes, partition_path, plan, read_manifest, refuse_synthetic_store, sickness_partition_path,
    sickness_table_bytes, store, table_bytes,
)

# The formats' headers under the names callers have always used.
TURNOVER_COLUMNS = _turnover.COLUMNS
TURNOVER_TYPES = _turnover.TURNOVER_TYPES
CORE1_COLUMNS = _core1.COLUMNS
VACANCY_TEMPLATE_COLUMNS = _vacancy.COLUMNS
VACANCY_REQUIRED = _vacancy.REQUIRED
SICKNESS_REQUIRED = _sickness.COLUMNS
parse_turnover, parse_core1 = _turnover.parse, _core1.parse
parse_vacancy, parse_sickness = _vacancy.parse, _sickness.parse
PARSERS = {kind: f.parse for kind, f in BY_KIND.items()}


def parse_file(path: str | Path, level: str = "ICS") -> Parsed:
    p = Path(path)
    if not p.is_file():
        raise IngestError(str(p), ["no such file"])
    header, data = read_csv_text(p)
    kind = detect_kind(header)
    if kind is None:
        raise IngestError(str(p), [unknown_header_message(header)])
    parsed = BY_KIND[kind].parse(p, header, data, level)
    if parsed.table != "canonical":
        return parsed  # its own schema, checked by its parser
    problems = check_canonical(parsed.frame)
    if problems:
        raise IngestError(str(p), problems)
    return parsed


def ingest(paths: list[str | Path], data_dir: str | Path, level: str = "ICS") -> list[Parsed]:
    """Parse every file first; only if all are valid, write them. Raises IngestError otherwise (also when
    data_dir is the demo store or a store marked synthetic: nothing is parsed or written)."""
    refuse_synthetic_store(data_dir)
    parsed = [parse_file(p, level) for p in paths]
    store(parsed, data_dir)
    return parsed


def dry_run(paths: list[str | Path], data_dir: str | Path, level: str = "ICS") -> tuple[list[Parsed], list[str]]:
    """As ingest, with nothing written: the parsed files and what storing them would change (lines)."""
    refuse_synthetic_store(data_dir)
    parsed = [parse_file(p, level) for p in paths]
    return parsed, plan(parsed, data_dir)


__all__ = ["IngestError", "ingest", "refuse_synthetic_store", "LOCAL_STORE", "parse_file", "store", "read_manifest",
           "VACANCY_TEMPLATE_COLUMNS"]
