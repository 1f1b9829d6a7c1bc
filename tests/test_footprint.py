"""Geography through time: vintages as data, ingest of a May-2026 file with 2026 codes, Nov-25 on the 2026 footprint.

The May-2026 file is the real Nov-25 file with the 1 April 2026 successions applied (tests/may26.py), ingested
beside the real Nov-25 file, so every re-based Nov-25 figure must equal the May-26 figure system by system.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.data import footprint, geography, hexmap
from lib.data.ingest import IngestError, parse_file
from lib.insight.metrics import area_metrics
from tests.conftest import REPO, TURNOVER_NOV25, require_reference, run_cli
from tests.may26 import SPLIT_TRUSTS, make_may26

MEASURES = ["fte", "headcount", "sip_start_fte", "sip_start_hc", "leavers_fte", "leavers_hc", "joiners_fte",
            "joiners_hc"]
REGION_CODES = set(geography.REGIONS)


@pytest.fixture(scope="module")
def may26(tmp_path_factory) -> Path:
    require_reference()
    p = tmp_path_factory.mktemp("may26") / "Turnover benchmarking 2. Staff group and organisation, monthly, May-26.csv"
    make_may26(TURNOVER_NOV25, p)
    return p


@pytest.fixture(scope="module")
def store26(real_store26) -> Path:
    return real_store26


def _systems(m: pd.DataFrame) -> pd.DataFrame:
    return m[~m["area_code"].isin(REGION_CODES | {"ENG"})]


def _metrics(store: Path, key: str, period: str) -> pd.DataFrame:
    return area_metrics(footprint.load_area_frame(store, key, periods=[period]), by_staff_group=True,
                        include_england=True, include_regions=True)


# ------------------------------------------------------------------------------------------------ vintages
def test_vintages_are_data_with_counts_codes_and_successions():
    v = geography.VINTAGES
    assert [k for k in v] == ["ICS", "ICS2026", "STP"]
    assert len(v["ICS"].areas) == 42 and len(v["STP"].areas) == 42 and len(v["ICS2026"].areas) == 36
    assert (v["ICS"].effective_from, v["ICS2026"].effective_from, v["STP"].effective_from) == (
        "2022-07-01", "2026-04-01", "2021-04-01")
    # the reference lookup: 36 ICBs with their ODS and E54 codes and names
    ref = pd.read_csv(REPO.parent / "shared/reference/lookups/icb_2026.csv", dtype=str)
    a = v["ICS2026"].areas.set_index("code")
    assert set(ref["icb26_ods"]) == set(a.index)
    assert dict(zip(ref["icb26_ods"], ref["icb26_e54"])) == a["e54_code"].to_dict()
    assert dict(zip(ref["icb26_ods"], ref["icb26_name"])) == a["name"].to_dict()
    assert a.loc["Z9B2Z", "short_name"] == "West and North London" and a.loc["Z9B2Z", "region_code"] == "Y56"
    # regions of 2026 as published (SOURCES.md): East 3, London 4, Midlands 11, NEY 4, NW 3, SE 4, SW 7
    assert a["region_code"].value_counts().to_dict() == {"Y60": 11, "Y58": 7, "Y56": 4, "Y59": 4, "Y63": 4,
                                                         "Y61": 3, "Y62": 3}
    new = ref.loc[ref["change_on_2026_04_01"] != "unchanged", "icb26_e54"]
    assert sorted(new) == [f"E540000{n}" for n in range(65, 72)]
    # the successions: the reference table, plus one default successor per split
    succ = geography.SUCCESSIONS[geography.SUCCESSIONS["successor_vintage"] == "ICS2026"]
    ref_s = pd.read_csv(REPO.parent / "shared/reference/lookups/icb_2026_successions.csv", dtype=str)
    assert set(zip(succ["predecessor_code"], succ["successor_code"])) == set(
        zip(ref_s["predecessor_ods"], ref_s["successor_ods"]))
    assert geography.check_successions(geography.VINTAGES, geography.SUCCESSIONS) == []
    # the April 2023 E54 recoding is data too
    assert geography.resolve_area("E54000063", "ICS") == geography.resolve_area("E54000052", "ICS") == "QXU"
    assert geography.resolve_area("E54000071", "ICS2026") == "Z9B2Z"
    assert geography.resolve_area("Z9B2Z", "ICS") is None and geography.resolve_area("QMJ", "ICS2026") is None


def test_vintage_in_force_and_successions():
    assert geography.vintage_for("ICS", "2026-03").key == "ICS"
    assert geography.vintage_for("ICS", "2026-04").key == "ICS2026"
    assert geography.vintage_for("ICS", "2021-01").key == "ICS"  # before the first vintage: the first
    assert geography.translate("QMJ", "ICS", "ICS2026") == ("Z9B2Z", "merger")
    assert geography.translate("QNQ", "ICS", "ICS2026") == ("S0E4D", "split: default successor")
    assert geography.translate("QKK", "ICS", "ICS2026") == ("QKK", "unchanged")
    assert geography.translate("QRL", "ICS", "ICS2026") == ("QRL", "unchanged")
    assert geography.translate("Z9B2Z", "ICS2026", "ICS") == ("QRV", "merger: default predecessor")
    moved = geography.became("QMJ", "ICS2026")
    assert moved[0] == "Z9B2Z" and "abolished on 1 April 2026" in moved[1] and "West and North London" in moved[1]
    assert geography.vintage("2026").key == "ICS2026"
    with pytest.raises(ValueError, match="2022, 2026"):
        geography.vintage("2027")


def _vintage_2027(tmp_path: Path) -> pd.DataFrame:
    """A vintage directory with a made-up April 2027 merger (Bath... and Bristol... into 'Test West')."""
    for f in geography.VINTAGE_DIR.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    a26 = pd.read_csv(tmp_path / "ICS2026.csv", dtype=str, keep_default_na=False)
    a27 = a26[~a26["code"].isin(["QOX", "QUY"])].copy()
    a27[["vintage", "effective_from", "title"]] = ["ICS2027", "2027-04-01", "ICBs of April 2027"]
    new = pd.DataFrame([["ICS2027", "ICS", "2027-04-01", "ICBs of April 2027", "X1Y2Z", "", "",
                         "NHS Test West Integrated Care Board", "Test West", "Y58"]], columns=a27.columns)
    a27 = pd.concat([a27, new], ignore_index=True)
    a27.to_csv(tmp_path / "ICS2027.csv", index=False)
    s = pd.DataFrame({"predecessor_vintage": "ICS2026", "predecessor_code": ["QOX", "QUY"],
                      "successor_code": "X1Y2Z", "succession_date": "2027-04-01", "succession_type": "merger",
                      "default_successor": "yes", "default_predecessor": ["no", "yes"]})
    s.to_csv(tmp_path / "ICS2027_successions.csv", index=False)
    return s


def test_a_new_vintage_is_a_data_file(tmp_path):
    """April 2027 is added by dropping CSVs in a vintage directory: checked without any code change."""
    s = _vintage_2027(tmp_path)
    out = run_cli("geography", "check", "--dir", tmp_path)
    assert out.returncode == 0, out.stderr
    assert "ICS2027: ICBs of April 2027 (35), ICS level, in force from 2027-04-01; 2 succession rows" in out.stdout
    # a missing successor is named
    s.iloc[:1].to_csv(tmp_path / "ICS2027_successions.csv", index=False)
    out = run_cli("geography", "check", "--dir", tmp_path)
    assert out.returncode == 2 and "QUY (ICS2026) is not in ICS2027 and has no successor row" in out.stderr


@pytest.fixture
def with_2027(tmp_path, monkeypatch):
    """The product's geography with the made-up April 2027 vintage loaded from data (no code changed)."""
    _vintage_2027(tmp_path)
    vintages, succ = geography.load_vintages(tmp_path)
    monkeypatch.setattr(geography, "VINTAGES", vintages)
    monkeypatch.setattr(geography, "SUCCESSIONS", succ)
    caches = (geography.translate, geography.area_lookup, geography._area_names, geography._area_name_lookup,
              geography._regions_of)
    for c in caches:
        c.cache_clear()
    yield
    for c in caches:
        c.cache_clear()


