"""XmR statistical process control ("Making Data Count"), as NHSRplotthedots v0.2.x computes it.

Reference: nhs-r-community/NHSRplotthedots `R/ptd_spc_standard.R`, `R/ptd_calculate_point_type.R`,
`R/ptd_calculate_assurance_type.R`, `R/ptd_add_short_group_warnings.R`, `R/geom_ptd_icon.R`.

Per phase (points between rebases):
    mean   = mean of the baseline points (the first `fix_after_n_points`, default all)
    mR_t   = |y_t - y_(t-1)| over the baseline;  mean mR = average of mR
    screening (default on): drop mR_t >= 3.267 x mean mR once and re-average
    limits = mean +/- 2.66 x mean mR;  near limits = mean +/- (2/3 x 2.66) x mean mR

Special-cause rules, first match wins: outside the limits; part of a run of 7 rising (or falling) points;
part of 2 of 3 points beyond a near limit on the same side of the mean; part of a run of 7 points on one side
of the mean (a point exactly on the mean breaks it).

Missing values (NaN) follow the package: the point keeps its row, is left out of the mean, the moving
ranges either side of it are not formed (no bridging), it is never flagged, and any rule window that contains
it does not fire. Two deliberate differences, both where the package gives no usable answer:
* a window of 7 with a gap whose other steps all go the same way: R stops with "missing value where
  TRUE/FALSE needed"; here the gap simply breaks the trend;
* a flat series (every moving range 0): screening would drop every range and R returns NaN limits; here
  screening is skipped so the limits collapse onto the mean and every point is common cause.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

LIMIT_MULTIPLIER = 2.66                   # 3 sigma for an XmR chart (3 / d2, d2 = 1.128)
NEAR_LIMIT_MULTIPLIER = 2 * (2.66 / 3)    # two thirds of the way to the limit (about 2 sigma)
SCREEN_MULTIPLIER = 3.267                 # upper limit of a moving-range chart: D4 x mean mR
MIN_FIX_AFTER_N_POINTS = 12               # the package refuses to lock limits on fewer points
# The package flags "trial limits" when a phase has fewer than this many points. Its option default is
# 13 (so a 12-point phase is still flagged) although the message it prints says "n < 12".
TRIAL_LIMITS_BELOW = 13

IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
_DIRECTION_SIGN = {"increase": 1, "neutral": 0, "decrease": -1}

COMMON_CAUSE = "common_cause"
SPECIAL_CAUSE_IMPROVEMENT = "special_cause_improvement"
SPECIAL_CAUSE_CONCERN = "special_cause_concern"
SPECIAL_CAUSE_NEUTRAL_HIGH = "special_cause_neutral_high"
SPECIAL_CAUSE_NEUTRAL_LOW = "special_cause_neutral_low"
POINT_TYPES = (COMMON_CAUSE, SPECIAL_CAUSE_IMPROVEMENT, SPECIAL_CAUSE_CONCERN,
               SPECIAL_CAUSE_NEUTRAL_HIGH, SPECIAL_CAUSE_NEUTRAL_LOW)

CONSISTENT_PASS = "consistent_pass"
CONSISTENT_FAIL = "consistent_fail"
INCONSISTENT = "inconsistent"

# Plain-English meanings of the NHS England "Making Data Count" icons (keys as NHSRplotthedots names
# its icon files).
VARIATION_ICON_MEANINGS: dict[str, str] = {
    # in a leader's words: "unusual" / "usual variation" (SPC's special / common cause, explained on the Data and
    # definitions page, lib.insight.choices)
    "common_cause": "Usual variation: no significant change; the points vary within the range expected from "
                    "this process.",
    "improvement_high": "Unusual variation, improving (higher is better): something has changed the process for "
                        "the better.",
    "improvement_low": "Unusual variation, improving (lower is better): something has changed the process for "
                       "the better.",
    "concern_high": "Unusual variation, concerning (higher is worse): something has changed the process and "
                    "needs looking into.",
    "concern_low": "Unusual variation, concerning (lower is worse): something has changed the process and needs "
                   "looking into.",
    "neutral_high": "Unusual variation upwards, where neither direction is better: the process has changed "
                    "(higher values).",
    "neutral_low": "Unusual variation downwards, where neither direction is better: the process has changed "
                   "(lower values).",
}
ASSURANCE_ICON_MEANINGS: dict[str, str] = {
    CONSISTENT_PASS: "The system is expected to consistently meet the target: the target lies outside "
                     "the process limits on the good side.",
    CONSISTENT_FAIL: "The system is expected to consistently miss the target: the target lies outside "
                     "the process limits on the bad side; meeting it needs a change to the process.",
    INCONSISTENT: "The system will sometimes meet and sometimes miss the target: the target lies "
                  "between the process limits.",
}

# Labels of the rule that made a point special cause (the package's own wording).
RULE_COMMON_CAUSE = "Common Cause"


# --------------------------------------------------------------------------------------------------
# Rule helpers. Inputs are float arrays where NaN stands for R's NA; each mirrors the package function
# named in its docstring so the package's own unit tests can be run against it.
# --------------------------------------------------------------------------------------------------

def _as_float(v: Any) -> np.ndarray:
    return np.asarray(v, dtype=float).reshape(-1)


def seven_point_one_side_mean(relative_to_mean: Any) -> np.ndarray:
    """ptd_seven_point_one_side_mean: 1 at the 7th (and later) point of a run of 7 same-side points."""
    v = _as_float(relative_to_mean)
    out = np.zeros(len(v))
    for i in range(6, len(v)):
        w = v[i - 6:i + 1]
        if not np.isnan(w).any() and w[-1] != 0 and np.all(w == w[-1]):
            out[i] = 1.0
    return out


def seven_point_trend(y: Any) -> np.ndarray:
    """ptd_seven_point_trend: +1/-1 at the 7th point of 7 strictly rising/falling points (6 steps)."""
    y = _as_float(y)
    out = np.zeros(len(y))
    for i in range(6, len(y)):
        d = np.sign(np.diff(y[i - 6:i + 1]))
        if np.isnan(d).any():
            continue  # a gap breaks the trend (R would stop with an error in some such windows)
        if np.all(d == 1):
            out[i] = 1.0
        elif np.all(d == -1):
            out[i] = -1.0
    return out


def part_of_seven(flags: Any) -> np.ndarray:
    """ptd_part_of_seven_trend: 1 for a point that is one of the 7 ending at a flagged point."""
    v = _as_float(flags)
    hit = np.abs(np.nan_to_num(v)) == 1
    out = np.zeros(len(v))
    for i in range(len(v)):
        out[i] = float(hit[i:i + 7].any())
    return out


def two_in_three(close_to_limits: Any, relative_to_mean: Any) -> np.ndarray:
    """ptd_two_in_three: 1 for a point in some window of 3 with >= 2 close points, all 3 on one side."""
    c = _as_float(close_to_limits)
    r = _as_float(relative_to_mean)
    n = len(c)
    if n == 0:
        return np.zeros(0)
    if len(r) != n:  # R recycles a short vector; only the all-zero cases arise in practice
        r = np.resize(r, n) if len(r) else np.zeros(n)
    cp = np.concatenate([[0, 0], c, [0, 0]])
    rp = np.concatenate([[0, 0], r, [0, 0]])
    out = np.zeros(n)
    for i in range(n):
        for start in (i, i + 1, i + 2):  # the three windows of 3 that contain point i
            cw, rw = cp[start:start + 3], rp[start:start + 3]
            if np.isnan(cw).any() or np.isnan(rw).any():
                continue  # NA window never fires
            if cw.sum() >= 2 and abs(rw.sum()) == 3:
                out[i] = 1.0
                break
    return out


def part_of_two_in_three(two_in_three_flags: Any, close_to_limits: Any) -> np.ndarray:
    """ptd_part_of_two_in_three: only the close points of a firing window are flagged."""
    v = _as_float(two_in_three_flags)
    x = _as_float(close_to_limits)
    return ((np.nan_to_num(v) == 1) & (np.abs(np.nan_to_num(x)) == 1)).astype(float)


def special_cause_rule(y: Any, relative_to_mean: Any, outside_limits: Any, in_trend: Any,
                       in_two_of_three: Any, in_run: Any) -> list[str]:
    """The body of ptd_special_cause_type: which rule a point met, by precedence, in the package's words."""
    y = _as_float(y)
    rtm = _as_float(relative_to_mean)
    outside = np.nan_to_num(_as_float(outside_limits))
    trend = np.nan_to_num(_as_float(in_trend))
    two = np.nan_to_num(_as_float(in_two_of_three))
    run = np.nan_to_num(_as_float(in_run))
    n = len(y)
    # Direction of a trend point: the step to the next point if that point is also in a trend, else the
    # step from the previous point (so the first point of a trend uses its own trend's direction).
    sdy = np.sign(np.diff(y)) if n > 1 else np.zeros(0)
    right = np.concatenate([sdy, sdy[-1:]]) if n > 1 else np.zeros(n)
    left = np.concatenate([[0.0], sdy]) if n > 1 else np.zeros(n)
    nxt = np.concatenate([trend[1:], [0.0]]) if n else np.zeros(0)
    step = np.where((nxt != 0) & (trend != 0), right, left)
    rules = []
    for i in range(n):
        side = "Above" if rtm[i] > 0 else "Below"
        if outside[i] != 0:
            rules.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif trend[i] != 0:
            rules.append("7 Point Trend (Increasing)" if step[i] == 1 else "7 Point Trend (Decreasing)")
        elif two[i] != 0:
            rules.append(f"2 in 3 {side} CL")
        elif run[i] != 0:
            rules.append(f"7 Points {side} CL")
        else:
            rules.append(RULE_COMMON_CAUSE)
    return rules


