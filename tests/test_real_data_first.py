"""Issue 11 (items 2-6): every page honest and useful on the real published files alone.

Short series (no SPC verdict from 2 months), defaults with data, stores kept apart, real data named, vacancy
coverage before rates. Lib checks are by hand computation; page checks are AppTest on the `real_store` fixture
(Oct-25 + Nov-25 Turnover benchmarking 2, as published).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO, TURNOVER_NOV25, open_app_page, run_cli, open_on_request
from lib.cli import build_parser
from lib.data import ingest, loader
from lib.data.demo import write_demo
from lib.insight import axes, coverage, exports, provenance, trends
from lib.insight.metrics import area_metrics
from lib.data.schema import ALL_STAFF
from lib.stats import signals

NURSES = "Nurses & health visitors"
TODAY = dt.datetime.now(dt.timezone.utc)
REAL_STATEMENT = f"NHS Digital Turnover benchmarking 2, Oct-Nov 2025; ingested {TODAY.day} {TODAY:%b %Y}"


# ------------------------------------------------------------------------------------------------ item 4: stores
def test_ingest_refuses_the_demo_store_and_says_how_to_choose(tmp_path):
    with pytest.raises(ingest.IngestError) as e:
        ingest.ingest([TURNOVER_NOV25], loader.DEMO_DATA_DIR)
    msg = str(e.value)
    assert "embedded synthetic demo store" in msg and "--data-dir" in msg and "WORKFORCE_DATA_DIR" in msg
    assert "data/local" in msg


def test_ingest_refuses_any_store_marked_synthetic_and_writes_nothing(tmp_path):
    store = tmp_path / "copy_of_demo"
    store.mkdir()
    (store / "manifest.json").write_text(json.dumps({"synthetic": True, "files": []}))
    with pytest.raises(ingest.IngestError, match="marked synthetic"):
        ingest.ingest([TURNOVER_NOV25], store)
    assert [p.name for p in store.iterdir()] == ["manifest.json"]  # nothing written beside it


def test_demo_is_never_written_over_real_rows(real_store, tmp_path):
    store = tmp_path / "real"
    shutil.copytree(real_store, store)
    before = sorted(p.name for p in store.rglob("*"))
    with pytest.raises(ValueError, match="holds real"):
        write_demo(store)
    assert sorted(p.name for p in store.rglob("*")) == before
    assert not json.loads((store / "manifest.json").read_text())["synthetic"]


def test_cli_ingest_without_data_dir_defaults_to_data_local_not_demo(monkeypatch):
    monkeypatch.delenv(loader.ENV_DATA_DIR, raising=False)
    args = build_parser().parse_args(["ingest", "x.csv"])
    assert args.data_dir == str(REPO / "data" / "local")
    assert "data/local/" in (REPO / ".gitignore").read_text().splitlines()
    monkeypatch.setenv(loader.ENV_DATA_DIR, "/tmp/elsewhere")
    assert build_parser().parse_args(["ingest", "x.csv"]).data_dir == "/tmp/elsewhere"


def test_cli_ingest_into_demo_store_fails_with_exit_2():
    out = run_cli("ingest", TURNOVER_NOV25, "--data-dir", loader.DEMO_DATA_DIR)
    assert out.returncode == 2 and "demo store" in out.stderr and "Traceback" not in out.stderr


def test_real_data_is_named_positively(real_store):
    prov = loader.provenance(real_store)
    assert provenance.source_statement(prov) == REAL_STATEMENT
    assert provenance.source_statement(loader.provenance(loader.DEMO_DATA_DIR)).startswith("Synthetic demo data")
    assert provenance.month_span(["2025-10", "2025-11"]) == "Oct-Nov 2025"
    assert provenance.month_span(["2024-12", "2025-01", "2025-03"]) == "Dec 2024-Jan 2025, Mar 2025"
    assert provenance.month_span(["2025-11"]) == "Nov 2025"


def test_csv_export_carries_the_data_source():
    notes, table = exports.read_csv_export(exports.to_csv_bytes(pd.DataFrame({"a": [1]}), REAL_STATEMENT))
    assert notes == [f"Data source: {REAL_STATEMENT}"]  # a note of its own, not a column down the rows
    assert table.columns.tolist() == ["a"] and table["a"].tolist() == [1]


# ------------------------------------------------------------------------------------------------ item 2: short
def test_axes_for_one_two_three_months():
    assert axes.month_ticks(["2025-10", "2025-11"]) == [{"year": 2025, "month": 10, "date": 1},
                                                        {"year": 2025, "month": 11, "date": 1}]
    assert len(axes.month_ticks(["2025-11"])) == 1 and len(axes.month_ticks(["2025-09", "2025-10", "2025-11"])) == 3
    assert axes.month_ticks([f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"]) is None  # long: Vega's ticks
    # Oct-Nov 2025 England leaver rates sit at 0.88%-0.95%: ".1%" labels every tick "0.9%"
    fmt = axes.percent_format([0.0088, 0.0095])
    assert fmt == ".2%"
    ticks = np.linspace(0.0088, 0.0095, axes.PERCENT_TICKS)
    labels = [f"{100 * t:.{int(fmt[1])}f}%" for t in ticks]
    assert len(set(labels)) == len(labels)
    assert axes.percent_format([0.05, 0.12]) == ".0%" and axes.percent_format([0.009]) == ".2%"
    # staff in post index over two months, 100 to 100.29: ",.0f" labelled every tick "100"
    assert axes.number_format([100.0, 100.29]) == ",.2f" and axes.number_format([1000, 1500]) == ",.0f"


def test_trend_and_flow_specs_have_one_tick_per_month_and_no_extra_month():
    from ui import trend_charts
    s = pd.DataFrame({"period": ["2025-10", "2025-11"] * 2, "series": ["A", "A", "England", "England"],
                      "role": ["System", "System", "England", "England"], "value": [0.0088, 0.0095, 0.009, 0.0091]})
    spec = trend_charts.stable_spec(trend_charts.trend_chart(s, "Leaver rate", selected="2025-11"))
    enc = spec["layer"][0]["encoding"]
    assert len(enc["x"]["axis"]["values"]) == 2 and enc["y"]["axis"]["format"] == ".2%"
    f = pd.DataFrame({"period": ["2025-10"] * 3 + ["2025-11"] * 3, "flow": ["Joiners", "Leavers", "Net change"] * 2,
                      "value": [1.0, 2, 3, 4, 5, 6]})
    spec = trend_charts.stable_spec(trend_charts.flows_chart(f, "FTE", selected="2025-11"))
    x = spec["layer"][0]["encoding"]["x"]
    assert x["type"] == "ordinal" and x["timeUnit"] == "yearmonth"  # bands for loaded months only


def test_run_chart_has_one_tick_per_month_not_oct_2025_four_times():
    """Signal or noise's run chart over two months labelled "Oct 2025" four times (Vega's own ticks)."""
    from ui import stats_charts
    run = pd.DataFrame({"period": ["2025-10", "2025-11"], "y": [0.0088, 0.0095], "median": [0.00915] * 2,
                        "point_type": ["common_cause"] * 2, "special_cause_rule": [None, None],
                        "special_cause": [False, False]})
    spec = stats_charts.run_chart(run, "Leaver rate", measure="leaver_rate").to_dict(validate=False)
    axes_seen = [ly["encoding"]["x"]["axis"] for ly in spec["layer"] if "x" in ly.get("encoding", {})]
    axes_seen += [spec["encoding"]["x"]["axis"]] if "x" in spec.get("encoding", {}) else []
    assert axes_seen and all(a["values"] == [{"year": 2025, "month": 10, "date": 1},
                                              {"year": 2025, "month": 11, "date": 1}] for a in axes_seen)


def test_spc_on_real_months_names_no_verdict(real_store):
    m = area_metrics(loader.load_area_frame(real_store, "ICS"), True, include_england=True, include_regions=True)
    with pytest.raises(signals.SignalError, match="Only 2 months.*Oct-Nov 2025.*10 more months"):
        signals.spc_view(m, "ENG", ALL_STAFF, "leaver_rate")
    assert signals.what_changed(m, "ICS", "2025-11").empty
    assert "not enough months to judge" in signals.not_enough_months(m, "2025-11")
    assert trends.rolling_need(loader.available_periods(real_store, "ICS"), "2025-11") == (
        "Needs 12 consecutive monthly files up to Nov 2025; 2 loaded (Oct-Nov 2025), 10 more needed.")


# ------------------------------------------------------------------------------------------------ item 5: coverage
def _org_rows(rows):
    cols = ["period_end", "level", "area_code", "org_code", "staff_group", "source", "sip_end_fte", "vacancy_fte",
            "establishment_fte"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows])


def test_coverage_by_hand():
    """System Q1 nurses: trusts A (930 FTE), B (490), C (80); vacancies for A only -> 930/1500 = 62% < 95%: no rate.
    Q1 midwives: A and B report, holding 100% -> rate shown. Q2 nurses given for the whole system -> covered."""
    p, L = "2025-11", "ICS"
    f = _org_rows([
        (p, L, "QKK", "A", NURSES, "turnover", 930.0, np.nan, np.nan),
        (p, L, "QKK", "B", NURSES, "turnover", 490.0, np.nan, np.nan),
        (p, L, "QKK", "C", NURSES, "turnover", 80.0, np.nan, np.nan),
        (p, L, "QKK", "A", "Midwives", "turnover", 100.0, np.nan, np.nan),
        (p, L, "QKK", "B", "Midwives", "turnover", 50.0, np.nan, np.nan),
        (p, L, "QKK", "A", NURSES, "vacancy", np.nan, 70.0, np.nan),
        (p, L, "QKK", "A", "Midwives", "vacancy", np.nan, 5.0, np.nan),
        (p, L, "QKK", "B", "Midwives", "vacancy", np.nan, np.nan, 60.0),  # establishment only still reports
        (p, L, "QWE", "D", NURSES, "turnover", 400.0, np.nan, np.nan),
        (p, L, "QWE", "", NURSES, "vacancy", np.nan, 40.0, np.nan),
    ])
    cov = coverage.vacancy_coverage(f).set_index(["area_code", "staff_group"])
    n = cov.loc[("QKK", NURSES)]
    assert (n["vacancy_orgs_reported"], n["vacancy_orgs"]) == (1, 3)
    assert n["vacancy_staff_share"] == pytest.approx(930 / 1500) and not n["vacancy_covered"]
    assert coverage.coverage_text(n) == "vacancies reported for 1 of 3 organisations, 62% of staff in post"
    assert cov.loc[("QKK", "Midwives"), "vacancy_covered"]
    tot = cov.loc[("QKK", ALL_STAFF)]  # 930 + 100 + 50 of 1650 staff in cells with vacancy figures
    assert tot["vacancy_staff_share"] == pytest.approx(1080 / 1650) and not tot["vacancy_covered"]
    assert cov.loc[("QWE", NURSES), "vacancy_covered"] and cov.loc[("QWE", NURSES), "vacancy_staff_share"] == 1.0


def test_apply_coverage_withholds_rates_and_aggregates_use_covered_cells_only():
    """QKK nurses uncovered (rate withheld); QWE nurses covered: 40/(40+400). London (Y56) and England: QWE only."""
    def row(code, region, fte, vac):
        return {"period": "2025-11", "area_code": code, "region_code": region, "staff_group": NURSES, "fte": fte,
                "vacancy_fte": vac, "vacancy_rate": vac / (vac + fte)}
    m = pd.DataFrame([row("QKK", "Y56", 1500.0, 70.0), row("QWE", "Y56", 400.0, 40.0),
                      row("Y56", "Y56", 1900.0, 110.0), row("ENG", "", 1900.0, 110.0)])
    cov = pd.DataFrame({"period": ["2025-11"] * 2, "area_code": ["QKK", "QWE"], "staff_group": [NURSES] * 2,
                        "vacancy_orgs_reported": [1, 1], "vacancy_orgs": [3, 1],
                        "vacancy_staff_share": [0.62, 1.0], "vacancy_covered": [False, True]})
    out = coverage.apply_vacancy_coverage(m, cov, {"QKK", "QWE"}).set_index("area_code")
    assert np.isnan(out.loc["QKK", "vacancy_rate"])
    assert out.loc["QWE", "vacancy_rate"] == pytest.approx(40 / 440)
    for agg in ("Y56", "ENG"):
        assert out.loc[agg, "vacancy_rate"] == pytest.approx(40 / 440)  # not 110/2010 = 5.47%
        assert (out.loc[agg, "vacancy_orgs_reported"], out.loc[agg, "vacancy_orgs"]) == (1, 2)
        assert out.loc[agg, "vacancy_staff_share"] == pytest.approx(400 / 1900)
    assert "1 of 2 systems" in coverage.coverage_text(out.loc["ENG"], aggregate=True)


@pytest.fixture(scope="module")
def template_store(real_store, tmp_path_factory):
    """The real store plus the vacancy template's own example rows (python -m lib template)."""
    d = tmp_path_factory.mktemp("template_store") / "store"
    shutil.copytree(real_store, d)
    tpl = d.parent / "vacancy_template.csv"
    tpl.write_text(exports.vacancy_template_csv())
    ingest.ingest([tpl], d)
    return d


