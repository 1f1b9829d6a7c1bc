"""Primary care networks' new roles: ingest of the published Individual Level files, `roles`, growth, disclosure.

Figures are checked against the real files in ../shared/reference/workforce/pcn/, summed here straight from the
CSV text (csv module, no product code), and against hand-computed cases.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lib.data import ingest, pcn_store
from lib.data.ingest import IngestError
from lib.insight import pcn_roles
from tests.conftest import REFERENCE, run_cli

PCN_DIR = REFERENCE / "workforce" / "pcn"
PCN_FILES = sorted(PCN_DIR.glob("*.csv"), key=lambda p: int(p.name.split(".")[0]))
POPULATION = REFERENCE / "population" / "ICB Population estimates 2022.csv"
DEC21 = PCN_FILES[-1]
MONTHS = ["2020-03", "2020-06", "2020-09", "2020-12", "2021-03", "2021-06", "2021-09", "2021-12"]


def raw_rows(path: Path, encoding: str = "cp1252") -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def file_sums(path: Path) -> dict[tuple[str, str], float]:
    """(ICB_CODE, STAFF_ROLE) -> FTE summed from the file's own rows."""
    header, rows = raw_rows(path)
    i = {h: k for k, h in enumerate(header)}
    out: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        out[(r[i["ICB_CODE"]], r[i["STAFF_ROLE"]])] += float(r[i["FTE"]])
    return dict(out)


