"""Issue 13 and 22 probes against a real server, spoken to as an attacker would: raw websocket sessions (no browser),
without a cookie, with a forged identity cookie, many at once on a fresh server, and with malformed secrets.

Each session sends Streamlit's own "run the script" message for a page and collects every message the server
sends back until that run has finished; the text of those messages is what a visitor could read."""
from __future__ import annotations

import json
import re
import secrets as pysecrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, Server, free_port

pytest.importorskip("websockets")
pytest.importorskip("itsdangerous")

# Page titles and words that only the dashboard (never the sign-in or refusal page) shows.
PAGES = ["home", "map", "vacancy", "turnover", "role_mix", "profile", "statistics", "what_if", "data"]
DASHBOARD_WORDS = ["NHS workforce headlines", "Map of systems", "Vacancies", "Turnover: leavers and joiners",
                   "Role mix", "System profile", "Signal or noise", "What-if studio", "Data and definitions",
                   "Staff in post", "Data as at", "Vacancy template"]
SIGN_IN = "Sign in with your work account"
REFUSED = "This dashboard is not available"


def _secrets(tmp: Path, url: str, cookie_secret: str, extra: str = "") -> Path:
    p = tmp / "secrets.toml"
    p.write_text(f"""
[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "workforce-dashboard-test"
client_secret = "{pysecrets.token_hex(16)}"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"

[workforce]
allowed_domains = ["nhs.net"]
{extra}""")
    return p


