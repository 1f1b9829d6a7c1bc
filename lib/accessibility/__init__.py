"""Accessibility: the WCAG contrast formula over colours and chart specs, and the measured results the
accessibility statement quotes (written by tests/browser/axe_sweep.py, never typed by hand)."""
