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
    not_a_number,
    numeric,
    parse_dates,
    parse_timestamps,
    require_columns,
)
from metrics.sources import FILE
from metrics.timezones import local_day

#: Columns of the quarantine-count frame.
QUARANTINE_SCHEMA = {"source": pl.String, "reason": pl.String, "rows": pl.UInt32}


def conform_events(
    frame: pl.LazyFrame, known_accounts: pl.LazyFrame, timezone: str, source: str = "events"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Type the events source and add `day` (the timestamp's date in `timezone`).

    `known_accounts` has an `account_id` column. Returns (clean events, quarantine counts).
    """
    return split_events(type_events(frame, timezone, source), known_accounts, source)


#: The events' number column: text in it that is not a number is read as empty (`numeric`),
#: and such rows carry `NOT_A_NUMBER` so that a run can count them. Any other column a metric
#: sums must hold numbers, or the run stops.
EVENT_VALUE = "value"
#: True on an event whose `value` is text that is not a number (read as empty); only where
#: the source's `value` is text.
NOT_A_NUMBER = "__not_a_number"
#: The text of a run's count of such rows (`metrics.contracts.Quarantine`, kept).
NOT_A_NUMBER_TEXT = (
    "value is not a number (read as empty, so sums leave it out; "
    "`journey check --with-data` shows examples)"
)


def type_events(frame: pl.LazyFrame, timezone: str, source: str = "events") -> pl.LazyFrame:
    """The events typed, with `day` (null where the timestamp is missing or unparseable)."""
    schema = frame.collect_schema()
    require_columns(schema, EVENT_COLUMNS, source)
    extra = [c for c in schema.names() if c not in ("account_id", "timestamp", "event", "user_id")]
    flagged = not_a_number(EVENT_VALUE, schema)
    flag = [] if flagged is None else [flagged.alias(NOT_A_NUMBER)]
    typed = parse_timestamps(frame, "timestamp", schema["timestamp"], source).select(
        pl.col("account_id").cast(pl.String),
        pl.col("timestamp"),
        pl.col("event").cast(pl.String),
        as_text("user_id", schema).alias("user_id"),
        numeric(EVENT_VALUE, schema, source).alias(EVENT_VALUE),
        *[pl.col(c) for c in extra if c != EVENT_VALUE],
        *flag,
    )
    return typed.with_columns(day=event_day(pl.col("timestamp"), schema["timestamp"], timezone))


def event_day(timestamp: pl.Expr, source_type: pl.DataType, timezone: str) -> pl.Expr:
    """An event's day: its parsed timestamp's date in `timezone` (DESIGN §6). `source_type`
    is the timestamp column's type in the source (a date stays that date)."""
    if source_type == pl.Date:
        return timestamp.dt.date()
    return local_day(timestamp, timezone)


def split_events(
    typed: pl.LazyFrame, known_accounts: pl.LazyFrame, source: str = "events"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(clean rows, quarantine counts) of typed events (`type_events`)."""
    return split_tagged(tag_usage("events", typed, known_accounts), "events", source)


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
    return parse_dates(frame, "date", schema["date"], source).select(
        pl.col("account_id").cast(pl.String),
        pl.col("date").alias("day"),
        *[
            numeric(c, schema, source).alias(c) if schema[c] != pl.String else pl.col(c)
            for c in measures
        ],
    )


def split_daily(
    typed: pl.LazyFrame, known_accounts: pl.LazyFrame, source: str = "daily"
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(clean rows, quarantine counts) of typed daily rows (`type_daily`)."""
    return split_tagged(tag_usage("daily", typed, known_accounts), "daily", source)


#: The column of `tag_usage` rows saying why a row is set aside, as a UInt8 code
#: (`reason_text`); null for a row that is kept.
REASON = "__reason"
_EMPTY_ID, _NO_DAY, _UNKNOWN = 0, 1, 2
_NO_DAY_TEXT = {
    "events": "timestamp missing or unparseable",
    "daily": "date missing or unparseable",
}


def _known_flag(
    frame: pl.LazyFrame, known_accounts: pl.LazyFrame, key: str, *, in_order: bool = False
) -> pl.LazyFrame:
    """`frame` with `__known` (true for a known account, else null) and any other columns of
    `known_accounts` (one row per account_id): one join does both. `in_order` keeps the rows
    in their order, which costs the join about twice the time on large data.

    The join is on the ids' 64-bit hashes when the known ids' hashes are all apart (checked
    here; else on the ids): that halves the cost of the largest join of a run. An unknown id
    would pass for a known one only if its hash equalled that id's (one in 2^64 per id).
    """
    known = known_accounts.rename({"account_id": key}).unique(subset=[key])
    known = known.with_columns(__known=pl.lit(True))
    on = key
    if _hashes_apart(known, key):
        on = "__id_hash"
        frame = frame.with_columns(_id_hash(key))
        known = known.with_columns(_id_hash(key)).drop(key)
    joined = frame.join(known, on=on, how="left", maintain_order="left" if in_order else "none")
    return joined.drop("__id_hash", strict=False)


def _id_hash(key: str) -> pl.Expr:
    """The 64-bit hash of an id (null for a null id, which matches nothing)."""
    return pl.when(pl.col(key).is_not_null()).then(pl.col(key).hash()).alias("__id_hash")


def _hashes_apart(known: pl.LazyFrame, key: str) -> bool:
    """Whether the distinct ids of `known` (a few per account: collected here) all hash
    differently."""
    counts = known.select(pl.len(), _id_hash(key).n_unique()).collect()
    return bool(counts.item(0, 0) == counts.item(0, 1))


def _reason_code(account_id: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Why a usage row is set aside, as a code (null when it is kept); the first that applies
    wins. A small integer rather than the text: it is computed for every row."""
    return (
        pl.when(account_id.is_null())
        .then(pl.lit(_EMPTY_ID, dtype=pl.UInt8))
        .when(day.is_null())
        .then(pl.lit(_NO_DAY, dtype=pl.UInt8))
        .when(pl.col("__known").is_null())
        .then(pl.lit(_UNKNOWN, dtype=pl.UInt8))
        .alias(REASON)
    )


def reason_text(code: pl.Expr, kind: str) -> pl.Expr:
    """The text of a `__reason` code of a usage source of `kind` ("events" or "daily")."""
    texts = {
        _EMPTY_ID: "empty account_id",
        _NO_DAY: _NO_DAY_TEXT[kind],
        _UNKNOWN: "account_id not in the accounts source",
    }
    return code.replace_strict(texts, return_dtype=pl.String)


def type_usage(kind: str, frame: pl.LazyFrame, timezone: str) -> pl.LazyFrame:
    """A usage source of `kind` ("events" or "daily") typed: `type_events` or `type_daily`."""
    return type_events(frame, timezone, kind) if kind == "events" else type_daily(frame, kind)


def tag_usage(kind: str, typed: pl.LazyFrame, known_accounts: pl.LazyFrame) -> pl.LazyFrame:
    """Typed rows of a usage source of `kind` (`type_events` or `type_daily`) with the other
    columns of `known_accounts` joined on, and `__reason` (`REASON`): why the row is set
    aside, null when it is kept."""
    day = pl.col("timestamp" if kind == "events" else "day")
    tagged = _known_flag(typed, known_accounts, "account_id")
    return tagged.with_columns(_reason_code(pl.col("account_id"), day)).drop("__known")


def reason_counts(tagged: pl.LazyFrame, kind: str, source: str) -> pl.LazyFrame:
    """The quarantine counts (`QUARANTINE_SCHEMA`) of rows with a `__reason` column."""
    return (
        tagged.filter(pl.col(REASON).is_not_null())
        .group_by(REASON)
        .agg(pl.len().cast(pl.UInt32).alias("rows"))
        .select(
            pl.lit(source).alias("source"),
            reason_text(pl.col(REASON), kind).alias("reason"),
            "rows",
        )
    )


def kept_rows(tagged: pl.LazyFrame) -> pl.LazyFrame:
    """The clean rows of `tag_usage` rows: those not set aside, without `__reason`."""
    return tagged.filter(pl.col(REASON).is_null()).drop(REASON)


def split_tagged(tagged: pl.LazyFrame, kind: str, source: str) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(clean rows, quarantine counts) of `tag_usage` rows."""
    return kept_rows(tagged), reason_counts(tagged, kind, source)


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
    column = "timestamp" if kind == "events" else "date"
    parse = parse_timestamps if kind == "events" else parse_dates
    parsed = parse(
        frame.with_columns(__id=pl.col("account_id").cast(pl.String), __parsed=pl.col(column)),
        "__parsed",
        schema[column],
        source,
    )
    as_day = pl.col("__parsed")
    if kind == "events":
        as_day = event_day(as_day, schema["timestamp"], timezone)
    if counted is not None:
        files, through = counted
        earlier = pl.col(FILE).is_in(files) & (as_day <= through)
    tagged = _known_flag(
        parsed,
        known_accounts,
        "__id",
        in_order=True,  # the rows set aside are kept as they came
    )
    if counted is not None:
        tagged = tagged.filter(~earlier.fill_null(False))
    reason = reason_text(_reason_code(pl.col("__id"), pl.col("__parsed")), kind)
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
