"""Named scenario library in a database, and its change log.

Where: SQLite in the store by default (STORE/scenarios/library.sqlite3: embedded, nothing to install), or the
PostgreSQL database a shared deployment names (`[workforce] database_url` in the secrets, e.g.
"postgresql://user:password@host/dbname"), so that replicas on several machines share one library. Both are
spoken to through SQLAlchemy Core (psycopg 3 for PostgreSQL); the tables are created on first use, and the schema
version is kept in `whatif_library_meta` (SCHEMA_VERSION: a later change adds a numbered step here).

Names: the facilitator's words, unique per library after Unicode NFKC normalisation and case folding ("Café"
in either Unicode form, "PLAN A" and "plan a" are one name); invisible characters (zero-width spaces and joiners,
other format characters, control characters, filler characters) are refused with a message naming them, so
two entries can never look alike. The normalised name has a unique index.

Ownership: each entry records who saved it (the signed-in address, or ANONYMOUS when sign-in is off). Only
that person may overwrite or delete it; everyone allowed on the page may list, load, compare and export it. The
ownership check and the write are one transaction (SQLite: BEGIN IMMEDIATE, one writer at a time; PostgreSQL:
INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE of the row that won), so two people saving the same
new name at once cannot both succeed: the second is told who saved it. Every save, replacement, deletion and
import is written to the change log (`whatif_library_changes`) in the same transaction.

Files from before (STORE/scenarios/*.json) are imported once per library (each file's name and SHA-256 are
recorded, so a replica that starts later imports nothing twice). A file that cannot be imported (not JSON,
nested too deeply, not a scenario, a name already taken) is recorded and listed as a problem, never fatal. The
listing and the zip export skip (and name) an entry that cannot be read; they never fall over on one.
"""
from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import re
import threading
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from lib.insight import exports
from lib.whatif.scenario import Scenario, ScenarioError

DIR_NAME = "scenarios"
SQLITE_NAME = "library.sqlite3"
DEFAULT_LIBRARY = "default"
MAX_NAME_CHARS = 80
MAX_FILE_BYTES = 200_000
MAX_JSON_DEPTH = 32          # a scenario document nests 4 deep; json.loads recurses once per level
MAX_ENTRIES = 500
SCHEMA_VERSION = 1
LOG_COLUMNS = ["when_utc", "who", "what", "value"]
LIBRARY_LOG_COLUMNS = ["when_utc", "who", "what", "name", "detail"]
ENTRY_COLUMNS = ["name", "saved_by", "saved_at_utc", "area", "years", "levers"]
ANONYMOUS = "anonymous (local)"  # who saved it when sign-in is off
_LEGACY_ANONYMOUS = {"local user", "unknown", ""}  # entries saved before ownership was recorded
_PG_LOCK_KEY = 22_000_001     # pg_advisory_xact_lock key serialising schema creation across replicas
# Characters that show as nothing (Unicode gives them letter or mark categories, so the category test misses them).
_INVISIBLE = ({0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x2800, 0x3164, 0xFFA0}
              | set(range(0xFE00, 0xFE10)) | set(range(0xE0100, 0xE01F0)))
_REFUSED_CATEGORIES = {"Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"}


class LibraryError(ValueError):
    """A library entry that cannot be saved or read; the message says which and why."""


# ------------------------------------------------------------------------------------------------
# Names and owners
# ------------------------------------------------------------------------------------------------
def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" {unicodedata.name(ch)}" if unicodedata.name(ch, "") else "")


def clean_name(name: str) -> str:
    """The name as shown: runs of white space made one space, trimmed, NFC. Refuses an empty or too long name and
    any invisible character (LibraryError saying which and where)."""
    raw = str(name or "")
    for i, ch in enumerate(raw, start=1):
        if ch.isspace():
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ord(ch) in _INVISIBLE:
            raise LibraryError(f"The name contains an invisible character ({_char_name(ch)}) at position {i}. "
                               "Type the name again without it: names that look alike are not allowed.")
    n = unicodedata.normalize("NFC", " ".join(raw.split()))
    if not n:
        raise LibraryError("A saved scenario needs a name: type one in the name box.")
    if len(n) > MAX_NAME_CHARS:
        raise LibraryError(f"The name is {len(n)} characters long; use at most {MAX_NAME_CHARS}.")
    return n


