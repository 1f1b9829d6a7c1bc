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


# ---- issue 15c: the secondary charts (SPC, flows, expected mix, mix over time, heat map, profile mix)
def _spc_chart(values, types, rules=None, phase=None):
    n = len(values)
    return pd.DataFrame({"period": [f"2025-{m:02d}" for m in range(12 - n + 1, 13)], "y": values,
                         "point_type": types, "special_cause": [t != "common_cause" for t in types],
                         "special_cause_rule": rules or ["Common Cause"] * n, "phase": phase or [1] * n})


def test_spc_description_common_cause_and_signal():
    from lib.insight.chart_text import spc_description
    from lib.stats.signals import VERDICT, rule_words
    chart = _spc_chart([0.010, 0.011, 0.009], ["common_cause"] * 3)
    summary = {"last_value": 0.009, "mean": 0.010, "lpl": 0.007, "upl": 0.013, "last_point_type": "common_cause",
               "last_rule": "Common Cause", "trial_limits": True}
    assert spc_description(chart, summary, "Leaver rate (month): Alpha, All staff groups", percent=True,
                           verdicts=VERDICT, rule_words=rule_words) == (
        "Leaver rate (month): Alpha, All staff groups. SPC chart of 3 months, Oct-Dec 2025: latest 0.90% in Dec 2025; "
        "average (centre line) 1.00%; process limits 0.70% to 1.30%. The latest month is within the usual variation "
        "(no signal). Trial limits: too few months to trust them fully.")
    chart = _spc_chart([100.0, 101.0, 140.0], ["common_cause", "common_cause", "special_cause_neutral_high"],
                       ["Common Cause", "Common Cause", "Above UCL"])
    summary = {"last_value": 140.0, "mean": 113.67, "lpl": 60.0, "upl": 130.0,
               "last_point_type": "special_cause_neutral_high", "last_rule": "Above UCL", "trial_limits": False}
    assert spc_description(chart, summary, "Staff in post (FTE): Alpha", percent=False, verdicts=VERDICT,
                           rule_words=rule_words) == (
        "Staff in post (FTE): Alpha. SPC chart of 3 months, Oct-Dec 2025: latest 140.0 in Dec 2025; average (centre "
        "line) 113.7; process limits 60.0 to 130.0. The latest month is unusual (change upwards): a point "
        "above the upper process limit. 1 of 3 months are unusual (1 change upwards).")
    assert spc_description(chart.iloc[0:0], summary, "x", percent=False, verdicts=VERDICT, rule_words=rule_words) == ""


def test_flows_description():
    from lib.insight.chart_text import flows_description
    f = pd.DataFrame([("2025-10", "Leavers", 90.0), ("2025-10", "Joiners", 105.0), ("2025-10", "Net change", 15.0),
                      ("2025-11", "Leavers", 100.0), ("2025-11", "Joiners", 120.0), ("2025-11", "Net change", 20.0)],
                     columns=["period", "flow", "value"])
    assert flows_description(f, "South East London", "FTE", "2025-11") == (
        "Leavers and joiners for South East London (FTE), Nov 2025: 120.0 joiners, 100.0 leavers, net change +20.0; "
        "over Oct-Nov 2025 net change +35.0 in all.")
    hidden = f.assign(value=[90.0, 105.0, 15.0, float("nan"), 1200.5, float("nan")])
    assert flows_description(hidden, "X", "headcount", "2025-11") == (
        "Leavers and joiners for X (headcount), Nov 2025: 1,200.5 joiners, no figure leavers, net change no figure.")
    assert flows_description(f.iloc[0:0], "X", "FTE") == ""


def test_expected_description():
    from lib.insight.chart_text import expected_description
    e = pd.DataFrame({"Staff group": ["Nurses & health visitors", "HCHS Doctors", "Midwives", "Managers"],
                      "FTE": [5250.0, 880.0, 300.0, 100.0], "Expected FTE": [5000.0, 1000.0, 290.0, 100.0],
                      "Difference (FTE)": [250.0, -120.0, 10.0, 0.0]})
    assert expected_description(e, "South East London", "2025-11", top=1) == (
        "FTE more or fewer than expected for the size of South East London, Nov 2025 (its total FTE x England's share of "
        "each group): most above: Nurses & health visitors +250.0 FTE (5,250.0 against 5,000.0 expected); most "
        "below: HCHS Doctors -120.0 FTE (880.0 against 1,000.0 expected).")
    assert "every group as expected" in expected_description(e.iloc[3:], "X", "2025-11")


