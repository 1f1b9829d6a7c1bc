"""`spc` and `funnel` commands for `python -m lib`.

    python -m lib spc --values 12,14,11,... [--direction decrease] [--target 0.1] [--format json]
    python -m lib spc --csv FILE --column leaver_rate [--date-column period]
    python -m lib spc --data-dir DIR --level ICS --measure leaver_rate --area QKK [--staff-group NAME]
    python -m lib funnel --csv FILE [--numerator-column n --denominator-column d --label-column name]
    python -m lib funnel --data-dir DIR --level ICS --measure vacancy_rate [--period 2025-11]

Results go to stdout (CSV or JSON); problems to stderr with exit code 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lib.cli import areas
from lib.data import geography
from lib.cli.data_commands import add_disclosure_option, disclosure_requested
from lib.stats.funnel import funnel
from lib.insight import calendar
from lib.stats.spc import (CHART_RUN, CHART_XMR, IMPROVEMENT_DIRECTIONS, chart_kind, run_chart, run_chart_summary, spc,
                           spc_summary)

FUNNEL_MEASURES = ("leaver_rate", "vacancy_rate", "joiner_rate")
# Every charted measure of the pages: the store's rates and staff in post, and sickness absence (its own rows).
SPC_MEASURES = ("leaver_rate", "joiner_rate", "vacancy_rate", "sickness_rate", "fte")
MEASURES = SPC_MEASURES
# Which way is better, as the pages say (lib.stats.signals.MEASURES; METHODS.md 3.1): lower leaver, vacancy and
# sickness absence rates; neither for joiners or staff in post.
MEASURE_DIRECTION = {"leaver_rate": "decrease", "vacancy_rate": "decrease", "sickness_rate": "decrease",
                     "joiner_rate": "neutral", "fte": "neutral"}
CHART_CHOICES = ("auto", "xmr", "run")
RUN_EXTRA_COLUMNS = ("median", "relative_to_median", "in_shift")
ALL_STAFF = "All staff groups"
_MISSING = {"", "na", "nan", "null", "none"}


class InputError(ValueError):
    """Bad command-line input; the message is shown to the user."""


# ---------------------------------------------------------------------------------------------
# output helpers
# ---------------------------------------------------------------------------------------------

def _plain(v: Any) -> Any:
    """JSON-safe scalar: NaN -> null, numpy -> Python, timestamps -> ISO date."""
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(v).date().isoformat()
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) or math.isinf(v) else float(v)
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _write_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=1)
    sys.stdout.write("\n")


def _write_csv(df: pd.DataFrame) -> None:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    sys.stdout.write(out.to_csv(index=False, float_format="%.10g", lineterminator="\n"))


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------------------------
# input helpers
# ---------------------------------------------------------------------------------------------

def _parse_values(text: str) -> list[float]:
    values = []
    for i, part in enumerate(text.split(","), start=1):
        part = part.strip()
        if part.lower() in _MISSING:
            values.append(float("nan"))
            continue
        try:
            values.append(float(part))
        except ValueError:
            raise InputError(f"--values item {i} ({part!r}) is not a number") from None
    return values


def _read_csv(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"CSV file {path} not found")
    try:
        return pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as CSV ({exc})") from None


def _column(df: pd.DataFrame, name: str, path: str, numeric: bool = True) -> pd.Series:
    if name not in df.columns:
        raise InputError(f"{path}: no column {name!r}; columns are {', '.join(map(str, df.columns))}")
    col = df[name]
    if not numeric:
        return col
    converted = pd.to_numeric(col, errors="coerce")
    bad = converted.isna() & col.notna() & ~col.astype(str).str.strip().str.lower().isin(_MISSING)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # +1 header, +1 one-based
        raise InputError(f"{path}: column {name!r} row {row} ({col[bad].iloc[0]!r}) is not a number")
    return converted.astype(float)


def _parse_rebase(text: str | None) -> list[Any] | None:
    if not text:
        return None
    items: list[Any] = []
    for part in text.split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            items.append(int(part))
        else:
            items.append(part)
    return items


# ---------------------------------------------------------------------------------------------
# data-dir mode (loaded workforce data)
# ---------------------------------------------------------------------------------------------

def _area_metrics(data_dir: str, level: str, periods: list[str] | None = None,
                  area_codes: list[str] | None = None, sdc: bool = False, footprint_choice: str | None = None,
                  footprint_period: str | None = None) -> pd.DataFrame:
    """Metrics of loaded data on the --footprint vintage (default the vintage in force for `footprint_period`,
    else for the latest loaded period); organisations re-assigned as lib/data/footprint.py says."""
    from lib.data import footprint
    from lib.data.loader import available_periods
    from lib.insight.metrics import area_metrics
    loaded = available_periods(data_dir, level)
    if not loaded:
        raise InputError(f"no {level} data in {data_dir}; ingest files first (python -m lib ingest ...)")
    try:
        key = footprint.footprint_key(level, footprint_choice, footprint_period or loaded[-1])
    except ValueError as exc:
        raise InputError(f"--footprint: {exc}") from None
    if area_codes is not None:  # the vintages are the one list of places: a system of the footprint, a region or ENG
        area_codes = [geography.area_on_footprint(a, key, "--area")[0] for a in area_codes]
    frame = footprint.load_area_frame(data_dir, key, periods=periods)
    if not sdc:
        kinds = {geography.area_kind(a) for a in area_codes or []}
        if area_codes is not None and kinds <= {"system"}:
            frame = frame[frame["area_code"].isin(area_codes)].reset_index(drop=True)
        m = area_metrics(frame, by_staff_group=True, include_england="england" in kinds,
                         include_regions="region" in kinds)
        return m if area_codes is None else m[m["area_code"].isin(area_codes)].reset_index(drop=True)
    # disclosure control: the cells hidden jointly over every table a viewer can reach (lib.sharing.joint), the
    # app's plan; then the areas asked
    from lib.insight.disclosure_plan import viewer_plan
    from lib.sharing import joint
    m = joint.apply(area_metrics(frame, by_staff_group=True, include_england=True, include_regions=True),
                    viewer_plan(data_dir, level), "area", key)
    codes = m["area_code"].astype(str)
    keep = codes.isin(area_codes) if area_codes else ~codes.map(geography.area_kind).isin(["england", "region"])
    return m[keep].reset_index(drop=True)


def _measure_parts(df: pd.DataFrame, measure: str) -> tuple[pd.Series, pd.Series]:
    """Numerator and denominator behind a rate, on the FTE basis lib.insight.metrics uses."""
    if measure == "leaver_rate":
        return df["leavers_fte"], (df["sip_start_fte"] + df["fte"]) / 2.0  # fte = staff in post at end
    if measure == "joiner_rate":
        return df["joiners_fte"], (df["sip_start_fte"] + df["fte"]) / 2.0
    return df["vacancy_fte"], df["vacancy_fte"] + df["fte"]


def _pick_staff_group(df: pd.DataFrame, staff_group: str) -> pd.DataFrame:
    out = df[df["staff_group"] == staff_group]
    if out.empty:
        groups = sorted(df["staff_group"].dropna().unique())
        raise InputError(f"no rows for staff group {staff_group!r}; loaded groups: {', '.join(groups)}")
    return out


def _sickness_series(args: argparse.Namespace, area: str) -> tuple[pd.Series, pd.Series, list[str]]:
    """England's, a region's or a system's monthly sickness absence rate (lib.insight.sickness) on the footprint."""
    from lib.data import footprint
    from lib.data.loader import sickness_periods
    from lib.insight import sickness as sk
    periods = sickness_periods(args.data_dir, args.level)
    if not periods:
        raise InputError(f"no sickness absence figures in {args.data_dir}; ingest the NHS Digital sickness absence "
                         "CSV first (python -m lib ingest FILE)")
    try:
        key = footprint.footprint_key(args.level, args.footprint, args.period or periods[-1])
    except ValueError as exc:
        raise InputError(f"--footprint: {exc}") from None
    area = geography.area_on_footprint(area, key, "--area")[0]
    by = {"england": "england", "region": "region"}.get(geography.area_kind(area), "area")
    df = footprint.load_sickness(args.data_dir, key)
    s = sk.trend(df, area, by, args.staff_group, key)
    if args.period:
        s = s[s["period"] <= args.period]
    if s["sickness_rate"].notna().sum() == 0:
        raise InputError(f"no sickness absence figures for {area} ({args.staff_group})")
    s = calendar.with_month_gaps(s[["period", "sickness_rate"]])    # a month not loaded: a gap, never bridged
    return (s["sickness_rate"].reset_index(drop=True), pd.to_datetime(s["period"], format="%Y-%m").reset_index(
        drop=True), [])


