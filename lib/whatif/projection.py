"""Annual stock-flow workforce projection (METHODS 2.6), vectorised over systems x roles x years.

Timing conventions (pinned by tests to METHODS TEST ANCHORs 2.6a-d):
* Years t = 1..T; stocks are FTE at the END of year t; t = 0 is the baseline snapshot.
* stock[t] = stock[t-1]*(1 - leaver_rate + joiner_rate) + trained_in[t] + recruited[t]
             + upskilled_in[t] - upskilled_out[t].
  Leavers and "other joiners" (returners, wider labour market, everything already in the observed
  joiner rate) are rates on the start-of-year stock. Everything else arrives at year end, so nobody
  leaves in their arrival year (2.6a).
* Training pipelines, one convention per flow type:
  - pre-registration places for an existing staff group (e.g. nursing degrees): intake I_k in year k
    joins the workforce in year k + course_years (graduation, then employment), trained_in[t] =
    completion * take_up * I[t - course_years]; intake before year 1 = `intake_history` (2.6a/b).
  - in-employment training for a new role (e.g. nursing associate apprentices): a cohort starting in
    year k completes at the end of year k + course_years - 1, trained_in[t] = completion *
    N[t - course_years + 1] (2.6d). Trainees are not counted in the role's stock until they complete.
* Upskilling flow from role r to r' (2.6d): cohort U_k starts in year k (fixed FTE and/or a share of
  r's start-of-year stock), stays in r while training, completers c*U_k move r -> r' at the end of
  year k + course_years - 1; non-completers stay in r. It moves FTE, never creates it. Trainees cost
  study_time of their capacity: effective_fte = fte - study_time * trainees.
* Capacity of staff group g = sum over roles of substitution[r, g] * effective_fte[r] (staff groups
  count 1:1 towards themselves, a new role counts `substitution_ratio` towards one staff group).
* demand[t] = demand[0] * prod_k (1 + demand_growth_k) / (1 + productivity_k); gap = demand - capacity;
  vacancy_rate = max(gap, 0) / demand.
* Money: pay_bill[t] = fte[t] * employer cost per FTE (annual run-rate at year end); training_cost[t] =
  trainees in year t * (fee + trainee pay) + upskilling trainees * (fee + study_time * source cost).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ALL_STAFF = "All staff groups"
ENGLAND = "ENG"
RATE_BASIS_ANNUAL = "12-month rates as published"


# ------------------------------------------------------------------------------------------------
# Engine
# ------------------------------------------------------------------------------------------------
@dataclass
class ModelInputs:
    """Arrays for `project`. B = batch (systems, or systems x Monte Carlo draws), R = roles,
    G = staff groups with demand (the first G roles), F = upskilling flows, T = horizon years."""

    roles: list[str]
    n_groups: int
    horizon: int
    stock0: np.ndarray                 # (B,R) FTE at year 0
    leaver_rate: np.ndarray            # (B,R) annual
    joiner_rate: np.ndarray            # (B,R) annual "other joiners" rate
    demand0: np.ndarray                # (B,G)
    substitution: np.ndarray           # (R,G)
    demand_growth: np.ndarray | float = 0.0   # broadcastable to (B,G,T)
    productivity: np.ndarray | float = 0.0    # broadcastable to (B,G,T)
    recruited: np.ndarray | None = None       # (B,R,T) FTE arriving at year end
    intake: np.ndarray | None = None          # (B,R,T) pipeline starts in year t
    intake_history: np.ndarray | None = None  # (B,R) starts per year before year 1
    pipeline_delay: np.ndarray | None = None  # (R,) years from start to joining the stock
    pipeline_course: np.ndarray | None = None # (R,) years a student/trainee is in training
    pipeline_yield: np.ndarray | None = None  # (R,) completion * take-up
    flow_from: np.ndarray | None = None       # (F,) role index
    flow_to: np.ndarray | None = None         # (F,) role index
    flow_fte: np.ndarray | None = None        # (B,F,T) cohort starts, FTE
    flow_share: np.ndarray | None = None      # (B,F,T) cohort starts as share of source start stock
    flow_course: np.ndarray | None = None     # (F,) years
    flow_completion: np.ndarray | None = None # (F,)
    flow_study_time: np.ndarray | None = None # (F,)
    flow_fee: np.ndarray | None = None        # (F,) £ per trainee-year
    cost_per_fte: np.ndarray | None = None    # (R,) or (B,R) employer cost
    pipeline_fee: np.ndarray | None = None    # (R,) £ per student-year
    trainee_cost: np.ndarray | None = None    # (R,) £ pay per trainee-year (in-employment trainees)
    recruitment_cost: np.ndarray | None = None  # (B,R,T) £ one-off costs of recruits


@dataclass
class Projection:
    """Arrays with a year axis of length T+1 (year 0 = snapshot). Shapes (B,R,T+1) or (B,G,T+1)."""

    roles: list[str]
    n_groups: int
    fte: np.ndarray
    in_training: np.ndarray      # upskilling trainees counted in this role's stock
    effective_fte: np.ndarray
    capacity: np.ndarray         # (B,G,T+1)
    demand: np.ndarray           # (B,G,T+1)
    leavers: np.ndarray
    joiners_other: np.ndarray
    trained_in: np.ndarray
    recruited: np.ndarray
    upskilled_in: np.ndarray
    upskilled_out: np.ndarray
    trainees: np.ndarray         # pipeline students/trainees not yet in stock
    pay_bill: np.ndarray
    training_cost: np.ndarray
    recruitment_cost: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def gap(self) -> np.ndarray:
        return self.demand - self.capacity

    @property
    def vacancy_rate(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.demand > 0, np.maximum(self.gap, 0.0) / self.demand, np.nan)

    def sum_batch(self) -> "Projection":
        """England = sum of systems: additive arrays summed over the batch axis (keepdims)."""
        kw = {k: getattr(self, k).sum(axis=0, keepdims=True) for k in _ADDITIVE}
        return Projection(roles=self.roles, n_groups=self.n_groups, **kw)


_ADDITIVE = ("fte", "in_training", "effective_fte", "capacity", "demand", "leavers", "joiners_other",
             "trained_in", "recruited", "upskilled_in", "upskilled_out", "trainees", "pay_bill",
             "training_cost", "recruitment_cost")


def _arr(x, shape, default=0.0) -> np.ndarray:
    if x is None:
        return np.full(shape, default, dtype=float)
    return np.broadcast_to(np.asarray(x, dtype=float), shape)


def project(m: ModelInputs, detail: bool = True) -> Projection:
    """Run the stock-flow model. `detail=False` skips flow/cost arrays (Monte Carlo)."""
    T = int(m.horizon)
    if not 1 <= T <= 50:
        raise ValueError(f"horizon must be 1-50 years, got {T}")
    S0 = np.asarray(m.stock0, dtype=float)
    B, R = S0.shape
    G = m.n_groups
    ell = _arr(m.leaver_rate, (B, R))
    jo = _arr(m.joiner_rate, (B, R))
    recruited = _arr(m.recruited, (B, R, T))

    # Pipelines: gather trained_in for every year at once from intake padded with history.
    delay = np.zeros(R, int) if m.pipeline_delay is None else np.asarray(m.pipeline_delay, int)
    course = np.ones(R, int) if m.pipeline_course is None else np.asarray(m.pipeline_course, int)
    yld = _arr(m.pipeline_yield, (R,), 1.0)
    H = int(max(delay.max(initial=0), course.max(initial=1), 1))
    hist = _arr(m.intake_history, (B, R))
    intake_ext = np.concatenate([np.repeat(hist[:, :, None], H, axis=2), _arr(m.intake, (B, R, T))], axis=2)
    t_idx = np.arange(1, T + 1)
    src = H + t_idx[None, :] - delay[:, None] - 1                          # (R,T)
    trained_in = np.take_along_axis(intake_ext, np.broadcast_to(src, (B, R, T)), axis=2) * yld[None, :, None]
    csum = np.concatenate([np.zeros((B, R, 1)), np.cumsum(intake_ext, axis=2)], axis=2)
    hi_i = H + t_idx[None, :]                                             # exclusive end (R,T)
    lo_i = np.maximum(hi_i - course[:, None], 0)
    students = (np.take_along_axis(csum, np.broadcast_to(hi_i, (B, R, T)), axis=2)
                - np.take_along_axis(csum, np.broadcast_to(lo_i, (B, R, T)), axis=2))

    F = 0 if m.flow_from is None else len(m.flow_from)
    if F:
        f_from = np.asarray(m.flow_from, int)
        f_to = np.asarray(m.flow_to, int)
        M_from = np.zeros((F, R))
        M_from[np.arange(F), f_from] = 1.0
        M_to = np.zeros((F, R))
        M_to[np.arange(F), f_to] = 1.0
        f_fte = _arr(m.flow_fte, (B, F, T))
        f_share = _arr(m.flow_share, (B, F, T))
        f_L = np.asarray(m.flow_course, int)
        f_c = _arr(m.flow_completion, (F,), 1.0)
        f_tau = _arr(m.flow_study_time, (F,))
        U = np.zeros((B, F, T))
        cumU = np.zeros((B, F, T + 1))
        Tr_all = np.zeros((B, F, T))
        fidx = np.arange(F)

    fte = np.empty((B, R, T + 1))
    fte[:, :, 0] = S0
    in_tr = np.zeros((B, R, T + 1))
    lost = np.zeros((B, R, T + 1))
    up_in = np.zeros((B, R, T + 1))
    up_out = np.zeros((B, R, T + 1))
    lv_all = np.zeros((B, R, T + 1))
    jo_all = np.zeros((B, R, T + 1))
    S = S0
    for i in range(T):                      # i = t - 1
        lv = ell * S
        jn = jo * S
        pre = S - lv + jn + trained_in[:, :, i] + recruited[:, :, i]
        if F:
            S_from = S[:, f_from]
            start = np.maximum(i - f_L + 1, 0)
            ongoing = cumU[:, fidx, i] - cumU[:, fidx, start]
            req = f_fte[:, :, i] + f_share[:, :, i] * S_from
            U[:, :, i] = np.clip(req, 0.0, np.maximum(S_from - ongoing, 0.0))
            cumU[:, :, i + 1] = cumU[:, :, i] + U[:, :, i]
            k = i - f_L + 1
            C = np.where(k >= 0, f_c * U[:, fidx, np.maximum(k, 0)], 0.0)
            out = C @ M_from
            # Several flows from one role may ask for more than it has: scale them down together.
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # only where out > pre is used: finite
                scale = np.where(out > pre, pre / np.where(out > 0, out, 1.0), 1.0)
            C = C * scale[:, f_from]
            out = C @ M_from
            inn = C @ M_to
            Tr = cumU[:, :, i + 1] - cumU[:, fidx, start]
            Tr_all[:, :, i] = Tr
            in_tr[:, :, i + 1] = Tr @ M_from
            lost[:, :, i + 1] = (Tr * f_tau) @ M_from
            up_in[:, :, i + 1] = inn
            up_out[:, :, i + 1] = out
            S = pre - out + inn
        else:
            S = pre
        fte[:, :, i + 1] = S
        lv_all[:, :, i + 1] = lv
        jo_all[:, :, i + 1] = jn

    eff = np.maximum(fte - lost, 0.0)
    sigma = np.asarray(m.substitution, dtype=float)
    capacity = np.einsum("brt,rg->bgt", eff, sigma)
    growth = np.broadcast_to((1.0 + np.asarray(m.demand_growth, float)) / (1.0 + np.asarray(m.productivity, float)),
                             (B, G, T))
    demand = np.concatenate([np.ones((B, G, 1)), np.cumprod(growth, axis=2)], axis=2) * np.asarray(m.demand0, float)[:, :, None]

    z = np.zeros((B, R, 1))
    if not detail:
        empty = np.zeros((0,))
        return Projection(m.roles, G, fte, in_tr, eff, capacity, demand, *([empty] * 11))
    cost = _arr(m.cost_per_fte, (B, R))
    pay_bill = fte * cost[:, :, None]
    per_student = (_arr(m.pipeline_fee, (R,)) + _arr(m.trainee_cost, (R,)))[None, :, None]
    train_cost = np.concatenate([z, students * per_student], axis=2)
    if F:
        per_trainee = _arr(m.flow_fee, (F,)) + f_tau * cost[:, f_from]           # (B,F)
        train_cost[:, :, 1:] += np.einsum("bft,fr->brt", Tr_all * per_trainee[:, :, None], M_to)
    return Projection(
        roles=m.roles, n_groups=G, fte=fte, in_training=in_tr, effective_fte=eff, capacity=capacity,
        demand=demand, leavers=lv_all, joiners_other=jo_all,
        trained_in=np.concatenate([z, trained_in], axis=2), recruited=np.concatenate([z, recruited], axis=2),
        upskilled_in=up_in, upskilled_out=up_out, trainees=np.concatenate([z, students], axis=2),
        pay_bill=pay_bill, training_cost=train_cost,
        recruitment_cost=np.concatenate([z, _arr(m.recruitment_cost, (B, R, T))], axis=2),
    )


def year_gap_closes(gap: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """First year (0..T, last axis) with gap <= 0; NaN where it never closes within the horizon."""
    closed = gap <= tol
    first = np.argmax(closed, axis=-1).astype(float)
    return np.where(closed.any(axis=-1), first, np.nan)


# ------------------------------------------------------------------------------------------------
# Baseline from loaded data
# ------------------------------------------------------------------------------------------------
# Small cells borrow strength (credibility weighting, documented in docs/whatif_baseline.md): a system x staff
# group rate counts with weight N / (N + CREDIBILITY_FTE) against its region's rate for the staff group (the
# region's against England's), N = the cell's mean staff in post FTE over the evidence window.
CREDIBILITY_FTE = 500.0
# Cells under this many FTE, and every "Unknown classification" cell, are held flat (no growth).
MIN_CELL_FTE = 50.0
HELD_FLAT_GROUPS = ("Unknown classification",)
FLOWS_NOTE = ("Flows the baseline uses: the leaver rate (leavers summed over the system's organisations, so a move "
              "between organisations inside the system counts as a leaver) and the observed net change in staff in "
              "post. Other joiners are set to leaver rate + net growth, so a move inside the system (one leaver, one "
              "joiner) cancels out and, with no levers, staff in post grows as it was seen to. The published joiner "
              "counts are not used directly: at ICS level they include those moves, and hours changes of staff who "
              "stay are in the staff in post but in neither count.")


@dataclass
class Baseline:
    """Starting point per system x staff group. Rates are ANNUAL fractions (see `rate_basis`).

    `months` is how many months of flows the rates rest on (12 = a year; fewer = annualised, provisional);
    `months_label` says so in words. `held_flat` marks cells kept at their starting FTE. `vacancy_known` marks
    cells whose vacancies come from the system's own loaded figures; elsewhere, when `vacancy_default` is set,
    `vacancy_fte` holds the national default (recomputed from edited assumptions by `demand0_with`)."""

    area_codes: list[str]
    area_names: list[str]
    staff_groups: list[str]
    fte: np.ndarray            # (A,G) staff in post FTE
    leaver_rate: np.ndarray    # (A,G) annual
    joiner_rate: np.ndarray    # (A,G) annual
    vacancy_fte: np.ndarray    # (A,G), 0 where unknown and no default is used
    vacancy_known: np.ndarray  # (A,G) bool: the system's own vacancies
    period: str = ""
    period_months: int = 12
    rate_basis: str = RATE_BASIS_ANNUAL
    notes: list[str] = field(default_factory=list)
    months_label: str = ""
    provisional: bool = False
    held_flat: np.ndarray | None = None       # (A,G) bool
    vacancy_default: bool = False
    footprint: str = ""                       # geography vintage key of the systems ("ICS2026"); "" unknown

    @property
    def months(self) -> int:
        return self.period_months

    @property
    def demand0(self) -> np.ndarray:
        """Demand at t0 = staff in post + vacancies (funded establishment where vacancies are known)."""
        return self.fte + self.vacancy_fte

    def demand0_with(self, rate_of) -> np.ndarray:
        """demand0 with the national default vacancy rates from `rate_of(staff_group)` (edited assumptions)
        in every cell without the system's own vacancies; unchanged when no default is used."""
        if not self.vacancy_default:
            return self.demand0
        r = np.array([min(max(float(rate_of(g)), 0.0), 0.99) for g in self.staff_groups])
        return self.fte + np.where(self.vacancy_known, self.vacancy_fte, self.fte * (r / (1.0 - r))[None, :])

    def subset(self, area_codes) -> "Baseline":
        idx = [self.area_codes.index(a) for a in area_codes]
        return Baseline([self.area_codes[i] for i in idx], [self.area_names[i] for i in idx], self.staff_groups,
                        self.fte[idx], self.leaver_rate[idx], self.joiner_rate[idx], self.vacancy_fte[idx],
                        self.vacancy_known[idx], self.period, self.period_months, self.rate_basis, list(self.notes),
                        self.months_label, self.provisional,
                        None if self.held_flat is None else self.held_flat[idx], self.vacancy_default,
                        self.footprint)

    def frame(self) -> pd.DataFrame:
        A, G = self.fte.shape
        flat = np.zeros((A, G), bool) if self.held_flat is None else self.held_flat
        return pd.DataFrame({
            "area_code": np.repeat(self.area_codes, G), "area_name": np.repeat(self.area_names, G),
            "staff_group": np.tile(self.staff_groups, A), "fte": self.fte.ravel(),
            "leaver_rate_annual": self.leaver_rate.ravel(), "joiner_rate_annual": self.joiner_rate.ravel(),
            "vacancy_fte": self.vacancy_fte.ravel(), "vacancy_known": self.vacancy_known.ravel(),
            "held_flat": flat.ravel(), "demand_fte": self.demand0.ravel(), "period": self.period,
            "rate_basis": self.rate_basis,
        })

    @classmethod
    def from_frame(cls, df: pd.DataFrame, period: str = "", rate_basis: str = RATE_BASIS_ANNUAL) -> "Baseline":
        """From a tidy frame with area_code, staff_group, fte, leaver_rate, joiner_rate (ANNUAL) and
        optional vacancy_fte, area_name. Missing combinations become 0 FTE; unknown vacancies 0 (no default)."""
        areas = list(dict.fromkeys(df["area_code"].astype(str)))
        groups = list(dict.fromkeys(df["staff_group"].astype(str)))
        names = (df.drop_duplicates("area_code").set_index("area_code")["area_name"].reindex(areas).fillna("").tolist()
                 if "area_name" in df else list(areas))

        def grid(col, fill=0.0):
            if col not in df:
                return np.full((len(areas), len(groups)), fill)
            p = df.groupby(["area_code", "staff_group"])[col].sum(min_count=1).unstack()   # NaN stays unknown
            return p.reindex(index=areas, columns=groups).to_numpy(dtype=float)

        vac = grid("vacancy_fte", np.nan)
        return cls(areas, names, groups, np.nan_to_num(grid("fte")), np.nan_to_num(grid("leaver_rate")),
                   np.nan_to_num(grid("joiner_rate")), np.nan_to_num(vac), ~np.isnan(vac), period, 12, rate_basis)


