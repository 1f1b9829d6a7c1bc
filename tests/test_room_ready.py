"""Issue 15 (room-ready): values and words a person sees, checked with AppTest and plain functions.

Layout (above the fold, live drag, clipped tables, the map key) is checked in tests/browser/test_room_ready.py."""
from __future__ import annotations

import io
import re
import json
import zipfile

import pandas as pd
import pytest

from lib.insight import exports
from lib.whatif import library
from lib.whatif.scenario import Scenario
from tests.conftest import open_app_page, open_downloads

NURSES = "Nurses & health visitors"
JARGON = ["1-(1-m)", "phi", "tau2", "vacancy_fte unknown", "`check`", "Seed", "METHODS", "P10", "P50", "P90"]


def open_what_if(**params):
    return open_app_page("views/what_if.py", params, timeout=90)


def visible_text(at) -> str:
    """Every text a person reads on the page: markdown, captions, notices, labels, metric labels and deltas."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("info", "warning", "error", "success"):
        parts += [str(x.value) for x in getattr(at, kind)]
    for kind in ("slider", "selectbox", "number_input", "text_input", "toggle", "multiselect", "button"):
        parts += [str(w.label) for w in getattr(at, kind)]
    parts += [m.label for m in at.metric] + [m.proto.delta for m in at.metric]
    parts += [str(t.label) for t in at.tabs] if hasattr(at, "tabs") else []
    return as_read("\n".join(parts))


def as_read(text: str) -> str:
    """Markdown as a person reads it: backslash escapes of punctuation and word joiners removed (ui.text.md)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("\u2060", "")


def metric(at, start: str):
    hits = [m for m in at.metric if m.label.startswith(start)]
    assert hits, [m.label for m in at.metric]
    return hits[0]


# ---------------------------------------------------------------------------------------------------------------
# Exports that stand alone
# ---------------------------------------------------------------------------------------------------------------
def test_csv_numbers_rounded_as_shown_and_notes_carried():
    df = pd.DataFrame({"System": ["=HYPERLINK(1)", "Leeds"], "FTE": [9608.029999999999, 1467.26],
                       "Headcount": [25085.0, 3.0], "Leaver rate": [0.0088123456, 0.0095],
                       "Share": ["0.88%", "1.5%"], "Cost (£)": [1234.5678, 2.0]})
    notes = exports.standard_notes("Headlines", system="Leeds (QWO)", period="Nov 2025 (ICS)", synthetic=True)
    raw = exports.to_csv_bytes(df, notes=notes).decode("utf-8-sig")
    got_notes, back = exports.read_csv_export(raw)
    assert list(back.columns) == ["System", "FTE", "Headcount", "Leaver rate (fraction)", "Share (fraction)",
                                  "Cost (£)"]
    assert back["FTE"].tolist() == [9608.0, 1467.3]                      # FTE 1 dp, not 9608.029999999999
    assert "25085," in raw and "25085.0" not in raw                      # headcount whole
    assert back["Leaver rate (fraction)"].tolist() == [0.008812, 0.0095]
    assert back["Share (fraction)"].tolist() == [0.0088, 0.015]          # "0.88%" text became a fraction
    assert back["System"][0] == "'=HYPERLINK(1)"                        # formula neutralised
    text = " ".join(got_notes)
    for want in ("Headlines", "System: Leeds (QWO)", "Period: Nov 2025 (ICS)", "Source: NHS Digital", "SYNTHETIC"):
        assert want in text, want


def test_excel_carries_notes_sheet_and_rounding():
    import openpyxl
    df = pd.DataFrame({"FTE": [9608.029999999999], "Vacancy rate": [0.07549012]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel_bytes(df, notes=["Title", exports.SYNTHETIC_NOTE])))
    data = wb["data"]
    assert [c.value for c in data[1]] == ["FTE", "Vacancy rate (fraction)"]
    assert data["A2"].value == 9608.0 and data["B2"].value == 0.07549
    assert [r[0].value for r in wb["notes"].iter_rows(min_row=2)] == ["Title", exports.SYNTHETIC_NOTE]


def test_chart_export_carries_title_system_period_source_and_synthetic_label():
    import vl_convert as vlc
    from ui import charts
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"x": 1, "y": 2}]},
            "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"},
                                         "y": {"field": "y", "type": "quantitative"}}}
    out = charts.export_spec(spec, "Gap over time", "Leeds (QWO)", "Nov 2025 (ICS data)", True)
    svg = vlc.vegalite_to_svg(json.dumps(out))
    for want in ("Gap over time", "Leeds (QWO) - Nov 2025 (ICS data)", "Source: NHS Digital", "SYNTHETIC demo data"):
        assert want in svg, want
    real = charts.export_spec(spec, "Gap over time", None, "Nov 2025", False)
    assert "SYNTHETIC" not in json.dumps(real)


def test_chart_picture_is_built_only_when_asked_for(monkeypatch):
    """trend_charts.show with a cached (frozen: Arrow bytes) spec: the PNG/SVG buttons get a function, the rows are
    turned into records only when it runs (it was 40 % of a Turnover rerun), and the picture carries the rows."""
    from ui import charts, trend_charts
    buttons: dict[str, object] = {}

    class Row:
        def download_button(self, label, data, **kwargs):
            buttons[label] = data

    class FakeSt:
        session_state: dict = {}

        def vega_lite_chart(self, **kwargs):
            pass

        def caption(self, text):
            pass

        def container(self, **kwargs):
            return Row()

        def popover(self, label, **kwargs):  # the 'Download chart' popover, opened (ui.on_request)
            popovers.append(label)
            return Popover()

    class Popover:
        open = True

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    from ui import on_request
    popovers: list[str] = []
    monkeypatch.setattr(charts, "st", FakeSt())
    monkeypatch.setattr(trend_charts, "st", FakeSt())
    monkeypatch.setattr(on_request, "st", FakeSt())
    converted = []
    real_records = trend_charts._records
    monkeypatch.setattr(trend_charts, "_records", lambda v: converted.append(1) or real_records(v))
    spec = trend_charts.frozen({"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                                "data": {"name": "source_0"}, "mark": "bar", "title": "Leavers by month",
                                "encoding": {"x": {"field": "group", "type": "nominal"},
                                             "y": {"field": "fte", "type": "quantitative"}},
                                "datasets": {"source_0": pd.DataFrame({"group": ["Nurses", "Zzqx doctors"],
                                                                       "fte": [12.5, 7.0]})}})
    assert isinstance(spec["datasets"]["source_0"], bytes)
    trend_charts.show(spec, "leavers", "k", description="Nurses 12.5 FTE.")
    assert popovers == ["Download chart"]
    assert set(buttons) == {"Download chart (PNG)", "Download chart (SVG)"}
    assert converted == [], "no rows converted while the page reruns"
    svg = buttons["Download chart (SVG)"]().decode()
    assert converted and "Leavers by month" in svg and "Zzqx doctors" in svg and "Source: NHS Digital" in svg
    assert buttons["Download chart (PNG)"]()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------------------------
