"""The scenario library in a database (lib.whatif.library), against SQLite in the store and against a real
PostgreSQL server the tests start (tests/pg.py): names, ownership in one transaction, the change log, the import
of scenarios/*.json, two replicas on one database, and concurrent saves from two processes (40 trials)."""
from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
import sqlalchemy as sa

from lib.whatif import library
from lib.whatif.scenario import Scenario
from tests import pg
from tests.library_worker import run_two, tally

TRIALS = 40


@pytest.fixture(scope="module")
def postgres():
    if pg.binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql "
                    "(.ci/run and scripts/test.sh install it)")
    server = pg.PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """(store, database_url): the store's own SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return tmp_path, None
    server = request.getfixturevalue("postgres")
    return tmp_path, server.create_database("lib_" + uuid.uuid4().hex[:12])


def _other_engine(store, url) -> library.Library:
    """A second replica: its own engine (own connections) on the same database."""
    return library.Library(library._make_engine(library._engine_url(url, store)))


def test_save_list_load_replace_delete_export_and_change_log(backend):
    store, url = backend
    db = {"database_url": url}
    scn = Scenario.from_dict({"schema_version": 1, "area": "QKK", "horizon": 7,
                              "levers": {"new_roles": [{"role": "nursing_associate", "trainees_per_year": 40}]}})
    assert library.save(store, "40 nursing associates", scn, "Ann@nhs.net", when="2026-11-29T10:00:00+00:00",
                        **db) == "40 nursing associates"
    library.save(store, "Retention first", Scenario(area="QKK"), "bob@nhs.net", when="2026-11-29T11:00:00+00:00",
                 **db)
    t, problems = library.entries(store, **db)
    assert problems == [] and t["name"].tolist() == ["Retention first", "40 nursing associates"]
    assert t["saved_by"].tolist() == ["bob@nhs.net", "ann@nhs.net"] and t["years"].tolist() == [5, 7]
    assert library.load(store, "40 NURSING ASSOCIATES", **db).to_dict() == scn.to_dict()  # one name, any case
    library.save(store, "40 nursing associates", Scenario(area="QKK", horizon=3), "ann@nhs.net", **db)
    assert library.load(store, "40 nursing associates", **db).horizon == 3
    with zipfile.ZipFile(io.BytesIO(library.export_zip(store, **db))) as z:
        docs = {json.loads(z.read(n))["name"]: json.loads(z.read(n)) for n in z.namelist()}
    assert set(docs) == {"40 nursing associates", "Retention first"}
    assert docs["40 nursing associates"]["saved_by"] == "ann@nhs.net"
    assert docs["40 nursing associates"]["scenario"]["horizon"] == 3
    assert library.delete(store, "Retention first", "bob@nhs.net", **db)
    assert not library.delete(store, "Retention first", "bob@nhs.net", **db)
    log = library.changes(store, **db)
    assert log[["who", "what", "name"]].values.tolist() == [
        ["bob@nhs.net", "deleted", "Retention first"], ["ann@nhs.net", "replaced", "40 nursing associates"],
        ["bob@nhs.net", "saved", "Retention first"], ["ann@nhs.net", "saved", "40 nursing associates"]]
    csv = library.library_log_csv(store, ["What-if library change log"], url).decode("utf-8-sig")
    assert csv.splitlines()[:3] == ["# What-if library change log", "", "when_utc,who,what,name,detail"]


def test_refused_owner_change_writes_nothing(backend):
    """The ownership check and the write are one transaction: a refusal leaves the entry and the log as they were."""
    store, url = backend
    db = {"database_url": url}
    library.save(store, "Plan A", Scenario(area="QKK", horizon=5), "ann@nhs.net", **db)
    for who, do in (("bob@nhs.net", lambda w: library.save(store, "plan a", Scenario(area="QKK"), w, **db)),
                    ("bob@nhs.net", lambda w: library.delete(store, "PLAN A", w, **db)),
                    (None, lambda w: library.delete(store, "Plan A", w, **db))):
        with pytest.raises(library.LibraryError, match="saved by ann@nhs.net, and only they can"):
            do(who)
    assert library.load(store, "Plan A", **db).horizon == 5
    assert library.changes(store, **db)["what"].tolist() == ["saved"]


@pytest.mark.parametrize("first,second", [("Café", "Cafe\u0301"), ("Cafe\u0301", "CAFÉ"), ("Plan A", "plan  a"),
                                          ("Straße", "STRASSE"), ("ﬁnal plan", "Final Plan"), ("Plan A", "Ｐｌａｎ Ａ")])
def test_names_are_unique_after_nfkc_and_case_folding(first, second, backend):
    store, url = backend
    library.save(store, first, Scenario(area="QKK"), "ann@nhs.net", database_url=url)
    with pytest.raises(library.LibraryError, match="saved by ann@nhs.net, and only they can overwrite") as e:
        library.save(store, second, Scenario(area="QKK"), "bob@nhs.net", database_url=url)
    if library.clean_name(first) != library.clean_name(second):  # looks different: the message says why
        assert "is the same name: capitals and Unicode forms are not told apart" in str(e.value)
    library.save(store, second, Scenario(area="QKK", horizon=9), "ann@nhs.net", database_url=url)  # hers: replaced
    t, _ = library.entries(store, database_url=url)
    assert len(t) == 1 and library.load(store, first, database_url=url).horizon == 9


def test_unique_index_holds_in_the_database_itself(backend):
    """Even a writer that skips the library's own check cannot add a second row with the same normalised name."""
    store, url = backend
    lib = library.open_library(store, url)
    lib.save("Café", Scenario(area="QKK"), "ann@nhs.net")
    with pytest.raises(sa.exc.IntegrityError):
        with lib.engine.begin() as conn:
            conn.execute(sa.insert(library.SCENARIOS).values(
                library=library.DEFAULT_LIBRARY, name="CAFÉ", name_key=library.name_key("CAFÉ"), saved_by="bob",
                saved_at_utc="x", scenario_json="{}"))


