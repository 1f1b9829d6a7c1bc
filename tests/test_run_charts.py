"""Issue 21: run charts below 12 points (Making Data Count; NHSRplotthedots' guidance): median, a shift of 6+ points
on one side of it, a trend of 5+ rising or falling; points on the median neither break nor count; no verdict from
fewer points than a rule needs. `python -m lib spc --measure sickness_rate|joiner_rate|...` over the store, with a
`chart` column. Real files: every monthly sickness absence file in ../shared/reference/workforce (Apr-Nov 2024 under
sickness/, and Mar 2025), England's figures checked against a hand computation from the CSVs."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from lib.stats.spc import (RULE_SHIFT, RULE_TOO_FEW, RULE_TREND, SPECIAL_CAUSE_CONCERN, SPECIAL_CAUSE_IMPROVEMENT,
                           TOO_FEW_POINTS, chart_kind, run_chart, run_chart_summary)
from tests.conftest import SICKNESS_MAR25, WORKFORCE, require_reference, run_cli


# ------------------------------------------------------------------------------------------------ hand cases
def test_a_shift_is_six_points_on_one_side_and_points_on_the_median_neither_break_nor_count():
    # median 5 (7th of 13): six below with the median's 5s between them -> a shift; the 5s are not part of it
    y = [5, 1, 2, 5, 1, 2, 1, 3, 5, 9, 9, 9, 9]
    c = run_chart(y, improvement_direction="decrease")
    assert c["median"].iloc[0] == 5.0
    assert list(c.index[c["in_shift"]]) == [1, 2, 4, 5, 6, 7]
    assert set(c.loc[c["in_shift"], "special_cause_rule"]) == {RULE_SHIFT}
    assert set(c.loc[c["in_shift"], "point_type"]) == {SPECIAL_CAUSE_IMPROVEMENT}   # below, lower is better
    assert not c.loc[[0, 3, 8], "in_shift"].any()     # on the median: not counted
    assert not run_chart([5, 1, 2, 5, 1, 2, 9, 3, 5, 9, 9, 9, 9])["in_shift"].any()   # a point above breaks it
    # below 12 points at most half lie strictly on one side of the median: a shift cannot show, and it is said
    s = run_chart_summary(run_chart([1, 2, 1, 2, 1, 9, 9, 9, 9, 9, 9]))
    assert not s["shift_possible"] and s["trend_possible"] and s["shifts"] == 0
    assert s["too_few_for"] == ["a shift needs 12 points (6 on one side of the median)"]


def test_a_trend_is_five_points_rising_or_falling_repeats_neither_break_nor_count():
    c = run_chart([3, 1, 2, 2, 3, 4, 5, 1], improvement_direction="decrease")
    assert list(c.index[c["in_trend"]]) == [1, 2, 4, 5, 6]        # 1,2,(2),3,4,5: five rising, the repeat skipped
    assert set(c.loc[c["in_trend"], "point_type"]) == {SPECIAL_CAUSE_CONCERN}     # rising, lower is better
    assert not run_chart([1, 2, 3, 4, 1, 2])["in_trend"].any()   # four rising only
    c = run_chart([9, 8, 7, 6, 5, 9, 9])
    assert list(c.index[c["in_trend"]]) == [0, 1, 2, 3, 4] and set(c.loc[c["in_trend"], "special_cause_rule"]) == \
        {RULE_TREND}


def test_a_missing_month_breaks_shifts_and_trends():
    assert not run_chart([1, 2, np.nan, 3, 4, 5, 9])["in_trend"].any()
    assert run_chart([1, 2, 3, 4, 5, np.nan, 9])["in_trend"].sum() == 5


def test_no_verdict_from_fewer_points_than_a_rule_needs():
    c = run_chart([1, 2, 3, 4])                       # 4 rising: a trend needs 5, a shift 6
    assert set(c["special_cause_rule"]) == {RULE_TOO_FEW} and set(c["point_type"]) == {TOO_FEW_POINTS}
    s = run_chart_summary(c)
    assert not s["verdict_possible"]
    assert s["too_few_for"] == ["a shift needs 12 points (6 on one side of the median)", "a trend needs 5 points"]
    s = run_chart_summary(run_chart([1, 2, 3, 4, 5]))
    assert s["verdict_possible"] and not s["shift_possible"] and s["trends"] == 5


def test_the_chart_kind_changes_at_twelve_points():
    assert chart_kind(range(11)) == "run" and chart_kind(range(12)) == "xmr"
    assert chart_kind([*range(11), np.nan]) == "run"      # points with a value count


# ------------------------------------------------------------------------------------------------ real sickness
SICKNESS_FILES = sorted((WORKFORCE / "sickness").glob("nhs_sickness_absence_*.csv")) + [SICKNESS_MAR25]


@pytest.fixture(scope="module")
def sickness_store(tmp_path_factory):
    require_reference()
    from lib.data.ingest import ingest
    d = tmp_path_factory.mktemp("sickness_all")
    ingest(SICKNESS_FILES, d)
    return str(d)


def england_by_hand() -> pd.Series:
    """England's rate per month straight from the published CSVs: sum of days lost / sum of days available."""
    out = {}
    for f in SICKNESS_FILES:
        d = pd.read_csv(f)
        month = pd.to_datetime(d["DATE"].iloc[0], dayfirst=True).strftime("%Y-%m")
        out[month] = d["FTE_DAYS_LOST"].sum() / d["FTE_DAYS_AVAILABLE"].sum()
    return pd.Series(out).sort_index()


