"""Compose sources, segments, metrics and progress into one evaluation for one as_of.

This is a pure function of (config, inputs, as_of): it reads the sources, builds one lazy
plan and collects it once — or, for a full run too large to hold at once, once per batch of
accounts (`journey.batches`), with the same results. Writing results is the store's job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from journey.batches import planned, set_aside
from journey.config import Config
from journey.incremental import (
    ACCOUNTS_SCHEMA,
    FILES_SCHEMA,
    MILESTONES_SCHEMA,
    CarriedState,
    FullRunNeeded,
    carried_rows,
    check_accounts,
    distinct_after,
    extend_grid,
    grid_start,
    totals_after,
)
from journey.progress import milestone_states
from journey.scratch import process_scratch, scratch_root
from journey.status import account_results, milestone_results
from journey.usage_read import UsageRead, read_usage
from journey.usage_sql import Watermark
from journey.watch import watched
from metrics.accounts import conform_accounts
from metrics.compute import (
    DAY,
    ROW,
    account_index,
    activity_source,
    compact_sources,
    grid_rows,
    grid_values,
    last_activity,
    placed_accounts,
    read_by_sums,
    with_last_active,
)
from metrics.contracts import Quarantine
from metrics.definitions import Metric, value_column
from metrics.errors import InputError, first_line
from metrics.sources import resolve_files, scan
from metrics.usage import (
    EVENT_VALUE,
    NOT_A_NUMBER,
    NOT_A_NUMBER_TEXT,
    QUARANTINE_SCHEMA,
    REASON,
    conform_daily,
    conform_events,
    reason_counts,
)
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
    mode: Literal["full", "incremental"] = "full"
    files_read: dict[str, tuple[Path, ...] | None] = field(default_factory=dict)  # None: all
    state: CarriedState | None = None  # what an incremental run on a later day continues
    # An incremental run's files read again, and the day through which they were counted.
    read_again: dict[str, tuple[tuple[Path, ...], dt.date]] = field(default_factory=dict)
    # An incremental run's SQL sources read from a watermark on (journey.usage_sql).
    watermarks: dict[str, Watermark] = field(default_factory=dict)
    # With `evaluate(..., history=True)`, what the early warning learns from
    # (journey.risk.history.History): the started accounts with all their attributes, and
    # every configured metric's grid through as_of, each account's days up to its
    # `journey.watch.watch_end` only (None when an incremental run's prior state kept none:
    # the early warning then reads the history itself).
    history_accounts: pl.DataFrame | None = None
    history_grid: pl.DataFrame | None = None

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


def history_accounts(started: pl.DataFrame) -> pl.DataFrame:
    """The started accounts as the early warning reads them (`History.accounts`): sorted,
    with `arr` (null when the accounts source has none)."""
    if "arr" not in started.columns:
        started = started.with_columns(arr=pl.lit(None, dtype=pl.Float64))
    return started.sort("account_id")


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
        raw = scan(spec, config.root, name, spill=lambda: process_scratch(config))
        if rows is not None:
            raw = raw.filter(rows)
        usage[name] = (
            conform_events(raw, known_accounts, config.settings.timezone)
            if name == "events"
            else conform_daily(raw, known_accounts)
        )
    check_sources_configured(config, set(usage))
    return usage


def check_sources_configured(config: Config, configured: set[str]) -> None:
    """InputError when metrics.yaml reads a usage source that settings.yaml lacks."""
    missing = {m.source for m in config.metrics.values()} - configured
    if missing:
        raise InputError(
            f"metrics.yaml reads source(s) {', '.join(sorted(missing))}, "
            "which settings.yaml does not configure"
        )


def evaluate(
    config: Config,
    as_of: dt.date,
    *,
    prior: CarriedState | None = None,
    history: bool = False,
    on_batch: Callable[[str], None] | None = None,
    only: pl.Series | None = None,
) -> Evaluation:
    """Evaluate every account's journey progress on `as_of` (with `only`, a series of
    account_ids, just those accounts': a preview's, nothing to store or carry on from).

    `on_batch` hears, as a short sentence, of each batch of accounts a large full run
    evaluates in turn (see `journey.batches`).

    With `prior` (what the run on an earlier day left), only the usage that is new since then
    is read and evaluated (see `journey.incremental`); FullRunNeeded says when that cannot be
    done. Either way the result is the same, and it carries the state for the next run.

    With `history`, every configured metric is computed (not only those milestones read) and
    the evaluation keeps the early warning's metric grid through as_of: all of it from a full
    run; from an incremental one, the new days added to the grid the prior run kept.
    """
    settings = config.settings
    sources = settings.sources
    files = resolve_files(sources.accounts, config.root, "accounts")
    accounts_raw = scan(sources.accounts, config.root, "accounts")
    _check_rules_against(config, accounts_raw.collect_schema())
    accounts, quarantine = conform_accounts(accounts_raw)
    assigned = assign_segments(accounts.lazy(), config.segments, config.icps).collect()
    unassigned = tuple(assigned.filter(pl.col("journey").is_null())["account_id"].to_list())
    started = assigned.filter(pl.col("journey").is_not_null() & (pl.col("start_date") <= as_of))
    # A preview of a few accounts evaluates them from their own usage rows only, as `journey
    # explain` does for one.
    keep = None if only is None else pl.col("account_id").cast(pl.String).is_in(only.implode())
    if keep is not None:
        started = started.filter(keep)
    not_started = assigned.filter(pl.col("start_date") > as_of).height
    metrics = dict(config.metrics) if history else used_metrics(config)
    if prior is not None:
        check_prior(config, prior, as_of, tuple(metrics))
        check_accounts(prior, started)

    started_lazy = started.lazy()
    since = grid_start(prior, metrics) if prior is not None else None
    index_df = account_index(started_lazy, as_of, since).collect()
    # Every account, with where its days lie in the grid (null if it has none): one join of
    # the usage rows both checks their account and places them (`grid_rows`).
    known = placed_accounts(accounts.lazy(), index_df.lazy())
    reads = read_usage(config, known, started_lazy, as_of, prior, keep)
    for name, read in reads.items():
        files += resolve_files(getattr(sources, name), config.root, name)
        _check_metrics_against(config, name, read.clean.collect_schema())
    check_sources_configured(config, set(reads))

    names_read = list(reads)
    # Every row read, compact (cached): the one pass over the usage data. The rows on the days
    # of the grid feed the metrics; all of them, the quarantine counts and the newest day.
    compacted = compact_sources(
        {name: grid_rows(read.tagged) for name, read in reads.items()},
        metrics,
        (DAY, REASON),
        {name: _counted_flags(name, read, metrics) for name, read in reads.items()},
    )
    batches, limit = [started], 0
    if prior is None:  # a full run: in batches when its grid or its usage is large
        sql_rows = sum(read.rows for read in reads.values())
        batches, limit = planned(config, started, index_df, sql_rows)
    if len(batches) == 1:
        collected = _collect_at_once(
            config, reads, compacted, started_lazy, index_df, metrics, as_of, prior, history
        )
    else:
        collected = _collect_in_batches(
            config, reads, compacted, batches, limit, index_df, metrics, as_of, history, on_batch
        )
    # [account results, milestone results, bad rows, newest day, *carry, *checks, *file days]
    account_df, milestone_df, bad_df, newest_df = collected[:4]
    reads_at = len(collected) - 2 * len(names_read)
    carried_frames = collected[4:reads_at]
    checks = dict(zip(names_read, collected[reads_at : reads_at + len(names_read)], strict=True))
    file_days = dict(zip(names_read, collected[reads_at + len(names_read) :], strict=True))
    newest_day = newest_df["day"][0]
    if prior is not None:
        _check_late(prior, checks)
        if prior.newest_usage_day is not None:
            newest_day = max(d for d in (newest_day, prior.newest_usage_day) if d is not None)
    quarantine += [
        Quarantine(row["source"], row["reason"], row["rows"], kept=row["kept"])
        for row in bad_df.iter_rows(named=True)
        if row["rows"]
    ]
    state = CarriedState(
        as_of=as_of,
        config_hash=config.fingerprint,
        polars_version=pl.__version__,
        newest_usage_day=newest_day,
        sql_rows={n: int(c["through"][0]) for n, c in checks.items() if reads[n].files is None},
        sql_filtered=tuple(n for n, r in reads.items() if r.filtered),
        accounts=carried_frames[0],
        milestones=carried_frames[1],
        totals=carried_frames[2],
        distinct=carried_frames[3],
        files=pl.concat(
            [reads[n].files_after(file_days[n]) for n in names_read if reads[n].ledger is not None]
            or [pl.DataFrame(schema=FILES_SCHEMA)]
        ),
        metrics=tuple(metrics),
    )
    grid = None
    if history:
        new_rows = carried_frames[4]
        grid = (
            new_rows
            if prior is None
            else extend_grid(prior, new_rows, started, as_of, config.journeys)
        )
    return Evaluation(
        as_of=as_of,
        accounts=account_df,
        milestones=milestone_df,
        quarantine=tuple(quarantine),
        newest_usage_day=newest_day,
        not_started=not_started,
        unassigned=unassigned,
        input_fingerprint=input_fingerprint(files),
        accounts_read=accounts.height,
        mode="full" if prior is None else "incremental",
        files_read={n: r.files for n, r in reads.items()},
        read_again={n: (r.again, prior.as_of) for n, r in reads.items() if prior and r.again},
        watermarks={n: r.watermark for n, r in reads.items() if r.watermark is not None},
        state=state,
        history_accounts=history_accounts(started) if history else None,
        history_grid=grid,
    )


def _collect_at_once(
    config: Config,
    reads: dict[str, UsageRead],
    compacted: dict[str, pl.LazyFrame],
    started: pl.LazyFrame,
    index_df: pl.DataFrame,
    metrics: dict[str, Metric],
    as_of: dt.date,
    prior: CarriedState | None,
    history: bool,
) -> list[pl.DataFrame]:
    """Every frame of a run in one collect: [account results, milestone results, bad rows,
    newest day, *carry, *checks, *file days]."""
    windowed = {name: f.filter(pl.col(ROW).is_not_null()) for name, f in compacted.items()}
    results, carry = _plan(config, started, index_df, windowed, metrics, as_of, prior, history)
    try:
        return pl.collect_all(
            [
                *results,
                *_overview(compacted, as_of, metrics),
                *carry,
                *[read.checks for read in reads.values()],
                *[_file_days(read) for read in reads.values()],
            ],
            # An incremental run's data is small: the in-memory engine is faster on it.
            engine=ENGINE if prior is None else "in-memory",
        )
    except pl.exceptions.PolarsError as exc:
        raise _input_error(exc) from exc


def _plan(
    config: Config,
    started: pl.LazyFrame,
    index_df: pl.DataFrame,
    windowed: dict[str, pl.LazyFrame],
    metrics: dict[str, Metric],
    as_of: dt.date,
    prior: CarriedState | None,
    history: bool,
) -> tuple[list[pl.LazyFrame], list[pl.LazyFrame]]:
    """The results (accounts, milestones) and the state to carry, of the accounts `started`
    whose grid is `index_df`, from their compact usage rows `windowed`.

    `.cache()` marks the nodes that several branches of the plan share, so that one collect
    computes each of them once instead of once per branch."""
    index = index_df.lazy()
    carried = carried_rows(prior, index, metrics) if prior is not None else None
    values, live = grid_values(index_df, windowed, metrics, carried=carried, keep_totals=True)
    values = values.cache()
    new_days = values if prior is None else values.filter(pl.col("day") > prior.as_of)
    prior_milestones = prior.milestones.lazy() if prior is not None else None
    states = milestone_states(new_days, started, config.journeys, as_of, prior_milestones).cache()
    activity = _activity(windowed, index, prior)
    names = {j.id: j.title for j in config.journeys.values()}
    carry = [
        started.select("account_id", "journey", "start_date")
        .join(activity, on="account_id", how="left")
        .select(list(ACCOUNTS_SCHEMA)),
        states.select([pl.col(c).cast(t) for c, t in MILESTONES_SCHEMA.items()]),
        totals_after(values, metrics, as_of),
        distinct_after(live, index, metrics),
    ]
    if history:
        history_rows = _new_history(values, windowed, index_df, metrics, prior)
        carry.append(watched(history_rows, started, config.journeys))
    results = [
        account_results(started, states, activity, names, as_of),
        milestone_results(states),
    ]
    return results, carry


def _collect_in_batches(
    config: Config,
    reads: dict[str, UsageRead],
    compacted: dict[str, pl.LazyFrame],
    batches: list[pl.DataFrame],
    limit: int,
    index_df: pl.DataFrame,
    metrics: dict[str, Metric],
    as_of: dt.date,
    history: bool,
    on_batch: Callable[[str], None] | None = None,
) -> list[pl.DataFrame]:
    """A full run's frames, as the one collect of `evaluate` lays them out, with the accounts
    evaluated batch by batch (`journey.batches`): the usage is read once and its compact rows
    set aside per batch; the quarantine counts and the newest day are counted from all of
    them, and each batch is evaluated from its own."""
    names_read = list(reads)
    if on_batch is not None:
        on_batch(f"reading the usage once, into {len(batches)} batches of accounts")
    try:
        with set_aside(
            scratch_root(config), compacted, index_df, batches, ENGINE, limit
        ) as spilled:
            first = pl.collect_all(
                [
                    *_overview({n: spilled.rows(n) for n in names_read}, as_of, metrics),
                    *[reads[n].checks for n in names_read],
                    *[_file_days(reads[n]) for n in names_read],
                ],
                engine=ENGINE,
            )
            parts: list[list[pl.DataFrame]] = []
            for number, batch in enumerate(spilled.each(), start=1):
                if on_batch is not None:
                    on_batch(
                        f"accounts batch {number} of {len(batches)} "
                        f"({batch.accounts.height:,} accounts)"
                    )
                results, carry = _plan(
                    config,
                    batch.accounts.lazy(),
                    batch.index,
                    batch.rows,
                    metrics,
                    as_of,
                    None,
                    history,
                )
                parts.append(pl.collect_all([*results, *carry], engine=ENGINE))
    except pl.exceptions.PolarsError as exc:
        raise _input_error(exc) from exc
    joined = [pl.concat(frames) for frames in zip(*parts, strict=True)]
    return [*joined[:2], *first[:2], *joined[2:], *first[2:]]


def _counted_flags(name: str, read: UsageRead, metrics: dict[str, Metric]) -> tuple[str, ...]:
    """The flags of a source's rows that a run counts besides why rows are set aside:
    `NOT_A_NUMBER`, where the events' `value` is text and a metric sums it."""
    sums = read_by_sums(_of_source(metrics, name), EVENT_VALUE)
    flagged = sums is not None and NOT_A_NUMBER in read.tagged.collect_schema()
    return (NOT_A_NUMBER,) if flagged else ()


