"""Funnel plots for proportions, as FunnelPlotR computes them for data_type = "PR".

Reference: nhs-r-community/FunnelPlotR `R/funnel_plot.R`, `R/od_adjustment.R`, `R/calculate_limits.R`,
`R/build_limits_lookup.R`, `R/outliers_func.R`, `R/aggregate_func.R`; Spiegelhalter (2005) Stat Med 24:1185
and QSHC 14:347; Spiegelhalter et al. (2012) JRSS A 175:1.

    target p  = sum(numerators) / sum(denominators)          (pooled over units)
    Y_i       = asin(sqrt(O_i / n_i)),  s_i = 1 / (2 sqrt(n_i)),  z_i = (Y_i - asin(sqrt(p))) / s_i
    winsorise z at its 10th and 90th percentiles (R quantile type 7)
    phi       = mean(z_w^2)                                   overdispersion ratio
    tau2      = 0 if n phi < n - 1, else max(0, (n phi - (n - 1)) / (sum w - sum w^2 / sum w)),  w = 1/s^2
    limits(n) = sin^2(asin(sqrt(p)) -/+ z_a sqrt(1/(4n) + tau2)),  z_a = 1.959964 (95 %), 3.090232 (99.8 %)
If phi <= 1 FunnelPlotR draws the unadjusted limits (tau2 = 0), and so does this module.

Limits are clipped to [0, 1]. Where the arcsine argument passes 0 (or pi/2) the raw sin^2 limit would turn
back; FunnelPlotR patches that by comparing neighbouring rows of its plotting grid, which misses the row at
the largest denominator. Here the same rule is applied exactly: lower = 0 when the argument is <= 0, upper = 1
when it is >= pi/2.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# FunnelPlotR hard-codes these rounded normal quantiles; using them keeps limits identical to the package.
_PACKAGE_Z = {0.95: 1.959964, 0.998: 3.090232}
DEFAULT_LEVELS = (0.95, 0.998)
DEFAULT_TRIM = 0.1
CURVE_POINTS = 1000
CURVE_START = 3.0  # FunnelPlotR starts its proportion curve at a denominator of 3


def level_label(level: float) -> str:
    """0.95 -> '95', 0.998 -> '99_8' (column-name friendly)."""
    return f"{level * 100:g}".replace(".", "_")


def z_for_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"limit level must be between 0 and 1; got {level}")
    for known, z in _PACKAGE_Z.items():
        if math.isclose(level, known, rel_tol=0, abs_tol=1e-12):
            return z
    from scipy.stats import norm  # only for a level FunnelPlotR does not hard-code: scipy.stats costs ~1 s to import,
    return float(norm.ppf(1 - (1 - level) / 2))  # which every `python -m lib` command paid


def funnel_limits(target: float, denominators: Any, tau2: float = 0.0,
                  levels: Sequence[float] = DEFAULT_LEVELS) -> pd.DataFrame:
    """Control limits around `target` (a proportion) at each denominator.

    Columns: denominator, then lower_<L> and upper_<L> for each level (lower_95, upper_95, lower_99_8, ...).
    tau2 > 0 widens the limits for overdispersion (the between-unit variance on the arcsine scale).
    """
    if not 0 <= target <= 1:
        raise ValueError(f"target must be a proportion between 0 and 1; got {target}")
    if tau2 < 0 or not np.isfinite(tau2):
        raise ValueError(f"tau2 must be a non-negative number; got {tau2}")
    n = np.asarray(denominators, dtype=float).reshape(-1)
    if (n <= 0).any() or np.isnan(n).any():
        raise ValueError("denominators must be positive numbers")
    centre = math.asin(math.sqrt(target))
    spread = np.sqrt(1.0 / (4.0 * n) + tau2)  # s^2 = (1 / (2 sqrt n))^2
    out = {"denominator": n}
    for level in levels:
        z = z_for_level(level)
        lo_arg, hi_arg = centre - z * spread, centre + z * spread
        lower = np.where(lo_arg <= 0, 0.0, np.sin(lo_arg) ** 2)
        upper = np.where(hi_arg >= math.pi / 2, 1.0, np.sin(hi_arg) ** 2)
        out[f"lower_{level_label(level)}"] = np.clip(lower, 0.0, 1.0)
        out[f"upper_{level_label(level)}"] = np.clip(upper, 0.0, 1.0)
    return pd.DataFrame(out)


def winsorise(z: Any, trim_by: float = DEFAULT_TRIM) -> np.ndarray:
    """Pull z-scores beyond the trim_by / 1 - trim_by quantiles (R type 7) in to those quantiles."""
    z = np.asarray(z, dtype=float)
    finite = z[~np.isnan(z)]
    if len(finite) == 0:
        return z.copy()
    lo, hi = np.quantile(finite, [trim_by, 1 - trim_by])  # numpy "linear" = R type 7
    return np.where(z < lo, lo, np.where(z > hi, hi, z))


def overdispersion_stats(z: Any, s: Any, trim_by: float = DEFAULT_TRIM) -> tuple[float, float]:
    """(phi, tau2) from unadjusted z-scores and standard errors, as FunnelPlotR's phi_func/tau_func."""
    zw = winsorise(z, trim_by)
    keep = ~np.isnan(zw)
    n = int(keep.sum())
    if n == 0:
        return float("nan"), 0.0
    phi = float(np.sum(zw[keep] ** 2) / n)
    if n * phi < n - 1:
        return phi, 0.0
    w = 1.0 / np.asarray(s, dtype=float)[keep] ** 2
    denom = w.sum() - (w ** 2).sum() / w.sum()
    if denom <= 0:  # one unit: no between-unit information
        return phi, 0.0
    return phi, max(0.0, (n * phi - (n - 1)) / denom)


