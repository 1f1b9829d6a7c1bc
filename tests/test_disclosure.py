"""Disclosure control: the suppression rule on hand-made frames, the switch, and every page of the app with
control on showing no count under 5 in any table, metric or download."""
from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lib.insight import exports
from lib.sharing import disclosure
from lib.sharing.disclosure import enabled, parse_flag, small_counts, suppress_metrics
from lib.data.loader import DEMO_DATA_DIR
from lib.data.schema import ALL_STAFF
from tests.conftest import REPO, open_downloads, open_on_request

NAN = np.nan


def frame(rows):
    cols = ["period", "area_code", "region_code", "staff_group", "fte", "headcount", "sip_start_fte",
            "sip_start_hc", "joiners_fte", "joiners_hc", "leavers_fte", "leavers_hc", "leaver_rate", "joiner_rate",
            "vacancy_fte", "establishment_fte", "vacancy_rate", "fte_share", "fte_growth"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)


# One system (QAA in region Y56) with two staff groups; numbers chosen so each rule fires once.
BASE = [
    # period, area, region, group, fte, hc, start fte, start hc, join fte, join hc, leave fte, leave hc,
    # leaver rate, joiner rate, vac fte, estab fte, vac rate, share, growth
    ("2025-11", "QAA", "Y56", ALL_STAFF, 1000, 1100, 990, 1090, 20, 22, 12, 13, 0.012, 0.02, 50, 1050, 0.048, 1, .01),
    ("2025-11", "QAA", "Y56", "Nurses", 400, 420, 398, 418, 6, 7, 3, 4, 0.0075, 0.015, 30, 430, 0.07, 0.4, .005),
    ("2025-11", "QAA", "Y56", "Midwives", 600, 680, 592, 672, 14, 15, 9, 9, 0.015, 0.023, 20, 620, 0.032, 0.6, .01),
]


def test_primary_rule_hides_small_leavers_and_their_rate():
    out = suppress_metrics(frame(BASE), secondary=False)
    nurses = out[out.staff_group == "Nurses"].iloc[0]
    assert np.isnan(nurses.leavers_fte) and np.isnan(nurses.leavers_hc) and np.isnan(nurses.leaver_rate)
    # joiners 6 FTE / 7 HC are not small, but start 398 + joiners - leavers = end 400 would give leavers back
    assert np.isnan(nurses.joiners_fte) and np.isnan(nurses.joiners_hc) and np.isnan(nurses.joiner_rate)
    assert nurses.fte == 400 and nurses.sip_start_fte == 398  # stocks stay: end - start = joiners - leavers only
    assert nurses.suppressed == "leavers; joiners"
    assert out[out.staff_group == "Midwives"].iloc[0].suppressed == ""


def test_fte_under_5_hides_headcount_too():
    rows = [list(BASE[1])]
    rows[0][8], rows[0][9] = 4.5, 6  # joiners 4.5 FTE but 6 people: FTE under 5 hides both
    out = suppress_metrics(frame(rows), secondary=False).iloc[0]
    assert np.isnan(out.joiners_fte) and np.isnan(out.joiners_hc) and np.isnan(out.joiner_rate)


def test_zero_is_a_count_under_5():
    rows = [list(BASE[1])]
    rows[0][10], rows[0][11] = 0, 0
    assert np.isnan(suppress_metrics(frame(rows), secondary=False).iloc[0].leavers_hc)


def test_small_staff_in_post_hides_everything_built_on_it():
    rows = [list(BASE[1])]
    rows[0][4], rows[0][5] = 3.2, 4  # staff in post 4 people
    out = suppress_metrics(frame(rows), secondary=False).iloc[0]
    for c in ("fte", "headcount", "fte_share", "fte_growth", "leaver_rate", "joiner_rate", "vacancy_rate",
              "establishment_fte"):
        assert np.isnan(out[c]), c
    assert out.vacancy_fte == 30  # vacancies themselves are not small
    assert out.suppressed.startswith("staff in post")


