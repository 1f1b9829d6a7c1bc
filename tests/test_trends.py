"""lib.insight.trends on tiny hand-made metric frames; every expected value is worked out by hand in the comments."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.insight import trends
from lib.insight.metrics import OUTPUT_COLUMNS
from lib.data.schema import ALL_STAFF, month_add

DOC, NUR = "HCHS Doctors", "Nurses & health visitors"


def row(period, area, group=ALL_STAFF, **kw):
    r = {c: np.nan for c in OUTPUT_COLUMNS}
    r.update(period=period, period_months=1, level="ICS", area_code=area, staff_group=group, basis="fte",
             area_name={"QKK": "South East London", "QMJ": "North Central London", "Y56": "London",
                        "ENG": "England"}.get(area, area),
             region_code={"QKK": "Y56", "QMJ": "Y56", "Y56": "Y56", "ENG": ""}.get(area, ""))
    r.update(kw)
    return r


def frame(rows):
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS)


# ---------------------------------------------------------------- areas and comparators
def test_area_choices_lists_systems_then_regions_then_england():
    ch = trends.area_choices("ICS")
    assert len(ch) == 42 + 7 + 1
    assert ch[-1] == "ENG" and set(ch[42:49]) == {"Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"}
    assert trends.area_label("ICS", "QKK") == "South East London (QKK)"
    assert trends.area_label("ICS", "Y56") == "London region"
    assert trends.area_label("STP", "ENG") == "England"


def test_comparators_by_kind():
    assert trends.comparators("ICS", "QKK") == [("QKK", "System"), ("Y56", "Region"), ("ENG", "England")]
    assert trends.comparators("ICS", "Y56") == [("Y56", "Region"), ("ENG", "England")]
    assert trends.comparators("STP", "ENG") == [("ENG", "England")]


def test_trend_has_system_region_and_england_series():
    m = frame([row("2025-10", "QKK", vacancy_rate=0.10), row("2025-11", "QKK", vacancy_rate=0.12),
               row("2025-11", "QMJ", vacancy_rate=0.50),  # another system: not in QKK's chart
               row("2025-10", "Y56", vacancy_rate=0.09), row("2025-11", "Y56", vacancy_rate=0.11),
               row("2025-11", "ENG", vacancy_rate=0.08), row("2025-11", "QKK", DOC, vacancy_rate=0.99)])
    t = trends.trend(m, "ICS", "QKK", ALL_STAFF, ["vacancy_rate"], {"vacancy_rate": "Vacancy rate"})
    assert list(t["role"]) == ["System", "System", "Region", "Region", "England"]
    assert list(t["value"]) == [0.10, 0.12, 0.09, 0.11, 0.08]
    assert set(t["series"]) == {"South East London (QKK)", "London region", "England"}
    assert set(t["measure"]) == {"Vacancy rate"}
    assert trends.trend(m, "ICS", "QKK", "Midwives", ["vacancy_rate"]).empty


# ---------------------------------------------------------------- 12-month rolling
def _months(n, start="2024-01"):
    return [month_add(start, i) for i in range(n)]


def test_rolling_12m_sums_and_rate_by_hand():
    # leavers 1..13, joiners 2 each month; staff in post start 100+i, end 101+i in month i (0-based)
    rows = [row(p, "QKK", leavers_fte=i + 1.0, joiners_fte=2.0, sip_start_fte=100.0 + i, fte=101.0 + i)
            for i, p in enumerate(_months(13))]
    r = trends.rolling_12m(frame(rows)).set_index("period")
    assert r["leavers_12m"].iloc[:11].isna().all()  # fewer than 12 months: no rolling figure
    # month 12 (2024-12): leavers 1+..+12 = 78, joiners 24, mean SIP = (start of Jan 100 + end of Dec 112) / 2 = 106
    assert r.loc["2024-12", "leavers_12m"] == 78.0
    assert r.loc["2024-12", "joiners_12m"] == 24.0
    assert r.loc["2024-12", "sip_mean_12m"] == 106.0
    assert r.loc["2024-12", "leaver_rate_12m"] == pytest.approx(78 / 106)
    # month 13 (2025-01): leavers 2+..+13 = 90, mean SIP = (101 + 113) / 2 = 107
    assert r.loc["2025-01", "leavers_12m"] == 90.0
    assert r.loc["2025-01", "leaver_rate_12m"] == pytest.approx(90 / 107)
    assert r.loc["2025-01", "joiner_rate_12m"] == pytest.approx(24 / 107)


def test_rolling_12m_on_headcount_basis():
    rows = [row(p, "QKK", leavers_hc=1.0, joiners_hc=3.0, sip_start_hc=50.0, headcount=50.0, leavers_fte=99.0)
            for p in _months(12)]
    r = trends.rolling_12m(frame(rows), basis="hc")
    last = r[r["period"] == "2024-12"].iloc[0]
    assert last["leavers_12m"] == 12.0 and last["leaver_rate_12m"] == pytest.approx(12 / 50)
    assert last["joiner_rate_12m"] == pytest.approx(36 / 50)


def test_rolling_12m_needs_twelve_consecutive_loaded_months():
    months = _months(14)
    del months[5]  # 2024-06 not loaded: no 12-month window ends before 2025-02 (which has only 8 months after gap)
    rows = [row(p, "QKK", leavers_fte=1.0, joiners_fte=1.0, sip_start_fte=10.0, fte=10.0) for p in months]
    r = trends.rolling_12m(frame(rows))
    assert r["leavers_12m"].isna().all()
    assert r["leaver_rate_12m"].isna().all()


def test_rolling_12m_unknown_month_makes_the_window_unknown():
    # Ingest stores absent (zero) cells as 0, so NaN means unknown or suppressed: never counted as 0.
    rows = [row(p, "QKK", leavers_fte=(np.nan if i == 3 else 2.0), joiners_fte=1.0, sip_start_fte=10.0, fte=10.0)
            for i, p in enumerate(_months(12))]
    r = trends.rolling_12m(frame(rows))
    assert r[r["period"] == "2024-12"]["leavers_12m"].isna().all()
    rows = [row(p, "QKK", leavers_fte=(0.0 if i == 3 else 2.0), joiners_fte=1.0, sip_start_fte=10.0, fte=10.0)
            for i, p in enumerate(_months(12))]
    r = trends.rolling_12m(frame(rows))
    assert r[r["period"] == "2024-12"]["leavers_12m"].iloc[0] == 22.0  # 11 months x 2 and a zero month


def test_rolling_12m_ignores_annual_rows():
    rows = [row(p, "QKK", period_months=12, leavers_fte=1.0, sip_start_fte=1.0, fte=1.0) for p in _months(12)]
    assert trends.rolling_12m(frame(rows)).empty


# ---------------------------------------------------------------- flows and tables
def test_flows_net_change_is_joiners_minus_leavers():
    m = frame([row("2025-10", "QKK", leavers_fte=10.0, joiners_fte=15.5),
               row("2025-11", "QKK", leavers_fte=np.nan, joiners_fte=4.0, leavers_hc=3.0, joiners_hc=1.0)])
    f = trends.flows(m, "QKK", ALL_STAFF).pivot(index="period", columns="flow", values="value")
    assert f.loc["2025-10", "Net change"] == 5.5
    assert np.isnan(f.loc["2025-11", "Leavers"]) and np.isnan(f.loc["2025-11", "Net change"])  # unknown
    h = trends.flows(m, "QKK", ALL_STAFF, basis="hc").pivot(index="period", columns="flow", values="value")
    assert h.loc["2025-11", "Net change"] == -2.0


def test_vacancy_table_systems_only_with_gap_to_england():
    m = frame([row("2025-11", "QKK", fte=900.0, vacancy_fte=100.0, vacancy_rate=0.10),
               row("2025-11", "QMJ", fte=760.0, vacancy_fte=40.0, vacancy_rate=0.05),
               row("2025-11", "Y56", vacancy_rate=0.0857), row("2025-11", "ENG", vacancy_rate=0.08),
               row("2025-10", "QKK", vacancy_rate=0.5)])
    t = trends.vacancy_table(m, "ICS", "2025-11", ALL_STAFF)
    assert list(t["Code"]) == ["QMJ", "QKK"]  # sorted by system name; no region or England rows
    # (0.05 - 0.08) x 100 = -3 points; (0.10 - 0.08) x 100 = +2 points
    assert list(t["Difference from England (percentage points)"].round(10)) == [-3.0, 2.0]
    assert list(t["Region"]) == ["London", "London"]


def test_turnover_table_fte_and_headcount():
    base = row("2025-11", "QKK", sip_start_fte=1000.0, fte=1010.0, leavers_fte=20.0, joiners_fte=30.0,
               leaver_rate=20 / 1005, joiner_rate=30 / 1005, sip_start_hc=1100.0, headcount=1105.0,
               leavers_hc=25.0, joiners_hc=30.0)
    t = trends.turnover_table(frame([base]), "ICS", "2025-11", ALL_STAFF)
    r = t.iloc[0]
    assert r["Net change (FTE, joiners - leavers)"] == 10.0
    assert r["Staff in post at end (FTE)"] == 1010.0
    assert math.isnan(r["Leaver rate (12-month rolling)"])
    h = trends.turnover_table(frame([base]), "ICS", "2025-11", ALL_STAFF, basis="hc").iloc[0]
    assert h["Leavers (headcount)"] == 25.0 and h["Net change (headcount, joiners - leavers)"] == 5.0
    assert h["Staff in post at end (headcount)"] == 1105.0


def test_with_rolling_feeds_turnover_table():
    rows = [row(p, "QKK", leavers_fte=1.0, joiners_fte=2.0, sip_start_fte=100.0, fte=100.0) for p in _months(12)]
    t = trends.turnover_table(trends.with_rolling(frame(rows)), "ICS", "2024-12", ALL_STAFF)
    assert t.iloc[0]["Leaver rate (12-month rolling)"] == pytest.approx(12 / 100)
    assert t.iloc[0]["Joiner rate (12-month rolling)"] == pytest.approx(24 / 100)


# ---------------------------------------------------------------- role mix
def _mix_frame():
    # QKK: 100 FTE = 30 doctors + 70 nurses. England: 1000 FTE = 200 doctors + 800 nurses.
    return frame([
        row("2025-11", "QKK", fte=100.0), row("2025-11", "QKK", DOC, fte=30.0, fte_share=0.3),
        row("2025-11", "QKK", NUR, fte=70.0, fte_share=0.7),
        row("2025-11", "QMJ", fte=50.0), row("2025-11", "QMJ", DOC, fte=5.0, fte_share=0.1),
        row("2025-11", "QMJ", NUR, fte=45.0, fte_share=0.9),
        row("2025-11", "ENG", fte=1000.0), row("2025-11", "ENG", DOC, fte=200.0, fte_share=0.2),
        row("2025-11", "ENG", NUR, fte=800.0, fte_share=0.8),
        row("2024-11", "QKK", fte=80.0), row("2024-11", "QKK", DOC, fte=20.0, fte_share=0.25),
        row("2024-11", "QKK", NUR, fte=60.0, fte_share=0.75),
        row("2024-11", "ENG", fte=900.0), row("2024-11", "ENG", DOC, fte=180.0, fte_share=0.2),
        row("2024-11", "ENG", NUR, fte=720.0, fte_share=0.8),
    ])


def test_expected_mix_for_its_size():
    e = trends.expected_mix(_mix_frame(), "QKK", "2025-11").set_index("Staff group")
    # expected doctors = 100 x 0.2 = 20 -> 10 more; nurses = 100 x 0.8 = 80 -> 10 fewer
    assert e.loc[DOC, "Expected FTE"] == pytest.approx(20.0)
    assert e.loc[DOC, "Difference (FTE)"] == pytest.approx(10.0)
    assert e.loc[DOC, "Difference (percentage points)"] == pytest.approx(10.0)
    assert e.loc[DOC, "More or fewer than expected"] == "More"
    assert e.loc[NUR, "Difference (FTE)"] == pytest.approx(-10.0)
    assert e.loc[NUR, "Difference (percentage points)"] == pytest.approx(-10.0)
    assert e.loc[NUR, "More or fewer than expected"] == "Fewer"
    assert e["Expected FTE"].sum() == pytest.approx(100.0)
    assert trends.expected_mix(_mix_frame(), "QWE", "2025-11").empty  # no data for that system


def test_expected_mix_for_england_is_all_zero_difference():
    e = trends.expected_mix(_mix_frame(), "ENG", "2025-11")
    assert np.allclose(e["Difference (FTE)"], 0.0)
    assert set(e["More or fewer than expected"]) == {"As expected"}


def test_mix_vs_england_points():
    mix = trends.mix_vs_england(_mix_frame(), "ICS", "2025-11").set_index(["area_code", "staff_group"])
    assert len(mix) == 4  # 2 systems x 2 groups, no England rows, no totals
    assert mix.loc[("QMJ", DOC), "diff_pts"] == pytest.approx(-10.0)  # 10% vs 20%
    assert mix.loc[("QMJ", NUR), "england_share"] == pytest.approx(0.8)


def test_mix_change_and_over_time():
    c = trends.mix_change(_mix_frame(), "QKK", "2024-11", "2025-11").set_index("Staff group")
    assert list(c.index) == [DOC, NUR]
    assert c.loc[DOC, "Change (percentage points)"] == pytest.approx(5.0)  # 25% -> 30%
    assert c.loc[NUR, "Change (percentage points)"] == pytest.approx(-5.0)
    assert c.loc[DOC, "England change (percentage points)"] == pytest.approx(0.0)
    o = trends.mix_over_time(_mix_frame(), "ICS", "QKK")
    assert set(o["role"]) == {"System", "England"}
    assert len(o) == 8  # 2 areas x 2 groups x 2 periods
