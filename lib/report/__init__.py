"""The board pack: one system's workforce report as a tagged A4 PDF (issue 26).

- `pack.py` builds the pack's content (sections of sentences, tables and charts) from the functions the pages use
  (lib.insight, lib.stats, lib.whatif; chart sentences from lib.insight.chart_text): plain data, no layout.
- `charts.py` draws its charts as fixed Vega-Lite specs in the app's colours and renders them to SVG (vector).
- `render.py` lays the content out with Typst (`board_pack.typ`) and compiles a tagged PDF (PDF/UA-1).

`python -m lib report` (lib/cli/report_commands.py), the System profile's and the what-if page's "Board pack"
downloads all call `render.board_pack_pdf`, so the paper and the screen show the same figures.
"""
