"""What-if studio: role expansion, upskilling, retention and recruitment levers, live projection."""
from __future__ import annotations

import streamlit as st

from ui import shell, state
from ui.whatif import page as view

ctx = st.session_state.get("ctx")
st.title("What-if studio")
state.show_url_notices()
if ctx is None:
    st.stop()
shell.synthetic_marker(ctx)
view.page(ctx)
