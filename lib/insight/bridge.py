"""Why staff in post moved: the staff-in-post bridge (published flows) and the what-if bridge (levers).

Staff-in-post bridge for a system (or an organisation, or England), staff group and span of months, from the
turnover benchmarking files as published:

    staff in post at the start            (Denominator at start of period, first month of the span)
  - leavers                               (sum over the months)
  + joiners                               (sum over the months)
  + residual: changes of hours and reclassification (FTE of people who stayed changing with their contracted
    hours; staff moving between staff groups, which the files count as neither joiner nor leaver of the
    system; and anything else the published flows do not explain) = end - start - joiners + leavers
  + restatement between files: where a later month's "start" differs from the month before's "end" (late
    returns, organisation changes); only for spans of two or more months
  = staff in post at the end              (Denominator at end of period, last month of the span)
Every step is a figure from the file or the one difference that closes it, so the bridge is exact to the file.

`span` follows the published periods: from month A to month B uses the periods ending A+1 .. B ("Oct 2025 to
Nov 2025" is the Nov-25 file, period 202510 to 202511).

What-if bridge: the baseline's year-N figure, then each lever's contribution in the order the scenario lists
them (productivity, retention, recruitment, training places, new roles, upskilling), found by adding the levers
one at a time to the scenario and running lib.whatif.scenario.run_scenario each time; the contributions sum to
the scenario's figure (the last step IS the full scenario run). Levers interact, so a lever's contribution
depends on the order: the order is stated.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.data.schema import ALL_STAFF, month_add, month_range, period_label
from lib.insight.metrics import area_metrics
from lib.whatif.scenario import Levers, run_scenario

ENGLAND_CODE = "ENG"
# the closing difference in a leader's words (an analyst's "residual"; Data and definitions names both)
RESIDUAL_LABEL = "Other changes (hours, moves between staff groups)"
RESTATEMENT_LABEL = "Restatement between files"
BRIDGE_COLUMNS = ["step", "label", "value", "cumulative", "kind"]


class BridgeError(ValueError):
    """The bridge cannot be built for this choice; the message says why and what to load."""


@dataclass
class Bridge:
    area_code: str
    staff_group: str
    start_month: str          # the snapshot at the end of this month is the start
    end_month: str
    basis: str                # "fte" or "hc"
    table: pd.DataFrame       # BRIDGE_COLUMNS; kind: total / decrease / increase / residual
    months: list[str]         # the periods (month ending) used
    notes: list[str]

    def value(self, label: str) -> float:
        return float(self.table.loc[self.table["label"] == label, "value"].iloc[0])


def _unit_rows(frame: pd.DataFrame, area_code: str, org_code: str | None) -> pd.DataFrame:
    if org_code:
        return frame[frame["org_code"] == org_code].assign(area_code=org_code)
    if area_code == ENGLAND_CODE:
        return frame
    return frame[frame["area_code"] == area_code]


def staff_in_post_bridge(frame: pd.DataFrame, area_code: str, start_month: str, end_month: str,
                         staff_group: str = ALL_STAFF, basis: str = "fte", org_code: str | None = None) -> Bridge:
    """Bridge from staff in post at the end of start_month to the end of end_month (see the module docstring).

    frame: canonical rows (lib.data.loader.load_frame or load_area_frame) holding the periods ending
    start_month+1 .. end_month. area_code: a system code or ENG; org_code: bridge one organisation instead.
    """
    if basis not in ("fte", "hc"):
        raise BridgeError(f"basis must be fte or hc; got {basis!r}")
    if end_month <= start_month:
        raise BridgeError(f"the end month ({end_month}) must be after the start month ({start_month})")
    months = month_range(month_add(start_month, 1), end_month)
    rows = _unit_rows(frame, area_code, org_code)
    rows = rows[rows["period_end"].isin(months)]
    unit = org_code or area_code
    if rows.empty:
        raise BridgeError(f"No turnover figures for {unit} in the months ending {months[0]} to {months[-1]}. "
                          "Load the NHS Digital turnover benchmarking files for those months.")
    m = area_metrics(rows.assign(area_code=unit) if area_code == ENGLAND_CODE or org_code else rows,
                     by_staff_group=True, basis="fte")
    m = m[(m["area_code"] == unit) & (m["staff_group"] == staff_group) & (m["period_months"] == 1)]
    m = m.set_index("period")
    missing = [p for p in months if p not in m.index]
    if missing:
        raise BridgeError(f"The bridge needs every monthly period from {months[0]} to {months[-1]}; missing for "
                          f"{unit}, {staff_group}: {', '.join(missing)}. Load those months' turnover files.")
    u = "fte" if basis == "fte" else "hc"
    col = {"start": f"sip_start_{u}", "end": "fte" if u == "fte" else "headcount",
           "leavers": f"leavers_{u}", "joiners": f"joiners_{u}"}
    for k, c in col.items():
        if m.loc[months, c].isna().any():
            raise BridgeError(f"{k} ({c}) is not available (suppressed or not published) for {unit}, "
                              f"{staff_group} in {', '.join(m.index[m[c].isna()])}: no bridge can close.")
    start = float(m.loc[months[0], col["start"]])
    end = float(m.loc[months[-1], col["end"]])
    leavers = float(m.loc[months, col["leavers"]].sum())
    joiners = float(m.loc[months, col["joiners"]].sum())
    restatement = float(sum(m.loc[b, col["start"]] - m.loc[a, col["end"]] for a, b in zip(months, months[1:])))
    # within-month residual: each month's end - start - joiners + leavers, summed
    residual = float(sum(m.loc[p, col["end"]] - m.loc[p, col["start"]] - m.loc[p, col["joiners"]]
                         + m.loc[p, col["leavers"]] for p in months))
    steps = [("Staff in post at the start", start, "total"), ("Leavers", -leavers, "decrease"),
             ("Joiners", joiners, "increase"), (RESIDUAL_LABEL, residual, "residual")]
    if len(months) > 1:
        steps.append((RESTATEMENT_LABEL, restatement, "residual"))
    cum, out = 0.0, []
    for i, (label, value, kind) in enumerate(steps):
        cum = value if i == 0 else cum + value
        out.append((i, label, value, cum, kind))
    out.append((len(steps), "Staff in post at the end", end, end, "total"))
    table = pd.DataFrame(out, columns=BRIDGE_COLUMNS)
    unit_word = "FTE" if basis == "fte" else "headcount"
    notes = [f"{unit_word}; staff in post at the end of {period_label(start_month)} to the end of "
             f"{period_label(end_month)} ({len(months)} monthly period{'s' if len(months) > 1 else ''} of the NHS "
             "Digital turnover benchmarking files).",
             "'Other changes' is what the published leavers and joiners do not explain: changes of contracted hours "
             "of staff who stayed, and staff moved between staff groups; it is the difference that closes the "
             "bridge, not a published figure."]
    if not org_code:
        notes.append("Leavers and joiners are summed over organisations, so moves between organisations inside the "
                     "system appear as both a leaver and a joiner.")
    if basis == "hc" and staff_group == ALL_STAFF:
        notes.append("Headcount: a person in two organisations counts in each organisation's figures.")
    return Bridge(unit, staff_group, start_month, end_month, basis, table, months, notes)


# ------------------------------------------------------------------------------------------------ what-if bridge
LEVER_ORDER = ("productivity_gain", "retention", "recruitment", "training_places", "new_roles", "upskilling")
WHATIF_FIGURES = ("fte", "gap")


def _lever_steps(levers) -> list[tuple[str, str, object]]:
    """(kind, label, item) for each lever in order; productivity is one lever when non-zero."""
    out = []
    if levers.productivity_gain:
        out.append(("productivity_gain", f"Productivity +{100 * levers.productivity_gain:g}% a year", None))
    for kind in LEVER_ORDER[1:]:
        for it in getattr(levers, kind):
            who = getattr(it, "staff_group", None) or getattr(it, "role", None) or getattr(it, "to_role", None)
            if kind == "upskilling":
                who = f"{it.from_staff_group} to {it.to_role}"
            out.append((kind, f"{kind.replace('_', ' ').capitalize()}: {who}", it))
    return out


def _figure(result, area: str, figure: str, staff_group: str | None, label: str, year: int | None = None) -> float:
    if figure == "fte" and year is not None:
        t = result.table
        sel = t[(t["scenario"] == label) & (t["area_code"] == area) & (t["year"] == year)]
        if staff_group is not None:
            sel = sel[sel["role"] == staff_group]
            if sel.empty:
                raise BridgeError(f"unknown staff group {staff_group!r} in the scenario's results")
        return float(sel["fte"].sum())
    if figure == "fte" and staff_group is None:
        t = result.table
        sel = t[(t["scenario"] == label) & (t["area_code"] == area) & (t["year"] == result.scenario.horizon)]
        return float(sel["fte"].sum())
    s = result.summary
    sel = s[(s["scenario"] == label) & (s["area_code"] == area)]
    if staff_group is not None:
        sel = sel[sel["staff_group"] == staff_group]
        if sel.empty:
            raise BridgeError(f"unknown staff group {staff_group!r} in the scenario's results")
    return float(sel["fte_end" if figure == "fte" else "gap_end"].sum())


def whatif_bridge(scenario, baseline, assumptions=None, figure: str = "fte",
                  staff_group: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Baseline year-N figure, each lever's contribution in order, and the scenario's figure (BRIDGE_COLUMNS).

    year: the year of the figure (1..horizon; default the horizon); only for figure "fte".

    figure "fte": staff in post FTE at the horizon (all roles, new roles included, or one staff group);
    "gap": demand minus capacity at the horizon. The last row equals run_scenario(scenario)'s figure exactly.
    """
    if figure not in WHATIF_FIGURES:
        raise BridgeError(f"figure must be one of {', '.join(WHATIF_FIGURES)}; got {figure!r}")
    if year is not None and (figure != "fte" or not 0 <= year <= scenario.horizon):
        raise BridgeError(f"year must be 0..{scenario.horizon} and the figure fte; got year {year}, figure {figure}")
    steps = _lever_steps(scenario.levers)
    area = scenario.area
    partial = copy.deepcopy(scenario)
    partial.levers = Levers()
    first = run_scenario(partial, baseline, assumptions, include_systems=False)
    base_value = _figure(first, area, figure, staff_group, "baseline", year)
    rows = [(0, "Baseline", base_value, base_value, "total")]
    prev = base_value
    for i, (kind, label, item) in enumerate(steps, start=1):
        if kind == "productivity_gain":
            partial.levers.productivity_gain = scenario.levers.productivity_gain
        else:
            getattr(partial.levers, kind).append(copy.deepcopy(item))
        res = run_scenario(partial, baseline, assumptions, include_systems=False)
        value = _figure(res, area, figure, staff_group, "scenario", year)
        rows.append((i, label, value - prev, value, "increase" if value >= prev else "decrease"))
        prev = value
    rows.append((len(steps) + 1, "Scenario", prev, prev, "total"))
    return pd.DataFrame(rows, columns=BRIDGE_COLUMNS)


def bridge_text(b: Bridge) -> list[str]:
    """The bridge as lines a person reads."""
    fmt = (lambda x: f"{x:,.1f}") if b.basis == "fte" else (lambda x: f"{x:,.0f}")
    lines = []
    for r in b.table.itertuples():
        sign = "" if r.kind == "total" else ("+" if r.value >= 0 else "-")
        v = fmt(abs(r.value)) if r.kind != "total" else fmt(r.value)
        lines.append(f"{r.label}: {sign}{v}")
    return lines


def waterfall_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Bars for a waterfall chart: each step from `low` to `high`; totals from zero."""
    prev = np.r_[0.0, table["cumulative"].to_numpy()[:-1]]
    total = (table["kind"] == "total").to_numpy()
    lo = np.where(total, 0.0, np.minimum(prev, table["cumulative"].to_numpy()))
    hi = np.where(total, table["cumulative"].to_numpy(), np.maximum(prev, table["cumulative"].to_numpy()))
    return table.assign(low=lo, high=hi, order=np.arange(len(table)))
