"""Issue 15 deliverable 5, the rest: the charts of Inside a system, Sickness absence and the staff-in-post and
what-if bridges state their key figures in a caption under them (the chart's own description is the fixed
ui.charts.CAPTIONED). Figures are checked against sums worked out here from the store's rows: NHS Digital's real
Oct-25/Nov-25 turnover files and Mar-25 sickness absence file, and the synthetic demo store where the real store has
too few months (sickness trend and SPC) or the page runs on it (what-if studio)."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from lib.data import loader
from lib.data.schema import ALL_STAFF, SICKNESS_OUTSIDE_SYSTEMS
from lib.whatif.scenario import Scenario, to_query
from tests.conftest import open_app_page

NOV, OCT = "2025-11", "2025-10"


def _plain(text: str) -> str:
    """A caption as read: markdown escapes (ui.inside.plain) removed."""
    return re.sub(r"\\(.)", r"\1", text)


def described(at, start: str) -> str:
    """The one caption starting with `start` (read as shown); some chart points to its caption and none carries
    the figures in its spec."""
    from ui.charts import CAPTIONED
    caps = [_plain(str(c.value).split("  \n")[0]) for c in at.caption]  # a fixed note may follow on its own line
    hits = [c for c in caps if c.startswith(start)]
    assert len(hits) == 1, caps
    specs = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    assert any(s.get("description") == CAPTIONED for s in specs), "no chart points to its caption"
    assert not any(_plain(str(s.get("description", ""))) == hits[0] for s in specs), "figures in a spec"
    return hits[0]


def pct(x: float) -> str:
    return f"{100 * x:.2f}%"


@pytest.fixture
def real(real_store_sickness, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store_sickness))
    monkeypatch.delenv("WORKFORCE_DISCLOSURE_CONTROL", raising=False)
    return real_store_sickness


@pytest.fixture(scope="module")
def turnover(real_store_sickness) -> pd.DataFrame:
    f = loader.load_frame(real_store_sickness, "ICS")
    return f[f["staff_group"] == ALL_STAFF].assign(period=f["period_end"].astype(str))


def _leaver_rate(rows: pd.DataFrame) -> float:
    """Leavers / mean of staff in post at the start and end of the month (FTE), by hand."""
    return rows["leavers_fte"].sum() / ((rows["sip_start_fte"].sum() + rows["sip_end_fte"].sum()) / 2)


# ------------------------------------------------------------------------------------------- Inside a system
def test_organisation_ranking_trend_and_peer_funnel_state_their_figures(real, turnover):
    at = open_app_page("views/organisations.py", {"area": "QKK", "org": "RJ1"})
    orgs = turnover[(turnover["area_code"] == "QKK") & (turnover["period"] == NOV)
                    & (turnover["org_code"].fillna("") != "")]
    rates = orgs.groupby("org_name").apply(_leaver_rate, include_groups=False).sort_values(ascending=False)
    d = described(at, f"Leaver rate (month) across {len(rates)} organisations of ")
    assert len(rates) == 7
    rj1_name = orgs.loc[orgs["org_code"] == "RJ1", "org_name"].iloc[0]
    rank = int((rates > rates[rj1_name]).sum()) + 1
    assert f", Nov 2025: highest {rates.index[0]} ({pct(rates.iloc[0])}); lowest {rates.index[-1]} " \
           f"({pct(rates.iloc[-1])}); {rj1_name} {pct(rates[rj1_name])}, rank {rank} of 7 (1 = highest)." in d, d

    # the organisation's trend: leaver and joiner rates, Nov against Oct
    rj1 = turnover[turnover["org_code"] == "RJ1"]
    name = rj1["org_name"].iloc[-1]
    lr = {p: _leaver_rate(rj1[rj1["period"] == p]) for p in (OCT, NOV)}
    jr = {p: rj1.loc[rj1["period"] == p, "joiners_fte"].sum() / ((rj1.loc[rj1["period"] == p, "sip_start_fte"].sum()
                                                                  + rj1.loc[rj1["period"] == p, "sip_end_fte"].sum()) / 2)
          for p in (OCT, NOV)}
    d = described(at, f"Leaver rate and joiner rate for {name}, {ALL_STAFF}, Oct-Nov 2025: ")
    assert (f"leaver rate {pct(lr[NOV])} in Nov 2025 ({pct(lr[OCT])} in Oct 2025); joiner rate {pct(jr[NOV])} in "
            f"Nov 2025 ({pct(jr[OCT])} in Oct 2025).") in d

    # peers: every organisation of RJ1's published peer group in England; pooled rate = sum leavers / sum mean SIP
    group = rj1["benchmark_group"].iloc[-1]
    peers = turnover[(turnover["benchmark_group"] == group) & (turnover["period"] == NOV)]
    per = peers.groupby("org_code")[["leavers_fte", "sip_start_fte", "sip_end_fte"]].sum()
    den = (per["sip_start_fte"] + per["sip_end_fte"]) / 2
    ok = den > 0
    pooled = per.loc[ok, "leavers_fte"].sum() / den[ok].sum()
    d = described(at, f"Leaver rate across {int(ok.sum())} {group} organisations in England ({ALL_STAFF}), Nov 2025: ")
    assert int(ok.sum()) == 51
    assert f"pooled rate {pct(pooled)}; " in d and f"; {name} {pct(lr[NOV])}, " in d


def _bridge_words(rows: pd.DataFrame) -> str:
    """start; leavers; joiners; residual; end, by hand from one month's rows."""
    start, end = rows["sip_start_fte"].sum(), rows["sip_end_fte"].sum()
    lv, jn = rows["leavers_fte"].sum(), rows["joiners_fte"].sum()
    resid = end - start - jn + lv
    return (f"(FTE): {start:,.1f} at the start; {lv:,.1f} leavers; {jn:,.1f} joiners; other changes (hours, moves "
            f"between staff groups) {resid:+,.1f}; {end:,.1f} at the end ({end - start:+,.1f} in all).")


