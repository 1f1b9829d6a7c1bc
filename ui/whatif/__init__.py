"""The what-if studio page, split by job: session (state, cached runs), levers, results, panels, page."""
