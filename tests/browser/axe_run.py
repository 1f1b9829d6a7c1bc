"""axe-core in the browser tests: inject the npm package's axe.min.js into a page and run the WCAG 2.0-2.2 A/AA rules
with the whole page on screen (axe skips what is scrolled out of view, and Streamlit scrolls inside its main
section, so the window is made as tall as the page first)."""
from __future__ import annotations

from pathlib import Path

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
        page.wait_for_timeout(400)
    return height


def run_axe(page, width: int = 1440) -> dict:
    """axe.run over the document with the WCAG A/AA tags; the result's violations and incomplete lists."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} missing: run `npm ci` in {AXE_DIR} (scripts/test.sh does)")
    whole_page_on_screen(page, width)
    page.wait_for_timeout(600)  # Vega draws after the page settles
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                         " resultTypes: ['violations', 'incomplete']})", TAGS)


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


def tab_stops_to_first_chooser(page, limit: int = 80, trace: bool = False) -> tuple[int | None, str | None, list]:
    """Tab presses from the top of a freshly loaded page until focus is on one of the page's own choosers."""
    page.evaluate("() => { if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.mouse.click(1, 1) if False else None
    path = []
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if trace:
            path.append(page.evaluate(_ACTIVE_JS))
        label = page.evaluate(_IS_CHOOSER_JS)
        if label:
            return n, label, path
    return None, None, path
