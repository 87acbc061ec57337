"""Reading current state back as result frames (reports.schema) and the run ledger."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Engine, func, select
from sqlmodel import col

from journey.store.bulk import LIST_COLUMNS, read_rows
from journey.store.tables import (
    ACCOUNTS_TABLE,
    MILESTONES_TABLE,
    AccountState,
    MilestoneState,
    Run,
    StateChange,
)
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA, STATUSES


def _frame(rows: list[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    records = [dict(row) for row in rows]
    for record in records:
        for column in LIST_COLUMNS:
            if column in record and isinstance(record[column], str):
                record[column] = json.loads(record[column])
    if not records:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(records, schema=schema)


def load_current(
    engine: Engine,
    account_id: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    milestone_columns: Sequence[str] | None = None,
    milestones_of: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Current accounts and milestones, optionally for one account; accounts by account_id,
    milestones by account_id and position.

    `columns` and `milestone_columns` name the columns to read, for a caller that needs few
    of them (a million accounts' reasons are a lot to read for nothing): default all of
    reports.schema's, `milestone_columns=()` no milestones at all. The sort keys are always
    read. `milestones_of` reads only the milestones of the accounts with that status.
    """
    account_schema = _picked(ACCOUNT_SCHEMA, columns, ("account_id",))
    milestone_schema = _picked(MILESTONE_SCHEMA, milestone_columns, ("account_id", "position"))
    if account_id is not None:
        accounts, milestones = _one_account(engine, account_id)
        return accounts.select(*account_schema), milestones.select(*milestone_schema)
    # Each frame is sorted as soon as it is read, so that the unsorted copy of one is gone
    # before the next is read: a million accounts' milestones are 0.7 GB a copy.
    with engine.connect() as conn:
        accounts = read_rows(conn, ACCOUNTS_TABLE, account_schema).sort("account_id")
        where = "" if milestones_of is None else _of_status(milestones_of)
        milestones = (
            read_rows(conn, MILESTONES_TABLE, milestone_schema, where)
            if milestone_columns != ()
            else pl.DataFrame(schema=milestone_schema)
        ).sort("account_id", "position")
    return accounts, milestones


def _of_status(status: str) -> str:
    """A condition on milestone rows: their account has `status` (one of journey's own)."""
    if status not in STATUSES:
        raise ValueError(f"not a status: {status!r}")
    accounts, milestones = ACCOUNTS_TABLE.name, MILESTONES_TABLE.name
    return (
        f'EXISTS (SELECT 1 FROM "{accounts}" AS a WHERE a.account_id = "{milestones}".account_id'
        f" AND a.status = '{status}')"
    )


def _picked(
    schema: dict[str, pl.DataType], columns: Sequence[str] | None, keys: tuple[str, ...]
) -> dict[str, pl.DataType]:
    """The part of `schema` that `columns` names (all of it for None), keys first."""
    if columns is None:
        return schema
    return {name: schema[name] for name in dict.fromkeys([*keys, *columns])}


def _one_account(engine: Engine, account_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    accounts_q = select(*[col(getattr(AccountState, c)) for c in ACCOUNT_SCHEMA]).where(
        col(AccountState.account_id) == account_id
    )
    milestones_q = (
        select(*[col(getattr(MilestoneState, c)) for c in MILESTONE_SCHEMA])
        .where(col(MilestoneState.account_id) == account_id)
        .order_by(col(MilestoneState.position))
    )
    with engine.connect() as conn:
        accounts = conn.execute(accounts_q).mappings().all()
        milestones = conn.execute(milestones_q).mappings().all()
    return _frame(list(accounts), ACCOUNT_SCHEMA), _frame(list(milestones), MILESTONE_SCHEMA)


@dataclass(frozen=True)
class Portfolio:
    """What `journey status` shows of current state, counted by the database."""

    counts: dict[str, int]  # status -> accounts
    by_segment: dict[str | None, dict[str, int]]  # segment -> status -> accounts
    listed: pl.DataFrame  # the most overdue accounts of one status (`columns`), in order


def load_portfolio(engine: Engine, status: str, limit: int, columns: Sequence[str]) -> Portfolio:
    """Accounts counted by status and by segment and status, and the first `limit` accounts of
    `status` by lag_days, then arr (both descending, missing last), then account_id, with
    `columns`.

    The database counts and orders, so that a million accounts are not read to show twenty:
    the order is polars' (`pl.DataFrame.sort`), with account_id compared byte by byte on
    PostgreSQL too (COLLATE "C"), as SQLite compares text.
    """
    status_col, segment_col = col(AccountState.status), col(AccountState.segment)
    account_col: Any = col(AccountState.account_id)
    if engine.dialect.name == "postgresql":
        account_col = account_col.collate("C")
    schema = _picked(ACCOUNT_SCHEMA, columns, ("account_id",))
    listed_q = (
        select(*[col(getattr(AccountState, c)) for c in schema])
        .where(status_col == status)
        .order_by(
            col(AccountState.lag_days).desc().nulls_last(),
            col(AccountState.arr).desc().nulls_last(),
            account_col,
        )
        .limit(limit)
    )
    with engine.connect() as conn:
        pairs = conn.execute(  # from the (status, segment) index alone
            select(status_col, segment_col, func.count()).group_by(status_col, segment_col)
        ).all()
        listed = conn.execute(listed_q).mappings().all()
    counts: dict[str, int] = {}
    by_segment: dict[str | None, dict[str, int]] = {}
    for state, segment, n in pairs:
        counts[state] = counts.get(state, 0) + n
        by_segment.setdefault(segment, {})[state] = n
    return Portfolio(counts, by_segment, _frame(list(listed), schema))


#: Account ids per query of `load_statuses` (bound parameters; SQLite allows 32,766).
STATUS_BATCH = 1000


def load_statuses(engine: Engine, account_ids: Sequence[str]) -> pl.DataFrame:
    """account_id and status of those of `account_ids` that current state holds (a few
    accounts' statuses, without reading every account's)."""
    wanted = sorted(set(account_ids))
    id_col = col(AccountState.account_id)
    rows: list[Any] = []
    with engine.connect() as conn:
        for start in range(0, len(wanted), STATUS_BATCH):
            chunk = wanted[start : start + STATUS_BATCH]
            query = select(id_col, col(AccountState.status)).where(id_col.in_(chunk))
            rows += conn.execute(query).mappings().all()
    schema: dict[str, pl.DataType] = {"account_id": pl.String(), "status": pl.String()}
    return _frame(rows, schema).sort("account_id")


def load_runs(engine: Engine) -> list[Run]:
    """The run ledger, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(Run).order_by(col(Run.as_of).desc())).mappings().all()
    return [Run.model_validate(dict(row)) for row in rows]


def load_history(engine: Engine, account_id: str) -> pl.DataFrame:
    """Every recorded change of one account, oldest first."""
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    col(StateChange.as_of),
                    col(StateChange.milestone),
                    col(StateChange.field),
                    col(StateChange.old_value),
                    col(StateChange.new_value),
                )
                .where(col(StateChange.account_id) == account_id)
                .order_by(col(StateChange.as_of), col(StateChange.id))
            )
            .mappings()
            .all()
        )
    schema = {
        "as_of": pl.Date(),
        "milestone": pl.String(),
        "field": pl.String(),
        "old_value": pl.String(),
        "new_value": pl.String(),
    }
    return _frame(list(rows), schema)
