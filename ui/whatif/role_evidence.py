"""Observed evidence beside each new-role lever of the what-if studio (lib.whatif.role_evidence): the chosen
system's FTE of the role in primary care networks, its growth a year, England's, where its pace ranks; the slider
range from the spread of systems' paces; and a preset "pace of the fastest quarter of systems". Self-contained: the
lever panel calls slider_range() and show() and nothing else."""
from __future__ import annotations

import streamlit as st

from lib.data import geography, pcn_store
from lib.insight import disclosure_plan
from lib.whatif import role_evidence as ev
from lib.whatif import studio as w
from ui import auth, data
from ui.whatif.session import C, SS, log_change, rerun_results

ENGLAND = "ENG"


def _footprint(level: str) -> str:
    return level if level in ("ICS", "ICS2026") else "ICS"


@st.cache_data(max_entries=8, show_spinner="Working out which small numbers to hide in the primary care figures "
                                           "(once after new data)")
def _growth(data_dir: str, snap: tuple, key: str, roles: tuple[str, ...], sdc: bool = False):
    frame = pcn_store.on_footprint(pcn_store.load(data_dir), key)
    if frame.empty:
        return None
    pop = pcn_store.population(data_dir, key)
    if pop.empty:
        return None
    g = ev.growth_table(frame, pop, list(roles), key)
    if sdc:  # the PCN tables' joint plan (the PCN page's): a lever figure summing a hidden cell is hidden
        g = ev.shown_growth(g, frame, key, lambda p: disclosure_plan.pcn_viewer_plan(data_dir, [p]))
    return g


@st.cache_data(max_entries=128, show_spinner=False)
def _evidence(data_dir: str, snap: tuple, key: str, labels: tuple[tuple[str, str], ...], system: str,
              sdc: bool) -> dict[str, ev.Evidence]:
    g = _growth(data_dir, snap, key, tuple(r for r, _ in labels), sdc)
    if g is None:
        return {}
    return ev.evidence(g, system, dict(labels), key, disclosure=sdc)


def evidence(area: str) -> dict[str, ev.Evidence]:
    """lever role -> Evidence for the studio's area ({} when no PCN files or population are loaded); computed once
    per store snapshot, footprint, system and disclosure setting (the lever panel asks for it twice a lever)."""
    ctx = SS.get("ctx")
    if ctx is None:
        return {}
    key = _footprint(ctx.level)
    a = w.shared_assumptions()
    labels = tuple((r, a.new_role(r)["label"]) for r in a.new_role_ids)
    system = area if area in geography.area_codes(key) else ENGLAND
    return _evidence(str(ctx.data_dir), data.snapshot(ctx.data_dir), key, labels, system, auth.disclosure_on())


def slider_range(area: str, role: str, default: tuple[int, int, int], current: int = 0) -> tuple[int, int, int]:
    """(0, max, step): the fastest system's observed pace at this system's size when there is evidence, else the
    default; a current value above it widens it."""
    e = evidence(area).get(role)
    got = e.slider_max() if e is not None else None
    if got is None:
        return default
    hi, step = got
    if current > hi:
        hi = int(-(-current // step) * step)
    return 0, hi, step


def _apply_preset(role: str, value: float, label: str) -> None:
    SS[C + f"nr_{role}_recruited"] = round(float(value), 1)
    log_change(f"{label}: recruited trained, FTE a year (pace of the fastest quarter of systems)", round(value, 1))
    rerun_results()


def show(area: str, role: str) -> None:
    """The evidence sentence under a lever, the preset button, and what stays unverified."""
    found = evidence(area)
    e = found.get(role)
    if e is None:
        if not found and role == w.shared_assumptions().new_role_ids[0]:  # said once, under the first lever
            st.caption("No primary care network figures (or no population) loaded: these levers' ranges are the "
                       "defaults, not observed growth.")
        return
    st.caption(f":material/query_stats: {e.text()}  \nSource: {ev.SOURCE}; mapped to published roles: "
               f"{', '.join(e.published_roles) or 'none'} (see Data and definitions).")
    if e.fastest_quarter_per_year:
        st.button(f"Grow at the pace of the fastest quarter of systems ({e.fastest_quarter_per_year:,.1f} FTE a "
                  "year)", key=f"wi_pace_{role}", on_click=_apply_preset,
                  args=(role, e.fastest_quarter_per_year, e.label),
                  help="Sets 'Recruited trained, FTE a year' for this role (in its details) to the upper quartile "
                       "of systems' growth per 100,000 people at this system's population: PCNs mostly recruited "
                       "these roles trained. The model then applies the role's leaver rate.")
    st.caption("Still unverified for this lever (not observed in these files): substitution ratio, band, course "
               "length, completion and leaver rates.")
