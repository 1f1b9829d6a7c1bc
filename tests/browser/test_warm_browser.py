"""Warm before the first visitor (deploy/serve.py + ui/warm.py): a replica started with the production entry point
opens every page itself, says ready on /ready only then, and the first browser visit finds every cache filled (no
st.cache_data miss in Streamlit's own lookup counters); a data change is warmed again before the next visit."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import REPO, Server, assert_no_exception, wait_for_app


def _ready(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/ready", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _wait_ready(url: str, passes: int, timeout: float = 240) -> dict:
    deadline = time.time() + timeout
    body: dict = {}
    while time.time() < deadline:
        code, body = _ready(url)
        if code == 200 and body["passes"] >= passes and not body["warming"]:
            return body
        time.sleep(0.5)
    raise AssertionError(f"not ready after {timeout} s: {body}")


def _misses(url: str) -> dict[str, int]:
    """st.cache_data / st.cache_resource misses per cached function, from the replica's Prometheus counters."""
    text = urllib.request.urlopen(url + "/_stcore/metrics", timeout=5).read().decode()
    out: dict[str, int] = {}
    for m in re.finditer(r'^cache_lookups_total\{cache="([^"]+)",cache_type="[^"]+",result="miss"\} (\d+)', text, re.M):
        out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


@pytest.fixture(scope="module")
def warm_server(tmp_path_factory):
    from deploy.flags import flags
    from lib.data.loader import DEMO_DATA_DIR, ENV_DATA_DIR
    store = tmp_path_factory.mktemp("warm") / "demo"
    shutil.copytree(DEMO_DATA_DIR, store)
    srv = Server(REPO / "deploy" / "serve.py", env={ENV_DATA_DIR: str(store), "WORKFORCE_WARM_POLL_S": "1"},
                 flags=flags(str(REPO / "deploy" / "config.production.toml")), log_name="warm_serve", clean_env=True)
    srv.store = store
    yield srv
    srv.stop()


def test_first_visit_after_start_finds_every_cache_filled(warm_server, page):
    body = _wait_ready(warm_server.url, passes=1)
    assert body["ready"] is True and set(body["pages"].values()) == {"ok"}, body
    before = _misses(warm_server.url)
    assert before.get("ui.data._metrics", 0) >= 1 and before.get("ui.data._metrics_rolling", 0) >= 1  # warm-up ran
    for path in ("/turnover", "/", "/vacancy", "/map"):  # a deep link works first: the warm-up registered the pages
        page.goto(warm_server.url + path)
        wait_for_app(page, 120000)
        assert_no_exception(page)
    after = _misses(warm_server.url)
    new = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert new == {}, f"the first visit missed these caches: {new}"
    assert page.get_by_role("heading", name=re.compile("Map")).count() >= 1  # the last page opened is drawn
    page.screenshot(path=str(REPO / "tests" / "artifacts" / "warm_first_visit_map.png"))


def test_data_change_is_warmed_before_the_next_visit(warm_server, page):
    _wait_ready(warm_server.url, passes=1)
    files = sorted(warm_server.store.rglob("*.parquet"))
    assert files
    t = time.time() + 5
    os.utime(files[0], (t, t))  # a new snapshot id (paths, sizes, modification times)
    _wait_ready(warm_server.url, passes=2)
    before = _misses(warm_server.url)
    page.goto(warm_server.url + "/turnover")
    wait_for_app(page, 120000)
    assert_no_exception(page)
    assert page.get_by_role("heading", name=re.compile("Turnover")).count() >= 1
    after = _misses(warm_server.url)
    new = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert new == {}, f"the visit after a data change missed these caches: {new}"


def test_sign_in_on_warms_data_but_shows_visitors_only_the_sign_in_page(tmp_path, page):
    """With [auth] configured the warm-up's own sessions pass the gate (ui.warm.is_warm_session: ids this process
    created) and fill the caches; a browser that has not signed in still gets the sign-in page and nothing else."""
    import secrets as token
    from deploy.flags import flags
    from lib.data.loader import DEMO_DATA_DIR, ENV_DATA_DIR
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:9/oauth2callback"
cookie_secret = "{token.token_hex(32)}"
client_id = "workforce-dashboard-test"
client_secret = "{token.token_hex(16)}"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"

[workforce]
allowed_domains = ["nhs.net"]
""")
    srv = Server(REPO / "deploy" / "serve.py", env={ENV_DATA_DIR: str(DEMO_DATA_DIR)}, log_name="warm_serve_auth",
                 flags=[*flags(str(REPO / "deploy" / "config.production.toml")), "--secrets.files", str(secrets_file)],
                 clean_env=True)
    try:
        body = _wait_ready(srv.url, passes=1)
        assert set(body["pages"].values()) == {"ok"}, body
        misses = _misses(srv.url)
        assert misses.get("ui.data._metrics", 0) >= 1 and misses.get("ui.profile_view.profile_cached", 0) >= 1
        for path in ("/turnover", "/"):
            page.goto(srv.url + path)
            wait_for_app(page, 120000)
            page.wait_for_function("() => document.body.innerText.includes('Sign in with your work account')",
                                   timeout=60000)
            text = page.inner_text("body")
            assert "Leaver rate" not in text and "Staff in post" not in text and "Data as at" not in text
            assert page.locator("[data-testid='stSidebarNav']").count() == 0
    finally:
        srv.stop()
