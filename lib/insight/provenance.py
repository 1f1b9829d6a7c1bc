"""Where the figures on screen come from, in words: one statement per store, shown on every page and written
into every export ("NHS Digital Turnover benchmarking 2, Oct-Nov 2025; ingested 29 Nov 2026").

Built from the store's manifest (lib.data.loader.provenance): which publications, which months, when ingested.
A store marked synthetic is never described as anything but synthetic.
"""
from __future__ import annotations

import datetime as dt
import re

from lib.data.schema import month_add, period_label

PUBLICATIONS = {
    "turnover": "NHS Digital Turnover benchmarking 2",
    "staff_in_post": "NHS Digital staff in post (Core 1)",
    "vacancy": "vacancies from your vacancy template (Provider Workforce Return)",
    "sickness": "NHS Digital NHS Sickness Absence Rates",
    "pcn": "NHS Digital Primary Care Networks workforce (quarterly census)",
    "population": "ONS mid-2022 population",
}
# Published quarterly: a month every three is a complete run, said as one span.
QUARTERLY = {"pcn"}
SYNTHETIC_STATEMENT = "Synthetic demo data: shaped like England from public national figures, not real figures"


def month_span(periods: list[str]) -> str:
    """'Oct-Nov 2025', 'Nov 2025', 'Dec 2024-Feb 2025'; runs with gaps are listed ('Oct 2025, Dec 2025')."""
    ps = sorted(set(periods))
    if not ps:
        return "no months"
    runs: list[list[str]] = [[ps[0]]]
    for p in ps[1:]:
        if month_add(runs[-1][-1], 1) == p:
            runs[-1].append(p)
        else:
            runs.append([p])
    out = []
    for r in runs:
        a, b = r[0], r[-1]
        if a == b:
            out.append(period_label(a))
        elif a[:4] == b[:4]:
            out.append(f"{period_label(a)[:3]}-{period_label(b)}")
        else:
            out.append(f"{period_label(a)}-{period_label(b)}")
    return ", ".join(out)


def _date_text(iso: str) -> str:
    try:
        d = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    return f"{d.day} {d:%b %Y}"


def _publication(kind: str) -> str:
    """The publication's name; a kind this code does not know (a manifest written by hand or by a newer version) is
    not echoed: the statement is shown as Markdown on every page, and a store's manifest is not trusted text."""
    return PUBLICATIONS.get(kind, "Files of an unrecognised kind")


def source_statement(prov: dict) -> str:
    """One line naming the publications, their months and the latest ingest date (or the synthetic label)."""
    if prov.get("synthetic"):
        return SYNTHETIC_STATEMENT
    files = [f for f in prov.get("files", []) if isinstance(f, dict)]
    if not files:
        return "No source files recorded for this data directory"
    parts = []
    kinds = [k for k in PUBLICATIONS if any(f.get("kind") == k for f in files)]
    kinds += sorted({str(f.get("kind")) for f in files} - set(kinds))
    for kind in kinds:
        months = [p for f in files if f.get("kind") == kind for p in (f.get("periods") or [])
                  if isinstance(p, str) and re.fullmatch(r"\d{4}-\d{2}", p)]
        if kind in QUARTERLY and len(months) > 1:
            qs = sorted(set(months))
            gaps = sum(month_add(a, 3) != b for a, b in zip(qs, qs[1:]))
            span = f"{period_label(qs[0])} to {period_label(qs[-1])}" + (f" ({gaps} gap{'s' if gaps > 1 else ''})"
                                                                       if gaps else "")
            parts.append(f"{_publication(kind)}, {span}")
            continue
        parts.append(f"{_publication(kind)}, {month_span(months)}")
    stamps = sorted(str(f.get("ingested_at", "")) for f in files if f.get("ingested_at"))
    when = _date_text(stamps[-1]) if stamps else ""
    return "; ".join(parts) + (f"; ingested {when}" if when else "")
