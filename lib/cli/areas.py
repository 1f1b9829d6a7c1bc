"""The area a command names, checked against the geography vintages before any figure is read.

Every command that takes an area (`--area`, or the `area` of a `--scenario` file) registers its check here as the
parser default `area_check`, and its run calls `args.area_check(args)` first. The check is the one function of
lib.data.geography (area_on_footprint: England, a region or a system of the footprint's vintage; a system of another
vintage says what it became), on the footprint the command runs on. `lib.cli.area_argument(argv)` runs only the
check, so a test can try every code of every vintage on every command in seconds.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lib.data import footprint, geography
from lib.data.loader import available_periods, sickness_periods

MAX_SCENARIO_BYTES = 1_000_000


def _key(args: argparse.Namespace, period: str | None) -> str:
    try:
        return footprint.footprint_key(args.level, getattr(args, "footprint", None), period)
    except ValueError as exc:
        raise ValueError(f"--footprint: {exc}") from None


def _latest(args: argparse.Namespace) -> str | None:
    """--period, else the latest loaded month of the level (None when nothing is loaded: the command says so)."""
    if getattr(args, "period", None):
        return args.period
    loaded = available_periods(args.data_dir, args.level)
    return loaded[-1] if loaded else None


def read_scenario(path: str):
    """The Scenario of a JSON file (ScenarioError for a bad document or a file over MAX_SCENARIO_BYTES; OSError)."""
    from lib.whatif.scenario import Scenario, ScenarioError
    with open(Path(path), "rb") as fh:
        text = fh.read(MAX_SCENARIO_BYTES + 1)
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError([f"file is larger than {MAX_SCENARIO_BYTES:,} bytes"])
    return Scenario.from_json(text)


def scenario_area(args: argparse.Namespace) -> str:
    """scenario, whatif-bridge: the scenario file's area on --footprint, else the footprint the file records, else
    the vintage in force for the period."""
    scn = read_scenario(args.scenario)
    try:
        key = footprint.footprint_key(args.level, getattr(args, "footprint", None) or scn.footprint, _latest(args))
    except ValueError as exc:
        raise ValueError(f"--footprint: {exc}") from None
    return geography.area_on_footprint(scn.area, key, "area")[0]


def bridge_area(args: argparse.Namespace) -> str:
    """bridge: a system of the footprint in force for --to (or --footprint), or England; not a region."""
    area = geography.area_on_footprint(args.area, _key(args, args.to_month), "--area")[0]
    if geography.area_kind(area) == "region":
        raise ValueError(f"--area {area}: the bridge is for one system or England (ENG); {area} is a region")
    return area


def spc_area(args: argparse.Namespace) -> str | None:
    """spc --data-dir: England, a region or a system of the footprint of the last month charted."""
    if not getattr(args, "data_dir", None) or args.area is None:
        return None
    if args.measure == "sickness_rate" and not args.period:
        loaded = sickness_periods(args.data_dir, args.level)
        period = loaded[-1] if loaded else None
    else:
        period = _latest(args)
    return geography.area_on_footprint(args.area.strip().upper(), _key(args, period), "--area")[0]


def metrics_area(args: argparse.Namespace) -> str | None:
    """metrics --area: the rows of one area (England, a region or a system of the footprint), or with
    --by-organisation the organisations of one system."""
    if args.area is None:
        return None
    return geography.area_on_footprint(args.area, _key(args, _latest(args)), "--area")[0]


def report_area(args: argparse.Namespace) -> str:
    """report: 'all', or a system (code or name) of the footprint of the period."""
    if args.area.strip().lower() == "all":
        return "all"
    key = _key(args, _latest(args))
    try:
        return geography.area_on_footprint(geography.resolve_area(args.area, key) or args.area, key, "--area")[0]
    except geography.AreaError as exc:   # a pack is one system's: name the footprint's systems
        systems = sorted(geography.area_codes(key))
        raise geography.AreaError(f"{exc} A board pack is for a system of the {geography.vintage(key).title}: "
                                  f"expected one of {', '.join(systems)} (or all)") from None
