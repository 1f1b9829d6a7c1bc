"""Issue 24: a CSV download keeps its notes (title, period, source, caveats) in a block of their own above the
table, never spread down a column of unrelated rows; the table below reads back exactly with pandas, and
formula-like cells stay neutralised."""
from __future__ import annotations

import csv
import io

import pandas as pd

from lib.insight import exports


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"System": ["=HYPERLINK(\"x\")", "Leeds, West", "+cmd", "@SUM(A1)", "-2+3"],
                         "Leaver rate": [0.0088123, 0.0095, 0.01, 0.02, 0.03],
                         "FTE": [1.04, 2.0, 3.0, -4.0, 5.55]})


def test_notes_are_a_block_of_their_own_and_the_table_reads_back_exactly():
    notes = exports.standard_notes("Turnover by system", period="Nov 2025 (ICS)", synthetic=True,
                                   extra=["Provisional, 1 month: figures may be revised", "A, \"quoted\" note"])
    raw = exports.to_csv_bytes(_frame(), notes=notes)
    text = raw.decode("utf-8-sig")
    lines = text.split("\n")
    # the block: one line a note (a single spreadsheet cell each), then exactly one blank line, then the header
    assert [next(csv.reader([ln]))[0] for ln in lines[:len(notes)]] == ["# " + n for n in notes]
    assert all(len(next(csv.reader([ln]))) == 1 for ln in lines[:len(notes)])
    assert lines[len(notes)] == ""
    assert lines[len(notes) + 1] == "System,Leaver rate (fraction),FTE"
    # pandas reads the data block with nothing but skiprows: no notes column, no notes among the rows
    table = pd.read_csv(io.StringIO(text), skiprows=len(notes) + 1)
    expected = exports.formula_safe(exports.as_shown(_frame()))
    pd.testing.assert_frame_equal(table, expected)
    assert "notes" not in table.columns and not table.isna().any().any()
    assert table["System"].tolist() == ["'=HYPERLINK(\"x\")", "Leeds, West", "'+cmd", "'@SUM(A1)", "'-2+3"]
    assert table["FTE"].tolist() == [1.0, 2.0, 3.0, -4.0, 5.6]  # numbers stay numbers (-4.0 is not text)
    # and the helper gives both back
    got_notes, got = exports.read_csv_export(raw)
    assert got_notes == notes
    pd.testing.assert_frame_equal(got, expected)


def test_a_note_that_looks_like_a_formula_cannot_run_and_line_breaks_stay_in_the_block():
    raw = exports.to_csv_bytes(pd.DataFrame({"a": [1]}), notes=["=cmd|' /C calc'!A0", "two\n\nlines"])
    text = raw.decode("utf-8-sig")
    cells = [row[0] for row in csv.reader(io.StringIO(text.split("\n\n")[0]))]
    assert cells == ["# =cmd|' /C calc'!A0", "# two lines"]  # every note cell starts with '#', never = + - @
    notes, table = exports.read_csv_export(raw)
    assert notes == ["=cmd|' /C calc'!A0", "two lines"]
    pd.testing.assert_frame_equal(table, pd.DataFrame({"a": [1]}))


def test_without_notes_the_file_is_the_table_alone():
    text = exports.to_csv_bytes(pd.DataFrame({"a": [1], "b": ["x"]})).decode("utf-8-sig")
    assert text == "a,b\n1,x\n"
    assert exports.read_csv_export(text)[0] == []


def test_an_empty_table_keeps_its_notes_and_header():
    raw = exports.to_csv_bytes(pd.DataFrame({"a": pd.Series([], dtype=float)}), notes=["Nothing to show"])
    notes, table = exports.read_csv_export(raw)
    assert notes == ["Nothing to show"] and list(table.columns) == ["a"] and table.empty


def test_the_page_download_carries_notes_above_the_table(monkeypatch):
    """What a person downloads from a page (ui.shell.downloads through the on-request popover): notes block
    first, then the table; no 'notes' column."""
    from tests.conftest import open_app_page, open_downloads, open_on_request, record_downloads
    captured = record_downloads(monkeypatch)
    at = open_app_page("views/turnover.py", {"area": "QKK"})
    open_on_request(at)   # the every-system table and its downloads are built only once asked for
    open_downloads(at)
    bodies = [b for n, b in captured if str(n).endswith(".csv")]
    assert bodies
    for body in bodies:
        notes, table = exports.read_csv_export(body)
        assert any(n.startswith("Source: NHS Digital") for n in notes) and "synthetic" in " ".join(notes).lower()
        assert "notes" not in table.columns and len(table) > 0


# ---------------------------------------------------------------------------------------------- board pack failure
def test_a_board_pack_that_fails_says_so_on_the_page_without_a_traceback(monkeypatch):
    """The pack builder raises (as a broken renderer or a full disk would): the System profile shows what went wrong
    and what to do, no exception element, no traceback, and offers no file; the page's figures stay."""
    from ui import board_pack

    from tests.conftest import open_app_page

    def broken(*args, **kwargs):
        raise OSError("[Errno 28] No space left on device: '/srv/secret/store/tmp.pdf'")

    monkeypatch.setattr(board_pack, "build", broken)
    at = open_app_page("views/profile.py", {"area": "QKK"})
    metrics_before = [m.value for m in at.metric]
    at.button(key="profile_board_pack").click().run()
    assert not at.exception
    msgs = [e.value for e in at.error]
    assert len(msgs) == 1, msgs
    msg = msgs[0]
    assert msg.startswith("**The board pack could not be built.**")
    assert "What to do: try again" in msg and "tell the dashboard's administrator" in msg
    assert "Traceback" not in msg and "OSError" not in msg and "/srv/secret" not in msg and "Errno" not in msg
    assert not [b for b in at.get("download_button") if b.proto.label == board_pack.SAVE_LABEL]
    assert [m.value for m in at.metric] == metrics_before


def test_a_board_pack_refused_by_its_own_checks_gives_the_reason_in_words(monkeypatch):
    from lib.report import pack as rp
    from ui import board_pack

    from tests.conftest import open_app_page

    def refused(*args, **kwargs):
        raise rp.PackError("--area 'QXX' is not a system of the Integrated Care Boards of 2022; expected one of ...")

    monkeypatch.setattr(board_pack, "build", refused)
    at = open_app_page("views/profile.py", {"area": "QKK"})
    at.button(key="profile_board_pack").click().run()
    assert not at.exception
    (msg,) = [e.value for e in at.error]
    assert "Reason: area 'QXX' is not a system of the Integrated Care Boards of 2022" in msg.replace("\\", "")
    assert "--area" not in msg


def test_a_board_pack_that_builds_is_offered_for_saving():
    from ui import board_pack

    from tests.conftest import open_app_page
    at = open_app_page("views/profile.py", {"area": "QKK"})
    assert not [b for b in at.get("download_button") if b.proto.label == board_pack.SAVE_LABEL]  # nothing built yet
    at.button(key="profile_board_pack").click().run()
    assert not at.exception and not at.error
    assert [b.proto.label for b in at.get("download_button") if b.proto.label == board_pack.SAVE_LABEL] == \
        [board_pack.SAVE_LABEL]
    assert at.session_state["profile_board_pack_built"][1][:5] == b"%PDF-"
