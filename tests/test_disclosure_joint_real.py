"""Joint suppression on the real store (issue 22 item 2): a cross-table attacker (tests/security/joint_attack.py)
against every table a viewer can see for Nov-25 (systems, regions and England on both footprints, organisations,
care settings, systems and England without hosted services, every staff group; peer groups show organisation cells
and figures worked out from them only: checked below) recovers nothing under 5 from the joint plan and plenty from
the per-table suppression it replaces; the CLI with --disclosure-control prints exactly the cells the app shows, read
from the plan saved beside the store (lib.insight.disclosure_plan). About 25 s of CPU: the plan is computed once
per store (about 8 s) and the attack is four dense QR factorisations."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from lib.data import footprint
from lib.insight import organisations as og
from lib.insight import disclosure_plan
from lib.insight.disclosure_plan import viewer_plan
from lib.insight.metrics import store_metrics
from lib.sharing import joint
from tests.conftest import run_cli
from tests.security.joint_attack import recovered, viewer_tables

PERIOD = "2025-11"


# ---------------------------------------------------------------- the real store, Nov-25

@pytest.fixture(scope="module")
def plan(real_store) -> joint.Plan:
    return viewer_plan(real_store, "ICS")


def test_attacker_recovers_nothing_under_5_from_the_joint_plan(real_store, plan):
    tables, systems = viewer_tables(real_store, "joint", plan)
    rec, attacked = recovered(tables, systems, PERIOD)
    assert sum(attacked.values()) > 1000  # the store really has many hidden cells under 5
    assert rec == [], rec[:10]


def test_joint_plan_hides_far_fewer_staff_in_post_cells_than_the_first_joint_rule(plan):
    """What the plan costs a reader (bench/bench_disclosure_joint_families.py): protecting only the counts under 5
    (a complementary cell a reader can work out protects nothing, so it is shown again) hides, for Nov-25, 801 of
    2,780 organisation staff-in-post cells and 166 of 1,261 system / region / England ones; the first joint rule,
    which protected every hidden cell, hid 2,185 and 573."""
    h = plan.hidden_counts()
    h = h[(h["period"] == PERIOD) & (h["measure"] == "staff in post")].set_index("kind")
    assert h.loc["org", "cells"] == 2780 and h.loc["area", "cells"] == 1261
    assert h.loc["org", "joint"] <= 1000, h.loc["org", "joint"]
    assert h.loc["area", "joint"] <= 250, h.loc["area", "joint"]
    assert h.loc["org", "joint"] >= h.loc["org", "primary"] > 200  # the counts under 5 stay hidden


def test_attacker_recovers_cells_under_5_from_per_table_suppression(real_store):
    """The attack has teeth: against the per-table suppression of before issue 22 it pins down hidden leaver and
    joiner headcounts under 5 (the issue: 140 and 166 organisation cells)."""
    tables, systems = viewer_tables(real_store, "per_table", None)
    rec, _ = recovered(tables, systems, PERIOD, ("leavers_hc", "joiners_hc"))  # the two; all: bench/
    by_col = pd.Series([r[3] for r in rec]).value_counts()
    exact = [r for r in rec if abs(r[4] - r[5]) < 1e-6]
    assert by_col.get("leavers_hc", 0) > 50 and by_col.get("joiners_hc", 0) > 50, by_col.to_dict()
    assert len(exact) > 0.9 * len(rec)


# ---------------------------------------------------------------- the CLI prints what the page shows

def _hidden_pattern(df: pd.DataFrame, key: list[str], cols: list[str]) -> pd.DataFrame:
    return df.set_index(key)[cols].isna().sort_index()


@pytest.fixture
def saved_plan_only(plan, monkeypatch):
    """The CLI must read the plan the app computed and saved beside the store: computing it again fails here."""
    def refuse(*a):
        raise AssertionError("the CLI computed the disclosure plan instead of reading the saved one")
    monkeypatch.setattr(disclosure_plan, "compute_plan", refuse)
    return plan


@pytest.mark.parametrize("args, kind, fp, setting", [
    (["--by-organisation"], "org", "ICS", ""),
    (["--by-organisation", "--footprint", "2026"], "org", "ICS2026", ""),
    (["--care-setting", "Mental Health", "--england", "--regions"], "care", "ICS", "Mental Health"),
    (["--care-setting", "Acute", "--footprint", "2026", "--england", "--regions"], "care", "ICS2026", "Acute"),
    (["--footprint", "2026", "--england", "--regions"], "area", "ICS2026", ""),
    (["--england", "--regions"], "area", "ICS", ""),
])
def test_cli_prints_the_cells_the_app_shows(real_store, saved_plan_only, args, kind, fp, setting):
    plan = saved_plan_only
    r = run_cli("metrics", "--data-dir", str(real_store), "--period", PERIOD, "--by-staff-group",
                "--disclosure-control", *args)
    assert r.returncode == 0, r.stderr
    cli = pd.read_csv(io.StringIO(r.stdout), dtype={"area_code": str, "org_code": str})
    frame = footprint.load_frame(real_store, fp, periods=[PERIOD])
    if kind == "org":  # ui.inside.org_metrics
        app = joint.apply(og.org_metrics(frame, level=fp), plan, "org")
    elif kind == "care":  # ui.inside.care_setting_metrics
        app = joint.apply(og.care_setting_metrics(frame, setting), plan, "care", fp, setting)
    else:  # ui.data.metrics
        app = joint.apply(store_metrics(real_store, fp, [PERIOD], by_staff_group=True, include_england=True,
                                        include_regions=True), plan, "area", fp)
    cols = ["fte", "headcount", "sip_start_fte", "joiners_hc", "joiners_fte", "leavers_hc", "leavers_fte",
            "leaver_rate", "joiner_rate"]
    key = ["org_code" if kind == "org" else "area_code", "staff_group"]  # --by-organisation names org_code
    a, c = _hidden_pattern(app, key, cols), _hidden_pattern(cli, key, cols)
    assert a.index.equals(c.index)
    assert (a.to_numpy() == c.to_numpy()).all()
    assert a.to_numpy().any()  # something is hidden in each
    x, y = app.set_index(key)[cols].sort_index().to_numpy(), cli.set_index(key)[cols].sort_index().to_numpy()
    assert (np.abs(x - y) <= 1e-8 * np.maximum(1.0, np.abs(x)))[~a.to_numpy()].all()  # CSV: 10 significant figures


@pytest.mark.parametrize("group, staff_group, measure", [
    ("Acute - Teaching", "HCHS Doctors", "leaver_rate"),
    ("Acute - Large", "All staff groups", "joiner_rate"),
    ("Acute - Small", "Midwives", "leaver_rate"),
])
def test_cli_peer_group_shows_only_what_the_organisation_table_shows(real_store, saved_plan_only, group,
                                                                      staff_group, measure):
    """A peer group's table and funnel (CLI --peer-group, the app's Organisations page) are organisation cells as
    the joint plan shows them, and figures worked out from the shown ones only: no sum of its own."""
    plan = saved_plan_only
    r = run_cli("metrics", "--data-dir", str(real_store), "--period", PERIOD, "--disclosure-control",
                "--peer-group", group, "--staff-group", staff_group, "--measure", measure)
    assert r.returncode == 0, r.stderr
    cli = pd.read_csv(io.StringIO(r.stdout), dtype={"org_code": str}).set_index("org_code")
    frame = footprint.load_frame(real_store, "ICS", periods=[PERIOD])
    shown = joint.apply(og.org_metrics(frame, level="ICS"), plan, "org")
    shown = shown[(shown["staff_group"] == staff_group) & (shown["benchmark_group"] == group)].set_index("org_code")
    assert sorted(cli.index) == sorted(shown.index)
    flow = "leavers_fte" if measure == "leaver_rate" else "joiners_fte"
    num = shown[flow]
    den = (shown["sip_start_fte"] + shown["fte"]) / 2
    rate = shown[measure].reindex(cli.index)
    assert np.isclose(cli[measure].to_numpy(), rate.to_numpy(), rtol=1e-8, atol=0, equal_nan=True).all()
    ok = num.notna() & den.notna()
    in_funnel = cli["numerator"].notna() if "numerator" in cli else pd.Series(False, index=cli.index)
    assert set(cli.index[in_funnel]) <= set(ok[ok].index)  # nothing hidden reaches the funnel
    if in_funnel.any():  # the numerators are the shown flows; the pooled rate is from the shown figures only
        assert ((cli.loc[in_funnel, "numerator"] - num.reindex(cli.index[in_funnel])).abs() < 1e-4).all()
        pooled = num[ok].sum() / den[ok].sum()
        assert abs(cli["pooled_rate"].dropna().iloc[0] - pooled) < 1e-9
    if staff_group != "All staff groups":
        assert shown[[flow, "fte"]].isna().any().any()  # the case has hidden cells to leak
