"""AppTest of the Inside a system and Sickness absence pages, and the bridge/link added to the profile page."""
from __future__ import annotations

import json

import pytest

from tests.conftest import WORKFORCE, open_app_page

SICKNESS = WORKFORCE / "nhs_sickness_absence_2025-03.csv"


@pytest.fixture(scope="module")
def full_store(real_store_sickness):
    """The real turnover store (Oct-25, Nov-25) plus the real sickness absence file (Mar-25)."""
    return real_store_sickness


@pytest.fixture
def real(full_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(full_store))
    monkeypatch.delenv("WORKFORCE_DISCLOSURE_CONTROL", raising=False)
    return full_store


def texts(at) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def frames(at) -> list:
    return [d.value for d in at.dataframe]


def test_organisations_page_on_demo_data_explains_what_to_load():
    at = open_app_page("views/organisations.py")
    assert "no organisation rows" in texts(at) and "Turnover benchmarking 2" in texts(at)


def test_organisations_of_a_system_ranked_with_bridge_and_peers(real):
    at = open_app_page("views/organisations.py", {"area": "QKK", "org": "RJ1"})
    t = texts(at)
    assert "South East London (QKK): 7 organisations" in t
    table = frames(at)[0]
    assert set(table["Code"]) == {"RJ1", "RJ2", "RJZ", "RPG", "RRU", "RV5", "QKK"}
    assert list(table["Rank"]) == sorted(table["Rank"]) and table["Leaver rate"].is_monotonic_decreasing
    assert table["Staff in post FTE"].sum() == pytest.approx(58861.34559, abs=1e-4)
    assert "Guy's and St Thomas' NHS Foundation Trust" in t  # the deep-linked organisation, name as published
    assert "Against its peers: Acute \\- Teaching" in t and "among Acute \\- Teaching organisations" in t
    assert "of 51**" in t
    # the system's bridge closes to its published end figure
    assert "Staff in post at the start: 58,688.7" in t and "Staff in post at the end: 58,861.3" in t
    assert "Other changes (hours, moves between staff groups): -39.9" in t
    # two months loaded: a run chart (issue 21), with no verdict from two points, and the months limits need
    assert "Run chart of 2 months" in t and "Too few points for a verdict" in t and "10 more months" in t
    assert at.query_params["org"] == "RJ1"


def test_organisation_link_picks_its_system_and_bad_values_are_refused(real):
    at = open_app_page("views/organisations.py", {"org": "RV5"})
    assert "South East London (QKK): 7 organisations" in texts(at)
    assert "South London and Maudsley NHS Foundation Trust" in texts(at)
    at = open_app_page("views/organisations.py", {"area": "QKK", "org": "<img src=x onerror=alert(1)>",
                                                  "setting": "Nowhere"})
    infos = " ".join(i.value for i in at.info)
    assert "link's org value" in infos and "link's setting value" in infos
    shown = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption") for e in getattr(at, kind)]
    assert not any("<img" in x for x in shown)  # only the notice quotes it (as text)


def test_care_setting_filter(real):
    at = open_app_page("views/organisations.py", {"area": "QKK", "setting": "Mental Health"})
    table = frames(at)[0]
    assert set(table["Code"]) == {"RV5", "RPG"} and set(table["Care setting"]) == {"Mental Health"}


def test_disclosure_control_at_organisation_level(real, monkeypatch):
    from tests.conftest import warm_disclosure_plan
    monkeypatch.setenv("WORKFORCE_DISCLOSURE_CONTROL", "1")
    warm_disclosure_plan(real)
    at = open_app_page("views/organisations.py", {"area": "QKK", "group": "Midwives"})
    t = texts(at)
    assert "At organisation level too" in t
    table = frames(at)[0]
    assert "Suppressed" in table and not (table["Leavers FTE"] < 5).any()
    assert table["Suppressed"].str.contains("leavers").any()


def test_profile_has_bridge_and_link_to_organisations(real):
    at = open_app_page("views/profile.py", {"area": "QKK"})
    t = texts(at)
    assert "Why staff in post moved" in t and "Staff in post at the end: 58,861.3" in t
    links = at.get("page_link")
    assert any("Organisations inside South East London" in str(pl.proto.label) for pl in links)


@pytest.mark.parametrize("page", ["views/turnover.py", "views/vacancy.py", "views/role_mix.py"])
def test_trend_pages_link_to_organisations(real, page):
    at = open_app_page(page, {"area": "QKK"})
    assert any("Organisations inside" in str(pl.proto.label) for pl in at.get("page_link"))
    at = open_app_page(page, {"area": "ENG"})  # England and regions have no organisations page
    assert not any("Organisations inside" in str(pl.proto.label) for pl in at.get("page_link"))


def test_sickness_page_real_file(real):
    at = open_app_page("views/sickness.py", {"area": "QKK"})
    t = texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["England, Mar 2025"] == "4.88%"
    assert "South East London" in metrics
    # the hex cartogram in Vega-Lite (issue 24: the WebGL map was most of the page's opening time)
    import pyarrow as pa
    hexes = next(c.proto for c in at.get("vega_lite_chart") if "Hex cartogram" in c.proto.spec)
    rows = pa.ipc.open_stream(next(d for d in hexes.datasets if d.name == "hexes").data.data).read_all()
    assert rows.num_rows == 42 and any("Sickness absence rate" in v for v in rows["value_line"].to_pylist())
    assert "Only 1 month(s)" in t  # one month loaded: no SPC, said plainly
    types = frames(at)[0].set_index("Organisation type")["Sickness absence rate"]
    assert round(types["Ambulance"], 2) == 6.42      # the one table style shows percent values
    orgs = frames(at)[1]
    assert len(orgs) > 1 and set(orgs["System"]) == {"South East London"}


def test_sickness_page_demo_is_marked_synthetic_with_spc():
    at = open_app_page("views/sickness.py", {"area": "QKK"})
    t = texts(at)
    assert "Synthetic demo sickness absence figures" in t
    assert "Only" not in " ".join(w.value for w in at.warning)  # 40 months: firm limits
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any("Sickness absence rate: South East London" in sp and "Upper limit" in sp for sp in specs)  # SPC
    assert any("Sickness absence rate by system" in sp for sp in specs)  # funnel
    assert "Variation icon" in t and "Lower is better: fewer working days lost to sickness" in t


def test_sickness_page_without_sickness_data(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/sickness.py")
    assert "No sickness absence figures are loaded" in texts(at)
