"""Issue 21, Deliver 2 (last sentence): figures of a different date than the chosen period say their own date
beside them. Vacancies: 'Vacancies: <month year> (<source>)' beside England's published rates (Vacancies page on a
store without a vacancy file, the what-if studio's starting gap) and beside a store's own vacancy figures (Vacancies
page, Headlines)."""
from __future__ import annotations

import json

from lib.insight import calendar
from lib.whatif import studio
from tests.conftest import REPO, open_app_page
from tests.test_page_what_if import body

NATIONAL = "Vacancies: Sep 2025 (NHS Vacancy Statistics, England)"


def test_own_date_line_by_hand():
    assert calendar.own_date_line("Vacancies", "2025-09", "NHS Vacancy Statistics, England") == NATIONAL
    assert calendar.own_date_line("Sickness absence", "2025-03", "NHS Digital") == "Sickness absence: Mar 2025 (NHS Digital)"


def test_the_national_rates_month_is_their_reference_date():
    """Read from the assumptions file itself: every national rate's as_at is 30 September 2025, which the source
    text names as the release's reference date."""
    doc = json.loads((REPO / "lib/whatif/assumptions_default.json").read_text())["national_vacancy_rates"]
    recs = [r for r in doc.values() if isinstance(r, dict)]
    assert recs and {r["as_at"] for r in recs} == {"2025-09-30"}
    assert all("reference date 30 September 2025" in r["source"] for r in recs)
    assert studio.national_vacancy_month() == "2025-09"
    assert studio.vacancy_date_line() == NATIONAL


def test_vacancies_page_on_the_real_store_dates_englands_published_rates(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/vacancy.py")
    text = body(at)
    assert "England's published vacancy rates" in [s.value for s in at.subheader]
    assert NATIONAL in [c.value for c in at.caption], text


def test_what_if_on_may26_dates_the_national_vacancy_rate_beside_the_gap(real_store26, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store26))
    at = open_app_page("views/what_if.py", {"area": "S0E4D"})
    text = body(at)
    assert "gap now from England's published vacancy rate" in text and NATIONAL in text, text


def test_demo_vacancy_figures_say_their_month_and_source(monkeypatch):
    monkeypatch.delenv("WORKFORCE_DATA_DIR", raising=False)
    line = "Vacancies: Nov 2025 (vacancy template, Provider Workforce Return)"
    at = open_app_page("views/vacancy.py")
    assert any(m.label == "Vacancy rate" for m in at.metric)
    assert line in [c.value for c in at.caption], body(at)
    at = open_app_page("views/home.py")
    assert line in [c.value for c in at.caption], body(at)
    at = open_app_page("views/profile.py")
    assert any(m.label == "Vacancy rate" and m.value != "-" for m in at.metric)
    assert any(c.value.endswith(line) for c in at.caption), body(at)


def test_no_vacancy_line_where_no_vacancy_figure_is_shown(real_store, monkeypatch):
    """The real turnover files carry no vacancies: Headlines and the profile say which file fills the figure, and
    no 'Vacancies: <month>' line stands beside an empty figure."""
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    for page in ("views/home.py", "views/profile.py"):
        text = body(open_app_page(page))
        assert "Vacancies: Nov 2025 (vacancy template" not in text, page
