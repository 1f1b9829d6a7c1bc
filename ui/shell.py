"""Sidebar context shared by every page, the synthetic-data marker, definitions and downloads."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.insight import exports, provenance
from lib.data import geography
from lib.insight.metrics import DEFINITIONS
from lib.data.schema import month_add, period_label  # noqa: F401  (pages call shell.period_label)
from ui import data, state

LEVEL_HELP = ("Integrated care systems: the Integrated Care Boards' areas (42 from July 2022, 36 from April 2026; "
              "choose which boundaries below). STPs: the 42 Sustainability and Transformation Partnerships of April "
              "2021 (earlier months).")
LEVEL_WORDS = {"ICS": "Integrated care systems (ICBs)", "STP": "STPs of April 2021 (earlier months)"}


@dataclass(frozen=True)
class Context:
    data_dir: Path
    source_label: str
    synthetic: bool
    level: str
    period: str
    periods: tuple[str, ...]
    provenance: dict

    @property
    def systems_label(self) -> str:
        """The level in users' words, e.g. 'ICBs of April 2026' (the key 'ICS2026' is for links and files)."""
        return geography.vintage(self.level).title

    @property
    def area_names(self) -> dict[str, str]:
        return geography.area_names(self.level)

    @property
    def previous_period(self) -> str | None:
        i = self.periods.index(self.period)
        return self.periods[i - 1] if i > 0 else None

    @property
    def year_ago_period(self) -> str | None:
        p = month_add(self.period, -12)
        return p if p in self.periods else None


def sidebar() -> Context | None:
    """Draw the shared sidebar. Returns None (after explaining why) when there is nothing to show."""
    sb = st.sidebar
    sources = data.data_sources()
    by_key = {data.source_key(p): label for label, p in sources.items()}  # the link carries ?source=<key>
    if len(by_key) == 1:
        src_key = next(iter(by_key))
        state.url_value("source", list(by_key), src_key)  # a link from another source says it was not available
    else:
        src_key = state.selectbox("Data source", "source", list(by_key), default=next(iter(by_key)),
                                  format_func=by_key.get, container=sb)
    st.query_params["source"] = src_key
    src_label = by_key[src_key]
    data_dir = sources[src_label]
    data.show_store_problems(data_dir)  # refused (damaged/foreign) files are named; the rest is served
    try:
        prov = data.provenance(data_dir)
    except Exception:  # a broken manifest must not break the page
        prov = {"synthetic": False, "levels": {}, "files": []}
    levels = [lv for lv in geography.LEVELS if lv in prov.get("levels", {})]
    if not levels:
        st.error("No workforce data found in the data directory. Ingest files with "
                 "`python -m lib ingest FILE --data-dir DIR` (DIR: the directory this dashboard was started with), "
                 "or choose the demo data.")
        return None
    _footprint_in_level_param()
    if len(levels) == 1:   # nothing to choose: say what is shown, no one-option radio
        level = levels[0]
        # the store level only: which systems (which year's boundaries) are shown is the choice below, not the
        # level's first boundaries (this said "ICBs of July 2022" above a page of the 36 ICBs of April 2026)
        sb.caption(f"Areas: {LEVEL_WORDS.get(level, level)}")
    else:
        level = state.radio("Areas", "level", levels, default="ICS", container=sb, help=LEVEL_HELP,
                            format_func=lambda lv: LEVEL_WORDS.get(lv, lv))
    periods = data.periods(data_dir, level)
    period = state.selectbox("Period (month ending)", "period", periods[::-1], default=periods[-1],
                             format_func=period_label, container=sb)
    key = footprint_choice(level, period, sb)
    synthetic = bool(prov.get("synthetic"))
    info = prov["levels"][level]
    sb.caption(f"**{src_label}**  \n{LEVEL_WORDS.get(level, level)}: {period_label(info['first'])} to "
               f"{period_label(info['last'])} "
               f"({info['count']} monthly periods)")
    statement = provenance.source_statement(prov)
    st.session_state["_source_statement"] = statement  # written into every download (see downloads)
    if synthetic:
        sb.warning("Synthetic demo data: shaped like England from public national figures, not real figures "
                   "for any system.", icon=":material/science:")
    else:
        sb.success(f"**Real data**: {statement}", icon=":material/verified:")
        files = prov.get("files", [])
        if files:
            with sb.expander("Provenance"):
                st.dataframe(pd.DataFrame(files)[[c for c in ("file", "kind", "periods", "ingested_at")
                                                  if c in pd.DataFrame(files)]], hide_index=True)
    return Context(data_dir, src_label, synthetic, key, period, tuple(periods), prov)