class Streamlit(Server):
    """`streamlit run app.py` with the production flags and a secrets file (fresh process each time)."""

    def __init__(self, secrets_file: Path | None, name: str, port: int | None = None, env: dict | None = None):
        flags = subprocess.run([sys.executable, "deploy/flags.py", "deploy/config.production.toml"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split("\n")
        flags = [f for f in flags if f]
        if secrets_file is not None:
            flags += ["--secrets.files", str(secrets_file)]
        super().__init__(REPO / "app.py", flags=flags, port=port, log_name=f"security_{name}", clean_env=True,
                         env=env)


def _session(url: str, page: str, cookie: str | None = None, timeout: float = 90.0, query: str = "",
             messages: list | None = None) -> str:
    """Open one raw websocket session, ask for `page` (with `query`), collect everything the server sends until the
    run it asked for has ended, and return the text (and append each ForwardMsg to `messages` if given).

    The run has ended at its script_finished message, unless that says "finished early for a rerun" (a gate or a
    page switch that starts another run: the session goes on to the run it started). Nothing a page draws arrives
    after that: every delta of a run comes before its script_finished. `timeout` is only a ceiling (a busy machine
    can take a while to run a page); a session that reaches it without a finished run fails the test, so a probe
    never passes on a page it has not seen whole. Before: each session listened for a fixed 8-25 s."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    xsrf = generate_xsrf_token_string()
    cookies = [f"_streamlit_xsrf={xsrf}"] + ([cookie] if cookie else [])
    host = url.removeprefix("http://")
    ws = connect(f"ws://{host}/_stcore/stream", subprotocols=["streamlit", xsrf],
                 additional_headers={"Origin": url, "Cookie": "; ".join(cookies)}, open_timeout=30)
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    ws.send(msg.SerializeToString())
    texts = []
    deadline = time.time() + timeout
    finished = False
    try:
        while not finished:
            try:
                raw = ws.recv(timeout=max(0.1, deadline - time.time()))
            except TimeoutError:
                break
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            texts.append(str(fm))
            if messages is not None:
                messages.append(fm)
            finished = (fm.WhichOneof("type") == "script_finished"
                        and fm.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN)
    except ConnectionClosed as exc:  # the server closing the connection ends the session too
        texts.append(f"<closed: {exc}>")
        finished = True
    finally:
        ws.close()
    assert finished, f"{page}?{query}: no finished script run within {timeout:.0f} s"
    return "\n".join(texts).encode().decode("unicode_escape", errors="ignore")


def _leaks(text: str) -> list[str]:
    return [w for w in DASHBOARD_WORDS if w in text]


def _forged_cookie(secret: str, url: str, email: str = "mallory@nhs.net") -> str:
    from itsdangerous import URLSafeTimedSerializer
    payload = json.dumps({"origin": url, "is_logged_in": True, "email": email, "email_verified": True})
    return "_streamlit_user=" + URLSafeTimedSerializer(secret, salt="_streamlit_user").dumps(payload)


# ---------------------------------------------------------------- probe 5: concurrent first requests
def test_concurrent_first_requests_on_a_fresh_server_never_run_a_page(tmp_path):
    """Nine (and more) first requests at once, one per page and some twice: every session ends on the sign-in
    page and no message carries anything a page draws. Before the fix eight page files ran without the gate."""
    port = free_port()
    srv = Streamlit(_secrets(tmp_path, f"http://127.0.0.1:{port}", pysecrets.token_hex(32)), "race", port)
    try:
        asked = PAGES + PAGES[:3]  # 12 sessions
        results: dict[int, str] = {}

        def run(i: int, page: str) -> None:
            results[i] = _session(srv.url, page)
        threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(asked)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)  # each session ends when its run does (_session's ceiling: 90 s)
    finally:
        srv.stop()
    assert len(results) == len(asked)
    problems = {asked[i]: _leaks(text) for i, text in results.items() if _leaks(text)}
    assert not problems, problems
    missing_sign_in = [asked[i] for i, text in results.items() if SIGN_IN not in text]
    assert not missing_sign_in, missing_sign_in
    log = srv.log_path.read_text()
    assert "Traceback" not in log and "ImportError" not in log, log[-2000:]


# ---------------------------------------------------------------- probes 1 and 2 over the wire
def test_no_cookie_and_forged_cookie_with_a_strong_secret_see_only_sign_in(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    srv = Streamlit(_secrets(tmp_path, url, pysecrets.token_hex(32)), "strong", port)
    try:
        plain = _session(srv.url, "data")
        # signed with the example's placeholder: the server's real secret does not match, so no identity
        forged = _session(srv.url, "home", cookie=_forged_cookie(
            "REPLACE-with-64-hex-characters-from-secrets.token_hex-32", url))
    finally:
        srv.stop()
    for text in (plain, forged):
        assert SIGN_IN in text and not _leaks(text)


def test_example_cookie_secret_admits_nobody_even_with_a_correctly_forged_cookie(tmp_path):
    """Before: a cookie signed with the placeholder secret from secrets.example.toml opened the dashboard."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    example = "REPLACE-with-64-hex-characters-from-secrets.token_hex-32"
    srv = Streamlit(_secrets(tmp_path, url, example), "example_secret", port)
    try:
        forged = _session(srv.url, "home", cookie=_forged_cookie(example, url, "jane@nhs.net"))
    finally:
        srv.stop()
    assert REFUSED in forged and not _leaks(forged), _leaks(forged)
    assert "cookie_secret is a placeholder" in srv.log_path.read_text()


@pytest.mark.parametrize("case", ["syntax_error", "missing_file"])
def test_malformed_secrets_refuse_every_viewer_over_the_wire(case, tmp_path):
    """Before: one missing ] (or a wrong --secrets.files path) turned sign-in and disclosure control off."""
    port = free_port()
    p = _secrets(tmp_path, f"http://127.0.0.1:{port}", pysecrets.token_hex(32), "disclosure_control = true\n")
    if case == "syntax_error":
        p.write_text(p.read_text().replace("[workforce]", "[workforce"))
    else:
        p = tmp_path / "no-such-secrets.toml"
    srv = Streamlit(p, case, port)
    try:
        text = _session(srv.url, "home")
    finally:
        srv.stop()
    assert REFUSED in text and not _leaks(text), _leaks(text)
    assert str(tmp_path) not in text  # the viewer is not told where the file is
    assert "refuses every viewer" in srv.log_path.read_text()


def test_metrics_endpoint_is_closed_in_nginx_config():
    conf = (REPO / "deploy" / "nginx-workforce.conf").read_text()
    assert "location ^~ /_stcore/metrics" in conf and "return 404" in conf.split("/_stcore/metrics", 1)[1][:80]
    flags = subprocess.run([sys.executable, "deploy/flags.py", "deploy/config.production.toml"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    assert flags[flags.index("--server.address") + 1] == "127.0.0.1"  # replicas unreachable except via nginx


# ---------------------------------------------------------------- issue 22, probe 1: secrets that must exist
GOOD_AUTH = """[auth]
redirect_uri = "http://127.0.0.1:9/oauth2callback"
cookie_secret = "{secret}"
client_id = "workforce-dashboard-test"
client_secret = "{client}"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""
NAMED_FILE_CASES = {
    "empty": ("", "holds no settings"),
    "comments_only": ("# sign-in to be added\n# [auth]\n\n", "holds no settings"),
    "Auth_capitalised": (GOOD_AUTH.replace("[auth]", "[Auth]") + "[workforce]\ndisclosure_control = false\n",
                         "[Auth]"),
    "oauth": (GOOD_AUTH.replace("[auth]", "[oauth]"), "[oauth]"),
    "typo_table": (GOOD_AUTH + "[workforc]\ndisclosure_control = true\n", "[workforc]"),
}


def _probe_refused(srv: Streamlit, why: str, tmp_path: Path) -> None:
    try:
        text = _session(srv.url, "home")
    finally:
        srv.stop()
    assert REFUSED in text and not _leaks(text), _leaks(text)
    assert SIGN_IN not in text
    assert str(tmp_path) not in text  # the viewer is not told where the file is
    log = srv.log_path.read_text()
    assert "refuses every viewer" in log and why in log, log[-2000:]


@pytest.mark.parametrize("case", list(NAMED_FILE_CASES))
def test_named_secrets_file_that_says_nothing_the_product_knows_refuses_every_viewer(case, tmp_path):
    """Before: an empty or comment-only --secrets.files file, or one whose table is [Auth] / [oauth] / a typo,
    opened the dashboard to anyone (sign-in and disclosure control off) and logged nothing."""
    text, why = NAMED_FILE_CASES[case]
    p = tmp_path / "secrets.toml"
    p.write_text(text.format(secret=pysecrets.token_hex(32), client=pysecrets.token_hex(16)))
    _probe_refused(Streamlit(p, f"named_{case}"), why, tmp_path)


def test_production_configuration_without_auth_refuses_every_viewer(tmp_path):
    """Under the production configuration (WORKFORCE_DEPLOYMENT=production, as deploy/run.sh exports) a valid
    secrets file with [workforce] only is not enough: every run needs [auth]. Before: the dashboard opened."""
    p = tmp_path / "secrets.toml"
    p.write_text('[workforce]\nallowed_domains = ["nhs.net"]\ndisclosure_control = true\n')
    srv = Streamlit(p, "production_no_auth", env={"WORKFORCE_DEPLOYMENT": "production"})
    _probe_refused(srv, "needs an [auth] table", tmp_path)


def test_production_configuration_with_complete_auth_asks_to_sign_in(tmp_path):
    """The control for the probe above: the same production run with a complete [auth] shows the sign-in page."""
    port = free_port()
    srv = Streamlit(_secrets(tmp_path, f"http://127.0.0.1:{port}", pysecrets.token_hex(32)), "production_ok", port,
                    env={"WORKFORCE_DEPLOYMENT": "production"})
    try:
        text = _session(srv.url, "home")
    finally:
        srv.stop()
    assert SIGN_IN in text and REFUSED not in text and not _leaks(text)


def test_run_sh_with_no_secrets_file_refuses_every_viewer(tmp_path):
    """deploy/run.sh is the production command line: with no secrets file at all it must not serve the dashboard
    (before: a local analyst run, open to anyone)."""
    import os
    import signal
    import urllib.request
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_")}
    env.update({"RUN_DIR": str(tmp_path), "PYTHON": sys.executable, "HOME": str(tmp_path)})  # no ~/.streamlit
    proc = subprocess.Popen(["bash", str(REPO / "deploy" / "run.sh"), str(port)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        text = _session(f"http://127.0.0.1:{port}", "home")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    assert REFUSED in text and not _leaks(text), _leaks(text)
    assert "needs an [auth] table" in (tmp_path / f"replica_{port}.log").read_text()


# ---------------------------------------------------------------- issue 22, probe 6: pre-gate listing, echoes
VIEW_NAMES = sorted(f.stem for f in (REPO / "views").glob("*.py"))


def _page_names(messages: list) -> set[str]:
    """Every page name and URL path the server told this session about (new session, navigation)."""
    names: set[str] = set()
    for fm in messages:
        kind = fm.WhichOneof("type")
        pages = (fm.new_session.app_pages if kind == "new_session" else
                 fm.navigation.app_pages if kind == "navigation" else [])
        for p in pages:
            names |= {p.page_name, p.url_pathname}
    return names - {""}


def test_fresh_server_lists_no_page_before_sign_in_under_concurrent_first_requests(tmp_path):
    """Twelve first sessions at once on a fresh replica: the server names no page but the sign-in page (and the
    path the visitor asked for, echoed). Before: Streamlit's own listing of the pages/ folder (page names such as
    'sickness', 'organisations', 'accessibility') reached every first session before the gate."""
    port = free_port()
    srv = Streamlit(_secrets(tmp_path, f"http://127.0.0.1:{port}", pysecrets.token_hex(32)), "listing", port)
    asked = ["home", "data", "what_if", "map", "", "vacancy", "turnover", "home", "", "data", "profile", "map"]
    got: dict[int, list] = {}
    try:
        def run(i: int, page: str) -> None:
            got[i] = []
            _session(srv.url, page, messages=got[i])
        threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(asked)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)  # each session ends when its run does (_session's ceiling: 90 s)
    finally:
        srv.stop()
    assert len(got) == len(asked) and all(got.values())
    leaked = {}
    for i, msgs in got.items():
        echoed = {asked[i], asked[i].replace("_", " ")}  # the path this visitor asked for, as Streamlit names it
        extra = _page_names(msgs) - {"signin", "Sign in", *echoed}
        if extra:
            leaked[asked[i] or "/"] = sorted(extra)
    assert not leaked, leaked
    assert all(SIGN_IN in "\n".join(str(m) for m in msgs) for msgs in got.values())
    assert not (REPO / "pages").exists()  # the reason: Streamlit lists a folder of that name to every session


def _markdown_bodies(messages: list) -> list[str]:
    out = []
    for fm in messages:
        if fm.WhichOneof("type") == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            kind = el.WhichOneof("type")
            if kind in ("markdown", "alert"):
                out.append(getattr(el, kind).body)
    return out


def test_query_value_is_echoed_as_text_not_markdown(real_store):
    """?org= with a Markdown image (and ?measure= on the Map) is quoted in the 'not one we recognise' notice as
    text. Before: the notice rendered the image (a request to any address the link names)."""
    from lib.data.loader import ENV_DATA_DIR
    srv = Server(REPO / "app.py", env={ENV_DATA_DIR: str(real_store)}, log_name="security_echo")
    image = "![x](http://127.0.0.1:9/x.png)"
    from urllib.parse import quote
    msgs: list = []
    try:
        for page, param in (("organisations", "org"), ("map", "measure")):
            _session(srv.url, page, query=f"{param}={quote(image)}", messages=msgs)
    finally:
        srv.stop()
    bodies = _markdown_bodies(msgs)
    notices = [b for b in bodies if "not one we recognise" in b]
    assert len(notices) == 2, bodies
    for b in notices:
        # the value is inside a code span (shown as typed, never Markdown) and nowhere else
        spans = re.findall(r"(`+)(.+?)\1", b)
        assert [t.replace("\u2060", "") for _, t in spans] == [image, spans[1][1]], b
        outside = re.sub(r"(`+)(.+?)\1", "", b)
        assert "](" not in outside and "![" not in outside and "http" not in outside, b
