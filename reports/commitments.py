"""Commitments (reports.schema.COMMITMENT_SCHEMA): what counts as open and as overdue.

A commitment is *overdue* on `as_of` when it is still open and its due date is before
`as_of` (due today is not yet late). The sessions commands and the report's ranking share
this one definition.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

#: Columns of `overdue_commitment_counts`.
OVERDUE_COUNT_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "overdue_commitments": pl.Int32(),
}


def is_open() -> pl.Expr:
    """The commitment is not done."""
    return pl.col("status") == "open"


def is_overdue(as_of: dt.date) -> pl.Expr:
    """The commitment is open and was due before `as_of`."""
    return is_open() & (pl.col("due_on") < pl.lit(as_of))


def overdue_commitment_counts(commitments: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Per account with at least one overdue commitment: account_id, overdue_commitments."""
    return (
        commitments.filter(is_overdue(as_of))
        .group_by("account_id")
        .agg(pl.len().cast(pl.Int32).alias("overdue_commitments"))
        .sort("account_id")
        .select([pl.col(name).cast(dtype) for name, dtype in OVERDUE_COUNT_SCHEMA.items()])
    )
