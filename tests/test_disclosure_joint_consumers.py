"""Issue 22 item 2: the board pack (lib.report.pack) and the what-if baseline (lib.whatif.studio.shared_baseline) hide
the cells the joint plan hides, through the routine the pages use (lib.insight.disclosure_plan), not the per-table
rule: on the real Oct/Nov-25 store a sum between tables would give a per-table hidden cell back."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.data import footprint, geography
from lib.data.schema import ALL_STAFF
from lib.insight import bridge as br
from lib.insight import disclosure_plan as dp
from lib.insight import organisations as og
from lib.report import pack as rp
from lib.sharing import disclosure
from lib.whatif import studio as w

PERIOD = "2025-11"
COUNTS = ["fte", "headcount", "sip_start_fte", "joiners_fte", "joiners_hc", "leavers_fte", "leavers_hc",
          "leaver_rate", "joiner_rate"]


@pytest.fixture(scope="module")
def plan(real_store):
    return dp.viewer_plan(real_store, "ICS")


@pytest.fixture(scope="module")
def pack_store(real_store, plan):
    return rp.load_store(real_store, PERIOD, sdc=True)


def _hidden(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return df.set_index(key)[COUNTS].isna().sort_index()


def test_board_pack_hides_what_the_pages_hide(real_store, plan, pack_store):
    pages = dp.page_metrics(real_store, "ICS", plan=plan)  # ui.data.metrics with control on
    key = ["period", "area_code", "staff_group"]
    assert _hidden(pack_store.metrics, key).equals(_hidden(pages, key))
    frame = footprint.load_frame(real_store, "ICS", periods=[PERIOD])
    om = og.org_metrics(frame, level="ICS")
    assert _hidden(pack_store.org_metrics, ["org_code", "staff_group"]).equals(
        _hidden(dp.shown(om, plan, "org"), ["org_code", "staff_group"]))  # ui.inside.org_metrics
    # more than the per-table rule hides (what the pack applied before): the cells a sum between tables would give
    per_table = disclosure.suppress_metrics(dp.page_metrics(real_store, "ICS"))
    extra = _hidden(pack_store.metrics, key).to_numpy() & ~_hidden(per_table, key).to_numpy()
    assert extra.sum() > 100


def _bridge_withheld_only_jointly(real_store, plan) -> str:
    frame = footprint.load_frame(real_store, "ICS")
    for area in sorted(geography.area_names("ICS")):
        b = br.staff_in_post_bridge(frame, area, "2025-10", PERIOD, ALL_STAFF, "fte")
        if not dp.bridge_disclosive(b, None, "ICS") and dp.bridge_disclosive(b, plan, "ICS"):
            return area
    raise AssertionError("no system whose bridge only the joint plan withholds")


def test_board_pack_withholds_the_bridge_the_profile_withholds(real_store, plan, pack_store):
    """A system whose bridge has no flow under 5 but shows a stock or flow the tables hide (the System profile does
    not draw it: ui.inside.bridge_disclosive): the pack does not print it either."""
    area = _bridge_withheld_only_jointly(real_store, plan)
    blocks = rp.staff_section(pack_store, area, geography.area_names("ICS"))
    def bridges(bs):
        return [b for b in bs if b["kind"] == "chart" and "bridge" in b["title"].lower()]
    assert bridges(blocks) == []
    assert any(b["kind"] == "note" and "bridge is not shown" in b["text"] for b in blocks)
    plain = rp.staff_section(rp.load_store(real_store, PERIOD), area, geography.area_names("ICS"))
    assert len(bridges(plain)) == 1  # without control it is drawn: the case has a bridge to withhold


def test_what_if_baseline_uses_the_joint_plan_and_refuses_without_one(real_store, plan):
    raw = dp.page_metrics(real_store, "ICS", [PERIOD])
    with pytest.raises(ValueError, match="disclosure plan"):
        w.shared_baseline(raw, PERIOD, "ICS")  # no per-table fallback
    base, hidden = w.shared_baseline(raw, PERIOD, "ICS", plan=plan)
    shown = dp.shown(raw, plan, "area", "ICS")
    sys_rows = shown[shown["area_code"].isin(base.area_codes) & (shown["staff_group"] != ALL_STAFF)]
    want: dict[str, list[str]] = {}
    for a, g in zip(sys_rows.loc[sys_rows["fte"].isna(), "area_code"], sys_rows.loc[sys_rows["fte"].isna(),
                                                                                  "staff_group"]):
        want.setdefault(a, []).append(g)
    assert hidden == want and sum(map(len, hidden.values())) > 0
    # the same as the page's baseline (ui.whatif.session: ui.data.metrics, already controlled)
    assert w.shared_baseline(shown, PERIOD, "ICS")[1] == hidden
    per_table = w.shared_baseline(disclosure.suppress_metrics(raw), PERIOD, "ICS")[1]
    assert sum(map(len, hidden.values())) > sum(map(len, per_table.values()))
    j = base.staff_groups.index("Midwives")
    left_out = [base.area_codes.index(a) for a, gs in hidden.items() if "Midwives" in gs]
    assert np.all(base.fte[left_out, j] == 0.0)
