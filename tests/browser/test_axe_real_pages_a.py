"""axe-core sweep, part real_pages_a: the real store's first seven pages (2026 boundaries, May 2026). The runs, fixtures
and tests are tests/browser/axe_sweep.py's (one file per part, so the workers share the sweep)."""
from tests.browser.axe_sweep import *  # noqa: F403

PART = "real_pages_a"