def test_template_rows_on_real_store_show_coverage_not_rates(template_store):
    raw = pd.read_csv(TURNOVER_NOV25)
    sip = raw[(raw["ICS_CODE"] == "QKK") & (raw["TYPE"] == "Denominator at end of period")
              & (raw["STAFF_GROUP_1_NAME"] == NURSES)].groupby("REPORTING_ORG_CODE")["FTE"].sum()
    m = area_metrics(loader.load_area_frame(template_store, "ICS"), True, include_england=True,
                     include_regions=True)
    plain = m[m["period"] == "2025-11"].set_index(["area_code", "staff_group"])
    assert plain.loc[("QKK", NURSES), "vacancy_rate"] == pytest.approx(512.4 / (512.4 + sip.sum()))  # the 3.00%
    out = coverage.covered_metrics(template_store, "ICS", m)
    nov = out[out["period"] == "2025-11"].set_index(["area_code", "staff_group"])
    n = nov.loc[("QKK", NURSES)]
    assert np.isnan(n["vacancy_rate"])
    assert (n["vacancy_orgs_reported"], n["vacancy_orgs"]) == (1, len(sip[sip > 0]))
    assert n["vacancy_staff_share"] == pytest.approx(sip["RJ1"] / sip.sum())
    assert np.isnan(nov.loc[("ENG", NURSES), "vacancy_rate"])  # England had 0.13% from one trust's figures
    assert np.isnan(nov.loc[("QKK", ALL_STAFF), "vacancy_rate"])
    # the template's midwives row has no organisation: given for the system as a whole, so its rate stands
    mw = raw[(raw["ICS_CODE"] == "QKK") & (raw["TYPE"] == "Denominator at end of period")
             & (raw["STAFF_GROUP_1_NAME"] == "Midwives")]["FTE"].sum()
    assert nov.loc[("QKK", "Midwives"), "vacancy_rate"] == pytest.approx(35.5 / (35.5 + mw))
    assert nov.loc[("ENG", "Midwives"), "vacancy_rate"] == pytest.approx(35.5 / (35.5 + mw))
    assert "1 of 42 systems" in coverage.coverage_text(nov.loc[("ENG", "Midwives")], aggregate=True)
    # nothing else changes
    keep = [c for c in m.columns if c not in ("vacancy_rate", "vacancy_fte")]
    pd.testing.assert_frame_equal(out[keep], m[keep])


