"""Stock-flow model: hand-computed cases, METHODS TEST ANCHORs 1.7 and 2.6a-d, properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.whatif.assumptions import employer_cost, load_assumptions
from lib.whatif.projection import (Baseline, ModelInputs, annualise_leaver_rate, baseline_from_metrics,
                            project, year_gap_closes)
from lib.whatif.scenario import Scenario, build_inputs, run_scenario


def rn_model(ell=0.091, intake=600.0, horizon=5) -> ModelInputs:
    """METHODS 2.6a: S0 10,000, D0 10,800, intake 600/yr d=3 c=0.8 e=0.9, IR 250, o 0.02, g 0.02, pi 0.015."""
    return ModelInputs(
        roles=["RN"], n_groups=1, horizon=horizon, stock0=np.array([[10000.0]]), leaver_rate=[[ell]],
        joiner_rate=[[0.02]], demand0=np.array([[10800.0]]), substitution=np.eye(1), demand_growth=0.02,
        productivity=0.015, recruited=np.full((1, 1, horizon), 250.0), intake=np.full((1, 1, horizon), intake),
        intake_history=[[600.0]], pipeline_delay=[3], pipeline_course=[3], pipeline_yield=[0.8 * 0.9])


# ---- TEST ANCHOR 1.7 ------------------------------------------------------------------------------
@pytest.mark.parametrize("band,mid,cost,alt_ni,trust", [
    ("4", 27822, 37839.11, 36999.45, 35246.10), ("5", 33226.5, 45335.16, 44430.64, 42238.45),
    ("6", 41150, 56325.05, 55325.45, 52489.87), ("7", 49478.5, 67876.68, 66777.14, 63265.28),
    ("8a", 57129.5, 78488.62, 77297.26, 73164.15)])
def test_anchor_1_7_employer_cost(band, mid, cost, alt_ni, trust):
    a = load_assumptions()
    assert a.band_salary(band) == mid
    assert employer_cost(mid) == pytest.approx(cost, abs=0.01)
    assert a.band_cost(band) == pytest.approx(cost, abs=0.01)
    assert employer_cost(mid, ni_rate=0.138, ni_threshold=9100) == pytest.approx(alt_ni, abs=0.01)
    assert employer_cost(mid, pension_rate=0.1438) == pytest.approx(trust, abs=0.01)


def test_assumptions_mark_unverified_and_carry_sources():
    t = load_assumptions().table()
    assert (t["source"].str.len() > 0).all()
    assert not t.loc[(t["section"] == "afc_bands") & (t["item"] == "7"), "verified"].any()
    assert not t.loc[t["section"] == "new_roles", "verified"].any()


# ---- hand-computed cases ---------------------------------------------------------------------------
def test_one_role_one_year_by_hand():
    m = ModelInputs(roles=["X"], n_groups=1, horizon=1, stock0=np.array([[100.0]]), leaver_rate=[[0.1]],
                    joiner_rate=[[0.05]], demand0=np.array([[110.0]]), substitution=np.eye(1), demand_growth=0.1,
                    productivity=0.0, recruited=np.full((1, 1, 1), 7.0), cost_per_fte=[1000.0])
    p = project(m)
    # 100 - 10 leavers + 5 joiners + 7 recruits (arrive at year end, do not leave this year)
    assert p.fte[0, 0].tolist() == pytest.approx([100.0, 102.0])
    assert p.leavers[0, 0, 1] == pytest.approx(10.0)
    assert p.demand[0, 0, 1] == pytest.approx(121.0)
    assert p.gap[0, 0, 1] == pytest.approx(19.0)
    assert p.vacancy_rate[0, 0, 1] == pytest.approx(19.0 / 121.0)
    assert p.pay_bill[0, 0, 1] == pytest.approx(102_000.0)


def test_pipeline_lag_by_hand():
    # course 2, pre-registration convention: intake in year 1 joins in year 3, no history
    m = ModelInputs(roles=["X"], n_groups=1, horizon=4, stock0=np.array([[0.0]]), leaver_rate=[[0.5]],
                    joiner_rate=[[0.0]], demand0=np.array([[10.0]]), substitution=np.eye(1),
                    intake=np.array([[[10.0, 0, 0, 0]]]), pipeline_delay=[2], pipeline_course=[2],
                    pipeline_yield=[0.5], pipeline_fee=[100.0])
    p = project(m)
    assert p.trained_in[0, 0].tolist() == [0, 0, 0, 5.0, 0]
    assert p.fte[0, 0].tolist() == [0, 0, 0, 5.0, 2.5]
    assert p.trainees[0, 0].tolist() == [0, 10.0, 10.0, 0, 0]    # students in years 1-2
    assert p.training_cost[0, 0].tolist() == [0, 1000.0, 1000.0, 0, 0]


# ---- TEST ANCHORs 2.6a-c ---------------------------------------------------------------------------
def test_anchor_2_6a_baseline():
    p = project(rn_model())
    np.testing.assert_allclose(p.leavers[0, 0, 1:], [910.0, 907.5, 905.1, 902.9, 900.8], atol=0.1)
    np.testing.assert_allclose(p.joiners_other[0, 0, 1:], [200.0, 199.4, 198.9, 198.4, 198.0], atol=0.1)
    np.testing.assert_allclose(p.trained_in[0, 0, 1:], 432.0)
    np.testing.assert_allclose(p.fte[0, 0, 1:], [9972.0, 9946.0, 9921.8, 9899.4, 9878.5], atol=0.1)
    np.testing.assert_allclose(p.demand[0, 0, 1:], [10853.2, 10906.7, 10960.4, 11014.4, 11068.6], atol=0.1)
    np.testing.assert_allclose(p.gap[0, 0, 1:], [881.2, 960.7, 1038.6, 1115.0, 1190.1], atol=0.1)
    np.testing.assert_allclose(100 * p.gap[0, 0, 1:] / p.demand[0, 0, 1:], [8.12, 8.81, 9.48, 10.12, 10.75], atol=0.01)


def test_anchor_2_6b_training_lag():
    p = project(rn_model(intake=800.0))
    np.testing.assert_allclose(p.trained_in[0, 0, 1:], [432, 432, 432, 576, 576])
    np.testing.assert_allclose(p.fte[0, 0, 1:], [9972.0, 9946.0, 9921.8, 10043.4, 10156.3], atol=0.1)
    assert p.gap[0, 0, 5] == pytest.approx(912.3, abs=0.1)
    assert 100 * p.gap[0, 0, 5] / p.demand[0, 0, 5] == pytest.approx(8.24, abs=0.01)


def test_anchor_2_6c_retention():
    p = project(rn_model(ell=0.08))
    assert p.fte[0, 0, 5] == pytest.approx(10363.7, abs=0.1)
    assert p.gap[0, 0, 5] == pytest.approx(705.0, abs=0.1)
    assert 100 * p.gap[0, 0, 5] / p.demand[0, 0, 5] == pytest.approx(6.37, abs=0.01)


# ---- TEST ANCHOR 2.6d ------------------------------------------------------------------------------
def anchor_d_model() -> ModelInputs:
    roles = ["RN", "Doctor", "HCSW", "ACP", "NA"]
    sigma = np.zeros((5, 2))
    sigma[0, 0] = sigma[1, 1] = 1.0
    sigma[3, 1] = 0.5       # ACP: doctor-equivalent
    sigma[4, 0] = 0.5       # NA: RN-equivalent
    T = 5
    return ModelInputs(
        roles=roles, n_groups=2, horizon=T, stock0=np.array([[10000.0, 1000, 5000, 0, 0]]),
        leaver_rate=[[0.091, 0.05, 0.1, 0.06, 0.10]], joiner_rate=[[0.02, 0, 0, 0, 0]],
        demand0=np.array([[10800.0, 1000]]), substitution=sigma,
        recruited=np.array([250.0, 0, 0, 0, 0])[None, :, None] * np.ones((1, 1, T)),
        intake=np.array([600.0, 0, 0, 0, 0])[None, :, None] * np.ones((1, 1, T)),
        intake_history=np.array([[600.0, 0, 0, 0, 0]]), pipeline_delay=[3, 0, 0, 0, 0],
        pipeline_course=[3, 1, 1, 1, 1], pipeline_yield=[0.72, 1, 1, 1, 1],
        flow_from=[0, 2], flow_to=[3, 4], flow_fte=np.array([50.0, 100])[None, :, None] * np.ones((1, 1, T)),
        flow_course=[2, 2], flow_completion=[0.85, 0.9], flow_study_time=[0.2, 0.0])


def test_anchor_2_6d_upskilling_and_new_role():
    p = project(anchor_d_model())
    np.testing.assert_allclose(p.fte[0, 0, 1:], [9972.0, 9903.5, 9839.8, 9780.7, 9725.8], atol=0.1)
    np.testing.assert_allclose(p.in_training[0, 0, 1:], [50, 100, 100, 100, 100])
    np.testing.assert_allclose(p.effective_fte[0, 0, 1:], [9962.0, 9883.5, 9819.8, 9760.7, 9705.8], atol=0.1)
    np.testing.assert_allclose(p.fte[0, 3, 1:], [0.0, 42.5, 82.4, 120.0, 155.3], atol=0.1)
    np.testing.assert_allclose(p.fte[0, 4, 1:], [0.0, 90.0, 171.0, 243.9, 309.5], atol=0.1)
    np.testing.assert_allclose(p.capacity[0, 0, 1:], [9962.0, 9928.5, 9905.3, 9882.7, 9860.5], atol=0.1)
    np.testing.assert_allclose(0.5 * p.effective_fte[0, 3, 1:], [0.0, 21.2, 41.2, 60.0, 77.7], atol=0.1)


def test_upskilling_conserves_fte():
    m = anchor_d_model()
    m.leaver_rate = np.zeros((1, 5))
    m.joiner_rate = np.zeros((1, 5))
    m.recruited = None
    m.intake = None
    m.intake_history = None
    p = project(m)
    np.testing.assert_allclose(p.fte[0].sum(axis=0), 16000.0)
    np.testing.assert_allclose(p.upskilled_in[0].sum(axis=0), p.upskilled_out[0].sum(axis=0))


def test_upskilling_cannot_take_more_than_the_group_has():
    m = anchor_d_model()
    m.flow_fte = np.array([50_000.0, 100_000])[None, :, None] * np.ones((1, 1, 5))
    p = project(m)
    assert (p.fte >= -1e-9).all() and (p.effective_fte >= 0).all()


# ---- baseline from data and zero levers -------------------------------------------------------------
def metrics_frame(period_months=1) -> pd.DataFrame:
    rows = []
    for area, scale in [("QKK", 1.0), ("QE1", 2.0)]:
        for g, fte, l, j, v in [("Nurses & health visitors", 10000, 0.008, 0.009, 700.0),
                                ("HCHS Doctors", 3000, 0.005, 0.006, np.nan),
                                ("Support to doctors, nurses & midwives", 6000, 0.01, 0.01, 300.0)]:
            rows.append(dict(period="2025-11", period_months=period_months, area_code=area, area_name=area,
                             staff_group=g, fte=fte * scale, leaver_rate=l, joiner_rate=j, vacancy_fte=v * scale))
        rows.append(dict(period="2025-11", period_months=period_months, area_code=area, area_name=area,
                         staff_group="All staff groups", fte=19000 * scale, leaver_rate=0.008, joiner_rate=0.009,
                         vacancy_fte=np.nan))
    rows.append(dict(period="2025-11", period_months=period_months, area_code="ENG", area_name="England",
                     staff_group="Nurses & health visitors", fte=30000, leaver_rate=0.008, joiner_rate=0.009,
                     vacancy_fte=2100))
    return pd.DataFrame(rows)


def test_baseline_from_metrics_annualises_monthly_rates():
    """One month of rates: leaver rate x 12 (linear, as a 12-month file counts leavers), growth = the month's
    net change counted once (not compounded x12), marked provisional; vacancies: own where loaded, else the
    national default (issue 11)."""
    b = baseline_from_metrics(metrics_frame(), vacancy_rates={"HCHS Doctors": 0.044})
    assert b.area_codes == ["QKK", "QE1"]
    assert "All staff groups" not in b.staff_groups
    assert b.months == 1 and b.provisional and b.months_label == "from 1 month, Nov 2025: provisional"
    assert b.months_label in b.rate_basis
    i = b.staff_groups.index("Nurses & health visitors")
    # both systems have the same rates, so borrowing strength from the parent changes nothing
    assert b.leaver_rate[0, i] == pytest.approx(0.008 * 12)
    assert annualise_leaver_rate(0.008, 1) == pytest.approx(0.091887, abs=1e-6)
    # growth in a year = the month's net change: mean M = 10000 / (1 + 0.001/2), start = 10000 - 0.001 M
    m = 10000 / 1.0005
    assert b.joiner_rate[0, i] - b.leaver_rate[0, i] == pytest.approx(0.001 * m / (10000 - 0.001 * m))
    assert b.demand0[0, i] == 10700.0
    d = b.staff_groups.index("HCHS Doctors")
    assert not b.vacancy_known[0, d] and b.demand0[0, d] == pytest.approx(3000 / (1 - 0.044))
    b12 = baseline_from_metrics(metrics_frame(12))
    assert b12.leaver_rate[0, i] == pytest.approx(0.008) and not b12.provisional and b12.months == 12
    assert baseline_from_metrics(metrics_frame(), area_codes=["QE1"]).area_codes == ["QE1"]


def test_zero_levers_reproduce_baseline_exactly():
    b = baseline_from_metrics(metrics_frame())
    for area in ("QKK", "ENG"):
        res = run_scenario(Scenario(area=area, horizon=10), b)
        t = res.table
        base = t[t["scenario"] == "baseline"].drop(columns="scenario").reset_index(drop=True)
        scn = t[t["scenario"] == "scenario"].drop(columns="scenario").reset_index(drop=True)
        pd.testing.assert_frame_equal(base, scn)


def test_england_is_sum_of_systems():
    b = baseline_from_metrics(metrics_frame())
    res = run_scenario(Scenario.from_dict({"area": "ENG", "horizon": 6, "levers": {
        "new_roles": [{"role": "nursing_associate", "trainees_per_year": 90}]}}), b)
    t = res.table[res.table["scenario"] == "scenario"]
    sys_sum = t[t["area_code"] != "ENG"].groupby(["role", "year"])[["fte", "demand", "pay_bill"]].sum(min_count=1)
    eng = t[t["area_code"] == "ENG"].set_index(["role", "year"])[["fte", "demand", "pay_bill"]]
    pd.testing.assert_frame_equal(sys_sum.sort_index(), eng.sort_index(), check_exact=False)
    # 90 trainees a year split 1:2 by nurse FTE share
    na = t[(t["role"] == "nursing_associate") & (t["year"] == 2)].set_index("area_code")["fte"]
    assert na["QKK"] == pytest.approx(30 * 0.9) and na["QE1"] == pytest.approx(60 * 0.9)


def test_year_gap_closes():
    gap = np.array([[5.0, 2.0, -1.0, 3.0], [5.0, 4.0, 3.0, 2.0], [-1.0, 1.0, 1.0, 1.0]])
    out = year_gap_closes(gap)
    assert out[0] == 2 and np.isnan(out[1]) and out[2] == 0


def test_new_role_in_scenario_matches_anchor_conventions():
    """A new role trained externally: cohort of year k joins at end of year k+course-1 (2.6d)."""
    b = baseline_from_metrics(metrics_frame())
    scn = Scenario.from_dict({"area": "QKK", "horizon": 5, "levers": {"new_roles": [
        {"role": "nursing_associate", "trainees_per_year": 100, "from_staff_group": None}]}})
    res = run_scenario(scn, b)
    t = res.table
    na = t[(t["scenario"] == "scenario") & (t["role"] == "nursing_associate")].set_index("year")
    np.testing.assert_allclose(na["fte"].to_numpy(), [0, 0, 90.0, 171.0, 243.9, 309.51], atol=0.01)
    rn = t[(t["role"] == "Nurses & health visitors") & (t["year"] == 3)].set_index("scenario")
    assert rn.loc["scenario", "capacity"] - rn.loc["baseline", "capacity"] == pytest.approx(0.5 * 171.0)
    # trainees paid band 3 while training plus the course fee
    a = load_assumptions()
    assert na.loc[1, "training_cost"] == pytest.approx(100 * (a.band_cost("3") + 3000))


# ---- properties ------------------------------------------------------------------------------------
rates = st.floats(0.0, 1.0)
ftes = st.floats(0.0, 1e5)


@settings(max_examples=60, deadline=None)
@given(s0=ftes, ell=rates, jo=st.floats(0.0, 0.5), rec=st.floats(0, 5000), share=st.floats(0, 0.5),
       up=st.floats(0, 1e5), d_ell=st.floats(0.0, 1.0), d_rec=st.floats(0, 5000))
def test_properties_no_negative_stock_and_monotone(s0, ell, jo, rec, share, up, d_ell, d_rec):
    def run(ell_, rec_):
        m = ModelInputs(roles=["A", "B"], n_groups=2, horizon=6, stock0=np.array([[s0, s0 / 2]]),
                        leaver_rate=[[ell_, ell_]], joiner_rate=[[jo, jo]], demand0=np.array([[s0, s0]]),
                        substitution=np.eye(2), recruited=np.full((1, 2, 6), rec_),
                        flow_from=[0], flow_to=[1], flow_fte=np.full((1, 1, 6), up),
                        flow_share=np.full((1, 1, 6), share), flow_course=[2], flow_completion=[0.9],
                        flow_study_time=[0.2])
        return project(m)
    p = run(ell, rec)
    assert (p.fte >= -1e-9).all() and (p.effective_fte >= 0).all()
    better_retention = run(max(ell - d_ell, 0.0), rec)
    assert (better_retention.fte.sum(axis=1) >= p.fte.sum(axis=1) - 1e-6 * (1 + p.fte.sum(axis=1))).all()
    more_recruits = run(ell, rec + d_rec)
    assert (more_recruits.fte.sum(axis=1) >= p.fte.sum(axis=1) - 1e-6 * (1 + p.fte.sum(axis=1))).all()


@settings(max_examples=40, deadline=None)
@given(ell=rates, d=st.floats(0, 1), rec=st.floats(0, 1000), d_rec=st.floats(0, 1000))
def test_property_levers_never_lower_single_role_stock(ell, d, rec, d_rec):
    base = rn_model(ell=ell)
    base.recruited = np.full((1, 1, 5), rec)
    ret = rn_model(ell=max(ell - d, 0))
    ret.recruited = np.full((1, 1, 5), rec)
    more = rn_model(ell=ell)
    more.recruited = np.full((1, 1, 5), rec + d_rec)
    s, s_ret, s_more = project(base).fte, project(ret).fte, project(more).fte
    assert (s >= 0).all()
    assert (s_ret >= s - 1e-9 * (1 + s)).all() and (s_more >= s - 1e-9 * (1 + s)).all()


def test_build_inputs_shapes_for_all_systems():
    b = baseline_from_metrics(metrics_frame())
    s = build_inputs(Scenario(area="ENG", horizon=10), b, with_levers=False)
    assert s.inputs.stock0.shape == (2, 3 + len(load_assumptions().new_role_ids))
    assert s.inputs.substitution.shape[1] == 3


def test_baseline_from_frame_missing_cells_are_zero():
    b = Baseline.from_frame(pd.DataFrame([dict(area_code="QKK", staff_group="Midwives", fte=5, leaver_rate=0.1,
                                               joiner_rate=0.1)]))
    assert b.fte.tolist() == [[5.0]] and b.vacancy_fte.tolist() == [[0.0]]
