"""Concurrency bench: N simultaneous browser-like websocket sessions against replicas behind nginx.

Starts R Streamlit replicas of app.py with the production settings (deploy/config.production.toml via
deploy/flags.py, as deploy/run.sh does) and nginx with deploy/nginx-workforce.conf (ports rewritten, temp
prefix), then drives N raw websocket clients through nginx that behave as a browser does:

1. connect to /_stcore/stream, send rerun_script for the page (like a browser opening it);
2. read the ForwardMsgs until script_finished, noting widgets, the fragment each widget sits in, cacheable
   message hashes (a browser sends them back so the server answers repeats with a reference), exceptions;
3. repeatedly change one widget, sending its fragment id when it sits in an @st.fragment (a browser reruns only
   that fragment) and the hashes it holds; values cycle over a few choices (--values), as a person flips between
   a few staff groups, so after the first round the server's caches hold them (an earlier version sent full
   reruns with random periods that missed every cache: no browser does that). --think seconds between changes.

Why raw clients rather than Playwright: on a 2-core machine 50 Chromium renderers would measure Chromium, not the
server; the server does the same work for either.

Reported: errors (exceptions shown, failed or timed-out reruns, dropped connections; must be 0), p50/p95 rerun
latency with N sessions vs one session alone (goal: p95 <= 3x), server CPU per rerun, sessions per replica,
RSS of each replica at rest / with N open / after they end (disconnectedSessionTTL set short).

    .venv/bin/python bench/bench_concurrency.py                            # 50 sessions, 2 replicas, Turnover
    .venv/bin/python bench/bench_concurrency.py --page home --widget "Period (month ending)" --values 2
    .venv/bin/python bench/bench_concurrency.py --replicas 1 --sessions 10 --seconds 20   # one server, no nginx
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


def _health(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


def _ready(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2).status == 200
    except OSError:
        return False


def start_server(data_dir: str | None, log_path: Path, entry: str = "deploy/serve.py",
                 root: Path = REPO) -> tuple[subprocess.Popen, int]:
    """One replica with the production settings on a free loopback port: deploy/serve.py (as deploy/run.sh, waited
    for until /ready says its pages are warmed) or app.py (--entry app.py: the tree before issue 25). root: the tree
    served (bench_rerun_cpu.py serves an earlier tree beside this one)."""
    port = free_port()
    flags = subprocess.run([sys.executable, "deploy/flags.py", "deploy/config.production.toml"], cwd=root,
                           capture_output=True, text=True, check=True).stdout.split()
    cmd = [sys.executable, "-m", "streamlit", "run", entry, "--server.port", str(port), *flags,
           "--server.disconnectedSessionTTL", "2"]
    env = {**os.environ}
    env.pop("WORKFORCE_DISCLOSURE_CONTROL", None)
    if data_dir:
        env["WORKFORCE_DATA_DIR"] = data_dir
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 300
    while time.time() < deadline:
        if _health(port) and (entry == "app.py" or _ready(port)):
            return proc, port
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"streamlit did not start; see {log_path}")


def start_nginx(ports: list[int], tmp: Path) -> tuple[subprocess.Popen, int]:
    """nginx with deploy/nginx-workforce.conf in front of the replicas (as tests/test_deploy_nginx.py runs it)."""
    sys.path.insert(0, str(REPO))
    from tests.test_deploy_nginx import NGINX, _nginx_conf
    listen = free_port()
    conf = _nginx_conf(tmp, listen, *ports)
    subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp)], check=True, capture_output=True)
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        if _health(listen):
            return proc, listen
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"nginx did not start; see {tmp}/error.log")


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    """CPU seconds of this process (the load generator: 50 websocket clients parsing protobuf share the cores)."""
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


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
    fragment_id: str = ""
    value: object = None


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
        self.hashes: set[str] = set()  # cacheable messages held, as a browser's ForwardMsg cache

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
        cs.cached_message_hashes.extend(sorted(self.hashes))
        if widget_value is not None and self.widget is not None:
            if self.widget.fragment_id:
                cs.fragment_id = self.widget.fragment_id  # a browser reruns only the fragment holding the widget
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
            if fm.metadata.cacheable and fm.hash:
                self.hashes.add(fm.hash)
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                ek = el.WhichOneof("type")
                if ek == "exception":
                    problems.append(f"exception shown: {el.exception.type}: {el.exception.message[:200]}")
                elif ek in ("selectbox", "slider") and getattr(el, ek).label == self.widget_label:
                    w = getattr(el, ek)
                    frag = fm.delta.fragment_id
                    if ek == "selectbox":
                        self.widget = Widget("selectbox", w.id, list(w.options), fragment_id=frag)
                    else:
                        self.widget = Widget("slider", w.id, lo=w.min, hi=w.max, step=w.step or 1.0,
                                             fragment_id=frag)
            elif kind == "page_info_changed":
                self.query = dict(p.split("=", 1) for p in fm.page_info_changed.query_string.split("&") if "=" in p)
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # the script reran itself (st.rerun): the answer is the run that follows
                if status not in ("FINISHED_SUCCESSFULLY", "FINISHED_EARLY_FOR_RERUN", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
                    problems.append(f"script finished with {status}")
                return time.perf_counter() - t0, problems

    def next_value(self, rng: random.Random, n_values: int):
        """The next of a few values (the first n_values options or slider steps), never the current one."""
        w = self.widget
        if w is None:
            return None
        if w.kind == "selectbox":
            choices = w.options[:max(2, n_values)]
        else:
            choices = [w.lo + w.step * i for i in range(max(2, n_values))]
        nxt = rng.choice([c for c in choices if c != w.value] or choices)
        w.value = nxt
        return nxt


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
            dt, probs = await s.rerun(s.next_value(rng, args.values))
            stats.latencies.append(dt)
            stats.errors += probs
            stats.reruns += 1
            await asyncio.sleep(args.think)
    except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as exc:
        stats.errors.append(f"connection: {type(exc).__name__}: {exc}")
    finally:
        await s.close()


def _sessions_per_replica(ports: list[int]) -> list[int]:
    """Established TCP connections nginx holds to each replica (one long-lived websocket per session)."""
    from tests.test_deploy_nginx import _connections_to
    return [_connections_to(p) for p in ports]


async def run_phase(port: int, args, sessions: int, seconds: float, pids: list[int], ports: list[int]) -> dict:
    stats = [SessionStats() for _ in range(sessions)]
    gate = asyncio.Event()
    tasks = [asyncio.create_task(drive(port, args, seconds, st, i, gate)) for i, st in enumerate(stats)]
    rss = (lambda: sum(rss_mb(p) for p in pids))
    # All sessions open (first run done) before the timed phase starts.
    while not all(st.ready or t.done() for st, t in zip(stats, tasks)):
        await asyncio.sleep(0.2)
    peak = rss()
    await asyncio.sleep(2.0)
    open_rss = rss()
    spread = _sessions_per_replica(ports)
    cpu0 = sum(cpu_s(p) for p in pids)
    client0, wall0 = _own_cpu_s(), time.perf_counter()
    gate.set()
    while not all(t.done() for t in tasks):
        peak = max(peak, rss())
        await asyncio.sleep(0.5)
    cpu = sum(cpu_s(p) for p in pids) - cpu0
    client_cpu, wall = _own_cpu_s() - client0, time.perf_counter() - wall0
    lat = sorted(x for st in stats for x in st.latencies)
    errors = [e for st in stats for e in st.errors]
    q = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan"))
    return {"sessions": sessions, "reruns": len(lat), "errors": len(errors), "error_samples": errors[:5],
            "p50_ms": round(q(0.50), 1), "p95_ms": round(q(0.95), 1), "max_ms": round(q(1.0), 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
            "server_cpu_ms_per_rerun": round(1000 * cpu / len(lat), 1) if lat else None,
            # cores busy over the timed phase: the replicas, and this load generator on the same machine
            "server_cores_busy": round(cpu / wall, 2), "client_cores_busy": round(client_cpu / wall, 2),
            "connections_per_replica": spread,
            "rss_sessions_open_mb": round(open_rss, 1), "rss_peak_mb": round(peak, 1)}


async def main_async(args) -> dict:
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="bench_concurrency_"))
    # started one after another: each warms its pages first (on 2 cores, several at once would crowd each other)
    replicas = [start_server(args.data_dir, tmp / f"replica_{i}.log", args.entry) for i in range(args.replicas)]
    pids, ports = [p.pid for p, _ in replicas], [port for _, port in replicas]
    nginx = None
    if args.replicas > 1:
        nginx, port = start_nginx(ports, tmp)
    else:
        port = ports[0]
    load0 = os.getloadavg()
    try:
        await asyncio.sleep(1.0)
        rss = (lambda: sum(rss_mb(p) for p in pids))
        rss_start = rss()
        # warm every replica's caches once per value (a browser-like user after the first minutes)
        await run_phase(port, args, 2 * args.replicas, 4.0, pids, ports)
        solo = await run_phase(port, args, 1, args.solo_seconds, pids, ports)
        idle0, t_idle = sum(cpu_s(p) for p in pids), time.perf_counter()
        await asyncio.sleep(4.0)
        # replicas' CPU at rest (event loop, session housekeeping): charged to no rerun
        idle_cores = (sum(cpu_s(p) for p in pids) - idle0) / (time.perf_counter() - t_idle)
        rss_rest = rss()
        many = await run_phase(port, args, args.sessions, args.seconds, pids, ports)
        await asyncio.sleep(args.settle)  # > disconnectedSessionTTL, so closed sessions are due for cleanup
        rss_after = rss()
        again = await run_phase(port, args, args.sessions, min(10.0, args.seconds), pids, ports)  # leak check
        await asyncio.sleep(args.settle)
        rss_after2 = rss()
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for proc, _ in replicas:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    load1 = os.getloadavg()
    per_session = (many["rss_sessions_open_mb"] - rss_rest) / args.sessions
    report = {
        "page": args.page or "home", "widget": args.widget, "values": args.values, "think_s": args.think,
        "replicas": args.replicas, "through_nginx": nginx is not None, "cores": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in load0], "load_average_end": [round(x, 2) for x in load1],
        "replicas_idle_cores": round(idle_cores, 3), "solo": solo, "concurrent": many,
        "latency_ratio_p50": round(many["p50_ms"] / solo["p50_ms"], 2) if solo["p50_ms"] else None,
        "latency_ratio_p95": round(many["p95_ms"] / solo["p95_ms"], 2) if solo["p95_ms"] else None,
        "rss_mb_all_replicas": {"started": round(rss_start, 1), "warm_at_rest": round(rss_rest, 1),
                                f"with_{args.sessions}_open": many["rss_sessions_open_mb"], "peak": many["rss_peak_mb"],
                                "per_session": round(per_session, 2), "after_sessions_end": round(rss_after, 1),
                                "after_second_round_end": round(rss_after2, 1),
                                "second_round_errors": again["errors"]},
    }
    print(json.dumps(report, indent=1))
    total_errors = solo["errors"] + many["errors"] + again["errors"]
    ratio = report["latency_ratio_p95"]
    print(f"\nload average {' / '.join(f'{x:.2f}' for x in load0)} at start, {' / '.join(f'{x:.2f}' for x in load1)} "
          f"at end, {os.cpu_count()} CPUs; {args.replicas} replica(s){' behind nginx' if nginx else ''}")
    print(f"errors: {total_errors} (goal 0)")
    print(f"rerun latency p50/p95: alone {solo['p50_ms']}/{solo['p95_ms']} ms ({solo['reruns']} reruns); with "
          f"{args.sessions} sessions {many['p50_ms']}/{many['p95_ms']} ms ({many['reruns']} reruns): p95 ratio {ratio}x (goal <= 3x: "
          f"{'met' if ratio is not None and ratio <= 3 else 'NOT met'})")
    idle_share = 1000 * idle_cores * args.solo_seconds / max(1, solo["reruns"])
    print(f"replicas at rest: {idle_cores:.3f} cores (the one-session CPU per rerun below includes {idle_share:.0f} ms "
          f"of it)")
    print(f"server CPU per rerun: alone {solo['server_cpu_ms_per_rerun']} ms, with {args.sessions} sessions "
          f"{many['server_cpu_ms_per_rerun']} ms; websocket connections per replica {many['connections_per_replica']}")
    print(f"cores busy with {args.sessions} sessions: replicas {many['server_cores_busy']}, this load generator "
          f"{many['client_cores_busy']} (of {os.cpu_count()})")
    print(f"RSS (all replicas): warm {rss_rest:.0f} MB, with {args.sessions} open {many['rss_sessions_open_mb']:.0f} MB "
          f"({per_session:.2f} MB/session), after they end {rss_after:.0f} MB, after a second round {rss_after2:.0f} MB")
    report["errors_total"] = total_errors
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the concurrent phase")
    # 60 s: about 55 reruns, so the one-session p95 is a percentile, not the slowest of 18
    ap.add_argument("--solo-seconds", type=float, default=60.0, help="length of the one-session baseline")
    ap.add_argument("--page", default="turnover", help="page url path (app.py PAGES), e.g. what_if, home")
    ap.add_argument("--widget", default="Staff group", help="label of the selectbox or slider to change")
    ap.add_argument("--values", type=int, default=3, help="how many values each session cycles between")
    ap.add_argument("--replicas", default="2",
                    help="Streamlit replicas; more than one = behind nginx. A list (2,4,6) runs each in turn in this "
                         "process, each against its own one-session baseline, and prints a table at the end")
    ap.add_argument("--entry", default="deploy/serve.py", choices=["deploy/serve.py", "app.py"],
                    help="what each replica runs (app.py: no warm-up, as before issue 25)")
    ap.add_argument("--think", type=float, default=1.0, help="seconds a user waits between changes")
    ap.add_argument("--settle", type=float, default=15.0, help="seconds to wait after sessions end before measuring")
    ap.add_argument("--data-dir", help="WORKFORCE_DATA_DIR for the server (default: embedded demo data)")
    args = ap.parse_args()
    counts = [int(x) for x in str(args.replicas).split(",") if x.strip()]
    rows, errors = [], 0
    for n in counts:
        args.replicas = n
        r = asyncio.run(main_async(args))
        errors += r["errors_total"]
        rows.append(r)
    if len(rows) > 1:
        print("\nreplicas | sessions/replica | alone p50/p95 ms | with %d p50/p95 ms | p95 ratio | errors | cores busy | "
              "RSS warm MB | load avg start -> end" % args.sessions)
        for r in rows:
            c, o = r["concurrent"], r["solo"]
            print(f"{r['replicas']} | {c['connections_per_replica']} | {o['p50_ms']}/{o['p95_ms']} | {c['p50_ms']}/"
                  f"{c['p95_ms']} | {r['latency_ratio_p95']}x | {r['errors_total']} | {c['server_cores_busy']} | "
                  f"{r['rss_mb_all_replicas']['warm_at_rest']} | {r['load_average_start'][0]} -> "
                  f"{r['load_average_end'][0]}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