# Scenario library (server side) and change log
# ---------------------------------------------------------------------------------------------------------------
def test_library_save_list_load_delete_export(tmp_path):
    scn = Scenario.from_dict({"schema_version": 1, "area": "QKK", "horizon": 7, "name": "40 NAs",
                              "levers": {"new_roles": [{"role": "nursing_associate", "trainees_per_year": 40}]}})
    assert library.save(tmp_path, "40 nursing associates", scn, "ann@nhs.net",
                        when="2026-11-29T10:00:00+00:00") == "40 nursing associates"
    assert (tmp_path / "scenarios" / "library.sqlite3").is_file()  # SQLite in the store (issue 22)
    library.save(tmp_path, "Retention first", Scenario(area="QKK"), "bob@nhs.net", when="2026-11-29T11:00:00+00:00")
    t, problems = library.entries(tmp_path)
    assert problems == []
    assert t["name"].tolist() == ["Retention first", "40 nursing associates"]          # newest first
    assert t["saved_by"].tolist() == ["bob@nhs.net", "ann@nhs.net"]
    assert library.load(tmp_path, "40 nursing associates").to_dict() == scn.to_dict()
    # saving again under the same name replaces that entry only
    library.save(tmp_path, "40 nursing associates", Scenario(area="QKK", horizon=3), "ann@nhs.net")
    assert library.load(tmp_path, "40 nursing associates").horizon == 3
    assert len(library.entries(tmp_path)[0]) == 2
    with zipfile.ZipFile(io.BytesIO(library.export_zip(tmp_path))) as z:
        docs = [json.loads(z.read(n)) for n in z.namelist()]
    assert sorted(d["name"] for d in docs) == ["40 nursing associates", "Retention first"]
    assert all(d["saved_by"] and d["saved_at_utc"] for d in docs)
    assert library.delete(tmp_path, "Retention first", "bob@nhs.net")
    assert not library.delete(tmp_path, "Retention first", "bob@nhs.net")
    assert library.entries(tmp_path)[0]["name"].tolist() == ["40 nursing associates"]


def test_library_names_damaged_files_and_refuses_bad_names(tmp_path):
    library.save(tmp_path, "Good", Scenario(area="QKK"), "ann")
    (tmp_path / "scenarios" / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "scenarios" / "wrong.json").write_text(json.dumps({"name": "x", "scenario": {"area": 5}}))
    t, problems = library.entries(tmp_path)
    assert t["name"].tolist() == ["Good"]
    assert any(p.startswith("scenarios/broken.json: not valid JSON") for p in problems), problems
    assert any(p.startswith("scenarios/wrong.json:") for p in problems), problems
    with pytest.raises(library.LibraryError, match="needs a name"):
        library.save(tmp_path, "   ", Scenario(area="QKK"), "ann")
    with pytest.raises(library.LibraryError, match="at most 80"):
        library.save(tmp_path, "x" * 81, Scenario(area="QKK"), "ann")
    # a name is never a path: it is a value in the database
    library.save(tmp_path, "../../etc/passwd", Scenario(area="QKK"), "ann")
    assert "../../etc/passwd" in library.entries(tmp_path)[0]["name"].tolist()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and "library.sqlite3" not in p.name) == [
        "broken.json", "wrong.json"]


def test_library_only_the_owner_overwrites_or_deletes(tmp_path):
    library.save(tmp_path, "Plan A", Scenario(area="QKK", horizon=5), "Ann@NHS.net", when="2026-11-29T10:00:00+00:00")
    assert library.owner(tmp_path, "Plan A") == "ann@nhs.net"          # addresses compared in lower case
    # someone else may neither overwrite nor delete it; the message names the owner and what to do
    with pytest.raises(library.LibraryError, match=r"saved by ann@nhs\.net, and only they can overwrite it\. "
                                                   r"Save your version under another name"):
        library.save(tmp_path, "Plan A", Scenario(area="QKK", horizon=2), "bob@nhs.net")
    with pytest.raises(library.LibraryError, match=r"saved by ann@nhs\.net, and only they can delete it"):
        library.delete(tmp_path, "Plan A", "bob@nhs.net")
    with pytest.raises(library.LibraryError, match="only they can delete"):
        library.delete(tmp_path, "Plan A", None)                        # nobody signed in is not Ann either
    assert library.load(tmp_path, "Plan A").horizon == 5                 # untouched
    # ...but may view, load and export it, and save their own version under another name
    assert library.entries(tmp_path)[0]["saved_by"].tolist() == ["ann@nhs.net"]
    library.save(tmp_path, "Plan A (Bob)", Scenario(area="QKK", horizon=2), "bob@nhs.net")
    assert len(zipfile.ZipFile(io.BytesIO(library.export_zip(tmp_path))).namelist()) == 2
    # the owner may (whatever the case of the address)
    library.save(tmp_path, "Plan A", Scenario(area="QKK", horizon=3), "ann@nhs.net")
    assert library.load(tmp_path, "Plan A").horizon == 3
    assert library.delete(tmp_path, "Plan A", "ANN@nhs.net")


