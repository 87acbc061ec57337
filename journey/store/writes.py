"""Writing one run: ledger row, current state and history, in one transaction.

A run for an as_of replaces that date's ledger row and history rows, so re-running a date is
idempotent. History rows are the differences from the state as of the previous date, so the
table grows with change, not with accounts x nights. Current state is replaced only by a run
for the newest date; re-running an older date leaves it alone.

The values as of the previous date come, for a run newer than every stored one (the nightly
case), from current state, which holds exactly the newest run's results; for a re-run of a
stored or older date, from replaying history up to that date.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Boolean, Connection, Engine, delete, func, insert, select
from sqlmodel import col

from journey.faults import fault_point
from journey.store.bulk import insert_rows, read_rows, route, stored_form
from journey.store.current import CurrentChange, apply_current, plan_current
from journey.store.tables import ACCOUNTS_TABLE, HISTORY_TABLE, MILESTONES_TABLE, Run, StateChange

KEY = ["account_id", "milestone", "field"]

#: What a run reads of current state: keys, tracked values, and what `plan_current` compares.
STORED_ACCOUNTS = {
    "account_id": pl.String(),
    "status": pl.String(),
    "segment": pl.String(),
    "journey": pl.String(),
    "digest": pl.Int64(),
    "moving_digest": pl.Int64(),
}
STORED_MILESTONES = {
    "account_id": pl.String(),
    "milestone": pl.String(),
    "state": pl.String(),
    "regressed": pl.Boolean(),
    "digest": pl.Int64(),
    "moving_digest": pl.Int64(),
}


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
    state_key: str | None = None  # the persisted per-account metric state of this run


#: The values whose changes history keeps, per current-state table; an account's own go with
#: milestone "".
TRACKED = {
    "account_state": ("status", "segment", "journey"),
    "milestone_state": ("state", "regressed"),
}


def tracked_values(accounts: pl.DataFrame, milestones: pl.DataFrame) -> pl.DataFrame:
    """The values whose changes history keeps, long: account_id, milestone, field, value."""
    index = ["account_id", "milestone"]
    account_fields = accounts.select(
        "account_id", pl.lit("").alias("milestone"), *TRACKED["account_state"]
    ).unpivot(index=index, variable_name="field", value_name="value")
    milestone_fields = milestones.select(
        *index, *[pl.col(c).cast(pl.String) for c in TRACKED["milestone_state"]]
    ).unpivot(index=index, variable_name="field", value_name="value")
    return pl.concat([account_fields, milestone_fields]).with_columns(
        pl.col("value").cast(pl.String)
    )


def _first_history(conn: Connection, as_of: dt.date) -> int:
    """History rows for a run whose previous values are none (nothing was stored), made by the
    database from the current state this run just wrote: what `changes_since(<nothing>,
    tracked_values(...))` makes, without the rows travelling through Python (SQLite; a first
    run writes one row per tracked value). Returns how many."""
    selects = []
    for table in (ACCOUNTS_TABLE, MILESTONES_TABLE):
        milestone = '"milestone"' if "milestone" in table.c else "''"
        for field in TRACKED[table.name]:
            value = f'"{field}"'
            if isinstance(table.c[field].type, Boolean):  # as polars writes a Boolean as text
                value = f"CASE {value} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
            selects.append(
                f"SELECT \"account_id\", {milestone} AS milestone, '{field}' AS field, "
                f'{value} AS value FROM "{table.name}"'
            )
    columns = ", ".join(f'"{c}"' for c in ("as_of", *KEY, "old_value", "new_value"))
    result = conn.exec_driver_sql(
        f'INSERT INTO "{HISTORY_TABLE.name}" ({columns}) '
        f"SELECT ?, account_id, milestone, field, NULL, value "
        f"FROM ({' UNION ALL '.join(selects)}) WHERE value IS NOT NULL "
        "ORDER BY account_id, milestone, field",  # BINARY collation: polars' order
        (as_of.isoformat(),),
    )
    return int(result.rowcount)


def changes_since(previous: pl.DataFrame, current: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """History rows for what differs between the previous and the current tracked values."""
    joined = previous.rename({"value": "old_value"}).join(
        current.rename({"value": "new_value"}), on=KEY, how="full", coalesce=True
    )
    changed = joined.filter(~pl.col("old_value").eq_missing(pl.col("new_value")))
    return changed.select(pl.lit(as_of).alias("as_of"), *KEY, "old_value", "new_value").sort(KEY)


def latest_run(engine: Engine) -> tuple[dt.date, str, str | None] | None:
    """The newest run in the ledger: as_of, config_hash, state_key; None when there is none."""
    with engine.connect() as conn:
        row = conn.execute(
            select(col(Run.as_of), col(Run.config_hash), col(Run.state_key))
            .order_by(col(Run.as_of).desc())
            .limit(1)
        ).first()
    return None if row is None else (row[0], row[1], row[2])


def _latest_as_of(conn: Connection) -> dt.date | None:
    return conn.execute(select(func.max(col(Run.as_of)))).scalar()


def _follows_newest(as_of: dt.date, latest: dt.date | None) -> bool:
    """Whether a run for `as_of` is newer than the newest stored run (`latest`): the nightly
    case, whose previous values are current state's."""
    return latest is None or as_of > latest


