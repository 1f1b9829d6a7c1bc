"""Primary care networks' new roles: cached tables (keyed on the store's snapshot id, the footprint and the
disclosure setting) and the charts the page and the System profile draw. Figures come from lib.insight.pcn_roles;
on a shared deployment every system x role and PCN x role cell with headcount or FTE under 5 is hidden, with what
would reveal it from every PCN table a viewer can reach (one plan for them all: lib.sharing.pcn_joint, kept beside the
store by lib.insight.disclosure_plan), before anything is drawn or downloaded."""
from __future__ import annotations

from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from lib.data import geography, pcn_store
from lib.data.schema import period_label
from lib.insight import pcn_roles
from lib.insight import disclosure_plan
from lib.sharing import pcn_joint
from lib.stats.funnel import funnel
from ui import auth, charts, data

SOURCE = "NHS Digital, Primary Care Networks workforce (Individual Level files)"
POPULATION = "ONS mid-2022 population estimates (sub-ICB locations)"
ENGLAND = pcn_roles.ENGLAND[0]


def footprint(level: str) -> str:
    """The PCN files carry ICBs: shown on the ICBs of 2022 or of 2026 (STP falls back to the 2022 ICBs)."""
    return level if level in ("ICS", "ICS2026") else "ICS"


def _key(data_dir: Path, level: str) -> tuple:
    return (str(data_dir), data.snapshot(data_dir), footprint(level), auth.disclosure_on())


@st.cache_data(max_entries=8, show_spinner=False)
def _frame(data_dir: str, snap: tuple, key: str, sdc: bool) -> pd.DataFrame:
    return pcn_store.on_footprint(pcn_store.load(data_dir), key)


@st.cache_data(max_entries=8, show_spinner=False)
def _population(data_dir: str, snap: tuple, key: str, sdc: bool) -> pd.DataFrame:
    return pcn_store.population(data_dir, key)


def periods(data_dir: Path) -> list[str]:
    return pcn_store.periods(data_dir)


def frame(data_dir: Path, level: str) -> pd.DataFrame:
    return _frame(*_key(data_dir, level))


def population(data_dir: Path, level: str) -> pd.DataFrame:
    return _population(*_key(data_dir, level))


# a quarter's plan is worked out once per new data (seconds to a minute for the largest quarters), then read back
@st.cache_data(max_entries=16, show_spinner="Working out which small numbers to hide for this quarter (once after "
                                            "new data; later visits are instant)")
def _plan(data_dir: str, snap: tuple, period: str):
    """The quarter's joint plan for every PCN table (lib.insight.disclosure_plan.pcn_viewer_plan: read from beside
    the store, computed and saved on first need)."""
    return disclosure_plan.pcn_viewer_plan(data_dir, [period])


@st.cache_data(max_entries=64, show_spinner=False)
def _table(data_dir: str, snap: tuple, key: str, sdc: bool, period: str, source: str) -> pd.DataFrame:
    f = _frame(data_dir, snap, key, sdc)
    pop = _population(data_dir, snap, key, sdc)
    systems = list(geography.vintage(key).areas["code"])
    t = pcn_roles.roles_table(f, period, source=source, population=pop if len(pop) else None, systems=systems)
    e = pcn_roles.roles_table(f, period, by="england", source=source, population=pop if len(pop) else None)
    t = pd.concat([t, e], ignore_index=True)
    if sdc:
        t = pcn_joint.apply(t, _plan(data_dir, snap, period), pcn_joint.AREA, key, source)
    return t


def table(data_dir: Path, level: str, period: str, source: str = "all") -> pd.DataFrame:
    """Systems and England x role for one month (fte, headcount, population, fte_per_100k)."""
    return _table(*_key(data_dir, level), period, source)


@st.cache_data(max_entries=32, show_spinner=False)
def _growth(data_dir: str, snap: tuple, key: str, sdc: bool, source: str) -> pd.DataFrame:
    f = _frame(data_dir, snap, key, sdc)
    pop = _population(data_dir, snap, key, sdc)
    systems = list(geography.vintage(key).areas["code"])
    g = pcn_roles.growth(f, source=source, population=pop if len(pop) else None, systems=systems)
    if sdc and len(g):
        # growth from a hidden cell (at either end) is hidden with it
        for when in ("end", "start"):
            for p in g[when].dropna().unique():
                shown = _table(data_dir, snap, key, sdc, p, source).set_index(["area_code", "role"])
                rows = g[when] == p
                idx = pd.MultiIndex.from_arrays([g.loc[rows, "area_code"], g.loc[rows, "role"]])
                for col in ("fte", "headcount"):
                    g.loc[rows, f"{col}_{when}"] = shown[col].reindex(idx).to_numpy()
        g["fte_per_year"] = (g["fte_end"] - g["fte_start"]) / g["years"]
        if "population" in g:
            g["per_100k_now"] = g["fte_end"] / g["population"] * 100_000
            g["per_100k_per_year"] = g["fte_per_year"] / g["population"] * 100_000
            if "pace_rank" in g:  # ranked among the shown figures only: a hidden one's rank would place it
                pcn_roles.rank_paces(g)
    return g


