"""axe-core sweep, part real_pages_a: the real store's first seven pages (2026 boundaries, May 2026).
The runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per part, so the workers share the sweep)."""
from tests.browser.axe_sweep import (measured, part, real_server,  # noqa: F401  fixtures
                                     test_every_needs_review_result_says_what_a_person_checked,
                                     test_no_axe_violation_on_any_page_or_state,
                                     test_statement_quotes_this_run)

PART = "real_pages_a"
# no Tab walks here: the walks start from a page nobody has touched, on the demo pages' parts
__all__ = ["test_every_needs_review_result_says_what_a_person_checked", "test_no_axe_violation_on_any_page_or_state",
           "test_statement_quotes_this_run"]
