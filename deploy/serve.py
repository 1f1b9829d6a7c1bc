"""The production entry point: app.py served by Streamlit (st.App), warmed before its first visitor.

    .venv/bin/python -m streamlit run deploy/serve.py --server.port 8501 <production flags>   (deploy/run.sh)

Same app, same flags as `streamlit run app.py`; in addition, once the server is up, ui/warm.py opens every page
with its default selections inside this process (and again after every data change), and GET /ready answers 503
"warming" until the first pass has finished, then 200 "ready" (JSON body: passes, seconds, each page's result).
Streamlit's own /_stcore/health says "ok" as soon as the server accepts connections; /ready is the one that says
the first visitor will pay what the hundredth does. `streamlit run app.py` (a local analyst run) is not warmed.
WORKFORCE_WARM=0 turns the warm-up off (then /ready answers ready at once); WORKFORCE_WARM_POLL_S sets how often the
store is checked for new data (default 5 s)."""
from __future__ import annotations

import asyncio
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # ui/ and lib/ import from the repository root, as under `streamlit run app.py`
    sys.path.insert(0, str(ROOT))

from ui import warm  # noqa: E402

WARM_ON = os.environ.get("WORKFORCE_WARM", "1").strip() != "0"


def _poll_seconds() -> float:
    try:
        return max(0.5, float(os.environ.get("WORKFORCE_WARM_POLL_S", "5")))
    except ValueError:
        return 5.0


def default_snapshot() -> tuple:
    """The snapshot id of the data source a first visitor sees (the first of ui.data.data_sources())."""
    from lib.data import loader
    from ui import data
    return loader.snapshot_id(next(iter(data.data_sources().values())))


async def ready(request) -> JSONResponse:
    body = warm.STATUS.as_dict()
    ok = body["ready"] or not WARM_ON
    body["ready"] = ok
    return JSONResponse(body, status_code=200 if ok else 503, headers={"Cache-Control": "no-cache"})


@asynccontextmanager
async def lifespan(_app):
    from streamlit.runtime import Runtime
    stop = None
    if WARM_ON:
        stop = warm.start(Runtime.instance(), asyncio.get_running_loop(), default_snapshot, _poll_seconds())
    try:
        yield None
    finally:
        if stop is not None:
            stop.set()


app = st.App(str(ROOT / "app.py"), lifespan=lifespan, routes=[Route("/ready", ready, methods=["GET"])])
