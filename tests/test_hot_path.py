"""Compute only what is shown (issue 16): the SPC inside a collapsed expander is not built, opening it builds it;
chart rows cached as Arrow bytes reach the PNG/SVG download unchanged."""
from __future__ import annotations

import pandas as pd

from tests.conftest import open_app_page


def spc_specs(at) -> list[str]:
    return [e.proto.spec for e in at.get("vega_lite_chart") if '"Upper limit"' in e.proto.spec]


def test_turnover_spc_built_only_when_its_expander_is_open():
    at = open_app_page("pages/turnover.py", {"area": "QKK", "group": "Midwives"})
    assert spc_specs(at) == []  # collapsed: nothing built or sent
    at.session_state["turnover_spc_open"] = True  # the expander's own state (key), as a click sets it
    at.run()
    assert not at.exception
    specs = spc_specs(at)
    assert len(specs) == 1 and "Midwives" in specs[0]


def test_cached_chart_rows_round_trip_to_the_download_spec():
    """A chart cached with its rows as Arrow bytes (trend_charts.frozen) gives the PNG/SVG renderer the same rows."""
    from ui import trend_charts
    series = pd.DataFrame({"period": ["2025-10", "2025-11", "2025-10", "2025-11"], "area_code": ["QKK"] * 2 + ["ENG"] * 2,
                           "series": ["South East London"] * 2 + ["England"] * 2, "role": ["System"] * 2 + ["England"] * 2,
                           "measure": ["Leaver rate"] * 4, "value": [0.011, float("nan"), 0.009, 0.0095]})
    spec = trend_charts.trend_chart(series, "Leaver rate", selected="2025-11")
    frozen = trend_charts.frozen(spec)
    assert all(isinstance(v, bytes) for v in frozen["datasets"].values())
    assert trend_charts._json_ready(frozen) == trend_charts._json_ready(spec)
    rows = trend_charts._json_ready(frozen)["datasets"]["lines"]
    assert [r["value"] for r in rows] == [0.011, 0.009, 0.0095]  # the blank month is left out, not drawn as 0
    assert trend_charts._json_ready(frozen)["datasets"]["selected"] == [{"month": "2025-11-01T00:00:00",
                                                                        "label": "Chosen period"}]
