"""Accessibility helpers: a visible keyboard focus on every control (WCAG 2.2 AA 2.4.7 / 2.4.11), side margins
that let wide tables fit 1440 px, and the projector layout's spacing. Static CSS only: no data ever reaches these strings."""
from __future__ import annotations

import streamlit as st

# colours quoted by the accessibility statement (the CSS below and .streamlit/config.toml use the same values;
# tests/test_a11y_contrast.py checks they agree and computes each ratio)
CAPTION_COLOUR = "#4C6272"                         # NHS secondary text colour
CODE_TEXT, CODE_BACKGROUND = "#212B32", "#F0F4F5"  # theme codeTextColor / codeBackgroundColor

FOCUS_CSS = """<style>
/* NHS focus style: yellow ring with a dark edge, visible on white, blue and grey */
a:focus-visible, button:focus-visible, [role="tab"]:focus-visible, [role="switch"]:focus-visible,
input:focus-visible, textarea:focus-visible, [role="combobox"]:focus-visible, [role="slider"]:focus-visible,
summary:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid #FFEB3B !important; outline-offset: 1px !important; box-shadow: 0 0 0 4px #212B32 !important;
}
/* choosers whose focus lands on an input inside a box that clips it (select box, text, number and text-area
   boxes): the ring goes on the box instead, drawn in full */
[data-testid="stSelectbox"] input:focus-visible, [data-testid="stMultiSelect"] input:focus-visible,
[data-testid="stTextInputField"]:focus-visible, [data-testid="stNumberInputField"]:focus-visible,
[data-testid="stTextArea"] textarea:focus-visible, [data-baseweb="input"] input:focus-visible,
[data-baseweb="textarea"] textarea:focus-visible {
  outline: none !important; box-shadow: none !important;
}
[data-testid="stSelectbox"] > div > div:has(input:focus-visible),
[data-testid="stMultiSelect"] > div > div:has(input:focus-visible),
[data-testid="stTextInputRootElement"]:has(:focus-visible), [data-testid="stNumberInputContainer"]:has(:focus-visible),
[data-baseweb="input"]:has(input:focus-visible), [data-baseweb="textarea"]:has(textarea:focus-visible) {
  outline: 3px solid #FFEB3B !important; outline-offset: 1px !important; box-shadow: 0 0 0 4px #212B32 !important;
}
/* radio buttons, checkboxes and toggles hide their input: ring the option the person sees */
[data-testid="stRadioOption"]:has(input:focus-visible), label:has(input[type="radio"]:focus-visible),
label:has(input[type="checkbox"]:focus-visible) {
  outline: 3px solid #FFEB3B !important; outline-offset: 1px !important; box-shadow: 0 0 0 4px #212B32 !important;
  border-radius: 4px;
}
/* a collapsed sidebar is off screen: its links and choosers must not take focus where nobody can see it */
[data-testid="stSidebar"][data-collapsed="true"] { visibility: hidden; }
/* the page title's "link to heading" is one more Tab stop between the skip link and the page's own choosers */
[data-testid="stHeading"] h1 [data-testid="stHeaderActionElements"] { display: none; }
/* captions (key-figure sentences, sources, the sidebar's data notes): NHS secondary text colour at full opacity,
   6.4:1 on white and 5.8:1 on the sidebar's grey (Streamlit draws them in the text colour at 60% opacity: 4.0:1
   on white, 3.9:1 on the sidebar) */
[data-testid="stCaptionContainer"] { opacity: 1 !important; color: #4C6272 !important; }
[data-testid="stCaptionContainer"] p { color: #4C6272 !important; }
/* a focused menu link must not look like the current page: ring, no page highlight */
[data-testid="stSidebarNavLink"]:focus-visible { background-color: transparent !important; }
[data-testid="stSidebarNavLink"][aria-current="page"] { font-weight: 700; }
/* headline figures' notes (metric deltas) whole, on two lines if need be: Streamlit cut them with an ellipsis
   ("Pay bill, year 5: £2.98bn (sa...") */
[data-testid="stMetricDelta"] { height: auto !important; }
[data-testid="stMetricDelta"] .stMarkdownEllipsis, [data-testid="stMetricDelta"] p { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
/* wide screens: 32 px side margins instead of Streamlit's 80, so a table of every system (13 columns' worth on
   Turnover) fits 1440 px without hiding a column or cutting a system name (the projector layout sets its own) */
@media (min-width: 1200px) {
  [data-testid="stMain"] [data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; }
}
</style>"""

WORKSHOP_CSS = """<style>
/* projector: less empty space above the page so levers and results fit above the fold at 1366x768 */
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 3.4rem !important; padding-bottom: 1rem !important;
  padding-left: 2rem !important; padding-right: 2rem !important; }
[data-testid="stMetricValue"] { font-size: 2rem; }
[data-testid="stMetricLabel"] p { font-size: 1rem; }
/* captions read from the back of a room: at least 16 px (they were 14 px) */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 1rem !important; }
/* the chosen levers' tags show their whole name, on two rows if need be (Streamlit cut them in one scrolling row:
   "Change in leaver rate, Nur...") */
.st-key-wi_live_chosen [data-testid="stMultiSelectTagsContainer"],
.st-key-wi_live_chosen [data-testid="stMultiSelectTagsContainer"] > span { flex-wrap: wrap !important;
  overflow: visible !important; mask-image: none !important; -webkit-mask-image: none !important; }
.st-key-wi_live_chosen [data-tag] { max-width: none !important; height: auto !important; }
.st-key-wi_live_chosen [data-tag] > span { max-width: none !important; white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
</style>"""


def focus_styles() -> None:
    st.html(FOCUS_CSS)


COMPACT_TOP_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 3.4rem !important; }
</style>"""


def compact_top() -> None:
    """Less empty space above a page whose key chart must start above the fold (static CSS, no data)."""
    st.html(COMPACT_TOP_CSS)


def workshop_styles() -> None:
    st.html(WORKSHOP_CSS)
