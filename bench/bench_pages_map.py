"""Time from a selection change to the page settling, in Chromium: Map and System profile vs a minimal page.

Run: .venv/bin/python bench/bench_pages_map.py [--repeats 5]
Settled = the app's script state returns to notRunning after the change, plus two animation frames (the browser
has painted). Prints per-run and median times and the ratio to the minimal page (target: within 1.5x).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ARTIFACTS, Server, wait_for_app  # noqa: E402

OBSERVE = """() => {
  window.__settled = [];
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'notRunning') window.__settled.push(performance.now());
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
SETTLE = """async (t0) => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}"""


def timed(page, action) -> float:
    page.evaluate(OBSERVE)
    t0 = page.evaluate("performance.now()")
    action()
    page.wait_for_function("t0 => window.__settled.some(t => t > t0)", arg=t0, timeout=60000)
    ms = page.evaluate(SETTLE, t0)
    wait_for_app(page)
    return ms


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).first.click()
    page.keyboard.type(option)  # the option list is virtualised: type to filter, then pick the match
    page.keyboard.press("Enter")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    app, minimal = Server(REPO / "app.py"), Server(REPO / "bench" / "minimal_app.py")
    results: dict[str, list[float]] = {}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = b.new_page(viewport={"width": 1400, "height": 1000})

            page.goto(minimal.url); wait_for_app(page)
            thumb = page.get_by_role("slider")
            results["minimal (slider)"] = [
                timed(page, lambda: (thumb.focus(), page.keyboard.press("ArrowRight"))) for _ in range(args.repeats)]

            page.goto(app.url); wait_for_app(page)  # root first: registers the app's navigation
            page.goto(app.url + "/map"); wait_for_app(page)
            measures = ["Leaver rate", "Joiner rate", "Vacancy rate"]
            results["map (measure)"] = [timed(page, lambda i=i: choose(page, "Measure", measures[i % 3]))
                                        for i in range(args.repeats)]
            page.goto(app.url + "/profile?area=QKK"); wait_for_app(page)
            systems = ["North Central London (QMJ)", "South West London (QWE)", "South East London (QKK)"]
            results["profile (system)"] = [timed(page, lambda i=i: choose(page, "System", systems[i % 3]))
                                           for i in range(args.repeats)]
            b.close()
    finally:
        app.stop()
        minimal.stop()
    base = statistics.median(results["minimal (slider)"])
    print(f"{'page (change)':<20} {'median ms':>10} {'ratio':>7}   runs (ms)")
    for name, runs in results.items():
        med = statistics.median(runs)
        print(f"{name:<20} {med:>10.0f} {med / base:>7.2f}   " + ", ".join(f"{r:.0f}" for r in runs))
    print("target: map and profile within 1.5x of the minimal page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