def point_type(rules: Sequence[str], improvement_direction: str) -> list[str]:
    """ptd_point_type: orient each rule as improvement/concern (or neutral high/low)."""
    sign = _DIRECTION_SIGN[_check_direction(improvement_direction)]
    out = []
    for rule in rules:
        v = 1 if ("Above" in rule or "Increasing" in rule) else -1 if ("Below" in rule or "Decreasing" in rule) else 0
        if v == 0:
            out.append(COMMON_CAUSE)
        elif sign == 0:
            out.append(SPECIAL_CAUSE_NEUTRAL_HIGH if v > 0 else SPECIAL_CAUSE_NEUTRAL_LOW)
        else:
            out.append(SPECIAL_CAUSE_IMPROVEMENT if v * sign > 0 else SPECIAL_CAUSE_CONCERN)
    return out


def assurance_type(lpl: float, upl: float, target: float | None, improvement_direction: str) -> str | None:
    """ptd_calculate_assurance_type for one set of limits (the package uses the last point's)."""
    direction = _check_direction(improvement_direction)
    if target is None or direction == "neutral" or _isnan(target):
        return None
    increasing = direction == "increase"
    if target > upl:
        return CONSISTENT_FAIL if increasing else CONSISTENT_PASS
    if target < lpl:
        return CONSISTENT_PASS if increasing else CONSISTENT_FAIL
    return INCONSISTENT  # includes NaN limits, as R's case_when falls through to TRUE


