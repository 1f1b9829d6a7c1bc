"""Vacancies, Turnover and Role mix in Chromium: open at ICS then STP, change period and staff group, and check the
table a person sees equals `python -m lib metrics ... --by-staff-group --format json` for that selection."""
from __future__ import annotations

import json
import math
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import REPO, after_rerun, assert_no_exception, run_cli, wait_for_app, wait_for_app_idle, \
    wait_for_url_param

DEMO = REPO / "data" / "demo"
# (level, period label in the sidebar, period key) chosen away from the latest so the change is real
SELECTIONS = [("ICS", "Mar 2024", "2024-03"), ("STP", "Mar 2021", "2021-03")]
_CLI: dict[tuple[str, str], list[dict]] = {}


def cli_metrics(level: str, period: str) -> list[dict]:
    if (level, period) not in _CLI:
        out = run_cli("metrics", "--data-dir", DEMO, "--level", level, "--period", period, "--by-staff-group",
                      "--format", "json")
        assert out.returncode == 0, out.stderr
        _CLI[(level, period)] = json.loads(out.stdout)
    return _CLI[(level, period)]


def open_page(page, base_url: str, title: str) -> None:
    page.goto(base_url + "/")
    wait_for_app(page, 90000)
    after_rerun(page, lambda: page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click(), 90000)


def set_level(page, level: str) -> None:
    after_rerun(page, lambda: page.locator("[data-testid='stSidebar'] [data-testid='stRadio'] label",
                                          has_text=level).first.click(), 90000)


def choose(page, label: str, option: str) -> None:
    """Choose `option` in the select labelled `label` and wait for the run it starts; an option already chosen (the
    browser context is shared, so an earlier test may have left it in the link) starts no run, so nothing to wait for."""
    box = page.get_by_role("combobox", name=label, exact=True)
    if box.input_value() == option:  # the select's input holds the chosen option's text
        return
    box.click()
    box.fill(option)
    after_rerun(page, lambda: page.get_by_role("option", name=option, exact=True).first.click(), 90000)


def grid(page, must_have: str) -> list[dict[str, str]]:
    """Rows of the st.dataframe whose headings include must_have, read from the grid's accessible table
    (the rows and columns currently drawn)."""
    for df in page.locator("[data-testid='stDataFrame']").all():
        heads = df.locator("th[role='columnheader']").all_inner_texts()
        if must_have in heads:
            return [dict(zip(heads, tr.locator("td[role='gridcell']").all_inner_texts()))
                    for tr in df.locator("tbody tr[role='row']").all()]
    return []


def number(text: str) -> float:
    t = text.replace(",", "").strip()
    return float(t[:-1]) / 100 if t.endswith("%") else float(t)


def same(shown: str, expected, percent: bool = False) -> bool:
    """percent: the table sends the rate as a percentage (ui.tables shows 0.90% from 0.90, 2 dp always)."""
    if expected is None:
        return shown.strip() in ("", "None", "NaN", "null")
    value = number(shown)
    if percent and not shown.strip().endswith("%"):
        value /= 100
    return math.isclose(value, float(expected), rel_tol=1e-9, abs_tol=1e-9)


def is_rate(column: str) -> bool:
    return "rate" in column.lower() or column == "Share"


def open_on_request(page) -> None:
    """Open the page's system table, drawn on request (issue 16), as a reader does; it then stays open."""
    toggle = page.locator("[data-testid='stCheckbox']", has_text="Show every system: table and downloads")
    if toggle.count() and not toggle.first.locator("input").is_checked():
        after_rerun(page, lambda: toggle.first.locator("label").click())


def check_table(page, must_have: str, key_col: str, expected: dict[str, dict], columns: dict[str, str]) -> int:
    """Compare every drawn row's columns with the CLI record for its key; read again while the grid redraws (up to
    60 s: the grid's accessible table is rewritten after the run, later on a busy machine)."""
    open_on_request(page)
    wait_for_app_idle(page)
    problems: list[str] = []
    deadline = time.monotonic() + 60
    while True:
        rows = grid(page, must_have)
        problems = []
        checked = 0
        for r in rows:
            rec = expected.get(r.get(key_col))
            if rec is None:
                problems.append(f"row {r.get(key_col)!r} not in the CLI output")
                continue
            for shown_col, cli_col in columns.items():
                if shown_col in r:
                    checked += 1
                    if not same(r[shown_col], rec[cli_col], percent=is_rate(shown_col)):
                        problems.append(f"{r[key_col]} {shown_col}: shown {r[shown_col]}, CLI {rec[cli_col]}")
        if rows and not problems and checked >= 8:
            return checked
        if time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)  # a poll interval: the loop waits for the rows it checks, not for a fixed time
    pytest.fail(f"table does not match the CLI: {problems[:5] or 'no rows drawn'}")