def name_key(name: str) -> str:
    """What makes two names the same: NFKC, case folded, NFKC again (Unicode's recommended caseless match for
    identifiers), white space collapsed. "Café" (composed or not), "CAFÉ" and "ｃａｆé" share one key."""
    n = unicodedata.normalize("NFKC", clean_name(name))
    n = unicodedata.normalize("NFKC", n.casefold())
    return " ".join(n.split())


def identity(who: str | None) -> str:
    """The owner recorded for `who`: a signed-in address in lower case, ANONYMOUS when nobody is signed in."""
    w = " ".join(str(who or "").split())[:120]
    return ANONYMOUS if w.lower() in _LEGACY_ANONYMOUS or w == ANONYMOUS else w.lower()


def may_change(owner: str, who: str | None) -> bool:
    """True when `who` may overwrite or delete an entry saved by `owner`: only its owner may."""
    return identity(owner) == identity(who)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _slug(name: str) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:40] or "scenario"
    return f"{base}_{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


# ------------------------------------------------------------------------------------------------
# JSON with a bounded depth
# ------------------------------------------------------------------------------------------------
def json_depth(text: str) -> int:
    """Deepest nesting of [ and { in a JSON text (outside strings), without parsing it: json.loads recurses once
    per level and raises RecursionError (or exhausts the stack) on a document nested thousands deep."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, what: str) -> object:
    """json.loads with the depth bounded (MAX_JSON_DEPTH) and every failure a LibraryError naming `what`."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise LibraryError(f"{what}: nested more than {MAX_JSON_DEPTH} levels deep, not a saved scenario")
    try:
        return json.loads(text)
    except RecursionError:  # the bound above should stop this first; never let it reach the page
        raise LibraryError(f"{what}: nested too deeply, not a saved scenario") from None
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise LibraryError(f"{what}: not valid JSON ({str(exc)[:160]})") from None


def _scenario_from(obj: object, what: str) -> Scenario:
    try:
        return Scenario.from_dict(obj)
    except ScenarioError as exc:
        raise LibraryError(f"{what}: {'; '.join(exc.errors)}") from None
    except RecursionError:
        raise LibraryError(f"{what}: nested too deeply, not a saved scenario") from None


def _document(raw: bytes, what: str) -> dict:
    """A legacy library file's document (name, saved_by, saved_at_utc, scenario), checked."""
    if len(raw) > MAX_FILE_BYTES:
        raise LibraryError(f"{what}: larger than {MAX_FILE_BYTES:,} bytes, not a saved scenario")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LibraryError(f"{what}: not UTF-8 text ({exc.reason})") from None
    doc = parse_json(text, what)
    if not isinstance(doc, dict) or not {"name", "scenario"} <= set(doc):
        raise LibraryError(f"{what}: expected keys name, scenario, saved_by, saved_at_utc")
    _scenario_from(doc["scenario"], what)
    return doc


