"""What-if page computation (lib.whatif.studio): hand-computed cases, controls <-> scenario, uploads,
assumption edits, and the CLI and the page giving identical numbers for one scenario JSON."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lib.whatif import studio as w
from lib.whatif.optimiser import Intervention, solve_mix
from lib.whatif.projection import Baseline
from lib.whatif.scenario import Scenario, ScenarioError, from_query, to_query
from tests.conftest import REPO, run_cli
from tests.test_scenario import FULL

DEMO = REPO / "data" / "demo"
NURSES = "Nurses & health visitors"


def tiny_baseline(fte=100.0, leaver=0.1, joiner=0.1, vacancy=10.0) -> Baseline:
    """One system, one staff group: hand-computable."""
    return Baseline.from_frame(pd.DataFrame({
        "area_code": ["QKK"], "area_name": ["South East London"], "staff_group": [NURSES], "fte": [fte],
        "leaver_rate": [leaver], "joiner_rate": [joiner], "vacancy_fte": [vacancy]}), period="2025-11")


def test_headline_hand_computed_recruitment_closes_gap():
    # stock 100, leavers 10% = joiners 10%: flat. Demand 110 flat (growth 0). Recruit 5 FTE a year:
    # year 1 stock 105 (gap 5), year 2 110 (gap 0 -> closes in year 2), year 3 115 (gap -5).
    scn = Scenario.from_dict({"area": "QKK", "horizon": 3, "demand_growth": 0.0, "levers": {
        "recruitment": [{"staff_group": NURSES, "domestic_fte_per_year": 5}]}})
    res = w.run(scn, tiny_baseline())
    h = w.headline(res, NURSES)
    assert h["baseline"]["gap_end"] == pytest.approx(10.0)
    assert h["baseline"]["year_gap_closes"] is None
    assert h["scenario"]["gap_end"] == pytest.approx(-5.0)
    assert h["scenario"]["year_gap_closes"] == 2
    assert h["scenario"]["vacancy_rate_end"] == 0.0
    assert h["baseline"]["vacancy_rate_end"] == pytest.approx(10 / 110)
    # recruitment cost: 5 FTE x GBP 5,000 (domestic default) in each of 3 years
    assert h["scenario"]["one_off_total"] == pytest.approx(3 * 5 * 5000.0)
    assert w.year_label(2, "2025-11", 3) == "Year 2 (Nov 2027)"
    assert w.year_label(None, "2025-11", 3) == "Not by year 3"
    assert w.year_label(0, "2025-11", 3) == "No gap now"
    assert [w.year_short(y, 3) for y in (2, None, 0)] == ["Year 2", "> year 3", "Now"]
    g = w.gap_frame(res, NURSES)
    assert list(g.loc[g["scenario"] == "Scenario", "gap"].round(9)) == [10.0, 5.0, 0.0, -5.0]
    c = w.cost_frame(res)
    assert set(c["year"]) == {1, 2, 3}
    rc = c[(c["scenario"] == "Scenario") & (c["measure"] == "Recruitment cost")]["pounds"]
    assert list(rc) == [25000.0, 25000.0, 25000.0]


def test_default_controls_give_the_minimal_scenario():
    scn = w.scenario_from_controls(w.default_controls(), "ENG")
    assert scn.to_dict() == {"schema_version": 1, "area": "ENG", "horizon": 5}


def test_controls_round_trip_keeps_every_lever_and_number():
    scn = Scenario.from_dict(FULL)
    c, extras, ov = w.controls_from_scenario(scn)
    # sliders hold what they can show exactly; the rest is kept as extra levers
    assert c["nr_nursing_associate_trainees"] == 40 and c["nr_nursing_associate_substitution_ratio"] == 0.7
    assert c["ret_change_pp"] == -1.0 and c["up_share_pct"] == 5.0 and c["up_study_pct"] == 25.0
    assert set(extras) == {"recruitment", "training_places", "new_roles"}
    back = w.scenario_from_controls(c, scn.area, scn.name, extras, ov)
    b = tiny_baseline()
    b = Baseline.from_frame(pd.concat([b.frame().rename(columns={"leaver_rate_annual": "leaver_rate",
                                                                 "joiner_rate_annual": "joiner_rate"})]
                                      + [pd.DataFrame({"area_code": ["QKK"], "area_name": ["x"], "staff_group": [g],
                                                       "fte": [50.0], "leaver_rate": [0.1], "joiner_rate": [0.05],
                                                       "vacancy_fte": [2.0]})
                                         for g in ("Support to doctors, nurses & midwives", "HCHS Doctors")]))
    pd.testing.assert_frame_equal(w.run(scn, b).table, w.run(back, b).table)


def test_off_grid_values_become_extras_not_rounded():
    scn = Scenario.from_dict({"area": "ENG", "levers": {"retention": [
        {"staff_group": NURSES, "leaver_rate_change": -0.00898}]}})
    c, extras, _ = w.controls_from_scenario(scn)
    assert c["ret_change_pp"] == 0.0
    assert extras["retention"][0]["leaver_rate_change"] == -0.00898
    assert "Retention: staff group Nurses & health visitors, leaver rate change -0.00898" in w.describe_extras(extras)[0]


def test_percent_controls_become_exact_fractions():
    c = w.default_controls()
    c.update(ret_change_pp=-1.3, up_share_pct=2.5, demand_growth_pct=2.1, nr_care_coordinator_trainees=7)
    d = w.scenario_from_controls(c, "QKK").to_dict()
    assert d["levers"]["retention"] == [{"staff_group": NURSES, "leaver_rate_change": -0.013}]
    assert d["levers"]["upskilling"][0]["share_per_year"] == 0.025
    assert d["demand_growth"] == 0.021
    assert d["levers"]["new_roles"] == [{"role": "care_coordinator", "trainees_per_year": 7.0}]
    assert from_query(to_query(Scenario.from_dict(d))).to_dict() == d


def test_parse_upload_messages():
    with pytest.raises(ScenarioError, match="not valid JSON"):
        w.parse_upload(b"{not json")
    with pytest.raises(ScenarioError, match="empty"):
        w.parse_upload(b"  ")
    with pytest.raises(ScenarioError, match="larger than"):
        w.parse_upload(b" " * (w.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        w.parse_upload(b"\xff\xfe\x00")
    with pytest.raises(ScenarioError, match="horizon"):
        w.parse_upload(json.dumps({"horizon": 40}))
    assert w.parse_upload("\ufeff" + json.dumps({"area": "QKK"})).area == "QKK"   # Excel-style BOM accepted


def test_assumption_table_flags_unverified_and_edits_become_overrides():
    a = w.load_assumptions()
    t = w.assumption_table(a)
    assert {"value", "status", "source"} <= set(t.columns)
    assert (t["status"] == "UNVERIFIED").any() and (t["status"] == "verified").any()
    assert not ((t["section"] == "new_roles") & (t["field"] == "substitution_ratio")).any()   # set by the levers
    assert w.overrides_from_table(t) == ({}, [])
    e = t.copy()
    i = e.index[(e["section"] == "afc_bands") & (e["item"] == "5") & (e["field"] == "entry")][0]
    e.loc[i, "value"] = "30,500"
    j = e.index[(e["section"] == "staff_group_pay") & (e["item"] == "Midwives") & (e["field"] == "band")][0]
    e.loc[j, "value"] = "7"
    ov, errs = w.overrides_from_table(e)
    assert errs == []
    assert ov == {"afc_bands": {"5": {"entry": 30500}}, "staff_group_pay": {"Midwives": {"band": "7"}}}
    e.loc[j, "value"] = "99"
    _, errs = w.overrides_from_table(e)
    assert errs and "not an AfC band" in errs[0]
    e.loc[i, "value"] = "lots"
    _, errs = w.overrides_from_table(e)
    assert errs == ["afc_bands / 5 / entry: 'lots' is not a number"]


def test_optimiser_limits_hand_computed():
    b = tiny_baseline(fte=1000.0)
    lim = w.optimiser_limits(b, "QKK", recruit_pct=2, retention_pp=1.5, training_pct=3, new_role_pct=1)
    assert lim[f"recruit_domestic:{NURSES}"] == pytest.approx(20.0)
    assert lim[f"recruit_international:{NURSES}"] == pytest.approx(20.0)
    assert lim[f"retention:{NURSES}"] == pytest.approx(0.015)
    assert lim[f"training_places:{NURSES}"] == pytest.approx(30.0)
    assert lim["new_role:nursing_associate"] == pytest.approx(10.0)       # counts towards nurses
    assert lim["new_role:physician_associate"] == 0.0                     # doctors: no data here


def test_explain_mix_in_words():
    ivs = [Intervention("a", 100.0, {"G": 1.0}, 30.0, "Cheap lever"), Intervention("b", 300.0, {"G": 1.0}, None,
                                                                                     "Dear lever")]
    res = solve_mix(ivs, {"G": 50.0}, year=4)
    lines = w.explain_mix(res)
    assert "costs £9,000 a year" in lines[0] and "2 levers" in lines[0]
    assert "Dear lever: 20 FTE" in lines[1]
    assert any("at the limit you set (Cheap lever)" in x for x in lines)
    assert any("£300 a year" in x for x in lines)
    t = w.mix_table(res)
    assert list(t["Lever"]) == ["Cheap lever", "Dear lever"] and list(t["At its limit"]) == ["yes", "no"]
    bad = solve_mix([Intervention("a", 1.0, {"G": 1.0}, 5.0, "Only lever")], {"G": 50.0}, year=2)
    assert not bad.success and "infeasible" in w.explain_mix(bad)[0]


SCENARIO_F = {
    "schema_version": 1, "name": "Parity check", "area": "QKK", "horizon": 6, "demand_growth": 0.025,
    "levers": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
               "recruitment": [{"staff_group": NURSES, "domestic_fte_per_year": 30, "international_fte_per_year": 20}],
               "new_roles": [{"role": "nursing_associate", "trainees_per_year": 40}],
               "upskilling": [{"from_staff_group": NURSES, "to_role": "advanced_clinical_practitioner",
                               "share_per_year": 0.01}]},
}


@pytest.mark.parametrize("doc", [SCENARIO_F, {**SCENARIO_F, "area": "ENG", "horizon": 10}], ids=["system", "england"])
def test_cli_and_page_give_identical_numbers(tmp_path, doc):
    """`python -m lib scenario --format json` and the page's computation on the same scenario JSON."""
    f = tmp_path / "scenario.json"
    f.write_text(json.dumps(doc))
    args = ["scenario", "--data-dir", DEMO, "--scenario", f, "--format", "json"]
    if doc["area"] == "ENG":
        args.append("--england-only")
    out = run_cli(*args)
    assert out.returncode == 0, out.stderr
    cli = pd.DataFrame(json.loads(out.stdout)["table"])
    # the page: the same document as loaded from a file, through the controls (as the widgets hold it)
    scn = w.parse_upload(f.read_bytes())
    c, extras, ov = w.controls_from_scenario(scn)
    scn_page = w.scenario_from_controls(c, scn.area, scn.name, extras, ov)
    page = w.run(scn_page, w.load_baseline(DEMO, "ICS")).table
    page = page[page["area_code"] == doc["area"]].reset_index(drop=True)
    cli = cli[cli["area_code"] == doc["area"]].reset_index(drop=True)
    assert len(page) == len(cli) > 0
    for col in page.columns:
        if page[col].dtype.kind in "fi":
            np.testing.assert_allclose(cli[col].astype(float), page[col].astype(float), rtol=1e-12, atol=1e-9,
                                       equal_nan=True, err_msg=col)
        else:
            assert list(cli[col]) == list(page[col]), col


