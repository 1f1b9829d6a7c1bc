"""Inside a system from the command line: organisation metrics, care-setting and peer-group metrics (options of
`metrics`), the staff-in-post bridge (`bridge`) and sickness absence (`sickness`)."""
from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from lib.cli import areas
from lib.data import footprint, geography
from lib.data.loader import available_periods, default_data_dir, sickness_periods
from lib.data.schema import ALL_STAFF, is_period, known_staff_group_labels, normalise_staff_group
from lib.insight import bridge as br
from lib.insight import exports
from lib.insight import organisations as og
from lib.insight import sickness as sk
from lib.sharing import joint
from lib.stats.signals import SignalError
from lib.whatif.scenario import Scenario, ScenarioError

MAX_SCENARIO_BYTES = 1_000_000

PEER_MEASURES = ("leaver_rate", "joiner_rate", "vacancy_rate")


def write_table(out: pd.DataFrame, fmt: str) -> None:
    """A command's table on stdout: JSON records, or CSV (spreadsheet formulas neutralised; floats to 10 digits)."""
    if fmt == "json":
        json.dump(json.loads(out.to_json(orient="records", double_precision=15)), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(exports.to_csv_text(out, float_format="%.10g"))


def _staff_group(label: str) -> str:
    g = normalise_staff_group(label)
    if g is None:
        raise ValueError(f"unknown staff group {label!r}; known: {'; '.join(known_staff_group_labels())}")
    return g


def footprint_key_or_fail(level: str, choice: str | None, period: str | None) -> str:
    """The geography key for --footprint (lib.data.footprint.footprint_key); a bad choice is a plain refusal."""
    try:
        return footprint.footprint_key(level, choice, period)
    except ValueError as exc:
        raise og.NoOrganisations(f"--footprint: {exc}") from None


def organisation_metrics(args: argparse.Namespace, period: str, plan: joint.Plan | None = None) -> int:
    """`metrics --by-organisation / --care-setting / --peer-group` (called by data_commands._metrics), with each
    organisation under its system on the --footprint vintage (default the vintage in force for the period).
    plan: disclosure control on (lib.sharing.joint): every table printed with the app's hidden cells."""
    key = footprint_key_or_fail(args.level, getattr(args, "footprint", None), period)
    if args.area:  # checked against the vintages before anything is read
        args.area, _ = geography.area_on_footprint(args.area, key, "--area")
    frame = footprint.load_frame(args.data_dir, key, periods=[period])

    def org_metrics() -> pd.DataFrame:
        m = og.org_metrics(frame, basis=args.basis, level=key)
        return m if plan is None else joint.apply(m, plan, "org")

    if args.care_setting:
        out = og.care_setting_metrics(frame, args.care_setting, basis=args.basis, include_england=args.england,
                                      include_regions=args.regions)
        if plan is not None:
            out = joint.apply(out, plan, "care", key, args.care_setting)
        if not args.by_staff_group:
            out = out[out["staff_group"] == ALL_STAFF]
        write_table(out.reset_index(drop=True), args.format)
        return 0
    m = org_metrics()
    if args.area:
        if args.area not in set(m["system_code"]):
            raise ValueError(f"--area {args.area!r}: no organisations of that system are loaded; systems: "
                             f"{', '.join(sorted(m['system_code'].dropna().unique()))}")
        m = m[m["system_code"] == args.area]
    if args.peer_group:
        group = args.peer_group
        codes = set(m["org_code"])
        if group in codes:  # an organisation code: its own peer group
            group = m.loc[m["org_code"] == group, "benchmark_group"].iloc[0]
        known = og.peer_groups(frame)
        if group not in known:
            raise ValueError(f"--peer-group {args.peer_group!r} is neither a peer group nor an organisation code; "
                             f"peer groups: {', '.join(known)}")
        m = org_metrics()  # peers are national
        peers = m[(m["benchmark_group"] == group) & (m["staff_group"] == _staff_group(args.staff_group))]
        anchor = peers["org_code"].iloc[0]
        cmp = og.peer_comparison(m, anchor, period, _staff_group(args.staff_group), args.measure)
        out = cmp.peers.rename(columns={"value": args.measure}).assign(peer_group=group, period=period)
        if cmp.funnel is not None:
            lim = cmp.funnel.units.set_index("area_code")
            for c in ("numerator", "denominator", "lower_95", "upper_95", "lower_99_8", "upper_99_8"):
                out[c] = out["org_code"].map(lim[c])
            out["pooled_rate"] = cmp.funnel.result.target
        write_table(out, args.format)
        return 0
    if not args.by_staff_group:
        m = m[m["staff_group"] == ALL_STAFF]
    write_table(by_organisation_columns(m), args.format)
    return 0


def by_organisation_columns(m):
    """Organisation rows in their own words: org_code and org_name first, then the system they sit in (system_code,
    system_name); no area_code/area_name, which held the organisation's code and name (issue 24)."""
    m = m.drop(columns=[c for c in ("area_code", "area_name") if c in m.columns]).reset_index(drop=True)
    first = [c for c in ("period", "org_code", "org_name", "system_code", "system_name", "region_code") if c in m]
    return m[first + [c for c in m.columns if c not in first]]


def _bridge(args: argparse.Namespace) -> int:
    for name in ("from_month", "to_month"):
        if not is_period(getattr(args, name)):
            raise ValueError(f"--{name.split('_')[0]} {getattr(args, name)!r} is not a month; expected YYYY-MM")
    key = footprint_key_or_fail(args.level, args.footprint, args.to_month)
    area = args.area_check(args)  # lib.cli.areas.bridge_area: a system of the footprint or England
    group = _staff_group(args.staff_group)
    frame = footprint.load_frame(args.data_dir, key, area_codes=None if area == br.ENGLAND_CODE else [area])
    b = br.staff_in_post_bridge(frame, area, args.from_month, args.to_month, group, args.basis, org_code=args.org)
    if args.format == "text":
        name = geography.area_name_lookup(key).get(area, "England" if area == br.ENGLAND_CODE else area)
        print(f"{name} ({args.org or area}), {group}")
        for line in br.bridge_text(b):
            print("  " + line)
        for n in b.notes:
            print("note: " + n)
    else:
        write_table(b.table.assign(area_code=b.area_code, staff_group=group, basis=b.basis,
                              start_month=b.start_month, end_month=b.end_month), args.format)
    return 0


def _sickness(args: argparse.Namespace) -> int:
    periods = sickness_periods(args.data_dir, args.level)
    if not periods:
        raise ValueError(f"no sickness absence figures in {args.data_dir}; ingest the NHS Digital sickness absence "
                         "CSV first (python -m lib ingest FILE)")
    period = args.period or periods[-1]
    if period not in periods:
        raise ValueError(f"--period {period!r} has no sickness absence figures; loaded: {', '.join(periods)}")
    key = footprint_key_or_fail(args.level, args.footprint, period)
    df = footprint.load_sickness(args.data_dir, key, periods=None if args.trend else [period])
    out = sk.rates(df if args.trend else df[df["period_end"] == period], args.by, _staff_group(args.staff_group),
                   key)
    write_table(out, args.format)
    return 0


def _whatif_bridge(args: argparse.Namespace) -> int:
    try:
        with open(args.scenario, "rb") as fh:
            text = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(text) > MAX_SCENARIO_BYTES:
            raise ScenarioError([f"file is larger than {MAX_SCENARIO_BYTES:,} bytes"])
        scn = Scenario.from_json(text)
    except ScenarioError as exc:
        print(f"error: {args.scenario}: invalid scenario:\n  " + "\n  ".join(exc.errors), file=sys.stderr)
        return 2
    from lib.cli.whatif_commands import scenario_footprint
    from lib.whatif.studio import load_baseline
    periods = available_periods(args.data_dir, args.level)
    if not periods:
        raise ValueError(f"no {args.level} data in {args.data_dir}; ingest files first")
    period = args.period or periods[-1]
    if period not in periods:
        raise ValueError(f"--period {period!r} not loaded at {args.level} level; loaded: {', '.join(periods)}")
    args.area_check(args)  # lib.cli.areas.scenario_area: the file's area on the footprint, before the baseline
    # the baseline the page and `scenario` use (evidence window, vacancy coverage, national default vacancies)
    baseline = load_baseline(args.data_dir, scenario_footprint(args, scn, period), period)
    group = _staff_group(args.staff_group) if args.staff_group else None
    try:
        out = br.whatif_bridge(scn, baseline, figure=args.figure, staff_group=group)
    except ScenarioError as exc:
        print(f"error: {args.scenario}: scenario does not fit the data:\n  " + "\n  ".join(exc.errors),
              file=sys.stderr)
        return 2
    if args.format == "text":
        what = "staff in post FTE" if args.figure == "fte" else "gap (demand - capacity, FTE)"
        print(f"{scn.area}: {what} in year {scn.horizon}{', ' + group if group else ''} (levers added in order)")
        for r in out.itertuples():
            print(f"  {r.label}: {'' if r.kind == 'total' else ('+' if r.value >= 0 else '')}{r.value:,.1f}")
    else:
        write_table(out, args.format)
    return 0


def add_cli(sub: argparse._SubParsersAction) -> None:
    d = str(default_data_dir())
    b = sub.add_parser("bridge", help="staff-in-post bridge: start, leavers, joiners, residual, end")
    b.add_argument("--area", required=True, help="system code of the footprint (e.g. QKK, S0E4D) or ENG")
    b.add_argument("--from", dest="from_month", required=True, help="YYYY-MM: staff in post at the end of this month")
    b.add_argument("--to", dest="to_month", required=True, help="YYYY-MM: to staff in post at the end of this month")
    b.add_argument("--staff-group", default=ALL_STAFF,
                   help="an NHS Digital staff group, e.g. 'Nurses & health visitors' (default All staff groups)")
    b.add_argument("--org", help="bridge one organisation (its code) instead of the whole system")
    b.add_argument("--basis", choices=["fte", "hc"], default="fte",
                   help="full-time equivalent (fte, default) or headcount (hc)")
    b.add_argument("--data-dir", default=d, help="store to read (default $WORKFORCE_DATA_DIR, else the demo store)")
    b.add_argument("--level", choices=["ICS", "STP"], default="ICS", help="geography level (default ICS)")
    b.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="text (a line a step, default), csv or json")
    b.add_argument("--footprint", help="count each organisation in its system on this geography vintage: a year "
                   "(2022, 2026) or key (ICS2026); default the vintage in force for the --to month")
    b.set_defaults(func=_guarded(_bridge), area_check=areas.bridge_area)

    w = sub.add_parser("whatif-bridge", help="what-if bridge: baseline, each lever's contribution, scenario")
    w.add_argument("--scenario", required=True, help="scenario JSON file (schema_version 1)")
    w.add_argument("--figure", choices=list(br.WHATIF_FIGURES), default="fte",
                   help="fte: staff in post in year N (default); gap: demand - capacity in year N")
    w.add_argument("--staff-group", help="one staff group (default: all roles)")
    w.add_argument("--period", help="YYYY-MM baseline period (default: latest loaded)")
    w.add_argument("--data-dir", default=d, help="store to read (default $WORKFORCE_DATA_DIR, else the demo store)")
    w.add_argument("--level", choices=["ICS", "STP"], default="ICS", help="geography level (default ICS)")
    w.add_argument("--format", choices=["text", "csv", "json"], default="text",
                   help="text (a line a step, default), csv or json")
    w.add_argument("--footprint", help="run on the systems of this geography vintage: a year (2022, 2026) or key "
                   "(ICS2026); default the footprint the scenario file records, else the vintage in force for the "
                   "period (as the page)")
    w.set_defaults(func=_guarded(_whatif_bridge), area_check=areas.scenario_area)

    s = sub.add_parser("sickness", help="sickness absence rate (days lost / days available) by unit")
    s.add_argument("--by", choices=list(sk.BY), default="area")
    s.add_argument("--period", help="YYYY-MM; default the latest loaded")
    s.add_argument("--trend", action="store_true", help="every loaded month, not one")
    s.add_argument("--staff-group", default=ALL_STAFF)
    s.add_argument("--data-dir", default=d)
    s.add_argument("--level", choices=["ICS", "STP"], default="ICS")
    s.add_argument("--format", choices=["csv", "json"], default="csv")
    s.add_argument("--footprint", help="count each organisation's days in its system on this geography vintage: a "
                   "year (2022, 2026) or key (ICS2026); default the vintage in force for the period. Organisations "
                   "outside any system (QZZ) stay outside; England is unchanged (see lib/data/footprint.py)")
    s.set_defaults(func=_guarded(_sickness))


def _guarded(fn):
    """Known refusals (no data, bad choice) become a plain message and exit code 2."""
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (br.BridgeError, og.NoOrganisations, SignalError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return run