def variation_icon(last_point_type: str, improvement_direction: str) -> str:
    """Icon for the last point, named as the package names its icon files (see VARIATION_ICON_MEANINGS)."""
    direction = _check_direction(improvement_direction)
    if last_point_type == SPECIAL_CAUSE_NEUTRAL_HIGH:
        return "neutral_high"
    if last_point_type == SPECIAL_CAUSE_NEUTRAL_LOW:
        return "neutral_low"
    if last_point_type == SPECIAL_CAUSE_CONCERN:
        return "concern_low" if direction == "increase" else "concern_high"
    if last_point_type == SPECIAL_CAUSE_IMPROVEMENT:
        return "improvement_high" if direction == "increase" else "improvement_low"
    return "common_cause"


# --------------------------------------------------------------------------------------------------
# Limits and the public function
# --------------------------------------------------------------------------------------------------

def _isnan(x: Any) -> bool:
    try:
        return bool(np.isnan(x))
    except TypeError:
        return False


def _nanmean(a: np.ndarray) -> float:
    a = a[~np.isnan(a)]
    return float(a.mean()) if len(a) else float("nan")


def _check_direction(direction: str) -> str:
    if direction not in _DIRECTION_SIGN:
        raise ValueError(f"improvement_direction must be one of {', '.join(IMPROVEMENT_DIRECTIONS)}; got {direction!r}")
    return direction


