"""Issue 22 item 2, primary care network tables: what the joint plan (lib.sharing.pcn_joint) costs and hides, against
the per-table rule it replaces (lib.sharing.pcn_cells before issue 22, kept as tests/security/pcn_attack.per_table_rule).

For a store (default: a temporary store ingested from the eight real PCN files and the ONS population in
../shared/reference), per quarter: the time to compute (or read) the quarter's plan
(lib.insight.disclosure_plan.pcn_viewer_plan), and for the joint plan and the per-table rule, every PCN table a viewer
can reach (3 data sources x PCNs, systems, regions, England on both footprints): cells shown, cells hidden per table
kind, hidden cells under 5 attacked and recovered by the cross-table attacker (tests/security/pcn_attack.py).
Figures: bench/README.md.

    .venv/bin/python bench/bench_disclosure_pcn.py [--store DIR] [--period YYYY-MM ...] [--csv OUT]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lib.data import ingest, pcn_store  # noqa: E402
from lib.insight import disclosure_plan  # noqa: E402
from tests.security import pcn_attack  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store")
    ap.add_argument("--period", nargs="*")
    ap.add_argument("--csv")
    args = ap.parse_args()
    if args.store:
        store = Path(args.store)
    else:
        ref = REPO.parent / "shared" / "reference"
        files = sorted((ref / "workforce" / "pcn").glob("*.csv"), key=lambda p: int(p.name.split(".")[0]))
        store = Path(tempfile.mkdtemp(prefix="bench_pcn_"))
        ingest.ingest([*files, ref / "population" / "ICB Population estimates 2022.csv"], store)
    out = []
    for p in args.period or pcn_store.periods(store):
        t0, c0 = time.perf_counter(), _cpu()
        plan = disclosure_plan.pcn_viewer_plan(store, [p])
        plan_s, plan_cpu = time.perf_counter() - t0, _cpu() - c0
        rows = pcn_store.load(store, [p])
        frames = {k: pcn_store.on_footprint(rows, k) for k in ("ICS", "ICS2026")}
        for mode in ("joint", "per_table"):
            c1 = _cpu()
            tables = pcn_attack.viewer_tables(frames, p, mode, plan)
            rec, attacked = pcn_attack.recovered(tables, frames, p)
            rec_row = {"period": p, "rule": mode, "plan_wall_s": round(plan_s, 1), "plan_cpu_s": round(plan_cpu, 1),
                       "attack_cpu_s": round(_cpu() - c1, 1), "attacked_fte": attacked.get("fte", 0),
                       "attacked_headcount": attacked.get("headcount", 0), "recovered": len(rec)}
            for t in tables:
                kind = t.name.split(",")[0].split(" ")[0]
                rec_row[f"cells_{kind}"] = rec_row.get(f"cells_{kind}", 0) + len(t.shown)
                rec_row[f"hidden_{kind}"] = rec_row.get(f"hidden_{kind}", 0) + int(t.shown["fte"].isna().sum())
            out.append(rec_row)
            print(rec_row, flush=True)
    df = pd.DataFrame(out)
    print(df.to_string(index=False))
    if args.csv:
        df.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
