"""axe-core sweep, part demo_pages_b: the demo store's other pages, opened from their links, and their Tab walks. The
runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per part, so the workers share the sweep)."""
from tests.browser.axe_sweep import *  # noqa: F403
from tests.browser.axe_sweep import test_skip_link_brings_each_pages_choosers_within_a_few_tab_stops  # noqa: F401

PART = "demo_pages_b"
