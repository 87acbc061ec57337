"""Metric values per account per journey day, as one lazy polars plan.

The plan works on a dense grid: one row per account per day from its start_date through
as_of, numbered `__r` = 0, 1, 2, ... in (account, day) order, so that an account's days are
the rows `__offset .. __end - 1`. Usage rows are tagged with their grid row once
(`journey_rows`); from then on every metric is integer work on row numbers — no string keys,
no per-account window expressions:

- each metric becomes sparse *changes* (grid row, change), all metrics' changes are combined
  and joined into the grid once, and a cumulative sum turns them into values;
- count: the change on day d is that day's count; the running total is a global cumulative
  sum minus its value just before the account's first row (exact: counts are integers). A
  window of W days subtracts the total W rows (= W days) earlier, within the account.
- sum: the same, but the cumulative sum runs per account, so that float rounding of other
  accounts never leaks into a value;
- distinct: a value (e.g. a user) is "live" on days a..a+W-1 after each day a it appears on;
  each run of coverage becomes +1 on its first day and -1 on the day after it ends (dropped
  when that is after as_of), so the running sum is the number of distinct live values —
  linear in the data after one single-column integer sort (values are told apart by a 64-bit
  hash; see `_distinct_changes`). Without a window a value is live from its first day on.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.definitions import CountMetric, DistinctMetric, Metric, SumMetric
from segments.conditions import to_expr

ACCOUNT = "account_id"
DAY = "day"
ROW = "__r"  # grid row of an (account, day)
OFFSET = "__offset"  # grid row of the account's start_date
END = "__end"  # one past the grid row of the account's as_of
CHANGE = "__change"


def account_index(accounts: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """(account_id, start_date, __offset, __end): where each account's days lie in the grid.

    Accounts that start after as_of have no rows. Sorted by account_id.
    """
    days = (pl.lit(as_of) - pl.col("start_date")).dt.total_days() + 1
    return (
        accounts.filter(pl.col("start_date") <= as_of)
        .select(ACCOUNT, "start_date")
        .sort(ACCOUNT)
        .with_columns(days.cast(pl.Int64).cum_sum().alias(END))
        .with_columns((pl.col(END) - days).alias(OFFSET))
    )


def grid_of(index: pl.LazyFrame) -> pl.LazyFrame:
    """The dense grid of an `account_index`: (account_id, start_date, day, __r, __offset)."""
    return (
        index.with_columns(pl.int_ranges(OFFSET, END).alias(ROW))
        .explode(ROW)
        .with_columns(
            (pl.col("start_date") + pl.duration(days=pl.col(ROW) - pl.col(OFFSET))).alias(DAY)
        )
        .select(ACCOUNT, "start_date", DAY, ROW, OFFSET)
    )


def day_grid(accounts: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """One row per account per day from start_date through as_of, sorted by account and day."""
    return grid_of(account_index(accounts, as_of)).select(ACCOUNT, "start_date", DAY)


def journey_rows(rows: pl.LazyFrame, index: pl.LazyFrame) -> pl.LazyFrame:
    """Usage rows on days from the account's start_date through as_of, tagged with their grid
    row (`__r`) and the account's `__end`; rows of other days or accounts are left out."""
    tagged = rows.join(index, on=ACCOUNT, how="inner").with_columns(
        (pl.col(OFFSET) + (pl.col(DAY) - pl.col("start_date")).dt.total_days()).alias(ROW)
    )
    return tagged.filter((pl.col(ROW) >= pl.col(OFFSET)) & (pl.col(ROW) < pl.col(END))).drop(OFFSET)


def _where(name: str) -> str:
    return f"__where.{name}"


def _code(column: str) -> str:
    return f"__code.{column}"


