"""The what-if result frames drawn on every lever move (issue 16: numpy instead of pandas filters) give exactly
what the earlier pandas versions gave: same rows, order, values and dtypes, for England and a system."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.whatif import studio as w
from lib.whatif.scenario import Scenario
from tests.conftest import REPO

SCN = {"horizon": 6, "levers": {
    "retention": [{"staff_group": "Nurses & health visitors", "leaver_rate_change": -0.01}],
    "recruitment": [{"staff_group": "Midwives", "international_fte_per_year": 40}],
    "new_roles": [{"role": "nursing_associate", "trainees_per_year": 300}],
    "upskilling": [{"from_staff_group": "Nurses & health visitors", "to_role": "advanced_clinical_practitioner",
                    "share_per_year": 0.02}]}}


# ---- the pandas versions these replaced (reference implementations, kept verbatim in spirit)
def _ref_area(df, area):
    return df[df["area_code"] == area]


def ref_gap_frame(res, group):
    t = _ref_area(res.table, res.scenario.area)
    t = t[t["role"] == group][["scenario", "year", "demand", "capacity", "gap", "vacancy_rate"]].copy()
    t["scenario"] = t["scenario"].map(w.SCENARIO_LABELS)
    return t.reset_index(drop=True)


def ref_cost_frame(res):
    c = _ref_area(res.costs, res.scenario.area)
    c = c[c["year"] > 0]
    m = c.melt(id_vars=["scenario", "year"], value_vars=list(w.COST_LABELS), var_name="measure", value_name="pounds")
    m["measure"] = m["measure"].map(w.COST_LABELS)
    m["scenario"] = m["scenario"].map(w.SCENARIO_LABELS)
    return m[["scenario", "year", "measure", "pounds"]]


def ref_fte_frame(res, group, max_roles=4):
    t = _ref_area(res.table, res.scenario.area)
    p = t.pivot_table(index=["role", "year"], columns="scenario", values="fte", aggfunc="sum")
    diff = (p["scenario"] - p["baseline"]).abs().groupby(level="role").max().dropna()
    has = p["scenario"].groupby(level="role").max()
    d = diff.sort_index().sort_values(ascending=False)
    changed = [r for r in d.index if d[r] > 1e-6 and has.get(r, 0) > 1e-6]
    roles = [group] + [r for r in changed if r != group][: max_roles - 1]
    out = t[t["role"].isin(roles)][["scenario", "role", "role_label", "year", "fte"]].copy()
    out["scenario"] = out["scenario"].map(w.SCENARIO_LABELS)
    return out.reset_index(drop=True)


@pytest.fixture(scope="module")
def base():
    return w.load_baseline(REPO / "data" / "demo", "ICS")


@pytest.mark.parametrize("area", ["ENG", "QKK"])
@pytest.mark.parametrize("group", ["Nurses & health visitors", "Midwives"])
def test_fast_frames_equal_the_pandas_versions(base, area, group):
    res = w.run(Scenario.from_dict({**SCN, "area": area}), base)
    for new, ref in ((w.gap_frame(res, group), ref_gap_frame(res, group)),
                     (w.fte_frame(res, group), ref_fte_frame(res, group)),
                     (w.cost_frame(res), ref_cost_frame(res))):
        assert len(new) > 0
        pd.testing.assert_frame_equal(new.reset_index(drop=True), ref.reset_index(drop=True), check_dtype=False)
        for c in new.columns:  # numbers stay numbers, text stays text
            assert (new[c].dtype.kind in "fiu") == (ref[c].dtype.kind in "fiu"), c
    # the levers changed the followed roles: more than the group itself is drawn when a lever moves another role
    roles = set(w.fte_frame(res, "Nurses & health visitors")["role"])
    assert "Nurses & health visitors" in roles and len(roles) > 1
    g = w.gap_frame(res, group)
    for label in w.SCENARIO_LABELS.values():   # baseline then scenario, years 0..horizon each
        assert g[g["scenario"] == label]["year"].tolist() == list(range(SCN["horizon"] + 1))
    assert np.allclose(g["gap"], g["demand"] - g["capacity"], equal_nan=True)


@pytest.mark.parametrize("area", ["ENG", "QKK"])
@pytest.mark.parametrize("extra", [{}, {"horizon": 3, "demand_growth": 0.031, "productivity": 0.004,
                                        "assumptions": {"recruitment": {"domestic_cost_per_fte": {"value": 9000}}}}])
def test_run_from_halves_is_the_run(base, area, extra):
    """The page reuses the no-levers half of a run while only levers move (ui.whatif.session): joined, the halves
    are exactly w.run's result; and a scenario differing only in its levers has the same no-levers key."""
    scn = Scenario.from_dict({**SCN, "area": area, **extra})
    whole = w.run(scn, base)
    joined = w.join_halves(scn, w.run_half(scn, base, False), w.run_half(scn, base, True))
    for a, b in ((whole.table, joined.table), (whole.summary, joined.summary), (whole.costs, joined.costs)):
        pd.testing.assert_frame_equal(a, b)
    assert whole.notes == joined.notes
    other = Scenario.from_dict({**SCN, "area": area, **extra, "name": "x", "levers": {
        "new_roles": [{"role": "nursing_associate", "trainees_per_year": 10}]}})
    assert w.no_levers_key(other) == w.no_levers_key(scn)
    no_lev = w.run_half(other, base, False)
    pd.testing.assert_frame_equal(no_lev[0], w.run_half(scn, base, False)[0])
    assert w.no_levers_key(Scenario.from_dict({**SCN, "area": area, **extra, "horizon": 9})) != w.no_levers_key(scn)
