"""axe-core sweep, part real_pages_b_and_states: the real store's other pages and its states (Nov 2025 on 2022
boundaries, an organisation, sickness). The runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per
part, so the workers share the sweep)."""
from tests.browser.axe_sweep import *  # noqa: F403

PART = "real_pages_b_and_states"
