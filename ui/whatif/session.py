"""Scenario state and cached runs of the what-if studio: the data key, cached model runs, loading a scenario
into the lever widgets, messages, and the fragment-rerun callbacks shared by levers and results.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import altair as alt
import streamlit as st

from lib.insight import bridge as br
from lib.whatif import optimiser
from lib.whatif import uncertainty
from lib.whatif import studio as w
from lib.whatif.scenario import Scenario
from ui import auth, charts, data
from ui.text import md, quoted

SS = st.session_state
C = "wi_c_"                      # prefix of lever widget keys
SCN_COLOURS = alt.Scale(domain=list(w.SCENARIO_LABELS.values()), range=[charts.BASELINE_COLOUR, charts.SCENARIO_COLOUR])
SCN_SCALE = {"domain": list(w.SCENARIO_LABELS.values()), "range": [charts.BASELINE_COLOUR, charts.SCENARIO_COLOUR]}
PANELS = ["Compare scenarios", "Why it differs", "Least-cost mix", "Uncertainty", "Assumptions", "Save, load and share"]
# Two fragments: moving a lever reruns only the results (its callback names the results fragment), so the
# ~35 lever widgets are neither rebuilt on the server nor redrawn in the browser. Widgets that change other
# widgets (upskilling target, role details) rerun the levers too.
LEVERS, RESULTS = "wi_levers", "wi_results"


@st.cache_data(max_entries=16, show_spinner=False)
def baseline_hidden(data_dir: str, snap: str, level: str, period: str, sdc: bool):
    """(baseline, {system: staff groups hidden by disclosure control}). Without control: exactly the CLI's."""
    if not sdc:
        return w.load_baseline(data_dir, level, period), {}
    window = w.evidence_periods(data_dir, level, period)     # the same months the CLI's baseline uses
    return w.shared_baseline(data.metrics(Path(data_dir), level, window), period, level)


def baseline_cached(*key):
    return baseline_hidden(*key)[0]


def baseline(ctx):
    return baseline_cached(*data_key(ctx))


@st.cache_resource(max_entries=64, show_spinner=False)
def run_cached(data_dir: str, snap: str, level: str, period: str, sdc: bool, scn_json: str):
    """One model run per data snapshot and lever state, shared (st.cache_resource: not copied on every call; a
    cached copy of a system's result tables took milliseconds to unpickle on each lever move). READ-ONLY: every
    caller filters or copies (w.hide_groups, w.gap_frame..., exports copy before writing)."""
    base, hidden = baseline_hidden(data_dir, snap, level, period, sdc)
    scn = Scenario.from_json(scn_json)
    # the no-levers half depends only on area, horizon, demand and assumptions: reused while levers move
    no_levers = no_levers_half(data_dir, snap, level, period, sdc, w.no_levers_key(scn))
    return w.hide_groups(w.join_halves(scn, no_levers, w.run_half(scn, base, True)), hidden.get(scn.area))


@st.cache_resource(max_entries=16, show_spinner=False)
def no_levers_half(data_dir: str, snap: str, level: str, period: str, sdc: bool, key_json: str) -> tuple:
    """The baseline (no levers) half of a run (w.run_half), shared and READ-ONLY (join_halves copies it)."""
    return w.run_half(Scenario.from_json(key_json), baseline_cached(data_dir, snap, level, period, sdc), False)


@st.cache_data(max_entries=32, show_spinner="Running the Monte Carlo simulation...")
def monte_carlo(data_dir, snap, level, period, sdc, scn_json, leaver_pp, growth_pp, n_draws, seed):
    scn = Scenario.from_json(scn_json)
    base = baseline_cached(data_dir, snap, level, period, sdc)
    g = scn.demand_growth if scn.demand_growth is not None else w.shared_assumptions().with_overrides(
        scn.assumptions).value("demand", "demand_growth")
    return uncertainty.run_monte_carlo(scn, base, leaver_rate_change=(-leaver_pp / 100, leaver_pp / 100),
                                       demand_growth=(g - growth_pp / 100, g + growth_pp / 100),
                                       n_draws=n_draws, seed=seed)


@st.cache_data(max_entries=32, show_spinner="Adding the levers one at a time...")
def bridge_cached(data_dir, snap, level, period, sdc, scn_json, staff_group, year):
    """The what-if bridge (lib.insight.bridge.whatif_bridge) of the followed staff group's FTE in `year`."""
    base = baseline_cached(data_dir, snap, level, period, sdc)
    return br.whatif_bridge(Scenario.from_json(scn_json), base, figure="fte", staff_group=staff_group, year=year)


@st.cache_data(max_entries=32, show_spinner="Finding the least-cost mix...")
def optimise(data_dir, snap, level, period, sdc, scn_json, year, limits_json, agency, integer):
    scn = Scenario.from_json(scn_json)
    base = baseline_cached(data_dir, snap, level, period, sdc)
    return optimiser.close_gap(base, scn.area, year, limits=json.loads(limits_json), base_scenario=scn,
                               include_agency=agency, integer=integer)


def data_key(ctx) -> tuple:
    """(data dir, store snapshot digest, level, period, disclosure control): the cache key of every figure.
    Worked out on full runs; slider reruns of the studio fragment reuse the last one (SS["wi_key"])."""
    snap = hashlib.sha1(repr(data.snapshot(ctx.data_dir)).encode()).hexdigest()
    SS["wi_key"] = key = (str(ctx.data_dir), snap, ctx.level, ctx.period, auth.disclosure_on())
    return key


def live_key(ctx) -> tuple:
    key = SS.get("wi_key")
    return key if key and key[0] == str(ctx.data_dir) and key[2:4] == (ctx.level, ctx.period) else data_key(ctx)


