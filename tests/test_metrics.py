"""Metrics against hand-computed cases and against the raw published file."""
from __future__ import annotations

import csv
import json
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from lib.insight.metrics import area_metrics
from lib.data.schema import conform
from tests.conftest import TURNOVER_NOV25, require_reference, run_cli


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {"period_start": "2025-10", "period_end": "2025-11", "period_months": 1, "level": "ICS",
            "area_code": "QKK", "area_name": "South East London", "region_code": "Y56", "org_code": "",
            "org_name": "", "source": "turnover"}
    return conform(pd.DataFrame([{**base, **r} for r in rows]))


def test_anchor_1_1a_leaver_and_joiner_rate_headcount():
    # METHODS 1.1a: start 1000, end 1040, leavers 120, joiners 160 -> 11.76 % / 15.69 %
    f = frame([{"staff_group": "All staff groups", "sip_start_hc": 1000, "sip_end_hc": 1040, "leavers_hc": 120,
                "joiners_hc": 160, "sip_start_fte": 900, "sip_end_fte": 936, "leavers_fte": 100, "joiners_fte": 136}])
    hc = area_metrics(f, basis="hc").iloc[0]
    assert hc["leaver_rate"] == pytest.approx(120 / 1020) and round(hc["leaver_rate"] * 100, 2) == 11.76
    assert hc["joiner_rate"] == pytest.approx(160 / 1020) and round(hc["joiner_rate"] * 100, 2) == 15.69
    fte = area_metrics(f).iloc[0]  # FTE is the default basis
    assert fte["leaver_rate"] == pytest.approx(100 / 918) and fte["basis"] == "fte"


def test_org_rows_are_summed_before_the_ratio():
    f = frame([
        {"org_code": "A", "staff_group": "All staff groups", "sip_start_fte": 100, "sip_end_fte": 100,
         "leavers_fte": 10, "joiners_fte": 10},
        {"org_code": "B", "staff_group": "All staff groups", "sip_start_fte": 900, "sip_end_fte": 1100,
         "leavers_fte": 10, "joiners_fte": 210},
    ])
    r = area_metrics(f).iloc[0]
    assert r["leaver_rate"] == pytest.approx(20 / 1100)  # ratio of sums, not mean of 10 % and 1 %
    assert r["fte_growth"] == pytest.approx(200 / 1000)


def test_anchor_1_3_vacancy_rate_and_aggregation():
    f = frame([
        {"org_code": "A", "staff_group": "Nurses & health visitors", "sip_end_fte": 930},
        {"org_code": "B", "staff_group": "Nurses & health visitors", "sip_end_fte": 490},
        {"org_code": "A", "staff_group": "Nurses & health visitors", "vacancy_fte": 70, "source": "vacancy"},
        {"org_code": "B", "staff_group": "Nurses & health visitors", "vacancy_fte": 10, "source": "vacancy"},
    ])
    m = area_metrics(f)
    nurses = m[m["staff_group"] == "Nurses & health visitors"].iloc[0]
    assert nurses["vacancy_rate"] == pytest.approx(80 / 1500)  # 5.33 %, not the mean of rates 4.5 %
    # the all-staff row is filled from the groups (FTE additive)
    total = m[m["staff_group"] == "All staff groups"].iloc[0]
    assert total["fte"] == 1420 and total["vacancy_fte"] == 80 and np.isnan(total["headcount"])


def test_anchor_1_3c_establishment_below_staff_in_post_gives_negative_rate():
    f = frame([{"staff_group": "Midwives", "sip_end_fte": 520},
               {"staff_group": "Midwives", "establishment_fte": 500, "source": "vacancy"}])
    r = area_metrics(f)
    r = r[r["staff_group"] == "Midwives"].iloc[0]
    assert r["vacancy_fte"] == -20 and r["vacancy_rate"] == pytest.approx(-0.04)


def test_share_uses_fte_and_headcount_total_is_not_summed():
    f = frame([
        {"staff_group": "All staff groups", "sip_end_fte": 1000, "sip_end_hc": 1100},
        {"staff_group": "Nurses & health visitors", "sip_end_fte": 300, "sip_end_hc": 330},
        {"staff_group": "Managers", "sip_end_fte": 700, "sip_end_hc": 780},
    ])
    m = area_metrics(f).set_index("staff_group")
    assert m.loc["Nurses & health visitors", "fte_share"] == pytest.approx(0.3)
    assert m.loc["All staff groups", "headcount"] == 1100  # published total, not 330 + 780