def test_names_with_invisible_characters_are_refused_with_a_clear_message():
    for ch, words in (("\u200b", "ZERO WIDTH SPACE"), ("\u200d", "ZERO WIDTH JOINER"), ("\u2066", "LEFT-TO-RIGHT"),
                      ("\u3164", "HANGUL FILLER"), ("\ufe0f", "VARIATION SELECTOR-16"), ("\x00", "U+0000")):
        with pytest.raises(library.LibraryError, match="invisible character") as e:
            library.clean_name(f"Plan{ch} A")
        assert words in str(e.value) and "position 5" in str(e.value)
    assert library.clean_name("  Plan\u00a0\u3000 A\n") == "Plan A"  # spaces of any kind are white space
    assert library.name_key("Cafe\u0301") == library.name_key("CAFÉ") == "café"


def test_two_replicas_on_one_database_see_each_others_saves(backend):
    store, url = backend
    a = library.open_library(store, url)
    b = _other_engine(store, url)
    assert a.engine is not b.engine
    a.save("From replica A", Scenario(area="QKK", horizon=2), "ann@nhs.net")
    b.save("From replica B", Scenario(area="QKK", horizon=8), "bob@nhs.net")
    assert sorted(b.entries()[0]["name"]) == sorted(a.entries()[0]["name"]) == ["From replica A", "From replica B"]
    assert b.load("from replica a").horizon == 2 and a.load("FROM REPLICA B").horizon == 8
    with pytest.raises(library.LibraryError, match="saved by ann@nhs.net"):
        b.save("From replica A", Scenario(area="QKK"), "bob@nhs.net")
    assert a.delete("From replica A", "ann@nhs.net")
    assert b.entries()[0]["name"].tolist() == ["From replica B"]
    assert [r for r in b.changes()["what"]] == ["deleted", "saved", "saved"]
    b.engine.dispose()


def test_two_processes_saving_the_same_new_name_40_times_lose_nothing(backend, record_property):
    store, url = backend
    library.open_library(store, url)  # schema made once, before the race (the race is on the names)
    got = run_two(str(store), TRIALS, url)
    t, problems = library.entries(store, database_url=url)
    owners = dict(zip(t["name"], t["saved_by"]))
    figures = tally(got, lambda i: owners.get(f"Workshop plan {i}"))
    backend_name = "postgresql" if url else "sqlite"
    record_property(f"{backend_name}_40_trials", figures)
    print(f"{backend_name}, two processes, same new name, {TRIALS} trials:", figures)
    assert figures == {"trials": TRIALS, "exactly_one_saved": TRIALS, "both_reported_saved": 0, "entries_lost": 0}
    assert problems == [] and len(t) == TRIALS
    # each kept entry is the winner's own scenario (ann saves horizon 3, bob horizon 7)
    for i in range(TRIALS):
        assert library.load(store, f"Workshop plan {i}", database_url=url).horizon == (
            3 if owners[f"Workshop plan {i}"] == "ann@nhs.net" else 7)
    log = library.changes(store, database_url=url)
    assert (log["what"] == "saved").sum() == TRIALS  # the change log holds exactly the saves that happened


def test_same_owner_saving_at_once_from_two_processes_keeps_one_entry(backend):
    """One person in two browser tabs (two replicas): both saves are theirs, one entry remains, nothing fails."""
    store, url = backend
    library.open_library(store, url)
    got = run_two(str(store), 10, url, users=("ann@nhs.net", "ANN@nhs.net"))
    assert all(o == "ok" for rows in got.values() for _, o in rows), got
    t, _ = library.entries(store, database_url=url)
    assert len(t) == 10 and set(t["saved_by"]) == {"ann@nhs.net"}


