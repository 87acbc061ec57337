"""Milestones over time: when each was achieved, and how far along it was on any day.

From the metric grid up to the newest day, `milestone_table` gives one row per account and
milestone with its due day and the day it was first achieved. Because achievement is the
first day the condition holds, "achieved by t" is simply `achieved_on <= t` for every earlier
day t, so the status on any past day follows without evaluating that day again:

- overdue on t: not achieved by t and t >= `overdue_from` (= due_on + grace_days + 1);
- off track on t: some milestone overdue on t (DESIGN §6).

`progress_expr` measures how far a condition is from holding, 0..1: value / threshold for a
`gte`/`gt` comparison with a positive number, the smallest part of an `all`, the largest part
of an `any`, and 1 or 0 otherwise.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from journey.journeys import Journey
from journey.risk.history import days_earlier
from segments.conditions import AllOf, AnyOf, Comparison, Condition, to_expr

#: Columns of `milestone_table`.
MILESTONE_COLUMNS = (
    "account_id",
    "position",
    "milestone",
    "due_day",
    "due_on",
    "overdue_from",
    "achieved_on",
    "critical",
    "metric",
    "threshold",
    "warning_days",
)


def _threshold(condition: Condition) -> float | None:
    if not isinstance(condition, Comparison) or condition.metric is None:
        return None
    operand = condition.operand
    if condition.operator not in ("gte", "gt") or isinstance(operand, bool):
        return None
    if not isinstance(operand, int | float) or operand <= 0:
        return None
    return float(operand)


def _raw_progress(condition: Condition) -> pl.Expr:
    threshold = _threshold(condition)
    if threshold is not None:
        assert isinstance(condition, Comparison)
        return (pl.col(condition.subject).fill_null(0.0) / threshold).clip(0.0, 1.0)
    if isinstance(condition, AllOf) and condition.all:
        return pl.min_horizontal([_raw_progress(c) for c in condition.all])
    if isinstance(condition, AnyOf) and condition.any:
        return pl.max_horizontal([_raw_progress(c) for c in condition.any])
    return to_expr(condition).cast(pl.Float64)


def progress_expr(condition: Condition) -> pl.Expr:
    """How far the condition is from holding on a grid row, 0..1 (1 exactly when it holds)."""
    raw = _raw_progress(condition)
    return pl.when(to_expr(condition)).then(1.0).otherwise(raw.clip(0.0, 0.999))


def milestone_table(
    grid: pl.DataFrame, accounts: pl.DataFrame, journeys: dict[str, Journey]
) -> pl.DataFrame:
    """One row per account x milestone of its journey (MILESTONE_COLUMNS), from the grid."""
    frames = []
    for journey in journeys.values():
        ids = accounts.filter(pl.col("journey") == journey.id).select("account_id")
        rows = grid.join(ids, on="account_id", how="semi")
        achieved = rows.group_by("account_id").agg(
            pl.col("start_date").first(),
            *[
                pl.col("day").filter(to_expr(m.when)).min().alias(f"a{i}")
                for i, m in enumerate(journey.milestones)
            ],
        )
        for i, milestone in enumerate(journey.milestones):
            due_on = pl.col("start_date") + pl.duration(days=milestone.due_day)
            metrics = milestone.metrics
            frames.append(
                achieved.select(
                    "account_id",
                    position=pl.lit(i, dtype=pl.Int32),
                    milestone=pl.lit(milestone.id),
                    due_day=pl.lit(milestone.due_day, dtype=pl.Int32),
                    due_on=due_on,
                    overdue_from=due_on + pl.duration(days=journey.grace_days + 1),
                    achieved_on=pl.col(f"a{i}"),
                    critical=pl.lit(milestone.critical),
                    metric=pl.lit(metrics[0] if metrics else None, dtype=pl.String),
                    threshold=pl.lit(_threshold(milestone.when), dtype=pl.Float64),
                    warning_days=pl.lit(journey.warning_days, dtype=pl.Int32),
                )
            )
    schema_frame = pl.DataFrame(
        schema={
            "account_id": pl.String,
            "position": pl.Int32,
            "milestone": pl.String,
            "due_day": pl.Int32,
            "due_on": pl.Date,
            "overdue_from": pl.Date,
            "achieved_on": pl.Date,
            "critical": pl.Boolean,
            "metric": pl.String,
            "threshold": pl.Float64,
            "warning_days": pl.Int32,
        }
    )
    return pl.concat([schema_frame, *frames], how="vertical").sort("account_id", "position")


def snapshot_progress(
    grid: pl.DataFrame, accounts: pl.DataFrame, journeys: dict[str, Journey], days: list[dt.date]
) -> pl.DataFrame:
    """(account_id, day, position, progress, progress_7d) for each milestone on each of `days`.

    `progress_7d` is the change in progress over the 7 days before `day`.
    """
    frames = []
    for journey in journeys.values():
        ids = accounts.filter(pl.col("journey") == journey.id)["account_id"]
        rows = grid.lazy().filter(pl.col("account_id").is_in(ids.implode()))
        for i, milestone in enumerate(journey.milestones):
            progress = progress_expr(milestone.when)
            frames.append(
                rows.select(
                    "account_id",
                    "day",
                    pl.lit(i, dtype=pl.Int32).alias("position"),
                    progress.alias("progress"),
                    (progress - days_earlier(progress, 7)).alias("progress_7d"),
                ).filter(pl.col("day").is_in(days))
            )
    if not frames:
        return pl.DataFrame(
            schema={
                "account_id": pl.String,
                "day": pl.Date,
                "position": pl.Int32,
                "progress": pl.Float64,
                "progress_7d": pl.Float64,
            }
        )
    return pl.concat(pl.collect_all(frames), how="vertical")
