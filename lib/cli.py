"""`python -m lib <command>`: a small command line over the core for analysts.

Each module listed in COMMAND_MODULES defines add_cli(subparsers); a missing one is skipped.
Commands return an exit code: 0 ok, 2 bad input (message on stderr, never a traceback).
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = ("lib.cli_data", "lib.stats_cli", "lib.scenario_cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lib", description="NHS workforce insight: data and analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.add_cli(sub)
    return parser


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