def test_shared_baseline_drops_regions_and_lists_suppressed_groups():
    """Disclosure-controlled metrics: region rows are not systems; a suppressed staff in post is left out."""
    nan = np.nan
    rows = [  # area, group, fte, leaver rate, suppressed
        ("QAA", NURSES, 100.0, 0.01, ""), ("QAA", "Midwives", nan, nan, "staff in post"),
        ("QBB", NURSES, 50.0, 0.02, ""), ("QBB", "Midwives", 20.0, 0.01, ""),
        ("Y56", NURSES, 150.0, 0.013, ""), ("ENG", NURSES, 150.0, 0.013, "")]
    m = pd.DataFrame([{"period": "2025-11", "period_months": 12, "area_code": a, "area_name": a, "staff_group": g,
                       "fte": f, "leaver_rate": lr, "joiner_rate": 0.0, "vacancy_fte": nan, "suppressed": s}
                      for a, g, f, lr, s in rows])
    base, hidden = w.shared_baseline(m, "2025-11")
    assert base.area_codes == ["QAA", "QBB"] and hidden == {"QAA": ["Midwives"]}
    assert base.fte[0, base.staff_groups.index("Midwives")] == 0.0          # left out, so England = 50 midwives
    assert base.fte[:, base.staff_groups.index("Midwives")].sum() == 20.0
    assert any("Disclosure control is on" in n for n in base.notes)
    res = w.run(Scenario(area="QAA", horizon=2), base)
    kept = w.hide_groups(res, hidden["QAA"])
    assert "Midwives" in set(res.table["role"]) and "Midwives" not in set(kept.table["role"])
    assert "Midwives" not in set(kept.summary["staff_group"])


def test_mask_small_blanks_fte_under_5_only():
    t = pd.DataFrame({"fte": [0.0, 4.99, 5.0, 120.0], "gap": [1.0, 2.0, 3.0, 4.0], "pay_bill": [0.0, 1.0, 2.0, 3.0]})
    out = w.mask_small(t)
    assert out["fte"].isna().tolist() == [True, True, False, False]
    assert out["gap"].tolist() == [1.0, 2.0, 3.0, 4.0] and out["pay_bill"].tolist() == [0.0, 1.0, 2.0, 3.0]
