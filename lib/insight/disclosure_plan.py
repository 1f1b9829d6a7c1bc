"""The disclosure plan for everything the product shows: lib.sharing.joint with the product's own tables.

lib.sharing.joint plans the organisation, system / region / England and care-setting tables. The product also shows,
for fair comparisons, systems and England without their hosted regional services (lib.insight.peers); that cut is a
table of its own (system minus the cut = the hosted services' figures), so it is added here. Primary-care role
tables (issue 23) go in the same way: a TableProvider in EXTRA_TABLES. The app (ui.data) and the CLI
(`--disclosure-control`) both call viewer_plan, so they hide the same cells.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lib.insight import peers
from lib.insight.metrics import SOURCE_PRIORITY
from lib.sharing import joint

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


def viewer_plan(data_dir: str | Path, level: str) -> joint.Plan:
    """The hidden cells of every table a signed-in viewer can reach in the store (lib.sharing.joint.store_plan)."""
    return joint.store_plan(data_dir, level, extra_tables=EXTRA_TABLES, source_priority=SOURCE_PRIORITY)
