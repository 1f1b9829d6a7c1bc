"""lib.insight.map_data on hand-computed cases: per-100k, share, ranking ties, colour bins, profile changes."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.data import geography
from lib.insight import map_data as im
from lib.data.schema import ALL_STAFF

NURSES = "Nurses & health visitors"
CODES = geography.areas("ICS")["code"].tolist()


def _row(period, code, group, fte, start, leavers=0.0, joiners=0.0, vac=np.nan, share=np.nan, hc=np.nan):
    region = "" if code == "ENG" else geography.area_lookup_regions("ICS").get(code, code)
    mean = (start + fte) / 2
    return {"period": period, "period_months": 1, "level": "ICS", "area_code": code,
            "area_name": geography.area_names("ICS").get(code, code), "region_code": region, "staff_group": group,
            "fte": fte, "headcount": hc, "sip_start_fte": start, "sip_start_hc": np.nan, "joiners_fte": joiners,
            "joiners_hc": np.nan, "leavers_fte": leavers, "leavers_hc": np.nan,
            "leaver_rate": leavers / mean, "joiner_rate": joiners / mean, "vacancy_fte": vac,
            "establishment_fte": np.nan, "vacancy_rate": vac / (vac + fte), "fte_share": share,
            "fte_growth": (fte - start) / start, "basis": "fte"}


@pytest.fixture
def small():
    """Three systems with data (QKK, QWE in London Y56; QHM in Y63) for 2025-11 and 2025-10."""
    rows = []
    for p, k in (("2025-10", 0.9), ("2025-11", 1.0)):
        rows += [
            _row(p, "QKK", ALL_STAFF, 1000 * k, 990 * k, leavers=10, joiners=20, vac=100, share=1.0, hc=1100),
            _row(p, "QKK", NURSES, 300 * k, 300 * k, leavers=3, vac=60, share=0.3),
            _row(p, "QWE", ALL_STAFF, 2000 * k, 2000 * k, leavers=20, joiners=10, vac=100, share=1.0, hc=2100),
            _row(p, "QWE", NURSES, 800 * k, 790 * k, leavers=8, vac=40, share=0.4),
            _row(p, "QHM", ALL_STAFF, 500 * k, 500 * k, leavers=5, joiners=5, vac=0, share=1.0, hc=600),
            _row(p, "QHM", NURSES, 100 * k, 100 * k, leavers=1, vac=0, share=0.2),
        ]
    return pd.DataFrame(rows)


def test_fte_per_100k_hand_computed(small):
    pop = {"QKK": 2_000_000, "QWE": 1_000_000, "QHM": 500_000}
    t = im.map_table(small, "ICS", "2025-11", "fte_per_100k", ALL_STAFF, pop).set_index("code")
    assert t.at["QKK", "value"] == pytest.approx(1000 * 100_000 / 2_000_000)  # 50
    assert t.at["QWE", "value"] == pytest.approx(200.0)
    assert t.at["QHM", "value"] == pytest.approx(100.0)
    assert t.at["QKK", "numerator"] == 1000 and t.at["QKK", "denominator"] == 2_000_000
    # London = (1000 + 2000) / 3,000,000 * 1e5 = 100; England = 3500 / 3.5m * 1e5 = 100
    assert t.at["QKK", "region_value"] == pytest.approx(100.0)
    assert t.at["QKK", "england_value"] == pytest.approx(100.0)
    assert len(t) == 42 and t["value"].notna().sum() == 3
    assert t.at["QWE", "value_text"] == "200.0"


def test_share_of_group_and_ratio_of_sums(small):
    t = im.map_table(small, "ICS", "2025-11", "fte_share", NURSES).set_index("code")
    assert t.at["QKK", "value"] == pytest.approx(0.3)
    assert t.at["QWE", "value"] == pytest.approx(0.4)
    assert t.at["QKK", "denominator"] == 1000
    # London share = (300 + 800) / (1000 + 2000), not the mean of 30% and 40%
    assert t.at["QKK", "region_value"] == pytest.approx(1100 / 3000)
    assert t.at["QKK", "england_value"] == pytest.approx(1200 / 3500)
    assert t.at["QKK", "value_text"] == "30.00%"


def test_rates_match_metrics_and_parts(small):
    t = im.map_table(small, "ICS", "2025-11", "leaver_rate", ALL_STAFF).set_index("code")
    assert t.at["QKK", "value"] == pytest.approx(10 / 995)
    assert t.at["QKK", "denominator"] == pytest.approx(995)
    v = im.map_table(small, "ICS", "2025-11", "vacancy_rate", NURSES).set_index("code")
    assert v.at["QKK", "value"] == pytest.approx(60 / 360)
    assert v.at["QHM", "value"] == 0.0
    g = im.map_table(small, "ICS", "2025-11", "fte_growth", ALL_STAFF).set_index("code")
    assert g.at["QKK", "value"] == pytest.approx(10 / 990)
    assert g.at["QKK", "numerator"] == pytest.approx(10)


def test_ranking_ties_share_the_better_rank():
    s = pd.Series([0.5, 0.7, 0.7, 0.1, np.nan], index=list("abcde"))
    r = im.rank_desc(s)
    assert r["b"] == 1 and r["c"] == 1 and r["a"] == 3 and r["d"] == 4 and math.isnan(r["e"])
    assert im.rank_phrase(1, 4, True, "Leaver rate") == "joint 1st highest leaver rate of 4"
    assert im.rank_phrase(12, 42, False, "Leaver rate") == "12th highest leaver rate of 42"
    assert im.rank_phrase(1, 42, False, "Vacancy rate") == "highest vacancy rate of 42"
    assert im.rank_phrase(42, 42, False, "Vacancy rate") == "lowest vacancy rate of 42"
    assert im.rank_phrase(3, 42, False, "FTE growth") == "3rd highest FTE growth of 42"
    assert [im.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]


def test_map_table_ranks_and_ties(small):
    # nurses' leaver rates: QWE 8 / 795 = 1.006%; QKK 3 / 300 = 1%; QHM 1 / 100 = 1% (a tie)
    t = im.map_table(small, "ICS", "2025-11", "leaver_rate", NURSES).set_index("code")
    assert t.at["QWE", "rank"] == 1 and not t.at["QWE", "tied"]
    assert t.at["QKK", "rank"] == t.at["QHM", "rank"] == 2 and t.at["QKK", "tied"] and t.at["QHM", "tied"]
    assert t.at["QKK", "n_ranked"] == 3 and pd.isna(t.at["QOX", "rank"])


def test_colour_scale_bins():
    sc = im.colour_scale([0.0, 0.1, 0.2, 0.5, 1.0], "rate", n_bins=5)
    assert sc.edges == pytest.approx((0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
    assert [sc.index(v) for v in (0.0, 0.19, 0.2, 0.5, 0.99, 1.0)] == [0, 0, 1, 2, 4, 4]
    assert sc.index(float("nan")) is None and sc.colour(None) == im.NO_DATA_COLOUR
    assert sc.colours == tuple(im.VIRIDIS_5)  # light (low) to dark (high)
    assert sc.labels()[0] == "0.00% to 20.00%"
    one = im.colour_scale([0.3, 0.3], "rate")
    assert len(one.colours) == 1 and one.index(0.3) == 0
    assert im.colour_scale([np.nan]).index(np.nan) is None
    assert im.hex_to_rgb("#21918c") == [33, 145, 140]
    assert im.text_colour("#fde725") == "#000000" and im.text_colour("#440154") == "#ffffff"


def test_profile_changes_previous_and_year(small):
    year = small[small["period"] == "2025-10"].assign(period="2024-11")
    m = pd.concat([small, year], ignore_index=True)
    eng = m[m["area_code"] == "QKK"].assign(area_code="ENG")
    m = pd.concat([m, eng], ignore_index=True)
    figs = {f.column: f for f in im.profile_figures(m, "QKK", "2025-11", "2025-10", "2024-11")}
    assert figs["fte"].value == 1000 and figs["fte"].change_previous == pytest.approx(100)
    assert figs["fte"].change_previous_text == "+100" and figs["fte"].change_year_text == "+100"
    assert figs["leaver_rate"].change_previous == pytest.approx(10 / 995 - 10 / 895.5)
    assert figs["leaver_rate"].change_previous_text.endswith(" pts")
    assert figs["fte"].england_text == "1,000"
    none = {f.column: f for f in im.profile_figures(m, "QKK", "2025-11", None, None)}
    assert none["fte"].change_previous is None and none["fte"].change_year_text is None


def test_trends_role_mix_and_rank_sentences(small):
    m = pd.concat([small, small[small["area_code"].isin(["QKK", "QWE"])].assign(area_code="Y56", region_code="Y56",
                                                                                 area_name="London")],
                  ignore_index=True)
    tr = im.trends(m, "QKK")
    fte = tr[tr["measure"] == im.TREND_MEASURES[0][1]]
    assert set(fte["series"]) == {"South East London", "London"}
    assert fte[fte["series"] == "South East London"]["value"].tolist() == pytest.approx([100.0, 100 / 0.9])
    rm = im.role_mix(m, "QKK", "2025-11").set_index("staff_group")
    assert rm.at[NURSES, "system_share"] == pytest.approx(0.3)
    rs = im.rank_sentences(small, "ICS", "2025-11", "QKK")
    assert "fte_share" not in set(rs["measure"]) and "fte_per_100k" not in set(rs["measure"])
    # all staff leaver rates: QKK 10 / 995 = 1.005%; QWE 20 / 2000 = QHM 5 / 500 = 1%
    lr = rs.set_index("measure").loc["leaver_rate"]
    assert lr["rank"] == 1 and lr["n"] == 3 and lr["phrase"] == "highest leaver rate of 3"
    qwe = im.rank_sentences(small, "ICS", "2025-11", "QWE").set_index("measure").loc["leaver_rate"]
    assert qwe["phrase"] == "joint 2nd highest leaver rate of 3"


def test_unknown_inputs_raise(small):
    with pytest.raises(ValueError, match="unknown measure"):
        im.map_table(small, "ICS", "2025-11", "<script>")
    with pytest.raises(ValueError, match="unknown staff group"):
        im.map_table(small, "ICS", "2025-11", "leaver_rate", "Wizards")


def test_stp_level_and_export(small):
    t = im.map_table(small.assign(level="STP"), "STP", "2025-11", "leaver_rate")
    assert len(t) == 42 and set(t["code"]) == set(geography.areas("STP")["code"])
    assert im.area_options("STP")[0] in set(geography.areas("STP")["code"])
    ex = im.export_table(im.map_table(small, "ICS", "2025-11", "vacancy_rate"), "vacancy_rate", ALL_STAFF, "2025-11")
    assert list(ex.columns[:6]) == ["Code", "System", "Region", "Period (month ending)", "Staff group", "Measure"]
    assert ex.iloc[0]["Rank (1 = highest)"] == 1


def test_measures_available():
    assert "fte_per_100k" not in im.measures_available({})
    assert im.measures_available({"QKK": 1.0}) == im.MEASURE_KEYS


def test_map_description_states_highest_lowest_england_and_count(small):
    t = im.map_table(small, "ICS", "2025-11", "vacancy_rate", ALL_STAFF)
    names = geography.area_names("ICS")
    d = im.map_description(t, "vacancy_rate")
    # by hand: QKK 100 / 1,100 = 9.09%; QHM 0 / 500 = 0.00%; England (100 + 100 + 0) / (1,100 + 2,100 + 500) = 5.41%
    assert d == (f"Vacancy rate, all staff groups: highest {names['QKK']} (9.09%); lowest {names['QHM']} (0.00%); "
                 "England 5.41%. 3 of 42 systems have figures.")


def test_map_description_names_ties_together(small):
    t = im.map_table(small, "ICS", "2025-11", "leaver_rate", ALL_STAFF)
    short = t.set_index("code")["name"]
    d = im.map_description(t, "leaver_rate", ALL_STAFF)
    # QWE 20 / 2,000 and QHM 5 / 500 are both exactly 1.00%: joint lowest, named in alphabetical order
    low = " and ".join(sorted([short["QWE"], short["QHM"]]))
    assert f"lowest {low} (1.00%)" in d
    assert f"highest {short['QKK']} (1.01%)" in d  # 10 / 995
    assert "England 1.00%" in d  # 35 / 3,495


def test_map_description_without_figures_says_so(small):
    t = im.map_table(small, "ICS", "2025-11", "vacancy_rate", "Midwives")
    assert im.map_description(t, "vacancy_rate", "Midwives") == \
        "Vacancy rate, midwives: no system has figures for this period."
