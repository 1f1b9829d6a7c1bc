"""`python -m lib roles`: primary care networks' new roles by system (or PCN, region, England) and staff role."""
from __future__ import annotations

import argparse
import json
import sys

from lib.cli import insight_commands
from lib.data import geography, pcn_store
from lib.data.footprint import footprint_key
from lib.data.loader import default_data_dir
from lib.data.schema import is_period
from lib.insight import pcn_roles
from lib.insight import disclosure_plan
from lib.sharing import pcn_joint


def _roles(args: argparse.Namespace) -> int:
    loaded = pcn_store.periods(args.data_dir)
    if not loaded:
        print(f"error: no primary care network data in {args.data_dir}; ingest the 'Primary Care Networks - <Month "
              "Year> Individual Level' CSV files first (python -m lib ingest FILE...)", file=sys.stderr)
        return 2
    period = args.period or loaded[-1]
    if not is_period(period) or period not in loaded:
        print(f"error: --period {period!r} not loaded; loaded census months: {', '.join(loaded)}", file=sys.stderr)
        return 2
    try:
        key = footprint_key(args.level, args.footprint, period if args.footprint else None)
    except ValueError as exc:
        print(f"error: --footprint: {exc}", file=sys.stderr)
        return 2
    if args.footprint is None:
        key = pcn_store.LEVEL  # the files' own ICBs (2022 codes, every quarter restated on them)
    frame = pcn_store.on_footprint(pcn_store.load(args.data_dir, [period]), key)
    population = None
    if args.per_population:
        if args.by == "pcn":
            print("error: --per-population needs --by area, region or england (a PCN has no population of its "
                  "own in the ONS file)", file=sys.stderr)
            return 2
        population = pcn_store.population(args.data_dir, key)
        if population.empty:
            print(f"error: --per-population: no population in {args.data_dir}; ingest the ONS sub-ICB file first "
                  "(python -m lib ingest \"ICB Population estimates 2022.csv\")", file=sys.stderr)
            return 2
    systems = list(geography.vintage(key).areas["code"])
    out = pcn_roles.roles_table(frame, period, by=args.by, source=args.source, population=population,
                                systems=systems)
    sdc = getattr(args, "disclosure_control", False)
    if sdc:  # the plan of every PCN table a viewer can reach (the page's, read from beside the store)
        plan = disclosure_plan.pcn_viewer_plan(args.data_dir, [period])
        out = pcn_joint.apply(out, plan, pcn_joint.PCN if args.by == "pcn" else pcn_joint.AREA, key, args.source)
    out.insert(1, "footprint", key)
    out["data_source"] = args.source
    if population is not None:
        print(f"note: fte_per_100k = FTE / {pcn_store.POPULATION_TITLE} x 100,000, systems of the {key} footprint",
              file=sys.stderr)
    print(f"note: {period}: every role published that month is listed for every area (0 where none); "
          "headcount sums PCN x role cells (a person in two roles counts in each)", file=sys.stderr)
    insight_commands.write_table(out, args.format)
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("roles", help="primary care networks' new roles: FTE by area and staff role for one census "
                                     "month")
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--period", help="census month YYYY-MM (default the latest loaded)")
    p.add_argument("--level", choices=["ICS"], default="ICS", help="geography level (the files carry ICBs)")
    p.add_argument("--footprint", help="show the month on the systems of this vintage: 2022 (the files' own ICBs) "
                                       "or 2026 (a PCN goes where its sub-ICB location goes when its ICB was split)")
    p.add_argument("--by", choices=list(pcn_roles.BY), default="area", help="one row per system (area), PCN, "
                   "region or England, and staff role")
    p.add_argument("--source", choices=list(pcn_roles.SOURCES), default="all",
                   help="data source: all (default), staff (NWRS Staff) or contracted (NWRS contracted services)")
    p.add_argument("--per-population", action="store_true",
                   help="add population and fte_per_100k (ONS mid-2022, ingested from the sub-ICB file)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--disclosure-control", action="store_true",
                   help="hide cells with headcount or FTE under 5 and what would reveal them from any PCN "
                        "table (the PCN page's cells)")
    p.set_defaults(func=_roles)
