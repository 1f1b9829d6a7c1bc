"""geography commands: check the vintage files, list vintages, show where organisations go on a footprint."""
from __future__ import annotations

import argparse
import sys

from lib.data import footprint, geography
from lib.data.loader import available_periods, default_data_dir
from lib.insight import exports


def _check(args: argparse.Namespace) -> int:
    """Re-read every vintage and succession file from the directory and report (exit 2 on a problem)."""
    try:
        vintages, succ = geography.load_vintages(args.dir or geography.VINTAGE_DIR)
    except geography.VintageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for v in vintages.values():
        n = (succ["successor_vintage"] == v.key).sum()
        print(f"{v.key}: {v.label}, {v.level} level, in force from {v.effective_from}; {n} succession rows")
    print("vintage files are consistent")
    return 0


def _list(args: argparse.Namespace) -> int:
    sys.stdout.write(exports.to_csv_text(geography.vintage_summary()))
    return 0


def _assignments(args: argparse.Namespace) -> int:
    periods = available_periods(args.data_dir, "ICS")
    if not periods:
        print(f"error: no ICS data in {args.data_dir}; ingest files first", file=sys.stderr)
        return 2
    period = args.period or periods[-1]
    if period not in periods:
        print(f"error: --period {period!r} not loaded; loaded periods: {periods[0]} to {periods[-1]}", file=sys.stderr)
        return 2
    try:
        key = footprint.footprint_key("ICS", args.footprint, None)
    except ValueError as exc:
        print(f"error: --footprint: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(exports.to_csv_text(footprint.assignments(args.data_dir, key, period), float_format="%.10g"))
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("geography", help="geography vintages (ICBs of 2022, 2026...): check, list, assignments")
    gs = g.add_subparsers(dest="geography_command", required=True)
    c = gs.add_parser("check", help="check the vintage CSVs in lib/data/vintages (run after adding a vintage)")
    c.add_argument("--dir", help="directory of vintage CSVs (default lib/data/vintages)")
    c.set_defaults(func=_check)
    lst = gs.add_parser("list", help="list the vintages: key, level, title, date in force, systems by region")
    lst.set_defaults(func=_list)
    a = gs.add_parser("assignments", help="where each organisation of a period goes on a footprint, by which rule, "
                                          "with its FTE (closed and merged organisations included)")
    a.add_argument("--data-dir", default=str(default_data_dir()))
    a.add_argument("--period", help="YYYY-MM; default the latest loaded")
    a.add_argument("--footprint", help="vintage year or key; default the latest ICS vintage")
    a.set_defaults(func=_assignments)
