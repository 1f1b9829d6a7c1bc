"""WCAG 2.2 contrast ratios (1.4.3 text, 1.4.11 non-text) and every text colour a Vega-Lite spec draws.

The ratio is (L1 + 0.05) / (L2 + 0.05) over the relative luminances of the lighter and darker colour
(https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio). Text needs 4.5:1, or 3:1 from 18.66 px (24 px regular;
bold from 14 pt = 18.66 px)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

NAMED = {"white": "#FFFFFF", "black": "#000000", "transparent": None, "none": None}
NORMAL_TEXT, LARGE_TEXT = 4.5, 3.0


def parse_colour(colour: str) -> tuple[int, int, int]:
    """'#RGB' or '#RRGGBB' (or 'white' / 'black') as 0-255 integers; anything else is refused by name."""
    c = NAMED.get(str(colour).strip().lower(), colour)
    if not isinstance(c, str) or not c.startswith("#") or len(c) not in (4, 7):
        raise ValueError(f"not a colour this check reads: {colour!r} (expected #RRGGBB, #RGB, white or black)")
    h = c[1:]
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    try:
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    except ValueError:
        raise ValueError(f"not a colour this check reads: {colour!r} (expected hexadecimal digits)") from None


def relative_luminance(colour: str) -> float:
    def lin(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(v) for v in parse_colour(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str = "#FFFFFF") -> float:
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def blend(fg: str, bg: str, opacity: float) -> str:
    """The colour seen when `fg` is drawn at `opacity` over `bg`."""
    f, b = parse_colour(fg), parse_colour(bg)
    return "#" + "".join(f"{round(o * opacity + p * (1 - opacity)):02X}" for o, p in zip(f, b))


def needed(font_px: float, bold: bool = False) -> float:
    """4.5:1 for normal text, 3:1 for large text (24 px, or 18.66 px bold)."""
    return LARGE_TEXT if font_px >= 24 or (bold and font_px >= 18.66) else NORMAL_TEXT


@dataclass(frozen=True)
class ChartText:
    where: str            # e.g. "config.axis.labelColor" or "layer[1].mark.color"
    colour: str
    background: str
    font_px: float
    bold: bool

    @property
    def ratio(self) -> float:
        return contrast_ratio(self.colour, self.background)

    @property
    def passes(self) -> bool:
        return self.ratio >= needed(self.font_px, self.bold)


# Config sections that draw text, with the colour key, the font-size key and Vega-Lite's default size there
TEXT_CONFIG = [("axis", "labelColor", "labelFontSize", 10), ("axis", "titleColor", "titleFontSize", 11),
               ("legend", "labelColor", "labelFontSize", 10), ("legend", "titleColor", "titleFontSize", 11),
               ("title", "color", "fontSize", 13), ("title", "subtitleColor", "subtitleFontSize", 12),
               ("header", "labelColor", "labelFontSize", 10), ("header", "titleColor", "titleFontSize", 11)]


def _background(spec: dict, default: str) -> str:
    bg = spec.get("background", (spec.get("config") or {}).get("background", default))
    return default if NAMED.get(str(bg).lower(), bg) is None else bg


def _text_marks(node: dict, path: str, font_default: float) -> Iterator[tuple[str, dict, dict]]:
    mark = node.get("mark")
    if isinstance(mark, dict) and mark.get("type") == "text" or mark == "text":
        yield path, (mark if isinstance(mark, dict) else {}), node.get("encoding") or {}
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for i, sub in enumerate(node.get(key) or []):
            yield from _text_marks(sub, f"{path}{key}[{i}].", font_default)
    if isinstance(node.get("spec"), dict):
        yield from _text_marks(node["spec"], f"{path}spec.", font_default)


def chart_texts(spec: dict, page_background: str = "#FFFFFF", datasets: dict | None = None) -> list[ChartText]:
    """Every text colour a Vega-Lite spec sets, with the background it is drawn on: axis, legend, title and facet
    header colours from its config (a section the spec leaves out is reported as missing: the check needs the
    colour stated, since the renderer's theme default is not in the spec), and text marks' colours (fixed, or per
    row from a field with scale null, read from the rows in `datasets` and drawn over the row's `colour` field
    where the row has one: the hex map's labels on their hexagons)."""
    bg = _background(spec, page_background)
    cfg = spec.get("config") or {}
    out: list[ChartText] = []
    for section, key, size_key, size in TEXT_CONFIG:
        sec = cfg.get(section) or {}
        out.append(ChartText(f"config.{section}.{key}", sec.get(key, "missing"), bg,
                             float(sec.get(size_key, size)), False))
    text_cfg = cfg.get("text") or {}
    for path, mark, enc in _text_marks(spec, "", 11):
        font = float(mark.get("fontSize", text_cfg.get("fontSize", 11)))
        bold = str(mark.get("fontWeight", "normal")) in ("bold", "700", "800", "900")
        colour = enc.get("color") or enc.get("fill") or {}
        fixed = mark.get("color") or mark.get("fill") or colour.get("value") or text_cfg.get("color")
        if isinstance(colour, dict) and colour.get("field") and colour.get("scale", "") is None:
            rows = [r for d in (datasets or {}).values() for r in d if colour["field"] in r]
            if not rows:
                out.append(ChartText(f"{path}encoding.color (no rows given)", "missing", bg, font, bold))
            for r in rows:
                under = r.get("colour", bg)
                out.append(ChartText(f"{path}encoding.color={r[colour['field']]} on {under}", r[colour["field"]],
                                     under, font, bold))
        else:
            out.append(ChartText(f"{path}mark.color", fixed or "missing", bg, font, bold))
    return out
