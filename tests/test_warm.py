"""ui/warm.py and deploy/serve.py without a server (the served behaviour: tests/browser/test_warm_browser.py and
tests/test_deploy_nginx.py); deploy/replicas.py's sizing."""
from __future__ import annotations

import ast
import asyncio
import json

import pytest

from tests.conftest import REPO


def _run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API leaves an event loop running in this thread when
    a browser test ran earlier in the same worker, and asyncio.run refuses to start inside one."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _app_pages() -> list[str]:
    tree = ast.parse((REPO / "app.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            return [elt.elts[3].value for elt in node.value.elts]
    raise AssertionError("app.py has no PAGES list")


def test_every_page_of_the_app_is_warmed():
    from ui.warm import WARM_PAGES
    pages = _app_pages()
    assert len(pages) == 13 and "turnover" in pages and "pcn_roles" in pages
    assert sorted(WARM_PAGES) == sorted(pages)


def test_no_session_is_a_warm_session_outside_a_warm_up():
    from ui import warm
    assert warm.is_warm_session() is False  # no script run at all
    warm._WARM_SESSIONS.add("some-id")
    try:
        assert warm.is_warm_session() is False  # ids are matched against the running script's session only
    finally:
        warm._WARM_SESSIONS.discard("some-id")


def test_discarding_client_waits_for_the_real_end_of_a_run():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from ui.warm import _DiscardingClient
    c = _DiscardingClient()
    early = ForwardMsg()
    early.script_finished = ForwardMsg.FINISHED_EARLY_FOR_RERUN
    c.write_forward_msg(early)
    assert not c.done.is_set()  # a rerun follows: not finished yet
    exc = ForwardMsg()
    exc.delta.new_element.exception.type = "ValueError"
    c.write_forward_msg(exc)
    done = ForwardMsg()
    done.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY
    c.write_forward_msg(done)
    assert c.done.is_set() and c.error == "ValueError"


def test_ready_route_says_warming_then_ready(monkeypatch):
    from deploy import serve
    from ui import warm
    status = warm.WarmStatus()
    monkeypatch.setattr(warm, "STATUS", status)
    monkeypatch.setattr(serve, "WARM_ON", True)
    r = _run(serve.ready(None))
    assert r.status_code == 503 and json.loads(r.body)["ready"] is False and r.headers["cache-control"] == "no-cache"
    status.ready, status.passes, status.pages = True, 1, {"home": "ok"}
    r = _run(serve.ready(None))
    assert r.status_code == 200 and json.loads(r.body) == {"ready": True, "warming": False, "passes": 1,
                                                          "last_seconds": None, "pages": {"home": "ok"}}
    monkeypatch.setattr(serve, "WARM_ON", False)  # WORKFORCE_WARM=0: ready at once
    status.ready = False
    assert _run(serve.ready(None)).status_code == 200


def test_serve_is_an_st_app_streamlit_run_discovers():
    from streamlit.web.server.app_discovery import discover_asgi_app
    found = discover_asgi_app(REPO / "deploy" / "serve.py")
    assert found.is_asgi_app and found.app_name == "app"


@pytest.mark.parametrize("sessions, per, mem_mb, expected", [
    (50, 13, 16000, 4),     # sized to sessions: ceil(50 / 13)
    (50, 13, 1000, 2),      # memory caps it: 0.8 * 1000 MB // 400 MB
    (50, 13, 300, 1),       # never fewer than one
    (5, 13, 16000, 1),
    (500, 13, 64000, 8),    # max_replicas
])
def test_replica_count(sessions, per, mem_mb, expected):
    from deploy.replicas import replica_count
    assert replica_count(sessions, per, mem_mb, 400, 8) == expected


def test_replica_count_refuses_nonsense():
    from deploy.replicas import replica_count
    with pytest.raises(ValueError):
        replica_count(0, 13, 1000)


def test_replicas_command_prints_ports(monkeypatch, capsys, tmp_path):
    from deploy import replicas
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 8000000 kB\nMemAvailable:    4096000 kB\n")
    assert replicas.available_mb(str(meminfo)) == 4000
    monkeypatch.setattr(replicas, "available_mb", lambda: 4000.0)
    monkeypatch.setenv("WORKFORCE_SESSIONS", "30")
    monkeypatch.setenv("WORKFORCE_SESSIONS_PER_REPLICA", "10")
    monkeypatch.setenv("WORKFORCE_BASE_PORT", "9000")
    assert replicas.main() == 0
    assert capsys.readouterr().out.split() == ["9000", "9001", "9002"]
    monkeypatch.setenv("WORKFORCE_SESSIONS", "many")
    with pytest.raises(SystemExit, match="WORKFORCE_SESSIONS='many': expected a whole number"):
        replicas.main()
