"""Sections built only when a person asks for them (issue 16: compute and send only what is shown).

A collapsed st.expander still runs its body on every rerun and the browser still receives every element in it; a
42-row system table costs the browser 340-380 ms per change on the Turnover page. `section` is an expander whose
open state is kept in the session under `key` and whose body the caller builds only while it is open; opening or
closing reruns the enclosing fragment. Once opened it stays open for the session, so a reader comparing systems
keeps the table while changing the selection.
"""
from __future__ import annotations

import streamlit as st


def section(label: str, key: str, *, icon: str | None = ":material/table:"):
    """The open expander to draw into, or None while it is closed (then draw nothing for it)."""
    box = st.expander(label, icon=icon, key=key, on_change="rerun")
    return box if box.open else None


# One fixed label: an expander whose label changed with the selection would lose its open state on every change
TABLE_LABEL = "Every system: table and downloads"
# Session keys of the pages' on-request sections (tests open them as a click does: at.session_state[key] = True)
TURNOVER_TABLE, VACANCY_TABLE = "turnover_table_open", "vacancy_table_open"
KEYS = (TURNOVER_TABLE, VACANCY_TABLE)


def open_all(at) -> None:
    """Test helper (AppTest): open every on-request section, as a person clicking them would, and rerun."""
    for k in KEYS:
        at.session_state[k] = True
    at.run()
