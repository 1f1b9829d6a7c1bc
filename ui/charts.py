"""One visual language for every chart, and chart downloads that stand alone.

- England, the region and the chosen system are drawn with one colour and line style on every page
  (`COMPARATORS`, `comparator_scale`, `comparator_dash`): England dark grey dotted, region teal dashed, the
  system dark blue solid. Baseline / scenario and up to four compared scenarios have fixed colours too.
- PNG / SVG downloads (rendered server-side by vl-convert, offline; the buttons are built only while a chart's
  'Download chart' popover is open, issue 16) carry the chart title, system, period,
  source and the synthetic label where it applies (`export_spec`).
- Each chart gets a description that states its key figures: shown as a caption under the chart and set as the
  Vega-Lite `description` (the chart's accessible name), so a screen reader hears more than "Vega visualization".
- Workshop mode (projector) makes chart text at least 16 px (`big_config`).
"""
from __future__ import annotations

import json
from collections.abc import Callable

import altair as alt
import streamlit as st

from lib.data.schema import period_label

from lib.insight import exports
from ui import on_request

ENGLAND_COLOUR = "#3D3D3D"     # Analysis Function dark grey, dotted
REGION_COLOUR = "#28A197"      # Analysis Function teal, dashed
SYSTEM_COLOUR = "#12436D"      # Analysis Function dark blue, solid
ENGLAND_DASH, REGION_DASH, SYSTEM_DASH = [2, 2], [6, 3], [1, 0]
COMPARATORS = {"England": (ENGLAND_COLOUR, ENGLAND_DASH), "Region": (REGION_COLOUR, REGION_DASH),
               "System": (SYSTEM_COLOUR, SYSTEM_DASH)}
BASELINE_COLOUR, SCENARIO_COLOUR = "#768692", "#005EB8"   # NHS mid grey, NHS Blue
# Up to four compared scenarios (Analysis Function palette, distinguishable in greyscale by marker shape too).
COMPARE_COLOURS = ["#12436D", "#F46A25", "#801650", "#28A197"]
COMPARE_SHAPES = ["circle", "square", "triangle-up", "diamond"]
BIG_FONT_PX = 16
# Chart text colours, stated in every spec (Streamlit's chart theme draws axis and legend text in #808495, 3.8:1 on
# white, below the 4.5:1 that 10-14 px text needs): NHS dark grey for titles, NHS secondary text colour for axes,
# legends and subtitles (6.4:1 on white). tests/test_a11y_contrast.py computes every chart's ratios.
CHART_TEXT, CHART_TEXT_SECONDARY = "#212B32", "#4C6272"


def text_config() -> dict:
    """Vega-Lite config that states every chart text colour (axes, legends, titles, facet headers)."""
    s = CHART_TEXT_SECONDARY
    # legend labels whole: Vega cuts them at 160 px by default ("Buckinghamshire, Oxfor..."); 0 means no limit
    return {"axis": {"labelColor": s, "titleColor": s}, "legend": {"labelColor": s, "titleColor": s, "labelLimit": 0},
            "title": {"color": CHART_TEXT, "subtitleColor": s}, "header": {"labelColor": s, "titleColor": s}}


