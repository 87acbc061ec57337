"""Ranking, report rendering, exports and email delivery of evaluated results."""
