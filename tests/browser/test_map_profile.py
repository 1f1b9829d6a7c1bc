"""Browser tests of the Map and System profile pages: measure/group switches, a click on a hex, the deep link to
the profile, values checked against `python -m lib metrics`, screenshots at ICS and STP level."""
from __future__ import annotations

import json
import math

import pytest

from lib.data import hexmap
from tests.conftest import assert_no_exception, wait_for_app, run_cli

DECK = "[data-testid='stDeckGlJsonChart']"


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    assert_no_exception(page)


@pytest.fixture
def app(app_server, page):
    # The first request of a fresh server can route a page URL before app.py registers st.navigation: open the
    # root first so every later URL goes through the app's navigation.
    open_page(page, app_server.url)
    return app_server.url


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(200)  # let the rerun start before waiting for it to finish
    wait_for_app(page)


def hex_pixel(page, level: str, code: str) -> tuple[float, float]:
    """Screen pixel of a hex centre: Web-Mercator projection of its lon/lat around the deck's view state."""
    lay = hexmap.hex_layout(level).set_index("code")
    view = hexmap.view_state(level)
    zoom = view["zoom"] - 0.3  # as ui.map_view.build_deck
    scale = 512 * 2 ** zoom
    merc = lambda lat: math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))  # noqa: E731
    dx = (lay.at[code, "lon"] - view["longitude"]) / 360 * scale
    dy = (merc(lay.at[code, "lat"]) - merc(view["latitude"])) / (2 * math.pi) * scale
    box = page.locator(DECK).bounding_box()
    return box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 - dy


def click_hex(page, level: str, code: str, tooltip: str) -> None:
    """Hover until deck.gl's tooltip names the system (the deck is drawn and picking works), then click."""
    x, y = hex_pixel(page, level, code)
    for attempt in range(20):
        page.mouse.move(x - 3 + attempt % 3, y)
        page.wait_for_timeout(250)
        tip = page.locator(".deck-tooltip")
        if tip.count() and tooltip in tip.first.inner_text():
            break
    else:
        raise AssertionError(f"no tooltip for {tooltip} at ({x:.0f}, {y:.0f})")
    page.mouse.click(x, y)
    page.wait_for_timeout(200)
    wait_for_app(page)


def cli_metrics(level: str, period: str) -> list[dict]:
    out = run_cli("metrics", "--data-dir", "data/demo", "--level", level, "--period", period, "--by-staff-group",
                  "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def metric_values(page) -> dict[str, str]:
    out = {}
    for m in page.locator("[data-testid='stMetric']").all():
        label = m.locator("[data-testid='stMetricLabel']").inner_text().strip()
        out[label] = m.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


def test_map_click_hex_opens_profile_with_cli_values(app, page, artifacts):
    open_page(page, app + "/map?level=ICS&period=2025-11")
    page.locator(f"{DECK} canvas").first.wait_for()
    assert "Vacancy rate, all staff groups: ICBs of July 2022" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "map_ics.png"), full_page=True)

    choose(page, "Measure", "Leaver rate")
    choose(page, "Staff group", "Midwives")
    page.get_by_text("Leaver rate, midwives: ICBs of July 2022, month ending Nov 2025").wait_for(timeout=20000)
    assert "measure=leaver_rate" in page.url and "group=Midwives" in page.url

    click_hex(page, "ICS", "QKK", "South East London (QKK)")
    link = page.get_by_role("link", name="Open the profile of South East London")
    link.wait_for(timeout=20000)
    wait_for_app(page)
    assert_no_exception(page)
    page.screenshot(path=str(artifacts / "map_ics_selected.png"), full_page=True)

    link.click()
    page.wait_for_url("**/profile?**area=QKK**", timeout=20000)
    wait_for_app(page)
    assert_no_exception(page)
    body = page.inner_text("body")
    assert "South East London (QKK)" in body
    row = next(r for r in cli_metrics("ICS", "2025-11")
               if r["area_code"] == "QKK" and r["staff_group"] == "Midwives")
    shown = metric_values(page)
    assert shown["Staff in post (FTE)"] == f"{row['fte']:,.0f}"
    assert shown["Headcount"] == f"{row['headcount']:,.0f}"
    assert shown["Leaver rate (month)"] == f"{100 * row['leaver_rate']:.2f}%"
    assert shown["Joiner rate (month)"] == f"{100 * row['joiner_rate']:.2f}%"
    assert shown["Vacancy rate"] == f"{100 * row['vacancy_rate']:.2f}%"
    page.screenshot(path=str(artifacts / "profile_ics.png"), full_page=True)


def test_stp_map_and_profile(app, page, artifacts):
    open_page(page, app + "/map?level=STP")
    page.locator(f"{DECK} canvas").first.wait_for()
    assert "STPs of April 2021, month ending Jun 2022" in page.inner_text("body")
    page.screenshot(path=str(artifacts / "map_stp.png"), full_page=True)

    open_page(page, app + "/profile?level=STP&area=QOP&period=2022-06")
    body = page.inner_text("body")
    assert "(QOP)" in body and "Where it ranks" in body
    row = next(r for r in cli_metrics("STP", "2022-06")
               if r["area_code"] == "QOP" and r["staff_group"] == "All staff groups")
    assert metric_values(page)["Staff in post (FTE)"] == f"{row['fte']:,.0f}"
    # printable: everything essential is on the page itself (no tabs or expanders), so a tall screenshot has it
    page.set_viewport_size({"width": 1200, "height": 3400})
    wait_for_app(page)
    for heading in ("Headline figures", "Where it ranks", "Trends", "Role mix compared with England"):
        assert page.get_by_text(heading, exact=False).first.is_visible()
    assert page.locator("[data-testid='stExpander'], [data-testid='stTabs']").count() == 0
    page.screenshot(path=str(artifacts / "profile_stp_print.png"), full_page=True)
