"""Tests for lib.stats.spc, ported from the reference packages' own tests plus METHODS.md anchors.

Sources (file: cases ported):
  NHSRplotthedots tests/testthat/test-ptd_calculate_point_type.R   rule helpers and rule precedence
  NHSRplotthedots tests/testthat/test-ptd_spc_standard.R + _snaps   limits, screening, rebase, fix, 2-in-3 sides
  NHSRplotthedots tests/testthat/_snaps/ptd_spc.md                  summary() limits, facets as separate series
  NHSRplotthedots tests/testthat/test-ptd_calculate_assurance_type.R
  NHSRplotthedots tests/testthat/test-ptd_add_short_group_warnings.R, test-ptd_add_rebase_column.R,
                  test-ptd_spc_options.R (validation)
  nhs-pycom/nhspy-plotthedots tests/unittests/*.py                  limits, trends, runs, 2-in-3, demo case
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.stats import spc as S
from lib.stats.spc import (assurance_type, part_of_seven, part_of_two_in_three, phase_limits, point_type,
                     seven_point_one_side_mean, seven_point_trend, special_cause_rule, spc, spc_phase_summary,
                     spc_summary, two_in_three, variation_icon)

TOL = 1e-6

# R: set.seed(123); rnorm(20) -- the series used throughout NHSRplotthedots' tests.
RNORM_123 = [-0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621,
             -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272,
             -0.55584113, 1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141]
RNORM_DATES = pd.date_range("2020-01-02", periods=20, freq="D")  # as.Date("2020-01-01") + 1:20


def first(df: pd.DataFrame, col: str) -> float:
    return float(df[col].iloc[0])


# ------------------------------------------------------------------------------------------------
# METHODS.md 3.1 TEST ANCHORS
# ------------------------------------------------------------------------------------------------

DEVIATIONS_Y = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_anchor_3_1a_screened_limits():
    d = spc(DEVIATIONS_Y)
    assert first(d, "mean") == pytest.approx(1.944444, abs=TOL)
    assert first(d, "upl") == pytest.approx(4.604444, abs=TOL)
    assert first(d, "lpl") == pytest.approx(-0.715556, abs=TOL)
    # the jump to 10 and back (mR 8, 9) are screened out; the other 15 ranges are all 1
    assert d["moving_range_used"].sum() == 15
    assert d.loc[4, "special_cause_rule"] == "Above UCL"


def test_anchor_3_1a_unscreened_limits_match_mdc_excel():
    d = spc(DEVIATIONS_Y, screen_outliers=False)
    assert first(d, "upl") == pytest.approx(6.951503, abs=TOL)
    assert first(d, "lpl") == pytest.approx(-3.062614, abs=TOL)
    assert (first(d, "upl") - first(d, "mean")) / 2.66 == pytest.approx(1.88235, abs=1e-5)


@pytest.mark.parametrize("values, expected", [
    (list(range(1, 11)), (5.5, 2.84, 8.16, 3.726667, 7.273333)),
    ([1, 2, 3, 4, 5, 4, 3, 2, 1, 2], (2.7, 0.04, 5.36, 0.926667, 4.473333)),
    ([3, 1, 4, 1, 5, 9, 2], (3.571429, -6.625238, 13.768095, -3.226349, 10.369206)),
    ([1, 2, 3, 2, 1, 2, 3, 4, 5, 6, 7, 4, 3, 2, 1, 2], (3.0, -0.014667, 6.014667, 0.990222, 5.009778)),
])
def test_anchor_3_1b_limits(values, expected):
    d = spc(values, screen_outliers=False)
    got = tuple(first(d, c) for c in ("mean", "lpl", "upl", "near_lpl", "near_upl"))
    assert got == pytest.approx(expected, abs=TOL)


ANCHOR_31C = [10, 11, 9, 10, 12, 8, 10, 11, 9, 10, 10, 11, 12, 12.5, 13, 12.2, 12.8, 12.4, 12.6, 10, 9, 10, 17, 10]


def test_anchor_3_1c_fixed_limits_and_rules():
    d = spc(ANCHOR_31C, fix_after_n_points=12)
    assert first(d, "mean") == pytest.approx(10.083333, abs=TOL)
    assert (first(d, "upl") - first(d, "mean")) / 2.66 == pytest.approx(1.545455, abs=TOL)
    assert first(d, "upl") == pytest.approx(14.194242, abs=TOL)
    assert first(d, "lpl") == pytest.approx(5.972424, abs=TOL)
    assert first(d, "near_upl") == pytest.approx(12.823939, abs=TOL)
    rules = d["special_cause_rule"].tolist()
    # 1-based points 12-19 form a run of 8 above the mean; point 23 (17) is above the UCL
    assert rules[11:19] == ["7 Points Above CL"] * 8
    assert rules[22] == "Above UCL"
    others = [r for i, r in enumerate(rules) if not (11 <= i <= 18 or i == 22)]
    assert others == ["Common Cause"] * 15
    # 13 is close to the limit but 12.8 < near UPL, so 2-in-3 does not fire
    assert d.loc[14, "close_to_limits"] and not d["in_two_of_three"].any()


def test_anchor_3_1c_package_helpers():
    assert seven_point_trend(range(1, 8)).tolist() == [0, 0, 0, 0, 0, 0, 1]
    assert seven_point_trend([1, 2, 3, 3, 4, 5, 6]).tolist() == [0] * 7
    assert seven_point_one_side_mean([1] * 8 + [-1]).tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 0]


# ------------------------------------------------------------------------------------------------
# NHSRplotthedots test-ptd_calculate_point_type.R
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("v, expected", [
    ([], []),
    ([1] * 6, [0] * 6),
    ([1] * 6 + [-1], [0] * 7),
    ([1] * 8 + [-1], [0, 0, 0, 0, 0, 0, 1, 1, 0]),
    ([-1] * 8 + [1], [0, 0, 0, 0, 0, 0, 1, 1, 0]),
])
def test_ptd_seven_point_one_side_mean(v, expected):
    assert seven_point_one_side_mean(v).tolist() == expected


@pytest.mark.parametrize("v, expected", [
    ([], []),
    ([0] * 6, [0] * 6),
    ([0] * 6 + [1, 0], [1] * 7 + [0]),
    ([0] * 7 + [1, 0], [0] + [1] * 7 + [0]),
    ([0] * 6 + [-1, 0], [1] * 7 + [0]),
    ([0] * 7 + [-1, 0], [0] + [1] * 7 + [0]),
])
def test_ptd_part_of_seven_trend(v, expected):
    assert part_of_seven(v).tolist() == expected


@pytest.mark.parametrize("y, expected", [
    ([], []),
    (list(range(1, 7)), [0] * 6),
    ([1, 2, 3, 3, 4, 5, 6], [0] * 7),
    (list(range(1, 8)), [0, 0, 0, 0, 0, 0, 1]),
    ([2, 1, 2, 3, 4, 5, 6, 7, 3], [0, 0, 0, 0, 0, 0, 0, 1, 0]),
    (list(range(7, 0, -1)), [0, 0, 0, 0, 0, 0, -1]),
    ([2, 7, 6, 5, 4, 3, 2, 1, 3], [0, 0, 0, 0, 0, 0, 0, -1, 0]),
])
def test_ptd_seven_point_trend(y, expected):
    assert seven_point_trend(y).tolist() == expected


def test_ptd_two_in_three_same_side():
    assert two_in_three([], []).tolist() == []
    assert two_in_three([0, 0, 0], [0]).tolist() == [0, 0, 0]
    for close in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert two_in_three(close, [1, 1, 1]).tolist() == [1, 1, 1]
    assert two_in_three([0, 0, 1, 0, 1, 0, 0], [1] * 7).tolist() == [0, 0, 1, 1, 1, 0, 0]
    assert two_in_three([0, 0, 1, 1, 0, 0, 0], [1] * 7).tolist() == [0, 1, 1, 1, 1, 0, 0]


def test_ptd_two_in_three_opposite_sides():
    for close in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert two_in_three(close, [1, -1, 1]).tolist() == [0, 0, 0]
    assert two_in_three([0, 0, 1, 0, 1, 0, 0], [1, -1, 1, -1, 1, -1, 1]).tolist() == [0] * 7
    assert two_in_three([0, 0, 1, 1, 0, 0, 0], [-1, 1, -1, 1, -1, 1, -1]).tolist() == [0] * 7


@pytest.mark.parametrize("close, rtm, expected", [
    ([], [], []),
    ([1, 0, 1], [1, 1, 1], [1, 0, 1]),
    ([0, 1, 1], [1, 1, 1], [0, 1, 1]),
    ([1, 1, 0], [1, 1, 1], [1, 1, 0]),
    ([0, 0, 1, 0, 1, 0, 0], [1] * 7, [0, 0, 1, 0, 1, 0, 0]),
    ([1, 0, 0, 1], [1] * 4, [0, 0, 0, 0]),
    ([1, 0, 0, 1, 1], [1] * 5, [0, 0, 0, 1, 1]),
])
def test_ptd_part_of_two_in_three(close, rtm, expected):
    assert part_of_two_in_three(two_in_three(close, rtm), close).tolist() == expected


def test_ptd_special_cause_type_precedence():
    # The package test mocks the rule parts; here the same parts are passed in directly.
    rules = special_cause_rule(
        y=list(range(1, 9)),
        relative_to_mean=[1] * 4 + [-1] * 4,
        outside_limits=[0, 0, 0, 0, 0, 1, -1, 0],
        in_trend=[1, -1, 0, 0, 0, 0, 0, 0],
        in_two_of_three=[0, 0, 0, 0, 1, 0, 0, 0],
        in_run=[0, 0, 1, -1, 0, 0, 0, 0],
    )
    assert rules == ["7 Point Trend (Increasing)", "7 Point Trend (Increasing)", "7 Points Above CL",
                     "7 Points Above CL", "2 in 3 Below CL", "Below LCL", "Below LCL", "Common Cause"]


def test_ptd_point_type_orientation():
    rules = ["Above UCL", "Below LCL", "7 Point Trend (Increasing)", "7 Point Trend (Decreasing)",
             "2 in 3 Above CL", "7 Points Below CL", "Common Cause"]
    assert point_type(rules, "increase") == [
        "special_cause_improvement", "special_cause_concern", "special_cause_improvement",
        "special_cause_concern", "special_cause_improvement", "special_cause_concern", "common_cause"]
    assert point_type(rules, "decrease") == [
        "special_cause_concern", "special_cause_improvement", "special_cause_concern",
        "special_cause_improvement", "special_cause_concern", "special_cause_improvement", "common_cause"]
    assert point_type(rules, "neutral") == [
        "special_cause_neutral_high", "special_cause_neutral_low", "special_cause_neutral_high",
        "special_cause_neutral_low", "special_cause_neutral_high", "special_cause_neutral_low", "common_cause"]


# ------------------------------------------------------------------------------------------------
# NHSRplotthedots test-ptd_spc_standard.R and snapshots
# ------------------------------------------------------------------------------------------------

def test_ptd_spc_standard_snapshot_values():
    d = spc(RNORM_123, RNORM_DATES)
    # _snaps/ptd_spc_standard.md shows mean 0.142, lpl -3.01, upl 3.29 on every row
    assert d["mean"].round(3).unique().tolist() == [0.142]
    assert d["lpl"].round(2).unique().tolist() == [-3.01]
    assert d["upl"].round(2).unique().tolist() == [3.29]
    assert first(d, "mean") == pytest.approx(0.14162380, abs=TOL)  # mean of the 20 values
    assert not d["outside_limits"].any()
    assert d["relative_to_mean"].tolist() == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1]


def test_ptd_spc_standard_screen_outliers_changes_limits():
    r1 = spc(RNORM_123)
    y = list(RNORM_123)
    y[14] = 10  # data$y[15] <- 10
    r2 = spc(y)
    r3 = spc(y, screen_outliers=False)
    lpls = [first(r, "lpl") for r in (r1, r2, r3)]
    upls = [first(r, "upl") for r in (r1, r2, r3)]
    assert len(set(lpls)) == 3 and len(set(upls)) == 3
    assert upls[2] - lpls[2] > upls[1] - lpls[1]
    # the two ranges either side of the 10 are screened out
    assert r2["moving_range_used"].sum() == 17 and r3["moving_range_used"].sum() == 19


def test_ptd_spc_standard_rebase_group():
    assert spc(RNORM_123)["phase"].tolist() == [0] * 20
    assert spc(RNORM_123, rebase=[10])["phase"].tolist() == [0] * 10 + [1] * 10


def test_ptd_spc_standard_fix_after_n_points_changes_limits():
    s0, s1 = spc(RNORM_123), spc(RNORM_123, fix_after_n_points=12)
    assert first(s1, "lpl") != first(s0, "lpl") and first(s1, "upl") != first(s0, "upl")
    assert first(s1, "mean") == pytest.approx(np.mean(RNORM_123[:12]), abs=1e-12)


def test_ptd_two_of_three_close_points_on_opposite_sides_are_common_cause():
    data = [1, -1] * 8
    data[14], data[15] = 5.5, -5.5
    d = spc(data, improvement_direction="increase")
    assert d["close_to_limits"].tolist()[-2:] == [True, True]
    assert d["point_type"].tolist()[-2:] == ["common_cause", "common_cause"]


# ------------------------------------------------------------------------------------------------
# NHSRplotthedots _snaps/ptd_spc.md (summary) -- facets are separate series here
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("part, mean, lpl, upl", [
    (slice(0, 20), 0.142, -3.01, 3.29),
    (slice(0, 10), 0.0746, -2.60, 2.75),
    (slice(10, 20), 0.209, -3.28, 3.70),
])
def test_ptd_spc_summary_snapshot(part, mean, lpl, upl):
    d = spc(RNORM_123[part], RNORM_DATES[part], improvement_direction="increase")
    s = spc_phase_summary(d)
    row = s.iloc[0]
    n = len(RNORM_123[part])
    sig = 3  # tibble prints 3 significant figures
    assert float(f"{row['mean']:.{sig}g}") == mean
    assert float(f"{row['lpl']:.{sig}g}") == lpl and float(f"{row['upl']:.{sig}g}") == upl
    assert (row["n"], row["common_cause"], row["special_cause_improvement"], row["special_cause_concern"]) == (n, n, 0, 0)
    assert row["variation_type"] == "common_cause"


def test_ptd_spc_rebase_on_a_date_not_in_the_data_is_ignored():
    # summary(s2) in the snapshot: rebase = 2020-01-01, which precedes the first date -> one group 0
    d = spc(RNORM_123, RNORM_DATES, rebase=[pd.Timestamp("2020-01-01")])
    assert d["phase"].unique().tolist() == [0]
    assert first(d, "upl") == pytest.approx(first(spc(RNORM_123), "upl"), abs=1e-12)


def test_ptd_spc_summary_with_target_assurance():
    # limits -3.01..3.29 straddle a target of 0.5 -> inconsistent
    s = spc_summary(spc(RNORM_123, improvement_direction="increase", target=0.5))
    assert s["assurance"] == "inconsistent"
    assert s["variation_icon"] == "common_cause"


# ------------------------------------------------------------------------------------------------
# NHSRplotthedots test-ptd_calculate_assurance_type.R
# ------------------------------------------------------------------------------------------------

LIMITS = [(1, 3), (5, 7), (1, 5)]  # (lpl, upl) for facets a, b, c; target 4


def test_assurance_increase():
    assert [assurance_type(lo, hi, 4, "increase") for lo, hi in LIMITS] == [
        "consistent_fail", "consistent_pass", "inconsistent"]


def test_assurance_decrease():
    assert [assurance_type(lo, hi, 4, "decrease") for lo, hi in LIMITS] == [
        "consistent_pass", "consistent_fail", "inconsistent"]


def test_assurance_neutral_or_no_target_is_none():
    assert [assurance_type(lo, hi, 4, "neutral") for lo, hi in LIMITS] == [None, None, None]
    assert assurance_type(1, 3, None, "increase") is None


def test_assurance_uses_last_point_limits_after_rebase():
    # Package test: rows reordered, the assurance comes from the last row's limits.
    rows = {1: (1, 3), 2: (5, 7), 3: (1, 5)}
    for order, expected in (((1, 2, 3), "inconsistent"), ((2, 3, 1), "consistent_pass"),
                            ((3, 1, 2), "consistent_fail")):
        lo, hi = rows[order[-1]]
        assert assurance_type(lo, hi, 4, "decrease") == expected


def test_summary_assurance_comes_from_the_latest_phase():
    y = [60] * 5 + [55, 65] * 8 + [92, 95, 93, 96, 94, 91, 95, 97, 92, 94, 96, 93, 95]
    chart = spc(y, improvement_direction="increase", target=90, rebase=[21])
    s = spc_summary(chart)
    assert chart.loc[0, "upl"] < 90 < chart.loc[30, "upl"]  # old phase fails, new phase straddles
    assert s["assurance"] == "inconsistent"
    assert s["assurance_meaning"] == S.ASSURANCE_ICON_MEANINGS["inconsistent"]


# ------------------------------------------------------------------------------------------------
# NHSRplotthedots test-ptd_add_short_group_warnings.R / test-ptd_add_rebase_column.R
# ------------------------------------------------------------------------------------------------

def test_trial_limits_flag_uses_the_package_default_threshold():
    # The package test passes threshold 12 (11 flagged, 12 not); its default option is 13.
    assert spc(range(11))["trial_limits"].all()
    assert spc(range(12))["trial_limits"].all()
    assert not spc(range(13))["trial_limits"].any()


def test_trial_limits_flag_per_phase():
    # facet a: 35 points then a short rebased group of 5 -> only those 5 are trial limits
    d = spc(np.arange(40.0), rebase=[35])
    assert d["trial_limits"].tolist() == [False] * 35 + [True] * 5


def test_rebase_by_dates():
    dates = pd.date_range("2020-01-02", periods=10, freq="D")
    d = spc(range(10), dates, rebase=["2020-01-03", "2020-01-08"])
    # rebase markers c(0,1,0,0,0,0,1,0,0,0) -> groups 0,1,1,1,1,1,2,2,2,2
    assert d["phase"].tolist() == [0, 1, 1, 1, 1, 1, 2, 2, 2, 2]


# ------------------------------------------------------------------------------------------------
# NHSRplotthedots test-ptd_spc_options.R (validation)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["a", 11, 12.0, True])
def test_fix_after_n_points_must_be_a_whole_number_at_least_12(bad):
    with pytest.raises(ValueError, match="at least 12"):
        spc(range(20), fix_after_n_points=bad)


def test_fix_after_12_is_allowed():
    assert first(spc(range(20), fix_after_n_points=12), "mean") == pytest.approx(5.5)


def test_improvement_direction_and_target_validated():
    with pytest.raises(ValueError, match="improvement_direction"):
        spc(range(5), improvement_direction="a")
    with pytest.raises(ValueError, match="target"):
        spc(range(5), target="a")


def test_duplicate_dates_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        spc([1, 2], ["2020-01-01", "2020-01-01"])


# ------------------------------------------------------------------------------------------------
# nhs-pycom/nhspy-plotthedots tests (no screening in its limits_calculations)
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values, expected", [
    (list(range(10, 0, -1)), (5.5, 2.84, 8.16, 3.7266666666666666, 7.273333333333333)),
    ([1, 2, 3], (2.0, -0.66, 4.66, 0.22666666666666657, 3.7733333333333334)),
    (list(range(20)), (9.5, 6.84, 12.16, 7.726666666666667, 11.273333333333333)),
    ([-1, -2, -3, -2, -1, -2, -3, -4, -5, -6, -7, -4, -3, -2, -1, -2],
     (-3.0, -6.014666666666667, 0.014666666666666828, -5.009777777777778, -0.9902222222222221)),
])
def test_nhspy_limits_calculations(values, expected):
    lim = phase_limits(values, screen_outliers=False)
    got = (lim["mean"], lim["lpl"], lim["upl"], lim["near_lpl"], lim["near_upl"])
    assert got == pytest.approx(expected, abs=1e-12)


def test_nhspy_limits_empty_input_is_nan():
    lim = phase_limits([])
    assert all(math.isnan(lim[k]) for k in ("mean", "lpl", "upl", "near_lpl", "near_upl"))


@pytest.mark.parametrize("values, expected", [
    (list(range(1, 11)), [0] * 6 + [1] * 4),
    (list(range(10, 0, -1)), [0] * 6 + [-1] * 4),
    ([1, 2, 3, 4, 5, 4, 3, 2, 1, 2], [0] * 10),
    ([1, 2, 3], [0, 0, 0]),
    (list(range(20)), [0] * 6 + [1] * 14),
    ([1] * 7, [0] * 7),
    ([1, 2, 3, 2, 1, 2, 3, 4, 5, 6, 7, 4, 3, 2, 1, 2], [0] * 10 + [1] + [0] * 5),
    ([-1, -2, -3, -2, -1, -2, -3, -4, -5, -6, -7, -4, -3, -2, -1, -2], [0] * 10 + [-1] + [0] * 5),
])
def test_nhspy_seven_point_trend(values, expected):
    assert seven_point_trend(values).tolist() == expected


@pytest.mark.parametrize("values, expected", [
    ([1] * 7, [0] * 6 + [1]),
    ([-1] * 7, [0] * 6 + [1]),
    ([-1, 0, 1, 0, -1, 0, 1], [0] * 7),
    ([1, 0, -1], [0, 0, 0]),
    ([1] * 10 + [-1] * 10, [0] * 6 + [1] * 4 + [0] * 6 + [1] * 4),
    (list(range(-10, 10)), [0] * 20),
])
def test_nhspy_seven_point_one_side_mean(values, expected):
    assert seven_point_one_side_mean(values).tolist() == expected


def test_points_on_the_mean_never_make_a_run():
    # nhspy expects [True]*7 for seven zeros; the R package requires a non-zero side (`vp[[i]] != 0`).
    assert seven_point_one_side_mean([0] * 7).tolist() == [0] * 7


@pytest.mark.parametrize("values, expected", [
    ([0, 1, 2, 3], [1, 1, 0, 0]),
    (list(range(20)), [1, 1] + [0] * 18),
    ([1] * 7, [1] * 7),
    ([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1] + [0] * 9),
    ([-1, -2, -3, -2, -1, -2, -3, -4, -5, -6, -7, -4, -3, -2, -1, -2],
     [1] * 5 + [0] * 3 + [1] * 7 + [0]),
])
def test_nhspy_part_of_seven_trend_with_current_r_semantics(values, expected):
    # nhspy follows the old R code (`== 1`); NHSRplotthedots 0.2.x uses abs(.) == 1, so -1 also counts.
    assert part_of_seven(values).tolist() == expected


def test_nhspy_two_in_three_large():
    rtm = [-1, -1, -1, -1, -1, 0, -1, -1, 1, -1, 0, -1, -1, 0, 0, -1, 0, 1, -1, 1, -1, -1, 1, 0, -1, 1, 1,
           0, -1, -1, 0, -1, 0, 0, -1, 1, 0, 0, -1, 0, 0, 0, 0, 0, 1, 0, 1, -1, 0, 1, 0, 0, 1, 1,
           1, -1, -1, 1, -1, 0, 1, -1, 1, 1, 0, -1, 1, 0, 0, 1, 0, 1, 1, 1, -1, 1, 1, 0, 1, 1, 1]
    expected = [1] * 5 + [0] * 47 + [1] * 3 + [0] * 16 + [1] * 3 + [0] * 4 + [1] * 3
    assert two_in_three([1] * 81, rtm).tolist() == expected


@pytest.mark.parametrize("close, rtm, expected", [
    ([1, 1, 1], [-1, -1, -1], [1, 1, 1]),
    ([1, 1, 1], [1, -1, 1], [0, 0, 0]),
    ([0, 0, 0], [1, 1, 1], [0, 0, 0]),
])
def test_nhspy_two_in_three_small(close, rtm, expected):
    assert two_in_three(close, rtm).tolist() == expected


@pytest.mark.parametrize("y, outside, close, rtm", [
    ([0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0]),   # outside limits
    ([0] * 7, [0] * 7, [0] * 7, [1] * 7),           # seven above the mean
    (list(range(7)), [0] * 7, [0] * 7, [0] * 7),    # seven rising (nhspy uses [1]*7, which in R is no trend)
    ([0] * 3, [0] * 3, [1, 1, 1], [1, 1, 1]),       # 2 of 3 close
])
def test_nhspy_special_cause_flag(y, outside, close, rtm):
    rules = special_cause_rule(y, rtm, outside, part_of_seven(seven_point_trend(y)),
                               part_of_two_in_three(two_in_three(close, rtm), close),
                               part_of_seven(seven_point_one_side_mean(rtm)))
    assert all(r != "Common Cause" for r in rules)


def test_nhspy_demo_case_from_nhs_england_tool():
    values = [89, 86, 75, 77, 81, 74, 72, 78, 76, 82, 77, 54, 66, 77, 86]
    d = spc(values)
    assert first(d, "mean") == pytest.approx(76.666667, abs=TOL)
    assert first(d, "lpl") == pytest.approx(57.096667, abs=TOL)   # nhspy: 57 to 0 d.p.
    assert first(d, "upl") == pytest.approx(96.236667, abs=TOL)   # nhspy: 96 to 0 d.p.
    assert d["outside_limits"].tolist() == [False] * 11 + [True] + [False] * 3
    assert d["relative_to_mean"].tolist() == [1.0 if v >= 76.67 else -1.0 for v in values]
    assert not d["close_to_limits"].any()
    assert d["special_cause"].tolist() == [False] * 11 + [True] + [False] * 3


def test_nhspy_fix_point_mean():
    # nhspy fixes after 5 points; the package requires >= 12 so only the limits helper accepts it.
    assert phase_limits(np.arange(1, 11), fix_after_n_points=5)["mean"] == pytest.approx(3.0)


# ------------------------------------------------------------------------------------------------
# Hand-made edge cases
# ------------------------------------------------------------------------------------------------

def test_fewer_than_seven_points_only_limit_rule_can_fire():
    d = spc([1, 2, 3, 4, 5, 6])
    assert not d["in_trend"].any() and not d["in_run"].any()
    assert d["trial_limits"].all()
    assert first(d, "upl") == pytest.approx(3.5 + 2.66, abs=1e-12)


def test_single_point_has_no_limits_and_is_common_cause():
    d = spc([5.0])
    assert first(d, "mean") == 5.0 and math.isnan(first(d, "upl"))
    assert d["point_type"].tolist() == ["common_cause"]


def test_empty_series():
    d = spc([])
    assert d.empty and "point_type" in d.columns


def test_constant_series_limits_collapse_on_the_mean():
    d = spc([4.0] * 15, improvement_direction="decrease")
    assert first(d, "lpl") == first(d, "upl") == first(d, "mean") == 4.0
    assert (d["relative_to_mean"] == 0).all()
    assert d["point_type"].eq("common_cause").all()
    s = spc_summary(d, target=5)
    assert s["assurance"] == "consistent_pass"  # target above the (zero-width) limits, lower is better


def test_constant_then_step_is_flagged():
    d = spc([4.0] * 15 + [5.0])
    # mR: fourteen 0s and one 1 -> mean 1/15; 3.267 x mean mR = 0.2178 < 1, so the 1 is screened out and
    # the mean mR becomes 0 again; the step lies above the zero-width limits
    assert first(d, "upl") == pytest.approx(first(d, "mean"), abs=1e-12)
    assert d["special_cause_rule"].iloc[-1] == "Above UCL"


def test_missing_values_follow_the_package():
    y = [10, 11, 9, 10, float("nan"), 12, 8, 10, 11, 9, 10, 10, 11]
    d = spc(y)
    valid = [v for v in y if not math.isnan(v)]
    assert first(d, "mean") == pytest.approx(np.mean(valid), abs=1e-12)
    # ranges either side of the gap are not formed: |10-11|,|11-9|,|9-10|, then |12-8|,... (7 more)
    mrs = [1, 2, 1, 4, 2, 1, 2, 1, 0, 1]
    assert first(d, "upl") == pytest.approx(np.mean(valid) + 2.66 * np.mean(mrs), abs=1e-12)
    assert d["moving_range_used"].sum() == 10
    row = d.iloc[4]
    assert math.isnan(row["y"]) and math.isnan(row["relative_to_mean"])
    assert row["point_type"] == "common_cause" and not row["special_cause"]
    assert len(d) == 13 and not d["trial_limits"].any()  # the gap still counts as a point


def test_missing_value_breaks_runs_and_trends():
    nan = float("nan")
    above = [5, 5, 5, nan, 5, 5, 5, 5] + [0] * 12
    d = spc(above)
    assert not d["in_run"].iloc[:8].any()  # 3 + gap + 4: no run of 7 either side of the gap
    trend = [1, 2, 3, nan, 5, 6, 7, 8] + [4] * 8
    assert not spc(trend)["in_trend"].any()  # R would stop with an error here; the gap breaks the trend


def test_trend_direction_and_orientation():
    y = [5, 5, 5, 5, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5]
    d = spc(y, improvement_direction="decrease")
    assert d["in_trend"].tolist()[4:11] == [True] * 7
    assert set(d["special_cause_rule"].iloc[4:11]) <= {"7 Point Trend (Increasing)", "Below LCL", "Above UCL"}
    trend_rows = d[d["special_cause_rule"] == "7 Point Trend (Increasing)"]
    assert len(trend_rows) >= 1 and trend_rows["point_type"].eq("special_cause_concern").all()


def test_dates_are_sorted_before_analysis():
    dates = ["2024-03-01", "2024-01-01", "2024-02-01"]
    d = spc([3, 1, 2], dates)
    assert d["y"].tolist() == [1, 2, 3]
    assert d["x"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))


def test_non_numeric_values_rejected():
    with pytest.raises(ValueError, match="numbers"):
        spc(["a", 1, 2])


def test_variation_icons_and_meanings():
    assert variation_icon("special_cause_improvement", "increase") == "improvement_high"
    assert variation_icon("special_cause_improvement", "decrease") == "improvement_low"
    assert variation_icon("special_cause_concern", "increase") == "concern_low"
    assert variation_icon("special_cause_concern", "decrease") == "concern_high"
    assert variation_icon("special_cause_neutral_low", "neutral") == "neutral_low"
    assert variation_icon("common_cause", "neutral") == "common_cause"
    assert set(S.VARIATION_ICON_MEANINGS) == {"common_cause", "improvement_high", "improvement_low",
                                              "concern_high", "concern_low", "neutral_high", "neutral_low"}
    assert "Usual variation" in S.VARIATION_ICON_MEANINGS["common_cause"]
    assert "consistently meet" in S.ASSURANCE_ICON_MEANINGS["consistent_pass"]


def test_summary_last_point_special_cause_concern_for_leaver_rate():
    # leaver rate: lower is better; a last point far above the limits is a concern
    y = [0.10, 0.11, 0.10, 0.105, 0.10, 0.11, 0.10, 0.105, 0.10, 0.11, 0.10, 0.105, 0.20]
    s = spc_summary(spc(y, improvement_direction="decrease", target=0.12))
    assert s["last_point_type"] == "special_cause_concern"
    assert s["variation_icon"] == "concern_high"
    assert s["last_rule"] == "Above UCL"
    assert s["trial_limits"] is False
