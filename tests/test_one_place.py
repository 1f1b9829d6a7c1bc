"""Issue 21: one source of truth for places. Every command and the what-if studio check an area against the
geography vintages (lib/data/vintages), never a pattern; a scenario records its footprint; an old code says what it
became; the page and `python -m lib scenario` give the same figures on real files (Nov-25 and a May-26 file made
from it, tests/may26.py)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.data import geography
from lib.whatif.scenario import Scenario, ScenarioError
from tests.conftest import open_app_page, run_cli

ALL_SYSTEMS = sorted({(v.key, c) for v in geography.VINTAGES.values() for c in v.areas["code"]})
ICS_SYSTEMS = [(k, c) for k, c in ALL_SYSTEMS if geography.vintage(k).level == "ICS"]
KNOWN = geography.known_area_codes()
NURSES = "Nurses & health visitors"
REFUSED = "is not an NHS system, region or England"


def test_the_known_codes_are_exactly_the_vintages_regions_and_england():
    systems = {c for _, c in ALL_SYSTEMS}
    assert KNOWN == systems | set(geography.REGIONS) | {"ENG"}
    assert {"S0E4D", "Z9B2Z", "D7T5G", "S1Y5D", "S9B9J", "T6Y0W"} <= systems  # the six ICBs new in April 2026
    assert len(geography.vintage("ICS2026").areas) == 36 and len(geography.vintage("ICS").areas) == 42


@pytest.mark.parametrize("key,code", ALL_SYSTEMS)
def test_every_code_of_every_vintage_is_a_valid_scenario_area(key, code):
    assert Scenario.from_dict({"area": code, "footprint": key}).area == code
    assert geography.area_on_footprint(code, key) == (code, None)


@pytest.mark.parametrize("code", ["ENG", *geography.REGIONS])
def test_england_and_regions_are_valid(code):
    assert Scenario.from_dict({"area": code}).area == code


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=8))
def test_codes_outside_the_vintages_are_refused_with_a_clear_message(text):
    if text.strip() in KNOWN:
        return
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_dict({"area": text})
    assert REFUSED in str(exc.value) and "python -m lib geography list" in str(exc.value)
    with pytest.raises(geography.AreaError, match=REFUSED):
        geography.check_area(text)


def test_scenario_records_its_footprint_and_refuses_an_unknown_one():
    scn = Scenario.from_dict({"area": "S0E4D", "footprint": "ICS2026"})
    assert scn.to_dict()["footprint"] == "ICS2026"
    assert "footprint" not in Scenario.from_dict({"area": "QKK"}).to_dict()   # old documents are unchanged
    with pytest.raises(ScenarioError, match="footprint: expected a geography vintage"):
        Scenario.from_dict({"area": "QKK", "footprint": "2030"})


# ------------------------------------------------------------------------------------------------ the commands
@pytest.fixture(scope="module")
def store(real_store26):
    return str(real_store26)


def _scenario_file(tmp_path, doc: dict) -> str:
    p = tmp_path / f"s_{abs(hash(json.dumps(doc, sort_keys=True)))}.json"
    p.write_text(json.dumps(doc))
    return str(p)


def area_commands(store: str, tmp_path, code: str, year: str) -> dict[str, list[str]]:
    """Every command that takes an area, with the area `code` on the footprint of `year`."""
    scn = _scenario_file(tmp_path, {"area": code})
    return {
        "scenario": ["scenario", "--data-dir", store, "--scenario", scn, "--what", "summary", "--footprint", year],
        "whatif-bridge": ["whatif-bridge", "--data-dir", store, "--scenario", scn, "--footprint", year,
                          "--format", "csv"],
        "bridge": ["bridge", "--data-dir", store, f"--area={code}", "--from", "2025-10", "--to", "2025-11",
                   "--footprint", year, "--format", "csv"],
        "spc": ["spc", "--data-dir", store, "--area", code, "--footprint", year],
        "metrics": ["metrics", "--data-dir", store, "--by-organisation", "--area", code, "--footprint", year,
                    "--period", "2025-11"],
    }


# Every code of every vintage x every command that takes an area, through the command's own check (lib.cli.areas,
# what each command runs first), in this process: about 700 command lines in a few seconds. The STP vintage's codes
# run with --level STP on the demo store (the real files are ICB files).
DEMO = "data/demo"


def _check_argv(name: str, store: str, scn: str, code: str, key: str) -> list[str]:
    v = geography.vintage(key)
    where = ["--level", "STP"] if v.level == "STP" else ["--footprint", v.year]
    to = "2025-11"
    return {
        "scenario": ["scenario", "--data-dir", store, "--scenario", scn],
        "whatif-bridge": ["whatif-bridge", "--data-dir", store, "--scenario", scn],
        "bridge": ["bridge", "--data-dir", store, f"--area={code}", "--from", "2025-10", "--to", to],
        "spc": ["spc", "--data-dir", store, f"--area={code}"],
        "metrics": ["metrics", "--data-dir", store, "--by-organisation", f"--area={code}"],
        "report": ["report", "--data-dir", store, f"--area={code}"],
    }[name] + where


def test_the_area_commands_are_the_ones_checked():
    """Every command with --area or --scenario is in the property tests below and registers its check."""
    from lib.cli import area_commands
    commands = area_commands()
    assert set(commands) == {"scenario", "whatif-bridge", "bridge", "spc", "metrics", "report"}
    assert all(p.get_default("area_check") is not None for p in commands.values())


def test_every_command_accepts_every_code_of_every_vintage(store, tmp_path):
    from lib.cli import area_argument, area_commands
    tried = 0
    for key, code in ALL_SYSTEMS:
        data = DEMO if geography.vintage(key).level == "STP" else store
        scn = _scenario_file(tmp_path, {"area": code})
        for name in area_commands():
            assert area_argument(_check_argv(name, data, scn, code, key)) == code, (name, key, code)
            tried += 1
    assert tried == len(ALL_SYSTEMS) * 6 == (42 + 36 + 42) * 6


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(alphabet="ABCDEFGHQSTXYZ0123456789", min_size=1, max_size=6), st.text(max_size=8))
       .filter(lambda t: t.strip() not in KNOWN and t.strip().upper() not in KNOWN and t.strip().lower() != "all"))
def test_every_command_refuses_every_code_outside_the_vintages(store, tmp_path, code):
    from lib.cli import area_argument, area_commands
    scn = _scenario_file(tmp_path, {"area": code})   # the file refuses it itself (Scenario.from_dict's check)
    for name in area_commands():
        with pytest.raises(ValueError) as exc:
            area_argument(_check_argv(name, store, scn, code, "ICS2026"))
        assert REFUSED in str(exc.value), (name, code, str(exc.value))


@pytest.mark.parametrize("name", ["scenario", "whatif-bridge", "bridge", "spc", "metrics", "report"])
def test_each_command_runs_its_check_before_anything_else(store, tmp_path, monkeypatch, name):
    """The check the property tests try is the one the command runs: replaced by a refusal, the command refuses."""
    from lib.cli import areas, area_commands
    check = area_commands()[name].get_default("area_check")

    def refuse(args):
        raise ValueError("area: checked by lib.cli.areas")
    monkeypatch.setattr(areas, check.__name__, refuse)
    argv = _check_argv(name, store, _scenario_file(tmp_path, {"area": "S0E4D"}), "S0E4D", "ICS2026")
    r = run_cli(*argv, *(["--out", tmp_path / "x.pdf"] if name == "report" else []))
    assert r.returncode == 2 and "area: checked by lib.cli.areas" in r.stderr, (name, r.stderr)


def test_the_what_if_pages_area_check_is_the_command_lines(store, tmp_path):
    """The what-if page's `area` link parameter (lib.whatif.studio.link_area) accepts a system exactly when
    `python -m lib scenario` does on the same footprint (May-26: the ICBs of April 2026), for every code of every
    vintage; England too; regions are the command's only extra (the page runs one system or England)."""
    from lib.cli import area_argument
    from lib.whatif.studio import link_area, load_baseline
    base = load_baseline(store, "ICS2026", "2026-05")

    def page_ok(code):
        try:
            return link_area(code, base) == code
        except ValueError:
            return False

    def cli_ok(code):
        try:
            return area_argument(["scenario", "--data-dir", store, "--scenario",
                                  _scenario_file(tmp_path, {"area": code})]) == code
        except ValueError:
            return False
    codes = sorted(KNOWN)
    page, cli = {c for c in codes if page_ok(c)}, {c for c in codes if cli_ok(c)}
    assert page == set(geography.vintage("ICS2026").areas["code"]) | {"ENG"}
    assert cli == page | set(geography.REGIONS)
    for junk in ("", "S0E4", "s0e4d", "QU9 ", "../x", "=1+1"):
        assert page_ok(junk) == cli_ok(junk) or junk == "QU9 "