# ------------------------------------------------------------------------------------------------
# Schema
# ------------------------------------------------------------------------------------------------
METADATA = sa.MetaData()
SCENARIOS = sa.Table(
    "whatif_library", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("library", sa.String(80), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(400), nullable=False),
    sa.Column("saved_by", sa.String(200), nullable=False),
    sa.Column("saved_at_utc", sa.String(40), nullable=False),
    sa.Column("scenario_json", sa.Text, nullable=False),
    sa.UniqueConstraint("library", "name_key", name="uq_whatif_library_name_key"),
)
CHANGES = sa.Table(
    "whatif_library_changes", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("library", sa.String(80), nullable=False, index=True),
    sa.Column("when_utc", sa.String(40), nullable=False),
    sa.Column("who", sa.String(200), nullable=False),
    sa.Column("what", sa.String(40), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)
IMPORTS = sa.Table(
    "whatif_library_imports", METADATA,
    sa.Column("library", sa.String(80), primary_key=True),
    sa.Column("file_name", sa.String(300), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("imported_at_utc", sa.String(40), nullable=False),
    sa.Column("problem", sa.Text, nullable=False, default=""),  # "" = imported; else why not
)
META = sa.Table(
    "whatif_library_meta", METADATA,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)


def _engine_url(database_url: str | None, store: Path | str) -> sa.URL:
    """The SQLAlchemy URL: the store's SQLite file, or the deployment's PostgreSQL (psycopg 3) / SQLite URL."""
    if not database_url:
        path = Path(store) / DIR_NAME / SQLITE_NAME
        return sa.URL.create("sqlite", database=str(path))
    try:
        url = sa.make_url(str(database_url).strip())
    except (sa.exc.ArgumentError, ValueError):
        raise LibraryError("database_url is not a database address (expected postgresql://... or "
                           "sqlite:///path)") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):  # "postgres://" is what some hosts hand out
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and url.database:
        return url.set(drivername="sqlite")
    raise LibraryError(f"database_url names a {backend!r} database; the library uses PostgreSQL or SQLite")


def _set_wal(dbapi_conn, tries: int = 200) -> None:
    """WAL, so readers never wait for the one writer. Switching a new file to WAL needs the file to itself, and
    SQLite answers "database is locked" at once, without its busy handler, when another process opens the same new
    file at that moment (the first save of two replicas at once failed in about 1 in 4 runs): try again shortly."""
    for attempt in range(tries):
        try:
            dbapi_conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.01 + random.random() * 0.04)


def _make_engine(url: sa.URL) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # SQLAlchemy, not pysqlite, says where transactions begin
            dbapi_conn.execute("PRAGMA busy_timeout = 60000")
            _set_wal(dbapi_conn)

        @sa.event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            # a write takes the database's write lock at BEGIN, so its reads (the owner check) and its write are
            # one step: another process's save waits rather than interleaving
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)