# ------------------------------------------------------------------------------------------------ pages (AppTest)
def _texts(at, *kinds) -> str:
    return "\n".join(str(e.value) for k in kinds for e in getattr(at, k))


@pytest.fixture
def on_real(real_store, monkeypatch):
    monkeypatch.setenv(loader.ENV_DATA_DIR, str(real_store))
    return real_store


def test_headlines_on_real_data(on_real):
    at = open_app_page("views/home.py")
    text = _texts(at, "info", "caption", "success", "markdown")
    assert "not enough months to judge" in text and "10 more months" in text
    assert "No system shows unusual variation" not in text
    assert not [s for s in at.success if "unusual" in s.value]  # the sidebar's "Real data" label is a success
    assert REAL_STATEMENT in text
    assert "vacancy template" in text  # the empty vacancy figure names the file that fills it
    assert at.query_params["source"] == ["dir"] or at.query_params["source"] == "dir"


def test_map_opens_on_leaver_rate_without_vacancies(on_real):
    at = open_app_page("views/map.py")
    assert at.selectbox(key="url_measure").value == "leaver_rate"
    assert not at.warning
    assert REAL_STATEMENT in _texts(at, "caption")


def test_map_vacancy_panel_names_the_file(on_real):
    at = open_app_page("views/map.py", {"measure": "vacancy_rate"})
    assert any("vacancy template" in w.value and "python -m lib template" in w.value for w in at.warning)


