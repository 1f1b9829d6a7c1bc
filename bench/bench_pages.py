"""Every page in Chromium against like-for-like minimal pages, interleaved in one run.

    .venv/bin/python bench/bench_pages.py [--repeats 3] [--pages turnover,map] [--quiet-ms 400]

Servers (same flags as tests/conftest.Server, so Streamlit's defaults): `app.py`, and three baselines:
* bench/minimal_select_app.py - one selectbox and one metric (the baseline for every select change),
* bench/minimal_app.py        - one slider and one metric (the baseline for the what-if slider),
* bench/bare_charts_app.py    - one selectbox and the Turnover page's three chart specs, nothing else (what the
                                charts alone cost: the floor for a page that draws them).
One headless Chromium (swiftshader, as the browser tests), one tab per server. For every page and every change the
page's action is followed at once by the same kind of action on its baseline tab (and on the bare-chart tab for
select pages), so load from other work on this shared machine hits both alike; ratios are medians of those pairs.

Per action it records:
* settle ms  - action to the last DOM mutation of the run it started (run finished: Streamlit's script_finished
               message seen on the websocket; no skeleton or running indicator; DOM quiet for --quiet-ms, which is
               not counted). The selectbox is opened and the option typed first, untimed; the click is timed.
* server CPU - user+system CPU of that Streamlit server process over the action (/proc; 10 ms ticks).
* browser    - the renderer main thread's task time (Chrome DevTools Performance.getMetrics TaskDuration) and
               script time (ScriptDuration) over the action; deck.gl's WebGL work runs in the GPU process and is
               not in these.
* Chromium   - CPU of Chromium's GPU process (software WebGL / canvas raster: deck.gl's cost) and of all its
               processes together over the action (includes the untimed quiet window; /proc, 10 ms ticks).
* bytes      - websocket bytes received by the browser for the action.
* elements   - delta messages (elements and containers sent) for the action: each changed one costs the browser
               2.5-4.5 ms of React work (issue 16).

The load average is printed at start and end: on 2 shared cores every absolute figure moves with it; the ratios
are what to compare.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

# DOM-mutation clock, installed before each action (performance.now() of the last mutation).
OBSERVE = """() => {
  const w = window;
  if (w.__bObs) w.__bObs.disconnect();
  w.__b = {last: performance.now()};
  w.__bObs = new MutationObserver(() => { w.__b.last = performance.now(); });
  w.__bObs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
QUIET = """(quiet) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') === 'running') return false;
  if (document.querySelector("[data-testid='stSkeleton']") || document.querySelector("[data-testid='stStatusWidget']"))
    return false;
  return performance.now() - window.__b.last > quiet;
}"""
DONE = {"FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY", "FINISHED_WITH_COMPILE_ERROR"}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def chromium_cpu_s() -> dict[str, float]:
    """CPU seconds so far of the Chromium processes this script started (descendants of this process), by
    process type: 'renderer', 'gpu-process', 'browser' (no --type), others."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except OSError:
                continue
    out: dict[str, float] = {}
    todo = list(kids.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").split()  # Chromium rewrites it
        except OSError:
            continue
        if not cmd or b"chrom" not in cmd[0]:
            continue
        kind = next((a.split(b"=", 1)[1].decode() for a in cmd if a.startswith(b"--type=")), "browser")
        try:
            out[kind] = out.get(kind, 0.0) + cpu_s(pid)
        except OSError:
            pass
    return out


class Tab:
    """One browser tab on one server, with its websocket traffic and DevTools metrics."""

    def __init__(self, ctx, server: Server, quiet_ms: int, first_wait_s: float = 8):
        self.server, self.quiet, self.first_wait_s = server, quiet_ms, first_wait_s
        self.page = ctx.new_page()
        self.frames: list[tuple[int, str]] = []  # (bytes, kind or script_finished status)
        self.page.on("websocket", self._socket)
        self.cdp = ctx.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")

    def _socket(self, ws) -> None:
        if "_stcore/stream" in ws.url:
            ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        raw = payload if isinstance(payload, bytes) else payload.encode()
        kind = "?"
        try:
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type") or "?"
            if kind == "script_finished":
                kind = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
        except Exception:  # noqa: BLE001 - a frame we cannot parse still counts its bytes
            pass
        self.frames.append((len(raw), kind))

    def metrics(self) -> dict[str, float]:
        return {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}

    def open(self, path: str = "/") -> float:
        """Page load: ms from navigation start to the last DOM mutation once settled."""
        self.page.goto(self.server.url + path)
        self.page.wait_for_selector("[data-testid='stApp']", timeout=120000)
        self.page.evaluate(OBSERVE)
        self.page.evaluate("() => { window.__b.last = performance.now(); }")
        self._wait_finished(0, 120)
        self.page.wait_for_function(QUIET, arg=self.quiet, timeout=120000, polling=25)
        return self.page.evaluate("window.__b.last")

    def _wait_finished(self, n0: int, timeout_s: float) -> bool:
        end = time.perf_counter() + timeout_s
        while time.perf_counter() < end:
            if any(k in DONE for _, k in self.frames[n0:]):
                return True
            self.page.wait_for_timeout(15)  # lets Playwright deliver websocket events
        return False

    def measure(self, action, prepare=None) -> dict[str, float]:
        """Time one action (prepare() first, untimed) until its run has finished and the DOM is quiet."""
        pg = self.page
        pg.bring_to_front()  # background tabs throttle frames
        for attempt in range(3):
            pg.wait_for_timeout(250 + 750 * attempt)  # not counted: the last run's widgets settle
            if prepare:
                prepare()
            n0, m0, c0, g0 = len(self.frames), self.metrics(), cpu_s(self.server.proc.pid), chromium_cpu_s()
            pg.evaluate(OBSERVE)
            t0 = pg.evaluate("performance.now()")
            action()
            # the run's end is Streamlit's script_finished message, not the DOM attribute (a 3 ms run can flip
            # running -> notRunning inside one React update, so watching the attribute can miss it)
            if self._wait_finished(n0, self.first_wait_s if attempt < 2 else 60):
                break
            if attempt == 2:  # a key press on a just-redrawn slider is occasionally dropped: then press again
                raise RuntimeError("the action started no run")
        pg.wait_for_function(QUIET, arg=self.quiet, timeout=120000, polling=25)
        ms = pg.evaluate("t0 => window.__b.last - t0", t0)
        c1, m1, g1 = cpu_s(self.server.proc.pid), self.metrics(), chromium_cpu_s()
        return {"ms": ms, "cpu_ms": 1000 * (c1 - c0),
                "gpu_ms": 1000 * (g1.get("gpu-process", 0) - g0.get("gpu-process", 0)),
                "chrome_ms": 1000 * (sum(g1.values()) - sum(g0.values())), "main_ms": 1000 * (m1["TaskDuration"] - m0["TaskDuration"]),
                "script_ms": 1000 * (m1["ScriptDuration"] - m0["ScriptDuration"]),
                "kb": sum(b for b, _ in self.frames[n0:]) / 1024,
                "elements": sum(1 for _, k in self.frames[n0:] if k == "delta")}


def choose(page, label: str, option: str):
    """(action, prepare): open the selectbox and type the option (untimed); the timed action clicks it."""
    def prepare():
        box = page.get_by_role("combobox", name=label, exact=True)
        box.click()
        box.fill(option)
        page.get_by_role("option", name=option, exact=True).first.wait_for()
    return (lambda: page.get_by_role("option", name=option, exact=True).first.click()), prepare


def slider_key(page, label: str, key: str):
    thumb = page.locator("[data-testid='stSlider']").filter(has_text=label).locator("input[type='range']").first
    return (lambda: page.keyboard.press(key)), thumb.focus


PERIOD = "Period (month ending)"
GROUPS = ("Midwives", "All staff groups")
# name, sidebar link, kind of control, change(page, i) -> (action, prepare), goal (x baseline)
PAGES = [
    ("headlines", "Headlines", "select", lambda pg, i: choose(pg, PERIOD, ("Oct 2025", "Nov 2025")[i % 2]), None),
    ("map", "Map", "select", lambda pg, i: choose(pg, "Measure", ("Leaver rate", "Vacancy rate")[i % 2]), 2.5),
    ("vacancy", "Vacancies", "select", lambda pg, i: choose(pg, "Staff group", GROUPS[i % 2]), 2.0),
    ("turnover", "Turnover", "select", lambda pg, i: choose(pg, "Staff group", GROUPS[i % 2]), 2.0),
    ("role mix", "Role mix", "select", lambda pg, i: choose(pg, "Staff group to follow over time",
                                                            ("Midwives", "Nurses & health visitors")[i % 2]), 2.0),
    ("profile", "System profile", "select", lambda pg, i: choose(pg, "System", ("North Central London (QMJ)",
                                                                                "South East London (QKK)")[i % 2]), 2.0),
    ("statistics", "Signal or noise", "select", lambda pg, i: choose(pg, "Staff group", GROUPS[i % 2]), None),
    ("what-if", "What-if studio", "slider",
     lambda pg, i: slider_key(pg, "Years ahead", ("ArrowLeft", "ArrowRight")[i % 2]), 3.0),
]
FIELDS = ("ms", "cpu_ms", "main_ms", "script_ms", "kb")


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def med(rows: list[dict], k: str) -> float:
    return statistics.median(r[k] for r in rows) if rows else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="browser sessions; each opens every page once and "
                                                          "makes --changes changes on it")
    ap.add_argument("--changes", type=int, default=2)
    ap.add_argument("--pages", default="", help="comma-separated subset of: " + ", ".join(p[0] for p in PAGES))
    ap.add_argument("--quiet-ms", type=int, default=400)
    ap.add_argument("--first-wait-s", type=float, default=8,
                    help="seconds to wait for an action's run before repeating the action (a dropped key press); raise "
                         "it on a loaded machine, where a run can take longer and a repeated option click starts none")
    ap.add_argument("--bare-app", default="bench/bare_charts_app.py",
                    help="the bare chart page (a 'Staff group' select and charts only), e.g. bench/bare_profile_app.py")
    ap.add_argument("--chromium-arg", action="append", default=[],
                    help="extra Chromium switch, e.g. --disable-gpu-rasterization (to see what software GPU raster "
                         "costs; the default is the browser tests' SwiftShader set-up)")
    a = ap.parse_args()
    only = {s.strip() for s in a.pages.split(",") if s.strip()}
    pages = [p for p in PAGES if not only or p[0] in only]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    print(f"load average (1/5/15 min) at start: {loadavg()} on {os.cpu_count()} CPUs", flush=True)
    servers = {"app": Server(REPO / "app.py"), "select": Server(REPO / "bench" / "minimal_select_app.py"),
               "slider": Server(REPO / "bench" / "minimal_app.py"), "charts": Server(REPO / a.bare_app)}
    res: dict[str, dict[str, list[dict]]] = {}  # page -> {"page"/"base"/"charts"/"open": [measurements]}
    ratios: dict[str, list[float]] = {}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *a.chromium_arg], headless=True)
            for rep in range(-1, a.repeats):  # rep -1 warms imports and caches and is dropped
                ctx = b.new_context(viewport={"width": 1400, "height": 1000})
                tabs = {k: Tab(ctx, s, a.quiet_ms, a.first_wait_s) for k, s in servers.items()}
                for k in ("select", "slider", "charts"):
                    tabs[k].open()
                app = tabs["app"]
                home = app.open()
                n = {"select": 0, "slider": 0, "charts": 0}
                for name, link, kind, change, _goal in pages:
                    if name == "headlines":
                        opened = {"ms": home}
                    else:
                        nav = app.page.locator("[data-testid='stSidebarNav'] a", has_text=link).first
                        opened = app.measure(nav.click)
                    r = res.setdefault(name, {"page": [], "base": [], "charts": [], "open": []})
                    line = []
                    for i in range(a.changes):
                        x = app.measure(*change(app.page, i))
                        bt = tabs[kind]
                        if kind == "select":
                            base = bt.measure(*choose(bt.page, "Staff group", ("Midwives", "Managers")[n[kind] % 2]))
                            ct = tabs["charts"]
                            ch = ct.measure(*choose(ct.page, "Staff group", GROUPS[n["charts"] % 2]))
                            n["charts"] += 1
                        else:
                            base = bt.measure(*slider_key(bt.page, "Value", ("ArrowLeft", "ArrowRight")[n[kind] % 2]))
                            ch = None
                        n[kind] += 1
                        if rep >= 0:
                            r["page"].append(x)
                            r["base"].append(base)
                            if ch:
                                r["charts"].append(ch)
                            ratios.setdefault(name, []).append(x["ms"] / base["ms"])
                        line.append(f"{x['ms']:.0f} ms (cpu {x['cpu_ms']:.0f}, main {x['main_ms']:.0f}, gpu "
                                    f"{x['gpu_ms']:.0f}, {x['elements']} elements) / base "
                                    f"{base['ms']:.0f}")
                    if rep >= 0:
                        r["open"].append(opened)
                    print(f"  {'warm-up' if rep < 0 else f'run {rep + 1}'} {name}: open {opened['ms']:.0f} ms; "
                          f"changes {'; '.join(line)}", flush=True)
                ctx.close()
            b.close()
    finally:
        for s in servers.values():
            s.stop()
    print(f"\nChromium, demo data (ICS), {a.repeats} sessions x {a.changes} changes per page, medians; settled = run "
          f"finished + DOM quiet {a.quiet_ms} ms (quiet not counted). base = the minimal page with the same control "
          "(select or slider), measured right after each change; ratio = median of the paired ratios.")
    head = (f"{'page':<11}{'open ms':>8}{'change ms':>10}{'base ms':>8}{'ratio':>6}{'goal':>6}{'cpu ms':>7}"
            f"{'base cpu':>9}{'main ms':>8}{'base main':>10}{'script':>7}{'gpu ms':>7}{'chrome':>7}{'KB':>6}{'elems':>6}")
    print(head)
    goals = {p[0]: p[4] for p in pages}
    for name, r in res.items():
        ratio = statistics.median(ratios[name]) if ratios.get(name) else float("nan")
        goal = goals.get(name)
        print(f"{name:<11}{med(r['open'], 'ms'):>8.0f}{med(r['page'], 'ms'):>10.0f}{med(r['base'], 'ms'):>8.0f}"
              f"{ratio:>6.2f}{(f'{goal:.1f}' if goal else '-'):>6}{med(r['page'], 'cpu_ms'):>7.0f}"
              f"{med(r['base'], 'cpu_ms'):>9.0f}{med(r['page'], 'main_ms'):>8.0f}{med(r['base'], 'main_ms'):>10.0f}"
              f"{med(r['page'], 'script_ms'):>7.0f}{med(r['page'], 'gpu_ms'):>7.0f}{med(r['page'], 'chrome_ms'):>7.0f}"
              f"{med(r['page'], 'kb'):>6.1f}{med(r['page'], 'elements'):>6.0f}"
              + ("" if goal is None else ("  within goal" if ratio <= goal else "  OVER goal")))
    allc = [c for r in res.values() for c in r["charts"]]
    if allc:
        print(f"bare chart page ({a.bare_app}, select change): {med(allc, 'ms'):.0f} ms, server CPU "
              f"{med(allc, 'cpu_ms'):.0f} ms, main thread {med(allc, 'main_ms'):.0f} ms, GPU process "
              f"{med(allc, 'gpu_ms'):.0f} ms, all Chromium {med(allc, 'chrome_ms'):.0f} ms, {med(allc, 'kb'):.1f} KB "
              f"({len(allc)} changes)")
    print(f"load average (1/5/15 min) at end: {loadavg()} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
