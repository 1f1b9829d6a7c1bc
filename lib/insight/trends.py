"""Trend, latest-period, turnover-flow and role-mix tables for the Vacancies, Turnover and Role mix pages.

Input is the frame from `lib.insight.metrics.area_metrics(..., include_england=True, include_regions=True)`:
one row per period x area (systems, regions Y56.., England ENG) x staff group. Nothing here imports
streamlit. Comparisons are ratios of sums (regions and England come from area_metrics), never means of rates.

* Monthly rates are the file's own period (one month for the turnover benchmarking files).
* 12-month rolling figures are sums of the last 12 monthly leavers (joiners) over the mean of staff in
  post at the start of the first month and the end of the last; they need 12 consecutive loaded months.
  They are not NHS Digital's annual turnover, which compares two snapshots a year apart (people who join
  and leave inside the year count in the sum of months but not in the annual figure).
* "More or fewer than expected for its size": expected FTE of a group = the system's total FTE x England's
  FTE share of that group; the difference is shown in FTE and in percentage points of share.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from lib.data import geography
from lib.insight.metrics import ENGLAND_CODE, ENGLAND_NAME
from lib.data.schema import ALL_STAFF, STAFF_GROUP_ORDER, month_add, period_label
from lib.insight.coverage import coverage_text
from lib.insight.provenance import month_span

SYSTEM, REGION, ENGLAND = "System", "Region", "England"
ROLE_ORDER = (SYSTEM, REGION, ENGLAND)
BASIS_UNITS = {"fte": "FTE", "hc": "headcount"}
ROLLING_NOTE = ("12-month rolling: leavers (joiners) summed over the last 12 monthly periods, divided by the mean "
                "of staff in post at the start of the first month and the end of the last. Shown only where 12 "
                "consecutive months are loaded. Not the same as NHS Digital's annual turnover, which compares two "
                "snapshots a year apart.")
SYSTEM_FLOWS_NOTE = ("System leavers and joiners are summed over the system's organisations, so a move between "
                     "two organisations inside the system counts as one leaver and one joiner.")
MONTHLY_NOTE = "Rates are monthly: leavers (joiners) in one month / mean staff in post at the start and end of the month."
EXPECTED_NOTE = ("Expected FTE = the system's total FTE x England's FTE share of the group. A positive difference "
                 "means the system has more of that group than England's mix would give a system of its size.")


# ---------------------------------------------------------------- areas
def rolling_need(periods: Sequence[str], period: str) -> str:
    """What a 12-month rolling figure for `period` needs, and what is loaded: 'Needs 12 consecutive monthly
    files up to Nov 2025; 2 loaded (Oct-Nov 2025), 10 more needed.'"""
    want = [month_add(period, -i) for i in range(11, -1, -1)]
    have = [p for p in want if p in set(periods)]
    return (f"Needs 12 consecutive monthly files up to {period_label(period)}; {len(have)} loaded "
            f"({month_span(have) if have else 'none'}), {12 - len(have)} more needed.")


def area_choices(level: str) -> list[str]:
    """Systems of the level (by name), then NHS England regions, then England."""
    return list(_area_choices(level))


@lru_cache(maxsize=16)
def _area_choices(level: str) -> tuple[str, ...]:  # asked on every run of a page's fragment
    a = geography.areas(level).sort_values("short_name")
    return (*a["code"], *sorted(geography.REGIONS, key=geography.REGIONS.get), ENGLAND_CODE)


def area_label(level: str, code: str) -> str:
    if code == ENGLAND_CODE:
        return ENGLAND_NAME
    if code in geography.REGIONS:
        return f"{geography.REGIONS[code]} region"
    name = geography.area_name_lookup(level).get(code)
    return f"{name} ({code})" if name else code


def area_kind(code: str) -> str:
    return ENGLAND if code == ENGLAND_CODE else REGION if code in geography.REGIONS else SYSTEM


def comparators(level: str, area: str) -> list[tuple[str, str]]:
    """(code, role) for the chosen area and what it is compared with: its region (for a system) and England."""
    kind = area_kind(area)
    if kind == ENGLAND:
        return [(ENGLAND_CODE, ENGLAND)]
    if kind == REGION:
        return [(area, REGION), (ENGLAND_CODE, ENGLAND)]
    region = geography.area_lookup_regions(level).get(area)
    out = [(area, SYSTEM)]
    if region:
        out.append((region, REGION))
    return [*out, (ENGLAND_CODE, ENGLAND)]


def _systems(level: str) -> frozenset[str]:
    return geography.area_codes(level)


