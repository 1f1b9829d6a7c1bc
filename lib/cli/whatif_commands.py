"""`python -m lib scenario`: run a what-if scenario headless, to the numbers the page shows."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MAX_SCENARIO_BYTES = 1_000_000


def _run(args: argparse.Namespace) -> int:
    from lib.data.loader import available_periods
    from lib.whatif.studio import load_baseline
    from lib.whatif.scenario import Scenario, ScenarioError, run_scenario

    try:
        path = Path(args.scenario)
        if path.stat().st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError([f"file is larger than {MAX_SCENARIO_BYTES:,} bytes"])
        scn = Scenario.from_json(path.read_bytes())
    except ScenarioError as exc:
        print(f"error: {args.scenario}: invalid scenario:\n  " + "\n  ".join(exc.errors), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read scenario file {args.scenario}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        periods = available_periods(args.data_dir, args.level)
        if not periods:
            print(f"error: no {args.level} data in {args.data_dir}; ingest files first", file=sys.stderr)
            return 2
        period = args.period or periods[-1]
        if period not in periods:
            print(f"error: --period {period!r} not loaded at {args.level} level; loaded: {', '.join(periods)}",
                  file=sys.stderr)
            return 2
        key = scenario_footprint(args, scn, period)
        args.area_check(args)  # lib.cli.areas.scenario_area: the file's area on the footprint, before the baseline
        baseline = load_baseline(args.data_dir, key, period)
        result = run_scenario(scn, baseline, include_systems=not args.england_only)
    except ScenarioError as exc:
        print(f"error: {args.scenario}: scenario does not fit the data:\n  " + "\n  ".join(exc.errors), file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = getattr(result, args.what)
    if args.format == "json":
        doc = {"scenario": scn.to_dict(), "period": period, "level": args.level, "footprint": key,
               "rate_basis": baseline.rate_basis,
               "evidence_months": baseline.months, "provisional": baseline.provisional,
               "notes": result.notes, args.what: json.loads(out.to_json(orient="records", double_precision=15))}
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        out.to_csv(sys.stdout, index=False, float_format="%.10g", lineterminator="\n")
    return 0


def scenario_footprint(args: argparse.Namespace, scn, period: str) -> str:
    """The geography key a scenario runs on: --footprint, else the footprint the document records, else the vintage
    in force for the period (as `metrics` and the page's default)."""
    from lib.data import footprint
    choice = getattr(args, "footprint", None) or scn.footprint
    try:
        key = footprint.footprint_key(args.level, choice, period)
    except ValueError as exc:
        raise ValueError(f"--footprint: {exc}") from None
    return key


FOOTPRINT_HELP = ("run on the systems of this geography vintage: a year (2022, 2026) or key (ICS2026); default the "
                  "footprint the scenario file records, else the vintage in force for the period (as the page)")


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scenario", help="run a what-if scenario file against loaded data",
                              description="Project the baseline and the scenario (stock-flow model, METHODS 2.6) "
                                          "and print one of the result tables.")
    p.add_argument("--data-dir", required=True, help="data directory written by `python -m lib ingest`")
    p.add_argument("--scenario", required=True, help="scenario JSON file (schema_version 1)")
    p.add_argument("--level", default="ICS", choices=["ICS", "STP"])
    p.add_argument("--period", help="YYYY-MM period to start from (default: latest loaded)")
    p.add_argument("--format", default="csv", choices=["csv", "json"])
    p.add_argument("--what", default="table", choices=["table", "summary", "costs"],
                   help="table: area x role x year; summary: per staff group (year the gap closes); costs: per year")
    p.add_argument("--footprint", help=FOOTPRINT_HELP)
    p.add_argument("--england-only", action="store_true", help="for area ENG, leave out the per-system rows")
    from lib.cli import areas
    p.set_defaults(func=_run, area_check=areas.scenario_area)