def test_a_new_vintage_works_everywhere_without_code_changes(with_2027, store26):
    assert geography.vintage_for("ICS", "2027-05").key == "ICS2027"
    assert geography.translate("QUY", "ICS", "ICS2027") == ("X1Y2Z", "merger")
    assert geography.translate("QNQ", "ICS", "ICS2027") == ("S0E4D", "split: default successor")
    lay = hexmap.hex_layout("ICS2027").set_index("code")
    assert len(lay) == 35 and not lay[["col", "row"]].duplicated().any()
    quy = hexmap.hex_layout("ICS2026").set_index("code").loc["QUY"]
    assert (lay.at["X1Y2Z", "col"], lay.at["X1Y2Z", "row"]) == (quy["col"], quy["row"])  # its default predecessor's
    m = _metrics(store26, "ICS2027", "2025-11")
    s = _systems(m)
    assert s["area_code"].nunique() == 35
    nov = _systems(_metrics(store26, "ICS", "2025-11"))
    t = s[s["staff_group"] == "All staff groups"].set_index("area_code")["fte"]
    n = nov[nov["staff_group"] == "All staff groups"].set_index("area_code")["fte"]
    assert t["X1Y2Z"] == pytest.approx(n["QOX"] + n["QUY"], abs=1e-9)
    assert t.sum() == pytest.approx(n.sum(), rel=1e-12)
    assert footprint.footprint_key("ICS", "2027", None) == "ICS2027"


