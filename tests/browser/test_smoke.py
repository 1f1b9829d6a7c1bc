"""Real-browser smoke test: the app opens in Chromium, finishes running and shows no exception."""
import ast

from tests.conftest import REPO, after_rerun, assert_no_exception, wait_for_url_param


def test_app_opens_without_exception(app_server, page, artifacts):
    app_server.visit(page)
    body = page.inner_text("body")
    assert "NHS workforce headlines" in body
    assert "Synthetic demo data" in body
    assert "Staff in post (FTE)" in body
    # every page is listed in the sidebar menu: none folded behind "View N more"
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    titles = [elt.elts[1].value for node in ast.walk(ast.parse((REPO / "app.py").read_text()))
              if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets)
              for elt in node.value.elts]
    assert len(titles) >= 13
    missing = [t for t in titles if t not in nav]
    assert not missing and "more" not in nav.lower(), (missing, nav)
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)


def test_deep_link_with_bad_values_is_friendly(app_server, page, artifacts):
    app_server.visit(page, "/?level=XYZ&period=../../etc/passwd")
    body = page.inner_text("body")
    assert "not one we recognise" in body
    assert "/etc/passwd" not in page.url or "NHS workforce headlines" in body


def test_sidebar_period_change_updates_figures_and_url(app_server, page):
    app_server.visit(page, "/")
    fte = page.locator("[data-testid='stMetricValue']").first.inner_text()
    period = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Period")
    period.click()
    page.keyboard.type("Nov 2024")  # the option list is virtualised: filter, then pick
    after_rerun(page, lambda: page.get_by_role("option", name="Nov 2024").click())
    assert_no_exception(page)
    # Streamlit can rewrite the URL later than it draws the new figures (it failed once under load with the URL
    # still at 2025-11): wait for each state itself, the URL and the figure, then check them
    wait_for_url_param(page, "period", "2024-11")
    page.wait_for_function("""(old) => { const e = document.querySelector("[data-testid='stMetricValue']");
                                          return e !== null && e.innerText !== old; }""", arg=fte, timeout=60000)
    assert "period=2024-11" in page.url
    assert page.locator("[data-testid='stMetricValue']").first.inner_text() != fte
