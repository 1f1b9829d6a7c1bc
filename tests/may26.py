"""Test helper: a May 2026 turnover file made from the real Nov-25 file with the 1 April 2026 successions applied.

Published files from April 2026 carry each organisation's new ICS code. This helper rewrites the real Nov-25
file (period "202604 to 202605") so that ICS_CODE / ICS_NAME / NHSE_REGION_* follow lib/data/vintages:

* organisations of a merged ICB go to its successor;
* trusts of the three split ICBs go where the NHS ODS trust file of July 2026 puts them
  (Riyaburman-analytics/UK-healthcare-analysis etr.csv, commit be5d9213: RDU Frimley Health -> S9B9J Surrey and
  Sussex, RWX Berkshire Healthcare -> S0E4D Thames Valley, RDE East Suffolk and North Essex -> D7T5G Essex,
  RGR West Suffolk -> T6Y0W Norfolk and Suffolk, RWG/RWH/RWR Hertfordshire trusts -> S1Y5D Central East); two
  not found there are placed by location, a documented choice of this test: RY4 Hertfordshire Community ->
  S1Y5D Central East, RQW Princess Alexandra (Harlow, West Essex) -> D7T5G Essex;
* the abolished ICBs' own staff are reported by their successor ICB (rows summed into its organisation code);
  a split ICB's own staff by the successor marked default_successor=yes.
Every figure is the Nov-25 figure, so the re-based Nov-25 must equal this file system by system.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from lib.data import geography

SPLIT_TRUSTS = {"RDU": "S9B9J", "RWX": "S0E4D", "RDE": "D7T5G", "RGR": "T6Y0W", "RWG": "S1Y5D", "RWH": "S1Y5D",
                "RWR": "S1Y5D", "RY4": "S1Y5D", "RQW": "D7T5G"}


def make_may26(src: Path, dst: Path) -> pd.DataFrame:
    """Write the May-26 file to dst; returns it as a frame."""
    d = pd.read_csv(src, dtype=str, keep_default_na=False)
    v26 = geography.vintage("ICS2026").areas.set_index("code")
    new_code = []
    for ics, org in zip(d["ICS_CODE"], d["REPORTING_ORG_CODE"]):
        new_code.append(SPLIT_TRUSTS.get(org) or geography.translate(ics, "ICS", "ICS2026")[0])
    d["ICS_CODE"] = new_code
    d["ICS_NAME"] = d["ICS_CODE"].map(v26["short_name"])
    d["NHSE_REGION_CODE"] = d["ICS_CODE"].map(v26["region_code"])
    d["NHSE_REGION_NAME"] = d["NHSE_REGION_CODE"].map(geography.REGIONS)
    d["PERIOD"] = "202604 to 202605"
    # Abolished ICBs' own staff: reported by the successor ICB
    icb = d["CLUSTER_GROUP"] == "Integrated Care Board"
    gone = icb & ~d["REPORTING_ORG_CODE"].isin(v26.index)
    d.loc[gone, "REPORTING_ORG_CODE"] = d.loc[gone, "ICS_CODE"]
    d.loc[gone, "REPORTING_ORG_NAME"] = "NHS " + d.loc[gone, "ICS_NAME"] + " ICB"
    keys = [c for c in d.columns if c not in ("HC", "FTE")]
    d["HC"] = pd.to_numeric(d["HC"])
    d["FTE"] = pd.to_numeric(d["FTE"])
    d = d.groupby(keys, as_index=False, sort=False)[["HC", "FTE"]].sum()
    d.to_csv(dst, index=False, quoting=csv.QUOTE_MINIMAL)
    return d
