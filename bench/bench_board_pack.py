"""The board pack's speed (issue 26): one system's pack cold (a new `python -m lib report` process, nothing cached),
against a like-for-like baseline in the same run (a new `python -m lib metrics` process on the same store: the
imports and the store read every command pays), and `--area all` (every system of the footprint).

    .venv/bin/python bench/bench_board_pack.py --data-dir STORE [--area QKK] [--period 2025-11] [--runs 3] [--all]

Prints wall and CPU seconds (children's user + system) per run, the medians and their ratio. Goal: one pack
<= 10 s on the 2-core test machine with the caches cold.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(args: list[str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "lib", *args], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"failed: {' '.join(args)}\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--area", default="QKK")
    ap.add_argument("--period")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--all", action="store_true", help="also time --area all")
    a = ap.parse_args()
    period = ["--period", a.period] if a.period else []
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        rows = {"metrics (baseline)": [], "report (one pack)": []}
        for i in range(a.runs):
            rows["metrics (baseline)"].append(run(["metrics", "--data-dir", a.data_dir, *period])[:2])
            w, c, line = run(["report", "--data-dir", a.data_dir, "--area", a.area, *period,
                              "--out", f"{tmp}/pack.pdf"])
            rows["report (one pack)"].append((w, c))
            print(f"run {i + 1}: {line}")
        for name, xs in rows.items():
            print(f"{name:20s} wall {statistics.median(x[0] for x in xs):5.2f} s  "
                  f"cpu {statistics.median(x[1] for x in xs):5.2f} s  ({', '.join(f'{x[0]:.2f}' for x in xs)})")
        base = statistics.median(x[0] for x in rows["metrics (baseline)"])
        pack = statistics.median(x[0] for x in rows["report (one pack)"])
        print(f"one pack / metrics command: {pack / base:.2f}x wall; "
              f"{pack - base:.2f} s for the pack beyond what every command pays")
        print(f"pack size {Path(tmp, 'pack.pdf').stat().st_size:,} bytes")
        if a.all:
            w, c, line = run(["report", "--data-dir", a.data_dir, "--area", "all", *period, "--out", f"{tmp}/all"])
            print(f"--area all: wall {w:.1f} s, cpu {c:.1f} s: {line}")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
