"""Pure logic over commitment frames (reports.schema.COMMITMENT_SCHEMA): what is overdue, in
what order a CSM should see them, and how many each account has overdue (for ranking).

A commitment is *overdue* on `as_of` when it is still open and its due date is before
`as_of` (due today is not yet late); see reports.commitments.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from reports.commitments import (
    OVERDUE_COUNT_SCHEMA,
    is_open,
    is_overdue,
    overdue_commitment_counts,
)

# The definitions of open and overdue live with the commitment contract, in reports.
__all__ = [
    "OVERDUE_COUNT_SCHEMA",
    "is_open",
    "is_overdue",
    "order_commitments",
    "overdue_commitment_counts",
    "select_commitments",
]


def order_commitments(commitments: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Open before done, overdue first, then by due date (the order a CSM reads them in)."""
    return commitments.sort(
        by=[~is_open(), ~is_overdue(as_of), pl.col("due_on"), pl.col("commitment_id")]
    )


def select_commitments(
    commitments: pl.DataFrame, as_of: dt.date, *, open_only: bool, overdue_only: bool
) -> pl.DataFrame:
    """The commitments `journey session list --open / --overdue` shows."""
    if overdue_only:
        return commitments.filter(is_overdue(as_of))
    if open_only:
        return commitments.filter(is_open())
    return commitments
