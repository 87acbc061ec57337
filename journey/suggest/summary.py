"""What `journey segments suggest` reads of the usage history: one row per account.

An account's early behaviour (every metric on three checkpoint days of its first N) and
its journey outcomes today depend on that account's own days alone, so they are computed
part by part of the history as it is read (`journey.risk.history.read_history`): the
whole daily grid of every account is never held at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from journey.journeys import Journey
from journey.risk.history import History
from journey.risk.timeline import milestone_table

#: The outcome columns of `account_summary`.
OUTCOMES = ("due", "on_time", "completed", "off_track")


@dataclass(frozen=True)
class Behaviour:
    """What the suggestions are learned from: the accounts, and a summary row for each one
    at least `days` into its journey."""

    until: dt.date
    days: int
    metrics: tuple[str, ...]
    accounts: pl.DataFrame  # `History.accounts`
    rows: pl.DataFrame  # `account_summary` of every part of the history, in account order

    @property
    def columns(self) -> list[str]:
        """The early-behaviour columns of `rows`."""
        return behaviour_columns(self.metrics, self.days)


def account_summary(history: History, days: int, journeys: dict[str, Journey]) -> pl.DataFrame:
    """One row per account of `history.grid` at least `days` in: its early behaviour
    (`early_behaviour`) and its outcomes today (`outcomes`), in account order."""
    return early_behaviour(history, days).join(
        outcomes(history, journeys), on="account_id", how="left", maintain_order="left"
    )


def checkpoints(days: int) -> tuple[int, ...]:
    return tuple(sorted({max(1, days // 3), max(1, 2 * days // 3), days}))


def behaviour_columns(metrics: tuple[str, ...], days: int) -> list[str]:
    """`M@d`: each metric M on each checkpoint day d."""
    return [f"{m}@{d}" for m in metrics for d in checkpoints(days)]


def early_behaviour(history: History, days: int) -> pl.DataFrame:
    """One row per account at least `days` in: `M@d` for each metric M and checkpoint d."""
    marks = checkpoints(days)
    rows = history.grid.with_columns(
        at=(pl.col("day") - pl.col("start_date")).dt.total_days()
    ).filter(pl.col("at").is_in(list(marks)))
    wide = rows.pivot(on="at", index="account_id", values=list(history.metrics))
    renamed = {
        f"{m}_{d}" if len(history.metrics) > 1 else str(d): f"{m}@{d}"
        for m in history.metrics
        for d in marks
    }
    wide = wide.rename({k: v for k, v in renamed.items() if k in wide.columns})
    columns = behaviour_columns(history.metrics, days)
    # A part of the history where no account reached a checkpoint has no column for it.
    wide = wide.with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c) for c in columns if c not in wide.columns
    )
    return wide.drop_nulls(columns).select("account_id", *columns).sort("account_id")


def outcomes(history: History, journeys: dict[str, Journey]) -> pl.DataFrame:
    """Per account on the newest day: on-time share of due milestones, completed, off track."""
    until = history.until
    table = milestone_table(history.grid, history.accounts, journeys)
    achieved = pl.col("achieved_on").is_not_null()
    due = pl.col("due_on") <= until
    return table.group_by("account_id").agg(
        due=due.sum(),
        on_time=(due & achieved & (pl.col("achieved_on") <= pl.col("due_on"))).sum(),
        completed=achieved.all(),
        off_track=(~achieved & (pl.col("overdue_from") <= until)).any(),
    )
