"""Data behind the Map and System profile pages: measures, map/ranking tables, colour scale, profile figures.

Works on the frame returned by ``lib.insight.metrics.area_metrics(..., include_england=True, include_regions=True)``
(one row per period x area x staff group, England as "ENG", regions as Y-codes). No streamlit here.

* Every map value comes with its numerator and denominator so a tooltip can show where it came from.
* Averages (England, region) are ratios of sums over systems with both parts known, never means of rates.
* Ranks count from the highest value; ties share the better rank ("joint 3rd highest").
"""
from __future__ import annotations

from functools import lru_cache

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.data import geography
from lib.insight.metrics import DEFINITIONS, ENGLAND_CODE
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER

PER_POPULATION = 100_000
DEFAULT_SHARE_GROUP = "Nurses & health visitors"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str          # users' words, sentence case
    kind: str           # "rate" (fraction shown as %) or "per100k"
    numerator: str      # what the numerator is, for tooltips and exports
    denominator: str
    definition_keys: tuple[str, ...]  # keys of lib.insight.metrics.DEFINITIONS that explain it
    needs_population: bool = False


MEASURES: dict[str, Measure] = {
    "vacancy_rate": Measure("vacancy_rate", "Vacancy rate", "rate", "Vacancy FTE",
                            "Vacancy FTE + staff in post FTE", ("vacancy_rate",)),
    "leaver_rate": Measure("leaver_rate", "Leaver rate", "rate", "Leavers FTE",
                           "Mean staff in post FTE (start and end)", ("leaver_rate",)),
    "joiner_rate": Measure("joiner_rate", "Joiner rate", "rate", "Joiners FTE",
                           "Mean staff in post FTE (start and end)", ("joiner_rate",)),
    "fte_growth": Measure("fte_growth", "FTE growth", "rate", "Change in staff in post FTE",
                          "Staff in post FTE at start", ("fte_growth",)),
    "fte_per_100k": Measure("fte_per_100k", "FTE per 100,000 population", "per100k", "Staff in post FTE",
                            "Population (ONS mid-year)", ("fte",), needs_population=True),
    "fte_share": Measure("fte_share", "Share of staff (role mix)", "rate", "Staff group FTE",
                         "FTE of all staff groups", ("fte_share",)),
}
MEASURE_KEYS: list[str] = list(MEASURES)
PER_100K_DEFINITION = ("Staff in post FTE at the end of the period x 100,000 / the system's population "
                       "(ONS mid-year estimate supplied with the data).")

# Colour-blind-safe sequential scale: viridis (5 classes), light (low) to dark (high), so darker = more.
VIRIDIS_5 = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"]
NO_DATA_COLOUR = "#bdbdbd"
# Text on the light classes is black, on the two darkest white: at least 5.5:1 on every class (the middle teal
# #21918c gave white 3.8:1 and NHS dark grey 3.8:1; black is 5.5:1). tests/test_a11y_contrast.py checks each.
_TEXT_ON = ["#000000", "#000000", "#000000", "#ffffff", "#ffffff"]


# ------------------------------------------------------------------------------------------------ formatting
def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt_value(x: float | None, kind: str, digits: int = 2) -> str:
    if x is None or pd.isna(x):
        return "no data"
    if kind == "rate":
        return f"{100 * x:.{digits}f}%"
    if kind == "pts":
        return f"{100 * x:+.{digits}f} pts"
    if kind == "per100k":
        return f"{x:,.1f}"
    return f"{x:,.0f}"


def hex_to_rgb(h: str) -> list[int]:
    h = h.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)]


# ------------------------------------------------------------------------------------------------ measures
def measures_available(population: dict[str, float] | None) -> list[str]:
    """Measure keys that can be shown: per-population only when a population is supplied."""
    return [k for k, m in MEASURES.items() if not m.needs_population or population]


def default_measure(m: pd.DataFrame, period: str, available: list[str]) -> str:
    """The measure a page opens on: the vacancy rate where any system has vacancy figures for the period,
    else the leaver rate (the turnover files alone have no vacancies, and a grey map helps nobody)."""
    rows = m[m["period"] == period] if "period" in m else m
    for key in ("vacancy_rate", "leaver_rate", "fte"):
        if key in available and key in rows and rows[key].notna().any():
            return key
    return available[0]


