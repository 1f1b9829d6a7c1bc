"""What-if baseline on real data (issue 11): evidence window, growth from net change, small cells borrowing
strength, held-flat cells, national default vacancies, and the held-out check on the published Oct-25 + Nov-25
files (no levers, 5 years) through the library, the CLI and the page."""
from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from lib.whatif.projection import CREDIBILITY_FTE, MIN_CELL_FTE, baseline_from_metrics
from lib.whatif.scenario import Scenario, run_scenario
from lib.whatif.studio import baseline_lines, load_baseline
from tests.conftest import TURNOVER_NOV25, TURNOVER_OCT25, open_app_page, run_cli

NURSES = "Nurses & health visitors"
K = CREDIBILITY_FTE


def months_back(last: str, n: int) -> list[str]:
    y, m = int(last[:4]), int(last[5:7])
    out = []
    for i in range(n):
        idx = y * 12 + m - 1 - i
        out.append(f"{idx // 12:04d}-{idx % 12 + 1:02d}")
    return out[::-1]


def row(period, area, group, start, end, leavers, region="Y56", months=1, vac=np.nan):
    return dict(period=period, period_months=months, area_code=area, area_name=area, region_code=region,
                staff_group=group, sip_start_fte=start, fte=end, leavers_fte=leavers, joiners_fte=np.nan,
                leaver_rate=leavers / ((start + end) / 2), joiner_rate=np.nan, vacancy_fte=vac)


# ---- hand computations on small frames ------------------------------------------------------------------
def test_twelve_monthly_files_are_summed_into_an_annual_rate():
    ps = months_back("2025-11", 13)              # 13 loaded: the window is the last 12
    rows, s = [], 1000.0
    for p in ps:
        rows.append(row(p, "QAA", NURSES, s, s + 5, 10.0))
        s += 5
    b = baseline_from_metrics(pd.DataFrame(rows))
    assert b.months == 12 and not b.provisional
    assert b.months_label == "from 12 months, Dec 2024-Nov 2025"
    start, end = 1005.0, 1065.0                  # start of Dec-24, end of Nov-25
    # one system, so its region and England are itself: shrinking changes nothing
    assert b.leaver_rate[0, 0] == pytest.approx(120.0 / ((start + end) / 2))
    assert b.joiner_rate[0, 0] - b.leaver_rate[0, 0] == pytest.approx((end - start) / start)


def test_a_missing_month_stops_the_window_and_two_months_are_provisional():
    rows = [row("2025-06", "QAA", NURSES, 900, 900, 9.0),          # not consecutive: left out
            row("2025-10", "QAA", NURSES, 1000, 1010, 10.0), row("2025-11", "QAA", NURSES, 1010, 1030, 8.0)]
    b = baseline_from_metrics(pd.DataFrame(rows))
    assert b.months == 2 and b.provisional and b.months_label == "from 2 months, Oct-Nov 2025: provisional"
    assert b.leaver_rate[0, 0] == pytest.approx(18.0 / 1015.0 * 6)            # annualised x 12/2
    assert b.joiner_rate[0, 0] - b.leaver_rate[0, 0] == pytest.approx(30.0 / 1000.0)   # counted once, not x6
    one = baseline_from_metrics(pd.DataFrame(rows[2:]))
    assert one.months == 1 and one.months_label == "from 1 month, Nov 2025: provisional"


def test_a_twelve_month_file_is_used_as_published():
    b = baseline_from_metrics(pd.DataFrame([row("2025-11", "QAA", NURSES, 1000, 1040, 120.0, months=12)]))
    assert b.months == 12 and not b.provisional and b.months_label == "from 12 months, Dec 2024-Nov 2025"
    assert b.leaver_rate[0, 0] == pytest.approx(120 / 1020)                     # TEST ANCHOR 1.1a: 11.76 %
    assert b.joiner_rate[0, 0] - b.leaver_rate[0, 0] == pytest.approx(0.04)


def test_staff_in_post_only_is_held_flat_and_says_why():
    r = row("2025-11", "QAA", NURSES, np.nan, 1000, np.nan, months=0)
    b = baseline_from_metrics(pd.DataFrame([r]), vacancy_rates={NURSES: 0.06})
    assert b.months == 0 and b.provisional and b.held_flat.all()
    assert b.months_label == "no leaver figures loaded for Nov 2025: staff in post held flat"
    assert b.leaver_rate[0, 0] == 0 and b.joiner_rate[0, 0] == 0
    assert baseline_lines(b, "QAA", NURSES)[0].startswith("No leaver figures loaded for Nov 2025")
    res = run_scenario(Scenario(area="QAA", horizon=3), b)
    fte = res.table[(res.table["scenario"] == "baseline") & (res.table["role"] == NURSES)]["fte"]
    assert fte.tolist() == pytest.approx([1000.0] * 4)


