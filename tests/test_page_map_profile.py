"""AppTest of the Map and System profile pages: defaults, deep links, bad query strings, STP level."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.data import geography
from lib.data import loader
from lib.insight.metrics import area_metrics
from tests.conftest import REPO, open_app_page, open_downloads

APP = str(REPO / "app.py")


def run(page: str, **params) -> AppTest:
    return open_app_page(page, params, timeout=90)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def deck_spec(at: AppTest) -> dict:
    decks = at.get("deck_gl_json_chart")
    assert len(decks) == 1
    return json.loads(decks[0].proto.json)


def vega(at: AppTest, name: str) -> tuple[dict, dict[str, pd.DataFrame]]:
    """(spec, datasets) of the page's Vega-Lite chart whose data includes the named dataset (hexes: the map,
    bands: the colour key, bars: the ranking); the rows are read from the Arrow bytes sent to the browser."""
    import pyarrow as pa
    for e in at.get("vega_lite_chart"):
        data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in e.proto.datasets}
        if name in data:
            return json.loads(e.proto.spec), data
    raise AssertionError(f"no chart with dataset {name}")


def test_map_default_sends_42_aggregate_rows():
    at = run("views/map.py")
    t = texts(at)
    assert "Vacancy rate, all staff groups: ICBs of July 2022, month ending Nov 2025" in t
    assert "Synthetic demo data" in t
    assert not at.get("deck_gl_json_chart")  # the hex cartogram needs no WebGL
    spec, data = vega(at, "hexes")
    hexes = data["hexes"]
    assert len(hexes) == 42 and set(hexes["code"]) == set(geography.areas("ICS")["code"])
    assert {"system", "region_name", "value_line", "numerator_line", "denominator_line"} <= set(hexes)
    assert spec["layer"][0]["params"][0]["name"] == "pick"  # a click selects a system
    assert [f["title"] for f in spec["layer"][0]["encoding"]["tooltip"]][:3] == ["System", "Region", "Figure"]
    assert at.query_params["measure"] == "vacancy_rate" and at.query_params["group"] == "All staff groups"
    # downloads sit behind popovers built only when opened (issue 16): none are sent until then
    assert not at.get("download_button")
    open_downloads(at)
    assert [b.label for b in at.get("download_button")][-2:] == ["Download CSV", "Download Excel"]
    assert {"Download chart (PNG)", "Download chart (SVG)"} <= {b.label for b in at.get("download_button")}


def test_map_values_colours_and_description_match_the_map_table():
    """Every hexagon's figure, colour and label colour are the map table's (CLI figures from the same store),
    the ranking is highest first with England's average, and the caption states the key figures."""
    from lib.insight import map_data as im
    at = run("views/map.py", measure="leaver_rate", group="Midwives")
    m = area_metrics(loader.load_frame(loader.DEMO_DATA_DIR, "ICS", periods=["2025-10", "2025-11"]), True)
    table = im.map_table(m, "ICS", "2025-11", "leaver_rate", "Midwives").set_index("code")
    scale = im.colour_scale(table["value"], "rate")
    _, data = vega(at, "hexes")
    hexes = data["hexes"].set_index("code")
    for code in ("QKK", "QHM", "QOP"):
        r = table.loc[code]
        assert hexes.at[code, "value_line"] == f"Leaver rate: {100 * r['value']:.2f}%"
        assert hexes.at[code, "numerator_line"] == f"Leavers FTE: {r['numerator']:,.0f}"
        assert hexes.at[code, "colour"] == scale.colour(r["value"])
        assert hexes.at[code, "system"] == f"{r['name']} ({code})"
    assert hexes.at["QKK", "label"] == "SEL" and not hexes["selected"].any()
    r = table.loc["QKK"]
    assert hexes.at["QKK", "aria"] == f"{r['name']} (QKK), {r['region_name']}: Leaver rate: {100 * r['value']:.2f}%"
    _, rank = vega(at, "bars")
    bars = rank["bars"]
    assert list(bars["value"].dropna()) == sorted(bars["value"].dropna(), reverse=True)
    assert rank["england"]["value"].iloc[0] == pytest.approx(table["england_value"].iloc[0])
    assert "Bath and North East Somerset, Swindon and Wiltshire" in set(bars["name"])  # full names
    _, key = vega(at, "bands")
    assert list(key["bands"]["colour"]) == list(scale.colours)
    top = table["value"].idxmax()
    desc = next(c.value for c in at.caption if c.value.startswith("Leaver rate, midwives: highest"))
    assert f"highest {table.at[top, 'name']} ({100 * table.at[top, 'value']:.2f}%)" in desc
    assert f"England {100 * table['england_value'].iloc[0]:.2f}%" in desc and "42 of 42 systems have figures" in desc


