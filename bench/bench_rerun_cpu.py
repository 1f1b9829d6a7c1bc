"""Server CPU per rerun, this tree against an earlier one, interleaved in one run (issue 25).

50 sessions with a 1 s think time ask for about 50 reruns a second; at 20 ms of server CPU each that is a whole
core of the two, so CPU per rerun bounds what many sessions feel. This bench counts it, not wall time: the
machine is shared, and a busy neighbour stretches wall time but not the CPU a rerun costs.

It starts one Streamlit replica of each tree with the production settings (deploy/serve.py, warmed, as
bench_concurrency.py starts them), opens one browser-like websocket session per tree and page
(bench_concurrency.StreamlitSession: sends the cached-message hashes back, reruns only the widget's fragment),
cycles each session's widget over a few values until the caches hold them, then in each round and page runs a
block of N changes on one tree and a block on the other (order alternating), reading the replica's CPU
(/proc/PID/stat user + system) before and after each block. Reported: CPU ms per rerun for each tree and page
(median over rounds), their ratio, and the replicas' CPU at rest (charged to no rerun: subtract it if it matters).

    .venv/bin/python bench/bench_rerun_cpu.py --before /tmp/i25s_before          # git archive main | tar -x -C DIR
    .venv/bin/python bench/bench_rerun_cpu.py --before /tmp/x --pages "turnover:Staff group" --reruns 40 --rounds 5
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_concurrency as bc  # noqa: E402

DEFAULT_PAGES = ("turnover:Staff group,vacancy:Staff group,home:Period (month ending),map:Staff group,"
                 "statistics:System")


async def run(args) -> dict:
    trees = {"now": bc.REPO}
    if args.before:
        trees = {"before": Path(args.before).resolve(), **trees}
    pages = [tuple(p.split(":", 1)) for p in args.pages.split(",") if p.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="bench_rerun_cpu_"))
    servers = {}
    try:
        for name, root in trees.items():  # one after another: each warms its pages first
            servers[name] = bc.start_server(args.data_dir, tmp / f"{name}.log", "deploy/serve.py", root)
        load0 = os.getloadavg()
        await asyncio.sleep(1.0)
        rest0 = {n: bc.cpu_s(p.pid) for n, (p, _) in servers.items()}
        t0 = time.perf_counter()
        await asyncio.sleep(args.rest_seconds)
        rest = {n: (bc.cpu_s(p.pid) - rest0[n]) / (time.perf_counter() - t0) for n, (p, _) in servers.items()}
        sessions, rngs = {}, {}
        for page, widget in pages:
            for name, (_, port) in servers.items():
                s = bc.StreamlitSession(port, page if page != "home" else "", widget)
                await s.connect()
                _, probs = await s.rerun()
                if probs or s.widget is None:
                    raise SystemExit(f"{name} {page}: {probs or f'widget {widget!r} not found'}")
                rng = random.Random(7)
                for _ in range(3 * args.values):  # every value visited: the caches hold them before timing
                    _, probs = await s.rerun(s.next_value(rng, args.values))
                    if probs:
                        raise SystemExit(f"{name} {page}: {probs}")
                sessions[(name, page)], rngs[(name, page)] = s, rng
        per = {(n, p): [] for n in servers for p, _ in pages}
        wall = {(n, p): [] for n in servers for p, _ in pages}
        errors = 0
        for r in range(args.rounds):
            for page, _ in pages:
                order = list(servers) if r % 2 == 0 else list(servers)[::-1]
                for name in order:
                    s, rng, pid = sessions[(name, page)], rngs[(name, page)], servers[name][0].pid
                    c0 = bc.cpu_s(pid)
                    lat = []
                    for _ in range(args.reruns):
                        dt, probs = await s.rerun(s.next_value(rng, args.values))
                        errors += len(probs)
                        lat.append(dt)
                    per[(name, page)].append(1000 * (bc.cpu_s(pid) - c0) / args.reruns)
                    wall[(name, page)].append(1000 * statistics.median(lat))
        for s in sessions.values():
            await s.close()
        load1 = os.getloadavg()
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            try:
                proc.wait(10)
            except Exception:  # noqa: BLE001
                proc.kill()
    rows = []
    for page, widget in pages:
        row = {"page": page or "home", "widget": widget}
        for name in servers:
            row[f"{name}_cpu_ms"] = round(statistics.median(per[(name, page)]), 1)
            row[f"{name}_cpu_ms_rounds"] = [round(x, 1) for x in per[(name, page)]]
            row[f"{name}_wall_ms_median"] = round(statistics.median(wall[(name, page)]), 1)
        if "before" in servers:
            row["now_over_before"] = round(row["now_cpu_ms"] / row["before_cpu_ms"], 2)
        rows.append(row)
    report = {"trees": {n: str(r) for n, r in trees.items()}, "reruns_per_block": args.reruns,
              "rounds": args.rounds, "values": args.values, "errors": errors,
              "rest_cores": {n: round(v, 4) for n, v in rest.items()},
              "load_average_start": [round(x, 2) for x in load0], "load_average_end": [round(x, 2) for x in load1],
              "cores": os.cpu_count(), "pages": rows}
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="an earlier tree (git archive REV | tar -x -C DIR) served beside this one")
    ap.add_argument("--pages", default=DEFAULT_PAGES, help="page:widget label, comma separated (home = the default "
                                                           "page)")
    ap.add_argument("--reruns", type=int, default=30, help="changes per block")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--values", type=int, default=3, help="how many values each widget cycles between")
    ap.add_argument("--rest-seconds", type=float, default=3.0)
    ap.add_argument("--data-dir", help="WORKFORCE_DATA_DIR for both servers (default: embedded demo data)")
    args = ap.parse_args()
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=1))
    names = [n for n in ("before", "now") if f"{n}_cpu_ms" in report["pages"][0]]
    print(f"\nload average {report['load_average_start'][0]} -> {report['load_average_end'][0]}, "
          f"{report['cores']} CPUs; replicas at rest: {report['rest_cores']} cores; errors {report['errors']}")
    print("page | widget | " + " | ".join(f"{n} CPU ms/rerun (median of {args.rounds})" for n in names)
          + (" | now/before" if len(names) == 2 else "") + " | " + " | ".join(f"{n} wall ms" for n in names))
    for r in report["pages"]:
        print(f"{r['page']} | {r['widget']} | " + " | ".join(f"{r[n + '_cpu_ms']} {r[n + '_cpu_ms_rounds']}"
                                                           for n in names)
              + (f" | {r['now_over_before']}x" if len(names) == 2 else "") + " | "
              + " | ".join(str(r[n + "_wall_ms_median"]) for n in names))
    if report["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