def test_small_cells_borrow_strength_from_region_and_england():
    """Cell rate = (N raw + K parent) / (N + K); region rate shrunk toward England the same way."""
    p = "2025-11"
    rows = [row(p, "QAA", NURSES, 9000, 9000, 90.0, "Y56"),      # 1 %/month, big
            row(p, "QBB", NURSES, 200, 200, 10.0, "Y56"),        # 5 %/month, small
            row(p, "QCC", NURSES, 4000, 4000, 20.0, "Y58")]      # 0.5 %/month, other region
    b = baseline_from_metrics(pd.DataFrame(rows))
    eng = (90 + 10 + 20) / 13200 * 12
    y56_raw, n56 = 100 / 9200 * 12, 9200.0
    y56 = (n56 * y56_raw + K * eng) / (n56 + K)
    qbb_raw = 10 / 200 * 12
    expect = (200 * qbb_raw + K * y56) / (200 + K)
    i = b.area_codes.index("QBB")
    assert b.leaver_rate[i, 0] == pytest.approx(expect)
    assert b.leaver_rate[i, 0] < 0.5 * qbb_raw          # the small cell is pulled most of the way
    j = b.area_codes.index("QAA")
    assert abs(b.leaver_rate[j, 0] - 0.12) < abs(b.leaver_rate[i, 0] - qbb_raw)
    assert any("N / (N + 500)" in n for n in b.notes)


def test_unknown_classification_and_tiny_cells_are_held_flat_and_said():
    p = "2025-11"
    rows = [row(p, "QAA", NURSES, 1000, 1100, 5.0), row(p, "QAA", "Midwives", 20, 30, 0.0),
            row(p, "QAA", "Unknown classification", 300, 600, 1.0)]
    b = baseline_from_metrics(pd.DataFrame(rows))
    g = b.staff_groups
    for grp in ("Midwives", "Unknown classification"):
        j = g.index(grp)
        assert b.held_flat[0, j] and b.joiner_rate[0, j] == pytest.approx(b.leaver_rate[0, j])
    assert not b.held_flat[0, g.index(NURSES)]
    res = run_scenario(Scenario(area="QAA", horizon=5), b)
    t = res.table[(res.table["scenario"] == "baseline")].set_index(["role", "year"])["fte"]
    assert t[("Unknown classification", 5)] == pytest.approx(600.0) and t[("Midwives", 5)] == pytest.approx(30.0)
    assert any(f"under {MIN_CELL_FTE:,.0f} FTE" in n and "Unknown classification" in n for n in b.notes)
    lines = baseline_lines(b, "QAA", "Midwives")
    assert any("held flat" in x for x in lines)


def test_own_vacancies_replace_the_national_default_and_edits_change_the_default():
    p = "2025-11"
    rows = [row(p, "QAA", NURSES, 1000, 1000, 10.0, vac=50.0), row(p, "QBB", NURSES, 940, 940, 10.0)]
    b = baseline_from_metrics(pd.DataFrame(rows), vacancy_rates={NURSES: 0.06})
    assert b.vacancy_known.tolist() == [[True], [False]]
    assert b.demand0[:, 0].tolist() == pytest.approx([1050.0, 1000.0])      # 940 / (1 - 0.06) = 1000
    res = run_scenario(Scenario(area="ENG", horizon=1), b)
    s = res.summary[(res.summary["scenario"] == "baseline")].set_index("area_code")
    assert s.loc["QBB", "gap_start"] == pytest.approx(60.0) and s.loc["QBB", "vacancy_rate_start"] == pytest.approx(0.06)
    edited = Scenario.from_dict({"area": "ENG", "horizon": 1,
                                 "assumptions": {"national_vacancy_rates": {NURSES: {"value": 0.1}}}})
    s2 = run_scenario(edited, b).summary.set_index(["scenario", "area_code"])
    assert s2.loc[("baseline", "QBB"), "vacancy_rate_start"] == pytest.approx(0.1)
    assert s2.loc[("baseline", "QAA"), "gap_start"] == pytest.approx(50.0)       # own figure, not the default
    from lib.whatif.studio import assumption_table, shared_assumptions
    tbl = assumption_table(shared_assumptions())
    nat = tbl[(tbl["section"] == "national_vacancy_rates") & (tbl["field"] == "value")].set_index("item")
    assert nat.loc[NURSES, "value"] == "0.06" and nat.loc["HCHS Doctors", "value"] == "0.044"
    assert (nat["status"] == "UNVERIFIED").all() and nat["source"].str.contains("NHS Vacancy Statistics").all()
    lines = baseline_lines(b, "ENG", NURSES)
    assert any("own vacancies for 1 of 2 systems" in x and "national default, not your system's figure" in x
               for x in lines)


