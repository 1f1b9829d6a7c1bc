"""What every published format shares: reading a CSV as published, parsing its numbers and months, naming file,
row and column in every problem, and checking system codes against the geography vintage of the row's period.

A format module (lib/data/formats/<name>.py) declares its header, its checks and its canonical rows on top of
these; lib.data.storage writes the store and manifest; lib.data.ingest is the entry point.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lib.data import geography
from lib.data.schema import known_staff_group_labels, normalise_staff_group

MAX_ERRORS_SHOWN = 20

# Published placeholders: "*" suppressed and ".." not available -> unknown (NaN, never zero);
# "-" is NHS Digital's nil -> 0. Empty cells are unknown.
PLACEHOLDER_MISSING = {"", "*", "..", "n/a", "na"}
PLACEHOLDER_ZERO = {"-"}
_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")


class IngestError(ValueError):
    """A file was rejected. `problems` lists 'file: row N, column C: ...' messages."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = f"{path}: rejected, nothing was written.\n  " + "\n  ".join(shown)
        if more > 0:
            text += f"\n  ... and {more} more problems"
        super().__init__(text)


@dataclass
class Parsed:
    kind: str
    path: str
    frame: pd.DataFrame  # canonical rows (or the rows of the format's own table)
    notes: list[str] = field(default_factory=list)
    table: str = "canonical"  # which table of the store the rows go to (lib.data.storage.TABLES)


