"""Reading a SQL usage source for one run: the whole query for a full run; for an incremental
run, where the database can filter them, only the rows from the day after the previous run.

That filter is a watermark on the source's timestamp column (events) or date column (daily):
the first instant of the day after the previous as_of in the configured time zone (DESIGN §6:
an event's day), or that day for a date column. A source is *filtered* when the database
describes that column as a timestamp or a date (PostgreSQL, through ADBC:
`metrics.sql_source.column_type`); a text column (SQLite keeps timestamps as text), a query
that cannot be a subquery or another database has the whole query read each night, as before.

Either way the run checks that the rows for days up to the previous as_of still number what
they did then (`through_prior` against the carried `sql_rows`), and a difference means a full
run (FullRunNeeded): rows that arrived late, or went away. What is counted differs:

- a filtered source counts every row with a day, set aside or not: the rows before the
  watermark are counted by the database, which does not know which accounts exist; so a late
  row for an unknown account means a full run too. An incremental run reads, and so sets
  aside and reports, only the rows from the watermark on; rows without a timestamp have no
  day and are not read again;
- any other source counts the rows it keeps (known accounts), as file sources do.

The carried state says which sources were counted the first way (`sql_filtered`); a source
that changes way between two runs (its column's type changed) means a full run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from journey.config import Config
from journey.incremental import CarriedState, FullRunNeeded
from journey.scratch import process_scratch
from metrics.sources import SourceSpec, scan
from metrics.sql_adbc import is_postgresql
from metrics.sql_plan import whole_scans
from metrics.sql_source import column_type, count_rows, expand_env, from_query, quoted
from metrics.usage import REASON, kept_rows, tag_usage, type_usage

#: The column that gives each kind of usage row its day, before renaming (`columns:`).
DAY_COLUMN = {"events": "timestamp", "daily": "date"}
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Watermark:
    """Where an incremental run's rows start, on a SQL source."""

    column: str  # the source's column, as the query names it
    literal: str  # SQL: the first instant or day that is new
    before: int  # rows before it, counted by the database


def day_start(day: dt.date, zone: str) -> dt.datetime:
    """The first instant (naive UTC) of `day` in `zone`: its midnight, the earlier one where a
    clock change repeats it; where a clock change skips it, the hour before (a row between
    that and the day's real start is read, and left out as not new)."""
    for local in (dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, dt.time()) - HOUR):
        start = (
            pl.Series([local])
            .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None)[0]
        )
        if start is not None:
            return start
    raise ValueError(f"no start of {day} in {zone}")  # pragma: no cover - no zone skips 2 hours


def filterable(dtype: pl.DataType | None, kind: str) -> bool:
    """Whether a day column of `dtype` can be compared with a watermark: a date, or an events
    timestamp (not text, numbers, a type not known, ...)."""
    return dtype == pl.Date or (kind == "events" and isinstance(dtype, pl.Datetime))


def watermark_literal(dtype: pl.DataType, kind: str, first_new: dt.date, zone: str) -> str | None:
    """SQL for where the rows of the day `first_new` start, on a column of `dtype`; None when
    the column's values cannot be compared with one (`filterable`)."""
    if not filterable(dtype, kind):
        return None
    if dtype == pl.Date:
        return f"DATE '{first_new.isoformat()}'"
    start = day_start(first_new, zone).isoformat(sep=" ")
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:  # naive: UTC (contracts)
        return f"TIMESTAMP '{start}'"
    return f"TIMESTAMP WITH TIME ZONE '{start}+00:00'"


def day_column(spec: SourceSpec, kind: str) -> tuple[str, pl.DataType | None]:
    """The query's column that gives its rows their day, and its type as the database
    describes it (None where that is not known: `metrics.sql_source.column_type`)."""
    assert spec.url is not None and spec.query is not None
    column = spec.columns.get(DAY_COLUMN[kind], DAY_COLUMN[kind])
    return column, column_type(spec.url, spec.query, column, kind)


