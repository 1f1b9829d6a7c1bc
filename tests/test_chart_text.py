"""Chart descriptions state the key figures (hand-computed cases)."""
import pandas as pd

from lib.insight.chart_text import trend_description


def _series(rows):
    return pd.DataFrame(rows, columns=["period", "area_code", "series", "role", "measure", "value"])


def test_system_against_region_and_england():
    s = _series([
        ("2025-10", "QKK", "South East London", "System", "Leaver rate", 0.0100),
        ("2025-11", "QKK", "South East London", "System", "Leaver rate", 0.0095),
        ("2025-10", "Y56", "London", "Region", "Leaver rate", 0.0091),
        ("2025-11", "Y56", "London", "Region", "Leaver rate", 0.0090),
        ("2025-10", "ENG", "England", "England", "Leaver rate", 0.0088),
        ("2025-11", "ENG", "England", "England", "Leaver rate", 0.0089),
    ])
    assert trend_description(s, "Leaver rate", period="2025-11") == (
        "Leaver rate for South East London, Oct-Nov 2025: 0.95% in Nov 2025 against London 0.90% and England 0.89%.")
    # the chosen month, not the latest
    assert trend_description(s, "Leaver rate", period="2025-10") == (
        "Leaver rate for South East London, Oct-Nov 2025: 1.00% in Oct 2025 against London 0.91% and England 0.88%.")


def test_latest_month_when_period_missing_and_england_alone():
    s = _series([
        ("2025-10", "ENG", "England", "England", "Vacancy rate", 0.071),
        ("2025-11", "ENG", "England", "England", "Vacancy rate", 0.0725),
    ])
    assert trend_description(s, "Vacancy rate", period="2026-01") == (
        "Vacancy rate for England, Oct-Nov 2025: 7.25% in Nov 2025.")


def test_empty_and_missing_values():
    assert trend_description(_series([]), "Leaver rate") == ""
    s = _series([("2025-11", "QKK", "South East London", "System", "Leaver rate", float("nan")),
                 ("2025-11", "ENG", "England", "England", "Leaver rate", 0.0089)])
    assert trend_description(s, "Leaver rate") == "Leaver rate for England, Nov 2025: 0.89% in Nov 2025."


def test_mix_description_names_the_largest_gaps():
    from lib.insight.chart_text import mix_description
    e = pd.DataFrame({"Staff group": ["Doctors", "Nurses & health visitors", "Midwives"],
                      "Share": [0.09, 0.30, 0.021], "England share": [0.10, 0.275, 0.020],
                      "Difference (percentage points)": [-1.0, 2.5, 0.1]})
    assert mix_description(e, "South East London", "2025-11") == (
        "Share of FTE by staff group for South East London, Nov 2025: largest differences from England's mix: "
        "Nurses & health visitors 30.00% against England 27.50% (+2.50 points); "
        "Doctors 9.00% against England 10.00% (-1.00 points).")
    assert mix_description(e.iloc[0:0], "X", "2025-11") == ""


def test_profile_trends_description():
    from lib.insight.chart_text import profile_trends_description
    tr = pd.DataFrame([
        ("2025-10", "Staff in post FTE (index, first period = 100)", "South East London", 100.0),
        ("2025-11", "Staff in post FTE (index, first period = 100)", "South East London", 101.25),
        ("2025-11", "Staff in post FTE (index, first period = 100)", "England", 100.5),
        ("2025-11", "Leaver rate", "South East London", 0.0095),
        ("2025-11", "Leaver rate", "London", 0.0090),
        ("2025-11", "Leaver rate", "England", 0.0089),
        ("2025-11", "Vacancy rate", "South East London", float("nan")),
    ], columns=["period", "measure", "series", "value"])
    assert profile_trends_description(tr, "2025-11") == (
        "Trends for South East London to Nov 2025: Staff in post FTE (index, first period = 100) 101.2 "
        "(England 100.5); Leaver rate 0.95% (England 0.89%).")


def test_funnel_description():
    from lib.insight.chart_text import funnel_description
    u = pd.DataFrame({"area_code": ["A", "B", "C", "D"], "area_name": ["Alpha", "Beta", "Gamma", "Delta"],
                      "rate": [0.02, 0.004, 0.0095, 0.009], "above_99_8": [True, False, False, False],
                      "below_99_8": [False, True, False, False],
                      "side": ["above 99.8% limit", "below 99.8% limit", "within limits", "above 95% limit"]})
    assert funnel_description(u, 0.0089, "Leaver rate", "2025-11", highlight="C") == (
        "Leaver rate across 4 systems, Nov 2025: pooled rate 0.89%; 2 outside the 99.8% limits (1 above, 1 below); "
        "Gamma 0.95%, within limits.")
    calm = u.assign(above_99_8=False, below_99_8=False)
    assert funnel_description(calm, 0.0089, "Leaver rate", "2025-11") == (
        "Leaver rate across 4 systems, Nov 2025: pooled rate 0.89%; none outside the 99.8% limits.")
