"""Metric values per account per journey day, as one lazy polars plan.

The plan works on a dense grid: one row per account per day from its start_date through
as_of, numbered `__r` = 0, 1, 2, ... in (account, day) order, so that an account's days are
the rows `__offset .. __end - 1`. Usage rows are tagged with their grid row once
(`grid_rows`); from then on every metric is integer work on row numbers — no string keys,
no per-account window expressions:

- each metric becomes sparse *changes* (grid row, change), counted into one dense column per
  metric that lines up with the grid (a bincount: no hashing, sorting or joining), and a
  cumulative sum turns them into values;
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
from collections.abc import Collection

import numpy as np
import polars as pl

from metrics.definitions import CountMetric, DistinctMetric, Metric, SumMetric
from segments.conditions import to_expr

ACCOUNT = "account_id"
DAY = "day"
ROW = "__r"  # grid row of an (account, day)
OFFSET = "__offset"  # grid row of the account's start_date
END = "__end"  # one past the grid row of the account's as_of
FIRST = "__first"  # the day of the account's first grid row
CHANGE = "__change"


def account_index(
    accounts: pl.LazyFrame, as_of: dt.date, since: dt.date | None = None
) -> pl.LazyFrame:
    """(account_id, start_date, __first, __offset, __end): where each account's days lie in
    the grid. The grid covers each account's days from `__first` = start_date (or `since`, if
    later: an incremental run) through as_of.

    Accounts that start after as_of have no rows. Sorted by account_id.
    """
    first = pl.col("start_date")
    if since is not None:
        first = pl.max_horizontal(first, pl.lit(since))
    days = (pl.lit(as_of) - pl.col(FIRST)).dt.total_days() + 1
    return (
        accounts.filter(pl.col("start_date") <= as_of)
        .select(ACCOUNT, "start_date", first.alias(FIRST))
        .sort(ACCOUNT)
        .with_columns(days.cast(pl.Int64).cum_sum().alias(END))
        .with_columns((pl.col(END) - days).alias(OFFSET))
    )


def placed_accounts(accounts: pl.LazyFrame, index: pl.LazyFrame) -> pl.LazyFrame:
    """Every account id of `accounts`, with where its days lie in the grid of `index` (an
    `account_index`; null for an account outside it): the known accounts that the usage rows
    are checked against, so that the one join also places them (`grid_rows`)."""
    return accounts.select(ACCOUNT).join(
        index.select(ACCOUNT, FIRST, OFFSET, END), on=ACCOUNT, how="left"
    )


def day_of_row(row: pl.Expr) -> pl.Expr:
    """The day of grid row `row`, on a frame with the account's `__first` and `__offset`."""
    return pl.col(FIRST) + pl.duration(days=row - pl.col(OFFSET))


def row_of_day(day: pl.Expr) -> pl.Expr:
    """The grid row of `day` (`day_of_row` the other way round)."""
    return pl.col(OFFSET) + (day - pl.col(FIRST)).dt.total_days()


def grid_of(index: pl.LazyFrame) -> pl.LazyFrame:
    """The dense grid of an `account_index`: (account_id, start_date, day, __r, __offset)."""
    return (
        index.with_columns(pl.int_ranges(OFFSET, END).alias(ROW))
        .explode(ROW)
        .with_columns(day_of_row(pl.col(ROW)).alias(DAY))
        .select(ACCOUNT, "start_date", DAY, ROW, OFFSET)
    )


def row_ends(index: pl.DataFrame) -> pl.Series:
    """Each grid row's `__end` (its account's), by grid row: a lookup by row is a gather."""
    days = (pl.col(END) - pl.col(OFFSET)).cast(pl.UInt32)
    return index.select(pl.col(END).cast(pl.UInt32).repeat_by(days)).explode(END)[END]


