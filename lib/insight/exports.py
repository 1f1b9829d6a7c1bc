"""Formula-safe CSV and Excel exports that stand alone, and the vacancy template.

Downloads from the app (to_csv_bytes / to_excel_bytes) carry notes (title, system, period, source and the
synthetic label where it applies: `standard_notes`) and numbers rounded as the screen shows them
(`as_shown`): FTE to 1 decimal place, headcounts as whole numbers, rates and shares as fractions (not "0.9%"
text) in a column whose name says "(fraction)". The CSV carries the notes in a block of its own at the top: one
"# note" line each (a single quoted cell, so a spreadsheet shows each note whole in column A), then one blank
line, then the data table with its header (`read_csv_export` splits the two; pandas reads the table with
`skiprows`). Notes are never spread down a column of unrelated rows. Excel puts them on a "notes" sheet.

Any text cell starting with = + - @ (or a tab / carriage return) is prefixed with a single quote,
so a spreadsheet shows it as text instead of running it as a formula (OWASP CSV injection).
Numbers stay numbers: a negative number is not text and is left alone.
"""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def formula_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise_cell)
    return out


def to_csv_text(df: pd.DataFrame, float_format: str | None = None) -> str:
    return formula_safe(df).to_csv(index=False, float_format=float_format, lineterminator="\n")


SOURCE_NOTE = ("Source: NHS Digital NHS Workforce Statistics (turnover benchmarking, staff in post); vacancies from "
               "the Provider Workforce Return or the vacancy template.")
SYNTHETIC_NOTE = "SYNTHETIC demo data - not real figures for any system."
# Column words that mean a count of people (whole numbers) or FTE (1 decimal place), in the product's names.
_HEADCOUNT = re.compile(r"(headcount|(^|[_ (])hc($|[_ )])|people|persons)", re.I)
_FTE = re.compile(r"(fte|^gap|^demand|^capacity|^leavers|^joiners|trained_in|recruited|upskilled|trainees)", re.I)
_RATE = re.compile(r"(rate|share|proportion)", re.I)
_PERCENT_TEXT = re.compile(r"^\s*-?\d+(\.\d+)?\s*%\s*$")


def standard_notes(title: str, *, system: str | None = None, period: str | None = None, synthetic: bool = False,
                   extra: list[str] | None = None) -> list[str]:
    """The notes every export carries: what it is, for which system and period, the source, synthetic or not."""
    notes = [title]
    if system:
        notes.append(f"System: {system}")
    if period:
        notes.append(f"Period: {period}")
    notes.append(SOURCE_NOTE)
    if synthetic:
        notes.append(SYNTHETIC_NOTE)
    return notes + list(extra or [])


