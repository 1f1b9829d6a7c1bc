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
