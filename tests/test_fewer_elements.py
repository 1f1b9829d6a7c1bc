"""Fewer elements per change (issue 16): every element a page sends is re-sent and redrawn by the browser on each
change (2.5-4.5 ms of React work each), so downloads and definitions sit behind popovers built only when opened,
controls and headline figures share one horizontal row, and fixed notes share the chart's caption. Nothing is lost:
opening the popovers gives every download back, with formula-like cells still neutralised."""
from __future__ import annotations

import collections

import pandas as pd
import pytest

from lib.insight import exports

from tests.conftest import open_app_page, open_downloads, open_on_request

# AppTest tree nodes of the page body (title included) before this change: Map 36, Turnover 52, Vacancies 33,
# Role mix 68 (demo data). The limits leave a little room, not the old counts.
PAGES = {"views/map.py": ({"measure": "leaver_rate"}, 24),
         "views/turnover.py": ({"area": "QKK"}, 36),
         "views/vacancy.py": ({"area": "QKK"}, 23),
         "views/role_mix.py": ({"area": "QKK"}, 42)}


def count(node, c: collections.Counter) -> collections.Counter:
    for ch in getattr(node, "children", {}).values():
        c[type(ch).__name__] += 1
        count(ch, c)
    return c


@pytest.mark.parametrize("page", list(PAGES))
def test_page_sends_no_download_button_until_asked_and_every_one_after(page, monkeypatch):
    from streamlit.delta_generator import DeltaGenerator
    captured: list = []
    original = DeltaGenerator.download_button

    def recording(self, label, data, *args, **kwargs):
        captured.append((label, kwargs.get("file_name"), data() if callable(data) else data))
        return original(self, label, b"", *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    params, limit = PAGES[page]
    at = open_app_page(page, params)
    n = sum(count(at.main, collections.Counter()).values())
    assert n <= limit, (n, count(at.main, collections.Counter()))
    assert not at.get("download_button")  # nothing built or sent for a closed popover
    captured.clear()  # (the first run of app.py drew the Headlines page and its downloads)
    assert not [m for m in at.markdown if "Definitions" in m.value or "**Leaver rate**" in m.value]

    open_on_request(at)
    open_downloads(at)
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Download chart (PNG)") == labels.count("Download chart (SVG)") >= 1
    assert labels.count("Download CSV") == labels.count("Download Excel") >= 1
    for label, name, body in captured:
        if str(name).endswith(".csv"):
            df = exports.read_csv_export(body)[1]
            text = df.astype(str)
            # neutralised: no cell a spreadsheet would run as a formula
            assert not text.apply(lambda c: c.str.match(r"^[=+@]")).any().any(), name


def test_system_table_downloads_come_with_the_table():
    """Turnover and Vacancies: the system table's CSV / Excel buttons are there once the table is opened."""
    for page in ("views/turnover.py", "views/vacancy.py"):
        at = open_app_page(page, {"area": "QKK"})
        open_on_request(at)
        labels = [b.label for b in at.get("download_button")]
        assert labels.count("Download CSV") == 1 and labels.count("Download Excel") == 1, (page, labels)


def test_definitions_are_built_when_their_popover_opens():
    at = open_app_page("views/turnover.py", {"area": "QKK"})
    assert not [m for m in at.markdown if m.value.startswith("**Leaver rate**")]
    at.session_state["turnover_definitions"] = True
    at.run()
    assert [m for m in at.markdown if m.value.startswith("**Leaver rate**")]


def test_fixed_note_shares_the_chart_caption():
    """The flows chart's caption gives its key figures, then the fixed note on its own line."""
    at = open_app_page("views/turnover.py", {"area": "QKK"})
    caps = [c.value for c in at.caption if "Net change = joiners - leavers" in c.value]
    assert len(caps) == 1
    first, note = caps[0].split("  \n")
    assert first and note.startswith("Net change = joiners - leavers")


def test_headlines_table_of_every_system_comes_on_request_and_stays():
    """Issue 25: the data grid of every system was most of a first visit's browser time on Headlines. Closed, the
    page keeps England's figures and the leaver-rate range (no grid, no downloads); opened, the table and its CSV /
    Excel buttons are there, and they stay while the selection changes."""
    from ui import on_request
    def systems(at):   # the table of every system (the collapsed list of SPC signals is another grid)
        return [d.value for d in at.dataframe if "Leaver rate" in d.value.columns and "Region" in d.value.columns]

    def table_buttons(at):   # the table's own CSV / Excel (the signals list below has its own)
        return [b.label for b in at.get("download_button") if str(b.key).startswith("home_table")]

    at = open_app_page("views/home.py", {})
    assert not systems(at) and not table_buttons(at)
    assert not at.dataframe   # no data grid at all (its code is fetched for the first grid): the signals list is closed
    at.session_state[on_request.signals_key("what_changed")] = True   # opened as a click does
    at.run()
    assert [d for d in at.dataframe if "Reading" in d.value.columns] and not systems(at)
    assert [b for b in at.get("download_button") if str(b.key).startswith("what_changed_dl")]
    assert [t for t in at.toggle if t.label == on_request.TABLE_LABEL]
    assert any(m.label == "Leaver rate (month)" for m in at.metric)
    assert any(c.value.startswith("Leaver rate this month ranges from") for c in at.caption)
    at.toggle(key=on_request.HEADLINES_TABLE).set_value(True).run()
    assert not at.exception
    assert len(systems(at)) == 1 and len(systems(at)[0]) == 42
    assert sorted(table_buttons(at)) == ["Download CSV", "Download Excel"], table_buttons(at)
    at.selectbox(key="url_period").select("2025-10").run()
    assert not at.exception and at.selectbox(key="url_period").value == "2025-10"
    assert not at.exception and at.session_state[on_request.HEADLINES_TABLE] and len(systems(at)) == 1
