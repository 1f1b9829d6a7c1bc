"""Smallest Streamlit page with the same kind of control (a selectbox): the baseline for bench_pages_trends.py."""
import streamlit as st

st.title("Minimal page")
group = st.selectbox("Staff group", ["All staff groups", "Midwives", "Nurses & health visitors"])
st.write(f"Chosen: {group}")