# ------------------------------------------------------------------------------------------------ ingest
def test_may26_ingests_beside_nov25_and_shows_36_systems_matching_the_file(store26, may26):
    m = _metrics(store26, footprint.footprint_key("ICS", None, "2026-05"), "2026-05")
    sysm = _systems(m)
    assert set(sysm["area_code"]) == set(geography.vintage("ICS2026").areas["code"])
    assert set(sysm["level"]) == {"ICS2026"}
    # figures equal the file's, summed by hand per ICS_CODE
    raw = pd.read_csv(may26)
    raw = raw[raw["STAFF_GROUP_1_NAME"] == "All staff groups"]
    end = raw[raw["TYPE"] == "Denominator at end of period"].groupby("ICS_CODE")[["FTE", "HC"]].sum()
    lv = raw[raw["TYPE"] == "Leavers"].groupby("ICS_CODE")[["FTE", "HC"]].sum()
    tot = sysm[sysm["staff_group"] == "All staff groups"].set_index("area_code")
    assert np.allclose(tot.loc[end.index, "fte"], end["FTE"], rtol=0, atol=1e-6)
    assert (tot.loc[end.index, "headcount"] == end["HC"]).all()
    assert np.allclose(tot.loc[lv.index, "leavers_fte"], lv["FTE"], rtol=0, atol=1e-6)
    wnl = tot.loc["Z9B2Z"]
    assert wnl["area_name"] == "West and North London" and wnl["region_code"] == "Y56"
    # the 42-system view of Nov-25 is untouched by the new file
    nov = _systems(_metrics(store26, "ICS", "2025-11"))
    assert nov["area_code"].nunique() == 42 and set(nov["level"]) == {"ICS"}