def test_library_anonymous_when_sign_in_is_off_and_unreadable_entries_kept(tmp_path):
    assert library.identity(None) == library.identity("") == library.ANONYMOUS == "anonymous (local)"
    library.save(tmp_path, "Local plan", Scenario(area="QKK"), None)
    assert library.entries(tmp_path)[0]["saved_by"].tolist() == ["anonymous (local)"]
    # with sign-in off everyone is anonymous, so anyone at the laptop may change the anonymous entries
    library.save(tmp_path, "Local plan", Scenario(area="QKK", horizon=4), library.ANONYMOUS)
    # a signed-in user may not change an anonymous entry, nor the other way round
    with pytest.raises(library.LibraryError, match="saved by anonymous \\(local\\)"):
        library.delete(tmp_path, "Local plan", "ann@nhs.net")
    library.save(tmp_path, "Ann's", Scenario(area="QKK"), "ann@nhs.net")
    with pytest.raises(library.LibraryError, match="saved by ann@nhs.net"):
        library.save(tmp_path, "Ann's", Scenario(area="QKK"), library.ANONYMOUS)
    assert library.owner(tmp_path, "Local plan") == library.ANONYMOUS


def test_library_files_from_before_are_imported_once_with_owners(tmp_path):
    """scenarios/*.json (the library before issue 22) are imported on first use; "local user" (entries saved
    before owners were recorded) counts as anonymous; a damaged file is listed, not imported, never fatal."""
    d = tmp_path / "scenarios"
    d.mkdir()
    doc = {"name": "Old plan", "saved_by": "local user", "saved_at_utc": "2026-11-01T10:00:00+00:00",
           "scenario": Scenario(area="QKK", horizon=4).to_dict()}
    (d / "Old_plan_1.json").write_text(json.dumps(doc))
    (d / "Ann_1.json").write_text(json.dumps({**doc, "name": "Ann's", "saved_by": "Ann@nhs.net"}))
    (d / "broken.json").write_text("{not json")
    t, problems = library.entries(tmp_path)
    assert sorted(t["name"]) == ["Ann's", "Old plan"]
    assert library.owner(tmp_path, "Old plan") == library.ANONYMOUS
    assert library.owner(tmp_path, "Ann's") == "ann@nhs.net"
    assert library.load(tmp_path, "Old plan").horizon == 4
    assert problems == ["scenarios/broken.json: not valid JSON (Expecting property name enclosed in double quotes: "
                        "line 1 column 2 (char 1))"]
    # once: deleting an imported entry does not bring it back from its file
    assert library.delete(tmp_path, "Old plan", None)
    assert sorted(library.entries(tmp_path)[0]["name"]) == ["Ann's"]
    log = library.changes(tmp_path)
    assert sorted(log["what"]) == ["deleted", "imported", "imported"]


def test_change_log_csv_is_formula_safe_with_notes():
    rows = [library.log_row("ann", "Nursing associates: trainees a year", 40, when="2026-11-29T10:00:00+00:00"),
            library.log_row("=cmd", "Scenario name", "+SUM(A1)", when="2026-11-29T10:01:00+00:00")]
    raw = library.log_csv(rows, ["What-if studio change log", exports.SYNTHETIC_NOTE]).decode("utf-8-sig")
    got_notes, back = exports.read_csv_export(raw, dtype=str)
    assert back.columns.tolist() == ["when_utc", "who", "what", "value"]
    assert back["value"].tolist() == ["40", "'+SUM(A1)"] and back["who"][1] == "'=cmd"
    assert got_notes == ["What-if studio change log", exports.SYNTHETIC_NOTE]


# ---------------------------------------------------------------------------------------------------------------
# Plain words, slider ranges, comparison chart spec
# ---------------------------------------------------------------------------------------------------------------
def test_model_notes_and_sources_in_plain_words():
    from lib.whatif import studio as w
    RATE_BASIS_MONTHLY = "annualised from monthly rates: leaver 1-(1-m)^12; joiner keeps monthly net growth"
    from ui.whatif.results import plain_note, plain_source, rate_basis_words
    assert "1-(1-m)" not in plain_note(RATE_BASIS_MONTHLY) and "12 months" in plain_note(RATE_BASIS_MONTHLY)
    n = plain_note("vacancy_fte unknown for some system x staff group: demand there = staff in post (gap 0 at t0)")
    assert n.startswith("Vacancy figures are missing") and "_" not in n
    assert plain_note("3 missing leaver_rate values filled with the FTE-weighted rate of the staff group").startswith(
        "3 system and staff group starting points had no leaver rate")
    assert "`" not in plain_note("Retention is linearised at a 1 percentage-point change; `check` shows the gap")
    assert rate_basis_words(RATE_BASIS_MONTHLY) == "yearly, worked out from monthly rates"
    sources = w.assumption_table(w.shared_assumptions())["source"].map(plain_source)
    assert not sources.str.contains("METHODS").any()
    assert plain_source("healthcareers.nhs.uk AfC pay rates from 1 April 2024 (METHODS 1.7)") == \
        "healthcareers.nhs.uk AfC pay rates from 1 April 2024"


@pytest.mark.parametrize("fte, current, want", [
    (15_200, 0, (0, 760, 20)),       # a system's nurses: 5% = 760 in steps of 20 (38 steps), not 0-500 by 1
    (330_000, 0, (0, 16_500, 500)),  # England's nurses
    (100, 0, (0, 20, 1)),            # a small group still gets a usable range
    (15_200, 1000, (0, 1000, 20)),   # a loaded value above the range widens it
])
def test_trainee_slider_range_and_step(fte, current, want):
    from ui.whatif.levers import nice_range
    assert nice_range(fte, current) == want