def test_the_page_and_the_commands_call_one_check(real_store26, tmp_path, monkeypatch):
    """The page's link check and every command's check go through lib.data.geography.area_on_footprint."""
    from lib.cli import area_argument, area_commands
    calls = []
    real = geography.area_on_footprint

    def spy(code, key, what="area"):
        calls.append((code, key))
        return real(code, key, what)
    monkeypatch.setattr(geography, "area_on_footprint", spy)
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store26))
    at = open_app_page("views/what_if.py", {"area": "S0E4D"})
    assert at.selectbox(key="url_area").value == "S0E4D"
    assert ("S0E4D", "ICS2026") in calls
    scn = _scenario_file(tmp_path, {"area": "S0E4D"})
    for name in area_commands():
        calls.clear()
        assert area_argument(_check_argv(name, str(real_store26), scn, "S0E4D", "ICS2026")) == "S0E4D"
        assert calls == [("S0E4D", "ICS2026")], name
    at = open_app_page("views/what_if.py", {"area": "QU9"})     # an abolished ICB: refused, what it became shown
    assert at.selectbox(key="url_area").value == "S0E4D"
    assert any("Thames Valley (S0E4D)" in i.value for i in at.info), [i.value for i in at.info]


def test_a_few_full_runs_accept_the_new_icbs(store, tmp_path):
    """End to end (figures computed) for the two footprints: a new ICB of 2026 and a continuing one of 2022."""
    for code, year in (("S0E4D", "2026"), ("QKK", "2022")):
        for name, argv in area_commands(store, tmp_path, code, year).items():
            r = run_cli(*argv)
            assert r.returncode == 0 and "Traceback" not in r.stderr, (name, code, r.stderr)


