"""Incremental nightly runs: what one run carries to the next, and how the next uses it.

A run on `as_of` P leaves a `CarriedState`: per account its journey, start date and last
activity; per milestone its achieved_on and value on the due day; and just enough of each
metric to continue it past P without the history:

- a count/sum without a window: its value on P;
- a count/sum with a window of W days: its running total on P-W and its change on each day
  after (P-W+1..P);
- a distinct metric with a window of W days: each value still counted on P, with the day it
  last appeared (after P-W); without a window: every value ever seen.

The next run, on N > P, reads only the usage that is new since P (`journey.usage_read`) and
evaluates a short grid per account — from P-Wmax+1 (Wmax: the longest window) through N —
with the carried rows injected (`carried_rows`): the carried value or total on the grid's
first row, day changes and appearances on their own rows. Values on the days after P are then
exactly those of a full recompute; milestones take their earlier achievement from the carried
state. A change that the carried state cannot follow (the configuration, an account's journey
or start date, data for days up to P arriving late) raises `FullRunNeeded`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from journey.journeys import Journey
from journey.watch import UNTIL, watch_end
from metrics.compute import (
    ACCOUNT,
    CODE,
    DAY,
    END,
    FIRST,
    OFFSET,
    ROW,
    day_change,
    day_of_row,
    row_of_day,
    running_total,
)
from metrics.definitions import DistinctMetric, Metric

#: Bumped when the carried state's layout changes; an older state means a full run.
STATE_VERSION = 3

ACCOUNTS_SCHEMA = {
    "account_id": pl.String,
    "journey": pl.String,
    "start_date": pl.Date,
    "last_activity": pl.Date,
}
MILESTONES_SCHEMA = {
    "account_id": pl.String,
    "position": pl.Int32,
    "achieved_on": pl.Date,
    "value_on_due": pl.Float64,
}
#: `carry` rows hold a value (no window) or the running total on P-W (window); the others a
#: day's change.
TOTALS_SCHEMA = {
    "account_id": pl.String,
    "metric": pl.String,
    "day": pl.Date,
    "carry": pl.Boolean,
    "change": pl.Float64,
}
#: `day` is the value's last appearance (window), null without a window.
DISTINCT_SCHEMA = {"account_id": pl.String, "metric": pl.String, "day": pl.Date, "code": pl.UInt64}
#: One row per file of a file source: what the next run compares to see what is new.
FILES_SCHEMA = {
    "source": pl.String,
    "path": pl.String,
    "size": pl.Int64,
    "mtime_ns": pl.Int64,
    "first_day": pl.Date,
    "last_day": pl.Date,
}


class FullRunNeeded(Exception):
    """The carried state cannot be continued; the message says why."""


@dataclass(frozen=True)
class CarriedState:
    """What a run on `as_of` leaves for an incremental run after it (see the module doc)."""

    as_of: dt.date
    config_hash: str
    polars_version: str
    newest_usage_day: dt.date | None
    sql_rows: dict[str, int]  # SQL source -> its rows on days up to as_of (journey.usage_sql)
    accounts: pl.DataFrame  # ACCOUNTS_SCHEMA
    milestones: pl.DataFrame  # MILESTONES_SCHEMA
    totals: pl.DataFrame  # TOTALS_SCHEMA
    distinct: pl.DataFrame  # DISTINCT_SCHEMA
    files: pl.DataFrame  # FILES_SCHEMA
    metrics: tuple[str, ...] = ()  # the metrics the state carries, in metrics.yaml order
    # The SQL sources whose `sql_rows` count every row with a day: those the database filters
    # by day (journey.usage_sql); the others count the rows kept.
    sql_filtered: tuple[str, ...] = ()
    # The early warning's metric grid through as_of (journey.risk.history.History.grid), when
    # the run had the early warning on: the next run extends it by its new days
    # (`extend_grid`) instead of reading the whole usage history again.
    history: pl.DataFrame | None = None


def longest_window(metrics: dict[str, Metric]) -> int:
    return max((m.window_days or 0 for m in metrics.values()), default=0)


def grid_start(prior: CarriedState, metrics: dict[str, Metric]) -> dt.date:
    """The first day of an incremental run's grid: the carried rows must fit in it."""
    return prior.as_of - dt.timedelta(days=longest_window(metrics) - 1)


