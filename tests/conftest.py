"""Shared test fixtures: reference data path, a live Streamlit server and a Chromium page."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"
WORKFORCE = REFERENCE / "workforce"
TURNOVER_NOV25 = WORKFORCE / "Turnover benchmarking 2. Staff group and organisation, monthly, Nov-25.csv"
TURNOVER_OCT25 = WORKFORCE / "Turnover benchmarking 2. Staff group and organisation, monthly, Oct-25.csv"
SICKNESS_MAR25 = WORKFORCE / "nhs_sickness_absence_2025-03.csv"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"]


def require_reference() -> None:
    if not TURNOVER_NOV25.exists():
        pytest.fail(f"reference data missing: {TURNOVER_NOV25} (tests read ../shared/reference beside the repo)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run script` on a free port (or `port`), waited for until healthy. `flags` replaces the default
    Streamlit options (tests/security starts app.py with the production flags); `clean_env` drops WORKFORCE_*
    settings inherited from the test process before `env` is applied."""

    DEFAULT_FLAGS = ["--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats",
                     "false", "--server.address", "127.0.0.1"]

    def __init__(self, script: Path, env: dict | None = None, args: list[str] | None = None, *,
                 flags: list[str] | None = None, port: int | None = None, log_name: str | None = None,
                 clean_env: bool = False):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "streamlit", "run", str(script),
               *(self.DEFAULT_FLAGS if flags is None else flags), "--server.port", str(self.port)]
        if args:
            cmd += ["--", *args]
        self.warmed = False
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{log_name or 'server_' + script.stem}_{self.port}.log"
        self.log = open(self.log_path, "w")
        base = {k: v for k, v in os.environ.items() if not (clean_env and k.startswith("WORKFORCE_"))}
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**base, **(env or {})})
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not start: see {self.log_path}")

    def visit(self, page, path: str = "", timeout_ms: int = 60000) -> None:
        """Open `path` (e.g. "/what_if?area=QKK") and wait for the app to settle; fails on a shown exception.
        A server's first session registers the pages of st.navigation, so a deep link before any visit finds no
        page: the first call for a server opens its root once (every later test goes straight to its link)."""
        if self.warm(page) and path in ("", "/"):
            assert_no_exception(page)
            return
        page.goto(self.url + path)
        wait_for_app(page, timeout_ms)
        assert_no_exception(page)

    def warm(self, page) -> bool:
        """The server's first visit (its root), once per server; True if this call made it."""
        if self.warmed:
            return False
        page.goto(self.url)  # the first run also fills the server's caches: slow on a busy machine
        wait_for_app(page, 120000)
        self.warmed = True
        return True

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_server(artifacts):
    """The app on the embedded demo store (read-only: tests that save scenarios use demo_copy_server)."""
    from lib.data.loader import DEMO_DATA_DIR, ENV_DATA_DIR
    srv = Server(REPO / "app.py", env={ENV_DATA_DIR: str(DEMO_DATA_DIR)})
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def demo_copy_server(artifacts, tmp_path_factory):
    """The app on a copy of the demo store, for tests that write beside the data (the scenario library)."""
    import shutil
    from lib.data.loader import DEMO_DATA_DIR, ENV_DATA_DIR
    store = tmp_path_factory.mktemp("demo_copy") / "demo"
    shutil.copytree(DEMO_DATA_DIR, store)
    srv = Server(REPO / "app.py", env={ENV_DATA_DIR: str(store)})
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for the run: its HTTP cache keeps Streamlit's scripts compiled between tests (each page is new,
    and a Streamlit session lives in its page, so tests do not share app state)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


@pytest.fixture
def page(browser_context):
    pg = browser_context.new_page()
    yield pg
    pg.close()


