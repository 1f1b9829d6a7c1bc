"""One browser pass over a store of the real published files (Oct-25 + Nov-25 Turnover benchmarking 2): Headlines,
Map, Turnover and Profile as a person sees them, with screenshots in tests/artifacts/real_*.png (looked at by eye).

Checks what the page says, not only that it draws: real data named, no verdict from two months, map opened on a
measure with data. The charts draw to canvas, so their axes are checked in the spec (tests/test_real_data_first.py)
and by eye in the screenshots.
"""
from __future__ import annotations

import re

import pytest

from lib.data import loader
from tests.conftest import Server, assert_no_exception, wait_for_app_idle

STATEMENT = re.compile(r"NHS Digital Turnover benchmarking 2, Oct-Nov 2025; ingested \d+ \w{3} \d{4}")


@pytest.fixture(scope="module")
def real_server(real_store, artifacts):
    srv = Server(loader.REPO_ROOT / "app.py", env={loader.ENV_DATA_DIR: str(real_store)})
    yield srv
    srv.stop()


def _open(page, url: str) -> str:
    page.goto(url)
    wait_for_app_idle(page, timeout_ms=60000)  # charts draw after the script finishes
    assert_no_exception(page)
    return page.inner_text("body")


def test_real_data_pages_read_right(real_server, page, artifacts):
    page.set_viewport_size({"width": 1400, "height": 2600})  # Streamlit scrolls inside the app: a tall window shows it all
    base = real_server.url
    _open(page, base)  # first request: let app.py register the navigation

    body = _open(page, f"{base}/")  # Headlines is the default page (its URL is the root)
    assert STATEMENT.search(body), "real data is named on the Headlines page"
    assert "not enough months to judge" in body and "No system shows unusual variation" not in body
    page.screenshot(path=str(artifacts / "real_headlines.png"), full_page=True)

    body = _open(page, f"{base}/map")
    assert "Leaver rate, all staff groups" in body  # opened on a measure with data, not a grey vacancy map
    assert STATEMENT.search(body)
    page.screenshot(path=str(artifacts / "real_map.png"), full_page=True)

    body = _open(page, f"{base}/turnover?area=QKK")
    assert "10 more needed" in body
    page.screenshot(path=str(artifacts / "real_turnover.png"), full_page=True)

    body = _open(page, f"{base}/profile?area=QKK")
    # two months: a run chart with no verdict (issue 21), not an empty SPC chart
    assert "Too few points for a verdict" in body and "(run chart)" in body and STATEMENT.search(body)
    page.screenshot(path=str(artifacts / "real_profile.png"), full_page=True)
    assert "source=dir" in page.url  # the deep link carries the data source


def test_profile_legend_shows_whole_system_names_at_1366x768(real_server, page, artifacts):
    """Issue 24: the trend legend cut "Buckinghamshire, Oxfor..." (Vega's 160 px label limit); at 1366x768 the
    whole name is drawn (SVG text read from the chart) and on screen. Screenshot real_profile_legend_1366x768.png."""
    page.set_viewport_size({"width": 1366, "height": 768})
    _open(page, real_server.url)
    _open(page, f"{real_server.url}/profile?area=QU9")
    name = "Buckinghamshire, Oxfordshire and Berkshire West"
    label = page.locator("[data-testid='stVegaLiteChart'] svg text", has_text="Buckinghamshire").first
    label.wait_for(timeout=60000)
    assert label.text_content().strip() == name                       # not "Buckinghamshire, Oxfor..."
    label.scroll_into_view_if_needed()
    wait_for_app_idle(page)  # the scroll has ended and the chart is still before the box is measured
    box = label.bounding_box()
    assert box and box["x"] + box["width"] <= 1366 and box["width"] > 200, box
    page.screenshot(path=str(artifacts / "real_profile_legend_1366x768.png"))