def aggregate_units(numerators: Any, denominators: Any, labels: Any) -> pd.DataFrame:
    """Sum numerators and denominators by label (FunnelPlotR aggregates by group); adds rate."""
    df = pd.DataFrame({"label": labels, "numerator": numerators, "denominator": denominators})
    agg = df.groupby("label", sort=False, dropna=False)[["numerator", "denominator"]].sum(min_count=1)
    agg = agg.reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["rate"] = agg["numerator"] / agg["denominator"]
    return agg


@dataclass
class FunnelResult:
    """Everything a funnel plot needs. `units` has one row per unit included; `excluded` says why others
    were left out; `curve` is the smooth limits for drawing."""
    target: float
    phi: float
    tau2: float
    adjusted: bool            # True when the overdispersion-adjusted limits are the ones in `units`
    units: pd.DataFrame
    excluded: pd.DataFrame
    curve: pd.DataFrame
    levels: tuple[float, ...] = DEFAULT_LEVELS
    notes: list[str] = field(default_factory=list)


_EXCLUDED_COLUMNS = ["label", "numerator", "denominator", "reason"]


def funnel(numerators: Any, denominators: Any, labels: Any = None, *, overdispersion: bool = True,
           trim_by: float = DEFAULT_TRIM,
           levels: Sequence[float] = DEFAULT_LEVELS) -> FunnelResult:
    """Funnel plot of proportions numerator/denominator per unit (e.g. leavers / average headcount per ICB).

    Units with a missing, zero or negative denominator, a missing or negative numerator, or a numerator larger
    than the denominator are excluded (listed in `result.excluded` with the reason). Repeated labels are
    summed first, as FunnelPlotR does. overdispersion=False always uses the unadjusted limits.
    """
    if not 0 <= trim_by < 0.5:
        raise ValueError(f"trim_by must be in [0, 0.5); got {trim_by}")
    levels = tuple(levels)
    for level in levels:
        z_for_level(level)
    try:
        num = pd.to_numeric(pd.Series(list(numerators)), errors="raise").astype(float)
        den = pd.to_numeric(pd.Series(list(denominators)), errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"numerators and denominators must be numbers: {exc}") from exc
    if len(num) != len(den):
        raise ValueError(f"numerators ({len(num)}) and denominators ({len(den)}) differ in length")
    lab = pd.Series([str(i + 1) for i in range(len(num))] if labels is None else [str(v) for v in labels])
    if len(lab) != len(num):
        raise ValueError(f"labels ({len(lab)}) and numerators ({len(num)}) differ in length")

    missing = num.isna() | den.isna()
    excluded = [{"label": l, "numerator": n_, "denominator": d_, "reason": "missing numerator or denominator"}
                for l, n_, d_ in zip(lab[missing], num[missing], den[missing])]
    units = aggregate_units(num[~missing].to_numpy(), den[~missing].to_numpy(), lab[~missing].to_numpy())
    reasons = np.select(
        [units["denominator"] == 0, units["denominator"] < 0, units["numerator"] < 0,
         units["numerator"] > units["denominator"]],
        ["denominator is zero (no one to count a rate over)", "denominator is negative",
         "numerator is negative", "numerator is larger than the denominator (not a proportion)"],
        default="")
    bad = reasons != ""
    for (_, row), reason in zip(units[bad].iterrows(), reasons[bad]):
        excluded.append({"label": row["label"], "numerator": row["numerator"],
                         "denominator": row["denominator"], "reason": str(reason)})
    units = units[~bad].reset_index(drop=True)
    excluded_df = pd.DataFrame(excluded, columns=_EXCLUDED_COLUMNS)
    notes: list[str] = []
    if units.empty:
        raise ValueError("no units left to compare: " + "; ".join(
            f"{r['label']}: {r['reason']}" for r in excluded) if excluded else "no units given")

    target = float(units["numerator"].sum() / units["denominator"].sum())
    centre = math.asin(math.sqrt(target))
    s = 1.0 / (2.0 * np.sqrt(units["denominator"].to_numpy()))
    y_t = np.arcsin(np.sqrt(units["rate"].to_numpy()))
    z = (y_t - centre) / s
    phi, tau2 = overdispersion_stats(z, s, trim_by)
    adjusted = bool(overdispersion and phi > 1)
    if overdispersion and not adjusted:
        notes.append(f"No overdispersion detected (phi = {phi:.3f} <= 1): using unadjusted limits.")
    used_tau2 = tau2 if adjusted else 0.0

    lim = funnel_limits(target, units["denominator"], used_tau2, levels)
    units["z"] = z
    units["z_adjusted"] = (y_t - centre) / np.sqrt(s ** 2 + used_tau2)
    units["z_winsorised"] = winsorise(z, trim_by)
    for col in lim.columns[1:]:
        units[col] = lim[col].to_numpy()
    status = np.full(len(units), "within limits", dtype=object)
    for level in levels:  # widest limits last so the most extreme verdict wins
        key = level_label(level)
        # FunnelPlotR: a point on a limit is not an outlier (rr <= UCL & rr >= LCL).
        above = units["rate"].to_numpy() > units[f"upper_{key}"].to_numpy()
        below = units["rate"].to_numpy() < units[f"lower_{key}"].to_numpy()
        units[f"above_{key}"] = above
        units[f"below_{key}"] = below
        status = np.where(above, f"above {level * 100:g}% limit", np.where(below, f"below {level * 100:g}% limit", status))
    units["status"] = status

    max_x = math.ceil(float(units["denominator"].max()))
    grid = np.linspace(min(CURVE_START, max_x), max_x, CURVE_POINTS)
    grid = np.unique(np.concatenate([grid, units["denominator"].to_numpy()]))
    curve = funnel_limits(target, grid, used_tau2, levels)
    curve.insert(1, "target", target)
    return FunnelResult(target=target, phi=phi, tau2=tau2, adjusted=adjusted, units=units,
                        excluded=excluded_df, curve=curve, levels=levels, notes=notes)
