"""System profile's fixed chart specs (ui/profile_view.py, issue 16): rows by hand, and every spec renders to the
same picture a reader downloads, with the system's name coming from the rows."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from lib.data import loader
from lib.insight import axes, map_data as im
from lib.insight.metrics import area_metrics
from ui import charts, profile_view, trend_charts


@pytest.fixture(scope="module")
def demo_metrics() -> pd.DataFrame:
    frame = loader.load_area_frame(loader.DEMO_DATA_DIR, "ICS")
    return area_metrics(frame, by_staff_group=True, include_england=True, include_regions=True)


def test_bridge_rows_cut_the_totals_at_the_floor_by_hand():
    """Start 1,000; 50 leavers; 60 joiners; residual +5; end 1,015. The axis floor (as ui.inside.waterfall_chart):
    smallest running total 950 - 1.5 x the largest step (60) = 860; the totals' bars start there, the steps float."""
    table = pd.DataFrame({"label": ["Start", "Leavers", "Joiners", "Residual", "End"],
                          "value": [1000.0, -50.0, 60.0, 5.0, 1015.0],
                          "cumulative": [1000.0, 950.0, 1010.0, 1015.0, 1015.0],
                          "kind": ["total", "decrease", "increase", "residual", "total"]})
    rows = profile_view.bridge_rows(table)
    assert list(rows["low"]) == [860.0, 950.0, 950.0, 1010.0, 860.0]
    assert list(rows["high"]) == [1000.0, 1000.0, 1010.0, 1015.0, 1015.0]
    assert list(rows["Kind"]) == ["Staff in post", "Leavers / fall", "Joiners / rise",
                                  "Other changes: hours, regrading (not a published flow)", "Staff in post"]
    assert list(rows["order"]) == [0, 1, 2, 3, 4]


def test_trend_rows_order_the_system_its_region_and_england(demo_metrics):
    tr = im.trends(demo_metrics, "QKK", "All staff groups")
    rows = profile_view.trends_rows(tr)
    order = dict(zip(rows["series"], rows["order"]))
    assert order == {"South East London": 0, "London": 1, "England": 2}
    assert rows["month"].iloc[0].endswith("-01T00:00:00") and len(rows) == len(tr)


def _svg(spec: dict, title: str) -> str:
    s = charts.export_spec(trend_charts._json_ready(trend_charts.frozen(spec)), title, None, "Nov 2025", False)
    return charts._render(json.dumps(s), "svg").decode()


def test_fixed_specs_render_with_the_names_from_the_rows(demo_metrics):
    """The downloaded pictures of the trends grid and the role mix: the legend names the system and its region
    (from the rows, not the spec), every panel is there, and the export title names the selection."""
    periods = sorted(demo_metrics["period"].unique())
    tr = im.trends(demo_metrics, "QKK", "Midwives")
    spec = {**profile_view.trends_spec(("fte", "leaver_rate", "joiner_rate", "vacancy_rate"),
                                       axes.month_ticks(periods)), "datasets": {"trends": profile_view.trends_rows(tr)}}
    svg = _svg(spec, "Trends: South East London (QKK), Midwives")
    for text in ("South East London", "London", "England", "Leaver rate", "Vacancy rate",
                 "Trends: South East London (QKK), Midwives"):
        assert text in svg, text
    rm = im.role_mix(demo_metrics, "QKK", periods[-1])
    svg = _svg({**profile_view.mix_spec(), "datasets": {"mix": profile_view.mix_rows(rm, "South East London")}},
               "Role mix: South East London (QKK)")
    assert "South East London" in svg and "Nurses &amp; health visitors" in svg and "Share of FTE" in svg
