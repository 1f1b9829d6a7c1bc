"""One calendar for every page: which months a comparison sets side by side and how far apart they are, and time
series with their missing months kept as gaps.

* A comparison names both months and their distance ("May 2026 against Nov 2025, 6 months earlier"): the "previous
  loaded month" may be half a year back when months are missing, and a reader must not take it for last month.
* A line is never drawn across a missing month: `with_month_gaps` adds a row with no value for every month missing
  inside a series, and Vega-Lite breaks a line at a missing value (its default for line marks).
* No change is no change: `change_text` says "no change" for a change that rounds to zero, and `delta_kwargs` gives
  st.metric no arrow and no colour for it.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lib.data.schema import month_add, period_label


def months_apart(earlier: str, later: str) -> int:
    """Whole months from `earlier` to `later` ('YYYY-MM'): 2025-11 -> 2026-05 is 6."""
    return (int(later[:4]) - int(earlier[:4])) * 12 + int(later[5:7]) - int(earlier[5:7])


def distance_text(earlier: str, later: str) -> str:
    """'the month before', '6 months earlier', '12 months earlier'."""
    n = months_apart(earlier, later)
    return "the month before" if n == 1 else f"{n} months earlier" if n > 0 else f"{-n} months later"


def comparison_text(period: str, other: str | None) -> str | None:
    """'May 2026 against Nov 2025, 6 months earlier' (None when there is nothing to compare with)."""
    if other is None:
        return None
    return f"{period_label(period)} against {period_label(other)}, {distance_text(other, period)}"


def previous_loaded(periods: Sequence[str], period: str) -> str | None:
    """The latest loaded month before `period` (however far back)."""
    earlier = [p for p in periods if p < period]
    return max(earlier) if earlier else None


def year_earlier(periods: Sequence[str], period: str) -> str | None:
    """The same month a year earlier, when it is loaded."""
    p = month_add(period, -12)
    return p if p in set(periods) else None


def comparison_caption(period: str, previous: str | None, year_ago: str | None) -> str:
    """The sentence under figures that show a change: both months, their distance, and the year-earlier month."""
    if previous is None:
        return "No earlier month is loaded, so no change is shown."
    out = f"Change shown: {comparison_text(period, previous)}."
    if year_ago is None:
        out += f" The same month a year earlier ({period_label(month_add(period, -12))}) is not loaded."
    return out   # when it is loaded, the page offers the change since then (headlines.year_change_line)


def is_no_change(d: float | None, kind: str) -> bool:
    """A change that shows as zero at the precision it is printed with (rates: 0.01 points; counts: 1)."""
    if d is None or pd.isna(d):
        return False
    return round(100 * d, 2) == 0 if kind == "rate" else round(d) == 0


def change_text(d: float | None, kind: str) -> str | None:
    """'+0.12 pts', '-1,234', 'no change' (None when there is nothing to compare)."""
    if d is None or pd.isna(d):
        return None
    if is_no_change(d, kind):
        return "no change"
    return f"{100 * d:+.2f} pts" if kind == "rate" else f"{d:+,.0f}"


def delta_kwargs(d: float | None, kind: str, colour: str) -> dict:
    """st.metric's delta_color / delta_arrow for a change: no arrow and no colour when there is no change."""
    if d is None or pd.isna(d) or is_no_change(d, kind):
        return {"delta_color": "off", "delta_arrow": "off"}
    return {"delta_color": colour, "delta_arrow": "auto"}


def missing_months(periods: Sequence[str]) -> list[str]:
    """Months missing between the first and last of `periods`."""
    ps = sorted({str(p)[:7] for p in periods if isinstance(p, str) and p})
    if len(ps) < 2:
        return []
    have, out, p = set(ps), [], ps[0]
    while p < ps[-1]:
        if p not in have:
            out.append(p)
        p = month_add(p, 1)
    return out


def gap_text(periods: Sequence[str]) -> str | None:
    """'No figures for Dec 2025 to Apr 2026: the lines break there.' (None without gaps)."""
    gone = missing_months(periods)
    if not gone:
        return None
    runs: list[list[str]] = []
    for p in gone:
        if runs and month_add(runs[-1][-1], 1) == p:
            runs[-1].append(p)
        else:
            runs.append([p])
    parts = [period_label(r[0]) if len(r) == 1 else f"{period_label(r[0])} to {period_label(r[-1])}" for r in runs]
    return f"No figures are loaded for {', '.join(parts)}: the lines break there rather than join across."


def with_month_gaps(df: pd.DataFrame, by: Sequence[str] = (), period: str = "period") -> pd.DataFrame:
    """`df` plus one row per month missing inside each series (`by` columns name a series), with every other column
    empty, so a line drawn from it breaks at the gap. Rows come back in series then month order; months are
    'YYYY-MM' text in `period`. A series of one month, or without gaps, is unchanged."""
    if df.empty:
        return df
    keys = list(by)
    months = df[period].astype(str)
    gaps = missing_months(months)
    if not gaps:
        return df
    extra = []
    groups = df.groupby(keys, sort=False, dropna=False) if keys else [((), df)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        have = g[period].astype(str)
        lo, hi = have.min(), have.max()
        todo = [p for p in missing_months(have) if lo < p < hi]
        if todo:
            extra.append(pd.DataFrame({period: todo, **{k: [v] * len(todo) for k, v in zip(keys, key)}}))
    if not extra:
        return df
    add = pd.concat(extra, ignore_index=True)
    for c in df.columns:
        if c not in add:
            add[c] = np.nan if pd.api.types.is_numeric_dtype(df[c]) else None
    out = pd.concat([df, add[df.columns].astype({c: df[c].dtype for c in df.columns
                                                 if pd.api.types.is_numeric_dtype(df[c])}, errors="ignore")],
                    ignore_index=True)
    return out.sort_values([*keys, period], kind="stable", ignore_index=True)


def own_date_text(what: str, month: str, period: str) -> str | None:
    """For figures published for their own months (sickness absence, vacancies): 'Sickness absence figures are for
    Mar 2025, 14 months before May 2026 chosen in the sidebar.' None when they are of the chosen month."""
    if month == period:
        return None
    n = months_apart(month, period)
    when = f"{abs(n)} month{'s' if abs(n) != 1 else ''} {'before' if n > 0 else 'after'}"
    return (f"{what} figures are for {period_label(month)}, {when} {period_label(period)} chosen in the sidebar "
            "(they are published for their own months).")


VACANCIES = "Vacancies"
VACANCY_TEMPLATE_SOURCE = "vacancy template, Provider Workforce Return"


def own_date_line(what: str, month: str, source: str) -> str:
    """'Vacancies: Sep 2025 (NHS Vacancy Statistics, England)': the month a kind of figure is for and where it comes
    from, shown beside figures whose date can differ from the chosen period (vacancies, sickness, primary care)."""
    return f"{what}: {period_label(month)} ({source})"
