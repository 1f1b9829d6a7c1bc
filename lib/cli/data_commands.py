"""ingest / metrics / template commands."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lib.cli import areas, insight_commands
from lib.insight import disclosure_plan, exports
from lib.data import footprint, geography
from lib.data.ingest import LOCAL_STORE, IngestError, dry_run, ingest
from lib.data.loader import ENV_DATA_DIR, available_periods, default_data_dir
from lib.insight.coverage import covered_metrics
from lib.insight.metrics import store_metrics
from lib.data.schema import is_period
from lib.sharing import disclosure, joint


def _ingest(args: argparse.Namespace) -> int:
    try:
        if args.dry_run:
            parsed, changes = dry_run(args.files, args.data_dir, level=args.level)
        else:
            parsed, changes = ingest(args.files, args.data_dir, level=args.level), []
    except IngestError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for p in parsed:
        periods = ", ".join(sorted(p.frame["period_end"].unique()))
        print(f"{p.path}: {p.kind}, {len(p.frame)} rows, {p.frame['area_code'].nunique()} areas, period {periods}"
              + (f" ({'; '.join(p.notes)})" if p.notes else ""))
    if args.dry_run:
        for line in changes:
            print(line)
        print(f"dry run: nothing was written to {Path(args.data_dir).resolve()}")
    else:
        print(f"stored in {Path(args.data_dir).resolve()}")
    return 0


def _metrics(args: argparse.Namespace) -> int:
    periods = available_periods(args.data_dir, args.level)
    if not periods:
        print(f"error: no {args.level} data in {args.data_dir}; ingest files first", file=sys.stderr)
        return 2
    period = args.period or periods[-1]
    if not is_period(period) or period not in periods:
        print(f"error: --period {period!r} not loaded at {args.level} level; loaded periods: "
              f"{periods[0]} to {periods[-1]} ({len(periods)})", file=sys.stderr)
        return 2
    sdc = disclosure_requested(args)
    try:
        key = footprint.footprint_key(args.level, args.footprint, period)
    except ValueError as exc:
        print(f"error: --footprint: {exc}", file=sys.stderr)
        return 2
    args.area = args.area_check(args)  # lib.cli.areas: checked against the vintages before anything is read
    # disclosure control: the hidden cells of every table a viewer can reach, chosen together (lib.sharing.joint),
    # the same plan the app applies, so an export and the page hide the same cells
    plan = disclosure_plan.viewer_plan(args.data_dir, args.level) if sdc else None
    if args.by_organisation or args.care_setting or args.peer_group:
        return insight_commands.organisation_metrics(args, period, plan)
    # On the footprint of the vintage in force for the period the rows are as published; on another, each
    # organisation is re-assigned to its system in that vintage (lib/data/footprint.py).
    kind = geography.area_kind(args.area) if args.area else None
    out = store_metrics(args.data_dir, key, [period], by_staff_group=args.by_staff_group, basis=args.basis,
                        include_england=args.england or kind == "england",
                        include_regions=args.regions or kind == "region")
    # vacancy rates only where vacancy figures cover the staff in post (coverage columns say how much)
    out = covered_metrics(args.data_dir, key, out)
    if plan is not None:
        out = joint.apply(out, plan, "area", key)
    if args.area:  # after disclosure control, so the rows shown hide exactly what the whole table hides
        out = out[out["area_code"] == args.area].reset_index(drop=True)
    insight_commands.write_table(out, args.format)
    return 0


DISCLOSURE_OFF_NOTE = ("note: disclosure control is off: counts under 5 are shown. Use --disclosure-control "
                       f"(or {disclosure.ENV_FLAG}=1) before sharing these figures.")


def add_disclosure_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--disclosure-control", action="store_true",
                   help=f"suppress counts under 5 and what would reveal them, as the shared dashboard does (also on "
                        f"when {disclosure.ENV_FLAG}=1)")


def disclosure_requested(args: argparse.Namespace) -> bool:
    """--disclosure-control or the environment switch; says on stderr when control is off."""
    on = bool(getattr(args, "disclosure_control", False)) or disclosure.enabled({}, None)
    if not on:
        print(DISCLOSURE_OFF_NOTE, file=sys.stderr)
    return on


def _template(args: argparse.Namespace) -> int:
    sys.stdout.write(exports.vacancy_template_csv())
    return 0


def _demo(args: argparse.Namespace) -> int:
    from lib.data.demo import write_demo
    counts = write_demo(args.out)
    print(f"synthetic demo data written to {args.out}: " + ", ".join(f"{k} {v} rows" for k, v in counts.items()))
    return 0


def _ingest_default() -> str:
    """$WORKFORCE_DATA_DIR if set, else data/local/: real files never default into the synthetic demo store."""
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    return env or str(LOCAL_STORE)


def add_cli(sub: argparse._SubParsersAction) -> None:
    d = str(default_data_dir())
    p = sub.add_parser("ingest", help="validate and load published CSV files into a data directory")
    p.add_argument("files", nargs="+", help="Turnover benchmarking 2 CSV, Core 1 staff-in-post CSV, vacancy template, "
                                            "NHS Digital sickness absence CSV or Primary Care Networks Individual "
                                            "Level CSV")
    p.add_argument("--data-dir", default=_ingest_default(),
                   help="store to write (default $WORKFORCE_DATA_DIR, else data/local/, git-ignored; never the "
                        "synthetic demo store)")
    p.add_argument("--level", choices=["ICS", "STP"], default="ICS", help="geography level of the files (default ICS)")
    p.add_argument("--dry-run", action="store_true", help="check the files and say what would change in the store; "
                                                          "write nothing")
    p.set_defaults(func=_ingest)

    m = sub.add_parser("metrics", help="per-area workforce metrics for one period")
    m.add_argument("--data-dir", default=d, help="store to read (default $WORKFORCE_DATA_DIR, else the demo store)")
    m.add_argument("--level", choices=["ICS", "STP"], default="ICS",
                   help="geography level: ICS (integrated care systems, default) or STP (the older partnerships)")
    m.add_argument("--period", help="YYYY-MM (end of period); default the latest loaded")
    m.add_argument("--by-staff-group", action="store_true", help="one row per area and staff group")
    m.add_argument("--basis", choices=["fte", "hc"], default="fte", help="leaver/joiner rates on FTE (default) or headcount")
    m.add_argument("--england", action="store_true", help="add an England row (ENG)")
    m.add_argument("--regions", action="store_true", help="add NHS England region rows (Y56..Y63)")
    m.add_argument("--format", choices=["csv", "json"], default="csv", help="output format (default csv)")
    m.add_argument("--footprint", help="show the period on the systems of this geography vintage: a year (2022, "
                   "2026) or key (ICS, ICS2026); default the vintage in force for the period. Organisations are "
                   "re-assigned to their system in that vintage (see lib/data/footprint.py)")
    m.add_argument("--by-organisation", action="store_true",
                   help="one row per organisation (with its system, care setting and peer group)")
    m.add_argument("--area", help="only this area's rows: a system of the footprint (e.g. QKK), a region (e.g. Y56) "
                                  "or England (ENG); with --by-organisation, the organisations of this system")
    m.add_argument("--care-setting", help="system figures counting only organisations of this care setting "
                                          "(CLUSTER_GROUP, e.g. 'Mental Health')")
    m.add_argument("--peer-group", help="organisations of one peer group nationally (BENCHMARK_GROUP, e.g. "
                                        "'Acute - Teaching', or an organisation code for its own group), ranked, "
                                        "with funnel limits")
    m.add_argument("--measure", choices=list(insight_commands.PEER_MEASURES), default="leaver_rate",
                   help="with --peer-group: the rate to rank and funnel (default leaver_rate)")
    m.add_argument("--staff-group", default="All staff groups", help="with --peer-group: staff group")
    add_disclosure_option(m)
    m.set_defaults(func=_metrics, area_check=areas.metrics_area)

    g = sub.add_parser("demo", help="regenerate the embedded synthetic demo data (deterministic)")
    g.add_argument("--out", default="data/demo")
    g.set_defaults(func=_demo)

    t = sub.add_parser("template", help="print the vacancy CSV template")
    t.set_defaults(func=_template)
