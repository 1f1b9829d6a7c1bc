"""Issue 25: Headlines says how the systems compare without drawing the table of every system (the table and its
downloads come on request). The leaver-rate range is built in lib.insight.headlines from the same table, from shown
cells only (disclosure control: a suppressed rate is never a low or a high, and never 0)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib.data import geography
from lib.insight import disclosure_plan as dp
from lib.insight import headlines

PERIOD = "2025-11"


def _table(rows: list[tuple[str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"Code": [f"Q{i:02d}" for i in range(len(rows))], "System": [r[0] for r in rows],
                         "Leaver rate": [r[1] for r in rows]})


def test_range_hand_made_case_skips_suppressed_and_breaks_ties_by_name():
    # hand-computed: shown rates 0.0062 (Bravo, and Alpha tied at the top 0.0145), NaN for Charlie (suppressed: it
    # would be the lowest if read as 0), so low 0.62% Bravo, high 1.45% Alpha (first by name of the tie)
    t = _table([("Delta ICB", 0.0145), ("Charlie ICB", np.nan), ("Bravo ICB", 0.0062), ("Alpha ICB", 0.0145),
                ("Echo ICB", 0.01)])
    r = headlines.leaver_rate_range(t)
    assert (r.low, r.low_system, r.high, r.high_system, r.shown, r.total) == (
        0.0062, "Bravo ICB", 0.0145, "Alpha ICB", 4, 5)
    assert headlines.leaver_rate_range_line(t) == (
        "Leaver rate this month ranges from 0.62% (Bravo ICB) to 1.45% (Alpha ICB) across the 4 of 5 systems whose "
        "rate is shown (the rest are suppressed or unknown).")
    full = t[t["Leaver rate"].notna()]
    assert headlines.leaver_rate_range_line(full, name=str.upper) == (
        "Leaver rate this month ranges from 0.62% (BRAVO ICB) to 1.45% (ALPHA ICB) across 4 systems.")


def test_range_with_one_or_no_shown_rate():
    assert headlines.leaver_rate_range(_table([("A", np.nan), ("B", np.nan)])) is None
    assert headlines.leaver_rate_range_line(_table([("A", np.nan), ("B", np.nan)])) is None
    assert headlines.leaver_rate_range_line(_table([("A", np.nan), ("B", 0.011)])) == (
        "Leaver rate this month: 1.10% (B), the only system of 2 whose rate is shown.")


@pytest.fixture(scope="module")
def controlled(real_store):
    return dp.page_metrics(real_store, "ICS", plan=dp.viewer_plan(real_store, "ICS"))


def test_range_on_the_real_store_matches_the_published_counts(real_store, controlled):
    """Real Oct/Nov-25 files: the line's low and high are the systems whose leavers / mean staff in post (computed
    here from the published counts, not from the rate column) are lowest and highest, over shown cells only."""
    table = headlines.system_table(controlled, PERIOD)
    assert len(table) == len(geography.area_codes("ICS")) == 42
    m = controlled[(controlled["period"] == PERIOD) & (controlled["staff_group"] == headlines.ALL_STAFF)
                   & controlled["area_code"].isin(geography.area_codes("ICS"))]
    own = (m["leavers_fte"] / ((m["sip_start_fte"] + m["fte"]) / 2)).where(m["leaver_rate"].notna())
    own.index = m["area_name"]
    own = own.dropna()
    r = headlines.leaver_rate_range(table)
    assert r.shown == len(own) and r.total == 42
    assert r.low == pytest.approx(own.min(), rel=1e-12) and r.low_system == own.idxmin()
    assert r.high == pytest.approx(own.max(), rel=1e-12) and r.high_system == own.idxmax()
    assert 0.003 < r.low < r.high < 0.03   # monthly leaver rates of whole systems: well under 3%
    line = headlines.leaver_rate_range_line(table)
    assert line.startswith(f"Leaver rate this month ranges from {100 * own.min():.2f}% ({own.idxmin()}) to "
                           f"{100 * own.max():.2f}% ({own.idxmax()}) across ")


def test_range_on_the_real_store_never_uses_a_hidden_cell(controlled):
    """Hide the real lowest and highest systems' rates as disclosure control would (NaN): the range moves to the
    next shown systems and says how many it covers."""
    table = headlines.system_table(controlled, PERIOD)
    r = headlines.leaver_rate_range(table)
    hidden = table.copy()
    hidden.loc[hidden["System"].isin([r.low_system, r.high_system]), "Leaver rate"] = np.nan
    rest = table[~table["System"].isin([r.low_system, r.high_system])].dropna(subset=["Leaver rate"])
    h = headlines.leaver_rate_range(hidden)
    assert (h.low, h.high, h.shown, h.total) == (rest["Leaver rate"].min(), rest["Leaver rate"].max(), len(rest), 42)
    assert r.low_system not in headlines.leaver_rate_range_line(hidden)
    assert "whose rate is shown" in headlines.leaver_rate_range_line(hidden)
