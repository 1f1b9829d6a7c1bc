"""Chart axes that read right with 1, 2 or 3 months as well as with years of them.

Vega picks "nice" ticks on its own: between two months it draws eight ticks all labelled "Oct 2025", and a
".1%" axis over rates from 0.88% to 0.95% labels every tick "0.9%". These helpers give the chart builders
(ui/trend_charts.py, views/profile.py) one tick per loaded month when there are few months, and enough decimal
places that neighbouring percentage ticks differ.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

FEW_MONTHS = 12     # up to this many months: one labelled tick per loaded month
PERCENT_TICKS = 5   # the percentage axes ask Vega for about this many ticks


def month_ticks(periods: Iterable[str]) -> list[dict] | None:
    """Vega-Lite DateTime tick values, one per loaded month ('YYYY-MM'), when there are at most FEW_MONTHS;
    None (Vega's own ticks) for longer series. Local-time DateTimes match how Vega parses the month field."""
    ps = sorted({str(p)[:7] for p in periods if p is not None and str(p) != "nan"})
    if not ps or len(ps) > FEW_MONTHS:
        return None
    return [{"year": int(p[:4]), "month": int(p[5:7]), "date": 1} for p in ps]


def percent_format(values: Iterable[float], ticks: int = PERCENT_TICKS) -> str:
    """d3 format for a percentage axis (values are fractions) with enough decimals that ticks differ:
    0.88%-0.95% -> '.2%'; 5%-12% -> '.0%'; one value -> two decimals. Never more than 3 decimals."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ".1%"
    span_pts = 100 * float(v.max() - v.min())
    if span_pts == 0:
        return ".2%"
    step = span_pts / ticks
    decimals = max(0, math.ceil(-math.log10(step)))
    return f".{min(decimals, 3)}%"


def number_format(values: Iterable[float], ticks: int = PERCENT_TICKS) -> str:
    """d3 format for a count or index axis: whole numbers unless the values span too little for them to differ
    (an index from 100.0 to 100.3 over two months is not labelled '100 100 100')."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2 or v.max() == v.min():
        return ",.0f"
    step = float(v.max() - v.min()) / ticks
    return f",.{min(max(0, math.ceil(-math.log10(step))), 2)}f"