def _of_source(metrics: dict[str, Metric], source: str) -> dict[str, Metric]:
    return {n: m for n, m in metrics.items() if m.source == source}


def _overview(
    compacted: dict[str, pl.LazyFrame], as_of: dt.date, metrics: dict[str, Metric]
) -> list[pl.LazyFrame]:
    """[the quarantine counts (QUARANTINE_SCHEMA, and `kept`: true for rows read with a value
    as empty), the newest kept day (`day`, null without usage sources)] of every source's
    compact rows, read or set aside."""
    kept = pl.col(REASON).is_null() & (pl.col(DAY) <= as_of)
    counts = [
        reason_counts(rows, name, name).with_columns(kept=pl.lit(False))
        for name, rows in compacted.items()
    ]
    for name, rows in compacted.items():
        sums = read_by_sums(_of_source(metrics, name), EVENT_VALUE)
        if sums is not None and NOT_A_NUMBER in rows.collect_schema():
            not_numbers = rows.filter(kept & sums & pl.col(NOT_A_NUMBER))
            counts.append(
                not_numbers.select(
                    source=pl.lit(name),
                    reason=pl.lit(NOT_A_NUMBER_TEXT),
                    rows=pl.len().cast(pl.UInt32),
                    kept=pl.lit(True),
                )
            )
    newest = [rows.filter(kept).select(pl.col(DAY).max()) for rows in compacted.values()]
    return [
        pl.concat(counts or [pl.LazyFrame(schema={**QUARANTINE_SCHEMA, "kept": pl.Boolean})]),
        pl.concat(newest or [pl.LazyFrame({DAY: [None]}, schema={DAY: pl.Date})]).select(
            pl.col(DAY).max()
        ),
    ]


