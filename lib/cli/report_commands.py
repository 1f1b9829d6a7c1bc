"""`python -m lib report`: the board pack of one system (or of every system of a footprint) as a PDF.

    python -m lib report --data-dir DIR --area QKK --period 2025-11 [--footprint 2026] [--scenario FILE ...]
                         [--disclosure-control] --out QKK.pdf
    python -m lib report --data-dir DIR --area all --period 2025-11 --out packs/      (one PDF a system)

`--area all` builds the store's figures once, then lays out the packs on worker processes (one per core, at
most the number of systems) and prints how long it took.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from lib.cli import areas
from lib.cli.data_commands import add_disclosure_option, disclosure_requested

MAX_SCENARIO_BYTES = 1_000_000
MAX_SCENARIOS = 4  # as the what-if page compares at most four

_STORE = None  # a worker's copy of the store's figures (set once per worker process by _init_worker)


def read_scenarios(paths: list[str]) -> list[tuple[str, object]]:
    """(name, Scenario) for each file; ValueError names the file and what is wrong."""
    from lib.whatif.scenario import Scenario, ScenarioError
    if len(paths) > MAX_SCENARIOS:
        raise ValueError(f"--scenario: at most {MAX_SCENARIOS} scenarios are compared in a pack; got {len(paths)}")
    out = []
    for p in paths:
        path = Path(p)
        try:
            if path.stat().st_size > MAX_SCENARIO_BYTES:
                raise ValueError(f"{p}: file is larger than {MAX_SCENARIO_BYTES:,} bytes")
            scn = Scenario.from_json(path.read_bytes())
        except ScenarioError as exc:
            raise ValueError(f"{p}: invalid scenario: " + "; ".join(exc.errors)) from None
        except OSError as exc:
            raise ValueError(f"cannot read scenario file {p}: {exc.strerror or exc}") from None
        out.append((scn.name or path.stem, scn))
    return out


def _init_worker(store) -> None:
    global _STORE
    from lib.report import charts
    charts.warm_renderer()
    _STORE = store


def _one_pack(job: tuple[str, str]) -> tuple[str, str, float, int]:
    """Worker: build and lay out one system's pack from the shared figures; (area, path, seconds, bytes)."""
    from lib.report import pack as rp, render
    area, out = job
    t0 = time.perf_counter()
    pdf = render.board_pack_pdf(rp.build_pack(_STORE, area, []))
    render.write_atomic(out, pdf)
    return area, out, time.perf_counter() - t0, len(pdf)


def _report(args: argparse.Namespace) -> int:
    from lib.data import geography
    from lib.report import pack as rp, render
    t0 = time.perf_counter()
    args.area_check(args)  # lib.cli.areas.report_area: 'all' or a system of the footprint, before the store is read
    sdc = disclosure_requested(args)
    scenarios = read_scenarios(args.scenario or [])
    if args.area.lower() != "all":
        from lib.report import charts
        charts.warm_renderer()  # the chart renderer starts while the store is read
    try:
        store = rp.load_store(args.data_dir, args.period, args.footprint, args.level, sdc)
    except rp.PackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = geography.area_names(store.key)
    if args.area.lower() != "all":
        area = geography.resolve_area(args.area, store.key) or args.area
        out = Path(args.out or f"board_pack_{area}_{store.period}.pdf")
        if out.is_dir():
            out = out / f"board_pack_{area}_{store.period}.pdf"
        try:
            pdf = render.board_pack_pdf(rp.build_pack(store, area, scenarios))
        except rp.PackError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        render.write_atomic(out, pdf)
        print(f"{out}: board pack for {names[area]} ({area}), {store.period}, {len(pdf):,} bytes, "
              f"{time.perf_counter() - t0:.1f} s")
        return 0
    if scenarios:
        print("error: --scenario is for one system's pack (a scenario belongs to one system), not --area all",
              file=sys.stderr)
        return 2
    folder = Path(args.out or f"board_packs_{store.period}")
    if folder.suffix.lower() == ".pdf":
        print(f"error: --out {folder}: with --area all, --out is a folder (one PDF a system)", file=sys.stderr)
        return 2
    folder.mkdir(parents=True, exist_ok=True)
    areas = sorted(c for c in geography.vintage(store.key).areas["code"] if c in set(store.metrics["area_code"]))
    jobs = [(a, str(folder / f"board_pack_{a}_{store.period}.pdf")) for a in areas]
    workers = max(1, min(args.jobs or (os.cpu_count() or 1), len(jobs)))
    t_load = time.perf_counter() - t0
    if workers == 1:
        _init_worker(store)
        results = [_one_pack(j) for j in jobs]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        # spawn, not fork: the parent's DuckDB connection and threads must not be copied into the workers
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                 initargs=(store,)) as pool:
            results = list(pool.map(_one_pack, jobs))
    total = time.perf_counter() - t0
    for area, path, secs, size in results:
        print(f"{path}: {names[area]} ({area}), {size:,} bytes, {secs:.1f} s")
    print(f"{len(results)} board packs for {store.period} ({geography.vintage(store.key).title}) in {total:.1f} s "
          f"on {workers} worker process{'es' if workers > 1 else ''} (figures loaded in {t_load:.1f} s)")
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    from lib.data.loader import default_data_dir
    p = sub.add_parser("report", help="the board pack: one system's workforce report as a PDF",
                       description="Write a system's board pack (A4, tagged PDF): headline figures, staff in post "
                                   "and its bridge, leavers and joiners with SPC, vacancies, role mix, sickness "
                                   "absence, organisations, scenarios, definitions.")
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--level", choices=["ICS", "STP"], default="ICS")
    p.add_argument("--area", required=True, help="system code (e.g. QKK), or 'all' for every system's pack")
    p.add_argument("--period", help="YYYY-MM (month ending); default the latest loaded")
    p.add_argument("--footprint", help="show the month on the systems of this geography vintage: a year (2022, "
                                       "2026) or key (ICS2026); default the vintage in force for the period")
    p.add_argument("--scenario", action="append", metavar="FILE",
                   help=f"a what-if scenario JSON file for the system (repeat for up to {MAX_SCENARIOS})")
    p.add_argument("--out", help="PDF file to write (default board_pack_<AREA>_<PERIOD>.pdf); with --area all, a "
                                 "folder")
    p.add_argument("--jobs", type=int, help="with --area all: worker processes (default: the number of cores)")
    add_disclosure_option(p)
    p.set_defaults(func=_report, area_check=areas.report_area)