def test_map_measure_change_swaps_rows_into_fixed_specs():
    """Recolour in place: another measure or staff group sends the same three chart specs and the same element
    layout (so the browser swaps rows into the charts drawn); only the rows differ."""
    def snapshot(**q):
        at = run("views/map.py", **q)
        charts = {e.proto.spec: {d.name: d.data.data for d in e.proto.datasets} for e in at.get("vega_lite_chart")}
        body = next(b for b in at.main.children.values()  # the page's fragment
                    if any(type(e).__name__ == "Subheader" for e in getattr(b, "children", {}).values()))
        top = list(body.children.values())
        row = top[next(i for i, e in enumerate(top) if type(e).__name__ == "Subheader") + 2]  # map | ranking
        layout = ([type(e).__name__ for e in top],  # the notes container (top[i + 1]) may hold 0-3 notes
                  [[type(e).__name__ for e in col.children.values()] for col in row.children.values()])
        return charts, layout
    a, la = snapshot(measure="leaver_rate")
    b, lb = snapshot(measure="vacancy_rate", group="Midwives")
    c, lc = snapshot(measure="joiner_rate")
    assert set(a) == set(b) == set(c) and len(a) == 3  # identical specs
    assert la == lb == lc  # the elements keep their places: React keeps each chart (none rebuilt)
    assert all(a[s] != b[s] for s in a if "hexes" in a[s] or "bars" in a[s])  # new rows
def test_map_bad_measure_and_group_are_friendly():
    at = run("views/map.py", measure="<script>alert(1)</script>", group="../../etc/passwd")
    infos = " ".join(i.value for i in at.info)
    assert "measure value" in infos and "group value" in infos and "not one we recognise" in infos
    assert at.selectbox(key="url_measure").value == "vacancy_rate"
    assert at.selectbox(key="url_group").value == "All staff groups"


def test_map_measure_and_group_from_link():
    at = run("views/map.py", measure="leaver_rate", group="Midwives", period="2025-06")
    assert "Leaver rate, midwives: ICBs of July 2022, month ending Jun 2025" in texts(at)
    at.selectbox(key="url_measure").set_value("fte_per_100k").run()
    assert not at.exception
    assert "FTE per 100,000 population" in texts(at)


def test_map_share_needs_a_staff_group():
    at = run("views/map.py", measure="fte_share")
    assert any("100% everywhere" in i.value for i in at.info)
    assert at.selectbox(key="url_group").value == "Nurses & health visitors"


def test_map_stp_level_and_population_notice():
    at = run("views/map.py", level="STP", measure="fte_per_100k")
    t = texts(at)
    assert "STPs of April 2021, month ending Jun 2022" in t
    assert any("needs population figures for STP" in i.value for i in at.info)
    _, data = vega(at, "hexes")
    assert set(data["hexes"]["code"]) == set(geography.areas("STP")["code"])


def test_map_bad_boundary_file_falls_back_to_hexes(tmp_path, monkeypatch):
    import shutil
    data = tmp_path / "store"
    shutil.copytree(loader.DEMO_DATA_DIR, data)
    (data / "boundaries_ICS.geojson").write_text('{"type": "FeatureCollection", "features": [{"oops": 1}]}')
    monkeypatch.setenv(loader.ENV_DATA_DIR, str(data))
    at = run("views/map.py")
    assert any("could not be used" in w.value and "hex cartogram" in w.value for w in at.warning)
    assert len(vega(at, "hexes")[1]["hexes"]) == 42


def test_map_choose_a_system_from_the_list_outlines_it_and_links_the_profile():
    at = run("views/map.py", measure="leaver_rate")
    at.selectbox(key="map_pick").set_value("QKK").run()
    assert not at.exception
    hexes = vega(at, "hexes")[1]["hexes"].set_index("code")
    assert hexes["selected"].sum() == 1 and hexes.at["QKK", "selected"]
    bars = vega(at, "bars")[1]["bars"].set_index("code")
    assert bars["selected"].sum() == 1 and bars.at["QKK", "selected"]
    assert any("South East London" in m.value and "Leaver rate: **" in m.value for m in at.markdown)
    links = [pl.proto for pl in at.get("page_link")]
    assert any("Open the profile of South East London" in p.label and "area=QKK" in p.query_string for p in links)


