"""Page state in the URL query string, validated against known lists.

A link carries level, period, area, measure and staff group; a value not in the known list is
dropped with a friendly message and a sensible default, never a traceback. Values are compared with
known codes only: nothing from the URL is used as a path, evaluated or unpickled.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from lib.data import geography
from ui.text import md, quoted

MAX_PARAM_CHARS = 120

T = TypeVar("T")
# Values computed once per script run (the store's snapshot id, the checked secrets): asked for several times a run,
# each costly (file system calls that give up the GIL, parsing). Keyed by the run's context; a run is told apart by
# its cursors dict, which Streamlit replaces at the start of every run and fragment run. Outside a run (bare mode,
# CLI) the value is computed each time.
_PER_RUN: dict[int, tuple[object, dict[str, object]]] = {}


def once_per_run(key: str, compute: Callable[[], T]) -> T:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return compute()
    held = _PER_RUN.get(id(ctx))
    if held is None or held[0] is not ctx.cursors:
        if len(_PER_RUN) > 512:  # one entry per live session; drop them all now and then
            _PER_RUN.clear()
        held = (ctx.cursors, {})
        _PER_RUN[id(ctx)] = held
    values = held[1]
    if key not in values:
        values[key] = compute()
    return values[key]  # type: ignore[return-value]


def _notice(name: str, raw: str, default: str) -> None:
    shown = raw[:40] + ("..." if len(raw) > 40 else "")
    st.session_state.setdefault("_url_notices", []).append(  # the link's value as text, never Markdown
        f"The link's {md(name)} value {quoted(shown)} is not one we recognise, so {quoted(default)} is shown "
        "instead.")


def url_value(name: str, allowed: Sequence[str], default: str, check: Callable[[str], str] | None = None) -> str:
    """The link's value of `name` when it is in `allowed` (and, with `check`, when check(value) accepts it: the
    command line's own check of an area, lib.data.geography.area_on_footprint); else a successor or the default."""
    raw = st.query_params.get(name)
    if raw is None or raw == "":
        return default
    raw = str(raw)[:MAX_PARAM_CHARS]
    if check is not None:
        try:
            raw = check(raw)
        except ValueError:
            pass                  # refused: what it became (below), or the default with a notice
        else:
            if raw in allowed:
                return raw
    elif raw in allowed:
        return raw
    if (moved := successor(raw, allowed)) is not None:  # an old link to a system abolished or formed since
        st.session_state.setdefault("_url_notices", []).append(f"{moved[1]} The link showed "  # product words
                                                               f"{md(raw)}; {moved[0]} is shown instead.")
        return moved[0]
    _notice(name, raw, default)
    return default


def successor(code: str, allowed: Sequence[str]) -> tuple[str, str] | None:
    """(what a system code of another geography vintage became on the shown one, a sentence saying so)."""
    for key in geography.VINTAGES:
        moved = geography.became(code, key)
        if moved is not None and moved[0] in allowed:
            return moved
    return None


def show_url_notices() -> None:
    for msg in st.session_state.pop("_url_notices", []):
        st.info(msg, icon=":material/link_off:")


def selectbox(label: str, param: str, options: Sequence[str], default: str | None = None, *,
              format_func: Callable[[str], str] = str, container=st, help: str | None = None,
              check: Callable[[str], str] | None = None) -> str:
    """A selectbox whose value lives in the URL (?param=value) and survives reruns and page changes; `check`
    validates the link's value as well (see url_value)."""
    options = list(options)
    if not options:
        raise ValueError(f"no options for {label}")
    fallback = default if default in options else options[0]
    key = f"url_{param}"
    current = st.session_state.get(key)
    if current not in options:
        st.session_state[key] = url_value(param, options, fallback, check)
    value = container.selectbox(label, options, key=key, format_func=format_func, help=help)
    st.query_params[param] = value
    return value


def radio(label: str, param: str, options: Sequence[str], default: str | None = None, *,
          format_func: Callable[[str], str] = str, container=st, horizontal: bool = True,
          help: str | None = None) -> str:
    options = list(options)
    fallback = default if default in options else options[0]
    key = f"url_{param}"
    if st.session_state.get(key) not in options:
        st.session_state[key] = url_value(param, options, fallback)
    value = container.radio(label, options, key=key, format_func=format_func, horizontal=horizontal, help=help)
    st.query_params[param] = value
    return value
