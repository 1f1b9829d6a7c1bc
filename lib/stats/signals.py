"""Signal or noise: SPC per system and staff group, funnel plots across systems, and "what changed".

Works on the rows of `lib.insight.metrics.area_metrics` (areas, regions Y56.., England ENG; FTE basis). The maths is
`lib.stats.spc.spc` (XmR, Making Data Count rules) and `lib.stats.funnel.funnel` (FunnelPlotR proportions); this module
only picks the series, says which way is better, and names the systems that stand out.

* SPC: one point per monthly period (period_months == 1) up to and including the chosen period; months
  with no value keep their place and are left out of the limits (as NHSRplotthedots does).
* Funnel: one period, systems only (no regions or England); size = the rate's denominator (mean staff in
  post for leaver and joiner rates, vacancies + staff in post for the vacancy rate). FTE is a count, not a
  proportion, so it has no funnel.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.data import geography
from lib.stats.funnel import FunnelResult, funnel
from lib.stats.spc import (SPECIAL_CAUSE_CONCERN, SPECIAL_CAUSE_IMPROVEMENT, SPECIAL_CAUSE_NEUTRAL_HIGH,
                     SPECIAL_CAUSE_NEUTRAL_LOW, TRIAL_LIMITS_BELOW, run_chart, run_chart_summary, spc,
                     spc_summary)
from lib.data.schema import ALL_STAFF, month_range
from lib.insight import calendar
from lib.insight.provenance import month_span

ENGLAND = "ENG"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    direction: str          # improvement direction for SPC: increase / decrease / neutral
    is_rate: bool           # a proportion (shown as %), so it has a funnel plot
    size_label: str = ""    # what the funnel's horizontal axis is
    why_direction: str = ""


MEASURES: dict[str, Measure] = {
    "leaver_rate": Measure("leaver_rate", "Leaver rate (month)", "decrease", True,
                           "Mean staff in post, FTE (start and end of month)",
                           "Lower is better: fewer staff leaving."),
    "joiner_rate": Measure("joiner_rate", "Joiner rate (month)", "neutral", True,
                           "Mean staff in post, FTE (start and end of month)",
                           "Neither direction is better on its own: more joiners may fill gaps or replace "
                           "leavers, so changes are shown as up or down, not good or bad."),
    "vacancy_rate": Measure("vacancy_rate", "Vacancy rate", "decrease", True,
                            "Vacancies + staff in post, FTE (establishment)",
                            "Lower is better: fewer posts empty."),
    "fte": Measure("fte", "Staff in post (FTE)", "neutral", False, "",
                   "Neither direction is better on its own: growth may be planned or unfunded."),
}
MEASURE_KEYS = tuple(MEASURES)
# Sickness absence is charted on its own page from its own rows (lib.insight.sickness), so it is not one of the
# MEASURE_KEYS this page offers for metrics frames; it is defined here so the shared charts can label it.
MEASURES["sickness_rate"] = Measure("sickness_rate", "Sickness absence rate", "decrease", True,
                                    "FTE days available", "Lower is better: fewer working days lost to sickness.")

# Words for the SPC point types, as a board paper would put them.
VERDICT = {
    SPECIAL_CAUSE_IMPROVEMENT: "improvement",
    SPECIAL_CAUSE_CONCERN: "concern",
    SPECIAL_CAUSE_NEUTRAL_HIGH: "change upwards",
    SPECIAL_CAUSE_NEUTRAL_LOW: "change downwards",
}
USUAL = "usual variation"  # SPC's "common cause", in a leader's words (Data and definitions explains both)
# Each point's reading in a chart's key, in the app's plain words (Making Data Count's "common cause" / "special
# cause" are on Data and definitions only): the app's SPC and run charts and the board pack's use point_label.
POINT_LABELS = {
    "common_cause": "Usual variation",
    SPECIAL_CAUSE_IMPROVEMENT: "Unusual: improvement",
    SPECIAL_CAUSE_CONCERN: "Unusual: concern",
    SPECIAL_CAUSE_NEUTRAL_HIGH: "Unusual: change",
    SPECIAL_CAUSE_NEUTRAL_LOW: "Unusual: change",
    "too_few_points": "Too few points to judge",
}
POINT_DOMAIN = ["Usual variation", "Unusual: improvement", "Unusual: concern", "Unusual: change",
                "Too few points to judge"]


def point_label(point_type: str) -> str:
    """A point's reading in words ('Unusual: concern'); anything unknown reads as usual variation."""
    return POINT_LABELS.get(point_type, POINT_LABELS["common_cause"])


