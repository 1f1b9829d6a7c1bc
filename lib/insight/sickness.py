"""Sickness absence rate as NHS Digital publishes it: FTE days lost to sickness / FTE days available.

Rows come from lib.data.loader.load_sickness (one per month x organisation x staff group; see
lib.data.schema.SICKNESS_COLUMNS). Every aggregate (system, region, England, organisation type) is a ratio of
sums - days lost summed over organisations / days available summed over them - never a mean of rates.
Organisations outside any system (ICS_CODE QZZ: special health authorities and other statutory bodies) count in
England's rate and their organisation type's, in no system's or region's. Improvement direction: decrease.
On another vintage's footprint (lib.data.footprint.load_sickness; `level` is then the vintage key, e.g. ICS2026)
each organisation's days count in its system on that footprint; QZZ rows stay outside; England is unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.data import geography
from lib.data.schema import ALL_STAFF, SICKNESS_OUTSIDE_SYSTEMS
from lib.insight import calendar
from lib.stats import signals
from lib.stats.funnel import funnel
from lib.stats.spc import spc, spc_summary

ENGLAND_CODE = "ENG"
MEASURE = "sickness_rate"
DEFINITION = ("Sickness absence rate = FTE days lost to sickness absence / FTE days available (NHS Digital; "
              "calendar days, so a 365-day year). Systems, regions and England are ratios of sums over their "
              "organisations, never averages of rates.")
BY = ("org", "area", "region", "england", "org_type")
COLUMNS = ["period", "code", "name", "kind", "fte_days_lost", "fte_days_available", "sickness_rate",
           "n_organisations"]


def _group_rows(df: pd.DataFrame, staff_group: str) -> pd.DataFrame:
    return df[df["staff_group"] == staff_group]


def rates(df: pd.DataFrame, by: str = "area", staff_group: str = ALL_STAFF, level: str = "ICS") -> pd.DataFrame:
    """Sickness rate per period x unit, where unit is an organisation (by="org"), a system ("area"), an NHS England
    region ("region"), England ("england") or an organisation type ("org_type"). Columns: COLUMNS (+ area_code,
    org_type for organisations)."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}; got {by!r}")
    rows = _group_rows(df, staff_group)
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    if by == "org":
        key, names = "org_code", rows.groupby("org_code")["org_name"].first()
    elif by == "area":
        rows = rows[rows["area_code"] != SICKNESS_OUTSIDE_SYSTEMS]
        key, names = "area_code", pd.Series(geography.area_name_lookup(level))
    elif by == "region":
        rows = rows[(rows["area_code"] != SICKNESS_OUTSIDE_SYSTEMS) & (rows["region_code"] != "")]
        key, names = "region_code", pd.Series(geography.REGIONS)
    elif by == "england":
        rows = rows.assign(_eng=ENGLAND_CODE)
        key, names = "_eng", pd.Series({ENGLAND_CODE: "England"})
    else:
        rows = rows.assign(org_type=rows["org_type"].replace("", "Not given"))
        key, names = "org_type", None
    g = rows.groupby(["period_end", key], sort=True)
    out = g[["fte_days_lost", "fte_days_available"]].sum(min_count=1).reset_index()
    out["n_organisations"] = g["org_code"].nunique().to_numpy()
    out = out.rename(columns={"period_end": "period", key: "code"})
    out["name"] = out["code"].map(names) if names is not None else out["code"]
    out["name"] = out["name"].fillna(out["code"])
    out["kind"] = by
    with np.errstate(divide="ignore", invalid="ignore"):
        out["sickness_rate"] = np.where(out["fte_days_available"] > 0,
                                        out["fte_days_lost"] / out["fte_days_available"], np.nan)
    out = out[COLUMNS]
    if by == "org":
        extra = rows.groupby("org_code")[["area_code", "org_type"]].first()
        out = out.join(extra, on="code")
    return out.reset_index(drop=True)


def system_table(df: pd.DataFrame, period: str, staff_group: str = ALL_STAFF, level: str = "ICS") -> pd.DataFrame:
    """Every system of the level for one month (all of them, even without figures), with region and England
    rates beside each, ranked (1 = highest rate)."""
    areas = geography.areas(level)[["code", "short_name", "region_code", "region_name"]]
    r = rates(df[df["period_end"] == period], "area", staff_group, level)
    t = areas.merge(r.drop(columns=["name"]), on="code", how="left").rename(columns={"short_name": "name"})
    reg = rates(df[df["period_end"] == period], "region", staff_group, level).set_index("code")["sickness_rate"]
    eng = rates(df[df["period_end"] == period], "england", staff_group, level)["sickness_rate"]
    t["region_rate"] = t["region_code"].map(reg)
    t["england_rate"] = float(eng.iloc[0]) if len(eng) else np.nan
    t["rank"] = t["sickness_rate"].rank(ascending=False, method="min")
    return t.sort_values(["sickness_rate", "name"], ascending=[False, True], na_position="last", ignore_index=True)


