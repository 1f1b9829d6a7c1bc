"""One small-number rule for every table (issue 22): a cell is hidden when its headcount OR its FTE is under 5 (zero
included), headcount and FTE together: trust tables (lib.sharing.disclosure per table, lib.sharing.joint across
tables) and primary care network roles (lib.sharing.pcn_joint over lib.sharing.joint) decide alike. The case that told them apart: six
part-time people, 3.2 FTE."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.data.schema import ALL_STAFF
from lib.sharing import disclosure, joint, pcn_joint
from tests.test_disclosure_joint import PERIOD, _toy_frame
from lib.insight import pcn_roles
from tests.test_disclosure_pcn_joint import QUARTER, toy_rows


def test_small_cell_by_hand():
    hc = pd.Series([6, 4, 12, 0, np.nan, 5])
    fte = np.array([3.2, 4.0, 11.5, 0.0, 2.0, 5.0])
    assert disclosure.small_cell(hc, fte).tolist() == [True, True, False, True, True, False]
    assert disclosure.small_cell(hc).tolist() == [False, True, False, True, False, False]  # NaN does not decide


def test_pcn_cell_of_six_part_timers_is_hidden_as_a_trust_cell_is():
    rows = toy_rows({("P1", "A"): (3.2, 6), ("P1", "B"): (20.0, 22), ("P2", "A"): (10.0, 11),
                     ("P2", "B"): (12.0, 13)})
    plan = pcn_joint.plan({"ICS": rows})
    out = pcn_joint.apply(pcn_roles.roles_table(rows, QUARTER, by="pcn"), plan, pcn_joint.PCN)
    p1a = out[(out["area_code"] == "P1") & (out["role"] == "A")].iloc[0]
    assert np.isnan(p1a["fte"]) and np.isnan(p1a["headcount"]) and p1a["suppressed"] != ""
    c = plan.cells.merge(plan.tables[(plan.tables["kind"] == pcn_joint.PCN) & (plan.tables["code"] == "P1")],
                         on=["period", "agg"])
    assert bool(c.loc[c["staff_group"] == "A", "primary:staff in post"].iloc[0])  # the rule itself, not a sum
    # the same figures in a trust table: hidden by the per-table rule ...
    m = pd.DataFrame({"period": [PERIOD], "area_code": ["QKK"], "staff_group": ["Midwives"], "headcount": [6.0],
                      "fte": [3.2], "leaver_rate": [0.1]})
    t = disclosure.suppress_metrics(m)
    assert np.isnan(t.loc[0, "fte"]) and np.isnan(t.loc[0, "headcount"]) and "staff in post" in t.loc[0, "suppressed"]
    # ... and by the joint plan (its primary)
    f, fps = _toy_frame()
    sel = (f["org_code"] == "C") & (f["staff_group"] == "Midwives")
    f.loc[sel, ["sip_end_hc", "sip_end_fte"]] = [6.0, 3.2]
    plan = joint.plan_frame(f, fps)
    assert joint.cell_hidden(plan, "org", "", "C", PERIOD, "Midwives", "staff in post")
    c = plan.cells.merge(plan.tables[(plan.tables["kind"] == "org") & (plan.tables["code"] == "C")],
                         on=["period", "agg"])
    assert bool(c.loc[c["staff_group"] == "Midwives", "primary:staff in post"].iloc[0])
    assert not bool(c.loc[c["staff_group"] == ALL_STAFF, "primary:staff in post"].iloc[0])  # 500 FTE: not small


def test_pcn_cell_of_five_or_more_on_both_is_shown():
    rows = toy_rows({("P1", "A"): (5.0, 5)})
    plan = pcn_joint.plan({"ICS": rows})
    out = pcn_joint.apply(pcn_roles.roles_table(rows, QUARTER, by="pcn"), plan, pcn_joint.PCN)
    assert out["fte"].notna().all() and (out["suppressed"] == "").all()