def test_turnover_on_real_data(on_real):
    at = open_app_page("views/turnover.py")
    assert any(mt.label == "12-month leaver rate" and mt.value == "n/a" for mt in at.metric)
    assert "2 loaded (Oct-Nov 2025), 10 more needed" in _texts(at, "caption")
    at.session_state["turnover_spc_open"] = True  # the SPC is built only when its expander is opened (issue 16)
    at.run()
    # two months: a run chart with no verdict (issue 21), saying how many more months process limits need
    assert "Run chart of 2 months" in _texts(at, "markdown") and "Too few points for a verdict" in _texts(at, "markdown")
    assert "10 more months" in _texts(at, "caption")
    at = open_app_page("views/turnover.py", {"window": "12m"})
    assert "10 more needed" in _texts(at, "info")


def test_profile_on_real_data(on_real):
    at = open_app_page("views/profile.py", {"area": "QKK"})
    text = _texts(at, "info", "caption", "markdown")
    assert "Run chart of 2 months" in text and "Too few points for a verdict" in text   # issue 21: a run chart
    assert "vacancy template" in text and REAL_STATEMENT in text
    spec = at.get("vega_lite_chart")[0].proto.spec
    assert '"Vacancy rate"' not in spec  # no empty panel: a caption names the file instead
    assert "Vacancy rate: No vacancy figures are loaded" in text


