"""Schema, geography, loader pushdown and cache identity, demo data, exports, CLI."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from lib.data import demo
from lib.insight import exports
from lib.data import geography
from lib.data import loader
from lib.data import schema
from lib.insight.metrics import area_metrics
from tests.conftest import run_cli


def test_staff_group_labels_normalise():
    n = schema.normalise_staff_group
    assert n("HCHS Doctors (exc. Resident doctors and equivalents)") == "HCHS Doctors"
    assert n("HCHS doctors") == n("HCHS Doctors") == "HCHS Doctors"
    assert n("  nurses AND health visitors ") == "Nurses & health visitors"
    assert n("Total") == "All staff groups"
    assert n("Wizards") is None
    assert len(schema.STAFF_GROUPS) == 13


def test_geography_tables():
    assert len(geography.ICBS) == 42 and geography.ICBS["q_code"].is_unique
    assert len(geography.STPS) == 42 and geography.STPS["q_code"].is_unique
    assert set(geography.ICBS["region_code"]) == set(geography.REGIONS)
    # two ICBs changed E54 code in April 2023: both vintages resolve to the Q-code
    assert geography.resolve_area("E54000052", "ICS") == geography.resolve_area("E54000063", "ICS") == "QXU"
    assert geography.resolve_area("NHS Sussex Integrated Care Board", "ICS") == "QNX"
    assert geography.resolve_area("Our Healthier South East London", "STP") == "QKK"
    assert geography.resolve_area("QZZ", "ICS") is None
    # eight STP codes differ from their ICB's (DATA.md)
    changed = set(geography.STPS.loc[geography.STPS["boundary_changed_2022"], "e54_code"])
    assert changed == {f"E540000{n}" for n in ("07", "09", "12", "14", "16", "17", "20", "21")}
    with pytest.raises(ValueError, match="expected one of ICS, STP"):
        geography.areas("CCG")


def test_loader_prunes_partitions_and_filters_areas():
    periods = loader.available_periods(loader.DEMO_DATA_DIR, "ICS")
    assert periods[0] == "2022-08" and periods[-1] == "2025-11" and len(periods) >= 36
    f = loader.load_frame(loader.DEMO_DATA_DIR, "ICS", periods=["2025-11"], area_codes=["QKK", "QWE"])
    assert set(f["period_end"]) == {"2025-11"} and set(f["area_code"]) == {"QKK", "QWE"}
    assert list(f.columns) == list(schema.CANONICAL_COLUMNS)
    assert loader.load_frame(loader.DEMO_DATA_DIR, "ICS", periods=["1999-01"]).empty


def test_snapshot_id_changes_when_a_file_changes(tmp_path):
    demo_part = loader.DEMO_DATA_DIR / "level=ICS" / "period=2025-11" / "demo.parquet"
    target = tmp_path / "level=ICS" / "period=2025-11" / "demo.parquet"
    target.parent.mkdir(parents=True)
    target.write_bytes(demo_part.read_bytes())
    a = loader.snapshot_id(tmp_path)
    time.sleep(0.01)
    target.write_bytes(demo_part.read_bytes())
    assert loader.snapshot_id(tmp_path) != a


def test_snapshot_id_lists_every_store_file_and_nothing_else(tmp_path):
    """Workforce and sickness Parquet under level=*/period=*/ plus the manifest, sorted by path; other files,
    folders and depths are not part of the snapshot; adding, resizing or removing a file changes it."""
    files = ["level=ICS/period=2025-11/turnover.parquet", "level=ICS/period=2025-10/turnover.parquet",
             "level=STP/period=2025-10/vacancy.parquet", "sickness/level=ICS/period=2025-03/sickness.parquet"]
    ignored = ["level=ICS/notes.parquet", "other/period=2025-10/x.parquet", "level=ICS/period=2025-10/readme.txt",
               "level=ICS/period=2025-10/deep/x.parquet"]
    for rel in files + ignored:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x" * 3)
    (tmp_path / "manifest.json").write_text("{}")
    root, items = loader.snapshot_id(tmp_path)
    assert root == str(tmp_path.resolve())
    assert [i[0] for i in items] == sorted(files[:3]) + [files[3], "manifest.json"]
    assert all(i[1] == (2 if i[0] == "manifest.json" else 3) for i in items)
    (tmp_path / files[3]).write_bytes(b"x" * 5)
    assert loader.snapshot_id(tmp_path) != (root, items)
    (tmp_path / files[0]).unlink()
    assert files[0] not in [i[0] for i in loader.snapshot_id(tmp_path)[1]]
    assert loader.snapshot_id(tmp_path / "missing") == (str((tmp_path / "missing").resolve()), ())


def test_snapshot_key_is_short_and_changes_exactly_when_snapshot_id_does(tmp_path):
    """The cache key form (ui.data.snapshot): the store's path and a 32-character digest of snapshot_id's list."""
    part = tmp_path / "level=ICS" / "period=2025-11" / "demo.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 3)
    root, digest = loader.snapshot_key(tmp_path)
    assert root == str(tmp_path.resolve()) and len(digest) == 32
    assert loader.snapshot_key(tmp_path) == (root, digest)           # same files, same key
    (tmp_path / "notes.txt").write_text("not a store file")
    assert loader.snapshot_key(tmp_path) == (root, digest)           # snapshot_id ignores it, so does the key
    part.write_bytes(b"x" * 4)                                         # resized
    resized = loader.snapshot_key(tmp_path)
    assert resized[1] != digest
    other = tmp_path / "level=ICS" / "period=2025-10" / "demo.parquet"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"x" * 4)                                        # added
    assert loader.snapshot_key(tmp_path)[1] not in (digest, resized[1])
    other.unlink()                                                     # removed again: back to the same key
    assert loader.snapshot_key(tmp_path) == resized


def test_demo_data_is_deterministic_and_matches_the_committed_files():
    for level in ("ICS", "STP"):
        fresh = demo.generate(level)
        committed = loader.load_frame(loader.DEMO_DATA_DIR, level)
        key = ["period_end", "area_code", "staff_group"]
        pd.testing.assert_frame_equal(fresh.sort_values(key, ignore_index=True),
                                      committed.sort_values(key, ignore_index=True), check_dtype=False)


@pytest.mark.parametrize("level", ["ICS", "STP"])
def test_demo_data_looks_like_england(level):
    f = loader.load_frame(loader.DEMO_DATA_DIR, level)
    assert f["area_code"].nunique() == 42 and f["period_end"].nunique() >= 36
    assert set(f["staff_group"]) == set(schema.STAFF_GROUP_ORDER)
    m = area_metrics(f, include_england=True)
    eng = m[m["area_code"] == "ENG"]
    allstaff = eng[eng["staff_group"] == "All staff groups"]
    assert allstaff["leaver_rate"].between(0.007, 0.012).all()
    groups = eng[(eng["staff_group"] != "All staff groups") & (eng["staff_group"] != "Unknown classification")]
    assert groups["vacancy_rate"].between(0.055, 0.13).all()
    assert groups.groupby("period")["vacancy_rate"].median().between(0.07, 0.12).all()
    latest = allstaff[allstaff["period"] == allstaff["period"].max()].iloc[0]
    assert 1.0e6 < latest["fte"] < 1.4e6
    # stocks chain: start of one period = end of the previous one
    s = f[(f["area_code"] == "QKK") & (f["staff_group"] == "Midwives")].sort_values("period_end")
    assert np.allclose(s["sip_start_fte"].to_numpy()[1:], s["sip_end_fte"].to_numpy()[:-1], atol=0.011)


def test_demo_manifest_is_marked_synthetic():
    prov = loader.provenance(loader.DEMO_DATA_DIR)
    assert prov["synthetic"] is True and "SYNTHETIC" in prov["description"]


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-cmd", "'-cmd"),
    ("@SUM(A1)", "'@SUM(A1)"), ("Guy's", "Guy's"), (-3.5, -3.5), ("\tx", "'\tx"),
])
def test_exports_neutralise_formulas(value, expected):
    df = pd.DataFrame({"name": [value]})
    out = exports.formula_safe(df)["name"].iloc[0]
    assert out == expected
    csv_text = exports.to_csv_text(df)
    assert not csv_text.splitlines()[1].startswith(("=", "+", "@")) or isinstance(value, float)
    import openpyxl, io
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(df)))
    cell = wb.active["A2"].value
    assert cell == expected


def test_cli_metrics_errors_are_plain(tmp_path):
    r = run_cli("metrics", "--data-dir", loader.DEMO_DATA_DIR, "--period", "2030-01")
    assert r.returncode == 2 and "not loaded" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("metrics", "--data-dir", tmp_path / "none")
    assert r.returncode == 2 and "no ICS data" in r.stderr


def test_cli_template_is_ingestible(tmp_path):
    r = run_cli("template")
    assert r.returncode == 0 and r.stdout.startswith("period,level,area_code")