def _input_error(exc: pl.exceptions.PolarsError) -> InputError:
    return InputError(f"input data could not be evaluated: {first_line(exc)}")


def check_prior(
    config: Config, prior: CarriedState, as_of: dt.date, metrics: tuple[str, ...]
) -> None:
    """FullRunNeeded unless `prior` is a state this configuration can continue to `as_of`,
    computing `metrics`."""
    if prior.as_of >= as_of:
        raise FullRunNeeded(f"the carried state is for {prior.as_of}, not a day before {as_of}")
    if prior.config_hash != config.fingerprint:
        raise FullRunNeeded(f"the configuration changed since the {prior.as_of} run")
    if prior.metrics != metrics:
        raise FullRunNeeded(
            f"the {prior.as_of} run carried other metrics ({', '.join(prior.metrics) or 'none'}); "
            "the early warning needs every configured metric, the rules only those "
            "milestones read"
        )
    if prior.polars_version != pl.__version__:
        raise FullRunNeeded(
            f"polars changed since the {prior.as_of} run ({prior.polars_version} -> "
            f"{pl.__version__}); its hashes of distinct values may differ"
        )


def _check_late(prior: CarriedState, checks: dict[str, pl.DataFrame]) -> None:
    for name, check in checks.items():
        late = int(check["late"][0])
        if late:
            raise FullRunNeeded(
                f"{late:,} new `{name}` row(s) are for days up to {prior.as_of}, which that "
                "run already evaluated (late data)"
            )
        if "through_prior" in check.columns:
            before, now = prior.sql_rows.get(name), int(check["through_prior"][0])
            if before != now:
                raise FullRunNeeded(
                    f"the `{name}` query now returns {now:,} row(s) for days up to "
                    f"{prior.as_of}; that run had {before if before is not None else 'none'}"
                )


