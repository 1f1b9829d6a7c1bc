"""What-if studio, "Why it differs" tab (AppTest on the demo store): the what-if bridge of the followed staff group,
baseline then each lever's contribution, summing exactly to the scenario's FTE in the chosen year."""
from __future__ import annotations

import pytest

from lib.whatif import studio as w
from lib.whatif.scenario import Scenario, to_query
from tests.conftest import open_app_page

NURSES = "Nurses & health visitors"
DOC = {"area": "ENG", "horizon": 5,
       "levers": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
                  "training_places": [{"staff_group": NURSES, "extra_places_per_year": 500}]}}


def open_tab(**params):
    at = open_app_page("views/what_if.py", {"scn": to_query(Scenario.from_dict(DOC)), **params}, timeout=120)
    at.session_state["wi_panel"] = "Why it differs"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def bridge_table(at):
    frames = [d.value for d in at.dataframe if "Running total (FTE)" in d.value.columns]
    assert len(frames) == 1, [list(d.value.columns) for d in at.dataframe]
    return frames[0]


def expected(year: int):
    """The page's own scenario run (the result tables the studio draws), read independently of the bridge."""
    from ui.whatif.session import run_cached
    at = open_app_page("views/what_if.py", {"scn": to_query(Scenario.from_dict(DOC))}, timeout=120)
    key = at.session_state["wi_key"]
    res = run_cached(*key, Scenario.from_dict(DOC).to_json(None))
    t = res.table[(res.table["role"] == NURSES) & (res.table["year"] == year) & (res.table["area_code"] == "ENG")]
    return (float(t.loc[t["scenario"] == "baseline", "fte"].sum()), float(t.loc[t["scenario"] == "scenario", "fte"].sum()),
            res)


def test_bridge_tab_sums_exactly_to_the_scenario_and_starts_at_the_baseline():
    at = open_tab()
    tab = bridge_table(at)
    assert list(tab["Lever"]) == ["Baseline", f"Leaver rate 1 point lower: {NURSES}",
                                  f"Extra training places: {NURSES}", "Scenario"]
    base_fte, scen_fte, res = expected(5)
    # horizon figure = the summary's fte_end the headline cards are built from
    s = res.summary[(res.summary["staff_group"] == NURSES) & (res.summary["area_code"] == "ENG")]
    assert float(s.loc[s["scenario"] == "scenario", "fte_end"].iloc[0]) == pytest.approx(scen_fte, abs=1e-9)
    assert tab["Change (FTE)"].iloc[0] == pytest.approx(base_fte, abs=1e-9)
    assert tab["Change (FTE)"].iloc[:-1].sum() == pytest.approx(scen_fte, abs=1e-6)
    assert tab["Running total (FTE)"].iloc[-1] == pytest.approx(scen_fte, abs=1e-9)
    # both levers raise nurse FTE, and each moved it
    assert (tab["Change (FTE)"].iloc[1:3] > 1).all()
    text = "\n".join(m.value for m in at.markdown)
    assert f"baseline has {base_fte:,.1f} FTE in post and the scenario {scen_fte:,.1f} FTE" in text.replace("\\", "")
    assert f"largest contribution, {tab['Change (FTE)'].iloc[1:3].max():+,.1f} FTE, is from Leaver rate" in \
        text.replace("\\", "")
    assert [e.value for e in at.selectbox if e.key == "wi_bridge_year"] == [5]


def test_bridge_tab_for_an_earlier_year():
    at = open_tab()
    at.selectbox(key="wi_bridge_year").set_value(2).run()
    assert not at.exception
    tab = bridge_table(at)
    base_fte, scen_fte, _ = expected(2)
    assert tab["Change (FTE)"].iloc[0] == pytest.approx(base_fte, abs=1e-9)
    assert tab["Change (FTE)"].iloc[:-1].sum() == pytest.approx(scen_fte, abs=1e-6)
    assert tab["Running total (FTE)"].iloc[-1] == pytest.approx(scen_fte, abs=1e-9)
    assert "year 2" in "\n".join(m.value for m in at.markdown)


def test_no_lever_says_so():
    at = open_app_page("views/what_if.py", {"scn": to_query(Scenario(area="ENG"))}, timeout=120)
    at.session_state["wi_panel"] = "Why it differs"
    at.run()
    assert not at.exception
    assert any("No lever is moved" in str(i.value) for i in at.info)


def test_lib_bridge_for_a_chosen_year_matches_the_run(tmp_path):
    """lib.insight.bridge.whatif_bridge(year=...): default = horizon; any year's last row = the run's FTE."""
    from lib.insight import bridge as br
    from ui.whatif.session import baseline_cached
    at = open_app_page("views/what_if.py", {"scn": to_query(Scenario.from_dict(DOC))}, timeout=120)
    base = baseline_cached(*at.session_state["wi_key"])
    scn = Scenario.from_dict(DOC)
    res = w.run(scn, base)
    default = br.whatif_bridge(scn, base, staff_group=NURSES)
    at5 = br.whatif_bridge(scn, base, staff_group=NURSES, year=5)
    assert default["value"].tolist() == pytest.approx(at5["value"].tolist(), abs=1e-9)
    for year in (1, 3):
        b = br.whatif_bridge(scn, base, staff_group=NURSES, year=year)
        t = res.table[(res.table["role"] == NURSES) & (res.table["year"] == year)]
        assert b["value"].iloc[0] == pytest.approx(float(t.loc[t["scenario"] == "baseline", "fte"].sum()), abs=1e-9)
        assert b["value"].iloc[:-1].sum() == pytest.approx(float(t.loc[t["scenario"] == "scenario", "fte"].sum()),
                                                           abs=1e-6)
    with pytest.raises(br.BridgeError, match="year must be"):
        br.whatif_bridge(scn, base, staff_group=NURSES, year=6)
    with pytest.raises(br.BridgeError, match="year must be"):
        br.whatif_bridge(scn, base, figure="gap", year=2)
