"""A config change previewed (`journey segments diff`): the current and the proposed config
evaluated on the same data and the same day, nothing stored. What is already known is not
evaluated again: the current config's results come from the store when they are current, and
a proposal that changes only segments and ICPs evaluates only the accounts it moves."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from journey.config import Config, ConfigError
from journey.config.diff import SegmentsDiff, account_changes, moved_accounts, placements
from journey.config.loader import validate_config
from journey.evaluate import evaluate
from journey.nightly import default_as_of
from journey.store import load_current
from journey.store.tables import Run
from journey.stored import current_run, stored_runs
from metrics.accounts import conform_accounts
from metrics.sources import scan
from segments.rules import assign_segments


def preview_as_of(config: Config, runs: list[Run] | None = None) -> dt.date:
    """The latest stored run's as_of if there is one (of `runs`, the store's as
    `stored_runs` gives them, read here if not given), else yesterday."""
    if runs is None:
        _, runs = stored_runs(config)
    return runs[0].as_of if runs else default_as_of(config.settings.timezone)


def stored_statuses(
    config: Config, as_of: dt.date, engine: Engine | None, runs: list[Run]
) -> pl.DataFrame | None:
    """account_id and status of every account as the latest run stored them (the store and
    its runs as `stored_runs` gives them), when that is what evaluating `config` on `as_of`
    gives (`journey.stored.current_run`)."""
    if engine is None or current_run(config, as_of, runs) is None:
        return None
    return load_current(engine, columns=["status"], milestone_columns=())[0]


def load_proposed(against: Path, current: Config) -> Config:
    """The proposed config, reading the same data as the current one."""
    report = validate_config(against)
    if report.config is None:
        raise ConfigError(list(report.problems))
    return dataclasses.replace(report.config, settings=current.settings, root=current.root)


def segments_diff(
    current: Config, proposed: Config, as_of: dt.date, stored: pl.DataFrame | None = None
) -> SegmentsDiff:
    """Evaluate both configs on the current config's data and compare the placements.

    `stored` (account_id, status) is what evaluating `current` gives, if known
    (`stored_statuses`): it is not evaluated again.

    When the proposal changes only segments and ICPs (the same metrics and journeys), an
    account that keeps its journey keeps its status: only the accounts whose journey changes
    are evaluated again under the proposal.
    """
    raw = scan(current.settings.sources.accounts, current.root, "accounts")
    accounts, _ = conform_accounts(raw)
    before, after = (
        assign_segments(accounts.lazy(), config.segments, config.icps).collect()
        for config in (current, proposed)
    )
    statuses = stored if stored is not None else evaluate(current, as_of).accounts
    statuses = statuses.select("account_id", "status")
    if proposed.metrics == current.metrics and proposed.journeys == current.journeys:
        moved = moved_accounts(before, after)
        kept = statuses.filter(~pl.col("account_id").is_in(moved.implode()))
        proposed_statuses = kept
        if not moved.is_empty():
            again = evaluate(proposed, as_of, only=moved).accounts.select("account_id", "status")
            proposed_statuses = pl.concat([kept, again])
    else:
        proposed_statuses = evaluate(proposed, as_of).accounts
    return SegmentsDiff(
        current=str(current.config_dir),
        proposed=str(proposed.config_dir),
        as_of=as_of,
        accounts=accounts.height,
        changes=account_changes(placements(before, statuses), placements(after, proposed_statuses)),
    )
