"""Warm before the first visitor: after the server starts, and after every data change (a new store snapshot id),
run each page once with its default selections inside this process, so the caches a visitor's run reads (the
metrics frame, each page's cached view, module imports) are filled before anyone arrives. Until the first pass
has finished the replica answers "warming" on its readiness route (deploy/serve.py: /ready); deploy/run.sh and
nginx's health location use that.

How: each page is opened in a Streamlit session of this runtime whose client drops every message it is sent
(Runtime.connect_session, the call a browser's websocket makes, then a rerun_script message with the page's url
path), exactly the script run a first visitor's browser would start; no browser, no socket. Calling the cached
loaders directly would miss the pages' own st.cache_data views (defined in page scripts) and drift from what the
pages really ask for.

Sign-in: a warm-up session has no user. The sign-in gate lets it through (is_warm_session) only because its id is
in _WARM_SESSIONS, which only this module fills, for sessions it created itself with a client that discards
everything; nothing a browser sends can add an id. Disclosure control applies as for everyone (global setting).
This module imports no other ui module (auth imports it); deploy/serve.py says which store to watch."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

_LOG = logging.getLogger("workforce.warm")

# url paths of app.PAGES, in the order a visitor most often opens them (tests/test_warm.py checks every page of
# app.py is here). The accessibility page reads no data, so warming it only costs an import.
WARM_PAGES: tuple[str, ...] = ("home", "turnover", "vacancy", "map", "role_mix", "profile", "pcn_roles",
                               "organisations", "sickness", "statistics", "what_if", "data", "accessibility")

_WARM_SESSIONS: set[str] = set()
_PAGE_TIMEOUT_S = 300.0


def is_warm_session() -> bool:
    """True inside a script run started by the warm-up (never for a browser's session)."""
    if not _WARM_SESSIONS:
        return False
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx is not None and ctx.session_id in _WARM_SESSIONS


@dataclass
class WarmStatus:
    """What the readiness route reports. ready: a full pass finished at least once since the server started."""
    ready: bool = False
    warming: bool = False
    passes: int = 0
    snapshot: tuple | None = None
    last_seconds: float | None = None
    pages: dict[str, str] = field(default_factory=dict)  # url path -> "ok" | "timeout" | "error: ..."
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict:
        with self.lock:
            return {"ready": self.ready, "warming": self.warming, "passes": self.passes,
                    "last_seconds": None if self.last_seconds is None else round(self.last_seconds, 2),
                    "pages": dict(self.pages)}


STATUS = WarmStatus()


class _DiscardingClient:
    """A SessionClient that throws every message away and notes when a script run has ended."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: str | None = None

    def write_forward_msg(self, msg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
            # a run that ends early for a rerun (URL normalised, legacy-mode guard) is followed by the real one
            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    self.error = "compile error"
                self.done.set()
        elif kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
            self.error = msg.delta.new_element.exception.type or "exception"

    @property
    def client_context(self):
        return None


def _run_page(runtime, loop: asyncio.AbstractEventLoop, url_path: str, timeout_s: float) -> str:
    """Open one page in a throw-away session of this runtime and wait for its run to end."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    client = _DiscardingClient()

    async def start() -> str:  # Runtime calls must be made on its event loop
        sid = runtime.connect_session(client=client, user_info={"is_logged_in": False})
        _WARM_SESSIONS.add(sid)
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = url_path
        runtime.handle_backmsg(sid, msg)
        return sid

    async def close(sid: str) -> None:
        runtime.close_session(sid)

    sid = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        finished = client.done.wait(timeout_s)
    finally:
        asyncio.run_coroutine_threadsafe(close(sid), loop).result(timeout=30)
        _WARM_SESSIONS.discard(sid)
    if not finished:
        return "timeout"
    return f"error: {client.error}" if client.error else "ok"


def warm_once(runtime, loop: asyncio.AbstractEventLoop, pages: tuple[str, ...] = WARM_PAGES,
              status: WarmStatus = STATUS, timeout_s: float = _PAGE_TIMEOUT_S) -> dict[str, str]:
    """One pass: every page in turn (one at a time: the warm-up should not crowd out a visitor who arrives)."""
    t0 = time.perf_counter()
    with status.lock:
        status.warming = True
    results: dict[str, str] = {}
    for path in pages:
        try:
            results[path] = _run_page(runtime, loop, path, timeout_s)
        except Exception as exc:  # noqa: BLE001 - a page that fails to warm is logged; its visitor pays instead
            results[path] = f"error: {type(exc).__name__}"
        if results[path] != "ok":
            _LOG.warning("warm-up of page %s: %s", path, results[path])
    took = time.perf_counter() - t0
    with status.lock:
        status.warming = False
        status.ready = True
        status.passes += 1
        status.last_seconds = took
        status.pages = results
    _LOG.info("warm-up pass %d: %d pages in %.1f s", status.passes, len(pages), took)
    return results


def keep_warm(runtime, loop: asyncio.AbstractEventLoop, snapshot: Callable[[], tuple], stop: threading.Event,
              poll_s: float = 5.0, pages: tuple[str, ...] = WARM_PAGES, status: WarmStatus = STATUS) -> None:
    """Warm now, then again whenever snapshot() (the store a first visitor sees: deploy/serve.py) changes, checked
    every poll_s seconds (one directory listing, about 1 ms). Runs until stop is set."""
    last = None
    while not stop.is_set():
        try:
            snap = snapshot()
        except Exception as exc:  # noqa: BLE001 - an unreadable store: pages show their own message; warm them
            _LOG.warning("warm-up: store snapshot unreadable (%s)", type(exc).__name__)
            snap = ("unreadable",)
        if snap != last:
            warm_once(runtime, loop, pages, status)
            with status.lock:
                status.snapshot = snap
            last = snap
        stop.wait(poll_s)


def start(runtime, loop: asyncio.AbstractEventLoop, snapshot: Callable[[], tuple], poll_s: float = 5.0
          ) -> threading.Event:
    """Start keep_warm in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=keep_warm, args=(runtime, loop, snapshot, stop, poll_s), name="workforce-warm",
                     daemon=True).start()
    return stop