def compact_usage(rows: pl.LazyFrame, metrics: dict[str, Metric]) -> pl.LazyFrame:
    """Just what `metrics` need of usage rows (from `journey_rows`), in small integer types.

    (`__r`, `__end`) as UInt32, one Boolean per metric with a `where`, the summed columns as
    Float64, and each distinct column as its 64-bit hash. Computing conditions and hashes in
    the one pass over the data keeps the wide rows out of memory.
    """
    columns: dict[str, pl.Expr] = {
        ROW: pl.col(ROW).cast(pl.UInt32),
        END: pl.col(END).cast(pl.UInt32),
    }
    for name, metric in metrics.items():
        if metric.where is not None:
            columns[_where(name)] = to_expr(metric.where).fill_null(False)
        if isinstance(metric, SumMetric):
            columns[metric.sum] = pl.col(metric.sum).cast(pl.Float64)
        if isinstance(metric, DistinctMetric):
            value = pl.col(metric.distinct).cast(pl.String)
            columns[_code(metric.distinct)] = pl.when(value.is_not_null()).then(value.hash())
    return rows.select([expr.alias(name) for name, expr in columns.items()])


def _distinct_changes(rows: pl.LazyFrame, column: str, window: int | None) -> pl.LazyFrame:
    """(__r, __change) coverage changes of a distinct metric; see the module docstring.

    Only where coverage really changes: an appearance within W days of the previous one
    extends a run of coverage rather than starting one.
    """
    # Values are told apart by a 64-bit hash (a collision within one account, about
    # k^2 / 2^65 for k values, would count two values as one), renumbered densely so that
    # one u64 key per (value, grid row) holds the number in the high half and the row in the
    # low half. Grid rows of different accounts never overlap, so sorting the key orders each
    # (account, value) pair's days, and equal keys are repeats within a day. One single-column
    # sort is much cheaper than a multi-column one or a categorical cast of the strings.
    hashed = rows.filter(pl.col(_code(column)).is_not_null())
    numbers = (
        hashed.select(pl.col(_code(column)).unique())
        .with_row_index("__number")
        .select(_code(column), "__number")
    )
    key = (pl.col("__number").cast(pl.UInt64) * (1 << 32) + pl.col(ROW).cast(pl.UInt64)).alias(
        "__key"
    )
    seen = (
        hashed.join(numbers, on=_code(column))
        .select(key, pl.col(END).cast(pl.UInt32))
        .sort("__key")
        .filter(pl.col("__key") != pl.col("__key").shift(1).fill_null(-1))
    )
    value = pl.col("__key") // (1 << 32)
    row = (pl.col("__key") % (1 << 32)).cast(pl.Int64)  # the grid row, kept in the key only

    def same(shift: int) -> pl.Expr:
        return (
            (value.shift(shift) == value) & (pl.col(END).shift(shift) == pl.col(END))
        ).fill_null(False)

    if window is None:
        return seen.filter(~same(1)).select(row.alias(ROW), pl.lit(1.0).alias(CHANGE))
    starts = seen.filter(~same(1) | (row - row.shift(1) > window)).select(
        row.alias(ROW), pl.lit(1.0).alias(CHANGE)
    )
    # A run ends W days after its last appearance; an end after the account's as_of is
    # dropped, since the running total restarts per account.
    stops = seen.filter(
        (~same(-1) | (row.shift(-1) - row > window)) & (row + window < pl.col(END).cast(pl.Int64))
    ).select((row + window).alias(ROW), pl.lit(-1.0).alias(CHANGE))
    return pl.concat([starts, stops])


def _changes(rows: pl.LazyFrame, name: str, metric: Metric) -> pl.LazyFrame:
    """(__r, __change) for one metric over compact rows; windows of count/sum come later."""
    if metric.where is not None:
        rows = rows.filter(pl.col(_where(name)))
    if isinstance(metric, CountMetric):
        return rows.group_by(ROW).agg(pl.len().cast(pl.Float64).alias(CHANGE))
    if isinstance(metric, SumMetric):
        return rows.group_by(ROW).agg(pl.col(metric.sum).sum().alias(CHANGE))
    assert isinstance(metric, DistinctMetric)
    return _distinct_changes(rows, metric.distinct, metric.window_days)


