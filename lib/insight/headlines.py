"""Headline figures and the per-system table shown on the first page (computed here, drawn by pages)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.data import geography
from lib.insight import calendar
from lib.insight.metrics import DEFINITIONS
from lib.data.schema import ALL_STAFF

COMPARISON_NOTE = ("At system level leavers are summed over organisations, so moves between organisations "
                   "inside a system count; England figures are sums over systems.")


@dataclass(frozen=True)
class Figure:
    label: str
    value: float | None
    value_text: str
    delta_text: str | None
    delta_color: str  # "normal" (up is good), "inverse" (up is bad), "off"
    help: str
    change: float | None = None

    @property
    def delta_kwargs(self) -> dict:
        """st.metric delta_color and delta_arrow: no arrow and no colour when nothing changed (lib.insight.calendar)."""
        kind = "rate" if self.value_text.endswith("%") else "count"
        return calendar.delta_kwargs(self.change, kind, self.delta_color)


def _row(m: pd.DataFrame, area: str, period: str | None, group: str = ALL_STAFF) -> pd.Series | None:
    if period is None:
        return None
    r = m[(m["area_code"] == area) & (m["period"] == period) & (m["staff_group"] == group)]
    return None if r.empty else r.iloc[0]


def _fmt(x, kind: str) -> str:
    if x is None or pd.isna(x):
        return "n/a"  # short: a metric tile shows about 7 characters; the page says why beneath
    return f"{100 * x:.2f}%" if kind == "rate" else f"{x:,.0f}"


def _change(cur, prev) -> float | None:
    if cur is None or prev is None or pd.isna(cur) or pd.isna(prev):
        return None
    return float(cur - prev)


def _delta(cur, prev, kind: str) -> str | None:
    return calendar.change_text(_change(cur, prev), kind)   # "no change" when it rounds to zero


def headline_figures(m: pd.DataFrame, area: str, period: str, previous: str | None, year_ago: str | None,
                     group: str = ALL_STAFF) -> list[Figure]:
    cur, prev = _row(m, area, period, group), _row(m, area, previous, group)
    specs = [("Staff in post (FTE)", "fte", "count", "normal"),
             ("Headcount", "headcount", "count", "normal"),
             ("Leaver rate (month)", "leaver_rate", "rate", "inverse"),
             ("Joiner rate (month)", "joiner_rate", "rate", "normal"),
             ("Vacancy rate", "vacancy_rate", "rate", "inverse")]
    out = []
    for label, col, kind, color in specs:
        v = None if cur is None else cur[col]
        p = None if prev is None else prev[col]
        out.append(Figure(label, None if v is None or pd.isna(v) else float(v), _fmt(v, kind),
                          _delta(v, p, kind), color, DEFINITIONS.get(col, ""), _change(v, p)))
    return out


def year_change_line(m: pd.DataFrame, area: str, period: str, year_ago: str | None,
                     group: str = ALL_STAFF) -> str | None:
    """'Against May 2025, 12 months earlier: Staff in post (FTE) +1,234; ...' when the same month a year earlier is
    loaded (None otherwise): the comparison that is free of seasonal intakes."""
    if year_ago is None:
        return None
    figs = headline_figures(m, area, period, year_ago, None, group)
    parts = [f"{f.label} {f.delta_text}" for f in figs if f.delta_text]
    if not parts:
        return None
    return f"Against {calendar.comparison_text(period, year_ago).split(' against ', 1)[1]}: " + "; ".join(parts) + "."


def systems_heading(level: str) -> str:
    """'All 36 systems': the systems of the footprint shown (not every code its level has ever had)."""
    return f"All {len(geography.area_codes(level))} systems"


def system_table(m: pd.DataFrame, period: str, group: str = ALL_STAFF) -> pd.DataFrame:
    """One row per system for a period and staff group, with the user-facing column names."""
    level = m["level"].iloc[0] if len(m) else "ICS"
    areas = geography.area_codes(level)
    t = m[(m["period"] == period) & (m["staff_group"] == group) & (m["area_code"].isin(areas))].copy()
    t["Region"] = t["region_code"].map(geography.REGIONS)
    t = t.rename(columns={"area_code": "Code", "area_name": "System", "fte": "FTE", "headcount": "Headcount",
                          "leaver_rate": "Leaver rate", "joiner_rate": "Joiner rate", "vacancy_fte": "Vacancy FTE",
                          "vacancy_rate": "Vacancy rate", "leavers_fte": "Leavers FTE", "joiners_fte": "Joiners FTE"})
    cols = ["Code", "System", "Region", "FTE", "Headcount", "Leavers FTE", "Joiners FTE", "Leaver rate",
            "Joiner rate", "Vacancy FTE", "Vacancy rate"]
    return t[cols].sort_values("System", ignore_index=True)


@dataclass(frozen=True)
class RateRange:
    """The lowest and highest shown leaver rates among the systems of one month (ties: the first by name)."""
    low: float
    low_system: str
    high: float
    high_system: str
    shown: int   # systems whose leaver rate is shown (not suppressed or unknown)
    total: int   # systems in the table


def leaver_rate_range(table: pd.DataFrame) -> RateRange | None:
    """The range of leaver rates across `system_table`'s rows, from shown cells only: a suppressed or unknown rate
    (NaN after disclosure control) is never a low or a high, and is never read as 0. None when no rate is shown."""
    shown = table[table["Leaver rate"].notna()].sort_values("System", kind="stable")
    if shown.empty:
        return None
    rates = shown["Leaver rate"].astype(float)
    lo, hi = shown.loc[rates.idxmin()], shown.loc[rates.idxmax()]
    return RateRange(float(lo["Leaver rate"]), str(lo["System"]), float(hi["Leaver rate"]), str(hi["System"]),
                     len(shown), len(table))


def leaver_rate_range_line(table: pd.DataFrame, name=str) -> str | None:
    """'Leaver rate this month ranges from 0.62% (X ICB) to 1.45% (Y ICB) across 42 systems.': how the systems
    compare without opening the table. `name` formats a system's name for where the line is shown (the page escapes
    markdown). Suppressed rates are left out and the line says how many systems it covers."""
    r = leaver_rate_range(table)
    if r is None:
        return None
    across = (f"across {r.total} systems" if r.shown == r.total
              else f"across the {r.shown} of {r.total} systems whose rate is shown (the rest are suppressed or unknown)")
    if r.shown == 1:
        return f"Leaver rate this month: {_fmt(r.low, 'rate')} ({name(r.low_system)}), the only system of {r.total} " \
               f"whose rate is shown."
    return (f"Leaver rate this month ranges from {_fmt(r.low, 'rate')} ({name(r.low_system)}) to "
            f"{_fmt(r.high, 'rate')} ({name(r.high_system)}) {across}.")