def annualise_leaver_rate(rate, period_months: int):
    """Annual leaver rate from a rate over `period_months`, compounded: 1-(1-m)^(12/months). Kept for reference
    (METHODS 1.1); the baseline annualises linearly (sum of leavers x 12/months), as a 12-month file counts them."""
    n = 12.0 / period_months
    return 1.0 - (1.0 - np.asarray(rate, float)) ** n


def _month_span(first: str, last: str) -> str:
    """'Oct-Nov 2025'; 'Dec 2024-Jan 2025'; 'Nov 2025'."""
    from lib.data.schema import period_label
    a, b = period_label(first), period_label(last)
    if first == last:
        return b
    return f"{a[:3]}-{b}" if first[:4] == last[:4] else f"{a}-{b}"


def _evidence_window(df: pd.DataFrame, period: str) -> tuple[list[str], int]:
    """Periods whose flows the baseline uses, and how many months they cover: the 12-month period ending at
    `period` if loaded, else consecutive periods of the same length ending there, up to 12 months."""
    from lib.data.schema import month_add
    if "period_months" not in df:
        return [period], 12
    months_of = df.groupby(df["period"].astype(str))["period_months"].max().to_dict()
    step = int(months_of.get(period, 12) or 12)
    if step >= 12:
        return [period], 12
    run = [period]
    while len(run) * step < 12:
        prev = month_add(run[0], -step)
        if int(months_of.get(prev, 0) or 0) != step:
            break
        run.insert(0, prev)
    return run, len(run) * step


