"""Issue 22 probes on the scenario library (items 3-5), through the functions the page calls, on the default
store (SQLite in the store since issue 22; JSON files before). Each failed on the code before issue 22."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from lib.whatif import library
from lib.whatif.scenario import Scenario
from tests.library_worker import run_two, tally

TRIALS = 40


def test_two_processes_saving_the_same_new_name_never_lose_an_entry(tmp_path, record_property):
    """Before: both saves succeeded in about 11 of 40 trials and the first entry was silently replaced."""
    got = run_two(str(tmp_path), TRIALS)
    t, problems = library.entries(tmp_path)
    owners = dict(zip(t["name"], t["saved_by"]))
    figures = tally(got, lambda i: owners.get(f"Workshop plan {i}"))
    record_property("sqlite_40_trials", figures)
    print("SQLite, two processes, same new name:", figures)
    assert figures == {"trials": TRIALS, "exactly_one_saved": TRIALS, "both_reported_saved": 0, "entries_lost": 0}
    refusals = [o for rows in got.values() for _, o in rows if o != "ok"]
    assert len(refusals) == TRIALS and all("only they can overwrite" in o for o in refusals), refusals[:3]
    assert problems == [] and len(t) == TRIALS


def _deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


def test_a_deeply_nested_library_file_does_not_take_the_library_down(tmp_path):
    """Before: one file nested 100,000 deep raised RecursionError in the listing and the zip export."""
    with pytest.raises(RecursionError):
        json.loads(_deep())  # what the file does to a plain parse
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "deep.json").write_text(_deep(), encoding="utf-8")
    (d / "deep_doc.json").write_text('{"name": "x", "scenario": ' + _deep(50_000) + "}", encoding="utf-8")
    library.save(tmp_path, "Good plan", Scenario(area="QKK"), "ann@nhs.net")
    t, problems = library.entries(tmp_path)
    assert t["name"].tolist() == ["Good plan"]
    assert any("deep.json" in p and "nested" in p for p in problems), problems
    assert any("deep_doc.json" in p and "nested" in p for p in problems), problems
    with zipfile.ZipFile(io.BytesIO(library.export_zip(tmp_path))) as z:
        docs = [json.loads(z.read(n)) for n in z.namelist() if n.endswith(".json")]
    assert [d["name"] for d in docs] == ["Good plan"]


@pytest.mark.parametrize("theirs,mine", [
    ("Café", "Cafe\u0301"),              # the same word, decomposed (NFD)
    ("Café", "CAFÉ"),
    ("Plan A", "plan a"),
    ("Plan A", "Ｐｌａｎ Ａ"),             # full-width letters (NFKC)
])
def test_look_alike_names_do_not_sit_beside_another_users(theirs, mine, tmp_path):
    """Before: "Café" in another Unicode form and "plan a" were saved beside another user's entry."""
    library.save(tmp_path, theirs, Scenario(area="QKK", horizon=5), "ann@nhs.net")
    with pytest.raises(library.LibraryError, match="saved by ann@nhs.net"):
        library.save(tmp_path, mine, Scenario(area="QKK", horizon=2), "bob@nhs.net")
    t, _ = library.entries(tmp_path)
    assert t["name"].tolist() == [theirs] and library.load(tmp_path, theirs).horizon == 5


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u202e", "\u00ad", "\u3164",
                                       "\u034f", "\ufe0f", "\x07"])
def test_invisible_characters_in_a_name_are_refused(invisible, tmp_path):
    """Before: "Plan A" with a zero-width space sat beside another user's "Plan A"."""
    library.save(tmp_path, "Plan A", Scenario(area="QKK"), "ann@nhs.net")
    with pytest.raises(library.LibraryError, match=f"invisible character \\(U\\+{ord(invisible):04X}"):
        library.save(tmp_path, f"Plan{invisible} A", Scenario(area="QKK"), "bob@nhs.net")
    assert library.entries(tmp_path)[0]["name"].tolist() == ["Plan A"]