def test_unknown_code_is_refused_once_with_count_name_and_how_to_add_a_vintage(may26, tmp_path):
    d = pd.read_csv(may26, dtype=str, keep_default_na=False)
    n = int((d["ICS_CODE"] == "Z9B2Z").sum())
    d.loc[d["ICS_CODE"] == "Z9B2Z", "ICS_CODE"] = "Z9X9X"
    bad = tmp_path / "bad.csv"
    d.to_csv(bad, index=False)
    with pytest.raises(IngestError) as e:
        parse_file(bad)
    probs = [p for p in e.value.problems if "Z9X9X" in p]
    assert len(probs) == 1 and len(e.value.problems) == 1
    msg = probs[0]
    assert f"in {n:,} rows" in msg and "'West and North London'" in msg and "column ICS_CODE" in msg
    assert "ICBs of April 2026 (36)" in msg and "lib/data/vintages/" in msg and "python -m lib geography check" in msg
    # an old code in a file of the new period: says what it became
    d = pd.read_csv(may26, dtype=str, keep_default_na=False)
    d.loc[d["ICS_CODE"] == "Z9B2Z", "ICS_CODE"] = "QMJ"
    d.to_csv(bad, index=False)
    with pytest.raises(IngestError) as e:
        parse_file(bad)
    assert len(e.value.problems) == 1
    assert "It is a system of ICBs of July 2022" in e.value.problems[0]
    assert "became part of West and North London (Z9B2Z)" in e.value.problems[0]
    # and a 2026 code in a 2025 file is refused too
    d = pd.read_csv(TURNOVER_NOV25, dtype=str, keep_default_na=False)
    d.loc[d["ICS_CODE"] == "QMJ", "ICS_CODE"] = "Z9B2Z"
    d.to_csv(bad, index=False)
    with pytest.raises(IngestError, match="checked against ICBs of July 2022 \\(42\\)"):
        parse_file(bad)


# ------------------------------------------------------------------------------------------------ footprint
def test_nov25_on_the_2026_footprint(store26):
    before = _metrics(store26, "ICS", "2025-11")
    after = _metrics(store26, "ICS2026", "2025-11")
    sb, sa = _systems(before), _systems(after)
    assert sb["area_code"].nunique() == 42 and sa["area_code"].nunique() == 36
    assert set(sa["level"]) == {"ICS2026"}
    tb = sb[sb["staff_group"] == "All staff groups"].set_index("area_code")
    ta = sa[sa["staff_group"] == "All staff groups"].set_index("area_code")
    # West and North London = North Central London + North West London, every count
    for col in MEASURES:
        assert ta.at["Z9B2Z", col] == pytest.approx(tb.at["QMJ", col] + tb.at["QRV", col], abs=1e-9), col
    # nothing lost: sums over systems equal the un-re-based totals, per staff group and for England
    for grp in ("All staff groups", "Nurses & health visitors"):
        for col in MEASURES:
            b = sb.loc[sb["staff_group"] == grp, col].sum()
            a = sa.loc[sa["staff_group"] == grp, col].sum()
            assert a == pytest.approx(b, rel=1e-12, abs=1e-6), (grp, col)
    eb = before[(before["area_code"] == "ENG") & (before["staff_group"] == "All staff groups")].iloc[0]
    ea = after[(after["area_code"] == "ENG") & (after["staff_group"] == "All staff groups")].iloc[0]
    for col in MEASURES + ["leaver_rate", "joiner_rate"]:
        assert ea[col] == pytest.approx(eb[col], rel=1e-12), col
    # regions unchanged (every 2026 system lies in its predecessors' region)
    rb = before[before["area_code"].isin(REGION_CODES)].set_index(["area_code", "staff_group"])["fte"]
    ra = after[after["area_code"].isin(REGION_CODES)].set_index(["area_code", "staff_group"])["fte"]
    assert np.allclose(ra.sort_index(), rb.sort_index(), rtol=1e-12)
    # unchanged systems keep their figures exactly
    assert ta.at["QKK", "fte"] == tb.at["QKK", "fte"] and ta.at["QRL", "leavers_hc"] == tb.at["QRL", "leavers_hc"]


def test_nov25_rebased_equals_may26_as_published(store26):
    """The May-26 file is Nov-25 with new codes, so Nov-25 on the 2026 footprint must equal it system by system:
    split trusts go where the May-26 file puts them (rule 2), abolished ICBs' own staff by succession (rule 3)."""
    a = _systems(_metrics(store26, "ICS2026", "2025-11")).set_index(["area_code", "staff_group"])
    b = _systems(_metrics(store26, "ICS2026", "2026-05")).set_index(["area_code", "staff_group"])
    assert set(a.index) == set(b.index)
    for col in MEASURES:
        assert np.allclose(a.loc[b.index, col], b[col], rtol=1e-12, atol=1e-9, equal_nan=True), col


