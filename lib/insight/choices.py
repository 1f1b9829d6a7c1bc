"""Choices the product makes where the figures alone do not decide (shown on the Data and definitions page, so a
reader can see what was chosen and why; issue 24)."""
from __future__ import annotations

from lib.insight import peers

CHOICES: list[tuple[str, str]] = [
    ("Hosted regional services", peers.HOSTED_RULE + " Why: a system should not look over- or under-staffed for "
     "staff it hosts for a whole region; the page keeps them in by default (they are in the published figures) and "
     "says so beside the comparison."),
    ("Similar systems", peers.SIMILAR_RULE),
    ("Demand growth in the what-if studio", "The studio's baseline assumes demand grows 2% a year (an illustrative "
     "assumption, not verified) with 0% productivity, so its gap grows with no lever moved. The studio names this "
     "beside the headline figures, with the demand it adds by the final year and that demand's share of the "
     "final-year gap, and separately how staff in post change at the loaded leaver and joiner rates. Why: the "
     "assumption drives most of the gap, and a reader must see it without opening 'All levers'."),
    ("Surplus", "Where capacity is above demand the studio says 'surplus' and shows the surplus as a positive "
     "figure (FTE, and as a share of demand), never as a negative gap or a 0.0% vacancy rate. Why: a surplus is a "
     "finding in its own right (more staff than the demand assumption needs), not a gap that has closed."),
    ("Vacancy rates on real data", "Published turnover files carry no vacancies. Where the studio needs a starting "
     "gap it applies England's published vacancy rate for the staff group (NHS Vacancy Statistics, England, 30 "
     "September 2025; the all-staff rate where no rate is published for the group) and says so, with source and "
     "date, on the page, in downloads and on pictures. A system's own figures need the vacancy template below."),
    ("Stability index", "Not shown. The stability index (staff in post at the start of a year still in post at its "
     "end, over staff in post at the start) needs person-level records (ESR) linking the two snapshots; the "
     "published turnover files are counts, so it cannot be worked out from them. A 12-month rolling leaver rate is "
     "shown on the Turnover page once 12 consecutive months are loaded (`python -m lib status` says how many are)."),
    ("Your system", "A link with ?area=CODE or ?system=CODE (a system's code, checked against the list of systems "
     "of the geography shown; a code of another geography opens the system it corresponds to, and says so) opens "
     "the Headlines page on that system's summary, with the link to bookmark or copy. 'Remember' keeps the choice "
     "in this browser in a cookie holding only the system's code (read back and checked against the list again; "
     "'Forget' removes it), so the app's plain address opens on it. Why: leaders come back to one system; the link "
     "works anywhere and the cookie needs no sign-in. Nothing is stored about you on the server."),
    ("Similar systems beside England", "Wherever a system's rates or role mix are compared with England "
     "(Headlines' summary, Turnover, System profile, Role mix), the similar systems' lower quartile, median and "
     "upper quartile are shown beside it, with which end is better, and any hosted regional service counted in the "
     "system is named above the figures with the system's rates without it. Why: England is an average of very "
     "different systems; peers like it say whether a figure is unusual for a system of its kind."),
]
