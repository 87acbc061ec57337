"""The nightly run: evaluate one as_of, guard against false alarms, store the results atomically.

Reliability (DESIGN §10): one run at a time (`journey.lock`); all writes of a run in one
transaction (`journey.store.writes.save_run`), so a run killed at any point leaves the store as
before or as after it; a failed run (bad or stale input) writes nothing. The guards
(`journey.guards`) record on the run ledger why the weekly email must be held, which the send
path asks with `email_hold_reason(engine, as_of)`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from journey.config import Config
from journey.early_warning import apply_early_warning
from journey.evaluate import Evaluation, evaluate
from journey.faults import fault_point
from journey.guards import (
    breaker_reason,
    email_hold_reason,
    freshness_notes,
    hold_notes,
    newly_off_track,
)
from journey.incremental import CarriedState, FullRunNeeded
from journey.lock import run_lock
from journey.progress_bar import step
from journey.quarantine import quarantine_folder, quarantined_sources, write_quarantine
from journey.security import confine_sources
from journey.store import RunRecordIn, save_run
from journey.store.carried import load_state, prune_states, save_state
from journey.store.engine import StoreError, describe_db_error
from journey.store.writes import latest_run, previous_statuses

__all__ = ["RunOutcome", "default_as_of", "email_hold_reason", "freshness_notes", "run_nightly"]

log = logging.getLogger("journey")


def default_as_of(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Yesterday in the configured timezone: the last complete day when cron runs at night."""
    now = now or dt.datetime.now(ZoneInfo(timezone))
    return now.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


@dataclass(frozen=True)
class RunOutcome:
    evaluation: Evaluation
    changes: int
    warnings: tuple[str, ...]  # what someone should look at: stale data, set-aside rows, ...
    why_full: str | None = None  # why a full run (None: incremental)
    notes: tuple[str, ...] = ()  # what the early warning found: news, not a problem


def carried_key(config: Config, engine: Engine, as_of: dt.date) -> tuple[dt.date, str] | str:
    """The newest stored run and the key of the state it left, for an incremental run on
    `as_of`; or why a full run is needed instead."""
    latest = latest_run(engine)
    if latest is None:
        return "nothing is stored yet"
    newest, config_hash, key = latest
    if newest >= as_of:
        return f"{as_of} is not after the newest stored run ({newest})"
    if config_hash != config.fingerprint:
        return f"the configuration changed since the {newest} run"
    if key is None:
        return f"the {newest} run kept no state for incremental runs"
    return newest, key


def carried_state(config: Config, engine: Engine, as_of: dt.date) -> CarriedState | str:
    """The state the newest stored run left, for an incremental run on `as_of`; or why a
    full run is needed instead."""
    found = carried_key(config, engine, as_of)
    if isinstance(found, str):
        return found
    try:
        return load_state(config, found[1])
    except FullRunNeeded as exc:
        return str(exc)


def _evaluate(
    config: Config, engine: Engine, as_of: dt.date, full: bool, history: bool
) -> tuple[Evaluation, str | None]:
    """An incremental evaluation when the stored state allows one, else a full one."""
    prior = "--full was given" if full else carried_state(config, engine, as_of)
    if isinstance(prior, CarriedState):
        try:
            with step(f"evaluating {as_of} (incremental, since {prior.as_of})"):
                return evaluate(config, as_of, prior=prior, history=history), None
        except FullRunNeeded as exc:
            prior = str(exc)
    log.debug("full run: %s", prior)
    with step(f"evaluating {as_of} (full run)") as say:
        return evaluate(config, as_of, history=history, on_batch=say), prior


def run_notes(config: Config, engine: Engine, evaluation: Evaluation) -> tuple[str, ...]:
    """Everything the ledger should say about this run: freshness, quarantine, holds."""
    warnings = freshness_notes(config, evaluation)
    notes = warnings + tuple(q.describe() for q in evaluation.quarantine)
    if evaluation.unassigned:
        notes += (
            f"{len(evaluation.unassigned)} account(s) matched no segment rule "
            f"(e.g. {', '.join(evaluation.unassigned[:3])}); add a catch-all segment",
        )
    newly, compared = newly_off_track(
        previous_statuses(engine, evaluation.as_of), evaluation.accounts
    )
    breaker = breaker_reason(newly, compared, config.settings.freshness)
    kept = quarantined_sources(evaluation)
    if kept:
        folder = quarantine_folder(config, evaluation).relative_to(config.root)
        files = ", ".join(f"{source}.csv" for source in kept)
        notes += (f"set-aside rows are kept in {folder}/ ({files})",)
    return notes + hold_notes(warnings, breaker)


def run_nightly(
    config: Config,
    engine: Engine,
    as_of: dt.date,
    *,
    early_warning: bool = True,
    full: bool = False,
) -> RunOutcome:
    """Evaluate `as_of` and store it; holds the project's (and database's) run lock.

    Incremental when the newest stored run left a state this run can continue (see
    `journey.incremental`), unless `full`. `early_warning=False` skips the learned early
    warning even when settings enable it (for back-filled history runs and for benchmarks of
    the rules alone).
    """
    confine_sources(config)
    with run_lock(config.root / ".journey.lock", f"journey run --as-of {as_of}", engine):
        fault_point("after_lock")
        started = dt.datetime.now(dt.UTC)
        warn = early_warning and config.settings.risk.enabled
        evaluation, why_full = _evaluate(config, engine, as_of, full, history=warn)
        warnings = run_notes(config, engine, evaluation)
        notes: tuple[str, ...] = ()
        if warn:
            with step("early warning"):
                evaluation, notes, skipped = apply_early_warning(config, evaluation)
            warnings += skipped
        fault_point("after_evaluate")
        latest = latest_run(engine)
        newest = latest is None or latest[0] <= as_of
        key = None
        if newest and evaluation.state:
            # The early warning's grid goes with the state: the next run extends it.
            state = dataclasses.replace(evaluation.state, history=evaluation.history_grid)
            with step("keeping the state for the next run"):
                key = save_state(config, state, evaluation.input_fingerprint)
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
            notes=warnings + notes,
            state_key=key,
        )
        try:
            with step(f"storing {evaluation.accounts.height:,} accounts"):
                changes = save_run(engine, record, evaluation.accounts, evaluation.milestones)
        except SQLAlchemyError as exc:  # rolled back: the store is as before this run
            raise StoreError(describe_db_error(engine, exc)) from None
        fault_point("after_commit")
        if newest:
            prune_states(config, keep=key)
        write_quarantine(config, evaluation)
    return RunOutcome(evaluation, changes, warnings, why_full, notes)