def test_mix_over_time_description():
    from lib.insight.chart_text import mix_over_time_description
    rows = []
    for series, role, shares in (("Alpha", "System", {"Nurses": (0.300, 0.304), "Doctors": (0.100, 0.099),
                                                      "Midwives": (0.020, 0.0202)}),
                                 ("England", "England", {"Nurses": (0.280, 0.2805), "Doctors": (0.110, 0.110),
                                                         "Midwives": (0.021, 0.021)})):
        for g, (a, b) in shares.items():
            rows += [("2025-10", g, series, role, a), ("2025-11", g, series, role, b)]
    o = pd.DataFrame(rows, columns=["period", "staff_group", "series", "role", "share"])
    assert mix_over_time_description(o) == (
        "Share of FTE by staff group over time, Alpha against England, Oct-Nov 2025 (one shared axis from 0%): "
        "largest changes from Oct 2025 to Nov 2025: Nurses 30.00% to 30.40% (+0.40 points; England +0.05 points); "
        "Doctors 10.00% to 9.90% (-0.10 points; England +0.00 points).")
    one = o[o["period"] == "2025-11"]
    assert mix_over_time_description(one).endswith("a single month (Nov 2025), so no change is shown.")


def test_heatmap_and_profile_mix_descriptions():
    from lib.insight.chart_text import heatmap_description, profile_mix_description
    mix = pd.DataFrame({"area_name": ["Alpha", "Alpha", "Beta", "Beta"],
                        "staff_group": ["Midwives", "Nurses", "Midwives", "Nurses"],
                        "share": [0.032, 0.29, 0.015, 0.31], "england_share": [0.02, 0.30, 0.02, 0.30]})
    mix["diff_pts"] = 100 * (mix["share"] - mix["england_share"])
    assert heatmap_description(mix, "2025-11", top=1) == (
        "Share of FTE in each staff group minus England's, 2 systems, Nov 2025: furthest above England: Alpha, "
        "Midwives +1.20 points (3.20% against 2.00%); furthest below: Alpha, Nurses -1.00 points (29.00% against "
        "30.00%).")
    rm = pd.DataFrame({"staff_group": ["Nurses", "Doctors"], "system_share": [0.30, 0.09],
                       "england_share": [0.275, 0.10]})
    rm["difference"] = rm["system_share"] - rm["england_share"]
    assert profile_mix_description(rm, "Alpha", "2025-11") == (
        "Share of FTE by staff group for Alpha, Nov 2025: largest differences from England's mix: Nurses 30.00% "
        "against England 27.50% (+2.50 points); Doctors 9.00% against England 10.00% (-1.00 points).")


