"""First visits to several trees' apps on warm servers, interleaved, against the minimal select page (issue 25).

    .venv/bin/python bench/first_visit_ab.py --rounds 4 --path / main=/tmp/before variant=/tmp/variant

Each tree (a checkout, e.g. `git archive main | tar -x -C /tmp/before`, edited to try a change) is served with
deploy/serve.py behind the shipped nginx config and waited for until GET /ready (its pages warmed), as
bench_first_visit.py serves the app; the minimal page (bench/minimal_select_app.py) beside them. After one untimed
visit each, every round opens each server once in a fresh browser context (empty cache), the order reversed every
other round, and reports settle ms (navigation start to the last DOM mutation once the run has finished, as
bench_first_visit.py) and the ratio to the minimal page's visit in the same round. Use it to measure what one
element of a page costs a first visit (a tree without it against one with it), then confirm with
bench_first_visit.py. The load average is printed: on shared cores only ratios within a run compare.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import bench_first_visit as fv  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--path", default="/", help="the app's path opened (the minimal page is opened at /)")
    ap.add_argument("--quiet-ms", type=int, default=500)
    ap.add_argument("trees", nargs="+", metavar="NAME=DIR")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    trees = [t.split("=", 1) for t in args.trees]
    tmp = Path(tempfile.mkdtemp(prefix="first_visit_ab_"))
    print(f"load average at start {os.getloadavg()[0]:.1f}", flush=True)
    servers: list[tuple[str, fv.Served, str]] = []
    try:
        for name, tree in trees:
            servers.append((name, fv.Served(name, Path(tree), "deploy/serve.py", "/ready", tmp, False), args.path))
        servers.append(("minimal", fv.Served("minimal", REPO, "bench/minimal_select_app.py", "/_stcore/health", tmp,
                                             False), "/"))
        settle: dict[str, list[float]] = {n: [] for n, _, _ in servers}
        kb: dict[str, list[float]] = {n: [] for n, _, _ in servers}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=fv.CHROMIUM, args=fv.CHROMIUM_ARGS, headless=True)
            for _, s, path in servers:
                fv.visit(browser, s.url + path, args.quiet_ms)  # the first visit after start: not counted
            for r in range(args.rounds):
                for name, s, path in (servers if r % 2 == 0 else servers[::-1]):
                    v = fv.visit(browser, s.url + path, args.quiet_ms)
                    if v["errors"]:
                        raise SystemExit(f"{name} showed an exception")
                    settle[name].append(v["settle_ms"])
                    kb[name].append(v["http_bytes"] / 1000)
                print(f"round {r + 1}: " + ", ".join(f"{n} {settle[n][-1]:.0f} ms" for n, _, _ in servers)
                      + f" | load {os.getloadavg()[0]:.1f}", flush=True)
            browser.close()
        for name, _, _ in servers:
            ratios = [a / m for a, m in zip(settle[name], settle["minimal"])]
            print(f"{name:12s} settle median {statistics.median(settle[name]):6.0f} ms, x minimal "
                  f"{statistics.median(ratios):.2f} (rounds {', '.join(f'{x:.2f}' for x in ratios)}), HTTP "
                  f"{statistics.median(kb[name]):.0f} kB")
        print(f"load average at end {os.getloadavg()[0]:.1f}")
    finally:
        for _, s, _ in servers:
            s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