def _spc_series_from_data(args: argparse.Namespace) -> tuple[pd.Series, pd.Series, list[str]]:
    if not args.area:
        raise InputError("--area CODE is needed with --data-dir (the area whose monthly history to chart)")
    area = args.area_check(args)  # lib.cli.areas.spc_area: checked against the vintages before anything is read
    if args.measure == "sickness_rate":
        return _sickness_series(args, area)
    m = _area_metrics(args.data_dir, args.level, area_codes=[area], sdc=disclosure_requested(args),
                      footprint_choice=args.footprint, footprint_period=args.period)
    if m.empty:
        raise InputError(f"area {area} has no {args.level} data in {args.data_dir}")
    m = _pick_staff_group(m, args.staff_group)
    notes = []
    monthly = m[m["period_months"] == 1]
    if monthly.empty:
        monthly = m
        notes.append("no monthly figures; charting the periods as published (rolling 12-month rates overlap, "
                     "so neighbouring points are not independent)")
    monthly = monthly.sort_values("period")
    if args.period:
        monthly = monthly[monthly["period"] <= args.period]
    if not notes:   # monthly figures: a month not loaded is a point without a value (no range bridges it)
        monthly = calendar.with_month_gaps(monthly[["period", args.measure]])
    values = monthly[args.measure]
    if values.notna().sum() == 0:
        raise InputError(f"{args.measure} is not available for {area} ({args.staff_group})")
    dates = pd.to_datetime(monthly["period"], format="%Y-%m")
    return values.reset_index(drop=True), dates.reset_index(drop=True), notes


