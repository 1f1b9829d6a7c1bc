"""Streamlit helpers shared by app.py and pages/: cached data access, URL state, sidebar, downloads."""
