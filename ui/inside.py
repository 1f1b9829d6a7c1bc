"""Inside a system: cached organisation measures, sickness rows and bridges, the bridge waterfall, and the link to
the organisations page that other pages place beside their figures.

Caches are keyed on the store's snapshot id (and the disclosure setting), as ui.data's are.
"""
from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from lib.data import footprint, geography
from lib.data.schema import ALL_STAFF, month_add, month_range
from lib.insight import bridge as br
from lib.insight import chart_text
from lib.insight import disclosure_plan
from lib.insight import organisations as og
from lib.insight import peers
from ui import auth, data, on_request, shell, tables, trend_charts

ORG_PAGE = "views/organisations.py"
SICKNESS_PAGE = "views/sickness.py"
WATERFALL_COLOURS = {"total": "#005EB8", "decrease": "#801650", "increase": "#28A197", "residual": "#A285D1"}


@st.cache_data(max_entries=8, show_spinner=False)
def _org_frame(data_dir: str, snap: tuple, level: str) -> pd.DataFrame:
    return og.org_rows(footprint.load_frame(data_dir, level))  # level: a geography key (lib/data/footprint.py)


def org_frame(data_dir: Path, level: str) -> pd.DataFrame:
    """Canonical rows of organisations (empty when the data holds only system totals, e.g. the demo)."""
    return _org_frame(str(data_dir), data.snapshot(data_dir), level)


@st.cache_data(max_entries=8, show_spinner=False)
def _org_metrics(data_dir: str, snap: tuple, level: str, basis: str, sdc: bool) -> pd.DataFrame:
    m = og.org_metrics(_org_frame(data_dir, snap, level), basis=basis, level=level)
    return disclosure_plan.shown(m, data.joint_plan(Path(data_dir), level), "org") if sdc else m


def org_metrics(data_dir: Path, level: str, basis: str = "fte") -> pd.DataFrame:
    """Organisation measures (lib.insight.organisations.org_metrics), disclosure control applied when it is on."""
    return _org_metrics(str(data_dir), data.snapshot(data_dir), level, basis, auth.disclosure_on())


@st.cache_data(max_entries=16, show_spinner=False)
def _care_setting_metrics(data_dir: str, snap: tuple, level: str, setting: str, basis: str, sdc: bool):
    m = og.care_setting_metrics(_org_frame(data_dir, snap, level), setting, basis=basis)
    return disclosure_plan.shown(m, data.joint_plan(Path(data_dir), level), "care", level, setting) if sdc else m


def care_setting_metrics(data_dir: Path, level: str, setting: str, basis: str = "fte") -> pd.DataFrame:
    return _care_setting_metrics(str(data_dir), data.snapshot(data_dir), level, setting, basis, auth.disclosure_on())


@st.cache_data(max_entries=8, show_spinner=False)
def _sickness(data_dir: str, snap: tuple, level: str) -> pd.DataFrame:
    return footprint.load_sickness(data_dir, level)  # level: a geography key; re-based as turnover rows are


def sickness(data_dir: Path, level: str) -> pd.DataFrame:
    return _sickness(str(data_dir), data.snapshot(data_dir), level)


@st.cache_data(max_entries=32, show_spinner=False)
def _bridge(data_dir: str, snap: tuple, level: str, area: str, start: str, end: str, group: str, basis: str,
            org: str | None) -> br.Bridge:
    months = month_range(month_add(start, 1), end) if end > start else [end]
    frame = footprint.load_frame(data_dir, level, periods=months,
                                 area_codes=None if area == br.ENGLAND_CODE else [area])
    return br.staff_in_post_bridge(frame, area, start, end, group, basis, org_code=org)


def bridge(data_dir: Path, level: str, area: str, start: str, end: str, group: str = ALL_STAFF,
           basis: str = "fte", org: str | None = None) -> br.Bridge:
    return _bridge(str(data_dir), data.snapshot(data_dir), level, area, start, end, group, basis, org)


