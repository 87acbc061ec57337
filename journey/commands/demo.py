"""`journey demo`: sample data, the example config, five weekly runs and the report set.

The runs are a week apart and end on DEMO_AS_OF, so the report has real trends (newly off
track, still off track for n weeks, recovered). One account-mapping session with two
commitments and one snooze are recorded, so the report shows them as a CSM would see them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from journey.cli_app import command, err, open_config, open_store
from journey.commands.run import summary_lines

if TYPE_CHECKING:
    import polars as pl
    from sqlalchemy import Engine

#: Weekly runs before DEMO_AS_OF (oldest first), so trends span a month.
HISTORY_WEEKS = 4
DEMO_MANAGER = "cs-lead@example.com"
_RECORDED_AT = dt.datetime(2026, 6, 22, 16, 0, tzinfo=dt.UTC)


def example_config_dir() -> Path:
    """The example config shipped with journey (inside the wheel, or the source checkout)."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_example_config", package.parent / "config"):
        if (candidate / "settings.yaml").is_file():
            return candidate
    raise FileNotFoundError("the example config is missing from this installation")


def seed_sessions(engine: Engine, accounts: pl.DataFrame) -> None:
    """A session with commitments on one off-track account and a snooze on another.

    Both belong to the first CSM (by email) with at least two off-track accounts, picked by
    ARR so the choice is deterministic and lands on the first page of the report.
    """
    import polars as pl

    from journey.demo_data import DEMO_AS_OF
    from journey.sessions.models import CommitmentIn, NoteIn, SessionIn
    from journey.sessions.service import record_session
    from journey.sessions.snoozes import create_snooze

    off = accounts.filter(pl.col("status") == "off_track").sort(
        "csm_email", "arr", "account_id", descending=[False, True, False], nulls_last=True
    )
    if off.height < 2:
        return
    first, second = off.head(2).get_column("account_id").to_list()
    session = SessionIn(
        held_on=DEMO_AS_OF - dt.timedelta(days=9),
        attendees=("CSM", "Solutions architect", "Account executive"),
        goal="They need the warehouse integration live to retire their spreadsheet reporting.",
        notes=(
            NoteIn(kind="fact", text="Their data engineer left in May; nobody owns the setup."),
            NoteIn(kind="opinion", text="The VP Operations still sponsors the rollout."),
        ),
        commitments=(
            CommitmentIn(
                owner="Solutions architect",
                next_step="Pair with their new engineer to connect the warehouse",
                due=DEMO_AS_OF - dt.timedelta(days=3),
            ),
            CommitmentIn(
                owner="CSM",
                next_step="Agree a rollout plan with the VP Operations",
                due=DEMO_AS_OF + dt.timedelta(days=7),
            ),
        ),
    )
    record_session(engine, first, session, recorded_by="demo", recorded_at=_RECORDED_AT)
    create_snooze(
        engine,
        account_id=second,
        status="off_track",
        run_as_of=DEMO_AS_OF,
        until=DEMO_AS_OF + dt.timedelta(days=14),
        reason="renewal call with the sponsor booked",
        created_by="demo",
        now=_RECORDED_AT,
    )


@command
def demo(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir", "-d", help="Folder for the demo project (config, data, database, reports)."
        ),
    ] = Path("journey-demo"),
    accounts: Annotated[int, typer.Option(help="How many sample accounts.", min=10)] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
) -> None:
    """Generate deterministic sample data (B2B SaaS accounts over six months), run the whole
    pipeline with the example config for five weeks, and write the weekly report set:
    per-CSM reports, account-map briefs, the manager rollup and the emails (.eml).

    Everything goes into --dir (default ./journey-demo), which is refreshed on every run. Then:
    cd journey-demo && journey status, journey explain ACC-00042, journey export.
    """
    from journey.demo_data import DEMO_AS_OF, generate_accounts, generate_events, write_demo_data
    from journey.nightly import run_nightly
    from journey.store import load_current
    from journey.weekly import gather, report_set
    from reports.email import build_message, eml_name, weekly_emails
    from reports.export import atomic_write
    from reports.render import write_report_set

    directory = directory.resolve()
    config_dir = directory / "config"
    if config_dir.exists():
        shutil.rmtree(config_dir)
    shutil.copytree(example_config_dir(), config_dir)
    for stale in (
        directory / "journey.db",
        directory / "journey.db-wal",
        directory / "journey.db-shm",
    ):
        stale.unlink(missing_ok=True)
    err(f"journey demo: generating {accounts} accounts (seed {seed}) in {directory}")
    account_frame = generate_accounts(accounts, seed=seed)
    events = generate_events(account_frame, seed=seed)
    write_demo_data(directory / "data", account_frame, events)
    err(f"  {events.height:,} usage events written to {directory / 'data'}")
    config = open_config(config_dir)
    engine = open_store(config)
    for weeks_back in range(HISTORY_WEEKS, 0, -1):
        earlier = DEMO_AS_OF - dt.timedelta(weeks=weeks_back)
        err(f"  run for {earlier} (history for the week-over-week trends)")
        run_nightly(config, engine, earlier, early_warning=False)
    outcome = run_nightly(config, engine, DEMO_AS_OF)
    for warning in outcome.warnings:
        err(f"  warning: {warning}")
    for note in outcome.notes:
        err(f"  note: {note}")
    seed_sessions(engine, load_current(engine, milestone_columns=())[0])

    out_dir = config.resolve(config.settings.report.out_dir, "report.out_dir")
    inputs = gather(config, engine, as_of=DEMO_AS_OF)
    documents = report_set(config, inputs)
    write_report_set(documents, out_dir)
    email_dir = out_dir / "email" / inputs.week_of.isoformat()
    email_dir.mkdir(parents=True, exist_ok=True)
    settings = config.settings.email
    sender = settings.from_ if settings else "cs-ops@example.com"
    names: list[str] = []
    for email in weekly_emails(report_set(config, inputs, for_email=True), DEMO_MANAGER):
        names.append(eml_name(email, names))
        message = build_message(email, sender=sender, week=inputs.week_of, now=_RECORDED_AT)
        atomic_write(email_dir / names[-1], message.as_bytes())

    typer.echo(
        f"Journey health as of {DEMO_AS_OF} ({outcome.evaluation.accounts.height} accounts):"
    )
    for line in summary_lines(outcome.evaluation.status_counts()):
        typer.echo(line)
    typer.echo(f"Weekly reports for {len(documents.reports)} CSMs: {out_dir / 'index.html'}")
    typer.echo(f"  manager rollup:     {out_dir / 'rollup.html'}")
    typer.echo(f"  account-map briefs: {out_dir / 'briefs'} ({len(documents.briefs)} accounts)")
    typer.echo(f"  emails (.eml):      {email_dir} ({len(names)} messages, as `journey send`)")
    program = journey_program()
    typer.echo(f"Next: cd {directory} && {program} status  (or: {program} explain ACC-00042)")


def journey_program() -> str:
    """How to call journey again: `journey` when it is on PATH, else its full path (as after
    `make demo`, which installs into .venv without activating it)."""
    if shutil.which("journey"):
        return "journey"
    installed = Path(sys.argv[0]).resolve()
    return str(installed) if installed.name == "journey" and installed.is_file() else "journey"
