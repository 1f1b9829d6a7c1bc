"""Data-scale bench: the loader + metrics path against DuckDB on the same Parquet store.

Generates a national history at organisation level in the canonical store layout
(default ~250 organisations x 13 staff groups + "All staff groups" x 4 measures x 120 months;
--stress multiplies organisations by 10), then answers one question with each engine in its own
subprocess (so peak memory is that engine's alone):

    per month x ICS x staff group, plus NHS England regions and England: staff in post FTE and HC,
    joiners, leavers, leaver rate, joiner rate (FTE basis), FTE share of the area's total.

* engine "lib":      lib.data.loader.load_frame + lib.insight.metrics.area_metrics(include_regions, include_england)
* engine "lib-area": lib.insight.metrics.store_metrics, the app's and the CLI's call: the per-file checks, then one
  query from the accepted files to the metrics (months shown as published)
* engine "before" (--before TREE): lib-area as another checkout has it, interleaved in the same run
* engine "duckdb":   one SQL query over read_parquet('level=ICS/period=*/*.parquet')
  (both read the store and compute the metrics in DuckDB, lib/data/engine.py: the engine chosen in issue 16; the
  time includes the loader's per-file checks, reported apart as checks_s)
The answers are compared (max relative difference) and time (import excluded) / peak RSS reported with the
ratio to DuckDB, with the machine's load average before and after (timings on a busy machine are noisy).

    .venv/bin/python bench/bench_data_scale.py                # ~420k rows, 120 files
    .venv/bin/python bench/bench_data_scale.py --stress       # 10x organisations (~4.2M rows)
    .venv/bin/python bench/bench_data_scale.py --repeat 5 --keep /tmp/store
    .venv/bin/python bench/bench_data_scale.py --engines duckdb,lib-area --before /tmp/before  # main, interleaved
    .venv/bin/python bench/bench_data_scale.py --app          # the dashboard's call on the demo data
    .venv/bin/python bench/bench_data_scale.py --warm 12,60,120 --repeat 7 --keep /tmp/dscale   # issue 25
    .venv/bin/python bench/bench_data_scale.py --warm 12,60,120 --repeat 7 --keep /tmp/dscale --before /tmp/before
        # ... and another checkout (`git archive`, this script copied into its bench/), alternated in one run
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

QUESTION_COLUMNS = ["period", "area_code", "staff_group", "fte", "headcount", "joiners_fte", "leavers_fte",
                    "leaver_rate", "joiner_rate", "fte_share"]


# ------------------------------------------------------------------------------------------ generate
def generate(data_dir: Path, orgs_per_ics: int, months: int, seed: int = 7) -> dict:
    """Write `months` monthly turnover partitions with orgs_per_ics organisations in each of the 42 ICSs."""
    from lib.data import geography
    from lib.data.ingest import partition_path, table_bytes
    from lib.data.schema import ALL_STAFF, STAFF_GROUPS, month_add

    rng = np.random.default_rng(seed)
    icb = geography.ICBS
    groups = list(STAFF_GROUPS)
    n_org = len(icb) * orgs_per_ics
    area = np.repeat(icb["q_code"].to_numpy(), orgs_per_ics)
    region = np.repeat(icb["region_code"].to_numpy(), orgs_per_ics)
    name = np.repeat(icb["short_name"].to_numpy(), orgs_per_ics)
    org = np.array([f"R{i:04d}" for i in range(n_org)])
    share = rng.dirichlet(np.ones(len(groups)) * 3, size=n_org)          # role mix per organisation
    size = rng.lognormal(8.0, 0.8, size=n_org)                           # org FTE
    # Rows: org x (groups + total); a period is those rows with monthly drift.
    base_fte = (size[:, None] * share)                                   # n_org x G
    last = f"2025-{11:02d}"
    periods = [month_add(last, -k) for k in range(months - 1, -1, -1)]
    rows_written = 0
    t0 = time.perf_counter()
    sip = base_fte.copy()
    for p in periods:
        start = sip
        leavers = start * rng.uniform(0.005, 0.015, size=start.shape)
        joiners = start * rng.uniform(0.005, 0.016, size=start.shape)
        end = start - leavers + joiners
        hc_factor = rng.uniform(1.05, 1.15, size=start.shape)
        cols = {}
        for key, val in (("sip_start", start), ("sip_end", end), ("joiners", joiners), ("leavers", leavers)):
            fte = np.round(val, 5)
            hc = np.round(val * hc_factor)
            # "All staff groups" row: FTE of the groups sums to it; HC does not (people in two groups).
            cols[f"{key}_fte"] = np.column_stack([fte, fte.sum(axis=1)]).ravel()
            cols[f"{key}_hc"] = np.column_stack([hc, np.round(hc.sum(axis=1) * 0.97)]).ravel()
        g = len(groups) + 1
        df = pd.DataFrame({
            "period_start": month_add(p, -1), "period_end": p, "period_months": 1, "level": "ICS",
            "area_code": np.repeat(area, g), "area_name": np.repeat(name, g), "region_code": np.repeat(region, g),
            "org_code": np.repeat(org, g), "org_name": np.char.add("Trust ", np.repeat(org, g)),
            "staff_group": np.tile(np.array([*groups, ALL_STAFF]), n_org), "source": "turnover", **cols,
        })
        target = partition_path(data_dir, "ICS", p, "turnover")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(table_bytes(df))
        rows_written += len(df)
        sip = end
    (data_dir / "manifest.json").write_text(json.dumps({"synthetic": True, "description": "bench", "files": []}))
    size_mb = sum(f.stat().st_size for f in data_dir.rglob("*.parquet")) / 1e6
    return {"organisations": n_org, "staff_groups": len(groups) + 1, "months": months, "rows": rows_written,
            "files": months, "store_mb": round(size_mb, 1), "generate_s": round(time.perf_counter() - t0, 1)}


# ------------------------------------------------------------------------------------------ engines
DUCKDB_SQL = """
WITH f AS (
  SELECT * FROM read_parquet('{glob}', hive_partitioning = false)
  WHERE level = 'ICS'
),
area AS (
  SELECT period_end AS period, area_code, any_value(region_code) AS region_code, staff_group,
         sum(sip_start_fte) AS sip_start_fte, sum(sip_end_fte) AS sip_end_fte, sum(sip_end_hc) AS sip_end_hc,
         sum(joiners_fte) AS joiners_fte, sum(leavers_fte) AS leavers_fte
  FROM f GROUP BY ALL
),
allrows AS (
  SELECT period, area_code, staff_group, sip_start_fte, sip_end_fte, sip_end_hc, joiners_fte, leavers_fte
  FROM area
  UNION ALL
  SELECT period, region_code, staff_group, sum(sip_start_fte), sum(sip_end_fte), sum(sip_end_hc),
         sum(joiners_fte), sum(leavers_fte) FROM area GROUP BY ALL
  UNION ALL
  SELECT period, 'ENG', staff_group, sum(sip_start_fte), sum(sip_end_fte), sum(sip_end_hc),
         sum(joiners_fte), sum(leavers_fte) FROM area GROUP BY ALL
)
SELECT a.period, a.area_code, a.staff_group, a.sip_end_fte AS fte, a.sip_end_hc AS headcount,
       a.joiners_fte, a.leavers_fte,
       CASE WHEN (a.sip_start_fte + a.sip_end_fte) > 0
            THEN a.leavers_fte / ((a.sip_start_fte + a.sip_end_fte) / 2) END AS leaver_rate,
       CASE WHEN (a.sip_start_fte + a.sip_end_fte) > 0
            THEN a.joiners_fte / ((a.sip_start_fte + a.sip_end_fte) / 2) END AS joiner_rate,
       CASE WHEN t.sip_end_fte > 0 THEN a.sip_end_fte / t.sip_end_fte END AS fte_share
