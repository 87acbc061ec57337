"""`journey session add|list|done`: record whiteboard sessions and revisit their commitments.

"Today" for overdue commitments is the latest run's as_of (the day the data describes), so
`session list --overdue` agrees with the weekly report built from that run.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    app,
    open_config,
    open_store,
    require_run,
    setup_logging,
    user_errors,
)
from journey.errors import UsageError

if TYPE_CHECKING:
    from journey.sessions.models import SessionIn

session_app = typer.Typer(
    help="Whiteboard sessions: record what was said and committed, then revisit it.",
    no_args_is_help=True,
)
app.add_typer(session_app, name="session")

Account = Annotated[str, typer.Argument(help="An account_id, e.g. ACC-00042.")]
_FLAG_OF = {
    "date": "--date",
    "goal": "--goal",
    "notes": "--fact/--opinion",
    "commitments": "--commit",
}


def subcommand(
    group: typer.Typer, name: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a command of a sub-app, with user errors rendered like every command's."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def wrapper(*args: object, **kwargs: object) -> None:
            setup_logging()
            with user_errors():
                func(*args, **kwargs)

        return group.command(name)(wrapper)

    return register


def day_option(value: str | None, option: str, today: dt.date) -> dt.date | None:
    """A date option (YYYY-MM-DD, today, +N days); UsageError (exit 2) naming the option."""
    from journey.sessions.models import parse_day

    if value is None:
        return None
    try:
        return parse_day(value, today)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def session_from_flags(
    *,
    held_on: dt.date,
    attendees: list[str],
    goal: str | None,
    facts: list[str],
    opinions: list[str],
    commits: list[str],
) -> SessionIn:
    """The session the flags describe; UsageError naming the flag otherwise."""
    from pydantic import ValidationError

    from journey.sessions.models import SessionIn, date_problems, parse_commitment_flag

    if not goal:
        raise UsageError("--goal is required: why will the journey work?")
    try:
        commitments = [parse_commitment_flag(text, held_on) for text in commits]
    except (ValueError, ValidationError) as exc:
        raise UsageError(f"--commit: {exc}") from None
    data: dict[str, Any] = {
        "date": held_on,
        "attendees": [a for text in attendees for a in text.split(",")],
        "goal": goal,
        "notes": [{"fact": t} for t in facts] + [{"opinion": t} for t in opinions],
        "commitments": [c.model_dump() for c in commitments],
    }
    try:
        session = SessionIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        flag = _FLAG_OF.get(str(first["loc"][0]), str(first["loc"][0]))
        message = "must not be empty" if first["type"] == "string_too_short" else first["msg"]
        raise UsageError(f"{flag}: {message}") from None
    late = date_problems(session)
    if late:
        raise UsageError(f"--commit: {late[0][1]}")
    return session


@subcommand(session_app)
def add(
    account: Account,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A session written as YAML or CSV.")
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="When it was held: YYYY-MM-DD (default: today).")
    ] = None,
    attendee: Annotated[
        list[str] | None, typer.Option("--attendee", "-a", help="Who was there (or 'A, B').")
    ] = None,
    goal: Annotated[
        str | None, typer.Option("--goal", "-g", help="Why the journey will work.")
    ] = None,
    fact: Annotated[list[str] | None, typer.Option(help="A note marked fact.")] = None,
    opinion: Annotated[list[str] | None, typer.Option(help="A note marked opinion.")] = None,
    commit: Annotated[
        list[str] | None,
        typer.Option(help="A commitment: 'OWNER | NEXT STEP | DUE' (DUE: date or +N days)."),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who records it (default: $USER).")] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--no-interactive",
            "-i",
            help="Ask question by question (default on a terminal when no flags are given).",
        ),
    ] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Record a whiteboard session for ACCOUNT: date, attendees, notes (fact or opinion), why
    the journey will work, and commitments (owner, next step, due date).

    Three ways: answer prompts (on a terminal), give flags, or --file session.yaml|.csv
    (see docs/sessions.md). Exit 2 for a bad flag or unknown account, 3 for a bad file.
    """
    from journey.sessions.files import load_session_file
    from journey.sessions.prompts import prompt_session
    from journey.sessions.service import current_user, find_account, record_session

    config = open_config(config_dir)
    engine = open_store(config)
    require_run(engine)
    ref = find_account(engine, account)
    today = dt.date.today()
    flags = any([attendee, goal, fact, opinion, commit, date])
    if file is not None:
        if flags:
            raise UsageError("give either --file or the session flags, not both")
        session = load_session_file(file)
    elif interactive or (interactive is None and not flags and sys.stdin.isatty()):
        session = prompt_session(account, today)
    elif flags:
        session = session_from_flags(
            held_on=day_option(date, "--date", today) or today,
            attendees=attendee or [],
            goal=goal,
            facts=fact or [],
            opinions=opinion or [],
            commits=commit or [],
        )
    else:
        raise UsageError("nothing to record: give --file, the flags (--goal ...), or -i")
    recorded = record_session(
        engine,
        account,
        session,
        recorded_by=by or current_user(),
        recorded_at=dt.datetime.now(dt.UTC),
    )
    ids = ", ".join(f"#{i}" for i in recorded.commitment_ids) or "none"
    typer.echo(
        f"recorded session #{recorded.session_id} for {account} on {session.held_on} "
        f"({len(session.notes)} note(s); commitments {ids})"
    )
    if ref.status is None:
        typer.echo(f"note: {account} is not in the latest run", err=True)


@subcommand(session_app, "list")
def list_sessions(
    account: Annotated[str | None, typer.Argument(help="Only this account.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open commitments.")] = False,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only commitments open past their due date.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Overdue on this day (default: latest run).")
    ] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Sessions with their notes and commitments, newest first; overdue commitments first."""
    from journey.sessions.commitments import select_commitments
    from journey.sessions.reads import load_commitments, load_notes, load_sessions
    from journey.sessions.render import session_lines, sessions_json
    from journey.sessions.service import find_account

    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    config = open_config(config_dir)
    engine = open_store(config)
    day = day_option(as_of, "--as-of", dt.date.today()) or require_run(engine).as_of
    if account is not None:
        find_account(engine, account)
    sessions = load_sessions(engine, account)
    commitments = select_commitments(
        load_commitments(engine, account), day, open_only=open_only, overdue_only=overdue
    )
    if open_only or overdue:
        sessions = sessions.join(commitments.select("session_id"), on="session_id", how="semi")
    notes = load_notes(engine, sessions["session_id"].to_list())
    if fmt == "json":
        payload = sessions_json(sessions, notes, commitments, day)
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if not sessions.height:
        typer.echo("no sessions match")
        return
    for line in session_lines(sessions, notes, commitments, day):
        typer.echo(line)


@subcommand(session_app)
def done(
    commitment_id: Annotated[int, typer.Argument(help="The #id shown by `session list`.")],
    note: Annotated[str | None, typer.Option(help="What was done, in a sentence.")] = None,
    on: Annotated[str | None, typer.Option(help="Done on this day (default: today).")] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Mark a commitment done; it leaves the open list and the weekly report."""
    from journey.sessions.service import complete_commitment

    config = open_config(config_dir)
    engine = open_store(config)
    day = day_option(on, "--on", dt.date.today()) or dt.date.today()
    commitment = complete_commitment(engine, commitment_id, done_on=day, note=note)
    typer.echo(
        f"commitment #{commitment_id} of {commitment.account_id} done on {day}: "
        f"{commitment.next_step}"
    )
