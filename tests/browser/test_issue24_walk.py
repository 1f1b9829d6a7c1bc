"""Issue 24: a leader's, a facilitator's and an analyst's first minutes on the real Oct/Nov-25 files (plus the
March 2025 sickness absence file), at 1366x768 and 1920x1080. Screenshots: tests/artifacts/i24_*.png (looked at;
the closing note says what each shows)."""
from __future__ import annotations

import time

import pytest

from lib.whatif import studio as w
from lib.whatif.scenario import Scenario, to_query
from tests.conftest import Server, REPO, assert_no_exception, wait_for_app

SIZES = [(1366, 768), (1920, 1080)]


@pytest.fixture(scope="module")
def real_server(real_store_sickness, tmp_path_factory):
    import shutil
    store = tmp_path_factory.mktemp("i24_walk") / "store"       # a copy: the library writes beside the data
    shutil.copytree(real_store_sickness, store)
    srv = Server(REPO / "app.py", env={"WORKFORCE_DATA_DIR": str(store)}, log_name="i24_walk")
    yield srv
    srv.stop()


def _open(page, srv, path: str, size) -> float:
    srv.warm(page)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    t = time.perf_counter()
    page.goto(srv.url + path)
    wait_for_app(page, 120000)
    assert_no_exception(page)
    return time.perf_counter() - t


def _shot(page, artifacts, name: str, full: bool = False) -> None:
    path = artifacts / f"i24_{name}.png"
    page.screenshot(path=str(path), full_page=full)
    print(f"\nSCREENSHOT {name}: {path}")


def _four() -> str:
    scns = {
        "A: 40 nursing associates a year": {"levers": {"new_roles": [{"role": "nursing_associate",
                                                                      "trainees_per_year": 40}]}},
        "B: nurse leaver rate -1 point": {"levers": {"retention": [{"staff_group": w.NURSES,
                                                                    "leaver_rate_change": -0.01}]}},
        "C: 300 international nurses a year": {"levers": {"recruitment": [{"staff_group": w.NURSES,
                                                                           "international_fte_per_year": 300}]}},
        "D: all three together": {"levers": {
            "new_roles": [{"role": "nursing_associate", "trainees_per_year": 40}],
            "retention": [{"staff_group": w.NURSES, "leaver_rate_change": -0.01}],
            "recruitment": [{"staff_group": w.NURSES, "international_fte_per_year": 300}]}},
    }
    saved = {n: Scenario.from_dict({"area": "QKK", **d}).to_json(None) for n, d in scns.items()}
    return w.comparison_to_query(saved)


