"""Accessibility statement: what meets WCAG 2.2 AA, what does not yet, and how to report a problem."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.accessibility import statement
from lib.accessibility.contrast import contrast_ratio
from ui import a11y, auth, charts

st.title("Accessibility statement")
try:
    RESULTS = statement.load()
except ValueError as exc:  # a damaged results file: say so, keep the rest of the statement
    st.error(f"The measured results cannot be shown: {exc}")
    RESULTS = {"measured_on": "1970-01-01", "axe_version": "?", "runs": [], "tab_stops": []}
S = statement.summary(RESULTS)
WHITE, SIDEBAR = "#FFFFFF", "#F0F4F5"


def ratio(fg: str, bg: str = WHITE) -> str:
    return f"{contrast_ratio(fg, bg):.1f}:1"


AXE = (f"axe-core {S['axe_version']} (the engine behind most accessibility checkers), WCAG 2.0, 2.1 and 2.2 A and "
       f"AA rules, run on {S['runs']} page views on {S['date']}: all {S['pages']} pages and {S['states']} states "
       f"people use, on the demo data ({S['demo_runs']}) and on the real published files ({S['real_runs']})")
st.markdown(
    "This dashboard aims to meet the **Web Content Accessibility Guidelines (WCAG) 2.2 at level AA** as far as the "
    "Streamlit framework it is built on allows. It does **not fully meet** them yet: this statement lists what is "
    "met, what is not, and how each was checked. Last reviewed: 7 December 2026, by the product team. "
    f"Last measured: {S['date']}.")
st.markdown(
    f"**Automated check:** {AXE}, 1440 px wide with the whole page on screen: **{S['violations']} failures**. "
    "The figures on this page come from the results file that test writes; the test fails if they differ.")
st.markdown(
    "**No person has yet tested the dashboard with a screen reader (NVDA, JAWS, VoiceOver or TalkBack), at 200% or "
    "400% browser zoom, with speech input or in a forced-colours (high contrast) mode.** The checks so far are "
    "automated tests and keyboard use by the team in Chromium; they are listed under *How this was checked*.")

MET = [
    ("Keyboard", "2.1.1 Keyboard",
     "Every control can be reached and used with the keyboard: menus, choosers, sliders (arrow keys), buttons, "
     "tabs and downloads. The map cannot take keyboard focus, so a 'Choose a system' list beside it does the same "
     "job as a click on the map.", "Keyboard walk (automated Tab walk on every page); the team, in Chromium"),
    ("Skip to the page's choosers", "2.4.1 Bypass blocks",
     "The first Tab stop on every page is 'Skip to main content'; from it each page's first chooser is "
     f"{min((t[3] for t in statement.tab_rows(RESULTS)), default=0)} to "
     f"{max((t[3] for t in statement.tab_rows(RESULTS)), default=0)} Tab stops away, instead of "
     f"{min((t[2] for t in statement.tab_rows(RESULTS)), default=0)} to "
     f"{max((t[2] for t in statement.tab_rows(RESULTS)), default=0)} through the menu and the sidebar "
     "(table below). A collapsed sidebar takes no focus.", "Keyboard walk (automated)"),
    ("Visible focus", "2.4.7 Focus visible; 2.4.11 Focus not obscured",
     "A yellow ring with a dark edge marks the control that has focus (11.8:1 between the two), drawn in full "
     "around select boxes, text and number boxes (on the box, not the text inside it) and around the label of "
     "radio buttons, checkboxes and toggles. A focused menu link shows the ring only; the current page is shown "
     "in bold, so focus is not mistaken for the current page.",
     "Keyboard walk (automated: the ring's colour on the first chooser of each page and on a menu link); "
     "screenshots of each kind of chooser with focus, read by the team"),
    ("Target size", "2.5.8 Target size (minimum)",
     "Controls are at least 24 by 24 px or spaced as the criterion allows. The workshop's lever chooser uses "
     "buttons (it was a list whose remove crosses were 15 by 7 px).", f"axe run ({S['runs']} page views)"),
    ("Names, roles and values", "4.1.2 Name, role, value; 1.3.1 Info and relationships",
     "Every control, image and chart has a name and role axe-core can read (a geography-change mark in the "
     "role-mix small multiples had none; it now says what it marks).",
     f"axe run ({S['runs']} page views); not yet tried with a screen reader (below)"),
    ("Charts described in words", "1.1.1 Non-text content",
     "These charts carry a sentence stating their key figures, shown as a caption under the chart; the chart's "
     "own description (what a screen reader announces instead of 'Vega visualization') says that its key figures "
     "are in that caption (a fixed wording, so a new selection updates the drawn chart instead of redrawing it): "
     "the what-if "
     "charts (gap, scenario comparison, range of the gap); the map's colour key; Vacancies (vacancy rate); "
     "Turnover (leaver and joiner rates; leavers, joiners and net change); Role mix (share of FTE by staff group, "
     "more or fewer than expected for its size, the followed group over time, every staff group over time, every "
     "system against England); System profile (trends, role mix); Signal or noise (funnel plot); the map's ranked "
     "bar chart (highest, lowest, England, the chosen system's rank); Inside a system (organisations ranked, the "
     "organisation's leaver and joiner rates over time, its peers' funnel plot); Sickness absence (systems ranked, "
     "funnel plot, trend, SPC chart); the 'Why staff in post moved' waterfalls on System profile and Inside a "
     "system (start, leavers, joiners, other changes, end) and the what-if studio's 'Why it differs' waterfall "
     "(baseline, each lever, scenario). Every other SPC chart (Signal or noise, System profile, Inside a system, "
     "and the 'Signal or noise?' sections of Vacancies, Turnover and Role mix) states the latest value, the "
     "average (centre line), the process limits and any signal in its description, and the same figures are "
     "written under it. Every figure in a chart is also in a table or a download.",
     "Automated (AppTest: each sentence and its figures checked against sums worked out separately)"),
    ("Tables fit a 1440 px screen", "1.4.10 Reflow (good practice at full size)",
     "The Turnover table of every system shows every system name whole and every column at 1440x900 (ICB "
     "boundaries of 2022 and 2026), without a sideways scroll; so do the tables on Headlines and the what-if studio.",
     "Automated (Chromium, measured in the table's own font); screenshots read by the team"),
    ("One number style in tables", "1.3.1 Info and relationships (good practice)",
     "Tables on Vacancies, Turnover and Role mix show rates with 2 decimals (0.90%, never 0.9%), FTE with 1 "
     "decimal and thousands separators, and headcounts as whole numbers. Long system names are shown in full on "
     "the map's ranking.", "Automated (AppTest)"),
    ("Colour is not the only cue", "1.4.1 Use of colour",
     "England, region and the chosen system have one colour and one line style everywhere (England dark grey "
     "dotted, region teal dashed, system dark blue solid). Compared scenarios differ by marker shape as well as "
     "colour. Figures that moved against the baseline say so in words ('-120 FTE vs baseline').",
     "Automated (source check: England has one colour on every page); the team"),
    ("Contrast", "1.4.3 Contrast (minimum); 1.4.11 Non-text contrast",
     "Body text is NHS dark grey (#212B32, 14.4:1 on white). Captions (every chart's key-figure sentence, sources, "
     f"the sidebar's data notes) are NHS secondary grey ({a11y.CAPTION_COLOUR}, {ratio(a11y.CAPTION_COLOUR)} on "
     f"white, {ratio(a11y.CAPTION_COLOUR, SIDEBAR)} on the sidebar; Streamlit's faded captions were 4.0:1 and "
     f"3.9:1). Inline code {ratio(a11y.CODE_TEXT, a11y.CODE_BACKGROUND)}. Chart axis, legend and subtitle text "
     f"{charts.CHART_TEXT_SECONDARY} ({ratio(charts.CHART_TEXT_SECONDARY)}; the framework's grey was "
     f"{ratio('#808495')}), chart titles {ratio(charts.CHART_TEXT)}. Map labels are black on the three lighter "
     "fills and white on the two darkest, at least 5.5:1 on each. Chart lines for England, region and system: dark "
     "grey 10.9:1, teal 3.2:1, dark blue 10.2:1; baseline and scenario 3.8:1 and 6.4:1 (all at least 3:1 on "
     "white).",
     f"axe run ({S['runs']} page views: no text below 4.5:1 outside the charts); computed ratio (WCAG formula) for "
     "every text colour of every chart the pages draw, read from the chart specifications, and for the theme"),
    ("Large text for a room", "1.4.4 Resize text (good practice)",
     "Workshop mode on the what-if page uses chart text of at least 16 px and large headline figures.",
     "Automated (AppTest: chart font sizes in workshop mode)"),
    ("Plain language", "3.1 Readable (good practice)",
     "Labels use the words NHS leaders use; formulas and code names appear only in the command line.",
     "Automated (AppTest: no jargon on the what-if page); the team"),
    ("Exports that stand alone", "1.3.1 Info and relationships (good practice)",
     "Chart pictures carry title, system, period, source and the synthetic label; CSV and Excel files carry the "
     "same notes, with rates as fractions in a column that says so.", "Automated (exports read back)"),
]
NOT_MET = [
    ("Screen readers, zoom and high contrast: not tested by a person", "4.1.2 Name, role, value; 1.4.4 Resize "
     "text; 1.4.10 Reflow",
     "Not yet tried by anyone with NVDA, JAWS, VoiceOver or TalkBack, at 200% or 400% browser zoom, or in a "
     "forced-colours mode. An automated stand-in for 200% zoom passes (below); whether the descriptions read well "
     "aloud, and in what order, is not known."),
    ("Reflow at 400% (320 px wide)", "1.4.10 Reflow",
     "Not checked. At 200% (720 px wide) no page's main content runs past the window's right edge on the seven "
     "pages checked; tables then scroll sideways inside themselves (allowed for data tables) and some long staff "
     "group names are cut in them: the CSV and Excel downloads carry them whole."),
    ("Wide tables on smaller screens and the STP areas", "1.4.10 Reflow",
     "At 1366 px wide the Turnover table of every system scrolls sideways by about 50 px, and with STP names "
     "(up to 67 characters) by about 80 px at 1440 px; the system name stays pinned on the left while it scrolls. "
     "Tables on other pages are not yet checked at 1440 px. Every column is also in the CSV and Excel downloads."),
    ("Map picture", "1.1.1 Non-text content",
     "The default map (a hex cartogram) is an SVG chart: each hexagon carries the system's name, region and value "
     "for assistive technology and the caption under it states the key figures, but nobody has yet listened to it "
     "with a screen reader, and the hexagons cannot take keyboard focus (the 'Choose a system' list does that job). "
     "The boundary map (when boundaries are loaded) and the Sickness absence map are WebGL canvases: a screen "
     "reader hears only their summary. The ranked bar chart and the map data table carry every figure; the "
     "Sickness absence map has a short text alternative only (what it colours); the ranked bar chart beside it "
     "states the highest, lowest, England and the chosen system in its caption."),
    ("Contrast of text inside charts, as the browser draws it", "1.4.3 Contrast (minimum)",
     "axe-core cannot find the background of text drawn inside a chart picture, so chart text is checked from the "
     "colours the chart specifications state, not from the drawn picture; text drawn over a bar or line "
     "(rare: value labels beside bars) is not checked against that mark."),
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
CHECKS = [
    ("Chart descriptions",
     "Automated (AppTest): each sentence is on the page under its chart (and is the description of each SPC "
     "chart), its figures checked "
     "against sums worked out separately from the synthetic demo data and from NHS Digital's published Oct-25 and "
     "Nov-25 Turnover benchmarking files and Mar-25 sickness absence file (tests/test_descriptions_inside.py for "
     "Inside a system, Sickness absence, the bridges and the map's ranking)."),
    ("axe-core", f"{AXE}. Every page opened from its link, plus: the what-if studio in workshop mode (with its "
     "lever chooser open, and the compare view holding a scenario), Turnover with a Download chart and a "
     "Definitions popover open, Inside a system with an organisation chosen, Sickness absence with a system chosen, "
     "and every page on the 2026 ICB boundaries. Results per page below; what axe could not decide is listed with what "
     "was checked instead."),
    ("Keyboard and focus",
     "Automated (Chromium): a Tab walk from the top of every page to its first chooser, straight and through the "
     "skip link (table below); the focus ring is drawn on a menu link moved to by Tab and the current page is bold. "
     "By the team: keyboard use in Chromium while building the pages, screenshots of each kind of chooser with "
     "focus; not a structured page-by-page audit."),
    ("Tables at 1440x900",
     "Automated (Chromium): every system name and column heading of the Turnover table measured in the table's "
     "own font against its column; no sideways scroll; tables on Headlines and the what-if studio do not scroll "
     "sideways. Screenshots read by the team."),
    ("200% zoom (stand-in)",
     "Automated (Chromium): a 720x450 window at twice the pixel density, as a 1440x900 screen at 200% zoom, on "
     "Headlines, Turnover, Role mix, System profile, Vacancies, this page and the what-if studio: nothing in the "
     "main content runs past the right edge. Screenshots read by the team. Not a person at 200% zoom."),
    ("Contrast",
     "axe-core on every page view (all text outside chart pictures); worked out from the colour values with the "
     "WCAG formula for every text colour of every chart on every page, the captions, inline code, map labels on "
     "each fill and the focus ring (tests/test_a11y_contrast.py)."),
    ("Screen readers", "None yet."),
]
st.subheader("What is met")
st.table(pd.DataFrame(MET, columns=["Area", "WCAG 2.2 criterion", "How", "How it was checked"]).set_index("Area"))
st.subheader("What is not met yet")
st.table(pd.DataFrame(NOT_MET, columns=["Area", "WCAG 2.2 criterion", "What happens, and the alternative"])
         .set_index("Area"))
st.subheader("How this was checked")
st.table(pd.DataFrame(CHECKS, columns=["Check", "What was done"]).set_index("Check"))
st.subheader(f"axe-core results, {S['date']}")
st.caption(f"{S['violations']} failures in {S['runs']} page views. 'Needs review' counts elements axe could not "
           "decide on; text inside chart pictures is one such kind (axe cannot find its background), so axe's "
           "contrast rule leaves it out. What was checked instead is in the next table.")
st.table(pd.DataFrame([(r["page"], r["state"], "Demo data" if r["store"] == "demo" else "Real published files",
                        sum(r["violations"].values()),
                        ", ".join(f"{k} ({v})" for k, v in r["incomplete"].items()) or "none",
                        "yes" if r.get("chart_text") else "no")
                       for r in RESULTS["runs"]],
                      columns=["Page", "State", "Data", "Failures", "Needs review (elements)",
                               "Text in charts (checked from the chart colours)"]))
st.subheader("What axe could not decide, and what was checked instead")
REVIEW = statement.needs_review(RESULTS)
if REVIEW:
    st.table(pd.DataFrame(REVIEW, columns=["axe rule", "Page views", "Elements", "What was checked"])
             .set_index("axe rule"))
else:
    st.markdown("Nothing: axe-core decided every check it ran.")
st.subheader("Tab stops to each page's first chooser")
st.table(pd.DataFrame(statement.tab_rows(RESULTS),
                      columns=["Page", "First chooser", "Tab stops from the top", "Through the skip link"])
         .set_index("Page"))
st.subheader("Reporting a problem")
who = auth.contact()
if who:
    st.link_button(f"Report an accessibility problem ({who[0]})", who[1], icon=":material/mail:")
else:
    st.markdown("Tell your organisation's workforce intelligence team, who run this dashboard.")
