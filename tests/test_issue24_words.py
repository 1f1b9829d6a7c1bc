"""Issue 24: no jargon on the pages a leader reads. Every page is opened with AppTest (demo data and the real store:
Oct/Nov-25, a May-26 file on the 2026 boundaries and the real March 2025 sickness file), with its on-request
sections and definition popovers open, and every word it sends is read: text, labels, help, options, captions and
the charts' specs (titles, legends, tooltips, descriptions). A technical term (lib.insight.glossary.JARGON:
special cause, vintage, footprint, residual, data directory, arcsine, spread ratio, geography level, ...) may
appear only on Data and definitions, where the glossary explains it. The hex maps' short labels (BSol, WNL, S&S)
must come with a key that names every system. Every chart legend on the way shows its labels whole (labelLimit 0:
Vega cut them at 160 px, "Buckinghamshire, Oxfor...")."""
from __future__ import annotations

import json
import re

import pytest
from google.protobuf.json_format import MessageToDict

from lib.data import hexmap
from lib.insight.glossary import GLOSSARY, JARGON
from lib.data.loader import DEMO_DATA_DIR, ENV_DATA_DIR
from tests.conftest import open_app_page
from ui import on_request

PAGES = ["views/home.py", "views/map.py", "views/vacancy.py", "views/turnover.py", "views/role_mix.py",
         "views/profile.py", "views/pcn_roles.py", "views/organisations.py", "views/sickness.py",
         "views/statistics.py", "views/what_if.py", "views/accessibility.py"]
DEFINITIONS_PAGE = "views/data.py"
NOT_TEXT = {"id", "formId", "fragmentId", "key", "deferredFileId"}  # identifiers, never shown
WORDS = re.compile(r"\b(" + "|".join(JARGON) + r")\b", re.I)


def _strings(x, out: list[str]) -> list[str]:
    if isinstance(x, dict):
        for k, v in x.items():
            if k in NOT_TEXT:
                continue
            if k == "spec" and isinstance(v, str):  # a chart: its titles, legends, tooltips and data rows
                _strings(json.loads(v), out)
                continue
            _strings(v, out)
    elif isinstance(x, list):
        for v in x:
            _strings(v, out)
    elif isinstance(x, str):
        out.append(x)
    return out


def page_text(at) -> list[str]:
    """Every string the page sends (identifiers left out), charts' specs parsed."""
    out: list[str] = []

    def walk(node):
        if type(node).__name__ in ("Dataframe", "Table"):  # Arrow bytes in the proto: read as the frame shown
            df = node.value
            out.extend(str(c) for c in df.columns)
            out.extend(str(i) for i in df.index)
            out.extend(str(v) for c in df.columns for v in df[c] if isinstance(v, str))
        proto = getattr(node, "proto", None)
        if proto is not None:
            _strings(MessageToDict(proto), out)
        for ch in getattr(node, "children", {}).values():
            walk(ch)
    walk(at._tree)
    return out


def open_everything(page: str):
    """The page for South East London with every on-request section and popover open (one rerun, as clicks)."""
    at = open_app_page(page, {"area": "QKK"})
    opened = [*on_request.KEYS, *(k for k in at.session_state.keys() if str(k).endswith(("definitions", "_open")))]
    for k in opened:
        at.session_state[k] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _legends(x, out: list[dict]) -> list[dict]:
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "legend" and isinstance(v, dict):
                out.append(v)
            elif k != "config":
                _legends(v, out)
    elif isinstance(x, list):
        for v in x:
            _legends(v, out)
    return out


def cut_legends(at) -> list[str]:
    """Legends of the page's charts that Vega would cut: a labelLimit other than 0 (no limit), or none stated
    where the chart's config does not lift Vega's default of 160 px ("Buckinghamshire, Oxfor...")."""
    return legends_cut([json.loads(el.proto.spec) for el in [*at.get("vega_lite_chart"),
                                                             *at.get("arrow_vega_lite_chart")]])


def legends_cut(specs: list[dict]) -> list[str]:
    bad = []
    for spec in specs:
        default = ((spec.get("config") or {}).get("legend") or {}).get("labelLimit")
        for leg in _legends(spec, []):
            if leg.get("labelLimit", default) != 0:
                bad.append(f"{spec.get('title') or spec.get('description', '')[:60]}: {leg}")
    return bad


def jargon_in(texts: list[str]) -> list[str]:
    return sorted({f"{m.group(0)!r} in ...{t[max(0, m.start() - 60):m.end() + 60]}..."
                   for t in texts for m in WORDS.finditer(t)})


def hex_key_ok(at) -> None:
    """A hex map's short labels (BSol, WNL, S&S) each come with the system's name in the key under it."""
    keys = [e for e in at.expander if e.label == "Key to the hexagon labels"]
    assert len(keys) == 1, "a hex map without the key to its labels"
    key_text = " ".join(c.value for c in keys[0].caption).replace("\\", "").replace("\u2060", "")
    matches = [lv for lv in ("ICS", "ICS2026") if all(f"**{lab}** {name}" in key_text
                                                       for lab, name in hexmap.label_key(lv))]
    assert matches, key_text[:300]
    assert "**BSol** Birmingham and Solihull" in key_text


@pytest.fixture(params=["demo", "real"])
def store(request, monkeypatch):
    if request.param == "demo":
        monkeypatch.setenv(ENV_DATA_DIR, str(DEMO_DATA_DIR))
    else:
        monkeypatch.setenv(ENV_DATA_DIR, str(request.getfixturevalue("real_store_all")))
    return request.param


def test_no_jargon_outside_the_definitions_page_and_no_cut_legend(store):
    found = {}
    for page in PAGES:
        at = open_everything(page)
        hits = jargon_in(page_text(at)) + cut_legends(at)
        if hits:
            found[page] = hits
        if page in ("views/map.py", "views/sickness.py"):
            hex_key_ok(at)
    assert not found, json.dumps(found, indent=1)


def test_the_definitions_page_explains_every_term_it_replaces():
    at = open_everything(DEFINITIONS_PAGE)
    text = " ".join(page_text(at))
    for plain, term, meaning in GLOSSARY:
        assert term in text and meaning[:60] in text, term
    for word in ("special cause", "common cause", "vintage", "footprint", "residual", "arcsine", "geography level"):
        assert re.search(word, text, re.I), word


def test_the_walker_catches_jargon():
    """The check itself: a page that said 'special cause' or showed a one-option 'Geography level' is caught."""
    assert jargon_in(["The latest month is a special cause (concern)"])
    assert jargon_in(["Geography level: ICS"]) and jargon_in(["on the 2026 footprint"])
    assert jargon_in(['{"title": "Residual: changes of hours"}']) and jargon_in(["spread ratio 509.68"])
    assert not jargon_in(["The latest month is unusual (concern)", "Areas: Integrated care systems (ICBs)"])
    # and a legend Vega would cut
    assert legends_cut([{"encoding": {"color": {"legend": {"orient": "bottom"}}}}])
    assert legends_cut([{"encoding": {"color": {"legend": {"labelLimit": 260}}}, "config": {"legend": {"labelLimit": 0}}}])
    assert not legends_cut([{"encoding": {"color": {"legend": {"orient": "bottom"}}}, "config": {"legend": {"labelLimit": 0}}}])