def test_what_is_really_there_nine_months_not_twelve():
    months = list(england_by_hand().index)
    assert months == ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11",
                      "2025-03"]     # 9 monthly files: Dec 2024 to Feb 2025 are not in ../shared/reference


def test_spc_sickness_england_is_a_run_chart_of_the_nine_real_months(sickness_store):
    hand = england_by_hand()
    r = run_cli("spc", "--data-dir", sickness_store, "--measure", "sickness_rate", "--area", "ENG")
    assert r.returncode == 0, r.stderr
    assert "9 months: a run chart" in r.stderr
    df = pd.read_csv(io.StringIO(r.stdout))
    assert set(df["chart"]) == {"run"}
    assert list(df["x"].str[:7]) == [*hand.index[:8], "2024-12", "2025-01", "2025-02", "2025-03"]  # gaps kept
    got = df.dropna(subset=["y"]).set_index(df.dropna(subset=["y"])["x"].str[:7])["y"]
    assert np.allclose(got.to_numpy(), hand.to_numpy(), rtol=1e-9)
    assert df["median"].iloc[0] == pytest.approx(float(np.median(hand)), rel=1e-9)
    assert df["y"].iloc[8:11].isna().all() and df["mean"].isna().all()
    # lower is better; no shift (6+ on one side) and no trend (5+) in these nine months
    assert not df["special_cause"].any()


def test_spc_sickness_england_xmr_limits_by_hand(sickness_store):
    """Asked for an XmR chart (--chart xmr), the limits of the nine months: mean of the nine, the average of the
    seven month-to-month ranges Apr-Nov 2024 (Nov 2024 to Mar 2025 is four months apart: no range across the gap),
    mean +/- 2.66 x that average."""
    hand = england_by_hand()
    r = run_cli("spc", "--data-dir", sickness_store, "--measure", "sickness_rate", "--area", "ENG", "--chart", "xmr",
                "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["chart"] == "xmr"
    v = hand.to_numpy()
    mean = v.mean()
    mr = np.abs(np.diff(v[:8]))            # Apr..Nov 2024 consecutive
    assert (mr < 3.267 * mr.mean()).all()  # no range screened out
    s = doc["summary"]
    assert s["mean"] == pytest.approx(mean, rel=1e-12)
    assert s["upl"] == pytest.approx(mean + 2.66 * mr.mean(), rel=1e-12)
    assert s["lpl"] == pytest.approx(mean - 2.66 * mr.mean(), rel=1e-12)
    print(f"\nEngland sickness XmR (9 months): mean {mean:.6%}, mean moving range {mr.mean():.6%}, "
          f"lpl {s['lpl']:.6%}, upl {s['upl']:.6%}; median {np.median(v):.6%}")


def test_spc_every_measure_and_england_or_a_region(real_store26):
    store = str(real_store26)
    for measure in ("leaver_rate", "joiner_rate", "fte"):
        for area in ("ENG", "Y56", "S0E4D"):
            r = run_cli("spc", "--data-dir", store, "--measure", measure, "--area", area, "--format", "json")
            assert r.returncode == 0, (measure, area, r.stderr)
            doc = json.loads(r.stdout)
            assert doc["chart"] == "run" and doc["summary"]["n_points"] == 3   # Oct-25, Nov-25, May-26
            months = [p["x"][:7] for p in doc["points"]]
            assert months[0] == "2025-10" and months[-1] == "2026-05" and len(months) == 8   # the gap kept
    r = run_cli("spc", "--data-dir", store, "--measure", "sickness_rate", "--area", "ENG")
    assert r.returncode == 2 and "no sickness absence figures" in r.stderr


# ------------------------------------------------------------------------------------------------ the pages
def _page_text(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "subheader")
                     for e in getattr(at, kind))