def test_map_hex_form_switch_keeps_the_pydeck_cartogram_for_the_bench(monkeypatch):
    """WORKFORCE_MAP_FORM=deck (bench/bench_pages_map.py's comparison) draws the hexes with pydeck as before;
    anything else is the Vega-Lite form."""
    monkeypatch.setenv("WORKFORCE_MAP_FORM", "deck")
    at = run("views/map.py")
    layer = next(L for L in deck_spec(at)["layers"] if L["id"] == "systems")
    assert len(layer["data"]) == 42 and layer["pickable"] and "html" not in deck_spec(at).get("tooltip", {})
    monkeypatch.setenv("WORKFORCE_MAP_FORM", "<script>")
    at = run("views/map.py")
    assert not at.get("deck_gl_json_chart") and len(vega(at, "hexes")[1]["hexes"]) == 42


def _cli_row(level: str, period: str, code: str, group: str = "All staff groups") -> pd.Series:
    m = area_metrics(loader.load_frame(loader.DEMO_DATA_DIR, level, periods=[period]), True)
    return m[(m["area_code"] == code) & (m["staff_group"] == group)].iloc[0]


def test_profile_deep_link_values():
    at = run("views/profile.py", area="QKK", period="2025-11", group="Midwives")
    assert "South East London (QKK)" in [h.value for h in at.header]
    r = _cli_row("ICS", "2025-11", "QKK", "Midwives")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Staff in post (FTE)"] == f"{r['fte']:,.0f}"
    assert metrics["Leaver rate (month)"] == f"{100 * r['leaver_rate']:.2f}%"
    assert metrics["Vacancy rate"] == f"{100 * r['vacancy_rate']:.2f}%"
    t = texts(at)
    assert "Since Nov 2024" in t and "highest leaver rate of 42" in t
    assert "Role mix compared with England" in t


def test_profile_bad_area_is_friendly_and_defaults_alphabetically():
    at = run("views/profile.py", area="../../etc/passwd")
    assert any("area value" in i.value and "not one we recognise" in i.value for i in at.info)
    first = geography.areas("ICS").sort_values("short_name").iloc[0]
    assert f"{first['short_name']} ({first['code']})" in [h.value for h in at.header]


@pytest.mark.parametrize("code", ["QKK", "QOP"])
def test_profile_stp_level(code):
    at = run("views/profile.py", level="STP", area=code)
    name = geography.area_names("STP")[code]
    assert f"{name} ({code})" in [h.value for h in at.header]
    r = _cli_row("STP", "2022-06", code)
    assert {m.label: m.value for m in at.metric}["Headcount"] == f"{r['headcount']:,.0f}"


def test_profile_first_period_has_no_changes():
    at = run("views/profile.py", area="QKK", period="2022-08")
    assert "No earlier month is loaded" in texts(at)
    assert all(m.delta in (None, "") for m in at.metric)


def test_map_draws_a_valid_ons_boundary_file(tmp_path, monkeypatch):
    """The ONS ICB GeoJSON as published (copied from ../shared/reference at test time, never committed) is read
    and drawn: the deck's systems layer holds every polygon of the file's 42 ICBs."""
    import shutil

    from lib.data import boundaries
    from tests.conftest import REFERENCE
    src = REFERENCE / "boundaries" / "icb_boundaries.geojson"
    if not src.exists():
        pytest.fail(f"reference boundary file missing: {src}")
    data = tmp_path / "store"
    shutil.copytree(loader.DEMO_DATA_DIR, data)
    shutil.copy(src, data / "boundaries_ICS.geojson")
    monkeypatch.setenv(loader.ENV_DATA_DIR, str(data))
    at = run("views/map.py")
    assert not at.warning or not any("could not be used" in w.value for w in at.warning)
    at.radio(key="map_shape").set_value("ONS boundaries").run()
    assert not at.exception
    layer = next(L for L in deck_spec(at)["layers"] if L["id"] == "systems")
    expected = boundaries.explode_polygons(boundaries.read_boundaries(src, "ICS"))
    assert {r["code"] for r in layer["data"]} == set(geography.areas("ICS")["code"])  # 42 systems
    assert len(layer["data"]) == len(expected) >= 42
    assert all(len(r["polygon"]) >= 1 and len(r["polygon"][0]) >= 4 for r in layer["data"])  # closed rings
    assert not any(L["id"] == "labels" for L in deck_spec(at)["layers"])  # hex labels only on the cartogram


def test_profile_shows_spc_charts_for_leaver_and_vacancy_rate():
    at = run("views/profile.py", area="QKK")
    assert any(s.value == "Signal or noise?" for s in at.subheader)
    specs = [e.proto.spec for e in at.get("vega_lite_chart")]
    # SPC charts carry process limits as rules; one per rate
    assert sum('"Upper limit"' in s and '"Lower limit"' in s for s in specs) == 2
