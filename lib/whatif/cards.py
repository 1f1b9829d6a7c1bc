"""The what-if studio's four headline cards for one followed staff group (gap or surplus, vacancy rate, when the gap
closes, extra cost): label, value, delta, delta colour, whether an arrow makes sense, help. One place for the page
(ui.whatif.results.headline_figures) and the board pack (lib.report), so paper and screen say the same."""
from __future__ import annotations

import pandas as pd

from lib.whatif import studio as w


def num(x: float | None, digits: int = 0) -> str:
    """As the app writes a number (ui.shell.num)."""
    return "-" if x is None or pd.isna(x) else f"{x:,.{digits}f}"


def pct(x: float | None, digits: int = 2) -> str:
    """As the app writes a rate (ui.shell.pct)."""
    return "-" if x is None or pd.isna(x) else f"{100 * x:.{digits}f}%"


def money(x: float) -> str:
    if abs(x) >= 1e9:
        return f"£{x / 1e9:,.2f}bn"
    if abs(x) >= 1e6:
        return f"£{x / 1e6:,.1f}m"
    return f"£{x:,.0f}"


def headline_cards(period: str, h: dict) -> list[dict]:
    """The four cards from lib.whatif.studio.headline (`period`: the data month the projection starts from)."""
    b, s, T = h["baseline"], h["scenario"], h["horizon"]
    d_gap = s["gap_end"] - b["gap_end"]
    d_vr = 100 * (s["vacancy_rate_end"] - b["vacancy_rate_end"])
    moved_gap, moved_vr = abs(d_gap) >= 0.5, abs(d_vr) >= 0.05
    extra = s["total_cost"] - b["total_cost"]
    d_pay = s["pay_bill_end"] - b["pay_bill_end"]
    surplus = w.is_surplus(s["gap_end"])   # capacity above demand: said as a surplus, not a negative gap (issue 24)
    closes = w.year_short(s["year_gap_closes"], T)
    return [
        {"label": f"{w.gap_word(s['gap_end'])} in year {T} (FTE)", "value": num(abs(s["gap_end"])),
         "delta": f"{d_gap:+,.0f} FTE vs baseline" if moved_gap else "Same as baseline",
         "delta_color": "inverse" if moved_gap else "off", "arrow": moved_gap,
         "help": "Gap: demand minus capacity (FTE). Surplus: capacity above demand, a finding in its own right "
                 f"(more staff than the demand assumption needs). Baseline: {w.gap_phrase(b['gap_end'])}."},
        {"label": f"Surplus, year {T} (% of demand)" if surplus else f"Vacancy rate, year {T}",
         "value": pct(-s["gap_end"] / s["demand_end"], 1) if surplus and s["demand_end"] > 0 else
         pct(s["vacancy_rate_end"], 1),
         "delta": f"{d_vr:+.1f} points vs baseline" if moved_vr else "Same as baseline",
         "delta_color": "inverse" if moved_vr else "off", "arrow": moved_vr,
         "help": "Vacancy rate: the gap (when positive) divided by demand. A surplus is shown as capacity above "
                 "demand, as a share of demand. Baseline vacancy rate: " + pct(b["vacancy_rate_end"], 1)},
        {"label": "Surplus from" if surplus else "Gap closes", "value": closes,
         "delta": f"Baseline: {w.year_short(b['year_gap_closes'], T).lower()}",
         "delta_color": "off", "arrow": False,
         "help": "First year in which capacity meets demand for this staff group: "
                 f"{w.year_label(s['year_gap_closes'], period, T)}."},
        {"label": "Extra cost, all years", "value": money(extra),
         "delta": f"Pay bill, year {T}: {money(s['pay_bill_end'])} "
                  + (f"({'+' if d_pay > 0 else '-'}{money(abs(d_pay))})" if abs(d_pay) >= 1 else "(same as baseline)"),
         "delta_color": "off", "arrow": False,
         "help": f"Pay bill, training, recruitment and retention costs summed over years 1-{T}, scenario minus "
                 f"baseline. Pay bill in year {T}: {money(s['pay_bill_end'])} (baseline {money(b['pay_bill_end'])}). "
                 f"Training cost in the scenario: {money(s['training_cost_total'])}."},
    ]