def test_organisation_and_system_bridges_state_start_flows_and_end(real, turnover):
    at = open_app_page("views/organisations.py", {"area": "QKK", "org": "RJ1"})
    nov = turnover[turnover["period"] == NOV]
    rj1 = nov[nov["org_code"] == "RJ1"]
    d = described(at, f"Why staff in post moved, {rj1['org_name'].iloc[0]}: Oct 2025 to Nov 2025 (FTE): ")
    assert d.endswith(_bridge_words(rj1)), d
    qkk = nov[nov["area_code"] == "QKK"]
    d = described(at, "Why staff in post moved, South East London")
    assert d.endswith(_bridge_words(qkk)) and "58,688.7 at the start" in d and "58,861.3 at the end" in d, d


def test_profile_bridge_states_start_flows_and_end(real, turnover):
    at = open_app_page("views/profile.py", {"area": "QKK", "period": NOV, "group": ALL_STAFF})
    qkk = turnover[(turnover["period"] == NOV) & (turnover["area_code"] == "QKK")]
    d = described(at, "Why staff in post moved, ")
    assert d.endswith(_bridge_words(qkk)), d


# ------------------------------------------------------------------------------------------- Sickness absence
def test_sickness_ranking_and_funnel_state_their_figures(real):
    s = loader.load_sickness(real, "ICS")
    s = s[(s["staff_group"] == ALL_STAFF) & (s["period_end"].astype(str) == "2025-03")]
    england = s["fte_days_lost"].sum() / s["fte_days_available"].sum()
    sy = s[s["area_code"] != SICKNESS_OUTSIDE_SYSTEMS].groupby("area_code")[["fte_days_lost",
                                                                              "fte_days_available"]].sum()
    rate = (sy["fte_days_lost"] / sy["fte_days_available"]).sort_values(ascending=False)
    assert len(rate) == 42
    at = open_app_page("views/sickness.py", {"area": "QKK"})
    names = at.session_state["ctx"].area_names
    rank = int((rate > rate["QKK"]).sum()) + 1
    d = described(at, "Sickness absence rate across 42 systems, Mar 2025: highest ")
    assert (f": highest {names[rate.index[0]]} ({pct(rate.iloc[0])}); lowest {names[rate.index[-1]]} "
            f"({pct(rate.iloc[-1])}); England {pct(england)}; {names['QKK']} {pct(rate['QKK'])}, rank {rank} of 42 "
            "(1 = highest).") in d, d
    pooled = sy["fte_days_lost"].sum() / sy["fte_days_available"].sum()  # the funnel's centre line
    d = described(at, "Sickness absence rate across 42 systems, Mar 2025: pooled rate ")
    assert f"pooled rate {pct(pooled)}; " in d and f"; {names['QKK']} {pct(rate['QKK'])}, " in d, d


def test_sickness_trend_and_spc_state_their_figures_on_demo_data():
    s = loader.load_sickness(loader.DEMO_DATA_DIR, "ICS")
    s = s[s["staff_group"] == ALL_STAFF].assign(period=s["period_end"].astype(str))
    last = s["period"].max()

    def rate(rows):
        return rows["fte_days_lost"].sum() / rows["fte_days_available"].sum()
    qkk = s[s["area_code"] == "QKK"]
    region = s[(s["region_code"] == qkk["region_code"].iloc[0]) & (s["area_code"] != SICKNESS_OUTSIDE_SYSTEMS)]
    at = open_app_page("views/sickness.py", {"area": "QKK"})
    name = at.session_state["ctx"].area_names["QKK"]
    months = sorted(qkk["period"].unique())
    from lib.data.schema import period_label
    from lib.insight.provenance import month_span
    d = described(at, f"Sickness absence rate for {name}, {month_span(months)}: ")
    from lib.data import geography
    region_name = geography.REGIONS[qkk["region_code"].iloc[0]]
    assert d.endswith(f": {pct(rate(qkk[qkk['period'] == last]))} in {period_label(last)} against {region_name} "
                      f"{pct(rate(region[region['period'] == last]))} and England {pct(rate(s[s['period'] == last]))}."), d
    d = described(at, f"Sickness absence rate: {name}, {ALL_STAFF}. SPC chart of {len(months)} months")
    assert f"latest {pct(rate(qkk[qkk['period'] == last]))} in {period_label(last)}" in d, d


