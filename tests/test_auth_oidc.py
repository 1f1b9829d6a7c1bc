"""Sign-in against a real OpenID Connect provider on loopback (oidc-provider-mock), driven in Chromium.

The app runs with a temporary secrets file (--secrets.files) holding [auth] and a [workforce] allow-list.
Checks what a person sees: the sign-in page only, the dashboard after an allowed sign-in, and a clear refusal
for an address outside the allow-list. Also checks that without [auth] the app opens with no sign-in."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, assert_no_exception, free_port, wait_for_app

pytest.importorskip("authlib", reason="Authlib is needed for st.login (requirements.txt)")


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early; see {log}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer; see {log}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def oidc_provider(artifacts):
    port = free_port()
    log = artifacts / f"oidc_provider_{port}.log"
    with open(log, "w") as fh:
        # Users typed into the mock's form get only an `email` claim, which the dashboard no longer trusts without
        # email_verified: predefine the ones the tests sign in as, verified.
        users = [a for e in ("Jane.Doe@nhs.net", "mallory@nhs.net.example.com")
                 for a in ("--user-claims", f'{{"sub": "{e}", "email": "{e}", "email_verified": true}}')]
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port",
                                 str(port), "--require-nonce", "true", *users], stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url + "/.well-known/openid-configuration", proc, log)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def signed_app(oidc_provider, artifacts, tmp_path_factory):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_file = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets_file.write_text(f"""
[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "workforce-dashboard-test"
client_secret = "{secrets.token_hex(16)}"
server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"

[workforce]
allowed_domains = ["nhs.net"]
allowed_emails = ["guest@partner.org.uk"]
contact = "workforce.intelligence@example-icb.nhs.uk"
""")
    log = artifacts / f"server_auth_{port}.log"
    env = {k: v for k, v in os.environ.items() if k not in ("WORKFORCE_ALLOWED_DOMAINS", "WORKFORCE_ALLOWED_EMAILS")}
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets_file)],
            cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_http(url + "/_stcore/health", proc, log)
        yield url
    finally:
        _stop(proc)


def _sign_in(page, app_url: str, email: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[name='sub']", timeout=20000)  # the provider's own sign-in form
    page.fill("input[name='sub']", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**", timeout=20000)
    wait_for_app(page)


def test_first_request_after_start_deep_link_is_gated(signed_app, page):
    """The first request to a fresh server, a deep link, gets the sign-in page."""
    page.goto(signed_app + "/data")  # must stay the first test to use signed_app
    wait_for_app(page)
    page.wait_for_function("() => document.body.innerText.includes('Sign in with your work account')",
                           timeout=30000)
    assert "Vacancy template" not in page.inner_text("body")


def test_unauthenticated_visitor_sees_only_sign_in(signed_app, page, artifacts):
    for path in ("", "/map?level=ICS"):  # a deep link lands on the sign-in page too
        page.goto(signed_app + path)
        wait_for_app(page)
        page.wait_for_function("() => document.body.innerText.includes('Sign in with your work account')",
                               timeout=30000)
        wait_for_app(page)
        assert_no_exception(page)
        body = page.inner_text("body")
        assert "Sign in with your work account" in body
        assert "NHS workforce headlines" not in body
        assert "Staff in post" not in body and "Data as at" not in body
        assert page.locator("[data-testid='stSidebarNav']").count() == 0  # no menu of pages either
        assert "Page not found" not in body
    page.screenshot(path=str(artifacts / "auth_sign_in.png"), full_page=True)


def test_allowed_user_signs_in_sees_dashboard_and_signs_out(signed_app, page, artifacts):
    _sign_in(page, signed_app, "Jane.Doe@nhs.net")
    assert_no_exception(page)
    body = page.inner_text("body")
    assert "NHS workforce headlines" in body
    assert "Signed in as jane.doe@nhs.net" in body
    assert "Data as at" in body
    page.screenshot(path=str(artifacts / "auth_signed_in.png"), full_page=True)
    page.get_by_role("button", name="Sign out").click()
    # RP-initiated logout: the provider confirms ending its session, then sends the browser back to the app
    page.get_by_role("button", name="End session").click(timeout=20000)
    page.wait_for_url(f"{signed_app}/**", timeout=20000)
    page.wait_for_function("() => document.body.innerText.includes('Sign in with your work account')",
                           timeout=20000)


def test_user_outside_allow_list_is_refused(signed_app, page, artifacts):
    _sign_in(page, signed_app, "mallory@nhs.net.example.com")
    assert_no_exception(page)
    body = page.inner_text("body")
    assert "you cannot see this dashboard" in body
    assert "mallory@nhs.net.example.com" in body
    assert "not on the dashboard's allow-list" in body
    assert "NHS workforce headlines" not in body and "Staff in post" not in body
    assert page.get_by_role("button", name="Sign out").count() == 1
    page.screenshot(path=str(artifacts / "auth_refused.png"), full_page=True)


# ------------------------------------------------------------ without a browser (AppTest)

def _apptest():
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=120)


def test_local_run_has_no_sign_in():
    at = _apptest()
    at.run()
    assert not at.exception
    assert "NHS workforce headlines" in [t.value for t in at.title]
    assert not [b for b in at.button if b.label == "Sign in"]


def test_auth_section_shows_sign_in_page_only():
    at = _apptest()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "0123456789abcdef" * 4,
                          "client_id": "id", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.secrets["workforce"] = {"contact": "javascript:alert(1)"}  # not a web or mail link: ignored
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "NHS workforce headlines" not in [t.value for t in at.title]
    assert not at.dataframe and not at.metric