def _funnel_inputs_from_data(args: argparse.Namespace) -> tuple[pd.Series, pd.Series, pd.Series, str, dict]:
    from lib.data.loader import available_periods
    periods = available_periods(args.data_dir, args.level)
    if not periods:
        raise InputError(f"no {args.level} data in {args.data_dir}; ingest files first (python -m lib ingest ...)")
    period = args.period or periods[-1]
    if period not in periods:
        raise InputError(f"--period {period!r} not loaded at {args.level} level; loaded: "
                         f"{periods[0]} to {periods[-1]}")
    m = _pick_staff_group(_area_metrics(args.data_dir, args.level, periods=[period], sdc=disclosure_requested(args),
                                        footprint_choice=args.footprint, footprint_period=period),
                          args.staff_group)
    m = m[m["area_code"] != "ENG"]
    num, den = _measure_parts(m, args.measure)
    names = dict(zip(m["area_code"], m["area_name"]))
    return (num.reset_index(drop=True), den.reset_index(drop=True), m["area_code"].reset_index(drop=True),
            period, names)


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------

def _run_spc(args: argparse.Namespace) -> int:
    try:
        sources = [bool(args.values), bool(args.csv), bool(args.data_dir)]
        if sum(sources) != 1:
            raise InputError("give exactly one of --values, --csv FILE --column NAME, or --data-dir DIR")
        dates = None
        notes: list[str] = []
        direction = args.direction
        if args.values:
            values = _parse_values(args.values)
        elif args.csv:
            if not args.column:
                raise InputError("--csv needs --column NAME (the column of values to chart)")
            df = _read_csv(args.csv)
            values = _column(df, args.column, args.csv)
            if args.date_column:
                dates = _column(df, args.date_column, args.csv, numeric=False)
        else:
            values, dates, notes = _spc_series_from_data(args)
            direction = direction or MEASURE_DIRECTION[args.measure]
        if len(values) == 0:
            raise InputError("no values to chart")
        kind = args.chart
        if kind == "auto":   # Making Data Count: a run chart until there are 12 points for process limits
            kind = CHART_XMR if (chart_kind(values) == CHART_XMR or args.fix_after or args.rebase) else CHART_RUN
        if kind == CHART_RUN:
            if args.fix_after or args.rebase or args.target is not None:
                raise InputError("--fix-after, --rebase and --target are for the XmR chart (--chart xmr); a run "
                                 "chart has a median and no limits")
            chart = run_chart(values, dates, improvement_direction=direction or "neutral")
            summary = run_chart_summary(chart)
        else:
            chart = spc(values, dates, improvement_direction=direction or "neutral", target=args.target,
                        fix_after_n_points=args.fix_after, rebase=_parse_rebase(args.rebase),
                        screen_outliers=not args.no_screen)
            summary = {"chart": CHART_XMR, **spc_summary(chart)}
    except (ValueError, OSError, KeyError) as exc:
        return _fail(str(exc))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if kind == CHART_RUN:
        print(f"note: {_run_note(summary)}", file=sys.stderr)
    elif summary["trial_limits"]:
        print("note: fewer than 13 points in the latest phase: these are trial limits", file=sys.stderr)
    out = _one_shape(chart, kind)
    if args.format == "json":
        _write_json({"chart": kind, "summary": {k: _plain(v) for k, v in summary.items()}, "points": _records(out)})
    else:
        _write_csv(out)
    return 0


