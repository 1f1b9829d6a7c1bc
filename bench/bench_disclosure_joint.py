"""Issue 22 item 2: what joint suppression costs, against the per-table suppression it replaces.

For a store (default: a temporary store ingested from the real Oct-25 and Nov-25 turnover files in
../shared/reference/workforce), prints:
* the time to compute the plan (lib.insight.disclosure_plan.viewer_plan: wall and CPU seconds, rounds, cells added per round);
* per table kind and measure, for one period: cells shown in the tables, hidden by the per-table rule
  (lib.sharing.disclosure, before issue 22) and by the joint plan (a cell shown in two tables counts in each);
* what the cross-table attacker (tests/security/joint_attack.py) recovers against each.

    .venv/bin/python bench/bench_disclosure_joint.py [--store DIR] [--period 2025-11] [--no-attack]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lib.insight.disclosure_plan import viewer_plan  # noqa: E402
from tests.security.joint_attack import recovered, viewer_tables  # noqa: E402

MEASURES = {"staff in post": "fte", "staff in post at start": "sip_start_fte", "leavers": "leavers_hc",
            "joiners": "joiners_hc"}


def _store(path: str | None) -> Path:
    if path:
        return Path(path)
    from lib.data.ingest import ingest
    from tests.conftest import TURNOVER_NOV25, TURNOVER_OCT25
    d = Path(tempfile.mkdtemp(prefix="bench_joint_")) / "store"
    ingest([TURNOVER_OCT25, TURNOVER_NOV25], d)
    return d


def _kind(name: str) -> str:
    if name == "organisations":
        return "organisations"
    if name.startswith("without hosted"):
        return "without hosted services"
    return "systems/regions/England" if name.startswith("systems") else "care-setting cuts"


def counts(tables, period: str) -> pd.DataFrame:
    rows = []
    for t in tables:
        sh = t.shown[t.shown["period"] == period]
        tr = t.truth[t.truth["period"] == period]
        for mg, col in MEASURES.items():
            present = tr[col].notna().to_numpy()
            rows.append({"kind": _kind(t.name), "measure": mg, "cells": int(present.sum()),
                         "hidden": int((sh[col].isna().to_numpy() & present).sum())})
    return pd.DataFrame(rows).groupby(["kind", "measure"], sort=False).sum().reset_index()


def parser(doc: str) -> argparse.ArgumentParser:
    """The joint benches' common options: --store (default: the real Oct/Nov-25 files ingested) and --period."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--store")
    ap.add_argument("--period", default="2025-11")
    return ap


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--no-attack", action="store_true")
    args = ap.parse_args()
    store = _store(args.store)
    t0, c0 = time.perf_counter(), time.process_time()
    plan = viewer_plan(store, "ICS")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"plan: {wall:.1f} s wall, {cpu:.1f} s CPU; rounds {plan.stats['rounds']}, solves {plan.stats['solves']}, "
          f"cells added per round {plan.stats['added_by_round']}, {plan.stats['cells']} cells")
    per_table, systems = viewer_tables(store, "per_table", None)
    jt, _ = viewer_tables(store, "joint", plan)
    a = counts(per_table, args.period).rename(columns={"hidden": "hidden per table"})
    b = counts(jt, args.period)[["hidden"]].rename(columns={"hidden": "hidden jointly"})
    out = pd.concat([a, b], axis=1)
    out["more"] = out["hidden jointly"] - out["hidden per table"]
    print(out.to_string(index=False))
    if not args.no_attack:
        for name, tabs in (("per table", per_table), ("joint", jt)):
            t1 = time.perf_counter()
            rec, attacked = recovered(tabs, systems, args.period)
            by = pd.Series([r[3] for r in rec], dtype=str).value_counts().to_dict()
            orgs = sum(1 for r in rec if r[0] == "organisations")
            print(f"attacker vs {name}: {len(rec)} hidden cells under 5 recovered ({orgs} organisation cells) "
                  f"of {sum(attacked.values())} attacked; by column {by} ({time.perf_counter() - t1:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
