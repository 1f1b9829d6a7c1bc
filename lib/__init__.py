"""Functional core of the NHS workforce dashboard: no streamlit imports here."""
