"""The board pack (issue 26): `python -m lib report` on the real Oct/Nov-25 store, read back as a person or a screen
reader would (poppler-utils: pdftotext, pdffonts, pdfinfo, pdftoppm); its figures equal the metrics command's and
the pages'; the demo's pack is marked synthetic on every page; disclosure control leaves no count under 5."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from lib.data.schema import ALL_STAFF
from lib.insight import map_data as im
from lib.insight import provenance
from lib.report import pack as rp
from lib.report.render import blocks as all_blocks
from tests.conftest import ARTIFACTS, REPO, run_cli
from tests.test_disclosure import small_data  # noqa: F401 - the demo store scaled down to small counts (fixture)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="poppler-utils is installed by scripts/test.sh and .ci/run")
NURSES = "Nurses & health visitors"
SCENARIOS = {
    "Retain nurses": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}]},
    "Retain and recruit": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
                           "recruitment": [{"staff_group": NURSES, "domestic_fte_per_year": 200,
                                            "international_fte_per_year": 100}]},
}


def pdftext(path: Path, page: int | None = None, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), *(["-f", str(page), "-l", str(page)] if page else []),
            str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("scenarios")
    out = []
    for name, levers in SCENARIOS.items():
        p = d / f"{name}.json"
        p.write_text(json.dumps({"schema_version": 1, "area": "QKK", "horizon": 5, "name": name, "levers": levers}))
        out.append(p)
    return out


@pytest.fixture(scope="module")
def qkk_pdf(real_store, tmp_path_factory, scenario_files) -> Path:
    out = tmp_path_factory.mktemp("pack") / "QKK.pdf"
    r = run_cli("report", "--data-dir", real_store, "--area", "QKK", "--period", "2025-11", "--out", out,
                *[a for f in scenario_files for a in ("--scenario", f)])
    assert r.returncode == 0, r.stderr
    assert f"{out}: board pack for South East London (QKK), 2025-11" in r.stdout
    return out


@pytest.fixture(scope="module")
def qkk_pack(real_store, scenario_files) -> dict:
    from lib.whatif.scenario import Scenario
    store = rp.load_store(real_store, "2025-11")
    return rp.build_pack(store, "QKK", [(p.stem, Scenario.from_json(p.read_bytes())) for p in scenario_files])


# ------------------------------------------------------------------------------------------------ the figures
def test_headline_figures_equal_the_metrics_command(qkk_pdf, real_store):
    r = run_cli("metrics", "--data-dir", real_store, "--period", "2025-11", "--england", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {x["area_code"]: x for x in json.loads(r.stdout)}
    qkk, eng = rows["QKK"], rows["ENG"]
    page = flat(pdftext(qkk_pdf, 2))
    lines = [flat(ln) for ln in pdftext(qkk_pdf, 2, layout=True).splitlines()]  # a table row a line
    assert "Headline figures" in page
    expected = {"Staff in post (FTE)": (qkk["fte"], eng["fte"], "count"),
                "Headcount": (qkk["headcount"], eng["headcount"], "count"),
                "Leaver rate (month)": (qkk["leaver_rate"], eng["leaver_rate"], "rate"),
                "Joiner rate (month)": (qkk["joiner_rate"], eng["joiner_rate"], "rate")}
    for label, (value, england, kind) in expected.items():
        v, e = im.fmt_value(value, kind), im.fmt_value(england, kind)
        # the table row: figure, Nov 2025, change since Oct 2025, change since 12 months earlier, England
        row = re.escape(label) + " " + re.escape(v) + r" \S+(?: pts)? not loaded " + re.escape(e)
        assert any(re.fullmatch(row, ln) for ln in lines), (label, v, e)
    assert qkk["vacancy_rate"] is None and "Vacancy rate no data no data not loaded no data" in lines
    # the two comparison months are named (Nov 2024 is not loaded, and the pack says so)
    assert "Change since Oct 2025" in page and "Change since 12 months earlier" in page
    assert "Not loaded, so no change is shown: 12 months earlier (Nov 2024)" in page
    # the known real figures (Nov-25 release): South East London 58,861 FTE, leaver rate 0.95%
    assert "58,861" in page and "0.95%" in page


def test_pack_figures_are_the_profile_pages(qkk_pack, real_store, monkeypatch):
    """The System profile (AppTest, real store) shows the same headline figures as the pack's table."""
    from tests.conftest import open_app_page
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/profile.py", {"area": "QKK", "period": "2025-11", "source": "dir"})
    shown = {m.label: m.value for m in at.metric}
    heads = next(b for b in qkk_pack["sections"][0]["blocks"] if b["kind"] == "table")
    for row in heads["rows"]:
        assert shown[row[0]] == row[1], row
    assert len(heads["rows"]) == 5
    # and the page offers the board pack beside its other downloads
    assert at.button(key="profile_board_pack").proto.label == "Board pack (PDF)"


