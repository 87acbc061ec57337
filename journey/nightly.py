"""The nightly run: evaluate one as_of, guard freshness, store the results atomically."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from journey.config import Config
from journey.errors import DataError
from journey.evaluate import Evaluation, evaluate
from journey.lock import run_lock
from journey.store import RunRecordIn, save_run

log = logging.getLogger("journey")


def default_as_of(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Yesterday in the configured timezone: the last complete day when cron runs at night."""
    now = now or dt.datetime.now(ZoneInfo(timezone))
    return now.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


@dataclass(frozen=True)
class RunOutcome:
    evaluation: Evaluation
    changes: int
    warnings: tuple[str, ...]


def freshness_notes(config: Config, evaluation: Evaluation) -> tuple[str, ...]:
    """Warnings about stale usage data; raises DataError when the run must not go on."""
    freshness = config.settings.freshness
    newest = evaluation.newest_usage_day
    if newest is None:
        message = f"no usage data on or before {evaluation.as_of}"
        age = None
    else:
        age = (evaluation.as_of - newest).days
        message = (
            f"the newest usage data is from {newest}, {age} day(s) before as_of {evaluation.as_of}"
        )
    if age is None or age > freshness.error_after_days:
        if freshness.on_stale == "fail":
            raise DataError(
                f"stale input: {message} (limit: {freshness.error_after_days} days). "
                "Not storing results, so stale data cannot raise false off-track alerts. "
                "Load fresh data, pass an earlier --as-of, or set freshness.on_stale: warn."
            )
        return (f"stale input: {message}",)
    if age > freshness.warn_after_days:
        return (f"usage data is getting old: {message}",)
    return ()


def run_nightly(config: Config, engine: Engine, as_of: dt.date) -> RunOutcome:
    """Evaluate `as_of` and store it; holds the project's run lock throughout."""
    with run_lock(config.root / ".journey.lock", f"journey run --as-of {as_of}"):
        started = dt.datetime.now(dt.UTC)
        evaluation = evaluate(config, as_of)
        warnings = freshness_notes(config, evaluation)
        notes = warnings + tuple(q.describe() for q in evaluation.quarantine)
        if evaluation.unassigned:
            notes += (
                f"{len(evaluation.unassigned)} account(s) matched no segment rule "
                f"(e.g. {', '.join(evaluation.unassigned[:3])}); add a catch-all segment",
            )
        record = RunRecordIn(
            as_of=as_of,
            started_at=started,
            finished_at=dt.datetime.now(dt.UTC),
            config_hash=config.fingerprint,
            input_fingerprint=evaluation.input_fingerprint,
            not_started=evaluation.not_started,
            unassigned=len(evaluation.unassigned),
            quarantined_rows=sum(q.rows for q in evaluation.quarantine),
            newest_usage_day=evaluation.newest_usage_day,
            notes=notes,
        )
        changes = save_run(engine, record, evaluation.accounts, evaluation.milestones)
    return RunOutcome(evaluation, changes, notes)
