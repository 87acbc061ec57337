"""The usage history, read once: accounts with their segment, and metric values per day.

Everything the risk model and the segment suggestions learn from is derived from one metric
grid computed up to the newest day (`until`). A metric's value on day d depends only on
usage up to d, so the grid up to `until` holds every earlier as-of snapshot exactly; building
the grid once is much cheaper than one `evaluate()` per past date (about 1 s each on the
demo, against about 1 s for the whole grid).

This is the I/O edge of `journey.risk`: it reads the configured sources with the same
conforming steps as `journey.evaluate`. Bad rows are set aside there and reported by the
nightly run; here they are simply not used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from journey.batches import planned, set_aside
from journey.config import Config
from journey.evaluate import ENGINE, conformed_usage, history_accounts
from journey.scratch import scratch_root
from journey.store.carried import kept_grid
from journey.stored import current_run, stored_runs
from journey.watch import watched
from metrics.accounts import conform_accounts
from metrics.compute import (
    account_index,
    activity_source,
    compact_daily_values,
    compact_sources,
    daily_values,
    place_rows,
    placed_accounts,
)
from metrics.errors import InputError, first_line
from metrics.sources import scan
from segments.rules import assign_segments

#: Columns of `History.accounts` besides the account source's own attributes.
ACCOUNT_KEYS = ("account_id", "start_date", "csm_email", "segment", "journey", "icp_fit", "arr")


@dataclass(frozen=True)
class History:
    """Accounts (all attributes, with icp/segment/journey) and their daily metric grid."""

    until: dt.date
    accounts: pl.DataFrame  # one row per started account with a journey
    # account_id, start_date, day, one Float64 per metric, last_active: each account's days
    # from start_date through `until`, one row per day, in (account, day) order. The nightly
    # run's grid stops earlier for accounts past their journey (`watched_grid`).
    grid: pl.DataFrame
    metrics: tuple[str, ...]


def days_in() -> pl.Expr:
    """On `History.grid` rows: how many days the account is past its start_date."""
    return (pl.col("day") - pl.col("start_date")).dt.total_days()


def days_earlier(value: pl.Expr, days: int) -> pl.Expr:
    """On `History.grid` rows: `value` `days` days earlier in the same account, 0.0 before
    its start_date. The grid runs account by account, a row per day, so that is `days` rows
    up once the account is that many days in: a plain shift, no window per account."""
    return pl.when(days_in() >= days).then(value.shift(days)).otherwise(0.0)


def _usage(config: Config, known: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    return {name: clean for name, (clean, _) in conformed_usage(config, known).items()}


def _sql_rows(config: Config, usage: dict[str, pl.LazyFrame]) -> int:
    """The rows of the SQL sources among `usage`, for sizing batches as a full run does
    (their queries ran already: the rows are in memory or in files, counted in one pass)."""
    sql = [
        frame.select(pl.len())
        for name, frame in usage.items()
        if getattr(config.settings.sources, name).query is not None
    ]
    return sum(int(counted.item()) for counted in pl.collect_all(sql)) if sql else 0


def _started(config: Config, until: dt.date) -> tuple[pl.DataFrame, pl.LazyFrame]:
    """The accounts source conformed, and the accounts with a journey started by `until`."""
    accounts, _ = conform_accounts(scan(config.settings.sources.accounts, config.root, "accounts"))
    assigned = assign_segments(accounts.lazy(), config.segments, config.icps)
    return accounts, assigned.filter(
        pl.col("journey").is_not_null() & (pl.col("start_date") <= until)
    )


def stored_history(config: Config, until: dt.date) -> History | None:
    """`watched_history(config, until)` as the nightly run of `until` kept it, when that
    run is what evaluating the config on `until` gives now (`journey.stored.current_run`)
    and it kept one (the early warning was on): its grid from the run's state, the accounts
    read now. None otherwise, or when the store or the state cannot be read."""
    _, runs = stored_runs(config)
    run = current_run(config, until, runs)
    grid = None if run is None or run.state_key is None else kept_grid(config, run.state_key)
    if grid is None:
        return None
    try:
        started = history_accounts(_started(config, until)[1].collect())
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"input data could not be read: {first_line(exc)}") from exc
    return History(until=until, accounts=started, grid=grid, metrics=tuple(config.metrics))


def read_history(
    config: Config, until: dt.date, reduce: Callable[[History], pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read the sources, compute every account's metric values for each day up to `until`,
    and return the accounts (`History.accounts`) and `reduce` of the history, part by part.

    The same one pass over the usage data as a full nightly evaluation (`journey.evaluate`):
    one join of the usage rows on the accounts both checks and places them in the grid; a
    large history is computed batch by batch of accounts, as a full run is
    (`journey.batches`). Each batch's grid, of whole accounts, goes to `reduce` (as the grid
    of a `History` of all the accounts) as soon as it is computed, and only what `reduce`
    returns is kept, the parts concatenated in batch order: so a reader that needs less
    than every account's every day (the watched rows, a summary per account) never holds
    the whole grid.
    """
    accounts, started = _started(config, until)
    try:
        started_df = started.collect()
        known = history_accounts(started_df)
        metrics = tuple(config.metrics)

        index = account_index(started_df.lazy(), until).collect()
        usage = _usage(config, placed_accounts(accounts.lazy(), index.lazy()))
        batches, limit = planned(config, started_df, index, _sql_rows(config, usage))
        activity = activity_source(usage)

        def reduced(part: pl.DataFrame) -> pl.DataFrame:
            if activity is None:  # no usage source: no activity either
                part = part.with_columns(last_active=pl.lit(None, dtype=pl.Date))
            return reduce(History(until=until, accounts=known, grid=part, metrics=metrics))

        if len(batches) == 1:
            parts = [
                reduced(
                    daily_values(index, usage, config.metrics, activity=activity).collect(
                        engine=ENGINE
                    )
                )
            ]
        else:  # a large history: batch by batch of accounts, as a full run reads it
            compacted = compact_sources(
                {name: place_rows(rows) for name, rows in usage.items()}, config.metrics
            )
            with set_aside(
                scratch_root(config), compacted, index, batches, ENGINE, limit
            ) as spilled:
                parts = [
                    reduced(
                        compact_daily_values(
                            batch.index, batch.rows, config.metrics, activity=activity
                        ).collect(engine=ENGINE)
                    )
                    for batch in spilled.each()
                ]
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"input data could not be read: {first_line(exc)}") from exc
    return known, pl.concat(parts)


def load_history(config: Config, until: dt.date) -> History:
    """Every account's metric values for each day up to `until` (`read_history`)."""
    accounts, grid = read_history(config, until, lambda part: part.grid)
    return History(until=until, accounts=accounts, grid=grid, metrics=tuple(config.metrics))


def watched_grid(config: Config, history: History) -> pl.DataFrame:
    """`history.grid` with each account's days up to its `journey.watch.watch_end` only: all
    the early warning can read, and what the nightly run keeps and extends."""
    return watched(history.grid.lazy(), history.accounts.lazy(), config.journeys).collect()


def watched_history(config: Config, until: dt.date) -> History:
    """`load_history` cut to each account's watch end (`watched_grid`): what the early
    warning learns from and scores, in the rows the nightly run keeps."""
    accounts, grid = read_history(config, until, lambda part: watched_grid(config, part))
    return History(until=until, accounts=accounts, grid=grid, metrics=tuple(config.metrics))
