"""NHS geography: the 42 ICBs (July 2022), the 42 STPs (April 2021), NHS England regions.

Authored for this project from ONS/NHS published code lists (see data/README.md for sources).
Workforce files key on the NHS Q-code; E54 codes changed for two ICBs in April 2023, so
joins use the Q-code and both E54 vintages are recognised on input.
"""
from __future__ import annotations

import io
from functools import lru_cache

import pandas as pd

REGIONS: dict[str, str] = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
REGION_ONS: dict[str, str] = {
    "Y56": "E40000003", "Y58": "E40000006", "Y59": "E40000005", "Y60": "E40000011",
    "Y61": "E40000007", "Y62": "E40000010", "Y63": "E40000012",
}

# q_code | ONS code July 2022 | ONS code April 2023 | short name (as in NHS workforce files) | region
_ICB_TEXT = """QE1|E54000048|E54000048|Lancashire and South Cumbria|Y62
QF7|E54000061|E54000061|South Yorkshire|Y63
QGH|E54000019|E54000019|Herefordshire and Worcestershire|Y60
QH8|E54000026|E54000026|Mid and South Essex|Y61
QHG|E54000024|E54000024|Bedfordshire, Luton and Milton Keynes|Y61
QHL|E54000055|E54000055|Birmingham and Solihull|Y60
QHM|E54000050|E54000050|North East and North Cumbria|Y63
QJ2|E54000058|E54000058|Derby and Derbyshire|Y60
QJG|E54000023|E54000023|Suffolk and North East Essex|Y61
QJK|E54000037|E54000037|Devon|Y58
QJM|E54000013|E54000013|Lincolnshire|Y60
QK1|E54000015|E54000015|Leicester, Leicestershire and Rutland|Y60
QKK|E54000030|E54000030|South East London|Y56
QKS|E54000032|E54000032|Kent and Medway|Y59
QM7|E54000025|E54000025|Hertfordshire and West Essex|Y61
QMF|E54000029|E54000029|North East London|Y56
QMJ|E54000028|E54000028|North Central London|Y56
QMM|E54000022|E54000022|Norfolk and Waveney|Y61
QNC|E54000010|E54000010|Staffordshire and Stoke-on-Trent|Y60
QNQ|E54000034|E54000034|Frimley|Y59
QNX|E54000053|E54000064|Sussex|Y59
QOC|E54000011|E54000011|Shropshire, Telford and Wrekin|Y60
QOP|E54000057|E54000057|Greater Manchester|Y62
QOQ|E54000051|E54000051|Humber and North Yorkshire|Y63
QOX|E54000040|E54000040|Bath and North East Somerset, Swindon and Wiltshire|Y58
QPM|E54000059|E54000059|Northamptonshire|Y60
QR1|E54000043|E54000043|Gloucestershire|Y58
QRL|E54000042|E54000042|Hampshire and Isle of Wight|Y59
QRV|E54000027|E54000027|North West London|Y56
QSL|E54000038|E54000038|Somerset|Y58
QT1|E54000060|E54000060|Nottingham and Nottinghamshire|Y60
QT6|E54000036|E54000036|Cornwall and the Isles of Scilly|Y58
QU9|E54000044|E54000044|Buckinghamshire, Oxfordshire and Berkshire West|Y59
QUA|E54000062|E54000062|Black Country|Y60
QUE|E54000056|E54000056|Cambridgeshire and Peterborough|Y61
QUY|E54000039|E54000039|Bristol, North Somerset and South Gloucestershire|Y58
QVV|E54000041|E54000041|Dorset|Y58
QWE|E54000031|E54000031|South West London|Y56
QWO|E54000054|E54000054|West Yorkshire|Y63
QWU|E54000018|E54000018|Coventry and Warwickshire|Y60
QXU|E54000052|E54000063|Surrey Heartlands|Y59
QYG|E54000008|E54000008|Cheshire and Merseyside|Y62"""