def write(path: Path, header: list[str], rows: list[list[str]], encoding: str = "cp1252") -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def store_digest(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def pcn_store_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pcn")
    ingest.ingest([*PCN_FILES, POPULATION], d)
    return d


def test_files_are_as_documented():
    assert len(PCN_FILES) == 8
    assert [f.name.split(" – ")[1].split(" Individual")[0] for f in PCN_FILES][0] == "March 2020"
    raw = DEC21.read_bytes()
    assert b"\r\n" in raw[:400] and b"\x96" in raw  # Windows-1252 en dash, CRLF


def test_each_quarter_system_by_role_equals_the_files_own_sum(pcn_store_dir):
    frame = pcn_store.load(pcn_store_dir)
    assert sorted(frame["period_end"].unique()) == MONTHS
    for path, month in zip(PCN_FILES, MONTHS):
        expected = file_sums(path)
        table = pcn_roles.roles_table(frame, month)
        got = {(a, r): f for a, r, f in zip(table["area_code"], table["role"], table["fte"])
               if r != pcn_roles.ALL_ROLES}
        for key, fte in expected.items():
            assert got[key] == pytest.approx(fte, abs=1e-9), (month, key)
        # every other published-role cell of the month is zero (the role exists that month, the system has none)
        assert all(v == 0 for k, v in got.items() if k not in expected)


def test_england_total_per_quarter(pcn_store_dir):
    frame = pcn_store.load(pcn_store_dir)
    totals = {m: round(float(frame[frame["period_end"] == m]["fte"].sum()), 1) for m in MONTHS}
    assert totals["2020-03"] == 343.9 and totals["2021-12"] == 9887.7  # SOURCES.md
    for path, month in zip(PCN_FILES, MONTHS):
        assert totals[month] == round(sum(file_sums(path).values()), 1)
    assert totals == {"2020-03": 343.9, "2020-06": 1362.2, "2020-09": 2224.0, "2020-12": 3639.4,
                      "2021-03": 5571.4, "2021-06": 7028.5, "2021-09": 8415.0, "2021-12": 9887.7}


def test_stored_aggregated_never_per_person(pcn_store_dir):
    frame = pcn_store.load(pcn_store_dir, ["2021-12"])
    assert "identifier" not in frame.columns and "UNIQUE_IDENTIFIER" not in frame.columns
    assert not frame.duplicated(["pcn_code", "staff_role", "data_source"]).any()
    header, rows = raw_rows(DEC21)
    assert len(frame) < len(rows)
    assert frame["records"].sum() == len(rows)


def test_headcount_rule_by_hand(tmp_path):
    header, rows = raw_rows(DEC21)
    i = {h: k for k, h in enumerate(header)}
    base = rows[0]
    def row(source, ident, fte, role="Pharmacists"):
        r = list(base)
        r[i["Data_source"]], r[i["UNIQUE_IDENTIFIER"]], r[i["FTE"]], r[i["STAFF_ROLE"]] = source, ident, fte, role
        return r
    # one person twice in the same role (two rows), another person, two contracted rows without identifiers
    f = write(tmp_path / "hc.csv", header, [row("NWRS Staff", "1", "0.5"), row("NWRS Staff", "1", "0.25"),
                                           row("NWRS Staff", "2", "1"), row("NWRS contracted services", "NULL", "0.4"),
                                           row("NWRS contracted services", "NULL", "0.6")])
    p = ingest.parse_file(f)
    staff = p.frame[p.frame["data_source"] == "staff"].iloc[0]
    contracted = p.frame[p.frame["data_source"] == "contracted"].iloc[0]
    assert (staff["fte"], staff["headcount"], staff["records"]) == (1.75, 2, 3)
    assert (contracted["fte"], contracted["headcount"], contracted["records"]) == (1.0, 2, 2)


def test_unseen_role_ingests_and_is_named(tmp_path):
    header, rows = raw_rows(DEC21)
    i = {h: k for k, h in enumerate(header)}
    for r in rows[:7]:
        r[i["STAFF_ROLE"]] = "Advanced Practitioners"
    f = write(tmp_path / "9.Primary Care Networks – March 2022 Individual Level.csv", header, rows)
    out = run_cli(*["ingest", str(f), "--data-dir", str(tmp_path / "s")])
    assert out.returncode == 0, out.stderr
    assert "new role first seen: 'Advanced Practitioners'" in out.stdout and "7 rows" in out.stdout
    frame = pcn_store.load(tmp_path / "s")
    assert "Advanced Practitioners" in set(frame["staff_role"])


def test_spelling_variants_normalised_and_listed(tmp_path):
    header, rows = raw_rows(DEC21)
    i = {h: k for k, h in enumerate(header)}
    diet = [r for r in rows if r[i["STAFF_ROLE"]] == "Dieticians"]
    diet[0][i["STAFF_ROLE"]] = "Dietitians"
    pharm = [r for r in rows if r[i["STAFF_ROLE"]] == "Pharmacists"]
    pharm[0][i["STAFF_ROLE"]] = "pharmacists "
    p = ingest.parse_file(write(tmp_path / "v.csv", header, rows))
    assert set(p.frame["staff_role"]) == {k[1] for k in file_sums(DEC21)}
    note = next(n for n in p.notes if n.startswith("labels normalised"))
    assert "'Dietitians' -> 'Dieticians' (1 rows)" in note and "'pharmacists' -> 'Pharmacists'" in note
    assert p.frame["fte"].sum() == pytest.approx(sum(file_sums(DEC21).values()))


def test_utf8_and_shuffled_copies_store_the_same_rows(tmp_path):
    ref = ingest.parse_file(DEC21).frame
    header, rows = raw_rows(DEC21)
    utf8 = write(tmp_path / "utf8.csv", header, rows, encoding="utf-8")
    assert ingest.parse_file(utf8).frame.equals(ref)
    order = list(reversed(range(len(header))))
    shuffled = write(tmp_path / "shuffled.csv", [header[k] for k in order], [[r[k] for k in order] for r in rows])
    assert ingest.parse_file(shuffled).frame.equals(ref)
    assert "Clinical Director – Medical" not in set(ref["staff_role"])  # detailed roles are not the grain


def test_truncated_copy_is_refused_and_nothing_written(tmp_path, pcn_store_dir):
    store = tmp_path / "s"
    ingest.ingest([PCN_FILES[0]], store)
    before = store_digest(store)
    raw = DEC21.read_bytes()
    cut = raw[: len(raw) // 2]
    cut = cut[: cut.rfind(b"\r\n") + 40]  # 38 characters into a row: it loses fields
    t = tmp_path / "truncated.csv"
    t.write_bytes(cut)
    with pytest.raises(IngestError) as e:
        ingest.ingest([t], store)
    msg, last = str(e.value), cut.count(b"\r\n") + 1
    assert "truncated.csv" in msg and "fields; expected 16" in msg and f"row {last}:" in msg
    assert store_digest(store) == before
    # cut at a row boundary the file is a shorter, complete-looking file: accepted, its row count said
    whole = tmp_path / "short.csv"
    whole.write_bytes(raw[: raw[: len(raw) // 2].rfind(b"\r\n") + 2])
    p = ingest.parse_file(whole)
    assert p.frame["records"].sum() == whole.read_bytes().count(b"\r\n") - 1
    assert f"from {int(p.frame['records'].sum()):,} person-role rows" in p.notes[0]


@pytest.mark.parametrize("column, value, expected", [
    ("ICB_CODE", "QXX", "unknown ICS code or name 'QXX'"),
    ("FTE", "abc", "'abc' is not a number"),
    ("FTE", "", "expected the person's FTE in this role"),
    ("CENSUS_MONTH", "13", "'13' is not a month"),
    ("Data_source", "NWRS Other", "unknown data source 'NWRS Other'"),
    ("COMM_REGION_CODE", "Y56", "disagrees with the region of ICB"),
    ("PCN_CODE", "", "is not a PCN code"),
    ("STAFF_ROLE", "", "empty; expected a label"),
])
def test_bad_cells_refused_naming_file_row_column(tmp_path, column, value, expected):
    header, rows = raw_rows(PCN_FILES[0])
    i = {h: k for k, h in enumerate(header)}
    line = next(n for n, r in enumerate(rows) if r[i["COMM_REGION_CODE"]] != "Y56") if column == "COMM_REGION_CODE" \
        else 4
    rows[line][i[column]] = value
    f = write(tmp_path / "bad.csv", header, rows)
    with pytest.raises(IngestError) as e:
        ingest.ingest([f], tmp_path / "s")
    assert f"bad.csv: rejected, nothing was written." in str(e.value)
    assert f"row {line + 2}, column {column}" in str(e.value) and expected in str(e.value)
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").rglob("*.parquet"))


def test_missing_column_and_mixed_months_refused(tmp_path):
    header, rows = raw_rows(PCN_FILES[0])
    with pytest.raises(IngestError, match=r"row 1 \(header\): missing column\(s\) UNIQUE_IDENTIFIER"):
        ingest.parse_file(write(tmp_path / "m.csv", header[:-1] + ["PCN_CODE_X"], [r[:-1] + ["x"] for r in rows]))
    i = header.index("CENSUS_MONTH")
    rows[10][i] = "6"
    with pytest.raises(IngestError, match="mixes census months"):
        ingest.parse_file(write(tmp_path / "mix.csv", header, rows))


def test_negative_published_fte_kept_and_listed():
    p = ingest.parse_file(DEC21)
    note = next(n for n in p.notes if "negative FTE" in n)
    assert note.startswith("2 row(s) with negative FTE kept as published")


def test_reingest_replaces_period_and_manifest_entry(tmp_path):
    store = tmp_path / "s"
    ingest.ingest([DEC21], store)
    header, rows = raw_rows(DEC21)
    corrected = write(tmp_path / "corrected.csv", header, rows[:100])
    ingest.ingest([corrected], store)
    frame = pcn_store.load(store)
    assert frame["records"].sum() == 100  # the month replaced whole, nothing left from the first file
    files = ingest.read_manifest(store)["files"]
    assert [f["file"] for f in files] == ["corrected.csv"]


def test_dry_run_writes_nothing(tmp_path):
    store = tmp_path / "s"
    ingest.ingest([PCN_FILES[0]], store)
    before = store_digest(store)
    out = run_cli(*["ingest", str(PCN_FILES[0]), str(PCN_FILES[1]), "--data-dir", str(store), "--dry-run"])
    assert out.returncode == 0, out.stderr
    assert "would replace pcn/level=ICS/period=2020-03/pcn.parquet: 411 rows -> 411 rows" in out.stdout
    assert "would add pcn/level=ICS/period=2020-06/pcn.parquet: 1,301 rows" in out.stdout
    assert "dry run: nothing was written" in out.stdout
    assert store_digest(store) == before


def test_turnover_extra_column_is_reported(tmp_path):
    from tests.conftest import TURNOVER_NOV25
    header, rows = raw_rows(TURNOVER_NOV25, "utf-8-sig")
    f = write(tmp_path / "t.csv", header + ["EXTRA"], [r + ["1"] for r in rows], encoding="utf-8")
    out = run_cli(*["ingest", str(f), "--data-dir", str(tmp_path / "s"), "--dry-run"])
    assert out.returncode == 0, out.stderr
    assert "column(s) 'EXTRA' not read" in out.stdout


def test_per_capita_of_one_system_by_hand(pcn_store_dir):
    # Frimley (QNQ), December 2021: its rows' FTE over the population rows of its sub-ICB location
    header, rows = raw_rows(DEC21)
    i = {h: k for k, h in enumerate(header)}
    fte = sum(float(r[i["FTE"]]) for r in rows if r[i["ICB_CODE"]] == "QNQ")
    prow = [r for r in csv.DictReader(io.StringIO(POPULATION.read_text(encoding="utf-8-sig")))
            if r["ICB 2023 Code"] == "E54000034"]
    pop = sum(int(r["Total"]) for r in prow)
    out = run_cli(*["roles", "--data-dir", str(pcn_store_dir), "--period", "2021-12", "--per-population",
                   "--format", "json"])
    assert out.returncode == 0, out.stderr
    got = next(r for r in json.loads(out.stdout) if r["area_code"] == "QNQ" and r["role"] == "All roles")
    assert got["fte"] == pytest.approx(fte) and got["population"] == pop
    assert got["fte_per_100k"] == pytest.approx(fte / pop * 100_000)
    assert "fte_per_100k = FTE / ONS mid-2022" in out.stderr


def test_roles_cli_2021_12_every_system_equals_file_sums(pcn_store_dir):
    out = run_cli(*["roles", "--data-dir", str(pcn_store_dir), "--period", "2021-12"])
    assert out.returncode == 0, out.stderr
    df = pd.read_csv(io.StringIO(out.stdout))
    assert set(df.columns) >= {"period", "area_code", "area_name", "role", "fte"}
    assert df["area_code"].nunique() == 42
    for (icb, role), fte in file_sums(DEC21).items():
        assert df[(df["area_code"] == icb) & (df["role"] == role)]["fte"].iloc[0] == pytest.approx(fte, abs=1e-6)


def test_roles_cli_sources_add_up_and_bad_input(pcn_store_dir):
    got = {}
    for s in ("all", "staff", "contracted"):
        out = run_cli(*["roles", "--data-dir", str(pcn_store_dir), "--period", "2021-06", "--by", "england",
                       "--source", s])
        df = pd.read_csv(io.StringIO(out.stdout))
        got[s] = float(df[df["role"] == "All roles"]["fte"].iloc[0])
    assert got["all"] == pytest.approx(got["staff"] + got["contracted"]) and got["all"] == pytest.approx(7028.5, abs=0.05)
    bad = run_cli(*["roles", "--data-dir", str(pcn_store_dir), "--period", "2022-03"])
    assert bad.returncode == 2 and "not loaded" in bad.stderr and "Traceback" not in bad.stderr


def test_footprint_2026_follows_sub_icb_locations(pcn_store_dir):
    out = run_cli(*["roles", "--data-dir", str(pcn_store_dir), "--period", "2021-12", "--footprint", "2026",
                   "--per-population", "--format", "json"])
    assert out.returncode == 0, out.stderr
    df = pd.DataFrame(json.loads(out.stdout))
    assert df["area_code"].nunique() == 36
    header, rows = raw_rows(DEC21)
    i = {h: k for k, h in enumerate(header)}
    # Essex (D7T5G) = Mid and South Essex (QH8) + West Essex (07H, from QM7) + North East Essex (06T, from QJG)
    essex = sum(float(r[i["FTE"]]) for r in rows if r[i["ICB_CODE"]] == "QH8" or r[i["SUB_ICB_CODE"]] in ("07H", "06T"))
    tot = df[df["role"] == "All roles"].set_index("area_code")
    assert tot.loc["D7T5G", "fte"] == pytest.approx(essex)
    assert tot["fte"].sum() == pytest.approx(9887.7, abs=0.05)
    assert tot["population"].sum() == 57106398


def test_growth_and_rank_by_hand(pcn_store_dir):
    frame = pcn_store.load(pcn_store_dir)
    pop = pcn_store.population(pcn_store_dir)
    g = pcn_roles.growth(frame, population=pop)
    pa = g[(g["role"] == "Physician Associates") & (g["area_code"] == "QNQ")].iloc[0]
    dec, dec20 = file_sums(DEC21), file_sums(PCN_FILES[3])
    assert pa["start"] == "2020-12" and pa["end"] == "2021-12" and pa["years"] == 1
    assert pa["fte_per_year"] == pytest.approx(dec.get(("QNQ", "Physician Associates"), 0)
                                               - dec20.get(("QNQ", "Physician Associates"), 0))
    # Health Support Workers were first published in June 2021: growth over half a year, annualised
    hsw = g[(g["role"] == "Health Support Workers") & (g["area_code"] == "ENG")].iloc[0]
    assert hsw["start"] == "2021-06" and hsw["years"] == 0.5
    ranks = g[(g["role"] == "Physician Associates") & (g["area_code"] != "ENG")]
    assert sorted(ranks["pace_rank"].astype(int))[0] == 1 and ranks["systems"].iloc[0] == 42
    spread = pcn_roles.pace_spread(g, "Physician Associates")
    assert spread["slowest"] <= spread["median"] <= spread["upper_quartile"] <= spread["fastest"]


def test_trend_breaks_where_a_quarter_is_missing(pcn_store_dir):
    frame = pcn_store.load(pcn_store_dir)
    frame = frame[frame["period_end"] != "2021-06"]
    t = pcn_roles.trend(frame, by="england")
    gap = t[(t["period"] == "2021-06") & (t["role"] == pcn_roles.ALL_ROLES)]
    assert len(gap) == 1 and not gap["loaded"].iloc[0] and np.isnan(gap["fte"].iloc[0])
    # a role not yet published is missing (NaN), not zero
    cc = t[(t["period"] == "2020-03") & (t["role"] == "Care Coordinators")]
    assert np.isnan(cc["fte"].iloc[0])


def test_population_file_refusals(tmp_path):
    text = POPULATION.read_text(encoding="utf-8-sig").splitlines()
    text[3] = text[3].replace("E54000", "E99000", 1)
    f = tmp_path / "pop.csv"
    f.write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(IngestError, match=r"row 4, column ICB 2023 Code: unknown ICB code"):
        ingest.parse_file(f)


def test_lever_evidence_for_one_system(pcn_store_dir):
    from lib.whatif import role_evidence
    from lib.whatif.assumptions import load_assumptions
    a = load_assumptions()
    labels = {r: a.new_role(r)["label"] for r in a.new_role_ids}
    assert set(role_evidence.mapping()["lever_role"]) == set(labels)  # every lever role is mapped, in data
    frame, pop = pcn_store.load(pcn_store_dir), pcn_store.population(pcn_store_dir)
    g = role_evidence.growth_table(frame, pop, list(labels))
    ev = role_evidence.evidence(g, "QNQ", labels)
    pa = ev["physician_associate"]
    dec, dec20 = file_sums(DEC21), file_sums(PCN_FILES[3])
    assert pa.fte_now == pytest.approx(dec[("QNQ", "Physician Associates")])
    assert pa.fte_per_year == pytest.approx(dec[("QNQ", "Physician Associates")] - dec20[("QNQ", "Physician Associates")])
    assert pa.text().startswith(f"Physician associates in Frimley's PCNs: {pa.fte_now:,.1f} FTE in Dec 2021; "
                                f"{pa.fte_per_year:+,.1f} FTE a year (Dec 2020 to Dec 2021); {pa.rank}")
    assert f"of 42 systems by growth per 100,000 people" in pa.text()
    # nursing associates count trainee nursing associates too (the mapping's data)
    na = ev["nursing_associate"]
    assert na.fte_now == pytest.approx(dec.get(("QNQ", "Nursing Associates"), 0)
                                       + dec.get(("QNQ", "Trainee Nursing Associates"), 0))
    assert not ev["advanced_clinical_practitioner"].observed
    assert "no observed evidence" in ev["advanced_clinical_practitioner"].text()
    hi, step = pa.slider_max()
    assert hi >= pa.fastest_per_year >= pa.fastest_quarter_per_year > 0 and hi % step == 0
    # the preset is the upper quartile of systems' growth per 100,000, at Frimley's population
    spread = pcn_roles.pace_spread(g, "physician_associate")
    assert pa.fastest_quarter_per_year == pytest.approx(spread["upper_quartile"] * pa.population / 100_000)


def test_roles_cli_disclosure_control_hides_small_cells(pcn_store_dir):
    """The joint plan (lib.sharing.pcn_joint; its attacker: tests/test_disclosure_pcn_joint.py) on one quarter."""
    out = run_cli(*["roles", "--data-dir", str(pcn_store_dir), "--period", "2020-06", "--by", "pcn",
                    "--disclosure-control"])
    assert out.returncode == 0, out.stderr
    df = pd.read_csv(io.StringIO(out.stdout))
    shown = df.dropna(subset=["headcount"])
    assert (shown["headcount"] >= 5).all() and (shown["fte"] >= 5).all() and df["headcount"].isna().any()
    assert set(df.loc[df["headcount"].isna(), "suppressed"]) == {"small count or would reveal one"}
    hidden = df["headcount"].isna()
    # no PCN (row), and no system's PCNs in a role (they add up to the system's figure), with a single hidden cell
    assert not (hidden.groupby(df["area_code"]).sum() == 1).any()
    assert not (hidden.groupby([df["system_code"], df["role"]]).sum() == 1).any()
