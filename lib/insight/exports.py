"""Formula-safe CSV and Excel exports, and the vacancy template.

Any text cell starting with = + - @ (or a tab / carriage return) is prefixed with a single quote,
so a spreadsheet shows it as text instead of running it as a formula (OWASP CSV injection).
Numbers stay numbers: a negative number is not text and is left alone.
"""
from __future__ import annotations

import io

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


def to_csv_bytes(df: pd.DataFrame, source: str | None = None) -> bytes:
    """CSV with a BOM; `source` (where the figures come from) is added as a last column, "Data source"."""
    if source:
        df = df.assign(**{"Data source": source})
    # BOM so Excel opens UTF-8 names (e.g. "Guy's and St Thomas'") correctly.
    return ("\ufeff" + to_csv_text(df)).encode("utf-8")


def to_excel_bytes(df: pd.DataFrame, sheet_name: str = "data", notes: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        formula_safe(df).to_excel(xl, index=False, sheet_name=sheet_name[:31])
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
        "establishment_fte": [7010.2, "", ""],
    })


def vacancy_template_csv() -> str:
    return to_csv_text(vacancy_template_frame())