@pytest.mark.parametrize("code", ["ENG"])
def test_england_runs_in_every_command_that_takes_england(store, tmp_path, code):
    for name, argv in area_commands(store, tmp_path, code, "2026").items():
        if name == "metrics":   # organisations of one system: England is not a system
            continue
        r = run_cli(*argv)
        assert r.returncode == 0, (name, r.stderr)


def test_an_abolished_system_says_what_it_became(store, tmp_path):
    for name, argv in area_commands(store, tmp_path, "QU9", "2026").items():
        r = run_cli(*argv)
        assert r.returncode == 2, name
        assert "Buckinghamshire, Oxfordshire and Berkshire West (QU9) was abolished on 1 April 2026: it became part " \
               "of Thames Valley (S0E4D)" in r.stderr, (name, r.stderr)
        assert "S0E4D" in r.stderr


def test_scenario_defaults_to_the_footprint_in_force_and_honours_the_recorded_one(store, tmp_path):
    plain = _scenario_file(tmp_path, {"area": "S0E4D"})
    r = run_cli("scenario", "--data-dir", store, "--scenario", plain, "--format", "json", "--what", "summary")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["footprint"] == "ICS2026"        # May 2026 is on the ICBs of April 2026
    old = _scenario_file(tmp_path, {"area": "QU9", "footprint": "ICS"})
    r = run_cli("scenario", "--data-dir", store, "--scenario", old, "--format", "json", "--what", "summary")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["footprint"] == "ICS"