RULE_WORDS = {
    "Above UCL": "a point above the upper process limit",
    "Below LCL": "a point below the lower process limit",
    "7 Point Trend (Increasing)": "7 points in a row rising",
    "7 Point Trend (Decreasing)": "7 points in a row falling",
    "2 in 3 Above CL": "2 of 3 points close to the upper limit",
    "2 in 3 Below CL": "2 of 3 points close to the lower limit",
    "7 Points Above CL": "7 points in a row above the average",
    "7 Points Below CL": "7 points in a row below the average",
    "Shift": "6 or more points in a row on one side of the median (a shift)",
    "Trend": "5 or more points in a row rising or falling (a trend)",
}


# Making Data Count / NHSRplotthedots: limits on fewer than 12 points are not to be trusted. Below this the
# product draws no limits and names no verdict (lib.stats.spc itself still computes trial limits on request).
MIN_SPC_POINTS = 12


def too_few_points_message(periods: list[str], needed: int = MIN_SPC_POINTS) -> str:
    """'Only 2 months have a value (Oct-Nov 2025): ... load 10 more months.'"""
    n = len(periods)
    have = "No month has a value" if n == 0 else (
        f"Only {n} month{'s have' if n != 1 else ' has'} a value ({month_span(periods)})")
    more = needed - n
    return (f"{have}: not enough months to judge. An SPC chart needs at least {needed} monthly points before it "
            f"can set process limits or say whether anything changed; {more} more month{'s' if more != 1 else ''} "
            "of data needed.")


def months_loaded(metrics: pd.DataFrame, period: str) -> list[str]:
    """Monthly periods with figures up to and including `period` (what an SPC chart could use)."""
    p = metrics.loc[(metrics["period"] <= period) & (metrics["period_months"] == 1), "period"]
    return sorted(p.unique().tolist())


def not_enough_months(metrics: pd.DataFrame, period: str) -> str | None:
    """None when a 'what changed' verdict is possible for `period`; else why not, and how many months more."""
    months = months_loaded(metrics, period)
    return None if len(months) >= MIN_SPC_POINTS else too_few_points_message(months)


class SignalError(ValueError):
    """No chart can be drawn for this choice; the message says why and what to do."""


def measure(key: str) -> Measure:
    if key not in MEASURES:
        raise SignalError(f"unknown measure {key!r}; choose one of {', '.join(MEASURE_KEYS)}")
    return MEASURES[key]


def rule_words(rule: str) -> str:
    return RULE_WORDS.get(rule, "nothing unusual")


def numerator_denominator(df: pd.DataFrame, key: str) -> tuple[pd.Series, pd.Series]:
    """Numerator and denominator behind a rate on the FTE basis lib.insight.metrics uses (fte = staff in post at end)."""
    if key in ("leaver_rate", "joiner_rate"):
        num = df["leavers_fte" if key == "leaver_rate" else "joiners_fte"]
        return num, (df["sip_start_fte"] + df["fte"]) / 2.0
    if key == "vacancy_rate":  # where coverage withheld the rate (lib.insight.coverage), no numerator either
        vac = df["vacancy_fte"].where(df["vacancy_rate"].notna()) if "vacancy_rate" in df else df["vacancy_fte"]
        return vac, df["vacancy_fte"] + df["fte"]
    raise SignalError(f"{measure(key).label} is a count, not a proportion, so it has no funnel plot")


def has_values(metrics: pd.DataFrame, key: str) -> bool:
    return key in metrics.columns and bool(metrics[key].notna().any())


# ----------------------------------------------------------------------------------------------------------
# SPC
# ----------------------------------------------------------------------------------------------------------

