"""Issue 24: hosted regional services marked from the data, similar systems and quartiles beside England (real
Oct/Nov-25 files), and the rules on the Data and definitions page."""
from __future__ import annotations

import pandas as pd
import pytest

from lib.insight import peers, trends
from lib.insight.metrics import area_metrics
from tests.conftest import open_app_page


@pytest.fixture(scope="module")
def frame(real_store):
    from lib.data import footprint
    return footprint.load_frame(real_store, "ICS")


def test_hosted_services_found_from_the_published_columns(frame):
    h = peers.hosted_services(frame, "2025-11")
    amb = h[h["kind"] == "ambulance trust"]
    assert len(amb) == 10                                     # the ten English ambulance trusts in the file
    lon = h[(h["system_code"] == "QKK") & (h["org_code"] == "RRU")].iloc[0]
    assert lon["org_name"] == "London Ambulance Service NHS Trust"
    # hand check against the published file: RRU's 'All staff groups' FTE at the end of Nov-25
    raw = frame[(frame["org_code"] == "RRU") & (frame["period_end"] == "2025-11") & (frame["staff_group"] ==
                                                                                  "All staff groups")]
    assert lon["fte"] == pytest.approx(float(raw["sip_end_fte"].sum()))
    assert lon["share"] == pytest.approx(lon["fte"] / lon["system_fte"])
    assert "QUA" in set(amb["system_code"])                   # West Midlands Ambulance Service in the Black Country
    assert {"RP4", "RPY", "RBV"} <= set(h.loc[h["kind"] == "specialist trust", "org_code"])


def test_without_hosted_services_south_east_london_ambulance_staff_are_no_longer_over(frame):
    m = area_metrics(frame, by_staff_group=True, include_england=True)
    with_them = trends.expected_mix(m, "QKK", "2025-11").set_index("Staff group")
    assert with_them.loc["Ambulance staff", "Difference (FTE)"] > 2000   # the misleading +2,305.6 FTE
    m2 = area_metrics(peers.without_hosted(frame), by_staff_group=True, include_england=True)
    without = trends.expected_mix(m2, "QKK", "2025-11").set_index("Staff group")
    assert abs(without.loc["Ambulance staff", "Difference (FTE)"]) < 100


def test_similar_systems_rule_hand_case():
    prof = pd.DataFrame({"area_code": ["A", "B", "C", "D"], "region_code": ["R1", "R1", "R2", "R1"],
                         "fte": [1000.0, 1000.0, 1000.0, 2000.0], "Acute": [0.6, 0.5, 0.6, 0.6],
                         "Mental Health": [0.2, 0.3, 0.2, 0.2], "Community Provider Trust": [0.2, 0.2, 0.2, 0.2],
                         "Ambulance": [0.0, 0.0, 0.0, 0.0]})
    s = peers.similar_systems(prof, "A", k=3)
    # B: mix differs by 0.1 + 0.1 = 0.2; C: other region 0.25; D: ln 2 = 0.693
    assert list(s["area_code"]) == ["B", "C", "D"]
    assert s["distance"].tolist() == pytest.approx([0.2, 0.25, 0.6931471805599453])
    assert peers.quartiles([1, 2, 3, 4, 5]) == (2.0, 3.0, 4.0)
    assert peers.position(6, 2, 4) == "Above the peers' upper quartile"


def test_real_similar_systems_and_quartiles(frame):
    prof = peers.system_profile(frame, "2025-11")
    assert len(prof) == 42
    s = peers.similar_systems(prof, "QKK")
    assert len(s) == peers.PEER_COUNT and "QKK" not in set(s["area_code"])
    m = area_metrics(frame, by_staff_group=True, include_england=True)
    t = peers.mix_with_peers(m, "QKK", "2025-11", list(s["area_code"])).set_index("Staff group")
    shares = m[(m["period"] == "2025-11") & m["area_code"].isin(s["area_code"]) &
               (m["staff_group"] == "Nurses & health visitors")]["fte_share"].astype(float)
    assert t.loc["Nurses & health visitors", "Similar systems' share: median"] == pytest.approx(shares.median())
    assert t.loc["Ambulance staff", "Among similar systems"] == "Above the peers' upper quartile"


