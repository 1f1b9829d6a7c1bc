"""--footprint beyond `metrics`: spc, funnel, the organisation options of metrics, and sickness absence re-based.

Stores: the real Oct-25 + Nov-25 turnover files with a May-26 file carrying the 2026 codes (tests/may26.py), and
the real sickness absence file of March 2025 (METHODS 1.4: England 4.884%).
"""
from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.data import footprint, geography, loader
from lib.insight import sickness as sk
from tests.conftest import WORKFORCE, open_app_page, run_cli
from tests.may26 import SPLIT_TRUSTS

SICKNESS = WORKFORCE / "nhs_sickness_absence_2025-03.csv"
CODES26 = set(geography.vintage("ICS2026").areas["code"])
CODES22 = set(geography.vintage("ICS").areas["code"])


@pytest.fixture(scope="module")
def store26(real_store26) -> Path:
    return real_store26


@pytest.fixture(scope="module")
def sick_store(real_store_sickness) -> Path:
    """Real turnover (Oct-25, Nov-25: no 2026 period, so organisations move by their system's succession) plus the
    real sickness absence file of March 2025."""
    return real_store_sickness


def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    out = run_cli(*args)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def csv(out: subprocess.CompletedProcess) -> pd.DataFrame:
    return pd.read_csv(StringIO(out.stdout))


def nov_systems(store: Path) -> pd.DataFrame:
    """Nov-25 as published, all staff groups, per 2022 system (the hand computation's inputs)."""
    f = loader.load_area_frame(store, "ICS", periods=["2025-11"])
    return f[f["staff_group"] == "All staff groups"].set_index("area_code")


# ------------------------------------------------------------------------------------------------ funnel
def test_funnel_footprint_2026_merges_systems_and_keeps_the_total(store26):
    n26 = json.loads(cli("funnel", "--data-dir", str(store26), "--period", "2025-11", "--footprint", "2026",
                         "--format", "json").stdout)
    n22 = json.loads(cli("funnel", "--data-dir", str(store26), "--period", "2025-11", "--format", "json").stdout)
    u26 = pd.DataFrame(n26["units"]).set_index("label")
    u22 = pd.DataFrame(n22["units"]).set_index("label")
    assert set(u26.index) == CODES26 and set(u22.index) == CODES22  # default: the vintage in force for Nov-25
    nov = nov_systems(store26)
    # hand computation: leavers / mean staff in post, North Central + North West London summed
    num = nov.loc[["QMJ", "QRV"], "leavers_fte"].sum()
    den = ((nov.loc[["QMJ", "QRV"], "sip_start_fte"] + nov.loc[["QMJ", "QRV"], "sip_end_fte"]) / 2).sum()
    assert u26.at["Z9B2Z", "numerator"] == pytest.approx(num, rel=1e-12)
    assert u26.at["Z9B2Z", "denominator"] == pytest.approx(den, rel=1e-12)
    assert u26.at["Z9B2Z", "area_name"] == "West and North London"
    assert u26["numerator"].sum() == pytest.approx(u22["numerator"].sum(), rel=1e-12)  # nothing dropped
    assert n26["target"] == pytest.approx(n22["target"], rel=1e-12)  # the pooled rate is England's either way
    # May-26 on the 2022 footprint: 42 systems
    back = csv(cli("funnel", "--data-dir", str(store26), "--period", "2026-05", "--footprint", "2022"))
    assert set(back["label"]) == CODES22


def test_funnel_and_spc_refuse_a_bad_footprint(store26):
    for cmd in (["funnel", "--data-dir", str(store26)],
                ["spc", "--data-dir", str(store26), "--area", "QKK"]):
        bad = cli(*cmd, "--footprint", "1999", ok=False)
        assert bad.returncode == 2 and "--footprint" in bad.stderr and "Traceback" not in bad.stderr
        bad = cli(*cmd, "--level", "STP", "--footprint", "2026", ok=False)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr


