"""axe-core sweep, part demo_pages_b: the demo store's other pages, opened from their links, and their Tab walks.
The runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per part, so the workers share the sweep)."""
from tests.browser.axe_sweep import (measured, part, real_server,  # noqa: F401  fixtures
                                     test_every_needs_review_result_says_what_a_person_checked,
                                     test_no_axe_violation_on_any_page_or_state,
                                     test_skip_link_brings_each_pages_choosers_within_a_few_tab_stops,
                                     test_statement_quotes_this_run)

PART = "demo_pages_b"
__all__ = ["test_every_needs_review_result_says_what_a_person_checked", "test_no_axe_violation_on_any_page_or_state",
           "test_skip_link_brings_each_pages_choosers_within_a_few_tab_stops", "test_statement_quotes_this_run"]