@dataclass
class SpcView:
    chart: pd.DataFrame            # lib.stats.spc.spc output plus `period` (YYYY-MM)
    summary: dict
    notes: list[str] = field(default_factory=list)


def _series_rows(rows: pd.DataFrame, key: str, until: str | None) -> pd.DataFrame:
    monthly = rows[rows["period_months"] == 1]
    annual = monthly.empty
    if annual:
        monthly = rows  # annual-only extracts: chart what is there (the view says so)
    if until is not None:
        monthly = monthly[monthly["period"] <= until]
    out = monthly[["period", key]].rename(columns={key: "value"}).sort_values("period")
    out = out.drop_duplicates("period", keep="last").reset_index(drop=True)
    # one calendar: a month not loaded is a point without a value (no moving range or run bridges it)
    return out if annual else calendar.with_month_gaps(out).reset_index(drop=True)


@dataclass
class RunView:
    """A run chart (fewer than MIN_SPC_POINTS months): lib.stats.spc.run_chart output plus `period`."""
    chart: pd.DataFrame
    summary: dict
    notes: list[str] = field(default_factory=list)


def run_view_of(s: pd.DataFrame, direction: str) -> RunView:
    """Run chart of a (period, value) series; SignalError below 2 months with a value."""
    n = int(s["value"].notna().sum())
    if n < 2:
        raise SignalError(f"Only {n} month{'s' if n != 1 else ''} with a value: a run chart needs at least 2.")
    chart = run_chart(s["value"], pd.to_datetime(s["period"], format="%Y-%m"), improvement_direction=direction)
    chart.insert(0, "period", s["period"].to_numpy())
    summary = run_chart_summary(chart)
    notes = [run_chart_note(summary)]
    gaps = len(chart) - n
    if gaps:
        notes.append(f"{gaps} month{'s' if gaps > 1 else ''} without a value: left as gaps; a shift or trend is not "
                     "read across them.")
    return RunView(chart, summary, notes)


def run_chart_note(summary: dict) -> str:
    """Why a run chart, and which rules its points can test."""
    n = summary["n_points"]
    more = MIN_SPC_POINTS - n
    text = (f"{n} months: a run chart (median line), not an SPC chart. Making Data Count advises {MIN_SPC_POINTS} "
            f"or more points before setting process limits: {more} more month{'s' if more != 1 else ''} of data "
            "needed for them.")
    if not summary["verdict_possible"]:
        text += f" Too few points for a verdict yet: {' and '.join(summary['too_few_for'])}."
    elif not summary["shift_possible"]:
        text += (" Only a trend (5 or more points rising or falling) can show: a shift (6 points on one side of the "
                 "median) needs 12 points.")
    return text


def run_view(metrics: pd.DataFrame, area_code: str, staff_group: str, key: str, until: str | None = None) -> RunView:
    """Run chart of one area's monthly history (for fewer than MIN_SPC_POINTS months)."""
    m = measure(key)
    rows = metrics[(metrics["area_code"] == area_code) & (metrics["staff_group"] == staff_group)]
    s = _series_rows(rows, key, until)
    if s.empty or s["value"].notna().sum() == 0:
        raise SignalError(f"No {m.label.lower()} figures for this system and staff group.")
    return run_view_of(s, m.direction)


def chart_view(metrics: pd.DataFrame, area_code: str, staff_group: str, key: str, until: str | None = None,
               target: float | None = None) -> "SpcView | RunView":
    """The XmR chart from MIN_SPC_POINTS months, a run chart below (SignalError when neither can be drawn)."""
    try:
        return spc_view(metrics, area_code, staff_group, key, until=until, target=target)
    except SignalError as exc:
        rows = metrics[(metrics["area_code"] == area_code) & (metrics["staff_group"] == staff_group)]
        s = _series_rows(rows, key, until)
        if 2 <= s["value"].notna().sum() < MIN_SPC_POINTS:
            return run_view_of(s, measure(key).direction)
        raise exc


