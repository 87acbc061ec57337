"""Week-over-week trends from the stored change history (reports.schema.TREND_SCHEMA).

The store keeps only changes: ``state_change`` rows ``(as_of, account_id, milestone, field,
old_value, new_value)`` with ``milestone == ""`` for account-level fields. An account's status
on a day D is therefore the ``new_value`` of its latest ``status`` change on or before D, and
that change's ``as_of`` is the first day of its current status streak.

`compute_trends` is pure (history frame in, trend frame out); `load_trend_history` and
`weekly_trends` are the thin I/O edge that reads the store.

Without a baseline (no stored run on or before the comparison date) nothing is called newly
off-track or recovered: the first week of a new installation must not announce every
off-track account as "new".
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import Engine

from journey.store.bulk import read_rows
from journey.store.tables import HISTORY_TABLE
from reports.schema import TREND_SCHEMA

#: The columns of the history frame `compute_trends` reads.
HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "as_of": pl.Date(),
    "account_id": pl.String(),
    "milestone": pl.String(),
    "field": pl.String(),
    "new_value": pl.String(),
}

#: How far back "last week" is.
COMPARISON_DAYS = 7


def comparison_date(report_date: dt.date) -> dt.date:
    """The date the report compares with: one week before `report_date`."""
    return report_date - dt.timedelta(days=COMPARISON_DAYS)


def _status_on(history: pl.LazyFrame, day: dt.date) -> pl.LazyFrame:
    """account_id, status, since: the latest status change on or before `day`."""
    return (
        history.filter((pl.col("field") == "status") & (pl.col("as_of") <= day))
        .sort("as_of")
        .group_by("account_id")
        .agg(status=pl.col("new_value").last(), since=pl.col("as_of").last())
        .filter(pl.col("status").is_not_null())
    )


def compute_trends(
    history: pl.DataFrame, report_date: dt.date, compare_date: dt.date | None = None
) -> pl.DataFrame:
    """One TREND_SCHEMA row per account with a known status on `report_date`.

    `history` has (at least) the `HISTORY_SCHEMA` columns. `compare_date` defaults to one
    week before `report_date`. Sorted by account_id.
    """
    compare = compare_date or comparison_date(report_date)
    lazy = history.lazy().select(list(HISTORY_SCHEMA)).cast(HISTORY_SCHEMA)  # type: ignore[arg-type]
    baseline = history.filter(pl.col("as_of") <= compare).height > 0
    now = _status_on(lazy, report_date)
    before = _status_on(lazy, compare).select("account_id", previous_status="status")
    regressed = (
        lazy.filter(
            (pl.col("field") == "regressed")
            & (pl.col("new_value") == "true")
            & (pl.col("as_of") > compare)
            & (pl.col("as_of") <= report_date)
        )
        .group_by("account_id")
        .agg(regressed_milestones=pl.col("milestone").unique().sort())
    )
    was_off = pl.col("previous_status").fill_null("") == "off_track"
    is_off = pl.col("status") == "off_track"
    trends = (
        now.join(before, on="account_id", how="left")
        .join(regressed, on="account_id", how="left")
        .with_columns(
            status_since=pl.col("since"),
            weeks_in_status=((pl.lit(report_date) - pl.col("since")).dt.total_days() // 7),
            newly_off_track=pl.lit(baseline) & is_off & ~was_off,
            recovered=pl.lit(baseline) & was_off & ~is_off,
            regressed_milestones=pl.col("regressed_milestones").fill_null([]),
        )
        .select(list(TREND_SCHEMA))
        .sort("account_id")
        .collect()
    )
    return trends.cast(TREND_SCHEMA)  # type: ignore[arg-type]


def load_trend_history(engine: Engine, until: dt.date, compare: dt.date) -> pl.DataFrame:
    """What `compute_trends(…, until, compare)` reads of the history (HISTORY_SCHEMA), in the
    order it was recorded: the status changes on or before `until`, and the milestones that
    regressed after `compare` (not every milestone's first `false`, nor older regressions:
    at a million accounts, most of the history's rows)."""
    day, since = until.isoformat(), compare.isoformat()
    where = (
        f"as_of <= '{day}' AND (field = 'status' OR "
        f"(field = 'regressed' AND new_value = 'true' AND as_of > '{since}'))"
    )
    with engine.connect() as conn:
        rows = read_rows(conn, HISTORY_TABLE, {**HISTORY_SCHEMA, "id": pl.Int64()}, where=where)
    return rows.sort("as_of", "id").drop("id")


def weekly_trends(engine: Engine, report_date: dt.date) -> pl.DataFrame:
    """Trends for `report_date` against one week earlier, read from the store."""
    compare = comparison_date(report_date)
    return compute_trends(load_trend_history(engine, report_date, compare), report_date, compare)
