"""Bare page drawing the System profile's five chart specs (trends grid, leaver and vacancy SPC, staff-in-post
bridge, role mix) for a chosen staff group, and nothing else: the chart floor of the profile in
bench/bench_pages.py (`--bare-app bench/bare_profile_app.py`): what those charts alone cost the browser.

The specs and rows come from the page's own builders (ui.profile_view) over the demo figures; each staff group's
are computed once, so a change costs only sending and drawing."""
import streamlit as st

from lib.data import loader
from lib.data.schema import ALL_STAFF, month_add
from lib.insight import axes, map_data as im
from lib.insight.metrics import area_metrics
from ui import inside, profile_view, trend_charts

LEVEL, AREA = "ICS", "QKK"


@st.cache_resource
def figures():
    frame = loader.load_area_frame(loader.DEMO_DATA_DIR, LEVEL)
    m = area_metrics(frame, by_staff_group=True, include_england=True, include_regions=True)
    return m, sorted(m["period"].unique())


@st.cache_resource
def specs(group: str) -> list[dict]:
    m, periods = figures()
    period = periods[-1]
    tr = im.trends(m, AREA, group)
    cols = tuple(c for c, label in im.TREND_MEASURES if tr.loc[tr["measure"] == label, "value"].notna().any())
    out = [{**profile_view.trends_spec(cols, axes.month_ticks(periods)),
            "datasets": {"trends": profile_view.trends_rows(tr)}}]
    out += [p["spec"] for k in profile_view.SPC_MEASURES
            if "spec" in (p := profile_view.spc_parts(m, AREA, "South East London", group, k, period))]
    b = inside.bridge(loader.DEMO_DATA_DIR, LEVEL, AREA, month_add(period, -1), period, group)
    out.append({**profile_view.bridge_spec("FTE"), "datasets": {"bridge": profile_view.bridge_rows(b.table)}})
    out.append({**profile_view.mix_spec(), "datasets": {"mix": profile_view.mix_rows(im.role_mix(m, AREA, period),
                                                                                   "South East London")}})
    return [trend_charts.frozen(s) for s in out]


group = st.selectbox("Staff group", [ALL_STAFF, "Midwives", "Nurses & health visitors"])
for i, spec in enumerate(specs(group)):
    st.vega_lite_chart({**spec}, key=f"chart_{i}", width="content" if i == 0 else "stretch")
