"""Named scenario library kept on the server beside the data (STORE/scenarios/*.json), and the change log.

A workshop's scenarios outlive the browser session: each is one JSON file holding the scenario document, who
saved it and when. Files are written to a temporary file in the same directory, then renamed (os.replace), so
a reader never sees half a file and a failed write leaves the previous version. Names are the facilitator's
words; the file name is a safe slug of the name plus a short hash, never a path taken from the name.

Ownership: each entry records who saved it (the signed-in address, or ANONYMOUS when sign-in is off). Only
that person may overwrite or delete it; everyone allowed on the page may list, load, compare and export it. With
sign-in off everyone is ANONYMOUS, so everyone owns the anonymous entries (a local workshop laptop). No admin role
exists: the access settings (lib.sharing.access) hold only the allow-list. An entry whose file cannot be read has
no known owner and is never overwritten or deleted from the page (fail closed): whoever runs the server removes it.

The change log (levers and assumptions moved during a session) is exported as CSV with spreadsheet formulas
neutralised (lib.insight.exports).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pandas as pd

from lib.insight import exports
from lib.whatif.scenario import Scenario, ScenarioError

DIR_NAME = "scenarios"
MAX_NAME_CHARS = 80
MAX_FILE_BYTES = 200_000
MAX_ENTRIES = 500
LOG_COLUMNS = ["when_utc", "who", "what", "value"]
ANONYMOUS = "anonymous (local)"  # who saved it when sign-in is off
_LEGACY_ANONYMOUS = {"local user", "unknown", ""}  # entries saved before ownership was recorded


class LibraryError(ValueError):
    """A library entry that cannot be saved or read; the message says which and why."""


def library_dir(store: Path | str) -> Path:
    return Path(store) / DIR_NAME


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _slug(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:40] or "scenario"
    return f"{base}_{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


def clean_name(name: str) -> str:
    n = " ".join(str(name or "").split())
    if not n:
        raise LibraryError("A saved scenario needs a name: type one in the name box.")
    if len(n) > MAX_NAME_CHARS:
        raise LibraryError(f"The name is {len(n)} characters long; use at most {MAX_NAME_CHARS}.")
    return n


def identity(who: str | None) -> str:
    """The owner recorded for `who`: a signed-in address in lower case, ANONYMOUS when nobody is signed in."""
    w = " ".join(str(who or "").split())[:120]
    return ANONYMOUS if w.lower() in _LEGACY_ANONYMOUS or w == ANONYMOUS else w.lower()


def may_change(owner: str, who: str | None) -> bool:
    """True when `who` may overwrite or delete an entry saved by `owner`: only its owner may."""
    return identity(owner) == identity(who)


def _check_owner(path: Path, name: str, who: str | None, doing: str) -> None:
    """Raise LibraryError unless `who` owns the entry at `path` (a file that cannot be read has no known owner)."""
    try:
        owner = identity(_read(path).get("saved_by"))
    except (LibraryError, OSError) as exc:
        raise LibraryError(f"Cannot {doing} {name!r}: its file cannot be read, so its owner is not known "
                           f"({exc}). Whoever runs the server can remove it.") from exc
    if not may_change(owner, who):
        raise LibraryError(f"Cannot {doing} {name!r}: it was saved by {owner}, and only they can {doing} it. "
                           "Save your version under another name.")


def owner(store: Path | str, name: str) -> str | None:
    """Who saved the named entry (None: no such entry, or its file cannot be read)."""
    p = library_dir(store) / f"{_slug(clean_name(name))}.json"
    try:
        return identity(_read(p).get("saved_by")) if p.exists() else None
    except (LibraryError, OSError):
        return None


def save(store: Path | str, name: str, scn: Scenario, who: str | None, when: str | None = None) -> Path:
    """Write (or replace, if `who` owns it) the named scenario atomically; returns the file written."""
    name = clean_name(name)
    d = library_dir(store)
    d.mkdir(parents=True, exist_ok=True)
    target = d / f"{_slug(name)}.json"
    if target.exists():
        _check_owner(target, name, who, "overwrite")
    elif len(list(d.glob("*.json"))) >= MAX_ENTRIES:
        raise LibraryError(f"The library holds {MAX_ENTRIES} scenarios already: delete some first.")
    doc = {"name": name, "saved_by": identity(who), "saved_at_utc": when or _now(),
           "scenario": scn.to_dict()}
    payload = json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _read(path: Path) -> dict:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LibraryError(f"{path.name}: larger than {MAX_FILE_BYTES:,} bytes, not a saved scenario")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryError(f"{path.name}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict) or not {"name", "scenario"} <= set(doc):
        raise LibraryError(f"{path.name}: expected keys name, scenario, saved_by, saved_at_utc")
    try:
        Scenario.from_dict(doc["scenario"])
    except ScenarioError as exc:
        raise LibraryError(f"{path.name}: {'; '.join(exc.errors)}") from exc
    return doc


def entries(store: Path | str) -> tuple[pd.DataFrame, list[str]]:
    """(table of saved scenarios newest first: name, saved_by, saved_at_utc, area, years, file; problems).
    A damaged file is named in the problems and left out; the others are listed."""
    d = library_dir(store)
    rows, problems = [], []
    if d.is_dir():
        for p in sorted(d.glob("*.json")):
            try:
                doc = _read(p)
            except (LibraryError, OSError) as exc:
                problems.append(str(exc))
                continue
            s = doc["scenario"]
            rows.append({"name": str(doc["name"]), "saved_by": identity(doc.get("saved_by")),
                         "saved_at_utc": str(doc.get("saved_at_utc", "")), "area": s.get("area", ""),
                         "years": s.get("horizon", ""), "file": p.name})
    t = pd.DataFrame(rows, columns=["name", "saved_by", "saved_at_utc", "area", "years", "file"])
    return t.sort_values("saved_at_utc", ascending=False, kind="stable").reset_index(drop=True), problems


def load(store: Path | str, name: str) -> Scenario:
    p = library_dir(store) / f"{_slug(clean_name(name))}.json"
    if not p.exists():
        raise LibraryError(f"No saved scenario called {name!r}.")
    return Scenario.from_dict(_read(p)["scenario"])


def delete(store: Path | str, name: str, who: str | None) -> bool:
    """Remove the named entry if `who` owns it (LibraryError otherwise); False when there is no such entry."""
    name = clean_name(name)
    p = library_dir(store) / f"{_slug(name)}.json"
    if not p.exists():
        return False
    _check_owner(p, name, who, "delete")
    p.unlink()
    return True


def export_zip(store: Path | str) -> bytes:
    """Every readable saved scenario (with who/when) as one zip of JSON files."""
    buf = BytesIO()
    t, _ = entries(store)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in t["file"]:
            z.write(library_dir(store) / f, arcname=f)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# Change log
# ------------------------------------------------------------------------------------------------
def log_row(who: str, what: str, value, when: str | None = None) -> dict:
    """One change. A number stays a number (a lever moved to -1 is the number -1 in the CSV, not the text "'-1"
    that formula neutralisation makes of a text "-1"); anything else is text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = int(value) if float(value).is_integer() else float(f"{value:.6g}")
    else:
        value = str(value)
    return {"when_utc": when or _now(), "who": str(who), "what": str(what), "value": value}


def log_csv(rows: list[dict], notes: list[str] | None = None) -> bytes:
    """The change log as CSV (when_utc, who, what, value, notes); formulas neutralised."""
    return exports.to_csv_bytes(pd.DataFrame(rows, columns=LOG_COLUMNS), notes=notes)
