"""Tables. Current state is one row per account and per account x milestone; history keeps
only changes, so it grows with change rather than with accounts x nights.

A current-state row's `digest` is a hash of its columns as stored but for those that move most
nights (day counts, metric values), and `moving_digest` a hash of those: a run rewrites only
the rows whose content changed, and only the moving columns where only they changed
(journey.store.current). A null digest (a row written before digests existed) matches nothing:
the next run rewrites that row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel


class Run(SQLModel, table=True):
    """The run ledger: one row per as_of; a re-run for the same date replaces it."""

    __tablename__ = "run"

    as_of: dt.date = Field(primary_key=True)
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime
    config_hash: str
    input_fingerprint: str
    accounts: int
    on_track: int
    at_risk: int
    off_track: int
    completed: int
    not_started: int
    unassigned: int
    quarantined_rows: int
    newest_usage_day: dt.date | None = None
    notes: str = "[]"  # JSON list of sentences (quarantine, freshness warnings)
    state_key: str | None = None  # the persisted per-account metric state this run produced


class AccountState(SQLModel, table=True):
    """The latest evaluated state of each account (reports.schema.ACCOUNT_SCHEMA)."""

    __tablename__ = "account_state"
    # `journey status` counts accounts by status and segment from this index alone, without
    # reading the rows (1.6 s -> 0.2 s at a million accounts); queries by status use it too.
    __table_args__ = (Index("ix_account_state_status_segment", "status", "segment"),)

    account_id: str = Field(primary_key=True)
    name: str | None = None
    csm_email: str | None = Field(default=None, index=True)
    arr: float | None = None
    start_date: dt.date
    segment: str | None = None
    journey: str | None = None
    journey_name: str | None = None
    icp: str | None = None
    icp_fit: float | None = None
    as_of: dt.date
    day_of_journey: int
    status: str
    lag_days: int | None = None
    milestones_total: int
    milestones_achieved: int
    milestones_expected: int
    location: str  # JSON list
    expected_location: str  # JSON list
    last_activity: dt.date | None = None
    reasons: str  # JSON list
    digest: int | None = Field(default=None, sa_type=BigInteger)  # journey.store.current
    moving_digest: int | None = Field(default=None, sa_type=BigInteger)


class MilestoneState(SQLModel, table=True):
    """The latest state of each account x milestone (reports.schema.MILESTONE_SCHEMA)."""

    __tablename__ = "milestone_state"

    account_id: str = Field(primary_key=True)
    milestone: str = Field(primary_key=True)
    journey: str
    position: int
    due_day: int
    due_on: dt.date
    achieved_on: dt.date | None = None
    state: str
    days_late: int | None = None
    condition: str
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    value_on_due: float | None = None
    metric_values: str
    holds_now: bool
    regressed: bool
    at_risk: bool
    critical: bool
    first_move: str | None = None
    digest: int | None = Field(default=None, sa_type=BigInteger)  # journey.store.current
    moving_digest: int | None = Field(default=None, sa_type=BigInteger)


class StateChange(SQLModel, table=True):
    """Append-only history: one row per change of an account's or a milestone's value.

    `milestone` is "" for account-level fields (status, segment, journey).
    """

    __tablename__ = "state_change"

    id: int | None = Field(default=None, primary_key=True)
    as_of: dt.date = Field(index=True)
    account_id: str = Field(index=True)
    milestone: str = ""
    field: str
    old_value: str | None = None
    new_value: str | None = None


#: The current-state and history tables as SQLAlchemy Core tables, for the bulk reads and
#: writes of journey.store.bulk.
ACCOUNTS_TABLE = SQLModel.metadata.tables[AccountState.__tablename__]
MILESTONES_TABLE = SQLModel.metadata.tables[MilestoneState.__tablename__]
HISTORY_TABLE = SQLModel.metadata.tables[StateChange.__tablename__]
