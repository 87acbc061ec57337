"""`journey status`: read the stored results (`journey explain` is in commands/explain.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    command,
    open_config,
    open_store,
    require_run,
)
from journey.commands.run import STATUSES, summary_lines
from journey.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: What the portfolio shows of each account.
PORTFOLIO_COLUMNS = (
    "name",
    "csm_email",
    "arr",
    "segment",
    "status",
    "lag_days",
    "location",
    "expected_location",
)

Account = Annotated[str, typer.Argument(help="An account_id, e.g. ACC-00042.")]


@command
def status(
    account: Annotated[str | None, typer.Argument(help="Show one account's timeline.")] = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
    only: Annotated[
        str | None,
        typer.Option("--status", help="List accounts with this status (off_track, at_risk, ...)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many accounts to list.")] = 20,
) -> None:
    """The portfolio (counts by status and segment, the most overdue accounts), or one
    account's timeline: each milestone expected vs actual, the reasons, and its history."""
    from journey.store.reads import load_portfolio

    config = open_config(config_dir)
    engine = open_store(config)
    latest = require_run(engine)
    if account is not None:
        _account_timeline(engine, account)
        return
    wanted = only or "off_track"
    if wanted not in STATUSES:
        raise UsageError(f"--status must be one of {', '.join(STATUSES)}, not {wanted!r}")
    portfolio = load_portfolio(engine, wanted, limit, PORTFOLIO_COLUMNS)
    typer.echo(f"Portfolio as of {latest.as_of}: {sum(portfolio.counts.values())} accounts")
    for line in summary_lines(portfolio.counts):
        typer.echo(line)
    typer.echo("\nBy segment:")
    statuses = [status for status in STATUSES if status in portfolio.counts]
    for segment in sorted(portfolio.by_segment, key=lambda s: (s is not None, s or "")):
        counts = portfolio.by_segment[segment]
        parts = ", ".join(f"{status} {counts.get(status, 0)}" for status in statuses)
        typer.echo(f"  {segment or '(none)':<14} {parts}")
    listed = portfolio.listed
    total = portfolio.counts.get(wanted, 0)
    typer.echo(f"\n{wanted} accounts ({total}; showing {listed.height}):")
    for row in listed.iter_rows(named=True):
        lag = f"{row['lag_days']}d late" if row["lag_days"] is not None else ""
        typer.echo(
            f"  {row['account_id']:<10} {(row['name'] or '')[:28]:<28} "
            f"{row['segment'] or '':<11} {lag:>9}  "
            f"{len(row['location'])}/{len(row['expected_location'])} expected milestones  "
            f"{row['csm_email'] or ''}"
        )


def _account_timeline(engine: Engine, account_id: str) -> None:
    import polars as pl

    from journey.sessions.reads import account_loop
    from journey.store import load_current
    from journey.store.reads import load_history

    accounts, milestones = load_current(engine, account_id)
    if not accounts.height:
        raise NotFoundError(f"account {account_id!r} is not in the latest run")
    a = accounts.row(0, named=True)
    typer.echo(f"{a['account_id']} {a['name']} — {a['segment']} / {a['journey_name']}")
    typer.echo(
        f"as of {a['as_of']}: day {a['day_of_journey']} of the journey, status {a['status']}"
        + (f", {a['lag_days']} days behind" if a["lag_days"] is not None else "")
    )
    typer.echo(f"location: {', '.join(a['location']) or '(no milestone yet)'}")
    typer.echo(f"expected: {', '.join(a['expected_location']) or '(none due yet)'}")
    typer.echo(f"last activity: {a['last_activity'] or 'none'}")
    typer.echo("\n  milestone            due on      achieved    state      value / needs")
    for m in milestones.iter_rows(named=True):
        value = "" if m["value"] is None else f"{m['value']:g}"
        needs = "" if m["threshold"] is None else f" / {m['threshold']:g}"
        typer.echo(
            f"  {m['milestone']:<20} {m['due_on']!s:<11} {m['achieved_on'] or '-'!s:<11} "
            f"{m['state']:<10} {value}{needs}"
        )
    typer.echo("\nWhy:")
    for reason in a["reasons"]:
        typer.echo(f"  - {reason}")
    history = load_history(engine, account_id)
    status_history = history.filter(pl.col("field") == "status")
    if status_history.height:
        typer.echo("\nStatus history:")
        for h in status_history.iter_rows(named=True):
            typer.echo(f"  {h['as_of']}: {h['old_value'] or '(new)'} -> {h['new_value']}")
    for line in account_loop(engine, account_id, a["as_of"]):
        typer.echo(line)
