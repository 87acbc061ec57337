"""Metric values per account per journey day, as one lazy polars plan.

The plan works on a dense grid: one row per account per day from its start_date through
as_of. Each metric first becomes sparse daily *changes* (per account and day), the changes of
all metrics are combined into the grid with one join, and a cumulative sum per account turns
them into values:

- count / sum: the change on day d is that day's count or sum; a window of W days subtracts
  the cumulative value W rows (= W days) earlier.
- distinct: a value (e.g. a user) is "live" on days a..a+W-1 after each day a it appears on;
  its coverage becomes +1 where it starts and -1 where it ends, so the running sum is the
  number of distinct live values — exact, and linear in the data. Without a window a value
  is live from its first day on.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.definitions import CountMetric, DistinctMetric, Metric, SumMetric
from segments.conditions import to_expr

ACCOUNT = "account_id"
DAY = "day"


def day_grid(accounts: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """One row per account per day from start_date through as_of, sorted by account and day."""
    return (
        accounts.filter(pl.col("start_date") <= as_of)
        .select(ACCOUNT, "start_date", pl.date_ranges("start_date", pl.lit(as_of)).alias(DAY))
        .explode(DAY)
        .sort(ACCOUNT, DAY)
    )


def _matching(rows: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    return rows if metric.where is None else rows.filter(to_expr(metric.where))


def _changes(rows: pl.LazyFrame, metric: Metric) -> pl.LazyFrame:
    """(account_id, day, change) for one metric; windows of count/sum are applied later."""
    rows = _matching(rows, metric)
    if isinstance(metric, CountMetric):
        return rows.group_by(ACCOUNT, DAY).agg(pl.len().cast(pl.Float64).alias("change"))
    if isinstance(metric, SumMetric):
        return rows.group_by(ACCOUNT, DAY).agg(
            pl.col(metric.sum).cast(pl.Float64).sum().alias("change")
        )
    assert isinstance(metric, DistinctMetric)
    seen = rows.filter(pl.col(metric.distinct).is_not_null()).select(
        ACCOUNT, DAY, pl.col(metric.distinct).cast(pl.String).alias("__value")
    )
    if metric.window_days is None:
        firsts = seen.group_by(ACCOUNT, "__value").agg(pl.col(DAY).min())
        return firsts.group_by(ACCOUNT, DAY).agg(pl.len().cast(pl.Float64).alias("change"))
    window = metric.window_days
    days = seen.unique().sort(ACCOUNT, "__value", DAY)
    next_day = pl.col(DAY).shift(-1).over(ACCOUNT, "__value")
    window_end = pl.col(DAY) + pl.duration(days=window)
    # Coverage of an appearance ends at the next appearance or after W days, whichever first.
    ends = days.with_columns(
        __end=pl.when(next_day.is_not_null() & (next_day < window_end))
        .then(next_day)
        .otherwise(window_end)
    )
    starts = ends.select(ACCOUNT, DAY, pl.lit(1.0).alias("change"))
    stops = ends.select(ACCOUNT, pl.col("__end").alias(DAY), pl.lit(-1.0).alias("change"))
    return pl.concat([starts, stops]).group_by(ACCOUNT, DAY).agg(pl.col("change").sum())


def _subtracted_window(metric: Metric) -> int | None:
    """The window a count/sum subtracts (distinct windows are exact already)."""
    return None if isinstance(metric, DistinctMetric) else metric.window_days


def metric_values(
    grid: pl.LazyFrame,
    sources: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
) -> pl.LazyFrame:
    """The grid with one Float64 column per metric: its value on that account and day.

    `sources` maps a source name (`events`, `daily`) to rows with `account_id` and `day`
    already restricted to each account's start_date..as_of.
    """
    if not metrics:
        return grid
    changes = [
        _changes(sources[metric.source], metric).with_columns(__metric=pl.lit(name))
        for name, metric in metrics.items()
    ]
    wide = (
        pl.concat(changes)
        .group_by(ACCOUNT, DAY)
        .agg(
            [
                pl.col("change").filter(pl.col("__metric") == name).sum().alias(name)
                for name in metrics
            ]
        )
    )
    frame = (
        grid.join(wide, on=[ACCOUNT, DAY], how="left")
        .with_columns([pl.col(name).fill_null(0.0) for name in metrics])
        .sort(ACCOUNT, DAY)
    )
    cumulative = frame.with_columns([pl.col(name).cum_sum().over(ACCOUNT) for name in metrics])
    return cumulative.with_columns(
        [
            (pl.col(name) - pl.col(name).shift(window).over(ACCOUNT).fill_null(0.0))
            for name, metric in metrics.items()
            if (window := _subtracted_window(metric))
        ]
    )


def last_activity(events: pl.LazyFrame) -> pl.LazyFrame:
    """(account_id, last_activity): the latest event day within the journey window."""
    return events.group_by(ACCOUNT).agg(pl.col(DAY).max().alias("last_activity"))
