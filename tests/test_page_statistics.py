"""AppTest for the "Signal or noise" page: ICS and STP, deep links, bad links, counts, missing vacancies."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, open_app_page

APP = str(REPO / "app.py")


def open_page(params: dict[str, str] | None = None) -> AppTest:
    return open_app_page("views/statistics.py", params)


def chart_titles(at: AppTest) -> list[str]:
    return [json.loads(e.proto.spec).get("title") for e in at.get("vega_lite_chart")]


def text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.subheader] + [s.value for s in at.success]
    return "\n".join(parts)


def test_ics_default_shows_spc_funnel_and_what_changed():
    at = open_page()
    assert at.title[0].value == "Signal or noise"
    assert [s.value for s in at.selectbox if s.label in ("Measure", "System", "Staff group")] == ["leaver_rate", "ENG", "All staff groups"]
    titles = chart_titles(at)
    assert titles[0] == "Leaver rate (month): England, All staff groups"
    assert titles[1].startswith("Leaver rate (month), All staff groups: 42 systems (ICBs of July 2022)")
    body = text(at)
    assert "Variation icon:" in body and "process limits" in body
    assert "Pooled rate across systems" in body and "as much as chance alone would" in body  # plain words (issues 15, 24)
    assert "Outliers (outside the 99.8% limits)" in body or "No outliers" in body
    assert "What changed in Nov 2025" in body
    assert "Synthetic demo data" in body
    # charts render as SVG (usermeta) so a browser can count their marks
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
    assert at.query_params["measure"] == ["leaver_rate"] or at.query_params["measure"] == "leaver_rate"


def test_deep_link_vacancy_for_one_system_names_outliers():
    at = open_page({"measure": "vacancy_rate", "area": "QKK", "group": "Nurses & health visitors"})
    assert [s.value for s in at.selectbox if s.label in ("Measure", "System", "Staff group")] == ["vacancy_rate", "QKK", "Nurses & health visitors"]
    titles = chart_titles(at)
    assert titles[0] == "Vacancy rate: South East London, Nurses & health visitors"
    body = text(at)
    assert "Which way is better: Lower is better" in body
    # the funnel's reading of each outlier says better or worse than expected, by name
    if "Outliers (outside the 99.8% limits)" in body:
        assert "than expected" in body
    # funnel table is there with the chosen system
    tables = [d.value for d in at.dataframe]
    funnel = next(t for t in tables if "System" in t.columns and "Reading" in t.columns and "Code" in t.columns
                  and "95% lower" in t.columns)
    assert len(funnel) == 42 and "QKK" in set(funnel["Code"])


def test_stp_level_works():
    at = open_page({"level": "STP", "area": "QE1", "period": "2021-06"})
    titles = chart_titles(at)
    assert titles[1].startswith("Leaver rate (month), All staff groups: 42 systems (STPs of April 2021), Jun 2021")
    assert "What changed in Jun 2021" in text(at)


def test_bad_links_are_friendly():
    at = open_page({"measure": "__import__('os')", "area": "../../etc", "group": "<script>x</script>"})
    assert [s.value for s in at.selectbox if s.label in ("Measure", "System", "Staff group")] == ["leaver_rate", "ENG", "All staff groups"]
    notices = [i.value for i in at.info if "not one we recognise" in i.value]
    assert len(notices) == 3
    assert not any("Traceback" in t for t in notices)


def test_fte_has_no_funnel_and_early_period_has_trial_limits():
    at = open_page({"measure": "fte", "period": "2023-03"})
    body = text(at)
    assert "is a count, not a rate" in body
    # Aug 2022 to Mar 2023: 8 months, too few for limits (issue 11): a run chart instead (issue 21), saying how many
    # more months limits need
    assert "Run chart of 8 months" in body and "4 more months" in body
    assert len(at.get("vega_lite_chart")) == 1
    at = open_page({"measure": "fte", "period": "2023-07"})  # 12 months: limits drawn, flagged as trial limits
    assert "trial limits" in text(at)
    assert len(at.get("vega_lite_chart")) == 1


def _section_app(drop_vacancy: bool, n: int) -> None:
    import numpy as np  # noqa: F811  (runs inside the AppTest script)
    import pandas as pd  # noqa: F811
    from ui import stats_charts
    periods = list(pd.period_range("2024-01", periods=n, freq="M").strftime("%Y-%m"))
    lr = [0.01 + (0.001 if i % 2 else 0) for i in range(n)]
    df = pd.DataFrame({"period": periods, "period_months": 1, "area_code": "QE1", "area_name": "Somewhere",
                       "staff_group": "All staff groups", "leaver_rate": lr, "joiner_rate": lr, "fte": 100.0,
                       "vacancy_rate": np.nan if drop_vacancy else 0.05})
    stats_charts.spc_section(df, "QE1", "All staff groups", "vacancy_rate", key="a")
    stats_charts.spc_section(df, "QE1", "All staff groups", "leaver_rate", key="b")


@pytest.mark.parametrize("drop_vacancy,n", [(True, 12), (False, 14)])
def test_spc_section_for_other_pages(drop_vacancy, n):
    at = AppTest.from_function(_section_app, args=(drop_vacancy, n), default_timeout=60)
    at.run()
    assert not at.exception
    body = text(at)
    if drop_vacancy:
        assert "No vacancy figures are loaded" in body and "vacancy template" in body
        assert len(at.get("vega_lite_chart")) == 1
        assert "trial limits" in body  # 12 points: limits drawn, marked as trial limits
    else:
        assert len(at.get("vega_lite_chart")) == 2
        assert "trial limits" not in body


def test_spc_section_with_six_months_draws_run_charts_and_says_how_many_more():
    at = AppTest.from_function(_section_app, args=(False, 6), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2  # run charts: no limits from 6 points (issue 21)
    body = text(at)
    assert body.count("Run chart of 6 months") == 2 and "6 more months" in body
    assert "(run chart)" in str(at.get("vega_lite_chart")[0].proto.spec)
