"""status: what a data directory holds (periods, files, geography, problems)."""
from __future__ import annotations

import argparse
import json
import sys

from lib.data.loader import default_data_dir
from lib.insight.status import status_lines, store_status


def _status(args: argparse.Namespace) -> int:
    s = store_status(args.data_dir)
    if args.format == "json":
        json.dump(s, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print("\n".join(status_lines(s)))
    return 1 if s["problems"] and args.strict else 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="what is loaded: periods, files, geography, problems")
    p.add_argument("--data-dir", default=str(default_data_dir()),
                   help="store to describe (default $WORKFORCE_DATA_DIR, else the demo store)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="plain lines (default) or JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 when the store has problems (for scripts)")
    p.set_defaults(func=_status)