def check_accounts(prior: CarriedState, started: pl.DataFrame) -> None:
    """FullRunNeeded when an account that started by the previous run is new to the carried
    state or has another journey or start date now: its history must be read again."""
    earlier = started.filter(pl.col("start_date") <= prior.as_of).select(
        ACCOUNT, "journey", "start_date"
    )
    moved = earlier.join(
        prior.accounts.select(ACCOUNT, "journey", "start_date"),
        on=[ACCOUNT, "journey", "start_date"],
        how="anti",
    )
    if moved.height:
        example = ", ".join(moved[ACCOUNT].head(3).to_list())
        raise FullRunNeeded(
            f"{moved.height} account(s) that started by {prior.as_of} are new or changed "
            f"journey or start date since that run (e.g. {example})"
        )


def _rows_of(frame: pl.LazyFrame, index: pl.LazyFrame, on_first_row: pl.Expr) -> pl.LazyFrame:
    """`frame` (account_id, day, ...) placed in the grid of `index`: a row where `on_first_row`
    holds goes on the account's first row, any other on its day's row."""
    placed = frame.join(index.select(ACCOUNT, FIRST, OFFSET), on=ACCOUNT, how="inner")
    return placed.with_columns(
        pl.when(on_first_row).then(pl.col(OFFSET)).otherwise(row_of_day(pl.col(DAY))).alias(ROW)
    )


def carried_rows(
    prior: CarriedState, index: pl.LazyFrame, metrics: dict[str, Metric]
) -> dict[str, pl.LazyFrame]:
    """Per metric, the carried state as extra rows of the incremental grid `index`
    (for `metrics.compute.grid_values(..., carried=...)`)."""
    totals = _rows_of(prior.totals.lazy(), index, pl.col("carry"))
    distinct = _rows_of(prior.distinct.lazy(), index, pl.col(DAY).is_null())
    rows: dict[str, pl.LazyFrame] = {}
    for name, metric in metrics.items():
        if isinstance(metric, DistinctMetric):
            rows[name] = distinct.filter(pl.col("metric") == name).select(
                ROW, pl.col("code").alias(CODE)
            )
        else:
            rows[name] = totals.filter(pl.col("metric") == name).select(
                ROW, pl.col("change").alias("__change")
            )
    return rows


def totals_after(values: pl.LazyFrame, metrics: dict[str, Metric], as_of: dt.date) -> pl.LazyFrame:
    """TOTALS_SCHEMA rows for the next run, from grid values with `keep_totals`."""
    frames = []
    on_as_of = values.filter(pl.col(DAY) == as_of)
    for name, metric in metrics.items():
        if isinstance(metric, DistinctMetric):
            continue
        window = metric.window_days
        if not window:
            frames.append(
                on_as_of.select(
                    ACCOUNT,
                    pl.lit(name).alias("metric"),
                    pl.col(DAY),
                    pl.lit(True).alias("carry"),
                    pl.col(name).alias("change"),
                )
            )
            continue
        base = as_of - dt.timedelta(days=window)
        frames.append(
            values.filter(pl.col(DAY) >= base)
            .filter((pl.col(DAY) == base) | (pl.col(day_change(name)) != 0.0))
            .select(
                ACCOUNT,
                pl.lit(name).alias("metric"),
                pl.col(DAY),
                (pl.col(DAY) == base).alias("carry"),
                pl.when(pl.col(DAY) == base)
                .then(pl.col(running_total(name)))
                .otherwise(pl.col(day_change(name)))
                .alias("change"),
            )
        )
    if not frames:
        return pl.LazyFrame(schema=TOTALS_SCHEMA)
    return pl.concat(frames).select([pl.col(c).cast(t) for c, t in TOTALS_SCHEMA.items()])


