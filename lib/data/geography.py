"""NHS geography through time: vintages of systems (STPs of April 2021, ICBs of July 2022, ICBs of April 2026...)
and NHS England regions.

The vintages are data, not code: one CSV per vintage in lib/data/vintages/ (codes, names, short names, regions,
the date it takes effect) and one *_successions.csv per vintage (which earlier systems became which). A new
vintage (e.g. April 2027) is added by dropping its two CSVs there and running `python -m lib geography check`;
see lib/data/vintages/README.md. Workforce files key on the NHS ODS code (Q-codes, and five-character codes such
as Z9B2Z from April 2026); E54 codes changed for two ICBs in April 2023, so joins use the ODS code and both E54
codes are recognised on input.

A geography *key* names a vintage: "STP", "ICS" (the 42 ICBs of July 2022) or "ICS2026" (the 36 of April 2026).
The keys "ICS" and "STP" are also the store levels files are ingested at (`store_level(key)`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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

VINTAGE_DIR = Path(__file__).resolve().parent / "vintages"
VINTAGE_COLUMNS = ("vintage", "level", "effective_from", "title", "code", "e54_code", "alt_codes", "name",
                   "short_name", "region_code")
SUCCESSION_COLUMNS = ("predecessor_vintage", "predecessor_code", "successor_code", "succession_date",
                      "succession_type", "default_successor", "default_predecessor")


class VintageError(ValueError):
    """A vintage file in lib/data/vintages is malformed; the message names the file, row and column."""


@dataclass(frozen=True)
class Vintage:
    """One geography vintage: the systems of a level from the date it takes effect (see vintages/README.md)."""
    key: str             # "ICS", "ICS2026", "STP": what pages, links and metrics call the footprint
    level: str           # store level its files are ingested at: "ICS" or "STP"
    effective_from: str  # YYYY-MM-DD
    title: str
    areas: pd.DataFrame  # code, e54_code, alt_codes, name, short_name, region_code, region_name

    @property
    def year(self) -> str:
        return self.effective_from[:4]

    @property
    def first_month(self) -> str:
        return self.effective_from[:7]

    @property
    def label(self) -> str:
        """e.g. 'ICBs of April 2026 (36)'."""
        return f"{self.title} ({len(self.areas)})"


def _read_vintage(path: Path) -> Vintage:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in VINTAGE_COLUMNS if c not in df.columns]
    if missing:
        raise VintageError(f"{path.name}: row 1 (header): missing column(s) {', '.join(missing)}; expected "
                           f"{', '.join(VINTAGE_COLUMNS)}")
    if df.empty:
        raise VintageError(f"{path.name}: no rows; expected one row per system")
    df = df.apply(lambda s: s.str.strip())
    for col in ("vintage", "level", "effective_from", "title"):
        vals = df[col].unique()
        if len(vals) != 1:
            raise VintageError(f"{path.name}: column {col} holds {len(vals)} values ({', '.join(vals[:3])}); "
                               "expected the same value on every row")
    key, level, eff = df.at[0, "vintage"], df.at[0, "level"], df.at[0, "effective_from"]
    if key != path.stem:
        raise VintageError(f"{path.name}: column vintage is {key!r}; expected the file name's stem {path.stem!r}")
    if level not in ("ICS", "STP"):
        raise VintageError(f"{path.name}: column level is {level!r}; expected ICS or STP")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])-\d{2}", eff):
        raise VintageError(f"{path.name}: column effective_from is {eff!r}; expected a date YYYY-MM-DD")
    for i, r in enumerate(df.itertuples(index=False), start=2):
        for col in ("code", "name", "short_name", "region_code"):
            if not getattr(r, col):
                raise VintageError(f"{path.name}: row {i}, column {col}: empty; expected a value")
        if r.region_code not in REGIONS:
            raise VintageError(f"{path.name}: row {i}, column region_code: {r.region_code!r} is not a region; "
                               f"expected one of {', '.join(REGIONS)}")
    dup = df["code"].duplicated()
    if dup.any():
        raise VintageError(f"{path.name}: row {int(dup.idxmax()) + 2}, column code: {df.loc[dup, 'code'].iloc[0]} "
                           "appears twice; expected each system once")
    areas = df[["code", "e54_code", "alt_codes", "name", "short_name", "region_code"]].copy()
    areas["region_name"] = areas["region_code"].map(REGIONS)
    return Vintage(key, level, eff, df.at[0, "title"], areas.sort_values("code", ignore_index=True))


def _read_successions(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in SUCCESSION_COLUMNS if c not in df.columns]
    if missing:
        raise VintageError(f"{path.name}: row 1 (header): missing column(s) {', '.join(missing)}; expected "
                           f"{', '.join(SUCCESSION_COLUMNS)}")
    df = df.apply(lambda s: s.str.strip())
    df["successor_vintage"] = path.stem.removesuffix("_successions")
    return df[[*SUCCESSION_COLUMNS, "successor_vintage"]]


def load_vintages(directory: Path = VINTAGE_DIR) -> tuple[dict[str, Vintage], pd.DataFrame]:
    """Every vintage (key -> Vintage, ordered by level then date) and every succession row, checked.

    Raises VintageError naming the file, row and column of the first problem found."""
    vintages: dict[str, Vintage] = {}
    for p in sorted(Path(directory).glob("*.csv")):
        if not p.stem.endswith("_successions"):
            v = _read_vintage(p)
            vintages[v.key] = v
    if not vintages:
        raise VintageError(f"{directory}: no vintage files (*.csv); expected at least one")
    vintages = dict(sorted(vintages.items(), key=lambda kv: (kv[1].level, kv[1].effective_from)))
    frames = [_read_successions(p) for p in sorted(Path(directory).glob("*_successions.csv"))]
    succ = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[*SUCCESSION_COLUMNS, "successor_vintage"])
    problems = check_successions(vintages, succ)
    if problems:
        raise VintageError("; ".join(problems[:5]))
    return vintages, succ


def check_successions(vintages: dict[str, Vintage], succ: pd.DataFrame) -> list[str]:
    """Problems with the succession rows (empty = fine): every code must exist in its vintage, every system
    abolished between two consecutive vintages of a level must have a successor, a split must name exactly one
    default successor and a merger's new system exactly one default predecessor."""
    out: list[str] = []
    for i, r in enumerate(succ.itertuples(index=False), start=2):
        f = f"{r.successor_vintage}_successions.csv: row {i - 0}"
        if r.successor_vintage not in vintages:
            out.append(f"{f}: no vintage file {r.successor_vintage}.csv for these successions")
            continue
        if r.predecessor_vintage not in vintages:
            out.append(f"{f}, column predecessor_vintage: unknown vintage {r.predecessor_vintage!r}")
            continue
        if r.predecessor_code not in set(vintages[r.predecessor_vintage].areas["code"]):
            out.append(f"{f}, column predecessor_code: {r.predecessor_code} is not a system of {r.predecessor_vintage}")
        if r.successor_code not in set(vintages[r.successor_vintage].areas["code"]):
            out.append(f"{f}, column successor_code: {r.successor_code} is not a system of {r.successor_vintage}")
        for col in ("default_successor", "default_predecessor"):
            if getattr(r, col) not in ("yes", "no"):
                out.append(f"{f}, column {col}: {getattr(r, col)!r}; expected yes or no")
    if out:
        return out
    by_level: dict[str, list[Vintage]] = {}
    for v in vintages.values():
        by_level.setdefault(v.level, []).append(v)
    for level, vs in by_level.items():
        for old, new in zip(vs, vs[1:]):
            s = succ[(succ["predecessor_vintage"] == old.key) & (succ["successor_vintage"] == new.key)]
            gone = set(old.areas["code"]) - set(new.areas["code"])
            for code in sorted(gone - set(s["predecessor_code"])):
                out.append(f"{new.key}_successions.csv: {code} ({old.key}) is not in {new.key} and has no successor row")
            born = set(new.areas["code"]) - set(old.areas["code"])
            for code in sorted(born - set(s["successor_code"])):
                out.append(f"{new.key}_successions.csv: {code} is new in {new.key} and has no predecessor row")
            for code, g in s.groupby("predecessor_code"):
                if len(g) > 1 and (g["default_successor"] == "yes").sum() != 1:
                    out.append(f"{new.key}_successions.csv: {code} has {len(g)} successors; mark exactly one "
                               "default_successor=yes (where its organisations go when no file says)")
            for code, g in s[~s["successor_code"].isin(old.areas["code"])].groupby("successor_code"):
                if len(g) > 1 and (g["default_predecessor"] == "yes").sum() != 1:
                    out.append(f"{new.key}_successions.csv: {code} has {len(g)} predecessors; mark exactly one "
                               "default_predecessor=yes")
    return out


