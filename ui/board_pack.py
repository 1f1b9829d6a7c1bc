"""The "Board pack (PDF)" on the System profile and the what-if page (issue 26; failures shown, issue 24).

A click on "Board pack (PDF)" builds the pack inside a fragment of its own (only that fragment reruns, a few
seconds under a spinner), from what identifies it (data directory, geography key, month, disclosure setting,
system, the scenarios compared); then "Save board pack (PDF)" hands the bytes to the browser. The figures come
from the same chain as ui.data._metrics (lib.report.pack.load_metrics: store metrics, vacancy coverage,
disclosure control), so the paper shows what the page shows.

Built in the script run (not as a deferred download) so that a pack that cannot be built says so on the page:
what went wrong and what to do, never a traceback; the full error goes to the server log. (A deferred download
that raised showed "Failed to generate file for download" for five seconds and the cause only in the log.)
"""
from __future__ import annotations

import logging
import re

import streamlit as st

from lib.report import pack as rp
from lib.report import render
from lib.sharing.redact import for_viewers
from ui import auth
from ui.text import md

LOG = logging.getLogger(__name__)
_CLI_FLAG = re.compile(r"--([a-z][a-z-]*):?\s*")
LABEL = "Board pack (PDF)"
SAVE_LABEL = "Save board pack (PDF)"
HELP = ("The system's workforce report for a board or people committee, as an A4 PDF: headline figures, staff in "
        "post and its bridge, leavers and joiners with their SPC reading, vacancies, role mix, sickness absence, the "
        "organisations, {scenarios}definitions and methods. Built when you click (a few seconds), then saved with "
        "'Save board pack (PDF)'.")
FAILED = ("**The board pack could not be built.** {why} Nothing on this page is affected. What to do: try again; "
          "if it fails again, download the tables from this page instead and tell the dashboard's administrator "
          "(the server log has the details, at {when} UTC).")


def build(data_dir: str, key: str, period: str, periods: tuple[str, ...], sdc: bool, area: str,
          scenarios: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The pack's PDF bytes (no Streamlit)."""
    from lib.whatif.scenario import Scenario
    store = rp.store_for(data_dir, key, period, list(periods), sdc)
    return render.board_pack_pdf(rp.build_pack(store, area, [(n, Scenario.from_json(js)) for n, js in scenarios]))


def failure_text(exc: BaseException, data_dir: str, when: str) -> str:
    """The page's message for a pack that failed: the reason in words for the pack's own checks (lib.report's
    PackError, RenderError: written for people, paths cut by for_viewers), a plain sentence for anything else."""
    if isinstance(exc, (rp.PackError, render.RenderError)):
        # the pack's checks are worded for the command line ("--area 'X' is not ..."): '--area' reads 'area'
        reason = _CLI_FLAG.sub(r"\1 ", for_viewers(str(exc), data_dir))[:300].rstrip(".")
        why = f"Reason: {md(reason)}."
    elif isinstance(exc, MemoryError):
        why = "Reason: the server ran out of memory while building it."
    else:
        why = "Reason: an unexpected error while building it (not a problem with your choices)."
    return FAILED.format(why=why, when=when)


def button(ctx, area: str, key: str, scenarios: dict[str, str] | None = None) -> None:
    """The board pack for `area` in the sidebar's context; `scenarios`: {name: scenario JSON} compared."""
    if area not in ctx.area_names:  # e.g. a what-if scenario for England: a pack is one system's
        st.caption("Board pack: choose a system (not England) to download its board pack.")
        return
    items = tuple((scenarios or {}).items())
    args = (str(ctx.data_dir), ctx.level, ctx.period, tuple(ctx.periods), auth.disclosure_on(), area, items)
    _pack(args, key, f"board_pack_{area}_{ctx.period}.pdf")


@st.fragment
def _pack(args: tuple, key: str, file_name: str) -> None:
    """Build on click (only this fragment reruns), then offer the bytes; a failure is a message on the page."""
    items = args[-1]
    what = f"the {len(items)} scenario{'s' if len(items) != 1 else ''} compared, " if items else ""
    built_key = f"{key}_built"
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    if row.button(LABEL, key=key, icon=":material/picture_as_pdf:", help=HELP.format(scenarios=what),
                  width="content"):
        st.session_state.pop(built_key, None)
        with st.spinner("Building the board pack (a few seconds)..."):
            try:
                st.session_state[built_key] = (args, build(*args))
            except Exception as exc:  # any failure: a message on the page, the traceback in the server log only
                from datetime import UTC, datetime
                when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
                LOG.exception("board pack %s failed (%s UTC)", file_name, when)
                st.error(failure_text(exc, args[0], when), icon=":material/error:")
    built = st.session_state.get(built_key)
    if built and built[0] == args:  # a pack for another system, month or comparison is not offered
        row.download_button(SAVE_LABEL, built[1], file_name=file_name, mime="application/pdf",
                            key=f"{key}_save", icon=":material/download:", on_click="ignore", width="content")
        row.caption(f"Ready: {file_name} ({len(built[1]) // 1024:,} KB)")