def _new_history(
    values: pl.LazyFrame,
    windowed: dict[str, pl.LazyFrame],
    index: pl.DataFrame,
    metrics: dict[str, Metric],
    prior: CarriedState | None,
) -> pl.LazyFrame:
    """`History.grid` rows of the days this run evaluates anew: every day of a full run;
    after the prior run's day for an incremental one, whose last activity continues the
    carried one."""
    source = activity_source(windowed)
    if source is None:
        grid = values.with_columns(last_active=pl.lit(None, dtype=pl.Date))
    else:
        grid = with_last_active(values, windowed[source], index)
    if prior is not None:
        before = prior.accounts.lazy().select(
            "account_id", pl.col("last_activity").alias("__before")
        )
        grid = (
            grid.filter(pl.col(DAY) > prior.as_of)
            .join(before, on="account_id", how="left", maintain_order="left")
            .with_columns(pl.coalesce("last_active", "__before").alias("last_active"))
        )
    return grid.select("account_id", "start_date", DAY, *metrics, "last_active")


def _file_days(read: UsageRead) -> pl.LazyFrame:
    if read.file_days is None:
        return pl.LazyFrame(schema={"path": pl.String, "first_day": pl.Date, "last_day": pl.Date})
    return read.file_days


def _activity(
    windowed: dict[str, pl.LazyFrame], index: pl.LazyFrame, prior: CarriedState | None
) -> pl.LazyFrame:
    """(account_id, last_activity): the latest usage day within the journey window; from
    events if configured, else daily rows; after an incremental run's new days, the carried
    one."""
    source = activity_source(windowed)
    if source is None:
        activity = pl.LazyFrame(schema={"account_id": pl.String, "last_activity": pl.Date})
    else:
        activity = last_activity(windowed[source], index)
    if prior is None:
        return activity
    return (
        prior.accounts.lazy()
        .select("account_id", pl.col("last_activity").alias("__before"))
        .join(activity, on="account_id", how="full", coalesce=True)
        .select("account_id", pl.coalesce("last_activity", "__before").alias("last_activity"))
        .filter(pl.col("last_activity").is_not_null())
    )