def _touched(frame: pl.DataFrame, change: CurrentChange) -> pl.DataFrame:
    """The rows of `frame` whose tracked values `change` may change."""
    return frame.join(change.touched(), on=change.key, how="semi")


def _replayed_values(conn: Connection, as_of: dt.date) -> pl.DataFrame:
    """The tracked values before `as_of`, replayed from history (for re-running a past date)."""
    history = read_rows(
        conn,
        HISTORY_TABLE,
        {
            "account_id": pl.String(),
            "milestone": pl.String(),
            "field": pl.String(),
            "new_value": pl.String(),
            "as_of": pl.Date(),
            "id": pl.Int64(),
        },
        where=f"as_of < '{as_of.isoformat()}'",
    ).rename({"new_value": "value"})
    latest = history.sort("as_of", "id").group_by(KEY, maintain_order=True).last()
    # A value that became null (the account or milestone went away) is simply absent now.
    return latest.filter(pl.col("value").is_not_null()).select(*KEY, "value")


def previous_statuses(engine: Engine, as_of: dt.date) -> pl.DataFrame:
    """Each account's status as of the newest run before `as_of`: account_id, status."""
    with engine.connect() as conn:
        if _follows_newest(as_of, _latest_as_of(conn)):
            return read_rows(
                conn, ACCOUNTS_TABLE, {"account_id": pl.String(), "status": pl.String()}
            )
        previous = _replayed_values(conn, as_of)
    return previous.filter((pl.col("milestone") == "") & (pl.col("field") == "status")).select(
        "account_id", pl.col("value").alias("status")
    )


def save_run(
    engine: Engine, record: RunRecordIn, accounts: pl.DataFrame, milestones: pl.DataFrame
) -> int:
    """Store one run atomically; returns the number of history rows written."""
    counts = dict(accounts.group_by("status").len().iter_rows())
    as_of = record.as_of
    with engine.begin() as conn:
        latest = _latest_as_of(conn)
        # Current state is read once: to plan its replacement and for the previous values.
        stored_accounts = read_rows(conn, ACCOUNTS_TABLE, STORED_ACCOUNTS)
        stored_milestones = read_rows(conn, MILESTONES_TABLE, STORED_MILESTONES)
        account_change = plan_current(ACCOUNTS_TABLE, accounts, stored_accounts)
        milestone_change = plan_current(MILESTONES_TABLE, milestones, stored_milestones)
        follows = _follows_newest(as_of, latest)
        # Nothing stored before a new night: its history is every tracked value, which SQLite
        # takes from the current state written below rather than from Python.
        from_current = (
            follows
            and stored_accounts.is_empty()
            and stored_milestones.is_empty()
            and route(conn) == "sqlite"
        )
        conn.execute(delete(StateChange).where(col(StateChange.as_of) == as_of))
        written = 0
        if not from_current:
            if follows:
                # Current state holds the newest run's results. Rows a run leaves alone, or
                # changes only in moving columns, keep their tracked values: compare the others.
                previous = tracked_values(
                    _touched(stored_accounts, account_change),
                    _touched(stored_milestones, milestone_change),
                ).filter(pl.col("value").is_not_null())
                current = tracked_values(
                    _touched(accounts, account_change), _touched(milestones, milestone_change)
                )
            else:  # a re-run of a stored date, or of an older one
                previous = _replayed_values(conn, as_of)
                current = tracked_values(accounts, milestones)
            changes = changes_since(previous, current, as_of)
            insert_rows(conn, HISTORY_TABLE, stored_form(changes, HISTORY_TABLE))
            written = changes.height
        conn.execute(delete(Run).where(col(Run.as_of) == as_of))
        conn.execute(
            insert(Run),
            [
                {
                    "as_of": as_of,
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
                    "state_key": record.state_key,
                }
            ],
        )
        fault_point("mid_write")
        if latest is None or as_of >= latest:  # current state shows the newest run
            apply_current(conn, milestone_change)
            apply_current(conn, account_change)
        if from_current:
            written = _first_history(conn, as_of)
        fault_point("before_commit")
    return written
