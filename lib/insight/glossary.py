"""The technical terms behind the plain words the pages use, explained once (shown on Data and definitions).

Pages speak a leader's language ("unusual variation", "ICB boundaries of 2026", "other changes"); analysts who
know SPC, geography vintages or funnel-plot methods find the terms they know here, with what they mean.
tests/test_issue24_words.py walks every page and fails if a term in JARGON shows anywhere else.
"""
from __future__ import annotations

# (words on the pages, the technical term, what it means)
GLOSSARY: list[tuple[str, str, str]] = [
    ("Unusual (improvement / concern / change)", "Special cause variation (SPC)",
     "A month the chart's rules flag as unlikely to be chance: a point outside the process limits, 7 points in a "
     "row rising, falling or on one side of the average, or 2 of 3 points near a limit. Something has changed "
     "and is worth looking into (NHS England, Making Data Count)."),
    ("Usual variation", "Common cause variation (SPC)",
     "The ups and downs a stable process always shows, inside the process limits; not worth explaining month by "
     "month."),
    ("ICB boundaries of 2022 / 2026 (which systems months are shown on)", "Geography vintage, footprint",
     "The set of systems in force at a date: 42 Integrated Care Boards from July 2022, 36 from April 2026. "
     "Months published on other boundaries are re-counted organisation by organisation; England and regional "
     "totals never change."),
    ("Areas: integrated care systems (ICBs) or STPs", "Geography level",
     "Which kind of area the figures are summed to: Integrated Care Systems (their boards' areas) or, for "
     "earlier months, the Sustainability and Transformation Partnerships of April 2021."),
    ("Other changes (hours, moves between staff groups)", "Residual (of the staff-in-post bridge)",
     "Start + joiners - leavers does not equal the end: the difference comes from changes of contracted hours "
     "of staff who stayed and from staff moved between staff groups. It closes the bridge; it is not published."),
    ("Systems differ about N times as much as chance alone would", "Overdispersion ratio (phi), between-system "
     "spread (tau-squared, on the arcsine scale)",
     "Funnel plots (FunnelPlotR method): when systems vary more than chance allows, the limits are widened by "
     "the spread between systems (estimated on the arcsine-transformed rates) so that only real outliers stand "
     "out."),
    ("The data the dashboard was started with", "Data directory, store",
     "The folder of ingested files (Parquet and a manifest) the dashboard reads; set by whoever runs it."),
    ("Hexagon labels (NENC, BSol, S&S, ...)", "Short codes of the hex map",
     "A hexagon has room for a few letters; the 'Key to the hexagon labels' under each hex map names every "
     "system."),
]

# Words that must not show on any page but Data and definitions (case-insensitive, whole words; checked by
# tests/test_issue24_words.py on demo data and the real store).
JARGON: list[str] = [r"special[- ]cause", r"common[- ]cause", r"vintages?", r"footprints?", r"residual",
                     r"data directory", r"arcsine", r"spread ratio", r"geography level", r"overdispersion"]