# ---------------------------------------------------------------- Inside a system, Sickness absence, the bridges
def test_ranking_names_highest_lowest_england_and_the_chosen_one_with_its_rank():
    from lib.insight.chart_text import ranking_description
    t = pd.DataFrame({"code": ["A", "B", "C", "D", "E"], "name": ["Alpha", "Beta", "Gamma", "Delta", "Eps"],
                      "value": [0.012, 0.005, 0.0095, 0.0095, float("nan")]})
    assert ranking_description(t, "Leaver rate (month)", "2025-11", noun="organisations of South East London",
                               highlight="C", england=0.0089) == (
        "Leaver rate (month) across 4 organisations of South East London, Nov 2025: highest Alpha (1.20%); "
        "lowest Beta (0.50%); England 0.89%; Gamma 0.95%, rank 2 of 4 (1 = highest); 1 with no figure.")
    # ties share a rank and are named together; counts (not rates) in FTE
    t2 = pd.DataFrame({"code": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"], "value": [500.0, 500.0, 20.0]})
    assert ranking_description(t2, "Staff in post (FTE)", "2025-10", noun="organisations", percent=False,
                               highlight="B") == (
        "Staff in post (FTE) across 3 organisations, Oct 2025: highest Alpha and Beta (500.0); lowest Gamma "
        "(20.0); Beta 500.0, rank 1 of 3 (1 = highest).")
    assert ranking_description(t.assign(value=float("nan")), "x", "2025-11", noun="systems") == ""


def test_measures_trend_states_each_measure_latest_against_first():
    from lib.insight.chart_text import measures_trend_description
    long = pd.DataFrame({"period": ["2025-10", "2025-11", "2025-10", "2025-11"],
                         "measure": ["Leaver rate", "Leaver rate", "Joiner rate", "Joiner rate"],
                         "value": [0.009, 0.0095, 0.011, 0.010]})
    assert measures_trend_description(long, "Alpha NHS Trust") == (
        "Leaver rate and joiner rate for Alpha NHS Trust, Oct-Nov 2025: leaver rate 0.95% in Nov 2025 (0.90% in "
        "Oct 2025); joiner rate 1.00% in Nov 2025 (1.10% in Oct 2025).")
    assert measures_trend_description(long.assign(value=float("nan")), "Alpha") == ""


def test_units_funnel_names_the_points():
    from lib.insight.chart_text import units_funnel_description
    u = pd.DataFrame({"area_code": ["A", "B", "C"], "area_name": ["Alpha", "Beta", "Gamma"],
                      "rate": [0.02, 0.009, 0.001], "above_99_8": [True, False, False],
                      "below_99_8": [False, False, True], "side": ["above the upper limit", "within limits",
                                                                    "below the lower limit"]})
    assert units_funnel_description(u, 0.0089, "Leaver rate", "2025-11", noun="Acute organisations in England",
                                    highlight="B") == (
        "Leaver rate across 3 Acute organisations in England, Nov 2025: pooled rate 0.89%; 2 outside the 99.8% "
        "limits (1 above, 1 below); Beta 0.90%, within limits.")
    assert units_funnel_description(u.iloc[0:0], 0.01, "x", "2025-11", noun="y") == ""


def test_bridge_in_words_start_leavers_joiners_residual_end():
    from lib.insight.chart_text import bridge_description
    # 1000 - 50 + 60 + 5 = 1015 (a one-month bridge: no restatement step)
    t = pd.DataFrame({"label": ["Staff in post at the start", "Leavers", "Joiners",
                                "Other changes (hours, moves between staff groups)", "Staff in post at the end"],
                      "value": [1000.0, -50.0, 60.0, 5.0, 1015.0], "kind": ["total", "decrease", "increase",
                                                                           "residual", "total"]})
    assert bridge_description(t, "Alpha: Oct 2025 to Nov 2025", "FTE") == (
        "Alpha: Oct 2025 to Nov 2025 (FTE): 1,000.0 at the start; 50.0 leavers; 60.0 joiners; other changes "
        "(hours, moves between staff groups) +5.0; 1,015.0 at the end (+15.0 in all).")
    # two months: the restatement between files is its own step; a fall is signed
    t2 = pd.concat([t.iloc[:4], pd.DataFrame({"label": ["Restatement between files", "Staff in post at the end"],
                                              "value": [-25.0, 990.0], "kind": ["residual", "total"]})])
    assert bridge_description(t2, "Beta", "Headcount").endswith(
        "+5.0; restatement between files -25.0; 990.0 at the end (-10.0 in all).")
    assert bridge_description(t.iloc[0:0], "x", "FTE") == ""


def test_whatif_bridge_in_words_every_lever_in_order():
    from lib.insight.chart_text import whatif_bridge_description
    t = pd.DataFrame({"label": ["Baseline", "Productivity +1% a year", "Leaver rate 1 point lower: Nurses",
                                "Scenario"], "value": [1000.0, -12.5, 40.0, 1027.5]})
    assert whatif_bridge_description(t, "Nurses", 5) == (
        "Why Nurses FTE in year 5 differs from the baseline: baseline 1,000.0 FTE; Productivity +1% a year -12.5; "
        "Leaver rate 1 point lower: Nurses +40.0; scenario 1,027.5 FTE (+27.5).")
    assert whatif_bridge_description(t.iloc[0:0], "Nurses", 5) == ""
