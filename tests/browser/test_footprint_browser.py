"""Browser: the 2026 footprint on a store holding the real Oct-25 and Nov-25 files and a May-26 file with 2026 codes
(tests/may26.py). Screenshots of the 36-hex map and a re-based trend with the April 2026 break marked; switching
the footprint in the sidebar redraws the map with 42 systems."""
from __future__ import annotations

import pytest

from tests.conftest import after_rerun, assert_no_exception, open_checked, serve_store, wait_for_app_idle

MAP = ".st-key-map_hex [data-testid='stVegaLiteChart']"  # the hex cartogram (Vega-Lite)


@pytest.fixture(scope="module")
def server26(real_store26, artifacts):
    yield from serve_store(real_store26)


open_page = open_checked


def test_map_2026_and_switch_to_42(server26, page, artifacts):
    open_page(page, server26.url)
    open_page(page, f"{server26.url}/map?measure=leaver_rate")
    page.wait_for_selector(MAP, timeout=30000)
    wait_for_app_idle(page)  # Vega draws after the script run
    body = page.inner_text("body")
    assert "ICBs of April 2026, month ending May 2026" in body
    assert "ICBs of April 2026 (36)" in body  # the footprint control in the sidebar
    page.screenshot(path=str(artifacts / "map_ics2026.png"), full_page=True)
    after_rerun(page, lambda: page.get_by_text("ICBs of July 2022 (42)").click())
    # the run rewrites the link and the heading: wait for both, then check them
    page.wait_for_function("() => location.search.includes('footprint=2022') && "
                           "document.body.innerText.includes('ICBs of July 2022, month ending May 2026')", timeout=60000)
    assert_no_exception(page)
    assert "footprint=2022" in page.url
    assert "ICBs of July 2022, month ending May 2026" in page.inner_text("body")
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "map_ics2022_of_may26.png"), full_page=True)


def test_rebased_trend_marks_the_break(server26, page, artifacts):
    open_page(page, server26.url)
    open_page(page, f"{server26.url}/turnover?footprint=2026&area=Z9B2Z")
    page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=30000)
    wait_for_app_idle(page)
    assert "West and North London" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "trend_rebased_wnl.png"), full_page=True)
    charts = page.locator("[data-testid='stVegaLiteChart']")
    flows = charts.nth(charts.count() - 1)
    flows.scroll_into_view_if_needed()
    wait_for_app_idle(page)
    flows.screenshot(path=str(artifacts / "flows_rebased_wnl.png"))


def test_old_link_names_the_successor(server26, page):
    open_page(page, server26.url)
    open_page(page, f"{server26.url}/profile?footprint=2026&area=QMJ")
    body = page.inner_text("body")
    assert "North Central London (QMJ) was abolished on 1 April 2026" in body
    assert "West and North London (Z9B2Z)" in body
