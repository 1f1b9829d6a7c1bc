"""Lay out a pack (lib.report.pack.build_pack) as an A4 PDF with Typst (`board_pack.typ`).

Typst (the `typst` package, a self-contained compiler) is chosen for what it produces: a tagged PDF (PDF/UA-1:
structure tags, title, language, every chart's alternative text), fonts embedded as subsets, text selectable, in
tens of milliseconds. The pack's words and figures reach Typst as JSON data (sys.inputs), never as markup, so a
name or figure can never be read as a Typst command. Charts arrive as SVG (vector) from lib.report.charts.
"""
from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path

from lib.report import charts

TEMPLATE = Path(__file__).with_name("board_pack.typ")
PDF_STANDARDS = ["ua-1"]  # PDF/UA-1: tagged, titled, language set, images with alternative text


class RenderError(RuntimeError):
    """Typst refused the document (a bug here, not the user's input): the message carries Typst's diagnostic."""


def prepare(pack: dict) -> tuple[dict, dict[str, str]]:
    """The pack with each chart's spec replaced by the key of its SVG, and the SVGs by key."""
    out = copy.deepcopy(pack)
    svgs: dict[str, str] = {}
    for s in out["sections"]:
        for b in blocks(s["blocks"]):
            if b.get("kind") == "chart":
                key = f"chart-{len(svgs)}"
                svgs[key] = charts.to_svg(b.pop("spec"))
                b["svg"] = key
    return out, svgs


def blocks(items: list[dict]):
    """Every block, those inside groups included, in reading order."""
    for b in items:
        yield b
        if b.get("kind") == "group":
            yield from blocks(b["blocks"])


def board_pack_pdf(pack: dict) -> bytes:
    """The pack as PDF bytes."""
    import typst
    data, svgs = prepare(pack)
    inputs = {"pack": json.dumps(data, ensure_ascii=False), **svgs}
    try:
        return typst.compile(str(TEMPLATE), root=str(TEMPLATE.parent), sys_inputs=inputs,
                             pdf_standards=PDF_STANDARDS)
    except typst.TypstError as exc:  # pragma: no cover - a layout bug, named with Typst's own words
        raise RenderError(f"the board pack could not be laid out: {exc.message} {exc.diagnostic}") from exc


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a PDF."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
