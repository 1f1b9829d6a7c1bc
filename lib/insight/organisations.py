"""Inside a system: organisation-level measures, care-setting filters and peer-group comparison.

* Organisation measures are lib.insight.metrics.area_metrics run with each organisation as the unit, so every
  rate has exactly the definition the systems have (leavers / mean staff in post, FTE by default). An
  organisation's leavers include moves to another NHS organisation (organisation-level turnover).
* Care setting = the published CLUSTER_GROUP (Acute, Mental Health, Community Provider Trust, Ambulance,
  Integrated Care Board); a system measure filtered by care setting sums only that setting's organisations
  (e.g. the leaver rate of the mental-health trusts in each system).
* Peer group = the published BENCHMARK_GROUP (e.g. "Acute - Teaching"); an organisation is compared with its
  peers across England by a funnel plot (lib.stats.funnel, FunnelPlotR's method) and a rank (1 = highest).
Rows without an organisation (system totals, the demo data) have no organisation measures.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.data import geography
from lib.data.schema import ALL_STAFF
from lib.insight.metrics import area_metrics
from lib.stats import signals
from lib.sharing import disclosure

ORG_COLUMNS = ["org_code", "org_name", "system_code", "system_name", "region_code", "cluster_group",
               "benchmark_group"]
RANKABLE = ("leaver_rate", "joiner_rate", "vacancy_rate", "fte", "headcount", "fte_growth")
CARE_SETTING_DEFINITION = ("Care setting is NHS Digital's CLUSTER_GROUP of each organisation (Acute, Mental Health, "
                           "Community Provider Trust, Ambulance, Integrated Care Board); a system's figure for one "
                           "setting sums only the organisations of that setting in the system.")
PEER_DEFINITION = ("Peers are the organisations of the same NHS Digital BENCHMARK_GROUP across England (for example "
                   "\"Acute - Teaching\"). Funnel limits (95% and 99.8%) are around the peers' pooled rate, "
                   "widened for real differences between organisations, as FunnelPlotR does.")


class NoOrganisations(ValueError):
    """The data holds no organisation rows for this question; the message says what to load."""


def org_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical rows that belong to one organisation (org_code given)."""
    return frame[frame["org_code"].fillna("") != ""]


def directory(frame: pd.DataFrame, level: str = "ICS") -> pd.DataFrame:
    """One row per organisation: code, name as published, system, region, care setting, peer group (latest)."""
    rows = org_rows(frame)
    if rows.empty:
        return pd.DataFrame(columns=ORG_COLUMNS)
    latest = rows.sort_values("period_end").groupby("org_code", sort=False).last().reset_index()
    names = geography.area_name_lookup(level)
    out = pd.DataFrame({
        "org_code": latest["org_code"], "org_name": latest["org_name"], "system_code": latest["area_code"],
        "system_name": latest["area_code"].map(names).fillna(latest["area_code"]),
        "region_code": latest["region_code"], "cluster_group": latest["cluster_group"].fillna(""),
        "benchmark_group": latest["benchmark_group"].fillna("")})
    return out.sort_values(["system_code", "org_name"], ignore_index=True)


def org_metrics(frame: pd.DataFrame, basis: str = "fte", level: str = "ICS") -> pd.DataFrame:
    """area_metrics with each organisation as the unit (area_code = organisation code), plus ORG_COLUMNS."""
    rows = org_rows(frame)
    if rows.empty:
        raise NoOrganisations("The data loaded holds no organisation rows (the demo data and staff-in-post ICS "
                              "totals are system figures). Ingest the NHS Digital turnover benchmarking files, "
                              "which are published by organisation.")
    m = area_metrics(rows.assign(area_code=rows["org_code"]), by_staff_group=True, basis=basis)
    d = directory(rows, level).set_index("org_code")
    m["area_name"] = m["area_code"].map(d["org_name"])
    m["org_name"] = m["area_name"]
    for c in ORG_COLUMNS[2:]:
        m[c] = m["area_code"].map(d[c])
    m.insert(m.columns.get_loc("area_code"), "org_code", m["area_code"])
    return m


def suppress_org_metrics(m: pd.DataFrame) -> pd.DataFrame:
    """Disclosure control at organisation level (lib.sharing.disclosure): counts under 5 hidden, and the
    complementary cells so an organisation's hidden figure cannot be worked back from its system's total (the
    organisations of a system are treated as one sum, as the systems of a region are)."""
    out = disclosure.suppress_metrics(m.assign(region_code=m["system_code"]))
    out["region_code"] = m["region_code"].to_numpy()
    return out