# ----------------------------------------------------------------------------------------- reading
def read_csv_text(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV as strings: UTF-8 with or without BOM (cp1252 fallback), CRLF or LF."""
    raw = path.read_bytes()
    if not raw.strip():
        raise IngestError(str(path), ["the file is empty: expected a header row and data rows"])
    if raw[:4] == b"PAR1" or b"\x00" in raw[:4096]:
        raise IngestError(str(path), ["this is a binary file, not a CSV: expected comma-separated text"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [r for r in reader]
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise IngestError(str(path), ["the file is empty: expected a header row and data rows"])
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    return header, rows[1:]


def parse_number(text: str) -> float | None:
    """Published number -> float; None = unknown; raises ValueError when it is not a number."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if t.lower() in PLACEHOLDER_MISSING:
        return None
    if t in PLACEHOLDER_ZERO:
        return 0.0
    if not _NUMBER_RE.match(t) or t in {"+", "-", "."}:
        raise ValueError(text)
    return float(t.replace(",", ""))


class Rows:
    """Row access by column name with error collection naming file, row and column."""

    def __init__(self, path: Path, header: list[str], rows: list[list[str]], required: tuple[str, ...],
                 case_insensitive: bool = True):
        self.path = str(path)
        self.problems: list[str] = []
        norm = (lambda s: s.strip().lower()) if case_insensitive else (lambda s: s.strip())
        self.index = {norm(h): i for i, h in enumerate(header)}
        self.norm = norm
        missing = [c for c in required if norm(c) not in self.index]
        if missing:
            raise IngestError(self.path, [
                f"row 1 (header): missing column(s) {', '.join(missing)}; expected columns "
                f"{', '.join(required)}; found {', '.join(header)}"])
        self.rows = rows
        self.width = len(header)
        # (column, value, vintage, period) -> [first line, rows, name in file]: reported once each
        self.unknown_areas: dict[tuple[str, str, str, str], list] = {}

    def has(self, col: str) -> bool:
        return self.norm(col) in self.index

    def get(self, row: list[str], col: str) -> str:
        i = self.index[self.norm(col)]
        return row[i].strip() if i < len(row) else ""

    def error(self, line: int, col: str | None, msg: str) -> None:
        where = f"row {line}" + (f", column {col}" if col else "")
        self.problems.append(f"{where}: {msg}")

    def number(self, line: int, row: list[str], col: str, *, allow_negative: bool = False) -> float | None:
        raw = self.get(row, col)
        try:
            v = parse_number(raw)
        except ValueError:
            self.error(line, col, f"{raw!r} is not a number; expected a number such as 1234.5 "
                                  f"(thousands separators and the placeholders * - .. are accepted)")
            return None
        if v is not None and not np.isfinite(v):
            self.error(line, col, f"{raw!r} is not a finite number")
            return None
        if v is not None and v < 0 and not allow_negative:
            self.error(line, col, f"{raw!r} is negative; expected zero or more")
            return None
        if v is not None and v > 5e7:
            self.error(line, col, f"{raw!r} is implausibly large for a workforce count (over 50 million)")
            return None
        return v

    def lines(self):
        """(file line number, row) for non-blank rows; the header is line 1."""
        for i, r in enumerate(self.rows, start=2):
            if not any(c.strip() for c in r):
                continue
            if len(r) != self.width:
                self.error(i, None, f"has {len(r)} fields; expected {self.width} like the header "
                                    f"(an unquoted comma in a name?)")
                continue
            yield i, r

    def finish(self) -> None:
        report_unknown_areas(self)
        self.unknown_areas = {}
        if self.problems:
            raise IngestError(self.path, self.problems)


def resolve_area(rows: Rows, line: int, col: str, value: str, level: str, period: str | None = None,
                 name: str = "") -> str | None:
    """The system's code, checked against the vintage in force for the row's period (the level's first vintage
    when the period is not known). Unknown codes are reported once each by report_unknown_areas."""
    key = geography.vintage_for(level, period).key if period else level
    code = geography.resolve_area(value, key)
    if code is None:
        seen = rows.unknown_areas.setdefault((col, value, key, period or ""), [line, 0, name])
        seen[1] += 1
    return code


def report_unknown_areas(rows: Rows) -> None:
    """One problem per unknown system code: how many rows carry it, the name the file gives it, what is known,
    and how to add a vintage (never one line per row)."""
    for (col, value, key, period), (line, count, name) in rows.unknown_areas.items():
        v = geography.vintage(key)
        what = f"{v.level} code or name {value!r}" + (f" (named {name!r} in the file)" if name and name != value else "")
        when = f" for period {period}" if period else ""
        hint = ""
        other = next((o for o in geography.VINTAGES.values() if o.level == v.level and o.key != v.key
                      and geography.resolve_area(value, o.key)), None)
        if other is not None:
            hint = (f" It is a system of {other.title} (in force from {other.effective_from}), not of {v.title} "
                    f"(in force from {v.effective_from}), which applies to this file's period.")
            moved = geography.became(geography.resolve_area(value, other.key), v.key)
            if moved is not None:
                hint += f" {moved[1]}"
        rows.problems.append(
            f"row {line}, column {col}: unknown {what} in {count:,} row{'s' if count != 1 else ''}{when}; "
            f"checked against {v.label}, in force from {v.effective_from}; expected one of "
            f"{', '.join(v.areas['code'])} (or their ONS E54 codes or names).{hint} If a new geography has taken "
            "effect, add its vintage: put its CSV files in lib/data/vintages/ (see the README there) and run "
            "`python -m lib geography check`.")


def region_of(area: str, level: str) -> str:
    return geography.area_lookup_regions(level)[area]


def staff_group(rows: Rows, line: int, col: str, value: str) -> str | None:
    g = normalise_staff_group(value)
    if g is None:
        rows.error(line, col, f"unknown staff group {value!r}; known: {'; '.join(known_staff_group_labels())}")
    return g


_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], start=1)}


def parse_month(text: str) -> str | None:
    """'YYYY-MM' from the month formats published files use (2025-10-31, 31/10/2025, 202510, Oct-25...)."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m", "%Y%m", "%b-%y", "%B-%y", "%b %Y", "%B %Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            d = dt.datetime.strptime(t, fmt)
            return f"{d.year:04d}-{d.month:02d}"
        except ValueError:
            continue
    return None


def unused_columns(header: list[str], columns: tuple[str, ...], optional: tuple[str, ...] = ()) -> str:
    """A note naming columns the format does not read ('' when none): never silently accepted."""
    known = {c.lower() for c in (*columns, *optional)}
    extra = [h for h in header if h.strip().lower() not in known]
    if not extra:
        return ""
    return (f"row 1 (header): column(s) {', '.join(repr(h) for h in extra)} not read: not part of the published "
            f"layout ({', '.join(columns)}); their values are not stored")
