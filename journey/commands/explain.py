"""`journey explain ACCOUNT`: why this segment and journey, and each milestone's values.

Reads the sources for the one account and evaluates it on as_of with the same steps as the
run (segments, metrics, milestone states); nothing is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

import polars as pl
import typer

from journey.cli_app import DEFAULT_CONFIG, ConfigDir, command, open_config, parse_date
from journey.commands.config_tools import preview_as_of
from journey.config import Config
from journey.errors import NotFoundError, UsageError
from journey.evaluate import conformed_usage
from journey.explain import Explanation, icp_fits, milestone_results, segment_rules
from journey.explain_text import explanation_json, explanation_text
from journey.progress import milestone_states
from journey.status import account_status
from metrics.accounts import conform_accounts
from metrics.compute import day_grid, metric_values
from metrics.sources import scan
from metrics.usage import within_journey
from segments.rules import assign_segments


def _usage(
    config: Config, account_id: str, started: pl.LazyFrame, as_of: dt.date
) -> dict[str, pl.LazyFrame]:
    """The account's usage rows per source, within its journey window."""
    conformed = conformed_usage(
        config,
        started.select("account_id"),
        rows=pl.col("account_id").cast(pl.String) == account_id,
    )
    return {name: within_journey(clean, started, as_of) for name, (clean, _) in conformed.items()}


def explain_account(config: Config, account_id: str, as_of: dt.date) -> Explanation:
    """Evaluate one account on as_of and explain it (I/O: reads the sources)."""
    raw = scan(config.settings.sources.accounts, config.root, "accounts")
    accounts, _ = conform_accounts(raw.filter(pl.col("account_id").cast(pl.String) == account_id))
    if not accounts.height:
        raise NotFoundError(f"account {account_id!r} is not in the accounts source")
    row = assign_segments(accounts.lazy(), config.segments, config.icps).collect()
    account = row.row(0, named=True)
    explanation = Explanation(
        account={k: v for k, v in account.items() if not k.startswith(("fit.", "fits."))},
        as_of=as_of,
        rules=segment_rules(config.segments, row),
        icps=icp_fits(config.icps, row),
    )
    journey = config.journeys.get(account["journey"] or "")
    if journey is None or account["start_date"] is None or account["start_date"] > as_of:
        return dataclasses.replace(explanation, journey=journey)
    started = row.lazy()
    metrics = {
        name: metric
        for name, metric in config.metrics.items()
        if any(name in m.metrics for m in journey.milestones)
    }
    usage = _usage(config, account_id, started, as_of)
    values = metric_values(day_grid(started, as_of), usage, metrics).collect()
    states = milestone_states(values.lazy(), started, {journey.id: journey}, as_of).collect()
    status = account_status(states.lazy(), as_of).collect()["status"].first()
    return dataclasses.replace(
        explanation,
        journey=journey,
        status=str(status),
        milestones=milestone_results(journey, values, states, as_of),
    )


@command
def explain(
    account: Annotated[str, typer.Argument(help="An account_id, e.g. ACC-00042.")],
    config_dir: ConfigDir = DEFAULT_CONFIG,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Explain on this day (default: the latest run's, else yesterday)."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Why this account has its segment and journey (each rule's conditions with the
    account's values, true/false), its ICP fit per criterion, and each milestone with its
    condition on the due day and today, its state and the reason."""
    if fmt not in ("text", "json"):
        raise UsageError(f"--format must be text or json, not {fmt!r}")
    config = open_config(config_dir)
    day = parse_date(as_of, "--as-of") or preview_as_of(config)
    explanation = explain_account(config, account, day)
    typer.echo(explanation_json(explanation) if fmt == "json" else explanation_text(explanation))
