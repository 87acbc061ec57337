"""Reading sessions, notes, commitments back as polars frames.

`open_commitments` is what the weekly report reads (reports.schema.COMMITMENT_SCHEMA).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Engine, select
from sqlmodel import col

from journey.sessions.commitments import is_open, order_commitments
from journey.sessions.render import account_loop_lines
from journey.sessions.tables import Commitment, MappingSession, SessionNote
from reports.schema import COMMITMENT_SCHEMA

SESSION_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.Int64(),
    "account_id": pl.String(),
    "held_on": pl.Date(),
    "goal": pl.String(),
    "attendees": pl.List(pl.String()),
    "recorded_by": pl.String(),
}
NOTE_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.Int64(),
    "kind": pl.String(),
    "text": pl.String(),
}
#: Commitments with their completion note (COMMITMENT_SCHEMA + done_note).
COMMITMENT_DETAIL_SCHEMA: dict[str, pl.DataType] = {**COMMITMENT_SCHEMA, "done_note": pl.String()}


def _frame(rows: list[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame([dict(row) for row in rows], schema=schema, orient="row")


def load_sessions(engine: Engine, account_id: str | None = None) -> pl.DataFrame:
    """Sessions (SESSION_SCHEMA), newest first."""
    where: list[ColumnElement[bool]] = []
    if account_id is not None:
        where.append(col(MappingSession.account_id) == account_id)
    query = select(
        col(MappingSession.id),
        col(MappingSession.account_id),
        col(MappingSession.held_on),
        col(MappingSession.goal),
        col(MappingSession.attendees),
        col(MappingSession.recorded_by),
    ).where(*where)
    query = query.order_by(col(MappingSession.held_on).desc(), col(MappingSession.id).desc())
    with engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    for row in rows:
        row["session_id"] = row.pop("id")
        row["attendees"] = json.loads(row["attendees"] or "[]")
    return _frame(rows, SESSION_SCHEMA)


def load_notes(engine: Engine, session_ids: list[int]) -> pl.DataFrame:
    """The notes of these sessions (NOTE_SCHEMA), in the order they were written."""
    query = (
        select(col(SessionNote.session_id), col(SessionNote.kind), col(SessionNote.text))
        .where(col(SessionNote.session_id).in_(session_ids))
        .order_by(col(SessionNote.session_id), col(SessionNote.position))
    )
    with engine.connect() as conn:
        return _frame(list(conn.execute(query).mappings()), NOTE_SCHEMA)


def load_commitments(engine: Engine, account_id: str | None = None) -> pl.DataFrame:
    """Every commitment (COMMITMENT_DETAIL_SCHEMA), with its session's date."""
    where: list[ColumnElement[bool]] = []
    if account_id is not None:
        where.append(col(Commitment.account_id) == account_id)
    query = select(
        col(Commitment.id),
        col(Commitment.account_id),
        col(Commitment.session_id),
        col(MappingSession.held_on),
        col(Commitment.owner),
        col(Commitment.next_step),
        col(Commitment.due_on),
        col(Commitment.status),
        col(Commitment.done_on),
        col(Commitment.done_note),
    ).join(MappingSession, col(MappingSession.id) == col(Commitment.session_id))
    with engine.connect() as conn:
        result = conn.execute(query.where(*where).order_by(col(Commitment.id))).mappings()
        rows = [dict(row) for row in result]
    for row in rows:
        row["commitment_id"] = row.pop("id")
        row["session_date"] = row.pop("held_on")
    return _frame(rows, COMMITMENT_DETAIL_SCHEMA)


def open_commitments(engine: Engine, as_of: dt.date) -> pl.DataFrame:
    """Commitments not yet done (COMMITMENT_SCHEMA): overdue on `as_of` first, then by due date.

    Every open commitment is returned whatever its session date, so that a session recorded
    today still shows in a report re-rendered for an earlier run. Join on account_id to get
    each account's (and so each CSM's) commitments.
    """
    commitments = load_commitments(engine).filter(is_open())
    return order_commitments(commitments, as_of).select(list(COMMITMENT_SCHEMA))


def account_loop(engine: Engine, account_id: str, as_of: dt.date) -> list[str]:
    """Text lines for `journey status ACCOUNT`: its sessions and open commitments."""
    return account_loop_lines(
        load_sessions(engine, account_id), load_commitments(engine, account_id), as_of
    )
