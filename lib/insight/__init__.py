"""Figures a page shows: metrics, trends, headlines, map tables, exports."""