def test_pack_uses_the_pages_functions(qkk_pack, real_store):
    """Ranks, role mix and organisations are the page functions' own output, row for row."""
    store = rp.load_store(real_store, "2025-11")
    secs = {s["id"]: s for s in qkk_pack["sections"]}
    ranks = im.rank_sentences(store.metrics, store.key, "2025-11", "QKK", ALL_STAFF, store.population)
    rank_table = [b for b in secs["headlines"]["blocks"] if b["kind"] == "table"][1]
    assert [r[2] for r in rank_table["rows"] if r[2] != "no figures, not ranked"] == \
        [p for p, r in zip(ranks["phrase"], ranks["rank"]) if pd.notna(r)]
    rm = im.role_mix(store.metrics, "QKK", "2025-11")
    mix = [b for b in secs["mix"]["blocks"] if b["kind"] == "table"][0]
    assert [r[0] for r in mix["rows"]] == list(rm["staff_group"])
    assert [r[2] for r in mix["rows"]] == [im.fmt_value(x, "rate") for x in rm["system_share"]]
    from lib.insight import chart_text
    mix_chart = [b for b in secs["mix"]["blocks"] if b["kind"] == "chart"][0]
    assert mix_chart["text"] == chart_text.profile_mix_description(rm, "South East London", "2025-11")
    # against similar systems: the Role mix page's table (lib.insight.peers), London Ambulance Service named
    from lib.insight import peers
    rows = store.frame[store.frame["org_code"].fillna("") != ""]
    similar = peers.similar_systems(peers.system_profile(rows, "2025-11"), "QKK")
    page = peers.mix_with_peers(store.metrics, "QKK", "2025-11", list(similar["area_code"]))
    peer_tab = [b for b in secs["mix"]["blocks"] if b["kind"] == "table"][1]
    assert [r[0] for r in peer_tab["rows"]] == list(page["Staff group"])
    assert [r[3] for r in peer_tab["rows"]] == [im.fmt_value(v, "rate") for v in page["Similar systems' share: median"]]
    assert [r[6] for r in peer_tab["rows"]] == list(page["Among similar systems"])
    assert any(b["kind"] == "note" and "London Ambulance Service NHS Trust (ambulance trust" in b["text"]
               for b in secs["mix"]["blocks"])
    orgs = [b for b in secs["organisations"]["blocks"] if b["kind"] == "table"][0]
    assert len(orgs["rows"]) == 7 and orgs["rows"][0][0] == "South London and Maudsley NHS Foundation Trust"


def test_scenario_figures_are_the_what_if_pages(qkk_pack, real_store):
    """The four headline cards of each scenario equal the what-if page's (ui.whatif.results.headline_figures), and
    its levers are the comparison cards' (lib.whatif.studio.lever_summary)."""
    from lib.whatif import studio as w
    from lib.whatif.scenario import Scenario
    from ui.whatif.results import headline_figures
    secs = {s["id"]: s for s in qkk_pack["sections"]}
    cards = [b["items"] for b in all_blocks(secs["scenarios"]["blocks"]) if b["kind"] == "figures"]
    levers = [b["items"] for b in all_blocks(secs["scenarios"]["blocks"]) if b["kind"] == "bullets"]
    assert len(cards) == 2
    base = w.load_baseline(real_store, "ICS", "2025-11")
    for (name, lv), shown, shown_levers in zip(SCENARIOS.items(), cards, levers):
        scn = Scenario.from_dict({"schema_version": 1, "area": "QKK", "horizon": 5, "name": name, "levers": lv})
        assert shown_levers == w.lever_summary(scn)
        page = headline_figures("2025-11", w.headline(w.run(scn, base), NURSES))
        assert [(c["label"], c["value"], c["sub"]) for c in shown] == [(f["label"], f["value"], f["delta"])
                                                                       for f in page]
    charts_ = [b for b in secs["scenarios"]["blocks"] if b["kind"] == "chart"]
    assert charts_[0]["title"] == f"Gap over time: {NURSES}"
    assert "Retain nurses" in charts_[0]["text"] and "baseline" in charts_[0]["text"]
    assert [c["text"].startswith(f"Why {NURSES} FTE in year 5 differs") for c in charts_[1:]] == [True, True]


