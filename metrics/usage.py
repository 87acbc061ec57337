"""The usage inputs (events, daily): conform lazily and tag each row's journey day.

Bad rows are not dropped silently: `conform_events` returns the clean rows and a lazy count of
set-aside rows per reason, collected together with the run's results.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.contracts import (
    DAILY_COLUMNS,
    EVENT_COLUMNS,
    as_text,
    numeric,
    parse_date,
    parse_timestamp,
    require_columns,
)
from metrics.sources import FILE

#: Columns of the quarantine-count frame.
QUARANTINE_SCHEMA = {"source": pl.String, "reason": pl.String, "rows": pl.UInt32}


def conform_events(
    frame: pl.LazyFrame, known_accounts: pl.LazyFrame, timezone: str, source: str = "events"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Type the events source and add `day` (the timestamp's date in `timezone`).

    `known_accounts` has an `account_id` column. Returns (clean events, quarantine counts).
    """
    return split_events(type_events(frame, timezone, source), known_accounts, source)


def type_events(frame: pl.LazyFrame, timezone: str, source: str = "events") -> pl.LazyFrame:
    """The events typed, with `day` (null where the timestamp is missing or unparseable)."""
    schema = frame.collect_schema()
    require_columns(schema, EVENT_COLUMNS, source)
    extra = [c for c in schema.names() if c not in ("account_id", "timestamp", "event", "user_id")]
    timestamp = parse_timestamp("timestamp", schema["timestamp"], source)
    typed = frame.select(
        pl.col("account_id").cast(pl.String),
        timestamp.alias("timestamp"),
        pl.col("event").cast(pl.String),
        as_text("user_id", schema).alias("user_id"),
        numeric("value", schema, source).alias("value"),
        *[pl.col(c) for c in extra if c != "value"],
    )
    return typed.with_columns(day=event_day(pl.col("timestamp"), schema["timestamp"], timezone))


def event_day(timestamp: pl.Expr, source_type: pl.DataType, timezone: str) -> pl.Expr:
    """An event's day: its parsed timestamp's date in `timezone` (DESIGN §6). `source_type`
    is the timestamp column's type in the source (a date stays that date)."""
    if source_type == pl.Date:
        return timestamp.dt.date()
    return timestamp.dt.convert_time_zone(timezone).dt.date()


def split_events(
    typed: pl.LazyFrame, known_accounts: pl.LazyFrame, source: str = "events"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(clean rows, quarantine counts) of typed events (`type_events`)."""
    return _split_known(
        typed,
        known_accounts,
        source,
        bad_when=pl.col("timestamp").is_null(),
        bad_reason="timestamp missing or unparseable",
    )


def conform_daily(
    frame: pl.LazyFrame, known_accounts: pl.LazyFrame, source: str = "daily"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Type the daily source: `date` becomes `day`; measures become Float64."""
    return split_daily(type_daily(frame, source), known_accounts, source)


def type_daily(frame: pl.LazyFrame, source: str = "daily") -> pl.LazyFrame:
    """The daily rows typed: `day` from `date` (null where unparseable), measures numeric."""
    schema = frame.collect_schema()
    require_columns(schema, DAILY_COLUMNS, source)
    measures = [c for c in schema.names() if c not in DAILY_COLUMNS]
    return frame.select(
        pl.col("account_id").cast(pl.String),
        parse_date("date", schema["date"], source).alias("day"),
        *[
            numeric(c, schema, source).alias(c) if schema[c] != pl.String else pl.col(c)
            for c in measures
        ],
    )


def split_daily(
    typed: pl.LazyFrame, known_accounts: pl.LazyFrame, source: str = "daily"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(clean rows, quarantine counts) of typed daily rows (`type_daily`)."""
    return _split_known(
        typed,
        known_accounts,
        source,
        bad_when=pl.col("day").is_null(),
        bad_reason="date missing or unparseable",
    )


def _known_flag(frame: pl.LazyFrame, known_accounts: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """`frame` with `__known` (true for a known account, else null) and any other columns of
    `known_accounts` (one row per account_id): one join does both."""
    known = known_accounts.rename({"account_id": key}).unique(subset=[key])
    return frame.join(
        known.with_columns(__known=pl.lit(True)), on=key, how="left", maintain_order="left"
    )


def _reason(account_id: pl.Expr, bad_when: pl.Expr, bad_reason: str) -> pl.Expr:
    """Why a usage row is set aside (null when it is kept); the first that applies wins."""
    return (
        pl.when(account_id.is_null())
        .then(pl.lit("empty account_id"))
        .when(bad_when)
        .then(pl.lit(bad_reason))
        .when(pl.col("__known").is_null())
        .then(pl.lit("account_id not in the accounts source"))
    )


def _split_known(
    typed: pl.LazyFrame,
    known_accounts: pl.LazyFrame,
    source: str,
    *,
    bad_when: pl.Expr,
    bad_reason: str,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    tagged = _known_flag(typed, known_accounts, "account_id").with_columns(
        __reason=_reason(pl.col("account_id"), bad_when, bad_reason)
    )
    clean = tagged.filter(pl.col("__reason").is_null()).drop("__known", "__reason")
    counts = (
        tagged.filter(pl.col("__reason").is_not_null())
        .group_by("__reason")
        .agg(pl.len().cast(pl.UInt32).alias("rows"))
        .select(pl.lit(source).alias("source"), pl.col("__reason").alias("reason"), "rows")
    )
    return clean, counts


def rejected_rows(
    frame: pl.LazyFrame,
    known_accounts: pl.LazyFrame,
    kind: str,
    source: str,
    *,
    timezone: str = "UTC",
    counted: tuple[list[str], dt.date] | None = None,
) -> pl.LazyFrame:
    """The rows `conform_events` (kind "events") or `conform_daily` (kind "daily") set aside,
    as they were in the source (every column as text) plus a `reason` column.

    For keeping quarantined rows in a file, so that nothing set aside is lost. `counted`
    (files, day): rows of those files up to that day were reported by an earlier run, and are
    left out (`frame` then has the `__file` column of `metrics.sources.scan`).
    """
    schema = frame.collect_schema()
    if kind == "events":
        parsed = parse_timestamp("timestamp", schema["timestamp"], source)
        bad_reason = "timestamp missing or unparseable"
        as_day = event_day(pl.col("__parsed"), schema["timestamp"], timezone)
    else:
        parsed = parse_date("date", schema["date"], source)
        bad_reason = "date missing or unparseable"
        as_day = pl.col("__parsed")
    if counted is not None:
        files, through = counted
        earlier = pl.col(FILE).is_in(files) & (as_day <= through)
    tagged = _known_flag(
        frame.with_columns(__id=pl.col("account_id").cast(pl.String), __parsed=parsed),
        known_accounts,
        "__id",
    )
    if counted is not None:
        tagged = tagged.filter(~earlier.fill_null(False))
    reason = _reason(pl.col("__id"), pl.col("__parsed").is_null(), bad_reason)
    return (
        tagged.with_columns(reason=reason)
        .filter(pl.col("reason").is_not_null())
        .select(*[pl.col(c).cast(pl.String) for c in schema.names() if c != FILE], "reason")
    )


def within_journey(usage: pl.LazyFrame, accounts: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Rows on days from the account's start_date through as_of (others are ignored)."""
    starts = accounts.select("account_id", "start_date")
    return usage.join(starts, on="account_id", how="inner").filter(
        (pl.col("day") >= pl.col("start_date")) & (pl.col("day") <= as_of)
    )
