"""Cost of showing history on another footprint: re-based (every month moved onto the 36 ICBs of April 2026,
organisation by organisation) against as published (the 42 ICBs, organisations summed while reading), same
process, same store, interleaved runs.

    .venv/bin/python bench/bench_footprint.py [--months 120] [--repeat 5]

The store is bench_data_scale's national history (252 organisations x 14 groups x N months, canonical layout,
ICS codes of 2022); the question is what the dashboard asks: every month, per system x staff group, plus regions
and England (area_metrics).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_data_scale import generate, load_average  # noqa: E402
from lib.data import footprint, loader  # noqa: E402
from lib.insight.metrics import area_metrics  # noqa: E402


def as_published(d: Path):
    return area_metrics(loader.load_area_frame(d, "ICS"), include_england=True, include_regions=True)


def rebased(d: Path):
    return area_metrics(footprint.load_area_frame(d, "ICS2026"), include_england=True, include_regions=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        generate(d, 6, args.months)
        a, b = as_published(d), rebased(d)  # warm-up, and the check that nothing is lost
        eng = lambda m: m[(m["area_code"] == "ENG")]["fte"].sum()  # noqa: E731
        assert abs(eng(a) - eng(b)) <= 1e-9 * eng(a), (eng(a), eng(b))
        times = {"as published (42)": [], "re-based (36)": []}
        for _ in range(args.repeat):
            for name, fn in (("as published (42)", as_published), ("re-based (36)", rebased)):
                t = time.perf_counter()
                fn(d)
                times[name].append(time.perf_counter() - t)
        print(f"load average {load_average()}; {args.months} months, {a['period'].nunique()} periods")
        base = statistics.median(times["as published (42)"])
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{name:20s} median {med:.3f} s  ({med / base:.2f}x as published)")


if __name__ == "__main__":
    main()