def series(metrics: pd.DataFrame, area_code: str, staff_group: str, key: str,
           until: str | None = None) -> pd.DataFrame:
    """Monthly values of one measure for one area and staff group, in period order (period, value)."""
    measure(key)
    rows = metrics[(metrics["area_code"] == area_code) & (metrics["staff_group"] == staff_group)]
    return _series_rows(rows, key, until)


def spc_view(metrics: pd.DataFrame, area_code: str, staff_group: str, key: str, until: str | None = None,
             target: float | None = None) -> SpcView:
    """XmR chart of one area's monthly history; raises SignalError with a plain reason when impossible."""
    measure(key)
    rows = metrics[(metrics["area_code"] == area_code) & (metrics["staff_group"] == staff_group)]
    return _spc_from_rows(rows, key, until, target)


def _spc_from_rows(rows: pd.DataFrame, key: str, until: str | None, target: float | None = None) -> SpcView:
    m = measure(key)
    s = _series_rows(rows, key, until)
    if s.empty:
        raise SignalError(f"No figures for this system and staff group{' up to ' + until if until else ''}.")
    n_values = int(s["value"].notna().sum())
    if n_values == 0:
        what = ("No vacancy figures are loaded. Vacancies come from the Provider Workforce Return: load them "
                "with the vacancy template (Data and definitions page)." if key == "vacancy_rate"
                else f"No {m.label.lower()} figures for this system and staff group.")
        raise SignalError(what)
    if n_values < MIN_SPC_POINTS:
        raise SignalError(too_few_points_message(s.loc[s["value"].notna(), "period"].tolist()))
    chart = spc(s["value"], pd.to_datetime(s["period"], format="%Y-%m"), improvement_direction=m.direction,
                target=target)
    chart.insert(0, "period", s["period"].to_numpy())
    notes = []
    if not (rows["period_months"] == 1).any():
        notes.append("No monthly figures: the periods are charted as published; rolling 12-month rates "
                     "overlap, so neighbouring points are not independent.")
    if chart["trial_limits"].iloc[-1]:
        notes.append(f"Only {len(chart)} months: these are trial limits. Making Data Count advises at least "
                     f"{TRIAL_LIMITS_BELOW - 1} points before trusting them; read the chart with care.")
    gaps = len(chart) - n_values
    if gaps:
        notes.append(f"{gaps} month{'s' if gaps > 1 else ''} without a value: left as gaps, not counted in "
                     "the average or limits.")
    if np.isnan(chart["y"].iloc[-1]):
        notes.append("The latest month has no value, so it cannot signal anything.")
    return SpcView(chart, spc_summary(chart), notes)


def spc_table(chart: pd.DataFrame, value_name: str) -> pd.DataFrame:
    """The SPC points as a plain table for display and download."""
    out = pd.DataFrame({
        "Period": chart["period"],
        value_name: chart["y"],
        "Average": chart["mean"],
        "Lower process limit": chart["lpl"],
        "Upper process limit": chart["upl"],
        "Unusual": chart["special_cause"],
        "Rule": [rule_words(r) if s else "" for r, s in zip(chart["special_cause_rule"], chart["special_cause"])],
        "Reading": [VERDICT.get(t, USUAL) for t in chart["point_type"]],
    })
    return out


