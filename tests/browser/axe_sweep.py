"""axe-core 4.14 (npm, tests/browser/a11y) on every page of the app and the states people use, on the demo store
and on a store of the real published files, WCAG 2.0-2.2 A/AA rules, 1440 px wide with the whole page on screen;
Tab stops from the top of each page to its first chooser, straight and through the skip link.

The sweep is cut into PARTS, one test file each (tests/browser/test_axe_<part>.py), so the suite's workers share it
(--dist loadfile runs a file on one worker: as one file the sweep was 250 s on one worker, the suite's longest
path). Every run still happens once: tests/test_accessibility_statement.py checks that the parts cover DEMO + REAL
exactly. The demo parts use the session's app_server; each real part starts its own server on the real store (real
Oct-25 + Nov-25 turnover, the May-26 file in 2026 codes from tests/may26.py, the real March 2025 sickness file).

Each part writes its results to tests/artifacts/a11y_results_<part>.json; the accessibility statement quotes
lib/accessibility/results.json, whose runs and Tab walks must equal them: regenerate it with
`A11Y_RECORD=1 pytest tests/browser/test_axe_*.py` after a change that moves a figure (each part writes its own
runs into the file, under a lock).
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
from tests.conftest import ARTIFACTS, REPO, Server, after_rerun, assert_no_exception, wait_for_app, wait_for_app_idle

# What each part's test file takes with `from tests.browser.axe_sweep import *` (the demo pages' parts also import
# test_skip_link_brings_each_pages_choosers_within_a_few_tab_stops: the Tab walks are theirs).
__all__ = ["measured", "part", "real_server", "test_every_needs_review_result_says_what_a_person_checked",
           "test_no_axe_violation_on_any_page_or_state", "test_statement_quotes_this_run"]

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

# The parts, one test file each (tests/browser/test_axe_<part>.py), cut so each takes about a sixth of the sweep: the
# demo pages in two (with their Tab walks), the demo states, the real pages in two, the real states. Measured on 2
# busy cores (load 20): 137, 137, 83, 90 s, then 218 s for the real pages' second half with the states together
# (hence apart).
# A page added to the menu lands in a part by its position; tests/test_accessibility_statement.py checks that the
# parts hold every run exactly once.
_DEMO_PAGES = [r for r in DEMO if r.action is None and "?" not in r.path]
_REAL_PAGES = REAL[:len(TITLES)]
PARTS: dict[str, list[Run]] = {
    "demo_pages_a": _DEMO_PAGES[:7],
    "demo_pages_b": _DEMO_PAGES[7:],
    "demo_states": [r for r in DEMO if r not in _DEMO_PAGES],
    "real_pages_a": _REAL_PAGES[:7],
    "real_pages_b": _REAL_PAGES[7:],
    "real_states": REAL[len(TITLES):],
}
ALL = [*DEMO, *REAL]


def key(run: dict | Run) -> tuple[str, str, str]:
    """A run's identity in the results file: store, link and state."""
    if isinstance(run, Run):
        return run.store, run.path, run.state
    return run["store"], run["path"], run["state"]


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
def part(request) -> str:
    """The part this test file sweeps (its module's PART)."""
    name = request.module.PART
    assert name in PARTS, f"{request.module.__name__}: PART {name!r} is not one of {list(PARTS)}"
    return name