def wait_for_app(page, timeout_ms: int = 60000) -> None:
    """Wait like Streamlit's own e2e tests: connected, not running, no skeletons; and the script has drawn
    something. On a cold server the page reads "not running" before its first run starts (no element yet)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector("[data-testid='stApp']");
            if (!app) return false;
            const running = document.querySelector("[data-testid='stStatusWidget']");
            const skeleton = document.querySelector("[data-testid='stSkeleton']");
            const drawn = document.querySelector("[data-testid='stElementContainer']");
            return app.getAttribute('data-test-script-state') === 'notRunning' && !skeleton && !running && drawn;
        }""", timeout=timeout_ms)
    wait_for_quiet(page, timeout_ms=timeout_ms)


# The page has stopped changing: no DOM mutation (element, attribute or text) and no scrolling anywhere for
# `quiet_ms`. Streamlit applies a run's last deltas and removes stale elements after the script state reads 'not
# running', Vega and the data grid redraw at a new size by rewriting their canvas or SVG (mutations this observer
# sees), and a smooth scroll moves for a while after scrollIntoView returns (scroll events, captured anywhere).
QUIET_JS = """() => {
    const w = window;
    if (w.__quietObs) w.__quietObs.disconnect();
    if (w.__quietScroll) document.removeEventListener('scroll', w.__quietScroll, true);
    w.__lastMutation = performance.now();
    w.__quietScroll = () => { w.__lastMutation = performance.now(); };
    document.addEventListener('scroll', w.__quietScroll, true);
    w.__quietObs = new MutationObserver(w.__quietScroll);
    w.__quietObs.observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                                    characterData: true});
}"""


def wait_for_quiet(page, quiet_ms: int = 200, timeout_ms: int = 30000) -> None:
    """Wait until the page has not changed for `quiet_ms` (see QUIET_JS): after a scroll, a window resize or a
    run, before a screenshot or a measurement of what is drawn. Waits for the state, however long the machine takes
    to reach it; `quiet_ms` only says how long "stopped" must last."""
    page.evaluate(QUIET_JS)
    page.wait_for_function("(q) => performance.now() - window.__lastMutation >= q", arg=quiet_ms,
                           timeout=timeout_ms)


# Every chart and table a person can see has drawn: a Vega chart has its drawing surface (canvas.marks or svg.marks;
# Vega draws after the script run, from a chunk the browser may still be loading), a data grid wholly inside the
# window its canvas (a grid below the window, or only partly in it, may not draw until scrolled to: measured on
# Headlines, a grid with 144 of its 400 px in the window had no canvas after 4 s). Hidden ones are not waited for:
# checkVisibility is false inside a closed expander (a <details> whose content keeps its layout box but is not drawn).
CHARTS_DRAWN_JS = """() => {
    const shown = (e) => e.checkVisibility({contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true});
    const inView = (e) => { const r = e.getBoundingClientRect();
                            return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; };
    const charts = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")].filter(shown);
    const grids = [...document.querySelectorAll("[data-testid='stDataFrame']")].filter(shown).filter(inView);
    return charts.every(c => c.querySelector('canvas.marks, svg.marks'))
        && grids.every(g => g.querySelector('canvas'));
}"""


def wait_for_charts(page, timeout_ms: int = 60000) -> None:
    """Wait until every visible chart and table has drawn (CHARTS_DRAWN_JS)."""
    page.wait_for_function(CHARTS_DRAWN_JS, timeout=timeout_ms)


def wait_for_app_idle(page, timeout_ms: int = 60000) -> None:
    """The page as a person sees it once it is done: the script run finished (wait_for_app), every visible chart
    and table drawn, and nothing changing any more. Use it before a screenshot or a check of what is drawn, and after
    a scroll or a window resize (charts redraw at their new size)."""
    wait_for_app(page, timeout_ms)
    wait_for_charts(page, timeout_ms)
    wait_for_quiet(page, timeout_ms=timeout_ms)


def wait_for_url_param(page, name: str, value: str, timeout_ms: int = 60000) -> None:
    """Wait until the page's link carries `name=value`: Streamlit rewrites the URL from the run a choice starts, and
    on a busy machine that can land after the figures have changed (so a check of the URL waits for the URL)."""
    page.wait_for_function("([n, v]) => new URLSearchParams(location.search).get(n) === v", arg=[name, value],
                           timeout=timeout_ms)