def test_compare_names_never_overwrite():
    from ui.whatif.panels import _next_name, unique_name
    saved = {"Scenario 1": "{}", "NA 40": "{}", "NA 40 (2)": "{}"}
    assert _next_name(saved) == "Scenario 4"          # the 4th row; a name in use is skipped
    assert _next_name({"Scenario 2": "{}"}) == "Scenario 3"
    assert unique_name("NA 40", saved) == "NA 40 (3)" and unique_name("New", saved) == "New"


def test_compare_chart_spec_readable_by_a_room():
    from ui import charts
    from ui.whatif.panels import compare_chart_spec
    s = compare_chart_spec(5, NURSES, big=True)
    assert s["height"] >= 250
    assert s["encoding"]["x"]["axis"]["labelAngle"] == 0
    leg = s["encoding"]["color"]["legend"]
    assert leg["labelLimit"] == 0 and leg["columns"] == 5 and leg["orient"] == "bottom"   # never clipped
    assert s["encoding"]["x"]["axis"]["labelFontSize"] >= 16 and s["config"]["axis"]["labelFontSize"] >= 16
    assert s["encoding"]["color"]["scale"]["range"][1:] == charts.COMPARE_COLOURS


def test_one_visual_language_for_england_region_system():
    from ui import charts, trend_charts
    assert trend_charts.ROLE_COLOURS == {"England": charts.ENGLAND_COLOUR, "Region": charts.REGION_COLOUR,
                                         "System": charts.SYSTEM_COLOUR}
    assert trend_charts.ROLE_DASH["England"] == charts.ENGLAND_DASH
    import inspect
    from ui import map_view
    src = inspect.getsource(map_view)
    assert "#d5281b\", strokeDash" not in src and "charts.ENGLAND_COLOUR" in src


# ---------------------------------------------------------------------------------------------------------------
# The what-if page (AppTest)
# ---------------------------------------------------------------------------------------------------------------
def test_arrows_only_where_a_figure_moved_and_the_right_way():
    from streamlit.proto.Metric_pb2 import Metric as MetricProto
    at = open_what_if(area="QKK")
    gap = metric(at, "Gap in year 5")
    assert gap.proto.delta == "Same as baseline" and gap.proto.direction == MetricProto.MetricDirection.NONE
    cost = metric(at, "Extra cost")
    assert cost.proto.direction == MetricProto.MetricDirection.NONE and cost.proto.delta.startswith("Pay bill, year 5: £") and cost.proto.delta.endswith("(same as baseline)")
    at.slider(key="wi_c_nr_nursing_associate_trainees").set_value(200).run()
    at.run()
    gap = metric(at, "Gap in year 5")
    assert gap.proto.delta.startswith("-") and gap.proto.delta.endswith("FTE vs baseline")
    assert gap.proto.direction != MetricProto.MetricDirection.NONE           # an arrow, pointing down (fell)
    cost = metric(at, "Extra cost")
    assert cost.proto.direction == MetricProto.MetricDirection.NONE          # no "up" on a pay bill figure
    # here the pay bill FELL (nursing associates take on nurses' work at a lower band): said in words, no "up"
    assert cost.proto.delta.startswith("Pay bill, year 5: £") and "(-£" in cost.proto.delta


def test_trainee_sliders_have_sensible_ranges():
    at = open_what_if(area="QKK")
    s = at.slider(key="wi_c_nr_nursing_associate_trainees")
    assert s.proto.max <= 2000 and s.proto.step >= 5, (s.proto.max, s.proto.step)
    assert "steps of" in s.proto.help


def test_compare_add_twice_keeps_two_rows_and_says_the_next_name():
    at = open_what_if(area="QKK")
    at.session_state["wi_panel"] = "Compare scenarios"
    at.run()
    at.button(key="wi_cmp_add").click().run()
    assert any("Adds it as 'Scenario 2'" in c.value for c in at.caption)
    at.slider(key="wi_c_nr_nursing_associate_trainees").set_value(100).run()
    at.run()
    at.button(key="wi_cmp_add").click().run()
    at.run()
    saved = at.session_state["wi_saved"]
    assert list(saved) == ["Scenario 1", "Scenario 2"]
    assert Scenario.from_json(saved["Scenario 2"]).levers.new_roles[0].trainees_per_year == 100
    spec = json.loads(at.get("vega_lite_chart")[-1].proto.spec)
    assert spec["encoding"]["x"]["axis"]["labelAngle"] == 0 and spec["encoding"]["color"]["legend"]["labelLimit"] == 0
    assert "In the final year: Scenario 1: a gap of" in visible_text(at)


@pytest.mark.parametrize("panel", ["Compare scenarios", "Least-cost mix", "Uncertainty", "Assumptions",
                                   "Save, load and share"])
def test_no_jargon_anywhere_on_the_page(panel):
    at = open_what_if(area="QKK")
    at.session_state["wi_panel"] = panel
    at.run()
    text = visible_text(at)
    for word in JARGON:
        assert word not in text, (panel, word)


def test_workshop_mode_from_the_link_and_bad_flag():
    at = open_what_if(area="QKK", workshop="1")
    assert at.toggle(key="wi_workshop").value is True
    chosen = at.button_group(key="wi_live_chosen")
    assert chosen.value == ["nr_nursing_associate_trainees", "ret_change_pp"]
    # chart text at least 16 px for a room
    gap = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")
           if json.loads(c.proto.spec).get("title", "").startswith("Gap:")]
    assert gap and gap[0]["config"]["axis"]["labelFontSize"] >= 16 and gap[0]["config"]["legend"]["labelFontSize"] >= 16
    bad = open_what_if(area="QKK", workshop="<script>")
    assert bad.toggle(key="wi_workshop").value is False
    assert "workshop value" in visible_text(bad) and "<script>" not in visible_text(bad).replace("`<script>`", "")


def test_workshop_compare_view_shows_cards_and_chart_first():
    at = open_what_if(area="QKK", workshop="1")
    at.session_state["wi_saved"] = {"Plan A": Scenario(area="QKK").to_json(None)}
    at.session_state["wi_ws_view"] = "Compare scenarios"
    at.run()
    md = [m.value for m in at.markdown]
    assert any(v.startswith("**1. Plan A**") and "Gap in year 5" in v for v in md)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["title"]["text"].startswith("Gap over time") and spec["config"]["axis"]["labelFontSize"] >= 16