def screenshot(page, artifacts, name: str) -> None:
    page.set_viewport_size({"width": 1600, "height": 3600})
    wait_for_app_idle(page)  # charts redraw at the new width, grids now in view draw their canvas
    page.screenshot(path=str(artifacts / name), full_page=True)
    page.set_viewport_size({"width": 1600, "height": 1000})


def url_param(page, name: str, expect: str | None = None) -> str | None:
    """The link's `name` parameter; with `expect`, first wait (up to 60 s) for the link to carry it: Streamlit can
    rewrite the link later than it draws the figures of the run."""
    if expect is not None:
        try:
            wait_for_url_param(page, name, expect)
        except PlaywrightTimeout:
            pass  # the assertion that follows reports the value actually found
    return parse_qs(urlparse(page.url).query).get(name, [None])[0]


@pytest.fixture
def wide_page(page):
    page.set_viewport_size({"width": 1600, "height": 1000})
    return page


def test_vacancy_page_matches_cli(app_server, wide_page, artifacts):
    page = wide_page
    open_page(page, app_server.url, "Vacancies")
    assert_no_exception(page)
    assert "Vacancy rate over time" in page.inner_text("body")
    for level, label, period in SELECTIONS:
        if level == "STP":
            set_level(page, "STP")
        choose(page, "Period (month ending)", label)
        if level == "ICS":  # the staff group stays chosen when the level changes
            choose(page, "Staff group", "Midwives")
        assert_no_exception(page)
        assert url_param(page, "period", period) == period and url_param(page, "group", "Midwives") == "Midwives"
        cli = {r["area_code"]: r for r in cli_metrics(level, period) if r["staff_group"] == "Midwives"}
        check_table(page, "Vacancy rate", "Code", cli, {"Vacancy rate": "vacancy_rate", "Vacancy FTE": "vacancy_fte",
                                                         "Staff in post FTE": "fte",
                                                         "Establishment FTE": "establishment_fte"})
        screenshot(page, artifacts, f"vacancy_{level}.png")


def test_turnover_page_matches_cli(app_server, wide_page, artifacts):
    page = wide_page
    open_page(page, app_server.url, "Turnover")
    assert_no_exception(page)
    body = page.inner_text("body")
    assert "Rates are monthly" in body and "inside the system counts as one leaver and one joiner" in body
    for level, label, period in SELECTIONS:
        if level == "STP":
            set_level(page, "STP")
        choose(page, "Period (month ending)", label)
        if level == "ICS":
            choose(page, "Staff group", "Nurses & health visitors")
        assert_no_exception(page)
        assert url_param(page, "group", "Nurses & health visitors") == "Nurses & health visitors"
        # on screen the table is keyed by system name with short headings (the download keeps the codes)
        cli = {r["area_name"]: r for r in cli_metrics(level, period)
               if r["staff_group"] == "Nurses & health visitors"}
        check_table(page, "Leavers", "System", cli, {"Leavers": "leavers_fte", "Joiners": "joiners_fte",
                                                     "Leaver rate": "leaver_rate", "Joiner rate": "joiner_rate"})
        screenshot(page, artifacts, f"turnover_{level}.png")
    # headcount basis: the CLI's default --basis is FTE, so compare the counts only
    after_rerun(page, lambda: page.locator("[data-testid='stRadio'] label", has_text="Headcount").first.click(), 90000)
    assert_no_exception(page)
    cli = {r["area_name"]: r for r in cli_metrics("STP", "2021-03") if r["staff_group"] == "Nurses & health visitors"}
    check_table(page, "Leavers", "System", cli, {"Leavers": "leavers_hc", "Joiners": "joiners_hc"})


def test_role_mix_page_matches_cli(app_server, wide_page, artifacts):
    page = wide_page
    open_page(page, app_server.url, "Role mix")
    assert_no_exception(page)
    for level, label, period in SELECTIONS:
        if level == "STP":
            set_level(page, "STP")
        choose(page, "Period (month ending)", label)
        if level == "ICS":
            choose(page, "Staff group to follow over time", "Midwives")
        assert_no_exception(page)
        area = url_param(page, "area")
        cli = {r["staff_group"]: r for r in cli_metrics(level, period) if r["area_code"] == area}
        check_table(page, "Expected FTE", "Staff group", cli, {"FTE": "fte", "Share": "fte_share"})
        assert "Midwives: share of FTE over time" in page.inner_text("body")
        assert url_param(page, "group", "Midwives") == "Midwives"  # the group's fragment rerun still updates the link
        screenshot(page, artifacts, f"role_mix_{level}.png")
