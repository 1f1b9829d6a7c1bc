"""Issue 24, the what-if studio on the real Oct/Nov-25 files: the gap's drivers named beside the headline, a surplus
said as a surplus, comparison cards that show levers, and a comparison picture that holds every scenario and its
caveats."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lib.whatif import studio as w
from lib.whatif.projection import ENGLAND
from lib.whatif.scenario import Scenario
from tests.conftest import open_app_page


@pytest.fixture(scope="module")
def base(real_store):
    return w.load_baseline(real_store, "ICS")


def test_baseline_gap_growth_is_split_into_demand_growth_and_staff_change(base):
    res = w.run(Scenario(area=ENGLAND), base)
    d = w.gap_drivers(res, w.NURSES)
    g = w.gap_frame(res, w.NURSES)
    b = g[g["scenario"] == w.SCENARIO_LABELS["baseline"]].set_index("year")
    # hand computation: demand compounds at 2% a year with 0% productivity, from the starting demand
    assert d["demand_added"] == pytest.approx(b.loc[0, "demand"] * (1.02 ** 5 - 1), rel=1e-9)
    # the split is exact: gap change = demand added - capacity added
    assert d["gap_end"] - d["gap_start"] == pytest.approx(d["demand_added"] - d["capacity_added"], abs=1e-6)
    assert d["gap_end"] > 1.5 * d["gap_start"] > 0              # the real-data gap roughly doubles with no lever
    assert d["demand_share_of_gap"] == pytest.approx(d["demand_added"] / d["gap_end"])
    line = w.gap_driver_line(d, w.NURSES)
    assert "demand growth of 2.0% a year" in line and "not verified" in line
    assert f"{100 * d['demand_share_of_gap']:.0f}% of the year-5 gap" in line
    assert f"{d['gap_start']:,.0f} FTE now" in line


def test_surplus_is_a_surplus_in_words_and_figures(base):
    from ui.whatif.results import describe_gap, headline_figures
    # found from the data: the first system whose midwives baseline ends in a surplus (QF7 on the real files)
    area = next(c for c in base.area_codes
                if w.headline(w.run(Scenario(area=c), base), "Midwives")["baseline"]["gap_end"] < -10)
    res = w.run(Scenario(area=area), base)
    h = w.headline(res, "Midwives")
    figs = {f["label"]: f for f in headline_figures(base.period, h)}
    assert "Surplus in year 5 (FTE)" in figs and not any(k.startswith("Gap in year") for k in figs)
    assert figs["Surplus in year 5 (FTE)"]["value"] == f"{-h['scenario']['gap_end']:,.0f}"
    assert not figs["Surplus in year 5 (FTE)"]["value"].startswith(("-", "−"))
    assert "Surplus from" in figs and "Gap closes" not in figs
    share = figs["Surplus, year 5 (% of demand)"]["value"]
    assert share != "0.0%" and float(share.rstrip("%")) == pytest.approx(
        -100 * h["scenario"]["gap_end"] / h["scenario"]["demand_end"], abs=0.05)
    words = describe_gap(w.gap_columns(res, "Midwives"), "Midwives")
    assert f"a surplus of {-h['scenario']['gap_end']:,.0f} FTE" in words and "-" not in words.split("FTE")[1]
    assert "a surplus of" in w.gap_driver_line(w.gap_drivers(res, "Midwives"), "Midwives")


def test_lever_summary_names_each_lever():
    scn = Scenario.from_dict({"area": ENGLAND, "demand_growth": 0.01, "levers": {
        "retention": [{"staff_group": w.NURSES, "leaver_rate_change": -0.01}],
        "recruitment": [{"staff_group": "Midwives", "international_fte_per_year": 30, "start_year": 2}],
        "new_roles": [{"role": "nursing_associate", "trainees_per_year": 40}]}})
    assert w.lever_summary(scn) == ["Demand growth 1.0% a year", f"{w.NURSES}: leaver rate -1.0 points",
                                    "Midwives: recruit 30 international FTE a year (from year 2)",
                                    "Nursing associates: 40 trainees a year"]
    assert w.lever_summary(Scenario(area=ENGLAND)) == ["No levers moved"]


def test_comparison_picture_holds_every_scenario_and_its_caveats(base, artifacts):
    import vl_convert as vlc
    from ui import charts
    from ui.whatif.panels import compare_chart_spec, compare_picture_spec
    names = ["Baseline (no levers)", "A: 40 nursing associates a year in South East London",
             "B: retention -1 point", "C: international recruitment 300 FTE", "D: everything together, long name"]
    rows = [{"scenario": n, "year": y, "gap": 1000.0 * i - 300 * y} for i, n in enumerate(names) for y in range(6)]
    notes = w.picture_notes(base, ENGLAND, w.NURSES)
    source = "NHS Digital Turnover benchmarking 2, Oct-Nov 2025; ingested 7 Dec 2026"
    pic = charts.export_spec(compare_picture_spec(compare_chart_spec(5, w.NURSES), rows), "Gap over time", "England",
                             "Nov 2025", False, source=source, notes=notes)
    svg = vlc.vegalite_to_svg(json.dumps(pic))
    (artifacts / "issue24_what_if_compare.png").write_bytes(vlc.vegalite_to_png(json.dumps(pic), scale=1))
    for n in names:
        assert n in svg, n
    subtitle = " ".join(pic["title"]["subtitle"])
    assert source in subtitle
    assert "Provisional, 2 months" in subtitle and "NHS Vacancy Statistics, England, 30 Sep 2025" in subtitle
    assert "Provider Workforce Return" not in subtitle     # the national default was used, not a system's return
    # nothing drawn beyond the picture's edge: every text's x inside the svg width
    import re
    width = float(re.search(r'<svg[^>]*width="([0-9.]+)"', svg).group(1))
    xs = [float(x) for x in re.findall(r'<text[^>]*transform="translate\(([0-9.\-]+),', svg)]
    assert xs and max(xs) < width
    for line in pic["title"]["subtitle"]:
        assert len(line) * 6.0 <= pic["width"] + 60, line


def test_page_names_demand_growth_beside_the_headline(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/what_if.py", {}, timeout=180)
    captions = [c.value for c in at.caption]
    first = next(c for c in captions if "With no lever moved" in c)
    assert "demand growth of 2.0% a year" in first and "not verified" in first and "% of the year-5 gap" in first


def _qp(at, name):
    v = at.query_params[name]
    return v[0] if isinstance(v, list) else v


def test_four_compared_scenarios_survive_a_reload_and_travel_in_the_link():
    at = open_app_page("views/what_if.py", {"area": "QKK"}, timeout=120)
    at.session_state["wi_panel"] = "Compare scenarios"
    at.run()
    for n, name in ((0, "Plan A"), (50, "Plan B"), (100, "Plan C"), (150, "Plan D")):
        at.slider(key="wi_c_nr_nursing_associate_trainees").set_value(n).run()
        at.run()      # a lever reruns only the results fragment: a full run redraws the rest, as a browser keeps it
        at.text_input(key="wi_name").set_value(name).run()
        at.run()
        at.button(key="wi_cmp_add").click().run()
        at.run()
    assert list(at.session_state["wi_saved"]) == ["Plan A", "Plan B", "Plan C", "Plan D"]
    link = _qp(at, "cmp")
    # a reload: a new session opens the same address
    again = open_app_page("views/what_if.py", {"area": "QKK", "cmp": link, "scn": _qp(at, "scn")}, timeout=120)
    again.session_state["wi_panel"] = "Compare scenarios"
    again.run()
    saved = again.session_state["wi_saved"]
    assert list(saved) == ["Plan A", "Plan B", "Plan C", "Plan D"]
    assert Scenario.from_json(saved["Plan D"]).levers.new_roles[0].trainees_per_year == 150
    cards = [m.value for m in again.markdown if m.value.startswith("**4. Plan D**")]
    assert cards and "Nursing associates: 150 trainees a year" in cards[0]     # cards show the levers
    # a damaged part is named and left out, the rest kept
    three = "~".join(link.split("~")[:3])
    bad = open_app_page("views/what_if.py", {"area": "QKK", "cmp": three + "~s1.AAAA"}, timeout=120)
    assert list(bad.session_state["wi_saved"]) == ["Plan A", "Plan B", "Plan C"]
    assert any("could not be read and are left out" in x.value for x in bad.warning)


def test_compare_straight_from_the_library(tmp_path, monkeypatch):
    import shutil
    from lib.data.loader import DEMO_DATA_DIR
    from lib.whatif import library
    store = tmp_path / "demo"
    shutil.copytree(DEMO_DATA_DIR, store)
    library.save(store, "Plan B", Scenario.from_dict({"area": "QKK", "levers": {"retention": [
        {"staff_group": w.NURSES, "leaver_rate_change": -0.01}]}}), "bob@nhs.net")
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(store))
    at = open_app_page("views/what_if.py", {"area": "QKK"}, timeout=120)
    at.session_state["wi_panel"] = "Save, load and share"
    at.run()
    shown = next(d.value for d in at.dataframe if "Saved by" in d.value)
    assert shown["Levers"].tolist() == [f"{w.NURSES}: leaver rate -1.0 points"]
    at.button(key="wi_lib_compare").click().run()
    assert list(at.session_state["wi_saved"]) == ["Plan B"]
    assert not at.exception


def test_one_name_names_the_comparison_the_library_and_the_download(tmp_path, monkeypatch):
    import shutil
    from lib.data.loader import DEMO_DATA_DIR
    store = tmp_path / "demo"
    shutil.copytree(DEMO_DATA_DIR, store)
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(store))
    from streamlit.delta_generator import DeltaGenerator
    names: list = []
    original = DeltaGenerator.download_button

    def recording(self, label, data, *args, **kwargs):
        names.append(kwargs.get("file_name"))
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    import streamlit as st
    bound = st.download_button
    monkeypatch.setattr(st, "download_button", lambda label, data, *a, **k: (names.append(k.get("file_name")),
                                                                            bound(label, data, *a, **k))[1])
    at = open_app_page("views/what_if.py", {"area": "QKK"}, timeout=120)
    at.text_input(key="wi_name").set_value("Board option A").run()
    at.run()
    at.session_state["wi_panel"] = "Save, load and share"
    at.run()
    assert not [t for t in at.text_input if t.key in ("wi_cmp_name", "wi_lib_name")]
    assert "Board_option_A.json" in names
    at.button(key="wi_lib_save").click().run()
    assert any("Saved `Board option A` to the library." in s.value for s in at.success)  # the name as a code span


def test_change_log_numbers_stay_numbers():
    from lib.whatif import library
    rows = [library.log_row("ann", "Leaver rate change, points", -1.0, when="2026-12-07T10:00:00+00:00"),
            library.log_row("ann", "Trainees", 40, when="2026-12-07T10:01:00+00:00"),
            library.log_row("=cmd", "Scenario name", "-cmd", when="2026-12-07T10:02:00+00:00")]
    text = library.log_csv(rows).decode("utf-8-sig")
    assert ",-1\n" in text and "'-1" not in text and ",40\n" in text
    assert "'-cmd" in text and "'=cmd" in text                      # text is still neutralised


def test_final_year_caption_says_a_surplus_as_the_cards_do():
    import pandas as pd
    ends = pd.DataFrame({"scenario": ["Retain and recruit", "Trainees", "Even"], "gap": [-1146.4, 250.0, 0.2]})
    assert w.final_year_caption(ends, 3720.0) == (
        "In the final year: Retain and recruit: a surplus of 1,146 FTE; Trainees: a gap of 250 FTE; Even: no gap; "
        "baseline (no levers): a gap of 3,720 FTE. Below 0 on the chart is a surplus (capacity above demand).")
    assert [w.gap_word(g) for g in (-1146.4, 250.0, 0.2, -0.4)] == ["Surplus", "Gap", "Gap", "Gap"]


def test_compare_caption_and_cards_agree_on_a_real_surplus(real_store, monkeypatch):
    """South East London on the real files: a scenario that turns nurses' gap into a surplus reads 'Surplus' on its
    comparison card and 'a surplus of N FTE' in the chart's caption, with the same N, never '-N FTE'."""
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    scn = Scenario.from_dict({"area": "QKK", "name": "Retain and recruit", "levers": {
        "retention": [{"staff_group": w.NURSES, "leaver_rate_change": -0.05}],
        "recruitment": [{"staff_group": w.NURSES, "international_fte_per_year": 2000}]}})
    base = w.load_baseline(real_store, "ICS")
    gap_end = w.headline(w.run(scn, base), w.NURSES)["scenario"]["gap_end"]
    assert gap_end < -0.5                                      # the levers do make a surplus (from the model itself)
    at = open_app_page("views/what_if.py", {"area": "QKK"}, timeout=180)
    at.session_state["wi_saved"] = {"Retain and recruit": scn.to_json(None)}
    at.session_state["wi_panel"] = "Compare scenarios"
    at.run()
    assert not at.exception
    card = next(m.value for m in at.markdown if m.value.startswith("**1. Retain and recruit**"))
    assert f"Surplus in year 5: **{abs(gap_end):,.0f} FTE**" in card and "Surplus from" in card
    caption = next(c.value for c in at.caption if c.value.startswith("In the final year:"))
    assert f"Retain and recruit: a surplus of {abs(gap_end):,.0f} FTE" in caption
    assert f"-{abs(gap_end):,.0f}" not in caption
