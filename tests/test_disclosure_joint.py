"""Joint (cross-table) suppression, issue 22 item 2: lib.sharing.joint on hand-made cases, the app and the CLI
hiding the same cells, and a cross-table attacker (tests/security/joint_attack.py) against every table a viewer
can see for Nov-25 on the real store: nothing under 5 recovered with the joint plan, and plenty with the per-table
suppression it replaces."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lib.data import footprint
from lib.data.schema import ALL_STAFF
from lib.insight import organisations as og
from lib.insight import peers
from lib.insight.disclosure_plan import NOHOST, viewer_plan
from lib.insight.metrics import area_metrics
from lib.insight.metrics import store_metrics
from lib.sharing import disclosure, joint
from tests.conftest import run_cli
from tests.security.joint_attack import Table, recovered

PERIOD = "2025-11"
FOOTPRINTS = ("ICS", "ICS2026")


# ---------------------------------------------------------------- the determination test on small systems

def test_determined_finds_a_lone_hidden_cell_and_names_what_gives_it_away():
    # base cells a, b, c; published: a, b, c, a+b, a+b+c
    rows = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 1, 1]], float))
    det, uses = joint.determined(rows, np.array([False, False, True, True, True]))
    assert list(det) == []  # a and b hidden, only their sum shown: neither is pinned
    det, uses = joint.determined(rows, np.array([False, True, True, True, True]))
    assert list(det) == [0] and set(uses[0]) >= {1}  # a = (a+b) - b: b (shown alone) is used
    det, uses = joint.determined(rows, np.array([False, False, True, False, True]))
    assert list(det) == [3] and set(uses[3]) == {4, 2}  # a+b = (a+b+c) - c


def test_determined_across_blocks_through_a_total():
    # two staff groups x two units; groups are blocks, the unit totals couple them
    # vars: (u1,g1) (u2,g1) (u1,g2) (u2,g2); rows: singles, group sums, unit totals
    r = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
         [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]]
    rows = sp.csr_matrix(np.array(r, float))
    block = np.array([0, 0, 1, 1])
    # the four singles hidden, both group sums and both unit totals shown: a 2x2 table with margins is not pinned
    shown = np.array([False] * 4 + [True] * 4)
    assert list(joint.determined(rows, shown, block)[0]) == []
    # ... but with one single shown, the margins give every other cell
    shown[3] = True
    assert sorted(joint.determined(rows, shown, block)[0]) == [0, 1, 2]


def _toy_frame() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Three organisations in system S1 (region Y56) and one in S2, one staff group plus the total."""
    rows = []
    for org, area, setting, leavers in (("A", "QKK", "Acute", 2), ("B", "QKK", "Acute", 30),
                                        ("C", "QKK", "Mental Health", 40), ("D", "QWE", "Acute", 50)):
        for g, f in ((ALL_STAFF, 1.0), ("Midwives", 1.0)):
            rows.append({"period_start": "2025-10", "period_end": PERIOD, "period_months": 1, "level": "ICS",
                         "area_name": "", "region_code": "Y56", "org_name": f"Org {org}", "area_code": area, "org_code": org,
                         "staff_group": g, "source": "turnover", "cluster_group": setting,
                         "benchmark_group": "", "sip_start_fte": 500.0, "sip_start_hc": 520.0,
                         "sip_end_fte": 500.0, "sip_end_hc": 520.0, "joiners_fte": 20.0, "joiners_hc": 20.0,
                         "leavers_fte": float(leavers), "leavers_hc": float(leavers),
                         "vacancy_fte": np.nan, "establishment_fte": np.nan})
    f = pd.DataFrame(rows)
    return f, {"ICS": f}


def test_plan_hides_a_partner_so_the_system_total_cannot_be_differenced():
    f, fps = _toy_frame()
    plan = joint.plan_frame(f, fps)
    org = og_table(f, plan)
    lv = org.set_index(["area_code", "staff_group"])["leavers_hc"]
    assert np.isnan(lv[("A", "Midwives")])  # primary: 2 leavers
    # A's total equals its only group, so it goes too; and one more organisation of QKK is hidden so that the
    # system's total (shown) minus the others does not give A: the smallest, B (30), not C (40)
    assert np.isnan(lv[("A", ALL_STAFF)]) and np.isnan(lv[("B", "Midwives")])
    assert lv[("C", "Midwives")] == 40 and lv[("D", "Midwives")] == 50
    # and B's total, which would give B's midwives back (B has one group)
    assert np.isnan(lv[("B", ALL_STAFF)])
    assert plan.stats["rounds"] >= 2  # round 1 found A determined; round 2 found nothing more


def og_table(frame: pd.DataFrame, plan: joint.Plan) -> pd.DataFrame:
    m = og.org_metrics(frame, level="ICS")
    return joint.apply(m, plan, "org")


def test_apply_hides_a_row_the_plan_does_not_know():
    f, fps = _toy_frame()
    plan = joint.plan_frame(f, fps)
    m = og.org_metrics(f, level="ICS")
    m.loc[m.index[0], "area_code"] = "ZZZ"  # a unit the plan was not built with
    out = joint.apply(m, plan, "org")
    assert np.isnan(out.loc[out.index[0], "fte"]) and np.isnan(out.loc[out.index[0], "leavers_fte"])
    assert "staff in post" in out.loc[out.index[0], disclosure.SUPPRESSED_COLUMN]


# ---------------------------------------------------------------- the real store, Nov-25

@pytest.fixture(scope="module")
def plan(real_store) -> joint.Plan:
    return viewer_plan(real_store, "ICS")


