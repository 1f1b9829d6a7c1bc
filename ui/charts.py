"""Draw an Altair chart with PNG and SVG downloads (rendered server-side by vl-convert, offline)."""
from __future__ import annotations

import altair as alt
import streamlit as st


@st.cache_data(max_entries=128, show_spinner=False)
def _render(spec_json: str, fmt: str) -> bytes:
    import vl_convert as vlc
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec_json).encode("utf-8")
    return vlc.vegalite_to_png(spec_json, scale=2)


def show_chart(chart: alt.TopLevelMixin, name: str, key: str, *, downloads: bool = True, **kwargs):
    """st.altair_chart plus 'PNG' / 'SVG' download buttons (rendered only when asked for)."""
    event = st.altair_chart(chart, key=key, **{"width": "stretch", **kwargs})
    if downloads:
        spec = chart.to_json()
        c1, c2, _ = st.columns([1, 1, 4])
        c1.download_button("PNG", lambda: _render(spec, "png"), file_name=f"{name}.png", mime="image/png",
                           key=f"{key}_png", icon=":material/image:", on_click="ignore")
        c2.download_button("SVG", lambda: _render(spec, "svg"), file_name=f"{name}.svg", mime="image/svg+xml",
                           key=f"{key}_svg", icon=":material/image:", on_click="ignore")
    return event