# ------------------------------------------------------------------------------------------------ the paper
def test_every_section_source_and_period_in_board_order(qkk_pdf, real_store):
    text = flat(pdftext(qkk_pdf))
    prov = json.loads((Path(real_store) / "manifest.json").read_text())
    source = provenance.source_statement(prov)
    assert source.startswith("NHS Digital Turnover benchmarking 2, Oct-Nov 2025; ingested ")
    assert f"Source: {source}" in text
    assert "Month ending Nov 2025" in text and "South East London" in text
    assert "Provisional: 2 months loaded (Oct-Nov 2025), fewer than 12" in text
    body = text[text.index("Contents"):]
    body = body[body.index(rp.SECTIONS[-1][1]) + len(rp.SECTIONS[-1][1]):]  # past the contents list
    at = [body.find(title) for _, title in rp.SECTIONS]
    assert -1 not in at and at == sorted(at), dict(zip([t for _, t in rp.SECTIONS], at))
    # what is missing says why; primary care is a section that says it is not loaded
    assert "Missing: no vacancy rate for this system and month" in text
    assert "Not loaded: no sickness absence figures" in text
    assert "Not loaded: this data store holds no primary care network (PCN) workforce figures" in text
    # the reading in words (two months: the profile's run chart, and why no SPC chart yet)
    assert "Leaver rate (month): South East London, All staff groups. Run chart of 2 months, Oct-Nov 2025 (too few " \
           "for process limits)" in text
    assert "Reading: 2 months: a run chart (median line), not an SPC chart." in text
    # every chart's key-figures sentence is beside it (chart_text's words)
    assert "Why staff in post moved, South East London, Oct 2025 to Nov 2025 (FTE): 58,688.7 at the start" in text
    assert "Leaver rate (month) across 7 organisations of South East London, Nov 2025: highest South London and " \
           "Maudsley NHS Foundation Trust (1.28%)" in text


