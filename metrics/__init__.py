"""Behavioural data: sources, input contracts, metric definitions and the lazy metric pipeline."""