def test_role_mix_page_marks_hosted_service_and_shows_peers(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/role_mix.py", {"area": "QKK"}, timeout=180)
    warn = " ".join(w.value for w in at.warning)
    assert "London Ambulance Service NHS Trust (ambulance trust" in warn
    md = " ".join(m.value for m in at.markdown)
    assert "against similar systems and England" in md
    peers_shown = next(d.value for d in at.dataframe if "Similar systems' share: median" in list(d.value.columns))
    row = peers_shown.set_index("Staff group").loc["Ambulance staff"]
    assert row["Share"] == pytest.approx(5.6588, abs=0.01)      # percent, as the table shows it
    at.toggle(key="mix_no_hosted").set_value(True).run()
    assert not at.exception
    assert any("without hosted regional services" in m.value for m in at.markdown)


def test_definitions_page_states_the_rules(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/data.py", {}, timeout=120)
    md = " ".join(m.value for m in at.markdown)
    for want in ("Hosted regional services", "Similar systems", "Demand growth in the what-if studio", "Surplus",
                 "NHS Vacancy Statistics"):
        assert want in md, want


def test_vacancy_page_on_real_data_shows_englands_published_rates(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/vacancy.py", {}, timeout=120)
    t = next(d.value for d in at.dataframe if "England vacancy rate" in d.value)
    rates = dict(zip(t["Staff group"], t["England vacancy rate"]))
    # the table shows percent values (ui.tables: 6.00%)
    assert rates["Nurses & health visitors"] == pytest.approx(6.0) and rates["HCHS Doctors"] == pytest.approx(4.4)
    assert set(t["As at"]) == {"2025-09-30"}
    text = " ".join(c.value for c in at.caption)
    assert "NHS Vacancy Statistics, England" in text and "30 September 2025" in text and "vacancy template" in text


def test_leader_lands_on_their_system_from_one_link(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/home.py", {"area": "QKK"}, timeout=120)
    heads = [h.value for h in at.subheader]
    assert heads[0].startswith("South East London: summary, month ending Nov 2025")
    caps = " ".join(c.value for c in at.caption)
    assert "Leaver rate 0.95%: England 0.89%; similar systems' middle half" in caps and "Lower is better" in caps
    assert "London Ambulance Service NHS Trust" in caps
    labels = [m.label for m in at.metric]
    assert labels[:5] == ["Staff in post (FTE)", "Headcount", "Leaver rate (month)", "Joiner rate (month)",
                          "Vacancy rate"]
    # a code that is not a system: England only, with a notice, nothing from the link echoed as a path
    bad = open_app_page("views/home.py", {"area": "../../etc/passwd"}, timeout=120)
    assert not any("summary, month ending" in h.value for h in bad.subheader)
    assert any("not one we recognise" in i.value for i in bad.info)


def test_comparison_lines_hand_case():
    m = pd.DataFrame({"period": ["2025-11"] * 6, "staff_group": ["All staff groups"] * 6,
                      "area_code": ["X", "ENG", "A", "B", "C", "D"],
                      "leaver_rate": [0.02, 0.01, 0.008, 0.01, 0.012, 0.014]})
    line = peers.comparison_lines(m, "X", "2025-11", ["A", "B", "C", "D"], measures=("leaver_rate",))[0]
    # quartiles of 0.8, 1.0, 1.2, 1.4 (linear): 0.95, 1.10, 1.25
    assert line == ("Leaver rate 2.00%: England 1.00%; similar systems' middle half 0.95% to 1.25% (median 1.10%): "
                    "above their upper quartile. Lower is better.")


def test_sickness_page_tables_rank_and_map(real_store_sickness, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store_sickness))
    at = open_app_page("views/sickness.py", {"area": "QKK"}, timeout=180)
    rank = next(m for m in at.metric if m.label.startswith("Rank among"))
    assert "(1 = highest absence)" in rank.label and " of " in rank.value and "Lower absence is better" in rank.help
    types = next(d for d in at.dataframe if "Organisation type" in d.value.columns)
    # the one table style: days to 1 decimal place (not "394,337.055"), rates as percent with 2 decimals
    import json as _json
    text = str(_json.loads(types.proto.columns or "{}"))
    assert "%,.1f" in text and "%.2f%%" in text and "localized" not in text, text[:400]
    assert not at.get("deck_gl_json_chart")                 # no WebGL map: the Vega-Lite hex cartogram instead
    assert any("Hex cartogram" in c.proto.spec for c in at.get("vega_lite_chart"))


def test_funnel_lower_limits_stop_at_zero():
    import numpy as np
    from lib.stats import signals
    from ui import stats_charts
    num = np.array([0, 1, 2, 30, 80, 150]); den = np.array([20, 40, 60, 1500, 4000, 8000])
    res = signals.funnel(num, den, np.array(list("ABCDEF")))
    assert (res.curve["lower_99_8"] == 0).any()          # the limits reach 0% for small sizes
    view = signals.FunnelView(res, signals.funnel_units(res, {c: c for c in "ABCDEF"}), "2025-11", "leaver_rate", [])
    chart = stats_charts.funnel_chart(view, "t").to_dict()
    limits = next(v for k, v in chart["datasets"].items() if v and "limit" in v[0])
    assert min(r["rate"] for r in limits) >= 0.0
    # the y axis's domain is fixed and starts at 0% at the lowest (Vega's 'nice' rounding went below it)
    scale = chart["layer"][0]["encoding"]["y"]["scale"]
    assert scale["nice"] is False and scale["domain"][0] == 0.0


def test_organisation_bars_have_five_ticks_and_a_picture_title(real_store, monkeypatch):
    import json as _json
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/organisations.py", {"area": "QKK"}, timeout=180)
    spec = next(_json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if '"org_name"' in c.proto.spec)
    axis = spec["encoding"]["x"]["axis"]
    assert axis["tickCount"] == 5 and axis["format"] in (".1%", ".2%", ".0%")
    from ui.charts import title_from_words
    assert title_from_words("Leaver rate of the organisations of South East London, Nov 2025: highest A 1.2%; "
                            "lowest B 0.3%.", "organisations_QKK_2025-11_leaver_rate") == \
        "Leaver rate of the organisations of South East London, Nov 2025: highest A 1.2%"


def test_rankings_give_each_system_room():
    from ui import map_view
    spec = map_view.ranked_spec("rate", 42)
    assert spec["height"] >= 42 * 20
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelFontSize"] >= 12


def test_map_ranking_says_which_end_is_better(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/map.py", {"measure": "leaver_rate"}, timeout=180)
    assert any("highest first" in c.value and "Lower is better." in c.value for c in at.caption)


# ---- peers beside England on the Turnover and System profile pages (real Oct/Nov-25 files, hand computations)
def _hand_rates(rows: pd.DataFrame, kind: str, by: str = "area_code") -> pd.Series:
    """A rate by hand from the published organisation rows of one month (all staff groups, FTE): the flow over the
    mean of staff in post at the start and end (NHS Digital's definition)."""
    g = rows.groupby(by)
    return g[f"{kind}_fte"].sum() / ((g["sip_start_fte"].sum() + g["sip_end_fte"].sum()) / 2)


def _nov_all_staff(frame):
    return frame[(frame["period_end"].astype(str) == "2025-11") & (frame["staff_group"] == "All staff groups")]


def _row(table: pd.DataFrame, measure: str) -> pd.Series:
    return table.set_index("Measure").loc[measure]


def _hand_peer_figures(frame, kind: str) -> dict:
    import numpy as np
    rows = _nov_all_staff(frame)
    similar = list(peers.similar_systems(peers.system_profile(frame, "2025-11"), "QKK")["area_code"])
    rates = _hand_rates(rows, kind)
    q1, q2, q3 = np.percentile(rates[similar].to_numpy(), [25, 50, 75])   # linear interpolation, by hand
    eng = rows[f"{kind}_fte"].sum() / ((rows["sip_start_fte"].sum() + rows["sip_end_fte"].sum()) / 2)
    # without hosted regional services: QKK without London Ambulance Service and any specialist trust
    kept = rows[~(rows["cluster_group"].eq("Ambulance") | rows["benchmark_group"].eq("Acute - Specialist"))]
    return {"similar": similar, "system": rates["QKK"], "q": (q1, q2, q3), "england": eng,
            "system_nohost": _hand_rates(kept, kind)["QKK"]}


def test_turnover_page_shows_similar_systems_beside_england(real_store, frame, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/turnover.py", {"area": "QKK"}, timeout=180)
    assert any("against similar systems and England" in m.value for m in at.markdown)
    warn = " ".join(w.value for w in at.warning)
    assert "London Ambulance Service NHS Trust (ambulance trust" in warn      # the hosted service is named
    table = next(d.value for d in at.dataframe if "Similar systems' rate: median" in d.value.columns)
    for kind, measure in (("leavers", "Leaver rate (lower is better)"), ("joiners", "Joiner rate (higher is better)")):
        hand = _hand_peer_figures(frame, kind)
        row = _row(table, measure)                       # the table shows percent values (ui.tables)
        assert row["System's rate"] == pytest.approx(100 * hand["system"], rel=1e-9)
        assert row["England's rate"] == pytest.approx(100 * hand["england"], rel=1e-9)
        assert row["Similar systems' rate: median"] == pytest.approx(100 * hand["q"][1], rel=1e-9)
        assert row["Similar systems' middle half"] == f"{100 * hand['q'][0]:.2f}% to {100 * hand['q'][2]:.2f}%"
        assert row["System's rate without hosted regional services"] == pytest.approx(100 * hand["system_nohost"],
                                                                                      rel=1e-9)
        want = ("Above the peers' upper quartile" if hand["system"] > hand["q"][2] else
                "Below the peers' lower quartile" if hand["system"] < hand["q"][0] else "Within the peers' middle half")
        assert row["Among similar systems"] == want
    # which end is better said in the measure's cell; two months loaded: no 12-month rolling rows
    assert list(table["Measure"]) == ["Leaver rate (lower is better)", "Joiner rate (higher is better)"]
    names = next(c.value for c in at.caption if c.value.startswith("Similar systems (closest"))
    from lib.data import geography
    for code in _hand_peer_figures(frame, "leavers")["similar"]:
        assert geography.area_names("ICS")[code] in names.replace("\\", ""), code
    # England and regions have no similar systems: no table
    eng = open_app_page("views/turnover.py", {"area": "ENG"}, timeout=180)
    assert not any("Similar systems' rate: median" in d.value.columns for d in eng.dataframe)


def test_profile_page_shows_similar_systems_beside_england(real_store, frame, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/profile.py", {"area": "QKK"}, timeout=180)
    assert "London Ambulance Service NHS Trust (ambulance trust" in " ".join(w.value for w in at.warning)
    table = next(d.value for d in at.dataframe if "Similar systems' rate: median" in d.value.columns)
    hand = _hand_peer_figures(frame, "leavers")
    row = _row(table, "Leaver rate (lower is better)")
    assert row["System's rate"] == pytest.approx(100 * hand["system"], rel=1e-9)
    assert row["Similar systems' rate: median"] == pytest.approx(100 * hand["q"][1], rel=1e-9)
    assert not any(m.startswith("Vacancy rate") for m in table["Measure"])   # turnover files carry no vacancies
    # role mix: the similar systems' median share beside England's, by hand from the organisation rows
    mix = next(d.value for d in at.dataframe if "Similar systems' share: median" in d.value.columns)
    nov = frame[frame["period_end"].astype(str) == "2025-11"]
    amb = nov[nov["staff_group"] == "Ambulance staff"].groupby("area_code")["sip_end_fte"].sum()
    tot = _nov_all_staff(frame).groupby("area_code")["sip_end_fte"].sum()
    share = (amb.reindex(tot.index).fillna(0.0) / tot)[hand["similar"]]
    got = mix.set_index("Staff group").loc["Ambulance staff"]
    assert got["Similar systems' share: median"] == pytest.approx(share.median(), rel=1e-9)
    assert got["Among similar systems"] == "Above the peers' upper quartile"


# ---- a leader's own system: one link, and a choice this browser remembers (ui.my_system)
def test_one_link_opens_my_system_summary_and_says_what_to_bookmark(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/home.py", {"system": "QKK"}, timeout=180)
    assert at.subheader[0].value.startswith("South East London: summary, month ending Nov 2025")
    assert [c.value for c in at.code] == ["?area=QKK"]      # no browser address in a test: the relative link
    assert any(m.value.startswith("**Link to this summary**: bookmark it") for m in at.markdown)
    # a 2026 code on the 2022 footprint of the Oct/Nov-25 files: the system it corresponds to, with a notice
    moved = open_app_page("views/home.py", {"area": "S0E4D"}, timeout=180)
    assert moved.subheader[0].value.startswith("Buckinghamshire, Oxfordshire and Berkshire West: summary")
    assert any("Thames Valley (S0E4D) was formed on 1 April 2026" in i.value for i in moved.info)


def test_england_landing_offers_one_choice_that_opens_the_summary(real_store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    at = open_app_page("views/home.py", {}, timeout=180)
    assert not any("summary, month ending" in h.value for h in at.subheader)
    at.selectbox(key="my_system_pick").set_value("QKK").run()
    assert not at.exception
    assert at.subheader[0].value.startswith("South East London: summary")
    assert at.query_params["area"] in ("QKK", ["QKK"])


def test_remembered_system_opens_the_summary_and_a_bad_cookie_opens_england(real_store, monkeypatch):
    from ui import my_system
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store))
    monkeypatch.setattr(my_system, "_cookie", lambda: "QKK")      # what the browser sent when the session began
    at = open_app_page("views/home.py", {}, timeout=180)
    assert at.subheader[0].value.startswith("South East London: summary")
    assert any("Opened on the system this browser remembers" in c.value for c in at.caption)
    at.button(key="my_system_forget").click().run()                # Forget: England again, in this session too
    assert not any("summary, month ending" in h.value for h in at.subheader)
    assert at.session_state[my_system.SESSION_KEY] == ""
    # a link wins over the remembered choice
    other = open_app_page("views/home.py", {"area": "QUA"}, timeout=180)
    assert other.subheader[0].value.startswith("Black Country: summary")
    # a tampered cookie is checked against the list of systems like a link: England, nothing echoed
    for bad in ("<script>alert(1)</script>", "../../etc/passwd", "qkk", "ENG", "Y56"):
        monkeypatch.setattr(my_system, "_cookie", lambda bad=bad: bad)
        b = open_app_page("views/home.py", {}, timeout=180)
        assert not any("summary, month ending" in h.value for h in b.subheader), bad
        assert not any(bad in x.value for x in [*b.markdown, *b.caption, *b.info]), bad


def test_remember_writes_only_the_checked_code():
    from ui import my_system
    assert my_system.system_of("QKK", "ICS") == "QKK"
    assert my_system.system_of("S0E4D", "ICS") == "QU9"            # a 2026 system shown as its 2022 area
    for bad in (None, "", "QKK; Path=/", "qkk", "E54000030", "x" * 500):
        assert my_system.system_of(bad, "ICS") is None, bad


def test_rates_with_peers_hand_case():
    m = pd.DataFrame({"period": ["2025-11"] * 6, "staff_group": ["All staff groups"] * 6,
                      "area_code": ["X", "ENG", "A", "B", "C", "D"],
                      "leaver_rate": [0.02, 0.01, 0.008, 0.01, 0.012, 0.014],
                      "joiner_rate": [float("nan"), 0.011, 0.01, 0.01, 0.01, 0.01]})
    nohost = pd.DataFrame({"period": ["2025-11"] * 2, "staff_group": ["All staff groups"] * 2,
                           "area_code": ["X", "ENG"], "leaver_rate": [0.015, 0.0098]})
    t = peers.rates_with_peers(m, "X", "2025-11", ["A", "B", "C", "D"], ("leaver_rate", "joiner_rate"),
                               without_hosted=nohost)
    assert list(t.columns) == peers.RATE_COLUMNS + peers.NOHOST_COLUMNS
    assert list(t["Measure"]) == ["Leaver rate"]                    # no joiner figure for X: no row
    r = t.iloc[0]
    # quartiles of 0.8, 1.0, 1.2, 1.4 (linear interpolation): 0.95, 1.10, 1.25
    assert (r["Similar systems' rate: lower quartile"], r["Similar systems' rate: median"],
            r["Similar systems' rate: upper quartile"]) == pytest.approx((0.0095, 0.011, 0.0125))
    assert r["Among similar systems"] == "Above the peers' upper quartile" and r["Better"] == "Lower is better"
    assert (r[peers.NOHOST_COLUMNS[0]], r[peers.NOHOST_COLUMNS[1]]) == (0.015, 0.0098)
    assert peers.rates_with_peers(m, "Z", "2025-11", ["A"]).empty
