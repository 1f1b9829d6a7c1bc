"""Issue 24: `python -m lib status` (what is loaded: periods, files, geography, problems) and the help texts of
the metrics and bridge commands."""
from __future__ import annotations

import json
import shutil

from tests.conftest import run_cli


def test_status_on_the_real_store(real_store26):
    r = run_cli("status", "--data-dir", real_store26)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "ICS: 3 month(s), 2025-10 to 2026-05" in out
    assert "missing 2025-12, 2026-01, 2026-02, 2026-03, 2026-04" in out
    assert "geography ICS (ICBs of July 2022, 42 systems): 2025-10, 2025-11" in out
    assert "ICS2026" in out and "2026-05" in out
    assert "Oct-25.csv: turnover, 2780 rows, 2025-10" in out
    assert "need 12 consecutive months (3 loaded)" in out and "Problems: none" in out
    j = json.loads(run_cli("status", "--data-dir", real_store26, "--format", "json").stdout)
    assert j["levels"]["ICS"]["months"] == 3 and len(j["files"]) == 3 and j["problems"] == []


def test_status_names_a_damaged_file(real_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(real_store, store)
    f = next(store.glob("level=ICS/period=2025-11/*.parquet"))
    f.write_bytes(b"not parquet")
    r = run_cli("status", "--data-dir", store)
    assert r.returncode == 0 and "Problems (1):" in r.stdout and "2025-11" in r.stdout.split("Problems (1):")[1]
    assert run_cli("status", "--data-dir", store, "--strict").returncode == 1
    bad = run_cli("status", "--data-dir", tmp_path / "none")
    assert bad.returncode == 2 and "no such data directory" in bad.stderr and "Traceback" not in bad.stderr


def test_every_metrics_and_bridge_option_has_help():
    from lib.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name in ("metrics", "bridge", "whatif-bridge", "status"):
        p = sub.choices[name]
        missing = [a.option_strings for a in p._actions if a.option_strings and a.dest != "help" and not a.help]
        assert not missing, (name, missing)


def test_by_organisation_uses_org_columns(real_store):
    import io
    import pandas as pd
    r = run_cli("metrics", "--by-organisation", "--area", "QKK", "--data-dir", real_store)
    out = pd.read_csv(io.StringIO(r.stdout))
    assert r.returncode == 0 and "area_code" not in out.columns and "area_name" not in out.columns
    assert list(out.columns[:5]) == ["period", "org_code", "org_name", "system_code", "system_name"]
    assert "RRU" in set(out["org_code"]) and set(out["system_code"]) == {"QKK"}
    assert "London Ambulance Service NHS Trust" in set(out["org_name"])