def test_small_vacancies_hide_establishment_and_rate():
    rows = [list(BASE[1])]
    rows[0][14] = 2
    out = suppress_metrics(frame(rows), secondary=False).iloc[0]
    assert np.isnan(out.vacancy_fte) and np.isnan(out.vacancy_rate) and np.isnan(out.establishment_fte)
    assert out.fte == 400


def test_missing_values_are_not_small():
    rows = [list(BASE[2])]  # Midwives: nothing small
    rows[0][14], rows[0][15], rows[0][16] = NAN, NAN, NAN
    assert suppress_metrics(frame(rows), secondary=False).iloc[0].suppressed == ""


def test_secondary_hides_the_smallest_other_group_so_the_total_cannot_be_differenced():
    out = suppress_metrics(frame(BASE))
    # Nurses' 3 leavers hidden; All staff 12 - Midwives 9 would give it back, so Midwives' leavers go too
    # (Midwives 9 FTE is smaller than the total 12).
    mid = out[out.staff_group == "Midwives"].iloc[0]
    assert np.isnan(mid.leavers_fte) and np.isnan(mid.joiners_fte) and mid.suppressed == "leavers; joiners"
    assert out[out.staff_group == ALL_STAFF].iloc[0].leavers_fte == 12
    assert len(small_counts(out)) == 0


def test_secondary_across_systems_in_a_region():
    rows = [("2025-11", code, "Y56", ALL_STAFF, fte, fte, fte, fte, 10, 10, lv, lv, NAN, NAN, NAN, NAN, NAN, 1, 0)
            for code, fte, lv in [("QAA", 100, 3), ("QBB", 200, 8), ("QCC", 300, 12), ("Y56", 600, 23)]]
    out = suppress_metrics(frame(rows)).set_index("area_code")
    assert np.isnan(out.loc["QAA", "leavers_fte"]) and np.isnan(out.loc["QBB", "leavers_fte"])
    assert out.loc["QCC", "leavers_fte"] == 12 and out.loc["Y56", "leavers_fte"] == 23


def test_every_hidden_cell_has_company_in_each_sum_on_demo_data():
    from lib.data import loader
    from lib.insight.metrics import area_metrics
    m = area_metrics(loader.load_frame(DEMO_DATA_DIR, "ICS", periods=["2025-11"]), include_england=True,
                     include_regions=True)
    out = suppress_metrics(m)
    assert len(small_counts(out)) == 0
    h = out.leavers_fte.isna() & m.leavers_fte.notna()
    per_area = h.groupby([out.period, out.area_code]).sum()
    assert not (per_area == 1).any()
    sys_rows = out.area_code.ne("ENG")
    per_region = h[sys_rows].groupby([out.period[sys_rows], out.staff_group[sys_rows], out.region_code[sys_rows]]).sum()
    assert not (per_region == 1).any()


def test_empty_frame():
    out = suppress_metrics(frame([]))
    assert out.empty and disclosure.SUPPRESSED_COLUMN in out


@pytest.mark.parametrize("value,expected", [(None, False), ("", False), ("0", False), ("off", False),
                                            (False, False), ("1", True), ("TRUE", True), ("yes", True), (True, True),
                                            (1, True)])
def test_parse_flag(value, expected):
    assert parse_flag(value) is expected


def test_unreadable_flag_fails_closed():
    with pytest.raises(ValueError):
        parse_flag("maybe")
    assert enabled({}, {disclosure.ENV_FLAG: "maybe"}) is True
    assert enabled({"disclosure_control": True}, {disclosure.ENV_FLAG: "0"}) is True  # either turns it on
    assert enabled({}, {}) is False


# ---------------------------------------------------------------- every page, with the app's own switch

COUNT_WORDS = ("fte", "headcount", "leavers", "joiners", "vacanc", "staff in post", "establishment", "people")
NOT_COUNT_WORDS = ("rate", "share", "%", "per ", "per_", "change", "growth", "diff", "delta", "ratio", "limit",
                   "mean", "centre", "center", "lower", "upper", "score", "cost", "z ", "gap", "index", "rank",
                   "year", "month", "period", "code", "expected")  # expected: modelled from England mix


def looks_like_count(name: str) -> bool:
    n = str(name).lower()
    return any(w in n for w in COUNT_WORDS) and not any(w in n for w in NOT_COUNT_WORDS)


