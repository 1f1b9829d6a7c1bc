"""Observed evidence for the what-if studio's new-role levers, from primary care networks' published workforce.

Each lever role (lib/whatif/assumptions_default.json: nursing associates, physician associates, ...) is mapped
to published PCN staff roles in data (lib/whatif/new_role_evidence.csv, shown on the definitions page; a
published_role ending in '*' matches every role starting so). For the chosen system it gives the role's FTE in
the latest census month, its growth a year (lib.insight.pcn_roles.growth: over the last year, or since the role
was first published), England's, and where the system's pace ranks among systems by growth per 100,000 people;
and from the spread of systems' paces, a slider range and the "pace of the fastest quarter of systems" preset
(the upper quartile of growth per 100,000, at the system's population).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib.data import geography
from lib.data.schema import period_label
from lib.insight import pcn_roles

MAPPING_FILE = Path(__file__).with_name("new_role_evidence.csv")
SOURCE = "NHS Digital, Primary Care Networks workforce (Individual Level files)"
NICE = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def mapping() -> pd.DataFrame:
    """lever_role, published_role, match, note (the data the definitions page shows)."""
    with MAPPING_FILE.open(encoding="utf-8", newline="") as fh:
        return pd.DataFrame(list(csv.DictReader(fh)), columns=["lever_role", "published_role", "match", "note"])


def published_for(lever_role: str, roles: list[str], table: pd.DataFrame | None = None) -> list[str]:
    """The published roles (of `roles`) a lever role maps to."""
    m = mapping() if table is None else table
    out = []
    for pat in m[m["lever_role"] == lever_role]["published_role"]:
        if pat.endswith("*"):
            out += [r for r in roles if r.lower().startswith(pat[:-1].lower())]
        elif pat in roles:
            out.append(pat)
    return sorted(set(out))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _nice_max(value: float, floor: float = 10.0) -> tuple[int, int]:
    """(max, step): value rounded up to a whole number of a 'nice' step, at most 50 steps."""
    target = max(value, floor)
    step = next((n for n in NICE if target / n <= 50), NICE[-1])
    return int(math.ceil(target / step) * step), step


@dataclass(frozen=True)
class Evidence:
    lever_role: str
    label: str
    published_roles: tuple[str, ...]
    system_code: str
    system_name: str
    end: str | None = None
    start: str | None = None
    fte_now: float | None = None
    fte_per_year: float | None = None
    rank: int | None = None
    systems: int | None = None
    england_fte_now: float | None = None
    england_per_year: float | None = None
    fastest_quarter_per_year: float | None = None   # FTE a year at this system's population
    fastest_per_year: float | None = None
    population: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    hidden: bool = False   # disclosure control: the system's figure (or the start it grew from) counts under 5

    @property
    def observed(self) -> bool:
        return self.fte_now is not None or self.hidden   # hidden: observed, not shown

    @property
    def window(self) -> str:
        if not self.start or not self.end:
            return ""
        return f"{period_label(self.start)} to {period_label(self.end)}"

    def text(self) -> str:
        """The sentence a facilitator sees beside the lever."""
        if not self.observed:
            return (f"{self.label}: no matching role in the primary care network files loaded"
                    + (f" (to {period_label(self.end)})" if self.end else "") + "; no observed evidence for it.")
        who = "England" if self.system_code == pcn_roles.ENGLAND[0] else self.system_name
        if self.hidden:
            parts = [f"{self.label} in {who}'s PCNs: fewer than 5 people in {period_label(self.end)} or a year "
                     "earlier (figure and growth hidden on a shared deployment)"]
        else:
            parts = [f"{self.label} in {who}'s PCNs: {self.fte_now:,.1f} FTE in {period_label(self.end)}"]
        if self.fte_per_year is not None and not math.isnan(self.fte_per_year) and not self.hidden:
            parts.append(f"{self.fte_per_year:+,.1f} FTE a year ({self.window})")
        if self.rank:
            parts.append(f"{_ordinal(self.rank)} of {self.systems} systems by growth per 100,000 people")
        out = "; ".join(parts) + "."
        if self.system_code != pcn_roles.ENGLAND[0] and self.england_fte_now is not None:
            out += f" England: {self.england_fte_now:,.1f} FTE"
            if self.england_per_year is not None and not math.isnan(self.england_per_year):
                out += f", {self.england_per_year:+,.1f} a year"
            out += "."
        if self.fastest_quarter_per_year is not None:
            out += (f" The fastest quarter of systems grew {self.fastest_quarter_per_year:,.1f} FTE a year or more "
                    f"at {who}'s population" + (f" (fastest {self.fastest_per_year:,.1f})." if
                                                 self.fastest_per_year is not None else "."))
        return out

    def slider_max(self, floor: float = 10.0) -> tuple[int, int] | None:
        """(max, step) for the lever's per-year slider: the fastest system's pace at this system's size, rounded
        up; None without evidence (the lever keeps its default range)."""
        if self.fastest_per_year is None or math.isnan(self.fastest_per_year):
            return None
        return _nice_max(self.fastest_per_year, floor)


def lever_frame(frame: pd.DataFrame, lever_roles: list[str]) -> pd.DataFrame:
    """PCN rows with staff_role replaced by the lever role it maps to (rows of no lever dropped)."""
    roles = sorted(frame["staff_role"].unique())
    table = mapping()
    to_lever = {}
    for lever in lever_roles:
        for r in published_for(lever, roles, table):
            to_lever[r] = lever
    out = frame[frame["staff_role"].isin(to_lever)].copy()
    out["staff_role"] = out["staff_role"].map(to_lever)
    out["staff_group"] = "lever"
    return out


def growth_table(frame: pd.DataFrame, population: pd.DataFrame, lever_roles: list[str],
                 footprint: str = "ICS") -> pd.DataFrame:
    """Growth of every lever role for every system and England (lib.insight.pcn_roles.growth over lever_frame):
    computed once per store and footprint, then read for any system by evidence()."""
    lf = lever_frame(frame, lever_roles)
    if lf.empty:
        return pd.DataFrame()
    systems = list(geography.vintage(footprint).areas["code"])
    g = pcn_roles.growth(lf, end=max(frame["period_end"]), population=population, systems=systems)
    g.attrs["roles"] = sorted(frame["staff_role"].unique())
    g.attrs["end"] = max(frame["period_end"])
    g.attrs["population"] = float(population["population"].sum()) if len(population) else 0.0
    return g


def shown_growth(g: pd.DataFrame, frame: pd.DataFrame, footprint: str, plan_for) -> pd.DataFrame:
    """growth_table() as a viewer of a shared deployment may see it: a system's (or England's) lever-role figure
    is a sum of published role cells, so where the quarter's joint plan (lib.sharing.pcn_joint, `plan_for(period)`)
    hides any of those cells at either end of the growth window, its FTE, headcount, growth and pace are hidden
    (column `hidden` True), and pace ranks are among the shown figures only (a hidden system's rank would place
    it); pace_spread then reads shown paces only. One plan for the PCN page and this evidence."""
    from lib.sharing import pcn_joint
    if g.empty:
        return g
    out = g.copy()
    roles_all = g.attrs.get("roles") or sorted(frame["staff_role"].unique())
    table = mapping()
    systems = list(geography.vintage(footprint).areas["code"])
    hidden_cells: set[tuple[str, str, str]] = set()
    for p in sorted(set(out["end"].dropna()) | set(out["start"].dropna())):
        t = pd.concat([pcn_roles.roles_table(frame, p, systems=systems),
                       pcn_roles.roles_table(frame, p, by="england")], ignore_index=True)
        t = pcn_joint.apply(t, plan_for(p), pcn_joint.AREA, footprint, "all")
        hidden_cells |= {(a, r, p) for a, r in t.loc[t["fte"].isna(), ["area_code", "role"]].itertuples(index=False)}
    pub = {lever: published_for(lever, roles_all, table) for lever in out["role"].unique()}
    pub[pcn_roles.ALL_ROLES] = sorted({r for lever, rs in pub.items() if lever != pcn_roles.ALL_ROLES for r in rs})

    def is_hidden(row) -> bool:
        ends = [x for x in (row["end"], row["start"]) if isinstance(x, str)]
        return any((row["area_code"], r, p) in hidden_cells for r in pub.get(row["role"], []) for p in ends)

    out["hidden"] = out.apply(is_hidden, axis=1) if len(out) else pd.Series(dtype=bool)
    cols = [c for c in ("fte_end", "fte_start", "headcount_end", "headcount_start", "fte_per_year", "per_100k_now",
                        "per_100k_per_year") if c in out]
    out.loc[out["hidden"], cols] = float("nan")
    if "pace_rank" in out:
        pcn_roles.rank_paces(out)
    out.attrs = dict(g.attrs)
    return out


def evidence(g: pd.DataFrame, system: str, labels: dict[str, str], footprint: str = "ICS",
             disclosure: bool = False) -> dict[str, Evidence]:
    """lever role -> Evidence for `system` (a code of `footprint`, or 'ENG') from growth_table(). With
    disclosure control on, give it shown_growth()'s table: a figure the joint plan hides (at either end of the growth
    window) is hidden, and ranks and the spread of systems are among shown figures only. (Without that table the
    fallback hides a system whose role headcount is under 5 at either end.)"""
    names = geography.area_name_lookup(footprint)
    system_name = "England" if system == pcn_roles.ENGLAND[0] else names.get(system, system)
    end = g.attrs.get("end")
    roles_all = g.attrs.get("roles", [])
    table = mapping()
    out = {}

    def f(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    for r, lab in labels.items():
        pub = tuple(published_for(r, roles_all, table))
        notes = tuple(n for n in table[table["lever_role"] == r]["note"] if n)
        rows = g[g["role"] == r] if not g.empty else g
        if not pub or rows.empty:
            out[r] = Evidence(r, lab, pub, system, system_name, end=end, notes=notes)
            continue
        me = rows[rows["area_code"] == system]
        eng = rows[rows["area_code"] == pcn_roles.ENGLAND[0]].iloc[0]
        spread = pcn_roles.pace_spread(g, r)
        if system == pcn_roles.ENGLAND[0]:
            pop = g.attrs.get("population") or None
        else:
            pop = f(me["population"].iloc[0]) if len(me) and "population" in me else None
        scale = (pop or 0.0) / 100_000
        mine = system != pcn_roles.ENGLAND[0] and len(me) and not math.isnan(me["pace_rank"].iloc[0])
        small = bool(disclosure and len(me) and (
            bool(me["hidden"].iloc[0]) if "hidden" in me else   # shown_growth(): the joint plan decided
            system != pcn_roles.ENGLAND[0] and (me["headcount_end"].iloc[0] < 5 or (
                me["headcount_start"].iloc[0] < 5 and pd.notna(me["start"].iloc[0])))))
        out[r] = Evidence(
            r, lab, pub, system, system_name, end=end, start=eng["start"],
            fte_now=f(me["fte_end"].iloc[0]) if len(me) else None,
            fte_per_year=f(me["fte_per_year"].iloc[0]) if len(me) else None,
            rank=int(me["pace_rank"].iloc[0]) if mine else None, systems=spread.get("systems"),
            england_fte_now=f(eng["fte_end"]), england_per_year=f(eng["fte_per_year"]),
            fastest_quarter_per_year=spread["upper_quartile"] * scale if spread and scale else None,
            fastest_per_year=spread["fastest"] * scale if spread and scale else None,
            population=pop, notes=notes, hidden=small)
    return out
