"""The joint disclosure plan kept beside the store (issue 22 item 2): computed once per store identity, read back
by every later caller (the app's replicas and the CLI), computed again when the store's files or the rule change,
written atomically, and never trusted when damaged. Uses a copy of the synthetic demo store (a few seconds of plan)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lib.data.ingest import ingest
from lib.insight import disclosure_plan as dp
from lib.sharing import joint
from tests.conftest import TURNOVER_NOV25
from tests.test_disclosure_joint import _toy_frame

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("plan_store") / "demo"
    shutil.copytree(DEMO, d, ignore=shutil.ignore_patterns(dp.PLAN_DIR, "scenarios"))
    return d


@pytest.fixture(scope="module")
def computed(demo_store) -> joint.Plan:
    return dp.compute_plan(demo_store, "ICS")


def _counting(monkeypatch) -> list:
    calls: list = []
    real = dp.compute_plan
    monkeypatch.setattr(dp, "compute_plan", lambda *a: calls.append(a) or real(*a))
    return calls


def _same(a: joint.Plan, b: joint.Plan) -> None:
    pd.testing.assert_frame_equal(a.tables.reset_index(drop=True), b.tables.reset_index(drop=True))
    pd.testing.assert_frame_equal(a.cells.reset_index(drop=True), b.cells.reset_index(drop=True))
    assert a.footprints == b.footprints and a.stock_flow_exact == b.stock_flow_exact


def test_save_and_load_give_the_same_plan(tmp_path):
    f, fps = _toy_frame()
    plan = joint.plan_frame(f, fps)
    joint.save_plan(plan, tmp_path / "p")
    _same(joint.load_plan(tmp_path / "p"), plan)
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(joint.PLAN_FILES)


def test_the_plan_is_computed_once_then_read_from_beside_the_store(demo_store, computed, monkeypatch):
    calls = _counting(monkeypatch)
    first = dp.viewer_plan(demo_store, "ICS")
    second = dp.viewer_plan(demo_store, "ICS")
    assert len(calls) == 1  # the second call read the saved plan
    _same(first, computed)
    _same(second, computed)
    saved = dp.plan_path(demo_store, "ICS")
    assert saved.parent == demo_store / dp.PLAN_DIR and saved.name.startswith("ICS-")
    # atomic: no temporary directory left behind, only the one plan
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]
    # the store itself still reads as before: the plan's folder is not a level or a period
    from lib.data import loader
    assert not any(rel.startswith(dp.PLAN_DIR) for rel, *_ in loader.snapshot_id(demo_store)[1])


def test_the_key_is_the_files_content_not_their_times(demo_store, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_store, copy, ignore=shutil.ignore_patterns(dp.PLAN_DIR))
    for p in copy.rglob("*.parquet"):
        os.utime(p, (1_000_000, 1_000_000))
    assert dp.plan_key(copy, "ICS") == dp.plan_key(demo_store, "ICS")
    assert dp.plan_key(copy, "STP") != dp.plan_key(copy, "ICS")


def test_a_new_extract_computes_a_new_plan_and_drops_the_old(tmp_path, monkeypatch):
    store = tmp_path / "store"
    calls: list = []
    f, fps = _toy_frame()
    toy = joint.plan_frame(f, fps)
    monkeypatch.setattr(dp, "compute_plan", lambda *a: calls.append(a) or toy)  # the rule itself is tested elsewhere
    ingest([TURNOVER_NOV25], store)
    dp.viewer_plan(store, "ICS")
    old = dp.plan_path(store, "ICS")
    assert old.is_dir()
    ingest([Path(str(TURNOVER_NOV25).replace("Nov-25", "Oct-25"))], store)  # another month: new files
    new = dp.plan_path(store, "ICS")
    assert new != old
    dp.viewer_plan(store, "ICS")
    assert len(calls) == 2 and new.is_dir() and not old.exists()


def test_a_damaged_saved_plan_is_computed_again_and_replaced(tmp_path, monkeypatch):
    store = tmp_path / "store"
    ingest([TURNOVER_NOV25], store)
    f, fps = _toy_frame()
    toy = joint.plan_frame(f, fps)
    calls: list = []
    monkeypatch.setattr(dp, "compute_plan", lambda *a: calls.append(a) or toy)
    dp.viewer_plan(store, "ICS")
    saved = dp.plan_path(store, "ICS")
    (saved / "cells.parquet").write_bytes(b"not parquet")
    _same(dp.viewer_plan(store, "ICS"), toy)
    assert len(calls) == 2
    _same(joint.load_plan(saved), toy)  # the damaged copy was replaced
    (saved / "cells.parquet").unlink()
    with pytest.raises(ValueError, match="not a saved disclosure plan"):
        joint.load_plan(saved)


def test_a_store_that_cannot_be_written_still_gets_its_plan(tmp_path, monkeypatch):
    store = tmp_path / "store"
    ingest([TURNOVER_NOV25], store)
    f, fps = _toy_frame()
    toy = joint.plan_frame(f, fps)
    monkeypatch.setattr(dp, "compute_plan", lambda *a: toy)
    os.chmod(store, 0o555)
    try:
        if os.access(store, os.W_OK):  # root ignores the mode: make the plan's folder a file instead
            os.chmod(store, 0o755)
            (store / dp.PLAN_DIR).write_text("in the way")
        _same(dp.viewer_plan(store, "ICS"), toy)
        assert not dp.plan_path(store, "ICS").is_dir()
    finally:
        os.chmod(store, 0o755)