def nightly_read(spec: SourceSpec, kind: str, first_new: dt.date, zone: str) -> tuple[str, str]:
    """How incremental runs read this SQL source, in a sentence, and what would make that
    cheaper ("" for nothing), for `journey doctor`: a night's read of the day `first_new`
    that the database would serve by reading a large table whole asks for an index."""
    assert spec.url is not None and spec.query is not None
    column, dtype = day_column(spec, kind)
    literal = None if dtype is None else watermark_literal(dtype, kind, first_new, zone)
    if literal is not None:
        what = "a date" if dtype == pl.Date else "a timestamp"
        said = (
            f"the `{kind}` query is read from the new day on, filtered by the database on "
            f"`{column}` ({what})"
        )
        night = watermarked(spec, Watermark(column, literal, before=0))  # as a night reads it
        assert night.query is not None
        scans = whole_scans(expand_env(spec.url, kind), night.query)
        if not scans:
            return said + "; an index on it keeps that cheap", ""
        tables = ", ".join(f"{scan.table} (about {scan.rows:,} rows)" for scan in scans)
        return (
            f"{said}, but PostgreSQL plans to read all of {tables} every night to find the "
            "new rows",
            f"index the column behind `{column}` there (CREATE INDEX ON <table> (<column>)), "
            "then ANALYZE the table",
        )
    if not is_postgresql(expand_env(spec.url, kind)):
        why = "only a PostgreSQL query is filtered by day"
    elif dtype is None:
        why = f"the database did not describe its column `{column}`"
    else:
        why = f"its column `{column}` is read as {dtype}, not a timestamp or a date"
    return f"the `{kind}` query is read whole every night: {why}", ""


def _watermark(
    spec: SourceSpec, column: str, dtype: pl.DataType, kind: str, prior: CarriedState, zone: str
) -> Watermark:
    """Where an incremental run after `prior` starts reading a filtered source."""
    assert spec.url is not None and spec.query is not None
    literal = watermark_literal(dtype, kind, prior.as_of + DAY, zone)
    assert literal is not None
    before = count_rows(spec.url, spec.query, f"{quoted(column)} < {literal}", kind)
    return Watermark(column, literal, before)


def watermarked(spec: SourceSpec, mark: Watermark | None) -> SourceSpec:
    """The source as a run with `mark` reads it: its rows from the watermark on."""
    if mark is None:
        return spec
    assert spec.query is not None
    where = f"{quoted(mark.column)} >= {mark.literal}"
    return spec.model_copy(update={"query": from_query(spec.query, where)})


@dataclass(frozen=True)
class SqlRead:
    tagged: pl.LazyFrame  # the rows to evaluate and count (metrics.usage.tag_usage)
    checks: pl.LazyFrame  # one row: `late`, `through` and, after a prior run, `through_prior`
    filtered: bool  # whether its rows counted are all those with a day (see the module doc)
    watermark: Watermark | None  # where an incremental run's rows start
    rows: int = 0  # a full run's: how many rows the query returned (for its batch sizes)


def read_sql_usage(
    config: Config,
    spec: SourceSpec,
    kind: str,
    known: pl.LazyFrame,
    as_of: dt.date,
    prior: CarriedState | None,
    keep: pl.Expr | None = None,
) -> SqlRead:
    """A SQL usage source read for a run on `as_of` (see the module doc); with `keep`, only
    the rows it selects."""
    zone = config.settings.timezone
    column, dtype = day_column(spec, kind)
    filtered = filterable(dtype, kind)
    mark = None
    if prior is not None:
        if filtered != (kind in prior.sql_filtered):
            can = "can now" if filtered else "can no longer"
            raise FullRunNeeded(
                f"the {prior.as_of} run counted the `{kind}` query's rows another way: the "
                f"database {can} filter them by `{column}` (its type changed, or this is the "
                "first run after an upgrade)"
            )
        if dtype is not None and filtered:
            mark = _watermark(spec, column, dtype, kind, prior, zone)
    raw = scan(watermarked(spec, mark), config.root, kind, spill=lambda: process_scratch(config))
    if keep is not None:
        raw = raw.filter(keep)
    tagged = tag_usage(kind, type_usage(kind, raw, zone), known)
    counted = tagged if filtered else kept_rows(tagged)
    day = pl.col("day")
    before = mark.before if mark is not None else 0
    checks = [
        pl.lit(0, dtype=pl.UInt32).alias("late"),
        ((day <= as_of).sum() + before).alias("through"),
    ]
    if prior is None:  # the rows are in memory or in files by now: counting them is cheap
        rows = int(raw.select(pl.len()).collect().item())
        return SqlRead(tagged, counted.select(checks), filtered, None, rows)
    checks.append(((day <= prior.as_of).sum() + before).alias("through_prior"))
    new = (day > prior.as_of) | pl.col(REASON).is_not_null()
    return SqlRead(tagged.filter(new), counted.select(checks), filtered, mark)
