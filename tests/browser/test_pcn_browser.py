"""Browser: the primary care networks' new roles page and the what-if lever evidence at 1366x768 on the real PCN
files, population and turnover files; screenshots in tests/artifacts/ (looked at)."""
from __future__ import annotations

import pytest

from lib.data import ingest
from tests.conftest import ARTIFACTS, REFERENCE, TURNOVER_NOV25, TURNOVER_OCT25, after_rerun, assert_no_exception, \
    serve_store, wait_for_app_idle

PCN_FILES = sorted((REFERENCE / "workforce" / "pcn").glob("*.csv"), key=lambda p: int(p.name.split(".")[0]))
POPULATION = REFERENCE / "population" / "ICB Population estimates 2022.csv"

pytestmark = pytest.mark.xdist_group("servers")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("pcn_browser")
    ingest.ingest([TURNOVER_OCT25, TURNOVER_NOV25, *PCN_FILES, POPULATION], d)
    yield from serve_store(d)


@pytest.fixture
def small(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def _open(server, page, path: str) -> None:
    server.visit(page, "")
    server.visit(page, path, timeout_ms=180000)
    assert_no_exception(page)


def test_pcn_page_at_1366(server, small):
    _open(server, small, "/pcn_roles?area=QNQ")
    small.get_by_text("Growth a year by role: Frimley").first.wait_for(timeout=60000)
    small.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60000)
    wait_for_app_idle(small)
    small.screenshot(path=str(ARTIFACTS / "pcn_page_1366_top.png"))
    body = small.inner_text("body")
    assert "9,887.7 FTE" in body and "rank 33 of 42 (1 = most)" in body
    small.get_by_text("Growth a year by role: Frimley").first.scroll_into_view_if_needed()
    wait_for_app_idle(small)
    small.screenshot(path=str(ARTIFACTS / "pcn_page_1366_growth.png"))
    small.get_by_text("Funnel plot: all roles per 100,000").first.scroll_into_view_if_needed()
    small.mouse.move(800, 400)  # over the main section (the wheel scrolls what is under the pointer)
    small.evaluate("() => { window.__scrolled = false;"
                   " document.addEventListener('scroll', () => { window.__scrolled = true; }, {capture: true, once: true}); }")
    small.mouse.wheel(0, -420)
    # the wheel scrolls after it returns: wait for the scroll to happen, then for nothing to move
    small.wait_for_function("() => window.__scrolled", timeout=30000)
    wait_for_app_idle(small)
    small.screenshot(path=str(ARTIFACTS / "pcn_page_1366_trend.png"))
    small.get_by_text("PCNs in Frimley, Dec 2021").first.scroll_into_view_if_needed()
    wait_for_app_idle(small)
    small.screenshot(path=str(ARTIFACTS / "pcn_page_1366_pcns.png"))


def test_what_if_lever_evidence_at_1366(server, small):
    _open(server, small, "/what_if?area=QNQ")
    text = small.get_by_text("Physician associates in Frimley's PCNs").first
    text.wait_for(timeout=90000)
    text.scroll_into_view_if_needed()
    wait_for_app_idle(small)
    small.screenshot(path=str(ARTIFACTS / "pcn_whatif_evidence_1366.png"))
    assert "+2.5 FTE a year (Dec 2020 to Dec 2021)" in small.inner_text("body")
    button = small.get_by_role("button", name="Grow at the pace of the fastest quarter of systems (5.2 FTE a year)")
    after_rerun(small, button.click)
    assert_no_exception(small)


def test_profile_panel_at_1366(server, small):
    _open(server, small, "/profile?area=QNQ")
    head = small.get_by_text("Trust staff and primary care networks' new roles").first
    head.wait_for(timeout=90000)
    head.scroll_into_view_if_needed()
    wait_for_app_idle(small)
    small.screenshot(path=str(ARTIFACTS / "pcn_profile_1366.png"))
    body = small.inner_text("body")
    assert "PCN staff, FTE (Dec 2021)" in body and "Trust staff, FTE (Nov 2025)" in body