def phase_limits(y: Any, *, fix_after_n_points: int | None = None,
                 screen_outliers: bool = True) -> dict[str, Any]:
    """Centre line and limits for one phase, plus which moving ranges were used."""
    y = _as_float(y)
    fix_y = y.copy()
    if fix_after_n_points is not None:
        fix_y[int(fix_after_n_points):] = np.nan
    mean = _nanmean(fix_y)
    mr = np.concatenate([[np.nan], np.abs(np.diff(fix_y))]) if len(y) else np.zeros(0)
    amr = _nanmean(mr)
    used = ~np.isnan(mr)
    # A flat baseline has mean mR 0: screening would drop every range (R gives NaN limits); keep them.
    if screen_outliers and not np.isnan(amr) and amr > 0:
        used = used & (mr < SCREEN_MULTIPLIER * amr)
        amr = _nanmean(np.where(used, mr, np.nan))
    return {
        "mean": mean,
        "mean_moving_range": amr,
        "lpl": mean - LIMIT_MULTIPLIER * amr,
        "upl": mean + LIMIT_MULTIPLIER * amr,
        "near_lpl": mean - NEAR_LIMIT_MULTIPLIER * amr,
        "near_upl": mean + NEAR_LIMIT_MULTIPLIER * amr,
        "moving_range": np.concatenate([[np.nan], np.abs(np.diff(y))]) if len(y) else np.zeros(0),
        "moving_range_used": used,
    }


def _rebase_starts(rebase: Any, x: pd.Series, has_dates: bool) -> np.ndarray:
    """0/1 marker of points where a new phase starts (the package's `rebase` column)."""
    starts = np.zeros(len(x), dtype=int)
    if rebase is None:
        return starts
    items = [rebase] if isinstance(rebase, (str, int, np.integer, pd.Timestamp)) else list(rebase)
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise ValueError(f"rebase entries must be point positions or dates; got {item!r}")
        if isinstance(item, (int, np.integer)):
            if not 0 <= int(item) < len(x):
                raise ValueError(f"rebase position {item} is outside 0..{len(x) - 1}")
            starts[int(item)] = 1
            continue
        if not has_dates:
            raise ValueError("rebase dates need dates for the points; give positions (0-based) instead")
        try:
            when = pd.Timestamp(item)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"rebase entry {item!r} is not a date") from exc
        # A date that is not one of the points is ignored, as the package's `%in%` match does.
        starts[(x == when).to_numpy()] = 1
    return starts