VINTAGES, SUCCESSIONS = load_vintages()
LEVELS = ("ICS", "STP")  # store levels: how files are ingested


def vintage(key: str) -> Vintage:
    """The vintage named by a key ("ICS", "ICS2026", "STP") or by a year of an ICS vintage ("2026")."""
    if key in VINTAGES:
        return VINTAGES[key]
    for v in VINTAGES.values():
        if v.level == "ICS" and v.year == str(key):
            return v
    raise ValueError(f"unknown geography level {key!r}: expected one of {', '.join(LEVELS)}, or a geography "
                     f"vintage ({', '.join(VINTAGES)}; or an ICS vintage's year: "
                     f"{', '.join(v.year for v in level_vintages('ICS'))})")


def level_vintages(level: str) -> list[Vintage]:
    """Vintages of a store level, oldest first."""
    return [v for v in VINTAGES.values() if v.level == level]


def vintage_for(level: str, period: str) -> Vintage:
    """The vintage in force for a month ('YYYY-MM') at a store level: the latest that took effect on or before
    the month's first day; months before the first vintage use the first."""
    vs = level_vintages(vintage(level).level)
    found = [v for v in vs if v.first_month <= period]
    return found[-1] if found else vs[0]


def store_level(key: str) -> str:
    """The store level ("ICS"/"STP") a geography key's figures are read from."""
    return vintage(key).level