def _run_note(summary: dict) -> str:
    from lib.stats.signals import run_chart_note
    return run_chart_note(summary)


def _one_shape(chart: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Both kinds in one set of columns: `chart` (xmr or run) first, then the XmR chart's columns (blank on a run
    chart: no mean or limits), then the run chart's median, side of it and shift flag (blank on an XmR chart)."""
    xmr_columns = [c for c in XMR_COLUMNS]
    out = chart.copy()
    if kind == CHART_RUN:
        out["phase"] = 0
        out["in_run"] = False
        for c in xmr_columns:
            if c not in out:
                out[c] = np.nan
    else:
        for c in RUN_EXTRA_COLUMNS:
            out[c] = np.nan
    out.insert(0, "chart", kind)
    return out[["chart", *xmr_columns, *RUN_EXTRA_COLUMNS]]


XMR_COLUMNS = ("x", "y", "phase", "mean", "lpl", "upl", "near_lpl", "near_upl", "moving_range", "moving_range_used",
               "relative_to_mean", "outside_limits", "close_to_limits", "in_trend", "in_two_of_three", "in_run",
               "special_cause_rule", "special_cause", "point_type", "trial_limits", "target")


def _run_funnel(args: argparse.Namespace) -> int:
    try:
        if bool(args.csv) == bool(args.data_dir):
            raise InputError("give exactly one of --csv FILE or --data-dir DIR")
        period, names = None, {}
        if args.csv:
            df = _read_csv(args.csv)
            num = _column(df, args.numerator_column, args.csv)
            den = _column(df, args.denominator_column, args.csv)
            labels = (_column(df, args.label_column, args.csv, numeric=False).astype(str)
                      if args.label_column in df.columns else None)
        else:
            num, den, labels, period, names = _funnel_inputs_from_data(args)
        result = funnel(num, den, labels, overdispersion=not args.no_overdispersion)
        if names:
            result.units.insert(1, "area_name", result.units["label"].map(names))
    except (ValueError, OSError, KeyError) as exc:
        return _fail(str(exc))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for row in result.excluded.itertuples():
        print(f"note: excluded {row.label}: {row.reason}", file=sys.stderr)
    if args.format == "json":
        _write_json({"period": period, "measure": getattr(args, "measure", None) if args.data_dir else None,
                     "target": result.target, "phi": _plain(result.phi), "tau2": result.tau2,
                     "adjusted": result.adjusted, "units": _records(result.units),
                     "excluded": _records(result.excluded), "notes": result.notes})
    else:
        _write_csv(result.units)
    return 0