def test_library_on_the_page_saves_with_who_and_when(tmp_path, monkeypatch):
    import shutil
    from lib.data.loader import DEMO_DATA_DIR
    store = tmp_path / "demo"
    shutil.copytree(DEMO_DATA_DIR, store)
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(store))
    at = open_what_if(area="QKK")
    at.session_state["wi_panel"] = "Save, load and share"
    at.run()
    at.text_input(key="wi_name").set_value("Board option A").run()   # one name box: the scenario's own
    at.button(key="wi_lib_save").click().run()
    assert any("Saved `Board option A` to the library." in as_read(s.value) for s in at.success)
    t, _ = library.entries(store)
    assert t["name"].tolist() == ["Board option A"] and t["saved_by"].tolist() == ["anonymous (local)"]
    assert t["saved_at_utc"][0].startswith("20")
    assert "Change log of this session" in visible_text(at)


def _library_page(tmp_path, monkeypatch, who: str | None = None):
    """The save panel on a copy of the demo store holding Bob's 'Plan B' and an anonymous 'Local plan'."""
    import shutil
    from lib.data.loader import DEMO_DATA_DIR
    store = tmp_path / "demo"
    shutil.copytree(DEMO_DATA_DIR, store)
    library.save(store, "Plan B", Scenario(area="QKK", horizon=4), "bob@nhs.net")
    library.save(store, "Local plan", Scenario(area="QKK", horizon=6), None)
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(store))
    if who is not None:  # a signed-in viewer (sign-in itself is tested in tests/test_auth_oidc.py)
        from ui.whatif import panels
        monkeypatch.setattr(panels, "auth_user", lambda: who)
    at = open_what_if(area="QKK")
    at.session_state["wi_panel"] = "Save, load and share"
    at.run()
    return at, store


def test_library_page_only_the_owner_may_replace_or_delete(tmp_path, monkeypatch):
    at, store = _library_page(tmp_path, monkeypatch)
    assert "You are anonymous (local). Everyone here can load, compare and export any scenario; only the person " \
           "who saved one can replace or delete it. Names differing only in capitals or Unicode form count as " \
           "the same name." in visible_text(at)
    shown = at.dataframe[-1].value if "Saved by" in at.dataframe[-1].value else next(
        d.value for d in at.dataframe if "Saved by" in d.value)
    assert dict(zip(shown["Name"], shown["Saved by"])) == {"Plan B": "bob@nhs.net", "Local plan": "anonymous (local)"}
    # Bob's entry: Delete is off (with who may), saving over it is refused with the owner named; loading works
    at.selectbox(key="wi_lib_pick").set_value("Plan B").run()
    delete = at.button(key="wi_lib_delete")
    assert delete.disabled and delete.help == "Only bob@nhs.net can delete it"
    at.text_input(key="wi_name").set_value("Plan B").run()
    at.button(key="wi_lib_save").click().run()
    assert any("Not saved: Cannot overwrite 'Plan B': it was saved by bob@nhs.net" in as_read(e.value)
               for e in at.error)
    assert library.load(store, "Plan B").horizon == 4 and library.owner(store, "Plan B") == "bob@nhs.net"
    at.button(key="wi_lib_load").click().run()
    assert not at.error
    # the anonymous entry is everyone's when sign-in is off: Delete is on and removes it
    at.selectbox(key="wi_lib_pick").set_value("Local plan").run()
    assert not at.button(key="wi_lib_delete").disabled
    at.button(key="wi_lib_delete").click().run()
    assert library.entries(store)[0]["name"].tolist() == ["Plan B"]


def test_library_page_signed_in_owner_deletes_own_entry_only(tmp_path, monkeypatch):
    at, store = _library_page(tmp_path, monkeypatch, who="bob@nhs.net")
    assert "You are bob@nhs.net." in visible_text(at)
    at.selectbox(key="wi_lib_pick").set_value("Local plan").run()
    assert at.button(key="wi_lib_delete").disabled             # not Bob's
    at.selectbox(key="wi_lib_pick").set_value("Plan B").run()
    assert not at.button(key="wi_lib_delete").disabled
    at.button(key="wi_lib_delete").click().run()
    assert library.entries(store)[0]["name"].tolist() == ["Local plan"]


def test_auth_user_is_the_trusted_address(monkeypatch):
    """Signed in: the owner is the address the allow-list trusts (a verified e-mail), not any claim."""
    from ui import auth
    from ui.whatif import session
    monkeypatch.setattr(auth, "auth_configured", lambda: False)
    assert session.auth_user() == "anonymous (local)"

    class FakeUser:
        def __init__(self, claims):
            self.claims = claims

        def to_dict(self):
            return dict(self.claims)
    monkeypatch.setattr(auth, "auth_configured", lambda: True)
    monkeypatch.setattr(auth, "settings", lambda: {})
    monkeypatch.setattr(session.st, "user", FakeUser({"email": "Ann@NHS.net", "email_verified": True}))
    assert session.auth_user() == "ann@nhs.net"
    monkeypatch.setattr(session.st, "user", FakeUser({"email": "bob@nhs.net", "email_verified": False,
                                                      "name": "Bob"}))
    assert session.auth_user() == "signed-in user without a verified address"


