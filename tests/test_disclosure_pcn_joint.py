"""Joint suppression of primary care network tables (issue 22 item 2, PCN part): a cross-table attacker
(tests/security/pcn_attack.py) that takes every PCN table a viewer can see for a quarter (PCNs, systems, regions and
England x role on both footprints, for every data source and each source) recovers no hidden cell under 5 from the
joint plan (lib.sharing.pcn_joint) and hundreds from the per-table rule it replaces; the plan is kept beside the
store per quarter and read, not recomputed; `python -m lib roles --disclosure-control` prints what the page shows.

On the real June 2020 file (497 PCNs; a quarter's plan depends on that quarter's rows only, checked below, so one
quarter is a whole case). Other quarters of the real files: bench/bench_disclosure_pcn.py (same attacker), figures in
bench/README.md."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from lib.data import ingest, pcn_store
from lib.insight import disclosure_plan, pcn_roles
from lib.sharing import joint, pcn_joint
from tests.conftest import REFERENCE, run_cli
from tests.security import pcn_attack

PCN_DIR = REFERENCE / "workforce" / "pcn"
MAR20 = PCN_DIR / "1.Primary Care Networks – March 2020 Individual Level.csv"
JUN20 = PCN_DIR / "2.Primary Care Networks – June 2020 Individual Level.csv"
POPULATION = REFERENCE / "population" / "ICB Population estimates 2022.csv"
QUARTER = "2020-06"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("pcn_joint")
    ingest.ingest([MAR20, JUN20, POPULATION], d)
    return d


@pytest.fixture(scope="module")
def plan(store) -> joint.Plan:
    return disclosure_plan.pcn_viewer_plan(store, [QUARTER])


@pytest.fixture(scope="module")
def frames(store) -> dict[str, pd.DataFrame]:
    rows = pcn_store.load(store, [QUARTER])
    return {k: pcn_store.on_footprint(rows, k) for k in ("ICS", "ICS2026")}


def toy_rows(cells: dict[tuple[str, ...], tuple[float, float]]) -> pd.DataFrame:
    """PCN rows (lib.data.pcn_store.load's columns) of one quarter in Frimley (QNQ, South East): (PCN, role) or
    (PCN, role, data source) -> (fte, headcount); data source NWRS Staff unless named."""
    return pd.DataFrame([{"period_end": QUARTER, "level": "ICS", "area_code": "QNQ", "area_name": "Frimley",
                          "region_code": "Y59", "sub_icb_code": "D4U1Y", "sub_icb_name": "Frimley", "pcn_code": k[0],
                          "pcn_name": k[0], "staff_group": "Direct Patient Care", "staff_role": k[1],
                          "data_source": k[2] if len(k) > 2 else "staff", "source": "pcn", "fte": f,
                          "headcount": h, "records": h}
                         for k, (f, h) in cells.items()])


def test_hand_case_two_pcns_two_sources():
    """P1 has 3 staff in role A (NWRS Staff) and 10 contracted: the staff cell is small, hidden. Per table it stays
    hidden (with a complement in its own table), yet P1's A over every source (13) minus its contracted A (10) gives
    it back: the old rule loses it. The joint plan hides one of those too, and the attacker then recovers nothing."""
    rows = toy_rows({("P1", "A"): (3.0, 3), ("P1", "B"): (20.0, 22), ("P1", "A", "contracted"): (10.0, 10),
                     ("P2", "A"): (10.0, 11), ("P2", "B"): (12.0, 13)})
    frames = {"ICS": rows}
    p = pcn_joint.plan(frames)
    staff = pcn_joint.apply(pcn_roles.roles_table(rows, QUARTER, by="pcn", source="staff"), p, pcn_joint.PCN,
                            source="staff").set_index(["area_code", "role"])
    assert np.isnan(staff.loc[("P1", "A"), "fte"]) and np.isnan(staff.loc[("P1", "A"), "headcount"])
    every = pcn_joint.apply(pcn_roles.roles_table(rows, QUARTER, by="pcn"), p, pcn_joint.PCN).set_index(
        ["area_code", "role"])
    contracted = pcn_joint.apply(pcn_roles.roles_table(rows, QUARTER, by="pcn", source="contracted"), p,
                                 pcn_joint.PCN, source="contracted").set_index(["area_code", "role"])
    assert np.isnan(every.loc[("P1", "A"), "fte"]) or np.isnan(contracted.loc[("P1", "A"), "fte"])
    rec, attacked = pcn_attack.recovered(pcn_attack.viewer_tables(frames, QUARTER, "joint", p), frames, QUARTER)
    assert attacked["fte"] >= 1 and rec == []
    rec, _ = pcn_attack.recovered(pcn_attack.viewer_tables(frames, QUARTER, "per_table"), frames, QUARTER)
    assert [r for r in rec if r[:4] == ("PCNs, staff", "P1", "A", "fte")] == [
        ("PCNs, staff", "P1", "A", "fte", pytest.approx(3.0), 3.0)]


def test_attacker_recovers_nothing_under_5_from_the_joint_plan(plan, frames):
    tables = pcn_attack.viewer_tables(frames, QUARTER, "joint", plan)
    assert len(tables) == 21  # 3 sources x (PCNs + systems, regions, England on 2 footprints)
    rec, attacked = pcn_attack.recovered(tables, frames, QUARTER)
    assert attacked["fte"] > 10_000 and attacked["headcount"] > 10_000  # most PCN x role cells are under 5
    assert rec == [], rec[:10]


def test_attacker_recovers_cells_under_5_from_the_per_table_rule(frames):
    """The attack has teeth: against the rule PCN tables had (pcn_cells.hide_small_cells per table) it pins down
    hundreds of hidden cells under 5, to their exact values."""
    tables = pcn_attack.viewer_tables(frames, QUARTER, "per_table")
    rec, _ = pcn_attack.recovered(tables, frames, QUARTER)
    assert len(rec) > 300, len(rec)
    kinds = {r[0].split(",")[0].split(" ")[0] for r in rec}
    assert {"PCNs", "area", "region", "england"} <= kinds
    assert all(abs(r[4] - r[5]) < 1e-6 for r in rec)  # exact, not a near miss


def test_primary_rule_and_fail_closed(plan, frames):
    """Every cell with headcount or FTE under 5 is hidden (the one rule), and a row the plan does not know (a
    system with no PCN rows that quarter, listed with zeros) is hidden whole."""
    t = pcn_roles.roles_table(frames["ICS"], QUARTER, by="pcn")
    shown = pcn_joint.apply(t, plan, pcn_joint.PCN)
    small = (t["headcount"] < 5) | (t["fte"] < 5)
    assert shown.loc[small, "fte"].isna().all() and shown.loc[small, "headcount"].isna().all()
    assert shown["fte"].notna().any()
    systems = pcn_roles.roles_table(frames["ICS"], QUARTER, source="contracted", systems=["QNQ", "QF7", "ZZZ"])
    out = pcn_joint.apply(systems, plan, pcn_joint.AREA, "ICS", "contracted")
    assert out.loc[out["area_code"] == "ZZZ", "fte"].isna().all()


def test_plan_is_kept_beside_the_store_and_read_not_recomputed(store, plan, monkeypatch):
    saved = disclosure_plan.pcn_plan_path(store, QUARTER)
    assert saved.is_dir() and saved.parent.name == disclosure_plan.PLAN_DIR
    def refuse(*a):
        raise AssertionError("computed again instead of read")
    monkeypatch.setattr(disclosure_plan, "compute_pcn_plan", refuse)
    again = disclosure_plan.pcn_viewer_plan(store, [QUARTER])
    pd.testing.assert_frame_equal(again.cells.reset_index(drop=True), plan.cells.reset_index(drop=True))


def test_a_quarters_plan_depends_on_that_quarter_only(store, plan, tmp_path):
    """Quarters share no cell, so each is planned alone: the June 2020 plan is the same with or without March."""
    only = tmp_path / "only"
    ingest.ingest([JUN20], only)
    alone = disclosure_plan.compute_pcn_plan(only, QUARTER)
    key = ["period", "kind", "footprint", "setting", "code"]
    def flags(p):
        m = p.tables.merge(p.cells, on=["period", "agg"])
        return m.set_index([*key, "staff_group"])["hidden:staff in post"].sort_index()
    pd.testing.assert_series_equal(flags(alone), flags(plan))


@pytest.mark.parametrize("args, kind, source", [
    (["--by", "pcn"], pcn_joint.PCN, "all"),
    (["--by", "pcn", "--source", "staff"], pcn_joint.PCN, "staff"),
    (["--by", "area", "--footprint", "2026"], pcn_joint.AREA, "all"),
    (["--by", "region", "--source", "staff"], pcn_joint.AREA, "staff"),
])
def test_roles_cli_prints_the_cells_the_page_shows(store, plan, frames, monkeypatch, args, kind, source):
    def refuse(*a):
        raise AssertionError("the CLI computed the plan instead of reading the saved one")
    monkeypatch.setattr(disclosure_plan, "compute_pcn_plan", refuse)
    r = run_cli("roles", "--data-dir", str(store), "--period", QUARTER, "--disclosure-control", *args)
    assert r.returncode == 0, r.stderr
    cli = pd.read_csv(io.StringIO(r.stdout), dtype={"area_code": str})
    fp = "ICS2026" if "2026" in args else "ICS"
    by = args[1]
    t = pcn_roles.roles_table(frames[fp], QUARTER, by=by, source=source,
                              systems=list(pd.unique(frames[fp]["area_code"])) if by == "area" else None)
    page = pcn_joint.apply(t, plan, kind, fp, source).set_index(["area_code", "role"]).sort_index()
    cli = cli.set_index(["area_code", "role"]).sort_index()
    cli = cli.loc[cli.index.intersection(page.index)]
    assert len(cli) and cli["fte"].isna().any() and cli["fte"].notna().any()
    assert (cli["fte"].isna() == page.loc[cli.index, "fte"].isna()).all()
    ok = cli["fte"].notna()
    assert np.allclose(cli.loc[ok, "fte"], page.loc[cli.index[ok], "fte"], rtol=1e-8)
    assert (cli.loc[ok, "headcount"] >= 5).all() and (cli.loc[ok, "fte"] >= 5).all()


def test_what_if_lever_evidence_shows_no_figure_the_plan_hides(store):
    """The what-if studio's lever evidence (lib.whatif.role_evidence) sums published PCN role cells per system: on a
    shared deployment it follows the same joint plan as the PCN page. The rule it had (hide when the system's
    headcount is under 5) showed sums of cells the plan hides; here every shown figure sums shown cells only, the
    ones the old rule would have shown but the plan hides are said to be hidden, and ranks and the systems' spread
    come from shown figures only."""
    from lib.whatif import role_evidence as ev
    from lib.whatif.studio import shared_assumptions
    a = shared_assumptions()
    labels = {r: a.new_role(r)["label"] for r in a.new_role_ids}
    rows = pcn_store.load(store)
    frame = pcn_store.on_footprint(rows, "ICS")
    pop = pcn_store.population(store, "ICS")
    g = ev.growth_table(frame, pop, list(labels), "ICS")
    assert set(g["start"].dropna()) == {"2020-03"} and set(g["end"]) == {QUARTER}
    plans = {p: disclosure_plan.pcn_viewer_plan(store, [p]) for p in ("2020-03", QUARTER)}
    shown = ev.shown_growth(g, frame, "ICS", plans.__getitem__)
    # the cells as the PCN page shows them, per quarter
    from lib.data import geography
    page = {}
    systems = list(geography.vintage("ICS").areas["code"])
    for p in plans:
        t = pd.concat([pcn_roles.roles_table(frame, p, systems=systems),
                       pcn_roles.roles_table(frame, p, by="england")], ignore_index=True)
        page[p] = pcn_joint.apply(t, plans[p], pcn_joint.AREA, "ICS", "all").set_index(["area_code", "role"])["fte"]
    roles_all = g.attrs["roles"]
    leaked_before = 0
    for r in shown.itertuples():
        pub = (ev.published_for(r.role, roles_all) if r.role != pcn_roles.ALL_ROLES else   # the levers' total
               sorted({x for lever in g["role"].unique() for x in ev.published_for(lever, roles_all)}))
        cells = [page[p].get((r.area_code, x), np.nan) for p in (r.end, r.start) if isinstance(p, str) for x in pub]
        if r.hidden:
            assert np.isnan(r.fte_end) and np.isnan(r.per_100k_per_year) and np.isnan(r.pace_rank)
            assert any(np.isnan(c) for c in cells)
            old = g[(g["area_code"] == r.area_code) & (g["role"] == r.role)].iloc[0]
            if old["headcount_end"] >= 5 and old["headcount_start"] >= 5:
                leaked_before += 1   # the old rule showed this sum of hidden cells
        else:
            assert not any(np.isnan(c) for c in cells)
            assert r.fte_end == pytest.approx(sum(page[r.end][(r.area_code, x)] for x in pub))
    assert leaked_before > 0, "the case must include sums the old rule showed and the plan hides"
    # evidence for a system with a hidden figure says so, gives no figure, and the spread counts shown systems only
    h = shown[shown["hidden"] & (shown["area_code"] != "ENG") & shown["role"].isin(list(labels))].iloc[0]
    e = ev.evidence(shown, h.area_code, {h.role: labels[h.role]}, "ICS", disclosure=True)[h.role]
    assert e.hidden and e.rank is None and "hidden on a shared deployment" in e.text()
    assert (e.systems or 0) == int(shown[(shown["role"] == h.role) & (shown["area_code"] != "ENG")]
                            ["per_100k_per_year"].notna().sum())
