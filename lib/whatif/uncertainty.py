"""Monte Carlo over leaver rate and demand growth (METHODS 5), vectorised over draws.

Each uncertain parameter is given as an 80% interval (lo, hi) and drawn from Normal(mu, sigma) with
mu = (lo+hi)/2, sigma = (hi-lo)/2.563103 (2 x the 90th normal percentile; The Strategy Unit NHP
model), from numpy `default_rng(seed)`. Draw order is fixed (leaver rate, then demand growth) so a
seed reproduces the same fan. Draws are clamped to valid ranges (rates in [0,1], growth > -0.99).
One draw applies to every system and role in the run (fully correlated: a national shock), and
each draw holds for the whole horizon.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.whatif.assumptions import Assumptions
from lib.whatif.projection import ENGLAND, Baseline, ModelInputs, project
from lib.whatif.scenario import Scenario, build_inputs

Q80 = 2.563103   # 2 * Phi^-1(0.9)

# ModelInputs fields whose first axis is the batch (systems).
_BATCH_FIELDS = ("stock0", "leaver_rate", "joiner_rate", "demand0", "recruited", "intake", "intake_history",
                 "flow_fte", "flow_share", "recruitment_cost", "demand_growth", "productivity", "cost_per_fte")


def normal_from_interval(lo: float, hi: float) -> tuple[float, float]:
    """(mu, sigma) of the Normal whose central 80% interval is [lo, hi]."""
    if hi < lo:
        raise ValueError(f"interval upper end {hi} is below lower end {lo}")
    return (hi + lo) / 2.0, (hi - lo) / Q80


def draw_interval(rng: np.random.Generator, lo: float, hi: float, size=None):
    """rng.normal(mu, sigma, size) for an 80% interval (TEST ANCHOR 5a: (1, 2) -> normal(1.5, 0.39015...))."""
    mu, sigma = normal_from_interval(lo, hi)
    return rng.normal(mu, sigma, size)


@dataclass
class MonteCarloResult:
    """`fan`: one row per area x staff group x year with gap p10/p50/p90/mean and the central run.
    `prob_closed`: probability that the gap has closed (gap <= 0 in some year up to and including `year`).
    `draws`: the sampled parameters, one row per draw."""

    fan: pd.DataFrame
    prob_closed: pd.DataFrame
    draws: pd.DataFrame
    n_draws: int
    seed: int | None


def _tile(inputs: ModelInputs, n: int, A: int) -> ModelInputs:
    kw = {}
    for f in _BATCH_FIELDS:
        v = getattr(inputs, f)
        if v is None:
            continue
        arr = np.asarray(v, dtype=float)
        if arr.ndim >= 2 and arr.shape[0] == A:
            kw[f] = np.tile(arr, (n,) + (1,) * (arr.ndim - 1))
    return dataclasses.replace(inputs, **kw)


def simulate(inputs: ModelInputs, leaver_rate: tuple[float, float] | None = None,
             leaver_rate_change: tuple[float, float] | None = None,
             demand_growth: tuple[float, float] | None = None, n_draws: int = 1000, seed: int | None = 2024,
             sum_areas: bool = True, chunk_elements: int = 1_000_000):
    """Gap, capacity and demand per draw: arrays (n_draws, A', G, T+1); A' = 1 if sum_areas.

    leaver_rate: interval for an absolute annual rate applied to every role (single-role models);
    leaver_rate_change: interval for an additive shift of every role's own rate;
    demand_growth: interval for the annual demand growth rate (replaces the inputs' growth)."""
    if leaver_rate is not None and leaver_rate_change is not None:
        raise ValueError("give leaver_rate or leaver_rate_change, not both")
    if n_draws < 1:
        raise ValueError("n_draws must be at least 1")
    rng = np.random.default_rng(seed)
    ell_iv = leaver_rate if leaver_rate is not None else leaver_rate_change
    ell_draw = draw_interval(rng, *ell_iv, n_draws) if ell_iv is not None else None
    g_draw = draw_interval(rng, *demand_growth, n_draws) if demand_growth is not None else None
    A, R = np.asarray(inputs.stock0).shape
    G, T = inputs.n_groups, inputs.horizon
    per_draw = A * R * (T + 1)
    step = max(1, int(chunk_elements // per_draw))
    base_ell = np.broadcast_to(np.asarray(inputs.leaver_rate, float), (A, R))
    outs = []
    for s in range(0, n_draws, step):
        k = min(step, n_draws - s)
        m = _tile(inputs, k, A)
        if ell_draw is not None:
            d = np.repeat(ell_draw[s:s + k], A)[:, None]
            ell = np.broadcast_to(d, (k * A, R)) if leaver_rate is not None else np.tile(base_ell, (k, 1)) + d
            m.leaver_rate = np.clip(ell, 0.0, 1.0)
        if g_draw is not None:
            m.demand_growth = np.maximum(np.repeat(g_draw[s:s + k], A), -0.99)[:, None, None]
        p = project(m, detail=False)
        cap = p.capacity.reshape(k, A, G, T + 1)
        dem = p.demand.reshape(k, A, G, T + 1)
        if sum_areas:
            cap, dem = cap.sum(axis=1, keepdims=True), dem.sum(axis=1, keepdims=True)
        outs.append((cap, dem))
    cap = np.concatenate([o[0] for o in outs])
    dem = np.concatenate([o[1] for o in outs])
    draws = pd.DataFrame({"leaver_rate" if leaver_rate is not None else "leaver_rate_change":
                          ell_draw if ell_draw is not None else np.nan,
                          "demand_growth": g_draw if g_draw is not None else np.nan})
    return dem - cap, cap, dem, draws


def _central(inputs: ModelInputs, leaver_rate, leaver_rate_change, demand_growth):
    m = dataclasses.replace(inputs)
    A, R = np.asarray(inputs.stock0).shape
    if leaver_rate is not None:
        m.leaver_rate = np.full((A, R), normal_from_interval(*leaver_rate)[0])
    elif leaver_rate_change is not None:
        m.leaver_rate = np.clip(np.asarray(inputs.leaver_rate, float) + normal_from_interval(*leaver_rate_change)[0], 0, 1)
    if demand_growth is not None:
        m.demand_growth = normal_from_interval(*demand_growth)[0]
    p = project(m, detail=False)
    return p.gap


def fan_from_draws(gap: np.ndarray, central: np.ndarray, area_codes, staff_groups):
    """fan and prob_closed frames from gap draws (N, A, G, T+1) and the central run (A, G, T+1)."""
    N, A, G, T1 = gap.shape
    q = np.percentile(gap, [10, 50, 90], axis=0)
    closed_by = np.logical_or.accumulate(gap <= 1e-6, axis=-1).mean(axis=0)
    idx = pd.MultiIndex.from_product([area_codes, staff_groups, range(T1)], names=["area_code", "staff_group", "year"])
    fan = pd.DataFrame({"gap_p10": q[0].ravel(), "gap_p50": q[1].ravel(), "gap_p90": q[2].ravel(),
                        "gap_mean": gap.mean(axis=0).ravel(), "gap_central": central.ravel()}, index=idx).reset_index()
    prob = pd.DataFrame({"prob_gap_closed": closed_by.ravel()}, index=idx).reset_index()
    return fan, prob


def monte_carlo_inputs(inputs: ModelInputs, area_codes: list[str], leaver_rate=None, leaver_rate_change=None,
                       demand_growth=None, n_draws: int = 1000, seed: int | None = 2024,
                       sum_areas: bool = False) -> MonteCarloResult:
    """Fan chart over explicit model inputs (e.g. the METHODS 2.6a single-role model)."""
    gap, _, _, draws = simulate(inputs, leaver_rate, leaver_rate_change, demand_growth, n_draws, seed, sum_areas)
    central = _central(inputs, leaver_rate, leaver_rate_change, demand_growth)
    if sum_areas:
        central = central.sum(axis=0, keepdims=True)
        area_codes = [ENGLAND]
    fan, prob = fan_from_draws(gap, central, area_codes, inputs.roles[:inputs.n_groups])
    return MonteCarloResult(fan, prob, draws, n_draws, seed)


def run_monte_carlo(scenario: Scenario, baseline: Baseline, assumptions: Assumptions | None = None,
                    leaver_rate_change: tuple[float, float] = (-0.01, 0.01),
                    demand_growth: tuple[float, float] | None = None, n_draws: int = 1000,
                    seed: int | None = 2024, with_levers: bool = True) -> MonteCarloResult:
    """Fan of the scenario's gap by staff group for its area (England = sum of systems per draw).

    leaver_rate_change: 80% interval of a shift applied to every role's leaver rate;
    demand_growth: 80% interval of annual growth (default: scenario growth +/- 1 percentage point)."""
    setup = build_inputs(scenario, baseline, assumptions, with_levers=with_levers)
    if demand_growth is None:
        g = float(np.mean(setup.inputs.demand_growth))
        demand_growth = (g - 0.01, g + 0.01)
    eng = scenario.area == ENGLAND
    return monte_carlo_inputs(setup.inputs, setup.area_codes, None, leaver_rate_change, demand_growth,
                              n_draws, seed, sum_areas=eng)
