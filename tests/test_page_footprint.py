"""AppTest: the app follows the chosen footprint (36 ICBs of April 2026 or 42 of July 2022) on a store holding the
real Nov-25 file and a May-26 file with the 2026 codes (tests/may26.py)."""
from __future__ import annotations

import pytest

from lib.data import geography
from tests.conftest import REPO, open_app_page

CODES26 = set(geography.vintage("ICS2026").areas["code"])
CODES22 = set(geography.vintage("ICS").areas["code"])


@pytest.fixture(scope="module")
def store26(real_store26):
    return real_store26


@pytest.fixture
def app_data(store26, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(store26))
    return store26


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("info", "warning", "caption", "markdown", "subheader", "title")
                     for e in getattr(at, kind))


def map_codes(at) -> set[str]:
    """Codes of the map's hexagons (the Vega-Lite cartogram's `hexes` rows, as sent to the browser)."""
    import pyarrow as pa
    for e in at.get("vega_lite_chart"):
        for d in e.proto.datasets:
            if d.name == "hexes":
                return set(pa.ipc.open_stream(d.data.data).read_all().to_pandas()["code"])
    raise AssertionError("no hex map on the page")


def test_map_of_may26_defaults_to_the_36_icbs(app_data):
    at = open_app_page("views/map.py", {"measure": "leaver_rate"})
    assert at.query_params["footprint"] == ["2026"] or at.query_params["footprint"] == "2026"  # in force for May 26
    assert map_codes(at) == CODES26
    assert "ICBs of April 2026, month ending May 2026" in texts(at)


def test_nov25_on_the_2026_footprint_and_the_42_view(app_data):
    at = open_app_page("views/map.py", {"period": "2025-11", "footprint": "2026", "measure": "leaver_rate"})
    assert map_codes(at) == CODES26
    at = open_app_page("views/map.py", {"period": "2025-11", "footprint": "2022", "measure": "leaver_rate"})
    assert map_codes(at) == CODES22


def test_old_link_to_an_abolished_system_says_what_it_became(app_data):
    at = open_app_page("views/profile.py", {"footprint": "2026", "area": "QMJ"})
    t = texts(at)
    assert "North Central London (QMJ) was abolished on 1 April 2026" in t
    assert "West and North London (Z9B2Z)" in t
    assert "West and North London" in at.title[0].value or "West and North London" in t


def test_bad_footprint_in_link_falls_back_with_a_notice(app_data):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.query_params["footprint"] = "1999<script>"
    at.run()  # the sidebar reads the link on the first page shown
    assert not at.exception
    assert any("footprint value `1999<script>` is not one we recognise, so `2026`" in i.value for i in at.info)
    at = open_app_page("views/map.py", {"footprint": "1999<script>"})
    assert map_codes(at) == CODES26


def test_trend_marks_the_april_2026_break(app_data):
    at = open_app_page("views/turnover.py", {"footprint": "2026", "area": "Z9B2Z"})
    specs = [e.proto.spec for e in at.get("vega_lite_chart")]
    assert specs and any("Geography change" in s for s in specs)  # a dashed mark at 1 April 2026, with a tooltip
    # on the 42 footprint too: the 2026 month is re-based onto the 42 systems, and the break is marked
    at = open_app_page("views/turnover.py", {"footprint": "2022", "area": "QMJ"})
    specs = [e.proto.spec for e in at.get("vega_lite_chart")]
    assert any("Geography change" in s for s in specs)


@pytest.mark.parametrize("page", ["views/home.py", "views/statistics.py", "views/what_if.py", "views/role_mix.py",
                                  "views/vacancy.py", "views/data.py"])
def test_every_page_runs_on_the_2026_footprint(app_data, page):
    at = open_app_page(page, {"footprint": "2026", "period": "2025-11"})
    body = texts(at)
    assert "North Central London" not in body and "Frimley" not in body  # abolished systems are not shown
    if page == "views/home.py":
        # headlines rank the 36 systems of 2026 (Nov-25 re-based); the table comes on request
        from tests.conftest import open_on_request
        open_on_request(at)
        frames = [df.value for df in at.dataframe]
        assert any(len(f) == 36 for f in frames) or "ICS2026" in body


def test_what_if_baseline_is_on_the_2026_footprint(app_data):
    at = open_app_page("views/what_if.py", {"footprint": "2026", "period": "2025-11"})
    systems = next(sb for sb in at.selectbox if sb.label == "System")
    assert len(systems.options) == 37  # 36 systems and England
    assert "West and North London (Z9B2Z)" in systems.options


def test_link_with_a_footprint_key_as_level(app_data):
    """The map's link to a profile carries the page's level, which is the footprint key (level=ICS2026)."""
    at = open_app_page("views/profile.py", {"level": "ICS2026", "area": "Z9B2Z", "period": "2025-11"})
    assert not any("not one we recognise" in i.value for i in at.info)
    assert at.query_params["footprint"] in ("2026", ["2026"]) and at.query_params["level"] in ("ICS", ["ICS"])
    assert at.selectbox(key="url_area").value == "Z9B2Z"


def test_organisations_page_on_the_2026_footprint(app_data):
    """Inside a system: the organisations of West and North London in Nov-25 (re-based) are NCL's and NWL's."""
    at = open_app_page("views/organisations.py", {"footprint": "2026", "period": "2025-11", "area": "Z9B2Z"})
    assert not at.exception
    body = texts(at) + "\n".join(str(df.value.to_csv()) for df in at.dataframe)
    assert "Royal Free" in body or "University College London" in body