@pytest.mark.parametrize("size", SIZES)
def test_leader_path(real_server, page, artifacts, size):
    tag = f"{size[0]}x{size[1]}"
    _open(page, real_server, "/?area=QKK", size)
    body = page.inner_text("body")
    assert "South East London: summary, month ending Nov 2025" in body
    assert "similar systems' middle half" in body and "Lower is better" in body
    assert "Link to this summary" in body
    _shot(page, artifacts, f"leader_home_{tag}")
    # the summary's links onwards: System profile and Turnover, each with similar systems beside England
    for path, name in (("/profile?area=QKK", "profile"), ("/turnover?area=QKK", "turnover")):
        _open(page, real_server, path, size)
        _shot(page, artifacts, f"leader_{name}_{tag}")
        # the peers' heading at the top of the screen: the hosted service named, then the table
        page.get_by_text("against similar systems and England").first.evaluate(
            "e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(500)
        assert "London Ambulance Service NHS Trust" in page.inner_text("body")
        _shot(page, artifacts, f"leader_{name}_peers_{tag}")
    _open(page, real_server, "/role_mix?area=QKK", size)
    assert "London Ambulance Service NHS Trust" in page.inner_text("body")
    _shot(page, artifacts, f"leader_role_mix_{tag}")
    page.get_by_text("against similar systems and England").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    _shot(page, artifacts, f"leader_role_mix_peers_{tag}")
    base = _open(page, real_server, "/map?area=QKK", size)      # like for like: the same server, the same load
    secs = _open(page, real_server, "/sickness?area=QKK", size)
    print(f"\nPAGE OPEN {tag}: sickness {secs:.1f} s, map {base:.1f} s")
    _shot(page, artifacts, f"leader_sickness_{tag}")


@pytest.mark.parametrize("size", SIZES)
def test_facilitator_path(real_server, page, artifacts, size):
    tag = f"{size[0]}x{size[1]}"
    scn = to_query(Scenario(area="QKK"))
    _open(page, real_server, f"/what_if?area=QKK&scn={scn}&cmp={_four()}", size)
    body = page.inner_text("body")
    assert "Drivers: demand growth of 2.0% a year" in body
    _shot(page, artifacts, f"facilitator_studio_{tag}")
    page.get_by_text("Compare scenarios", exact=True).first.click()
    wait_for_app(page, 120000)
    page.get_by_text("Gap over time").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    body = page.inner_text("body")
    for n in ("A: 40 nursing associates a year", "D: all three together"):
        assert n in body
    _shot(page, artifacts, f"facilitator_compare_{tag}")
    _open(page, real_server, f"/what_if?area=QKK&workshop=1&scn={scn}&cmp={_four()}", size)
    _shot(page, artifacts, f"facilitator_workshop_{tag}")


@pytest.mark.parametrize("size", SIZES[:1])
def test_analyst_path(real_server, page, artifacts, size):
    tag = f"{size[0]}x{size[1]}"
    _open(page, real_server, "/organisations?area=QKK", size)
    _shot(page, artifacts, f"analyst_organisations_{tag}")
    _open(page, real_server, "/statistics?area=QKK", size)
    _shot(page, artifacts, f"analyst_statistics_{tag}")
    _open(page, real_server, "/vacancy", size)
    assert "England's published vacancy rates" in page.inner_text("body")
    _shot(page, artifacts, f"analyst_vacancy_{tag}", full=True)
    _open(page, real_server, "/data", size)
    _shot(page, artifacts, f"analyst_data_{tag}", full=True)


def test_my_system_link_and_remembered_choice(real_server, browser, artifacts):
    """One link opens the leader's summary; Remember keeps the choice in this browser (a cookie holding only the
    code), so the bare address opens on it next time; Forget clears it. Own browser context: the shared one must
    not carry the cookie into other tests."""
    from lib.data.loader import ENV_DATA_DIR  # noqa: F401  (the server's store is the real one: real_server)
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    try:
        real_server.warm(page)
        page.goto(real_server.url + "/?system=QKK")
        wait_for_app(page, 120000)
        assert_no_exception(page)
        body = page.inner_text("body")
        assert "South East London: summary, month ending Nov 2025" in body
        code = page.locator("[data-testid='stCode']").first.inner_text()
        assert code.strip().endswith("/?area=QKK") and code.startswith("http")
        page.get_by_role("button", name="Remember South East London on this browser").click()
        page.get_by_role("button", name="Forget this system").wait_for(timeout=60000)
        page.wait_for_function("() => document.cookie.includes('workforce_my_system=QKK')", timeout=30000)
        _shot(page, artifacts, "my_system_remembered_1366x768")
        # a new visit to the bare address: the remembered system's summary, said as such
        page.goto(real_server.url + "/")
        wait_for_app(page, 120000)
        assert_no_exception(page)
        body = page.inner_text("body")
        assert "South East London: summary, month ending Nov 2025" in body
        assert "Opened on the system this browser remembers" in body
        _shot(page, artifacts, "my_system_bare_address_1366x768")
        page.get_by_role("button", name="Forget this system").click()
        page.wait_for_function("() => !document.cookie.includes('workforce_my_system=')", timeout=30000)
        page.goto(real_server.url + "/")
        wait_for_app(page, 120000)
        assert "summary, month ending" not in page.inner_text("body")
        assert page.get_by_text("Your system: open its summary").count() == 1
    finally:
        ctx.close()