# ------------------------------------------------------------------------------------------------ page = CLI
def _metric(at, start: str):
    hits = [m for m in at.metric if m.label.startswith(start)]
    assert hits, [m.label for m in at.metric]
    return hits[0]


def _page_and_cli(store, tmp_path, monkeypatch, area: str, lever: float | None):
    """(page's year-5 gap and its baseline, CLI's) for the followed nurses, with a retention lever of `lever`
    points on nurses (None: no lever)."""
    from tests.test_page_what_if import lever as move, scn_param
    monkeypatch.setenv("WORKFORCE_DATA_DIR", store)
    at = open_app_page("views/what_if.py", {"area": area})
    assert at.selectbox(key="url_area").value == area
    if lever is not None:
        move(at, "selectbox", "wi_c_ret_group", NURSES)
        move(at, "slider", "wi_c_ret_change_pp", lever)
    card = _metric(at, "Gap in year 5")
    page_scn, page_base = card.value, card.proto.help.split("Baseline: ")[1].rstrip(".")
    scn = scn_param(at)
    assert scn.footprint == "ICS2026" and scn.area == area
    r = run_cli("scenario", "--data-dir", store, "--scenario", _scenario_file(tmp_path, scn.to_dict()),
                "--what", "summary", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {(x["scenario"], x["area_code"], x["staff_group"]): x for x in json.loads(r.stdout)["summary"]}
    b, s = rows[("baseline", area, NURSES)], rows[("scenario", area, NURSES)]
    from lib.whatif.studio import gap_phrase
    # the card shows the scenario's gap (or surplus) and, in its help, the baseline's in words (issue 24's wording)
    return (page_base, page_scn), (gap_phrase(b["gap_end"]), f"{abs(s['gap_end']):,.0f}"), (b, s)


def test_page_and_cli_agree_to_the_unit_for_thames_valley_on_may26(real_store26, tmp_path, monkeypatch):
    page, cli, (b, s) = _page_and_cli(str(real_store26), tmp_path, monkeypatch, "S0E4D", -1.0)
    assert page == cli
    assert s["gap_end"] < b["gap_end"]                     # a lower leaver rate narrows the gap
    print(f"\nThames Valley nurses, May-26: baseline fte_start {b['fte_start']:.1f}, gap year 5 page {page} "
          f"cli {cli}")


def test_page_and_cli_agree_for_england_on_may26(real_store26, tmp_path, monkeypatch):
    """The issue's 59,925 (page) against 59,937 (CLI): the CLI ran on the July 2022 footprint (its store level)
    while the page ran on the footprint in force for May 2026. England is the sum of its systems, and the per-system
    cells differ between footprints (small cells borrow strength from the staff group's national rates, cells under
    50 FTE are held flat), so England differs by footprint. Both now default to the footprint in force."""
    page, cli, _ = _page_and_cli(str(real_store26), tmp_path, monkeypatch, "ENG", None)
    assert page == cli == ("a gap of 59,925 FTE", "59,925")


def test_an_old_link_to_an_abolished_system_offers_what_it_became(real_store26, monkeypatch):
    from lib.whatif.scenario import to_query
    from tests.test_page_what_if import body, scn_param
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store26))
    old = Scenario.from_dict({"area": "QU9", "footprint": "ICS", "name": "Old BOB link",
                              "levers": {"retention": [{"staff_group": NURSES, "leaver_rate_change": -0.01}]}})
    at = open_app_page("views/what_if.py", {"scn": to_query(old)})
    text = body(at)
    assert "The scenario in this link is for QU9" in text
    assert "it became part of Thames Valley (S0E4D)" in text
    offer = at.button(key="wi_offer_yes")
    assert offer.label == "Open it for Thames Valley (S0E4D)"
    offer.click().run()
    assert not at.exception
    assert at.selectbox(key="url_area").value == "S0E4D"
    scn = scn_param(at)
    assert (scn.area, scn.footprint, scn.name) == ("S0E4D", "ICS2026", "Old BOB link")
    assert scn.levers.retention[0].leaver_rate_change == -0.01      # nothing else in the scenario was lost


