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
    no_lev, again = w.run_half(other, base, False), w.run_half(scn, base, False)
    for a, b in zip(no_lev[:3], again[:3]):
        assert a.keys() == b.keys()
        for c in a:
            np.testing.assert_array_equal(a[c], b[c])
    assert w.no_levers_key(Scenario.from_dict({**SCN, "area": area, **extra, "horizon": 9})) != w.no_levers_key(scn)


# ---- issue 16 (16w): results kept as numpy columns, frames built only when asked for. The reference below is the
# eager pandas construction these replaced (a frame per block, text label broadcast, Int64 year, concatenated).
def _ref_summary(label, proj, codes, names, groups, T):
    from lib.whatif.projection import year_gap_closes
    B, G = proj.demand.shape[:2]
    gap, vr = proj.gap, proj.vacancy_rate
    closes = year_gap_closes(gap)
    df = pd.DataFrame({
        "scenario": label, "area_code": np.repeat(codes, G), "area_name": np.repeat(names, G),
        "staff_group": np.tile(groups, B), "horizon": T,
        "fte_start": proj.fte[:, :G, 0].ravel(), "fte_end": proj.fte[:, :G, -1].ravel(),
        "capacity_end": proj.capacity[:, :, -1].ravel(),
        "demand_start": proj.demand[:, :, 0].ravel(), "demand_end": proj.demand[:, :, -1].ravel(),
        "gap_start": gap[:, :, 0].ravel(), "gap_end": gap[:, :, -1].ravel(),
        "vacancy_rate_start": vr[:, :, 0].ravel(), "vacancy_rate_end": vr[:, :, -1].ravel(),
        "year_gap_closes": pd.array(np.where(np.isnan(closes), -1, closes).ravel().astype(int), dtype="Int64"),
    })
    df.loc[df["year_gap_closes"] < 0, "year_gap_closes"] = pd.NA
    return df


def _ref_costs(label, proj, ret_cost, codes, names):
    B, R, T1 = proj.fte.shape
    parts = {k: getattr(proj, k).sum(axis=1) for k in ("fte", "pay_bill", "training_cost", "recruitment_cost")}
    parts["retention_cost"] = ret_cost.sum(axis=1)
    parts["total_cost"] = parts["pay_bill"] + parts["training_cost"] + parts["recruitment_cost"] + parts["retention_cost"]
    return pd.DataFrame({"scenario": label, "area_code": np.repeat(codes, T1), "area_name": np.repeat(names, T1),
                         "year": np.tile(np.arange(T1), B), **{k: v.ravel() for k, v in parts.items()}})


def ref_run(scenario, baseline, include_systems=True):
    from lib.whatif import scenario as S
    from lib.whatif.projection import ENGLAND, project
    frames, summaries, costs = [], [], []
    for label, with_levers in (("baseline", False), ("scenario", True)):
        setup = S.build_inputs(scenario, baseline, None, with_levers=with_levers)
        proj = project(setup.inputs)
        ret = S._retention_cost(setup, proj, with_levers)
        groups = setup.roles[:proj.n_groups]
        blocks = []
        if scenario.area != ENGLAND or include_systems:
            blocks.append((proj, ret, setup.area_codes, setup.area_names))
        if scenario.area == ENGLAND:
            blocks.append((proj.sum_batch(), ret.sum(axis=0, keepdims=True), [ENGLAND], ["England"]))
        for p, r, codes, names in blocks:
            frames.append(S._frame(label, setup, p, r, codes, names))
            summaries.append(_ref_summary(label, p, codes, names, groups, scenario.horizon))
            costs.append(_ref_costs(label, p, r, codes, names))
    return (pd.concat(frames, ignore_index=True)[S.TABLE_COLUMNS],
            pd.concat(summaries, ignore_index=True)[S.SUMMARY_COLUMNS],
            pd.concat(costs, ignore_index=True)[S.COST_COLUMNS])


@pytest.mark.parametrize("area,systems", [("ENG", True), ("ENG", False), ("QKK", True)])
def test_lazy_frames_equal_the_eager_frames(base, area, systems):
    """Frames built on demand from the result's columns are exactly the eager frames (values, dtypes, order, NA),
    and column() gives each frame column's values without building the frame."""
    from lib.whatif.scenario import run_scenario
    scn = Scenario.from_dict({**SCN, "area": area})
    res = run_scenario(scn, base, include_systems=systems)
    ref = ref_run(scn, base, systems)
    lazy_cols = {k: {c: res.column(k, c) for c in ref[i].columns} for i, k in enumerate(("table", "summary", "costs"))}
    assert res._frames == {"table": None, "summary": None, "costs": None}   # nothing built by a run
    for got, want in zip((res.table, res.summary, res.costs), ref):
        pd.testing.assert_frame_equal(got, want)
    assert str(res.summary["year_gap_closes"].dtype) == "Int64" and len(res.table) > 0
    eager = type(res)(scn, *ref, notes=res.notes)       # made from frames: column() reads the frames
    for i, k in enumerate(("table", "summary", "costs")):
        for c in ref[i].columns:
            a, b = lazy_cols[k][c], eager.column(k, c)
            if c == "year_gap_closes":   # floats with NaN for 'not closed' either way
                np.testing.assert_array_equal(a, b)
                assert np.isnan(a).any() or (a >= 0).all()
            else:
                assert list(a) == list(b) or np.allclose(a, b, equal_nan=True), (k, c)


def test_without_groups_equals_filtering_the_frames(base):
    scn = Scenario.from_dict({**SCN, "area": "QKK"})
    res = w.run(scn, base)
    hide = ["Midwives", "Ambulance staff"]
    got = w.hide_groups(res, hide)
    t, s = res.table, res.summary
    pd.testing.assert_frame_equal(got.table, t[~t["role"].isin(hide)].reset_index(drop=True))
    pd.testing.assert_frame_equal(got.summary, s[~s["staff_group"].isin(hide)].reset_index(drop=True))
    pd.testing.assert_frame_equal(got.costs, res.costs)
    assert not set(hide) & set(got.column("summary", "staff_group")) and len(got.table) < len(t)
    eager = type(res)(scn, res.table, res.summary, res.costs, res.notes)   # frames in, frames out
    pd.testing.assert_frame_equal(w.hide_groups(eager, hide).summary, got.summary)
    assert w.headline(got, w.NURSES) == w.headline(res, w.NURSES) == w.headline(eager, w.NURSES)