def spc(values: Any, dates: Any = None, *, improvement_direction: str = "neutral",
        target: float | None = None, fix_after_n_points: int | None = None, rebase: Any = None,
        screen_outliers: bool = True) -> pd.DataFrame:
    """XmR chart of `values` (one per period, in time order or with `dates`), one row per point.

    rebase: positions (0-based, in date order) or dates where a new phase starts; each phase gets its own
    limits and rules. fix_after_n_points (>= 12): limits use only the first n points of each phase.
    Columns: x, y, phase, mean, lpl, upl, near_lpl, near_upl, moving_range, moving_range_used,
    relative_to_mean, outside_limits, close_to_limits, in_trend, in_two_of_three, in_run (rule membership
    before precedence), special_cause_rule, special_cause, point_type, trial_limits, target.
    """
    direction = _check_direction(improvement_direction)
    if fix_after_n_points is not None:
        if isinstance(fix_after_n_points, bool) or not isinstance(fix_after_n_points, (int, np.integer)) \
                or fix_after_n_points < MIN_FIX_AFTER_N_POINTS:
            raise ValueError("fix_after_n_points must be a single whole number that is at least "
                             f"{MIN_FIX_AFTER_N_POINTS}")
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"target must be a number; got {target!r}") from exc
    try:
        y = pd.to_numeric(pd.Series(list(values) if not isinstance(values, pd.Series) else values.to_numpy()),
                          errors="raise").astype(float).to_numpy()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"values must be numbers (blank or NaN for missing): {exc}") from exc

    has_dates = dates is not None
    if has_dates:
        x = pd.Series(pd.to_datetime(pd.Series(list(dates)), errors="raise"))
        if len(x) != len(y):
            raise ValueError(f"dates ({len(x)}) and values ({len(y)}) differ in length")
        if x.isna().any():
            raise ValueError("dates must not be missing")
        if x.duplicated().any():
            raise ValueError(f"duplicate dates found: {sorted(x[x.duplicated()].astype(str).unique())}")
        order = np.argsort(x.to_numpy(), kind="stable")  # the package sorts by date
        x = x.iloc[order].reset_index(drop=True)
        y = y[order]
    else:
        x = pd.Series(np.arange(len(y)))

    phase = np.cumsum(_rebase_starts(rebase, x, has_dates))
    n = len(y)
    cols: dict[str, np.ndarray] = {name: np.full(n, np.nan) for name in (
        "mean", "lpl", "upl", "near_lpl", "near_upl", "moving_range", "relative_to_mean",
        "outside_limits", "close_to_limits", "in_trend", "in_two_of_three", "in_run")}
    used = np.zeros(n, dtype=bool)
    rules: list[str] = [RULE_COMMON_CAUSE] * n
    trial = np.zeros(n, dtype=bool)

    for p in np.unique(phase):
        idx = np.flatnonzero(phase == p)
        yp = y[idx]
        lim = phase_limits(yp, fix_after_n_points=fix_after_n_points, screen_outliers=screen_outliers)
        for key in ("mean", "lpl", "upl", "near_lpl", "near_upl"):
            cols[key][idx] = lim[key]
        cols["moving_range"][idx] = lim["moving_range"]
        used[idx] = lim["moving_range_used"]
        with np.errstate(invalid="ignore"):
            rtm = np.sign(yp - lim["mean"])
            outside = np.where(np.isnan(yp) | np.isnan(lim["upl"]), np.nan,
                               ((yp > lim["upl"]) | (yp < lim["lpl"])).astype(float))
            close = np.where(np.isnan(outside), np.nan,
                             ((outside == 0) & ((yp < lim["near_lpl"]) | (yp > lim["near_upl"]))).astype(float))
        in_trend = part_of_seven(seven_point_trend(yp))
        in_two = part_of_two_in_three(two_in_three(close, rtm), close)
        in_run = part_of_seven(seven_point_one_side_mean(rtm))
        cols["relative_to_mean"][idx] = rtm
        cols["outside_limits"][idx] = outside
        cols["close_to_limits"][idx] = close
        cols["in_trend"][idx] = in_trend
        cols["in_two_of_three"][idx] = in_two
        cols["in_run"][idx] = in_run
        for i, rule in zip(idx, special_cause_rule(yp, rtm, outside, in_trend, in_two, in_run)):
            rules[i] = rule
        trial[idx] = len(idx) < TRIAL_LIMITS_BELOW

    def as_bool(a: np.ndarray) -> np.ndarray:
        return np.nan_to_num(a) != 0

    out = pd.DataFrame({
        "x": x,
        "y": y,
        "phase": phase.astype(int),
        "mean": cols["mean"],
        "lpl": cols["lpl"],
        "upl": cols["upl"],
        "near_lpl": cols["near_lpl"],
        "near_upl": cols["near_upl"],
        "moving_range": cols["moving_range"],
        "moving_range_used": used,
        "relative_to_mean": cols["relative_to_mean"],
        "outside_limits": as_bool(cols["outside_limits"]),
        "close_to_limits": as_bool(cols["close_to_limits"]),
        "in_trend": as_bool(cols["in_trend"]),
        "in_two_of_three": as_bool(cols["in_two_of_three"]),
        "in_run": as_bool(cols["in_run"]),
        "special_cause_rule": rules,
        "special_cause": [r != RULE_COMMON_CAUSE for r in rules],
        "point_type": point_type(rules, direction),
        "trial_limits": trial,
        "target": np.full(n, np.nan if target is None else target),
    })
    out.attrs.update({"improvement_direction": direction, "target": target,
                      "fix_after_n_points": fix_after_n_points, "screen_outliers": screen_outliers,
                      "rebased": rebase is not None})
    return out


def spc_phase_summary(chart: pd.DataFrame) -> pd.DataFrame:
    """One row per phase, like the package's summary(): limits, counts and the last point's type."""
    rows = []
    for p, g in chart.groupby("phase", sort=True):
        rows.append({
            "phase": int(p),
            "mean": float(g["mean"].iloc[0]),
            "lpl": float(g["lpl"].iloc[0]),
            "upl": float(g["upl"].iloc[0]),
            "n": len(g),
            "common_cause": int((~g["special_cause"]).sum()),
            "special_cause_improvement": int((g["point_type"] == SPECIAL_CAUSE_IMPROVEMENT).sum()),
            "special_cause_concern": int((g["point_type"] == SPECIAL_CAUSE_CONCERN).sum()),
            "variation_type": g["point_type"].iloc[-1],
        })
    return pd.DataFrame(rows)