# ---------------------------------------------------------------------------------------------------------------
# Other pages
# ---------------------------------------------------------------------------------------------------------------
def test_accessibility_statement_lists_met_and_not_met():
    at = open_app_page("views/accessibility.py")
    heads = [s.value for s in at.subheader]
    assert heads[:3] == ["What is met", "What is not met yet", "How this was checked"]
    met, not_met, checks = at.table[0].value, at.table[1].value, at.table[2].value
    assert {"Keyboard", "Visible focus", "Charts described in words", "Contrast", "One number style in tables",
            "Tables fit a 1440 px screen"} <= set(met.index)
    charts = met.loc["Charts described in words"].iloc[1]
    for chart in ("leavers, joiners and net change", "more or fewer than expected for its size",
                  "every staff group over time", "every system against England", "System profile (trends, role mix)",
                  "the process limits and any signal"):
        assert chart in charts
    # what is not met, said plainly: no person has tested with a screen reader or at 200% zoom
    intro = "\n".join(m.value for m in at.markdown)
    assert "No person has yet tested the dashboard with a screen reader" in intro and "200%" in intro
    assert "Screen readers, zoom and high contrast: not tested by a person" in set(not_met.index)
    assert {"Reflow at 400% (320 px wide)", "Map picture", "Chart tooltips",
            "Wide tables on smaller screens and the STP areas"} <= set(not_met.index)
    assert {"Secondary charts on the leader pages", "Charts on other pages"}.isdisjoint(not_met.index)
    # and what was done instead
    assert {"Chart descriptions", "200% zoom (stand-in)", "Tables at 1440x900", "Screen readers"} <= set(checks.index)
    assert "720x450" in checks.loc["200% zoom (stand-in)"].iloc[0]
    assert checks.loc["Screen readers"].iloc[0] == "None yet."


