"""One module per published format. Each declares:

    KIND     the manifest's name for the format (and Parsed.kind)
    TITLE    how the format is named when a file is not recognised
    COLUMNS  its header as published (the required columns)
    detect(upper, lower) -> bool   recognises the header (column names upper- and lower-cased)
    parse(path, header, rows, level) -> Parsed   every check (file, row, column named), canonical rows

Reading, number parsing and the row/column errors are shared (formats.common); the store and manifest are
written once (lib.data.storage); lib.data.ingest is the entry point. FORMATS lists them;
DETECT_ORDER is the order headers are tried in.
"""
from __future__ import annotations

from types import ModuleType

from lib.data.formats import core1, pcn, population, sickness, turnover, vacancy

# As listed to a person (the order they were added); DETECT_ORDER tries the most distinctive header first (a
# sickness file may also carry a staff-group column).
FORMATS: tuple[ModuleType, ...] = (turnover, core1, vacancy, sickness, pcn, population)
DETECT_ORDER: tuple[ModuleType, ...] = (sickness, pcn, population, turnover, core1, vacancy)
BY_KIND: dict[str, ModuleType] = {f.KIND: f for f in FORMATS}


def detect_kind(header: list[str]) -> str | None:
    """The KIND of the first format whose header this is; None when no format recognises it."""
    upper = {h.upper() for h in header}
    lower = {h.lower() for h in header}
    return next((f.KIND for f in DETECT_ORDER if f.detect(upper, lower)), None)


def unknown_header_message(header: list[str]) -> str:
    expected = "; ".join(f"{f.TITLE} ({', '.join(f.COLUMNS)})" for f in FORMATS)
    return f"row 1 (header): not a file this tool knows. Expected one of: {expected}. Found: {', '.join(header[:15])}"