# What a download's file-name parts say in words (longest first): the notes' title says what the table is, never
# the file name ("headlines ICS 2025-11" was the title of the Headlines table).
TITLE_WORDS = {
    "role_mix_without_hosted": "Role mix without hosted regional services: more or fewer than expected",
    "role_mix_vs_england": "Role mix against England", "role_mix_similar": "Role mix against similar systems",
    "role_mix_change": "Change in role mix", "role_mix_expected": "Role mix: more or fewer than expected",
    "role_mix_all": "Role mix of every system", "role_mix": "Role mix: more or fewer than expected",
    "mix_over_time": "Role mix over time", "what_changed": "What changed this month",
    "what_if": "What-if scenario", "whatif_bridge": "What-if: why the scenario differs",
    "pcn_roles": "Primary care networks' new roles", "pcn_funnel": "Primary care networks' new roles against "
    "expected range", "pcn_rank": "Primary care networks' new roles ranked", "pcn_trend": "Primary care networks' "
    "new roles over time", "headlines": "Headlines: every system", "turnover": "Turnover: every system",
    "vacancies": "Vacancies: every system", "organisations": "Organisations in the system",
    "profile": "System profile", "sickness_funnel": "Sickness absence against expected range",
    "sickness_rank": "Sickness absence ranked", "sickness_spc": "Sickness absence: signal or noise",
    "sickness_trend": "Sickness absence over time", "sickness": "Sickness absence", "funnel": "Against expected range",
    "ranking": "Ranking", "map": "Map", "spc": "Signal or noise", "bridge": "Staff in post: start to end",
    "flows": "Joiners and leavers", "trends": "Trends", "share": "Share of FTE",
    "leaver_rate": "leaver rate", "joiner_rate": "joiner rate", "vacancy_rate": "vacancy rate",
    "sickness_rate": "sickness absence rate", "fte_share": "share of FTE", "fte": "FTE basis",
    "hc": "headcount basis", "leaver_rate_12m": "12-month leaver rate", "joiner_rate_12m": "12-month joiner rate",
}
_SPC_WORDS = {"fte": "staff in post (FTE)", "hc": "staff in post (headcount)"}
_LEVEL_TOKENS = {"ICS", "STP", "ICS2026", "ICS2022"}
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def title_from_name(name: str, area_names: dict[str, str] | None = None, level: str | None = None) -> str:
    """The notes' title of a download named `name` (e.g. 'organisations_QYG_2025-11'), in words: what the table is,
    the area's name (an ICB's with 'ICB'), the month or months ('Organisations in the system, Cheshire and
    Merseyside ICB, Nov 2025'). `area_names`: code -> name of the areas shown (England, regions, systems).
    Parts it does not know are kept as words."""
    from lib.data.geography import ENGLAND, REGIONS, area_kind
    from lib.data.schema import period_label
    names = {ENGLAND: "England", **REGIONS, **{str(k).upper(): v for k, v in (area_names or {}).items()}}
    tokens = [t for t in str(name).split("_") if t]
    parts: list[str] = []
    months: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):   # the longest known phrase starting here
            phrase = "_".join(tokens[i:j]).lower()
            if phrase in TITLE_WORDS:
                # an SPC chart's 'fte' is the staff in post it charts, not a basis of rates
                spc = parts[:1] == [TITLE_WORDS["spc"]] and phrase in _SPC_WORDS
                parts.append(_SPC_WORDS[phrase] if spc else TITLE_WORDS[phrase])
                i = j
                break
        else:
            t = tokens[i]
            if _MONTH.match(t) and 1 <= int(t[5:]) <= 12:
                months.append(period_label(t))
            elif re.fullmatch(r"year\d+", t):
                parts.append(f"year {t[4:]}")
            elif t.upper() in _LEVEL_TOKENS:
                pass                                   # the level is in the period note
            elif t.upper() in names:
                code = t.upper()
                ic = (level or "").upper().startswith("ICS") and area_kind(code) == "system"
                label = names[code]
                parts.append(f"{label} ICB" if ic and not label.endswith(("ICB", "ICS")) else label)
            else:
                parts.append(t)
            i += 1
    if months:
        parts.append(" to ".join(dict.fromkeys(months)))
    words = ", ".join(parts) or "Table"
    return words[0].upper() + words[1:]


def _percent_text_to_fraction(s: pd.Series) -> pd.Series | None:
    """'0.88%' strings -> 0.0088; None if the column is not all percent text (blanks allowed)."""
    vals = s.dropna().astype(str)
    vals = vals[vals.str.strip() != ""]
    if vals.empty or not vals.map(lambda v: bool(_PERCENT_TEXT.match(v))).all():
        return None
    return s.map(lambda v: float(str(v).strip().rstrip("%")) / 100 if isinstance(v, str) and v.strip() else np.nan)


