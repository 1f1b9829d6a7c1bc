"""One data engine for the app and the CLI (issue 16): the same figures by construction, to the bit; files the engine
cannot read are refused by name while the rest keep being served."""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lib.data import engine, footprint, loader
from lib.data.schema import ALL_STAFF, conform
from lib.insight import metrics
from lib.insight.metrics import area_metrics

PERIOD = "2025-11"


def test_app_cached_figures_and_cli_metrics_are_identical_on_the_real_store(real_store, monkeypatch, capsys):
    from lib.cli import data_commands, main
    from ui import data as ui_data
    key = footprint.footprint_key("ICS", None, PERIOD)  # the vintage both use for the period by default
    app = ui_data._metrics(str(real_store), loader.snapshot_id(real_store), key, None, "fte", False)
    printed = []
    real_csv = data_commands.exports.to_csv_text
    monkeypatch.setattr(data_commands.exports, "to_csv_text", lambda df, **kw: printed.append(df) or real_csv(df, **kw))
    assert main(["metrics", "--data-dir", str(real_store), "--period", PERIOD, "--by-staff-group", "--england",
                 "--regions"]) == 0
    assert capsys.readouterr().out.startswith("period,")
    (cli,) = printed
    app = app[app["period"] == PERIOD].reset_index(drop=True)
    assert len(cli) == len(app) > 42 * 10  # every system, region and England, by staff group
    assert set(cli["area_code"]) >= {"QKK", "Y56", "ENG"}
    pd.testing.assert_frame_equal(cli.reset_index(drop=True), app, check_exact=True)  # to the bit
    # and the figures are the published ones: England's November FTE is the sum of the systems'
    eng = app[(app["area_code"] == "ENG") & (app["staff_group"] == ALL_STAFF)]["fte"].iloc[0]
    systems = app[~app["area_code"].str.fullmatch(r"ENG|Y\d\d") & (app["staff_group"] == ALL_STAFF)]["fte"].sum()
    assert eng == pytest.approx(systems, rel=1e-12)


@pytest.fixture(scope="module")
def vacancy_store(real_store, tmp_path_factory):
    """The real store plus the vacancy template's own example rows: a second source in the same months."""
    from lib.data import ingest
    from lib.insight import exports
    d = tmp_path_factory.mktemp("vacancy_store") / "store"
    shutil.copytree(real_store, d)
    tpl = d.parent / "vacancy_template.csv"
    tpl.write_text(exports.vacancy_template_csv())
    ingest.ingest([tpl], d)
    return d


def _frame_path(store, key, periods, **kw):
    """The re-assignment path: the area frame on the footprint (organisations summed per area, handed over), then
    metrics_sql over it registered as a table."""
    return area_metrics(footprint.load_area_frame(store, key, periods=periods, names=False),
                        kw.get("by_staff_group", True), basis=kw.get("basis", "fte"),
                        include_england=kw.get("include_england", False),
                        include_regions=kw.get("include_regions", False))


@pytest.mark.parametrize("store_name, key, periods", [
    ("real_store", "ICS", None),                          # the real Oct-25 and Nov-25 files, as published
    ("real_store", "ICS", [PERIOD]),
    ("vacancy_store", "ICS", None),                       # two sources (turnover + the vacancy template's rows)
    ("real_store26", "ICS2026", ["2026-05"]),             # a footprint store: the 2026 month on its own footprint
    ("real_store26", "ICS", ["2025-10", "2025-11"]),      # ... and the 2025 months on theirs
])
def test_fused_query_and_area_frame_path_give_identical_figures(store_name, key, periods, request, monkeypatch):
    """store_metrics answers an as-published question with ONE engine query over the accepted files (the area rows
    never leave the engine); the re-assignment path goes through the area frame. Same SQL builders, same figures
    to the bit, for every shape of question the app and the CLI ask."""
    store = request.getfixturevalue(store_name)
    fused_calls = []
    real_load = loader.load_area_frame
    monkeypatch.setattr(loader, "load_area_frame",
                        lambda *a, **kw: fused_calls.append(kw.get("over")) or real_load(*a, **kw))
    for kw in (dict(include_england=True, include_regions=True), dict(),
               dict(by_staff_group=False, basis="hc", include_england=True)):
        fused_calls.clear()
        fused = metrics.store_metrics(store, key, periods, **kw)
        assert len(fused_calls) == 1 and fused_calls[0] is not None  # the one query, not the frame
        frame = _frame_path(store, key, periods, **kw)
        assert len(fused) == len(frame) > 36
        assert set(fused["level"]) == {key}
        if store_name == "vacancy_store" and kw.get("basis") != "hc":
            assert fused["vacancy_rate"].notna().any()  # the second source's figures are in
        pd.testing.assert_frame_equal(fused, frame, check_exact=True)