FROM allrows a LEFT JOIN allrows t
  ON t.period = a.period AND t.area_code = a.area_code AND t.staff_group = 'All staff groups'
"""


def run_engine(engine: str, data_dir: Path, out: Path) -> dict:
    """Runs in a fresh subprocess: time and peak RSS of one engine answering the question."""
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if engine == "lib":
        from lib.data.loader import load_frame, store_problems
        from lib.insight.metrics import area_metrics
        t_imp, c_imp = time.perf_counter(), time.process_time()
        refused = store_problems(data_dir, "ICS")  # the per-file checks (footers, overlaps), timed on their own
        t_chk, c_chk = time.perf_counter(), time.process_time()
        frame = load_frame(data_dir, "ICS")
        t_load, c_load = time.perf_counter(), time.process_time()
        res = area_metrics(frame, by_staff_group=True, include_regions=True, include_england=True)
        res = res[QUESTION_COLUMNS]
        t_end = time.perf_counter()
        split = {"import_s": t_imp - t0, "checks_s": t_chk - t_imp, "load_s": t_load - t_chk,
                 "metrics_s": t_end - t_load, "checks_cpu_s": c_chk - c_imp, "load_cpu_s": c_load - c_chk,
                 "metrics_cpu_s": time.process_time() - c_load, "frame_rows": len(frame), "refused": len(refused)}
    elif engine == "lib-area":
        # The app's and the CLI's call: lib.insight.metrics.store_metrics on the ICS footprint (every month of this
        # store is of that vintage, so shown as published). store_metrics runs the per-file checks itself (cached
        # per file in the process); they are run first here to time them apart from the store read + metrics.
        from lib.data.loader import store_problems
        from lib.insight.metrics import store_metrics
        t_imp, c_imp = time.perf_counter(), time.process_time()
        refused = store_problems(data_dir, "ICS")
        t_chk, c_chk = time.perf_counter(), time.process_time()
        res = store_metrics(data_dir, "ICS", by_staff_group=True, include_regions=True, include_england=True)
        res = res[QUESTION_COLUMNS]
        t_end = time.perf_counter()
        split = {"import_s": t_imp - t0, "checks_s": t_chk - t_imp, "read_metrics_s": t_end - t_chk,
                 "checks_cpu_s": c_chk - c_imp, "read_metrics_cpu_s": time.process_time() - c_chk,
                 "refused": len(refused)}
    else:
        import duckdb
        t_imp, c_imp = time.perf_counter(), time.process_time()
        con = duckdb.connect()
        res = con.execute(DUCKDB_SQL.format(glob=str(data_dir / "level=ICS" / "period=*" / "*.parquet"))).df()
        t_end = time.perf_counter()
        split = {"import_s": t_imp - t0, "query_s": t_end - t_imp}
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # CPU seconds (all threads) barely move with other load on the machine, unlike wall time.
    cpu = time.process_time() - c_imp
    res.to_parquet(out)
    return {"engine": engine, "seconds": t_end - t_imp, **split, "cpu_s": cpu, "rows_out": len(res),
            "peak_rss_mb": rss1 / 1024, "rss_before_mb": rss0 / 1024}


def engine_subprocess(engine: str, data_dir: Path, out: Path, before: Path | None = None) -> dict:
    """One engine in a fresh process; engine "before": lib-area as the tree `before` has it (its own copy of this
    script, so both trees answer the same question in the same run)."""
    script, repo = (before / "bench" / Path(__file__).name, before) if engine == "before" else (Path(__file__), REPO)
    cmd = [sys.executable, str(script), "--engine", "lib-area" if engine == "before" else engine,
           "--data-dir", str(data_dir), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=repo)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{proc.stderr}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "engine": engine}


def compare(a: pd.DataFrame, b: pd.DataFrame) -> float:
    keys = ["period", "area_code", "staff_group"]
    m = a.merge(b, on=keys, suffixes=("_lib", "_duck"), how="outer", indicator=True)
    if (m["_merge"] != "both").any():
        raise SystemExit(f"answers differ in rows: {m['_merge'].value_counts().to_dict()}")
    worst = 0.0
    for c in QUESTION_COLUMNS[3:]:
        x, y = m[f"{c}_lib"].astype(float).to_numpy(), m[f"{c}_duck"].astype(float).to_numpy()
        if not np.array_equal(np.isnan(x), np.isnan(y)):
            raise SystemExit(f"answers differ in missing values for {c}")
        ok = ~np.isnan(x)
        rel = np.abs(x[ok] - y[ok]) / np.maximum(np.abs(y[ok]), 1e-12)
        worst = max(worst, float(rel.max()) if rel.size else 0.0)
    return worst


def load_average() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3]) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "load average unknown"


def app_use(data_dir: Path, repeat: int) -> None:
    """The dashboard's own call (ui/data.py::_metrics): every period of a level, areas + regions + England, all
    staff groups, in one warm process (the server is long-running), with each loader."""
    from lib.data import loader
    from lib.insight.metrics import area_metrics
    for level in loader.available_levels(data_dir):
        for name, load in (("load_frame", loader.load_frame), ("load_area_frame", loader.load_area_frame)):
            times = []
            for _ in range(repeat + 1):  # the first run warms imports and kernels and is not counted
                loader._CHECKED.clear()  # footer checks redone each run, as after a new extract
                t0, c0 = time.perf_counter(), time.process_time()
                frame = load(data_dir, level)
                t1, c1 = time.perf_counter(), time.process_time()
                m = area_metrics(frame, by_staff_group=True, basis="fte", include_england=True, include_regions=True)
                times.append((t1 - t0, time.perf_counter() - t1, c1 - c0, time.process_time() - c1))
            load_s, metrics_s, load_cpu, metrics_cpu = (statistics.median(x) * 1000 for x in zip(*times[1:]))
            print(f"app {level} {name:15s}: {m['period'].nunique()} periods, {len(frame)} rows in, {len(m)} out: "
                  f"load {load_s:.0f} ms + area_metrics {metrics_s:.0f} ms = {load_s + metrics_s:.0f} ms wall; "
                  f"CPU {load_cpu:.0f} + {metrics_cpu:.0f} ms (medians of {repeat})")


def warm_scale(months_list: list[int], orgs_per_ics: int, repeat: int, keep: Path | None,
               json_out: Path | None = None) -> list[dict]:
    """Issue 25: the app's metrics call (lib.insight.metrics.store_metrics, as ui/data.py makes it) against DuckDB's
    bare query for the same answer, in ONE warm process (a server is long-running: the first call of each, which
    pays imports and one-off set-up, is run and not counted), interleaved call by call, at each history length.
    The loader's per-file checks are cached per file in the process (as in the server after its first load) and
    timed apart with the cache cleared (what a data change costs once)."""
    import duckdb
    from lib.data import loader
    from lib.insight import metrics
    from lib.insight.metrics import store_metrics
    root = keep or Path(tempfile.mkdtemp(prefix="bench_scale_warm_"))
    con = duckdb.connect()  # threads allowed (DuckDB's default: every core)
    print(f"start: {load_average()}", flush=True)
    rows = []
    try:
        for months in months_list:
            d = root / f"m{months}"
            if not any(d.glob("level=ICS/period=*/*.parquet")):
                generate(d, orgs_per_ics, months)
            sql = DUCKDB_SQL.format(glob=str(d / "level=ICS" / "period=*" / "*.parquet"))
            lib_call = (lambda d=d: store_metrics(d, "ICS", by_staff_group=True, include_regions=True,
                                                  include_england=True)[QUESTION_COLUMNS])
            duck_call = (lambda sql=sql: con.execute(sql).df())
            split = getattr(metrics, "MONTHS_PER_QUERY", None)  # a long history split across cores (issue 25)

            def one_query(lib_call=lib_call):  # the same call with the history as ONE query (no split)
                metrics.MONTHS_PER_QUERY = 10 ** 9
                try:
                    return lib_call()
                finally:
                    metrics.MONTHS_PER_QUERY = split
            calls = [(duck_call, [], []), (lib_call, [], [])]
            if split is not None and months // split > 1:
                calls.append((one_query, [], []))
            for call, _, _ in calls:
                call()  # first calls: one-off costs, not counted
            for _ in range(repeat):
                for call, ts, cs in calls:
                    t0, c0 = time.perf_counter(), time.process_time()
                    out = call()
                    ts.append(time.perf_counter() - t0)
                    cs.append(time.process_time() - c0)
            (_, t_duck, c_duck), (_, t_lib, c_lib) = calls[:2]
            one = calls[2] if len(calls) > 2 else None
            loader._CHECKED.clear()
            t0 = time.perf_counter()
            loader.store_problems(d, "ICS")
            checks = time.perf_counter() - t0
            answer = lib_call()
            if json_out is not None:
                answer.to_parquet(json_out)
            worst = compare(answer, duck_call())
            r = {"months": months, "lib_ms": 1000 * statistics.median(t_lib), "duck_ms": 1000 * statistics.median(t_duck),
                 "lib_cpu_ms": 1000 * statistics.median(c_lib), "duck_cpu_ms": 1000 * statistics.median(c_duck),
                 "ratio": statistics.median(a / b for a, b in zip(t_lib, t_duck)), "checks_ms": 1000 * checks,
                 "rows": len(out), "worst": worst}
            if one is not None:
                r.update(one_ms=1000 * statistics.median(one[1]), one_cpu_ms=1000 * statistics.median(one[2]),
                         one_ratio=statistics.median(a / b for a, b in zip(one[1], t_duck)))
            rows.append(r)
            print(f"{months:4d} months: metrics call {r['lib_ms']:.0f} ms (CPU {r['lib_cpu_ms']:.0f}), DuckDB bare "
                  f"{r['duck_ms']:.0f} ms (CPU {r['duck_cpu_ms']:.0f}): {r['ratio']:.2f}x (median of {repeat} paired "
                  f"ratios; goal <= 1.2x at 120); per-file checks once after a data change {checks * 1000:.0f} ms; "
                  f"{r['rows']} rows, answers agree to {worst:.1e} | {load_average()}", flush=True)
            if one is not None:
                print(f"      the same call as one query (no split across cores): {r['one_ms']:.0f} ms (CPU "
                      f"{r['one_cpu_ms']:.0f}): {r['one_ratio']:.2f}x", flush=True)
        if len(rows) > 1:
            a, b = rows[0], rows[-1]
            slope = (b["lib_ms"] - a["lib_ms"]) / (b["months"] - a["months"])
            dslope = (b["duck_ms"] - a["duck_ms"]) / (b["months"] - a["months"])
            print(f"per loaded month: metrics call +{slope:.2f} ms, DuckDB bare +{dslope:.2f} ms")
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"end: {load_average()}")
    return rows


def warm_before_after(months_list: list[int], orgs_per_ics: int, repeat: int, keep: Path, before: Path,
                      rounds: int) -> None:
    """--warm with --before: the warm measurement in the tree `before` (its own copy of this script) and in this
    one, alternated history length by history length and round by round in one run, each process timing its own
    metrics call against its own bare DuckDB query (ratios compare; absolute times move with the machine's load).
    Also checks the two trees' answers are identical to the bit."""
    import pandas as pd
    print(f"start: {load_average()}", flush=True)
    got: dict[tuple[str, int], list[dict]] = {}
    for rnd in range(rounds):
        for months in months_list:
            for tree, repo in (("before", before), ("now", REPO)):
                out = keep / f"answer_{tree}_m{months}.parquet"
                cmd = [sys.executable, str(repo / "bench" / Path(__file__).name), "--warm", str(months),
                       "--repeat", str(repeat), "--orgs-per-ics", str(orgs_per_ics), "--keep", str(keep),
                       "--json-out", str(out)]
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=repo)
                if proc.returncode != 0:
                    raise SystemExit(f"{tree} failed:\n{proc.stderr}")
                row = json.loads(proc.stdout.strip().splitlines()[-1])[0]
                got.setdefault((tree, months), []).append(row)
                print(f"round {rnd + 1} {tree:6s} {months:4d} months: metrics {row['lib_ms']:.0f} ms "
                      f"(CPU {row['lib_cpu_ms']:.0f}), DuckDB {row['duck_ms']:.0f} ms (CPU {row['duck_cpu_ms']:.0f}): "
                      f"{row['ratio']:.2f}x | {load_average()}", flush=True)
    print("\n| months | before: metrics / DuckDB ms, ratio | now: metrics / DuckDB ms, ratio | answers |")
    print("|---|---|---|---|")
    for months in months_list:
        cells = []
        for tree in ("before", "now"):
            rs = got[(tree, months)]
            cells.append(f"{statistics.median(r['lib_ms'] for r in rs):.0f} / "
                         f"{statistics.median(r['duck_ms'] for r in rs):.0f}, "
                         f"**{statistics.median(r['ratio'] for r in rs):.2f}x** "
                         f"(CPU {statistics.median(r['lib_cpu_ms'] / r['duck_cpu_ms'] for r in rs):.2f}x)")
        ones = [r["one_ratio"] for r in got[("now", months)] if "one_ratio" in r]
        if ones:
            cells[-1] += f"; as one query {statistics.median(ones):.2f}x"
        a, b = (pd.read_parquet(keep / f"answer_{t}_m{months}.parquet") for t in ("before", "now"))
        cells.append("identical to the bit" if a.equals(b) else "DIFFER")
        print(f"| {months} | " + " | ".join(cells) + " |")
    print(f"end: {load_average()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stress", action="store_true", help="10x organisations")
    ap.add_argument("--orgs-per-ics", type=int, default=6, help="organisations per ICS (6 x 42 = 252)")
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3, help="runs per engine (median reported)")
    ap.add_argument("--engines", default="duckdb,lib,lib-area",
                    help="comma-separated, from duckdb, lib (load_frame), lib-area (load_area_frame, as the app and "
                         "the CLI)")
    ap.add_argument("--app", nargs="?", const=str(REPO / "data" / "demo"), metavar="DATA_DIR",
                    help="instead: time the dashboard's call (all periods of each level) on DATA_DIR (demo data)")
    ap.add_argument("--keep", help="generate into / reuse this directory instead of a temporary one")
    ap.add_argument("--before", metavar="TREE",
                    help="also run engine 'before': lib-area in another checkout of the product (e.g. main, from "
                         "`git archive HEAD`, with this script copied into its bench/), interleaved in the same run")
    ap.add_argument("--warm", metavar="MONTHS,...",
                    help="instead: the app's metrics call vs DuckDB's bare query in one warm process at each history "
                         "length, e.g. --warm 12,60,120 (issue 25)")
    ap.add_argument("--rounds", type=int, default=2, help="with --warm and --before: rounds of both trees")
    ap.add_argument("--json-out", help=argparse.SUPPRESS)
    ap.add_argument("--engine", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine:  # child process
        print(json.dumps(run_engine(args.engine, Path(args.data_dir), Path(args.out))))
        return
    if args.warm:
        months = [int(x) for x in args.warm.split(",")]
        orgs = args.orgs_per_ics * (10 if args.stress else 1)
        if args.before:
            keep = Path(args.keep or tempfile.mkdtemp(prefix="bench_scale_warm_"))
            warm_before_after(months, orgs, args.repeat, keep, Path(args.before).resolve(), args.rounds)
            return
        rows = warm_scale(months, orgs, args.repeat, Path(args.keep) if args.keep else None,
                          Path(args.json_out) if args.json_out else None)
        if args.json_out:
            print(json.dumps(rows))
        return
    if args.app:
        print(load_average())
        app_use(Path(args.app), max(args.repeat, 5))
        print(load_average())
        return

    orgs = args.orgs_per_ics * (10 if args.stress else 1)
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        if not any(tmp.glob("level=ICS/period=*/*.parquet")):
            info = generate(tmp, orgs, args.months)
        else:
            info = {"reused": str(tmp), "files": len(list(tmp.glob("level=ICS/period=*/*.parquet")))}
        print("store:", json.dumps(info))
        print("before:", load_average())
        engines = ["duckdb", *(e for e in args.engines.split(",") if e != "duckdb")]
        before = Path(args.before).resolve() if args.before else None
        if before is not None:
            engines.append("before")
        results: dict[str, list[dict]] = {e: [] for e in engines}
        for _ in range(args.repeat):
            for eng in engines:  # alternate so neither always runs on a warm page cache first
                results[eng].append(engine_subprocess(eng, tmp, tmp / f"answer_{eng}.parquet", before))
        print("after: ", load_average())
        duck = pd.read_parquet(tmp / "answer_duckdb.parquet")
        summary = {}
        for eng, runs in results.items():
            summary[eng] = {k: round(statistics.median(r[k] for r in runs), 3)
                            for k in runs[0] if isinstance(runs[0][k], (int, float)) and k != "rows_out"}
            summary[eng]["min_seconds"] = round(min(r["seconds"] for r in runs), 3)  # least disturbed run
            summary[eng]["rows_out"] = runs[0]["rows_out"]
            print(f"{eng:9s} " + json.dumps(summary[eng]))
        for eng in engines[1:]:
            worst = compare(pd.read_parquet(tmp / f"answer_{eng}.parquet"), duck)
            ratio_t = summary[eng]["seconds"] / summary["duckdb"]["seconds"]
            ratio_min = summary[eng]["min_seconds"] / summary["duckdb"]["min_seconds"]
            ratio_m = summary[eng]["peak_rss_mb"] / summary["duckdb"]["peak_rss_mb"]
            ratio_c = summary[eng]["cpu_s"] / summary["duckdb"]["cpu_s"]
            print(f"{eng}: time vs duckdb {ratio_t:.2f}x median, {ratio_min:.2f}x best run (goal <= 1.2x); "
                  f"CPU {ratio_c:.2f}x; peak RSS {ratio_m:.2f}x; answers agree with duckdb to {worst:.1e} "
                  f"(max relative difference, {summary[eng]['rows_out']} rows)")
        if "before" in engines and "lib-area" in engines:
            now, then = (pd.read_parquet(tmp / f"answer_{e}.parquet") for e in ("lib-area", "before"))
            same = now.equals(then)  # exact: same rows, order, values and missing values
            print(f"lib-area vs before: answers {'identical to the bit' if same else 'DIFFER'}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