RUN_COUNTER = """() => {
    // counts script runs that start from now on (stApp's data-test-script-state turning to 'running'); a
    // MutationObserver sees every attribute write, so a run that starts and ends between two polls still counts
    const w = window;
    if (w.__runObs) w.__runObs.disconnect();
    w.__runsStarted = 0;
    const app = document.querySelector("[data-testid='stApp']");
    w.__runObs = new MutationObserver((records) => {
        // 'rerunRequested' counts too: a quick run can go rerunRequested -> notRunning with no 'running' in
        // between (seen for the "r" shortcut on a small store: the faults test then waited 60 s for nothing)
        for (const r of records) {
            const st = r.target.getAttribute('data-test-script-state');
            if (st === 'running' || st === 'rerunRequested') w.__runsStarted++;
        }
    });
    w.__runObs.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    // a fragment's run (a control inside @st.fragment) may show no script state change at all: what it draws in
    // the main area (elements marked stale, then replaced) is the sign that it started
    w.__mainChanged = 0;
    if (w.__mainObs) w.__mainObs.disconnect();
    const main = document.querySelector("[data-testid='stMain']");
    if (main) {
        w.__mainObs = new MutationObserver(() => { w.__mainChanged++; });
        w.__mainObs.observe(main, {childList: true, subtree: true, characterData: true, attributes: true,
                                   attributeFilter: ['data-stale']});
    }
}"""


def after_rerun(page, action, timeout_ms: int = 60000) -> None:
    """Do `action` (a click, a key press) and wait for the script run it starts to have started AND finished, and
    for the page to settle: waits for the state it then checks, where wait_for_app alone can return before a rerun
    has begun on a busy machine (the page still reads 'not running' from the run before)."""
    page.evaluate(RUN_COUNTER)
    action()
    page.wait_for_function("() => window.__runsStarted > 0 || window.__mainChanged > 0", timeout=timeout_ms)
    wait_for_app(page, timeout_ms)


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, "the page shows a Python exception"
    assert "Traceback" not in page.inner_text("body")


def warm_disclosure_plan(store: Path, level: str = "ICS") -> None:
    """Compute the store's joint disclosure plan (ui.data's st.cache_resource entry, lib.sharing.joint) before an
    AppTest opens a page with disclosure control on, so the page's timeout does not include that once-per-snapshot
    computation (minutes on a busy 2-core machine for the real store)."""
    from lib.data import geography
    from ui import data
    data._joint_plan(str(store), data.snapshot(store), geography.store_level(level))


def open_app_page(page: str, params: dict[str, str] | None = None, timeout: int = 120):
    """AppTest of app.py with query params set, switched to `page`; fails if the page shows an exception."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_on_request(at) -> None:
    """Open every on-request section (ui.on_request: the system tables) as a person's click does, and rerun."""
    from ui import on_request
    for k in on_request.KEYS:
        at.session_state[k] = True
    at.run()


def open_downloads(at) -> None:
    """Open every download popover on the page (ui.on_request: built only while open) as a click does, and rerun."""
    from ui import on_request
    keys = [k for k in at.session_state.keys() if str(k).endswith(on_request.DOWNLOADS_SUFFIX)]
    for k in keys:
        at.session_state[k] = True
    at.run()


@pytest.fixture(scope="session")
def real_store(tmp_path_factory) -> Path:
    """A store ingested from the real published Oct-25 and Nov-25 turnover files (../shared/reference).
    Shared by many tests: treat it as read-only (copy it with shutil.copytree before writing)."""
    require_reference()
    from lib.data.ingest import ingest
    d = tmp_path_factory.mktemp("real_store")
    ingest([TURNOVER_OCT25, TURNOVER_NOV25], d)
    return d


def _real_store_plus(real_store: Path, tmp_path_factory, name: str, files: list[Path]) -> Path:
    import shutil
    from lib.data.ingest import ingest
    d = tmp_path_factory.mktemp(name) / "store"
    shutil.copytree(real_store, d)
    ingest(files, d)
    return d