def test_months_of_another_footprint_go_through_the_area_frame(real_store26, monkeypatch):
    """Nov-25 on the 2026 systems re-assigns organisations: that question takes the area-frame path (no fused
    query), and gives the figures of metrics_sql over the re-assigned frame."""
    calls = []
    real_load = loader.load_area_frame
    monkeypatch.setattr(loader, "load_area_frame", lambda *a, **kw: calls.append(kw.get("over")) or real_load(*a, **kw))
    m = metrics.store_metrics(real_store26, "ICS2026", None, include_england=True, include_regions=True)
    assert calls and all(c is None for c in calls)
    assert set(m["period"]) == {"2025-10", "2025-11", "2026-05"}
    pd.testing.assert_frame_equal(m, _frame_path(real_store26, "ICS2026", None, include_england=True,
                                                 include_regions=True), check_exact=True)


def _store_with_damaged_pages(real_store, tmp_path):
    """A copy of the real store whose PERIOD file keeps an intact footer over zeroed sip_end_fte data pages."""
    store = tmp_path / "store"
    shutil.copytree(real_store, store)
    bad = store / "level=ICS" / f"period={PERIOD}" / "turnover.parquet"
    col = pq.read_metadata(bad).row_group(0).column(pq.read_schema(bad).names.index("sip_end_fte"))
    raw = bytearray(bad.read_bytes())
    raw[col.data_page_offset + 20: col.data_page_offset + 220] = bytes(200)
    bad.write_bytes(bytes(raw))
    return store, bad


@pytest.mark.parametrize("split", [False, True])
def test_fused_query_refuses_a_damaged_file_by_name_and_serves_the_rest(real_store, tmp_path, monkeypatch, split):
    """A file whose footer is fine but whose pages are not fails inside the one query: it is named, and the
    query is run again without it (same figures as the other month alone). split: each month its own query, side
    by side (a long history): the damaged month's query is refused and the other month's served."""
    if split:
        monkeypatch.setattr(metrics, "MONTHS_PER_QUERY", 1)
        monkeypatch.setattr(engine, "cores", lambda: 2)
    store, bad = _store_with_damaged_pages(real_store, tmp_path)
    m = metrics.store_metrics(store, "ICS", None, include_england=True)
    assert set(m["period"]) == {"2025-10"}
    assert any(str(bad) in p and "is ignored" in p for p in loader.store_problems(store))
    pd.testing.assert_frame_equal(m, metrics.store_metrics(real_store, "ICS", ["2025-10"], include_england=True),
                                  check_exact=True)


def test_figures_do_not_depend_on_row_order_or_on_how_many_periods_are_asked(real_store):
    frame = loader.load_area_frame(real_store, "ICS")
    both = area_metrics(frame, include_england=True, include_regions=True)
    shuffled = area_metrics(frame.sample(frac=1, random_state=7).reset_index(drop=True), include_england=True,
                            include_regions=True)
    pd.testing.assert_frame_equal(both, shuffled, check_exact=True)
    one = area_metrics(loader.load_area_frame(real_store, "ICS", periods=[PERIOD]), include_england=True,
                       include_regions=True)
    pd.testing.assert_frame_equal(both[both["period"] == PERIOD].reset_index(drop=True), one, check_exact=True)


def test_organisation_rows_and_area_rows_give_the_same_figures(real_store):
    from_orgs = area_metrics(loader.load_frame(real_store, "ICS"), include_england=True, include_regions=True)
    from_areas = area_metrics(loader.load_area_frame(real_store, "ICS"), include_england=True, include_regions=True)
    pd.testing.assert_frame_equal(from_orgs, from_areas, check_exact=False, rtol=1e-12)


def test_sessions_in_threads_each_get_the_same_figures(real_store):
    """Streamlit runs each session's script in its own thread: each thread has its own engine connection."""
    frame = loader.load_area_frame(real_store, "ICS", periods=[PERIOD])
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: area_metrics(frame, include_england=True, include_regions=True), range(8)))
    for r in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], r, check_exact=True)