def test_split_trusts_follow_the_files_and_closed_organisations_are_shown(store26):
    t = footprint.assignments(store26, "ICS2026", "2025-11")
    by = t.set_index("org_code")
    for org, succ in SPLIT_TRUSTS.items():
        assert by.at[org, "to_code"] == succ and by.at[org, "rule"] == footprint.RULE_SEEN
    # Frimley ICB's own staff: not in any 2026 file; by succession, split -> default successor Thames Valley
    assert by.at["QNQ", "to_code"] == "S0E4D" and by.at["QNQ", "rule"] == footprint.RULE_SUCCESSION
    assert by.at["QNQ", "how"] == "split: default successor" and by.at["QNQ", "sip_end_fte"] > 0
    assert by.at["QMJ", "to_code"] == "Z9B2Z" and by.at["QMJ", "how"] == "merger"
    # every organisation of the period is listed once, with all its FTE
    raw = pd.read_csv(TURNOVER_NOV25)
    raw = raw[(raw["STAFF_GROUP_1_NAME"] == "All staff groups") & (raw["TYPE"] == "Denominator at end of period")]
    assert set(t["org_code"]) == set(raw["REPORTING_ORG_CODE"]) and t["org_code"].is_unique
    assert t["sip_end_fte"].sum() == pytest.approx(raw["FTE"].sum(), rel=1e-12)


def test_closed_organisation_follows_its_systems_succession(store26, tmp_path):
    """An organisation of Nov-25 absent from every 2026 file (closed or merged) is not dropped: it goes to its
    system's successor and its FTE is counted there."""
    d = tmp_path / "s"
    shutil.copytree(store26, d)
    # drop RAL (Royal Free, North Central London) from the May-26 partition: as if it merged away
    part = d / "level=ICS" / "period=2026-05" / "turnover.parquet"
    f = pd.read_parquet(part)
    f = f[f["org_code"] != "RAL"]
    from lib.data.ingest import table_bytes
    part.write_bytes(table_bytes(f))
    t = footprint.assignments(d, "ICS2026", "2025-11").set_index("org_code")
    assert t.at["RAL", "to_code"] == "Z9B2Z" and t.at["RAL", "rule"] == footprint.RULE_SUCCESSION
    after = _systems(_metrics(d, "ICS2026", "2025-11"))
    before = _systems(_metrics(d, "ICS", "2025-11"))
    assert after["fte"].sum() == pytest.approx(before["fte"].sum(), rel=1e-12)


def test_footprint_of_earlier_vintage_for_2026_months(store26):
    """May-26 on the 42 systems of 2022: organisations seen in Nov-25 go back to their Nov-25 system; a new ICB's
    own staff (an organisation never seen in 2022 files) to its default predecessor."""
    back = _systems(_metrics(store26, "ICS", "2026-05"))
    nov = _systems(_metrics(store26, "ICS", "2025-11"))
    assert back["area_code"].nunique() == 42
    b = back[back["staff_group"] == "All staff groups"].set_index("area_code")["fte"]
    n = nov[nov["staff_group"] == "All staff groups"].set_index("area_code")["fte"]
    own = footprint.assignments(store26, "ICS", "2025-11").set_index("org_code")["sip_end_fte"]
    assert b["QKK"] == pytest.approx(n["QKK"], abs=1e-9)
    # West and North London's ICB staff (North Central + North West London's, summed in the May-26 file) go to
    # its default predecessor North West London
    assert b["QMJ"] == pytest.approx(n["QMJ"] - own["QMJ"], abs=1e-6)
    assert b["QRV"] == pytest.approx(n["QRV"] + own["QMJ"], abs=1e-6)
    assert b.sum() == pytest.approx(n.sum(), rel=1e-12)


def test_default_footprint_is_the_vintage_in_force():
    assert footprint.footprint_key("ICS", None, "2025-11") == "ICS"
    assert footprint.footprint_key("ICS", None, "2026-05") == "ICS2026"
    assert footprint.footprint_key("ICS", "2026", "2025-11") == "ICS2026"
    assert footprint.footprint_key("STP", None, "2025-11") == "STP"
    with pytest.raises(ValueError, match="not a vintage of level STP"):
        footprint.footprint_key("STP", "2026", None)


