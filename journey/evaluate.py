"""Compose sources, segments, metrics and progress into one evaluation for one as_of.

This is a pure function of (config, inputs, as_of): it reads the sources, builds one lazy
plan and collects it once. Writing results is the store's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from journey.config import Config
from journey.progress import milestone_states
from journey.status import account_results, milestone_results
from metrics.accounts import conform_accounts
from metrics.compute import (
    account_index,
    compact_sources,
    grid_of,
    grid_values,
    journey_rows,
    last_activity,
)
from metrics.contracts import Quarantine
from metrics.definitions import Metric, value_column
from metrics.errors import InputError
from metrics.sources import resolve_files, scan
from metrics.usage import QUARANTINE_SCHEMA, conform_daily, conform_events
from segments.conditions import type_problems
from segments.rules import assign_segments


@dataclass(frozen=True)
class Evaluation:
    """Everything one evaluation produced."""

    as_of: dt.date
    accounts: pl.DataFrame  # reports.schema.ACCOUNT_SCHEMA
    milestones: pl.DataFrame  # reports.schema.MILESTONE_SCHEMA
    quarantine: tuple[Quarantine, ...] = ()
    newest_usage_day: dt.date | None = None
    not_started: int = 0
    unassigned: tuple[str, ...] = ()
    input_fingerprint: str = ""
    accounts_read: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def status_counts(self) -> dict[str, int]:
        counts = self.accounts.group_by("status").len()
        return dict(zip(counts["status"].to_list(), counts["len"].to_list(), strict=True))


def input_fingerprint(paths: list[Path]) -> str:
    """A cheap fingerprint of the input files: names, sizes and modification times."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _check_rules_against(config: Config, schema: pl.Schema) -> None:
    columns = dict(schema.items())
    problems = []
    for icp in config.icps:
        for criterion in icp.criteria:
            problems += [
                f"icp `{icp.id}`: {p}" for p in type_problems(criterion.condition, columns)
            ]
    for segment in config.segments:
        problems += [f"segment `{segment.id}`: {p}" for p in type_problems(segment.when, columns)]
    if problems:
        raise InputError(
            "the accounts source does not fit the rules:\n  " + "\n  ".join(problems),
            source="accounts",
        )


def _check_metrics_against(config: Config, source: str, schema: pl.Schema) -> None:
    columns = dict(schema.items())
    problems = []
    for name, metric in config.metrics.items():
        if metric.source != source:
            continue
        column = value_column(metric)
        if column is not None and column not in columns:
            problems.append(f"metric `{name}` reads column `{column}`, which `{source}` lacks")
        if metric.where is not None:
            problems += [
                f"metric `{name}` where: {p}" for p in type_problems(metric.where, columns)
            ]
    if problems:
        raise InputError(
            f"the {source} source does not fit metrics.yaml:\n  " + "\n  ".join(problems),
            source=source,
        )


#: The streaming engine reads the sources in batches, so the raw rows never sit in memory
#: whole: only the compact per-metric columns do (see metrics.compute.compact_usage).
ENGINE: Literal["streaming", "in-memory"] = "streaming"


def used_metrics(config: Config) -> dict[str, Metric]:
    """The metrics some milestone reads, in metrics.yaml order: the only ones worth computing."""
    used = {name for j in config.journeys.values() for m in j.milestones for name in m.metrics}
    return {name: metric for name, metric in config.metrics.items() if name in used}