def test_a_file_with_damaged_data_pages_is_refused_by_name_and_the_rest_served(real_store, tmp_path):
    """The footer is intact (so the cheap footer check passes) but a column's pages are not: the engine's read
    fails, the file is found and named, and the other month is still served; the refusal is remembered."""
    store, bad = _store_with_damaged_pages(real_store, tmp_path)
    assert loader.store_problems(store) == []  # not visible from the footer
    problems: list[str] = []
    f = loader.load_area_frame(store, "ICS", problems=problems)
    assert set(f["period_end"]) == {"2025-10"} and len(f) > 0
    assert len(problems) == 1 and str(bad) in problems[0] and "is ignored" in problems[0]
    assert any(str(bad) in p for p in loader.store_problems(store))  # remembered: named in the app's banner
    assert loader.available_periods(store, "ICS") == ["2025-10"]
    good = loader.load_area_frame(real_store, "ICS", periods=["2025-10"])
    pd.testing.assert_frame_equal(f, good)


def test_engine_sums_skip_missing_values_and_stay_missing_when_none():
    rows = conform(pd.DataFrame([
        {"period_start": "2025-10", "period_end": PERIOD, "period_months": 1, "level": "ICS", "area_code": "QKK",
         "area_name": "", "region_code": "Y56", "org_code": o, "org_name": "", "staff_group": ALL_STAFF,
         "source": "turnover", "sip_start_fte": s, "sip_end_fte": 10.0, "leavers_fte": 1.0, "joiners_fte": 1.0}
        for o, s in (("A", 100.0), ("B", np.nan))]))
    r = area_metrics(rows).iloc[0]
    assert r["sip_start_fte"] == 100.0 and r["fte"] == 20.0  # NaN skipped, not propagated
    assert np.isnan(r["vacancy_rate"]) and np.isnan(r["headcount"])  # nothing given: missing, not 0
    assert r["leaver_rate"] == pytest.approx(2.0 / ((100.0 + 20.0) / 2))


def test_engine_queries_take_values_as_parameters_never_as_sql_text():
    odd = "Q'); DROP TABLE x; --"
    assert engine.query("SELECT $v AS v", {"v": odd}).column("v").to_pylist() == [odd]
    assert engine.text_list(["a'b"]) == "['a''b']"


@pytest.mark.parametrize("store_name", ["real_store", "vacancy_store"])
def test_a_history_split_across_cores_gives_the_figures_of_one_query(store_name, request, monkeypatch):
    """A long history is queried as runs of whole months side by side (one core each): the same rows, order and
    figures, to the bit, as one query over every month (a month's figures never read another month's rows)."""
    store = request.getfixturevalue(store_name)
    kw = dict(include_england=True, include_regions=True)
    monkeypatch.setattr(metrics, "MONTHS_PER_QUERY", 10_000)
    one = metrics.store_metrics(store, "ICS", None, **kw)
    calls = []
    real_table = metrics.metrics_table
    monkeypatch.setattr(metrics, "metrics_table", lambda *a, **k: calls.append(k["params"]["files"]) or
                        real_table(*a, **k))
    monkeypatch.setattr(metrics, "MONTHS_PER_QUERY", 1)
    monkeypatch.setattr(engine, "cores", lambda: 2)
    split = metrics.store_metrics(store, "ICS", None, **kw)
    assert len(calls) == 2 and not set(calls[0]) & set(calls[1])  # two queries, each over its own month's files
    # (the two run side by side: either may call first)
    assert sorted(tuple(sorted({p.split("period=")[1][:7] for p in files})) for files in calls) == [
        ("2025-10",), ("2025-11",)]
    assert split["period"].unique().tolist() == ["2025-10", "2025-11"]
    pd.testing.assert_frame_equal(split, one, check_exact=True)


def test_metrics_come_in_the_published_order(real_store):
    """Month, then systems, regions, England, each by code, then staff groups in their own order (the engine's
    rows are put in this order after the query)."""
    from lib.data.schema import STAFF_GROUP_ORDER
    m = metrics.store_metrics(real_store, "ICS", None, include_england=True, include_regions=True)
    kind = np.where(m["area_code"] == "ENG", 2, np.where(m["area_code"].str.fullmatch(r"Y\d\d"), 1, 0))
    key = pd.DataFrame({"period": m["period"], "kind": kind, "area": m["area_code"],
                        "group": m["staff_group"].map(STAFF_GROUP_ORDER.index)})
    assert key.equals(key.sort_values(["period", "kind", "area", "group"]))
    assert m.groupby(["period", "area_code"]).size().min() > 5 and len(m) == len(m.drop_duplicates(
        ["period", "area_code", "staff_group"]))
