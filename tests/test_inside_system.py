"""Inside a system: organisations, care settings, peers, sickness absence and the staff-in-post bridge.

Expected figures are computed here by hand from the published CSVs (csv module, no product code), then compared
with lib.insight.organisations / sickness / bridge and the CLI on the real store (Oct-25 + Nov-25 files)."""
from __future__ import annotations

import csv
import io
import json
import math
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lib.data import demo, loader
from lib.data.ingest import IngestError, ingest, parse_file
from lib.data.schema import ALL_STAFF, ARROW_SCHEMA, ORG_ATTRIBUTE_COLUMNS
from lib.insight import bridge as br
from lib.insight import organisations as og
from lib.insight import sickness as sk
from lib.insight.metrics import area_metrics
from lib.stats.funnel import z_for_level
from tests.conftest import TURNOVER_NOV25, WORKFORCE, require_reference, run_cli

SICKNESS = WORKFORCE / "nhs_sickness_absence_2025-03.csv"
NURSES = "Nurses & health visitors"


def raw(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def nov() -> list[dict]:
    require_reference()
    return raw(TURNOVER_NOV25)


def hand(rows, *, ics=None, org=None, group="All staff groups", cluster=None, bench=None, unit="FTE"):
    """Sum of each TYPE over the matching rows of the published file."""
    out = defaultdict(float)
    for r in rows:
        if (ics and r["ICS_CODE"] != ics) or (org and r["REPORTING_ORG_CODE"] != org) \
                or r["STAFF_GROUP_1_NAME"] != group or (cluster and r["CLUSTER_GROUP"] != cluster) \
                or (bench and r["BENCHMARK_GROUP"] != bench):
            continue
        out[r["TYPE"]] += float(r[unit])
    return out


START, END, JOIN, LEAVE = ("Denominator at start of period", "Denominator at end of period", "Joiners", "Leavers")


@pytest.fixture(scope="module")
def org_m(real_store) -> pd.DataFrame:
    return og.org_metrics(loader.load_frame(real_store, "ICS"))


# ------------------------------------------------------------------------------------------- schema and ingest
def test_ingest_keeps_care_setting_and_peer_group(real_store, nov):
    f = loader.load_frame(real_store, "ICS", periods=["2025-11"])
    rj1 = f[f["org_code"] == "RJ1"]
    assert set(rj1["cluster_group"]) == {"Acute"} and set(rj1["benchmark_group"]) == {"Acute - Teaching"}
    published = {(r["REPORTING_ORG_CODE"], r["CLUSTER_GROUP"], r["BENCHMARK_GROUP"]) for r in nov}
    stored = set(zip(f["org_code"], f["cluster_group"], f["benchmark_group"]))
    assert stored == published and len(stored) == 247


def test_older_files_and_stores_without_the_columns_still_load(tmp_path, nov):
    # a turnover file without CLUSTER_GROUP / BENCHMARK_GROUP (older layout)
    cols = [c for c in nov[0] if c not in ("CLUSTER_GROUP", "BENCHMARK_GROUP")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(r for r in nov if r["ICS_CODE"] == "QKK")
    old_csv = tmp_path / "old.csv"
    old_csv.write_text(buf.getvalue(), encoding="utf-8")
    p = parse_file(old_csv)
    assert set(p.frame["cluster_group"]) == {""} and set(p.frame["benchmark_group"]) == {""}
    # a store file written before the columns existed
    store = tmp_path / "store"
    target = store / "level=ICS" / "period=2025-11" / "turnover.parquet"
    target.parent.mkdir(parents=True)
    old_schema = pa.schema([f for f in ARROW_SCHEMA if f.name not in ORG_ATTRIBUTE_COLUMNS])
    pq.write_table(pa.Table.from_pandas(p.frame[old_schema.names], schema=old_schema, preserve_index=False), target)
    assert loader.store_problems(store) == []
    f = loader.load_frame(store, "ICS")
    assert len(f) == len(p.frame) and set(f["cluster_group"]) == {""}
    a = loader.load_area_frame(store, "ICS")
    assert a.loc[a["staff_group"] == ALL_STAFF, "sip_end_fte"].iloc[0] == pytest.approx(
        sum(float(r["FTE"]) for r in nov if r["ICS_CODE"] == "QKK" and r["TYPE"] == END
            and r["STAFF_GROUP_1_NAME"] == "All staff groups"), abs=1e-6)
    # re-ingesting into the old store upserts and writes the new columns
    ingest([TURNOVER_NOV25], store)
    assert "cluster_group" in pq.read_schema(target).names
    assert set(loader.load_frame(store, "ICS").query("org_code == 'RJ1'")["cluster_group"]) == {"Acute"}


# ------------------------------------------------------------------------------------------- organisations
def test_one_systems_organisations_sum_to_the_system(real_store, org_m, nov):
    orgs = og.system_organisations(org_m, "QKK", "2025-11")
    published = {r["REPORTING_ORG_CODE"] for r in nov if r["ICS_CODE"] == "QKK"}
    assert set(orgs["org_code"]) == published and len(orgs) == 7
    system = area_metrics(loader.load_area_frame(real_store, "ICS", periods=["2025-11"]))
    system = system[(system["area_code"] == "QKK") & (system["staff_group"] == ALL_STAFF)].iloc[0]
    h = hand(nov, ics="QKK")
    for col, typ in (("fte", END), ("sip_start_fte", START), ("leavers_fte", LEAVE), ("joiners_fte", JOIN)):
        assert orgs[col].sum() == pytest.approx(h[typ], abs=1e-6)
        assert system[col] == pytest.approx(h[typ], abs=1e-6)
    # each organisation's leaver rate by hand: leavers / mean(start, end)
    for code in published:
        o = hand(nov, org=code)
        got = orgs.loc[orgs["org_code"] == code, "leaver_rate"].iloc[0]
        assert got == pytest.approx(o[LEAVE] / ((o[START] + o[END]) / 2), rel=1e-12)
    # ranked highest first, rank 1 = highest
    assert orgs["leaver_rate"].is_monotonic_decreasing and orgs["rank"].iloc[0] == 1
    rj1 = orgs[orgs["org_code"] == "RJ1"].iloc[0]
    assert rj1["org_name"] == "Guy's and St Thomas' NHS Foundation Trust" and rj1["fte"] == pytest.approx(21053.01846)


def test_care_setting_filter_counts_only_that_settings_organisations(real_store, nov):
    frame = loader.load_frame(real_store, "ICS", periods=["2025-11"])
    assert og.care_settings(frame) == ["Acute", "Ambulance", "Community Provider Trust", "Integrated Care Board",
                                       "Mental Health"]
    m = og.care_setting_metrics(frame, "Mental Health")
    for ics in ("QKK", "QE1"):
        h = hand(nov, ics=ics, cluster="Mental Health")
        row = m[(m["area_code"] == ics) & (m["staff_group"] == ALL_STAFF)].iloc[0]
        assert row["leaver_rate"] == pytest.approx(h[LEAVE] / ((h[START] + h[END]) / 2), rel=1e-12)
        assert row["fte"] == pytest.approx(h[END], abs=1e-6)
    h = hand(nov, cluster="Mental Health")
    eng = m[(m["area_code"] == "ENG") & (m["staff_group"] == ALL_STAFF)].iloc[0]
    assert eng["leaver_rate"] == pytest.approx(h[LEAVE] / ((h[START] + h[END]) / 2), rel=1e-12)
    # South East London's mental-health trusts are SLaM (RV5) and Oxleas (RPG)
    qkk_mh = {r["REPORTING_ORG_CODE"] for r in nov if r["ICS_CODE"] == "QKK" and r["CLUSTER_GROUP"] == "Mental Health"}
    assert qkk_mh == {"RV5", "RPG"}
    with pytest.raises(ValueError, match="unknown care setting 'Hospice'.*Mental Health"):
        og.care_setting_metrics(frame, "Hospice")


def test_peer_funnel_and_rank_among_acute_teaching(org_m, nov):
    cmp = og.peer_comparison(org_m, "RJ1", "2025-11")
    assert cmp.peer_group == "Acute - Teaching"
    peers = {r["REPORTING_ORG_CODE"] for r in nov if r["BENCHMARK_GROUP"] == "Acute - Teaching"}
    rates, nums, dens = {}, {}, {}
    for code in peers:
        h = hand(nov, org=code)
        nums[code], dens[code] = h[LEAVE], (h[START] + h[END]) / 2
        rates[code] = nums[code] / dens[code]
    assert cmp.n_peers == len(peers) == 51
    assert cmp.value == pytest.approx(rates["RJ1"], rel=1e-12)
    assert cmp.rank == 1 + sum(r > rates["RJ1"] for r in rates.values())
    view = cmp.funnel
    pooled = sum(nums.values()) / sum(dens.values())
    assert view.result.target == pytest.approx(pooled, rel=1e-12)
    # limits at RJ1's size: sin^2(asin(sqrt(p)) +/- z * sqrt(1/(4n) + tau2)) (FunnelPlotR, tau2 when overdispersed)
    tau2 = view.result.tau2 if view.result.adjusted else 0.0
    u = view.units.set_index("area_code").loc["RJ1"]
    n = dens["RJ1"]
    for level, col in ((0.95, "upper_95"), (0.998, "upper_99_8")):
        expect = math.sin(math.asin(math.sqrt(pooled)) + z_for_level(level) * math.sqrt(1 / (4 * n) + tau2)) ** 2
        assert u[col] == pytest.approx(expect, rel=1e-9)
    # the highest-rate peer is outside the 99.8% limits (East Kent, 2.5% a month against 0.84% pooled)
    top = max(rates, key=rates.get)
    assert top == "RVV" and cmp.peers.iloc[0]["org_code"] == "RVV"
    assert cmp.peers.iloc[0]["funnel"] == "above 99.8% limit"


def test_organisation_disclosure_control_hides_small_counts(org_m):
    sm = og.suppress_org_metrics(org_m)
    assert len(sm) == len(org_m)
    for col in ("leavers_hc", "joiners_hc", "headcount", "sip_start_hc"):
        assert not (sm[col] < 5).any()
    small = org_m["leavers_hc"] < 5
    assert small.any() and sm.loc[small, "leaver_rate"].isna().all()
    # a single hidden leavers figure is never the only hidden one among other shown organisations of its system
    # (the system's total minus the others would give it away): secondary suppression hides one more
    keys = ["period", "system_code", "staff_group"]
    g = sm.assign(h=sm["suppressed"].str.contains("leavers")).groupby(keys)["h"].agg(["sum", "size"])
    lone = g[g["sum"] == 1]
    assert len(g[g["sum"] >= 2]) > 0 and (lone["size"] == 1).all()  # only where the organisation is the only one


def test_no_organisations_in_demo_data_is_explained():
    with pytest.raises(og.NoOrganisations, match="turnover benchmarking"):
        og.org_metrics(loader.load_frame(loader.DEMO_DATA_DIR, "ICS", periods=["2025-11"]))


# ------------------------------------------------------------------------------------------- sickness absence
@pytest.fixture(scope="module")
def sick() -> pd.DataFrame:
    require_reference()
    return parse_file(SICKNESS).frame


def test_sickness_anchors_methods_1_4(sick):
    eng = sk.rates(sick, "england").iloc[0]
    assert eng["n_organisations"] == 280
    assert eng["fte_days_lost"] == pytest.approx(2249745.2, abs=0.1)
    assert eng["fte_days_available"] == pytest.approx(46060195.1, abs=0.1)
    assert round(100 * eng["sickness_rate"], 3) == 4.884
    by = sk.rates(sick, "org_type").set_index("code")["sickness_rate"].mul(100).round(2).to_dict()
    assert by == {"Ambulance": 6.42, "Mental Health": 5.23, "Community Provider Trust": 5.15, "Acute": 4.80,
                  "Others": 3.30, "Integrated Care Board": 3.23, "Commissioning Support Unit": 3.08}
    # TEST ANCHOR 1.4a: NHS North of England CSU 1504.83928 / 47183.81828 = 3.19%
    csu = sk.rates(sick, "org").set_index("code").loc["0AR"]
    assert round(100 * csu["sickness_rate"], 2) == 3.19 and csu["area_code"] == "QZZ"


def test_sickness_systems_are_ratio_of_sums_and_qzz_is_outside(sick):
    rows = raw(SICKNESS)
    qkk = [r for r in rows if r["ICS_CODE"] == "QKK"]
    expect = sum(float(r["FTE_DAYS_LOST"]) for r in qkk) / sum(float(r["FTE_DAYS_AVAILABLE"]) for r in qkk)
    t = sk.system_table(sick, "2025-03")
    assert len(t) == 42 and "QZZ" not in set(t["code"])
    assert t.set_index("code").at["QKK", "sickness_rate"] == pytest.approx(expect, rel=1e-12)
    london = [r for r in rows if r["NHSE_REGION_CODE"] == "Y56"]
    assert t.set_index("code").at["QKK", "region_rate"] == pytest.approx(
        sum(float(r["FTE_DAYS_LOST"]) for r in london) / sum(float(r["FTE_DAYS_AVAILABLE"]) for r in london), rel=1e-12)
    v = sk.funnel_view(sick, "2025-03")
    assert len(v.units) == 42 and v.result.target == pytest.approx(
        sum(float(r["FTE_DAYS_LOST"]) for r in rows if r["ICS_CODE"] != "QZZ")
        / sum(float(r["FTE_DAYS_AVAILABLE"]) for r in rows if r["ICS_CODE"] != "QZZ"), rel=1e-12)


def _bad_sickness(tmp_path: Path, row: int, **changes: str) -> Path:
    """The real sickness file with one data row changed (row = file line, header = 1)."""
    rows = raw(SICKNESS)
    rows[row - 2].update(changes)
    p = tmp_path / f"bad_{row}_{'_'.join(changes)}.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return p


def test_sickness_store_and_bad_files(tmp_path, sick):
    store = tmp_path / "store"
    ingest([SICKNESS], store)
    assert loader.sickness_periods(store, "ICS") == ["2025-03"]
    back = loader.load_sickness(store, "ICS")
    assert len(back) == 280 and back["fte_days_lost"].sum() == pytest.approx(sick["fte_days_lost"].sum())
    assert loader.store_problems(store) == []  # its own folder: the canonical store is not disturbed
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    cases = [
        (_bad_sickness(tmp_path, 2, ICS_CODE="QXX"), "row 2, column ICS_CODE: unknown ICS code 'QXX'"),
        (_bad_sickness(tmp_path, 3, FTE_DAYS_LOST="99999"), "row 3, column FTE_DAYS_LOST: 99999 days lost exceed"),
        (_bad_sickness(tmp_path, 4, FTE_DAYS_AVAILABLE="lots"), "row 4, column FTE_DAYS_AVAILABLE: 'lots' is not a "
                                                                 "number"),
        (_bad_sickness(tmp_path, 5, FTE_DAYS_LOST="*"), "row 5, column FTE_DAYS_LOST: '*' is not available"),
        (_bad_sickness(tmp_path, 6, DATE="March"), "row 6, column DATE: 'March' is not a date"),
        (_bad_sickness(tmp_path, 7, ORG_CODE="0AR"), "row 7: duplicates row 2"),
    ]
    for path, message in cases:
        with pytest.raises(IngestError) as exc:
            ingest([path], store)
        assert message in str(exc.value) and "nothing was written" in str(exc.value), str(exc.value)
    assert {p: p.read_bytes() for p in store.rglob("*") if p.is_file()} == before


def test_sickness_region_must_match_the_systems_region(tmp_path):
    text = SICKNESS.read_text(encoding="utf-8").splitlines()
    i = next(k for k, line in enumerate(text) if ",QKK," in line)
    text[i] = text[i].replace("Y56", "Y58", 1)
    p = tmp_path / "region.csv"
    p.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(IngestError, match=rf"row {i + 1}, column NHSE_REGION_CODE: 'Y58' disagrees with the region "
                                          r"of QKK \(Y56\)"):
        parse_file(p)


def test_demo_sickness_is_synthetic_and_matches_the_committed_files():
    fresh = demo.generate_sickness()
    committed = loader.load_sickness(loader.DEMO_DATA_DIR, "ICS")
    key = ["period_end", "area_code"]
    pd.testing.assert_frame_equal(fresh.sort_values(key, ignore_index=True),
                                  committed.sort_values(key, ignore_index=True), check_dtype=False)
    assert set(committed["source"]) == {"demo"} and committed["org_name"].str.contains("synthetic").all()
    eng = sk.rates(committed, "england")
    assert eng["sickness_rate"].between(0.04, 0.06).all()
    winter = eng[eng["period"].str.endswith("-01")]["sickness_rate"].mean()
    summer = eng[eng["period"].str.endswith("-06")]["sickness_rate"].mean()
    assert winter > summer
    view = sk.spc_view(committed, "QKK", "area")
    assert len(view.chart) == 40 and not view.notes  # 40 months: firm limits


# ------------------------------------------------------------------------------------------- bridges
def test_bridge_closes_to_the_published_end_figure_oct_to_nov_2025(real_store, nov):
    frame = loader.load_frame(real_store, "ICS")
    for basis, unit in (("fte", "FTE"), ("hc", "HC")):
        b = br.staff_in_post_bridge(frame, "QKK", "2025-10", "2025-11", basis=basis)
        h = hand(nov, ics="QKK", unit=unit)
        assert b.value("Staff in post at the start") == pytest.approx(h[START], abs=1e-6)
        assert b.value("Leavers") == pytest.approx(-h[LEAVE], abs=1e-6)
        assert b.value("Joiners") == pytest.approx(h[JOIN], abs=1e-6)
        assert b.value(br.RESIDUAL_LABEL) == pytest.approx(h[END] - h[START] - h[JOIN] + h[LEAVE], abs=1e-6)
        assert b.value("Staff in post at the end") == pytest.approx(h[END], abs=1e-6)
        before_end = b.table.iloc[-2]["cumulative"]
        assert before_end == pytest.approx(h[END], abs=1e-6)  # the steps close exactly to the published end
    assert b.months == ["2025-11"]
    # METHODS 1.1b anchor: QKK nurses HC start 17,385, end 17,510, leavers 133, joiners 249 -> residual +9
    n = br.staff_in_post_bridge(frame, "QKK", "2025-10", "2025-11", NURSES, basis="hc")
    assert list(n.table["value"]) == [17385, -133, 249, 9, 17510]


def test_bridge_over_two_months_adds_restatement_and_england(real_store):
    frame = loader.load_frame(real_store, "ICS")
    oct_ = raw(WORKFORCE / "Turnover benchmarking 2. Staff group and organisation, monthly, Oct-25.csv")
    nov_ = raw(TURNOVER_NOV25)
    b = br.staff_in_post_bridge(frame, "QE1", "2025-09", "2025-11")
    ho, hn = hand(oct_, ics="QE1"), hand(nov_, ics="QE1")
    assert b.value("Staff in post at the start") == pytest.approx(ho[START], abs=1e-6)
    assert b.value("Leavers") == pytest.approx(-(ho[LEAVE] + hn[LEAVE]), abs=1e-6)
    assert b.value(br.RESTATEMENT_LABEL) == pytest.approx(hn[START] - ho[END], abs=1e-6)
    assert b.table.iloc[-2]["cumulative"] == pytest.approx(hn[END], abs=1e-6)
    e = br.staff_in_post_bridge(frame, "ENG", "2025-10", "2025-11", basis="hc")
    assert e.value("Staff in post at the start") == 1501545 and e.value("Staff in post at the end") == 1502405
    assert e.value("Leavers") == -14218 and e.value("Joiners") == 14965
    with pytest.raises(br.BridgeError, match="missing for QE1, All staff groups: 2025-09"):
        br.staff_in_post_bridge(frame, "QE1", "2025-08", "2025-11")


def test_whatif_bridge_sums_exactly_to_the_scenario():
    from lib.whatif.projection import baseline_from_metrics
    from lib.whatif.scenario import Scenario, run_scenario
    m = area_metrics(loader.load_area_frame(loader.DEMO_DATA_DIR, "ICS", periods=["2025-11"]))
    base = baseline_from_metrics(m, period="2025-11")
    scn = Scenario.from_dict({"area": "QKK", "horizon": 5, "levers": {
        "productivity_gain": 0.01,
        "retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
        "recruitment": [{"staff_group": NURSES, "domestic_fte_per_year": 20}],
        "new_roles": [{"role": "nursing_associate", "trainees_per_year": 40}]}})
    full = run_scenario(scn, base, include_systems=False)
    t = full.table
    for figure, group, expect_s, expect_b in (
            ("fte", None, t[(t.scenario == "scenario") & (t.year == 5)]["fte"].sum(),
             t[(t.scenario == "baseline") & (t.year == 5)]["fte"].sum()),
            ("gap", NURSES, full.summary.query("scenario == 'scenario' and staff_group == @NURSES")["gap_end"].sum(),
             full.summary.query("scenario == 'baseline' and staff_group == @NURSES")["gap_end"].sum())):
        w = br.whatif_bridge(scn, base, figure=figure, staff_group=group)
        assert list(w["label"])[1:-1] == ["Productivity +1% a year", f"Retention: {NURSES}",
                                          f"Recruitment: {NURSES}", "New roles: nursing_associate"]
        assert w.iloc[0]["value"] == pytest.approx(expect_b, rel=1e-12)
        assert w.iloc[-1]["value"] == expect_s  # the last step is the full scenario run itself
        assert w.iloc[0]["value"] + w.iloc[1:-1]["value"].sum() == pytest.approx(expect_s, abs=1e-6)
    fte = br.whatif_bridge(scn, base)
    assert fte.iloc[1]["value"] == 0.0  # productivity changes capacity, not staff in post
    assert fte.iloc[2]["value"] > 0     # fewer nurses leaving: more in post in year 5


# ------------------------------------------------------------------------------------------- CLI
def cli(*args: str) -> subprocess.CompletedProcess:
    return run_cli(*args)


def test_cli_bridge_metrics_and_sickness(real_store, tmp_path, nov):
    d = str(real_store)
    r = cli("bridge", "--area", "QKK", "--from", "2025-10", "--to", "2025-11", "--data-dir", d)
    assert r.returncode == 0, r.stderr
    assert "Staff in post at the start: 58,688.7" in r.stdout and "Staff in post at the end: 58,861.3" in r.stdout
    assert "Other changes (hours, moves between staff groups): -39.9" in r.stdout
    r = cli("bridge", "--area", "QKK", "--from", "2025-10", "--to", "2025-11", "--staff-group", NURSES,
            "--basis", "hc", "--format", "json", "--data-dir", d)
    assert [s["value"] for s in json.loads(r.stdout)] == [17385, -133, 249, 9, 17510]
    r = cli("bridge", "--area", "QZZ", "--from", "2025-10", "--to", "2025-11", "--data-dir", d)
    assert r.returncode == 2 and "--area: 'QZZ' is not an NHS system, region or England" in r.stderr and "Traceback" not in r.stderr

    r = cli("metrics", "--by-organisation", "--area", "QKK", "--data-dir", d)
    out = pd.read_csv(io.StringIO(r.stdout))
    assert r.returncode == 0 and len(out) == 7 and out["fte"].sum() == pytest.approx(hand(nov, ics="QKK")[END])
    assert set(out.columns) >= {"org_code", "org_name", "system_code", "cluster_group", "benchmark_group"}
    r = cli("metrics", "--care-setting", "Mental Health", "--england", "--data-dir", d)
    out = pd.read_csv(io.StringIO(r.stdout)).set_index("area_code")
    h = hand(nov, cluster="Mental Health")
    assert out.at["ENG", "leaver_rate"] == pytest.approx(h[LEAVE] / ((h[START] + h[END]) / 2), rel=1e-9)
    r = cli("metrics", "--peer-group", "RJ1", "--data-dir", d)
    out = pd.read_csv(io.StringIO(r.stdout))
    assert len(out) == 51 and set(out["peer_group"]) == {"Acute - Teaching"} and out.iloc[0]["org_code"] == "RVV"
    r = cli("metrics", "--peer-group", "Acute - Nowhere", "--data-dir", d)
    assert r.returncode == 2 and "peer groups: Acute - Large" in r.stderr

    store = tmp_path / "s"
    shutil.copytree(real_store, store)
    r = cli("ingest", str(SICKNESS), "--data-dir", str(store))
    assert r.returncode == 0 and "sickness, 280 rows" in r.stdout, r.stderr
    r = cli("sickness", "--by", "england", "--data-dir", str(store))
    assert round(100 * pd.read_csv(io.StringIO(r.stdout))["sickness_rate"].iloc[0], 3) == 4.884
    assert loader.load_frame(store, "ICS")["period_end"].nunique() == 2  # the workforce store is untouched


def test_cli_whatif_bridge(real_store, tmp_path):
    scn = tmp_path / "s.json"
    scn.write_text(json.dumps({"schema_version": 1, "area": "QKK", "horizon": 5, "levers": {
        "retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
        "recruitment": [{"staff_group": NURSES, "domestic_fte_per_year": 20}]}}), encoding="utf-8")
    r = cli("whatif-bridge", "--scenario", str(scn), "--data-dir", str(real_store), "--format", "json")
    assert r.returncode == 0, r.stderr
    steps = json.loads(r.stdout)
    assert [s["label"] for s in steps] == ["Baseline", f"Retention: {NURSES}", f"Recruitment: {NURSES}", "Scenario"]
    assert steps[0]["value"] + steps[1]["value"] + steps[2]["value"] == pytest.approx(steps[3]["value"], abs=1e-6)
    assert steps[1]["value"] > 0 and steps[2]["value"] > 0
    scn.write_text('{"schema_version": 1, "area": "QKK", "horizon": 99}', encoding="utf-8")
    r = cli("whatif-bridge", "--scenario", str(scn), "--data-dir", str(real_store))
    assert r.returncode == 2 and "invalid scenario" in r.stderr and "horizon" in r.stderr