def test_zero_denominator_gives_nan_not_error():
    f = frame([{"staff_group": "All staff groups", "sip_start_fte": 0, "sip_end_fte": 0, "leavers_fte": 0}])
    r = area_metrics(f).iloc[0]
    assert np.isnan(r["leaver_rate"]) and np.isnan(r["vacancy_rate"])


def test_england_and_regions_are_ratios_of_sums():
    f = pd.concat([
        frame([{"staff_group": "All staff groups", "sip_start_fte": 100, "sip_end_fte": 100, "leavers_fte": 1}]),
        frame([{"area_code": "QWE", "staff_group": "All staff groups", "sip_start_fte": 300, "sip_end_fte": 300,
                "leavers_fte": 9}]),
        frame([{"area_code": "QT6", "region_code": "Y58", "staff_group": "All staff groups", "sip_start_fte": 50,
                "sip_end_fte": 50, "leavers_fte": 5}]),
    ])
    m = area_metrics(f, include_england=True, include_regions=True).set_index("area_code")
    assert m.loc["Y56", "leaver_rate"] == pytest.approx(10 / 400)
    assert m.loc["ENG", "leaver_rate"] == pytest.approx(15 / 450)
    assert m.loc["ENG", "area_name"] == "England" and m.loc["Y56", "area_name"] == "London"


# ------------------------------------------------------------------------------ against the raw published file
def hand_leaver_rates(path) -> dict[str, float]:
    """Straight from the CSV: FTE leavers / mean(start, end FTE), All staff groups rows only."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["STAFF_GROUP_1_NAME"] == "All staff groups":
                sums[row["ICS_CODE"]][row["TYPE"]] += float(row["FTE"])
    return {ics: t["Leavers"] / ((t["Denominator at start of period"] + t["Denominator at end of period"]) / 2)
            for ics, t in sums.items()}


def test_cli_metrics_on_real_file_match_hand_computation(tmp_path):
    require_reference()
    store = tmp_path / "store"
    r = run_cli("ingest", TURNOVER_NOV25, "--data-dir", store)
    assert r.returncode == 0, r.stderr
    r = run_cli("metrics", "--data-dir", store, "--level", "ICS", "--period", "2025-11", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    got = {x["area_code"]: x["leaver_rate"] for x in rows}
    want = hand_leaver_rates(TURNOVER_NOV25)
    assert len(got) == 42 and set(got) == set(want)
    for code, rate in want.items():
        assert got[code] == pytest.approx(rate, abs=1e-6), code
    assert all(x["staff_group"] == "All staff groups" for x in rows)


def test_real_file_national_anchors(tmp_path):
    """METHODS TEST ANCHOR 1.1b (headcount, summed over organisations)."""
    require_reference()
    from lib.data.ingest import ingest
    from lib.data.loader import load_frame
    ingest([TURNOVER_NOV25], tmp_path)
    m = area_metrics(load_frame(tmp_path, "ICS"), basis="hc", include_england=True)
    eng = m[m["area_code"] == "ENG"].set_index("staff_group")
    assert eng.loc["All staff groups", "leaver_rate"] == pytest.approx(14218 / ((1501545 + 1502405) / 2))
    assert round(eng.loc["All staff groups", "leaver_rate"] * 100, 3) == 0.947
    assert round(eng.loc["All staff groups", "joiner_rate"] * 100, 3) == 0.996
    assert round(eng.loc["Nurses & health visitors", "leaver_rate"] * 100, 3) == 0.692
    assert round(eng.loc["Support to doctors, nurses & midwives", "leaver_rate"] * 100, 3) == 1.185
    qkk = m[(m["area_code"] == "QKK") & (m["staff_group"] == "Nurses & health visitors")].iloc[0]
    assert qkk["leaver_rate"] == pytest.approx(133 / 17447.5) and round(qkk["leaver_rate"] * 100, 4) == 0.7623
    fte = area_metrics(load_frame(tmp_path, "ICS"), include_england=True)
    e = fte[(fte["area_code"] == "ENG") & (fte["staff_group"] == "All staff groups")].iloc[0]
    assert round(e["leaver_rate"] * 100, 3) == 0.886
