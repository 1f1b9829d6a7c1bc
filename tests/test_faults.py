"""Faults while sessions are open: a new extract is picked up on the next rerun; a corrupt one is refused
while the last good data keeps being served, with a clear warning and no traceback (AppTest)."""
from __future__ import annotations

import csv
import io

import pytest
from streamlit.testing.v1 import AppTest

from lib.data import loader
from lib.cli import main as cli_main
from lib.data.ingest import partition_path
from tests.conftest import REPO, TURNOVER_NOV25, TURNOVER_OCT25, require_reference


def small_extract(src, dest, n=60):
    """The first n rows of a real published file (read from ../shared/reference, written to a temp dir)."""
    require_reference()
    with open(src, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[: n + 1]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    dest.write_text(buf.getvalue(), encoding="utf-8")
    return dest


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "data"
    assert cli_main(["ingest", str(small_extract(TURNOVER_OCT25, tmp_path / "oct.csv")), "--data-dir", str(d)]) == 0
    monkeypatch.setenv(loader.ENV_DATA_DIR, str(d))
    return d


def app() -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def period_options(at: AppTest) -> list[str]:
    """Periods offered in the sidebar. AppTest (1.67) drops app.py's sidebar elements on a rerun of the same
    session under st.navigation, so a fresh session is opened to read them (same process, same caches)."""
    try:
        return list(at.selectbox(key="url_period").options)
    except KeyError:
        return list(app().selectbox(key="url_period").options)


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_new_extract_is_picked_up_on_next_rerun(data_dir, tmp_path):
    at = app()
    assert period_options(at) == ["Oct 2025"]
    snap = loader.snapshot_id(data_dir)
    assert cli_main(["ingest", str(small_extract(TURNOVER_NOV25, tmp_path / "nov.csv")), "--data-dir",
                     str(data_dir)]) == 0
    assert loader.snapshot_id(data_dir) != snap  # new snapshot id -> cache miss
    at.run()
    assert not at.exception
    assert period_options(at) == ["Nov 2025", "Oct 2025"]
    fresh = app()
    fresh.selectbox(key="url_period").select("2025-11").run()
    assert not fresh.exception
    assert any("Nov 2025" in s.value for s in fresh.subheader)


def test_corrupt_extract_is_refused_and_last_good_data_served(data_dir):
    at = app()
    before = [m.value for m in at.metric]
    assert before
    target = partition_path(data_dir, "ICS", "2025-11", "turnover")
    target.parent.mkdir(parents=True)
    good = partition_path(data_dir, "ICS", "2025-10", "turnover").read_bytes()
    target.write_bytes(good[: len(good) // 3])  # a truncated copy, as an interrupted copy leaves it
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert period_options(at) == ["Oct 2025"]
    assert [m.value for m in at.metric] == before  # same figures still served
    msgs = warnings(at) or warnings(app())  # app.py's elements: see period_options
    msgs = [m.replace("\\", "").replace("\u2060", "") for m in msgs]  # as shown: Markdown escapes (ui.text.md) off
    assert any("refused" in m and "2025-11" in m and "re-ingest" in m for m in msgs), msgs
    assert not any("Traceback" in m for m in msgs)


def test_existing_extract_corrupted_in_place_keeps_other_periods(data_dir, tmp_path):
    assert cli_main(["ingest", str(small_extract(TURNOVER_NOV25, tmp_path / "nov.csv")), "--data-dir",
                     str(data_dir)]) == 0
    at = app()
    assert period_options(at) == ["Nov 2025", "Oct 2025"]
    partition_path(data_dir, "ICS", "2025-11", "turnover").write_bytes(b"not parquet at all")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert period_options(at) == ["Oct 2025"]
    assert any("refused" in m for m in warnings(at) or warnings(app()))


def test_failed_load_serves_last_good_figures_with_warning(data_dir, monkeypatch):
    at = app()
    before = [m.value for m in at.metric]

    def broken(*args, **kwargs):
        raise loader.DataDirError("disk went away")

    # Any later failure (here: the loader itself) must not blank the dashboard.
    monkeypatch.setattr(loader, "load_area_frame", broken)
    (data_dir / "manifest.json").touch()  # new snapshot -> the cached figures are not reused
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [m.value for m in at.metric] == before
    assert any("could not be read just now" in m and "disk went away" in m for m in warnings(at))