# ------------------------------------------------------------------------------------------------ spc
def test_spc_footprint_2026_charts_the_merged_system_through_the_change(store26):
    # default footprint = the vintage in force for the last period charted: May-26 -> 2026, so Z9B2Z has
    # Oct-25 and Nov-25 re-based plus May-26 as published
    s = csv(cli("spc", "--data-dir", str(store26), "--area", "Z9B2Z"))
    # Oct-25 to May-26: the five months between are rows without a value (a break, issue 21), three with one
    assert len(s) == 8 and s["y"].notna().sum() == 3 and (s["chart"] == "run").all()
    nov = nov_systems(store26)
    want = nov.loc[["QMJ", "QRV"], "leavers_fte"].sum() / (
        (nov.loc[["QMJ", "QRV"], "sip_start_fte"] + nov.loc[["QMJ", "QRV"], "sip_end_fte"]) / 2).sum()
    s["x"] = pd.to_datetime(s["x"])
    got = s.loc[s["x"].dt.strftime("%Y-%m") == "2025-11", "y"].iloc[0]
    assert got == pytest.approx(want, rel=1e-9)  # CSV carries 10 significant figures
    # the same with --footprint 2026 and a period of the 2022 vintage
    s2 = csv(cli("spc", "--data-dir", str(store26), "--area", "Z9B2Z", "--footprint", "2026", "--period", "2025-11"))
    assert len(s2) == 2 and s2["y"].iloc[-1] == pytest.approx(want, rel=1e-9)
    # on the 2022 footprint (default for a 2025 period) Z9B2Z is not a system; QMJ is
    none = cli("spc", "--data-dir", str(store26), "--area", "Z9B2Z", "--period", "2025-11", ok=False)
    assert none.returncode == 2 and "Z9B2Z" in none.stderr
    qmj = csv(cli("spc", "--data-dir", str(store26), "--area", "QMJ", "--period", "2025-11"))
    assert qmj["y"].iloc[-1] == pytest.approx(
        nov.at["QMJ", "leavers_fte"] / ((nov.at["QMJ", "sip_start_fte"] + nov.at["QMJ", "sip_end_fte"]) / 2), rel=1e-9)


# ------------------------------------------------------------------------------------------------ organisations
def test_by_organisation_lists_organisations_under_their_footprint_system(store26):
    base = ["metrics", "--data-dir", str(store26), "--period", "2025-11", "--by-organisation"]
    o22 = csv(cli(*base)).set_index("org_code")
    o26 = csv(cli(*base, "--footprint", "2026")).set_index("org_code")
    assert set(o26.index) == set(o22.index)  # every organisation listed, none dropped
    assert o22.at["RAL", "system_code"] == "QMJ" and o26.at["RAL", "system_code"] == "Z9B2Z"
    for org, succ in SPLIT_TRUSTS.items():  # split trusts go where the 2026 files put them
        assert o26.at[org, "system_code"] == succ
    assert set(o26["system_code"].dropna()) <= CODES26
    assert o26["fte"].sum() == pytest.approx(o22["fte"].sum(), rel=1e-12)
    # --area takes a system of the footprint: West and North London = North Central + North West London's trusts
    z = csv(cli(*base, "--footprint", "2026", "--area", "Z9B2Z"))
    assert set(z["org_code"]) == set(o22.index[o22["system_code"].isin(["QMJ", "QRV"])])
    bad = cli(*base, "--area", "Z9B2Z", ok=False)  # not a system of the 2022 footprint
    assert bad.returncode == 2 and "Z9B2Z" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli(*base, "--footprint", "1999", ok=False)
    assert bad.returncode == 2 and "--footprint" in bad.stderr and "Traceback" not in bad.stderr


def test_care_setting_and_peer_group_honour_the_footprint(store26):
    base = ["metrics", "--data-dir", str(store26), "--period", "2025-11"]
    c22 = csv(cli(*base, "--care-setting", "Mental Health")).set_index("area_code")
    c26 = csv(cli(*base, "--care-setting", "Mental Health", "--footprint", "2026")).set_index("area_code")
    assert set(c26.index) <= CODES26 and not set(c26.index) & (CODES22 - CODES26)
    assert c26.at["Z9B2Z", "fte"] == pytest.approx(c22.loc[["QMJ", "QRV"], "fte"].sum(), rel=1e-12)
    assert c26["fte"].sum() == pytest.approx(c22["fte"].sum(), rel=1e-12)
    p22 = csv(cli(*base, "--peer-group", "RAL")).set_index("org_code")
    p26 = csv(cli(*base, "--peer-group", "RAL", "--footprint", "2026")).set_index("org_code")
    assert set(p26.index) == set(p22.index)  # peers are national: the same organisations and rates
    assert np.allclose(p26["leaver_rate"], p22.loc[p26.index, "leaver_rate"], rtol=1e-12)
    sys_col = next(c for c in ("system_code", "area_code") if c in p26.columns)
    assert p22.at["RAL", sys_col] == "QMJ" and p26.at["RAL", sys_col] == "Z9B2Z"


