"""Product polish after the last whole-app review: defects no single issue covered (closest: issues 21 and 24)."""
from __future__ import annotations

import io

import pandas as pd

from tests.conftest import run_cli


# --- `metrics --area` without --by-organisation filters the systems table -------------------------------------------

def _csv(r) -> pd.DataFrame:
    assert r.returncode == 0, r.stderr
    return pd.read_csv(io.StringIO(r.stdout))


def test_metrics_area_filters_the_systems_table(real_store):
    every = _csv(run_cli("metrics", "--data-dir", real_store, "--by-staff-group", "--england", "--regions"))
    qkk = _csv(run_cli("metrics", "--data-dir", real_store, "--by-staff-group", "--area", "QKK"))
    assert set(qkk["area_code"]) == {"QKK"} and set(qkk["area_name"]) == {"South East London"}
    assert len(qkk) == (every["area_code"] == "QKK").sum() > 1   # every staff group of that one system
    pd.testing.assert_frame_equal(qkk, every[every["area_code"] == "QKK"].reset_index(drop=True))
    # a region or England: its own rows, added without --regions / --england
    london = _csv(run_cli("metrics", "--data-dir", real_store, "--area", "Y56"))
    assert list(london["area_code"]) == ["Y56"] and london["area_name"][0] == "London"
    eng = _csv(run_cli("metrics", "--data-dir", real_store, "--area", "ENG"))
    assert list(eng["area_code"]) == ["ENG"]
    assert eng["fte"][0] == every.query("area_code == 'ENG' and staff_group == 'All staff groups'")["fte"].iloc[0]
    bad = run_cli("metrics", "--data-dir", real_store, "--area", "QZZ9")
    assert bad.returncode == 2 and "--area" in bad.stderr and "Traceback" not in bad.stderr


def test_metrics_area_help_says_it_filters():
    from lib.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    text = next(a.help for a in sub.choices["metrics"]._actions if "--area" in a.option_strings)
    assert "only this area's rows" in text and "--by-organisation" in text