@pytest.fixture(scope="session")
def real_store26(real_store, tmp_path_factory) -> Path:
    """The real store plus a May-26 file in 2026 codes (tests/may26.py): months on both footprints. Read-only."""
    from tests.may26 import make_may26
    may = tmp_path_factory.mktemp("may26") / "Turnover benchmarking 2. Staff group and organisation, monthly, May-26.csv"
    make_may26(TURNOVER_NOV25, may)
    return _real_store_plus(real_store, tmp_path_factory, "real_store26", [may])


@pytest.fixture(scope="session")
def real_store_sickness(real_store, tmp_path_factory) -> Path:
    """The real store plus the real sickness absence file of March 2025. Read-only."""
    require_reference()
    return _real_store_plus(real_store, tmp_path_factory, "real_store_sickness", [SICKNESS_MAR25])


@pytest.fixture(scope="session")
def real_store_all(real_store26, tmp_path_factory) -> Path:
    """The real store with the May-26 file (2026 footprint) and the real March 2025 sickness file: every page has
    data on it (tests/browser/axe_sweep.py serves it to its real-store parts). Read-only."""
    require_reference()
    return _real_store_plus(real_store26, tmp_path_factory, "real_store_all", [SICKNESS_MAR25])


def serve_store(store: Path):
    """Generator for a module fixture: app.py served on `store`."""
    srv = Server(REPO / "app.py", env={"WORKFORCE_DATA_DIR": str(store)})
    yield srv
    srv.stop()


def open_checked(page, url: str, timeout_ms: int = 120000) -> None:
    """Open a URL, wait for the app to settle and fail on any shown exception (a server's first visit fills its
    caches: minutes on a busy machine for a real store, hence the long ceiling; the wait ends when the app does)."""
    page.goto(url)
    wait_for_app(page, timeout_ms)
    assert_no_exception(page)


def run_cli(*args: str, env: dict | None = None, drop_env: tuple[str, ...] = ()) -> "subprocess.CompletedProcess":
    """`python -m lib *args` run in this process (cwd the repo, `env` applied, `drop_env` removed, both restored
    after), returning what a subprocess would: exit code, stdout, stderr. Each subprocess paid about 1.5 s of
    imports; the one end-to-end `python -m lib` run is tests/test_stats_cli.py::test_python_dash_m_lib_spc_subprocess.
    """
    import contextlib
    import io
    from lib.cli import main
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (*(env or {}), *drop_env)}
    cwd = os.getcwd()
    try:
        for k in drop_env:
            os.environ.pop(k, None)
        os.environ.update(env or {})
        os.chdir(REPO)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse refuses bad options this way, as the real command does
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(cwd)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(["python", "-m", "lib", *map(str, args)], code, out.getvalue(), err.getvalue())


# Tests that start servers or drive Chromium are marked ("servers" group). scripts/test.sh distributes by file
# (--dist loadfile): each file's tests run on one worker, so a module's servers and the axe sweep start once.
# --dist loadgroup would keep the group on one worker, but pytest-xdist 3.8 groups by rewriting Item._nodeid,
# which pytest 9 no longer reads (node ids come from Item._id): the groups were silently ignored.
SERVER_TEST_FILES = ("tests/browser/", "tests/security/test_server_probes.py", "tests/test_auth_oidc.py",
                     "tests/test_deploy_nginx.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath)).relative_to(REPO).as_posix()
        if path.startswith(SERVER_TEST_FILES):
            item.add_marker(pytest.mark.xdist_group("servers"))


def spec_nodes(spec, keep) -> list[dict]:
    """Every object of a Vega-Lite spec (layers, concatenations and facets walked) for which keep(node) is true."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if keep(node):
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(spec)
    return found


def record_downloads(monkeypatch) -> list:
    """(file name, bytes) of every download button a page then builds, its data function run as a click would."""
    from streamlit.delta_generator import DeltaGenerator
    captured: list = []
    original = DeltaGenerator.download_button

    def recording(self, label, data, *args, **kwargs):
        captured.append((kwargs.get("file_name"), data() if callable(data) else data))
        return original(self, label, b"", *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    return captured
