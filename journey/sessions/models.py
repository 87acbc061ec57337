"""What a recorded session is made of, validated: pydantic models plus small parsers.

The same models check a session whether it came from prompts, flags or a file; only the
error rendering differs (a flag names the option, a file names its line).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

NoteKind = Literal["fact", "opinion"]
_RELATIVE = re.compile(r"^\+(\d+)\s*([dw]?)$")


def parse_day(text: str, today: dt.date) -> dt.date:
    """A date: YYYY-MM-DD, `today`, or `+N` / `+Nd` / `+Nw` days or weeks after `today`."""
    value = text.strip().lower()
    if value == "today":
        return today
    relative = _RELATIVE.match(value)
    if relative:
        days = int(relative.group(1)) * (7 if relative.group(2) == "w" else 1)
        return today + dt.timedelta(days=days)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date; use YYYY-MM-DD or +N (days from now)") from None


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class NoteIn(_Frozen):
    """One contribution, marked fact or opinion (the session's second rule)."""

    kind: NoteKind
    text: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        # `- fact: text` is how a scribe writes it; `{kind: fact, text: ...}` also works.
        if isinstance(data, dict) and len(data) == 1:
            ((key, value),) = data.items()
            if key in ("fact", "opinion"):
                return {"kind": key, "text": value}
            if key not in ("kind", "text"):
                raise ValueError(f"a note is `fact: TEXT` or `opinion: TEXT`, not `{key}: ...`")
        return data


class CommitmentIn(_Frozen):
    """A next step with an owner and a due date."""

    owner: str = Field(min_length=1)
    next_step: str = Field(min_length=1)
    due: dt.date


class SessionIn(_Frozen):
    """A whiteboard session as recorded: date, who was there, notes, goal, commitments."""

    account: str | None = None  # a file may name its account; it must match the command's
    held_on: dt.date = Field(validation_alias=AliasChoices("date", "held_on"))
    attendees: tuple[str, ...] = ()
    goal: str = Field(min_length=1, description="Why the journey will work.")
    notes: tuple[NoteIn, ...] = ()
    commitments: tuple[CommitmentIn, ...] = ()

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, str_strip_whitespace=True
    )

    @field_validator("attendees", mode="before")
    @classmethod
    def _split_attendees(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(str(v).strip() for v in value if str(v).strip())
        return value


def date_problems(session: SessionIn) -> list[tuple[tuple[str | int, ...], str]]:
    """Commitments due before their session: (location in the session, message) each."""
    return [
        (
            ("commitments", index, "due"),
            f"due {commitment.due} is before the session date {session.held_on}",
        )
        for index, commitment in enumerate(session.commitments)
        if commitment.due < session.held_on
    ]


def parse_commitment_flag(text: str, today: dt.date) -> CommitmentIn:
    """`OWNER | NEXT STEP | DUE` (the --commit flag); the next step may itself hold a `|`."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) < 3:
        raise ValueError(f"{text!r} is not 'OWNER | NEXT STEP | DUE'")
    owner, due = parts[0], parts[-1]
    step = " | ".join(parts[1:-1])
    if not owner:
        raise ValueError(f"{text!r} has no owner")
    if not step:
        raise ValueError(f"{text!r} has no next step")
    return CommitmentIn(owner=owner, next_step=step, due=parse_day(due, today))
