"""What-if studio: role expansion, upskilling, retention and recruitment levers, live projection.
Workshop mode (switch on the page, or ?workshop=1) lays it out for a projector."""
from __future__ import annotations

import streamlit as st

from ui import a11y, shell, state
from ui.whatif import page as view
from ui.whatif.session import workshop_from_url, workshop_on

ctx = st.session_state.get("ctx")
workshop_from_url()
if workshop_on():
    st.set_page_config(initial_sidebar_state="collapsed")   # the room needs the width; the menu is one click away
    st.markdown("### What-if studio")      # a smaller heading: the levers and results fit above the fold
else:
    # a smaller heading and the projector's top padding here too: at 1366x768 the gap chart starts above the fold
    st.markdown("## What-if studio")
    a11y.compact_top()
state.show_url_notices()
if ctx is None:
    st.stop()
shell.synthetic_marker(ctx)
view.page(ctx)