def growth(data_dir: Path, level: str, source: str = "all") -> pd.DataFrame:
    return _growth(*_key(data_dir, level), source)


def trend(data_dir: Path, level: str, area: str, source: str = "all") -> pd.DataFrame:
    """period x role FTE for a system (or England) over every quarter from the first loaded to the last: NaN where
    a quarter is not loaded (loaded False), where the role was not yet published, or where a cell is hidden."""
    ps = periods(data_dir)
    qs = pcn_roles.quarters(ps)
    parts = []
    for q in qs:
        if q in ps:
            t = table(data_dir, level, q, source)
            t = t[t["area_code"] == area][["role", "fte", "fte_per_100k"] if "fte_per_100k" in t else ["role", "fte"]]
            parts.append(t.assign(period=q, loaded=True))
        else:
            parts.append(pd.DataFrame({"period": [q], "role": [pcn_roles.ALL_ROLES], "fte": [np.nan],
                                       "loaded": [False]}))
    out = pd.concat(parts, ignore_index=True)
    roles = out["role"].unique()
    grid = pd.DataFrame({"period": qs}).merge(pd.DataFrame({"role": roles}), how="cross")
    out = grid.merge(out.drop(columns=["loaded"]), on=["period", "role"], how="left")
    out["loaded"] = out["period"].isin(ps)
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def _pcns(data_dir: str, snap: tuple, key: str, sdc: bool, period: str, source: str, area: str) -> pd.DataFrame:
    f = _frame(data_dir, snap, key, sdc)
    rows = f[(f["period_end"] == period) & (f["area_code"] == area)]
    t = pcn_roles.roles_table(rows, period, by="pcn", source=source)
    names = rows.drop_duplicates("pcn_code").set_index("pcn_code")["sub_icb_name"]
    if sdc:
        t = pcn_joint.apply(t, _plan(data_dir, snap, period), pcn_joint.PCN, source=source)
    tot = t[t["role"] == pcn_roles.ALL_ROLES].copy()
    tot["sub_icb_name"] = tot["area_code"].map(names)
    tot = tot.sort_values(["fte", "area_name"], ascending=[False, True], na_position="last", ignore_index=True)
    tot["rank"] = np.where(tot["fte"].notna(), np.arange(1, len(tot) + 1), np.nan)
    return tot, t