def test_vacancies_on_real_data_name_the_template(on_real):
    at = open_app_page("views/vacancy.py")
    assert any("vacancy template" in i.value for i in at.info)


def test_vacancies_show_coverage_instead_of_a_rate(template_store, monkeypatch):
    monkeypatch.setenv(loader.ENV_DATA_DIR, str(template_store))
    at = open_app_page("views/vacancy.py", {"area": "QKK", "group": NURSES})
    assert any("vacancies reported for 1 of 7 organisations, 40% of staff in post" in w.value for w in at.warning)
    assert not any(mt.label == "Vacancy rate" for mt in at.metric)
    open_on_request(at)  # the system table is built on request (issue 16): open it as a click does
    table = next(d.value for d in at.dataframe if "Vacancy coverage" in d.value.columns)
    assert table.loc[table["Code"] == "QKK", "Vacancy coverage"].iloc[0].startswith("vacancies reported for 1 of 7")
    assert table["Vacancy rate"].isna().all()


def test_role_mix_and_signal_on_real_data(on_real):
    at = open_app_page("views/role_mix.py")
    assert REAL_STATEMENT in _texts(at, "caption")
    at = open_app_page("views/statistics.py")
    text = _texts(at, "info", "success")
    assert "not enough months to judge" in text and "No system shows unusual variation" not in text


