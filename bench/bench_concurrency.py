"""Concurrency bench: N simultaneous real websocket sessions of a running Streamlit server.

Each session is a raw websocket client speaking Streamlit's own protocol (BackMsg / ForwardMsg protobufs
from the installed streamlit package) against `streamlit run app.py` started by this script:

1. connect to /_stcore/stream, send rerun_script (like a browser opening the page),
2. read the ForwardMsgs until script_finished, noting widgets and any exception element,
3. repeatedly change one widget (default: the sidebar "Period (month ending)" selectbox; a slider is
   also understood) and rerun, timing send -> script_finished, with --think seconds between reruns.

Why a raw client rather than Playwright contexts: on a 2-core machine 50 Chromium renderers would
measure Chromium, not the server. The raw client costs ~nothing per session, yet the server does the
same work as for a browser (session, script run, deltas, widget state, query-string sync).

Reported: errors (exceptions shown, failed or timed-out reruns, dropped connections; must be 0),
p50/p95 rerun latency with N sessions vs one session alone, server RSS at rest / with N sessions /
per session, and after the sessions end (disconnectedSessionTTL is set short so cleanup is due).

    .venv/bin/python bench/bench_concurrency.py                       # 50 sessions, 60 s, headlines page
    .venv/bin/python bench/bench_concurrency.py --page what-if --widget "<slider label>"
    .venv/bin/python bench/bench_concurrency.py --sessions 10 --seconds 20
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

REPO = Path(__file__).resolve().parents[1]
RERUN_TIMEOUT_S = 60.0


# ------------------------------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: str | None, log_path: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
           "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
           "--server.address", "127.0.0.1", "--server.disconnectedSessionTTL", "2"]
    env = {**os.environ}
    if data_dir:
        env["WORKFORCE_DATA_DIR"] = data_dir
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"streamlit did not start; see {log_path}")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------------------------------ client
@dataclass
class Widget:
    kind: str
    id: str
    options: list = field(default_factory=list)
    lo: float = 0.0
    hi: float = 0.0
    step: float = 1.0


@dataclass
class SessionStats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reruns: int = 0
    ready: bool = False


class StreamlitSession:
    def __init__(self, port: int, page: str, widget_label: str):
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.origin = f"http://127.0.0.1:{port}"
        self.page = page
        self.widget_label = widget_label
        self.widget: Widget | None = None
        self.query: dict[str, str] = {}
        self.ws = None

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], origin=self.origin,
                                           max_size=None, open_timeout=30, ping_interval=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def _back(self, widget_value=None) -> bytes:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = urlencode(self.query)
        cs.page_name = self.page
        cs.context_info.timezone = "Europe/London"
        cs.context_info.locale = "en-GB"
        if widget_value is not None and self.widget is not None:
            ws = cs.widget_states.widgets.add()
            ws.id = self.widget.id
            if self.widget.kind == "selectbox":
                ws.string_value = str(widget_value)
            else:
                ws.double_array_value.data.append(float(widget_value))
        return msg.SerializeToString()

    async def rerun(self, widget_value=None) -> tuple[float, list[str]]:
        """Send one rerun and read until the script finishes: (seconds, problems)."""
        t0 = time.perf_counter()
        await self.ws.send(self._back(widget_value))
        problems: list[str] = []
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=RERUN_TIMEOUT_S)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                ek = el.WhichOneof("type")
                if ek == "exception":
                    problems.append(f"exception shown: {el.exception.type}: {el.exception.message[:200]}")
                elif ek in ("selectbox", "slider") and getattr(el, ek).label == self.widget_label:
                    w = getattr(el, ek)
                    if ek == "selectbox":
                        self.widget = Widget("selectbox", w.id, list(w.options))
                    else:
                        self.widget = Widget("slider", w.id, lo=w.min, hi=w.max, step=w.step or 1.0)
            elif kind == "page_info_changed":
                self.query = dict(p.split("=", 1) for p in fm.page_info_changed.query_string.split("&") if "=" in p)
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # the script reran itself (st.rerun): the answer is the run that follows
                if status not in ("FINISHED_SUCCESSFULLY", "FINISHED_EARLY_FOR_RERUN", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
                    problems.append(f"script finished with {status}")
                return time.perf_counter() - t0, problems

    def next_value(self, rng: random.Random):
        w = self.widget
        if w is None:
            return None
        if w.kind == "selectbox":
            return rng.choice(w.options[: min(len(w.options), 24)])
        n = max(1, int(round((w.hi - w.lo) / w.step)))
        return w.lo + w.step * rng.randint(0, n)


async def drive(port: int, args, seconds: float, stats: SessionStats, seed: int, start_gate: asyncio.Event) -> None:
    rng = random.Random(seed)
    s = StreamlitSession(port, args.page, args.widget)
    try:
        await s.connect()
        _, probs = await s.rerun()
        stats.errors += probs
        stats.ready = True
        if s.widget is None:
            stats.errors.append(f"widget {args.widget!r} not found on page {args.page or 'home'!r}")
            return
        await start_gate.wait()
        await asyncio.sleep(rng.uniform(0, args.think))  # de-synchronise the sessions
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            dt, probs = await s.rerun(s.next_value(rng))
            stats.latencies.append(dt)
            stats.errors += probs
            stats.reruns += 1
            await asyncio.sleep(args.think)
    except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as exc:
        stats.errors.append(f"connection: {type(exc).__name__}: {exc}")
    finally:
        await s.close()


async def run_phase(port: int, args, sessions: int, seconds: float, pid: int) -> dict:
    stats = [SessionStats() for _ in range(sessions)]
    gate = asyncio.Event()
    tasks = [asyncio.create_task(drive(port, args, seconds, st, i, gate)) for i, st in enumerate(stats)]
    # All sessions open (first run done) before the timed phase starts.
    while not all(st.ready or t.done() for st, t in zip(stats, tasks)):
        await asyncio.sleep(0.2)
    peak = rss_mb(pid)
    await asyncio.sleep(2.0)
    open_rss = rss_mb(pid)
    gate.set()
    while not all(t.done() for t in tasks):
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.5)
    lat = sorted(x for st in stats for x in st.latencies)
    errors = [e for st in stats for e in st.errors]
    q = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan"))
    return {"sessions": sessions, "reruns": len(lat), "errors": len(errors), "error_samples": errors[:5],
            "p50_ms": round(q(0.50), 1), "p95_ms": round(q(0.95), 1), "max_ms": round(q(1.0), 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
            "rss_sessions_open_mb": round(open_rss, 1), "rss_peak_mb": round(peak, 1)}


async def main_async(args) -> None:
    log = Path(args.log)
    proc, port = start_server(args.data_dir, log)
    try:
        await asyncio.sleep(1.0)
        rss_start = rss_mb(proc.pid)
        solo = await run_phase(port, args, 1, args.solo_seconds, proc.pid)  # also warms the caches
        await asyncio.sleep(4.0)
        rss_rest = rss_mb(proc.pid)
        many = await run_phase(port, args, args.sessions, args.seconds, proc.pid)
        await asyncio.sleep(args.settle)  # > disconnectedSessionTTL, so closed sessions are due for cleanup
        rss_after = rss_mb(proc.pid)
        again = await run_phase(port, args, args.sessions, min(10.0, args.seconds), proc.pid)  # leak check
        await asyncio.sleep(args.settle)
        rss_after2 = rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    per_session = (many["rss_sessions_open_mb"] - rss_rest) / args.sessions
    report = {
        "page": args.page or "home", "widget": args.widget, "think_s": args.think, "cores": os.cpu_count(),
        "solo": solo, "concurrent": many,
        "latency_ratio_p50": round(many["p50_ms"] / solo["p50_ms"], 2) if solo["p50_ms"] else None,
        "latency_ratio_p95": round(many["p95_ms"] / solo["p95_ms"], 2) if solo["p95_ms"] else None,
        "rss_mb": {"server_started": round(rss_start, 1), "warm_at_rest": round(rss_rest, 1),
                   f"with_{args.sessions}_open": many["rss_sessions_open_mb"], "peak": many["rss_peak_mb"],
                   "per_session": round(per_session, 2),
                   "after_sessions_end": round(rss_after, 1),
                   "after_second_round_end": round(rss_after2, 1), "second_round_errors": again["errors"]},
    }
    print(json.dumps(report, indent=1))
    total_errors = solo["errors"] + many["errors"] + again["errors"]
    print(f"\nerrors: {total_errors} (must be 0)")
    print(f"rerun latency p50/p95: alone {solo['p50_ms']}/{solo['p95_ms']} ms; with {args.sessions} sessions "
          f"{many['p50_ms']}/{many['p95_ms']} ms")
    print(f"server RSS: warm {rss_rest:.0f} MB, with {args.sessions} open {many['rss_sessions_open_mb']:.0f} MB "
          f"({per_session:.2f} MB/session), after they end {rss_after:.0f} MB, after a second round {rss_after2:.0f} MB")
    if total_errors:
        sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the concurrent phase")
    ap.add_argument("--solo-seconds", type=float, default=20.0, help="length of the one-session baseline")
    ap.add_argument("--page", default="", help="page url path (app.py PAGES), e.g. what-if; default the headlines page")
    ap.add_argument("--widget", default="Period (month ending)", help="label of the selectbox or slider to change")
    ap.add_argument("--think", type=float, default=1.0, help="seconds a user waits between changes")
    ap.add_argument("--settle", type=float, default=15.0, help="seconds to wait after sessions end before measuring")
    ap.add_argument("--data-dir", help="WORKFORCE_DATA_DIR for the server (default: embedded demo data)")
    ap.add_argument("--log", default="/tmp/bench_concurrency_server.log")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