_ENGINES: dict[str, sa.Engine] = {}
_READY: set[tuple[str, str]] = set()
_IMPORTED: dict[tuple[str, str, str], frozenset] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Library:
    """One library in one database. Get it with open_library(); cheap to make (engines are shared)."""
    engine: sa.Engine
    library: str = DEFAULT_LIBRARY

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self.engine.connect().execution_options(write=True) as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    # ---- schema and legacy import
    def create(self) -> None:
        """Create the tables if absent and record the schema version (serialised across processes)."""
        with self._write() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            METADATA.create_all(conn)
            found = conn.execute(sa.select(META.c.value).where(META.c.key == "schema_version")).scalar()
            if found is None:
                conn.execute(sa.insert(META).values(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(found) > SCHEMA_VERSION:
                raise LibraryError(f"the library database has schema version {found}, newer than this dashboard "
                                   f"({SCHEMA_VERSION}): update the dashboard")

    def import_files(self, folder: Path | str) -> list[str]:
        """Import FOLDER/*.json (the library as files, before the database) once; returns what could not be."""
        d = Path(folder)
        files = sorted(d.glob("*.json")) if d.is_dir() else []
        if not files:
            return []
        with self._read() as conn:
            done = {(r.file_name, r.sha256) for r in conn.execute(
                sa.select(IMPORTS.c.file_name, IMPORTS.c.sha256).where(IMPORTS.c.library == self.library))}
        problems = []
        for p in files:
            try:
                raw = p.read_bytes()
            except OSError as exc:
                problems.append(f"{p.name}: cannot be read ({exc.strerror or exc})")
                continue
            sha = hashlib.sha256(raw).hexdigest()
            if (p.name, sha) in done:
                continue
            try:
                doc, problem = _document(raw, p.name), ""
            except LibraryError as exc:
                doc, problem = None, str(exc)
            problem = self._import_one(p.name, sha, doc, problem)
            if problem:
                problems.append(problem)
        return problems

    def _import_one(self, file_name: str, sha: str, doc: dict | None, problem: str) -> str:
        when = _now()
        try:
            with self._write() as conn:
                if conn.execute(sa.select(IMPORTS.c.problem).where(
                        IMPORTS.c.library == self.library, IMPORTS.c.file_name == file_name,
                        IMPORTS.c.sha256 == sha)).first() is not None:
                    return ""  # another process imported it a moment ago
                if doc is not None:
                    try:
                        name = clean_name(doc["name"])
                        key = name_key(name)
                    except LibraryError as exc:
                        problem = f"{file_name}: {exc}"
                    else:
                        taken = conn.execute(sa.select(SCENARIOS.c.saved_by).where(
                            SCENARIOS.c.library == self.library, SCENARIOS.c.name_key == key)).first()
                        if taken is not None:
                            problem = (f"{file_name}: not imported, the library already has a scenario called "
                                       f"{name!r} (saved by {taken.saved_by})")
                        else:
                            scn = _scenario_from(doc["scenario"], file_name)
                            who = identity(doc.get("saved_by"))
                            conn.execute(sa.insert(SCENARIOS).values(
                                library=self.library, name=name, name_key=key, saved_by=who,
                                saved_at_utc=str(doc.get("saved_at_utc") or when)[:40],
                                scenario_json=scn.to_json(None)))
                            conn.execute(sa.insert(CHANGES).values(
                                library=self.library, when_utc=when, who=who, what="imported", name=name,
                                detail=f"from {DIR_NAME}/{file_name}"))
                conn.execute(sa.insert(IMPORTS).values(library=self.library, file_name=file_name, sha256=sha,
                                                       imported_at_utc=when, problem=problem))
        except IntegrityError:
            return ""  # another process recorded the same file (or name) first: nothing lost, nothing twice
        return problem

    # ---- entries
    def _row(self, conn: sa.Connection, key: str, lock: bool = False):
        q = sa.select(SCENARIOS).where(SCENARIOS.c.library == self.library, SCENARIOS.c.name_key == key)
        return conn.execute(q.with_for_update() if lock and self.dialect == "postgresql" else q).first()

    def save(self, name: str, scn: Scenario, who: str | None, when: str | None = None) -> str:
        """Write (or replace, if `who` owns it) the named scenario; returns the name as stored. The check that
        `who` may write and the write are one transaction."""
        name = clean_name(name)
        key = name_key(name)
        me = identity(who)
        values = {"name": name, "saved_by": me, "saved_at_utc": when or _now(), "scenario_json": scn.to_json(None)}
        try:
            with self._write() as conn:
                row = self._row(conn, key, lock=True)
                if row is None:
                    count = conn.execute(sa.select(sa.func.count()).select_from(SCENARIOS).where(
                        SCENARIOS.c.library == self.library)).scalar_one()
                    if count >= MAX_ENTRIES:
                        raise LibraryError(f"The library holds {MAX_ENTRIES} scenarios already: delete some first.")
                    ins = self._insert().values(library=self.library, name_key=key, **values)
                    inserted = conn.execute(ins.on_conflict_do_nothing(index_elements=["library", "name_key"])
                                            .returning(SCENARIOS.c.id)).first()
                    if inserted is not None:
                        self._log(conn, me, "saved", name)
                        return name
                    row = self._row(conn, key, lock=True)  # someone saved this name a moment ago: theirs stands
                    if row is None:
                        raise LibraryError(f"Could not save {name!r} just now: try again.")
                self._check_owner(row, me, "overwrite", name)
                conn.execute(sa.update(SCENARIOS).where(SCENARIOS.c.id == row.id).values(**values))
                self._log(conn, me, "replaced", name, f"was {row.name!r}" if row.name != name else "")
                return name
        except IntegrityError:
            raise LibraryError(f"Could not save {name!r}: someone saved a scenario of that name at the same "
                               "moment. Look at the library and save yours under another name.") from None

    def _insert(self):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(SCENARIOS)

    def _log(self, conn: sa.Connection, who: str, what: str, name: str, detail: str = "") -> None:
        conn.execute(sa.insert(CHANGES).values(library=self.library, when_utc=_now(), who=who, what=what, name=name,
                                               detail=detail))

    @staticmethod
    def _check_owner(row, me: str, doing: str, asked: str | None = None) -> None:
        owner = identity(row.saved_by)
        if not may_change(owner, me):
            alike = ("" if asked is None or asked == row.name else
                     f" ({asked!r} is the same name: capitals and Unicode forms are not told apart)")
            raise LibraryError(f"Cannot {doing} {row.name!r}{alike}: it was saved by {owner}, and only they can "
                               f"{doing} it. Save your version under another name.")

    def owner(self, name: str) -> str | None:
        """Who saved the named entry (None: no such entry)."""
        with self._read() as conn:
            row = self._row(conn, name_key(name))
        return identity(row.saved_by) if row is not None else None

    def load(self, name: str) -> Scenario:
        with self._read() as conn:
            row = self._row(conn, name_key(name))
        if row is None:
            raise LibraryError(f"No saved scenario called {name!r}.")
        return _scenario_from(parse_json(row.scenario_json, repr(row.name)), repr(row.name))

    def delete(self, name: str, who: str | None) -> bool:
        """Remove the named entry if `who` owns it (LibraryError otherwise); False when there is no such entry."""
        me = identity(who)
        with self._write() as conn:
            row = self._row(conn, name_key(name), lock=True)
            if row is None:
                return False
            self._check_owner(row, me, "delete")
            conn.execute(sa.delete(SCENARIOS).where(SCENARIOS.c.id == row.id))
            self._log(conn, me, "deleted", row.name)
        return True

    def _rows(self) -> list:
        with self._read() as conn:
            return list(conn.execute(sa.select(SCENARIOS).where(SCENARIOS.c.library == self.library)
                                     .order_by(SCENARIOS.c.saved_at_utc.desc(), SCENARIOS.c.id.desc())))

    def _import_problems(self) -> list[str]:
        with self._read() as conn:
            return [f"{DIR_NAME}/{r.problem}" for r in conn.execute(
                sa.select(IMPORTS.c.problem).where(IMPORTS.c.library == self.library, IMPORTS.c.problem != "")
                .order_by(IMPORTS.c.file_name))]

    def entries(self) -> tuple[pd.DataFrame, list[str]]:
        """(table of saved scenarios newest first: name, saved_by, saved_at_utc, area, years, levers (in words);
        problems). An entry
        that cannot be read, and a legacy file that could not be imported, are named in the problems."""
        from lib.whatif.studio import lever_summary  # the studio's words for a scenario's levers
        rows, problems = [], self._import_problems()
        for r in self._rows():
            try:
                scn = _scenario_from(parse_json(r.scenario_json, repr(r.name)), repr(r.name))
            except LibraryError as exc:
                problems.append(str(exc))
                continue
            try:
                levers = "; ".join(lever_summary(scn))
            except Exception:  # noqa: BLE001 - the words are a courtesy; the entry is still listed
                levers = "(could not be described)"
            rows.append({"name": r.name, "saved_by": identity(r.saved_by), "saved_at_utc": r.saved_at_utc,
                         "area": scn.area, "years": scn.horizon, "levers": levers})
        return pd.DataFrame(rows, columns=ENTRY_COLUMNS), problems

    def export_zip(self) -> bytes:
        """Every readable saved scenario (with who and when) as one zip of JSON files; a README.txt in the zip
        names any entry left out and why."""
        buf, skipped, used = BytesIO(), [], set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for r in self._rows():
                try:
                    scn = _scenario_from(parse_json(r.scenario_json, repr(r.name)), repr(r.name))
                except LibraryError as exc:
                    skipped.append(str(exc))
                    continue
                arc = f"{_slug(r.name)}.json"
                while arc in used:
                    arc = f"{_slug(r.name + arc)}.json"
                used.add(arc)
                doc = {"name": r.name, "saved_by": identity(r.saved_by), "saved_at_utc": r.saved_at_utc,
                       "scenario": scn.to_dict()}
                z.writestr(arc, json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False))
            if skipped:
                z.writestr("README.txt", "Left out (could not be read):\n" + "\n".join(skipped) + "\n")
        return buf.getvalue()

    def changes(self, limit: int = 1000) -> pd.DataFrame:
        """The library's change log, newest first: when_utc, who, what (saved, replaced, deleted, imported),
        name, detail."""
        with self._read() as conn:
            rows = conn.execute(sa.select(CHANGES.c.when_utc, CHANGES.c.who, CHANGES.c.what, CHANGES.c.name,
                                          CHANGES.c.detail).where(CHANGES.c.library == self.library)
                                .order_by(CHANGES.c.id.desc()).limit(limit)).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=LIBRARY_LOG_COLUMNS)