def day_grid(accounts: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """One row per account per day from start_date through as_of, sorted by account and day."""
    return grid_of(account_index(accounts, as_of)).select(ACCOUNT, "start_date", DAY)


def place_rows(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Usage rows on the days of the account's grid (start_date, or the index's `__first`,
    through as_of), tagged with their grid row (`__r`) and the account's `__end`; rows of
    other days or accounts are left out. The rows carry their account's `__first`,
    `__offset` and `__end` (null for an account outside the grid), joined on with the
    accounts check, which saves a second join of every usage row."""
    return grid_rows(rows).filter(pl.col(ROW).is_not_null())


def grid_rows(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Usage rows that carry their account's `__first`, `__offset` and `__end` (null for an
    account outside the grid), with `__r`: the grid row of a row on a day of its account's
    grid, null for any other row."""
    row = row_of_day(pl.col(DAY))
    inside = (row >= pl.col(OFFSET)) & (row < pl.col(END))
    return rows.with_columns(pl.when(inside).then(row).alias(ROW)).drop(OFFSET, FIRST)


def _where(name: str) -> str:
    return f"__where.{name}"


def read_by_sums(metrics: dict[str, Metric], column: str) -> pl.Expr | None:
    """On compact rows (`compact_usage` for `metrics`): whether a metric that sums `column`
    reads the row's value — a row on a day of its account's grid that matches the metric's
    `where`. None when no metric of `metrics` sums `column`."""
    sums = [n for n, m in metrics.items() if isinstance(m, SumMetric) and m.sum == column]
    if not sums:
        return None
    wheres = [pl.col(_where(n)) for n in sums if metrics[n].where is not None]
    matched = pl.any_horizontal(wheres) if len(wheres) == len(sums) else pl.lit(True)
    return pl.col(ROW).is_not_null() & matched


def _code(column: str) -> str:
    return f"__code.{column}"


def compact_usage(
    rows: pl.LazyFrame, metrics: dict[str, Metric], keep: tuple[str, ...] = ()
) -> pl.LazyFrame:
    """Just what `metrics` need of usage rows (from `place_rows` or `grid_rows`), in small
    integer types, and the columns `keep` as they are.

    (`__r`, `__end`) as UInt32, one Boolean per metric with a `where`, the summed columns as
    Float64, and each distinct column as its 64-bit hash. Computing conditions and hashes in
    the one pass over the data keeps the wide rows out of memory.
    """
    columns: dict[str, pl.Expr] = {
        ROW: pl.col(ROW).cast(pl.UInt32),
        END: pl.col(END).cast(pl.UInt32),
        **{name: pl.col(name) for name in keep},
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


CODE = "__code"  # a distinct value's 64-bit hash, in carried state


def _distinct_seen(
    rows: pl.LazyFrame, column: str, carried: pl.LazyFrame | None, row_ends: pl.Series
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(seen, numbers) of a distinct metric: every (value, grid row) it appears on, once, as a
    sorted u64 `__key`, with the account's `__end`; and each value's hash -> `__number`.

    `carried` adds appearances kept from an earlier run, (`__r`, `__code`). `row_ends` is
    each grid row's `__end` (`row_ends`), by grid row.
    """
    # Values are told apart by a 64-bit hash (a collision within one account, about
    # k^2 / 2^65 for k values, would count two values as one), renumbered densely so that
    # one u64 key per (value, grid row) holds the number in the high half and the row in the
    # low half. Grid rows of different accounts never overlap, so sorting the key orders each
    # (account, value) pair's days, and equal keys are repeats within a day. One single-column
    # sort is much cheaper than a multi-column one or a categorical cast of the strings, and
    # sorting the key alone cheaper than moving other columns along with it: the account's
    # end is looked up afterwards, on the fewer rows left.
    hashed = rows.filter(pl.col(_code(column)).is_not_null()).select(
        ROW, pl.col(_code(column)).alias(CODE)
    )
    if carried is not None:
        hashed = pl.concat([hashed, carried.select(pl.col(ROW).cast(pl.UInt32), CODE)])
    # Cached: the numbering (in no particular order) must be the same one wherever it is read.
    numbers = (
        hashed.select(pl.col(CODE).unique())
        .with_row_index("__number")
        .select(CODE, "__number")
        .cache()
    )
    key = (pl.col("__number").cast(pl.UInt64) * (1 << 32) + pl.col(ROW).cast(pl.UInt64)).alias(
        "__key"
    )
    seen = (
        hashed.join(numbers, on=CODE)
        .select(key)
        .sort("__key")
        .filter(pl.col("__key") != pl.col("__key").shift(1).fill_null(-1))
        .with_columns(pl.lit(row_ends).gather(_ROW).alias(END))
    )
    return seen, numbers


_VALUE = pl.col("__key") // (1 << 32)
_ROW = (pl.col("__key") % (1 << 32)).cast(pl.Int64)  # the grid row, kept in the key only


def _same(shift: int) -> pl.Expr:
    """Whether the row `shift` away holds the same (account, value)."""
    return ((_VALUE.shift(shift) == _VALUE) & (pl.col(END).shift(shift) == pl.col(END))).fill_null(
        False
    )


def _last_of_run(window: int) -> pl.Expr:
    return ~_same(-1) | (_ROW.shift(-1) - _ROW > window)


def _distinct_changes(seen: pl.LazyFrame, window: int | None) -> pl.LazyFrame:
    """(__r, __change) coverage changes of a distinct metric; see the module docstring.

    Only where coverage really changes: an appearance within W days of the previous one
    extends a run of coverage rather than starting one.
    """
    if window is None:
        return seen.filter(~_same(1)).select(_ROW.alias(ROW), pl.lit(1.0).alias(CHANGE))
    starts = seen.filter(~_same(1) | (_ROW - _ROW.shift(1) > window)).select(
        _ROW.alias(ROW), pl.lit(1.0).alias(CHANGE)
    )
    # A run ends W days after its last appearance; an end after the account's as_of is
    # dropped, since the running total restarts per account.
    stops = seen.filter(_last_of_run(window) & (_ROW + window < pl.col(END).cast(pl.Int64))).select(
        (_ROW + window).alias(ROW), pl.lit(-1.0).alias(CHANGE)
    )
    return pl.concat([starts, stops])


def _distinct_live(seen: pl.LazyFrame, numbers: pl.LazyFrame, window: int | None) -> pl.LazyFrame:
    """(__r, __end, __code): what an incremental run needs to carry on a distinct metric.

    With a window, each value's last appearance, if it still counts on as_of; without one,
    each value's first appearance (it counts from then on).
    """
    if window is None:
        kept = seen.filter(~_same(1))
    else:
        kept = seen.filter(_last_of_run(window) & (_ROW + window >= pl.col(END).cast(pl.Int64)))
    return (
        kept.select(_ROW.alias(ROW), END, _VALUE.alias("__number"))
        .join(numbers.select(pl.col("__number").cast(pl.UInt64), CODE), on="__number")
        .drop("__number")
    )


#: A distinct metric's appearances (`_distinct_seen`), by what they depend on: the source,
#: the column and the `where` (metrics alike in all three share them when nothing is carried).
_Seen = dict[tuple[str, str, str | None], tuple[pl.LazyFrame, pl.LazyFrame]]


def _changes(
    rows: pl.LazyFrame,
    name: str,
    metric: Metric,
    carried: pl.LazyFrame | None,
    row_ends: pl.Series,
    shared: _Seen,
) -> tuple[pl.LazyFrame, pl.LazyFrame | None]:
    """One metric's changes over compact rows, sparse: (__r) rows that each add 1, or
    (__r, __change) rows that each add their change; windows of count/sum come later.

    Also, for a distinct metric, its live values (`_distinct_live`) for the next run's state.
    `shared` keeps distinct metrics' appearances for others that count the same values (e.g.
    weekly and monthly active users): sorting them is the largest cost of such a metric.
    """
    if metric.where is not None:
        rows = rows.filter(pl.col(_where(name)))
    if isinstance(metric, DistinctMetric):
        where = None if metric.where is None else repr(metric.where)
        key = (metric.source, metric.distinct, where)
        if carried is not None:
            seen, numbers = _distinct_seen(rows, metric.distinct, carried, row_ends)
            seen = seen.cache()
        elif key in shared:
            seen, numbers = shared[key]
        else:
            seen, numbers = _distinct_seen(rows, metric.distinct, None, row_ends)
            seen = seen.cache()
            shared[key] = (seen, numbers)
        return _distinct_changes(seen, metric.window_days), _distinct_live(
            seen, numbers, metric.window_days
        )
    if isinstance(metric, CountMetric):
        if carried is None:
            return rows.select(ROW), None
        changes = rows.select(ROW, pl.lit(1.0).alias(CHANGE))
    else:
        assert isinstance(metric, SumMetric)
        # A null adds nothing, as in a sum.
        changes = rows.select(ROW, pl.col(metric.sum).cast(pl.Float64).fill_null(0.0).alias(CHANGE))
    if carried is not None:
        changes = pl.concat(
            [
                changes.select(pl.col(ROW).cast(pl.Int64), CHANGE),
                carried.select(pl.col(ROW).cast(pl.Int64), pl.col(CHANGE).cast(pl.Float64)),
            ]
        )
    return changes, None


def _dense(changes: pl.LazyFrame, size: int, name: str) -> pl.LazyFrame:
    """A metric's sparse changes (`_changes`) as one dense Float64 column `name` of `size`
    rows, one per grid row: a bincount of the rows' grid rows (weighted by `__change`), which
    neither hashes nor sorts, and lines up with the grid without a join."""
    weighted = CHANGE in changes.collect_schema().names()

    def count(batch: pl.Series) -> pl.Series:
        rows = batch.struct.field(ROW) if weighted else batch
        weights = batch.struct.field(CHANGE).to_numpy() if weighted else None
        counted = np.bincount(rows.to_numpy(), weights, minlength=size)
        return pl.Series(name, counted, dtype=pl.Float64)

    column = pl.struct(ROW, CHANGE) if weighted else pl.col(ROW)
    return changes.select(column.map_batches(count, return_dtype=pl.Float64).alias(name))


def running_total(name: str) -> str:
    """The column `grid_values(..., keep_totals=True)` keeps a count/sum metric's running
    total since start_date in (windows aside)."""
    return f"__total.{name}"


def day_change(name: str) -> str:
    """The column `grid_values(..., keep_totals=True)` keeps a count/sum metric's change of
    that day in."""
    return f"__day.{name}"


def _value(name: str, metric: Metric) -> tuple[pl.Expr, pl.Expr]:
    """The metric's (value, running total) from its per-row changes (column `name`)."""
    change = pl.col(name)
    if isinstance(metric, SumMetric):
        total = change.cum_sum().over(OFFSET)
        if metric.window_days:
            value = total - total.shift(metric.window_days).over(OFFSET).fill_null(0.0)
            return value.alias(name), total
        return total.alias(name), total
    total = change.cum_sum()
    first = pl.col(ROW) == pl.col(OFFSET)
    # The running total just before the account's first row, carried along its rows.
    base = pl.when(first).then(total - change).forward_fill()
    if isinstance(metric, CountMetric) and metric.window_days:
        window = metric.window_days
        earlier = pl.when(pl.col(ROW) - pl.col(OFFSET) >= window).then(total.shift(window))
        return (total - earlier.otherwise(base)).alias(name), total - base
    return (total - base).alias(name), total - base


def grid_values(
    index: pl.DataFrame,
    sources: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
    *,
    carried: dict[str, pl.LazyFrame] | None = None,
    keep_totals: bool = False,
) -> tuple[pl.LazyFrame, dict[str, pl.LazyFrame]]:
    """The grid of `index` (an `account_index`: `grid_of`) with one Float64 column per
    metric, and each distinct metric's live values (`_distinct_live`, for the next
    incremental run).

    `sources` maps a source name (`events`, `daily`) to its `compact_usage` rows.

    For incremental runs: `carried` maps a metric to what an earlier run left, in this grid's
    rows — count/sum: extra (__r, __change) rows; distinct: extra appearances (__r,
    __code). `keep_totals` keeps each windowed count/sum metric's day change and running total
    (windows aside) in columns `day_change(name)` and `running_total(name)`.
    """
    grid = grid_of(index.lazy())
    if not metrics:
        return grid, {}
    carried = carried or {}
    live: dict[str, pl.LazyFrame] = {}
    ends = row_ends(index)
    dense = []
    shared: _Seen = {}
    for name, metric in metrics.items():
        changes, metric_live = _changes(
            sources[metric.source], name, metric, carried.get(name), ends, shared
        )
        dense.append(_dense(changes, len(ends), name))
        if metric_live is not None:
            live[name] = metric_live
    frame = pl.concat([grid, *dense], how="horizontal")
    columns: list[pl.Expr] = []
    for name, metric in metrics.items():
        value, total = _value(name, metric)
        columns.append(value)
        if keep_totals and metric.window_days and not isinstance(metric, DistinctMetric):
            columns += [pl.col(name).alias(day_change(name)), total.alias(running_total(name))]
    return frame.with_columns(columns), live


def compact_sources(
    rows: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
    keep: tuple[str, ...] = (),
    keep_also: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, pl.LazyFrame]:
    """`compact_usage` of each source for the metrics that read it (cached: several read it),
    keeping the columns `keep` of every source and `keep_also[source]` of that one."""
    also = keep_also or {}
    return {
        source: compact_usage(
            frame,
            {n: m for n, m in metrics.items() if m.source == source},
            (*keep, *also.get(source, ())),
        ).cache()
        for source, frame in rows.items()
    }


def metric_values(
    grid: pl.LazyFrame,
    sources: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
    *,
    activity: str | None = None,
) -> pl.LazyFrame:
    """`grid` (from `day_grid`) with one Float64 column per metric: its value on that day.

    `sources` maps a source name (`events`, `daily`) to rows with `account_id` and `day`
    already restricted to each account's start_date..as_of. With `activity` (a source name),
    also `last_active` (see `daily_values`). For many accounts, `daily_values` does the same
    without the joins on account_id.
    """
    if not metrics and activity is None:
        return grid
    days = pl.len().cast(pl.Int64)
    index = (
        grid.group_by(ACCOUNT)
        .agg(pl.col("start_date").first(), days.alias("__days"))
        .sort(ACCOUNT)
        .with_columns(pl.col("__days").cum_sum().alias(END))
        .select(
            ACCOUNT,
            "start_date",
            pl.col("start_date").alias(FIRST),
            (pl.col(END) - pl.col("__days")).alias(OFFSET),
            END,
        )
        .collect()
    )
    placed = index.lazy().select(ACCOUNT, FIRST, OFFSET, END)
    tagged = {name: rows.join(placed, on=ACCOUNT) for name, rows in sources.items()}
    values = daily_values(index, tagged, metrics, activity=activity)
    kept = [ACCOUNT, DAY, *metrics] + (["last_active"] if activity is not None else [])
    return grid.join(values.select(kept), on=[ACCOUNT, DAY], how="left", maintain_order="left")


def daily_values(
    index: pl.DataFrame,
    sources: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
    *,
    activity: str | None = None,
) -> pl.LazyFrame:
    """Every account's metric values on each day of its grid: (account_id, start_date, day,
    one Float64 per metric), in (account, day) order.

    `index` is an `account_index`; `sources` maps a source name to usage rows that carry
    their account's `__first`, `__offset` and `__end` (`grid_rows`: rows of other days or
    accounts are left out). With `activity` (a source name), also `last_active`: the latest
    day up to that day with a row of that source (null before the first), found from the
    rows' grid rows without a join.
    """
    compacted = compact_sources({name: place_rows(rows) for name, rows in sources.items()}, metrics)
    return compact_daily_values(index, compacted, metrics, activity=activity)


def compact_daily_values(
    index: pl.DataFrame,
    compacted: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
    *,
    activity: str | None = None,
) -> pl.LazyFrame:
    """`daily_values` from the sources' compact rows on the grid (`compact_sources` of
    `place_rows`)."""
    values, _ = grid_values(index, compacted, metrics)
    kept = [ACCOUNT, "start_date", DAY, *metrics]
    if activity is not None:
        values = with_last_active(values, compacted[activity], index)
        kept.append("last_active")
    return values.select(kept)


def with_last_active(values: pl.LazyFrame, rows: pl.LazyFrame, index: pl.DataFrame) -> pl.LazyFrame:
    """`values` (a `grid_values` grid of `index`) with `last_active`: the latest day up to
    each row's day on which the account has one of `rows` (compact usage rows with their grid
    row), null when it has none in its grid so far. Found from the rows' grid rows, without a
    join."""
    size: int = index.select(pl.col(END).max().fill_null(0)).item()  # the grid's rows
    active = _dense(rows.select(ROW), size, "__active")
    # The latest active grid row so far; it is this account's if not before its first row
    # (rows run account by account, so no group is needed).
    latest = pl.when(pl.col("__active") > 0).then(pl.col(ROW)).forward_fill()
    ago = pl.duration(days=pl.col(ROW).cast(pl.Int64) - latest.cast(pl.Int64))
    last = pl.when(latest >= pl.col(OFFSET)).then(pl.col(DAY) - ago)
    return (
        pl.concat([values, active], how="horizontal")
        .with_columns(last.alias("last_active"))
        .drop("__active")
    )


def activity_source(sources: Collection[str]) -> str | None:
    """The source whose rows count as an account's activity: events if configured, else
    daily rows (None with neither)."""
    return next((name for name in ("events", "daily") if name in sources), None)


def last_activity(rows: pl.LazyFrame, index: pl.LazyFrame) -> pl.LazyFrame:
    """(account_id, last_activity): the latest usage day within the journey window.

    `rows` are compact usage rows (`compact_usage`); `index` is their `account_index`.
    """
    latest = rows.group_by(END).agg(pl.col(ROW).max().cast(pl.Int64).alias("__latest"))
    return (
        index.with_columns(pl.col(END).cast(pl.Int64))
        .join(latest, on=END)
        .select(ACCOUNT, day_of_row(pl.col("__latest")).alias("last_activity"))
    )
