"""The accessibility statement quotes the measured results (lib/accessibility/results.json, written by the axe-core
sweep, tests/browser/axe_sweep.py, in parts), and the workshop's lever chooser that replaced the multiselect axe-core
flagged."""
from __future__ import annotations

import json

import pytest

from lib.accessibility import statement
from tests.conftest import open_app_page

RESULTS = statement.load()
S = statement.summary(RESULTS)


def test_results_file_is_whole_and_clean():
    assert S["violations"] == 0 and S["runs"] >= 30 and S["demo_runs"] and S["real_runs"]
    assert RESULTS["axe_version"].startswith("4.14") and "wcag22aa" in RESULTS["tags"]
    for rule, _runs, _n, checked in statement.needs_review(RESULTS):
        assert checked != "Not reviewed yet.", rule
    assert statement.date_text("2026-12-07") == "7 December 2026"


def test_the_axe_sweeps_parts_hold_every_run_once_and_the_file_holds_them_all():
    """The sweep is cut into parts (one browser test file each, so the workers share it): together they measure
    every page on both stores and every state exactly once, and the committed file holds exactly those runs, in order,
    and a Tab walk for every demo page (each part checks its own runs and walks against the file)."""
    import ast
    from pathlib import Path
    from tests.browser import axe_sweep as sweep
    parts = [sweep.key(r) for runs in sweep.PARTS.values() for r in runs]
    assert sorted(parts) == sorted(sweep.key(r) for r in sweep.ALL) and len(set(parts)) == len(parts)
    for store in ("demo", "real"):
        assert {r.page_title for r in sweep.ALL if r.store == store} == set(sweep.TITLES.values()), store
    files = {}
    for f in Path(sweep.__file__).parent.glob("test_axe_*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        files[f.name] = next(ast.literal_eval(n.value) for n in tree.body
                             if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "PART")
    assert sorted(files.values()) == sorted(sweep.PARTS), files  # one test file per part, none missing
    assert [sweep.key(r) for r in RESULTS["runs"]] == [sweep.key(r) for r in sweep.ALL]
    demo_pages = [r.page_title for r in sweep.ALL if r.store == "demo" and r.action is None and "?" not in r.path]
    assert [t["page"] for t in RESULTS["tab_stops"]] == demo_pages
    assert sum(t["tab_stops"] is not None for t in RESULTS["tab_stops"]) >= 8  # the pages with choosers of their own


def test_a_damaged_results_file_is_refused_by_name(tmp_path):
    bad = tmp_path / "results.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=str(bad)):
        statement.load(bad)
    bad.write_text(json.dumps({"runs": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="lack 'measured_on'"):
        statement.load(bad)


def test_statement_quotes_the_measured_run():
    at = open_app_page("views/accessibility.py")
    intro = "\n".join(m.value for m in at.markdown)
    assert f"run on {S['runs']} page views on {S['date']}" in intro
    assert f"**{S['violations']} failures**" in intro and f"Last measured: {S['date']}" in intro
    met, not_met, checks, runs, review, tabs = (t.value for t in at.table[:6])
    assert list(met.columns) == ["WCAG 2.2 criterion", "How", "How it was checked"]
    assert {"Skip to the page's choosers", "Target size", "Names, roles and values"} <= set(met.index)
    assert "axe run" in met.loc["Contrast"].iloc[2] and "computed ratio" in met.loc["Contrast"].iloc[2]
    assert "Keyboard walk" in met.loc["Skip to the page's choosers"].iloc[2]
    # the tables are the results file, row for row
    assert len(runs) == S["runs"] and int(runs["Failures"].sum()) == 0
    assert list(review.index) == [r[0] for r in statement.needs_review(RESULTS)]
    assert list(review["Elements"].astype(str)) == [str(r[2]) for r in statement.needs_review(RESULTS)]
    rows = statement.tab_rows(RESULTS)
    assert list(tabs.index) == [r[0] for r in rows] and list(tabs["Through the skip link"]) == [r[3] for r in rows]
    # the default map is an SVG chart; only the boundary and sickness maps are WebGL canvases
    assert "The default map (a hex cartogram) is an SVG chart" in not_met.loc["Map picture"].iloc[1]
    assert "The map is a WebGL canvas" not in not_met.loc["Map picture"].iloc[1]
    assert "axe-core" in checks.index


def test_workshop_lever_chooser_refuses_a_fifth_and_says_why():
    at = open_app_page("views/what_if.py", {"area": "QKK", "workshop": "1"}, timeout=90)
    chooser = at.button_group(key="wi_live_chosen")
    assert chooser.value == ["nr_nursing_associate_trainees", "ret_change_pp"]
    four = ["nr_nursing_associate_trainees", "ret_change_pp", "up_share_pct", "demand_growth_pct"]
    chooser.set_value(four).run()
    assert at.button_group(key="wi_live_chosen").value == four
    five = [*four, "nr_physician_associate_trainees"]
    at.button_group(key="wi_live_chosen").set_value(five).run()
    assert at.button_group(key="wi_live_chosen").value == four           # the fifth is refused
    assert any("Up to four levers" in c.value for c in at.caption)
