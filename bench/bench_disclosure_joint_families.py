"""Issue 22: what drives the joint suppression's hidden count. The plan (lib.sharing.joint) is computed again with
one overlapping table family left out at a time, and the hidden cells per table kind are printed for one period:

* all: every table a viewer reaches (lib.insight.disclosure_plan: organisations; systems, regions, England and the
  care-setting cuts on the 2022 and 2026 footprints; systems and England without hosted services);
* no care-setting cuts (both footprints), no care-setting cuts on the 2026 footprint only;
* no hosted-free tables; no 2026 footprint (its areas and care cuts); no month linking (the period alone);
* care-setting cuts for regions and England only (no care-setting cut of a system);
* organisations and 2022 systems only (the least a viewer sees).

With each: the plan's CPU time, how many "Acute - Large" trusts show an "All staff groups" leaver rate (leavers,
staff in post at start and at end all shown) and how many 2022 systems' All-staff Oct->Nov bridges are withheld
(lib.sharing.joint.bridge_hidden).

    .venv/bin/python bench/bench_disclosure_joint_families.py [--store DIR] [--period 2025-11] [--only all,no26]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_disclosure_joint import _store, parser  # noqa: E402
from lib.data import geography, loader  # noqa: E402
from lib.data.footprint import rebase, seen_systems  # noqa: E402
from lib.data.schema import ALL_STAFF  # noqa: E402
from lib.insight import disclosure_plan as dp  # noqa: E402
from lib.insight.metrics import SOURCE_PRIORITY  # noqa: E402
from lib.sharing import joint  # noqa: E402

MEASURES = ("staff in post", "leavers", "joiners")


def variants(keys: list[str]) -> dict[str, dict]:
    other = tuple(k for k in keys if k != "ICS")
    return {"all": {}, "no care-setting cuts": {"drop_care": tuple(keys)},
            "no care-setting cuts on 2026": {"drop_care": other},
            "no hosted-free tables": {"nohost": False}, "no 2026 footprint": {"footprints": ["ICS"]},
            "no month linking": {"period_only": True},
            "care-setting cuts for regions and England only": {"care_systems": False},
            "organisations + 2022 systems only": {"footprints": ["ICS"], "nohost": False, "drop_care": ("ICS",)}}


def plan_without(base: pd.DataFrame, keys: list[str], period: str, footprints=None, nohost=True, drop_care=(),
                 period_only=False, care_systems=True) -> tuple[joint.Plan, float]:
    fps = list(footprints or keys)

    def standard(units, f):
        t = joint.standard_tables(units, f)
        care = t["kind"] == "care"
        if not care_systems:  # a care setting's cut of a system: not offered
            systems = pd.concat([t.loc[care & (t["footprint"] == k), "code"].isin(units[f"area_{k}"])
                                 for k in f])
            care &= ~systems.reindex(t.index, fill_value=False)
            t = t[~((t["kind"] == "care") & ~care)]
            care = t["kind"] == "care"
        return t[~(care & t["footprint"].isin(drop_care))]

    b = base[base["period"] == period] if period_only else base
    b = b[[c for c in b.columns if not any(c.endswith("_" + k) for k in keys if k not in fps)]]
    c0 = time.process_time()
    with threadpool_limits(limits=1, user_api="blas"):
        plan = joint._plan_from_base(b, fps, (dp.hosted_free_tables,) if nohost else (), standard=standard)
    return plan, time.process_time() - c0


def usable(plan: joint.Plan, base: pd.DataFrame, period: str, prev: str) -> tuple[int, int, int, int]:
    """(Acute - Large trusts with an All-staff leaver rate shown, of; 2022 systems' bridges withheld, of)."""
    now = base[(base["period"] == period) & (base["staff_group"] == ALL_STAFF)]
    trusts = now.loc[now["benchmark_group"] == "Acute - Large", "org_code"].unique()
    rate = [o for o in trusts if not any(joint.cell_hidden(plan, "org", "", o, period, ALL_STAFF, mg)
                                         for mg in ("staff in post", "staff in post at start", "leavers"))]
    systems = sorted(set(now["area_ICS"]))
    withheld = [s for s in systems if joint.bridge_hidden(plan, "area", "ICS", s, prev, period, ALL_STAFF)]
    return len(rate), len(trusts), len(withheld), len(systems)


def main() -> int:
    ap = parser(__doc__)
    ap.add_argument("--only", help="comma-separated variant names (default: all of them)")
    args = ap.parse_args()
    store = _store(args.store)
    frame = loader.load_frame(store, "ICS")
    keys = [v.key for v in geography.level_vintages("ICS")]
    fps = {k: rebase(frame, k, seen_systems(store, k)) for k in keys}
    base = joint.base_rows(frame, fps, SOURCE_PRIORITY)
    prev = sorted(p for p in base["period"].unique() if p < args.period)[-1]
    todo = variants(keys)
    if args.only:
        todo = {k: v for k, v in todo.items() if k in args.only.split(",")}
    for name, kw in todo.items():
        plan, cpu = plan_without(base, keys, args.period, **kw)
        h = plan.hidden_counts()
        h = h[(h["period"] == args.period) & h["measure"].isin(MEASURES)]
        t = h.pivot_table(index="kind", columns="measure", values=["cells", "primary", "joint"], aggfunc="sum")
        print(f"== {name}: plan {cpu:.1f} s CPU, {plan.stats['rounds']} rounds")
        print(t.to_string())
        if not kw.get("period_only"):
            a, n, w, s = usable(plan, base, args.period, prev)
            print(f"Acute - Large, All staff groups: leaver rate shown for {a} of {n} trusts; "
                  f"All-staff {prev}->{args.period} bridges withheld for {w} of {s} systems", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
