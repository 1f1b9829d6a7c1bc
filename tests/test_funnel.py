"""Tests for lib.stats.funnel: FunnelPlotR's own tests where they apply to proportions, METHODS.md 3.2 anchors,
and edge cases.

Ported from FunnelPlotR tests/testthat:
  test-outliers_func.R     outlier rule (a point on a limit is not an outlier), all four limit sets
  test-aggregate_fun.R     aggregation by group and the ratio
  test-classes_methods.R   phi = 2.948033 for its 6-unit example (z-scores from the SHMI transform; the
                           10 % trim leaves these 6 untouched, so phi is the mean squared z)
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.stats.funnel import (aggregate_units, funnel, funnel_limits, overdispersion_stats, winsorise,
                        z_for_level)

TOL = 1e-6

NUM_32C = [90, 130, 210, 160, 300, 75, 410, 260, 180, 520]
DEN_32C = [1000, 1200, 2000, 1900, 2800, 900, 3900, 2300, 2100, 4500]


# ------------------------------------------------------------------------------------------------
# METHODS.md 3.2 TEST ANCHORS
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, lo95, hi95, lo998, hi998", [
    (200, 0.06239, 0.14528, 0.04448, 0.17454),
    (1000, 0.08219, 0.11935, 0.07264, 0.13118),
    (5000, 0.09184, 0.10847, 0.08728, 0.11349),
    (20000, 0.09588, 0.10420, 0.09354, 0.10665),
])
def test_anchor_3_2b_arcsine_limits(n, lo95, hi95, lo998, hi998):
    row = funnel_limits(0.10, [n]).iloc[0]
    got = [round(float(row[c]), 5) for c in ("lower_95", "upper_95", "lower_99_8", "upper_99_8")]
    assert got == [lo95, hi95, lo998, hi998]


def test_anchor_3_2c_overdispersion():
    r = funnel(NUM_32C, DEN_32C)
    assert r.target == pytest.approx(0.1033186, abs=1e-7)
    assert r.units["z"].round(3).tolist() == [-1.426, 0.565, 0.246, -2.861, 0.660, -2.064, 0.370, 1.502,
                                              -2.760, 2.630]
    assert r.phi == pytest.approx(2.74035, abs=1e-5)
    assert r.tau2 == pytest.approx(0.000232669, abs=1e-9)
    assert r.adjusted
    at = funnel_limits(r.target, [1000, 4000], r.tau2)
    assert [round(v, 5) for v in at.loc[0, ["lower_95", "upper_95"]]] == [0.07861, 0.13097]
    assert [round(v, 5) for v in at.loc[1, ["lower_95", "upper_95"]]] == [0.08373, 0.12470]
    unadj = funnel_limits(r.target, [1000])
    assert [round(v, 5) for v in unadj.loc[0, ["lower_95", "upper_95"]]] == [0.08523, 0.12293]
    # the unit with n = 1000 gets the OD limits at its own size
    assert r.units.loc[0, "lower_95"] == pytest.approx(at.loc[0, "lower_95"], abs=1e-12)


def test_anchor_3_2c_unadjusted_when_asked():
    r = funnel(NUM_32C, DEN_32C, overdispersion=False)
    assert not r.adjusted
    assert r.phi == pytest.approx(2.74035, abs=1e-5)  # still reported
    assert r.units.loc[0, "lower_95"] == pytest.approx(0.0852268, abs=5e-6)
    # without adjustment 4 units fall outside the 95 % limits (|z| > 1.96); with it, none do
    flagged = r.units["below_95"] | r.units["above_95"]
    assert r.units.loc[flagged, "label"].tolist() == ["4", "6", "9", "10"]
    adj = funnel(NUM_32C, DEN_32C).units
    assert not (adj["below_95"] | adj["above_95"]).any()
    assert adj.loc[3, "z_adjusted"] == pytest.approx(-1.719416, abs=TOL)


def test_winsorising_uses_r_quantile_type_7():
    z = np.arange(1.0, 11.0)  # R: quantile(1:10, c(.1, .9)) = 1.9, 9.1
    assert winsorise(z, 0.1).tolist() == pytest.approx([1.9, 2, 3, 4, 5, 6, 7, 8, 9, 9.1])


# ------------------------------------------------------------------------------------------------
# FunnelPlotR tests
# ------------------------------------------------------------------------------------------------

def test_funnelplotr_outliers_func():
    # test-outliers_func.R: rr with fixed limits; on-the-limit is inside (rr <= UCL & rr >= LCL)
    rr = np.array([1, 0.95, 1.05, 0.8, 1.2, 0.6, 1.4, 0.4, 1.6, 0])
    cases = {"95 unadjusted": ((0.9, 1.1), [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]),
             "95 adjusted": ((0.79, 1.21), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
             "99 unadjusted": ((0.59, 1.41), [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]),
             "99 adjusted": ((0.38, 1.62), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1])}
    for (lo, hi), expected in cases.values():
        assert ((rr > hi) | (rr < lo)).astype(int).tolist() == expected
    # and the same rule inside funnel(): a unit exactly on its limit is not flagged
    r = funnel([10, 10], [100, 100])
    assert not r.units[["above_95", "below_95", "above_99_8", "below_99_8"]].any().any()


def test_funnelplotr_aggregate_func():
    b = aggregate_units([100, 150, 180, 89, 120, 225], [102, 135, 165, 95, 100, 220], ["a", "a", "a", "b", "b", "c"])
    assert b["label"].tolist() == ["a", "b", "c"]
    assert b["rate"].round(6).tolist() == [1.069652, 1.071795, 1.022727]


def test_funnel_sums_repeated_labels_like_funnelplotr():
    r = funnel([10, 20, 30], [100, 200, 300], ["x", "x", "y"])
    assert r.units["label"].tolist() == ["x", "y"]
    assert r.units["numerator"].tolist() == [30, 30] and r.units["denominator"].tolist() == [300, 300]


def test_funnelplotr_classes_methods_phi():
    o = np.array([100, 150, 180, 80, 120, 225.0])
    e = np.array([108, 112, 165, 95, 100, 220.0])
    z = np.log(o / e) * np.sqrt(e)  # SHMI transform: Y = log(O/E), s = 1/sqrt(E)
    phi, _ = overdispersion_stats(z, 1 / np.sqrt(e), trim_by=0.0)
    assert round(phi, 6) == 2.948033


# ------------------------------------------------------------------------------------------------
# Limits properties and edge cases
# ------------------------------------------------------------------------------------------------

def test_limits_formula_direct():
    p, n, tau2 = 0.2, 500, 0.001
    got = funnel_limits(p, [n], tau2).iloc[0]
    c = math.asin(math.sqrt(p))
    sd = math.sqrt(1 / (4 * n) + tau2)
    assert got["lower_95"] == pytest.approx(math.sin(c - 1.959964 * sd) ** 2, abs=1e-15)
    assert got["upper_99_8"] == pytest.approx(math.sin(c + 3.090232 * sd) ** 2, abs=1e-15)


def test_custom_levels_use_normal_quantiles():
    assert z_for_level(0.95) == 1.959964 and z_for_level(0.998) == 3.090232
    assert z_for_level(0.9) == pytest.approx(1.6448536, abs=1e-7)
    got = funnel_limits(0.5, [100], levels=(0.9,))
    assert list(got.columns) == ["denominator", "lower_90", "upper_90"]


def test_limits_truncated_at_zero_and_one():
    small = funnel_limits(0.02, [3, 10])
    assert small["lower_95"].tolist() == [0.0, 0.0]
    assert small["lower_99_8"].tolist() == [0.0, 0.0]
    high = funnel_limits(0.98, [3])
    assert high["upper_95"].iloc[0] == 1.0
    both = funnel_limits(0.0, [1000])
    assert both["lower_95"].iloc[0] == 0.0 and 0 < both["upper_95"].iloc[0] < 0.01


def test_limits_narrow_as_denominator_grows():
    lim = funnel_limits(0.1, np.arange(50, 5000, 50))
    assert (np.diff(lim["lower_95"]) > 0).all() and (np.diff(lim["upper_95"]) < 0).all()
    assert (lim["lower_99_8"] < lim["lower_95"]).all() and (lim["upper_99_8"] > lim["upper_95"]).all()


def test_zero_denominator_is_excluded_with_reason():
    r = funnel([5, 10, 0, 20], [100, 200, 0, 400], ["A", "B", "C", "D"])
    assert r.units["label"].tolist() == ["A", "B", "D"]
    assert r.excluded["label"].tolist() == ["C"]
    assert "denominator is zero" in r.excluded["reason"].iloc[0]
    assert r.target == pytest.approx(35 / 700)


def test_other_bad_units_excluded():
    r = funnel([5, float("nan"), -1, 50, 10], [100, 100, 100, 40, 200], ["A", "B", "C", "D", "E"])
    reasons = dict(zip(r.excluded["label"], r.excluded["reason"]))
    assert set(reasons) == {"B", "C", "D"}
    assert "missing" in reasons["B"] and "negative" in reasons["C"] and "larger" in reasons["D"]
    assert r.units["label"].tolist() == ["A", "E"]


def test_all_units_bad_is_a_clear_error():
    with pytest.raises(ValueError, match="denominator is zero"):
        funnel([0, 0], [0, 0], ["A", "B"])


def test_all_zero_numerators():
    r = funnel([0, 0, 0], [100, 500, 2000])
    assert r.target == 0.0
    assert r.units["z"].tolist() == [0.0, 0.0, 0.0]
    assert r.phi == 0.0 and r.tau2 == 0.0 and not r.adjusted
    assert (r.units["lower_95"] == 0).all() and (r.units["upper_95"] > 0).all()
    assert r.units["status"].eq("within limits").all()


def test_no_overdispersion_falls_back_to_unadjusted():
    # every unit exactly at the pooled rate: phi = 0
    r = funnel([10, 20, 40], [100, 200, 400])
    assert r.phi == 0 and not r.adjusted
    assert r.notes and "unadjusted" in r.notes[0]
    assert r.units.loc[0, "lower_95"] == pytest.approx(funnel_limits(0.1, [100]).iloc[0]["lower_95"])


def test_outlier_flags_and_status():
    num = [100, 110, 95, 105, 300, 20]
    den = [1000] * 6
    r = funnel(num, den, list("ABCDEF"), overdispersion=False)
    st = dict(zip(r.units["label"], r.units["status"]))
    assert st["E"] == "above 99.8% limit" and st["F"] == "below 99.8% limit"
    assert st["B"] == "within limits" and st["A"] == "below 95% limit"
    assert r.units.set_index("label").loc["E", "above_95"]


def test_curve_covers_the_data_and_includes_unit_sizes():
    r = funnel(NUM_32C, DEN_32C)
    c = r.curve
    assert c["denominator"].min() == 3 and c["denominator"].max() == 4500
    assert set(DEN_32C) <= set(c["denominator"])
    assert c["denominator"].is_monotonic_increasing
    assert (c["target"] == r.target).all()
    row = c[c["denominator"] == 1000].iloc[0]
    assert row["lower_95"] == pytest.approx(0.0786084, abs=5e-7)


def test_bad_arguments():
    with pytest.raises(ValueError):
        funnel([1, 2], [10])
    with pytest.raises(ValueError):
        funnel(["a"], [10])
    with pytest.raises(ValueError):
        funnel_limits(1.5, [10])
    with pytest.raises(ValueError):
        funnel_limits(0.5, [0])
