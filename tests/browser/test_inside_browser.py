"""Browser tests of Inside a system and Sickness absence on the real files: deep link to an organisation, the
care-setting selectbox, the bridge waterfall on the profile, the sickness map and funnel; screenshots."""
from __future__ import annotations

import pytest

from tests.conftest import WORKFORCE, after_rerun, assert_no_exception, open_checked, serve_store, wait_for_app, \
    wait_for_app_idle, wait_for_quiet

SICKNESS = WORKFORCE / "nhs_sickness_absence_2025-03.csv"


@pytest.fixture(scope="module")
def real_server(real_store_sickness, artifacts):
    yield from serve_store(real_store_sickness)


open_page = open_checked


def test_organisation_deep_link_peers_bridge_and_care_setting(real_server, page, artifacts):
    open_page(page, real_server.url)  # root first: the app registers its pages
    open_page(page, f"{real_server.url}/organisations?area=QKK&org=RJ1")
    body = page.inner_text("body")
    assert "South East London (QKK): 7 organisations" in body
    assert "Guy's and St Thomas' NHS Foundation Trust" in body
    assert "Against its peers: Acute - Teaching" in body
    assert "Staff in post at the end: 58,861.3" in body
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "inside_system_QKK_RJ1.png"), full_page=True)
    page.get_by_text("Against its peers: Acute - Teaching").scroll_into_view_if_needed()
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "inside_system_RJ1_peers.png"), full_page=False)
    # choose a care setting in the page: only mental-health trusts remain
    care = page.locator("[data-testid='stSelectbox']").filter(has_text="Care setting").get_by_role("combobox")
    care.scroll_into_view_if_needed()  # back up from the peers section first: a click during the scroll only focuses
    wait_for_quiet(page)               # the scroll has ended: nothing moves any more
    care.click()
    after_rerun(page, lambda: page.get_by_role("option", name="Mental Health", exact=True).click())
    # wait for the state checked below (the run rewrites the link and the count), not a fixed time
    page.wait_for_function("() => location.search.includes('setting=Mental+Health') && "
                           "document.body.innerText.includes('South East London (QKK): 2 organisations')", timeout=60000)
    assert_no_exception(page)
    body = page.inner_text("body")
    assert "South East London (QKK): 2 organisations" in body and "setting=Mental+Health" in page.url
    page.screenshot(path=str(artifacts / "inside_system_QKK_mental_health.png"), full_page=False)


def test_profile_bridge_waterfall_and_link(real_server, page, artifacts):
    open_page(page, real_server.url)
    open_page(page, f"{real_server.url}/profile?area=QKK")
    heading = page.get_by_text("Why staff in post moved", exact=True)
    heading.scroll_into_view_if_needed()
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "profile_bridge_QKK.png"), full_page=False)
    link = page.get_by_text("Organisations inside South East London")
    assert link.count() >= 1
    link.first.click()
    page.wait_for_function("() => location.pathname.endsWith('/organisations') && "
                           "document.body.innerText.includes('South East London (QKK): 7 organisations')", timeout=60000)
    wait_for_app(page)
    assert "organisations" in page.url and "area=QKK" in page.url
    assert "South East London (QKK): 7 organisations" in page.inner_text("body")


def test_sickness_page_map_and_funnel(real_server, page, artifacts):
    open_page(page, real_server.url)
    open_page(page, f"{real_server.url}/sickness?area=QKK")
    body = page.inner_text("body")
    assert "4.88%" in body and "Funnel plot: systems of different size" in body
    # the map is the hex cartogram in Vega-Lite (issue 24: the WebGL map was the page's cost), beside the funnel
    assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 0
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 2
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "sickness_QKK.png"), full_page=True)
    page.get_by_text("Funnel plot: systems of different size").scroll_into_view_if_needed()
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "sickness_QKK_funnel.png"), full_page=False)


# The heights of the two columns' contents in the block holding the sickness ranking (its 'Download chart' popover is keyed).
_COLUMN_HEIGHTS = """() => {
    const rank = document.querySelector('.st-key-sickness_rank_downloads_open');
    const block = rank && rank.closest("[data-testid='stHorizontalBlock']");
    if (!block) return null;
    return [...block.querySelectorAll(":scope > [data-testid='stColumn']")].map(col => {
        const top = col.getBoundingClientRect().top;
        // the column's own elements (a closed expander's hidden details are not one of them)
        const bottoms = [...col.querySelectorAll(":scope > [data-testid='stVerticalBlock'] > *")]
            .map(e => e.getBoundingClientRect()).filter(r => r.height > 0).map(r => r.bottom);
        return Math.max(...bottoms) - top;
    });
}"""


@pytest.mark.parametrize("width,height", [(1366, 768), (1400, 1000)])
def test_sickness_map_and_ranking_columns_end_together(real_server, page, artifacts, width, height):
    """At 1400 px the map's column ended about 400 px above the ranking's (its words were under the 42 bars): the
    key figures now sit under the map, so neither column leaves a large empty space beside the other."""
    page.set_viewport_size({"width": width, "height": height})
    open_page(page, real_server.url)
    open_page(page, f"{real_server.url}/sickness?area=QKK")
    page.locator(".st-key-sickness_rank_downloads_open").scroll_into_view_if_needed()
    wait_for_app_idle(page)
    page.wait_for_function(f"() => {{ const h = ({_COLUMN_HEIGHTS})(); return h && h.length == 2 && h[1] > 800; }}",
                           timeout=60000)   # the 42 bars drawn
    left, right = page.evaluate(_COLUMN_HEIGHTS)
    assert abs(right - left) < 0.15 * right, (left, right)
    page.screenshot(path=str(artifacts / f"sickness_columns_{width}.png"), full_page=False)