def test_cli_metrics_footprint(store26):
    def run(*args):
        out = run_cli("metrics", "--data-dir", store26, "--england", *args)
        assert out.returncode == 0, out.stderr
        from io import StringIO
        return pd.read_csv(StringIO(out.stdout))
    may = run("--period", "2026-05")
    nov26 = run("--period", "2025-11", "--footprint", "2026")
    nov = run("--period", "2025-11")
    assert may["area_code"].nunique() - 1 == 36 and nov26["area_code"].nunique() - 1 == 36
    assert nov["area_code"].nunique() - 1 == 42
    eng = lambda m: m.loc[m["area_code"] == "ENG", ["fte", "headcount", "leavers_fte", "joiners_fte"]].iloc[0]  # noqa
    assert np.allclose(eng(nov26), eng(nov), rtol=1e-12) and np.allclose(eng(may), eng(nov), rtol=1e-12)
    z = nov26.set_index("area_code").loc["Z9B2Z"]
    assert z["area_name"] == "West and North London"
    bad = run_cli("metrics", "--data-dir", store26, "--footprint", "1999")
    assert bad.returncode == 2 and "--footprint" in bad.stderr and "Traceback" not in bad.stderr


# ------------------------------------------------------------------------------------------------ map
def test_hexmap_2026_has_36_cells_and_keeps_unchanged_systems_in_place():
    lay26 = hexmap.hex_layout("ICS2026")
    lay22 = hexmap.hex_layout("ICS").set_index("code")
    assert len(lay26) == 36 and not lay26[["col", "row"]].duplicated().any()
    assert set(lay26["code"]) == set(geography.vintage("ICS2026").areas["code"])
    same = lay26.set_index("code").join(lay22[["col", "row"]], rsuffix="_22", how="inner")
    moved = same[(same["col"] != same["col_22"]) | (same["row"] != same["row_22"])]
    assert sorted(moved.index) == ["QKS", "QMF"]  # one cell west each, closing the gaps the mergers leave
    adj = hexmap.adjacency("ICS2026")
    assert "Z9B2Z" in adj["S0E4D"] and "QKK" in adj["QKS"]  # Thames Valley beside West and North London
    assert {"Z9B2Z", "QWE", "QKK", "D7T5G", "S1Y5D"} <= set(adj["QMF"])  # North East London among its neighbours


def test_boundaries_of_2026_are_read_for_the_36_icbs(tmp_path):
    """ONS April 2026 boundaries supplied by the user (icb26cd/icb26cdh/icb26nm): the new and changed ICBs carry
    E54000065-E54000071. Built here from the July 2022 file by succession (the real file is the user's)."""
    import json
    from lib.data import boundaries
    src = REPO.parent / "shared/reference/boundaries/icb_boundaries.geojson"
    gj = json.loads(src.read_text())
    a26 = geography.vintage("ICS2026").areas.set_index("code")
    for feat in gj["features"]:
        p = feat["properties"]
        code = geography.translate(p["icb22cdh"], "ICS", "ICS2026")[0]
        feat["properties"] = {"ICB26CD": a26.at[code, "e54_code"], "ICB26CDH": code, "ICB26NM": a26.at[code, "name"]}
    path = tmp_path / "boundaries_ICS2026.geojson"
    path.write_text(json.dumps(gj))
    b = boundaries.read_boundaries(path, "ICS2026")
    assert len(b) == 36 and set(b["code"]) == set(a26.index)
    assert {geography.resolve_area(f"E540000{n}", "ICS2026") for n in range(65, 72)} == {
        "S1Y5D", "D7T5G", "QRL", "T6Y0W", "S9B9J", "S0E4D", "Z9B2Z"}
    # a July 2022 file offered as the 2026 footprint is refused, naming what was expected
    with pytest.raises(ValueError, match="ICBs of April 2026"):
        boundaries.read_boundaries(src, "ICS2026")
