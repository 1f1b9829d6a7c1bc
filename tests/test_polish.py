"""Product polish after the last whole-app review: defects no single issue covered (closest: issues 21 and 24)."""
from __future__ import annotations

import io

import pandas as pd

from tests.conftest import run_cli


# --- `metrics --area` without --by-organisation filters the systems table -------------------------------------------

def _csv(r) -> pd.DataFrame:
    assert r.returncode == 0, r.stderr
    return pd.read_csv(io.StringIO(r.stdout))


def test_metrics_area_filters_the_systems_table(real_store):
    every = _csv(run_cli("metrics", "--data-dir", real_store, "--by-staff-group", "--england", "--regions"))
    qkk = _csv(run_cli("metrics", "--data-dir", real_store, "--by-staff-group", "--area", "QKK"))
    assert set(qkk["area_code"]) == {"QKK"} and set(qkk["area_name"]) == {"South East London"}
    assert len(qkk) == (every["area_code"] == "QKK").sum() > 1   # every staff group of that one system
    pd.testing.assert_frame_equal(qkk, every[every["area_code"] == "QKK"].reset_index(drop=True))
    # a region or England: its own rows, added without --regions / --england
    london = _csv(run_cli("metrics", "--data-dir", real_store, "--area", "Y56"))
    assert list(london["area_code"]) == ["Y56"] and london["area_name"][0] == "London"
    eng = _csv(run_cli("metrics", "--data-dir", real_store, "--area", "ENG"))
    assert list(eng["area_code"]) == ["ENG"]
    assert eng["fte"][0] == every.query("area_code == 'ENG' and staff_group == 'All staff groups'")["fte"].iloc[0]
    bad = run_cli("metrics", "--data-dir", real_store, "--area", "QZZ9")
    assert bad.returncode == 2 and "--area" in bad.stderr and "Traceback" not in bad.stderr


def test_metrics_area_help_says_it_filters():
    from lib.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    text = next(a.help for a in sub.choices["metrics"]._actions if "--area" in a.option_strings)
    assert "only this area's rows" in text and "--by-organisation" in text


# --- the hosted-services note says what Role mix does --------------------------------------------------------------

def test_hosted_note_says_what_role_mix_does(real_store, monkeypatch):
    """Headlines' note named a switch that did not exist ('Leave out hosted regional services') and said Role mix
    'compares without them'; Role mix's switch redraws only the more-or-fewer-than-expected table."""
    import pytest
    from lib.insight import peers
    from tests.conftest import open_app_page
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    home = open_app_page("views/home.py", {"area": "QKK"}, timeout=180)
    note = next(c.value for c in home.caption if "hosted regional services" in c.value)
    assert "compares without them" not in note and peers.ROLE_MIX_HOSTED in note
    mix = open_app_page("views/role_mix.py", {"area": "QKK"}, timeout=180)
    assert peers.ROLE_MIX_HOSTED in " ".join(w.value for w in mix.warning)
    switch = mix.toggle(key="mix_no_hosted")
    assert f"'{switch.label}'" in note                      # the switch the note names is the page's switch
    # "its charts and its similar systems' table count them": London Ambulance Service's staff are in both
    expected = next(d.value for d in mix.dataframe if "Difference (FTE)" in d.value.columns).set_index("Staff group")
    assert expected.loc["Ambulance staff", "Difference (FTE)"] > 2000
    similar = next(d.value for d in mix.dataframe if "Similar systems' share: median" in d.value.columns)
    assert similar.set_index("Staff group").loc["Ambulance staff", "Share"] == pytest.approx(5.6588, abs=0.01)
    # "gives the staff groups more or fewer than expected without them": one more table, ambulance staff near 0
    before = len(mix.dataframe)
    switch.set_value(True).run()
    assert not mix.exception and len(mix.dataframe) == before + 1
    heading = next(m.value for m in mix.markdown if "without hosted regional services" in m.value)
    assert "more or fewer than expected" in heading
    nohost = next(d.value for d in mix.dataframe if "Difference (FTE)" in d.value.columns
                  and abs(d.value.set_index("Staff group").loc["Ambulance staff", "Difference (FTE)"]) < 100)
    assert len(nohost) == len(expected)


# --- CSV exports: the notes' title says what the table is, in words ------------------------------------------------

