"""axe-core sweep, part real_states: the states on the real store (Nov 2025 on 2022 boundaries, an organisation
chosen, a system's sickness). The runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per part, so the
workers share the sweep)."""
from tests.browser.axe_sweep import *  # noqa: F403

PART = "real_states"
