"""Catalogue of malformed and hostile inputs, each with the clear outcome it gets.

Bad files are built from the real published files in ../shared/reference (read there, never copied
into the repo). For every rejected file: the CLI exits 2 with a message naming the file, the row and
the column; the store already loaded is byte-for-byte unchanged (sha256 of every file). Accepted
oddities (BOM + CRLF, thousands separators, placeholders) are accepted on purpose. Hostile names are
stored as text, exported neutralised and never rendered as HTML. Bad store files, scenario documents
and link query strings get friendly refusals, never a traceback.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lib.insight import exports
from lib.data import loader
from lib.cli import main as cli_main
from lib.data.ingest import partition_path
from tests.conftest import REFERENCE, REPO, TURNOVER_OCT25, WORKFORCE, require_reference

SICKNESS = WORKFORCE / "nhs_sickness_absence_2025-03.csv"
STP_POPULATION = REFERENCE / "population" / "STP-populations-2019.csv"
WORKBOOK = WORKFORCE / "hchs-staff-by-staff-group-nationality-and-organisation-september-2017-and-june-2018_ah2324.xlsx"
N_ROWS = 40  # rows of the real file used per case: small enough to be quick, real enough to matter


# ------------------------------------------------------------------------------------------ helpers
def real_rows() -> tuple[list[str], list[list[str]]]:
    require_reference()
    with open(TURNOVER_OCT25, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:N_ROWS + 1]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, newline: str = "\n", bom: bool = False) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows([header, *rows])
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))
    return path


def col(header: list[str], name: str) -> int:
    return header.index(name)


def store_hashes(data_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data_dir.rglob("*")) if p.is_file()}


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli_main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    """A store holding a real (small) Oct-25 turnover extract."""
    header, rows = real_rows()
    d = tmp_path_factory.mktemp("store")
    src = write_csv(d.parent / "oct25_small.csv", header, rows)
    assert cli_main(["ingest", str(src), "--data-dir", str(d / "data")]) == 0
    return d / "data"


@pytest.fixture
def store(base_store, tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(base_store, d)
    return d


# ------------------------------------------------------------------------------------------ rejected files
def _edit(row_no: int, column: str, value: str):
    """Builder: real rows with one cell changed (row_no is the file line, header = 1)."""
    def build(tmp: Path) -> Path:
        header, rows = real_rows()
        rows[row_no - 2][col(header, column)] = value
        return write_csv(tmp / f"bad_{column.lower()}.csv", header, rows)
    return build


def _duplicate_row(tmp: Path) -> Path:
    header, rows = real_rows()
    rows.insert(5, list(rows[3]))  # line 5 repeated as line 7
    return write_csv(tmp / "duplicated.csv", header, rows)


def _empty(tmp: Path) -> Path:
    p = tmp / "empty.csv"
    p.write_bytes(b"")
    return p


def _header_only(tmp: Path) -> Path:
    header, _ = real_rows()
    return write_csv(tmp / "header_only.csv", header, [])


def _missing_column(tmp: Path) -> Path:
    header, rows = real_rows()
    i = col(header, "FTE")
    return write_csv(tmp / "no_fte.csv", header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])


def _sickness_bad_days(tmp: Path) -> Path:
    """The real sickness absence file (a kind ingest accepts) with one word where FTE_DAYS_LOST should be."""
    lines = SICKNESS.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    i = header.index("FTE_DAYS_LOST")
    row = lines[3].split(",")
    row[i] = "lots"
    lines[3] = ",".join(row)
    p = tmp / SICKNESS.name
    p.write_text("\n".join(lines) + "\n")
    return p


def _stp_population(tmp: Path) -> Path:
    p = tmp / STP_POPULATION.name
    p.write_bytes(STP_POPULATION.read_bytes())
    return p


def _unquoted_comma(tmp: Path) -> Path:
    header, rows = real_rows()
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    lines = text.getvalue().splitlines()
    # Line 4 written by hand with the organisation name's comma left unquoted (as in the STP population CSV).
    r = rows[2]
    r_name = r[col(header, "REPORTING_ORG_NAME")]
    r = [*r]
    r[col(header, "REPORTING_ORG_NAME")] = r_name.replace(" NHS", ", NHS", 1)
    lines[3] = ",".join(r)
    p = tmp / "unquoted_comma.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _truncated_csv(tmp: Path) -> Path:
    header, rows = real_rows()
    p = write_csv(tmp / "truncated.csv", header, rows)
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) - 40])  # cut inside the last row, as an interrupted download would
    return p


def _parquet_as_input(tmp: Path) -> Path:
    p = tmp / "extract.csv"
    src = next(loader.DEMO_DATA_DIR.glob("level=ICS/period=*/*.parquet"))
    p.write_bytes(src.read_bytes())  # a Parquet file renamed .csv
    return p


def _workbook(tmp: Path) -> Path:
    p = tmp / "workforce.csv"
    p.write_bytes(WORKBOOK.read_bytes()[:200_000])  # an Excel workbook saved with a .csv name
    return p


def _mixed_region(tmp: Path) -> Path:
    return _edit(6, "NHSE_REGION_CODE", "Y99")(tmp)


# (case id, builder, substrings the error must contain). Every message also names the file.
REJECTED = [
    ("non-numeric FTE", _edit(5, "FTE", "abc"), ["row 5", "column FTE", "'abc' is not a number"]),
    ("non-numeric headcount", _edit(9, "HC", "twelve"), ["row 9", "column HC", "not a number"]),
    ("negative FTE", _edit(7, "FTE", "-3.5"), ["row 7", "column FTE", "negative"]),
    ("huge value", _edit(8, "FTE", "9e12"), ["row 8", "column FTE", "implausibly large"]),
    ("infinite value", _edit(8, "HC", "inf"), ["row 8", "column HC", "not a number"]),
    ("wrong type: date in FTE", _edit(10, "FTE", "2025-10-31"), ["row 10", "column FTE", "not a number"]),
    ("duplicated row", _duplicate_row, ["row 7", "duplicates row 5"]),
    ("mixed periods in one file", _edit(12, "PERIOD", "202508 to 202509"), ["column PERIOD", "mixes periods"]),
    ("period not a period", _edit(3, "PERIOD", "Oct 2025"), ["row 3", "column PERIOD", "expected 'YYYYMM to YYYYMM'"]),
    ("unknown ICS code", _edit(4, "ICS_CODE", "QXX"), ["row 4", "column ICS_CODE", "unknown ICS code", "QKK"]),
    ("unknown staff group", _edit(6, "STAFF_GROUP_1_NAME", "Wizards"),
     ["row 6", "column STAFF_GROUP_1_NAME", "unknown staff group 'Wizards'", "Nurses & health visitors"]),
    ("unknown TYPE", _edit(11, "TYPE", "Starters"), ["row 11", "column TYPE", "unknown TYPE"]),
    ("unknown region", _mixed_region, ["row 6", "column NHSE_REGION_CODE", "unknown region 'Y99'"]),
    ("empty organisation code", _edit(13, "REPORTING_ORG_CODE", ""), ["row 13", "column REPORTING_ORG_CODE", "empty"]),
    ("empty file", _empty, ["the file is empty"]),
    ("header only", _header_only, ["row 2", "no data rows"]),
    ("missing column", _missing_column, ["row 1 (header)", "missing column(s) FTE"]),
    ("sickness absence CSV with a word for a number", _sickness_bad_days, ["row 4", "FTE_DAYS_LOST", "lots"]),
    ("file of another kind: STP population CSV", _stp_population, ["row 1 (header)", "not a file this tool knows"]),
    ("unquoted comma in a name", _unquoted_comma, ["row 4", "has 14 fields; expected 13", "unquoted comma"]),
    ("truncated CSV", _truncated_csv, [f"row {N_ROWS + 1}", "fields; expected 13"]),
    ("Parquet file named .csv", _parquet_as_input, ["binary file, not a CSV"]),
    ("Excel workbook named .csv", _workbook, ["binary file, not a CSV"]),
]


@pytest.mark.parametrize("case,build,expected", REJECTED, ids=[c[0] for c in REJECTED])
def test_rejected_file_names_file_row_column_and_changes_nothing(case, build, expected, store, tmp_path, capsys):
    bad = build(tmp_path)
    before = store_hashes(store)
    code, out, err = run_cli(["ingest", str(bad), "--data-dir", str(store)], capsys)
    assert code == 2, f"{case}: expected exit 2, got {code}; stderr={err}"
    assert bad.name in err and "rejected, nothing was written" in err
    for s in expected:
        assert s in err, f"{case}: {s!r} not in message:\n{err}"
    assert "Traceback" not in err + out
    assert store_hashes(store) == before, f"{case}: the store changed"


def test_cli_as_a_process_exits_2_without_traceback(store, tmp_path):
    bad = _edit(5, "FTE", "abc")(tmp_path)
    before = store_hashes(store)
    proc = subprocess.run([sys.executable, "-m", "lib", "ingest", str(bad), "--data-dir", str(store)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert "row 5, column FTE" in proc.stderr and bad.name in proc.stderr
    assert "Traceback" not in proc.stderr
    assert store_hashes(store) == before


def test_one_bad_file_among_good_ones_writes_nothing(store, tmp_path, capsys):
    header, rows = real_rows()
    good = write_csv(tmp_path / "good_nov.csv", header, [[c.replace("202509 to 202510", "202510 to 202511")
                                                          for c in r] for r in rows])
    bad = _edit(5, "FTE", "abc")(tmp_path)
    before = store_hashes(store)
    code, _, err = run_cli(["ingest", str(good), str(bad), "--data-dir", str(store)], capsys)
    assert code == 2 and bad.name in err
    assert store_hashes(store) == before
    assert loader.available_periods(store, "ICS") == ["2025-10"]


# ------------------------------------------------------------------------------------------ accepted on purpose
def _values(data_dir: Path) -> pd.DataFrame:
    f = loader.load_frame(data_dir, "ICS")
    return f.sort_values(["org_code", "staff_group"]).reset_index(drop=True)


def test_bom_and_crlf_are_accepted_with_identical_values(base_store, tmp_path, capsys):
    header, rows = real_rows()
    src = write_csv(tmp_path / "bom_crlf.csv", header, rows, newline="\r\n", bom=True)
    code, _, err = run_cli(["ingest", str(src), "--data-dir", str(tmp_path / "d")], capsys)
    assert code == 0, err
    pd.testing.assert_frame_equal(_values(tmp_path / "d"), _values(base_store))


def test_thousands_separators_and_placeholders_are_accepted_deliberately(tmp_path, capsys):
    header, rows = real_rows()
    fte, hc = col(header, "FTE"), col(header, "HC")
    rows[0][hc] = f"{int(rows[0][hc]):,}"          # "22,555" as in published tables
    rows[1][fte] = "*"                               # suppressed -> unknown
    rows[2][fte] = ".."                              # not available -> unknown
    rows[3][fte] = "-"                               # nil -> 0
    src = write_csv(tmp_path / "seps.csv", header, rows)
    code, _, err = run_cli(["ingest", str(src), "--data-dir", str(tmp_path / "d")], capsys)
    assert code == 0, err
    f = loader.load_frame(tmp_path / "d", "ICS")
    org, group = rows[0][col(header, "REPORTING_ORG_CODE")], "All staff groups"
    row = f[(f.org_code == org) & (f.staff_group == group)].iloc[0]
    assert row["sip_end_hc"] == float(rows[0][hc].replace(",", ""))
    by_group = f[f.org_code == org].set_index("staff_group")["sip_end_fte"]
    from lib.data.schema import normalise_staff_group
    g = [normalise_staff_group(rows[i][col(header, "STAFF_GROUP_1_NAME")]) for i in (1, 2, 3)]
    assert pd.isna(by_group[g[0]]) and pd.isna(by_group[g[1]])  # "*" and ".": unknown, never zero
    assert by_group[g[2]] == 0.0                                 # "-": NHS Digital's nil


# ------------------------------------------------------------------------------------------ hostile names
HOSTILE_NAMES = ['=HYPERLINK("http://evil.example/","click")', '<script>alert("x")</script>', "+1+2", "@SUM(A1)"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_stored_as_text_and_exported_neutralised(name, tmp_path, capsys):
    header, rows = real_rows()
    org = rows[0][col(header, "REPORTING_ORG_CODE")]
    for r in rows:
        if r[col(header, "REPORTING_ORG_CODE")] == org:
            r[col(header, "REPORTING_ORG_NAME")] = name
    src = write_csv(tmp_path / "hostile.csv", header, rows)
    code, _, err = run_cli(["ingest", str(src), "--data-dir", str(tmp_path / "d")], capsys)
    assert code == 0, err
    f = loader.load_frame(tmp_path / "d", "ICS")
    assert name in set(f["org_name"])  # stored verbatim, as text
    exported = exports.to_csv_bytes(f[["org_code", "org_name"]]).decode("utf-8-sig")
    assert exported.splitlines()[0] == "org_code,org_name"  # no notes: the table alone
    for line in exported.splitlines()[1:]:
        cell = next(csv.reader([line]))[1]
        assert not cell.startswith(("=", "+", "-", "@")), f"formula-like cell exported: {cell!r}"
    if "<script>" in name:  # never rendered as HTML: no page puts data into unsafe_allow_html
        offenders = [p for p in [*REPO.glob("views/*.py"), *REPO.glob("ui/*.py"), REPO / "app.py"]
                     if "unsafe_allow_html=True" in p.read_text(encoding="utf-8")]
        for p in offenders:
            src_text = p.read_text(encoding="utf-8")
            assert "org_name" not in src_text and "area_name" not in src_text, \
                f"{p.name} renders HTML near data columns; check it escapes them"


# ------------------------------------------------------------------------------------------ bad store files
def _frame_of(store: Path) -> pd.DataFrame:
    return loader.load_frame(store, "ICS")


def _truncate_parquet(store: Path) -> Path:
    src = partition_path(store, "ICS", "2025-10", "turnover")
    target = partition_path(store, "ICS", "2025-11", "turnover")
    target.parent.mkdir(parents=True)
    raw = src.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])
    return target


def _foreign_parquet(store: Path) -> Path:
    target = partition_path(store, "ICS", "2025-11", "turnover")
    target.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(pd.read_csv(SICKNESS)), target)
    return target


def _misfiled_parquet(store: Path) -> Path:
    target = partition_path(store, "ICS", "2025-11", "turnover")
    target.parent.mkdir(parents=True)
    shutil.copy(partition_path(store, "ICS", "2025-10", "turnover"), target)  # Oct rows in the Nov folder
    return target


def _negative_parquet(store: Path) -> Path:
    df = pd.read_parquet(partition_path(store, "ICS", "2025-10", "turnover"))
    df["period_end"], df["leavers_fte"] = "2025-11", -1.0
    target = partition_path(store, "ICS", "2025-11", "turnover")
    target.parent.mkdir(parents=True)
    df.to_parquet(target)
    return target


def _garbage_parquet(store: Path) -> Path:
    target = partition_path(store, "ICS", "2025-11", "turnover")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PAR1" + b"\x00garbage" * 100 + b"PAR1")
    return target


BAD_STORE_FILES = [
    ("truncated Parquet", _truncate_parquet, "not a readable Parquet file"),
    ("Parquet of another kind", _foreign_parquet, "not a workforce store file"),
    ("Parquet in the wrong period folder", _misfiled_parquet, "period=2025-11 folder"),
    ("Parquet with negative values", _negative_parquet, "negative values"),
    ("garbage with Parquet magic bytes", _garbage_parquet, "not a readable Parquet file"),
]


@pytest.mark.parametrize("case,plant,expected", BAD_STORE_FILES, ids=[c[0] for c in BAD_STORE_FILES])
def test_bad_store_file_is_refused_and_good_files_still_served(case, plant, expected, store):
    good = _frame_of(store)
    bad = plant(store)
    problems: list[str] = []
    frame = loader.load_frame(store, "ICS", problems=problems)
    pd.testing.assert_frame_equal(frame, good)  # the good data keeps being served
    assert loader.available_periods(store, "ICS") == ["2025-10"]
    reported = loader.store_problems(store)
    assert len(reported) == 1 and str(bad) in reported[0] and expected in reported[0], reported
    assert "ignored" in reported[0] and "re-ingest" in reported[0]


# ------------------------------------------------------------------------------------------ scenario documents
SCENARIOS = [
    ("not JSON", "{horizon: 5", "not valid JSON"),
    ("wrong type: horizon as text", json.dumps({"schema_version": 1, "horizon": "ten"}), "horizon"),
    ("absurd horizon", json.dumps({"schema_version": 1, "horizon": 1000}), "horizon"),
    ("unknown key", json.dumps({"schema_version": 1, "evil": "__import__('os')"}), "unknown key"),
    ("a list, not an object", json.dumps([1, 2, 3]), "scenario"),
    ("absurd demand growth", json.dumps({"schema_version": 1, "demand_growth": 1e9}), "demand_growth"),
]


@pytest.mark.parametrize("case,text,expected", SCENARIOS, ids=[c[0] for c in SCENARIOS])
def test_bad_scenario_json_is_refused_with_a_reason(case, text, expected):
    from lib.whatif.scenario import Scenario, ScenarioError
    with pytest.raises(ScenarioError) as err:
        Scenario.from_json(text)
    assert expected in str(err.value)
    assert "Traceback" not in str(err.value)


# ------------------------------------------------------------------------------------------ link query strings
QUERIES = [
    ("path traversal in period", {"period": "../../../../etc/passwd"}),
    ("script in level", {"level": "<script>alert(1)</script>"}),
    ("formula in period", {"period": '=HYPERLINK("http://evil.example")'}),
    ("very long value", {"period": "9" * 5000}),
]


@pytest.mark.parametrize("case,params", QUERIES, ids=[c[0] for c in QUERIES])
def test_bad_query_string_gets_a_friendly_notice(case, params):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    notices = [el.value for el in at.info]
    assert any("not one we recognise" in n for n in notices), notices
    for md in at.markdown:
        if md.proto.allow_html:
            assert "<script" not in md.value
    assert "NHS workforce headlines" in [t.value for t in at.title]
