"""Chromium latency of the Vacancies, Turnover and Role mix pages against a minimal Streamlit page.

For each page: "open" = click its link in the sidebar until the script has finished and no skeletons remain
(deep links to /vacancy etc. are not used: a server's first session registers the pages of st.navigation, so
a deep link before any visit finds no page); "group change" and "period change" = choose a value in the staff group /
sidebar period selectbox until the rerun has finished. The baseline is bench/minimal_trends_app.py (open = page
load; change = its one selectbox), or bench/minimal_app.py if present. Medians of --repeats runs; ratio printed.

    .venv/bin/python bench/bench_pages_trends.py [--repeats 3] [--level ICS]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PWTimeout
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"]
PAGES = [("Vacancies", "Staff group", "Midwives", "Nurses & health visitors"),
         ("Turnover", "Staff group", "Midwives", "Nurses & health visitors"),
         ("Role mix", "Staff group to follow over time", "Midwives", "Nurses & health visitors")]
PERIODS = {"ICS": ("Mar 2024", "Nov 2025"), "STP": ("Mar 2021", "Jun 2022")}


def serve(script: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.headless", "true", "--server.fileWatcherType", "none",
                             "--browser.gatherUsageStats", "false", "--server.address", "127.0.0.1"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{script} did not start")


IDLE = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector("[data-testid='stSkeleton']")
        && !document.querySelector("[data-testid='stStatusWidget']");
}"""


def until_idle(page, started: bool = True) -> None:
    if started:  # let the rerun begin, so an idle state from before the action is not mistaken for the end
        try:
            page.wait_for_function("""() => document.querySelector("[data-testid='stApp']")
                ?.getAttribute('data-test-script-state') === 'running'""", timeout=2000, polling=20)
        except PWTimeout:
            pass
    page.wait_for_function(IDLE, timeout=180000, polling=20)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def choose(page, label: str, option: str) -> None:
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    until_idle(page)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--level", choices=["ICS", "STP"], default="ICS")
    a = ap.parse_args()
    minimal = REPO / "bench" / "minimal_app.py"
    minimal = minimal if minimal.exists() else REPO / "bench" / "minimal_trends_app.py"
    app_proc, app_url = serve(REPO / "app.py")
    min_proc, min_url = serve(minimal)
    res: dict[str, dict[str, list[float]]] = {}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            # warm both servers once (imports, caches) so the runs measure steady state
            for url in (app_url, min_url):
                ctx = b.new_context(viewport={"width": 1600, "height": 1000})
                pg = ctx.new_page()
                pg.goto(url)
                until_idle(pg, started=False)
                ctx.close()
            for i in range(a.repeats):
                ctx = b.new_context(viewport={"width": 1600, "height": 1000})
                pg = ctx.new_page()
                r = res.setdefault("Minimal page", {})
                r.setdefault("open", []).append(timed(lambda: (pg.goto(min_url), until_idle(pg, started=False))))
                opts = ("Midwives", "Nurses & health visitors")
                r.setdefault("group change", []).append(timed(lambda: choose(pg, "Staff group", opts[i % 2])))
                ctx.close()

                ctx = b.new_context(viewport={"width": 1600, "height": 1000})
                pg = ctx.new_page()
                pg.goto(app_url)
                until_idle(pg, started=False)
                if a.level == "STP":
                    pg.locator("[data-testid='stSidebar'] [data-testid='stRadio'] label", has_text="STP").click()
                    until_idle(pg)
                for title, label, g1, g2 in PAGES:
                    r = res.setdefault(title, {})
                    link = pg.locator("[data-testid='stSidebarNav'] a", has_text=title).first
                    r.setdefault("open", []).append(timed(lambda: (link.click(), until_idle(pg))))
                    r.setdefault("group change", []).append(timed(lambda: choose(pg, label, g1 if i % 2 else g2)))
                    per = PERIODS[a.level][i % 2]
                    r.setdefault("period change", []).append(
                        timed(lambda: choose(pg, "Period (month ending)", per)))
                ctx.close()
            b.close()
    finally:
        for proc in (app_proc, min_proc):
            proc.terminate()
            proc.wait(10)
    base = {k: statistics.median(v) for k, v in res.pop("Minimal page").items()}
    print(f"Chromium, {a.level} demo data, median of {a.repeats}; baseline {minimal.name}: "
          f"open {base['open']:.2f} s, selection change {base['group change']:.2f} s")
    print(f"{'page':<12}{'action':<16}{'median s':>10}{'x minimal':>11}   runs")
    for title, r in res.items():
        for action, v in r.items():
            med = statistics.median(v)
            ref = base["open"] if action == "open" else base["group change"]
            print(f"{title:<12}{action:<16}{med:>10.2f}{med / ref:>11.1f}   {', '.join(f'{x:.2f}' for x in v)}")
    try:
        print(f"load average during run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    except OSError:
        pass


if __name__ == "__main__":
    main()