# ---------------------------------------------------------------- trends
def trend(m: pd.DataFrame, level: str, area: str, group: str, measures: Sequence[str],
          labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Long table for a trend chart: period, series (area label), role, measure (label), value.

    One row per period x comparator x measure: at most ~40 periods x 3 x a few measures, so charts stay small.
    """
    comps = comparators(level, area)
    roles = dict(comps)
    sub = m[m["area_code"].isin(roles) & (m["staff_group"] == group)]
    if sub.empty:
        return pd.DataFrame(columns=["period", "area_code", "series", "role", "measure", "value"])
    long = sub.melt(id_vars=["period", "area_code"], value_vars=list(measures), var_name="measure", value_name="value")
    long["role"] = long["area_code"].map(roles)
    long["series"] = [area_label(level, c) for c in long["area_code"]]
    long["measure"] = long["measure"].map(lambda x: (labels or {}).get(x, x))
    order = {r: i for i, r in enumerate(ROLE_ORDER)}
    long = long.assign(_r=long["role"].map(order)).sort_values(["measure", "_r", "period"]).drop(columns="_r")
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype(float)
    return long[["period", "area_code", "series", "role", "measure", "value"]].reset_index(drop=True)


def _month_index(period: pd.Series) -> pd.Series:
    return period.str[:4].astype(int) * 12 + period.str[5:7].astype(int) - 1


def rolling_12m(m: pd.DataFrame, basis: str = "fte") -> pd.DataFrame:
    """12-month rolling leavers, joiners and rates per area and staff group (see module docstring).

    Columns: period, area_code, staff_group, leavers_12m, joiners_12m, sip_mean_12m, leaver_rate_12m,
    joiner_rate_12m. Rows without 12 consecutive monthly periods have NaN.
    """
    u = "fte" if basis == "fte" else "hc"
    cols = ["period", "area_code", "staff_group", "leavers_12m", "joiners_12m", "sip_mean_12m",
            "leaver_rate_12m", "joiner_rate_12m"]
    monthly = m[m["period_months"] == 1]
    if monthly.empty:
        return pd.DataFrame(columns=cols)
    end_col = "fte" if u == "fte" else "headcount"
    d = monthly[["period", "area_code", "staff_group", f"leavers_{u}", f"joiners_{u}", f"sip_start_{u}",
                 end_col]].copy()
    d.columns = ["period", "area_code", "staff_group", "leavers", "joiners", "start", "end"]
    # Ingest already turns absent (zero) cells into 0, so NaN here means unknown or suppressed (disclosure
    # control): it makes the 12-month window unknown, as a missing month does.
    d["t"] = _month_index(d["period"])
    months = pd.RangeIndex(int(d["t"].min()), int(d["t"].max()) + 1, name="t")
    keyed = d.set_index(["t", "area_code", "staff_group"])

    def wide(col: str) -> pd.DataFrame:  # months x (area, group); a missing month is NaN
        return keyed[col].astype(float).unstack(["area_code", "staff_group"]).reindex(months)
    lv = wide("leavers").rolling(12, min_periods=12).sum()
    jn = wide("joiners").rolling(12, min_periods=12).sum()
    sip_mean = (wide("start").shift(11) + wide("end")) / 2.0
    # read each row's value back from the month x (area, group) grids (stack() is slow on wide frames)
    rows = months.get_indexer(keyed.index.get_level_values("t"))
    cols_ix = lv.columns.get_indexer(keyed.index.droplevel("t"))
    res = d[["period", "area_code", "staff_group"]].reset_index(drop=True)
    for name, grid in (("leavers_12m", lv), ("joiners_12m", jn), ("sip_mean_12m", sip_mean)):
        res[name] = grid.to_numpy()[rows, cols_ix]
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = res["sip_mean_12m"] > 0
        res["leaver_rate_12m"] = np.where(ok, res["leavers_12m"] / res["sip_mean_12m"], np.nan)
        res["joiner_rate_12m"] = np.where(ok, res["joiners_12m"] / res["sip_mean_12m"], np.nan)
    res.loc[res["leavers_12m"].isna(), ["sip_mean_12m", "leaver_rate_12m", "joiner_rate_12m"]] = np.nan
    return res[cols]


def with_rolling(m: pd.DataFrame, basis: str = "fte") -> pd.DataFrame:
    """The metrics frame with the 12-month rolling columns joined on."""
    r = rolling_12m(m, basis)
    return m.merge(r, on=["period", "area_code", "staff_group"], how="left")


def flows(m: pd.DataFrame, area: str, group: str, basis: str = "fte") -> pd.DataFrame:
    """Leavers, joiners and net change (joiners - leavers) per period for one area: period, flow, value."""
    u = "fte" if basis == "fte" else "hc"
    sub = m[(m["area_code"] == area) & (m["staff_group"] == group)].sort_values("period")
    if sub.empty:
        return pd.DataFrame(columns=["period", "flow", "value"])
    lv = sub[f"leavers_{u}"].astype(float)  # NaN = unknown or suppressed: left blank, never drawn as 0
    jn = sub[f"joiners_{u}"].astype(float)
    wide = pd.DataFrame({"period": sub["period"].to_numpy(), "Leavers": lv.to_numpy(), "Joiners": jn.to_numpy(),
                         "Net change": (jn - lv).to_numpy()})
    return wide.melt(id_vars="period", var_name="flow", value_name="value")


# ---------------------------------------------------------------- latest-period tables
def _latest(m: pd.DataFrame, level: str, period: str, group: str) -> pd.DataFrame:
    t = m[(m["period"] == period) & (m["staff_group"] == group) & m["area_code"].isin(_systems(level))].copy()
    t["Region"] = t["region_code"].map(geography.REGIONS)
    return t


def _value(m: pd.DataFrame, area: str, period: str, group: str, col: str) -> float:
    r = m[(m["area_code"] == area) & (m["period"] == period) & (m["staff_group"] == group)]
    return float(r[col].iloc[0]) if len(r) and pd.notna(r[col].iloc[0]) else np.nan


def vacancy_table(m: pd.DataFrame, level: str, period: str, group: str) -> pd.DataFrame:
    """One row per system: staff in post, vacancies, establishment, vacancy rate and the gap to England."""
    t = _latest(m, level, period, group)
    eng = _value(m, ENGLAND_CODE, period, group, "vacancy_rate")
    t["Difference from England (percentage points)"] = 100.0 * (t["vacancy_rate"] - eng)
    t["Vacancy coverage"] = ([coverage_text(r) if r["vacancy_covered"] is False or r["vacancy_covered"] == 0
                              else "" for _, r in t.iterrows()] if "vacancy_covered" in t else "")
    t = t.rename(columns={"area_code": "Code", "area_name": "System", "staff_group": "Staff group",
                          "fte": "Staff in post FTE", "vacancy_fte": "Vacancy FTE",
                          "establishment_fte": "Establishment FTE", "vacancy_rate": "Vacancy rate"})
    cols = ["Code", "System", "Region", "Vacancy rate", "Vacancy FTE", "Staff in post FTE", "Establishment FTE",
            "Difference from England (percentage points)", "Vacancy coverage", "Staff group"]
    return t[cols].sort_values("System", ignore_index=True)


def turnover_table(m: pd.DataFrame, level: str, period: str, group: str, basis: str = "fte") -> pd.DataFrame:
    """One row per system: leavers and joiners side by side, net change, monthly and 12-month rolling rates.

    `m` must carry the rolling columns (`with_rolling`) for the 12-month figures; without them they are NaN.
    """
    u = "fte" if basis == "fte" else "hc"
    unit = BASIS_UNITS[basis]
    t = _latest(m, level, period, group)
    for c in ("leaver_rate_12m", "joiner_rate_12m"):
        if c not in t:
            t[c] = np.nan
    lv, jn = t[f"leavers_{u}"].astype(float), t[f"joiners_{u}"].astype(float)
    t[f"Net change ({unit}, joiners - leavers)"] = jn - lv
    t = t.rename(columns={"area_code": "Code", "area_name": "System", "staff_group": "Staff group",
                          f"sip_start_{u}": f"Staff in post at start ({unit})", f"leavers_{u}": f"Leavers ({unit})",
                          f"joiners_{u}": f"Joiners ({unit})", "leaver_rate": "Leaver rate (monthly)",
                          "joiner_rate": "Joiner rate (monthly)", "leaver_rate_12m": "Leaver rate (12-month rolling)",
                          "joiner_rate_12m": "Joiner rate (12-month rolling)"})
    t[f"Staff in post at end ({unit})"] = t["fte" if u == "fte" else "headcount"]
    cols = ["Code", "System", "Region", f"Leavers ({unit})", f"Joiners ({unit})",
            f"Net change ({unit}, joiners - leavers)", "Leaver rate (monthly)", "Joiner rate (monthly)",
            "Leaver rate (12-month rolling)", "Joiner rate (12-month rolling)", f"Staff in post at start ({unit})",
            f"Staff in post at end ({unit})", "Staff group"]
    return t[cols].sort_values("System", ignore_index=True)


# ---------------------------------------------------------------- role mix
GROUPS = [g for g in STAFF_GROUP_ORDER if g != ALL_STAFF]


def mix_vs_england(m: pd.DataFrame, level: str, period: str) -> pd.DataFrame:
    """Each system's FTE share by staff group beside England's: code, system, staff_group, share,
    england_share, diff_pts (percentage points)."""
    p = m[(m["period"] == period) & (m["staff_group"] != ALL_STAFF)]
    eng = p[p["area_code"] == ENGLAND_CODE].set_index("staff_group")["fte_share"]
    t = p[p["area_code"].isin(_systems(level))][["area_code", "area_name", "staff_group", "fte_share"]].copy()
    t["england_share"] = t["staff_group"].map(eng).astype(float)
    t["diff_pts"] = 100.0 * (t["fte_share"].astype(float) - t["england_share"])
    return t.rename(columns={"fte_share": "share"}).reset_index(drop=True)


def expected_mix(m: pd.DataFrame, area: str, period: str) -> pd.DataFrame:
    """Per staff group for one area: FTE, share, England share, expected FTE for its size and the differences.

    Expected FTE = the area's "All staff groups" FTE x England's share of the group.
    """
    cols = ["Staff group", "FTE", "Share", "England share", "Expected FTE", "Difference (FTE)",
            "Difference (percentage points)", "More or fewer than expected"]
    p = m[m["period"] == period]
    total = _value(p, area, period, ALL_STAFF, "fte")
    a = p[(p["area_code"] == area) & (p["staff_group"] != ALL_STAFF)].set_index("staff_group")
    e = p[(p["area_code"] == ENGLAND_CODE) & (p["staff_group"] != ALL_STAFF)].set_index("staff_group")
    if a.empty or e.empty or not total > 0:
        return pd.DataFrame(columns=cols)
    groups = [g for g in GROUPS if g in a.index or g in e.index]
    # A group absent from the area has no staff (0); a present group with NaN FTE is suppressed: stays blank.
    absent = ~pd.Index(groups).isin(a.index)
    fte = a["fte"].reindex(groups).astype(float).mask(absent, 0.0)
    eng_share = e["fte_share"].reindex(groups).astype(float)
    share = fte / total
    expected = total * eng_share
    diff = fte - expected
    out = pd.DataFrame({"Staff group": groups, "FTE": fte.to_numpy(), "Share": share.to_numpy(),
                        "England share": eng_share.to_numpy(), "Expected FTE": expected.to_numpy(),
                        "Difference (FTE)": diff.to_numpy(),
                        "Difference (percentage points)": 100.0 * (share - eng_share).to_numpy()})
    out["More or fewer than expected"] = np.select(
        [out["Difference (FTE)"].isna(), out["Difference (FTE)"] > 0, out["Difference (FTE)"] < 0],
        ["Not available (suppressed or unknown)", "More", "Fewer"], default="As expected")
    return out[cols]


def mix_over_time(m: pd.DataFrame, level: str, area: str) -> pd.DataFrame:
    """FTE share by staff group over time for the area and England: period, staff_group, series, role, share."""
    codes = dict(comparators(level, area)[:1] + [(ENGLAND_CODE, ENGLAND)])
    sub = m[m["area_code"].isin(codes) & (m["staff_group"] != ALL_STAFF)]
    out = sub[["period", "area_code", "staff_group", "fte_share"]].rename(columns={"fte_share": "share"}).copy()
    out["role"] = out["area_code"].map(codes)
    out["series"] = [area_label(level, c) for c in out["area_code"]]
    out["share"] = out["share"].astype(float)
    return out.sort_values(["staff_group", "role", "period"]).reset_index(drop=True)


def mix_change(m: pd.DataFrame, area: str, start: str, end: str) -> pd.DataFrame:
    """Change in each group's FTE share between two periods, for the area and England (percentage points)."""
    def shares(code: str, period: str) -> pd.Series:
        s = m[(m["area_code"] == code) & (m["period"] == period) & (m["staff_group"] != ALL_STAFF)]
        return s.set_index("staff_group")["fte_share"].astype(float).reindex(GROUPS)
    a0, a1 = shares(area, start), shares(area, end)
    e0, e1 = shares(ENGLAND_CODE, start), shares(ENGLAND_CODE, end)
    out = pd.DataFrame({"Staff group": GROUPS, f"Share {start}": a0.to_numpy(), f"Share {end}": a1.to_numpy(),
                        "Change (percentage points)": 100.0 * (a1 - a0).to_numpy(),
                        "England change (percentage points)": 100.0 * (e1 - e0).to_numpy()})
    return out[out[[f"Share {start}", f"Share {end}"]].notna().any(axis=1)].reset_index(drop=True)
