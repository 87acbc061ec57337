"""`journey snooze ACCOUNT --until D --reason TEXT`, `journey snooze list|revoke`.

A snooze hides an acknowledged off-track flag from the weekly report until the `--until`
day or until the account's status changes, whichever comes first (journey.sessions.snoozes).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from journey.cli_app import (
    DEFAULT_CONFIG,
    ConfigDir,
    app,
    err,
    open_config,
    open_store,
    require_run,
)
from journey.commands.session import day_option, subcommand
from journey.errors import UsageError


class AddByDefault(TyperGroup):
    """`journey snooze ACCOUNT ...` means `journey snooze add ACCOUNT ...`."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["add", *args]
        return super().parse_args(ctx, args)


snooze_app = typer.Typer(
    cls=AddByDefault,
    help="Acknowledge an off-track flag: hide it from reports until a date or a status "
    "change. `journey snooze ACCOUNT --until D --reason TEXT` is short for `snooze add`.",
    no_args_is_help=True,
)
app.add_typer(snooze_app, name="snooze")

Account = Annotated[str, typer.Argument(help="An account_id, e.g. ACC-00042.")]
By = Annotated[str | None, typer.Option("--by", help="Who acknowledges (default: $USER).")]


@subcommand(snooze_app)
def add(
    account: Account,
    until: Annotated[
        str, typer.Option("--until", help="The flag is back on this day: YYYY-MM-DD or +N days.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why the flag is acknowledged.")],
    by: By = None,
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Hide ACCOUNT's flag from reports until --until or until its status changes."""
    from journey.sessions.service import current_user, find_account
    from journey.sessions.snoozes import create_snooze

    config = open_config(config_dir)
    engine = open_store(config)
    latest = require_run(engine)
    ref = find_account(engine, account)
    if ref.status is None or ref.as_of is None:
        raise UsageError(f"account {account!r} is not in the latest run; nothing to snooze")
    day = day_option(until, "--until", latest.as_of)
    assert day is not None
    snooze = create_snooze(
        engine,
        account_id=account,
        status=ref.status,
        run_as_of=ref.as_of,
        until=day,
        reason=reason,
        created_by=by or current_user(),
        now=dt.datetime.now(dt.UTC),
    )
    if ref.status != "off_track":
        err(f"note: {account} is {ref.status}, not off_track; the snooze ends if that changes")
    typer.echo(
        f"snoozed {account} ({snooze.status_at_snooze}) until {snooze.until} "
        f"by {snooze.created_by}: {snooze.reason}"
    )


@subcommand(snooze_app, "list")
def list_snoozes(
    show_all: Annotated[
        bool, typer.Option("--all", help="Also ended, expired and revoked snoozes.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    config_dir: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Snoozes with who, why, until when, and whether they still hide the flag."""
    import polars as pl

    from journey.sessions.snoozes import describe_snoozes, load_snoozes
    from journey.store.reads import load_statuses

    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    config = open_config(config_dir)
    engine = open_store(config)
    latest = require_run(engine)
    snoozes = load_snoozes(engine, include_revoked=show_all)
    statuses = load_statuses(engine, snoozes.get_column("account_id").to_list())
    described = describe_snoozes(snoozes, latest.as_of, statuses)
    if not show_all:
        described = described.filter(pl.col("state") == "active")
    if fmt == "json":
        rows = [_iso(row) for row in described.iter_rows(named=True)]
        typer.echo(json.dumps({"as_of": latest.as_of.isoformat(), "snoozes": rows}, indent=2))
        return
    if not described.height:
        typer.echo("no snoozes" + ("" if show_all else " active (see --all)"))
        return
    for row in described.iter_rows(named=True):
        typer.echo(
            f"{row['account_id']:<12} until {row['until']}  [{row['state']}]  "
            f"{row['status_at_snooze']}, by {row['created_by']} on {row['created_on']}: "
            f"{row['reason']}"
        )


@subcommand(snooze_app)
def revoke(account: Account, by: By = None, config_dir: ConfigDir = DEFAULT_CONFIG) -> None:
    """Show ACCOUNT's flag in reports again."""
    from journey.sessions.service import current_user
    from journey.sessions.snoozes import revoke_snooze

    config = open_config(config_dir)
    engine = open_store(config)
    revoke_snooze(engine, account, by=by or current_user(), now=dt.datetime.now(dt.UTC))
    typer.echo(f"revoked the snooze of {account}; its flag shows in the next report")


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}