def test_files_from_before_imported_once_damaged_listed(backend):
    store, url = backend
    d = store / "scenarios"
    d.mkdir()
    doc = {"name": "Old plan", "saved_by": "ann@nhs.net", "saved_at_utc": "2026-11-01T10:00:00+00:00",
           "scenario": Scenario(area="QKK", horizon=4).to_dict()}
    (d / "Old_plan.json").write_text(json.dumps(doc))
    (d / "old_plan_copy.json").write_text(json.dumps({**doc, "name": "OLD PLAN", "saved_by": "bob@nhs.net"}))
    (d / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    (d / "not_utf8.json").write_bytes(b'{"name": "\xff"}')
    (d / "zwsp.json").write_text(json.dumps({**doc, "name": "Plan\u200b B"}))
    (d / "huge_number.json").write_text('{"name": "n", "scenario": {"horizon": ' + "9" * 5000 + "}}")
    t, problems = library.entries(store, database_url=url)
    assert t["name"].tolist() == ["Old plan"]
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    for f, why in (("old_plan_copy.json", "already has a scenario called 'OLD PLAN'"), ("deep.json", "nested"),
                   ("not_utf8.json", "not UTF-8"), ("zwsp.json", "invisible character"),
                   ("huge_number.json", "not valid JSON")):
        assert f"scenarios/{f}: " in text and why in text, (f, why, text)
    # a second replica (and a restart) imports nothing twice
    b = _other_engine(store, url)
    assert b.import_files(d) == []
    assert (library.changes(store, database_url=url)["what"] == "imported").sum() == 1
    # a new file dropped in later is imported on the next use
    (d / "new.json").write_text(json.dumps({**doc, "name": "New plan"}))
    assert sorted(library.entries(store, database_url=url)[0]["name"]) == ["New plan", "Old plan"]
    b.engine.dispose()


def test_a_damaged_row_never_takes_the_listing_or_export_down(backend):
    """A row edited by hand in the database (nested 100,000 deep, or not JSON) is named and left out."""
    store, url = backend
    lib = library.open_library(store, url)
    lib.save("Good", Scenario(area="QKK"), "ann@nhs.net")
    lib.save("Deep", Scenario(area="QKK"), "ann@nhs.net")
    lib.save("Garbled", Scenario(area="QKK"), "ann@nhs.net")
    with lib.engine.begin() as conn:
        for name, text in (("Deep", "[" * 100_000 + "]" * 100_000), ("Garbled", "{not json")):
            conn.execute(sa.update(library.SCENARIOS).where(library.SCENARIOS.c.name == name)
                         .values(scenario_json=text))
    t, problems = lib.entries()
    assert t["name"].tolist() == ["Good"]
    assert any("'Deep'" in p and "nested" in p for p in problems) and any("'Garbled'" in p for p in problems)
    with zipfile.ZipFile(io.BytesIO(lib.export_zip())) as z:
        names = z.namelist()
        readme = z.read("README.txt").decode()
    assert len([n for n in names if n.endswith(".json")]) == 1 and "'Deep'" in readme and "'Garbled'" in readme
    with pytest.raises(library.LibraryError, match="nested"):
        lib.load("Deep")


def test_json_depth_is_bounded_before_parsing():
    assert library.json_depth('{"a": [1, {"b": "[[[["}]}') == 3  # brackets inside strings do not count
    assert library.json_depth('"\\"[["') == 0
    with pytest.raises(library.LibraryError, match="nested more than 32"):
        library.parse_json("[" * 33 + "]" * 33, "x")
    assert library.parse_json("[" * 32 + "]" * 32, "x") is not None


def test_database_url_from_the_secrets_is_checked():
    from lib.sharing import settings
    assert settings.validate({"workforce": {"database_url": "postgresql://u:p@db/x"}}).broken is False
    assert settings.validate({"workforce": {"database_url": "sqlite:////srv/lib.sqlite3"}}).broken is False
    for bad in ("mysql://u:secretpw@db/x", 5, ""):
        s = settings.validate({"workforce": {"database_url": bad}})
        assert s.broken and "database_url" in s.problem and "secretpw" not in s.problem
    with pytest.raises(library.LibraryError, match="PostgreSQL or SQLite"):
        library.open_library("/nonexistent", "mysql://u:p@db/x")


def test_an_unreachable_database_is_a_clear_error_without_the_password(tmp_path):
    from tests.conftest import free_port
    url = f"postgresql://u:hunter2secret@127.0.0.1:{free_port()}/x"
    with pytest.raises(library.LibraryError) as e:
        library.entries(tmp_path, database_url=url)
    assert "cannot be used just now" in str(e.value) and "hunter2secret" not in str(e.value)
