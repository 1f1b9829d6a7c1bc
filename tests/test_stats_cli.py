"""Tests for the spc / funnel commands (lib.cli.stats_commands), through argparse and one real subprocess."""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lib.cli import stats_commands as stats_cli

REPO = Path(__file__).resolve().parents[1]
DEVIATIONS = "1,2,1,2,10,1,2,1,2,1,2,1,2,1,2,1,2,1"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="test")
    sub = parser.add_subparsers(dest="command", required=True)
    stats_cli.add_cli(sub)
    args = parser.parse_args(argv)
    code = args.func(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_spc_values_csv_output(capsys):
    code, out, err = run(["spc", "--values", DEVIATIONS], capsys)
    assert code == 0 and err == ""
    df = pd.read_csv(io.StringIO(out))
    assert len(df) == 18
    assert df["upl"].iloc[0] == pytest.approx(4.604444, abs=1e-6)
    assert df["special_cause_rule"].iloc[4] == "Above UCL"


def test_spc_no_screen_json(capsys):
    code, out, _ = run(["spc", "--values", DEVIATIONS, "--no-screen", "--format", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"]["upl"] == pytest.approx(6.951503, abs=1e-6)
    assert doc["points"][1]["moving_range"] == 1.0 and doc["points"][0]["moving_range"] is None


def test_spc_direction_target_and_fix(capsys):
    values = "10,11,9,10,12,8,10,11,9,10,10,11,12,12.5,13,12.2,12.8,12.4,12.6,10,9,10,17,10"
    code, out, _ = run(["spc", "--values", values, "--fix-after", "12", "--direction", "decrease",
                        "--target", "16", "--format", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"]["upl"] == pytest.approx(14.194242, abs=1e-6)
    assert doc["summary"]["assurance"] == "consistent_pass"  # target above UPL, lower is better
    assert doc["points"][22]["point_type"] == "special_cause_concern"


def test_spc_missing_values_in_list(capsys):
    code, out, _ = run(["spc", "--values", "1,2,,2,1,NA,3", "--format", "json", "--chart", "xmr"], capsys)
    assert code == 0
    pts = json.loads(out)["points"]
    assert pts[2]["y"] is None and pts[5]["y"] is None
    assert pts[0]["mean"] == pytest.approx(9 / 5)
    # by default 5 values are a run chart (issue 21): the median, no mean or limits
    code, out, _ = run(["spc", "--values", "1,2,,2,1,NA,3", "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["chart"] == "run" and doc["points"][0]["median"] == 2 and doc["points"][0]["mean"] is None


def test_spc_csv_input_with_dates(tmp_path, capsys):
    f = tmp_path / "series.csv"
    pd.DataFrame({"month": ["2024-03-01", "2024-01-01", "2024-02-01"], "rate": [0.3, 0.1, 0.2]}).to_csv(f, index=False)
    code, out, err = run(["spc", "--csv", str(f), "--column", "rate", "--date-column", "month", "--chart", "xmr"],
                         capsys)
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert df["x"].tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert df["y"].tolist() == [0.1, 0.2, 0.3]
    assert "trial limits" in err and set(df["chart"]) == {"xmr"}


@pytest.mark.parametrize("argv, message", [
    (["spc"], "exactly one of"),
    (["spc", "--values", "1,x,3"], "item 2"),
    (["spc", "--values", "1,2,3", "--fix-after", "5"], "at least 12"),
    (["spc", "--csv", "/nonexistent/file.csv", "--column", "a"], "not found"),
    (["spc", "--values", "1,2", "--rebase", "7"], "outside"),
    (["funnel"], "exactly one of"),
])
def test_bad_input_exit_2_with_message(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_spc_csv_missing_column_and_bad_cell(tmp_path, capsys):
    f = tmp_path / "s.csv"
    f.write_text("rate\n0.1\nabc\n")
    code, _, err = run(["spc", "--csv", str(f), "--column", "nope"], capsys)
    assert code == 2 and "no column 'nope'" in err
    code, _, err = run(["spc", "--csv", str(f), "--column", "rate"], capsys)
    assert code == 2 and "row 3" in err


def test_funnel_csv(tmp_path, capsys):
    f = tmp_path / "units.csv"
    pd.DataFrame({"label": list("ABCDEFGHIJ") + ["Z"],
                  "numerator": [90, 130, 210, 160, 300, 75, 410, 260, 180, 520, 0],
                  "denominator": [1000, 1200, 2000, 1900, 2800, 900, 3900, 2300, 2100, 4500, 0]}).to_csv(f, index=False)
    code, out, err = run(["funnel", "--csv", str(f), "--format", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["target"] == pytest.approx(0.1033186, abs=1e-7)
    assert doc["phi"] == pytest.approx(2.74035, abs=1e-5)
    assert doc["tau2"] == pytest.approx(0.000232669, abs=1e-9)
    assert [u["label"] for u in doc["units"]] == list("ABCDEFGHIJ")
    assert doc["excluded"][0]["label"] == "Z" and "excluded Z" in err
    code, out, _ = run(["funnel", "--csv", str(f), "--no-overdispersion"], capsys)
    df = pd.read_csv(io.StringIO(out))
    assert df.loc[df["label"] == "A", "lower_95"].iloc[0] == pytest.approx(0.0852268, abs=5e-6)


def test_funnel_csv_custom_columns(tmp_path, capsys):
    f = tmp_path / "u.csv"
    pd.DataFrame({"icb": ["X", "Y"], "leavers": [10, 30], "headcount": [100, 200]}).to_csv(f, index=False)
    code, out, _ = run(["funnel", "--csv", str(f), "--numerator-column", "leavers",
                        "--denominator-column", "headcount", "--label-column", "icb"], capsys)
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert df["label"].tolist() == ["X", "Y"] and df["rate"].tolist() == [0.1, 0.15]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from lib.data import demo
    d = tmp_path_factory.mktemp("demo")
    demo.write_demo(str(d))
    return d


def test_spc_from_loaded_data(demo_dir, capsys):
    from lib.data.loader import load_frame
    from lib.insight.metrics import area_metrics
    code, out, err = run(["spc", "--data-dir", str(demo_dir), "--area", "QKK", "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    m = area_metrics(load_frame(demo_dir, "ICS", area_codes=["QKK"]))
    m = m[(m["staff_group"] == "All staff groups") & (m["period_months"] == 1)].sort_values("period")
    assert [p["y"] for p in doc["points"]] == pytest.approx(m["leaver_rate"].tolist(), abs=1e-12)
    assert doc["summary"]["mean"] == pytest.approx(m["leaver_rate"].mean(), abs=1e-12)
    assert doc["points"][-1]["x"] == m["period"].iloc[-1] + "-01"


def test_funnel_from_loaded_data(demo_dir, capsys):
    from lib.data.loader import available_periods, load_frame
    from lib.insight.metrics import area_metrics
    period = available_periods(demo_dir, "ICS")[-1]
    code, out, err = run(["funnel", "--data-dir", str(demo_dir), "--measure", "vacancy_rate",
                          "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["period"] == period and doc["measure"] == "vacancy_rate"
    m = area_metrics(load_frame(demo_dir, "ICS", periods=[period]))
    m = m[m["staff_group"] == "All staff groups"].set_index("area_code")
    for u in doc["units"]:
        assert u["rate"] == pytest.approx(m.loc[u["label"], "vacancy_rate"], abs=1e-12)
    assert doc["target"] == pytest.approx(m["vacancy_fte"].sum() / (m["vacancy_fte"] + m["fte"]).sum(), abs=1e-12)


def test_loaded_data_errors(demo_dir, tmp_path, capsys):
    code, _, err = run(["spc", "--data-dir", str(demo_dir)], capsys)
    assert code == 2 and "--area" in err
    code, _, err = run(["spc", "--data-dir", str(demo_dir), "--area", "QKK", "--staff-group", "Wizards"], capsys)
    assert code == 2 and "Wizards" in err
    code, _, err = run(["funnel", "--data-dir", str(demo_dir), "--period", "1999-01"], capsys)
    assert code == 2 and "not loaded" in err
    code, _, err = run(["funnel", "--data-dir", str(tmp_path / "empty")], capsys)
    assert code == 2 and "no ICS data" in err


def test_python_dash_m_lib_spc_subprocess():
    proc = subprocess.run([sys.executable, "-m", "lib", "spc", "--values", DEVIATIONS, "--format", "json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["lpl"] == pytest.approx(-0.715556, abs=1e-6)
    bad = subprocess.run([sys.executable, "-m", "lib", "spc", "--values", "a"], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
