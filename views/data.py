"""Data sources, definitions and the vacancy template."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.insight import exports
from lib.insight.choices import CHOICES
from lib.insight.glossary import GLOSSARY
from lib.insight.metrics import DEFINITIONS
from lib.data.schema import STAFF_GROUP_ORDER
from ui import pcn_view, shell, state

ctx = st.session_state.get("ctx")
st.title("Data and definitions")
state.show_url_notices()
if ctx is not None:
    shell.synthetic_marker(ctx)
    st.subheader("What is loaded")
    st.write(f"Source: **{ctx.source_label}**")
    rows = [{"level": lv, "first period": v["first"], "last period": v["last"], "periods": v["count"]}
            for lv, v in ctx.provenance.get("levels", {}).items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if ctx.provenance.get("description"):
        st.caption(ctx.provenance["description"])

st.subheader("Definitions (NHS Digital)")
# measures in users' words (code names only in the command line); st.table wraps the text, so nothing is cut off
MEASURE_WORDS = {"leaver_rate": "Leaver rate", "joiner_rate": "Joiner rate", "vacancy_rate": "Vacancy rate",
                 "fte_share": "Share of FTE (role mix)", "fte": "FTE (full-time equivalent)", "headcount": "Headcount",
                 "fte_growth": "Growth in FTE", "fte_per_100k": "FTE per 100,000 population"}
st.table(pd.DataFrame({"Measure": [MEASURE_WORDS.get(k, k.replace("_", " ").capitalize()) for k in DEFINITIONS],
                       "Definition": list(DEFINITIONS.values())}).set_index("Measure"))

st.subheader("Words on these pages, and the technical terms behind them")
st.table(pd.DataFrame(GLOSSARY, columns=["On the pages", "Technical term", "What it means"]).set_index("On the pages"))

st.subheader("Choices made, and why")
for title, text in CHOICES:
    st.markdown(f"**{title}.** {text}")

st.subheader("Vacancy template (Provider Workforce Return style)")
st.markdown(
    "Vacancies below region level are published only in the Provider Workforce Return, which is not public. "
    "Fill this template from your own extract and load it with `python -m lib ingest FILE --data-dir DIR`.\n\n"
    "- `period`: month, YYYY-MM\n- `level`: ICS or STP (optional, default ICS)\n"
    "- `area_code`: ICS/STP Q-code (or ONS E54 code or name)\n- `org_code`: organisation code (optional)\n"
    "- `staff_group`: an NHS Digital staff group (list below)\n- `vacancy_fte`: vacant posts, FTE (zero or more)\n"
    "- `establishment_fte`: funded establishment, FTE (optional)")
st.dataframe(exports.vacancy_template_frame(), hide_index=True)
st.download_button("Download vacancy template (CSV)", exports.vacancy_template_csv().encode("utf-8"),
                   file_name="vacancy_template.csv", mime="text/csv", icon=":material/download:", on_click="ignore")
st.caption("Staff groups: " + "; ".join(STAFF_GROUP_ORDER))

# ---- primary care networks' new roles and the what-if levers they evidence (ui/pcn_view.py)
pcn_view.definitions()
