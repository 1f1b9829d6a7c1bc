"""Fair comparisons for a system: hosted regional services marked, "similar systems" as peers, and quartiles.

* Hosted regional service (HOSTED_RULE): an organisation that serves people beyond the system it sits in, so its
  staff count in that system's figures though the system does not "have" them: every ambulance trust (NHS Digital
  CLUSTER_GROUP "Ambulance": London Ambulance Service, in South East London's figures, serves all five London
  systems) and every specialist acute trust (BENCHMARK_GROUP "Acute - Specialist": Great Ormond Street, the Royal
  Marsden, the Christie...). Decided from the published file's own columns, so a new trust is classed with no list
  to keep up to date.
* Similar systems (SIMILAR_RULE): the K systems nearest in size, care-setting mix and region (a distance over
  ln(FTE), the shares of FTE in acute, mental health, community and ambulance trusts, and a step for another
  region), as Model Health System compares a trust with its peer group as well as England.
* Quartiles: pandas' default (linear interpolation between ranked values), over the peers with a figure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib.data.schema import ALL_STAFF

HOSTED_CLUSTERS = ("Ambulance",)
HOSTED_BENCHMARK_GROUPS = ("Acute - Specialist",)
HOSTED_RULE = ("A hosted regional service is an organisation whose staff count in the system it sits in although it "
               "serves people beyond it: every ambulance trust (NHS Digital's care setting, CLUSTER_GROUP, "
               "'Ambulance'; for example London Ambulance Service, counted in South East London, serves all of "
               "London) and every specialist acute trust (peer group, BENCHMARK_GROUP, 'Acute - Specialist'; for "
               "example Great Ormond Street or the Christie). The rule reads the published file's own columns, so "
               "no list of trusts has to be kept up to date. 'Without hosted regional services' leaves them out of "
               "both the system and England.")
# Role mix's switch and the one sentence saying what it does (Headlines and Role mix both show it under a hosted
# services warning): the switch redraws only the "more or fewer than expected" table; the charts and the similar
# systems' table keep counting the hosted services.
HOSTED_SWITCH = "Leave out hosted regional services (this system and England)"
ROLE_MIX_HOSTED = (f"On Role mix, the switch '{HOSTED_SWITCH}' gives the staff groups more or fewer than expected "
                   "without them; its charts and its similar systems' table count them. Data and definitions says "
                   "the rule.")
SETTINGS = ("Acute", "Mental Health", "Community Provider Trust", "Ambulance")
PEER_COUNT = 7
REGION_STEP = 0.25
SIMILAR_RULE = (f"Similar systems are the {PEER_COUNT} systems closest to this one in size, care-setting mix and "
                "region: the distance adds the difference in the natural log of staff in post (FTE), the summed "
                "differences in the shares of FTE in acute, mental health, community and ambulance trusts, and "
                f"{REGION_STEP} when the system is in another NHS region. Size and mix come first because they "
                "shape the role mix and turnover most; region breaks near ties (labour markets). Quartiles are of "
                "the similar systems with a figure, the system itself left out.")


def is_hosted(rows: pd.DataFrame) -> pd.Series:
    """True for rows of a hosted regional service (HOSTED_RULE)."""
    return (rows["cluster_group"].fillna("").isin(HOSTED_CLUSTERS)
            | rows["benchmark_group"].fillna("").isin(HOSTED_BENCHMARK_GROUPS))


def _total_rows(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    f = frame[(frame["period_end"].astype(str) == period) & (frame["staff_group"] == ALL_STAFF)
              & (frame["org_code"].fillna("") != "")]
    return f


def hosted_services(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Hosted regional services in each system for one month: system_code, org_code, org_name, kind, fte (staff
    in post at the end of the month, all staff groups), system_fte and share of the system's FTE."""
    cols = ["system_code", "org_code", "org_name", "kind", "fte", "system_fte", "share"]
    f = _total_rows(frame, period)
    if f.empty:
        return pd.DataFrame(columns=cols)
    system_fte = f.groupby("area_code")["sip_end_fte"].sum()
    h = f[is_hosted(f)]
    out = pd.DataFrame({
        "system_code": h["area_code"].to_numpy(), "org_code": h["org_code"].to_numpy(),
        "org_name": h["org_name"].to_numpy(),
        "kind": np.where(h["cluster_group"].fillna("").isin(HOSTED_CLUSTERS), "ambulance trust",
                         "specialist trust"),
        "fte": h["sip_end_fte"].astype(float).to_numpy()})
    out["system_fte"] = out["system_code"].map(system_fte).astype(float)
    out["share"] = out["fte"] / out["system_fte"]
    return out.sort_values(["system_code", "fte"], ascending=[True, False], ignore_index=True)