def small_cells(df: pd.DataFrame) -> list[str]:
    """'column=value' for every count-like numeric cell under 5."""
    out = []
    for c in df.columns:
        if looks_like_count(c):
            v = pd.to_numeric(df[c], errors="coerce")
            out += [f"{c}={x}" for x in v[v < disclosure.THRESHOLD].head(3)]
    return out


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """The demo store with every count scaled by 1/100: systems of ~300 FTE, monthly leavers of a few."""
    d = tmp_path_factory.mktemp("small_store")
    num = ["sip_start_fte", "sip_start_hc", "sip_end_fte", "sip_end_hc", "joiners_fte", "joiners_hc",
           "leavers_fte", "leavers_hc", "vacancy_fte", "establishment_fte"]
    for f in sorted((DEMO_DATA_DIR / "level=ICS").glob("period=*/*.parquet"))[-14:]:
        t = pq.read_table(f).to_pandas()
        for c in num:
            if c in t:
                t[c] = (t[c] / 100).round(1)
        dest = d / f.relative_to(DEMO_DATA_DIR)
        dest.parent.mkdir(parents=True, exist_ok=True)
        t.to_parquet(dest, index=False)
    man = json.loads((DEMO_DATA_DIR / "manifest.json").read_text())
    (d / "manifest.json").write_text(json.dumps(man))
    if (DEMO_DATA_DIR / "population_ICS.csv").exists():
        shutil.copy(DEMO_DATA_DIR / "population_ICS.csv", d / "population_ICS.csv")
    return d


# Pages that still show counts under 5 with control on (reported to the lead; remove when fixed).
KNOWN_GAPS = {
}


def _pages() -> list:
    return [pytest.param(p, marks=pytest.mark.xfail(reason=KNOWN_GAPS[p], strict=False)) if p in KNOWN_GAPS else p
            for p in sorted(f"views/{f.name}" for f in (REPO / "views").glob("*.py"))]


def _run_page(page: str, monkeypatch, captured: list):
    from streamlit.delta_generator import DeltaGenerator
    from streamlit.testing.v1 import AppTest
    import streamlit

    original = DeltaGenerator.download_button

    def recording(self, label, data, *args, **kwargs):
        body = data() if callable(data) else data
        captured.append((kwargs.get("file_name") or (args[0] if args else label), body))
        return original(self, label, body, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    monkeypatch.setattr(streamlit, "download_button",
                        lambda *a, **k: recording(streamlit._main, *a, **k))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    if page != "views/home.py":
        at.switch_page(page)
        at.run()
    open_on_request(at)  # the system tables and the downloads behind popovers (built only when open, issue 16)
    open_downloads(at)  # are checked too
    return at


def _download_frames(captured) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for name, body in captured:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if not isinstance(raw, (bytes, bytearray)):
            continue
        name = str(name)
        if name.endswith(".csv"):
            out.append((name, exports.read_csv_export(raw)[1]))
        elif name.endswith(".xlsx"):
            out += [(f"{name}:{s}", df) for s, df in pd.read_excel(io.BytesIO(raw), sheet_name=None).items()]
    return out


def _metric_number(value: str) -> float | None:
    m = re.fullmatch(r"\s*([-+]?[\d,]*\.?\d+)\s*", str(value))
    return float(m.group(1).replace(",", "")) if m else None


@pytest.mark.parametrize("page", _pages())
def test_page_shows_no_count_under_5_with_control_on(page, small_data, monkeypatch):
    from tests.conftest import warm_disclosure_plan
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(small_data))
    monkeypatch.setenv(disclosure.ENV_FLAG, "1")
    warm_disclosure_plan(small_data)  # once per store: the joint plan is cached across pages (ui.data)
    captured: list = []
    at = _run_page(page, monkeypatch, captured)
    assert not at.exception, [e.value for e in at.exception]
    problems = []
    for i, df in enumerate(at.dataframe):
        problems += [f"table {i}: {p}" for p in small_cells(df.value)]
    for t in at.table:
        problems += [f"st.table: {p}" for p in small_cells(t.value)]
    for m in at.metric:
        v = _metric_number(m.value)
        if looks_like_count(m.label) and v is not None and v < disclosure.THRESHOLD:
            problems.append(f"metric {m.label}={m.value}")
    for name, df in _download_frames(captured):
        problems += [f"download {name}: {p}" for p in small_cells(df)]
    assert not problems, problems
    if page == "views/home.py":  # AppTest drops the sidebar tree after switch_page, so check it once
        assert any(disclosure.NOTE in c.value for c in at.sidebar.caption)