def _value(name: str, metric: Metric) -> pl.Expr:
    """The metric's value from its per-row changes (column `name`) in grid order."""
    change = pl.col(name)
    if isinstance(metric, SumMetric):
        total = change.cum_sum().over(OFFSET)
        if metric.window_days:
            return (total - total.shift(metric.window_days).over(OFFSET).fill_null(0.0)).alias(name)
        return total.alias(name)
    total = change.cum_sum()
    first = pl.col(ROW) == pl.col(OFFSET)
    # The running total just before the account's first row, carried along its rows.
    base = pl.when(first).then(total - change).forward_fill()
    if isinstance(metric, CountMetric) and metric.window_days:
        window = metric.window_days
        earlier = pl.when(pl.col(ROW) - pl.col(OFFSET) >= window).then(total.shift(window))
        return (total - earlier.otherwise(base)).alias(name)
    return (total - base).alias(name)


def grid_values(
    grid: pl.LazyFrame,
    sources: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
) -> pl.LazyFrame:
    """The grid (from `grid_of`) with one Float64 column per metric.

    `sources` maps a source name (`events`, `daily`) to its `compact_usage` rows.
    """
    if not metrics:
        return grid
    names = list(metrics)
    # Each metric's changes in a column of its own; stacked diagonally (other metrics' columns
    # null), one plain sum per grid row puts them side by side.
    changes = [
        _changes(sources[metric.source], name, metric).select(
            pl.col(ROW).cast(pl.Int64), pl.col(CHANGE).alias(name)
        )
        for name, metric in metrics.items()
    ]
    wide = pl.concat(changes, how="diagonal").group_by(ROW).agg(pl.col(names).sum())
    frame = grid.join(wide, on=ROW, how="left", maintain_order="left").with_columns(
        [pl.col(name).fill_null(0.0) for name in names]
    )
    return frame.with_columns([_value(name, metric) for name, metric in metrics.items()])


def compact_sources(
    rows: dict[str, pl.LazyFrame], metrics: dict[str, Metric]
) -> dict[str, pl.LazyFrame]:
    """`compact_usage` of each source for the metrics that read it (cached: several read it)."""
    return {
        source: compact_usage(
            frame, {n: m for n, m in metrics.items() if m.source == source}
        ).cache()
        for source, frame in rows.items()
    }


def metric_values(
    grid: pl.LazyFrame,
    sources: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
) -> pl.LazyFrame:
    """`grid` (from `day_grid`) with one Float64 column per metric: its value on that day.

    `sources` maps a source name (`events`, `daily`) to rows with `account_id` and `day`
    already restricted to each account's start_date..as_of.
    """
    if not metrics:
        return grid
    days = pl.len().cast(pl.Int64)
    index = (
        grid.group_by(ACCOUNT)
        .agg(pl.col("start_date").first(), days.alias("__days"))
        .sort(ACCOUNT)
        .with_columns(pl.col("__days").cum_sum().alias(END))
        .select(ACCOUNT, "start_date", (pl.col(END) - pl.col("__days")).alias(OFFSET), END)
    )
    tagged = {name: journey_rows(rows, index) for name, rows in sources.items()}
    values = grid_values(grid_of(index), compact_sources(tagged, metrics), metrics).select(
        ACCOUNT, DAY, *metrics
    )
    return grid.join(values, on=[ACCOUNT, DAY], how="left", maintain_order="left")


def last_activity(rows: pl.LazyFrame, index: pl.LazyFrame) -> pl.LazyFrame:
    """(account_id, last_activity): the latest usage day within the journey window.

    `rows` are compact usage rows (`compact_usage`); `index` is their `account_index`.
    """
    latest = rows.group_by(END).agg(pl.col(ROW).max().cast(pl.Int64).alias("__latest"))
    return (
        index.with_columns(pl.col(END).cast(pl.Int64))
        .join(latest, on=END)
        .select(
            ACCOUNT,
            (pl.col("start_date") + pl.duration(days=pl.col("__latest") - pl.col(OFFSET))).alias(
                "last_activity"
            ),
        )
    )