def _contrast(a: str, b: str = "#FFFFFF") -> float:
    """WCAG 2.2 contrast ratio of two sRGB colours."""
    def lum(h: str) -> float:
        c = [int(h.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_figures_in_the_statement_are_the_colours_used():
    from ui import a11y, charts
    assert round(_contrast("#000000"), 1) == 21.0 and round(_contrast("#FFFFFF"), 1) == 1.0   # the formula's ends
    stated = {"#212B32": 14.4, charts.ENGLAND_COLOUR: 10.9, charts.REGION_COLOUR: 3.2, charts.SYSTEM_COLOUR: 10.2,
              charts.BASELINE_COLOUR: 3.8, charts.SCENARIO_COLOUR: 6.4}
    from tests.conftest import REPO
    text = (REPO / "views" / "accessibility.py").read_text(encoding="utf-8")
    for colour, ratio in stated.items():
        assert round(_contrast(colour), 1) == ratio, colour
        assert ratio >= 3.0 and f"{ratio}:1" in text
    assert "#FFEB3B" in a11y.FOCUS_CSS and "#212B32" in a11y.FOCUS_CSS
    assert round(_contrast("#FFEB3B", "#212B32"), 1) == 11.8 and "11.8:1" in text


def test_accessibility_page_is_registered():
    import ast
    from tests.conftest import REPO
    tree = ast.parse((REPO / "app.py").read_text())
    pages = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == "views/accessibility.py"]
    assert pages


def test_definitions_table_in_users_words():
    at = open_app_page("views/data.py")
    defs = [t.value for t in at.table if "Definition" in t.value.columns][0]
    assert "Leaver rate" in defs.index and "FTE per 100,000 population" in defs.index
    assert not any("_" in str(i) for i in defs.index)


def test_mixed_text_and_fraction_columns_become_numbers():
    vals = [0.0088, "0.88%", "1,467.26", "-", None]
    out = [exports.text_to_number(v) for v in vals]
    assert out[:3] == [0.0088, 0.0088, 1467.26] and pd.isna(out[3]) and pd.isna(out[4])


def test_profile_download_has_one_kind_of_number_a_column(monkeypatch):
    from streamlit.delta_generator import DeltaGenerator
    captured = []
    original = DeltaGenerator.download_button

    def recording(self, label, data, *args, **kwargs):
        captured.append((kwargs.get("file_name"), data() if callable(data) else data))
        return original(self, label, b"", *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    open_downloads(open_app_page("views/profile.py", {"area": "QKK"}))  # built while its popover is open
    raw = [b for n, b in captured if str(n).startswith("profile_") and str(n).endswith(".csv")][0]
    got_notes, df = exports.read_csv_export(raw)
    col = "Value (rates as fractions)"
    assert pd.api.types.is_numeric_dtype(df[col]), df[col].tolist()
    assert not df.astype(str).apply(lambda c: c.str.endswith("%")).any().any()
    assert "SYNTHETIC" in " ".join(got_notes)


def test_england_has_one_colour_on_every_page():
    """No page draws England in a colour of its own (was black dotted, maroon, lavender)."""
    import re
    from tests.conftest import REPO
    from ui import charts
    for f in [*(REPO / "views").glob("*.py"), *(REPO / "ui").rglob("*.py")]:
        src = f.read_text(encoding="utf-8")
        assert "#801650\"]  # Analysis Function palette: system, region, England" not in src, f
        assert not re.search(r"England.{0,80}#A285D1", src), f   # the lavender England of the role-mix chart
        assert not re.search(r"England.{0,40}#d5281b|#d5281b.{0,60}England", src), f
    assert charts.ENGLAND_COLOUR == "#3D3D3D" and charts.ENGLAND_DASH == [2, 2]


# ---------------------------------------------------------------------------------------------------------------
# Issue 15c: every secondary chart states its key figures (caption + the chart's accessible description),
# checked against hand computations from the store's rows (demo) and from the published CSV (real files)
# ---------------------------------------------------------------------------------------------------------------
PERIOD = "2025-11"
PUBLISHED_DOCTORS = "HCHS Doctors (exc. Resident doctors and equivalents)"


@pytest.fixture(scope="module")
def demo_rows():
    from lib.data import loader
    f = loader.load_frame(loader.DEMO_DATA_DIR, "ICS")
    return f.assign(period=f["period_end"].astype(str))


def _described(at, start: str) -> str:
    """The one caption starting with `start`; the charts it describes point a screen reader to it (their own
    description is the fixed charts.CAPTIONED, so a selection swaps rows in place) and none carries figures."""
    from ui.charts import CAPTIONED
    hits = [str(c.value) for c in at.caption if str(c.value).startswith(start)]
    assert len(hits) == 1, [c.value for c in at.caption]
    specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    assert any(s.get("description") == CAPTIONED for s in specs), "no chart points to its caption"
    assert not any(s.get("description") == hits[0] for s in specs), "figures in a spec rebuild the chart per change"
    return hits[0]


def _shares(rows: pd.DataFrame, area: str | None, period: str) -> pd.Series:
    """FTE share of each staff group (end of period), by hand from the rows; area None = England."""
    r = rows[(rows["period"] == period) & (rows["staff_group"] != "All staff groups")]
    if area is not None:
        r = r[r["area_code"] == area]
    fte = r.groupby("staff_group")["sip_end_fte"].sum()
    return fte / fte.sum()


def test_turnover_flows_chart_states_joiners_leavers_and_net(demo_rows):
    at = open_app_page("views/turnover.py", {"level": "ICS", "area": "QKK", "group": "All staff groups",
                                              "period": PERIOD, "basis": "fte"})
    d = _described(at, "Leavers and joiners for South East London (QKK) (FTE), Nov 2025: ")
    r = demo_rows[(demo_rows["area_code"] == "QKK") & (demo_rows["staff_group"] == "All staff groups")]
    now = r[r["period"] == PERIOD]
    j, lv = now["joiners_fte"].sum(), now["leavers_fte"].sum()
    assert f": {j:,.1f} joiners, {lv:,.1f} leavers, net change {j - lv:+,.1f}" in d
    by_month = r.groupby("period")[["joiners_fte", "leavers_fte"]].sum()
    net_all = (by_month["joiners_fte"] - by_month["leavers_fte"]).sum()
    assert f"over Aug 2022-Nov 2025 net change {net_all:+,.1f} in all." in d


def test_role_mix_secondary_charts_state_their_figures(demo_rows):
    at = open_app_page("views/role_mix.py", {"level": "ICS", "area": "QKK", "group": "Midwives", "period": PERIOD})
    sys_s, eng_s = _shares(demo_rows, "QKK", PERIOD), _shares(demo_rows, None, PERIOD)
    # expected FTE = the system's total FTE x England's share; the group furthest above expected is named first
    now = demo_rows[(demo_rows["period"] == PERIOD) & (demo_rows["area_code"] == "QKK")
                    & (demo_rows["staff_group"] != "All staff groups")]
    fte = now.groupby("staff_group")["sip_end_fte"].sum()
    expected = fte.sum() * eng_s
    diff = (fte - expected).sort_values(ascending=False)
    d = _described(at, "FTE more or fewer than expected for the size of South East London (QKK), Nov 2025")
    top = diff.index[0]
    assert f"most above: {top} {diff[top]:+,.1f} FTE ({fte[top]:,.1f} against {expected[top]:,.1f} expected)" in d
    low = diff.index[-1]
    assert f"most below: {low} {diff[low]:+,.1f} FTE ({fte[low]:,.1f} against {expected[low]:,.1f} expected)" in d
    # small multiples: the group whose share moved most from the first to the latest month
    first = demo_rows["period"].min()
    s0 = _shares(demo_rows, "QKK", first)
    change = (sys_s - s0).dropna()
    g = change.abs().sort_values(ascending=False).index[0]
    e0 = _shares(demo_rows, None, first)
    d = _described(at, "Share of FTE by staff group over time, South East London (QKK) against England, Aug 2022-Nov 2025")
    assert (f"largest changes from Aug 2022 to Nov 2025: {g} {100 * s0[g]:.2f}% to {100 * sys_s[g]:.2f}% "
            f"({100 * change[g]:+.2f} points; England {100 * (eng_s[g] - e0[g]):+.2f} points)") in d
    # heat map: the largest gap above England over every system and group
    cur = demo_rows[(demo_rows["period"] == PERIOD) & (demo_rows["staff_group"] != "All staff groups")]
    tot = cur.groupby("area_code")["sip_end_fte"].sum()
    cell = cur.groupby(["area_code", "area_name", "staff_group"])["sip_end_fte"].sum().reset_index()
    cell["pts"] = 100 * (cell["sip_end_fte"] / cell["area_code"].map(tot) - cell["staff_group"].map(eng_s))
    hi = cell.sort_values("pts", ascending=False).iloc[0]
    d = _described(at, "Share of FTE in each staff group minus England's, 42 systems, Nov 2025: ")
    assert f"furthest above England: {hi['area_name']}, {hi['staff_group']} {hi['pts']:+.2f} points" in d


def test_profile_role_mix_chart_states_its_figures(demo_rows):
    at = open_app_page("views/profile.py", {"level": "ICS", "area": "QKK", "group": "All staff groups",
                                             "period": PERIOD})
    sys_s, eng_s = _shares(demo_rows, "QKK", PERIOD), _shares(demo_rows, None, PERIOD)
    gap = (sys_s - eng_s).abs().sort_values(ascending=False)
    g = gap.index[0]
    d = _described(at, "Share of FTE by staff group for South East London, Nov 2025: largest differences")
    assert (f"{g} {100 * sys_s[g]:.2f}% against England {100 * eng_s[g]:.2f}% "
            f"({100 * (sys_s[g] - eng_s[g]):+.2f} points)") in d


def _xmr(values: list[float]) -> tuple[float, float, float]:
    """Centre line and process limits by hand: mean +/- 2.66 x mean moving range."""
    mean = sum(values) / len(values)
    mr = sum(abs(b - a) for a, b in zip(values, values[1:])) / (len(values) - 1)
    return mean, mean - 2.66 * mr, mean + 2.66 * mr


@pytest.mark.parametrize("page,params,measure", [
    ("views/statistics.py", {"measure": "leaver_rate"}, "leaver"),
    ("views/profile.py", {}, "leaver"),
])
def test_spc_chart_description_states_latest_centre_limits_and_signal(demo_rows, page, params, measure):
    at = open_app_page(page, {"level": "ICS", "area": "QKK", "group": "All staff groups", "period": PERIOD,
                              **params})
    r = demo_rows[(demo_rows["area_code"] == "QKK") & (demo_rows["staff_group"] == "All staff groups")]
    m = r.groupby("period")[["leavers_fte", "sip_start_fte", "sip_end_fte"]].sum()
    rates = list(m["leavers_fte"] / ((m["sip_start_fte"] + m["sip_end_fte"]) / 2))
    mean, lpl, upl = _xmr(rates)
    specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    if page == "views/profile.py":  # a fixed spec (issue 16): title the measure, the figures in the caption under it
        assert any(s.get("title") == "Leaver rate (month)" for s in specs), [s.get("title") for s in specs]
        d = _described(at, "Leaver rate (month): South East London")
    else:
        spc = [s for s in specs if str(s.get("title", "")).startswith("Leaver rate (month): South East London")]
        assert spc, [s.get("title") for s in specs]
        d = spc[0]["description"]
    assert d.startswith("Leaver rate (month): South East London, All staff groups. SPC chart of 40 months, "
                        "Aug 2022-Nov 2025: ")
    assert (f"latest {100 * rates[-1]:.2f}% in Nov 2025; average (centre line) {100 * mean:.2f}%; "
            f"process limits {100 * lpl:.2f}% to {100 * upl:.2f}%.") in d
    # the signal in words: the same reading the icon words under the chart give
    body = "\n".join(m.value for m in at.markdown)
    if "Variation icon: Usual variation" in body:
        assert "The latest month is within the usual variation (no signal)." in d
    else:
        assert "The latest month is unusual (" in d


def test_spc_in_expanders_describes_the_chart(demo_rows):
    """The SPC charts behind 'Signal or noise?' expanders (Vacancies; Turnover and Role mix use the same call)."""
    from streamlit.testing.v1 import AppTest
    from tests.conftest import REPO
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    for k, v in {"level": "ICS", "area": "QKK", "group": "All staff groups", "period": PERIOD}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("views/vacancy.py")
    at.session_state["vacancy_spc_open"] = True
    at.run()
    assert not at.exception
    specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    spc = [s for s in specs if str(s.get("title", "")).startswith("Vacancy rate")]
    assert spc and "process limits" in spc[0]["description"] and "latest " in spc[0]["description"]
    r = demo_rows[(demo_rows["area_code"] == "QKK") & (demo_rows["staff_group"] == "All staff groups")
                  & (demo_rows["period"] == PERIOD)]
    rate = r["vacancy_fte"].sum() / (r["vacancy_fte"].sum() + r["sip_end_fte"].sum())
    assert f"latest {100 * rate:.2f}% in Nov 2025" in spc[0]["description"]


def _published(path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    raw["STAFF_GROUP_1_NAME"] = raw["STAFF_GROUP_1_NAME"].replace({PUBLISHED_DOCTORS: "HCHS Doctors"})
    return raw


def test_secondary_chart_descriptions_on_the_real_files(real_store, monkeypatch):
    """Oct-25 + Nov-25 Turnover benchmarking 2 as published: the figures are summed here from the CSV itself."""
    from tests.conftest import TURNOVER_NOV25, TURNOVER_OCT25
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    nov, oct_ = _published(TURNOVER_NOV25), _published(TURNOVER_OCT25)

    def fte(raw, kind, area=None, group="All staff groups"):
        r = raw[(raw["TYPE"] == kind) & (raw["STAFF_GROUP_1_NAME"] == group)]
        return r[r["ICS_CODE"] == area]["FTE"].sum() if area else r["FTE"].sum()
    at = open_app_page("views/turnover.py", {"level": "ICS", "area": "QKK", "group": "All staff groups",
                                              "period": PERIOD, "basis": "fte"})
    d = _described(at, "Leavers and joiners for South East London (QKK) (FTE), Nov 2025: ")
    j, lv = fte(nov, "Joiners", "QKK"), fte(nov, "Leavers", "QKK")
    j0, l0 = fte(oct_, "Joiners", "QKK"), fte(oct_, "Leavers", "QKK")
    assert f": {j:,.1f} joiners, {lv:,.1f} leavers, net change {j - lv:+,.1f}" in d
    assert f"over Oct-Nov 2025 net change {(j - lv) + (j0 - l0):+,.1f} in all." in d

    # role mix from the published end-of-period denominators
    end = nov[(nov["TYPE"] == "Denominator at end of period") & (nov["STAFF_GROUP_1_NAME"] != "All staff groups")]
    eng = end.groupby("STAFF_GROUP_1_NAME")["FTE"].sum()
    eng_s = eng / eng.sum()
    own = end[end["ICS_CODE"] == "QKK"].groupby("STAFF_GROUP_1_NAME")["FTE"].sum()
    sys_s = own / own.sum()
    gap = (sys_s - eng_s).dropna()
    g = gap.abs().sort_values(ascending=False).index[0]
    at = open_app_page("views/profile.py", {"level": "ICS", "area": "QKK", "group": "All staff groups",
                                             "period": PERIOD})
    d = _described(at, "Share of FTE by staff group for South East London, Nov 2025: largest differences")
    assert f"{g} {100 * sys_s[g]:.2f}% against England {100 * eng_s[g]:.2f}% ({100 * gap[g]:+.2f} points)" in d
    # two months: no SPC chart, so no SPC description; the page says why instead
    specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    assert not any("SPC chart of" in str(s.get("description", "")) for s in specs)
    at = open_app_page("views/role_mix.py", {"level": "ICS", "area": "QKK", "group": "Midwives", "period": PERIOD})
    expected = own.sum() * eng_s
    diff = (own.reindex(eng_s.index).fillna(0) - expected).sort_values(ascending=False)
    top = diff.index[0]
    d = _described(at, "FTE more or fewer than expected for the size of South East London (QKK), Nov 2025")
    assert f"most above: {top} {diff[top]:+,.1f} FTE" in d
    d = _described(at, "Share of FTE by staff group over time, South East London (QKK) against England, Oct-Nov 2025")
    assert "largest changes from Oct 2025 to Nov 2025: " in d
    _described(at, "Share of FTE in each staff group minus England's, 42 systems, Nov 2025: furthest above England: ")