def test_title_from_name_hand_cases():
    from lib.insight.exports import title_from_name
    names = {"QYG": "Cheshire and Merseyside", "QKK": "South East London"}
    assert title_from_name("organisations_QYG_2025-11", names, "ICS") == \
        "Organisations in the system, Cheshire and Merseyside ICB, Nov 2025"
    assert title_from_name("headlines_ICS_2025-11", names, "ICS") == "Headlines: every system, Nov 2025"
    assert title_from_name("role_mix_change_ICS_QKK_2025-10_2025-11", names, "ICS") == \
        "Change in role mix, South East London ICB, Oct 2025 to Nov 2025"
    assert title_from_name("turnover_ICS_2025-11_hc", names, "ICS") == "Turnover: every system, headcount basis, " \
                                                                        "Nov 2025"
    assert title_from_name("spc_ENG_fte", names, "ICS") == "Signal or noise, England, staff in post (FTE)"
    assert title_from_name("sickness_Y56_2025-03", names, "ICS") == "Sickness absence, London, Mar 2025"
    assert title_from_name("whatif_bridge_QKK_year5", names, "ICS") == \
        "What-if: why the scenario differs, South East London ICB, year 5"
    # an STP footprint's systems are not ICBs; an unknown part stays as a word
    assert title_from_name("profile_QKK_STP_2021-03", {"QKK": "South East London"}, "STP") == \
        "System profile, South East London, Mar 2021"
    assert title_from_name("odd_thing", {}, None) == "Odd, thing"


def test_page_downloads_are_titled_in_words(real_store, monkeypatch):
    """What a person downloads: the first note is the table's title in words, not its file name."""
    from lib.insight import exports
    from tests.conftest import open_app_page, open_downloads, open_on_request, record_downloads
    captured = record_downloads(monkeypatch)
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    open_downloads(open_app_page("views/organisations.py", {"area": "QYG"}, timeout=180))
    home = open_app_page("views/home.py", {}, timeout=180)
    open_on_request(home)  # Headlines' table and its downloads come on request (issue 25)
    open_downloads(home)
    titles = {n: exports.read_csv_export(b)[0][0] for n, b in captured if str(n).endswith(".csv")}
    assert titles["organisations_QYG_2025-11.csv"] == \
        "Organisations in the system, Cheshire and Merseyside ICB, Nov 2025"
    assert titles["headlines_ICS_2025-11.csv"] == "Headlines: every system, Nov 2025"
    assert all("_" not in t for t in titles.values()), titles


# --- Sickness absence: the ranking's axis is not cut, its words sit under the map ----------------------------------

def _ranking_spec(at) -> dict:
    import json
    for e in at.get("vega_lite_chart"):
        spec = json.loads(e.proto.spec)
        if any(layer.get("mark", {}).get("type") == "bar" and layer.get("encoding", {}).get("y", {}).get("field")
               == "name" for layer in spec.get("layer", [])):
            return spec
    raise AssertionError("no ranking chart on the page")


def test_sickness_ranking_is_the_map_pages_with_no_axis_title_to_cut(real_store_sickness, monkeypatch):
    """At 1366 px the ranking's x-axis title ('Sickness absence rat') was cut at the column's edge: the chart is now
    the Map page's ranking (ui.map_view.ranked_spec: values on a top axis, no title), and the measure is named in
    the words under the map, which also say which end is better."""
    from tests.conftest import open_app_page
    from ui import map_view
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store_sickness))
    at = open_app_page("views/sickness.py", {"area": "QKK"}, timeout=180)
    assert not at.exception
    spec = _ranking_spec(at)
    titled = [layer["encoding"]["x"].get("title") for layer in spec["layer"]
              if "title" in layer.get("encoding", {}).get("x", {})]
    assert titled and all(t is None for t in titled)
    assert spec["layer"] == map_view.ranked_spec("rate", 42)["layer"]
    words = " ".join(c.value for c in at.caption)
    assert "Bars: sickness absence rate by system, highest first (lower is better)" in words
    assert "Sickness absence rate across 42 systems, Mar 2025: highest Lancashire and South Cumbria (6.24%)" in words


# --- line charts' keys show each series' line, not a blot ----------------------------------------------------------

def _line_legends(spec: dict) -> list[dict]:
    """The colour legends of every line mark that also varies its dash by series, anywhere in a spec."""
    from tests.conftest import spec_nodes

    def is_line(node: dict) -> bool:
        mark, enc = node.get("mark"), node.get("encoding", {})
        return ((mark == "line" or (isinstance(mark, dict) and mark.get("type") == "line")) and "strokeDash" in enc
                and "color" in enc)
    return [node["encoding"]["color"].get("legend") or {} for node in spec_nodes(spec, is_line)]


def test_profile_and_trend_keys_draw_each_series_line(real_store, monkeypatch):
    """The System profile's trend key drew a circle outlined in each series' dash (a blot): every chart of system,
    region and England lines now keys each series with its own line (ui.trend_charts.LINE_LEGEND)."""
    import json
    from tests.conftest import open_app_page
    from ui import trend_charts
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    for page in ("views/profile.py", "views/turnover.py"):
        at = open_app_page(page, {"area": "QKK"}, timeout=180)
        legends = [lg for e in at.get("vega_lite_chart") for lg in _line_legends(json.loads(e.proto.spec))]
        assert legends, page
        for lg in legends:
            assert {k: lg.get(k) for k in ("symbolType", "symbolStrokeWidth", "symbolSize")} == \
                {k: trend_charts.LINE_LEGEND[k] for k in ("symbolType", "symbolStrokeWidth", "symbolSize")}, page
