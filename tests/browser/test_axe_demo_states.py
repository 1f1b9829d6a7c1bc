"""axe-core sweep, part demo_states: the states people use on the demo store (workshop mode, its popovers and compare
view, Turnover's popovers). The runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per part, so the
workers share the sweep)."""
from tests.browser.axe_sweep import *  # noqa: F403

PART = "demo_states"
