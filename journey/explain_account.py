"""One account evaluated on a day and explained, from the sources (`journey explain`).

Reads the sources for the one account and evaluates it with the same steps as the run
(segments, metrics, milestone states); nothing is stored. The explanation itself is built by
the pure functions of `journey.explain`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl

from journey.config import Config
from journey.errors import NotFoundError
from journey.evaluate import conformed_usage
from journey.explain import Explanation, icp_fits, milestone_results, segment_rules
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