def distinct_after(
    live: dict[str, pl.LazyFrame], index: pl.LazyFrame, metrics: dict[str, Metric]
) -> pl.LazyFrame:
    """DISTINCT_SCHEMA rows for the next run, from each distinct metric's live values."""
    frames = []
    accounts = index.select(ACCOUNT, FIRST, OFFSET, pl.col(END).cast(pl.UInt32))
    for name, rows in live.items():
        metric = metrics[name]
        assert isinstance(metric, DistinctMetric)
        day = day_of_row(pl.col(ROW)) if metric.window_days else pl.lit(None, dtype=pl.Date)
        frames.append(
            rows.join(accounts, on=END).select(
                ACCOUNT, pl.lit(name).alias("metric"), day.alias("day"), pl.col(CODE).alias("code")
            )
        )
    if not frames:
        return pl.LazyFrame(schema=DISTINCT_SCHEMA)
    return pl.concat(frames).select([pl.col(c).cast(t) for c, t in DISTINCT_SCHEMA.items()])


def extend_grid(
    prior: CarriedState,
    rows: pl.DataFrame,
    accounts: pl.DataFrame,
    as_of: dt.date,
    journeys: Mapping[str, Journey],
) -> pl.DataFrame | None:
    """The early warning's grid through `as_of`: `prior.history` (through the prior run's
    day P) with `rows`, the grid rows of the days after P (same columns, in (account, day)
    order), merged account by account; None when the prior run kept no grid or it does not
    have the layout its accounts imply.

    Both hold each account's days up to its `journey.watch.watch_end` only. `accounts`
    (account_id, journey, start_date) are the accounts started by `as_of`: an account that
    has left the accounts source since P leaves its rows behind. A merge by arithmetic on
    the blocks' places (one gather) instead of a sort: 0.3 s against 1.7 s at 4.5M rows.
    """
    grid = prior.history
    if grid is None or grid.columns != rows.columns:
        return None
    start, until = pl.col("start_date"), pl.col(UNTIL)
    after = prior.as_of + dt.timedelta(days=1)

    def days(first: pl.Expr, last: pl.Expr) -> pl.Expr:
        return ((last - first).dt.total_days() + 1).clip(lower_bound=0)

    earlier = (
        prior.accounts.select(ACCOUNT, "journey", start)
        .filter(start <= prior.as_of)
        .sort(ACCOUNT)
        .with_columns(watch_end(journeys))
        .with_columns(__old=days(start, pl.min_horizontal(pl.lit(prior.as_of), until)))
    )
    if earlier["__old"].sum() != grid.height:
        return None
    earlier = earlier.select(ACCOUNT, "__old", __at=pl.col("__old").cum_sum() - pl.col("__old"))
    first_new, last_new = pl.max_horizontal(start, pl.lit(after)), pl.min_horizontal(as_of, until)
    new_days = days(first_new, last_new)
    layout = (
        accounts.select(ACCOUNT, "journey", start)
        .filter(start <= as_of)
        .sort(ACCOUNT)
        .with_columns(watch_end(journeys))
        .with_columns(__new=new_days)
        .with_columns(__new_at=pl.col("__new").cum_sum() - pl.col("__new") + grid.height)
        .join(earlier, on=ACCOUNT, how="left", maintain_order="left")
        .with_columns(pl.col("__old", "__at").fill_null(0))
    )
    if layout["__new"].sum() != rows.height:
        return None
    take = layout.select(
        pl.concat_list(
            pl.int_ranges("__at", pl.col("__at") + pl.col("__old")),
            pl.int_ranges("__new_at", pl.col("__new_at") + pl.col("__new")),
        ).alias("i")
    ).explode("i")["i"]
    return pl.concat([grid, rows]).gather(take.drop_nulls())
