"""Real-browser what-if test: moving a slider with the keyboard changes the shown gap and the URL's scn."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from lib.whatif.scenario import from_query
from tests.conftest import assert_no_exception, wait_for_app


def _scn(url: str):
    return from_query(parse_qs(urlparse(url).query)["scn"][0])


def _gap(page) -> str:
    m = page.locator("[data-testid='stMetric']").filter(has_text="Gap in year")
    return m.locator("[data-testid='stMetricValue']").inner_text()


def test_slider_changes_result_and_url(app_server, page, artifacts):
    page.set_viewport_size({"width": 1400, "height": 2400})
    app_server.visit(page, "/what_if?area=QKK")
    assert "What-if studio" in page.inner_text("body")
    before_gap, before = _gap(page), _scn(page.url)
    before_url_scn = parse_qs(urlparse(page.url).query)["scn"][0]
    assert before.area == "QKK" and not before.levers.new_roles
    page.screenshot(path=str(artifacts / "what_if_before.png"))

    slider = page.locator("[data-testid='stSlider']").filter(has_text="Nursing associates: trainees a year")
    thumb = slider.locator("input[type='range']")
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('scn') !== null"
                           " && location.search.includes('scn=') && !location.search.includes(%r)" % before_url_scn,
                           timeout=30000)
    page.wait_for_function("(g) => { const m = [...document.querySelectorAll(\"[data-testid='stMetric']\")]"
                           ".find(e => e.innerText.includes('Gap in year'));"
                           " return m && !m.innerText.includes(g); }", arg=before_gap, timeout=30000)
    wait_for_app(page)
    assert_no_exception(page)
    after_gap, after = _gap(page), _scn(page.url)
    assert after_gap != before_gap
    assert after.levers.new_roles[0].role == "nursing_associate"
    shown = int(slider.locator("[data-testid='stSliderThumbValue']").inner_text())
    assert after.levers.new_roles[0].trainees_per_year == shown > 0
    # only the results reran: the levers are still on screen, with the moved value
    assert page.locator("[data-testid='stSlider']").filter(has_text="Years ahead").count() == 1
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 4
    page.screenshot(path=str(artifacts / "what_if_after.png"))

    # the link reproduces the scenario in a fresh page
    link = page.url
    page.goto(link)
    wait_for_app(page)
    assert _gap(page) == after_gap
    assert_no_exception(page)