def with_text_colours(config: dict | None = None) -> dict:
    """`config` with the chart text colours added where it does not set its own."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in (config or {}).items()}
    for section, colours in text_config().items():
        out[section] = {**colours, **(out.get(section) or {})}
    return out


def comparator_scale(names: dict[str, str]) -> tuple[alt.Scale, alt.Scale]:
    """(colour scale, strokeDash scale) for series labelled e.g. {"England": "England", "System": "Leeds"}:
    keys are the kinds in COMPARATORS, values the labels the chart shows."""
    dom = [names[k] for k in COMPARATORS if k in names]
    return (alt.Scale(domain=dom, range=[COMPARATORS[k][0] for k in COMPARATORS if k in names]),
            alt.Scale(domain=dom, range=[COMPARATORS[k][1] for k in COMPARATORS if k in names]))


def big_config() -> dict:
    """Vega-Lite config for a projector: every chart text at least 16 px."""
    f = BIG_FONT_PX
    return {"axis": {"labelFontSize": f, "titleFontSize": f}, "legend": {"labelFontSize": f, "titleFontSize": f,
                                                                         "symbolSize": 160},
            "title": {"fontSize": f + 4, "subtitleFontSize": f}, "text": {"fontSize": f},
            "header": {"labelFontSize": f, "titleFontSize": f}}


def _context_lines() -> tuple[str | None, bool]:
    ctx = st.session_state.get("ctx")
    if ctx is None:
        return None, False
    return f"{period_label(ctx.period)} ({ctx.systems_label})", bool(ctx.synthetic)


def export_spec(spec: dict, title: str, system: str | None, period: str | None, synthetic: bool,
                source: str | None = None, notes: list[str] | tuple[str, ...] = ()) -> dict:
    """The chart spec with a title block that makes the picture stand alone: title; system and period;
    source (the store's own statement when given, else the general note); any caveats (`notes`); the synthetic
    label where it applies. Every line is wrapped to the picture's width, so nothing is cut off at its edge."""
    import textwrap
    out = dict(spec)
    width = int(spec.get("width") or 640) if isinstance(spec.get("width"), (int, float)) else 640
    chars = max(60, int(width / 6.0))      # 11 px text is about 6 px a character
    sub = [" - ".join(x for x in (system, period) if x)] if (system or period) else []
    lines = [f"Source: {source}" if source and not source.startswith("Source") else (source or exports.SOURCE_NOTE),
             *notes]
    if synthetic:
        lines.append(exports.SYNTHETIC_NOTE)
    for line in lines:
        sub.extend(textwrap.wrap(str(line), chars) or [""])
    out["title"] = {"text": title, "subtitle": sub, "anchor": "start", "fontSize": 16, "subtitleFontSize": 11,
                    "subtitleColor": "#3D3D3D" if not synthetic else "#8A1538"}
    out.setdefault("background", "white")
    return out


@st.cache_data(max_entries=128, show_spinner=False)
def _render(spec_json: str, fmt: str) -> bytes:
    import vl_convert as vlc
    if fmt == "svg":
        return vlc.vegalite_to_svg(spec_json).encode("utf-8")
    return vlc.vegalite_to_png(spec_json, scale=2)


def chart_title(chart) -> str:
    t = getattr(chart, "title", alt.Undefined)
    if isinstance(t, str):
        return t
    if isinstance(t, alt.TitleParams):
        return str(t.text)
    return ""


# The accessible description of a chart whose key figures are in the caption under it. Fixed on purpose: a
# description carrying the figures changes the spec on every selection, and the browser then rebuilds the chart
# from scratch instead of swapping its rows in place (issue 16). A screen reader reads this, then the caption.
CAPTIONED = "Chart. Its key figures are written in the caption under it."


def show_chart(chart: alt.TopLevelMixin, name: str, key: str, *, downloads: bool = True, title: str | None = None,
               system: str | None = None, description: str | None = None, big: bool = False, **kwargs):
    """st.altair_chart plus PNG / SVG downloads (rendered only when asked for) whose picture carries title,
    system, period, source and the synthetic label; `description` states the key figures (the caption; the chart's
    own description is the fixed CAPTIONED)."""
    if description:
        chart = chart.properties(description=CAPTIONED)
    own = chart.config.to_dict() if getattr(chart, "config", alt.Undefined) is not alt.Undefined else {}
    if big:
        own = {**{k: v for k, v in big_config().items() if k != "header"}, **own}
    chart = chart.configure(**with_text_colours(own))
    event = st.altair_chart(chart, key=key, **{"width": "stretch", **kwargs})
    if description:
        st.caption(description)
    if downloads:  # the buttons are built only while the 'Download chart' popover is open (issue 16)
        box = on_request.chart_downloads(key)
        if box is not None:
            period, synthetic = _context_lines()
            label = title or chart_title(chart) or name.replace("_", " ").capitalize()
            # the spec is built only when a picture is asked for: chart.to_dict() validated the chart on every rerun
            with box:
                download_row(lambda: export_spec(chart.to_dict(), label, system, period, synthetic), name, key,
                             title=title or chart_title(chart) or name, system=system, stamped=True)
    return event


def download_row(spec: dict | Callable[[], dict], name: str, key: str, *, title: str | None = None,
                 system: str | None = None, stamped: bool = False, source: str | None = None,
                 notes: list[str] | tuple[str, ...] = ()) -> None:
    """'Download chart (PNG)' and '(SVG)' buttons side by side, sized to their labels (a narrow column cut
    them to an icon and one character). The picture carries title, system, period, source, synthetic label.
    `spec` may be a function returning the spec: it runs only when a picture is asked for, not on every rerun
    (turning a chart's rows into JSON records was 40 % of a Turnover rerun's server CPU)."""
    period, synthetic = (None, False) if stamped else _context_lines()  # read now: no script context at click time

    def picture(fmt: str) -> bytes:
        s = spec() if callable(spec) else spec
        if not stamped:
            s = export_spec(s, title or _spec_title(s) or name.replace("_", " ").capitalize(), system, period,
                            synthetic, source=source, notes=notes)
        return _render(json.dumps(s), fmt)

    row = st.container(horizontal=True, gap="small")
    row.download_button("Download chart (PNG)", lambda: picture("png"), file_name=f"{name}.png",
                        mime="image/png", key=f"{key}_png", icon=":material/image:", on_click="ignore",
                        width="content")
    row.download_button("Download chart (SVG)", lambda: picture("svg"), file_name=f"{name}.svg",
                        mime="image/svg+xml", key=f"{key}_svg", icon=":material/image:", on_click="ignore",
                        width="content")


def title_from_words(description: str | None, name: str) -> str:
    """A picture's title when its chart has none: the first sentence of its key-figures description (it names the
    measure, the area and the month), never the file name ('Organisations qkk 2026-05 leaver rate')."""
    import re
    text = str(description or "").strip()
    if text:
        first = re.split(r"(?<=[.;])\s", text, maxsplit=1)[0].rstrip(".;")
        head = first.split(": ", 1)[0] if len(first) > 110 else first
        return head[:120]
    return name.replace("_", " ").capitalize()


def _spec_title(spec: dict) -> str:
    t = spec.get("title")
    if isinstance(t, dict):
        t = t.get("text")
    if isinstance(t, list):
        t = " ".join(map(str, t))
    return str(t or "")
