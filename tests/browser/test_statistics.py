"""Signal or noise in Chromium: the SPC chart and the funnel plot draw one mark per month / per system, and the
funnel names its outliers. Expected counts come from lib.stats.signals on the same demo data.

The charts are rendered by Vega as SVG (usermeta embedOptions in ui.stats_charts), so each point is a child
of the `g.mark-symbol` group named after its layer (spc_points / funnel_points)."""
from __future__ import annotations

import pytest

from lib.data import loader
from lib.stats import signals
from lib.insight.metrics import area_metrics
from lib.data.schema import ALL_STAFF
from tests.conftest import after_rerun, assert_no_exception, wait_for_app

TIMEOUT = 120_000


@pytest.fixture(scope="module")
def demo_ics():
    frame = loader.load_frame(loader.DEMO_DATA_DIR, "ICS")
    return area_metrics(frame, by_staff_group=True, include_england=True, include_regions=True)


def open_statistics(page, base_url: str) -> None:
    # Open at the root and use the menu: a deep link straight to /statistics is not served by st.navigation
    # in this layout (see the report), so the test goes the way a person clicks.
    page.goto(base_url + "/")
    wait_for_app(page, TIMEOUT)
    after_rerun(page, lambda: page.locator("[data-testid='stSidebarNav'] a", has_text="Signal or noise").first.click(),
                TIMEOUT)
    page.wait_for_selector("[data-testid='stVegaLiteChart'] g.spc_points_marks", timeout=TIMEOUT)


def choose(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    after_rerun(page, lambda: page.locator("[role='option']").filter(has_text=option).first.click(), TIMEOUT)


def marks(page, name: str) -> int:
    """Points drawn by the layer `name` (waits for the chart to redraw with at least one)."""
    sel = f"[data-testid='stVegaLiteChart'] g.{name}_marks"
    page.wait_for_selector(sel, timeout=TIMEOUT)
    return page.locator(sel).first.evaluate("g => g.querySelectorAll('path').length")


def chart_texts(page, index: int) -> list[str]:
    chart = page.locator("[data-testid='stVegaLiteChart']").nth(index)
    return chart.locator("g.role-mark text").evaluate_all("ts => ts.map(t => t.textContent)")


def test_spc_and_funnel_draw_the_right_points(app_server, page, artifacts, demo_ics):
    open_statistics(page, app_server.url)
    assert_no_exception(page)
    # England leaver rate: one point per loaded month up to the sidebar's (latest) period
    eng = signals.spc_view(demo_ics, "ENG", ALL_STAFF, "leaver_rate")
    assert marks(page, "spc_points") == int(eng.chart["y"].notna().sum()) == 40
    assert marks(page, "funnel_points") == 42
    page.screenshot(path=str(artifacts / "statistics_england.png"), full_page=True)

    choose(page, "Measure", "Vacancy rate")
    choose(page, "System", "South East London")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stVegaLiteChart] text')]"
        ".some(t => t.textContent.startsWith('Vacancy rate: South East London'))", timeout=TIMEOUT)
    assert_no_exception(page)
    assert "measure=vacancy_rate" in page.url and "area=QKK" in page.url
    qkk = signals.spc_view(demo_ics, "QKK", ALL_STAFF, "vacancy_rate")
    assert marks(page, "spc_points") == len(qkk.chart)
    fv = signals.funnel_view(demo_ics, "ICS", ALL_STAFF, "vacancy_rate", "2025-11")
    assert marks(page, "funnel_points") == len(fv.units) == 42
    # outliers are labelled on the plot by name, and listed in words below it
    expected = set(fv.outliers["area_name"])
    assert expected, "the demo data should have vacancy-rate outliers to name"
    labels = set(chart_texts(page, 1))
    assert expected <= labels
    body = page.inner_text("body")
    for name in expected:
        assert f"{name} (" in body
    assert f"Outliers (outside the 99.8% limits): {len(expected)}" in body
    assert "chance alone would" in body and "What changed in Nov 2025" in body

    page.locator("[data-testid='stVegaLiteChart']").nth(0).screenshot(path=str(artifacts / "statistics_spc.png"))
    page.locator("[data-testid='stVegaLiteChart']").nth(1).screenshot(path=str(artifacts / "statistics_funnel.png"))
    page.screenshot(path=str(artifacts / "statistics_qkk_vacancy.png"), full_page=True)
    # the main area scrolls inside the app, so take the lower sections in view one by one
    page.get_by_text("Outliers (outside the 99.8% limits)").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "statistics_outliers.png"))
    page.get_by_text("What changed in Nov 2025").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "statistics_what_changed.png"))
