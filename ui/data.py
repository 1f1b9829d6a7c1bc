"""Cached data access. Caches are keyed on the store's snapshot id (file paths, sizes, mtimes), so a new
extract dropped into the data directory is picked up on the next rerun without a restart, and one
cached copy serves every session (st.cache_data, bounded by max_entries)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.sharing import joint
from lib.sharing.redact import for_viewers
from lib.data import geography, loader, pcn_store
from lib.insight import disclosure_plan, trends
from ui import auth, state
from ui.text import md

DEMO_LABEL = "Synthetic demo data (embedded)"
LOCAL_STORE = loader.REPO_ROOT / "data" / "local"


def data_sources() -> dict[str, Path]:
    """Data sources a user may choose: the embedded demo and, if configured, the analyst's directory.

    The directory comes from `streamlit run app.py -- --data-dir DIR` or $WORKFORCE_DATA_DIR, never from
    the browser (no file paths from users or URLs).
    """
    sources = {DEMO_LABEL: loader.DEMO_DATA_DIR}
    configured = None
    if "--data-dir" in sys.argv:
        i = sys.argv.index("--data-dir")
        if i + 1 < len(sys.argv):
            configured = sys.argv[i + 1]
    configured = configured or os.environ.get(loader.ENV_DATA_DIR, "").strip()
    if configured:
        p = Path(configured)
        sources = {"Data loaded for this dashboard": p, **sources}   # words, not the folder's name
    elif (LOCAL_STORE / "manifest.json").exists():  # where `python -m lib ingest` writes without --data-dir
        sources = {"Your ingested files (data/local)": LOCAL_STORE, **sources}
    return sources


def source_key(data_dir: Path) -> str:
    """The short name of a data source in links (?source=demo|local|dir): never a path from the URL."""
    if Path(data_dir) == loader.DEMO_DATA_DIR:
        return "demo"
    return "local" if Path(data_dir) == LOCAL_STORE else "dir"


def snapshot(data_dir: Path) -> tuple:
    """The store's snapshot key (loader.snapshot_key: path and a digest of the files' identity; short, so every
    st.cache_data call hashes it in microseconds), computed once per script run (each lists the store: ~10 calls a
    Headlines run)."""
    return state.once_per_run(f"snapshot:{data_dir}", lambda: loader.snapshot_key(data_dir))


@st.cache_data(max_entries=64, show_spinner=False)
def _metrics(data_dir: str, snap: tuple, level: str, periods: tuple[str, ...] | None, basis: str,
             sdc: bool = False) -> pd.DataFrame:
    # level is a geography key ("ICS", "ICS2026", "STP"): every period is shown on that vintage's systems, each
    # organisation re-assigned where its period is of another vintage (lib/data/footprint.py).
    # vacancy rates only where vacancy figures cover the staff; counts under 5 hidden, with the cells chosen jointly
    # over every table a viewer can reach (lib.sharing.joint): the board pack's frame too (one routine)
    plan = _joint_plan(data_dir, snap, geography.store_level(level)) if sdc else None
    out = disclosure_plan.page_metrics(data_dir, level, periods, basis, plan)
    # kept as the last good figures here, where they are computed: a page that reads them through its own cached
    # view (figures_key) never calls metrics(), and its fallback must still find them when the store fails later
    _keep_last_good((data_dir, level, periods, basis, sdc), snap, out)
    return out


@st.cache_resource(max_entries=8, show_spinner="Applying disclosure control...")
def _joint_plan(data_dir: str, snap: tuple, store_level: str) -> joint.Plan:
    # One plan per store snapshot and level, shared by every session and page (read-only: never modified). The
    # months are solved together because staff in post at the start of a month is the end of the month before.
    return disclosure_plan.viewer_plan(data_dir, store_level)


def joint_plan(data_dir: Path, level: str) -> joint.Plan:
    """The store's disclosure plan (lib.sharing.joint): which cell of every table is hidden. Computed once per
    snapshot; the system, organisation and care-setting tables and the bridges all read it."""
    return _joint_plan(str(data_dir), snapshot(data_dir), geography.store_level(level))


# Last figures computed per question, with the snapshot they came from: served (with a warning) if a later
# load fails, so a broken data directory never blanks the dashboard. Small: one frame per question.
_LAST_GOOD: dict[tuple, tuple[tuple, pd.DataFrame]] = {}
_LAST_GOOD_MAX = 32


def _keep_last_good(key: tuple, snap: tuple, frame: pd.DataFrame) -> None:
    if key not in _LAST_GOOD or _LAST_GOOD[key][0] != snap:
        if len(_LAST_GOOD) >= _LAST_GOOD_MAX:
            _LAST_GOOD.clear()
        _LAST_GOOD[key] = (snap, frame.copy())


def metrics(data_dir: Path, level: str, periods: list[str] | None = None, basis: str = "fte") -> pd.DataFrame:
    """Metrics for areas, regions (Y-codes) and England (ENG), every staff group. periods=None: all."""
    key = (str(data_dir), level, tuple(periods) if periods is not None else None, basis, auth.disclosure_on())
    snap = snapshot(data_dir)
    try:
        out = _metrics(str(data_dir), snap, *key[1:])
    except Exception as exc:  # noqa: BLE001 - any load failure falls back to the last good figures
        last = _LAST_GOOD.get(key)
        if last is None:
            raise
        st.warning(f"The data directory could not be read just now ({md(for_viewers(exc, data_dir)[:200])}). Showing the figures "
                   "loaded before; fix or remove the file named, and they refresh on the next interaction.",
                   icon=":material/warning:")
        return last[1].copy()
    _keep_last_good(key, snap, out)
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def _metrics_rolling(data_dir: str, snap: tuple, level: str, basis: str, sdc: bool) -> pd.DataFrame:
    return trends.with_rolling(_metrics(data_dir, snap, level, None, basis, sdc), basis)


def figures_key(data_dir: Path, level: str, basis: str = "fte", rolling: bool = False) -> tuple:
    """What identifies the figures a page reads: (data_dir, snapshot, level, basis, disclosure, rolling). Pass it
    to a page's own st.cache_data function and read the frame inside with metrics_for(*key): a selection computed
    once is then served without loading (unpickling) the whole metrics frame again. rolling: with the 12-month
    rolling columns (metrics_with_rolling's frame), else metrics()' frame."""
    return (str(data_dir), snapshot(data_dir), level, basis, auth.disclosure_on(), rolling)


def metrics_for(data_dir: str, snap: tuple, level: str, basis: str, sdc: bool, rolling: bool = False) -> pd.DataFrame:
    """The metrics frame for a figures_key (cached; raises if the store cannot be read, so callers fall back to
    metrics() / metrics_with_rolling(), which serve the last good figures with a warning)."""
    if rolling:
        return _metrics_rolling(data_dir, snap, level, basis, sdc)
    return _metrics(data_dir, snap, level, None, basis, sdc)


def metrics_with_rolling(data_dir: Path, level: str, basis: str = "fte") -> pd.DataFrame:
    """metrics(data_dir, level, basis=basis) with the 12-month rolling columns (lib.insight.trends.with_rolling),
    computed once per data snapshot, level, basis and disclosure setting rather than on every rerun."""
    key = ("rolling", str(data_dir), level, basis, auth.disclosure_on())
    snap = snapshot(data_dir)
    try:
        out = _metrics_rolling(str(data_dir), snap, level, basis, key[-1])
    except Exception:  # noqa: BLE001 - the store failed: metrics() serves the last good figures with a warning
        return trends.with_rolling(metrics(data_dir, level, basis=basis), basis)
    if key not in _LAST_GOOD or _LAST_GOOD[key][0] != snap:
        if len(_LAST_GOOD) >= _LAST_GOOD_MAX:
            _LAST_GOOD.clear()
        # metrics() falls back on this key's plain frame; keep it too (both are copies made once per snapshot)
        _LAST_GOOD[key] = (snap, out)
        plain = (str(data_dir), level, None, basis, key[-1])
        _LAST_GOOD[plain] = (snap, out.drop(columns=[c for c in out.columns if c.endswith("_12m")]))
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def _store_problems(data_dir: str, snap: tuple) -> list[str]:
    return loader.store_problems(data_dir)


def show_store_problems(data_dir: Path) -> None:
    """Warn about store files refused by the loader (damaged, truncated, foreign); the rest is still served."""
    for msg in _store_problems(str(data_dir), snapshot(data_dir)):
        st.warning(f"A file in the data directory was refused and is not used: {md(for_viewers(msg, data_dir))}",
                   icon=":material/warning:")


@st.cache_data(max_entries=32, show_spinner=False)
def _periods(data_dir: str, snap: tuple, level: str) -> list[str]:
    return loader.available_periods(data_dir, geography.store_level(level))


def periods(data_dir: Path, level: str) -> list[str]:
    return _periods(str(data_dir), snapshot(data_dir), level)


@st.cache_data(max_entries=16, show_spinner=False)
def _provenance(data_dir: str, snap: tuple) -> dict:
    return loader.provenance(data_dir)


def provenance(data_dir: Path) -> dict:
    return _provenance(str(data_dir), snapshot(data_dir))


@st.cache_data(max_entries=8, show_spinner=False)
def _population(data_dir: str, snap: tuple, level: str) -> dict[str, float]:
    return pcn_store.population_by_area(data_dir, level)  # snap: the cache key, so new files are read afresh


def population(data_dir: Path, level: str) -> dict[str, float]:
    """ONS population by area code where the data directory supplies population_<LEVEL>.csv, or the ONS sub-ICB
    file was ingested into it; else {}."""
    return _population(str(data_dir), snapshot(data_dir), level)