def test_small_counts_do_show_with_control_off(small_data, monkeypatch):
    """The check above has teeth: the same data without control shows counts under 5 on the first page."""
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(small_data))
    monkeypatch.delenv(disclosure.ENV_FLAG, raising=False)
    captured: list = []
    at = _run_page("views/home.py", monkeypatch, captured)
    assert not at.exception
    assert any(small_cells(df.value) for df in at.dataframe)
    assert any(small_cells(df) for _, df in _download_frames(captured))
    assert not any(disclosure.NOTE in c.value for c in at.sidebar.caption)


def test_secrets_switch_turns_control_on(small_data, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(small_data))
    monkeypatch.delenv(disclosure.ENV_FLAG, raising=False)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.secrets["workforce"] = {"disclosure_control": True}
    at.run()
    open_on_request(at)  # the table of every system, as a click opens it
    assert not at.exception and at.dataframe
    assert any(disclosure.NOTE in c.value for c in at.sidebar.caption)
    assert not any(small_cells(df.value) for df in at.dataframe)


# ---------------------------------------------------------------- issue 13: the stock-flow identity, attacked

def _small_metrics(small_data, periods=None):
    from lib.data import loader
    from lib.insight.metrics import area_metrics
    return area_metrics(loader.load_frame(small_data, "ICS", periods=periods), include_england=True,
                        include_regions=True)


def test_attacker_solving_every_identity_recovers_nothing_over_the_whole_small_store(small_data):
    """start + joiners - leavers = end, group and region totals, England, month to month: no hidden cell pinned.
    (Before the stock-flow rule: 92 hidden cells pinned, 59 of them exact, e.g. QE1 leavers 4.9 FTE.)"""
    from tests.security.identity_attack import recovered_cells
    m = _small_metrics(small_data)
    out = suppress_metrics(m)
    rec, attacked = recovered_cells(out, m)
    assert attacked > 10000  # the store really is full of small cells
    assert rec == [], rec[:10]


def test_attacker_has_teeth_without_the_stock_flow_rule(small_data, monkeypatch):
    from tests.security.identity_attack import recovered_cells
    m = _small_metrics(small_data, periods=["2025-10", "2025-11"])
    monkeypatch.setattr(disclosure, "_stock_flow", lambda df, hidden: None)
    rec, _ = recovered_cells(suppress_metrics(m), m)
    exact = [r for r in rec if abs(r[4] - r[5]) < 0.05]
    assert exact and any(r[3] == "leavers_fte" for r in exact)


def test_hidden_start_or_end_hides_both_flows():
    rows = [list(BASE[1])]
    rows[0][6], rows[0][7] = 4.0, 4  # staff in post at start 4 people: end - joiners + leavers would give it back
    out = suppress_metrics(frame(rows), secondary=False).iloc[0]
    assert np.isnan(out.sip_start_fte) and np.isnan(out.joiners_fte) and np.isnan(out.leavers_fte)
    assert out.fte == 400


def test_turnover_net_change_is_not_shown_when_a_flow_is_hidden(small_data, monkeypatch):
    """Issue 13: the net change headline treated a hidden count as 0 (joiners 6.1 - hidden leavers = +6.1)."""
    from tests.conftest import open_app_page
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(small_data))
    monkeypatch.setenv(disclosure.ENV_FLAG, "1")
    at = open_app_page("views/turnover.py", {"area": "QE1", "group": "Midwives"})
    shown = {m.label: m.value for m in at.metric}
    leavers = next(v for k, v in shown.items() if k.startswith("Leavers"))
    net = next(v for k, v in shown.items() if k.startswith("Net change"))
    assert leavers == "-"  # hidden in this small store
    assert net == "-", shown
