"""Joint (cross-table) suppression, issue 22 item 2: lib.sharing.joint on hand-made cases (the determination test,
the plan on a small system, fail-closed apply). The real store: tests/test_disclosure_joint_real.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from lib.data.schema import ALL_STAFF
from lib.insight import organisations as og
from lib.sharing import disclosure, joint

PERIOD = "2025-11"


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


def _grid_frame(leavers: dict[tuple[str, str], float]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Two organisations of one system (the system, its region and England are the same two), three staff groups
    and the total: a 2 x 3 table with its margins."""
    rows = []
    for org in ("A", "B"):
        groups = {g: leavers[(org, g)] for g in ("G1", "G2", "G3")}
        for g, lv in (*groups.items(), (ALL_STAFF, sum(groups.values()))):
            rows.append({"period_start": "2025-10", "period_end": PERIOD, "period_months": 1, "level": "ICS",
                         "area_name": "", "region_code": "Y56", "org_name": f"Org {org}", "area_code": "QKK",
                         "org_code": org, "staff_group": g, "source": "turnover", "cluster_group": "Acute",
                         "benchmark_group": "", "sip_start_fte": 500.0, "sip_start_hc": 500.0,
                         "sip_end_fte": 500.0, "sip_end_hc": 500.0, "joiners_fte": 20.0, "joiners_hc": 20.0,
                         "leavers_fte": lv, "leavers_hc": lv, "vacancy_fte": np.nan, "establishment_fte": np.nan})
    f = pd.DataFrame(rows)
    return f, {"ICS": f}


def test_plan_hides_the_cheapest_rectangle_in_a_table_with_margins():
    """One count under 5 in a 2 x 3 table with row and column totals shown: the least that protects it is a
    rectangle of four cells (its row's and column's partners and the cell across), with the smallest partners:
    organisation A's G2 (10, against G3's 40) and organisation B's G1 and G2. Nothing else is hidden: no total, and
    no cell of B's G3 or A's G3."""
    f, fps = _grid_frame({("A", "G1"): 2, ("A", "G2"): 10, ("A", "G3"): 40,
                          ("B", "G1"): 20, ("B", "G2"): 25, ("B", "G3"): 60})
    plan = joint.plan_frame(f, fps)
    lv = og_table(f, plan).set_index(["area_code", "staff_group"])["leavers_hc"]
    hidden = set(lv[lv.isna()].index)
    assert hidden == {("A", "G1"), ("A", "G2"), ("B", "G1"), ("B", "G2")}, hidden
    assert not joint.cell_hidden(plan, "area", "ICS", "QKK", PERIOD, "G1", "leavers")
    assert not joint.cell_hidden(plan, "area", "ICS", "QKK", PERIOD, ALL_STAFF, "leavers")
    # counted once per cell (the system, region and England rows are one cell: the same two organisations)
    assert plan.cells["hidden:leavers"].sum() == 4
