"""Recording sessions and closing commitments: the store side of `journey session`.

Each function is one transaction. Reading them back as frames lives in
`journey.sessions.commitments`; turning frames into text lives in `journey.sessions.render`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import getpass
import json
import os
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from journey.errors import NotFoundError, UsageError
from journey.sessions.models import SessionIn
from journey.sessions.tables import Commitment, MappingSession, SessionNote
from journey.store.tables import AccountState, StateChange


@dataclass(frozen=True)
class AccountRef:
    """An account known to the store; `status` is None when it left the latest run."""

    account_id: str
    status: str | None
    csm_email: str | None
    as_of: dt.date | None


@dataclass(frozen=True)
class Recorded:
    """What `record_session` stored."""

    session_id: int
    commitment_ids: tuple[int, ...]


def current_user() -> str:
    """Who is recording: $USER (or the login name), for the audit columns."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in a bare container
        return "unknown"


def find_account(engine: Engine, account_id: str) -> AccountRef:
    """The account in the latest run, else in the history; NotFoundError (exit 2) otherwise."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                col(AccountState.status), col(AccountState.csm_email), col(AccountState.as_of)
            ).where(col(AccountState.account_id) == account_id)
        ).first()
        if row is not None:
            return AccountRef(account_id, row[0], row[1], row[2])
        seen = conn.execute(
            select(col(StateChange.id)).where(col(StateChange.account_id) == account_id).limit(1)
        ).first()
        if seen is not None:
            return AccountRef(account_id, None, None, None)
        known = conn.execute(select(col(AccountState.account_id))).scalars().all()
    close = difflib.get_close_matches(account_id, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise NotFoundError(f"account {account_id!r} is not in the store{hint}")


def record_session(
    engine: Engine,
    account_id: str,
    session: SessionIn,
    *,
    recorded_by: str,
    recorded_at: dt.datetime,
) -> Recorded:
    """Store a session with its notes and commitments (all open) in one transaction."""
    if session.account is not None and session.account != account_id:
        raise UsageError(
            f"the session file is about account {session.account!r}, not {account_id!r}"
        )
    with Session(engine) as db:
        row = MappingSession(
            account_id=account_id,
            held_on=session.held_on,
            goal=session.goal,
            attendees=json.dumps(list(session.attendees), ensure_ascii=False),
            recorded_by=recorded_by,
            recorded_at=recorded_at,
        )
        db.add(row)
        db.flush()
        assert row.id is not None
        for position, note in enumerate(session.notes):
            db.add(
                SessionNote(session_id=row.id, position=position, kind=note.kind, text=note.text)
            )
        commitments = [
            Commitment(
                session_id=row.id,
                account_id=account_id,
                position=position,
                owner=item.owner,
                next_step=item.next_step,
                due_on=item.due,
            )
            for position, item in enumerate(session.commitments)
        ]
        db.add_all(commitments)
        db.flush()
        recorded = Recorded(row.id, tuple(c.id for c in commitments if c.id is not None))
        db.commit()
    return recorded


def complete_commitment(
    engine: Engine, commitment_id: int, *, done_on: dt.date, note: str | None
) -> Commitment:
    """Mark an open commitment done; exit 2 if it does not exist or is already done."""
    with Session(engine) as db:
        commitment = db.get(Commitment, commitment_id)
        if commitment is None:
            raise NotFoundError(f"no commitment #{commitment_id}; see `journey session list`")
        if commitment.status == "done":
            raise UsageError(
                f"commitment #{commitment_id} was already done on {commitment.done_on}"
            )
        commitment.status = "done"
        commitment.done_on = done_on
        commitment.done_note = note
        db.add(commitment)
        db.commit()
        db.refresh(commitment)
        return commitment