def latest_signals(metrics: pd.DataFrame, staff_group: str, key: str, period: str,
                   areas: list[str] | None = None) -> pd.DataFrame:
    """Latest-point SPC reading of every area (systems, regions, England unless `areas` says otherwise).

    One row per area with a chart: area_code, area_name, measure, period, value, mean, lpl, upl,
    special_cause, rule, rule_words, point_type, verdict, points, trial_limits.
    """
    m = measure(key)
    cols = ["area_code", "area_name", "measure", "measure_label", "period", "value", "mean", "lpl", "upl",
            "special_cause", "rule", "rule_words", "point_type", "verdict", "points", "trial_limits"]
    if not has_values(metrics, key):
        return pd.DataFrame(columns=cols)
    sub = metrics[(metrics["staff_group"] == staff_group) & (metrics["period"] <= period)]
    if areas is not None:
        sub = sub[sub["area_code"].isin(areas)]
    names = dict(zip(sub["area_code"], sub["area_name"]))
    # Same series as spc_view (monthly rows where the area has them, one value per period), built for every
    # area at once: this runs for every system and measure on each new period, so pandas work is kept out of
    # the loop.
    has_monthly = sub.groupby("area_code")["period_months"].transform(lambda s: (s == 1).any())
    sub = sub[(sub["period_months"] == 1) | ~has_monthly]
    sub = sub.drop_duplicates(["area_code", "period"], keep="last")
    wide = sub.pivot(index="period", columns="area_code", values=key).sort_index()
    present = sub.assign(_p=True).pivot(index="period", columns="area_code", values="_p").sort_index()
    monthly = bool(len(sub)) and bool((sub["period_months"] == 1).all())
    if monthly and len(wide):  # one calendar, as spc_view: a month not loaded is a gap (no moving range across it)
        months = month_range(str(wide.index[0]), str(wide.index[-1]))
        wide, present = wide.reindex(months), present.reindex(months)
    rows = []
    for code in wide.columns:
        mask = present[code].fillna(False).to_numpy(dtype=bool)
        if not mask.any() or wide.index[mask][-1] != period:
            continue  # no figure for the chosen period: nothing to say about "this period"
        first = int(np.flatnonzero(mask)[0])
        y = (wide[code].to_numpy(dtype=float)[first:] if monthly else wide[code].to_numpy(dtype=float)[mask])
        if np.count_nonzero(~np.isnan(y)) < MIN_SPC_POINTS:
            continue  # too few months to set limits or name a verdict
        chart = spc(y, improvement_direction=m.direction)
        last = chart.iloc[-1]
        rows.append({
            "area_code": code, "area_name": names.get(code, code), "measure": key, "measure_label": m.label,
            "period": period, "value": float(last["y"]), "mean": float(last["mean"]),
            "lpl": float(last["lpl"]), "upl": float(last["upl"]),
            "special_cause": bool(last["special_cause"]), "rule": last["special_cause_rule"],
            "rule_words": rule_words(last["special_cause_rule"]) if last["special_cause"] else "",
            "point_type": last["point_type"], "verdict": VERDICT.get(last["point_type"], USUAL),
            "points": len(chart), "trial_limits": bool(last["trial_limits"]),
        })
    return pd.DataFrame(rows, columns=cols)


def system_codes(level: str) -> list[str]:
    return list(geography.areas(level)["code"])


def what_changed(metrics: pd.DataFrame, level: str, period: str, staff_group: str = ALL_STAFF,
                 keys: tuple[str, ...] = MEASURE_KEYS) -> pd.DataFrame:
    """Systems (and England) whose latest point is special cause, concerns first, then improvements.

    Columns as latest_signals; only rows with special_cause True.
    """
    parts = []
    codes = system_codes(level) + [ENGLAND]
    for key in keys:
        sig = latest_signals(metrics, staff_group, key, period, areas=codes)
        parts.append(sig[sig["special_cause"]])
    parts = [p for p in parts if not p.empty]
    if not parts:
        return latest_signals(metrics.iloc[0:0], staff_group, keys[0], period)
    out = pd.concat(parts, ignore_index=True)
    order = {"concern": 0, "improvement": 1, "change upwards": 2, "change downwards": 2}
    out = out.assign(_o=out["verdict"].map(order).fillna(3), _e=(out["area_code"] == ENGLAND).astype(int))
    return out.sort_values(["_e", "_o", "measure", "area_name"]).drop(columns=["_o", "_e"]).reset_index(drop=True)


def what_changed_sentences(changes: pd.DataFrame, value_fmt=None) -> list[str]:
    """One plain sentence per signal, e.g. 'Kent and Medway: leaver rate (month) - concern (a point above ...)'."""
    out = []
    for r in changes.itertuples():
        label = r.measure_label[0].lower() + r.measure_label[1:]
        value = value_fmt(r.measure, r.value) if value_fmt else f"{r.value:g}"
        out.append(f"{r.area_name}: {label} {value} - {r.verdict} ({r.rule_words}).")
    return out


