"""The April 2026 geography change is marked on every trend: SPC charts and the role-mix small multiples too
(trend and flows charts are covered in tests/test_page_footprint.py). Hand-made series spanning the change."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from lib.data.schema import month_range
from lib.stats import spc
from ui import stats_charts, trend_charts


def _spc_frame(periods: list[str]) -> pd.DataFrame:
    values = np.linspace(0.008, 0.010, len(periods))
    out = spc.spc(values, dates=pd.to_datetime([p + "-01" for p in periods]))
    out["period"] = periods
    return out


def _rules(spec: dict) -> list[dict]:
    from tests.conftest import spec_nodes
    return spec_nodes(spec, lambda node: isinstance(node.get("mark"), dict) and node["mark"].get("type") == "rule"
                      and node["mark"].get("strokeDash") == [4, 4])


def test_spc_chart_marks_april_2026_only_when_it_is_inside_the_months():
    across = stats_charts.spc_chart(_spc_frame(month_range("2025-06", "2026-09")), "t", measure="leaver_rate")
    spec = across.to_dict()
    rules = _rules(spec)
    assert len(rules) == 1
    data = json.dumps(spec["datasets"])
    assert "2026-04-01" in data and "ICBs of April 2026 (36)" in data
    before = stats_charts.spc_chart(_spc_frame(month_range("2024-01", "2025-12")), "t", measure="leaver_rate")
    assert _rules(before.to_dict()) == []


def test_role_mix_small_multiples_mark_the_change_in_every_panel():
    periods = month_range("2026-01", "2026-06")
    rows = [{"period": p, "staff_group": g, "series": s, "role": r, "share": 0.3}
            for p in periods for g in ("Nurses & health visitors", "Midwives")
            for s, r in (("Leeds", "System"), ("England", "England"))]
    chart = trend_charts.mix_small_multiples(pd.DataFrame(rows), ["Nurses & health visitors", "Midwives"])
    spec = chart.to_dict()
    rules = _rules(spec)
    assert len(rules) == 1  # one layer, drawn in each facet panel
    assert rules[0]["transform"] == [{"filter": {"field": "period", "oneOf": ["2026-04"]}}]
    early = [{**r, "period": p} for r in rows[:4] for p in month_range("2025-01", "2025-06")]
    assert _rules(trend_charts.mix_small_multiples(pd.DataFrame(early), ["Nurses & health visitors"]).to_dict()) == []
