"""Streamlit helpers shared by app.py and pages/: cached data access, URL state, sidebar, downloads.

Also the guard that keeps a page file from running without app.py (and its sign-in gate). Streamlit 1.67 starts
a server process in *legacy multipage mode* when a folder named pages/ sits beside app.py: until the first
st.navigation call, a session's first run executes Streamlit's `_mpa_v1`, which runs the page file named in the
URL (/data runs pages/data.py) directly, skipping app.py. Several first requests at once on a fresh server can
all be in `_mpa_v1` before any of them reaches app.py. A flag set when ui is first imported comes too late for
the others (they import the already-loaded package), so the check runs on *every* `from ui import ...` a script
makes: every page's first project import, before it draws anything. When the running script is inside
`_mpa_v1`, the guard switches the process out of legacy mode and reruns the session, which then runs app.py and
its gate. The check walks the current stack (a few dozen frames), a few microseconds per import statement.
"""
from __future__ import annotations

import sys
import types


def _inside_legacy_runner() -> bool:
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - a Streamlit without the module: no legacy runner to guard
        return False
    legacy = getattr(script_runner, "_mpa_v1", None)
    code = getattr(legacy, "__code__", None)
    if code is None:
        return False
    f = sys._getframe(2)
    while f is not None:
        if f.f_code is code:
            return True
        f = f.f_back
    return False


def leave_legacy_pages_mode() -> None:
    """Switch legacy pages/ mode off for the process and, if this script run came through it, rerun the session
    so that app.py (and the sign-in gate) runs first. A no-op outside a Streamlit script run."""
    if not _inside_legacy_runner():
        return
    from streamlit.runtime.pages_manager import PagesManager
    import streamlit as st
    PagesManager.uses_pages_directory = False
    st.rerun()


class _GuardedPackage(types.ModuleType):
    """The ui package: every public attribute read (what `from ui import x` does) runs the guard first."""

    def __getattribute__(self, name: str):
        if not name.startswith("_"):
            leave_legacy_pages_mode()
        return super().__getattribute__(name)


sys.modules[__name__].__class__ = _GuardedPackage
