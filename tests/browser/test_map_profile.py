"""Browser tests of the Map and System profile pages: measure/group switches, a click on a hex, the deep link to
the profile, values checked against `python -m lib metrics`, screenshots at ICS and STP level, and the map on the
real published files at 1440x900."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from lib.data import hexmap
from tests.conftest import after_rerun, assert_no_exception, open_checked, run_cli, serve_store, wait_for_app, \
    wait_for_app_idle
from ui import map_view

MAP = ".st-key-map_hex [data-testid='stVegaLiteChart']"  # the hex cartogram (Vega-Lite, no WebGL)
VIEW = f"{MAP} svg.marks, {MAP} canvas.marks"             # Vega's drawing surface, whichever renderer
PAD = 5                                                  # Vega-Lite's default padding around the view (px)


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    assert_no_exception(page)


@pytest.fixture
def app(app_server, page):
    # The first request of a fresh server can route a page URL before app.py registers st.navigation: open the
    # root first so every later URL goes through the app's navigation (Server.visit does, once per server, and waits
    # for that first run however long the cold caches take on a busy machine).
    app_server.visit(page)
    return app_server.url


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label).first.click()
    after_rerun(page, lambda: page.get_by_role("option", name=option, exact=True).click())


def hex_pixel(page, level: str, code: str) -> tuple[float, float]:
    """Screen pixel of a hex centre: its cell centre in hexagon units times map_view.HEX_PX from the view's corner."""
    c = hexmap.cell_centres(level).set_index("code")
    x0, _, _, y1 = hexmap.extent(level)
    box = page.locator(VIEW).first.bounding_box()
    return (box["x"] + PAD + (c.at[code, "x"] - x0) * map_view.HEX_PX,
            box["y"] + PAD + (y1 - c.at[code, "y"]) * map_view.HEX_PX)


def hover_hex(page, level: str, code: str, tooltip: str) -> tuple[float, float]:
    """Hover a hex until Vega's tooltip names the system (the chart is drawn and its rows arrived): each move waits
    up to 3 s for the tooltip itself, then nudges the pointer (Vega shows a tooltip on a pointer move over a mark)."""
    wait_for_app_idle(page)
    x, y = hex_pixel(page, level, code)
    for attempt in range(10):
        page.mouse.move(x - 2 + attempt % 3, y)
        try:
            page.wait_for_function("""(name) => { const t = document.getElementById('vg-tooltip-element');
                if (!t || !t.getClientRects().length) return false; const st = getComputedStyle(t);
                return st.visibility !== 'hidden' && st.opacity !== '0' && t.innerText.includes(name); }""", arg=tooltip,
                                   timeout=3000)
            return x, y
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no tooltip for {tooltip} at ({x:.0f}, {y:.0f})")


def click_hex(page, level: str, code: str, tooltip: str) -> None:
    x, y = hover_hex(page, level, code, tooltip)
    after_rerun(page, lambda: page.mouse.click(x, y))


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
    page.locator(VIEW).first.wait_for()
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
    page.locator(VIEW).first.wait_for()
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


@pytest.fixture(scope="module")
def real_map_server(real_store, artifacts):
    yield from serve_store(real_store)


def test_map_on_real_files_at_1440(real_map_server, page, artifacts):
    """The real Oct/Nov-25 files at 1440x900: hexes drawn without WebGL, tooltip with the full name and figures,
    colour key drawn, the system list beside the map, the key figures written out; a measure change keeps the
    map's drawing surface (rows swapped in, not rebuilt)."""
    page.set_viewport_size({"width": 1440, "height": 900})
    open_checked(page, real_map_server.url)
    open_checked(page, real_map_server.url + "/map")
    page.locator(VIEW).first.wait_for()
    assert page.locator("[data-testid='stDeckGlJsonChart']").count() == 0
    body = page.inner_text("body")
    assert "Leaver rate, all staff groups: ICBs of July 2022, month ending Nov 2025" in body
    assert "42 of 42 systems have figures" in body and "England " in body
    hover_hex(page, "ICS", "QOX", "Bath and North East Somerset, Swindon and Wiltshire (QOX)")
    tip = page.locator("#vg-tooltip-element").inner_text()
    assert "Leaver rate: " in tip and "%" in tip and "Leavers FTE: " in tip
    # a screen reader hears each hexagon's own words (name, region, figure), not Vega's axis values
    words = page.locator(f"{MAP} [aria-label^='South East London (QKK), London: Leaver rate: ']")
    assert words.count() == 1, "each hexagon carries its system's words"
    key = page.locator("[data-testid='stVegaLiteChart']").filter(has_text="Colour key").first.bounding_box()
    assert key["height"] >= 80, f"the colour key is drawn, not squashed: {key}"
    pick = page.get_by_label("Choose a system (keyboard or list)").bounding_box()
    hexes = page.locator(MAP).bounding_box()
    assert pick["y"] > hexes["y"] and pick["x"] < hexes["x"] + hexes["width"]  # under the map, same column
    page.screenshot(path=str(artifacts / "map_real_1440x900.png"))
    page.evaluate("() => { document.querySelector(\"" + VIEW.split(",")[0] + "\").__kept = 1; }")
    choose(page, "Measure", "Joiner rate")
    page.get_by_text("Joiner rate, all staff groups: ICBs of July 2022").wait_for(timeout=20000)
    assert page.evaluate("() => document.querySelector(\"" + VIEW.split(",")[0] + "\").__kept") == 1, \
        "the map was rebuilt on a measure change instead of taking the new rows"
    assert_no_exception(page)
