"""Minimal Streamlit page for the slider-to-redraw baseline: one slider, one metric (bench only)."""
import streamlit as st

n = st.slider("Trainees a year", 0, 500, 0, 1)
st.metric("Extra cost", f"£{n * 36_000:,.0f}")