def test_deep_link_carries_the_source(on_real):
    at = open_app_page("views/home.py", {"source": "demo"})
    assert "Synthetic demo data" in _texts(at, "caption")
    at = open_app_page("views/home.py", {"source": "../../etc"})  # not a known source: the default, never a path
    assert REAL_STATEMENT in _texts(at, "caption")
    assert at.query_params["source"] in ("dir", ["dir"])


def test_map_and_funnel_withhold_uncovered_vacancy_rates(template_store):
    from lib.insight import map_data as im
    m = coverage.covered_metrics(template_store, "ICS", area_metrics(
        loader.load_area_frame(template_store, "ICS"), True, include_england=True, include_regions=True))
    t = im.map_table(m, "ICS", "2025-11", "vacancy_rate", NURSES).set_index("code")
    assert np.isnan(t.loc["QKK", "value"]) and t.loc["QKK", "value_text"] == "no rate: vacancies cover 40% of staff"
    assert t["value"].isna().all() and np.isnan(t.loc["QKK", "england_value"])  # 3.00% and 0.13% no longer shown
    mw = im.map_table(m, "ICS", "2025-11", "vacancy_rate", "Midwives").set_index("code")
    assert mw.loc["QKK", "value"] == pytest.approx(mw.loc["QKK", "england_value"])  # England = covered cell only
    with pytest.raises(signals.SignalError):
        signals.funnel_view(m, "ICS", NURSES, "vacancy_rate", "2025-11")


def test_cli_metrics_applies_the_coverage_rule(template_store):
    out = run_cli("metrics", "--data-dir", template_store, "--by-staff-group", "--england", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = {(r["area_code"], r["staff_group"]): r for r in json.loads(out.stdout)}
    assert rows[("QKK", NURSES)]["vacancy_rate"] is None and rows[("QKK", NURSES)]["vacancy_orgs_reported"] == 1
    assert rows[("ENG", NURSES)]["vacancy_rate"] is None
    assert rows[("QKK", "Midwives")]["vacancy_rate"] == pytest.approx(rows[("ENG", "Midwives")]["vacancy_rate"])


def test_what_if_baseline_uses_only_covered_vacancies(template_store):
    """SEL nurses' vacancies come from one trust (40% of staff): the baseline must not treat them as the system's
    own (that gave a 3.00% starting rate); it falls back to the national default. SEL midwives' row is given for
    the whole system, so it is the system's own figure."""
    from lib.whatif.studio import load_baseline, national_vacancy_rates
    base = load_baseline(template_store, "ICS", "2025-11")
    a, g = base.area_codes.index("QKK"), base.staff_groups.index(NURSES)
    assert not base.vacancy_known[a, g]
    r = national_vacancy_rates()[NURSES]
    assert base.vacancy_fte[a, g] == pytest.approx(base.fte[a, g] * r / (1 - r))
    mw = base.staff_groups.index("Midwives")
    assert base.vacancy_known[a, mw] and base.vacancy_fte[a, mw] == pytest.approx(35.5)


def test_every_ingested_kind_is_named_in_the_source_line():
    """The real store with sickness absence read "Files of an unrecognised kind, Mar 2025" on every page: a format
    the product ingests must have its publication's name."""
    from lib.data import formats
    assert {f.KIND for f in formats.FORMATS} <= set(provenance.PUBLICATIONS)
    prov = {"files": [{"kind": "sickness", "periods": ["2025-03"], "ingested_at": "2026-12-07T21:00:00"}]}
    assert provenance.source_statement(prov) == "NHS Digital NHS Sickness Absence Rates, Mar 2025; ingested 7 Dec 2026"