FOOTPRINT_HELP = ("Which systems every month is shown on. Months published on other ICB boundaries are re-counted: "
                  "each organisation is counted in its system under the chosen boundaries (from the latest loaded "
                  "month on those boundaries it appears in; otherwise, and for ICBs' own staff, by what its system "
                  "became, a split ICB going to the successor that took the larger part). Nothing is dropped: "
                  "England and regional totals are the same whichever boundaries are chosen.")


def _footprint_in_level_param() -> None:
    """A link built from a page's level (a geography key such as ICS2026) carries level=ICS&footprint=2026."""
    raw = str(st.query_params.get("level", ""))
    if raw in geography.VINTAGES and raw not in geography.LEVELS:
        v = geography.VINTAGES[raw]
        st.query_params["level"] = v.level
        st.query_params["footprint"] = v.year
        st.session_state["url_footprint"] = v.year


def footprint_choice(level: str, period: str, sb) -> str:
    """The geography key pages use as the level: at ICS level the footprint chosen in the sidebar (deep link
    ?footprint=2026), by default the vintage in force for the chosen period."""
    vintages = geography.level_vintages(level)
    if len(vintages) < 2:
        return level
    years = [v.year for v in vintages]
    default = geography.vintage_for(level, period).year
    labels = {v.year: v.label for v in vintages}
    year = state.radio("Show every month on the systems of", "footprint", years, default=default, container=sb,
                       format_func=lambda y: labels[y], help=FOOTPRINT_HELP)
    return geography.vintage(year).key


def synthetic_marker(ctx: Context) -> None:
    if ctx.synthetic:
        st.caption(":material/science: **Synthetic demo data** - not real figures for any system.")
    else:  # real data is named positively: publications, months, when ingested
        st.caption(f":material/verified: **Real data**: {provenance.source_statement(ctx.provenance)}")


def definition(*measures: str, key: str | None = None) -> None:
    """Definitions one click away, next to the figures they explain. With `key` the popover's words are built and
    sent only while it is open (state in the session under `key`; opening it reruns the enclosing fragment), so a
    page's change does not re-send them."""
    if key is not None:
        box = st.popover("Definitions and source", icon=":material/info:", key=key, on_change="rerun")
        if not box.open:
            return
    else:
        box = st.popover("Definitions and source", icon=":material/info:")
    with box:
        for m in measures:
            if m in DEFINITIONS:
                st.markdown(f"**{m.replace('_', ' ').capitalize()}**: {DEFINITIONS[m]}")
        st.caption("Source: NHS Digital NHS Workforce Statistics (turnover benchmarking, staff in post); vacancies "
                   "from the Provider Workforce Return or the vacancy template. Rates are fractions shown as %.")


def downloads(df: pd.DataFrame, name: str, key: str, notes: list[str] | None = None) -> None:
    """CSV and Excel downloads of a table (built only when clicked); formula-like cells are neutralised, numbers
    rounded as shown, and both files carry notes (title, period, source, synthetic label where it applies)."""
    source = st.session_state.get("_source_statement")
    notes = export_notes(name, [*(notes or []), *([f"Data source: {source}"] if source else [])])
    # side by side, sized to their labels (half-width columns cut "Download Excel" inside a popover)
    c1 = c2 = st.container(horizontal=True, gap="small")
    c1.download_button("Download CSV", lambda: exports.to_csv_bytes(df, source, notes=notes), file_name=f"{name}.csv", mime="text/csv",
                       key=f"{key}_csv", icon=":material/download:", on_click="ignore", width="content")
    c2.download_button("Download Excel", lambda: exports.to_excel_bytes(df, notes=notes), file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key=f"{key}_xlsx", icon=":material/download:", on_click="ignore", width="content")


def export_notes(name: str, notes: list[str] | None = None) -> list[str]:
    """Notes for a download: the caller's, plus title, period, source and the synthetic label when missing."""
    ctx = st.session_state.get("ctx")
    notes = list(notes or [])
    text = " ".join(notes)
    title = exports.title_from_name(name, ctx.area_names if ctx else None, ctx.level if ctx else None)
    std = exports.standard_notes(title, period=(f"{period_label(ctx.period)} ({ctx.level})"
                                                                 if ctx else None),
                                 synthetic=bool(ctx and ctx.synthetic))
    return [n for n in std if n not in text and not (n == exports.SYNTHETIC_NOTE and "SYNTHETIC" in text)] + notes


def pct(x: float | None, digits: int = 2) -> str:
    return "-" if x is None or pd.isna(x) else f"{100 * x:.{digits}f}%"


def num(x: float | None, digits: int = 0) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:,.{digits}f}"