def apply_scenario(scn: Scenario) -> None:
    """Set every lever widget from a scenario (call before the widgets are drawn)."""
    controls, extras, ov = w.controls_from_scenario(scn)
    for k, v in controls.items():
        SS[C + k] = v
    SS["wi_extras"] = extras
    SS["wi_overrides"] = ov
    SS["wi_name"] = scn.name
    SS["wi_scn"] = scn.to_json(None)
    reset_editor()


def reset_editor() -> None:
    a = w.shared_assumptions()
    try:
        a = a.with_overrides(SS.get("wi_overrides") or {})
    except Exception:  # noqa: BLE001 - bad overrides were rejected on load; show defaults
        SS["wi_overrides"] = {}
    SS["wi_editor_base"] = w.assumption_table(a)
    SS["wi_editor_ver"] = SS.get("wi_editor_ver", 0) + 1


def load_later(scn: Scenario, message: str) -> None:
    """Queue a scenario for the widgets and rerun the whole page (the area selector sits outside)."""
    SS["wi_pending"] = scn.to_json(None)
    SS.setdefault("wi_msgs", []).append(("success", message))
    st.rerun(scope="app")


def offer_moved(scn: Scenario, base, what: str) -> bool:
    """A scenario (link, file, library) for a system of another footprint: say what it became and offer it (the
    page shows the offer at the top: show_offer). False when the scenario needs no move or none places it."""
    moved = w.moved_scenario(scn, base)
    if moved is None:
        return False
    new, text = moved
    SS["wi_offer"] = (new.to_json(None), f"{what} is for {scn.area}, which is not a system under the ICB boundaries shown. "
                                         f"{text}")
    return True


def show_offer(names: dict) -> None:
    offer = SS.get("wi_offer")
    if not offer:
        return
    js, msg = offer
    area = Scenario.from_json(js).area
    st.warning(msg, icon=":material/move_location:")
    c1, c2 = st.columns([2, 1])
    if c1.button(f"Open it for {names.get(area, area)} ({area})", key="wi_offer_yes", type="primary",
                 icon=":material/input:"):
        SS.pop("wi_offer", None)
        SS["wi_pending"] = js
        SS.setdefault("wi_msgs", []).append(("success", f"Scenario opened for {names.get(area, area)} ({area})."))
        st.rerun(scope="app")
    if c2.button("Keep the current scenario", key="wi_offer_no"):
        SS.pop("wi_offer", None)
        st.rerun(scope="app")


def show_messages() -> None:
    for kind, msg in SS.pop("wi_msgs", []):  # names and values in them are escaped where they are written
        getattr(st, kind)(msg, icon=":material/info:" if kind == "info" else None)


def show_errors(title: str, errors: list[str]) -> None:
    st.error(title + "\n\n" + "\n".join(f"- {md(e)}" for e in errors[:12]), icon=":material/error:")


def rerun_results() -> None:
    st.rerun(RESULTS)


def rerun_both() -> None:
    st.rerun([LEVERS, RESULTS])


def money(x: float) -> str:
    if abs(x) >= 1e9:
        return f"£{x / 1e9:,.2f}bn"
    if abs(x) >= 1e6:
        return f"£{x / 1e6:,.1f}m"
    return f"£{x:,.0f}"


# ------------------------------------------------------------------------------------------------
# Workshop mode (projector layout) and the change log of a session
# ------------------------------------------------------------------------------------------------
WORKSHOP_PARAM = "workshop"          # ?workshop=1 turns it on; any other value is ignored with a notice
WORKSHOP_KEY = "wi_workshop"


def workshop_from_url() -> None:
    """Read ?workshop= once per session (validated: '1' / '0' only) into the switch's state."""
    if SS.get("wi_workshop_url_read"):
        return
    SS["wi_workshop_url_read"] = True
    raw = st.query_params.get(WORKSHOP_PARAM)
    if raw is None:
        return
    if str(raw) in ("1", "0"):
        SS[WORKSHOP_KEY] = str(raw) == "1"
    else:
        shown = str(raw)[:20]
        SS.setdefault("wi_msgs", []).append(("info", f"The link's workshop value {quoted(shown)} is not one we "
                                                     "recognise (use 1 or 0), so the normal layout is shown."))


def workshop_on() -> bool:
    return bool(SS.get(WORKSHOP_KEY, False))


def workshop_changed() -> None:
    if workshop_on():
        st.query_params[WORKSHOP_PARAM] = "1"
    else:
        st.query_params.pop(WORKSHOP_PARAM, None)


def log_change(what: str, value) -> None:
    """One row of the session's change log (downloadable as CSV from the save panel)."""
    from lib.whatif import library
    SS.setdefault("wi_log", []).append(library.log_row(auth_user(), what, value))


def library_url() -> str | None:
    """The deployment's library database ([workforce] database_url in the secrets, checked by
    lib.sharing.settings), or None: SQLite in the store."""
    url = auth.settings().get("database_url")
    return str(url) if url else None


def auth_user() -> str:
    """Who: the trusted signed-in address (the one the allow-list admitted, lib.sharing.access) when sign-in is
    configured, else 'anonymous (local)'. Library entries are owned by it (lib.whatif.library)."""
    from lib.sharing import access
    from lib.whatif import library
    if not auth.auth_configured():
        return library.ANONYMOUS
    try:
        tenant = access.policy_from(auth.settings(), os.environ).entra_tenant
    except ValueError:  # a broken allow-list lets nobody in (ui.auth.gate); no tenant claims are trusted
        tenant = None
    return access.email_of(st.user.to_dict(), tenant) or "signed-in user without a verified address"