def _shrink(raw: np.ndarray, n: np.ndarray, parent: np.ndarray, k: float) -> np.ndarray:
    """Credibility-weighted rate: (n*raw + k*parent) / (n + k); unknown raw (NaN) or n <= 0 gives the parent."""
    n = np.where(np.isfinite(raw) & (n > 0), n, 0.0)
    w = n / (n + k) if k > 0 else (n > 0).astype(float)
    return np.where(n > 0, w * np.nan_to_num(raw) + (1.0 - w) * parent, parent)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)


def baseline_from_metrics(metrics: pd.DataFrame, area_codes=None, period: str | None = None, *,
                          vacancy_rates: dict | None = None, credibility_fte: float = CREDIBILITY_FTE,
                          min_cell_fte: float = MIN_CELL_FTE) -> Baseline:
    """Baseline per system x staff group from `lib.insight.metrics.area_metrics(..., by_staff_group=True)` over
    every loaded period (the CLI and the page pass all periods up to the start period).

    Evidence (best first): a 12-month period ending at `period`; else consecutive monthly periods ending there,
    up to 12, summed; fewer than 12 months are annualised and the baseline is marked provisional.
    * leaver rate (annual) = leavers summed over the window / mean(staff in post at its start, at its end) x 12/months;
    * net growth (a year) = (staff in post at the end - at the start) / at the start: the change seen over the
      window counted once, never extrapolated or compounded (a 12-month window gives the year's change);
    * other joiners = max(leaver rate + net growth, 0), so with no levers staff in post follows the observed net
      change (FLOWS_NOTE says why the published joiner counts are not used);
    * small cells borrow strength (see CREDIBILITY_FTE); cells under `min_cell_fte` and "Unknown classification"
      are held flat;
    * vacancies: the system's own where loaded; elsewhere the national default rate by staff group
      (`vacancy_rates`, default: assumptions "national_vacancy_rates"), V = SIP x r / (1 - r).
    Frames with rates but no flow columns (leavers_fte, joiners_fte, sip_start_fte) are read as rates over
    their period (per mean staff in post; start = end - (joiners - leavers)).
    """
    need = {"area_code", "staff_group", "fte", "leaver_rate", "joiner_rate"}
    missing = need - set(metrics.columns)
    if missing:
        raise ValueError(f"metrics frame lacks columns: {', '.join(sorted(missing))}")
    from lib.data.geography import REGIONS
    df = metrics[(metrics["area_code"] != ENGLAND) & (metrics["staff_group"] != ALL_STAFF)
                 & ~metrics["area_code"].isin(list(REGIONS))].copy()
    if "period" not in df.columns:
        df["period"] = period or ""
    df["period"] = df["period"].astype(str)
    if len(df):
        periods = sorted(df["period"].unique())
        if period is None:
            period = periods[-1]
        elif period not in periods:
            raise ValueError(f"period {period!r} not in metrics; available: {', '.join(periods)}")
    if area_codes is not None:
        area_codes = list(area_codes)
        unknown = sorted(set(area_codes) - set(df["area_code"]))
        if unknown:
            raise ValueError(f"area codes not in metrics: {', '.join(unknown)}")
        df = df[df["area_code"].isin(area_codes)]
    if df.empty:
        raise ValueError("no system-level staff-group rows in metrics to build a baseline from")
    window, months = _evidence_window(df, period)
    df = df[df["period"].isin(window)]
    if "period_months" in df:
        step = df.groupby("period")["period_months"].max()
        if step.nunique() > 1:
            raise ValueError("metrics mix monthly and annual periods in one window; pick one period")

    # Flow components per row (FTE). Rate-only frames: leavers = rate x FTE, start = end - (joiners - leavers).
    fte = df["fte"].astype(float)
    if {"leavers_fte", "joiners_fte", "sip_start_fte"} <= set(df.columns):
        df["_L"], df["_J"], df["_S0"] = (df["leavers_fte"].astype(float), df["joiners_fte"].astype(float),
                                         df["sip_start_fte"].astype(float))
    else:
        lr, jr = df["leaver_rate"].astype(float), df["joiner_rate"].astype(float)
        net = (jr.fillna(0.0) - lr.fillna(0.0))
        mean = fte / (1.0 + net / 2.0)          # rates are per mean(start, end); end = fte
        df["_L"], df["_J"], df["_S0"] = lr * mean, jr * mean, fte - net * mean
    key = ["area_code", "staff_group"]
    last = df[df["period"] == period].set_index(key)
    first = df[df["period"] == window[0]].set_index(key)["_S0"]
    flows = df.groupby(key)[["_L"]].sum(min_count=1)
    cells = last[[c for c in ("area_name", "region_code") if c in last]].copy()
    cells["end"] = last["fte"].astype(float).fillna(0.0)
    cells["start"] = first.reindex(cells.index)
    cells["start"] = cells["start"].fillna(cells["end"])
    cells["L"] = flows["_L"].reindex(cells.index)
    cells["vac"] = last["vacancy_fte"].astype(float) if "vacancy_fte" in last else np.nan
    if "vacancy_covered" in last:  # lib.insight.coverage: a system's own vacancies count only where they cover its staff
        cells.loc[last["vacancy_covered"].reindex(cells.index).eq(False).to_numpy(), "vac"] = np.nan
    cells = cells.reset_index()
    cells["N"] = (cells["start"] + cells["end"]) / 2.0
    cells["lr_raw"] = _ratio(cells["L"], cells["N"]) * 12.0 / months
    cells["gr_raw"] = _ratio(cells["end"] - cells["start"], cells["start"])
    if "region_code" not in cells:
        cells["region_code"] = ""
    cells["region_code"] = cells["region_code"].fillna("").astype(str)

    # Parents: England per staff group (ratio of sums over cells with data), region shrunk toward England.
    known_l = cells["lr_raw"].notna()
    known_g = cells["gr_raw"].notna()

    def parent(by: list[str]) -> pd.DataFrame:
        c = cells.assign(_Ll=cells["L"].where(known_l), _Nl=cells["N"].where(known_l),
                         _d=(cells["end"] - cells["start"]).where(known_g), _s=cells["start"].where(known_g))
        p = c.groupby(by)[["_Ll", "_Nl", "_d", "_s", "N"]].sum()
        return pd.DataFrame({"lr": _ratio(p["_Ll"], p["_Nl"]) * 12.0 / months, "gr": _ratio(p["_d"], p["_s"]),
                             "Nl": p["_Nl"], "Ng": p["_s"]})

    eng = parent(["staff_group"])
    reg = parent(["region_code", "staff_group"]).reset_index()
    k = float(credibility_fte)
    for q, nq in (("lr", "Nl"), ("gr", "Ng")):
        top = reg["staff_group"].map(eng[q]).fillna(0.0).to_numpy()
        reg[q] = _shrink(reg[q].to_numpy(), reg[nq].to_numpy(), top, k)
    cells = cells.merge(reg[["region_code", "staff_group", "lr", "gr"]].rename(columns={"lr": "lr_p", "gr": "gr_p"}),
                        on=["region_code", "staff_group"], how="left")
    for q in ("lr", "gr"):
        fallback = cells["staff_group"].map(eng[q]).fillna(0.0)
        cells[f"{q}_p"] = cells[f"{q}_p"].fillna(fallback)
        cells[q] = _shrink(cells[f"{q}_raw"].to_numpy(), cells["N"].to_numpy(), cells[f"{q}_p"].to_numpy(), k)
    flat = cells["staff_group"].isin(HELD_FLAT_GROUPS) | (cells["N"] < min_cell_fte)
    cells.loc[flat, "gr"] = 0.0
    cells["lr"] = cells["lr"].clip(0.0, 1.0)
    cells["jr"] = np.maximum(cells["lr"] + cells["gr"], 0.0)

    # Vacancies: own where loaded, else the national default.
    if vacancy_rates is None:
        from lib.whatif.assumptions import load_assumptions
        a = load_assumptions()
        vacancy_rates = {g: a.national_vacancy_rate(g) for g in cells["staff_group"].unique()}
    own = cells["vac"].notna()
    r = cells["staff_group"].map(lambda g: float(vacancy_rates.get(g, 0.0))).clip(0.0, 0.99)
    cells["vacancy_fte"] = np.where(own, cells["vac"], cells["end"] * r / (1.0 - r))

    frame = cells.rename(columns={"end": "fte", "lr": "leaver_rate", "jr": "joiner_rate"})
    base = Baseline.from_frame(frame[["area_code", "staff_group", "fte", "leaver_rate", "joiner_rate", "vacancy_fte"]
                                     + (["area_name"] if "area_name" in frame else [])], period=str(period))
    A, G = base.fte.shape
    pos = {(a_, g_): (i, j) for i, a_ in enumerate(base.area_codes) for j, g_ in enumerate(base.staff_groups)}
    known = np.zeros((A, G), bool)
    held = np.zeros((A, G), bool)
    for a_, g_, o, f_ in zip(cells["area_code"], cells["staff_group"], own, flat):
        i, j = pos[(str(a_), str(g_))]
        known[i, j], held[i, j] = bool(o), bool(f_)
    base.vacancy_known = known
    base.held_flat = held
    base.vacancy_default = True
    base.period_months = months
    base.provisional = months < 12
    span = _month_span(window[0] if len(window) > 1 else _first_month(period, months), period)
    if months < 12:
        base.months_label = f"from {months} month{'s' if months != 1 else ''}, {span}: provisional"
        base.rate_basis = (f"{base.months_label}. Leaver rates: leavers over the {months} months x 12/{months}; growth: "
                           f"the net change in staff in post over those months, not extrapolated")
    else:
        src = "one 12-month file" if len(window) == 1 else "12 monthly files summed"
        base.months_label = f"from 12 months, {span}"
        base.rate_basis = (f"{base.months_label} ({src}). Leaver rates: leavers over the year / mean staff in post; "
                           "growth: the year's net change in staff in post")
    if not cells["L"].notna().any():          # staff in post only (e.g. Core 1): nothing to project flows from
        from lib.data.schema import period_label
        base.period_months, base.provisional = 0, True
        base.held_flat = held = base.fte > 0
        flat = cells["end"] > 0
        base.months_label = f"no leaver figures loaded for {period_label(period)}: staff in post held flat"
        base.rate_basis = (f"{base.months_label}; load a Turnover benchmarking file to project leavers and growth")
    n_flat = int(held.sum())
    flat_fte = float(cells.loc[flat, "end"].sum())
    notes = [f"Baseline rates {base.rate_basis}.", FLOWS_NOTE,
             f"Small cells borrow strength: each system x staff group leaver rate and growth is weighted "
             f"N / (N + {k:,.0f}) against its region's rate for that staff group (the region's against England's), "
             f"N = the cell's mean staff in post FTE, so a cell of {k:,.0f} FTE counts half and one of 5,000 FTE 91 %."]
    if n_flat:
        notes.append(f"Held flat at their starting FTE (no growth): {n_flat} system x staff group cells under "
                     f"{min_cell_fte:,.0f} FTE or in 'Unknown classification' ({flat_fte:,.0f} FTE in all).")
    n_def = int((~own & (cells["end"] > 0)).sum())
    if n_def:
        notes.append(f"Starting gap: national default vacancy rates by staff group (NHS Vacancy Statistics, "
                     f"30 Sep 2025) for {n_def} system x staff group cells - national default, not your system's "
                     f"figure; the system's own vacancies are used where loaded ({int(own.sum())} cells).")
    base.notes = notes
    return base


def _first_month(period: str, months: int) -> str:
    from lib.data.schema import month_add
    return month_add(period, -(months - 1))