@pytest.fixture(scope="module")
def measured(part, request, browser_context, artifacts):
    """Every run of the part once: axe results, then the Tab walks; written to tests/artifacts/a11y_results_<part>.json
    (and into lib/accessibility/results.json with A11Y_RECORD=1)."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} missing: run `npm ci --prefix tests/browser/a11y` (scripts/test.sh does)")
    runs_wanted = PARTS[part]
    # a server only for the stores this part reads (a real part starts the real-store server, a demo part does not)
    servers = {store: request.getfixturevalue("app_server" if store == "demo" else "real_server")
               for store in {r.store for r in runs_wanted}}
    start = time.monotonic()
    page = browser_context.new_page()
    runs, failures, tabs, seconds = [], {}, [], {}
    try:
        for run in runs_wanted:
            t0 = time.monotonic()
            _open(page, servers[run.store], run)
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
            seconds[" ".join(key(run))] = round(time.monotonic() - t0, 1)
        axe_version = page.evaluate("() => axe.version")
    finally:
        page.close()
    results = {"measured_on": dt.date.today().isoformat(), "axe_version": axe_version, "tags": TAGS,
               "window": f"{WIDTH} px wide, as tall as the page", "runs": runs, "tab_stops": tabs}
    (artifacts / f"a11y_results_{part}.json").write_text(
        json.dumps({**results, "seconds_per_run": seconds}, indent=1) + "\n", encoding="utf-8")
    if RECORD:
        _record(results)
    print(f"\naxe-core, {part}: {len(runs)} runs and {len(tabs)} Tab walks in {time.monotonic() - start:.0f} s")
    return {"results": results, "failures": failures, "runs_wanted": runs_wanted}


def _record(fresh: dict) -> None:
    """Write this part's runs and Tab walks into lib/accessibility/results.json, keeping the other parts' (parts run
    on several workers at once: the file is read, merged and replaced under a lock, atomically)."""
    import fcntl
    path = statement.RESULTS
    with open(ARTIFACTS / "a11y_record.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            old = statement.load(path)
        except ValueError:
            old = {"runs": [], "tab_stops": []}
        mine = {key(r) for r in fresh["runs"]}
        runs = {key(r): r for r in old["runs"] if key(r) in {key(a) for a in ALL} and key(r) not in mine}
        runs |= {key(r): r for r in fresh["runs"]}
        tabs = {t["page"]: t for t in old["tab_stops"]} | {t["page"]: t for t in fresh["tab_stops"]}
        merged = {**{k: fresh[k] for k in ("measured_on", "axe_version", "tags", "window")},
                  "runs": [runs[key(a)] for a in ALL if key(a) in runs],
                  "tab_stops": [tabs[t] for t in TITLES.values() if t in tabs]}
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)


def test_no_axe_violation_on_any_page_or_state(measured):
    assert not measured["failures"], json.dumps(measured["failures"], indent=1)
    runs = measured["results"]["runs"]
    assert [key(r) for r in runs] == [key(r) for r in measured["runs_wanted"]]  # every run of the part, in order


def test_every_needs_review_result_says_what_a_person_checked(measured):
    rules = {rule for r in measured["results"]["runs"] for rule in r["incomplete"]}
    missing = rules - set(statement.REVIEWED)
    assert not missing, f"axe 'needs review' rules with no review in lib/accessibility/statement.py: {missing}"


def test_skip_link_brings_each_pages_choosers_within_a_few_tab_stops(measured):
    """Each demo page opened from its link is walked (how many of them have choosers of their own, at least 8, is
    checked on the committed file, which equals these walks: tests/test_accessibility_statement.py)."""
    rows = measured["results"]["tab_stops"]
    walked = [r.page_title for r in measured["runs_wanted"]
              if r.store == "demo" and r.action is None and "?" not in r.path]
    assert [r["page"] for r in rows] == walked
    for r in rows:
        assert r["first_stop"].startswith("A Skip to main content"), r  # the skip link is the first stop
        if r["tab_stops"] is None:
            continue
        assert r["focus_ring"]["drawn"] and not r["focus_ring"]["clipped"], r  # the ring shows in full
        assert r["tab_stops_via_skip_link"] <= 5, r              # the skip link, then a few stops
        assert r["tab_stops"] > r["tab_stops_via_skip_link"], r  # straight Tab crosses the menu and sidebar


def test_statement_quotes_this_run(measured):
    """The committed results (quoted by the accessibility page) hold this part's runs and Tab walks as measured."""
    fresh = measured["results"]
    committed = statement.load()
    hint = ("lib/accessibility/results.json differs from this run (tests/artifacts/a11y_results_<part>.json): rerun "
            "with A11Y_RECORD=1 and review the statement")
    for k in ("axe_version", "tags", "window"):
        assert committed[k] == fresh[k], (k, hint)
    mine = {key(r) for r in fresh["runs"]}
    assert [r for r in committed["runs"] if key(r) in mine] == fresh["runs"], hint
    walked = {t["page"] for t in fresh["tab_stops"]}
    assert [t for t in committed["tab_stops"] if t["page"] in walked] == fresh["tab_stops"], hint
