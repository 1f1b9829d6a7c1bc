"""Minimal Streamlit page (one slider, one metric): the baseline for bench/bench_pages_map.py."""
import streamlit as st

n = st.slider("Value", 0, 100, 50, key="value")
st.metric("Value squared", f"{n * n:,}")
