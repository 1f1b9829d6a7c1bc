"""Tables drawn one way everywhere: numbers rounded as in the downloads (FTE 1 dp, headcount whole, rates as %
with 2 decimals: the display copy holds percent values, 0.9% shows as 0.90%), thousands separators, and column widths that fit a 1440 px screen without a sideways scroll.

`show(df)` draws the table with these formats; the table a page downloads keeps fractions, rounded the same
way (lib.insight.exports.as_shown)."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

_RATE = re.compile(r"(rate|share)", re.I)
_COUNT = re.compile(r"(headcount|^hc$|people)", re.I)
_TEXT_WIDE = re.compile(r"^(system|name|area|scenario|staff group|measure|rule|reading|definition)", re.I)


# Width of a System column: the longest name at about 6.4 px a character in the table font (14 px Source Sans;
# 'Bath and North East Somerset, Swindon and Wiltshire' measures 313 px in Chromium, 6.1 a character), the cell
# padding (8 px each side) and 8 px of room. tests/browser/test_room_ready_leaders.py measures the real text.
PX_PER_CHAR = 6.4
NAME_PADDING_PX = 24


def name_width_px(names) -> int:
    """Column width (px) that shows every one of `names` whole in a table."""
    longest = max((len(str(n)) for n in names), default=0)
    return int(round(longest * PX_PER_CHAR)) + NAME_PADDING_PX


def display_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """(display copy, column_config): rates as percentages with 2 decimals, FTE and other decimals rounded to
    1 dp with separators, headcounts whole, long text columns given the room and codes kept narrow."""
    out = df.copy()
    cfg: dict = {}
    for c in out.columns:
        name = str(c)
        col = out[c]
        if pd.api.types.is_bool_dtype(col):
            continue
        if pd.api.types.is_numeric_dtype(col):
            if _RATE.search(name) and "point" not in name.lower():
                # Streamlit's "percent" drops trailing zeros (0.9% beside 0.95%): the display copy holds percent
                # values with a fixed 2 dp format instead (downloads keep fractions)
                out[c] = col.astype(float) * 100.0
                cfg[name] = st.column_config.NumberColumn(name, format="%.2f%%")        # 0.90%: always 2 dp
            elif _COUNT.search(name):
                cfg[name] = st.column_config.NumberColumn(name, format="%,d")
            elif pd.api.types.is_integer_dtype(col):
                cfg[name] = st.column_config.NumberColumn(name, format="%,d")
            else:
                cfg[name] = st.column_config.NumberColumn(name, format="%,.1f")
        elif _TEXT_WIDE.search(name):
            cfg[name] = st.column_config.TextColumn(name, width="medium")
        elif name.lower() in ("code", "area code", "org code"):
            cfg[name] = st.column_config.TextColumn(name, width=60)
    return out, cfg


def show(df: pd.DataFrame, **kwargs):
    """st.dataframe of the display copy; extra column_config entries override."""
    shown, cfg = display_frame(df)
    for name, over in (kwargs.pop("column_config", {}) or {}).items():
        cfg[name] = _merged(cfg.get(name), over)
    return st.dataframe(shown, column_config=cfg, **{"hide_index": True, "width": "stretch", **kwargs})


def _merged(base, over):
    """A page's column_config entry on top of the table style's: what the page sets (label, width, pinned, a
    format) wins; what it leaves unset (None) keeps the style's, so a relabelled rate still shows 0.90%."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    out = {**base, **{k: v for k, v in over.items() if v is not None and k != "type_config"}}
    if isinstance(over.get("type_config"), dict):
        tc = dict(base.get("type_config") or {})
        tc.update({k: v for k, v in over["type_config"].items() if v is not None})
        out["type_config"] = tc
    return out
