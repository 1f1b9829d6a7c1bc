"""axe-core 4.14 (npm, tests/browser/a11y) on every page of the app and the states people use, on the demo store
and on a store of the real published files, WCAG 2.0-2.2 A/AA rules, 1440 px wide with the whole page on screen;
Tab stops from the top of each page to its first chooser, straight and through the skip link.

One demo server (the session's app_server) and one real-store server (real Oct-25 + Nov-25 turnover, the May-26
file in 2026 codes from tests/may26.py, the real March 2025 sickness file) serve every run. The results go to
tests/artifacts/a11y_results.json; the accessibility statement quotes lib/accessibility/results.json, which must
equal them: regenerate it with `A11Y_RECORD=1 pytest tests/browser/test_axe.py` after a change that moves a figure.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from typing import Callable

import pytest

from lib.accessibility import statement
from tests.browser.axe_run import AXE_JS, TAGS, chart_text_count, run_axe, tab_walk
from tests.conftest import REPO, Server, after_rerun, assert_no_exception, wait_for_app, wait_for_app_idle

WIDTH = 1440
RECORD = os.environ.get("A11Y_RECORD") == "1"


def _menu() -> dict[str, str]:
    """url path -> page title, read from app.py's PAGES list (so a page added to the menu is measured too)."""
    import ast
    tree = ast.parse((REPO / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            rows = ast.literal_eval(node.value)
            return {("" if url == "home" else url): title for _f, title, _i, url in rows}
    raise AssertionError("app.py has no PAGES list: tests/browser/test_axe.py reads the menu from it")


TITLES = _menu()


def _click_and_settle(page, role: str, name: str, then: str | None = None, rerun: bool = False) -> None:
    """Click, wait for the run the click starts (`rerun`: an on-request popover reruns its fragment) and for the
    button `then` it shows, then for the page to settle."""
    click = page.get_by_role(role, name=name, exact=True).first.click
    if rerun:
        after_rerun(page, click)
    else:
        click()
    if then:
        page.get_by_role("button", name=then).first.wait_for(timeout=30000)
    wait_for_app_idle(page)


def _compare_view(page) -> None:
    after_rerun(page, lambda: page.get_by_text("Compare scenarios", exact=True).first.click())
    page.get_by_role("button", name="Add current scenario").click()
    page.wait_for_function("() => document.body.innerText.includes('1. Scenario 1')", timeout=30000)
    wait_for_app(page)


def _levers_popover(page) -> None:
    _click_and_settle(page, "button", "Levers on screen (up to 4)")
    page.get_by_role("button", name="Demand growth (% a year)").first.wait_for(timeout=30000)


def _download_popover(page) -> None:
    _click_and_settle(page, "button", "Download chart", then="Download chart (PNG)", rerun=True)


def _definitions_popover(page) -> None:
    page.get_by_role("button", name="Definitions and source").first.click()
    page.get_by_text("Leaver rate", exact=False).first.wait_for(timeout=30000)
    wait_for_app(page)


@dataclass(frozen=True)
class Run:
    store: str
    path: str
    state: str = "opened from its link"
    action: Callable | None = None
    shot: str | None = None   # a screenshot of the whole page to tests/artifacts/a11y_<shot>.png (read by eye)

    @property
    def page_title(self) -> str:
        return TITLES[self.path.lstrip("/").split("?")[0]]


DEMO = [Run("demo", "/" + p) for p in TITLES] + [
    Run("demo", "/what_if?area=QKK&workshop=1", "workshop mode", shot="workshop"),
    Run("demo", "/what_if?area=QKK&workshop=1", "workshop mode, levers chooser open", _levers_popover),
    Run("demo", "/what_if?area=QKK&workshop=1", "workshop mode, compare view with a scenario", _compare_view),
    Run("demo", "/turnover?area=QKK", "Download chart popover open", _download_popover, shot="turnover_download"),
    Run("demo", "/turnover?area=QKK", "Definitions popover open", _definitions_popover),
]
OCT_NOV_25 = "footprint=2022&period=2025-11"
REAL = [Run("real", "/" + p, "2026 ICB boundaries (May 2026)") for p in TITLES] + [
    Run("real", f"/map?{OCT_NOV_25}&measure=leaver_rate", "Nov 2025, 2022 ICB boundaries", shot="real_map"),
    Run("real", f"/profile?{OCT_NOV_25}&area=QKK", "Nov 2025, 2022 ICB boundaries"),
    Run("real", f"/organisations?{OCT_NOV_25}&area=QKK&org=RJ1", "an organisation chosen (Nov 2025)"),
    Run("real", "/sickness?footprint=2022&area=QKK", "a system chosen (March 2025)", shot="real_sickness"),
]


def _open(page, srv: Server, run: Run) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 900})
    srv.visit(page, run.path)
    if run.action:
        run.action(page)
    assert_no_exception(page)
    # charts draw after the script run: wait until every chart has drawn its marks (axe reads the SVG)
    page.wait_for_function("""() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
        .every(c => c.querySelector('svg .role-frame, canvas'))""", timeout=60000)


