"""Scenario documents: JSON and URL round trips, validation messages, running."""
from __future__ import annotations

import base64
import json
import pickle
import zlib

import pytest

from lib.whatif.scenario import (QUERY_PREFIX, Scenario, ScenarioError, TABLE_COLUMNS, from_query, run_scenario, to_query)
from tests.test_projection import metrics_frame
from lib.whatif.projection import baseline_from_metrics

FULL = {
    "schema_version": 1, "name": "NA + ACP", "area": "QKK", "horizon": 7, "demand_growth": 0.02, "productivity": 0.005,
    "levers": {
        "productivity_gain": 0.01,
        "retention": [{"staff_group": "Nurses & health visitors", "leaver_rate_change": -0.01}],
        "recruitment": [{"staff_group": "Nurses & health visitors", "domestic_fte_per_year": 20,
                         "international_fte_per_year": 10, "start_year": 2, "end_year": 5}],
        "training_places": [{"staff_group": "Nurses & health visitors", "extra_places_per_year": 50}],
        "new_roles": [{"role": "nursing_associate", "trainees_per_year": 40},
                      {"role": "care_coordinator", "recruited_fte_per_year": 5, "from_staff_group": None}],
        "upskilling": [{"from_staff_group": "Nurses & health visitors", "to_role": "advanced_clinical_practitioner",
                        "share_per_year": 0.05, "study_time": 0.25}],
    },
    "assumptions": {"new_roles": {"nursing_associate": {"substitution_ratio": 0.7}}},
}


def test_json_round_trip():
    scn = Scenario.from_dict(FULL)
    again = Scenario.from_json(scn.to_json())
    assert again == scn
    assert again.levers.new_roles[1].from_staff_group is None
    assert again.levers.upskilling[0].study_time == 0.25


def test_url_round_trip_and_size():
    scn = Scenario.from_dict(FULL)
    q = to_query(scn)
    assert q.startswith(QUERY_PREFIX) and len(q) < 1000
    assert all(c.isalnum() or c in "-_." for c in q)
    assert from_query(q) == scn


def test_url_rejects_tampering_and_pickle():
    bad = [QUERY_PREFIX + "!!!", "nope", QUERY_PREFIX + "AAAA", QUERY_PREFIX + "x" * 5000,
           QUERY_PREFIX + base64.urlsafe_b64encode(pickle.dumps({"a": 1})).decode().rstrip("=")]
    for v in bad:
        with pytest.raises(ScenarioError):
            from_query(v)
    bomb = QUERY_PREFIX + base64.urlsafe_b64encode(zlib.compress(b" " * 10_000_000, 9)).decode().rstrip("=")
    with pytest.raises(ScenarioError, match="larger than allowed|longer than"):
        from_query(bomb)


@pytest.mark.parametrize("doc,fragment", [
    ({"schema_version": 2}, "schema_version: expected 1"),
    ({"horizon": 0}, "horizon: 0 is outside the allowed range [1, 10]"),
    ({"horizon": 11}, "horizon: 11 is outside"),
    ({"horizon": "5"}, "horizon: expected a whole number of years"),
    ({"horizon": 2.5}, "horizon: expected a whole number"),
    ({"area": "Kent"}, "area: 'Kent' is not an NHS system, region or England"),
    ({"colour": "red"}, "unknown key(s) 'colour'"),
    ({"levers": {"retention": [{"staff_group": "Nurses & health visitors", "leaver_rate_change": 1.5}]}},
     "levers.retention[0].leaver_rate_change: 1.5 is outside the allowed range [-1, 1]"),
    ({"levers": {"recruitment": [{"staff_group": "Nurses & health visitors", "domestic_fte_per_year": -3}]}},
     "levers.recruitment[0].domestic_fte_per_year: -3 is outside"),
    ({"levers": {"recruitment": [{"staff_group": "Nurses & health visitors", "domestic_fte_per_year": True}]}},
     "expected FTE per year"),
    ({"levers": {"recruitment": [{"staff_group": "Nurses", "domestic_fte_per_year": 3}]}},
     "levers.recruitment[0].staff_group: unknown staff group 'Nurses'"),
    ({"levers": {"new_roles": [{"role": "wizard", "trainees_per_year": 3}]}}, "unknown role 'wizard'"),
    ({"levers": {"new_roles": [{"trainees_per_year": 3}]}}, "missing required field 'role'"),
    ({"levers": {"upskilling": [{"from_staff_group": "Nurses & health visitors", "to_role": "advanced_clinical_practitioner",
                                 "share_per_year": 0.9}]}}, "share_per_year: 0.9 is outside"),
    ({"horizon": 3, "levers": {"training_places": [{"staff_group": "Midwives", "extra_places_per_year": 3,
                                                     "start_year": 4}]}}, "start_year: 4 is outside"),
    ({"levers": {"retention": [{"staff_group": "Midwives", "leaver_rate_change": -0.1},
                               {"staff_group": "Midwives", "leaver_rate_change": -0.1}]}}, "appears twice"),
    ({"levers": {"speed": 3}}, "levers: unknown key(s) 'speed'"),
    ({"assumptions": {"new_roles": {"nursing_associate": {"substitution_ratio": -1}}}}, "substitution_ratio"),
    ({"assumptions": {"on_costs": {"bonus": 1}}}, "assumptions.on_costs.bonus: unknown key"),
    ([1, 2], "expected an object"),
])
def test_invalid_documents_name_the_field(doc, fragment):
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_dict(doc)
    assert fragment in str(exc.value)


def test_not_json():
    with pytest.raises(ScenarioError, match="not valid JSON"):
        Scenario.from_json("{horizon: 5")


def test_several_errors_reported_together():
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_dict({"horizon": 99, "area": "x", "extra": 1})
    assert len(exc.value.errors) == 3


def test_run_scenario_outputs_and_area_checks():
    b = baseline_from_metrics(metrics_frame())
    res = run_scenario(Scenario.from_dict(FULL), b)
    assert list(res.table.columns) == TABLE_COLUMNS
    assert set(res.table["scenario"]) == {"baseline", "scenario"}
    assert set(res.table["area_code"]) == {"QKK"}
    assert res.table["year"].max() == 7
    s = res.summary.set_index(["scenario", "staff_group"])
    assert s.loc[("scenario", "Nurses & health visitors"), "gap_end"] != s.loc[("baseline", "Nurses & health visitors"), "gap_end"]
    assert (res.costs.loc[res.costs["scenario"] == "scenario", "training_cost"].iloc[1:] > 0).all()
    with pytest.raises(ScenarioError, match="not a system of the loaded data"):
        run_scenario(Scenario(area="QWE"), b)  # a real system, not in this baseline
    with pytest.raises(ScenarioError, match="has no data in the baseline"):
        run_scenario(Scenario.from_dict({"area": "QKK", "levers": {"recruitment": [
            {"staff_group": "Midwives", "domestic_fte_per_year": 1}]}}), b)


def test_cli_invalid_file_exit_2(tmp_path, capsys):
    import argparse
    from lib.cli.whatif_commands import add_cli
    p = argparse.ArgumentParser()
    add_cli(p.add_subparsers())
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"horizon": 40}))
    args = p.parse_args(["scenario", "--data-dir", str(tmp_path), "--scenario", str(f)])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "horizon: 40 is outside" in err and "Traceback" not in err
    f.write_text("not json")
    assert args.func(args) == 2
    args = p.parse_args(["scenario", "--data-dir", str(tmp_path), "--scenario", str(tmp_path / "missing.json")])
    assert args.func(args) == 2