NEW_2026 = ["D7T5G", "S0E4D", "S1Y5D", "S9B9J", "T6Y0W", "Z9B2Z"]


@pytest.mark.parametrize("area", NEW_2026)
def test_optimiser_fan_and_bridges_run_on_the_new_icbs(real_store26, area):
    """The least-cost mix, the uncertainty fan and the what-if bridge on each ICB formed in April 2026 (May-26), and
    the bridge's ends are the scenario run's figures to the unit."""
    from lib.insight.bridge import whatif_bridge
    from lib.whatif import optimiser, uncertainty
    from lib.whatif.scenario import run_scenario
    from lib.whatif.studio import load_baseline
    base = load_baseline(str(real_store26), "ICS2026", "2026-05")
    assert area in base.area_codes and base.footprint == "ICS2026"
    mix = optimiser.close_gap(base, area, 5)
    assert mix.success, mix.message
    assert mix.scenario.area == area
    assert (mix.check["gap_after_agency"] <= 1.0).all(), mix.check   # closes every gap (to rounding of the levers)
    mc = uncertainty.run_monte_carlo(mix.scenario, base, n_draws=50, seed=1)
    fan = mc.fan.reset_index() if "area_code" not in mc.fan.columns else mc.fan
    assert set(fan["area_code"]) == {area}
    run = run_scenario(mix.scenario, base, include_systems=False).table
    out = whatif_bridge(mix.scenario, base, figure="fte")
    for label, scenario in (("Baseline", "baseline"), ("Scenario", "scenario")):
        want = run[(run["scenario"] == scenario) & (run["year"] == 5)]["fte"].sum()
        got = out.loc[out["label"] == label, "value"].iloc[0]
        assert round(got) == round(want), (label, got, want)


def test_board_pack_refuses_an_abolished_system_with_what_it_became(store, tmp_path):
    r = run_cli("report", "--data-dir", store, "--area", "QU9", "--out", tmp_path / "x.pdf")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "it became part of Thames Valley (S0E4D)" in r.stderr


# ------------------------------------------------------------------------------------------------ one footprint's list
def _vintage_file_codes() -> dict[str, dict[str, str]]:
    """vintage key -> {code: short name}, read from lib/data/vintages/*.csv with the csv module (not geography)."""
    import csv
    out: dict[str, dict[str, str]] = {}
    for path in sorted(geography.VINTAGE_DIR.glob("*.csv")):
        if path.stem.endswith("_successions"):
            continue
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out.setdefault(row["vintage"], {})[row["code"]] = row["short_name"]
    return out


def test_area_names_lists_one_footprint_only():
    files = _vintage_file_codes()
    assert set(files) == {"ICS", "ICS2026", "STP"}
    for key, codes in files.items():
        assert geography.area_names(key) == codes, key
    assert len(geography.area_names("ICS")) == 42 and "S0E4D" not in geography.area_names("ICS")
    assert len(geography.area_names("ICS2026")) == 36 and "QU9" not in geography.area_names("ICS2026")
    # the lookup that names rows of any period (ingest) still spans the level's vintages
    lookup = geography.area_name_lookup("ICS")
    assert set(lookup) == set(files["ICS"]) | set(files["ICS2026"])
    assert lookup["S0E4D"] == "Thames Valley" and lookup["QU9"] == files["ICS"]["QU9"]


@pytest.mark.parametrize("key,count", [("ICS", 42), ("ICS2026", 36)])
def test_the_sidebar_context_lists_the_footprints_systems(key, count):
    """The pages' list of systems (ui.shell Context.area_names: the Statistics page's chooser, the board pack's
    'is this a system' check) is the footprint's own."""
    from ui.shell import Context
    names = Context.area_names.fget(type("Ctx", (), {"level": key})())
    assert set(names) == set(_vintage_file_codes()[key]) and len(names) == count
