"""Leader pages at 1440x900 (issue 15): the Turnover system table scrolls no columns out of sight, the tile
labels are whole, and the map's ranking keeps long system names. Screenshots: tests/artifacts/leaders_*.png."""
from __future__ import annotations

import pytest

from lib.data.loader import DEMO_DATA_DIR
from tests.conftest import REPO, Server, assert_no_exception, wait_for_app


@pytest.fixture(scope="module")
def srv():
    s = Server(REPO / "app.py", env={"WORKFORCE_DATA_DIR": str(DEMO_DATA_DIR)})
    yield s
    s.stop()


def _open(page, srv, path: str) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(srv.url)  # first visit (deep links 404 before the first page load)
    wait_for_app(page)
    page.goto(srv.url + path)
    wait_for_app(page)
    assert_no_exception(page)
    closed = page.locator("[data-testid='stExpander'] details:not([open]) summary",
                          has_text="Every system: table and downloads")
    if closed.count():  # the system table is drawn on request (issue 16): open it as a reader does
        closed.first.click()
        page.wait_for_timeout(300)
        wait_for_app(page)


def test_turnover_table_and_tiles_fit_1440(srv, page, artifacts):
    _open(page, srv, "/turnover?area=QKK")
    # every headline tile label is whole (no ellipsis: the text fits its box)
    labels = page.locator("[data-testid='stMetricLabel']")
    assert labels.count() >= 5
    for i in range(labels.count()):
        cut = labels.nth(i).evaluate("el => [...el.querySelectorAll('p, div, span')].some("
                                     "e => e.scrollWidth > e.clientWidth + 1)")
        assert not cut, f"tile label cut: {labels.nth(i).inner_text()!r}"
    assert "12-month leaver rate" in page.inner_text("body")
    # the chart descriptions are on the page
    assert "Leaver rate (monthly) for South East London" in page.inner_text("body")
    grid = page.locator("[data-testid='stDataFrame']").last
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / "leaders_turnover_1440x900.png"))
    # the grid is a canvas (no cell text in the DOM): number formats are asserted in
    # tests/test_page_descriptions_tables.py; this screenshot is read by eye (names whole, pinned on the left)
    assert grid.is_visible()


def test_turnover_table_has_no_sideways_scroll_at_1440(srv, page):
    _open(page, srv, "/turnover?area=QKK")
    grid = page.locator("[data-testid='stDataFrame']").last
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    over = grid.evaluate("el => { const s = el.querySelector('.dvn-scroller'); return s ? s.scrollWidth - s.clientWidth : 0; }")
    assert over <= 1, f"turnover system table scrolls sideways by {over} px (right-hand columns clipped)"


def test_map_ranking_keeps_long_names(srv, page, artifacts):
    _open(page, srv, "/map?measure=leaver_rate")
    rank = page.locator("[data-testid='stVegaLiteChart']").last
    rank.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=str(artifacts / "leaders_map_1440x900.png"), full_page=True)
    svg_text = rank.evaluate("el => [...el.querySelectorAll('text')].map(t => t.textContent).join('|')")
    if svg_text:  # SVG renderer: the label text itself is checked; canvas: the screenshot is read by eye
        assert "Bath and North East Somerset, Swindon and Wiltshire" in svg_text
        assert "…" not in svg_text