def _tables(store, suppress: str, plan: joint.Plan | None) -> tuple[list[Table], dict[str, dict[str, str]]]:
    """Every table a signed-in viewer can reach for Nov-25, as the app builds them (ui.data, ui.inside):
    suppress = "joint" (the plan), "per_table" (lib.sharing.disclosure per table, before issue 22) or "none"."""
    tables, systems = [], {}
    for fp in FOOTPRINTS:
        frame = footprint.load_frame(store, fp)
        area = store_metrics(store, fp, None, by_staff_group=True, include_england=True, include_regions=True)
        orgm = og.org_metrics(frame, level=fp)
        systems[fp] = dict(zip(orgm["org_code"], orgm["system_code"]))
        cuts = {s: og.care_setting_metrics(frame, s) for s in og.care_settings(frame)}
        nohost = area_metrics(peers.without_hosted(frame), by_staff_group=True, include_england=True)
        if suppress == "joint":
            a_s = joint.apply(area, plan, "area", fp)
            o_s = joint.apply(orgm, plan, "org")
            c_s = {s: joint.apply(m, plan, "care", fp, s) for s, m in cuts.items()}
            n_s = joint.apply(nohost, plan, NOHOST, fp)
        elif suppress == "per_table":
            a_s = disclosure.suppress_metrics(area)
            o_s = og.suppress_org_metrics(orgm)
            c_s = {s: disclosure.suppress_metrics(m) for s, m in cuts.items()}
            n_s = disclosure.suppress_metrics(nohost)
        else:
            a_s, o_s, c_s, n_s = area, orgm, cuts, nohost
        tables.append(Table(f"systems {fp}", "area", fp, "", a_s, area))
        tables.append(Table(f"without hosted services {fp}", "area", fp, "without hosted services", n_s, nohost))
        if fp == "ICS":
            tables.append(Table("organisations", "org", "", "", o_s.assign(cluster_group=orgm["cluster_group"]),
                                orgm))
        tables += [Table(f"{s} {fp}", "area", fp, s, c_s[s], cuts[s]) for s in cuts]
    return tables, systems


def test_attacker_recovers_nothing_under_5_from_the_joint_plan(real_store, plan):
    tables, systems = _tables(real_store, "joint", plan)
    rec, attacked = recovered(tables, systems, PERIOD)
    assert sum(attacked.values()) > 1000  # the store really has many hidden cells under 5
    assert rec == [], rec[:10]


def test_attacker_recovers_cells_under_5_from_per_table_suppression(real_store):
    """The attack has teeth: against the per-table suppression of before issue 22 it pins down hidden leaver and
    joiner headcounts under 5 (the issue: 140 and 166 organisation cells)."""
    tables, systems = _tables(real_store, "per_table", None)
    rec, _ = recovered(tables, systems, PERIOD)
    by_col = pd.Series([r[3] for r in rec]).value_counts()
    exact = [r for r in rec if abs(r[4] - r[5]) < 1e-6]
    assert by_col.get("leavers_hc", 0) > 50 and by_col.get("joiners_hc", 0) > 50, by_col.to_dict()
    assert len(exact) > 0.9 * len(rec)


# ---------------------------------------------------------------- the CLI prints what the page shows

def _hidden_pattern(df: pd.DataFrame, key: list[str], cols: list[str]) -> pd.DataFrame:
    return df.set_index(key)[cols].isna().sort_index()


@pytest.mark.parametrize("args, kind, fp, setting", [
    (["--by-organisation"], "org", "ICS", ""),
    (["--care-setting", "Mental Health", "--footprint", "2026", "--england", "--regions"], "care", "ICS2026",
     "Mental Health"),
    (["--footprint", "2026", "--england", "--regions"], "area", "ICS2026", ""),
])
def test_cli_prints_the_cells_the_app_shows(real_store, plan, monkeypatch, args, kind, fp, setting):
    # the CLI calls joint.store_plan(data_dir, level) as ui.data does; here it gets the plan the fixture computed
    # with that same call (minutes on this machine), so the test checks what each applies to its tables
    calls = []
    monkeypatch.setattr(joint, "store_plan", lambda *a, **k: calls.append(a) or plan)
    r = run_cli("metrics", "--data-dir", real_store, "--period", PERIOD, "--by-staff-group",
                "--disclosure-control", *args)
    assert r.returncode == 0, r.stderr
    assert [(str(d), lv) for d, lv in calls] == [(str(real_store), "ICS")]
    cli = pd.read_csv(io.StringIO(r.stdout), dtype={"area_code": str, "org_code": str})
    frame = footprint.load_frame(real_store, fp, periods=[PERIOD])
    if kind == "org":
        app = joint.apply(og.org_metrics(frame, level=fp), plan, "org")
    elif kind == "care":
        app = joint.apply(og.care_setting_metrics(frame, setting), plan, "care", fp, setting)
    else:
        app = joint.apply(store_metrics(real_store, fp, [PERIOD], by_staff_group=True, include_england=True,
                                        include_regions=True), plan, "area", fp)
    cols = ["fte", "headcount", "sip_start_fte", "joiners_hc", "joiners_fte", "leavers_hc", "leavers_fte"]
    key = ["area_code", "staff_group"]
    a, c = _hidden_pattern(app, key, cols), _hidden_pattern(cli, key, cols)
    assert a.index.equals(c.index)
    assert (a.to_numpy() == c.to_numpy()).all()
    assert a.to_numpy().any()  # something is hidden in each
