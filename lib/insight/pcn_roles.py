"""Primary care networks' new roles: FTE by system (or PCN, region, England) and staff role, per 100,000 people,
growth a year and where a system's pace ranks.

Rules the figures follow:
* FTE adds up: a system's FTE is the sum of its PCNs' rows (every data source unless one is chosen), England's
  the sum of all rows, equal to the file's own total.
* A role not published in a quarter (absent from every PCN that quarter: the scheme widened quarter by quarter)
  is missing there, never zero; a role published that quarter but absent from a system is zero for it.
* Headcount is the sum of PCN x role cells (a person in two roles or PCNs counts in each).
* Per 100,000: FTE / ONS mid-2022 population x 100,000 (one denominator for every quarter, said wherever shown).
* Growth a year: (FTE at the end quarter - FTE at the start quarter) / years between them; the start is a year
  before the end, or the role's first published quarter when later (annualised from a shorter span, and said).
  March 2020 was an early partial collection (188 PCNs), so growth is never measured from it unless asked.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.data import geography
from lib.data.schema import month_add

ALL_ROLES = "All roles"
SOURCES = ("all", "staff", "contracted")
BY = ("area", "pcn", "region", "england")
PARTIAL_COLLECTION = {"2020-03": "March 2020 was an early, partial collection (188 PCNs)"}
ENGLAND = ("ENG", "England")


def by_source(frame: pd.DataFrame, source: str = "all") -> pd.DataFrame:
    if source not in SOURCES:
        raise ValueError(f"unknown data source {source!r}; expected one of {', '.join(SOURCES)}")
    return frame if source == "all" else frame[frame["data_source"] == source]


def published_roles(frame: pd.DataFrame) -> dict[str, list[str]]:
    """period -> the staff roles published that quarter (in any PCN)."""
    return {p: sorted(g["staff_role"].unique()) for p, g in frame.groupby("period_end", sort=True)}


def _units(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """frame with unit_code / unit_name columns for the grouping asked for."""
    if by not in BY:
        raise ValueError(f"unknown grouping {by!r}; expected one of {', '.join(BY)}")
    out = frame.copy()
    if by == "area":
        out["unit_code"], out["unit_name"] = out["area_code"], out["area_name"]
    elif by == "pcn":
        out["unit_code"], out["unit_name"] = out["pcn_code"], out["pcn_name"]
    elif by == "region":
        out["unit_code"] = out["region_code"]
        out["unit_name"] = out["region_code"].map(geography.REGIONS)
    else:
        out["unit_code"], out["unit_name"] = ENGLAND
    return out


def roles_table(frame: pd.DataFrame, period: str, *, by: str = "area", source: str = "all",
                population: pd.DataFrame | None = None, systems: list[str] | None = None) -> pd.DataFrame:
    """One row per unit x staff role (and an 'All roles' row per unit) for one census month: period, area_code,
    area_name, role, staff_group, fte, headcount; with `population` (area_code, population) also population and
    fte_per_100k (systems, regions and England; a PCN has no population of its own). Every role published that
    month appears for every unit (zero where the unit has none). With by='pcn', system_code and system_name say
    which system each PCN is in. `systems` lists every system of the footprint so one without rows shows zero."""
    rows = by_source(frame[frame["period_end"] == period], source)
    roles = published_roles(frame[frame["period_end"] == period]).get(period, [])
    u = _units(rows, by)
    keys = ["unit_code", "unit_name"] + (["area_code", "area_name"] if by == "pcn" else [])
    sums = u.groupby([*keys, "staff_group", "staff_role"], as_index=False, sort=True)[["fte", "headcount"]].sum()
    units = u[keys].drop_duplicates()
    if by == "area" and systems is not None:
        names = geography.area_name_lookup(_key_of(systems))
        extra = pd.DataFrame({"unit_code": [s for s in systems if s not in set(units["unit_code"])]})
        extra["unit_name"] = extra["unit_code"].map(names)
        units = pd.concat([units, extra], ignore_index=True)
    groups = frame[frame["period_end"] == period].drop_duplicates("staff_role").set_index("staff_role")["staff_group"]
    grid = units.merge(pd.DataFrame({"staff_role": roles, "staff_group": [groups[r] for r in roles]}), how="cross")
    out = grid.merge(sums, on=[*keys, "staff_group", "staff_role"], how="left")
    out[["fte", "headcount"]] = out[["fte", "headcount"]].fillna(0.0)
    total = out.groupby(keys, as_index=False, sort=True)[["fte", "headcount"]].sum()
    total["staff_role"], total["staff_group"] = ALL_ROLES, ""
    out = pd.concat([out, total], ignore_index=True)
    out = out.rename(columns={"area_code": "system_code", "area_name": "system_name"})
    out = out.rename(columns={"unit_code": "area_code", "unit_name": "area_name", "staff_role": "role"})
    out.insert(0, "period", period)
    cols = ["period", "area_code", "area_name"] + (["system_code", "system_name"] if by == "pcn" else []) + \
        ["role", "staff_group", "fte", "headcount"]
    out = out[cols]
    if population is not None and by != "pcn":
        pop = _population_for(population, by)
        out["population"] = out["area_code"].map(pop)
        out["fte_per_100k"] = out["fte"] / out["population"] * 100_000
    order = {r: i for i, r in enumerate([ALL_ROLES, *roles])}
    return out.sort_values(["area_code", "role"], key=lambda s: s.map(order) if s.name == "role" else s,
                           ignore_index=True)


def _key_of(systems: list[str]) -> str:
    for v in geography.level_vintages("ICS"):
        if set(systems) <= set(v.areas["code"]):
            return v.key
    return "ICS"


def _population_for(population: pd.DataFrame, by: str) -> dict[str, float]:
    pop = dict(zip(population["area_code"], population["population"]))
    if by == "area":
        return pop
    if by == "england":
        return {ENGLAND[0]: float(sum(pop.values()))}
    regions: dict[str, float] = {}
    for key in ("ICS2026", "ICS"):
        lookup = geography.area_lookup_regions(key)
        if set(pop) <= set(lookup):
            for a, p in pop.items():
                regions[lookup[a]] = regions.get(lookup[a], 0.0) + p
            return regions
    return regions


def quarters(periods: list[str]) -> list[str]:
    """Every quarter from the first loaded to the last (so a missing one shows as a break, not a straight line)."""
    if not periods:
        return []
    out, p = [], min(periods)
    while p <= max(periods):
        out.append(p)
        p = month_add(p, 3)
    return out


def trend(frame: pd.DataFrame, *, by: str = "area", source: str = "all",
          population: pd.DataFrame | None = None, systems: list[str] | None = None) -> pd.DataFrame:
    """period x unit x role FTE (and per 100,000) for every quarter between the first and last loaded: a quarter
    not loaded has fte NaN and loaded=False (a break in the line); a role not published that quarter is NaN."""
    loaded = sorted(frame["period_end"].unique())
    tables = [roles_table(frame, p, by=by, source=source, population=population, systems=systems) for p in loaded]
    if not tables:
        return pd.DataFrame(columns=["period", "area_code", "area_name", "role", "fte", "loaded"])
    out = pd.concat(tables, ignore_index=True)
    units = out[["area_code", "area_name"]].drop_duplicates()
    roles = out[["role", "staff_group"]].drop_duplicates()
    grid = pd.DataFrame({"period": quarters(loaded)}).merge(units, how="cross").merge(roles, how="cross")
    out = grid.merge(out.drop(columns=["staff_group"]), on=["period", "area_code", "area_name", "role"], how="left")
    out["loaded"] = out["period"].isin(loaded)
    return out


@dataclass(frozen=True)
class Window:
    start: str
    end: str

    @property
    def years(self) -> float:
        y0, m0 = map(int, self.start.split("-"))
        y1, m1 = map(int, self.end.split("-"))
        return ((y1 - y0) * 12 + m1 - m0) / 12


def growth(frame: pd.DataFrame, *, end: str | None = None, months: int = 12, source: str = "all",
           population: pd.DataFrame | None = None, systems: list[str] | None = None) -> pd.DataFrame:
    """Per system x role (and England): fte_start, fte_end (headcount_start, headcount_end), start, end, years,
    fte_per_year, and with a population
    per_100k_now, per_100k_per_year, pace_rank (1 = fastest growth per 100,000 among systems), systems. The start
    is `months` before the end, or the role's first published quarter when later (then annualised over the
    shorter span; a role first published in the end quarter has no growth)."""
    loaded = sorted(frame["period_end"].unique())
    if not loaded:
        return pd.DataFrame()
    end = end or loaded[-1]
    target = month_add(end, -months)
    first = {}
    for p, roles in published_roles(frame).items():
        for r in roles:
            first.setdefault(r, p)
    last = roles_table(frame, end, source=source, population=population, systems=systems)
    eng_last = roles_table(frame, end, by="england", source=source, population=population)
    last = pd.concat([last, eng_last], ignore_index=True)
    out = []
    start_tables: dict[str, pd.Series] = {}

    def start_fte(start: str) -> pd.Series:
        if start not in start_tables:
            t = pd.concat([roles_table(frame, start, source=source, systems=systems),
                           roles_table(frame, start, by="england", source=source)], ignore_index=True)
            start_tables[start] = t.set_index(["role", "area_code"])[["fte", "headcount"]]
        return start_tables[start]

    for role, part in last.groupby("role", sort=False):
        starts = [p for p in loaded if p >= max(target, first.get(role, loaded[0])) and p < end]
        if role == ALL_ROLES:
            starts = [p for p in loaded if p >= target and p < end]
        start = starts[0] if starts else None
        rec = part[["area_code", "area_name", "role", "staff_group", "fte", "headcount"]].rename(
            columns={"fte": "fte_end", "headcount": "headcount_end"})
        rec["end"] = end
        if start is None:
            rec["start"], rec["fte_start"], rec["headcount_start"], rec["years"] = None, np.nan, np.nan, np.nan
        else:
            st = start_fte(start)
            s = st.xs(role, level="role") if role in st.index.get_level_values("role") else \
                pd.DataFrame(columns=["fte", "headcount"], dtype=float)
            rec["start"], rec["years"] = start, Window(start, end).years
            rec["fte_start"] = rec["area_code"].map(s["fte"]).fillna(0.0)
            rec["headcount_start"] = rec["area_code"].map(s["headcount"]).fillna(0.0)
        if "population" in part:
            rec["population"] = part["population"].to_numpy()
        out.append(rec)
    g = pd.concat(out, ignore_index=True)
    g["fte_per_year"] = (g["fte_end"] - g["fte_start"]) / g["years"]
    if "population" in g:
        g["per_100k_now"] = g["fte_end"] / g["population"] * 100_000
        g["per_100k_per_year"] = g["fte_per_year"] / g["population"] * 100_000
        rank_paces(g)
        sys_rows = g["area_code"] != ENGLAND[0]
        g["systems"] = g["role"].map(g[sys_rows].groupby("role").size())
    return g


def rank_paces(g: pd.DataFrame) -> None:
    """Set pace_rank in place: 1 = fastest growth per 100,000 among the systems that have a figure (a hidden
    figure, NaN, gets no rank and takes no place: under disclosure control a hidden one's rank would place it)."""
    sys_rows = g["area_code"] != ENGLAND[0]
    g["pace_rank"] = np.nan
    g.loc[sys_rows, "pace_rank"] = g[sys_rows].groupby("role")["per_100k_per_year"].rank(
        ascending=False, method="min")


def pace_spread(g: pd.DataFrame, role: str) -> dict[str, float]:
    """Systems' growth a year per 100,000 people for a role: median, upper quartile (the pace of the fastest
    quarter of systems), fastest. Empty when no system has a growth figure for it."""
    s = g[(g["role"] == role) & (g["area_code"] != ENGLAND[0])]["per_100k_per_year"].dropna()
    if s.empty:
        return {}
    return {"median": float(s.median()), "upper_quartile": float(s.quantile(0.75)), "fastest": float(s.max()),
            "slowest": float(s.min()), "systems": int(len(s))}


def pcns_in(frame: pd.DataFrame, system: str, period: str, source: str = "all") -> pd.DataFrame:
    """A system's PCNs for one month, ranked by FTE (all roles): pcn_code, pcn_name, sub_icb_name, fte,
    headcount, roles (how many of the month's roles it has), rank."""
    rows = by_source(frame[(frame["period_end"] == period) & (frame["area_code"] == system)], source)
    out = rows.groupby(["pcn_code", "pcn_name", "sub_icb_name"], as_index=False).agg(
        fte=("fte", "sum"), headcount=("headcount", "sum"), roles=("staff_role", "nunique"))
    out = out.sort_values(["fte", "pcn_code"], ascending=[False, True], ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


PER_100K_DEFINITION = ("FTE in primary care networks per 100,000 people: the census month's FTE (every data source "
                       "unless one is chosen) x 100,000 / the system's ONS mid-2022 population (sub-ICB locations "
                       "summed; the same denominator for every quarter).")


def map_table(table: pd.DataFrame, role: str, key: str) -> pd.DataFrame:
    """The map and ranking's table (lib.insight.map_data's shape) for one role from roles_table(by='area') with a
    population: code, name, region_code, region_name, value (FTE per 100,000), numerator (FTE), denominator
    (population), region_value, england_value, rank (1 = highest), and their texts."""
    from lib.insight.map_data import fmt_value
    t = table[table["role"] == role]
    regions = geography.area_lookup_regions(key)
    out = pd.DataFrame({"code": t["area_code"].to_numpy(), "name": t["area_name"].to_numpy(),
                        "numerator": t["fte"].to_numpy(dtype=float),
                        "denominator": t["population"].to_numpy(dtype=float)})
    out["value"] = out["numerator"] / out["denominator"] * 100_000
    out["region_code"] = out["code"].map(regions)
    out["region_name"] = out["region_code"].map(geography.REGIONS)
    shown = out.dropna(subset=["numerator"])
    reg = shown.groupby("region_code")[["numerator", "denominator"]].sum()
    out["region_value"] = out["region_code"].map(reg["numerator"] / reg["denominator"] * 100_000)
    out["england_value"] = shown["numerator"].sum() / out["denominator"].sum() * 100_000
    out["rank"] = out["value"].rank(ascending=False, method="min")
    out["value_text"] = out["value"].map(lambda x: fmt_value(x, "per100k"))
    out["numerator_text"] = out["numerator"].map(lambda x: f"{x:,.1f}" if pd.notna(x) else "suppressed")
    out["denominator_text"] = out["denominator"].map(lambda x: f"{x:,.0f}" if pd.notna(x) else "no data")
    return out.sort_values("code", ignore_index=True)


def funnel_input(table: pd.DataFrame, role: str = ALL_ROLES) -> pd.DataFrame:
    """code, name, fte, population for the funnel of per-capita totals (systems with both)."""
    t = table[(table["role"] == role)].dropna(subset=["fte", "population"])
    return pd.DataFrame({"code": t["area_code"], "name": t["area_name"], "fte": t["fte"],
                         "population": t["population"]}).reset_index(drop=True)
