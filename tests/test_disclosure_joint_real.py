"""Joint suppression on the real store (issue 22 item 2): a cross-table attacker (tests/security/joint_attack.py)
against every table a viewer can see for Nov-25 recovers nothing under 5 from the joint plan and plenty from the
per-table suppression it replaces; the CLI prints the cells the app shows. Slow: the plan takes about two minutes of
CPU for the real store."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from lib.data import footprint
from lib.insight import organisations as og
from lib.insight import peers
from lib.insight.disclosure_plan import NOHOST, viewer_plan
from lib.insight.metrics import area_metrics, store_metrics
from lib.sharing import disclosure, joint
from tests.conftest import run_cli
from tests.security.joint_attack import Table, recovered

PERIOD = "2025-11"
FOOTPRINTS = ("ICS", "ICS2026")


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
    key = ["org_code" if kind == "org" else "area_code", "staff_group"]  # --by-organisation names org_code
    a, c = _hidden_pattern(app, key, cols), _hidden_pattern(cli, key, cols)
    assert a.index.equals(c.index)
    assert (a.to_numpy() == c.to_numpy()).all()
    assert a.to_numpy().any()  # something is hidden in each