# ONS code April 2021 | NHS Q-code | STP name (ONS). Q-codes are those the successor ICB kept.
# Eight STP codes differ from their ICB's (E54000007/09/12/14/16/17/20/21): boundaries changed in July 2022
# (Bassetlaw to Nottinghamshire, West Birmingham to Birmingham and Solihull, Glossop to Derbyshire,
# Cumbria split between Lancashire and South Cumbria and North East and North Cumbria, Harrogate to Humber
# and North Yorkshire), so STP and ICS figures are not directly comparable for those systems.
_STP_TEXT = """E54000007|QOP|Greater Manchester Health and Social Care Partnership
E54000008|QYG|Cheshire and Merseyside
E54000009|QF7|South Yorkshire and Bassetlaw
E54000010|QNC|Staffordshire and Stoke on Trent
E54000011|QOC|Shropshire and Telford and Wrekin
E54000012|QJ2|Joined Up Care Derbyshire
E54000013|QJM|Lincolnshire
E54000014|QT1|Nottingham and Nottinghamshire Health and Care
E54000015|QK1|Leicester, Leicestershire and Rutland
E54000016|QUA|The Black Country and West Birmingham
E54000017|QHL|Birmingham and Solihull
E54000018|QWU|Coventry and Warwickshire
E54000019|QGH|Herefordshire and Worcestershire
E54000020|QPM|Northamptonshire
E54000021|QUE|Cambridgeshire and Peterborough
E54000022|QMM|Norfolk and Waveney Health and Care Partnership
E54000023|QJG|Suffolk and North East Essex
E54000024|QHG|Bedfordshire, Luton and Milton Keynes
E54000025|QM7|Hertfordshire and West Essex
E54000026|QH8|Mid and South Essex
E54000027|QRV|North West London Health and Care Partnership
E54000028|QMJ|North London Partners in Health and Care
E54000029|QMF|East London Health and Care Partnership
E54000030|QKK|Our Healthier South East London
E54000031|QWE|South West London Health and Care Partnership
E54000032|QKS|Kent and Medway
E54000034|QNQ|Frimley Health and Care ICS
E54000036|QT6|Cornwall and the Isles of Scilly Health and Social Care Partnership
E54000037|QJK|Devon
E54000038|QSL|Somerset
E54000039|QUY|Bristol, North Somerset and South Gloucestershire
E54000040|QOX|Bath and North East Somerset, Swindon and Wiltshire
E54000041|QVV|Dorset
E54000042|QRL|Hampshire and the Isle of Wight
E54000043|QR1|Gloucestershire
E54000044|QU9|Buckinghamshire, Oxfordshire and Berkshire West
E54000048|QE1|Healthier Lancashire and South Cumbria
E54000050|QHM|Cumbria and North East
E54000051|QOQ|Humber, Coast and Vale
E54000052|QXU|Surrey Heartlands Health and Care Partnership
E54000053|QNX|Sussex Health and Care Partnership
E54000054|QWO|West Yorkshire and Harrogate (Health and Care Partnership)"""


def _icbs() -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(_ICB_TEXT), sep="|", header=None, dtype=str,
                     names=["q_code", "e54_code", "e54_code_2023", "short_name", "region_code"])
    df["name"] = "NHS " + df["short_name"] + " Integrated Care Board"
    df["region_name"] = df["region_code"].map(REGIONS)
    return df.sort_values("q_code", ignore_index=True)


def _stps() -> pd.DataFrame:
    df = pd.read_csv(io.StringIO(_STP_TEXT), sep="|", header=None, dtype=str,
                     names=["e54_code", "q_code", "name"])
    icb = _icbs().set_index("q_code")
    df["icb_q_code"] = df["q_code"]
    df["short_name"] = df["name"]
    df["region_code"] = df["icb_q_code"].map(icb["region_code"])
    df["region_name"] = df["region_code"].map(REGIONS)
    df["boundary_changed_2022"] = df["e54_code"] != df["icb_q_code"].map(icb["e54_code"])
    return df.sort_values("q_code", ignore_index=True)


ICBS: pd.DataFrame = _icbs()
STPS: pd.DataFrame = _stps()
LEVELS = ("ICS", "STP")


def areas(level: str) -> pd.DataFrame:
    """Areas of a level: code (Q-code), name, short_name, region_code, region_name, e54_code."""
    if level == "ICS":
        df = ICBS
    elif level == "STP":
        df = STPS
    else:
        raise ValueError(f"unknown geography level {level!r}: expected one of {', '.join(LEVELS)}")
    return df.rename(columns={"q_code": "code"})[
        ["code", "name", "short_name", "region_code", "region_name", "e54_code"]].copy()


def _norm(text: str) -> str:
    t = " ".join(str(text).strip().lower().replace("&", "and").split())
    for prefix in ("nhs ",):
        if t.startswith(prefix):
            t = t[len(prefix):]
    for suffix in (" integrated care board", " icb", " integrated care system", " ics"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return t


@lru_cache(maxsize=4)
def area_lookup(level: str) -> dict[str, str]:
    """Map every accepted spelling (Q-code, E54 codes of both vintages, ONS and short names) to the Q-code."""
    src = ICBS if level == "ICS" else STPS if level == "STP" else None
    if src is None:
        raise ValueError(f"unknown geography level {level!r}: expected one of {', '.join(LEVELS)}")
    out: dict[str, str] = {}
    for r in src.itertuples():
        keys = [r.q_code, r.e54_code, r.name, r.short_name]
        if level == "ICS":
            keys.append(r.e54_code_2023)
        for k in keys:
            out[_norm(k)] = r.q_code
    return out


def resolve_area(value: str, level: str) -> str | None:
    """Q-code for a code or name at a level, or None when it is not known."""
    return area_lookup(level).get(_norm(value))


@lru_cache(maxsize=4)
def _area_names(level: str) -> tuple[tuple[str, str], ...]:
    a = areas(level)
    return tuple(zip(a["code"], a["short_name"]))


def area_names(level: str) -> dict[str, str]:
    """Q-code -> short name."""
    return dict(_area_names(level))


@lru_cache(maxsize=4)
def _regions_of(level: str) -> tuple[tuple[str, str], ...]:
    a = areas(level)
    return tuple(zip(a["code"], a["region_code"]))


def area_lookup_regions(level: str) -> dict[str, str]:
    """Q-code -> NHS England region code."""
    return dict(_regions_of(level))