def open_library(store: Path | str, database_url: str | None = None, library: str = DEFAULT_LIBRARY) -> Library:
    """The library for a store: its SQLite file, or `database_url`. Creates the schema once per process and
    imports any STORE/scenarios/*.json not imported before (a listing of one folder when there is nothing new)."""
    url = _engine_url(database_url, store)
    key = url.render_as_string(hide_password=False)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = _make_engine(url)
    lib = Library(engine, library)
    if (key, library) not in _READY:
        lib.create()
        _READY.add((key, library))
    folder = Path(store) / DIR_NAME
    seen = (key, library, str(folder))
    listing = _listing(folder)
    if listing and _IMPORTED.get(seen) != listing:  # a page run calls this often: read files only on a change
        lib.import_files(folder)
        _IMPORTED[seen] = listing
    return lib


def _listing(folder: Path) -> frozenset:
    """(name, size, mtime) of the folder's *.json files: what decides whether there may be something to import."""
    try:
        return frozenset((p.name, st.st_size, st.st_mtime_ns) for p in folder.glob("*.json")
                         if (st := p.stat()) is not None)
    except OSError:
        return frozenset()


def _unavailable(exc: SQLAlchemyError) -> LibraryError:
    """A database failure in words for the page, without the address (it may hold a password)."""
    return LibraryError("the scenario library's database cannot be used just now "
                        f"({type(getattr(exc, 'orig', None) or exc).__name__})")