def _icbs() -> pd.DataFrame:
    a = VINTAGES["ICS"].areas
    alt = a["alt_codes"].where(a["alt_codes"] != "", a["e54_code"])
    df = a.rename(columns={"code": "q_code"}).assign(e54_code_2023=alt)
    return df[["q_code", "e54_code", "e54_code_2023", "short_name", "region_code", "name", "region_name"]]


def _stps() -> pd.DataFrame:
    df = VINTAGES["STP"].areas.rename(columns={"code": "q_code"})[
        ["e54_code", "q_code", "name", "short_name", "region_code", "region_name"]].copy()
    s = SUCCESSIONS[SUCCESSIONS["predecessor_vintage"] == "STP"]
    df["icb_q_code"] = df["q_code"].map(dict(zip(s["predecessor_code"], s["successor_code"])))
    icb = VINTAGES["ICS"].areas.set_index("code")
    df["boundary_changed_2022"] = df["e54_code"] != df["icb_q_code"].map(icb["e54_code"])
    return df.sort_values("q_code", ignore_index=True)


ICBS: pd.DataFrame = _icbs()
STPS: pd.DataFrame = _stps()


def areas(level: str) -> pd.DataFrame:
    """Areas of a level or vintage: code, name, short_name, region_code, region_name, e54_code."""
    return vintage(level).areas[["code", "name", "short_name", "region_code", "region_name", "e54_code"]].copy()


@lru_cache(maxsize=16)
def area_codes(level: str) -> frozenset[str]:
    """The system codes of a level or vintage (asked on every page run: a set, not a copied frame)."""
    return frozenset(vintage(level).areas["code"])


