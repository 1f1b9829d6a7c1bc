"""Compute time of the what-if engine: 42 systems x all staff groups + new roles x 10 years, and a
1,000-draw Monte Carlo, with a ratio against a trivial numpy loop of the same shape in the same run.

    .venv/bin/python bench/bench_model.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.data.geography import ICBS  # noqa: E402
from lib.whatif.projection import Baseline, project  # noqa: E402
from lib.whatif.scenario import KNOWN_STAFF_GROUPS, Scenario, build_inputs, run_scenario  # noqa: E402
from lib.whatif.uncertainty import run_monte_carlo  # noqa: E402


def best_ms(fn, repeat=30):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return 1000 * min(out), 1000 * float(np.median(out))


def main() -> None:
    rng = np.random.default_rng(0)
    rows = [dict(area_code=q, staff_group=g, fte=rng.uniform(50, 15000), leaver_rate=rng.uniform(0.05, 0.15),
                 joiner_rate=rng.uniform(0.05, 0.15), vacancy_fte=rng.uniform(0, 800))
            for q in ICBS["q_code"] for g in KNOWN_STAFF_GROUPS]
    base = Baseline.from_frame(pd.DataFrame(rows))
    scn = Scenario.from_dict({"area": "ENG", "horizon": 10, "levers": {
        "retention": [{"staff_group": "Nurses & health visitors", "leaver_rate_change": -0.01}],
        "recruitment": [{"staff_group": "Nurses & health visitors", "international_fte_per_year": 2000}],
        "training_places": [{"staff_group": "Midwives", "extra_places_per_year": 300}],
        "new_roles": [{"role": r, "trainees_per_year": 500} for r in
                      ("nursing_associate", "physician_associate", "first_contact_practitioner", "care_coordinator")],
        "upskilling": [{"from_staff_group": "Nurses & health visitors", "to_role": "advanced_clinical_practitioner",
                        "share_per_year": 0.02}]}})
    setup = build_inputs(scn, base)
    A, R = setup.inputs.stock0.shape
    T = setup.inputs.horizon

    def trivial():   # same shape, the bare recurrence: a floor for any numpy implementation
        s = setup.inputs.stock0.copy()
        out = np.empty((A, R, T + 1))
        out[:, :, 0] = s
        for t in range(T):
            s = s * 0.91 + 1.0
            out[:, :, t + 1] = s
        return out

    triv, _ = best_ms(trivial, 200)
    eng, eng_med = best_ms(lambda: project(setup.inputs), 100)
    full, full_med = best_ms(lambda: run_scenario(scn, base), 20)
    one = Scenario.from_dict({**scn.to_dict(), "area": "QKK"})
    sys1, _ = best_ms(lambda: run_scenario(one, base), 30)
    mc1, _ = best_ms(lambda: run_monte_carlo(one, base, n_draws=1000, seed=1), 5)
    mce, _ = best_ms(lambda: run_monte_carlo(scn, base, n_draws=1000, seed=1), 3)
    print(f"shape: {A} systems x {R} roles ({R - len(setup.assumptions.new_role_ids)} staff groups + "
          f"{len(setup.assumptions.new_role_ids)} new roles) x {T} years, 1 upskilling + 4 pipelines")
    print(f"trivial numpy recurrence (same shape)        : {triv:8.3f} ms")
    print(f"project() engine, all systems               : {eng:8.3f} ms (median {eng_med:.3f})  ratio {eng / triv:6.1f}x")
    print(f"run_scenario ENG (baseline+scenario+frames) : {full:8.3f} ms (median {full_med:.3f})  ratio {full / triv:6.1f}x")
    print(f"run_scenario one system                     : {sys1:8.3f} ms  ratio {sys1 / triv:6.1f}x")
    print(f"Monte Carlo 1000 draws, one system          : {mc1:8.3f} ms  ratio {mc1 / triv:6.1f}x")
    print(f"Monte Carlo 1000 draws, England (42 systems): {mce:8.3f} ms  ratio {mce / triv:6.1f}x")


if __name__ == "__main__":
    main()
