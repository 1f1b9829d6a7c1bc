"""Real-browser: the what-if studio's "Why it differs" panel draws the lever waterfall (screenshot to look at)."""
from __future__ import annotations

from lib.whatif.scenario import Scenario, to_query
from tests.conftest import assert_no_exception, wait_for_app, wait_for_app_idle

NURSES = "Nurses & health visitors"
DOC = {"area": "ENG", "horizon": 5,
       "levers": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
                  "training_places": [{"staff_group": NURSES, "extra_places_per_year": 500}]}}


def test_why_it_differs_tab_draws_the_waterfall(app_server, page, artifacts):
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.goto(app_server.url)
    wait_for_app(page)
    page.goto(app_server.url + "/what_if?scn=" + to_query(Scenario.from_dict(DOC)))
    wait_for_app(page)
    # the panels are one control (a radio group), and only the chosen panel is drawn (issue 16)
    page.get_by_role("radiogroup", name="More on this scenario").get_by_role("radio", name="Why it differs").click()
    page.get_by_text("differs from the baseline", exact=False).first.wait_for(timeout=60000)
    wait_for_app(page)
    assert_no_exception(page)
    panel = page.locator(".st-key-wi_panel_body").filter(has_text="differs from the baseline")
    assert panel.locator("[data-testid='stVegaLiteChart']").count() == 1
    text = panel.inner_text()
    assert "Leaver rate 1 point lower" in text and "The largest contribution, +" in text
    panel.scroll_into_view_if_needed()
    wait_for_app_idle(page)  # the waterfall drawn and the scroll ended before the picture
    panel.screenshot(path=str(artifacts / "whatif_bridge_tab.png"))
