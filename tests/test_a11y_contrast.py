"""Contrast (WCAG 2.2 1.4.3) computed with the WCAG formula: the theme's text, caption and inline-code colours,
every text colour of every chart the pages draw (axes, legends, titles, text marks, the hex map's labels on each
fill), read from the Vega-Lite specs the pages send (ui/charts.py, trend_charts.py, stats_charts.py,
profile_view.py, map_view.py, the what-if charts)."""
from __future__ import annotations

import json
import re
import tomllib

import pyarrow as pa
import pytest

from lib.accessibility.contrast import (ChartText, blend, chart_texts, contrast_ratio, needed, parse_colour,
                                        relative_luminance)
from tests.conftest import REPO, open_app_page

THEME = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]


def test_formula_against_worked_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    # WebAIM's worked example: #767676 is the lightest grey with 4.5:1 on white (4.54:1)
    assert round(contrast_ratio("#767676"), 2) == 4.54 and contrast_ratio("#777777") < 4.5
    # NHS blue #005EB8 by hand: G 0x5E -> 0.1119, B 0xB8 -> 0.4793 linear; L = 0.7152*0.1119 + 0.0722*0.4793
    # = 0.1146; (1 + 0.05) / (0.1146 + 0.05) = 6.38
    assert round(contrast_ratio("#005EB8"), 2) == 6.38
    assert relative_luminance("#fff") == pytest.approx(1.0) and parse_colour("white") == (255, 255, 255)
    assert blend("#000000", "#FFFFFF", 0.5) == "#808080" and blend("#212B32", "#FFFFFF", 0.6) == "#7A8084"
    assert needed(14) == 4.5 and needed(24) == 3.0 and needed(19, bold=True) == 3.0 and needed(16, bold=True) == 4.5
    with pytest.raises(ValueError, match="not a colour"):
        parse_colour("rgb(1,2,3)")


def test_theme_captions_and_inline_code_pass():
    from ui import a11y
    caption = re.search(r'stCaptionContainer"\] \{ opacity: 1 !important; color: (#[0-9A-Fa-f]{6})', a11y.FOCUS_CSS).group(1)
    pairs = {"body text on white": (THEME["textColor"], THEME["backgroundColor"]),
             "body text on the sidebar": (THEME["textColor"], THEME["secondaryBackgroundColor"]),
             "caption on white": (caption, THEME["backgroundColor"]),
             "caption on the sidebar": (caption, THEME["secondaryBackgroundColor"]),
             "inline code": (THEME["codeTextColor"], THEME["codeBackgroundColor"])}
    assert caption == a11y.CAPTION_COLOUR                         # the colour the statement quotes is the one used
    assert (THEME["codeTextColor"], THEME["codeBackgroundColor"]) == (a11y.CODE_TEXT, a11y.CODE_BACKGROUND)
    for what, (fg, bg) in pairs.items():
        assert contrast_ratio(fg, bg) >= 4.5, (what, fg, bg, contrast_ratio(fg, bg))
    # before this change: Streamlit's faded caption (the text colour at 60%) was 4.0:1 on white, 3.9:1 on the sidebar
    assert contrast_ratio(blend(THEME["textColor"], "#FFFFFF", 0.6)) < 4.5


def test_hex_map_labels_pass_on_every_fill():
    from lib.insight.map_data import NO_DATA_COLOUR, VIRIDIS_5, text_colour
    from ui import map_view
    for fill in [*VIRIDIS_5, NO_DATA_COLOUR]:
        label = text_colour(fill)
        assert contrast_ratio(label, fill) >= 4.5, (fill, label, contrast_ratio(label, fill))  # 12 px bold
        rgb = map_view.LABEL_DARK if label == "#000000" else map_view.LABEL_LIGHT     # the WebGL map's labels
        assert "#" + "".join(f"{v:02x}" for v in rgb) == label.lower()


def _rows(proto) -> dict:
    out = {}
    for d in proto.datasets:
        out[d.name] = pa.ipc.open_stream(d.data.data).read_all().to_pylist()
    return out


def _chart_texts(at) -> list[tuple[str, ChartText]]:
    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        name = spec.get("title", {}).get("text") if isinstance(spec.get("title"), dict) else spec.get("title")
        for t in chart_texts(spec, THEME["backgroundColor"], _rows(el.proto)):
            out.append((str(name or spec.get("description", ""))[:60], t))
    return out


PAGES = [("views/home.py", {}), ("views/map.py", {"measure": "leaver_rate"}), ("views/vacancy.py", {"area": "QKK"}),
         ("views/turnover.py", {"area": "QKK"}), ("views/role_mix.py", {"area": "QKK"}),
         ("views/profile.py", {"area": "QKK"}), ("views/sickness.py", {"area": "QKK"}),
         ("views/statistics.py", {}), ("views/pcn_roles.py", {"area": "QKK"}), ("views/what_if.py", {"area": "QKK"}),
         ("views/what_if.py", {"area": "QKK", "workshop": "1"})]


@pytest.mark.parametrize("page,params", PAGES, ids=[f"{p[6:-3]}{'-workshop' if q.get('workshop') else ''}"
                                                     for p, q in PAGES])
def test_every_chart_text_colour_is_stated_and_passes(page, params):
    from tests.conftest import open_on_request
    at = open_app_page(page, params)
    open_on_request(at)  # the system tables and SPC sections built on request draw charts too
    texts = _chart_texts(at)
    if page not in ("views/home.py", "views/sickness.py", "views/pcn_roles.py"):  # no charts on the demo store
        assert texts, f"no chart found on {page}"
    failing = [(name, t.where, t.colour, t.background, round(t.ratio, 2) if t.colour != "missing" else None)
               for name, t in texts if t.colour == "missing" or not t.passes]
    assert not failing, failing
