"""What-if studio page (AppTest): England and a system, every panel, links, uploads, no tracebacks."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from lib.scenario import Scenario, from_query, to_query
from tests.conftest import REPO

NURSES = "Nurses & health visitors"


def open_page(**params) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/what_if.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, start: str):
    hits = [m for m in at.metric if m.label.startswith(start)]
    assert hits, [m.label for m in at.metric]
    return hits[0]


def scn_param(at: AppTest) -> Scenario:
    return from_query(at.query_params["scn"][0] if isinstance(at.query_params["scn"], list) else at.query_params["scn"])


def body(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [str(x.value) for x in at.info]
    parts += [str(x.value) for x in at.warning] + [str(x.value) for x in at.error] + [str(x.value) for x in at.success]
    return "\n".join(parts)


def test_england_default_and_slider_updates_result_and_link():
    at = open_page()
    assert at.selectbox(key="url_area").value == "ENG"
    assert scn_param(at).to_dict() == {"schema_version": 1, "area": "ENG", "horizon": 5}
    gap0 = metric(at, "Gap in year 5").value
    assert metric(at, "Extra cost").value == "£0"
    at.slider(key="wi_c_nr_nursing_associate_trainees").set_value(2000).run()
    assert not at.exception
    assert metric(at, "Gap in year 5").value != gap0
    scn = scn_param(at)
    assert scn.levers.new_roles[0].role == "nursing_associate" and scn.levers.new_roles[0].trainees_per_year == 2000
    at.slider(key="wi_c_horizon").set_value(8).run()
    assert metric(at, "Gap in year 8").value and scn_param(at).horizon == 8


def test_system_from_url_and_levers():
    at = open_page(area="QKK")
    assert at.selectbox(key="url_area").value == "QKK"
    assert scn_param(at).area == "QKK"
    gap0 = metric(at, "Gap in year 5").value
    at.slider(key="wi_c_ret_change_pp").set_value(-2.0).run()
    at.number_input(key="wi_c_rec_domestic").set_value(100.0).run()
    at.slider(key="wi_c_up_share_pct").set_value(3.0).run()
    assert not at.exception
    lev = scn_param(at).levers
    assert lev.retention[0].leaver_rate_change == -0.02 and lev.recruitment[0].domestic_fte_per_year == 100
    assert lev.upskilling[0].share_per_year == 0.03
    assert metric(at, "Gap in year 5").value != gap0
    assert "%" in metric(at, "Vacancy rate").value


def test_shared_link_restores_the_exact_scenario():
    doc = {"schema_version": 1, "area": "QKK", "horizon": 7, "name": "Shared",
           "levers": {"new_roles": [{"role": "care_coordinator", "trainees_per_year": 12}],
                      "retention": [{"staff_group": "Midwives", "leaver_rate_change": -0.005}]},
           "assumptions": {"new_roles": {"care_coordinator": {"substitution_ratio": 0.3}}}}
    at = open_page(scn=to_query(Scenario.from_dict(doc)))
    assert at.selectbox(key="url_area").value == "QKK"
    assert at.slider(key="wi_c_nr_care_coordinator_trainees").value == 12
    assert at.slider(key="wi_c_horizon").value == 7
    assert at.text_input(key="wi_name").value == "Shared"
    assert scn_param(at).to_dict() == Scenario.from_dict(doc).to_dict()


@pytest.mark.parametrize("bad", ["s1.!!!", "garbage", to_query(Scenario(area="QZZ"))])
def test_invalid_scn_param_is_friendly(bad):
    at = open_page(scn=bad)
    assert "could not be read" in body(at)
    assert scn_param(at).to_dict() == {"schema_version": 1, "area": "ENG", "horizon": 5}
    assert metric(at, "Gap in year 5").value


def test_compare_panel_holds_up_to_four():
    at = open_page(area="QKK")
    for i, n in enumerate([0, 50, 100, 150, 200]):
        at.slider(key="wi_c_nr_nursing_associate_trainees").set_value(n).run()
        at.text_input(key="wi_cmp_name").set_value(f"NA {n}").run()
        btn = at.button(key="wi_cmp_add")
        if i < 4:
            btn.click().run()
        else:
            assert btn.disabled
    assert not at.exception
    assert list(at.session_state["wi_saved"]) == ["NA 0", "NA 50", "NA 100", "NA 150"]
    table = at.dataframe[-1].value
    assert list(table["Scenario"]) == ["NA 0", "NA 50", "NA 100", "NA 150"]
    assert table["Gap in final year (FTE)"].is_monotonic_decreasing
    at.selectbox(key="wi_cmp_pick").set_value("NA 100").run()
    at.button(key="wi_cmp_load").click().run()
    assert at.slider(key="wi_c_nr_nursing_associate_trainees").value == 100


def test_optimiser_panel_explains_loads_and_reports_infeasible():
    at = open_page(area="QKK")
    at.session_state["wi_panel"] = "Least-cost mix"
    at.run()
    at.button(key="wi_opt_go").click().run()
    assert not at.exception
    text = body(at)
    assert "cheapest mix that closes every staff group's gap by year 5" in text
    at.button(key="wi_opt_load").click().run()
    assert not at.exception
    scn = scn_param(at)
    assert scn.name.startswith("Least-cost mix") and (scn.levers.recruitment or scn.levers.retention)
    assert "Loaded the least-cost mix" in body(at)
    # nothing allowed, no agency: infeasible, said plainly
    at.session_state["wi_panel"] = "Least-cost mix"
    at.run()
    for k in ("wi_opt_rec", "wi_opt_ret", "wi_opt_tp", "wi_opt_nr"):
        at.number_input(key=k).set_value(0.0).run()
    at.slider(key="wi_opt_year").set_value(1).run()
    at.button(key="wi_opt_go").click().run()
    assert not at.exception
    assert any("infeasible" in str(x.value) for x in at.warning)


def test_uncertainty_panel_fan_and_probability():
    at = open_page(area="QKK")
    at.session_state["wi_panel"] = "Uncertainty"
    at.run()
    assert not at.exception
    p = metric(at, "Chance the Nurses & health visitors gap has closed by year 5")
    assert p.value.endswith("%")
    assert any("draws, seed 2024" in c.value for c in at.caption)


def test_assumptions_panel_shows_sources_and_unverified():
    at = open_page()
    at.session_state["wi_panel"] = "Assumptions"
    at.run()
    assert not at.exception
    assert "UNVERIFIED" in body(at)
    t = at.dataframe[-1].value
    assert {"value", "status", "source"} <= set(t.columns) and (t["status"] == "UNVERIFIED").any()


def test_save_panel_uploads_valid_and_invalid_json():
    at = open_page()
    at.session_state["wi_panel"] = "Save, load and share"
    at.run()
    assert not at.exception
    up = at.file_uploader(key="wi_upload")
    up.set_value(("broken.json", b"{this is not json", "application/json")).run()
    assert not at.exception
    errs = " ".join(str(e.value) for e in at.error)
    assert "not a valid scenario" in errs and "not valid JSON" in errs
    assert scn_param(at).to_dict() == {"schema_version": 1, "area": "ENG", "horizon": 5}   # nothing changed
    doc = {"area": "QKK", "horizon": 4, "name": "From file", "levers": {"new_roles": [
        {"role": "physician_associate", "trainees_per_year": 9}]}}
    at.file_uploader(key="wi_upload").set_value(("ok.json", json.dumps(doc).encode(), "application/json")).run()
    assert not at.exception
    assert at.selectbox(key="url_area").value == "QKK"
    assert at.slider(key="wi_c_nr_physician_associate_trainees").value == 9
    assert scn_param(at).name == "From file"
    at.session_state["wi_panel"] = "Save, load and share"
    at.run()
    at.text_area(key="wi_paste").set_value('{"horizon": 99}').run()
    at.button(key="wi_paste_go").click().run()
    assert "horizon: 99 is outside" in " ".join(str(e.value) for e in at.error)
