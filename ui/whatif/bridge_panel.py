"""The studio's "Why it differs" tab: the what-if bridge (lib.insight.bridge.whatif_bridge) for the followed staff
group and a chosen year: baseline FTE, each lever's contribution in order, scenario FTE, as a waterfall (the
profile page's drawing helper, ui.inside.waterfall_chart), a table, a sentence and downloads.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.insight import bridge as br
from lib.insight import chart_text
from lib.whatif import studio as w
from lib.whatif.scenario import Scenario, ScenarioError
from ui import inside, shell, trend_charts
from ui.whatif.session import SS, bridge_cached, live_key

LEGEND = {"total": "Staff in post (FTE)", "decrease": "Lever lowers FTE", "increase": "Lever raises FTE",
          "residual": "Other"}
ORDER_NOTE = ("Levers are added one at a time in this order (productivity, retention, recruitment, training places, "
              "new roles, upskilling) and each bar is what adding that lever changed. Levers interact, so a lever's "
              "bar depends on the levers added before it; the bars always sum exactly to the scenario.")


def plain_table(table: pd.DataFrame, scn: Scenario) -> pd.DataFrame:
    """The bridge with lever names in plain English (lib.whatif.studio.plain_bridge_table, as the board pack)."""
    return w.plain_bridge_table(table, scn)


def sentence(table: pd.DataFrame, group: str, year: int) -> str:
    base, scen = float(table["value"].iloc[0]), float(table["value"].iloc[-1])
    steps = table.iloc[1:-1]
    text = (f"{group}, year {year}: the baseline has {base:,.1f} FTE in post and the scenario {scen:,.1f} FTE "
            f"({scen - base:+,.1f} FTE).")
    if len(steps):
        big = steps.loc[steps["value"].abs().idxmax()]
        text += f" The largest contribution, {big['value']:+,.1f} FTE, is from {big['label']}."
    return text


def bridge_panel(ctx, scn: Scenario, res) -> None:
    group = SS.get("wi_focus", w.NURSES)
    if group not in set(res.column("summary", "staff_group")):
        st.info("Choose a staff group to follow above the results to see why its FTE differs from the baseline.")
        return
    years = list(range(1, scn.horizon + 1))
    if SS.get("wi_bridge_year") not in years:
        SS["wi_bridge_year"] = scn.horizon
    year = st.selectbox("Year", years, key="wi_bridge_year", format_func=lambda y: f"Year {y}", width=200,
                        help="The year whose FTE is explained (year 1 is the 12 months after the baseline month).")
    if not br._lever_steps(scn.levers):
        st.info("No lever is moved: the scenario is the baseline. Move a lever to see its contribution here.")
        return
    try:
        table = bridge_cached(*live_key(ctx), scn.to_json(None), group, year)
    except (br.BridgeError, ScenarioError) as exc:
        st.warning(f"Cannot build the bridge: {exc}")
        return
    table = plain_table(table, scn)
    st.markdown(f"**Why {inside.plain(group)} FTE in year {year} differs from the baseline**")
    st.markdown(inside.plain(sentence(table, group, year)))
    name = f"whatif_bridge_{scn.area}_year{year}"
    # axis labels: the followed group's name is the title's, so levers on it are named without it (not clipped)
    short = table.assign(label=table["label"].str.removesuffix(f": {group}"))
    chart = inside.waterfall_chart(short, "FTE", legend=LEGEND)
    trend_charts.show(chart, name, "wi_bridge_chart",
                      description=inside.plain(chart_text.whatif_bridge_description(table, group, year)))
    shown = table.rename(columns={"step": "Step", "label": "Lever", "value": "Change (FTE)",
                                  "cumulative": "Running total (FTE)"}).drop(columns="kind")
    st.dataframe(shown, hide_index=True, key="wi_bridge_table",
                 column_config={"Change (FTE)": st.column_config.NumberColumn(format="%+.1f"),
                                "Running total (FTE)": st.column_config.NumberColumn(format="%.1f")})
    st.caption(ORDER_NOTE)
    notes = [f"What-if bridge: {group}, FTE in year {year} of the scenario for {scn.area}.", ORDER_NOTE]
    shell.downloads(shown, name, "wi_bridge_dl", notes=notes)