def waterfall_chart(table: pd.DataFrame, unit: str, height: int = 300, legend: dict | None = None) -> alt.LayerChart:
    """Waterfall of a bridge table (lib.insight.bridge.BRIDGE_COLUMNS): totals from zero, steps floating.
    `legend`: names of the kinds (total, decrease, increase, residual) when not the staff-in-post bridge's."""
    w = br.waterfall_frame(table)
    w["Step"] = w["label"]
    w["Change"] = w["value"]
    w["Running total"] = w["cumulative"]
    legend = legend or {"total": "Staff in post", "decrease": "Leavers / fall", "increase": "Joiners / rise",
                        "residual": "Other changes: hours, regrading (not a published flow)"}
    w["Kind"] = w["kind"].map(legend)
    domain = [legend[k] for k in WATERFALL_COLOURS if legend[k] in set(w["Kind"])]
    rng = [WATERFALL_COLOURS[k] for k in WATERFALL_COLOURS if legend[k] in set(w["Kind"])]
    x = alt.X("Step:N", sort=alt.EncodingSortField("order", op="min"), title=None,
              axis=alt.Axis(labelAngle=0, labelLimit=170, labelFontSize=11))
    hi = float(w["high"].max())
    steps = w[w["kind"] != "total"]
    span = max(hi - float(w.loc[w["kind"] == "total", "cumulative"].min()) + 1, 1.0)
    # Axis from just below the smallest running total, so the flows (small beside the stock) can be seen.
    floor = max(0.0, float(w["cumulative"].min()) - 1.5 * max(float(steps["value"].abs().max() if len(steps) else 0),
                                                               0.01 * span))
    bars = alt.Chart(w).mark_bar(size=46).encode(
        x=x, y=alt.Y("low:Q", title=unit, scale=alt.Scale(domain=[floor, hi + 0.02 * (hi - floor)], clamp=True),
                     axis=alt.Axis(format=",.0f")),
        y2="high:Q",
        color=alt.Color("Kind:N", scale=alt.Scale(domain=domain, range=rng), legend=alt.Legend(orient="bottom",
                                                                                              title=None)),
        tooltip=[alt.Tooltip("Step:N"), alt.Tooltip("Change:Q", format=",.1f"),
                 alt.Tooltip("Running total:Q", format=",.1f")])
    text = alt.Chart(w).mark_text(dy=-8, fontSize=11, color="#231f20").encode(
        x=x, y="high:Q", text=alt.Text("Change:Q", format="+,.1f"))
    return alt.layer(bars, text).properties(height=height)


def show_bridge(b: br.Bridge, title: str, key: str) -> None:
    """The bridge as a waterfall with its figures in the caption under it (`title` is markdown-safe already: names
    passed through plain), the same figures as lines, its notes, and downloads."""
    unit = "FTE" if b.basis == "fte" else "Headcount"
    st.markdown(f"**{title}**")
    description = chart_text.bridge_description(b.table, f"Why staff in post moved, {title.removesuffix(f' ({unit})')}",
                                                unit)
    trend_charts.show(waterfall_chart(b.table, unit), f"bridge_{b.area_code}_{b.start_month}_{b.end_month}", key,
                      description=description)
    st.markdown("  \n".join(br.bridge_text(b)))
    for n in b.notes:
        st.caption(n)
    shell.downloads(b.table.rename(columns={"label": "Step", "value": f"Change ({unit})",
                                            "cumulative": f"Running total ({unit})"}),
                    f"bridge_{b.area_code}_{b.start_month}_{b.end_month}", f"{key}_dl", notes=b.notes)


def bridge_disclosive(b: br.Bridge, data_dir: Path | None = None, level: str | None = None,
                      org: str | None = None) -> bool:
    """True when the bridge would show a hidden figure (the bridge is then not shown): a count under the threshold,
    or (given the store) a stock or flow the joint plan hides in the tables (lib.insight.disclosure_plan, as the
    board pack checks it), so the bridge never shows what a table hides."""
    plan = None if data_dir is None or level is None else data.joint_plan(Path(data_dir), level)
    return disclosure_plan.bridge_disclosive(b, plan, level or "", org)


_MD_SPECIAL = "\\`*_{}[]()#+-.!|<>~$"


