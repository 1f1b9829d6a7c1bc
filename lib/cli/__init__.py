"""`python -m lib <command>`: a small command line over the core for analysts.

Each command module defines add_cli(subparsers): data_commands (ingest, metrics, template, demo),
stats_commands (spc, funnel), whatif_commands (scenario), insight_commands (bridge, sickness; organisation options of metrics),
geography_commands (geography check/list/assignments), report_commands (report: the board pack PDF),
pcn_commands (roles), status_commands (status: what a store holds).
Commands return an exit code: 0 ok, 2 bad input (message on stderr, never a traceback).
"""
from __future__ import annotations

import argparse
import functools
import sys

from lib.cli import (data_commands, geography_commands, insight_commands, pcn_commands, report_commands,
                     stats_commands, status_commands, whatif_commands)

COMMAND_MODULES = (data_commands, stats_commands, whatif_commands, insight_commands, geography_commands,
                   report_commands, pcn_commands, status_commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="NHS workforce insight: data and analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_cli(sub)
    return parser


def area_commands() -> dict[str, argparse.ArgumentParser]:
    """The commands that take an area (an --area option or a --scenario file), by name."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: p for name, p in sub.choices.items()
            if any(o in p._option_string_actions for o in ("--area", "--scenario"))}


def area_argument(argv: list[str]) -> str | None:
    """The area the command line names, as the command checks it first (lib.cli.areas), without computing anything:
    the code on the command's footprint, or AreaError/ValueError saying why it is refused."""
    args = _check_parser().parse_args(argv)
    return args.area_check(args)


@functools.lru_cache(maxsize=1)
def _check_parser() -> argparse.ArgumentParser:
    return build_parser()   # built once for area_argument (a test asks it about 1,500 times)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        return 0
    except (ValueError, OSError) as exc:  # validation errors carry their own explanation
        print(f"error: {exc}", file=sys.stderr)
        return 2