def without_hosted(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical organisation rows without hosted regional services (for metrics 'without them')."""
    return frame[~is_hosted(frame)]


def system_profile(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    """Per system: region, FTE (all staff groups, end of month) and the share of FTE in each care setting."""
    f = _total_rows(frame, period)
    if f.empty:
        return pd.DataFrame(columns=["area_code", "region_code", "fte", *SETTINGS])
    fte = f.groupby("area_code")["sip_end_fte"].sum().astype(float)
    by = f.pivot_table(index="area_code", columns="cluster_group", values="sip_end_fte", aggfunc="sum").reindex(
        columns=list(SETTINGS)).fillna(0.0)
    region = f.groupby("area_code")["region_code"].agg(lambda s: s.mode().iloc[0] if len(s.mode()) else "")
    out = by.div(fte, axis=0)
    out.insert(0, "fte", fte)
    out.insert(0, "region_code", region)
    out.columns.name = None
    return out.reset_index()


def similar_systems(profile: pd.DataFrame, area: str, k: int = PEER_COUNT) -> pd.DataFrame:
    """The k systems nearest `area` (SIMILAR_RULE), nearest first, with their distance. Empty if `area` is not
    a system of the profile."""
    p = profile.set_index("area_code")
    if area not in p.index:
        return pd.DataFrame(columns=["area_code", "distance"])
    me = p.loc[area]
    others = p.drop(index=area)
    others = others[others["fte"] > 0]
    d = (np.abs(np.log(others["fte"] / me["fte"]))
         + (others[list(SETTINGS)] - me[list(SETTINGS)]).abs().sum(axis=1)
         + REGION_STEP * (others["region_code"] != me["region_code"]))
    out = pd.DataFrame({"area_code": d.index, "distance": d.to_numpy()})
    return out.sort_values(["distance", "area_code"], ignore_index=True).head(k)


def quartiles(values) -> tuple[float, float, float]:
    """(lower quartile, median, upper quartile) of the values with a figure (NaN when none)."""
    v = pd.Series(values, dtype=float).dropna()
    if v.empty:
        return (float("nan"),) * 3
    q = v.quantile([0.25, 0.5, 0.75])
    return float(q.iloc[0]), float(q.iloc[1]), float(q.iloc[2])


def position(value: float, q1: float, q3: float) -> str:
    """Where a figure falls among the peers, in words."""
    if pd.isna(value) or pd.isna(q1) or pd.isna(q3):
        return "Not available"
    if value > q3:
        return "Above the peers' upper quartile"
    if value < q1:
        return "Below the peers' lower quartile"
    return "Within the peers' middle half"


def mix_with_peers(m: pd.DataFrame, area: str, period: str, peers: list[str]) -> pd.DataFrame:
    """Per staff group: the system's share of FTE, the similar systems' quartiles, England's share and where the
    system falls among its peers. `m`: metrics by staff group (systems and England)."""
    cols = ["Staff group", "Share", "Similar systems' share: lower quartile", "Similar systems' share: median",
            "Similar systems' share: upper quartile", "England share", "Among similar systems"]
    p = m[(m["period"].astype(str) == period) & (m["staff_group"] != ALL_STAFF)]
    me = p[p["area_code"] == area].set_index("staff_group")["fte_share"].astype(float)
    if me.empty:
        return pd.DataFrame(columns=cols)
    eng = p[p["area_code"] == "ENG"].set_index("staff_group")["fte_share"].astype(float)
    peer = p[p["area_code"].isin(peers)]
    rows = []
    for g in me.index:
        q1, q2, q3 = quartiles(peer.loc[peer["staff_group"] == g, "fte_share"])
        rows.append({"Staff group": g, "Share": me[g], "Similar systems' share: lower quartile": q1,
                     "Similar systems' share: median": q2, "Similar systems' share: upper quartile": q3,
                     "England share": eng.get(g, float("nan")), "Among similar systems": position(me[g], q1, q3)})
    return pd.DataFrame(rows, columns=cols)


# Which end of each measure is better, said beside every rank and comparison (issue 24).
BETTER = {"leaver_rate": "lower", "joiner_rate": "higher", "vacancy_rate": "lower", "sickness_rate": "lower",
          "leaver_rate_12m": "lower", "joiner_rate_12m": "higher"}
MEASURE_WORDS = {"leaver_rate": "Leaver rate", "joiner_rate": "Joiner rate", "vacancy_rate": "Vacancy rate",
                 "leaver_rate_12m": "12-month leaver rate", "joiner_rate_12m": "12-month joiner rate"}
RATE_COLUMNS = ["Measure", "System's rate", "England's rate", "Similar systems' rate: lower quartile",
                "Similar systems' rate: median", "Similar systems' rate: upper quartile", "Among similar systems",
                "Better"]
NOHOST_COLUMNS = ["System's rate without hosted regional services",
                  "England's rate without hosted regional services"]


def rates_with_peers(m: pd.DataFrame, area: str, period: str, peers: list[str],
                     measures: tuple[str, ...] = ("leaver_rate", "joiner_rate", "vacancy_rate"),
                     group: str = ALL_STAFF, without_hosted: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per measure with a figure for the system: the system's rate, England's, the similar systems'
    quartiles (the system left out), where the system falls among them and which end is better.

    `m`: metrics (systems and England) with the measures as columns. `without_hosted`: the same month's metrics
    without hosted regional services (peers' parts); given, two columns more: the system's and England's rate
    without them, so a rate a hosted service moves is seen beside the one it would be."""
    p = m[(m["period"].astype(str) == period) & (m["staff_group"] == group)].set_index("area_code")
    cols = RATE_COLUMNS + (NOHOST_COLUMNS if without_hosted is not None else [])
    if area not in p.index:
        return pd.DataFrame(columns=cols)
    nh = None
    if without_hosted is not None:
        nh = without_hosted[(without_hosted["period"].astype(str) == period)
                            & (without_hosted["staff_group"] == group)].set_index("area_code")
    rows = []
    for k in measures:
        v = float(p.at[area, k]) if k in p.columns and pd.notna(p.at[area, k]) else float("nan")
        if pd.isna(v):
            continue
        eng = float(p.at["ENG", k]) if "ENG" in p.index and pd.notna(p.at["ENG", k]) else float("nan")
        q1, q2, q3 = quartiles(p.loc[p.index.isin(peers), k])
        row = {"Measure": MEASURE_WORDS.get(k, k), "System's rate": v, "England's rate": eng,
               "Similar systems' rate: lower quartile": q1, "Similar systems' rate: median": q2,
               "Similar systems' rate: upper quartile": q3, "Among similar systems": position(v, q1, q3),
               "Better": f"{BETTER.get(k, 'lower').capitalize()} is better"}
        if nh is not None:
            def get(code: str) -> float:
                return float(nh.at[code, k]) if code in nh.index and k in nh.columns else float("nan")
            row[NOHOST_COLUMNS[0]], row[NOHOST_COLUMNS[1]] = get(area), get("ENG")
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def comparison_lines(m: pd.DataFrame, area: str, period: str, peers: list[str],
                     measures: tuple[str, ...] = ("leaver_rate", "joiner_rate", "vacancy_rate"),
                     group: str = ALL_STAFF) -> list[str]:
    """One sentence per measure: the system's figure, England's, the similar systems' quartiles and where the
    system falls among them, and which end is better (rates_with_peers in words). Measures with no figure for the
    system are left out."""
    out = []
    for r in rates_with_peers(m, area, period, peers, measures, group).to_dict("records"):
        q1, q2, q3 = (r[f"Similar systems' rate: {w}"] for w in ("lower quartile", "median", "upper quartile"))
        where = r["Among similar systems"].replace("the peers'", "their").lower()
        peer_text = (f"similar systems' middle half {100 * q1:.2f}% to {100 * q3:.2f}% (median {100 * q2:.2f}%): "
                     f"{where}" if not pd.isna(q2) else "no figures for similar systems")
        eng = r["England's rate"]
        eng_text = f"England {100 * eng:.2f}%" if not pd.isna(eng) else "no England figure"
        v = r["System's rate"]
        out.append(f"{r['Measure']} {100 * v:.2f}%: {eng_text}; {peer_text}. {r['Better']}.")
    return out
