"""The disclosure plan for everything the product shows: lib.sharing.joint with the product's own tables.

lib.sharing.joint plans the organisation, system / region / England and care-setting tables. The product also shows,
for fair comparisons, systems and England without their hosted regional services (lib.insight.peers); that cut is a
table of its own (system minus the cut = the hosted services' figures), so it is added here. Primary-care role
tables (issue 23) go in the same way: a TableProvider in EXTRA_TABLES. The app (ui.data) and the CLI
(`--disclosure-control`) both call viewer_plan, so they hide the same cells.

The plan is computed once per store identity and kept beside the canonical Parquet, in
`<store>/.disclosure_plan/<level>-<key>/` (written to a temporary directory, then renamed). The key is a hash of the
store's Parquet files' contents and of the code and geography the plan is built from, so a new extract (or a change
to the rule) computes a new plan and every replica, the app and the CLI read the same one. A store that cannot be
written (a read-only deployment) computes the plan in memory; a saved plan that cannot be read is computed again.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lib.data import footprint, geography, loader
from lib.insight import peers
from lib.insight.metrics import SOURCE_PRIORITY
from lib.sharing import disclosure, joint

NOHOST = "nohost"  # table kind: systems and England without hosted regional services


def hosted_free_tables(units: pd.DataFrame, footprints: Sequence[str]) -> pd.DataFrame:
    """(kind, footprint, setting, code, unit): each footprint's systems and England counting only organisations
    that are not hosted regional services (ui.inside.peer_parts' "without_hosted" metrics)."""
    org = units[units["org_code"] != ""]
    keep = org[~peers.is_hosted(org).to_numpy()]
    parts = []
    for key in footprints:
        for code in (keep[f"area_{key}"], pd.Series(joint.ENGLAND, index=keep.index)):
            parts.append(pd.DataFrame({"kind": NOHOST, "footprint": key, "setting": "", "code": code.to_numpy(),
                                       "unit": keep["unit"].to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["kind", "footprint", "setting", "code", "unit"])


EXTRA_TABLES: tuple[joint.TableProvider, ...] = (hosted_free_tables,)


PLAN_DIR = ".disclosure_plan"
# the code and data a plan is built from: a change to any of them makes a new key
_SOURCES = (Path(joint.__file__), Path(disclosure.__file__), Path(__file__), Path(peers.__file__),
            Path(footprint.__file__), Path(geography.__file__))


def plan_key(data_dir: str | Path, level: str) -> str:
    """The identity of a store's plan: its level, its Parquet files (path and content), the plan's code and the
    geography vintages. Not file times: a copied store keeps its plan, a re-ingested file with new figures does not."""
    h = hashlib.sha256(f"level={geography.store_level(level)}\n".encode())
    d = Path(data_dir)
    for rel, size, _mtime in loader.snapshot_id(d)[1]:
        if rel == "manifest.json":  # its ingest times change when nothing else does
            continue
        h.update(f"{rel}\0{size}\0".encode())
        h.update(hashlib.sha256((d / rel).read_bytes()).digest())
    vintages = Path(geography.__file__).parent / "vintages"
    for p in (*_SOURCES, *sorted(vintages.glob("*.csv"))):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:24]


def compute_plan(data_dir: str | Path, level: str) -> joint.Plan:
    """The hidden cells of every table a signed-in viewer can reach in the store, computed (lib.sharing.joint)."""
    return joint.store_plan(data_dir, level, extra_tables=EXTRA_TABLES, source_priority=SOURCE_PRIORITY)


def plan_path(data_dir: str | Path, level: str) -> Path:
    """Where the store's plan for this level is kept."""
    return Path(data_dir) / PLAN_DIR / f"{geography.store_level(level)}-{plan_key(data_dir, level)}"


def viewer_plan(data_dir: str | Path, level: str) -> joint.Plan:
    """The hidden cells of every table a signed-in viewer can reach in the store: the saved plan for the store's
    current files, or computed (compute_plan) and saved for the next caller. The app (ui.data) and the CLI call this."""
    target = plan_path(data_dir, level)
    if target.is_dir():
        try:
            return joint.load_plan(target)
        except ValueError:
            pass  # damaged: computed again below and replaced
    plan = compute_plan(data_dir, level)
    if plan_path(data_dir, level) == target:  # the files did not change while it was computed
        _save(plan, target)
    return plan


def _save(plan: joint.Plan, target: Path) -> None:
    """Write the plan atomically (temporary directory, then rename) and remove older plans of the level. A store
    that cannot be written keeps no copy: the plan was computed and is returned all the same."""
    try:
        target.parent.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    except OSError:
        return
    try:
        joint.save_plan(plan, tmp / "plan")
        if target.is_dir():  # damaged copy (load failed): replace it
            shutil.rmtree(target, ignore_errors=True)
        os.rename(tmp / "plan", target)
    except OSError:
        pass  # another process renamed its copy first (same key, same plan), or the disk refused: nothing to keep
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    level = target.name.rsplit("-", 1)[0]
    for old in target.parent.glob(f"{level}-*"):
        if old != target and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ applying it
def shown(m: pd.DataFrame, plan: joint.Plan, kind: str, key: str = "", setting: str = "") -> pd.DataFrame:
    """A table as a viewer sees it under disclosure control: the plan's hidden cells blanked (lib.sharing.joint.apply).
    kind "area" (systems, regions, England on geography key `key`), "org" (organisations), "care" (one care setting's
    systems on `key`) or NOHOST. The one routine the app (ui.data, ui.inside), the CLI, the board pack and the
    what-if baseline call, so each hides the same cells."""
    return joint.apply(m, plan, kind, "" if kind == "org" else key, setting)


def store_shown(data_dir: str | Path, key: str, m: pd.DataFrame, kind: str = "area", setting: str = "") -> pd.DataFrame:
    """`shown` with the store's own plan (viewer_plan: read from beside the store, computed on first need)."""
    return shown(m, viewer_plan(data_dir, key), kind, key, setting)


def bridge_disclosive(b, plan: joint.Plan | None, key: str, org: str | None = None) -> bool:
    """True when a staff-in-post bridge (lib.insight.bridge.Bridge) would show a hidden figure, so it is not shown: a
    count under the threshold, or a stock or flow the plan hides in the tables (lib.sharing.joint.bridge_hidden).
    plan None: only the threshold is checked (a bridge drawn from figures outside any store's tables)."""
    counts = b.table[b.table["kind"] != "residual"]["value"].abs()
    if bool((counts < disclosure.THRESHOLD).any()):
        return True
    if plan is None:
        return False
    kind, code = ("org", org) if org else ("area", b.area_code)
    return joint.bridge_hidden(plan, kind, key, code, b.start_month, b.end_month, b.staff_group)


def page_metrics(data_dir: str | Path, key: str, periods: Sequence[str] | None = None, basis: str = "fte",
                 plan: joint.Plan | None = None) -> pd.DataFrame:
    """The metrics frame the pages show (ui.data.metrics) and the board pack prints: every staff group, region and
    England on geography key `key`; vacancy rates only where figures cover the staff in post; with `plan` (disclosure
    control on) the plan's hidden cells blanked."""
    from lib.insight.coverage import covered_metrics
    from lib.insight.metrics import store_metrics
    m = store_metrics(data_dir, key, list(periods) if periods is not None else None, by_staff_group=True,
                      basis=basis, include_england=True, include_regions=True)
    m = covered_metrics(data_dir, key, m)
    return m if plan is None else shown(m, plan, "area", key)


# ------------------------------------------------------------------------------- primary care network tables
# The PCN tables' plan (lib.sharing.pcn_joint): quarters share no cell, so each quarter's plan is computed and kept
# on its own, in `<store>/.disclosure_plan/pcn-<YYYY-MM>-<key>/`, keyed on that quarter's PCN Parquet files and the
# code and geography it is built from: a new quarter computes its own plan only, a re-ingested quarter a new one.
PCN_PREFIX = "pcn"


def _pcn_sources() -> tuple[Path, ...]:
    from lib.data import pcn_store
    from lib.sharing import pcn_joint
    return (*_SOURCES, Path(pcn_joint.__file__), Path(pcn_store.__file__), pcn_store.SUB_ICB_2026)


def pcn_plan_key(data_dir: str | Path, period: str) -> str:
    """The identity of one quarter's PCN plan: that quarter's PCN Parquet files (path and content), the plan's code,
    the sub-ICB successor table and the geography vintages."""
    from lib.data import pcn_store
    h = hashlib.sha256(f"pcn={period}\n".encode())
    folder = Path(data_dir) / "pcn" / f"level={pcn_store.LEVEL}" / f"period={period}"
    for p in sorted(folder.glob("*.parquet")):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    vintages = Path(geography.__file__).parent / "vintages"
    for p in (*_pcn_sources(), *sorted(vintages.glob("*.csv"))):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:24]


def pcn_plan_path(data_dir: str | Path, period: str) -> Path:
    return Path(data_dir) / PLAN_DIR / f"{PCN_PREFIX}-{period}-{pcn_plan_key(data_dir, period)}"


def compute_pcn_plan(data_dir: str | Path, period: str) -> joint.Plan:
    """One quarter's PCN plan, computed (lib.sharing.pcn_joint) on every footprint the PCN tables are offered on."""
    from lib.data import pcn_store
    from lib.sharing import pcn_joint
    rows = pcn_store.load(data_dir, [period])
    keys = [v.key for v in geography.level_vintages(pcn_store.LEVEL)]
    return pcn_joint.plan({k: pcn_store.on_footprint(rows, k) for k in keys})


def pcn_viewer_plan(data_dir: str | Path, periods: Sequence[str] | None = None) -> joint.Plan:
    """The hidden cells of every PCN table a viewer can reach for these quarters (default every quarter loaded):
    each quarter's saved plan, or computed (compute_pcn_plan) and saved for the next caller. The PCN page
    (ui.pcn_view), the board pack and `python -m lib roles --disclosure-control` call this."""
    from lib.data import pcn_store
    from lib.sharing import pcn_joint
    plans = []
    for period in sorted(pcn_store.periods(data_dir) if periods is None else set(periods)):
        target = pcn_plan_path(data_dir, period)
        plan = None
        if target.is_dir():
            try:
                plan = joint.load_plan(target)
            except ValueError:
                plan = None  # damaged: computed again and replaced
        if plan is None:
            plan = compute_pcn_plan(data_dir, period)
            if pcn_plan_path(data_dir, period) == target:
                _save(plan, target)
        plans.append(plan)
    return pcn_joint.combine(plans, tuple(v.key for v in geography.level_vintages(pcn_store.LEVEL)))
