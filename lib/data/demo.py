"""Deterministic generator of the embedded SYNTHETIC demo data (data/demo/).

Synthetic but shaped like England, built only from public national figures (sources below):
* NATIONAL_NOV25: national staff in post (FTE, HC) and monthly FTE leaver/joiner rates by staff group,
  computed from NHS Digital "Turnover benchmarking 2. Staff group and organisation, monthly, Nov-25"
  (NHS Workforce Statistics, OGL v3; period 202510 to 202511, summed over all organisations).
* ICB_POPULATION_2022: ONS mid-2022 population estimates by ICB (sum of sub-ICB locations; OGL v3),
  used to size each system (staff roughly follow population, with a fixed random factor per system).
* VACANCY_RATE_BY_GROUP: levels chosen to match NHS Vacancy Statistics: all-staff 9.7-10% in 2022
  falling to about 7% by 2025 (6.7% at Sep 2025; registered nursing 11.9% at Sep 2022), so the demo's
  group rates sit at about 7-12%.
* ANNUAL_FTE_GROWTH: HCHS FTE growth of about 4% a year 2019-2023 slowing to about 1.5% in 2025
  (NHS Workforce Statistics headline series; approximate).
Every value here is an input to a synthetic picture; none is presented as a real system's figure.
Run: python -m lib demo --out data/demo
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lib.data import geography
from lib.data.ingest import (_atomic_write_bytes, partition_path, sickness_partition_path, sickness_table_bytes,
                             table_bytes)
from lib.data.schema import ALL_STAFF, STAFF_GROUPS, conform, conform_sickness, month_add, month_range

SEED = 20251122
ICS_FIRST, ICS_LAST = "2022-08", "2025-11"   # ICBs exist from July 2022: first monthly period 202207-202208
STP_FIRST, STP_LAST = "2019-04", "2022-06"   # STP level for earlier periods

# staff group: (FTE, HC at end of Nov-25; monthly FTE leaver rate; monthly FTE joiner rate)
NATIONAL_NOV25: dict[str, tuple[float, float, float, float]] = {
    "HCHS Doctors": (76010.4, 85167, 0.00711, 0.01003),
    "Nurses & health visitors": (385345.7, 426057, 0.00647, 0.00881),
    "Midwives": (26831.7, 32603, 0.00592, 0.01452),
    "Ambulance staff": (23193.3, 24979, 0.00591, 0.00761),
    "Scientific, therapeutic & technical staff": (187677.9, 213341, 0.00907, 0.01045),
    "Support to doctors, nurses & midwives": (297034.1, 343907, 0.01116, 0.01087),
    "Support to ambulance staff": (26000.2, 28748, 0.01260, 0.01272),
    "Support to ST&T staff": (89973.5, 101784, 0.01150, 0.01484),
    "Senior managers": (13580.2, 14068, 0.00921, 0.00685),
    "Managers": (26670.7, 27780, 0.00836, 0.00547),
    "Central functions": (111680.1, 121723, 0.00968, 0.00660),
    "Hotel, property & estates": (67322.7, 84023, 0.00974, 0.01022),
    "Unknown classification": (233.8, 294, 0.0070, 0.0070),  # tiny group; rates set to a typical value
}
NATIONAL_HC_ALL_NOV25 = 1502405  # all-staff headcount (people in two groups counted once)

ICB_POPULATION_2022: dict[str, int] = {
    'QYG': 2550846, 'QNC': 1146249, 'QOC': 516049, 'QJM': 775524, 'QK1': 1136705, 'QWU': 963204, 'QGH': 797935,
    'QMM': 1041932, 'QJG': 997767, 'QHG': 1015380, 'QM7': 1506036, 'QH8': 1209480, 'QRV': 2116269, 'QMJ': 1416558,
    'QMF': 2028265, 'QKK': 1795871, 'QWE': 1509217, 'QKS': 1875893, 'QNQ': 773481, 'QT6': 577694, 'QJK': 1232660,
    'QSL': 576852, 'QUY': 992934, 'QOX': 953852, 'QVV': 785172, 'QRL': 1842052, 'QR1': 652409, 'QU9': 1802735,
    'QE1': 1737241, 'QHM': 3005519, 'QOQ': 1713205, 'QWO': 2429755, 'QHL': 1375281, 'QUE': 927342, 'QOP': 2911744,
    'QJ2': 1066954, 'QPM': 792421, 'QT1': 1163335, 'QF7': 1392105, 'QUA': 1222935, 'QXU': 1058519, 'QNX': 1721021,
}

VACANCY_RATE_BY_GROUP: dict[str, float] = {  # level at 2025-11; earlier years are higher (VACANCY_TREND)
    "HCHS Doctors": 0.070, "Nurses & health visitors": 0.085, "Midwives": 0.078, "Ambulance staff": 0.072,
    "Scientific, therapeutic & technical staff": 0.080, "Support to doctors, nurses & midwives": 0.090,
    "Support to ambulance staff": 0.085, "Support to ST&T staff": 0.075, "Senior managers": 0.070,
    "Managers": 0.070, "Central functions": 0.072, "Hotel, property & estates": 0.085,
    "Unknown classification": 0.070,
}
ANNUAL_FTE_GROWTH = {2019: 0.035, 2020: 0.045, 2021: 0.040, 2022: 0.045, 2023: 0.045, 2024: 0.025, 2025: 0.015}
# Doctors in training rotate in August: leavers and joiners spike then (NHS Digital notes).
SEASON = np.array([1.0, 0.95, 1.05, 1.0, 0.95, 1.0, 1.05, 1.2, 1.1, 1.0, 0.95, 0.9])  # Jan..Dec


# Multiplier on the 2025 vacancy level: NHS vacancy rates fell in 2020, peaked mid 2022, then eased.
VACANCY_TREND = {"2019-03": 1.25, "2020-06": 1.05, "2021-06": 1.20, "2022-07": 1.35, "2023-12": 1.15,
                 "2025-11": 1.00}


def _month_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def _vacancy_trend(period: str) -> float:
    xs = [_month_index(p) for p in VACANCY_TREND]
    return float(np.interp(_month_index(period), xs, list(VACANCY_TREND.values())))


def _national_fte_path(months: list[str]) -> np.ndarray:
    """Multiplier of Nov-25 national FTE for each month-end, from the annual growth figures."""
    end = "2025-11"
    mult, p, out = 1.0, end, {}
    all_months = month_range("2019-03", end)
    for p in reversed(all_months):
        out[p] = mult
        g = ANNUAL_FTE_GROWTH.get(int(p[:4]), 0.03)
        mult /= (1 + g) ** (1 / 12)
    return np.array([out[m] for m in months])


def generate(level: str) -> pd.DataFrame:
    rng = np.random.default_rng(SEED + (0 if level == "ICS" else 1))
    first, last = (ICS_FIRST, ICS_LAST) if level == "ICS" else (STP_FIRST, STP_LAST)
    periods = month_range(first, last)
    snaps = [month_add(first, -1), *periods]  # month-end snapshots; period i runs snaps[i] -> snaps[i+1]
    areas = geography.areas(level)
    codes = areas["code"].tolist()
    succ = dict(zip(geography.STPS["q_code"], geography.STPS["icb_q_code"])) if level == "STP" else None
    pop = np.array([ICB_POPULATION_2022[succ[c] if succ else c] for c in codes], dtype=float)
    size = pop * rng.lognormal(0, 0.12, len(codes))  # systems differ in staff per head
    share = size / size.sum()
    groups = list(STAFF_GROUPS)
    nat_fte = np.array([NATIONAL_NOV25[g][0] for g in groups])
    hc_ratio = np.array([NATIONAL_NOV25[g][1] / NATIONAL_NOV25[g][0] for g in groups])
    leave = np.array([NATIONAL_NOV25[g][2] for g in groups])
    # Role mix varies by system (ambulance staff concentrate where an ambulance trust is based).
    mix = rng.lognormal(0, 0.10, (len(codes), len(groups)))
    mix[:, groups.index("Ambulance staff")] *= rng.lognormal(0, 0.35, len(codes))
    base = share[:, None] * nat_fte[None, :] * mix
    base *= nat_fte.sum() / base.sum()
    path = _national_fte_path(snaps)
    area_growth = rng.normal(0, 0.004, len(codes))  # per-system drift in annual growth
    n_snap = len(snaps)
    years = (np.arange(n_snap) - (n_snap - 1)) / 12.0
    fte = base[:, :, None] * path[None, None, :] * np.exp(area_growth[:, None, None] * years[None, None, :])
    fte *= np.exp(rng.normal(0, 0.0015, fte.shape))  # month-to-month noise
    area_leave = rng.lognormal(0, 0.12, len(codes))
    area_vac = rng.lognormal(0, 0.18, len(codes))
    rows = []
    for i, period in enumerate(periods):
        season = SEASON[int(period[5:7]) - 1]
        start, end = fte[:, :, i], fte[:, :, i + 1]
        mean_sip = (start + end) / 2
        lr = np.clip(leave[None, :] * area_leave[:, None] * season * rng.lognormal(0, 0.05, start.shape),
                     0.004, 0.02)
        leavers = lr * mean_sip
        joiners = np.maximum(end - start + leavers, 0.0)
        vac_rate = np.clip(np.array([VACANCY_RATE_BY_GROUP[g] for g in groups])[None, :] * area_vac[:, None]
                           * _vacancy_trend(period) * rng.lognormal(0, 0.04, start.shape), 0.01, 0.2)
        vacancy = vac_rate / (1 - vac_rate) * end
        for a, code in enumerate(codes):
            for g, group in enumerate(groups):
                rows.append((code, group, start[a, g], end[a, g], joiners[a, g], leavers[a, g], vacancy[a, g],
                             hc_ratio[g], period))
    df = pd.DataFrame(rows, columns=["area_code", "staff_group", "sip_start_fte", "sip_end_fte", "joiners_fte",
                                     "leavers_fte", "vacancy_fte", "hc_ratio", "period_end"])
    for m in ("sip_start", "sip_end", "joiners", "leavers"):
        df[f"{m}_hc"] = np.round(df[f"{m}_fte"] * df["hc_ratio"])
    for m in ("sip_start_fte", "sip_end_fte", "joiners_fte", "leavers_fte", "vacancy_fte"):
        df[m] = df[m].round(2)
    df["establishment_fte"] = (df["sip_end_fte"] + df["vacancy_fte"]).round(2)
    df = df.drop(columns="hc_ratio")
    # "All staff groups": FTE is the sum of groups; headcount slightly less (people in two groups).
    overlap = NATIONAL_HC_ALL_NOV25 / sum(v[1] for v in NATIONAL_NOV25.values())
    tot = df.groupby(["period_end", "area_code"], sort=False).sum(numeric_only=True).reset_index()
    for m in ("sip_start_hc", "sip_end_hc", "joiners_hc", "leavers_hc"):
        tot[m] = np.round(tot[m] * overlap)
    tot["staff_group"] = ALL_STAFF
    df = pd.concat([tot, df], ignore_index=True)
    df["period_start"] = df["period_end"].map(lambda p: month_add(p, -1))
    df["period_months"] = 1
    df["level"] = level
    df["area_name"] = df["area_code"].map(geography.area_name_lookup(level))
    df["region_code"] = df["area_code"].map(geography.area_lookup_regions(level))
    df["org_code"] = ""
    df["org_name"] = ""
    df["source"] = "demo"
    return conform(df)


# Sickness absence (SYNTHETIC): England's rate in March 2025 was 4.884% (NHS Digital file, METHODS 1.4); NHS
# sickness absence peaks in winter (respiratory illness) and is lowest in summer. Monthly multipliers Jan..Dec:
SICKNESS_ENGLAND_MAR25 = 0.04884
SICKNESS_SEASON = np.array([1.12, 1.05, 1.00, 0.95, 0.93, 0.92, 0.95, 0.96, 0.97, 1.02, 1.06, 1.12])


def generate_sickness() -> pd.DataFrame:
    """SYNTHETIC monthly sickness absence per ICS system (one pseudo-organisation per system, named so): days
    available = the demo's all-staff FTE x days in the month; rate = England's Mar-2025 rate x a fixed factor per
    system x the season x a little noise. Shaped like the published figures; not real figures for any system."""
    rng = np.random.default_rng(SEED + 7)  # its own stream: the workforce demo rows are unchanged
    staff = generate("ICS")
    staff = staff[staff["staff_group"] == ALL_STAFF][["period_end", "area_code", "region_code", "sip_end_fte"]]
    codes = sorted(staff["area_code"].unique())
    factor = dict(zip(codes, rng.lognormal(0, 0.10, len(codes))))
    staff = staff.sort_values(["period_end", "area_code"], ignore_index=True)
    days = pd.to_datetime(staff["period_end"] + "-01").dt.days_in_month.to_numpy()
    season = SICKNESS_SEASON[staff["period_end"].str[5:7].astype(int).to_numpy() - 1] / SICKNESS_SEASON[2]
    rate = SICKNESS_ENGLAND_MAR25 * staff["area_code"].map(factor).to_numpy() * season * rng.lognormal(
        0, 0.03, len(staff))
    available = (staff["sip_end_fte"].to_numpy() * days).round(2)
    out = pd.DataFrame({
        "period_end": staff["period_end"], "level": "ICS", "area_code": staff["area_code"],
        "area_name": staff["area_code"].map(geography.area_name_lookup("ICS")), "region_code": staff["region_code"],
        "org_code": staff["area_code"], "org_name": "All organisations in the system (synthetic)", "org_type": "",
        "staff_group": ALL_STAFF, "source": "demo", "fte_days_lost": (rate * available).round(2),
        "fte_days_available": available})
    return conform_sickness(out)


def write_demo(out_dir: str | Path) -> dict:
    out = Path(out_dir)
    man = out / "manifest.json"
    if man.exists() and not json.loads(man.read_text(encoding="utf-8") or "{}").get("synthetic", False):
        # the synthetic flag must never be written over real rows
        raise ValueError(f"{out} holds real (ingested) data: synthetic demo data is never written into it; "
                         "choose an empty directory with --out")
    counts = {}
    for level in ("ICS", "STP"):
        df = generate(level)
        counts[level] = len(df)
        for period, part in df.groupby("period_end", sort=True):
            _atomic_write_bytes(partition_path(out, level, period, "demo"), table_bytes(part))
    sick = generate_sickness()
    counts["sickness"] = len(sick)
    for period, part in sick.groupby("period_end", sort=True):
        _atomic_write_bytes(sickness_partition_path(out, "ICS", period, "demo"), sickness_table_bytes(part))
    manifest = {
        "synthetic": True,
        "description": "SYNTHETIC demo data generated by lib/data/demo.py (seed %d) from public national figures; "
                       "not real figures for any system." % SEED,
        "files": [{"file": "lib/data/demo.py", "kind": "demo", "levels": ["ICS", "STP"],
                   "periods": {"ICS": [ICS_FIRST, ICS_LAST], "STP": [STP_FIRST, STP_LAST]}}],
    }
    _atomic_write_bytes(out / "manifest.json", json.dumps(manifest, indent=1).encode("utf-8"))
    pop = pd.DataFrame({"area_code": list(ICB_POPULATION_2022), "population": list(ICB_POPULATION_2022.values())})
    pop["source"] = "ONS mid-2022 population estimates by ICB (sum of sub-ICB locations), OGL v3"
    _atomic_write_bytes(out / "population_ICS.csv", pop.to_csv(index=False).encode("utf-8"))
    return counts
