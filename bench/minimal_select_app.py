"""Minimal Streamlit page with a selectbox (one control, one metric): the select baseline of bench/bench_pages.py."""
import streamlit as st

GROUPS = ["All staff groups", "Midwives", "Nurses & health visitors", "HCHS Doctors", "Managers"]
group = st.selectbox("Staff group", GROUPS)
st.metric("Chosen staff group", group)