def _nodes(result: dict, kind: str) -> dict[str, int]:
    return {r["id"]: len(r["nodes"]) for r in sorted(result[kind], key=lambda r: r["id"])}


def _examples(result: dict) -> list[str]:
    return [f"{r['id']}: {n['target'][-1]} {n.get('failureSummary', '')[:200]}"
            for r in result["violations"] for n in r["nodes"][:3]]


@pytest.fixture(scope="module")
def real_server(real_store_all, artifacts):
    from lib.data.loader import ENV_DATA_DIR
    srv = Server(REPO / "app.py", env={ENV_DATA_DIR: str(real_store_all)}, log_name="a11y_real")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def measured(app_server, real_server, browser_context, artifacts):
    """Every run once: axe results, then the Tab walks; written to tests/artifacts/a11y_results.json."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} missing: run `npm ci --prefix tests/browser/a11y` (scripts/test.sh does)")
    start = time.monotonic()
    page = browser_context.new_page()
    runs, failures, tabs = [], {}, []
    try:
        for run, srv in [*((r, app_server) for r in DEMO), *((r, real_server) for r in REAL)]:
            _open(page, srv, run)
            result = run_axe(page, WIDTH)
            runs.append({"store": run.store, "page": run.page_title, "state": run.state, "path": run.path,
                         "violations": _nodes(result, "violations"), "incomplete": _nodes(result, "incomplete"),
                         # whether the page draws text in charts (the element count moves with every chart edit, so
                         # it is printed, not committed)
                         "chart_text": chart_text_count(page) > 0})
            print(f"{run.store} {run.path} ({run.state}): {chart_text_count(page)} chart text elements")
            if run.shot:
                page.screenshot(path=str(artifacts / f"a11y_{run.shot}.png"))  # the whole page: the window is as tall
            if result["violations"]:
                failures[f"{run.store} {run.path} ({run.state})"] = _examples(result)
            if run.store == "demo" and run.action is None and "?" not in run.path:
                tabs.append({"page": run.page_title, **tab_walk(page)})  # nothing on the page touched yet
        axe_version = page.evaluate("() => axe.version")
    finally:
        page.close()
    results = {"measured_on": dt.date.today().isoformat(), "axe_version": axe_version, "tags": TAGS,
               "window": f"{WIDTH} px wide, as tall as the page", "runs": runs, "tab_stops": tabs}
    (artifacts / "a11y_results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"\naxe-core: {len(runs)} runs and {len(tabs)} Tab walks in {time.monotonic() - start:.0f} s")
    return {"results": results, "failures": failures}


def test_no_axe_violation_on_any_page_or_state(measured):
    assert not measured["failures"], json.dumps(measured["failures"], indent=1)
    runs = measured["results"]["runs"]
    assert len(runs) == len(DEMO) + len(REAL)
    for store in ("demo", "real"):
        assert {r["page"] for r in runs if r["store"] == store} == set(TITLES.values()), store


def test_every_needs_review_result_says_what_a_person_checked(measured):
    rules = {rule for r in measured["results"]["runs"] for rule in r["incomplete"]}
    missing = rules - set(statement.REVIEWED)
    assert not missing, f"axe 'needs review' rules with no review in lib/accessibility/statement.py: {missing}"


def test_skip_link_brings_each_pages_choosers_within_a_few_tab_stops(measured):
    rows = measured["results"]["tab_stops"]
    with_choosers = [r for r in rows if r["tab_stops"] is not None]
    assert len(with_choosers) >= 8, rows                         # the pages with choosers of their own
    for r in rows:
        assert r["first_stop"].startswith("A Skip to main content"), r  # the skip link is the first stop
    for r in with_choosers:
        assert r["focus_ring"]["drawn"] and not r["focus_ring"]["clipped"], r  # the ring shows in full
        assert r["tab_stops_via_skip_link"] <= 5, r              # the skip link, then a few stops
        assert r["tab_stops"] > r["tab_stops_via_skip_link"], r  # straight Tab crosses the menu and sidebar


def test_statement_quotes_this_run(measured):
    """The committed results (quoted by the accessibility page) equal this run, date aside."""
    fresh = measured["results"]
    if RECORD:
        statement.RESULTS.write_text(json.dumps(fresh, indent=1) + "\n", encoding="utf-8")
    committed = statement.load()
    strip = lambda d: {k: v for k, v in d.items() if k != "measured_on"}  # noqa: E731
    assert strip(committed) == strip(fresh), (
        "lib/accessibility/results.json differs from this run (tests/artifacts/a11y_results.json): rerun with "
        "A11Y_RECORD=1 and review the statement")
