"""Writing one run: ledger row, current state and history, in one transaction.

A run for an as_of replaces that date's ledger row and history rows, so re-running a date is
idempotent. History rows are the differences from the state as of the previous date, so the
table grows with change, not with accounts x nights. Current state is replaced only by a run
for the newest date; re-running an older date leaves it alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, delete, func, insert, select
from sqlmodel import col

from journey.faults import fault_point
from journey.store.tables import AccountState, MilestoneState, Run, StateChange

LIST_COLUMNS = ("location", "expected_location", "reasons")
KEY = ["account_id", "milestone", "field"]


@dataclass(frozen=True)
class RunRecordIn:
    """What the ledger records about a run besides its results."""

    as_of: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime
    config_hash: str
    input_fingerprint: str
    not_started: int
    unassigned: int
    quarantined_rows: int
    newest_usage_day: dt.date | None
    notes: tuple[str, ...]


def tracked_values(accounts: pl.DataFrame, milestones: pl.DataFrame) -> pl.DataFrame:
    """The values whose changes history keeps, long: account_id, milestone, field, value."""
    account_fields = accounts.select(
        "account_id", pl.lit("").alias("milestone"), "status", "segment", "journey"
    ).unpivot(index=["account_id", "milestone"], variable_name="field", value_name="value")
    milestone_fields = milestones.select(
        "account_id",
        "milestone",
        "state",
        pl.col("regressed").cast(pl.String).alias("regressed"),
    ).unpivot(index=["account_id", "milestone"], variable_name="field", value_name="value")
    return pl.concat([account_fields, milestone_fields]).with_columns(
        pl.col("value").cast(pl.String)
    )


def changes_since(previous: pl.DataFrame, current: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """History rows for what differs between the previous and the current tracked values."""
    joined = previous.rename({"value": "old_value"}).join(
        current.rename({"value": "new_value"}), on=KEY, how="full", coalesce=True
    )
    changed = joined.filter(~pl.col("old_value").eq_missing(pl.col("new_value")))
    return changed.select(pl.lit(as_of).alias("as_of"), *KEY, "old_value", "new_value").sort(KEY)


def _previous_values(conn: Any, as_of: dt.date) -> pl.DataFrame:
    rows = conn.execute(
        select(
            col(StateChange.account_id),
            col(StateChange.milestone),
            col(StateChange.field),
            col(StateChange.new_value),
            col(StateChange.as_of),
            col(StateChange.id),
        ).where(col(StateChange.as_of) < as_of)
    ).all()
    frame = pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "milestone": pl.String,
            "field": pl.String,
            "value": pl.String,
            "as_of": pl.Date,
            "id": pl.Int64,
        },
        orient="row",
    )
    latest = frame.sort("as_of", "id").group_by(KEY, maintain_order=True).last()
    # A value that became null (the account or milestone went away) is simply absent now.
    return latest.filter(pl.col("value").is_not_null()).select(*KEY, "value")


def previous_statuses(engine: Engine, as_of: dt.date) -> pl.DataFrame:
    """Each account's status as of the newest run before `as_of`: account_id, status."""
    with engine.connect() as conn:
        previous = _previous_values(conn, as_of)
    return previous.filter((pl.col("milestone") == "") & (pl.col("field") == "status")).select(
        "account_id", pl.col("value").alias("status")
    )


def _insert_rows(conn: Any, model: Any, frame: pl.DataFrame) -> None:
    """Insert every row of `frame` into `model`'s table.

    On SQLite the rows go to the driver's executemany as plain tuples, with dates and booleans
    converted by polars the way SQLAlchemy stores them: SQLAlchemy's per-value processing was
    most of the time of storing a large run. Other databases take the portable path.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(insert(model), _records(frame))
        return
    table = model.__table__
    columns = [c.name for c in table.columns if c.name in frame.columns]
    typed = frame.select(columns).with_columns(
        pl.col(pl.Date).dt.to_string("%Y-%m-%d"),
        pl.col(pl.Datetime).dt.to_string("%Y-%m-%d %H:%M:%S.%6f"),
        pl.col(pl.Boolean).cast(pl.Int64),
        *[
            pl.Series(c, [json.dumps(v or [], ensure_ascii=False) for v in frame[c].to_list()])
            for c in LIST_COLUMNS
            if c in columns
        ],
    )
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', typed.rows())


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows = frame.to_dicts()
    for row in rows:
        for column in LIST_COLUMNS:
            if column in row:
                row[column] = json.dumps(row[column] or [], ensure_ascii=False)
    return rows


def save_run(
    engine: Engine, record: RunRecordIn, accounts: pl.DataFrame, milestones: pl.DataFrame
) -> int:
    """Store one run atomically; returns the number of history rows written."""
    counts = dict(accounts.group_by("status").len().iter_rows())
    current = tracked_values(accounts, milestones)
    with engine.begin() as conn:
        newest = conn.execute(
            select(func.max(col(Run.as_of))).where(col(Run.as_of) != record.as_of)
        ).scalar()
        changes = changes_since(_previous_values(conn, record.as_of), current, record.as_of)
        conn.execute(delete(StateChange).where(col(StateChange.as_of) == record.as_of))
        if changes.height:
            _insert_rows(conn, StateChange, changes)
        conn.execute(delete(Run).where(col(Run.as_of) == record.as_of))
        conn.execute(
            insert(Run),
            [
                {
                    "as_of": record.as_of,
                    "status": "succeeded",
                    "started_at": record.started_at,
                    "finished_at": record.finished_at,
                    "config_hash": record.config_hash,
                    "input_fingerprint": record.input_fingerprint,
                    "accounts": accounts.height,
                    "on_track": counts.get("on_track", 0),
                    "at_risk": counts.get("at_risk", 0),
                    "off_track": counts.get("off_track", 0),
                    "completed": counts.get("completed", 0),
                    "not_started": record.not_started,
                    "unassigned": record.unassigned,
                    "quarantined_rows": record.quarantined_rows,
                    "newest_usage_day": record.newest_usage_day,
                    "notes": json.dumps(list(record.notes), ensure_ascii=False),
                }
            ],
        )
        fault_point("mid_write")
        if newest is None or record.as_of >= newest:
            conn.execute(delete(MilestoneState))
            conn.execute(delete(AccountState))
            if accounts.height:
                _insert_rows(conn, AccountState, accounts)
            if milestones.height:
                _insert_rows(conn, MilestoneState, milestones)
        fault_point("before_commit")
    return changes.height
