"""ONS mid-2022 population estimates for sub-ICB locations ("ICB Population estimates 2022.csv": SICBL 2023 Code,
SICBL 2023 Name, ICB 2023 Code, ..., Total, F0..F90, M0..M90) -> one row per sub-ICB location (its ODS code ends
its name), stored under population/: the denominator of figures per 100,000 people (python -m lib roles
--per-population, the primary care networks page). ICB codes are the April 2023 E54 codes; both codings of the
two recoded ICBs are recognised and stored as the ICB's Q-code.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lib.data import geography
from lib.data.formats.common import Parsed, Rows
from lib.data.schema import conform_population

KIND = "population"
TITLE = "the ONS sub-ICB population estimates CSV"
COLUMNS = ("SICBL 2023 Code", "SICBL 2023 Name", "ICB 2023 Code", "Total")
PERIOD = "2022-06"  # mid-year estimate: 30 June 2022


def detect(upper: set[str], lower: set[str]) -> bool:
    return "SICBL 2023 CODE" in upper and "TOTAL" in upper


def parse(path: Path, header: list[str], data: list[list[str]], level: str = "ICS") -> Parsed:
    rows = Rows(path, header, data, COLUMNS)
    e54 = geography.ICBS
    to_q = dict(zip(e54["e54_code"], e54["q_code"]))
    to_q.update(zip(e54["e54_code_2023"], e54["q_code"]))
    recs, seen = [], {}
    for line, r in rows.lines():
        name = rows.get(r, "SICBL 2023 Name")
        m = re.search(r" - (\w+)\s*$", name)
        if not m:
            rows.error(line, "SICBL 2023 Name", f"{name!r} does not end in the location's ODS code; expected e.g. "
                                                "'NHS South Yorkshire ICB - 02P'")
        icb = to_q.get(rows.get(r, "ICB 2023 Code"))
        if icb is None:
            rows.error(line, "ICB 2023 Code", f"unknown ICB code {rows.get(r, 'ICB 2023 Code')!r}; expected an "
                                              "ONS E54 code of the 42 ICBs (2022 or 2023 coding)")
        total = rows.number(line, r, "Total")
        if total is None and rows.get(r, "Total") == "":
            rows.error(line, "Total", "empty; expected the location's population")
        if not m or icb is None or total is None:
            continue
        code = m[1].upper()
        if code in seen:
            rows.error(line, "SICBL 2023 Name", f"sub-ICB location {code} is also on row {seen[code]}; expected "
                                                "one row each")
            continue
        seen[code] = line
        recs.append((PERIOD, level, icb, code, name.split(" - ")[-1].strip(), rows.get(r, "SICBL 2023 Code"), total))
    if not recs and not rows.problems:
        rows.problems.append("row 2: no data rows; expected at least one")
    rows.finish()
    df = pd.DataFrame(recs, columns=["period_end", "level", "area_code", "sub_icb_code", "sub_icb_name",
                                     "sub_icb_ons_code", "population"])
    df["source"] = KIND
    return Parsed(KIND, str(path), conform_population(df),
                  notes=[f"{len(df)} sub-ICB locations, {df['area_code'].nunique()} ICBs, "
                         f"{df['population'].sum():,.0f} people (mid-2022)"], table="population")
