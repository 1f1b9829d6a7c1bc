"""NHS workforce insight: entry point. Shared sidebar here; page scripts in views/, registered (if present) only
after the sign-in gate. Not in pages/: Streamlit lists a pages/ folder to every session before app.py runs."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="NHS workforce insight", page_icon=":material/groups:", layout="wide")
from ui import auth  # noqa: E402
auth.gate()  # sign-in + allow-list only when secrets configure [auth]; nothing for a local run

HERE = Path(__file__).parent
# (file, title, icon, url path) in menu order; pages from later work are listed once their file exists.
PAGES = [
    ("views/home.py", "Headlines", ":material/dashboard:", "home"),
    ("views/map.py", "Map", ":material/map:", "map"),
    ("views/vacancy.py", "Vacancies", ":material/work_off:", "vacancy"),
    ("views/turnover.py", "Turnover", ":material/sync_alt:", "turnover"),
    ("views/role_mix.py", "Role mix", ":material/donut_small:", "role_mix"),
    ("views/profile.py", "System profile", ":material/account_box:", "profile"),
    ("views/pcn_roles.py", "Primary care new roles", ":material/diversity_3:", "pcn_roles"),
    ("views/organisations.py", "Inside a system", ":material/domain:", "organisations"),
    ("views/sickness.py", "Sickness absence", ":material/sick:", "sickness"),
    ("views/statistics.py", "Signal or noise", ":material/monitoring:", "statistics"),
    ("views/what_if.py", "What-if studio", ":material/tune:", "what_if"),
    ("views/data.py", "Data and definitions", ":material/database:", "data"),
    ("views/accessibility.py", "Accessibility", ":material/accessibility:", "accessibility"),
]

pages = [st.Page(str(HERE / f), title=t, icon=i, url_path=u, default=(u == "home"))
         for f, t, i, u in PAGES if (HERE / f).exists()]
# expanded=True: with 13 pages Streamlit folds the menu after 10 ('View 3 more') and hides What-if studio, Data
# and definitions and Accessibility from leaders.
nav = st.navigation(pages, expanded=True)

from ui import a11y, shell  # noqa: E402  (after set_page_config)

a11y.focus_styles()  # visible keyboard focus on every control (static CSS)

st.session_state["ctx"] = shell.sidebar()
auth.banner(st.session_state["ctx"])  # "data as at", disclosure note, contact link
st.sidebar.caption("NHS workforce insight - definitions from NHS Digital; see Data and definitions.")
nav.run()
