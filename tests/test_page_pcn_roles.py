"""The primary care networks' new roles page, the System profile's PCN panel, the definitions page's lever mapping
and the what-if lever evidence, on a store of the real PCN files, population and turnover files (AppTest)."""
from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from lib.data import ingest
from tests.conftest import REFERENCE, TURNOVER_NOV25, TURNOVER_OCT25, open_app_page

PCN_FILES = sorted((REFERENCE / "workforce" / "pcn").glob("*.csv"), key=lambda p: int(p.name.split(".")[0]))
POPULATION = REFERENCE / "population" / "ICB Population estimates 2022.csv"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("pcn_page")
    ingest.ingest([TURNOVER_OCT25, TURNOVER_NOV25, *PCN_FILES, POPULATION], d)
    return d


@pytest.fixture
def env(store, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(store))
    monkeypatch.delenv("WORKFORCE_DISCLOSURE_CONTROL", raising=False)
    return store


def _frimley_pcns() -> dict[str, float]:
    """Frimley's PCNs' FTE in December 2021, summed from the file's rows."""
    text = PCN_FILES[-1].read_bytes().decode("cp1252")
    out: dict[str, float] = {}
    for r in csv.DictReader(io.StringIO(text, newline="")):
        if r["ICB_CODE"] == "QNQ":
            out[r["PCN_CODE"]] = out.get(r["PCN_CODE"], 0.0) + float(r["FTE"])
    return out


def test_page_england_and_a_system(env):
    at = open_app_page("views/pcn_roles.py", {"area": "QNQ"}, timeout=300)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["England, all roles, Dec 2021"] == "9,887.7 FTE"
    assert metrics["England, FTE per 100,000 people"] == "17.3"  # 9,887.66 / 57,106,398 x 100,000
    assert metrics["Frimley, FTE per 100,000 people"] == "13.9"
    heads = [s.value for s in at.subheader]
    assert heads[:4] == ["All roles: FTE per 100,000 people by system, Dec 2021", "Growth a year by role: Frimley",
                         "Funnel plot: all roles per 100,000 people, Dec 2021", "PCNs in Frimley, Dec 2021"]
    pcns = next(f.value for f in at.dataframe if "Sub-ICB location" in f.value.columns)
    expected = _frimley_pcns()
    assert len(pcns) == len(expected)
    assert dict(zip(pcns["Code"], pcns["FTE, all roles"])) == pytest.approx(expected)
    assert list(pcns["Rank"]) == list(range(1, len(pcns) + 1))
    assert pcns["FTE, all roles"].is_monotonic_decreasing
    assert any("Source: NHS Digital, Primary Care Networks workforce" in c.value for c in at.caption)


def test_page_march_2020_partial_collection_warned(env):
    at = open_app_page("views/pcn_roles.py", {"pmonth": "2020-03"}, timeout=300)
    assert any("early, partial collection (188 PCNs)" in w.value for w in at.warning)
    assert {m.label: m.value for m in at.metric}["England, all roles, Mar 2020"] == "343.9 FTE"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """Two quarters (March and June 2020): the joint PCN plan is computed per quarter (seconds for these, a minute
    of CPU for December 2021), and the page under disclosure control reads every quarter's for its trend."""
    d = tmp_path_factory.mktemp("pcn_page_small")
    ingest.ingest([TURNOVER_OCT25, TURNOVER_NOV25, *PCN_FILES[:2], POPULATION], d)
    return d