def system_organisations(m: pd.DataFrame, system: str, period: str, staff_group: str = ALL_STAFF,
                         care_setting: str | None = None, sort_by: str = "leaver_rate") -> pd.DataFrame:
    """The organisations of one system for one month and staff group, ranked on `sort_by` (1 = highest)."""
    if sort_by not in RANKABLE:
        raise ValueError(f"sort_by must be one of {', '.join(RANKABLE)}; got {sort_by!r}")
    t = m[(m["system_code"] == system) & (m["period"] == period) & (m["staff_group"] == staff_group)]
    if care_setting:
        t = t[t["cluster_group"] == care_setting]
    t = t.copy()
    t["rank"] = t[sort_by].rank(ascending=False, method="min")
    return t.sort_values([sort_by, "org_name"], ascending=[False, True], na_position="last", ignore_index=True)


def care_settings(frame: pd.DataFrame) -> list[str]:
    """Care settings present in the data (CLUSTER_GROUP values), sorted."""
    v = org_rows(frame)["cluster_group"].fillna("")
    return sorted(x for x in v.unique() if x)


def care_setting_metrics(frame: pd.DataFrame, care_setting: str, basis: str = "fte",
                         include_england: bool = True, include_regions: bool = True) -> pd.DataFrame:
    """System (and region, England) measures counting only organisations of one care setting."""
    rows = org_rows(frame)
    known = care_settings(rows)
    if care_setting not in known:
        raise ValueError(f"unknown care setting {care_setting!r}; the data has: {', '.join(known) or 'none'}")
    sub = rows[rows["cluster_group"] == care_setting]
    out = area_metrics(sub, by_staff_group=True, basis=basis, include_england=include_england,
                       include_regions=include_regions)
    out["care_setting"] = care_setting
    return out


def peer_groups(frame: pd.DataFrame) -> list[str]:
    v = org_rows(frame)["benchmark_group"].fillna("")
    return sorted(x for x in v.unique() if x)


@dataclass
class PeerComparison:
    org_code: str
    org_name: str
    peer_group: str
    measure: str
    period: str
    value: float
    rank: int | None          # 1 = highest among peers with a figure
    n_peers: int              # peers with a figure, the organisation included
    peers: pd.DataFrame       # one row per peer: org_code, org_name, system, value, rank, reading
    funnel: signals.FunnelView | None
    notes: list[str]


def peer_comparison(m: pd.DataFrame, org_code: str, period: str, staff_group: str = ALL_STAFF,
                    measure: str = "leaver_rate") -> PeerComparison:
    """An organisation against the organisations of its BENCHMARK_GROUP nationally: rank and funnel plot."""
    me = m[(m["org_code"] == org_code) & (m["period"] == period) & (m["staff_group"] == staff_group)]
    if me.empty:
        raise signals.SignalError(f"No figures for organisation {org_code} in {period} ({staff_group}).")
    me = me.iloc[0]
    group = me["benchmark_group"]
    if not group:
        raise signals.SignalError(f"{me['org_name']} has no peer group (BENCHMARK_GROUP) in the files loaded.")
    peers = m[(m["benchmark_group"] == group) & (m["period"] == period) & (m["staff_group"] == staff_group)].copy()
    peers["rank"] = peers[measure].rank(ascending=False, method="min")
    notes: list[str] = []
    view = None
    if signals.measure(measure).is_rate:
        num, den = signals.numerator_denominator(peers.rename(columns={"fte": "fte"}), measure)
        ok = num.notna() & den.notna()
        if ok.sum() >= 2:
            try:
                res = signals.funnel(num[ok].to_numpy(), den[ok].to_numpy(), peers.loc[ok, "org_code"].to_numpy())
                names = dict(zip(peers["org_code"], peers["org_name"]))
                units = signals.funnel_units(res, names)
                view = signals.FunnelView(res, units, period, measure, list(res.notes))
                notes += res.notes
            except ValueError as exc:
                notes.append(f"No funnel plot: {exc}")
        else:
            notes.append("Fewer than two peers have figures: no funnel plot.")
        if view is not None and len(view.units) < 10:
            notes.append(f"Only {len(view.units)} peers: the estimate of how much they differ beyond chance is rough.")
    rank = peers.loc[peers["org_code"] == org_code, "rank"].iloc[0]
    side = {} if view is None else dict(zip(view.units["area_code"], view.units["side"]))
    table = pd.DataFrame({"org_code": peers["org_code"], "org_name": peers["org_name"],
                          "system_code": peers["system_code"], "system_name": peers["system_name"],
                          "value": peers[measure], "rank": peers["rank"],
                          "funnel": peers["org_code"].map(side).fillna("not in funnel")})
    table = table.sort_values(["value", "org_name"], ascending=[False, True], na_position="last", ignore_index=True)
    return PeerComparison(org_code, me["org_name"], group, measure, period, float(me[measure]),
                          None if pd.isna(rank) else int(rank), int(peers[measure].notna().sum()), table, view, notes)