# ---- the published files ---------------------------------------------------------------------------------
def _published(path) -> pd.DataFrame:
    d = pd.read_csv(path)
    return d[d["STAFF_GROUP_1_NAME"] == NURSES]


def test_real_cell_hand_computed_from_the_csv(real_store):
    """South East London nurses: rates from the two published files by hand, shrunk toward London's."""
    oct_, nov = _published(TURNOVER_OCT25), _published(TURNOVER_NOV25)

    def flows(area=None, region=None):
        def pick(d):
            if area:
                return d[d["ICS_CODE"] == area]
            return d[d["NHSE_REGION_CODE"] == region] if region else d
        o, n = pick(oct_), pick(nov)
        s = o[o["TYPE"] == "Denominator at start of period"]["FTE"].sum()
        e = n[n["TYPE"] == "Denominator at end of period"]["FTE"].sum()
        lv = o[o["TYPE"] == "Leavers"]["FTE"].sum() + n[n["TYPE"] == "Leavers"]["FTE"].sum()
        return s, e, lv

    def rates(s, e, lv):
        return lv / ((s + e) / 2) * 6, (e - s) / s, (s + e) / 2, s

    def shrink(raw, n, parent):
        return (n * raw + K * parent) / (n + K)

    e_l, e_g, _, _ = rates(*flows())
    r_l, r_g, r_n, r_s = rates(*flows(region="Y56"))
    c_l, c_g, c_n, c_s = rates(*flows(area="QKK"))
    lon_l, lon_g = shrink(r_l, r_n, e_l), shrink(r_g, r_s, e_g)
    b = load_baseline(real_store, "ICS")
    i, j = b.area_codes.index("QKK"), b.staff_groups.index(NURSES)
    assert b.leaver_rate[i, j] == pytest.approx(shrink(c_l, c_n, lon_l), rel=1e-9)
    assert b.joiner_rate[i, j] - b.leaver_rate[i, j] == pytest.approx(shrink(c_g, c_n, lon_g), rel=1e-9)
    assert b.fte[i, j] == pytest.approx(flows(area="QKK")[1])
    assert 0.05 < b.leaver_rate[i, j] < 0.15               # a plausible annual nurse leaver rate (org level)


def _england_checks(table: pd.DataFrame, costs: pd.DataFrame, summary: pd.DataFrame) -> dict:
    t = table[table["scenario"] == "baseline"]
    assert len(t)
    for col in ("fte", "effective_fte", "leavers", "joiners_other", "pay_bill", "total_cost"):
        assert np.isfinite(t[col].astype(float)).all(), col
    groups = t[t["role_type"] == "staff_group"]
    for col in ("capacity", "demand", "gap"):
        assert np.isfinite(groups[col].astype(float)).all(), col
    eng = groups[groups["area_code"] == "ENG"].pivot_table(index="role", columns="year", values="fte")
    tot = eng.sum()
    growth_all = tot[5] / tot[0]
    assert 0.9 <= growth_all <= 1.35, growth_all
    big = eng[eng[0] > 1000]
    ratio = big[5] / big[0]
    assert len(big) >= 12 and ratio.between(0.7, 1.5).all(), ratio[~ratio.between(0.7, 1.5)]
    c = costs[(costs["scenario"] == "baseline") & (costs["area_code"] == "ENG")].set_index("year")["pay_bill"]
    assert 30e9 <= c[0] <= 150e9, c[0]
    assert 0.8 <= c[5] / c[0] <= 1.6
    s = summary[(summary["scenario"] == "baseline") & (summary["area_code"] == "ENG")].set_index("staff_group")
    assert s.loc[NURSES, "gap_start"] > 0
    return {"growth": growth_all, "pay0": c[0], "pay5": c[5], "nurse_gap": s.loc[NURSES, "gap_start"],
            "systems": groups[groups["area_code"] != "ENG"]}


