"""Primary care network rows in the store (<data_dir>/pcn/level=ICS/period=YYYY-MM/pcn.parquet, written by
lib.data.formats.pcn through lib.data.storage), and the population they are divided by.

Footprints: the files carry the 42 ICBs of July 2022 for every quarter. On the 36 ICBs of April 2026 a PCN goes
where its sub-ICB location goes (lib/data/sub_icb_2026.csv) when its ICB was split, else through the succession
table (lib/data/vintages): Hertfordshire and West Essex and Suffolk and North East Essex are split by their
sub-ICB locations; Frimley is a single sub-ICB location, so all of it goes to its default successor.

Population: ONS mid-2022 estimates for sub-ICB locations, ingested like any published file (lib.data.formats.
population), so a system's population on either footprint is the sum of the same sub-ICB locations its PCNs are
counted in.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
from lib.data import geography, loader
from lib.data.schema import PCN_ARROW_SCHEMA, PCN_COLUMNS, POPULATION_ARROW_SCHEMA, POPULATION_COLUMNS

LEVEL = "ICS"
SUB_ICB_2026 = Path(__file__).with_name("sub_icb_2026.csv")
POPULATION_TITLE = "ONS mid-2022 population estimates (sub-ICB locations)"


def periods(data_dir: str | Path) -> list[str]:
    return loader.table_periods(data_dir, "pcn", LEVEL)


def load(data_dir: str | Path, wanted: list[str] | None = None, problems: list[str] | None = None) -> pd.DataFrame:
    """PCN rows (lib.data.schema.PCN_COLUMNS); an unreadable file is skipped and named in `problems`."""
    return loader.load_table(data_dir, "pcn", LEVEL, PCN_COLUMNS, PCN_ARROW_SCHEMA, wanted, problems)


@lru_cache(maxsize=1)
def sub_icb_successors() -> pd.DataFrame:
    return pd.read_csv(SUB_ICB_2026, dtype=str, keep_default_na=False)


def system_of(area_code: str, sub_icb_code: str, key: str) -> tuple[str | None, str]:
    """(system code on footprint `key`, how) for a PCN in `sub_icb_code` of 2022 ICB `area_code`."""
    target = geography.vintage(key)
    if target.key == LEVEL:
        return area_code, "as published"
    if target.key == "ICS2026":
        s = sub_icb_successors()
        hit = s[(s["icb_code"] == area_code) & (s["sub_icb_code"] == sub_icb_code)]
        if len(hit):
            return hit["successor_code"].iloc[0], hit["how"].iloc[0]
    return geography.translate(area_code, LEVEL, target.key)


def on_footprint(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """PCN rows with area_code, area_name and region_code of footprint `key` (every row moved, none dropped)."""
    if geography.vintage(key).key == LEVEL or frame.empty:
        return frame
    pairs = frame[["area_code", "sub_icb_code"]].drop_duplicates()
    moved = {(a, s): system_of(a, s, key)[0] for a, s in pairs.itertuples(index=False)}
    out = frame.copy()
    out["area_code"] = [moved[(a, s)] for a, s in zip(frame["area_code"], frame["sub_icb_code"])]
    if out["area_code"].isna().any():
        raise ValueError(f"some systems have no successor on the {key} footprint")
    out["area_name"] = out["area_code"].map(geography.area_name_lookup(key))
    out["region_code"] = out["area_code"].map(geography.area_lookup_regions(key))
    return out


def population(data_dir: str | Path, key: str = LEVEL) -> pd.DataFrame:
    """area_code, population (ONS mid-2022) of each system of footprint `key`, summed from the sub-ICB locations
    in the store (python -m lib ingest "ICB Population estimates 2022.csv"); empty when none is loaded."""
    df = loader.load_table(data_dir, "population", LEVEL, POPULATION_COLUMNS, POPULATION_ARROW_SCHEMA)
    if df.empty:
        return pd.DataFrame({"area_code": pd.Series(dtype=str), "population": pd.Series(dtype="float64")})
    df["area_code"] = [system_of(a, s, key)[0] for a, s in zip(df["area_code"], df["sub_icb_code"])]
    return df.groupby("area_code", as_index=False)["population"].sum()


def population_by_area(data_dir, key: str) -> dict[str, float]:
    """ONS population by area, as the app, the board pack and the map read it: population_<KEY>.csv in the store,
    else the ONS sub-ICB estimates ingested into it (ICB footprints only); {} when neither can be read."""
    p = Path(data_dir) / f"population_{key}.csv"
    if not p.exists():
        if key not in ("ICS", "ICS2026"):
            return {}
        try:
            pop = population(data_dir, key)
        except (OSError, ValueError, KeyError):
            return {}
        return dict(zip(pop["area_code"], pop["population"].astype(float)))
    try:
        df = pd.read_csv(p, dtype={"area_code": str})
        return dict(zip(df["area_code"], pd.to_numeric(df["population"], errors="coerce")))
    except (OSError, ValueError, KeyError):
        return {}