def test_quality_a4_tagged_titled_fonts_embedded(qkk_pdf):
    info = pdfinfo(qkk_pdf)
    assert info["Title"] == "Board pack: South East London (QKK), Nov 2025"
    assert info["Tagged"] == "yes"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4
    pages = int(info["Pages"])
    assert 5 <= pages <= 12
    raw = qkk_pdf.read_bytes()
    assert b"/Lang(en-GB)" in raw and b"/StructTreeRoot" in raw
    fonts = subprocess.run(["pdffonts", str(qkk_pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows, fonts
    # columns: name type encoding emb sub uni object ID -> emb is the 4th from the end
    assert all(r[-5] == "yes" for r in rows), fonts
    assert any("LiberationSans" in r[0] for r in rows), fonts
    # running header (the system) and page numbers on every page
    for p in range(1, pages + 1):
        t = flat(pdftext(qkk_pdf, p))
        assert t.startswith("South East London (QKK)"), (p, t[:80])
        assert f"Page {p} of {pages}" in t


def test_charts_are_vector_with_selectable_text(qkk_pack):
    from lib.report import render
    data, svgs = render.prepare(qkk_pack)
    assert len(svgs) >= 7
    for svg in svgs.values():
        assert svg.lstrip().startswith("<svg") and "<image" not in svg and "<text" in svg
    n_charts = sum(b["kind"] == "chart" for s in data["sections"] for b in all_blocks(s["blocks"]))
    assert n_charts == len(svgs)
    for s in qkk_pack["sections"]:
        for b in all_blocks(s["blocks"]):
            if b["kind"] == "chart":
                assert b["text"] and b["alt"].startswith("Chart: ") and b["text"] in b["alt"]


def test_pages_rendered_to_png(qkk_pdf):
    """pdftoppm renders every page (kept in tests/artifacts/ to be looked at); none is blank."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / "board_pack_QKK"
    for old in ARTIFACTS.glob("board_pack_QKK-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(qkk_pdf), str(prefix)], check=True)
    pngs = sorted(ARTIFACTS.glob("board_pack_QKK-*.png"))
    assert len(pngs) == int(pdfinfo(qkk_pdf)["Pages"])
    for p in pngs:
        assert p.stat().st_size > 15_000, p  # a blank A4 page at 80 dpi is ~3 KB


# ------------------------------------------------------------------------------------------------ demo, control
def test_demo_pack_says_synthetic_on_every_page(tmp_path):
    out = tmp_path / "demo.pdf"
    r = run_cli("report", "--data-dir", REPO / "data" / "demo", "--area", "QKK", "--out", out)
    assert r.returncode == 0, r.stderr
    pages = int(pdfinfo(out)["Pages"])
    for p in range(1, pages + 1):
        assert rp.SYNTHETIC_MARK in flat(pdftext(out, p)), p
    text = flat(pdftext(out))
    assert "Synthetic demo data: shaped like England from public national figures" in text
    assert "Provisional" not in text  # 40 months loaded
    assert "SPC chart of 40 months" in text  # enough months: an SPC reading, not a run chart
    assert "Sickness absence rate" in text
    # the app's words for SPC readings (lib.stats.signals.point_label), never "special cause" / "common cause"
    assert "Usual variation" in text and not re.search(r"(special|common)[- ]cause", text, re.I)
    # the system's vacancy figures say their own date and source, as the System profile does
    assert text.count("Vacancies: Nov 2025 (vacancy template, Provider Workforce Return)") >= 2  # headlines, section


def test_pack_speaks_the_apps_words_and_dates_england_vacancies(qkk_pdf, qkk_pack):
    from lib.stats import signals
    text = flat(pdftext(qkk_pdf))
    assert not re.search(r"(special|common)[- ]cause", text, re.I)
    readings = {v["reading"] for s in qkk_pack["sections"] for b in all_blocks(s["blocks"]) if b["kind"] == "chart"
                for v in b["spec"]["data"]["values"] if "reading" in v}
    assert readings and readings <= set(signals.POINT_DOMAIN)
    # no system vacancy figures on the real files: England's published rates, with their own date, as the app shows
    assert "Vacancies: Sep 2025 (NHS Vacancy Statistics, England)" in text
    assert "England's published vacancy rates" in text and "6.00%" in text   # nurses, NHS Vacancy Statistics


COUNT_HEADERS = re.compile(r"^(FTE|Headcount|Leavers \(FTE\)|Vacancy FTE)$")


def _count_cells(pack: dict) -> list[tuple[str, str]]:
    """(column, cell) of every count a pack's tables show: staff in post, leavers, joiners, vacancies."""
    out = []
    for s in pack["sections"]:
        for b in all_blocks(s["blocks"]):
            if b["kind"] != "table":
                continue
            cols = b["columns"]
            for row in b["rows"]:
                for c, cell in zip(cols, row):
                    if COUNT_HEADERS.match(c) or (c.startswith("Change (FTE)") and row[0] in ("Leavers", "Joiners")):
                        out.append((c, cell))
                if row[0] in ("Staff in post (FTE)", "Headcount") and cols[1].endswith("2025"):
                    out.append((row[0], row[1]))
    return out


def _small(cells) -> list:
    nums = [(c, float(x.replace(",", "").replace("+", ""))) for c, x in cells if re.fullmatch(r"[-+]?[\d,]+\.?\d*", x)]
    return [(c, v) for c, v in nums if 0 < abs(v) < 5]


def test_disclosure_control_leaves_no_count_under_5(real_store, tmp_path):
    plain = rp.build_pack(rp.load_store(real_store, "2025-11"), "QKK")
    # without control the ICB's own 4.9 leavers (FTE) are shown: the check below can fail
    assert ("Leavers (FTE)", 4.9) in _small(_count_cells(plain))
    controlled = rp.build_pack(rp.load_store(real_store, "2025-11", sdc=True), "QKK")
    cells = _count_cells(controlled)
    assert len(cells) > 20 and _small(cells) == []
    out = tmp_path / "sdc.pdf"
    r = run_cli("report", "--data-dir", real_store, "--area", "QKK", "--out", out, "--disclosure-control")
    assert r.returncode == 0 and "disclosure control is off" not in r.stderr
    text = flat(pdftext(out))
    assert "Applied: counts under 5 are hidden." in text
    org_lines = [ln for ln in pdftext(out, layout=True).splitlines() if "NHS South East London ICB" in ln]
    assert org_lines and not any(re.search(r"\b4\.9\b", ln) for ln in org_lines)


# ------------------------------------------------------------------------------------------------ refusals
def test_cli_refuses_bad_input_plainly(real_store, tmp_path):
    r = run_cli("report", "--data-dir", real_store, "--area", "QXX", "--out", tmp_path / "x.pdf")
    assert r.returncode == 2 and "--area: 'QXX' is not an NHS system" in r.stderr and "Traceback" not in r.stderr
    listed = r.stderr.split("expected one of ")[1].split(" (or all)")[0].split(", ")
    assert len(listed) == 42 and "QKK" in listed  # the 42 ICBs of July 2022, nothing else
    r = run_cli("report", "--data-dir", real_store, "--area", "QKK", "--period", "2024-01", "--out", tmp_path / "x.pdf")
    assert r.returncode == 2 and "--period '2024-01' is not loaded" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "area": "QKK", "horizon": 99}')
    r = run_cli("report", "--data-dir", real_store, "--area", "QKK", "--scenario", bad, "--out", tmp_path / "x.pdf")
    assert r.returncode == 2 and "invalid scenario" in r.stderr and "horizon" in r.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_a_scenario_of_another_system_is_named_and_left_out(real_store, tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema_version": 1, "area": "QWE", "horizon": 5, "name": "Elsewhere"}))
    out = tmp_path / "o.pdf"
    r = run_cli("report", "--data-dir", real_store, "--area", "QKK", "--scenario", other, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "Elsewhere: it is for QWE, not QKK, so it is left out of this pack." in flat(pdftext(out))


def test_report_colours_are_the_apps():
    from lib.report import charts
    from ui import charts as ui_charts, inside, stats_charts
    assert (charts.SYSTEM_COLOUR, charts.REGION_COLOUR, charts.ENGLAND_COLOUR) == \
        (ui_charts.SYSTEM_COLOUR, ui_charts.REGION_COLOUR, ui_charts.ENGLAND_COLOUR)
    assert (charts.SYSTEM_DASH, charts.REGION_DASH, charts.ENGLAND_DASH) == \
        (ui_charts.SYSTEM_DASH, ui_charts.REGION_DASH, ui_charts.ENGLAND_DASH)
    assert charts.COMPARE_COLOURS == ui_charts.COMPARE_COLOURS and charts.BASELINE_COLOUR == ui_charts.BASELINE_COLOUR
    assert charts.WATERFALL_COLOURS == inside.WATERFALL_COLOURS
    from ui import profile_view
    assert rp.BRIDGE_LEGEND == profile_view.BRIDGE_KINDS  # the bridge's key in the page's words
    assert (charts.MDC_COMMON, charts.MDC_IMPROVEMENT, charts.MDC_CONCERN, charts.MDC_NEUTRAL) == \
        (stats_charts.MDC_COMMON, stats_charts.MDC_IMPROVEMENT, stats_charts.MDC_CONCERN, stats_charts.MDC_NEUTRAL)
    assert charts.POINT_WORDS == stats_charts._POINT_DOMAIN and charts.POINT_COLOURS == stats_charts._POINT_RANGE


def test_area_all_writes_every_systems_pack_in_parallel_and_says_how_long(tmp_path):
    """--area all on a store of two systems (the real Nov-25 rows of QKK and QWE): one PDF a system, written by two
    worker processes, and the time taken printed."""
    from lib.data.ingest import ingest
    from tests.conftest import TURNOVER_NOV25, require_reference
    require_reference()
    src = pd.read_csv(TURNOVER_NOV25, dtype=str, keep_default_na=False)
    part = tmp_path / TURNOVER_NOV25.name
    src[src["ICS_CODE"].isin(["QKK", "QWE"])].to_csv(part, index=False)
    store = tmp_path / "store"
    ingest([part], store)
    out = tmp_path / "packs"
    r = run_cli("report", "--data-dir", store, "--area", "all", "--out", out, "--jobs", "2")
    assert r.returncode == 0, r.stderr
    pdfs = sorted(p.name for p in out.glob("*.pdf"))
    assert pdfs == ["board_pack_QKK_2025-11.pdf", "board_pack_QWE_2025-11.pdf"]
    assert re.search(r"^2 board packs for 2025-11 \(ICBs of July 2022\) in \d+\.\d s on 2 worker processes",
                     r.stdout.splitlines()[-1]), r.stdout
    assert "South West London" in flat(pdftext(out / "board_pack_QWE_2025-11.pdf", 1))
    r = run_cli("report", "--data-dir", store, "--area", "all", "--out", tmp_path / "x.pdf")
    assert r.returncode == 2 and "with --area all, --out is a folder" in r.stderr


def test_disclosure_control_on_a_store_of_small_systems(small_data):
    """The demo store with every count divided by 100 (systems of a few hundred FTE, a few leavers a month): with
    control on, no count under 5 is in any table and the bridge of small flows is withheld; with it off they show."""
    off = rp.build_pack(rp.load_store(small_data, None), "QKK")
    assert _small(_count_cells(off)), "the small store should show counts under 5 without control"
    on = rp.build_pack(rp.load_store(small_data, None, sdc=True), "QKK")
    cells = _count_cells(on)
    assert cells and _small(cells) == []
    staff = next(s for s in on["sections"] if s["id"] == "staff")
    assert not any(b["kind"] == "chart" and "bridge" in b["title"] for b in staff["blocks"]) or \
        not _small([("Change (FTE)", r[1]) for b in staff["blocks"] if b["kind"] == "table" for r in b["rows"]
                    if r[0] in ("Leavers", "Joiners")])


def test_what_if_page_board_pack_carries_the_scenarios_compared(tmp_path):
    """On the what-if page (demo store), two scenarios added to the comparison: 'Board pack (PDF)' clicked there
    builds the system's pack with both scenarios in it, offered by 'Save board pack (PDF)'."""
    from tests.test_page_what_if import lever, open_page
    at = open_page(area="QKK")
    for n in (50, 150):
        lever(at, "slider", "wi_c_nr_nursing_associate_trainees", n)
        at.text_input(key="wi_name").set_value(f"Associates {n}").run()
        at.button(key="wi_cmp_add").click().run()
    assert not at.exception and list(at.session_state["wi_saved"]) == ["Associates 50", "Associates 150"]
    at.button(key="wi_board_pack").click().run()
    assert not at.exception and not at.error
    assert [b.proto.label for b in at.get("download_button") if b.proto.label.startswith("Save board")] == \
        ["Save board pack (PDF)"]
    assert any(c.value.startswith("Ready: board_pack_QKK_2025-11.pdf (") for c in at.caption)
    pdf = at.session_state["wi_board_pack_built"][1]
    out = tmp_path / "board_pack_QKK_2025-11.pdf"
    out.write_bytes(pdf)
    text = flat(pdftext(out))
    assert "Associates 50 (5 years)" in text and "Associates 150 (5 years)" in text
    assert "2 compared" in text and rp.SYNTHETIC_MARK in text
    assert "What drives the difference: Associates 150" in text


@pytest.fixture(scope="module")
def pcn_pack_store(real_store, tmp_path_factory) -> Path:
    """The real Oct/Nov-25 store plus the real PCN census of June 2020 and the ONS sub-ICB population (June 2020:
    the joint PCN plan takes seconds for it, a minute of CPU for December 2021)."""
    from lib.data.ingest import ingest
    from tests.conftest import REFERENCE, WORKFORCE
    d = tmp_path_factory.mktemp("pcn_pack") / "store"
    shutil.copytree(real_store, d)
    jun20 = next((WORKFORCE / "pcn").glob("2.*June 2020*.csv"))
    ingest([jun20, REFERENCE / "population" / "ICB Population estimates 2022.csv"], d)
    return d


def test_primary_care_section_once_pcn_figures_are_loaded(pcn_pack_store, tmp_path):
    """With PCN files loaded the section reports the latest census (naming its date) with the figures of
    `python -m lib roles` for the system, role by role; it no longer says 'not loaded'."""
    r = run_cli("roles", "--data-dir", pcn_pack_store, "--period", "2020-06", "--per-population", "--format", "json")
    assert r.returncode == 0, r.stderr
    cli = {x["role"]: x for x in json.loads(r.stdout) if x["area_code"] == "QKK"}
    pack = rp.build_pack(rp.load_store(pcn_pack_store, "2025-11"), "QKK")
    sec = next(s for s in pack["sections"] if s["id"] == "primary_care")
    tab = next(b for b in sec["blocks"] if b["kind"] == "table")
    assert tab["columns"] == ["Role", "FTE", "Headcount", "Per 100,000", "England per 100,000"]
    assert tab["rows"][0][0] == "All roles" and len(tab["rows"]) == len(cli)
    for role, fte, hc, per, _ in tab["rows"]:
        assert (fte, hc, per) == (f"{cli[role]['fte']:,.1f}", f"{cli[role]['headcount']:,.0f}",
                                  f"{cli[role]['fte_per_100k']:,.1f}"), role
    assert any(b["kind"] == "note" and "PCN census of Jun 2020" in b["text"] for b in sec["blocks"])
    out = tmp_path / "p.pdf"
    r = run_cli("report", "--data-dir", pcn_pack_store, "--area", "QKK", "--out", out)
    assert r.returncode == 0, r.stderr
    text = flat(pdftext(out))
    assert "Not loaded: this data store holds no primary care network" not in text
    assert f"Primary care networks' staff in South East London, Jun 2020: {cli['All roles']['fte']:,.1f} FTE" in text
    # under disclosure control the PCN page's plan applies (the same cells as the page and `roles`): no headcount
    # under 5 is shown
    sdc = rp.build_pack(rp.load_store(pcn_pack_store, "2025-11", sdc=True), "QKK")
    tab = next(b for s in sdc["sections"] if s["id"] == "primary_care" for b in s["blocks"] if b["kind"] == "table")
    plain_small = [r for r in next(b for b in sec["blocks"] if b["kind"] == "table")["rows"]
                   if r[2] != "suppressed" and 0 < float(r[2].replace(",", "")) < 5]
    assert plain_small, "June 2020 has roles with headcount under 5 in South East London"
    assert not [r for r in tab["rows"] if r[2] != "suppressed" and 0 < float(r[2].replace(",", "")) < 5]
    r = run_cli("roles", "--data-dir", pcn_pack_store, "--period", "2020-06", "--disclosure-control", "--format",
                "json")
    shown = {x["role"]: x for x in json.loads(r.stdout) if x["area_code"] == "QKK"}
    assert [row[2] == "suppressed" for row in tab["rows"]] == [shown[row[0]]["headcount"] is None
                                                                for row in tab["rows"]]


def test_population_is_read_as_the_app_reads_it(pcn_pack_store, real_store):
    """The ranks' FTE per 100,000 rests on the population; the pack reads it as ui.data does (the store's
    population_<LEVEL>.csv, else the ingested ONS sub-ICB file), for the demo, a store with the ONS file and one
    without."""
    from ui import data
    for store in (REPO / "data" / "demo", pcn_pack_store, real_store):
        app = data._population(str(store), ("test",), "ICS")
        assert rp.population(store, "ICS") == app, store
    assert len(rp.population(pcn_pack_store, "ICS")) == 42 and rp.population(real_store, "ICS") == {}
    ranks = next(b for b in rp.build_pack(rp.load_store(pcn_pack_store, "2025-11"), "QKK")["sections"][0]["blocks"]
                 if b["kind"] == "table" and b["columns"][0] == "Measure")
    assert "FTE per 100,000 population" in [r[0] for r in ranks["rows"]], ranks["rows"]
