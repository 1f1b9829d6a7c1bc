"""The Map page's hex cartogram, two forms against the minimal select page, interleaved in one run.

    .venv/bin/python bench/bench_pages_map.py [--repeats 3] [--changes 4] [--quiet-ms 400]

Three servers (same flags as tests/conftest.Server):
* app.py                          - the Map page as shipped: the hex cartogram as a fixed Vega-Lite spec (hexagon
                                    point marks; a change swaps rows into the chart drawn), legend and ranking as
                                    fixed specs, figures cached per snapshot and selection;
* app.py, WORKFORCE_MAP_FORM=deck - the same page drawing the hexes with the former pydeck PolygonLayer + TextLayer
                                    and the former Altair legend and ranking (the page before this change);
* bench/minimal_select_app.py     - one selectbox and one metric: the like-for-like baseline of a select change.
One headless Chromium (SwiftShader, as the browser tests), one tab per server. Every round changes the measure on
the Vega page, then the baseline, then the pydeck page, then the baseline again, so load from other work on the
shared machine hits all alike. Per action (bench/bench_pages.py's Tab.measure): settle ms (action to the last DOM
mutation of the run; quiet window not counted), server CPU, renderer main-thread task time, GPU-process CPU
(software WebGL / canvas raster), all Chromium CPU, websocket KB, elements (delta messages) sent. Ratio = median of each change over the baseline
change measured right after it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_pages import Tab, choose, loadavg  # noqa: E402
from tests.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

MEASURES = ("Leaver rate", "Vacancy rate", "Joiner rate", "FTE growth")


def med(rows: list[dict], k: str) -> float:
    return statistics.median(r[k] for r in rows) if rows else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="browser sessions (each opens every tab afresh)")
    ap.add_argument("--changes", type=int, default=4, help="measure changes per session and form")
    ap.add_argument("--quiet-ms", type=int, default=400)
    ap.add_argument("--chromium-arg", action="append", default=[])
    a = ap.parse_args()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    print(f"load average (1/5/15 min) at start: {loadavg()} on {os.cpu_count()} CPUs", flush=True)
    servers = {"vega": Server(REPO / "app.py", env={"WORKFORCE_MAP_FORM": "vega"}),
               "deck": Server(REPO / "app.py", env={"WORKFORCE_MAP_FORM": "deck"}),
               "select": Server(REPO / "bench" / "minimal_select_app.py")}
    res: dict[str, list[dict]] = {"vega": [], "deck": [], "base": [], "open_vega": [], "open_deck": []}
    ratios: dict[str, list[float]] = {"vega": [], "deck": []}
    n_base = 0
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *a.chromium_arg], headless=True)
            for rep in range(-1, a.repeats):  # rep -1 warms imports and caches and is dropped
                ctx = b.new_context(viewport={"width": 1440, "height": 900})
                tabs = {k: Tab(ctx, s, a.quiet_ms) for k, s in servers.items()}
                tabs["select"].open()
                opened = {}
                for form in ("vega", "deck"):
                    tabs[form].open()  # the root first: registers the app's navigation
                    opened[form] = tabs[form].open("/map?measure=fte_growth")
                    if tabs[form].page.locator("[data-testid='stException']").count():
                        raise RuntimeError(f"the {form} map page shows an exception: see the server log")
                line = []
                for i in range(a.changes):
                    for form in ("vega", "deck"):
                        t = tabs[form]
                        x = t.measure(*choose(t.page, "Measure", MEASURES[i % len(MEASURES)]))
                        if t.page.locator("[data-testid='stException']").count():  # never time an error page
                            raise RuntimeError(f"the {form} map page shows an exception: see the server log")
                        bt = tabs["select"]
                        base = bt.measure(*choose(bt.page, "Staff group", ("Midwives", "Managers")[n_base % 2]))
                        n_base += 1
                        if rep >= 0:
                            res[form].append(x)
                            res["base"].append(base)
                            ratios[form].append(x["ms"] / base["ms"])
                        line.append(f"{form} {x['ms']:.0f} ms (cpu {x['cpu_ms']:.0f}, main {x['main_ms']:.0f}, "
                                    f"gpu {x['gpu_ms']:.0f}, {x['elements']} elements) / base {base['ms']:.0f}")
                if rep >= 0:
                    res["open_vega"].append({"ms": opened["vega"]})
                    res["open_deck"].append({"ms": opened["deck"]})
                print(f"  {'warm-up' if rep < 0 else f'run {rep + 1}'}: " + "; ".join(line), flush=True)
                ctx.close()
            b.close()
    finally:
        for s in servers.values():
            s.stop()
    print(f"\nChromium 1440x900, demo data (ICS), {a.repeats} sessions x {a.changes} measure changes per form, "
          f"medians; settled = run finished + DOM quiet {a.quiet_ms} ms (not counted); ratio = median of the paired "
          "ratios to the minimal select page measured right after each change.")
    print(f"{'form':<26}{'open ms':>8}{'change ms':>10}{'ratio':>7}{'cpu ms':>7}{'main ms':>8}{'script':>7}"
          f"{'gpu ms':>7}{'chrome':>7}{'KB':>6}{'elems':>6}")
    for form, label in (("vega", "Vega-Lite hexes (shipped)"), ("deck", "pydeck hexes (before)")):
        r = res[form]
        print(f"{label:<26}{med(res['open_' + form], 'ms'):>8.0f}{med(r, 'ms'):>10.0f}"
              f"{statistics.median(ratios[form]) if ratios[form] else float('nan'):>7.2f}"
              + "".join(f"{med(r, k):>{w}.{d}f}" for k, w, d in (("cpu_ms", 7, 0), ("main_ms", 8, 0),
                                                                   ("script_ms", 7, 0), ("gpu_ms", 7, 0),
                                                                   ("chrome_ms", 7, 0), ("kb", 6, 1),
                                                                   ("elements", 6, 0))))
    r = res["base"]
    print(f"{'minimal select page':<26}{'-':>8}{med(r, 'ms'):>10.0f}{1.0:>7.2f}"
          + "".join(f"{med(r, k):>{w}.{d}f}" for k, w, d in (("cpu_ms", 7, 0), ("main_ms", 8, 0), ("script_ms", 7, 0),
                                                               ("gpu_ms", 7, 0), ("chrome_ms", 7, 0), ("kb", 6, 1),
                                                               ("elements", 6, 0))))
    print("goal: map measure change <= 2.5x the minimal select page")
    print(f"load average (1/5/15 min) at end: {loadavg()} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