# ----------------------------------------------------------------------------------------------------------
# Funnel
# ----------------------------------------------------------------------------------------------------------

@dataclass
class FunnelView:
    result: FunnelResult
    units: pd.DataFrame        # result.units plus area_code, area_name, outlier (bool), side
    period: str
    measure: str
    notes: list[str] = field(default_factory=list)

    @property
    def outliers(self) -> pd.DataFrame:
        return self.units[self.units["outlier"]]


def funnel_units(res: FunnelResult, names: dict[str, str]) -> pd.DataFrame:
    """A funnel result's units with code, name, whether outside the 99.8% limits (`outlier`) and which limit in
    words (`side`). One reading for systems, organisations among their peers and sickness absence alike."""
    units = res.units.copy()
    units.insert(0, "area_code", units["label"])
    units.insert(1, "area_name", units["label"].map(names).fillna(units["label"]))
    units["outlier"] = units["above_99_8"] | units["below_99_8"]
    units["side"] = np.select(
        [units["above_99_8"], units["below_99_8"], units["above_95"], units["below_95"]],
        ["above 99.8% limit", "below 99.8% limit", "above 95% limit", "below 95% limit"], default="within limits")
    return units


def funnel_view(metrics: pd.DataFrame, level: str, staff_group: str, key: str, period: str) -> FunnelView:
    """Funnel plot of one rate across the systems of a level for one period (size = the rate's denominator).

    An outlier is a system outside the 99.8% limits (the usual threshold for "look into this"); systems
    between the 95% and 99.8% limits are flagged as "outside 95%" in `side` only.
    """
    m = measure(key)
    if not m.is_rate:
        raise SignalError(f"{m.label} is a count, not a proportion, so it has no funnel plot. "
                          "Choose a rate to compare systems fairly.")
    codes = system_codes(level)
    sub = metrics[(metrics["period"] == period) & (metrics["staff_group"] == staff_group)
                  & metrics["area_code"].isin(codes)]
    if sub.empty:
        raise SignalError(f"No system figures for {staff_group} in {period}.")
    num, den = numerator_denominator(sub, key)
    if num.notna().sum() == 0:
        if key == "vacancy_rate":
            raise SignalError("No vacancy figures are loaded for this period. Vacancies come from the Provider "
                              "Workforce Return: load them with the vacancy template (Data and definitions).")
        raise SignalError(f"No {m.label.lower()} figures for this period.")
    try:
        res = funnel(num.to_numpy(), den.to_numpy(), sub["area_code"].to_numpy())
    except ValueError as exc:
        raise SignalError(f"Cannot draw a funnel plot: {exc}") from None
    names = dict(zip(sub["area_code"], sub["area_name"]))
    units = funnel_units(res, names)
    notes = list(res.notes)
    for r in res.excluded.itertuples():
        notes.append(f"{names.get(r.label, r.label)} left out: {r.reason}.")
    if len(units) < 10:
        notes.append(f"Only {len(units)} systems have figures: the estimate of how much they differ beyond chance "
                     "is rough.")
    return FunnelView(res, units, period, key, notes)


def funnel_table(view: FunnelView) -> pd.DataFrame:
    m = measure(view.measure)
    u = view.units
    better = {"decrease": "below", "increase": "above"}.get(m.direction)
    reading = []
    for side in u["side"]:
        if side == "within limits":
            reading.append("as expected for its size")
        elif better and side.startswith(better):
            reading.append("better than expected (" + side + ")")
        elif better:
            reading.append("worse than expected (" + side + ")")
        else:
            reading.append(side)
    return pd.DataFrame({
        "System": u["area_name"], "Code": u["area_code"], m.label: u["rate"],
        "Numerator (FTE)": u["numerator"], "Denominator (FTE)": u["denominator"],
        "95% lower": u["lower_95"], "95% upper": u["upper_95"],
        "99.8% lower": u["lower_99_8"], "99.8% upper": u["upper_99_8"],
        "Reading": reading,
    }).sort_values(m.label, ascending=False).reset_index(drop=True)
