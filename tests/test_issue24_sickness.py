"""Issue 24: the Sickness absence page was slow to open. Its figures are computed once per store snapshot and
selection (views/sickness.py figures), England's every-organisation table is sent only when asked for, and the
funnel's limit lines are 60 points a line. Timings: bench/bench_sickness_open.py (not timed here)."""
from __future__ import annotations

import json

import pytest

from lib.insight import sickness as sk
from tests.conftest import open_app_page
from ui import on_request, stats_charts


@pytest.fixture
def on_sickness(real_store_sickness, monkeypatch):
    monkeypatch.setenv("WORKFORCE_DATA_DIR", str(real_store_sickness))
    return real_store_sickness


def test_a_repeat_open_computes_nothing_again(on_sickness, monkeypatch):
    open_app_page("views/sickness.py", {"area": "QKK"})  # fills the cache for this snapshot and selection
    calls = []
    real = sk.system_table
    monkeypatch.setattr(sk, "system_table", lambda *a, **k: calls.append(a) or real(*a, **k))
    at = open_app_page("views/sickness.py", {"area": "QKK"})
    assert calls == []                                      # the second visitor's open reads the cache
    assert any(m.label == "South East London" for m in at.metric)


def test_england_sends_every_organisation_only_when_asked(on_sickness):
    at = open_app_page("views/sickness.py")
    assert not [d for d in at.dataframe if "Organisation" in d.value.columns]
    toggle = at.toggle(key=on_request.SICKNESS_ORGS)
    assert toggle.label.startswith("Show every organisation in England (")
    toggle.set_value(True).run()
    table = next(d.value for d in at.dataframe if "Organisation" in d.value.columns)
    n = int(toggle.label.split("(")[1].split(")")[0])
    assert len(table) == n > 100                               # every organisation with figures in March 2025


def test_a_system_shows_its_organisations_at_once(on_sickness):
    at = open_app_page("views/sickness.py", {"area": "QKK"})
    table = next(d.value for d in at.dataframe if "Organisation" in d.value.columns)
    assert 0 < len(table) < 30 and set(table["System"]) == {"South East London"}


def test_funnel_limit_lines_are_sixty_points_each_and_follow_the_curve():
    import numpy as np
    from lib.stats import signals
    num = np.array([0, 1, 2, 30, 80, 150, 9000]); den = np.array([20, 40, 60, 1500, 4000, 8000, 900000])
    res = signals.funnel(num, den, np.array(list("ABCDEFG")))
    view = signals.FunnelView(res, signals.funnel_units(res, {c: c for c in "ABCDEFG"}), "2025-11", "leaver_rate", [])
    spec = stats_charts.funnel_chart(view, "t").to_dict()
    limits = next(v for v in spec["datasets"].values() if v and "limit" in v[0])
    assert len(limits) == 4 * stats_charts.LIMIT_POINTS
    # every point is the limit at its size (worked out here from the normal approximation on the arcsine scale,
    # FunnelPlotR's formula, for the 99.8% upper line), sizes evenly spaced on a log scale
    from scipy.stats import norm
    target, tau2 = res.target, (res.tau2 if res.adjusted else 0.0)
    upper = [r for r in limits if r["limit"] == "upper_99_8"]
    sizes = np.array([r["denominator"] for r in upper])
    assert np.allclose(np.diff(np.log(sizes)), np.diff(np.log(sizes)).mean(), rtol=0.02)  # sizes kept to 0.1
    for r in upper[::9]:
        n = r["denominator"]
        z = norm.ppf(0.999)
        by_hand = np.sin(np.arcsin(np.sqrt(target)) + z * np.sqrt(1 / (4 * n) + tau2)) ** 2
        assert r["rate"] == pytest.approx(min(by_hand, 1.0), rel=2e-3, abs=1e-6)


def test_the_sickness_funnel_sends_a_fraction_of_the_rows(on_sickness):
    at = open_app_page("views/sickness.py")
    funnel = next(c for c in at.get("vega_lite_chart") if "Sickness absence rate by system" in c.proto.spec)
    assert json.loads(funnel.proto.spec)["title"].startswith("Sickness absence rate by system")
    assert sum(len(d.data.data) for d in funnel.proto.datasets) < 30_000   # 96 KB before (250 points a line)