@pytest.fixture(scope="module")
def turnover_and_sickness(real_store26, tmp_path_factory):
    """Oct-25, Nov-25 and May-26 turnover with every real sickness month."""
    from tests.conftest import _real_store_plus
    return _real_store_plus(real_store26, tmp_path_factory, "turnover_sickness", SICKNESS_FILES)


def test_sickness_page_draws_englands_run_chart_and_dates_its_figures(turnover_and_sickness, monkeypatch):
    """The nine real months: a run chart of England's rate (median 4.88%), with its own month (Mar 2025) said beside
    the figures while the sidebar's turnover period is May 2026."""
    from tests.conftest import open_app_page
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(turnover_and_sickness))
    at = open_app_page("views/sickness.py", {})
    assert not at.exception
    t = _page_text(at)
    assert "Run chart of 9 months: median **4.88%**" in t
    assert "Only a trend (5 or more points rising or falling) can show" in t
    assert "3 months without a value: left as gaps" in t
    assert "Sickness absence figures are for Mar 2025, 14 months before May 2026 chosen in the sidebar" in t
    specs = [str(e.proto.spec) for e in at.get("vega_lite_chart")] + [str(e.proto) for e in at.get("arrow_vega_lite_chart")]
    assert any("(run chart)" in s for s in specs)


def test_profile_draws_run_charts_on_three_months(real_store26, monkeypatch):
    from tests.conftest import open_app_page
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store26))
    at = open_app_page("views/profile.py", {"area": "S0E4D"})
    t = _page_text(at)
    assert "Run chart of 3 months" in t and "Too few points for a verdict" in t and "9 more months" in t
    assert "not enough months to judge" not in t


def test_a_missing_month_is_a_gap_in_every_spc_reading():
    """spc_view (the charts) and latest_signals ("what changed") read the same series: a month not loaded is a
    point without a value, so no moving range joins the months either side of it (hand computation)."""
    from lib.stats import signals
    periods = [p for p in pd.period_range("2024-01", "2025-03", freq="M").strftime("%Y-%m") if p != "2024-07"]
    y = np.array([1.0, 1.2, 0.9, 1.1, 1.0, 1.3, 0.8, 1.0, 1.2, 0.9, 1.1, 1.0, 1.1, 1.2]) / 100
    m = pd.DataFrame({"period": periods, "period_months": 1, "area_code": "QE1", "area_name": "Somewhere",
                      "staff_group": "All staff groups", "leaver_rate": y})
    view = signals.spc_view(m, "QE1", "All staff groups", "leaver_rate")
    assert list(view.chart["period"])[6] == "2024-07" and np.isnan(view.chart["y"].iloc[6])
    ranges = np.abs(np.diff(y[:6])).tolist() + np.abs(np.diff(y[6:])).tolist()   # none across the gap
    assert view.summary["mean"] == pytest.approx(y.mean())
    assert view.summary["upl"] == pytest.approx(y.mean() + 2.66 * np.mean(ranges))
    sig = signals.latest_signals(m, "All staff groups", "leaver_rate", "2025-03")
    assert sig["upl"].iloc[0] == pytest.approx(view.summary["upl"]) and sig["points"].iloc[0] == 15