def test_held_out_real_data_no_levers_five_years(real_store):
    b = load_baseline(real_store, "ICS")
    assert b.months == 2 and b.provisional and b.months_label == "from 2 months, Oct-Nov 2025: provisional"
    res = run_scenario(Scenario.from_dict({"schema_version": 1, "area": "ENG", "horizon": 5, "levers": {}}), b)
    out = _england_checks(res.table, res.costs, res.summary)
    sys_ = out["systems"].pivot_table(index=["area_code", "role"], columns="year", values="fte")
    big = sys_[sys_[0] > 100]
    ratio = big[5] / big[0]
    assert len(big) > 400
    assert ratio.between(0.5, 2.0).all(), ratio[~ratio.between(0.5, 2.0)].sort_values()
    # the starting gap of nurses is the national default rate applied to staff in post
    j = b.staff_groups.index(NURSES)
    assert out["nurse_gap"] == pytest.approx(b.fte[:, j].sum() * 0.06 / 0.94, rel=1e-9)
    # Unknown classification is held flat everywhere
    u = b.staff_groups.index("Unknown classification")
    assert b.held_flat[:, u][b.fte[:, u] > 0].all()


def test_cli_no_lever_scenario_gives_sane_numbers(real_store, tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"schema_version": 1, "area": "ENG", "horizon": 5, "levers": {}}))
    got = {}
    for what in ("table", "costs", "summary"):
        out = run_cli("scenario", "--scenario", f, "--data-dir", real_store, "--format", "json", "--what", what)
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        got[what] = pd.DataFrame(doc[what])
    assert doc["evidence_months"] == 2 and doc["provisional"] is True
    assert "from 2 months, Oct-Nov 2025: provisional" in doc["rate_basis"]
    assert any("national default, not your system's figure" in n for n in doc["notes"])
    _england_checks(got["table"], got["costs"], got["summary"])


def _money(text: str) -> float:
    m = re.search(r"£([\d,.]+)(bn|m)?", text)
    assert m, text
    return float(m.group(1).replace(",", "")) * {"bn": 1e9, "m": 1e6, None: 1.0}[m.group(2)]


def test_page_on_the_real_store_says_what_the_baseline_rests_on(real_store, monkeypatch):
    from streamlit.delta_generator import DeltaGenerator
    captured: list = []
    original = DeltaGenerator.download_button

    def recording(self, label, data, *args, **kwargs):
        body = data() if callable(data) else data
        captured.append((kwargs.get("file_name"), body))
        return original(self, label, body, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/what_if.py", {}, timeout=180)
    at.session_state["wi_summary_open"] = True  # the all-groups table and its downloads are built when opened
    at.run()
    xlsx = [b for n, b in captured if str(n).startswith("what_if_ENG") and str(n).endswith(".xlsx")]
    assert xlsx, [n for n, _ in captured]
    notes = "\n".join(pd.read_excel(io.BytesIO(xlsx[0]), sheet_name="notes")["notes"].astype(str))
    assert "from 2 months, Oct-Nov 2025: provisional" in notes
    assert "national default, not your system's figure" in notes
    captions = "\n".join(c.value for c in at.caption)
    assert "from 2 months, Oct-Nov 2025: provisional" in captions
    assert "national default, not your system's figure" in captions and "6.0%" in captions
    assert "held flat" in captions.lower() and "Unknown classification" in captions
    metrics = {m.label: m for m in at.metric}
    gap = next(m for label, m in metrics.items() if label.startswith("Gap in year 5"))
    assert float(gap.value.replace(",", "")) > 0
    cost = next(m for label, m in metrics.items() if label.startswith("Extra cost"))
    pay5 = _money(cost.delta)
    assert 30e9 <= pay5 <= 150e9 * 1.6
    closes = next(m for label, m in metrics.items() if label == "Gap closes")
    assert closes.value != "Now"
    assert not [e for e in at.exception]
    assert "e+" not in gap.value and "e+" not in cost.delta


def test_page_with_disclosure_control_uses_the_same_evidence_window(real_store, monkeypatch):
    from lib.sharing import disclosure
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    monkeypatch.setenv(disclosure.ENV_FLAG, "1")
    from tests.conftest import warm_disclosure_plan
    warm_disclosure_plan(real_store)
    at = open_app_page("views/what_if.py", {"area": "QKK"}, timeout=180)
    captions = "\n".join(c.value for c in at.caption)
    assert "from 2 months, Oct-Nov 2025: provisional" in captions
    assert "national default, not your system's figure" in captions
    gap = next(m for m in at.metric if m.label.startswith("Gap in year 5"))
    assert float(gap.value.replace(",", "")) > 0