# ------------------------------------------------------------------------------------------- What-if bridge
NURSES = "Nurses & health visitors"
DOC = {"area": "ENG", "horizon": 5,
       "levers": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}],
                  "training_places": [{"staff_group": NURSES, "extra_places_per_year": 500}]}}


def test_whatif_bridge_states_baseline_each_lever_and_scenario():
    from ui.whatif.session import run_cached
    at = open_app_page("views/what_if.py", {"scn": to_query(Scenario.from_dict(DOC))}, timeout=120)
    res = run_cached(*at.session_state["wi_key"], Scenario.from_dict(DOC).to_json(None))
    t = res.table[(res.table["role"] == NURSES) & (res.table["year"] == 5) & (res.table["area_code"] == "ENG")]
    base = float(t.loc[t["scenario"] == "baseline", "fte"].sum())
    scen = float(t.loc[t["scenario"] == "scenario", "fte"].sum())
    at.session_state["wi_panel"] = "Why it differs"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tab = [f.value for f in at.dataframe if "Running total (FTE)" in f.value.columns][0]
    d = described(at, f"Why {NURSES} FTE in year 5 differs from the baseline: ")
    steps = tab["Change (FTE)"].iloc[1:-1]
    assert d == (f"Why {NURSES} FTE in year 5 differs from the baseline: baseline {base:,.1f} FTE; "
                 f"Leaver rate 1 point lower: {NURSES} {steps.iloc[0]:+,.1f}; Extra training places: {NURSES} "
                 f"{steps.iloc[1]:+,.1f}; scenario {scen:,.1f} FTE ({scen - base:+,.1f})."), d
    assert steps.sum() == pytest.approx(scen - base, abs=1e-6)  # the bars close: baseline + levers = scenario


# ------------------------------------------------------------------------------------------- Map ranking
def test_map_ranking_states_highest_lowest_and_england(real, turnover):
    nov = turnover[turnover["period"] == NOV]
    per = nov.groupby("area_code")[["leavers_fte", "sip_start_fte", "sip_end_fte"]].sum()
    den = (per["sip_start_fte"] + per["sip_end_fte"]) / 2
    rate = (per["leavers_fte"] / den).sort_values(ascending=False)
    england = per["leavers_fte"].sum() / den.sum()  # ratio of sums over the systems
    at = open_app_page("views/map.py", {"measure": "leaver_rate", "period": NOV})
    names = at.session_state["ctx"].area_names
    d = described(at, f"Leaver rate across {len(rate)} systems ({ALL_STAFF}), Nov 2025: ")
    assert len(rate) == 42
    assert d.endswith(f": highest {names[rate.index[0]]} ({pct(rate.iloc[0])}); lowest {names[rate.index[-1]]} "
                      f"({pct(rate.iloc[-1])}); England {pct(england)}."), d


def test_accessibility_statement_lists_these_charts_as_met():
    at = open_app_page("views/accessibility.py")
    met, not_met = at.table[0].value, at.table[1].value
    charts = met.loc["Charts described in words"].iloc[1]
    for chart in ("the map's ranked bar chart", "Inside a system (organisations ranked",
                  "its peers' funnel plot", "Sickness absence (systems ranked, funnel plot, trend, SPC chart)",
                  "(start, leavers, joiners, other changes, end)", "'Why it differs' waterfall"):
        assert chart in charts, chart
    assert "Charts on other pages" not in set(not_met.index)
    assert "Sickness absence map has a short text alternative only" in not_met.loc["Map picture"].iloc[1]


def test_organisation_ranking_with_every_figure_hidden_says_so(real, monkeypatch):
    """Disclosure control on and a small group: every organisation's rate is hidden; the caption says so."""
    from tests.conftest import warm_disclosure_plan
    monkeypatch.setenv("WORKFORCE_DISCLOSURE_CONTROL", "1")
    warm_disclosure_plan(real)
    # a staff group of South East London (QKK) whose every organisation's rate the joint plan hides, found from the
    # plan itself (which groups those are moves with the plan's choice of complementary cells)
    from lib.data import footprint
    from lib.insight import disclosure_plan, organisations as og
    from lib.sharing import joint
    m = joint.apply(og.org_metrics(footprint.load_frame(real, "ICS", periods=[NOV]), level="ICS"),
                    disclosure_plan.viewer_plan(real, "ICS"), "org")
    m = m[m["system_code"] == "QKK"]
    hidden_all = m.groupby("staff_group")["leaver_rate"].agg(lambda s: len(s) >= 2 and s.isna().all())
    group = sorted(g for g, h in hidden_all.items() if h)[0]
    at = open_app_page("views/organisations.py", {"area": "QKK", "org": "RJ1", "group": group})
    assert len(at.dataframe[0].value) >= 2 and at.dataframe[0].value["Leaver rate"].isna().all()
    d = described(at, f"Leaver rate (month): none of the organisations of South East London has a figure to show for {group}")
    assert "hidden by disclosure control or not published" in d