def pcns(data_dir: Path, level: str, period: str, area: str, source: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each PCN's all-roles row ranked by FTE, the PCN x role grid), disclosure control applied when on."""
    return _pcns(*_key(data_dir, level), period, source, area)


# ---------------------------------------------------------------------------------------------------- charts
def trend_chart(t: pd.DataFrame, roles: list[str], title: str, per_100k: bool = False) -> alt.LayerChart:
    """FTE (or per 100,000) by quarter, one line per role: a quarter not loaded, a role not yet published or a
    hidden cell breaks the line (each unbroken run is its own segment); points on every figure."""
    col = "fte_per_100k" if per_100k and "fte_per_100k" in t else "fte"
    d = t[t["role"].isin(roles)].sort_values(["role", "period"]).copy()
    d["value"] = d[col]
    d["segment"] = d.groupby("role")["value"].transform(lambda s: s.isna().cumsum())
    d = d.dropna(subset=["value"])
    d["quarter"] = d["period"].map(period_label)
    order = [period_label(p) for p in sorted(t["period"].unique())]
    x = alt.X("quarter:O", sort=order, title=None, axis=alt.Axis(labelAngle=0, values=order))
    y_title = "FTE per 100,000 people" if col != "fte" else "FTE"
    y = alt.Y("value:Q", title=y_title)
    colour = alt.Color("role:N", title="Role", legend=alt.Legend(orient="bottom", columns=3, labelLimit=0))
    line = alt.Chart(d).mark_line(strokeWidth=2).encode(x=x, y=y, color=colour, detail="segment:N")
    pts = alt.Chart(d).mark_point(filled=True, size=45).encode(
        x=x, y=y, color=colour, tooltip=[alt.Tooltip("role:N", title="Role"), alt.Tooltip("quarter:N", title="Quarter"),
                                         alt.Tooltip("value:Q", format=",.1f", title=y_title)])
    return alt.layer(line, pts).properties(title=title, height=300)


def funnel_chart(units: pd.DataFrame, title: str, highlight: str | None = None) -> tuple[alt.LayerChart, str]:
    """Funnel of systems' FTE per 100,000 against population: lib.stats.funnel's proportion limits (FTE / people,
    FunnelPlotR "PR" with its overdispersion adjustment) drawn per 100,000. Returns the chart and a sentence."""
    res = funnel(units["fte"].to_numpy(), units["population"].to_numpy(), units["code"].to_numpy())
    names = dict(zip(units["code"], units["name"]))
    u = res.units.copy()
    code_col = next(c for c in ("label", "unit", "code") if c in u)
    curve = res.curve
    curve = curve[curve["denominator"] >= 0.5 * float(units["population"].min())]
    long = curve.melt(id_vars=["denominator"], value_vars=["lower_95", "upper_95", "lower_99_8", "upper_99_8"],
                      var_name="limit", value_name="rate")
    long["per_100k"] = long["rate"] * 100_000
    long["Limits"] = np.where(long["limit"].str.endswith("99_8"), "99.8% limits", "95% limits")
    pts = pd.DataFrame({"code": u[code_col], "System": u[code_col].map(names), "Population": u["denominator"],
                        "FTE": u["numerator"], "per_100k": u["rate"] * 100_000})
    hi, lo = curve.set_index("denominator")["upper_99_8"], curve.set_index("denominator")["lower_99_8"]
    up = np.interp(pts["Population"], hi.index, hi.to_numpy()) * 100_000
    dn = np.interp(pts["Population"], lo.index, lo.to_numpy()) * 100_000
    pts["Reading"] = np.where(pts["per_100k"] > up, "Above the 99.8% limit",
                              np.where(pts["per_100k"] < dn, "Below the 99.8% limit", "Within limits"))
    pts["selected"] = pts["code"] == highlight
    x = alt.X("Population:Q", axis=alt.Axis(format=",.0f"), title="Population (ONS mid-2022)")
    y = alt.Y("per_100k:Q", title="FTE per 100,000 people", scale=alt.Scale(zero=False))
    lines = alt.Chart(long).mark_line(color="#425563", strokeWidth=1.2).encode(
        x=alt.X("denominator:Q", title="Population (ONS mid-2022)", axis=alt.Axis(format=",.0f")), y=y,
        strokeDash=alt.StrokeDash("Limits:N", scale=alt.Scale(domain=["95% limits", "99.8% limits"],
                                                              range=[[5, 4], [1, 0]]),
                                  legend=alt.Legend(orient="bottom", title=None, labelLimit=0)), detail="limit:N")
    target = alt.Chart(pd.DataFrame({"t": [res.target * 100_000]})).mark_rule(color="#231f20").encode(y="t:Q")
    dom = ["Within limits", "Above the 99.8% limit", "Below the 99.8% limit"]
    points = alt.Chart(pts).mark_point(filled=True, size=70).encode(
        x=x, y=y, color=alt.Color("Reading:N", scale=alt.Scale(domain=dom, range=["#768692", "#005EB8", "#ED8B00"]),
                                  legend=alt.Legend(orient="bottom", title=None, labelLimit=0)),
        tooltip=["System:N", alt.Tooltip("per_100k:Q", format=",.1f", title="FTE per 100,000"),
                 alt.Tooltip("FTE:Q", format=",.1f"), alt.Tooltip("Population:Q", format=",.0f"), "Reading:N"])
    label = alt.Chart(pts[pts["selected"] | (pts["Reading"] != "Within limits")]).mark_text(
        align="left", dx=7, dy=-7, fontSize=11).encode(x=x, y=y, text="System:N")
    layers = [lines, target, points, label]
    if pts["selected"].any():
        layers.append(alt.Chart(pts[pts["selected"]]).mark_point(size=260, strokeWidth=2, color="#231f20")
                      .encode(x=x, y=y))
    above, below = (pts["Reading"] == dom[1]).sum(), (pts["Reading"] == dom[2]).sum()
    words = (f"England's pooled figure is {res.target * 100_000:,.1f} FTE per 100,000 people; {above} systems are "
             f"above the 99.8% limit and {below} below it (limits widened for real differences between systems, as "
             "FunnelPlotR does).")
    return alt.layer(*layers).resolve_scale(color="independent").properties(title=title, height=380), words


def trust_publications(provenance: dict, fallback: str) -> str:
    """The trust publications a store holds, in words (e.g. 'NHS Digital Turnover benchmarking 2')."""
    from lib.insight.provenance import PUBLICATIONS
    files = [f for f in provenance.get("files", []) if isinstance(f, dict)]
    kinds = [PUBLICATIONS[k] for k in ("turnover", "staff_in_post") if any(f.get("kind") == k for f in files)]
    return "; ".join(kinds) or fallback


def profile_panel(data_dir: Path, level: str, area: str, *, trust_fte: float | None = None,
                  trust_when: str = "", trust_source: str = "") -> None:
    """The System profile's trust staff and PCN new roles side by side, each with its own date and source."""
    ps = periods(data_dir)
    st.subheader("Trust staff and primary care networks' new roles")
    left, right = st.columns(2)
    with left:
        left.metric(f"Trust staff, FTE ({trust_when})", "-" if trust_fte is None else f"{trust_fte:,.1f}",
                    border=True)
        st.caption(f"NHS trusts' staff in post, all staff groups, month ending {trust_when}. Source: {trust_source}.")
    with right:
        if not ps:
            st.caption("No primary care network files are loaded (NHS Digital's 'Primary Care Networks - <Month "
                       "Year> Individual Level' CSV; `python -m lib ingest FILE`).")
            return
        p = ps[-1]
        t = table(data_dir, level, p)
        mine = t[t["area_code"] == area]
        if mine.empty:
            st.caption(f"No PCN figures for this system in {period_label(p)} (it may be a system under other ICB "
                       "boundaries).")
            return
        tot = mine[mine["role"] == pcn_roles.ALL_ROLES].iloc[0]
        per = tot.get("fte_per_100k")
        right.metric(f"PCN staff, FTE ({period_label(p)})",
                     "suppressed" if pd.isna(tot["fte"]) else f"{tot['fte']:,.1f}", border=True,
                     delta=None if per is None or pd.isna(per) else f"{per:,.1f} per 100,000 people",
                     delta_color="off", delta_arrow="off")
        top = mine[mine["role"] != pcn_roles.ALL_ROLES].sort_values("fte", ascending=False).head(4)
        st.caption("Largest roles: " + "; ".join(
            f"{r} {'suppressed' if pd.isna(f) else f'{f:,.1f}'}" for r, f in zip(top["role"], top["fte"]))
            + f". Census {period_label(p)}: a different date and source from the trust figures. Source: {SOURCE}; "
              f"population: {POPULATION}.")
        st.page_link("views/pcn_roles.py", label="Primary care networks' new roles", icon=":material/diversity_3:",
                     query_params={"area": area})


def definitions() -> None:
    """Definitions page: how PCN figures are counted and which published roles each what-if lever role maps to
    (the mapping is data: lib/whatif/new_role_evidence.csv)."""
    from lib.whatif import role_evidence
    from lib.whatif import studio as w
    st.subheader("Primary care networks' new roles")
    st.markdown(
        f"- Source: {SOURCE}, quarterly census months; one row per person and role, stored only as totals per "
        "census month, PCN, sub-ICB location, ICB, staff group, staff role and data source (NWRS Staff or NWRS "
        "contracted services).\n"
        "- FTE adds up: a system's FTE is the sum of its PCNs' rows; England's equals the file's own total.\n"
        "- Headcount: distinct identifiers in a cell, plus one for each row without one (contracted-services rows "
        "carry none); a person in two roles or PCNs counts in each.\n"
        f"- {pcn_roles.PER_100K_DEFINITION}\n"
        "- Growth a year: FTE in the latest quarter minus FTE a year earlier (or since the role was first "
        "published, annualised). A role not published in a quarter is missing there, not zero. March 2020 was an "
        "early, partial collection (188 PCNs).\n"
        "- On the ICBs of April 2026 a PCN goes where its sub-ICB location goes when its ICB was split; an ICB "
        "published as a single sub-ICB location (QNQ, abolished in 2026) goes whole to its default successor (Thames "
        "Valley), since the files cannot separate the parts that went elsewhere.")
    st.markdown("**What-if levers and the published roles that evidence them**")
    a = w.shared_assumptions()
    m = role_evidence.mapping()
    st.table(pd.DataFrame({
        "Lever": [a.new_role(r)["label"] if r in a.new_role_ids else r for r in m["lever_role"]],
        "Published PCN role": [p.replace("*", " (any role starting so)") for p in m["published_role"]],
        "How it matches": m["match"], "Note": m["note"]}).set_index("Lever"))
