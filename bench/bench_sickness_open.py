"""Opening the Sickness absence page against other pages, interleaved in one run (issue 24: it took 12-19 s to open
where others took 3-10 s).

    .venv/bin/python bench/bench_sickness_open.py [--rounds 5] [--pages sickness,turnover,map] [--store DIR]
    git archive 80cfe1b | tar -x -C /tmp/before   # an earlier tree, then:
    .venv/bin/python bench/bench_sickness_open.py --before /tmp/before

One `streamlit run app.py` server (tests/conftest.Server's flags) on a store of the real published files (Oct-25
and Nov-25 Turnover benchmarking 2 and the March 2025 sickness absence file, ingested into a temporary directory
unless --store is given). One headless Chromium (the browser tests' SwiftShader set-up). The server's root is
opened once (warm-up: caches filled), then each round opens every page in turn in a new tab: open ms = goto to
the app settled (script run finished, no skeleton, DOM quiet for 500 ms, not counted). Also per open: the
server's user+system CPU (/proc, 10 ms ticks), websocket bytes received and delta messages (elements sent).
Medians per page and the ratio to the first other page. On 2 shared cores only the ratios compare.
With --before DIR a second server runs that tree's app.py (its own directory as the working directory, so it
imports its own code) on the same store, and every page is opened on both in turn, round by round.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.conftest import (CHROMIUM, CHROMIUM_ARGS, SICKNESS_MAR25, TURNOVER_NOV25, TURNOVER_OCT25,  # noqa: E402
                            Server, wait_for_app)

QUIET = """(quiet) => new Promise(resolve => {
  let last = performance.now();
  const obs = new MutationObserver(() => { last = performance.now(); });
  obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const tick = () => { if (performance.now() - last >= quiet) { obs.disconnect(); resolve(last); }
                       else setTimeout(tick, 50); };
  tick();
})"""
PATHS = {"sickness": "/sickness?footprint=2022", "turnover": "/turnover?footprint=2022",
         "map": "/map?footprint=2022", "profile": "/profile?footprint=2022&area=QKK",
         "sickness_system": "/sickness?footprint=2022&area=QKK"}


def cpu_ticks(pid: int) -> int:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])


def open_once(ctx, url: str, pid: int) -> dict:
    page = ctx.new_page()
    got = {"bytes": 0, "deltas": 0}

    def on_ws(ws):
        def frame(payload):
            if isinstance(payload, (bytes, bytearray)):
                got["bytes"] += len(payload)
                msg = ForwardMsg()
                try:
                    msg.ParseFromString(bytes(payload))
                except Exception:  # noqa: BLE001 - not a ForwardMsg
                    return
                if msg.WhichOneof("type") == "delta":
                    got["deltas"] += 1
        ws.on("framereceived", frame)
    page.on("websocket", on_ws)
    c0 = cpu_ticks(pid)
    t0 = time.perf_counter()
    page.goto(url)
    wait_for_app(page, 180000)
    page.evaluate(QUIET, 500)
    ms = (time.perf_counter() - t0) * 1000 - 500
    cpu = (cpu_ticks(pid) - c0) * 10
    page.close()
    return {"ms": ms, "cpu_ms": cpu, **got}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pages", default="sickness,turnover,map")
    ap.add_argument("--store", help="a store with sickness absence figures (default: ingest the real files)")
    ap.add_argument("--before", help="an earlier tree (e.g. git archive COMMIT | tar -x -C DIR) opened alongside")
    a = ap.parse_args()
    store = a.store
    if not store:
        from lib.data.ingest import ingest
        store = tempfile.mkdtemp(prefix="bench_sickness_")
        ingest([TURNOVER_OCT25, TURNOVER_NOV25, SICKNESS_MAR25], Path(store))
    names = a.pages.split(",")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    servers = {"now": Server(REPO / "app.py", env={"WORKFORCE_DATA_DIR": store}, log_name="bench_sickness_open")}
    if a.before:
        servers["before"] = before_server(Path(a.before), store)
    from playwright.sync_api import sync_playwright
    rows: dict[tuple[str, str], list[dict]] = {(s, n): [] for s in servers for n in names}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            ctx = b.new_context(viewport={"width": 1366, "height": 768})
            for srv in servers.values():
                warm = ctx.new_page()
                warm.goto(srv.url)
                wait_for_app(warm, 180000)
                warm.close()
                for n in names:  # fill each page's caches once (what the warm-up does after a start)
                    open_once(ctx, srv.url + PATHS[n], srv.proc.pid)
            for r in range(a.rounds):
                for n in names:
                    for s, srv in servers.items():
                        rows[(s, n)].append(open_once(ctx, srv.url + PATHS[n], srv.proc.pid))
                print(f"round {r + 1}: " + ", ".join(f"{s} {n} {rows[(s, n)][-1]['ms']:.0f} ms"
                                                      for n in names for s in servers), flush=True)
            b.close()
    finally:
        for srv in servers.values():
            srv.stop()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    base = names[1] if len(names) > 1 else names[0]
    print("\n| tree | page | open ms (median) | ratio to " + base + " (same tree) | server CPU ms | KB received | "
          "delta messages |")
    print("|---|---|---|---|---|---|---|")
    for s in servers:
        med = {n: {k: statistics.median(x[k] for x in rows[(s, n)]) for k in ("ms", "cpu_ms", "bytes", "deltas")}
               for n in names}
        for n in names:
            m = med[n]
            print(f"| {s} | {n} | {m['ms']:,.0f} | {m['ms'] / med[base]['ms']:.2f} | {m['cpu_ms']:,.0f} | "
                  f"{m['bytes'] / 1024:,.1f} | {m['deltas']:.0f} |")


def before_server(tree: Path, store: str) -> Server:
    """tests.conftest.Server for an earlier tree's app.py, run from that tree (cwd), so it imports its own code."""
    import subprocess
    import tests.conftest as c
    srv = Server.__new__(Server)
    srv.port = c.free_port()
    srv.url = f"http://127.0.0.1:{srv.port}"
    srv.warmed = False
    srv.log_path = c.ARTIFACTS / f"bench_sickness_before_{srv.port}.log"
    srv.log = open(srv.log_path, "w")
    srv.proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(tree / "app.py"), *Server.DEFAULT_FLAGS,
                                 "--server.port", str(srv.port)], cwd=tree, stdout=srv.log, stderr=subprocess.STDOUT,
                                env={**os.environ, "WORKFORCE_DATA_DIR": store})
    import urllib.request
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(srv.url + "/_stcore/health", timeout=2).read() == b"ok":
                return srv
        except OSError:
            time.sleep(0.3)
    srv.stop()
    raise RuntimeError(f"the before tree's streamlit did not start: see {srv.log_path}")


if __name__ == "__main__":
    main()
