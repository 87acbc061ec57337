"""The days of an account that the early warning can ever read: the rest of its grid is dropped.

The early warning scores an account on day t only while one of its milestones is open, not
yet overdue, and turns overdue within the horizon (journey.risk.labels.eligible). So t is at
most the journey's `last_open_day` (its latest due day plus the grace days) after the
account's start date. A snapshot on t reads grid rows up to t only, and a milestone first
achieved after that day was missed either way (it was achieved late or never), so no grid
row after it changes what the model learns from or scores.

The nightly run keeps only the rows up to that day (`watched`): the grid it keeps is bounded
by the accounts that are in their journeys, not by how long the history is. With the
example journeys (45 days at most) that is 1.7M of 4.5M rows at 50,000 accounts and 180 days
of history, and it stays near there however long the history grows.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from journey.journeys import Journey

#: The column `watch_end` is computed into.
UNTIL = "__watch_until"


def watch_end(journeys: Mapping[str, Journey]) -> pl.Expr:
    """On rows with `journey` and `start_date`: the account's last day the early warning can
    read (start_date + the journey's `last_open_day`)."""
    days = {journey_id: journey.last_open_day for journey_id, journey in journeys.items()}
    offset = pl.col("journey").replace_strict(days, return_dtype=pl.Int64)
    return (pl.col("start_date") + pl.duration(days=offset)).alias(UNTIL)


def watched(
    grid: pl.LazyFrame, accounts: pl.LazyFrame, journeys: Mapping[str, Journey]
) -> pl.LazyFrame:
    """The rows of `grid` (account_id, day, ...) on each account's days up to its `watch_end`,
    in their order; `accounts` (account_id, journey, start_date) holds every account of the
    grid."""
    until = accounts.select("account_id", watch_end(journeys))
    return (
        grid.join(until, on="account_id", how="left", maintain_order="left")
        .filter(pl.col("day") <= pl.col(UNTIL))
        .drop(UNTIL)
    )