def spc_summary(chart: pd.DataFrame, improvement_direction: str | None = None,
                target: float | None = None) -> dict[str, Any]:
    """Headline for the latest phase: variation and assurance icons (with meanings) and the last point."""
    direction = _check_direction(improvement_direction or chart.attrs.get("improvement_direction", "neutral"))
    if target is None:
        target = chart.attrs.get("target")
    if chart.empty:
        raise ValueError("no points to summarise")
    last = chart.iloc[-1]
    phase = chart[chart["phase"] == last["phase"]]
    icon = variation_icon(last["point_type"], direction)
    assurance = assurance_type(float(last["lpl"]), float(last["upl"]), target, direction)
    return {
        "n_points": int(len(chart)),
        "phase_points": int(len(phase)),
        "mean": float(last["mean"]),
        "lpl": float(last["lpl"]),
        "upl": float(last["upl"]),
        "last_x": last["x"],
        "last_value": float(last["y"]),
        "last_point_type": last["point_type"],
        "last_rule": last["special_cause_rule"],
        "special_cause_improvement": int((phase["point_type"] == SPECIAL_CAUSE_IMPROVEMENT).sum()),
        "special_cause_concern": int((phase["point_type"] == SPECIAL_CAUSE_CONCERN).sum()),
        "variation_icon": icon,
        "variation_meaning": VARIATION_ICON_MEANINGS[icon],
        "assurance": assurance,
        "assurance_meaning": ASSURANCE_ICON_MEANINGS.get(assurance) if assurance else None,
        "trial_limits": bool(last["trial_limits"]),
    }


# --------------------------------------------------------------------------------------------------
# Run charts: fewer than 12 points (Making Data Count; NHSRplotthedots' guidance, "Run chart rules")
# --------------------------------------------------------------------------------------------------
RUN_CHART_BELOW = 12          # from this many points the XmR chart with process limits; below it a run chart
SHIFT_POINTS = 6              # a shift: 6 or more consecutive points all above, or all below, the median
TREND_POINTS = 5              # a trend: 5 or more consecutive points all going up, or all going down
CHART_XMR, CHART_RUN = "xmr", "run"
RULE_SHIFT, RULE_TREND = "Shift", "Trend"
RULE_TOO_FEW = "Too few points"       # fewer points than the shortest rule needs: no verdict either way
TOO_FEW_POINTS = "too_few_points"
RUN_COLUMNS = ("x", "y", "median", "relative_to_median", "in_shift", "in_trend", "special_cause_rule",
               "special_cause", "point_type")


def chart_kind(values: Any) -> str:
    """'xmr' from RUN_CHART_BELOW points with a value, else 'run'."""
    return CHART_XMR if np.count_nonzero(~np.isnan(_as_float(values))) >= RUN_CHART_BELOW else CHART_RUN


def _shift_members(rel: np.ndarray) -> np.ndarray:
    """Points that are part of a shift: SHIFT_POINTS or more consecutive points on one side of the median. Points
    on the median neither break a run nor count towards it; a missing value breaks it."""
    n = len(rel)
    out = np.zeros(n, dtype=bool)
    run: list[int] = []
    side = 0.0

    def close() -> None:
        if len(run) >= SHIFT_POINTS:
            out[run] = True

    for i, r in enumerate(rel):
        if np.isnan(r):
            close()
            run, side = [], 0.0
        elif r == 0:
            continue
        elif r == side:
            run.append(i)
        else:
            close()
            run, side = [i], r
    close()
    return out