def _guard(fn):
    """Database failures reach the page as a LibraryError without the address (it may hold a password)."""
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


# ---- the functions the page and the tests call (store, then the deployment's database_url if any)
@_guard
def save(store: Path | str, name: str, scn: Scenario, who: str | None, when: str | None = None,
         database_url: str | None = None) -> str:
    return open_library(store, database_url).save(name, scn, who, when)


@_guard
def load(store: Path | str, name: str, database_url: str | None = None) -> Scenario:
    return open_library(store, database_url).load(name)


@_guard
def delete(store: Path | str, name: str, who: str | None, database_url: str | None = None) -> bool:
    return open_library(store, database_url).delete(name, who)


@_guard
def owner(store: Path | str, name: str, database_url: str | None = None) -> str | None:
    try:
        return open_library(store, database_url).owner(name)
    except LibraryError:
        return None


@_guard
def entries(store: Path | str, database_url: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    return open_library(store, database_url).entries()


@_guard
def export_zip(store: Path | str, database_url: str | None = None) -> bytes:
    return open_library(store, database_url).export_zip()


@_guard
def changes(store: Path | str, database_url: str | None = None) -> pd.DataFrame:
    return open_library(store, database_url).changes()


# ------------------------------------------------------------------------------------------------
# Change log of a session (levers and assumptions moved) as CSV
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


def library_log_csv(store: Path | str, notes: list[str] | None = None, database_url: str | None = None) -> bytes:
    """The library's change log (who saved, replaced, deleted or imported what, when) as CSV; formulas neutralised."""
    return exports.to_csv_bytes(changes(store, database_url), notes=notes)