# ------------------------------------------------------------------------------------------------ sickness
def test_sickness_rebased_on_2026_real_file(sick_store):
    raw = loader.load_sickness(sick_store, "ICS")
    f = footprint.load_sickness(sick_store, "ICS2026")
    assert len(f) == len(raw) and set(f["level"]) == {"ICS2026"}
    a = sk.rates(f, "area", level="ICS2026").set_index("code")
    assert len(a) == 36 and set(a.index) == CODES26
    # West and North London = North Central London + North West London, days lost and available exactly
    # the hand computation from the published file itself: its decimals summed exactly, then rounded once
    pub = pd.read_csv(SICKNESS, dtype=str)
    pub = pub[pub["ICS_CODE"].isin(["QMJ", "QRV"])]
    for col, src in (("fte_days_lost", "FTE_DAYS_LOST"), ("fte_days_available", "FTE_DAYS_AVAILABLE")):
        assert a.at["Z9B2Z", col] == float(sum(Decimal(v) for v in pub[src])), col
    assert a.at["Z9B2Z", "n_organisations"] == len(pub)
    a22 = sk.rates(raw, "area", level="ICS").set_index("code")
    assert a.at["Z9B2Z", "fte_days_lost"] == pytest.approx(a22.loc[["QMJ", "QRV"], "fte_days_lost"].sum(), rel=1e-13)
    assert a.at["QKK", "fte_days_lost"] == a22.at["QKK", "fte_days_lost"]  # unchanged system, unchanged figures
    # England unchanged (METHODS 1.4 anchor 4.884%); organisations outside any system (QZZ) stay outside
    e26 = sk.rates(f, "england", level="ICS2026").iloc[0]
    e22 = sk.rates(raw, "england", level="ICS").iloc[0]
    assert e26["fte_days_lost"] == e22["fte_days_lost"] and e26["fte_days_available"] == e22["fte_days_available"]
    assert round(100 * e26["sickness_rate"], 3) == 4.884
    qzz = raw["area_code"] == "QZZ"
    assert qzz.any() and (f.loc[qzz, "area_code"] == "QZZ").all()
    # nothing dropped: systems + outside systems = England, days lost and available
    all_rows = f[f["staff_group"] == "All staff groups"]
    outside = all_rows.loc[all_rows["area_code"] == "QZZ", "fte_days_lost"].sum()
    assert a["fte_days_lost"].sum() + outside == pytest.approx(e26["fte_days_lost"], rel=1e-12)
    # regions unchanged (each 2026 system lies in its predecessors' region)
    r26 = sk.rates(f, "region", level="ICS2026").set_index("code")["fte_days_lost"]
    r22 = sk.rates(raw, "region", level="ICS").set_index("code")["fte_days_lost"]
    assert np.allclose(r26.sort_index(), r22.sort_index(), rtol=1e-12)
    t = sk.system_table(f, "2025-03", level="ICS2026")
    assert len(t) == 36 and t["sickness_rate"].notna().all()


def test_cli_sickness_footprint(sick_store):
    base = ["sickness", "--data-dir", str(sick_store)]
    a26 = csv(cli(*base, "--footprint", "2026")).set_index("code")
    a22 = csv(cli(*base)).set_index("code")  # default: the vintage in force for March 2025
    assert set(a26.index) == CODES26 and set(a22.index) == CODES22
    assert a26.at["Z9B2Z", "fte_days_available"] == pytest.approx(
        a22.loc[["QMJ", "QRV"], "fte_days_available"].sum(), rel=1e-12)
    eng = csv(cli(*base, "--footprint", "2026", "--by", "england")).iloc[0]
    assert round(100 * eng["sickness_rate"], 3) == 4.884
    org = csv(cli(*base, "--footprint", "2026", "--by", "org")).set_index("code")
    assert org.at["RAL", "area_code"] == "Z9B2Z"
    bad = cli(*base, "--footprint", "1999", ok=False)
    assert bad.returncode == 2 and "--footprint" in bad.stderr and "Traceback" not in bad.stderr


def test_sickness_page_on_the_2026_footprint(sick_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(sick_store))
    monkeypatch.delenv("WORKFORCE_DISCLOSURE_CONTROL", raising=False)
    at = open_app_page("views/sickness.py", {"footprint": "2026", "area": "Z9B2Z"})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["England, Mar 2025"] == "4.88%"
    assert "West and North London" in metrics
    # the map is the hex cartogram (a Vega-Lite chart since issue 24): one hexagon per 2026 system
    import pyarrow as pa
    hexmap = next(c for c in at.get("vega_lite_chart") if "Hex cartogram" in c.proto.spec)
    rows = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in hexmap.proto.datasets}["hexes"]
    codes = set(rows["code"])
    assert codes == CODES26
    orgs = [d.value for d in at.dataframe][1]
    assert set(orgs["System"]) == {"West and North London"} and "RAL" in set(orgs.iloc[:, 0]) | set(
        orgs.get("Code", pd.Series(dtype=str)))
