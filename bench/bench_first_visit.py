"""The first visit: opening the shared URL in a fresh browser, right after a server start and on a warm server,
against a minimal Streamlit page opened the same way in the same run.

    .venv/bin/python bench/bench_first_visit.py [--rounds 3] [--paths /,/turnover] [--before /tmp/base]

Each round starts, one after another, fresh servers with the production settings (deploy/flags.py):
* app     - deploy/serve.py, as deploy/run.sh runs it; waited for until GET /ready says its pages are warmed;
* minimal - bench/minimal_select_app.py (one selectbox, one metric) with `streamlit run`, waited for until healthy;
* before  - (with --before DIR: a checkout of an earlier tree, e.g. `git worktree add /tmp/base f4ecbe0`) that tree's
            app.py with `streamlit run`, waited for until /_stcore/health says ok (all it had).
Each server is visited by a new browser context (empty HTTP cache: a fresh browser) twice: the first visit after
its start, then a later visit (what the hundredth visitor gets). Servers are visited in turn (app, minimal,
before, then the later visits in the same order), so load from other work hits them alike; rounds alternate the
paths given. Through nginx (deploy/nginx-workforce.conf, or the before tree's) unless --direct.

Per visit: settle ms = navigation start to the last DOM mutation once Streamlit's run has finished (no skeleton,
no running indicator, an element drawn, DOM quiet for --quiet-ms, which is not counted); bytes = HTTP response
bodies as received (encoded: gzip where nginx compressed them; websocket frames not included) and websocket bytes.
Ratios: app / minimal (goals: warm <= 1.3x, right after start <= 1.5x), medians of the per-round ratios. The load
average is printed at start and end (os.getloadavg): on shared cores only the ratios compare.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

SETTLED = """(quiet) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stSkeleton']") || document.querySelector("[data-testid='stStatusWidget']"))
    return false;
  if (!document.querySelector("[data-testid='stElementContainer']")) return false;
  return performance.now() - (window.__lastMutation || 0) > quiet;
}"""
# installed before any page script: the time (ms since navigation start) of the last DOM mutation
CLOCK = """(() => {
  window.__lastMutation = 0;
  const start = () => new MutationObserver(() => { window.__lastMutation = performance.now(); })
      .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, {once: true});
})();"""


def _get_ok(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


class Served:
    """One Streamlit server (and nginx in front of it unless direct)."""

    def __init__(self, name: str, cwd: Path, script: str, ready_path: str, tmp: Path, direct: bool):
        self.name, self.tmp = name, tmp
        self.port = free_port()
        flags = subprocess.run([sys.executable, "deploy/flags.py", "deploy/config.production.toml"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.split()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_")}
        self.log = open(tmp / f"{name}_{self.port}.log", "w")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port",
                                      str(self.port), *flags], cwd=cwd, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 300
        while not _get_ok(base + ready_path):
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise SystemExit(f"{name} did not become ready; see {self.log.name}")
            time.sleep(0.2)
        self.ready_s = time.perf_counter() - t0
        self.nginx = None
        self.url = base
        if not direct:
            self._start_nginx(cwd)

    def _start_nginx(self, cwd: Path) -> None:
        from tests.test_deploy_nginx import NGINX
        site = (cwd / "deploy" / "nginx-workforce.conf").read_text()
        import re
        opts = re.findall(r"^ *server 127\.0\.0\.1:85\d\d (.*);$", site, re.M)[0]
        site = re.sub(r"(?:^ *server 127\.0\.0\.1:85\d\d .*;\n)+", f"    server 127.0.0.1:{self.port} {opts};\n",
                      site, count=1, flags=re.M)
        listen = free_port()
        site = site.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{listen};")
        d = self.tmp / f"nginx_{self.name}_{listen}"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = d / "nginx.conf"
        conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
{site}
}}
""")
        self.nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(d)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{listen}"
        deadline = time.time() + 30
        while not _get_ok(self.url + "/_stcore/health"):
            if time.time() > deadline:
                raise SystemExit(f"nginx for {self.name} did not start; see {d}/error.log")
            time.sleep(0.2)

    def stop(self) -> None:
        if getattr(self, "nginx", None) is not None:
            self.nginx.terminate()
            self.nginx.wait(10)
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def visit(browser, url: str, quiet_ms: int, timeout_ms: int = 180000) -> dict:
    """A fresh browser (new context: empty cache) opens url; returns settle ms and bytes received."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.add_init_script(CLOCK)
    http_bytes, ws_bytes = [], []
    try:
        page = ctx.new_page()
        page.on("requestfinished", lambda req: http_bytes.append(req.sizes()["responseBodySize"]))
        page.on("websocket", lambda ws: ws.on("framereceived", lambda p: ws_bytes.append(len(p))))
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(SETTLED, arg=quiet_ms, timeout=timeout_ms, polling=50)
        settle = page.evaluate("() => window.__lastMutation")
        errors = page.locator("[data-testid='stException']").count()
    finally:
        ctx.close()
    return {"settle_ms": settle, "http_bytes": sum(http_bytes), "ws_bytes": sum(ws_bytes), "errors": errors}


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--paths", default="/,/turnover", help="paths of the app opened first, one per round in turn")
    ap.add_argument("--quiet-ms", type=int, default=500)
    ap.add_argument("--before", help="an earlier checkout (its app.py, served without a warm-up)")
    ap.add_argument("--direct", action="store_true", help="no nginx in front (bytes then uncompressed)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    paths = [p.strip() or "/" for p in args.paths.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="bench_first_visit_"))
    kinds = [("app", REPO, "deploy/serve.py", "/ready"), ("minimal", REPO, "bench/minimal_select_app.py",
                                                            "/_stcore/health")]
    if args.before:
        kinds.append(("before", Path(args.before), "app.py", "/_stcore/health"))
    load0 = os.getloadavg()
    print(f"load average at start {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}, {os.cpu_count()} CPUs", flush=True)
    rows: list[dict] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for r in range(args.rounds):
            path = paths[r % len(paths)]
            servers = []
            try:
                for name, cwd, script, ready in kinds:  # one after another: each warms alone
                    servers.append(Served(name, cwd, script, ready, tmp, args.direct))
                row = {"round": r + 1, "path": path}
                for when in ("first", "later"):
                    for s in servers:
                        v = visit(browser, s.url + (path if s.name != "minimal" else "/"), args.quiet_ms)
                        row[f"{s.name}_{when}"] = v
                for s in servers:
                    row[f"{s.name}_ready_s"] = s.ready_s
            finally:
                for s in servers:
                    s.stop()
            rows.append(row)
            line = " | ".join(f"{s}: first {row[f'{s}_first']['settle_ms']:.0f} ms, later {row[f'{s}_later']['settle_ms']:.0f}"
                              f" ms" for s, *_ in kinds)
            print(f"round {r + 1} {path}: {line} | load {os.getloadavg()[0]:.2f}", flush=True)
        browser.close()
    load1 = os.getloadavg()
    shutil.rmtree(tmp, ignore_errors=True)

    names = [k[0] for k in kinds]
    print(f"\n{'':28}" + "".join(f"{n:>16}" for n in names))
    for when in ("first", "later"):
        print(f"{'settle ms, ' + when + ' visit':28}" + "".join(
            f"{med([row[f'{n}_{when}']['settle_ms'] for row in rows]):16.0f}" for n in names))
    for when in ("first", "later"):
        print(f"{'HTTP kB, ' + when + ' visit':28}" + "".join(
            f"{med([row[f'{n}_{when}']['http_bytes'] / 1000 for row in rows]):16.0f}" for n in names))
        print(f"{'websocket kB, ' + when:28}" + "".join(
            f"{med([row[f'{n}_{when}']['ws_bytes'] / 1000 for row in rows]):16.0f}" for n in names))
    print(f"{'start to ready s':28}" + "".join(f"{med([row[f'{n}_ready_s'] for row in rows]):16.1f}" for n in names))
    print()
    for n in [x for x in names if x != "minimal"]:
        for when, goal in (("first", 1.5), ("later", 1.3)):
            ratios = [row[f"{n}_{when}"]["settle_ms"] / row[f"minimal_{when}"]["settle_ms"] for row in rows]
            print(f"{n} / minimal, {when} visit{' (right after start)' if when == 'first' else ' (warm server)'}: "
                  f"median {med(ratios):.2f}x (rounds: {', '.join(f'{x:.2f}' for x in ratios)}), goal <= {goal}x")
        ratios = [row[f"{n}_first"]["settle_ms"] / row[f"{n}_later"]["settle_ms"] for row in rows]
        print(f"{n}: first visit / later visit: median {med(ratios):.2f}x (rounds: {', '.join(f'{x:.2f}' for x in ratios)})")
    errors = sum(row[f"{n}_{w}"]["errors"] for row in rows for n in names for w in ("first", "later"))
    print(f"\nexceptions shown: {errors}")
    print(f"load average at end {load1[0]:.2f} / {load1[1]:.2f} / {load1[2]:.2f}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