def _trend_members(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(part of a trend, its direction +1/-1): TREND_POINTS or more consecutive points each higher (or lower) than
    the one before. A repeated value neither breaks nor counts; a missing value breaks the trend."""
    n = len(y)
    out, sign = np.zeros(n, dtype=bool), np.zeros(n)
    run: list[int] = []
    direction = 0.0

    def close() -> None:
        if len(run) >= TREND_POINTS:
            out[run] = True
            sign[run] = direction

    last = np.nan
    for i, v in enumerate(y):
        if np.isnan(v):
            close()
            run, direction, last = [], 0.0, np.nan
            continue
        if np.isnan(last):
            run, direction, last = [i], 0.0, v
            continue
        step = np.sign(v - last)
        if step == 0:
            continue                      # a repeat: neither counts nor breaks
        if direction == 0 or step == direction:
            direction = step
            run.append(i)
        else:
            close()
            run, direction = [run[-1], i], step   # the turning point starts the new run
        last = v
    close()
    return out, sign


def run_chart(values: Any, dates: Any = None, *, improvement_direction: str = "neutral") -> pd.DataFrame:
    """Run chart of `values` (one per period, in time order or with `dates`; NaN for a missing month): the median,
    and the two run chart rules Making Data Count gives for fewer points than an XmR chart needs: a shift (6+
    consecutive points on one side of the median) and a trend (5+ consecutive increases or decreases). A rule is
    never read from fewer points than it needs. Columns: RUN_COLUMNS; point_type as the XmR chart names it
    (special cause improvement / concern / neutral, by the improvement direction)."""
    direction = _check_direction(improvement_direction)
    try:
        y = pd.to_numeric(pd.Series(list(values)), errors="raise").astype(float).to_numpy()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"values must be numbers (blank or NaN for missing): {exc}") from exc
    if dates is not None:
        x = pd.Series(pd.to_datetime(pd.Series(list(dates)), errors="raise"))
        if len(x) != len(y):
            raise ValueError(f"dates ({len(x)}) and values ({len(y)}) differ in length")
        order = np.argsort(x.to_numpy(), kind="stable")
        x, y = x.iloc[order].reset_index(drop=True), y[order]
    else:
        x = pd.Series(np.arange(len(y)))
    med = float(np.nanmedian(y)) if np.isfinite(y).any() else np.nan
    with np.errstate(invalid="ignore"):
        rel = np.where(np.isnan(y), np.nan, np.sign(y - med))
    in_shift = _shift_members(rel)
    in_trend, trend_sign = _trend_members(y)
    rules, side = [], []
    for i in range(len(y)):
        if in_shift[i]:
            rules.append(RULE_SHIFT)
            side.append(rel[i])
        elif in_trend[i]:
            rules.append(RULE_TREND)
            side.append(trend_sign[i])
        else:
            rules.append(RULE_COMMON_CAUSE)
            side.append(0.0)
    sign = _DIRECTION_SIGN[direction]
    if np.count_nonzero(~np.isnan(y)) < TREND_POINTS:   # no rule can be read: no verdict, not "common cause"
        rules = [RULE_TOO_FEW] * len(y)
    types = []
    for r, s in zip(rules, side):
        if r == RULE_TOO_FEW:
            types.append(TOO_FEW_POINTS)
        elif r == RULE_COMMON_CAUSE:
            types.append(COMMON_CAUSE)
        elif sign == 0:
            types.append(SPECIAL_CAUSE_NEUTRAL_HIGH if s > 0 else SPECIAL_CAUSE_NEUTRAL_LOW)
        else:
            types.append(SPECIAL_CAUSE_IMPROVEMENT if s == sign else SPECIAL_CAUSE_CONCERN)
    out = pd.DataFrame({"x": x, "y": y, "median": np.full(len(y), med), "relative_to_median": rel,
                        "in_shift": in_shift, "in_trend": in_trend, "special_cause_rule": rules,
                        "special_cause": [r in (RULE_SHIFT, RULE_TREND) for r in rules], "point_type": types})
    out.attrs.update({"improvement_direction": direction, "chart": CHART_RUN})
    return out


def run_chart_summary(chart: pd.DataFrame) -> dict[str, Any]:
    """Headline of a run chart: points, median, which rules the points can test, what the last point shows."""
    if chart.empty:
        raise ValueError("no points to summarise")
    n = int(np.count_nonzero(~np.isnan(chart["y"].to_numpy(dtype=float))))
    last = chart.iloc[-1]
    # At most half the points lie strictly on one side of their own median, so a shift of 6 needs 12 points: below
    # that (every run chart here) only a trend can signal, and the summary says so rather than implying otherwise.
    can = [f"a shift needs {2 * SHIFT_POINTS} points ({SHIFT_POINTS} on one side of the median)"
           if n < 2 * SHIFT_POINTS else "", f"a trend needs {TREND_POINTS} points" if n < TREND_POINTS else ""]
    return {"chart": CHART_RUN, "n_points": n, "median": float(last["median"]), "last_x": last["x"],
            "last_value": float(last["y"]), "last_point_type": last["point_type"], "last_rule": last["special_cause_rule"],
            "shift_possible": n >= 2 * SHIFT_POINTS, "trend_possible": n >= TREND_POINTS,
            "shifts": int(chart["in_shift"].sum()), "trends": int(chart["in_trend"].sum()),
            "too_few_for": [c for c in can if c],
            "verdict_possible": n >= TREND_POINTS}
