"""axe-core in the browser tests: inject the npm package's axe.min.js into a page and run the WCAG 2.0-2.2 A/AA rules
with the whole page on screen (axe skips what is scrolled out of view, and Streamlit scrolls inside its main
section, so the window is made as tall as the page first)."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import wait_for_app_idle

AXE_DIR = Path(__file__).resolve().parent / "a11y"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_HEIGHT_JS = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const side = document.querySelector("[data-testid='stSidebarContent']");
  const h = [document.documentElement.scrollHeight, document.body.scrollHeight];
  if (main) h.push(main.getBoundingClientRect().top + main.scrollHeight);
  if (side) h.push(side.getBoundingClientRect().top + side.scrollHeight);
  return Math.ceil(Math.max(...h));
}"""


def whole_page_on_screen(page, width: int = 1440, max_height: int = 30000) -> int:
    """Make the window as tall as the page (repeated: charts sized to the window change the page's height)."""
    height = 0
    for _ in range(4):
        want = min(max_height, page.evaluate(_HEIGHT_JS))
        if abs(want - height) <= 2:
            break
        height = want
        page.set_viewport_size({"width": width, "height": height})
        wait_for_app_idle(page)  # charts redraw at the new size, grids now in the window draw
    return height


# Text inside the Vega charts' SVG: axe cannot find the background of text drawn over other marks ("needs review"
# on every label, and most of axe's time on a chart page), so the contrast rule skips it there and
# tests/test_a11y_contrast.py computes every chart text colour against its background from the specs instead.
# Every other rule runs on the charts too (their accessible names, roles and images).
CHART_TEXT = "[data-testid='stVegaLiteChart'] svg"

_RUN_JS = """async ([tags, chartText]) => {
  const all = await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules: {'color-contrast': {enabled: false}},
                                      resultTypes: ['violations', 'incomplete']});
  const contrast = await axe.run({include: [document], exclude: [[chartText]]},
                                 {runOnly: {type: 'rule', values: ['color-contrast']}, resultTypes: ['violations', 'incomplete']});
  return {violations: [...all.violations, ...contrast.violations], incomplete: [...all.incomplete, ...contrast.incomplete]};
}"""


_CHART_TEXT_COUNT_JS = """(sel) => [...document.querySelectorAll(sel + ' text')]
  .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0').length"""


def chart_text_count(page) -> int:
    """Text elements drawn inside chart pictures (what the contrast rule skips; see CHART_TEXT)."""
    return page.evaluate(_CHART_TEXT_COUNT_JS, CHART_TEXT)


def run_axe(page, width: int = 1440) -> dict:
    """axe.run over the document with the WCAG A/AA tags (the contrast rule outside chart text, see CHART_TEXT);
    the violations and incomplete ("needs review") lists."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} missing: run `npm ci` in {AXE_DIR} (scripts/test.sh does)")
    whole_page_on_screen(page, width)
    wait_for_app_idle(page)  # Vega redraws at the new size
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN_JS, [TAGS, CHART_TEXT])


def summarise(result: dict) -> dict:
    """rule id -> (impact, node count, first targets and messages) for violations and incomplete."""
    out = {}
    for kind in ("violations", "incomplete"):
        out[kind] = {r["id"]: {"impact": r.get("impact"), "nodes": len(r["nodes"]),
                               "examples": [(n["target"], (n.get("failureSummary") or "")[:300],
                                             n.get("html", "")[:200]) for n in r["nodes"][:3]]}
                     for r in result[kind]}
    return out


# The page's own choosers: a select box, multiselect, radio, slider or text/number box in the main area (not the
# sidebar's shared choosers, not buttons, links, popovers or chart toolbars).
_IS_CHOOSER_JS = """() => {
  const el = document.activeElement;
  if (!el || !el.closest("[data-testid='stMain']")) return null;
  const kind = el.getAttribute('role') === 'combobox' || el.getAttribute('role') === 'slider'
    || (el.tagName === 'INPUT' && ['range', 'radio', 'text', 'number', 'checkbox'].includes(el.type))
    || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT';
  if (!kind) return null;
  const box = el.closest("[data-testid]");
  const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].innerText)
    || (box && box.innerText.split('\\n')[0]) || el.tagName;
  return label.slice(0, 80);
}"""

_ACTIVE_JS = """() => { const el = document.activeElement; if (!el) return '';
  return (el.tagName + ' ' + (el.getAttribute('aria-label') || el.innerText || '').slice(0, 40)).trim(); }"""


# The focus ring on the focused chooser: the element that draws it (the chooser or the box around it), and whether
# a box between it and the widget cuts it off (overflow hidden, not 4 px clear of the ring on every side).
_RING_JS = """() => {
  let el = document.activeElement, ring = null;
  for (let i = 0; el && i < 6; i++, el = el.parentElement) {
    const s = getComputedStyle(el);
    if (s.outlineStyle === 'solid' && s.outlineColor === 'rgb(255, 235, 59)') { ring = el; break; }
  }
  if (!ring) return {drawn: false};
  const r = ring.getBoundingClientRect();
  let clipped = false;
  for (let p = ring.parentElement; p && !p.matches("[data-testid='stElementContainer']"); p = p.parentElement) {
    const s = getComputedStyle(p), q = p.getBoundingClientRect();
    if ((s.overflow + s.overflowX + s.overflowY).includes('hidden') &&
        (q.left > r.left - 4 || q.top > r.top - 4 || q.right < r.right + 4 || q.bottom < r.bottom + 4)) clipped = true;
  }
  return {drawn: true, on: ring.tagName, width: Math.round(r.width), height: Math.round(r.height), clipped};
}"""


def tab_walk(page, limit: int = 45) -> dict:
    """On a page nobody has touched yet: Tab presses from the top to the page's first chooser (None if none within
    `limit`), what the first stop is, and the presses to the same chooser through the skip link (focus the link, as
    the first Tab does, then Enter; the link counts as one stop)."""
    first, n, label = None, None, None
    for i in range(1, limit + 1):
        page.keyboard.press("Tab")
        if i == 1:
            first = page.evaluate(_ACTIVE_JS)
        label = page.evaluate(_IS_CHOOSER_JS)
        if label:
            n = i
            break
    out = {"first_stop": first, "first_chooser": label, "tab_stops": n, "tab_stops_via_skip_link": None,
           "focus_ring": page.evaluate(_RING_JS) if n else None}
    if n is None:
        return out
    page.get_by_text("Skip to main content", exact=True).focus()
    page.keyboard.press("Enter")
    # the link's click handler focuses Streamlit's main section (id stMain): Tab goes on from there
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'stMain'", timeout=30000)
    for i in range(2, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(_IS_CHOOSER_JS):
            out["tab_stops_via_skip_link"] = i
            break
    return out