def _norm(text: str) -> str:
    t = " ".join(str(text).strip().lower().replace("&", "and").split())
    for prefix in ("nhs ",):
        if t.startswith(prefix):
            t = t[len(prefix):]
    for suffix in (" integrated care board", " icb", " integrated care system", " ics"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
    return t


@lru_cache(maxsize=16)
def area_lookup(level: str) -> dict[str, str]:
    """Map every accepted spelling (code, E54 codes incl. earlier recodings, ONS and short names) of a vintage's
    systems to its code."""
    out: dict[str, str] = {}
    for r in vintage(level).areas.itertuples():
        keys = [r.code, r.e54_code, r.name, r.short_name, *[c for c in r.alt_codes.split(";") if c.strip()]]
        for k in keys:
            if k:
                out[_norm(k)] = r.code
    return out


def resolve_area(value: str, level: str) -> str | None:
    """Q-code for a code or name at a level, or None when it is not known."""
    return area_lookup(level).get(_norm(value))


def _level_areas(level: str) -> pd.DataFrame:
    """Every system of the key's store level over all its vintages (the key's own vintage wins a clash)."""
    own = vintage(level)
    frames = [v.areas for v in level_vintages(own.level) if v.key != own.key] + [own.areas]
    return pd.concat(frames).drop_duplicates("code", keep="last")


@lru_cache(maxsize=16)
def _area_names(key: str) -> tuple[tuple[str, str], ...]:
    a = vintage(key).areas
    return tuple(zip(a["code"], a["short_name"]))


def area_names(key: str) -> dict[str, str]:
    """Code -> short name for the systems of ONE footprint (the vintage `key`): the list a page or command shows.
    To name rows whose codes may be of any vintage of the level (a file being read), use area_name_lookup."""
    return dict(_area_names(key))


@lru_cache(maxsize=16)
def _area_name_lookup(level: str) -> tuple[tuple[str, str], ...]:
    a = _level_areas(level)
    return tuple(zip(a["code"], a["short_name"]))


def area_name_lookup(level: str) -> dict[str, str]:
    """Code -> short name for every system of the level's vintages (the key's own vintage wins a clash), so rows of
    any period have names. Not a list to show: area_names(key) is one footprint's."""
    return dict(_area_name_lookup(level))


@lru_cache(maxsize=16)
def _regions_of(level: str) -> tuple[tuple[str, str], ...]:
    a = _level_areas(level)
    return tuple(zip(a["code"], a["region_code"]))


def area_lookup_regions(level: str) -> dict[str, str]:
    """Code -> NHS England region code, for every system of the level's vintages."""
    return dict(_regions_of(level))


# ------------------------------------------------------------------------------------------ successions
def _step(code: str, old: Vintage, new: Vintage) -> tuple[str | None, str]:
    """(code in `new`, how) for a system of `old`, one vintage forward."""
    s = SUCCESSIONS[(SUCCESSIONS["predecessor_vintage"] == old.key) & (SUCCESSIONS["successor_vintage"] == new.key)
                    & (SUCCESSIONS["predecessor_code"] == code)]
    if len(s) == 1:
        return s["successor_code"].iloc[0], str(s["succession_type"].iloc[0])
    if len(s) > 1:
        d = s[s["default_successor"] == "yes"]
        return d["successor_code"].iloc[0], "split: default successor"
    if code in set(new.areas["code"]):
        return code, "unchanged"
    return None, "no successor"


def _step_back(code: str, new: Vintage, old: Vintage) -> tuple[str | None, str]:
    """(code in `old`, how) for a system of `new`, one vintage back."""
    if code in set(old.areas["code"]):
        return code, "unchanged"
    s = SUCCESSIONS[(SUCCESSIONS["predecessor_vintage"] == old.key) & (SUCCESSIONS["successor_vintage"] == new.key)
                    & (SUCCESSIONS["successor_code"] == code)]
    if len(s) == 1:
        return s["predecessor_code"].iloc[0], str(s["succession_type"].iloc[0])
    if len(s) > 1:
        d = s[s["default_predecessor"] == "yes"]
        return d["predecessor_code"].iloc[0], "merger: default predecessor"
    return None, "no predecessor"


@lru_cache(maxsize=4096)
def translate(code: str, from_key: str, to_key: str) -> tuple[str | None, str]:
    """The system of vintage `to_key` that system `code` of vintage `from_key` became (or came from), through
    the succession tables one vintage at a time, and how: 'unchanged', 'merger', 'split: default successor'...

    A split predecessor goes to the successor marked default_successor=yes; going back in time, a system formed
    from several goes to the one marked default_predecessor=yes. (None, why) when the chain breaks."""
    src, dst = vintage(from_key), vintage(to_key)
    if src.key == dst.key:
        return (code if code in set(src.areas["code"]) else None), "unchanged"
    chain = level_vintages(src.level)
    if dst.level != src.level:
        # STP -> ICS (the only cross-level succession recorded): treat the STP vintage as the ICS chain's start
        chain = [src, *[v for v in level_vintages(dst.level)]]
    i, j = chain.index(src), chain.index(dst)
    how: list[str] = []
    step = 1 if j > i else -1
    while i != j and code is not None:
        nxt = chain[i + step]
        code, h = _step(code, chain[i], nxt) if step == 1 else _step_back(code, chain[i], nxt)
        how.append(h)
        i += step
    changed = [h for h in how if h != "unchanged"]
    return code, (changed[-1] if changed else "unchanged")


def became(code: str, key: str) -> tuple[str, str] | None:
    """For a code that is not a system of vintage `key` but was (or will be) one of another vintage of its
    level: (the code it corresponds to in `key`, a sentence saying what happened). None when unknown."""
    target = vintage(key)
    if code in set(target.areas["code"]):
        return None
    for v in level_vintages(target.level):
        if code in set(v.areas["code"]):
            new, how = translate(code, v.key, target.key)
            if new is None:
                return None
            old_name = dict(zip(v.areas["code"], v.areas["short_name"]))[code]
            new_name = dict(zip(target.areas["code"], target.areas["short_name"]))[new]
            if v.effective_from < target.effective_from:
                split = ("; it was split between successors, and its figures are shown under the one that took the "
                         "larger part of its population") if "split" in how else ""
                text = (f"{old_name} ({code}) was abolished on {_date_text(target.effective_from)}: it became "
                        f"part of {new_name} ({new}){split}.")
            else:
                text = (f"{old_name} ({code}) was formed on {_date_text(v.effective_from)}; on the {target.title} "
                        f"footprint its area is shown as {new_name} ({new}).")
            return new, text
    return None


def _date_text(iso: str) -> str:
    import calendar
    y, m, d = iso.split("-")
    return f"{int(d)} {calendar.month_name[int(m)]} {y}"


def vintage_summary() -> pd.DataFrame:
    """One row per vintage: key, level, title, effective_from, systems, regions (systems per region)."""
    rows = []
    for v in VINTAGES.values():
        counts = v.areas["region_code"].value_counts()
        rows.append({"key": v.key, "level": v.level, "title": v.title, "effective_from": v.effective_from,
                     "systems": len(v.areas),
                     "systems_by_region": ", ".join(f"{REGIONS[r]} {counts[r]}" for r in sorted(counts.index))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ area codes
ENGLAND = "ENG"


class AreaError(ValueError):
    """An area code that is not England, a region or a system of any geography vintage (message says which)."""


@lru_cache(maxsize=1)
def known_area_codes() -> frozenset[str]:
    """Every code an area may be given as: England, the NHS England regions and every system code of every
    vintage in lib/data/vintages (the one list; no command or page keeps its own, or a pattern)."""
    codes = {ENGLAND, *REGIONS}
    for v in VINTAGES.values():
        codes.update(v.areas["code"])
    return frozenset(codes)


def area_kind(code: str) -> str | None:
    """'england', 'region' or 'system' for a known code; None otherwise."""
    if code == ENGLAND:
        return "england"
    if code in REGIONS:
        return "region"
    return "system" if code in known_area_codes() else None


def check_area(code: object, what: str = "area") -> str:
    """The code when it is England, a region or a system of any vintage; otherwise AreaError with a clear message
    naming `what` (e.g. 'area', '--area'). Leading and trailing spaces are ignored; case must match the vintages'."""
    text = code.strip() if isinstance(code, str) else code
    if isinstance(text, str) and text in known_area_codes():
        return text
    shown = repr(code)[:60]
    vintages = ", ".join(f"{v.title} ({len(v.areas)})" for v in VINTAGES.values())
    raise AreaError(f"{what}: {shown} is not an NHS system, region or England; expected ENG, a region ("
                    f"{', '.join(REGIONS)}) or the code of a system of a geography vintage: {vintages} "
                    "(python -m lib geography list shows them)")


def area_on_footprint(code: str, key: str, what: str = "area") -> tuple[str, str | None]:
    """(code on vintage `key`, None) when the code is England, a region or a system of that vintage;
    AreaError otherwise. For a system of another vintage of the same level the error says what it became (or came
    from) on `key`, through the succession tables, so the caller can offer it: `successor_on(code, key)`."""
    code = check_area(code, what)
    if area_kind(code) != "system" or code in area_codes(key):
        return code, None
    moved = became(code, key)
    v = vintage(key)
    if moved is not None:
        raise AreaError(f"{what}: {moved[1]} It is not a system of the {v.title} footprint; use {moved[0]}, or "
                        f"choose a footprint it belongs to ({_choices(vintages_of(code), v.level)}).")
    raise AreaError(f"{what}: {code} is not a system of the {v.title} footprint; it is a system of "
                    f"{_choices(vintages_of(code), v.level)}.")


def successor_on(code: str, key: str) -> tuple[str, str] | None:
    """(what system `code` corresponds to on vintage `key`, a sentence saying so), or None (see `became`)."""
    try:
        return became(code, key)
    except (KeyError, ValueError):
        return None


def vintages_of(code: str) -> list[str]:
    """The keys of the vintages with a system of this code (e.g. ['ICS', 'ICS2026'] for QE1)."""
    return [v.key for v in VINTAGES.values() if code in area_codes(v.key)]


def _titles(keys: list[str]) -> str:
    return ", ".join(vintage(k).title for k in keys)


def _choices(keys: list[str], level: str) -> str:
    """'ICBs of July 2022 (--footprint 2022), STPs of April 2021 (--level STP)'."""
    return ", ".join(f"{vintage(k).title} (--footprint {vintage(k).year})" if vintage(k).level == level
                     else f"{vintage(k).title} (--level {vintage(k).level})" for k in keys)