def plain(text: object) -> str:
    """A published name made safe for markdown (st.markdown, subheaders, captions): every markdown character is
    escaped, so a name shows as published and can never become a link, emphasis or HTML. (Values from a link or
    a person go through ui.text.md, which also stops bare addresses becoming links.)"""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def link_to_organisations(ctx, area: str, group: str = ALL_STAFF, label: str | None = None) -> None:
    """A link to the organisations of a system (only for a system code, never a region or England)."""
    if area not in geography.area_codes(ctx.level):
        return
    st.page_link(ORG_PAGE, label=label or f"Organisations inside {ctx.area_names.get(area, area)}",
                 icon=":material/domain:",
                 query_params={"level": ctx.level, "period": ctx.period, "area": area, "group": group})


@st.cache_data(max_entries=8, show_spinner=False)
def _peer_parts(data_dir: str, snap: tuple, level: str, period: str, sdc: bool) -> dict | None:
    from lib.insight.metrics import area_metrics
    f = _org_frame(data_dir, snap, level)
    if f.empty:
        return None
    m = area_metrics(peers.without_hosted(f[f["period_end"].astype(str) == period]), by_staff_group=True,
                     include_england=True)
    return {"hosted": peers.hosted_services(f, period), "profile": peers.system_profile(f, period),
            "without_hosted": disclosure_plan.shown(m, data.joint_plan(Path(data_dir), level), disclosure_plan.NOHOST,
                                                    level)
            if sdc else m}


def peer_parts(data_dir: Path, level: str, period: str) -> dict | None:
    """For fair comparisons (lib.insight.peers): hosted regional services per system, each system's size and
    care-setting mix (for similar systems), and the metrics of the month without hosted regional services (system
    and England alike). None when the data holds no organisation rows (the demo store)."""
    return _peer_parts(str(data_dir), data.snapshot(data_dir), level, period, auth.disclosure_on())


ROLE_MIX_TAIL = peers.ROLE_MIX_HOSTED   # what Role mix's switch does, said where the switch is defined
RATES_TAIL = "The table gives the system's rates without them (FTE basis); Data and definitions says the rule."


def hosted_note(hosted: pd.DataFrame, area: str, names: dict, tail: str = ROLE_MIX_TAIL) -> str | None:
    """The warning a system's figures need when a hosted regional service is counted in them (names escaped)."""
    h = hosted[hosted["system_code"] == area]
    if h.empty:
        return None
    items = "; ".join(f"{plain(r.org_name)} ({r.kind}, {r.fte:,.0f} FTE, {100 * r.share:.1f}% of the system's staff)"
                      for r in h.itertuples())
    return (f"{plain(names.get(area, area))}'s figures include hosted regional services, which serve people beyond "
            f"the system: {items}. Their staff make the system look different from England for reasons that are "
            f"not the system's own. {tail}")


@st.cache_data(max_entries=256, show_spinner=False)
def _rates_table(figures: tuple, area: str, group: str, period: str, measures: tuple[str, ...],
                 similar: tuple[str, ...], with_nohost: bool) -> pd.DataFrame:
    # computed once per data snapshot and selection: a rerun does not load the metrics frame again (issue 16)
    data_dir, snap, level, _, sdc = figures[:5]
    nohost = _peer_parts(data_dir, snap, level, period, sdc)["without_hosted"] if with_nohost else None
    return peers.rates_with_peers(data.metrics_for(*figures), area, period, list(similar), measures, group,
                                  without_hosted=nohost)


def similar_of(ctx, area: str) -> tuple[dict, list[str]] | None:
    """(peer_parts, the similar systems' codes) for a system of the footprint shown; None for a region, England or
    a store without organisation rows (the demo)."""
    if area not in geography.area_codes(ctx.level):
        return None
    parts = peer_parts(ctx.data_dir, ctx.level, ctx.period)
    similar = [] if parts is None else list(peers.similar_systems(parts["profile"], area)["area_code"])
    return (parts, similar) if similar else None


@st.cache_data(max_entries=256, show_spinner=False)
def _mix_table(figures: tuple, area: str, period: str, similar: tuple[str, ...]) -> pd.DataFrame:
    return peers.mix_with_peers(data.metrics_for(*figures), area, period, list(similar))


def mix_against_peers(ctx, figures: tuple, area: str) -> pd.DataFrame | None:
    """The system's share of FTE by staff group beside its similar systems' quartiles and England's
    (lib.insight.peers.mix_with_peers), computed once per snapshot and selection; None for a region, England, a
    store without organisation rows or one that cannot be read just now."""
    found = similar_of(ctx, area)
    if found is None:
        return None
    try:
        return _mix_table(figures, area, ctx.period, tuple(found[1]))
    except Exception:  # noqa: BLE001 - store unreadable: the page's figures show the last good ones with a warning
        return None


