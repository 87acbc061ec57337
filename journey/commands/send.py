"""`journey send`: email the weekly reports, each week's email to each recipient once.

The outbox (journey.store.outbox) remembers what went out; a second `send` in the same week
sends only what is missing. 4xx replies and connection errors are retried with backoff
(email.attempts, email.backoff_seconds); a 5xx is recorded as failed and the command exits 5.
SMTP credentials come only from JOURNEY_SMTP_USER / JOURNEY_SMTP_PASSWORD and are never logged.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    command,
    err,
    open_config,
    open_store,
    parse_date,
    require_run,
)
from journey.errors import DataError, ExitCode, JourneyError

if TYPE_CHECKING:
    from journey.config import Config
    from reports.delivery import SmtpConfig

ENV_USER = "JOURNEY_SMTP_USER"
ENV_PASSWORD = "JOURNEY_SMTP_PASSWORD"


def smtp_config(config: Config) -> SmtpConfig:
    """SMTP settings from settings.yaml plus credentials from the environment only."""
    from reports.delivery import SmtpConfig

    email = config.settings.email
    assert email is not None
    return SmtpConfig(
        host=email.smtp_host,
        port=email.smtp_port,
        security=email.security,
        user=os.environ.get(ENV_USER) or None,
        password=os.environ.get(ENV_PASSWORD) or None,
        timeout_seconds=email.timeout_seconds,
        attempts=email.attempts,
        backoff_seconds=email.backoff_seconds,
    )


@command
def send(
    week: Annotated[
        str | None,
        typer.Option(help="Send the email of the week holding this date (default: this week)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write .eml files instead of sending.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for --dry-run (default: <report.out_dir>/email/<week>)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Send even though the latest run says to hold the email (stale data)."
        ),
    ] = False,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Email each CSM their weekly report and the manager the rollup (multipart text + HTML).

    A week's email goes to each recipient once, however often this runs; exit code 5 when a
    message could not be delivered (the others still go out)."""
    from journey.lock import file_lock
    from journey.nightly import email_hold_reason
    from journey.store.outbox import claim, record_result
    from journey.weekly import gather, report_set
    from reports.delivery import deliver
    from reports.email import UnsafeHeaderError, build_message, eml_name, weekly_emails
    from reports.export import atomic_write
    from reports.views import week_start

    config = open_config(config_dir)
    settings = config.settings.email
    if settings is None:
        raise JourneyError(
            "settings.yaml has no `email:` section; add e.g. "
            "email: {from: cs-ops@example.com, smtp_host: smtp.example.com}",
            ExitCode.CONFIG,
        )
    engine = open_store(config)
    latest = require_run(engine)
    today = dt.datetime.now(ZoneInfo(config.settings.timezone)).date()
    week_of = week_start(parse_date(week, "--week") or today)
    hold = email_hold_reason(engine, latest.as_of)
    if hold and not force and not dry_run:
        raise DataError(f"holding the weekly email: {hold}. Fix the data, or send with --force.")
    if latest.as_of > week_of + dt.timedelta(days=6):
        err(f"note: the newest run ({latest.as_of}) is after the week of {week_of}")
    documents = report_set(
        config, gather(config, engine, as_of=latest.as_of, week=week_of), for_email=True
    )
    emails = weekly_emails(documents, settings.manager)
    if config.settings.report.base_url is None:
        err("note: report.base_url is not set, so the emails do not link to the briefs")
    now = dt.datetime.now(dt.UTC)
    try:
        messages = [
            (
                e,
                build_message(
                    e, sender=settings.from_, week=week_of, now=now, reply_to=settings.reply_to
                ),
            )
            for e in emails
        ]
    except UnsafeHeaderError as exc:
        raise DataError(f"not sending: {exc}") from None

    if dry_run:
        folder = out or config.resolve(config.settings.report.out_dir, "report.out_dir") / (
            f"email/{week_of.isoformat()}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        names: list[str] = []
        for e, msg in messages:
            names.append(eml_name(e, names))
            atomic_write(folder / names[-1], msg.as_bytes())
        err(f"dry run: wrote {len(names)} message(s) for the week of {week_of} to {folder}")
        typer.echo(str(folder))
        return

    smtp = smtp_config(config)
    sent = skipped = 0
    failures: list[str] = []
    unreachable = False  # after one message exhausted its retries on connection errors
    with file_lock(config.root / ".journey-send.lock", f"journey send --week {week_of}"):
        for index, (e, msg) in enumerate(messages):
            if unreachable:
                failures.append(f"{e.recipient}: not attempted, the SMTP server is unreachable")
                continue
            if not claim(
                engine,
                week=week_of,
                recipient=e.recipient,
                kind=e.kind,
                message_id=str(msg["Message-ID"]),
                subject=e.subject,
            ):
                skipped += 1
                continue
            result = deliver(msg, smtp)
            record_result(
                engine,
                week=week_of,
                recipient=e.recipient,
                sent=result.sent,
                attempts=result.attempts,
                error=result.error,
            )
            if result.sent:
                sent += 1
                err(f"  sent to {e.recipient} ({e.kind})")
            else:
                failures.append(f"{e.recipient}: {result.error}")
                err(f"  FAILED {e.recipient} after {result.attempts} attempt(s): {result.error}")
                # The server cannot be reached at all: do not wait out every other message's
                # backoff too; they stay unsent and the next `send` tries them.
                unreachable = result.unreachable and index + 1 < len(messages)
    err(f"week of {week_of}: {sent} sent, {skipped} already sent earlier, {len(failures)} failed")
    if failures:
        raise JourneyError(
            f"{len(failures)} message(s) not delivered (re-run `journey send` to retry them): "
            + "; ".join(failures[:3])
            + (f"; and {len(failures) - 3} more" if len(failures) > 3 else ""),
            ExitCode.DELIVERY,
        )
