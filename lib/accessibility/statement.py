"""The measured accessibility results the statement quotes: lib/accessibility/results.json, written by
the axe-core sweep (tests/browser/axe_sweep.py, A11Y_RECORD=1) and checked against a fresh run on every test run, so the page cannot
drift from the measurement. Plain Python: the page (views/accessibility.py) only formats what is here."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")

# axe-core "needs review" (incomplete) rules: what axe could not decide, and what was checked instead. CHART_TEXT is
# the text inside chart pictures, which axe cannot decide on (it reports the background as undetermined, "needs
# review", on every label), so the measured run leaves it out of axe's contrast rule and counts it instead.
CHART_TEXT = "color-contrast: text inside chart pictures"
REVIEWED: dict[str, str] = {
    CHART_TEXT: "Not checked by axe-core. Every text colour each chart states (axis labels and titles, legends, "
                "titles and subtitles, facet headers, value labels, the map's labels on each of its fills) worked "
                "out with the WCAG formula against the chart's background, on every page and in workshop mode "
                "(tests/test_a11y_contrast.py): all at least 4.5:1. Whole-page screenshots of the workshop, Turnover, "
                "the real map and Sickness absence read by the developer on 7 December 2026. Text drawn over another "
                "mark (a value label on a bar) is not checked against that mark.",
}


def load(path: Path = RESULTS) -> dict:
    """The committed results; a clear error naming the file when it is missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: accessibility results cannot be read ({exc}); regenerate them with "
                         "A11Y_RECORD=1 pytest tests/browser/test_axe_*.py") from None
    for key in ("measured_on", "axe_version", "runs", "tab_stops"):
        if key not in data:
            raise ValueError(f"{path}: accessibility results lack '{key}'")
    return data


def date_text(iso: str) -> str:
    """'2026-12-07' -> '7 December 2026'."""
    import datetime as dt
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B %Y')}"


def summary(results: dict) -> dict:
    """Counts the statement quotes: runs, pages, states, stores, violations and needs-review nodes."""
    runs = results["runs"]
    return {"runs": len(runs),
            "pages": len({r["page"] for r in runs}),
            "states": len({(r["page"], r["state"]) for r in runs if r["state"] != "opened from its link"}),
            "demo_runs": sum(r["store"] == "demo" for r in runs),
            "real_runs": sum(r["store"] == "real" for r in runs),
            "violations": sum(sum(r["violations"].values()) for r in runs),
            "needs_review_nodes": sum(sum(r["incomplete"].values()) for r in runs),
            "date": date_text(results["measured_on"]), "axe_version": results["axe_version"]}


def needs_review(results: dict) -> list[tuple[str, int, int | str, str]]:
    """(rule, runs where axe asked for review, elements in all, what was checked) per needs-review rule, then the
    text inside chart pictures (page views that draw any)."""
    rules: dict[str, list[int]] = {}
    for r in results["runs"]:
        for rule, n in r["incomplete"].items():
            rules.setdefault(rule, []).append(n)
    out: list[tuple[str, int, int | str, str]] = [(rule, len(ns), sum(ns), REVIEWED.get(rule, "Not reviewed yet."))
                                                 for rule, ns in sorted(rules.items())]
    charts = sum(bool(r.get("chart_text")) for r in results["runs"])
    if charts:
        out.append((CHART_TEXT, charts, "all of it", REVIEWED[CHART_TEXT]))
    return out


def tab_rows(results: dict) -> list[tuple[str, str, int, int]]:
    """(page, its first chooser, Tab stops from the top, stops through the skip link) for pages with choosers."""
    return [(t["page"], t["first_chooser"], t["tab_stops"], t["tab_stops_via_skip_link"])
            for t in results["tab_stops"] if t["tab_stops"] is not None]