def rates_against_peers(ctx, figures: tuple, area: str, group: str, measures: tuple[str, ...], *, key: str,
                        title: str) -> pd.DataFrame | None:
    """Beside a comparison with England (issue 24): the system's rates, England's and its similar systems'
    quartiles (lib.insight.peers.rates_with_peers), with any hosted regional service counted in the system named
    above the table and, on an FTE basis, its rates without them. `figures`: the page's data.figures_key. Systems
    only; None when nothing is drawn (a region, England, a store without organisation rows, or one that cannot be
    read just now: the page's own figures say so)."""
    found = similar_of(ctx, area)
    if found is None:
        return None
    parts, similar = found
    basis = figures[3]
    note = hosted_note(parts["hosted"], area, ctx.area_names,
                       RATES_TAIL if basis == "fte" else "Data and definitions says the rule.")
    try:   # the figures without hosted services are of the FTE basis and the month (not 12-month rolling)
        table = _rates_table(figures, area, group, ctx.period, tuple(measures), tuple(similar),
                             bool(note) and basis == "fte")
    except Exception:  # noqa: BLE001 - store unreadable: the page's figures show the last good ones with a warning
        return None
    if table.empty:
        return None
    names = "; ".join(ctx.area_names.get(c, c) for c in similar)
    st.markdown(f"**{title}**")
    if note:
        st.warning(note, icon=":material/local_hospital:")
    shown, cfg = _rates_on_screen(table)
    tables.show(shown, key=key, column_config=cfg)
    st.caption(f"Similar systems (closest in size, care-setting mix and region; Data and definitions says the rule): "
               f"{plain(names)}. Quartiles are of these systems, the system itself left out; the middle half lies "
               "between the lower and upper quartile.")
    on_request.table_downloads(table, f"{key}_{ctx.level}_{area}_{ctx.period}", f"{key}_dl",
                               notes=[f"{ctx.source_label}; {ctx.systems_label}; month ending {ctx.period}; staff "
                                      f"group {group}; {basis.upper() if basis == 'fte' else 'headcount'} basis",
                                      peers.SIMILAR_RULE, "Similar systems: " + names,
                                      *([peers.HOSTED_RULE] if note else []),
                                      *(["SYNTHETIC demo data - not real figures"] if ctx.synthetic else [])])
    return table


def _rates_on_screen(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """(the peers' rates table as shown, its column_config): which end is better inside the measure's cell, the
    similar systems' middle half as one 'lower to upper quartile' cell and England without hosted services left to
    the download, with short headings, so it fits 1366 px without a sideways scroll (the download keeps every
    column, unrounded)."""
    q1, q3 = table["Similar systems' rate: lower quartile"], table["Similar systems' rate: upper quartile"]
    half = [f"{100 * a:.2f}% to {100 * b:.2f}%" if pd.notna(a) and pd.notna(b) else "-" for a, b in zip(q1, q3)]
    shown = table.assign(Measure=table["Measure"] + " (" + table["Better"].str.lower() + ")")
    shown.insert(3, "Similar systems' middle half", half)
    shown = shown.drop(columns=["Better", "Similar systems' rate: lower quartile",
                                "Similar systems' rate: upper quartile",
                                "England's rate without hosted regional services"], errors="ignore")
    cfg = {"Measure": st.column_config.TextColumn("Measure", width=190),
           "System's rate": st.column_config.NumberColumn("System", width=70),
           "England's rate": st.column_config.NumberColumn("England", width=70),
           "Similar systems' middle half": st.column_config.TextColumn(
               "Peers' middle half", width=160, help="Lower to upper quartile of the similar systems (peers)"),
           "Similar systems' rate: median": st.column_config.NumberColumn("Their median", width=90),
           "Among similar systems": st.column_config.TextColumn("Among similar systems", width=205),
           "System's rate without hosted regional services": st.column_config.NumberColumn(
               "Without hosted services", width=175,
               help="The system's rate without its hosted regional services (the download adds England's)")}
    return shown, cfg
