"""What-if studio timing: engine compute on the demo store (42 systems x all groups x 10 years) and
slider-to-redraw latency in Chromium for the what-if page vs a minimal one-slider page, same run.

    .venv/bin/python bench/bench_what_if.py [--repeat 12]

Latency = keyboard ArrowRight on the slider thumb -> the metric's text has changed and the app reports it
is no longer running (measured in the page with performance.now(), polled every animation frame). The three
pages are open in three tabs and pressed in turn, so load from other work on the machine affects each alike.
Streamlit's post-run gc.collect() (runner.postScriptGC) is OFF by default here, as in the app
(.streamlit/config.toml and deploy/config.production.toml); an earlier version left Streamlit's default (on) and so
charged every move ~100-290 ms the app never pays. `--post-script-gc on|both` measures with it on as well.
Server CPU per move = user+system CPU of that Streamlit server process over the move (/proc, 10 ms ticks).
Elements per move = delta messages (elements and containers) the browser received for the move (websocket).
bench/bench_pages.py measures the same slider against the same minimal page with browser main-thread time too.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lib.whatif import studio as w  # noqa: E402
from lib.whatif.scenario import Scenario, run_scenario  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, Server, wait_for_app  # noqa: E402

SCN = {"area": "ENG", "horizon": 10, "levers": {
    "retention": [{"staff_group": "Nurses & health visitors", "leaver_rate_change": -0.01}],
    "recruitment": [{"staff_group": "Nurses & health visitors", "international_fte_per_year": 2000}],
    "new_roles": [{"role": "nursing_associate", "trainees_per_year": 400}],
    "upskilling": [{"from_staff_group": "Nurses & health visitors", "to_role": "advanced_clinical_practitioner",
                    "share_per_year": 0.02}]}}


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(1000 * (time.perf_counter() - t))
    return min(out), statistics.median(out)


def compute(repeat: int) -> None:
    base = w.load_baseline(REPO / "data" / "demo", "ICS")
    scn = Scenario.from_dict(SCN)
    A, G = base.fte.shape
    res = run_scenario(scn, base)
    print(f"model: {A} systems x {G} staff groups (+{res.table['role'].nunique() - G} new roles) x "
          f"{scn.horizon} years, baseline + scenario, {len(res.table):,} result rows")
    b, m = timed(lambda: run_scenario(scn, base), repeat)
    print(f"  run_scenario, every system + England: best {b:.1f} ms, median {m:.1f} ms")
    b, m = timed(lambda: w.run(scn, base), repeat)
    print(f"  page path (w.run, England rows only):  best {b:.1f} ms, median {m:.1f} ms")
    b, m = timed(lambda: w.load_baseline(REPO / "data" / "demo", "ICS"), max(3, repeat // 4))
    print(f"  baseline from the store (cached in the app): best {b:.1f} ms, median {m:.1f} ms")


JS_CHANGED = """([sel, before]) => {
  const m = [...document.querySelectorAll("[data-testid='stMetric']")].find(e => e.innerText.includes(sel));
  const app = document.querySelector("[data-testid='stApp']");
  return m && !m.innerText.includes(before) && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


PAGES = (("what-if page, England", "/what_if?area=ENG", "Nursing associates: trainees a year"),
         ("what-if page, one system", "/what_if?area=QKK", "Nursing associates: trainees a year"),
         ("minimal page", None, "Trainees a year"))


class Tab:
    """One browser tab on one page, with the slider thumb and the metric it watches."""

    def __init__(self, browser, url: str, slider_label: str, pid: int, metric_label: str = "Extra cost"):
        self.pid = pid
        self.page = browser.new_page(viewport={"width": 1400, "height": 1400})
        self.kinds: list[str] = []          # websocket message kinds received ("delta" = one element or block)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._frame) if "_stcore/stream" in ws.url
                     else None)
        self.page.goto(url)
        wait_for_app(self.page)
        self.thumb = self.page.locator("[data-testid='stSlider']").filter(has_text=slider_label).locator(
            "input[type='range']")
        self.metric_label = metric_label
        self.metric = self.page.locator("[data-testid='stMetric']").filter(has_text=metric_label).locator(
            "[data-testid='stMetricValue']")

    def _frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        fm = ForwardMsg()
        try:
            fm.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
            self.kinds.append(fm.WhichOneof("type") or "?")
        except Exception:  # noqa: BLE001 - an unreadable frame is not an element
            self.kinds.append("?")

    def press(self) -> tuple[float, float, int]:
        """(ms to the metric redrawn, server CPU ms over the move, elements received for the move)."""
        from bench.bench_pages import cpu_s
        p = self.page
        p.bring_to_front()                      # background tabs throttle animation frames
        before = self.metric.inner_text()
        self.thumb.focus()
        c0, n0 = cpu_s(self.pid), len(self.kinds)
        t0 = p.evaluate("performance.now()")
        p.keyboard.press("ArrowRight")
        p.wait_for_function(JS_CHANGED, arg=[self.metric_label, before], polling="raf", timeout=60000)
        out = p.evaluate("performance.now()") - t0
        p.wait_for_timeout(150)
        return out, 1000 * (cpu_s(self.pid) - c0), sum(k == "delta" for k in self.kinds[n0:])


def browser(repeat: int, post_script_gc: bool) -> None:
    """Presses alternate between the three pages (one tab each), so a change in machine load hits all alike."""
    import os
    from playwright.sync_api import sync_playwright
    env = {"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true" if post_script_gc else "false"}
    app, mini = Server(REPO / "app.py", env=env), Server(REPO / "bench" / "minimal_whatif_app.py", env=env)
    load0 = os.getloadavg()[0]
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            first = b.new_page()
            first.goto(app.url)                 # first request to a server (see report: deep-link quirk)
            wait_for_app(first)
            first.close()
            tabs = {name: Tab(b, (app.url + path) if path else mini.url, label,
                              (app if path else mini).proc.pid) for name, path, label in PAGES}
            res: dict[str, list[float]] = {name: [] for name in tabs}
            cpu: dict[str, list[float]] = {name: [] for name in tabs}
            els: dict[str, list[int]] = {name: [] for name in tabs}
            for i in range(repeat + 1):         # first round warms caches and is dropped
                for name, tab in tabs.items():
                    t, c, e = tab.press()
                    if i:
                        res[name].append(t)
                        cpu[name].append(c)
                        els[name].append(e)
            b.close()
    finally:
        app.stop()
        mini.stop()
    mini_med = statistics.median(res["minimal page"])
    print(f"slider-to-redraw latency in Chromium, Streamlit runner.postScriptGC={str(post_script_gc).lower()} "
          f"({repeat} presses each, interleaved; load average {load0:.1f} -> {os.getloadavg()[0]:.1f}):")
    print("  page                          median /   min /   max ms                      server CPU ms  elements "
          "(medians)")
    for name, xs in res.items():
        r = statistics.median(xs) / mini_med
        print(f"  {name:28s} {statistics.median(xs):7.0f} / {min(xs):5.0f} / {max(xs):5.0f}   ratio to minimal {r:.2f}x"
              f"   {statistics.median(cpu[name]):5.0f}  {statistics.median(els[name]):5.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=12)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--post-script-gc", choices=["on", "off", "both"], default="off",
                    help="Streamlit's full garbage collection after every run (default off, as the app); 'both' "
                         "measures each")
    args = ap.parse_args()
    import os
    print(f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    compute(args.repeat)
    if not args.no_browser:
        for gc_on in {"on": [True], "off": [False], "both": [True, False]}[args.post_script_gc]:
            browser(args.repeat, gc_on)


if __name__ == "__main__":
    main()
