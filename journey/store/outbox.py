"""The email outbox (DESIGN §8, §10): one row per week and recipient, so a week's email to a
recipient goes out once even if `journey send` is re-run or killed midway.

A send claims a row (pending/failed/sending -> sending) before talking to SMTP and marks it
sent (or failed) right after. `journey send` holds a lock for the whole send, so a row found
in `sending` at the start belongs to a send that died; it is claimed again. That leaves one
narrow window for a duplicate (killed after the server accepted the message, before the row
was marked); the stable Message-ID lets mail clients recognise such a duplicate.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class EmailOutbox(SQLModel, table=True):
    """One weekly email to one recipient and what happened to it."""

    __tablename__ = "email_outbox"
    __table_args__ = (UniqueConstraint("week", "recipient", name="uq_email_outbox_week_recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    week: dt.date = Field(index=True)  # the Monday of the report's week
    recipient: str
    kind: str  # csm | rollup
    message_id: str
    subject: str
    status: str = PENDING  # pending | sending | sent | failed
    attempts: int = 0  # SMTP attempts over all sends
    last_error: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def claim(
    engine: Engine, *, week: dt.date, recipient: str, kind: str, message_id: str, subject: str
) -> bool:
    """Take the row of (week, recipient) for sending; False when it was sent already."""
    now = _now()
    try:
        with engine.begin() as conn:
            conn.execute(
                EmailOutbox.__table__.insert(),  # type: ignore[attr-defined]
                {
                    "week": week,
                    "recipient": recipient,
                    "kind": kind,
                    "message_id": message_id,
                    "subject": subject,
                    "status": SENDING,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return True
    except IntegrityError:
        pass  # the row exists: take it unless it was sent
    with engine.begin() as conn:
        taken = conn.execute(
            update(EmailOutbox)
            .where(col(EmailOutbox.week) == week)
            .where(col(EmailOutbox.recipient) == recipient)
            .where(col(EmailOutbox.status) != SENT)
            .values(status=SENDING, subject=subject, updated_at=now)
        )
    return bool(taken.rowcount)


def record_result(
    engine: Engine,
    *,
    week: dt.date,
    recipient: str,
    sent: bool,
    attempts: int,
    error: str | None = None,
) -> None:
    """Mark the row sent or failed, adding this send's SMTP attempts."""
    now = _now()
    with engine.begin() as conn:
        conn.execute(
            update(EmailOutbox)
            .where(col(EmailOutbox.week) == week)
            .where(col(EmailOutbox.recipient) == recipient)
            .values(
                status=SENT if sent else FAILED,
                attempts=col(EmailOutbox.attempts) + attempts,
                last_error=None if sent else (error or "")[:1000],
                sent_at=now if sent else None,
                updated_at=now,
            )
        )


def outbox_rows(engine: Engine, week: dt.date) -> list[EmailOutbox]:
    """The outbox of one week, by recipient."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(EmailOutbox)
            .where(col(EmailOutbox.week) == week)
            .order_by(col(EmailOutbox.recipient))
        ).mappings()
        return [EmailOutbox.model_validate(dict(r)) for r in rows]
