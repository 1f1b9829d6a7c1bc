"""Real browser, open session: a new extract appears on the next rerun; a corrupt one is refused with a
clear warning while the figures already shown keep being served (no traceback)."""
from __future__ import annotations

import pytest

from lib.cli import main as cli_main
from lib.data.ingest import partition_path
from tests.conftest import REPO, TURNOVER_NOV25, TURNOVER_OCT25, Server, after_rerun, assert_no_exception, wait_for_app
from tests.test_faults import small_extract


@pytest.fixture
def data_server(tmp_path, artifacts):
    d = tmp_path / "data"
    assert cli_main(["ingest", str(small_extract(TURNOVER_OCT25, tmp_path / "oct.csv")), "--data-dir", str(d)]) == 0
    srv = Server(REPO / "app.py", env={"WORKFORCE_DATA_DIR": str(d)})
    yield srv, d
    srv.stop()


def rerun(page) -> None:
    """Rerun the open session as a user would (the "R" shortcut), then wait for that run to start and finish."""
    page.locator("[data-testid='stApp']").click(position={"x": 700, "y": 5})
    after_rerun(page, lambda: page.keyboard.press("r"))


def test_new_and_corrupt_extracts_in_an_open_session(data_server, page, artifacts, tmp_path):
    srv, d = data_server
    page.goto(srv.url)
    wait_for_app(page)
    assert_no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert "Oct 2025 to Oct 2025 (1 monthly periods)" in sidebar.inner_text()
    staff = page.locator("[data-testid='stMetricValue']").first.inner_text()

    assert cli_main(["ingest", str(small_extract(TURNOVER_NOV25, tmp_path / "nov.csv")), "--data-dir", str(d)]) == 0
    rerun(page)
    assert_no_exception(page)
    assert "Oct 2025 to Nov 2025 (2 monthly periods)" in sidebar.inner_text()
    page.screenshot(path=str(artifacts / "faults_new_extract.png"), full_page=True)

    target = partition_path(d, "ICS", "2025-12", "turnover")
    target.parent.mkdir(parents=True)
    good = partition_path(d, "ICS", "2025-11", "turnover").read_bytes()
    target.write_bytes(good[: len(good) // 2])  # truncated, as an interrupted copy leaves it
    rerun(page)
    assert_no_exception(page)
    body = page.inner_text("body")
    assert "was refused and is not used" in body and "period=2025-12" in body
    assert "Oct 2025 to Nov 2025 (2 monthly periods)" in sidebar.inner_text()  # Dec is not offered
    assert page.locator("[data-testid='stMetricValue']").first.inner_text() == staff  # still served
    page.screenshot(path=str(artifacts / "faults_corrupt_extract.png"), full_page=True)
