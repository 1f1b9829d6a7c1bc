"""Bare page drawing the Turnover page's three chart specs (leaver and joiner rate trends, flows) for a chosen staff
group, and nothing else: the chart baseline of bench/bench_pages.py (what the charts alone cost the browser).

The specs come from the same builders (ui.trend_charts) over the same demo figures, computed once at start."""
import streamlit as st

from lib.data import loader
from lib.insight import trends
from lib.insight.metrics import area_metrics
from lib.data.schema import ALL_STAFF
from ui import trend_charts

LEVEL = "ICS"


@st.cache_resource
def figures():
    frame = loader.load_area_frame(loader.DEMO_DATA_DIR, LEVEL)
    m = trends.with_rolling(area_metrics(frame, by_staff_group=True, include_england=True, include_regions=True))
    return m, trends.area_choices(LEVEL)[0], max(m["period"])


def draw(chart, key: str) -> None:  # a dict spec, or an Altair chart (older builders) as its stable dict
    st.vega_lite_chart(chart if isinstance(chart, dict) else trend_charts.stable_spec(chart), key=key, width="stretch")


m, area, period = figures()
group = st.selectbox("Staff group", [ALL_STAFF, "Midwives", "Nurses & health visitors"])
for kind in ("leaver", "joiner"):
    series = trends.trend(m, LEVEL, area, group, [f"{kind}_rate"], {f"{kind}_rate": kind})
    draw(trend_charts.trend_chart(series, f"{kind} rate", selected=period, height=240), f"{kind}_trend")
draw(trend_charts.flows_chart(trends.flows(m, area, group), "FTE", selected=period), "flows")
