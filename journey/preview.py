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
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from journey.config import Config, ConfigError
from journey.config.diff import SegmentsDiff, account_changes, moved_accounts, placements
from journey.config.loader import validate_config
from journey.evaluate import evaluate, input_fingerprint
from journey.nightly import default_as_of
from journey.store import database_url, load_current, load_runs, make_engine
from journey.store.tables import Run
from metrics.accounts import conform_accounts
from metrics.sources import resolve_files, scan
from segments.rules import assign_segments


def stored_runs(config: Config) -> tuple[Engine | None, list[Run]]:
    """The store and its runs, newest first; none if there is no store yet.

    A preview must not create a database, so a SQLite file that does not exist yet means
    "no run"; an unreachable database is not an error here either.
    """
    url = make_url(database_url(config.settings.database, config.root))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None, []
    try:
        engine = make_engine(database_url(config.settings.database, config.root))
        return engine, load_runs(engine)
    except SQLAlchemyError:
        return None, []


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
    gives: the run was on `as_of`, with this very config, on these very files (names, sizes,
    times). Never with a SQL source, which may have changed since without a trace."""
    sources = config.settings.sources
    named = {"accounts": sources.accounts, "events": sources.events, "daily": sources.daily}
    specs = {name: spec for name, spec in named.items() if spec is not None}
    if any(spec.path is None for spec in specs.values()):
        return None
    if engine is None or not runs or runs[0].as_of != as_of:
        return None
    files = [f for name, spec in specs.items() for f in resolve_files(spec, config.root, name)]
    latest = runs[0]
    if (latest.config_hash, latest.input_fingerprint) != (
        config.fingerprint,
        input_fingerprint(files),
    ):
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
