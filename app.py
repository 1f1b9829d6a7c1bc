"""NHS workforce insight: entry point. Shared sidebar here; pages in pages/ (registered if present)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="NHS workforce insight", page_icon=":material/groups:", layout="wide")
from ui import auth  # noqa: E402
auth.gate()  # sign-in + allow-list only when secrets configure [auth]; nothing for a local run

HERE = Path(__file__).parent
# (file, title, icon, url path) in menu order; pages from later work are listed once their file exists.
PAGES = [
    ("pages/home.py", "Headlines", ":material/dashboard:", "home"),
    ("pages/map.py", "Map", ":material/map:", "map"),
    ("pages/vacancy.py", "Vacancies", ":material/work_off:", "vacancy"),
    ("pages/turnover.py", "Turnover", ":material/sync_alt:", "turnover"),
    ("pages/role_mix.py", "Role mix", ":material/donut_small:", "role_mix"),
    ("pages/profile.py", "System profile", ":material/account_box:", "profile"),
    ("pages/pcn_roles.py", "Primary care new roles", ":material/diversity_3:", "pcn_roles"),
    ("pages/organisations.py", "Inside a system", ":material/domain:", "organisations"),
    ("pages/sickness.py", "Sickness absence", ":material/sick:", "sickness"),
    ("pages/statistics.py", "Signal or noise", ":material/monitoring:", "statistics"),
    ("pages/what_if.py", "What-if studio", ":material/tune:", "what_if"),
    ("pages/data.py", "Data and definitions", ":material/database:", "data"),
    ("pages/accessibility.py", "Accessibility", ":material/accessibility:", "accessibility"),
]

pages = [st.Page(str(HERE / f), title=t, icon=i, url_path=u, default=(u == "home"))
         for f, t, i, u in PAGES if (HERE / f).exists()]
nav = st.navigation(pages)

from ui import a11y, shell  # noqa: E402  (after set_page_config)

a11y.focus_styles()  # visible keyboard focus on every control (static CSS)

st.session_state["ctx"] = shell.sidebar()
auth.banner(st.session_state["ctx"])  # "data as at", disclosure note, contact link
st.sidebar.caption("NHS workforce insight - definitions from NHS Digital; see Data and definitions.")
nav.run()