def _add_data_options(p: argparse.ArgumentParser, measures: tuple[str, ...] = FUNNEL_MEASURES) -> None:
    p.add_argument("--data-dir", help="loaded workforce data (instead of --values/--csv)")
    p.add_argument("--level", choices=["ICS", "STP"], default="ICS", help="geography level (default ICS)")
    p.add_argument("--measure", choices=measures, default="leaver_rate",
                   help="measure to analyse (default leaver_rate)")
    p.add_argument("--staff-group", default=ALL_STAFF, help=f"staff group (default {ALL_STAFF!r})")
    p.add_argument("--footprint", help="with --data-dir: show the figures on the systems of this geography vintage: "
                   "a year (2022, 2026) or key (ICS2026); default the vintage in force for --period (spc: the last "
                   "period charted). Organisations are re-assigned to their system in it (lib/data/footprint.py)")
    add_disclosure_option(p)


def add_cli(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spc", help="XmR statistical process control chart (Making Data Count rules)",
                       description="XmR chart as NHSRplotthedots computes it. Input: --values, --csv or --data-dir.")
    p.add_argument("--values", help="comma-separated values in time order; blank or NA for a missing month")
    p.add_argument("--csv", help="CSV file with a column of values")
    p.add_argument("--column", help="column of values in --csv")
    p.add_argument("--date-column", help="optional column of dates in --csv (points are sorted by it)")
    _add_data_options(p, SPC_MEASURES)
    p.add_argument("--area", help="area for --data-dir: ENG, a region (Y56...) or a system of the footprint (QKK, "
                                  "S0E4D)")
    p.add_argument("--chart", choices=CHART_CHOICES, default="auto",
                   help="auto (default): the XmR chart from 12 points, a run chart (median, shifts of 6, trends of 5) "
                        "below, as Making Data Count advises; xmr or run to choose")
    p.add_argument("--period", help="YYYY-MM: last period to chart with --data-dir (default all loaded)")
    p.add_argument("--direction", choices=IMPROVEMENT_DIRECTIONS,
                   help="which way is better (default neutral; decrease for leaver and vacancy rates)")
    p.add_argument("--target", type=float, help="target value, for the assurance icon")
    p.add_argument("--fix-after", type=int, help="fix the limits on the first N points (N >= 12)")
    p.add_argument("--rebase", help="comma-separated positions (0-based) or dates where a new phase starts")
    p.add_argument("--no-screen", action="store_true",
                   help="do not screen large moving ranges (as the NHS England Excel tool)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.set_defaults(func=_run_spc, area_check=areas.spc_area)

    f = sub.add_parser("funnel", help="funnel plot of proportions across units (FunnelPlotR method)",
                       description="Proportion funnel plot with 95%% and 99.8%% limits, adjusted for "
                                   "overdispersion as FunnelPlotR does. Input: --csv or --data-dir.")
    f.add_argument("--csv", help="CSV file with numerator, denominator and label columns")
    f.add_argument("--numerator-column", default="numerator")
    f.add_argument("--denominator-column", default="denominator")
    f.add_argument("--label-column", default="label")
    _add_data_options(f)
    f.add_argument("--period", help="YYYY-MM period to compare with --data-dir (default latest loaded)")
    f.add_argument("--no-overdispersion", action="store_true", help="always use the unadjusted limits")
    f.add_argument("--format", choices=["csv", "json"], default="csv")
    f.set_defaults(func=_run_funnel)
