"""Sections built only when a person asks for them (issue 16: compute and send only what is shown): the system
tables (a toggle) and the download popovers (built only while open; ui.shell.definition(key=...) does the same
for the definitions).

A collapsed st.expander still runs its body on every rerun and the browser still receives every element in it; a
42-row system table costs the browser 340-380 ms per change on the Turnover page. `section` is a toggle whose state
is kept in the session under `key`; the caller builds the section only while it is on. Switching it reruns the
enclosing fragment. Once on it stays on for the session, so a reader comparing systems keeps the table while
changing the selection.
"""
from __future__ import annotations

import streamlit as st

from ui import shell


def section(label: str, key: str):
    """A container to draw into while the person has asked for the section (a toggle kept in the session under
    `key`), or None (then draw nothing for it). A toggle rather than an expander: the table keeps the page's full
    width (an expander's padding narrowed the Turnover table enough to clip a column at 1440 px)."""
    on = st.toggle(label, key=key)
    return st.container() if on else None


# One fixed label: a widget whose label changed with the selection would lose its state on every change
TABLE_LABEL = "Show every system: table and downloads"
# Session keys of the pages' on-request sections (tests open them as a click does: at.session_state[key] = True)
TURNOVER_TABLE, VACANCY_TABLE = "turnover_table_open", "vacancy_table_open"
SICKNESS_ORGS = "sickness_orgs_open"   # Sickness absence, England: every organisation's row
# Headlines, every system's row: the landing page's data grid was most of a first visit's browser time (issue 25)
HEADLINES_TABLE = "headlines_table_open"
KEYS = (TURNOVER_TABLE, VACANCY_TABLE, SICKNESS_ORGS, HEADLINES_TABLE)


def signals_key(key: str) -> str:
    """Session key of a 'What changed' summary's list of every signal (an expander built only while open; Headlines
    uses key 'what_changed', Signal or noise 'stats_changed'). Tests open it with the sections above."""
    return f"{key}_signals_open"


KEYS += (signals_key("what_changed"), signals_key("stats_changed"))


def popover(label: str, key: str, *, icon: str | None = None, help: str | None = None):
    """A popover whose body is built only while it is open (a closed popover's body would otherwise run on every
    rerun and be sent to the browser with the page: three to five elements for each row of download buttons).
    Returns the popover to draw into while open, else None. Opening or closing it reruns the enclosing fragment;
    the open state is kept in the session under `key` (tests open it as a click does:
    at.session_state[key] = True)."""
    box = st.popover(label, key=key, icon=icon, help=help, on_change="rerun")
    return box if box.open else None


# Session keys of lazy download popovers end with this (tests open every one: tests/conftest.open_downloads)
DOWNLOADS_SUFFIX = "_downloads_open"


def downloads_key(key: str) -> str:
    return f"{key}{DOWNLOADS_SUFFIX}"


def chart_downloads(key: str):
    """'Download chart' popover of the chart drawn under `key`: the PNG / SVG buttons (and the export spec they
    render) are built only while it is open."""
    return popover("Download chart", downloads_key(key), icon=":material/download:",
                   help="PNG or SVG picture of the chart, with its title, period, source and any synthetic label")


def table_downloads(df, name: str, key: str, notes: list[str] | None = None, label: str = "Download table") -> None:
    """'Download table' popover: the CSV and Excel buttons of ui.shell.downloads, built only while it is open.
    `df` may be a function returning the table (then it is computed only when the popover is open)."""
    box = popover(label, downloads_key(key), icon=":material/download:",
                  help="CSV or Excel file of the table, with notes (title, period, source); formula-like cells are "
                       "neutralised")
    if box is None:
        return
    with box:
        shell.downloads(df() if callable(df) else df, name, key, notes=notes)


def system_table(when: str, group: str, key: str, table):
    """The 'Every system' section of a trend page: heading, the on-request toggle (`key`), and a container to draw
    `table` into, or None when the section is closed or there is nothing to show (then it says so)."""
    st.subheader(f"Every system, month ending {when}: {group}")
    box = section(TABLE_LABEL, key)
    if box is None:
        return None
    if table.empty:
        box.info(f"No system figures for {group} in the month ending {when}.", icon=":material/info:")
        return None
    return box