def test_page_hides_small_pcn_cells_when_shared(small_store, monkeypatch):
    """The page shows the joint plan's cells (lib.insight.disclosure_plan.pcn_viewer_plan, as the CLI prints them)."""
    from lib.data import pcn_store
    from lib.insight import disclosure_plan, pcn_roles
    from lib.sharing import pcn_joint
    from tests.conftest import warm_disclosure_plan
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(small_store))
    monkeypatch.setenv("WORKFORCE_DISCLOSURE_CONTROL", "1")
    warm_disclosure_plan(small_store)
    plan = disclosure_plan.pcn_viewer_plan(small_store)  # computed and saved here; the page reads it
    at = open_app_page("views/pcn_roles.py", {"area": "QNQ"}, timeout=300)
    pcns = next(f.value for f in at.dataframe if "Sub-ICB location" in f.value.columns)
    shown = pcns["Headcount (sum of roles)"].dropna()
    assert (shown >= 5).all()
    assert any("Disclosure control is on" in c.value for c in at.caption)
    rows = pcn_store.load(small_store, ["2020-06"])
    t = pcn_roles.roles_table(rows[rows["area_code"] == "QNQ"], "2020-06", by="pcn")
    want = pcn_joint.apply(t, plan, pcn_joint.PCN)
    want = want[want["role"] == pcn_roles.ALL_ROLES].set_index("area_code")
    got = pcns.set_index("Code")
    assert sorted(got.index) == sorted(want.index)
    assert (got["FTE, all roles"].isna() == want.loc[got.index, "fte"].isna()).all()
    ok = got["FTE, all roles"].notna()
    assert np.allclose(got.loc[ok, "FTE, all roles"], want.loc[got.index[ok], "fte"])


def test_profile_shows_trust_staff_and_pcn_side_by_side(env):
    at = open_app_page("views/profile.py", {"area": "QNQ"}, timeout=300)
    labels = [m.label for m in at.metric]
    assert "Trust staff, FTE (Nov 2025)" in labels and "PCN staff, FTE (Dec 2021)" in labels
    assert any("Census Dec 2021: a different date and source from the trust figures" in c.value for c in at.caption)
    assert any("month ending Nov 2025. Source: NHS Digital Turnover benchmarking 2." in c.value for c in at.caption)


def test_definitions_page_shows_lever_mapping(env):
    at = open_app_page("views/data.py", timeout=300)
    assert "Primary care networks' new roles" in [s.value for s in at.subheader]
    table = at.table[-1].value
    assert "Physician associates" in table.index and "Physician Associates" in set(table["Published PCN role"])


def test_what_if_lever_shows_evidence(env):
    at = open_app_page("views/what_if.py", {"area": "QNQ"}, timeout=300)
    text = " ".join(c.value for c in at.caption)
    assert "Physician associates in Frimley's PCNs: 9.1 FTE in Dec 2021; +2.5 FTE a year (Dec 2020 to Dec 2021)" in text
    assert "Advanced clinical practitioners: no matching role" in text
    assert any(b.label.startswith("Grow at the pace of the fastest quarter of systems") for b in at.button)


def test_what_if_preset_sets_recruited_fte_from_the_fastest_quarter(env, store):
    from lib.data import pcn_store
    from lib.whatif import role_evidence
    from lib.whatif.assumptions import load_assumptions
    at = open_app_page("views/what_if.py", {"area": "QNQ"}, timeout=300)
    button = next(b for b in at.button if b.key == "wi_pace_physician_associate")
    button.click().run(timeout=300)
    assert not at.exception
    a = load_assumptions()
    labels = {r: a.new_role(r)["label"] for r in a.new_role_ids}
    g = role_evidence.growth_table(pcn_store.load(store), pcn_store.population(store), list(labels))
    expected = role_evidence.evidence(g, "QNQ", labels)["physician_associate"].fastest_quarter_per_year
    assert at.session_state["wi_c_nr_physician_associate_recruited"] == round(expected, 1) == 5.2


def test_map_uses_the_ingested_population_for_fte_per_100k(env):
    from ui import data
    pop = data._population.__wrapped__(str(env), (), "ICS")
    assert len(pop) == 42 and sum(pop.values()) == 57106398
    at = open_app_page("views/map.py", {"measure": "fte_per_100k"}, timeout=300)
    assert any("per 100,000" in s.value for s in at.subheader)


def test_page_on_the_2026_footprint(env):
    at = open_app_page("views/pcn_roles.py", {"footprint": "2026", "area": "D7T5G"}, timeout=300)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["England, all roles, Dec 2021"] == "9,887.7 FTE"
    assert "Essex, FTE per 100,000 people" in metrics
    assert any("Systems: ICBs of April 2026 (a PCN goes where its sub-ICB location goes" in c.value
               for c in at.caption)
    pcns = next(f.value for f in at.dataframe if "Sub-ICB location" in f.value.columns)
    # Essex = Mid and South Essex + West Essex (07H) + North East Essex (06T)
    assert {"07H", "06T"} <= {s.rsplit(" - ", 1)[-1].split()[0] for s in pcns["Sub-ICB location"]}
