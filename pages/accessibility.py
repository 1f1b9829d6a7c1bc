"""Accessibility statement: what meets WCAG 2.2 AA, what does not yet, and how to report a problem."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import auth

st.title("Accessibility statement")
st.markdown(
    "This dashboard aims to meet the **Web Content Accessibility Guidelines (WCAG) 2.2 at level AA** as far as the "
    "Streamlit framework it is built on allows. This statement lists what has been checked, what is met, and what "
    "is not met yet. Last reviewed: November 2026, by the product team, with keyboard use in Chromium and screens "
    "of 1366x768, 1440x900 and 1920x1080. It has not yet been tested with a screen reader or at 200% zoom.")

MET = [
    ("Keyboard", "2.1.1 Keyboard",
     "Every control can be reached and used with the keyboard: menus, choosers, sliders (arrow keys), buttons, "
     "tabs and downloads. The map cannot take keyboard focus, so a 'Choose a system' list beside it does the same "
     "job as a click on the map."),
    ("Visible focus", "2.4.7 Focus visible; 2.4.11 Focus not obscured",
     "A yellow ring with a dark edge marks the control that has focus. A focused menu link shows the ring only; "
     "the current page is shown in bold, so focus is not mistaken for the current page."),
    ("Charts described in words", "1.1.1 Non-text content",
     "The what-if charts (gap, scenario comparison, range of the gap), the map's colour key, and the main charts on "
     "Vacancies (vacancy rate), Turnover (leaver and joiner rates), Role mix (share of FTE by staff group, and the "
     "followed group over time), System profile (trends) and Signal or noise (funnel plot) have a sentence "
     "stating their key figures against England, shown as a caption and given to the chart as its description. "
     "Every figure in a chart is also in a table or a download."),
    ("One number style in tables", "1.3.1 Info and relationships (good practice)",
     "Tables on Vacancies, Turnover and Role mix show rates with 2 decimals (0.90%, never 0.9%), FTE with 1 "
     "decimal and thousands separators, and headcounts as whole numbers. Long system names are shown in full on "
     "the map's ranking."),
    ("Colour is not the only cue", "1.4.1 Use of colour",
     "England, region and the chosen system have one colour and one line style everywhere (England dark grey "
     "dotted, region teal dashed, system dark blue solid). Compared scenarios differ by marker shape as well as "
     "colour. Figures that moved against the baseline say so in words ('-120 FTE vs baseline')."),
    ("Contrast", "1.4.3 Contrast (minimum); 1.4.11 Non-text contrast",
     "Body text is NHS dark grey (#212B32, 14.4:1 on white). Chart lines for England, region and system: dark "
     "grey 10.9:1, teal 3.2:1, dark blue 10.3:1; scenario colours 3.0:1 to 10.3:1 (all at least 3:1 on white). "
     "Map labels switch to white on the darkest fills."),
    ("Large text for a room", "1.4.4 Resize text (good practice)",
     "Workshop mode on the what-if page uses chart text of at least 16 px and large headline figures."),
    ("Plain language", "3.1 Readable (good practice)",
     "Labels use the words NHS leaders use; formulas and code names appear only in the command line."),
    ("Exports that stand alone", "1.3.1 Info and relationships (good practice)",
     "Chart pictures carry title, system, period, source and the synthetic label; CSV and Excel files carry the "
     "same notes, with rates as fractions in a column that says so."),
]
NOT_MET = [
    ("Secondary charts on the leader pages", "1.1.1 Non-text content",
     "The SPC charts, the flows chart on Turnover, the expected-mix chart, the small multiples and the heat map "
     "on Role mix, and the profile's role-mix chart are described by their title and the table beside them, not "
     "yet by a sentence of key figures."),
    ("Wide tables at 1440 px", "1.4.10 Reflow",
     "The Turnover table of every system has 13 columns and scrolls sideways at 1440 px; the system name stays "
     "pinned on the left while it scrolls. Every column is also in the CSV and Excel downloads."),
    ("200% zoom and screen readers", "1.4.10 Reflow; 4.1.2 Name, role, value",
     "Not yet tested at 200% zoom or with NVDA / JAWS / VoiceOver."),
    ("Map picture", "1.1.1 Non-text content",
     "The map is a WebGL canvas: a screen reader hears only its summary. The ranked bar chart and the map data "
     "table beside it carry every figure."),
    ("Chart tooltips", "1.4.13 Content on hover or focus",
     "Chart tooltips appear on mouse hover only, not on keyboard focus (Streamlit's chart component). The same "
     "figures are in the tables and downloads."),
    ("Headings inside chart pictures", "1.3.1 Info and relationships",
     "Chart titles are drawn inside the picture, not as page headings; captions carry the key figures."),
    ("Live slider announcements", "4.1.3 Status messages",
     "When a lever moves, the new results are not announced to a screen reader automatically; the headline "
     "figures sit next to the levers and can be read on demand."),
    ("Time-outs", "2.2.1 Timing adjustable",
     "Sign-in sessions follow the organisation's identity provider; the dashboard itself has no time limit."),
]
st.subheader("What is met")
st.table(pd.DataFrame(MET, columns=["Area", "WCAG 2.2 criterion", "How"]).set_index("Area"))
st.subheader("What is not met yet")
st.table(pd.DataFrame(NOT_MET, columns=["Area", "WCAG 2.2 criterion", "What happens, and the alternative"])
         .set_index("Area"))
st.subheader("Reporting a problem")
who = auth.contact()
if who:
    st.link_button(f"Report an accessibility problem ({who[0]})", who[1], icon=":material/mail:")
else:
    st.markdown("Tell your organisation's workforce intelligence team, who run this dashboard.")