def conformed_usage(
    config: Config, known_accounts: pl.LazyFrame, *, rows: pl.Expr | None = None
) -> dict[str, tuple[pl.LazyFrame, pl.LazyFrame]]:
    """Every configured usage source (events, daily), read and conformed to its contract:
    name -> (clean rows with `day`, quarantine counts). `rows` keeps only the raw rows it
    selects (e.g. one account's). Raises InputError when metrics.yaml reads a source that
    settings.yaml does not configure."""
    sources = config.settings.sources
    usage: dict[str, tuple[pl.LazyFrame, pl.LazyFrame]] = {}
    for name in ("events", "daily"):
        spec = getattr(sources, name)
        if spec is None:
            continue
        raw = scan(spec, config.root, name)
        if rows is not None:
            raw = raw.filter(rows)
        usage[name] = (
            conform_events(raw, known_accounts, config.settings.timezone)
            if name == "events"
            else conform_daily(raw, known_accounts)
        )
    missing = {m.source for m in config.metrics.values()} - set(usage)
    if missing:
        raise InputError(
            f"metrics.yaml reads source(s) {', '.join(sorted(missing))}, "
            "which settings.yaml does not configure"
        )
    return usage


def evaluate(config: Config, as_of: dt.date) -> Evaluation:
    """Evaluate every account's journey progress on `as_of`."""
    settings = config.settings
    sources = settings.sources
    files = resolve_files(sources.accounts, config.root, "accounts")
    accounts_raw = scan(sources.accounts, config.root, "accounts")
    _check_rules_against(config, accounts_raw.collect_schema())
    accounts, quarantine = conform_accounts(accounts_raw)
    assigned = assign_segments(accounts.lazy(), config.segments, config.icps).collect()
    unassigned = tuple(assigned.filter(pl.col("journey").is_null())["account_id"].to_list())
    started = assigned.filter(pl.col("journey").is_not_null() & (pl.col("start_date") <= as_of))
    not_started = assigned.filter(pl.col("start_date") > as_of).height

    usage: dict[str, pl.LazyFrame] = {}
    counts: list[pl.LazyFrame] = []
    for name, (clean, bad) in conformed_usage(config, accounts.lazy().select("account_id")).items():
        files += resolve_files(getattr(sources, name), config.root, name)
        _check_metrics_against(config, name, clean.collect_schema())
        usage[name] = clean
        counts.append(bad)

    started_lazy = started.lazy()
    # `.cache()` marks the nodes that several branches of the plan share, so that the one
    # collect below computes each of them once instead of once per branch.
    index = account_index(started_lazy, as_of).cache()
    metrics = used_metrics(config)
    windowed = compact_sources(
        {name: journey_rows(frame, index) for name, frame in usage.items()}, metrics
    )
    values = grid_values(grid_of(index), windowed, metrics).cache()
    states = milestone_states(values, started_lazy, config.journeys, as_of).cache()
    activity = (
        last_activity(windowed["events"], index)
        if "events" in windowed
        else last_activity(windowed["daily"], index)
        if "daily" in windowed
        else pl.LazyFrame(schema={"account_id": pl.String, "last_activity": pl.Date})
    )
    names = {j.id: j.title for j in config.journeys.values()}
    newest = pl.concat(
        [f.filter(pl.col("day") <= as_of).select(pl.col("day").max()) for f in usage.values()]
        or [pl.LazyFrame({"day": [None]}, schema={"day": pl.Date})]
    ).select(pl.col("day").max())
    bad_rows = pl.concat(counts) if counts else pl.LazyFrame(schema=QUARANTINE_SCHEMA)

    try:
        account_df, milestone_df, bad_df, newest_df = pl.collect_all(
            [
                account_results(started_lazy, states, activity, names, as_of),
                milestone_results(states),
                bad_rows,
                newest,
            ],
            engine=ENGINE,
        )
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError(f"input data could not be evaluated: {first}") from exc
    quarantine += [
        Quarantine(row["source"], row["reason"], row["rows"])
        for row in bad_df.iter_rows(named=True)
    ]
    return Evaluation(
        as_of=as_of,
        accounts=account_df,
        milestones=milestone_df,
        quarantine=tuple(quarantine),
        newest_usage_day=newest_df["day"][0],
        not_started=not_started,
        unassigned=unassigned,
        input_fingerprint=input_fingerprint(files),
        accounts_read=accounts.height,
    )
