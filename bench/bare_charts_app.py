"""Bare page drawing the Turnover page's three chart specs (leaver and joiner rate trends, flows) for a chosen staff
group, and nothing else: the chart baseline of bench/bench_pages.py (what the charts alone cost the browser).

The specs come from the same builders (ui.trend_charts) over the same demo figures, computed once at start and
cached per staff group like the page's own view; `?charts=1` draws the leaver-rate chart alone."""
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


def draw(chart, key: str) -> None:  # as the Turnover page draws a chart (same spec and config), with no downloads
    trend_charts.show(chart, key, key, downloads=False)


@st.cache_data(show_spinner=False)
def specs(group: str, charts: int) -> list:
    # cached per group, rows frozen to Arrow once, as the Turnover page's own view is (ui.trend_charts.frozen): the
    # server side of a change is then a cache hit on both pages (issue 25: uncached, this page cost 65-80 ms of
    # server CPU a change against Turnover's 20-25 ms, so it was no "charts only" baseline)
    m, area, period = figures()
    out = []
    for kind in ("leaver", "joiner")[:charts]:
        series = trends.trend(m, LEVEL, area, group, [f"{kind}_rate"], {f"{kind}_rate": kind})
        out.append((f"{kind}_trend", trend_charts.trend_chart(series, f"{kind} rate", selected=period, height=240)))
    if charts == 3:
        out.append(("flows", trend_charts.flows_chart(trends.flows(m, area, group), "FTE", selected=period)))
    return [(k, trend_charts.frozen(c) if isinstance(c, dict) else c) for k, c in out]


# ?charts=1: the leaver-rate chart alone (what one chart costs); default all three
CHARTS = 1 if st.query_params.get("charts") == "1" else 3
group = st.selectbox("Staff group", [ALL_STAFF, "Midwives", "Nurses & health visitors"])
for key, chart in specs(group, CHARTS):
    draw(chart, key)
