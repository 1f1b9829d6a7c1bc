"""axe-core sweep, part demo_states: the states people use on the demo store (workshop mode, its popovers and compare view, Turnover's popovers).
The runs, fixtures and tests are tests/browser/axe_sweep.py's (one file per part, so the workers share the sweep)."""
from tests.browser.axe_sweep import (measured, part, real_server,  # noqa: F401  fixtures
                                     test_every_needs_review_result_says_what_a_person_checked,
                                     test_no_axe_violation_on_any_page_or_state,
                                     test_statement_quotes_this_run)

PART = "demo_states"
# no Tab walks here: the walks start from a page nobody has touched, on the demo pages' parts
__all__ = ["test_every_needs_review_result_says_what_a_person_checked", "test_no_axe_violation_on_any_page_or_state",
           "test_statement_quotes_this_run"]
