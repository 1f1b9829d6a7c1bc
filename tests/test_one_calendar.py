"""Issue 21: one calendar. Comparisons name both months and their distance, a change of zero has no arrow or
colour, missing months break every line, and the systems are counted from the footprint. Real files: Nov-25 and
the May-26 file made from it (tests/may26.py); the demo store for the 2022 count."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from lib.insight import calendar
from tests.conftest import open_app_page

GAP = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]


def test_comparison_names_both_months_and_their_distance():
    assert calendar.comparison_text("2026-05", "2025-11") == "May 2026 against Nov 2025, 6 months earlier"
    assert calendar.comparison_text("2025-11", "2025-10") == "Nov 2025 against Oct 2025, the month before"
    assert calendar.comparison_text("2025-11", None) is None
    assert calendar.months_apart("2024-11", "2025-03") == 4
    cap = calendar.comparison_caption("2026-05", "2025-11", None)
    assert "May 2026 against Nov 2025, 6 months earlier" in cap and "May 2025" in cap and "not loaded" in cap
    cap = calendar.comparison_caption("2026-05", "2026-04", "2025-05")
    assert cap == "Change shown: May 2026 against Apr 2026, the month before."


def test_no_change_has_no_arrow_and_no_colour():
    assert calendar.change_text(0.0, "count") == "no change"
    assert calendar.change_text(0.4, "count") == "no change"          # prints as 0
    assert calendar.change_text(0.00004, "rate") == "no change"       # 0.004 points prints as 0.00
    assert calendar.change_text(-2.0, "count") == "-2"
    assert calendar.change_text(0.0012, "rate") == "+0.12 pts"
    assert calendar.delta_kwargs(0.0, "count", "normal") == {"delta_color": "off", "delta_arrow": "off"}
    assert calendar.delta_kwargs(3.0, "count", "inverse") == {"delta_color": "inverse", "delta_arrow": "auto"}


def test_missing_months_become_rows_without_values():
    df = pd.DataFrame({"period": ["2025-10", "2025-11", "2026-05", "2026-05"], "series": ["A", "A", "A", "B"],
                       "value": [1.0, 2.0, 3.0, 4.0]})
    out = calendar.with_month_gaps(df, ["series"])
    a = out[out["series"] == "A"]
    assert list(a["period"]) == ["2025-10", "2025-11", *GAP, "2026-05"]
    assert a["value"].isna().sum() == 5 and list(a["value"].dropna()) == [1.0, 2.0, 3.0]
    assert list(out.loc[out["series"] == "B", "period"]) == ["2026-05"]     # one month: nothing to break
    same = calendar.with_month_gaps(df[df["period"] != "2026-05"], ["series"])
    assert len(same) == 2                                                    # no gap: unchanged
    assert calendar.gap_text(df["period"]).startswith("No figures are loaded for Dec 2025 to Apr 2026")


# ------------------------------------------------------------------------------------------------ pages
@pytest.fixture
def store26(real_store26, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store26))
    return real_store26


def _datasets(at) -> dict[str, pd.DataFrame]:
    out = {}
    for e in at.get("vega_lite_chart"):
        for d in e.proto.datasets:
            out.setdefault(d.name, []).append(pa.ipc.open_stream(d.data.data).read_all().to_pandas())
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("caption", "markdown", "subheader", "info", "warning")
                     for e in getattr(at, kind))


def test_headlines_name_the_months_and_count_the_footprints_systems(store26):
    at = open_app_page("views/home.py", {})
    t = _texts(at)
    assert "May 2026 against Nov 2025, 6 months earlier" in t
    assert "Change shown against the previous month" not in t
    assert "All 36 systems" in [s.value for s in at.subheader]
    # the May-26 file holds Nov-25's figures: England's changes are zero, shown as words with no arrow or colour
    deltas = [(m.proto.delta, m.proto.direction, m.proto.color) for m in at.metric if m.proto.delta]
    assert deltas and all(d == "no change" for d, _, _ in deltas), deltas
    assert all(direction == 2 and colour == 2 for _, direction, colour in deltas), deltas   # NONE, GRAY
    at = open_app_page("views/home.py", {"footprint": "2022"})
    assert "All 42 systems" in [s.value for s in at.subheader]


def test_headlines_on_the_demo_count_42_and_offer_the_year_earlier(monkeypatch):
    monkeypatch.delenv("WORKFORCE_DATA_DIR", raising=False)
    at = open_app_page("views/home.py", {})
    assert "All 42 systems" in [s.value for s in at.subheader]
    t = _texts(at)
    # the demo's months run consecutively: the month before, and the same month a year earlier with its changes
    assert "against" in t and "the month before" in t
    assert "12 months earlier: Staff in post (FTE) " in t


def test_trend_lines_break_at_missing_months(store26):
    at = open_app_page("views/turnover.py", {"area": "ENG"})
    lines = _datasets(at)["lines"]
    months = lines["month"].str[:7]
    for m in GAP:   # every missing month is a row without a value, so no line joins Nov 2025 to May 2026
        assert (months == m).any(), m
        assert lines.loc[months == m, "value"].isna().all()
    assert lines.loc[months == "2026-05", "value"].notna().all()


def test_profile_arrows_name_both_months(store26):
    at = open_app_page("views/profile.py", {"area": "S0E4D"})
    t = _texts(at)
    assert "Arrows: May 2026 against Nov 2025, 6 months earlier" in t
    assert "(previous month)" not in t
    rows = _datasets(at)["trends"]
    assert rows.loc[rows["month"].str[:7].isin(GAP), "value"].isna().all() and rows["month"].str[:7].isin(GAP).any()