def text_to_number(value: object) -> object:
    """'0.88%' -> 0.0088, '1,234.5' -> 1234.5; numbers unchanged; other text (e.g. '-', 'not available') -> NaN.
    For columns that mix figures and their display text (the profile download did)."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    t = str(value).strip().replace(",", "")
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        return np.nan


def as_shown(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers rounded as on screen: headcount whole numbers, FTE 1 dp, rates/shares as fractions (6 dp) with
    "(fraction)" added to the column name, other decimals 2 dp. Text and codes are left as they are."""
    out = df.copy()
    renames = {}
    for c in out.columns:
        name = str(c)
        col = out[c]
        if not pd.api.types.is_numeric_dtype(col) and _RATE.search(name):
            conv = _percent_text_to_fraction(col)
            if conv is not None:
                col = out[c] = conv
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            continue
        if _RATE.search(name):
            out[c] = col.round(6)
            if "fraction" not in name.lower():
                renames[c] = f"{name} (fraction)"
        elif _HEADCOUNT.search(name):
            out[c] = col.round(0).astype("Int64")
        elif _FTE.search(name):
            out[c] = col.round(1)
        elif pd.api.types.is_float_dtype(col):
            out[c] = col.round(2)
    return out.rename(columns=renames)


NOTE_PREFIX = "# "


def notes_block(notes: list[str] | None) -> str:
    """The CSV's notes block: one '# note' line each (quoted by the csv module when it holds a comma or a quote;
    line breaks inside a note become spaces), then one blank line. Empty when there are no notes. A note never
    starts a cell with = + - @: the block's cells all start with '#'."""
    if not notes:
        return ""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for n in notes:
        w.writerow([NOTE_PREFIX + " ".join(str(n).split())])
    return buf.getvalue() + "\n"


def to_csv_bytes(df: pd.DataFrame, source: str | None = None, *, notes: list[str] | None = None,
                 rounded: bool = True) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens names such as "Guy's and St Thomas'" correctly); numbers as shown;
    the notes (title, system, period, `source` as "Data source: ...", synthetic label) in their own block above the
    table (`notes_block`), never as a column repeated down the rows. The one CSV writer of the app's downloads
    (tables, the library's change logs)."""
    notes = list(notes or [])
    if source and not any(n.startswith("Data source:") for n in notes):
        notes.append(f"Data source: {source}")
    body = to_csv_text(as_shown(df) if rounded else df)
    return ("\ufeff" + notes_block(notes) + body).encode("utf-8")


def read_csv_export(raw: bytes | str, **read_csv_kwargs) -> tuple[list[str], pd.DataFrame]:
    """(notes, table) of a CSV written by to_csv_bytes: the leading '# ' lines up to the first blank line are the
    notes; the rest is read by pandas as a plain table."""
    text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw.lstrip("\ufeff")
    notes: list[str] = []
    rest = text
    if text.startswith(NOTE_PREFIX) or text.startswith('"' + NOTE_PREFIX):
        head, sep, rest = text.partition("\n\n")
        if not sep:
            raise ValueError("CSV export: notes block without the blank line that ends it")
        notes = [row[0][len(NOTE_PREFIX):] for row in csv.reader(io.StringIO(head)) if row]
    return notes, pd.read_csv(io.StringIO(rest), **read_csv_kwargs)


def to_excel_bytes(df: pd.DataFrame, sheet_name: str = "data", notes: list[str] | None = None, *,
                   rounded: bool = True) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        formula_safe(as_shown(df) if rounded else df).to_excel(xl, index=False, sheet_name=sheet_name[:31])
        if notes:
            pd.DataFrame({"notes": [neutralise_cell(n) for n in notes]}).to_excel(xl, index=False, sheet_name="notes")
    return buf.getvalue()


def vacancy_template_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "period": ["2025-11", "2025-11", "2025-11"],
        "level": ["ICS", "ICS", "ICS"],
        "area_code": ["QKK", "QKK", "QKK"],
        "org_code": ["RJ1", "RJ1", ""],
        "staff_group": ["Nurses & health visitors", "HCHS Doctors", "Midwives"],
        "vacancy_fte": [512.4, 61.0, 35.5],
        "establishment_fte": [7010.2, None, None],  # optional: left empty (NaN writes as an empty CSV cell; a "" made Arrow refuse the column)
    })


def vacancy_template_csv() -> str:
    return to_csv_text(vacancy_template_frame())
