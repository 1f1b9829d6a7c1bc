"""Ingest of NHS Digital files as published: real releases, messy variants, malformed files."""
from __future__ import annotations

import csv
import hashlib
import io
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from lib.data import ingest
from lib.data.ingest import IngestError, parse_number
from lib.data.loader import load_frame
from tests.conftest import TURNOVER_NOV25, TURNOVER_OCT25, require_reference, run_cli


@pytest.fixture(scope="module")
def raw_nov() -> list[list[str]]:
    require_reference()
    with open(TURNOVER_NOV25, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], *, bom=False, crlf=False) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    path.write_bytes((("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8"))
    return path


def store_hashes(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def cli(*args: str) -> subprocess.CompletedProcess:
    return run_cli(*args)


# --------------------------------------------------------------------------------------------- real files
def test_real_turnover_files_ingest(tmp_path):
    require_reference()
    parsed = ingest.ingest([TURNOVER_NOV25, TURNOVER_OCT25], tmp_path)
    assert [p.kind for p in parsed] == ["turnover", "turnover"]
    nov = load_frame(tmp_path, "ICS", periods=["2025-11"])
    assert nov["area_code"].nunique() == 42
    assert set(nov["period_start"]) == {"2025-10"} and set(nov["period_months"]) == {1}
    assert nov["org_code"].nunique() == 247
    # the doctors' renamed label is normalised to one series
    assert "HCHS Doctors" in set(nov["staff_group"])
    # national FTE end of period = sum over orgs of the All staff groups rows (METHODS 1.5 anchor)
    tot = nov[nov["staff_group"] == "All staff groups"]["sip_end_fte"].sum()
    assert tot == pytest.approx(1331554.283, abs=0.01)
    nurses = nov[nov["staff_group"] == "Nurses & health visitors"]["sip_end_fte"].sum()
    assert nurses / tot == pytest.approx(0.2894, abs=5e-5)


def test_reingest_is_idempotent(tmp_path):
    require_reference()
    ingest.ingest([TURNOVER_NOV25], tmp_path)
    first = load_frame(tmp_path, "ICS").sort_values(["org_code", "staff_group"], ignore_index=True)
    ingest.ingest([TURNOVER_NOV25], tmp_path)
    second = load_frame(tmp_path, "ICS").sort_values(["org_code", "staff_group"], ignore_index=True)
    pd.testing.assert_frame_equal(first, second)
    assert len(ingest.read_manifest(tmp_path)["files"]) == 1


def test_messy_variant_is_accepted_identically(tmp_path, raw_nov):
    """BOM, CRLF, thousands separators, old doctor label, lower-case spelling, E54 and long ICS names."""
    header, rows = raw_nov[0], [r[:] for r in raw_nov[1:]]
    i_hc, i_fte, i_grp, i_ics = (header.index(c) for c in ("HC", "FTE", "STAFF_GROUP_1_NAME", "ICS_CODE"))
    for r in rows:
        if float(r[i_hc]) >= 1000:
            r[i_hc] = f"{int(r[i_hc]):,}"
        if r[i_grp].startswith("HCHS Doctors"):
            r[i_grp] = "HCHS doctors"
        if r[i_grp] == "Nurses & health visitors":
            r[i_grp] = "nurses and health visitors"
        if r[i_ics] == "QNX":
            r[i_ics] = "E54000064"  # Sussex, April 2023 ONS code
        if r[i_ics] == "QKK":
            r[i_ics] = "NHS South East London Integrated Care Board"
    messy = write_rows(tmp_path / "messy.csv", [header, *rows], bom=True, crlf=True)
    a, b = tmp_path / "a", tmp_path / "b"
    ingest.ingest([TURNOVER_NOV25], a)
    ingest.ingest([messy], b)
    key = ["org_code", "staff_group"]
    fa = load_frame(a, "ICS").sort_values(key, ignore_index=True)
    fb = load_frame(b, "ICS").sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(fa, fb)


def test_placeholders_are_handled_deliberately(tmp_path, raw_nov):
    header, rows = raw_nov[0], [r[:] for r in raw_nov[1:40]]
    i_hc, i_fte = header.index("HC"), header.index("FTE")
    rows[0][i_hc], rows[1][i_hc], rows[2][i_fte] = "*", "-", ".."
    f = write_rows(tmp_path / "ph.csv", [header, *rows])
    p = ingest.parse_file(f)
    assert p.kind == "turnover"
    assert parse_number("*") is None and parse_number("..") is None
    assert parse_number("-") == 0.0 and parse_number("1,234.5") == 1234.5
    with pytest.raises(ValueError):
        parse_number("12,34")


# --------------------------------------------------------------------------------------------- bad files
def _bad_cases(header, rows):
    h = list(header)
    i = {c: h.index(c) for c in h}

    def mod(col, value, n=5):
        rr = [r[:] for r in rows[:20]]
        rr[n][i[col]] = value
        return [h, *rr]

    return {
        "missing_column": ([[c for c in h if c != "FTE"], *[[v for j, v in enumerate(r) if j != i["FTE"]]
                                                            for r in rows[:5]]], "missing column(s) FTE"),
        "unknown_staff_group": (mod("STAFF_GROUP_1_NAME", "Wizards"), "row 7, column STAFF_GROUP_1_NAME"),
        "unknown_ics": (mod("ICS_CODE", "QZZ9"), "row 7, column ICS_CODE"),
        "negative": (mod("FTE", "-12.5"), "row 7, column FTE"),
        "non_numeric": (mod("HC", "twelve"), "row 7, column HC"),
        "bad_period": (mod("PERIOD", "Nov 2025"), "row 7, column PERIOD"),
        "mixed_periods": (mod("PERIOD", "202509 to 202510"), "mixes periods"),
        "duplicate_row": ([h, *rows[:10], rows[3]], "duplicates row 5"),
        "header_only": ([h], "no data rows"),
        "ragged_row": ([h, *rows[:5], rows[5][:-2]], "row 7: has 11 fields"),
    }


@pytest.mark.parametrize("case", ["missing_column", "unknown_staff_group", "unknown_ics", "negative",
                                  "non_numeric", "bad_period", "mixed_periods", "duplicate_row", "header_only",
                                  "ragged_row"])
def test_malformed_files_are_rejected_and_nothing_changes(tmp_path, raw_nov, case):
    store = tmp_path / "store"
    ingest.ingest([TURNOVER_NOV25], store)
    before = store_hashes(store)
    rows, expected = _bad_cases(raw_nov[0], raw_nov[1:])[case]
    bad = write_rows(tmp_path / f"{case}.csv", rows)
    with pytest.raises(IngestError) as err:
        ingest.ingest([TURNOVER_OCT25, bad], store)  # a good file beside a bad one: neither is written
    assert str(bad) in str(err.value)
    assert expected in str(err.value)
    assert store_hashes(store) == before


def test_unknown_staff_group_message_lists_known_labels(tmp_path, raw_nov):
    rows, _ = _bad_cases(raw_nov[0], raw_nov[1:])["unknown_staff_group"]
    with pytest.raises(IngestError) as err:
        ingest.parse_file(write_rows(tmp_path / "g.csv", rows))
    assert "Nurses & health visitors" in str(err.value) and "Wizards" in str(err.value)


@pytest.mark.parametrize("content,expected", [
    (b"", "the file is empty"),
    (b"   \r\n\r\n", "the file is empty"),
    (b"PAR1\x00\x00garbage", "binary file"),
    (b"NAME,PATIENTS\nRJ1,12\n", "not a file this tool knows"),
    # a sickness absence file (recognised since issue 14) that lacks columns: named, with what is expected
    (b"DATE,ORG_CODE,FTE_DAYS_LOST\n31/03/2025,RJ1,12\n", "missing column(s) ICS_CODE, ORG_NAME, FTE_DAYS_AVAILABLE"),
])
def test_empty_binary_and_foreign_files(tmp_path, content, expected):
    f = tmp_path / "x.csv"
    f.write_bytes(content)
    with pytest.raises(IngestError) as err:
        ingest.parse_file(f)
    assert expected in str(err.value) and str(f) in str(err.value)


def test_cli_rejects_with_exit_2_and_names_file_row_column(tmp_path, raw_nov):
    store = tmp_path / "store"
    rows, _ = _bad_cases(raw_nov[0], raw_nov[1:])["non_numeric"]
    bad = write_rows(tmp_path / "bad.csv", rows)
    r = cli("ingest", str(bad), "--data-dir", str(store))
    assert r.returncode == 2
    assert "bad.csv" in r.stderr and "row 7, column HC" in r.stderr and "'twelve' is not a number" in r.stderr
    assert "Traceback" not in r.stderr
    assert not store.exists()


# --------------------------------------------------------------------------------------------- other kinds
def core1_rows():
    h = ["DATA_MONTH", "DATA_LEVEL", "NHSE_REGION_CODE", "NHSE_REGION_NAME", "ICS_CODE", "ICS_NAME", "ORG_CODE",
         "ORG_NAME", "MAIN_STAFF_GROUP", "STAFF_GROUP_1", "FTE", "HEADCOUNT"]
    return [h,
            ["2025-10-31", "National", "", "", "", "", "", "", "All staff groups", "All staff groups", "1,300,000", "1,500,000"],
            ["2025-10-31", "ICS area", "Y56", "London", "QKK", "South East London", "", "", "Total", "Total", "58,000.5", "63,000"],
            ["2025-10-31", "ICS area", "Y56", "London", "QKK", "South East London", "", "",
             "Professionally qualified clinical staff", "Professionally qualified clinical staff", "30000", "31000"],
            ["2025-10-31", "ICS area", "Y56", "London", "QKK", "South East London", "", "",
             "Professionally qualified clinical staff", "Nurses & health visitors", "16,500.25", "17,400"],
            ["2025-10-31", "Organisation", "Y56", "London", "QKK", "South East London", "RJ1", "Guy's", "x",
             "Nurses & health visitors", "6000", "6500"]]


def test_core1_staff_in_post_prefers_ics_area_rows(tmp_path):
    f = write_rows(tmp_path / "core1.csv", core1_rows())
    p = ingest.parse_file(f)
    assert p.kind == "staff_in_post"
    df = p.frame.set_index("staff_group")
    assert set(df.index) == {"All staff groups", "Nurses & health visitors"}  # main-group subtotal skipped
    assert df.loc["All staff groups", "sip_end_fte"] == 58000.5
    assert df.loc["Nurses & health visitors", "sip_end_hc"] == 17400
    assert set(p.frame["org_code"]) == {""} and set(p.frame["period_end"]) == {"2025-10"}


def test_vacancy_template_round_trip_and_metrics(tmp_path):
    from lib.insight.exports import vacancy_template_csv
    from lib.insight.metrics import area_metrics
    require_reference()
    store = tmp_path / "s"
    ingest.ingest([TURNOVER_NOV25], store)
    tpl = tmp_path / "vac.csv"
    tpl.write_text(vacancy_template_csv(), encoding="utf-8")
    ingest.ingest([tpl], store)
    m = area_metrics(load_frame(store, "ICS", periods=["2025-11"]), by_staff_group=True)
    row = m[(m["area_code"] == "QKK") & (m["staff_group"] == "Nurses & health visitors")].iloc[0]
    # template: 512.4 vacancy FTE for QKK nurses; SIP FTE end of period from the real file
    assert row["vacancy_fte"] == pytest.approx(512.4)
    assert row["vacancy_rate"] == pytest.approx(512.4 / (512.4 + row["fte"]), rel=1e-12)


def test_vacancy_negative_is_rejected(tmp_path):
    f = tmp_path / "v.csv"
    f.write_text("period,area_code,staff_group,vacancy_fte\n2025-11,QKK,Midwives,-3\n", encoding="utf-8")
    with pytest.raises(IngestError, match="row 2, column vacancy_fte"):
        ingest.parse_file(f)
