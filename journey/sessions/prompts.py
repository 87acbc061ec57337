"""Recording a session by answering prompts on a terminal (about two minutes).

Plain `typer.prompt` calls reading stdin, so tests drive them with CliRunner's `input=`.
A bad date is asked again; end of input or Ctrl-C cancels without storing anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import typer

from journey.errors import UsageError
from journey.sessions.models import CommitmentIn, NoteIn, NoteKind, SessionIn, parse_day


def _day_parser(today: dt.date, not_before: dt.date | None = None) -> Callable[[str], dt.date]:
    def parse(text: str) -> dt.date:
        try:
            day = parse_day(text, today)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        if not_before is not None and day < not_before:
            raise typer.BadParameter(f"{day} is before the session ({not_before})")
        return day

    return parse


def _note_kind(text: str) -> NoteKind:
    answer = text.strip().lower()
    if answer in ("f", "fact"):
        return "fact"
    if answer in ("o", "opinion"):
        return "opinion"
    raise typer.BadParameter("answer f (fact) or o (opinion)")


def _optional(text: str) -> str:
    return typer.prompt(text, default="", show_default=False).strip()


def _required(text: str) -> str:
    while True:
        value = typer.prompt(text).strip()
        if value:
            return value


def prompt_session(account_id: str, today: dt.date) -> SessionIn:
    """Ask for the session field by field; UsageError (nothing stored) if cancelled."""
    try:
        return _ask(account_id, today)
    except (typer.Abort, EOFError):
        raise UsageError("cancelled; nothing was recorded") from None


def _ask(account_id: str, today: dt.date) -> SessionIn:
    typer.echo(f"Recording a whiteboard session for {account_id}. Blank answers end a list.")
    held_on: dt.date = typer.prompt(
        "Session date", default=today.isoformat(), value_proc=_day_parser(today)
    )
    attendees = [a.strip() for a in _optional("Attendees (comma-separated)").split(",")]
    goal = _required("Why will the journey work? (the session's goal)")
    notes: list[NoteIn] = []
    while text := _optional(f"Note {len(notes) + 1} (blank to finish)"):
        kind = typer.prompt("  fact or opinion? [f/o]", default="f", value_proc=_note_kind)
        notes.append(NoteIn(kind=kind, text=text))
    commitments: list[CommitmentIn] = []
    while owner := _optional(f"Commitment {len(commitments) + 1} owner (blank to finish)"):
        step = _required("  next step")
        due: dt.date = typer.prompt(
            "  due (YYYY-MM-DD or +N days)",
            default="+7",
            value_proc=_day_parser(held_on, not_before=held_on),
        )
        commitments.append(CommitmentIn(owner=owner, next_step=step, due=due))
    session = SessionIn(
        held_on=held_on,
        attendees=tuple(a for a in attendees if a),
        goal=goal,
        notes=tuple(notes),
        commitments=tuple(commitments),
    )
    typer.echo(
        f"\n{account_id} on {held_on}: {len(session.attendees)} attendee(s), "
        f"{len(notes)} note(s), {len(commitments)} commitment(s)."
    )
    if not typer.confirm("Save this session?", default=True):
        raise UsageError("not saved; nothing was recorded")
    return session
