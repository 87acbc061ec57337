"""Tables of the session loop: whiteboard sessions, their notes and commitments, and snoozes.

A session is recorded once and never edited; a commitment changes only from open to done; a
snooze is revoked (or superseded) by stamping it, never deleted. Rows therefore grow with what
CSMs record, and the history of who acknowledged what stays answerable.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class MappingSession(SQLModel, table=True):
    """One whiteboard account-mapping session (DESIGN §9)."""

    __tablename__ = "mapping_session"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    held_on: dt.date
    goal: str  # why the journey will work: the outcome the session is done at
    attendees: str = "[]"  # JSON list of names
    recorded_by: str
    recorded_at: dt.datetime


class SessionNote(SQLModel, table=True):
    """One contribution written down by the scribe, marked fact or opinion."""

    __tablename__ = "session_note"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mapping_session.id", index=True)
    position: int
    kind: str  # fact | opinion
    text: str


class Commitment(SQLModel, table=True):
    """A next step someone owns, due on a date; open until marked done."""

    __tablename__ = "commitment"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="mapping_session.id", index=True)
    account_id: str = Field(index=True)
    position: int
    owner: str
    next_step: str
    due_on: dt.date
    status: str = Field(default="open", index=True)  # open | done
    done_on: dt.date | None = None
    done_note: str | None = None


class Snooze(SQLModel, table=True):
    """An acknowledged off-track flag, hidden from reports until `until` or a status change."""

    __tablename__ = "snooze"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    until: dt.date  # the flag is back on this day
    reason: str
    created_by: str
    created_on: dt.date
    created_at: dt.datetime
    status_at_snooze: str
    run_as_of: dt.date  # the run whose status was acknowledged
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None