def trend(df: pd.DataFrame, code: str, by: str = "area", staff_group: str = ALL_STAFF,
          level: str = "ICS") -> pd.DataFrame:
    """Monthly rate of one unit (period, sickness_rate, fte_days_lost, fte_days_available), in month order."""
    r = rates(df, by, staff_group, level)
    return r[r["code"] == code].sort_values("period", ignore_index=True)


@dataclass
class SicknessSpc:
    chart: pd.DataFrame
    summary: dict
    notes: list[str] = field(default_factory=list)


def spc_view(df: pd.DataFrame, code: str, by: str = "area", staff_group: str = ALL_STAFF,
             level: str = "ICS", until: str | None = None) -> SicknessSpc:
    """XmR chart (Making Data Count rules, lib.stats.spc) of one unit's monthly sickness rate; lower is better.
    Raises signals.SignalError with a plain reason when there are too few months to chart."""
    s = trend(df, code, by, staff_group, level)
    if until is not None:
        s = s[s["period"] <= until]
    s = calendar.with_month_gaps(s)   # one calendar: a month not loaded is a gap, never bridged
    if s["sickness_rate"].notna().sum() < 2:
        raise signals.SignalError(f"Only {len(s)} month(s) of sickness absence figures are loaded for this choice; "
                                  "an SPC chart needs a run of months (12 or more for firm limits). Load more "
                                  "monthly sickness absence files.")
    chart = spc(s["sickness_rate"].to_numpy(), pd.to_datetime(s["period"] + "-01"), improvement_direction="decrease")
    chart["period"] = s["period"].to_numpy()
    notes = []
    n = int(s["sickness_rate"].notna().sum())
    if n < 12:
        notes.append(f"Only {n} months: the limits are trial limits (12 or more months give firm limits).")
    return SicknessSpc(chart, spc_summary(chart, "decrease"), notes)


def chart_view(df: pd.DataFrame, code: str, by: str = "area", staff_group: str = ALL_STAFF,
               level: str = "ICS", until: str | None = None):
    """From 12 months with a value the XmR chart (spc_view), below it a run chart (signals.RunView: median, shifts
    and trends, Making Data Count); missing months are gaps in both. SignalError below 2 months."""
    s = trend(df, code, by, staff_group, level)
    if until is not None:
        s = s[s["period"] <= until]
    n = int(s["sickness_rate"].notna().sum())
    if n >= signals.MIN_SPC_POINTS:
        return spc_view(df, code, by, staff_group, level, until)
    series = calendar.with_month_gaps(s[["period", "sickness_rate"]].rename(columns={"sickness_rate": "value"}))
    if n < 2:
        raise signals.SignalError(f"Only {n} month(s) of sickness absence figures are loaded for this choice; a run "
                                  "chart needs 2 or more (an SPC chart 12). Load more monthly sickness absence files.")
    return signals.run_view_of(series.reset_index(drop=True), "decrease")


def funnel_view(df: pd.DataFrame, period: str, by: str = "area", staff_group: str = ALL_STAFF,
                level: str = "ICS", codes: list[str] | None = None) -> signals.FunnelView:
    """Funnel plot of one month's sickness rates (systems by default, or organisations with by="org"), size =
    FTE days available; FunnelPlotR proportion limits with its overdispersion adjustment (lib.stats.funnel)."""
    r = rates(df[df["period_end"] == period], by, staff_group, level)
    if codes is not None:
        r = r[r["code"].isin(codes)]
    r = r.dropna(subset=["sickness_rate"])
    if r.empty:
        raise signals.SignalError(f"No sickness absence figures for {period}.")
    try:
        res = funnel(r["fte_days_lost"].to_numpy(), r["fte_days_available"].to_numpy(), r["code"].to_numpy())
    except ValueError as exc:
        raise signals.SignalError(f"Cannot draw a funnel plot: {exc}") from None
    names = dict(zip(r["code"], r["name"]))
    units = signals.funnel_units(res, names)
    notes = list(res.notes)
    if len(units) < 10:
        notes.append(f"Only {len(units)} units have figures: the estimate of how much they differ beyond chance "
                     "is rough.")
    return signals.FunnelView(res, units, period, MEASURE, notes)
