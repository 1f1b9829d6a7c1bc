"""The "Board pack (PDF)" download on the System profile and the what-if page (issue 26).

The button carries only what identifies the pack (data directory, geography key, month, disclosure setting, system,
the scenarios compared); the PDF is built by lib.report when the button is clicked (Streamlit runs the callable
then, outside the script run: it reads no session state), so the pages pay nothing for it on a rerun. The figures
come from the same chain as ui.data._metrics (lib.report.pack.load_metrics: store metrics, vacancy coverage,
disclosure control), so the paper shows what the page shows.
"""
from __future__ import annotations

import streamlit as st

from lib.report import pack as rp
from lib.report import render
from ui import auth

LABEL = "Board pack (PDF)"
HELP = ("The system's workforce report for a board or people committee, as an A4 PDF: headline figures, staff in "
        "post and its bridge, leavers and joiners with their SPC reading, vacancies, role mix, sickness absence, the "
        "organisations, {scenarios}definitions and methods. Built when you click (a few seconds).")


def build(data_dir: str, key: str, period: str, periods: tuple[str, ...], sdc: bool, area: str,
          scenarios: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The pack's PDF bytes (no Streamlit: this runs when the button is clicked, outside the script run)."""
    from lib.whatif.scenario import Scenario
    store = rp.store_for(data_dir, key, period, list(periods), sdc)
    return render.board_pack_pdf(rp.build_pack(store, area, [(n, Scenario.from_json(js)) for n, js in scenarios]))


def button(ctx, area: str, key: str, scenarios: dict[str, str] | None = None) -> None:
    """The download button for `area` in the sidebar's context; `scenarios`: {name: scenario JSON} compared."""
    if area not in ctx.area_names:  # e.g. a what-if scenario for England: a pack is one system's
        st.caption("Board pack: choose a system (not England) to download its board pack.")
        return
    items = tuple((scenarios or {}).items())
    args = (str(ctx.data_dir), ctx.level, ctx.period, tuple(ctx.periods), auth.disclosure_on(), area, items)
    what = f"the {len(items)} scenario{'s' if len(items) != 1 else ''} compared, " if items else ""
    st.download_button(LABEL, lambda: build(*args), file_name=f"board_pack_{area}_{ctx.period}.pdf",
                       mime="application/pdf", key=key, icon=":material/picture_as_pdf:", on_click="ignore",
                       help=HELP.format(scenarios=what), width="content")
