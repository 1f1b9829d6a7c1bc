"""lib.stats.signals on hand-made metrics: a known shift and a known outlier system are flagged, edge cases explained."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lib.data import geography
from lib.stats import signals
from lib.data.schema import ALL_STAFF

ICS = list(geography.areas("ICS")["code"])
STP = list(geography.areas("STP")["code"])


def months(n: int, start: str = "2023-01") -> list[str]:
    return list(pd.period_range(start, periods=n, freq="M").strftime("%Y-%m"))


def rows(code: str, leaver_rates, *, sip: float = 10_000.0, vacancy_rate: float | None = 0.08,
         start: str = "2023-01", group: str = ALL_STAFF) -> pd.DataFrame:
    """Metrics rows for one area: steady staff in post `sip`, leavers = rate x sip, joiners = leavers."""
    n = len(leaver_rates)
    lr = np.asarray(leaver_rates, dtype=float)
    vac = np.nan if vacancy_rate is None else vacancy_rate * sip / (1 - vacancy_rate)
    df = pd.DataFrame({
        "period": months(n, start), "period_months": 1, "level": "ICS", "area_code": code,
        "area_name": f"System {code}", "staff_group": group,
        "fte": sip, "sip_start_fte": sip, "leavers_fte": lr * sip, "joiners_fte": lr * sip,
        "vacancy_fte": vac,
    })
    mean_sip = (df["sip_start_fte"] + df["fte"]) / 2
    df["leaver_rate"] = np.where(mean_sip > 0, df["leavers_fte"] / mean_sip, np.nan)
    df["joiner_rate"] = df["leaver_rate"]
    df["vacancy_rate"] = df["vacancy_fte"] / (df["vacancy_fte"] + df["fte"])
    return df


def steady(n: int = 24) -> list[float]:
    """Noise around 1%: +/-0.05 points alternating (no rule can fire)."""
    return [0.0100 + (0.0005 if i % 2 else -0.0005) for i in range(n)]


def shifted(n_before: int = 20, n_after: int = 8) -> list[float]:
    """Steady 1% then a sustained step up to 1.4%."""
    return steady(n_before) + [0.0140 + (0.0005 if i % 2 else -0.0005) for i in range(n_after)]


# ------------------------------------------------------------------------------------------------ SPC

def test_known_shift_is_flagged_as_concern_for_leaver_rate():
    m = pd.concat([rows("QE1", shifted()), rows("QF7", steady(28))])
    v = signals.spc_view(m, "QE1", ALL_STAFF, "leaver_rate")
    # Limits by hand: mean of the 28 points; moving ranges are 0.001 except the step 0.0035 (0.0135-0.0105+...)
    y = np.array(shifted())
    mr = np.abs(np.diff(y))
    amr = mr.mean()
    amr = mr[mr < 3.267 * amr].mean()  # screening drops no range here, but do it as the method says
    assert v.chart["mean"].iloc[0] == pytest.approx(y.mean())
    assert v.chart["upl"].iloc[0] == pytest.approx(y.mean() + 2.66 * amr)
    last = v.chart.iloc[-1]
    assert last["special_cause"] and last["point_type"] == "special_cause_concern"
    assert v.summary["variation_icon"] == "concern_high"
    # the steady system stays common cause throughout
    w = signals.spc_view(m, "QF7", ALL_STAFF, "leaver_rate")
    assert not w.chart["special_cause"].any()
    assert w.notes == []


def test_latest_signals_names_the_shifted_system_only():
    m = pd.concat([rows("QE1", shifted()), rows("QF7", steady(28)), rows("QGH", steady(28))])
    sig = signals.latest_signals(m, ALL_STAFF, "leaver_rate", "2025-04")
    assert len(sig) == 3
    flagged = sig[sig["special_cause"]]
    assert list(flagged["area_code"]) == ["QE1"]
    assert flagged["verdict"].iloc[0] == "concern"
    assert flagged["rule_words"].iloc[0] != ""
    # joiner rate is neutral: the same step is a change upwards, not a concern
    sig_j = signals.latest_signals(m, ALL_STAFF, "joiner_rate", "2025-04")
    assert sig_j.loc[sig_j["area_code"] == "QE1", "verdict"].iloc[0] == "change upwards"


def test_until_cuts_the_history_and_a_period_without_data_is_skipped():
    m = pd.concat([rows("QE1", shifted()), rows("QF7", steady(10))])
    v = signals.spc_view(m, "QE1", ALL_STAFF, "leaver_rate", until="2024-08")
    assert len(v.chart) == 20 and v.chart["period"].iloc[-1] == "2024-08"
    assert not v.chart["special_cause"].any()  # before the step nothing is special
    sig = signals.latest_signals(m, ALL_STAFF, "leaver_rate", "2025-04")
    assert list(sig["area_code"]) == ["QE1"]  # QF7 stops in 2023-10: nothing to say about 2025-04


def test_twelve_points_get_a_trial_limits_note():
    m = rows("QE1", steady(12))
    v = signals.spc_view(m, "QE1", ALL_STAFF, "leaver_rate")
    assert v.summary["trial_limits"]
    assert any("trial limits" in n for n in v.notes)


@pytest.mark.parametrize("n", [1, 2, 3, 11])
def test_fewer_than_twelve_points_draw_no_limits_and_name_no_verdict(n):
    m = rows("QE1", shifted(n_before=max(n - 1, 0), n_after=min(n, 1)))
    with pytest.raises(signals.SignalError, match=f"not enough months to judge.*{12 - n} more month"):
        signals.spc_view(m, "QE1", ALL_STAFF, "leaver_rate")
    assert signals.latest_signals(m, ALL_STAFF, "leaver_rate", m["period"].max()).empty
    msg = signals.not_enough_months(m, m["period"].max())
    assert msg is not None and f"Only {n} month" in msg
    assert signals.not_enough_months(rows("QE1", steady(12)), "2023-12") is None  # 12 months: a verdict


def test_missing_months_are_gaps_and_noted():
    lr = steady(24)
    lr[5] = np.nan
    lr[-1] = np.nan
    v = signals.spc_view(rows("QE1", lr), "QE1", ALL_STAFF, "leaver_rate")
    assert len(v.chart) == 24
    assert v.chart["mean"].iloc[0] == pytest.approx(np.nanmean(lr))
    assert any("2 months without a value" in n for n in v.notes)
    assert any("latest month has no value" in n for n in v.notes)


def test_zero_denominator_month_is_a_gap_not_a_crash():
    df = rows("QE1", steady(14))
    df.loc[3, ["fte", "sip_start_fte", "leavers_fte"]] = 0.0
    df.loc[3, "leaver_rate"] = np.nan  # lib.insight.metrics gives NaN where mean staff in post is 0
    v = signals.spc_view(df, "QE1", ALL_STAFF, "leaver_rate")
    assert np.isnan(v.chart["y"].iloc[3]) and not v.chart["special_cause"].iloc[3]


def test_nothing_to_chart_raises_plain_reasons():
    m = rows("QE1", steady(12), vacancy_rate=None)
    with pytest.raises(signals.SignalError, match="vacancy template"):
        signals.spc_view(m, "QE1", ALL_STAFF, "vacancy_rate")
    with pytest.raises(signals.SignalError, match="No figures"):
        signals.spc_view(m, "QKK", ALL_STAFF, "leaver_rate")
    with pytest.raises(signals.SignalError, match="at least 12"):
        signals.spc_view(rows("QE1", [0.01]), "QE1", ALL_STAFF, "leaver_rate")
    with pytest.raises(signals.SignalError, match="unknown measure"):
        signals.spc_view(m, "QE1", ALL_STAFF, "bogus")


def test_spc_table_words():
    m = rows("QE1", shifted())
    v = signals.spc_view(m, "QE1", ALL_STAFF, "leaver_rate")
    t = signals.spc_table(v.chart, "Leaver rate")
    assert list(t.columns) == ["Period", "Leaver rate", "Average", "Lower process limit", "Upper process limit",
                               "Unusual", "Rule", "Reading"]
    assert t["Reading"].iloc[-1] == "concern"
    # the 20 months before the step all sit below the overall average: a run, read as improvement (lower is better)
    assert t["Rule"].iloc[0] == "7 points in a row below the average" and t["Reading"].iloc[0] == "improvement"
    assert signals.rule_words("7 Points Above CL") == "7 points in a row above the average"


# --------------------------------------------------------------------------------------------- funnel

def test_numerator_and_denominator_by_hand():
    df = pd.DataFrame({"leavers_fte": [10.0], "joiners_fte": [12.0], "sip_start_fte": [900.0], "fte": [1100.0],
                       "vacancy_fte": [100.0]})
    num, den = signals.numerator_denominator(df, "leaver_rate")
    assert (num.iloc[0], den.iloc[0]) == (10.0, 1000.0)
    num, den = signals.numerator_denominator(df, "vacancy_rate")
    assert (num.iloc[0], den.iloc[0]) == (100.0, 1200.0)
    with pytest.raises(signals.SignalError, match="count"):
        signals.numerator_denominator(df, "fte")


def _funnel_metrics(level_codes: list[str], outlier_rate: float = 0.03) -> pd.DataFrame:
    parts = [rows(c, [0.01], sip=10_000.0) for c in level_codes[:20]]
    parts.append(rows(level_codes[20], [outlier_rate], sip=10_000.0))
    return pd.concat(parts, ignore_index=True)


def test_known_outlier_system_is_flagged_and_named():
    m = _funnel_metrics(ICS)
    v = signals.funnel_view(m, "ICS", ALL_STAFF, "leaver_rate", "2023-01")
    # By hand: pooled p = (20 x 100 + 300) / 210000. The 20 identical units share one z-score z0 and the
    # winsorising pulls the outlier's z in to z0 too, so phi = z0^2 < 1: the limits are the plain ones,
    # sin^2(asin(sqrt p) +/- z / (2 sqrt n)).
    p = (20 * 100 + 300) / 210_000
    z0 = (math.asin(math.sqrt(0.01)) - math.asin(math.sqrt(p))) * 2 * math.sqrt(10_000)
    assert v.result.target == pytest.approx(p)
    assert v.result.phi == pytest.approx(z0 ** 2) and v.result.phi < 1 and not v.result.adjusted
    upper = math.sin(math.asin(math.sqrt(p)) + 3.090232 / (2 * math.sqrt(10_000))) ** 2
    assert v.units["upper_99_8"].iloc[0] == pytest.approx(upper)
    assert upper == pytest.approx(0.014401, abs=1e-6)
    out = v.outliers
    assert list(out["area_code"]) == [ICS[20]]
    assert out["area_name"].iloc[0] == f"System {ICS[20]}"
    assert out["side"].iloc[0] == "above 99.8% limit"
    table = signals.funnel_table(v)
    assert table["Reading"].iloc[0] == "worse than expected (above 99.8% limit)"
    assert (table["Reading"].iloc[1:] == "as expected for its size").all()


def test_funnel_leaves_out_regions_england_and_zero_denominators():
    m = _funnel_metrics(ICS)
    eng = rows("ENG", [0.01], sip=1e6)
    reg = rows("Y56", [0.01], sip=1e5)
    zero = rows(ICS[21], [0.0])
    zero[["fte", "sip_start_fte", "leavers_fte"]] = 0.0
    v = signals.funnel_view(pd.concat([m, eng, reg, zero]), "ICS", ALL_STAFF, "leaver_rate", "2023-01")
    assert set(v.units["area_code"]) == set(ICS[:21])
    assert any(f"System {ICS[21]} left out" in n and "zero" in n for n in v.notes)


def test_funnel_errors_are_plain():
    m = _funnel_metrics(ICS)
    with pytest.raises(signals.SignalError, match="count, not a proportion"):
        signals.funnel_view(m, "ICS", ALL_STAFF, "fte", "2023-01")
    with pytest.raises(signals.SignalError, match="No system figures"):
        signals.funnel_view(m, "ICS", ALL_STAFF, "leaver_rate", "2030-01")
    novac = pd.concat([rows(c, [0.01], vacancy_rate=None) for c in ICS[:5]])
    with pytest.raises(signals.SignalError, match="vacancy template"):
        signals.funnel_view(novac, "ICS", ALL_STAFF, "vacancy_rate", "2023-01")


def test_funnel_overdispersion_widens_limits():
    rng = np.random.default_rng(1)
    rates = 0.01 + rng.normal(0, 0.002, 30)
    m = pd.concat([rows(c, [r]) for c, r in zip(ICS[:30], rates)])
    v = signals.funnel_view(m, "ICS", ALL_STAFF, "leaver_rate", "2023-01")
    assert v.result.phi > 1 and v.result.adjusted and v.result.tau2 > 0
    plain = math.sin(math.asin(math.sqrt(v.result.target)) + 1.959964 / 200) ** 2
    assert v.units["upper_95"].iloc[0] > plain


def test_stp_level_uses_stp_codes():
    m = pd.concat([rows(c, [0.01 + 0.001 * i]) for i, c in enumerate(STP[:25])]).assign(level="STP")
    v = signals.funnel_view(m, "STP", ALL_STAFF, "leaver_rate", "2023-01")
    assert len(v.units) == 25
    assert signals.system_codes("STP") == STP


# -------------------------------------------------------------------------------------------- what changed

def test_what_changed_lists_special_causes_concern_first_england_last():
    lower = [0.0100 - (0.004 if i >= 20 else 0) + (0.0005 if i % 2 else -0.0005) for i in range(28)]
    m = pd.concat([
        rows(ICS[0], shifted()),             # leaver rate up: concern
        rows(ICS[1], lower),                 # leaver rate down: improvement
        rows(ICS[2], steady(28)),
        rows("ENG", shifted(), sip=1e6),
    ])
    m.loc[m["area_code"] == "ENG", "area_name"] = "England"
    w = signals.what_changed(m, "ICS", "2025-04", keys=("leaver_rate",))
    assert list(w["area_code"]) == [ICS[0], ICS[1], "ENG"]
    assert list(w["verdict"]) == ["concern", "improvement", "concern"]
    s = signals.what_changed_sentences(w.head(1), lambda k, x: f"{100 * x:.2f}%")
    assert s[0].startswith(f"System {ICS[0]}: leaver rate (month) 1.45% - concern (")


def test_what_changed_empty_when_nothing_special_or_no_vacancy():
    m = pd.concat([rows(c, steady(28), vacancy_rate=None) for c in ICS[:3]])
    w = signals.what_changed(m, "ICS", "2025-04", keys=("leaver_rate", "vacancy_rate"))
    assert w.empty and "verdict" in w.columns