EMPTY_MEASURE_HELP = {
    "vacancy_rate": ("No vacancy figures are loaded. Vacancies below region level come only from the Provider "
                     "Workforce Return: fill the vacancy template (Data and definitions page, or "
                     "`python -m lib template`) and load it with `python -m lib ingest FILE --data-dir DIR`."),
    "leaver_rate": ("No leaver figures: load an NHS Digital 'Turnover benchmarking 2. Staff group and "
                    "organisation, monthly' CSV with `python -m lib ingest FILE --data-dir DIR`."),
    "joiner_rate": ("No joiner figures: load an NHS Digital 'Turnover benchmarking 2. Staff group and "
                    "organisation, monthly' CSV with `python -m lib ingest FILE --data-dir DIR`."),
}


def _parts(rows: pd.DataFrame, measure: str, population: dict[str, float] | None,
           totals: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Numerator and denominator per row (index kept)."""
    if measure == "vacancy_rate":
        # a rate withheld for short coverage (lib.insight.coverage) stays withheld here and in the averages
        vac = rows["vacancy_fte"].where(rows["vacancy_rate"].notna()) if "vacancy_rate" in rows else rows["vacancy_fte"]
        return vac, rows["vacancy_fte"] + rows["fte"]
    if measure in ("leaver_rate", "joiner_rate"):
        flow = "leavers_fte" if measure == "leaver_rate" else "joiners_fte"
        return rows[flow], (rows["sip_start_fte"] + rows["fte"]) / 2.0
    if measure == "fte_growth":
        return rows["fte"] - rows["sip_start_fte"], rows["sip_start_fte"]
    if measure == "fte_per_100k":
        pop = rows["area_code"].map(population or {}).astype(float)
        return rows["fte"], pop
    if measure == "fte_share":
        tot = rows["area_code"].map(totals) if totals is not None else pd.Series(np.nan, index=rows.index)
        return rows["fte"], tot.astype(float)
    raise ValueError(f"unknown measure {measure!r}: expected one of {', '.join(MEASURE_KEYS)}")


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    num, den = num.astype(float), den.astype(float)
    return pd.Series(np.where((den > 0) & num.notna(), scale * num / den.where(den > 0), np.nan), index=num.index)


def _scale(measure: str) -> float:
    return PER_POPULATION if MEASURES[measure].kind == "per100k" else 1.0


# ------------------------------------------------------------------------------------------------ colour scale
@dataclass(frozen=True)
class ColourScale:
    edges: tuple[float, ...]     # n + 1 increasing bin edges (equal intervals from min to max)
    colours: tuple[str, ...]     # n hex colours, low to high
    kind: str

    def index(self, value: float | None) -> int | None:
        """Bin of a value (the top edge belongs to the last bin); None for missing values."""
        if value is None or pd.isna(value):
            return None
        for i in range(len(self.colours) - 1):
            if value < self.edges[i + 1]:
                return i
        return len(self.colours) - 1

    def colour(self, value: float | None) -> str:
        i = self.index(value)
        return NO_DATA_COLOUR if i is None else self.colours[i]

    def labels(self) -> list[str]:
        k = self.kind
        return [f"{fmt_value(a, k)} to {fmt_value(b, k)}" for a, b in zip(self.edges[:-1], self.edges[1:])]


def colour_scale(values, kind: str = "rate", n_bins: int = 5) -> ColourScale:
    """Equal-interval bins over the values' range (easy to read off a legend); one bin when all are equal."""
    v = pd.Series(values, dtype=float).dropna()
    if v.empty:
        return ColourScale((0.0, 0.0), (VIRIDIS_5[0],), kind)
    lo, hi = float(v.min()), float(v.max())
    if math.isclose(lo, hi):
        return ColourScale((lo, hi), (VIRIDIS_5[2],), kind)
    step = (hi - lo) / n_bins
    edges = tuple([lo + i * step for i in range(n_bins)] + [hi])
    cols = tuple(VIRIDIS_5[round(i * (len(VIRIDIS_5) - 1) / max(n_bins - 1, 1))] for i in range(n_bins))
    return ColourScale(edges, cols, kind)


def text_colour(fill: str) -> str:
    return _TEXT_ON[VIRIDIS_5.index(fill)] if fill in VIRIDIS_5 else "#000000"


# ------------------------------------------------------------------------------------------------ ranking
def rank_desc(values: pd.Series) -> pd.Series:
    """Rank from the highest value (1 = highest); ties share the better rank; missing values get NaN."""
    return values.rank(ascending=False, method="min")


def rank_phrase(rank: float | None, n: int, tied: bool, label: str) -> str:
    """'12th highest leaver rate of 42'; 'highest ...' / 'lowest ...' at the ends; 'joint ...' for ties."""
    if label[1:2].islower():  # "Leaver rate" -> "leaver rate", but keep "FTE growth"
        label = label[:1].lower() + label[1:]
    if rank is None or pd.isna(rank):
        return f"{label}: no data to rank"
    r = int(rank)
    if not tied and r == 1:
        return f"highest {label} of {n}"
    if not tied and r == n and n > 1:
        return f"lowest {label} of {n}"
    return f"{'joint ' if tied else ''}{ordinal(r)} highest {label} of {n}"


# ------------------------------------------------------------------------------------------------ map table
def _level_areas(level: str) -> pd.DataFrame:
    a = geography.areas(level)[["code", "short_name", "region_code", "region_name"]]
    return a.rename(columns={"short_name": "name"})


def map_table(m: pd.DataFrame, level: str, period: str, measure: str, group: str = ALL_STAFF,
              population: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per system of the level (all 42, even without data), sorted by name.

    Columns: code, name, region_code, region_name, value, numerator, denominator, rank, n_ranked, tied,
    value_text, numerator_text, denominator_text, region_value, england_value.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}: expected one of {', '.join(MEASURE_KEYS)}")
    if group not in STAFF_GROUP_ORDER:
        raise ValueError(f"unknown staff group {group!r}: expected one of {', '.join(STAFF_GROUP_ORDER)}")
    areas = _level_areas(level)
    cur = m[(m["period"] == period)]
    totals = cur[cur["staff_group"] == ALL_STAFF].set_index("area_code")["fte"]
    rows = cur[(cur["staff_group"] == group) & cur["area_code"].isin(areas["code"])]
    t = areas.merge(rows, left_on="code", right_on="area_code", how="left", suffixes=("", "_m"))
    num, den = _parts(t, measure, population, totals)
    t["numerator"], t["denominator"] = num.astype(float), den.astype(float)
    t["value"] = _ratio(t["numerator"], t["denominator"], _scale(measure))
    t["rank"] = rank_desc(t["value"])
    t["n_ranked"] = int(t["value"].notna().sum())
    t["tied"] = t.groupby("rank")["rank"].transform("size").gt(1) & t["rank"].notna()
    kind = MEASURES[measure].kind
    ok = t["numerator"].notna() & t["denominator"].gt(0)
    reg = (t[ok].groupby("region_code")[["numerator", "denominator"]].sum())
    reg_val = _ratio(reg["numerator"], reg["denominator"], _scale(measure))
    t["region_value"] = t["region_code"].map(reg_val)
    eng = england_value(t, measure)
    t["england_value"] = eng if eng is not None else np.nan
    t["value_text"] = t["value"].map(lambda x: fmt_value(x, kind))
    if measure == "vacancy_rate" and "vacancy_staff_share" in t:  # partial vacancy figures: coverage, not a rate
        partial = t["value"].isna() & t["vacancy_staff_share"].notna()
        t.loc[partial, "value_text"] = t.loc[partial, "vacancy_staff_share"].map(
            lambda x: f"no rate: vacancies cover {100 * x:.0f}% of staff")
    den_kind = "count"
    t["numerator_text"] = t["numerator"].map(lambda x: fmt_value(x, "count") if pd.notna(x) else "no data")
    t["denominator_text"] = t["denominator"].map(lambda x: fmt_value(x, den_kind) if pd.notna(x) else "no data")
    cols = ["code", "name", "region_code", "region_name", "value", "numerator", "denominator", "rank", "n_ranked",
            "tied", "value_text", "numerator_text", "denominator_text", "region_value", "england_value"]
    return t[cols].sort_values("name", ignore_index=True)


def england_value(table: pd.DataFrame, measure: str) -> float | None:
    """Ratio of sums over the systems of a map table with both parts known (value scale of the measure)."""
    ok = table["numerator"].notna() & table["denominator"].gt(0)
    if not ok.any():
        return None
    return float(_scale(measure) * table.loc[ok, "numerator"].sum() / table.loc[ok, "denominator"].sum())


def map_description(table: pd.DataFrame, measure: str, group: str = ALL_STAFF) -> str:
    """The key figures of a map table in one sentence, for a caption and a screen reader: highest and lowest
    system (ties named together), England's average and how many systems have figures."""
    ms = MEASURES[measure]
    what = f"{ms.label}, {group.lower() if group != ALL_STAFF else 'all staff groups'}"
    t = table[table["value"].notna()]
    n, total = len(t), len(table)
    if not n:
        return f"{what}: no system has figures for this period."

    def names(v: float) -> str:
        hit = t.loc[np.isclose(t["value"], v, rtol=0, atol=1e-12), "name"].sort_values().tolist()
        return " and ".join(hit) if len(hit) <= 2 else f"{hit[0]} and {len(hit) - 1} others"

    hi, lo = float(t["value"].max()), float(t["value"].min())
    eng = england_value(table, measure)
    parts = [f"highest {names(hi)} ({fmt_value(hi, ms.kind)})", f"lowest {names(lo)} ({fmt_value(lo, ms.kind)})"]
    if eng is not None:
        parts.append(f"England {fmt_value(eng, ms.kind)}")
    return f"{what}: " + "; ".join(parts) + f". {n} of {total} systems have figures."


def region_averages(table: pd.DataFrame) -> pd.DataFrame:
    """region_code, region_name, value: one row per region present in a map table."""
    r = table.drop_duplicates("region_code")[["region_code", "region_name", "region_value"]]
    return r.rename(columns={"region_value": "value"}).sort_values("region_code", ignore_index=True)


def export_table(table: pd.DataFrame, measure: str, group: str, period: str) -> pd.DataFrame:
    """The map table in users' words for CSV/Excel download."""
    ms = MEASURES[measure]
    out = pd.DataFrame({
        "Code": table["code"], "System": table["name"], "Region": table["region_name"],
        "Period (month ending)": period, "Staff group": group, "Measure": ms.label,
        "Value": table["value"], ms.numerator: table["numerator"], ms.denominator: table["denominator"],
        "Rank (1 = highest)": table["rank"].astype("Int64"), "Region average": table["region_value"],
        "England average": table["england_value"],
    })
    return out.sort_values(["Rank (1 = highest)", "System"], ignore_index=True, na_position="last")


# ------------------------------------------------------------------------------------------------ profile
PROFILE_FIGURES = [  # (label, column, kind, delta colour: up is good "normal" / up is bad "inverse")
    ("Staff in post (FTE)", "fte", "count", "normal"),
    ("Headcount", "headcount", "count", "normal"),
    ("Leaver rate (month)", "leaver_rate", "rate", "inverse"),
    ("Joiner rate (month)", "joiner_rate", "rate", "normal"),
    ("Vacancy rate", "vacancy_rate", "rate", "inverse"),
]


@dataclass(frozen=True)
class ProfileFigure:
    label: str
    column: str
    kind: str
    value: float | None
    value_text: str
    change_previous: float | None
    change_previous_text: str | None
    change_year: float | None
    change_year_text: str | None
    england_text: str
    delta_color: str

    @property
    def delta_kwargs(self) -> dict:
        """st.metric delta_color and delta_arrow: no arrow and no colour when nothing changed."""
        from lib.insight import calendar
        return calendar.delta_kwargs(self.change_previous, self.kind, self.delta_color)


def _one(m: pd.DataFrame, area: str, period: str | None, group: str) -> pd.Series | None:
    if period is None:
        return None
    r = m[(m["area_code"] == area) & (m["period"] == period) & (m["staff_group"] == group)]
    return None if r.empty else r.iloc[0]


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _change_text(d: float | None, kind: str) -> str | None:
    from lib.insight import calendar
    return calendar.change_text(d, kind)   # "no change" when it rounds to zero (no arrow, no colour)


def profile_figures(m: pd.DataFrame, area: str, period: str, previous: str | None, year_ago: str | None,
                    group: str = ALL_STAFF) -> list[ProfileFigure]:
    """Headline figures with the change since the previous period and since 12 months earlier (if loaded)."""
    cur, prev, year = (_one(m, area, p, group) for p in (period, previous, year_ago))
    eng = _one(m, ENGLAND_CODE, period, group)
    out = []
    for label, col, kind, colour in PROFILE_FIGURES:
        v = _num(None if cur is None else cur[col])
        p = _num(None if prev is None else prev[col])
        y = _num(None if year is None else year[col])
        dp = None if v is None or p is None else v - p
        dy = None if v is None or y is None else v - y
        e = _num(None if eng is None else eng[col])
        out.append(ProfileFigure(label, col, kind, v, fmt_value(v, kind), dp, _change_text(dp, kind), dy,
                                 _change_text(dy, kind), fmt_value(e, kind), colour))
    return out


TREND_MEASURES = [("fte", "Staff in post FTE (index, first period = 100)"), ("leaver_rate", "Leaver rate"),
                  ("joiner_rate", "Joiner rate"), ("vacancy_rate", "Vacancy rate")]


def trends(m: pd.DataFrame, area: str, group: str = ALL_STAFF) -> pd.DataFrame:
    """Long table for trend charts: period, measure, series (system / its region / England), value.

    FTE is an index (first loaded period = 100) so a system, its region and England share one axis; the
    FTE itself is kept in ``fte`` for tooltips.
    """
    a = m[(m["area_code"] == area) & (m["staff_group"] == group)]
    if a.empty:
        return pd.DataFrame(columns=["period", "measure", "series", "value", "fte"])
    region = a["region_code"].dropna().iloc[0] if a["region_code"].notna().any() else None
    codes = [area] + ([region] if region else []) + [ENGLAND_CODE]
    sub = m[m["area_code"].isin(codes) & (m["staff_group"] == group)].sort_values("period")
    parts = []
    for code in codes:
        s = sub[sub["area_code"] == code]
        if s.empty:
            continue
        name = s["area_name"].iloc[0]
        series = name if code != ENGLAND_CODE else "England"
        base = s["fte"].dropna()
        base = base.iloc[0] if len(base) else np.nan
        for col, label in TREND_MEASURES:
            vals = s[col].astype(float)
            if col == "fte":
                vals = 100 * vals / base if base and pd.notna(base) else vals * np.nan
            parts.append(pd.DataFrame({"period": s["period"].to_numpy(), "measure": label, "series": series,
                                       "value": vals.to_numpy(), "fte": s["fte"].to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def role_mix(m: pd.DataFrame, area: str, period: str) -> pd.DataFrame:
    """staff_group, system_fte, system_share, england_share, difference (share points) for a period."""
    groups = [g for g in STAFF_GROUP_ORDER if g != ALL_STAFF]
    cur = m[(m["period"] == period) & (m["staff_group"].isin(groups))]
    s = cur[cur["area_code"] == area].set_index("staff_group")
    e = cur[cur["area_code"] == ENGLAND_CODE].set_index("staff_group")
    out = pd.DataFrame({"staff_group": groups})
    out["system_fte"] = out["staff_group"].map(s["fte"]).astype(float)
    out["system_share"] = out["staff_group"].map(s["fte_share"]).astype(float)
    out["england_share"] = out["staff_group"].map(e["fte_share"]).astype(float)
    out["difference"] = out["system_share"] - out["england_share"]
    return out[out["system_share"].notna() | out["england_share"].notna()].reset_index(drop=True)


def rank_sentences(m: pd.DataFrame, level: str, period: str, area: str, group: str = ALL_STAFF,
                   population: dict[str, float] | None = None) -> pd.DataFrame:
    """Where a system ranks among the level's systems on each map measure: measure, label, value_text, rank,
    n, tied, phrase (e.g. "12th highest leaver rate of 42")."""
    rows = []
    for key in measures_available(population):
        if key == "fte_share" and group == ALL_STAFF:
            continue  # 100% everywhere
        t = map_table(m, level, period, key, group, population)
        r = t[t["code"] == area]
        if r.empty:
            continue
        r = r.iloc[0]
        label = MEASURES[key].label if key != "fte_share" else f"share of staff in {group}"
        rank = None if pd.isna(r["rank"]) else int(r["rank"])
        rows.append({"measure": key, "label": MEASURES[key].label, "value_text": r["value_text"], "rank": rank,
                     "n": int(r["n_ranked"]), "tied": bool(r["tied"]),
                     "phrase": rank_phrase(rank, int(r["n_ranked"]), bool(r["tied"]), label)})
    return pd.DataFrame(rows, columns=["measure", "label", "value_text", "rank", "n", "tied", "phrase"])


def definitions_for(measure: str) -> list[str]:
    return [k for k in MEASURES[measure].definition_keys if k in DEFINITIONS]


def area_options(level: str) -> list[str]:
    """Codes of the level's systems ordered by name (the first is the default)."""
    return list(_area_options(level))


@lru_cache(maxsize=16)
def _area_options(level: str) -> tuple[str, ...]:
    # fixed reference data per level: sorted once, not on every Map rerun (15 % of its CPU, py-spy, issue 25)
    return tuple(_level_areas(level).sort_values("name")["code"])
