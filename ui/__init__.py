"""Streamlit helpers shared by app.py and views/: cached data access, URL state, sidebar, downloads.

The page scripts live in views/, not pages/: Streamlit treats a folder named pages/ beside the main script as a
legacy multipage app, lists its files to every new session before app.py runs (so page names reached visitors
before the sign-in gate) and can run a page file named in the URL without app.py. With no pages/ folder the only
pages a session learns of are the ones app.py registers with st.navigation after ui.auth.gate()
(tests/security/test_server_probes.py checks the first messages of fresh sessions, and that no pages/ folder
came back).
"""
