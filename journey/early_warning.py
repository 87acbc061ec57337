"""The learned early warning folded into a nightly evaluation (settings `risk:`).

Runs after the freshness guard, so stale data still fails the run first. It only ever turns
on-track accounts `at_risk` (with the probability and its drivers as the leading reason); it
never changes milestone states. A failure here costs the warning, never the nightly run.
"""

from __future__ import annotations

import dataclasses
import logging

import polars as pl

from journey.config import Config
from journey.evaluate import Evaluation

log = logging.getLogger("journey")


def apply_early_warning(
    config: Config, evaluation: Evaluation
) -> tuple[Evaluation, tuple[str, ...], tuple[str, ...]]:
    """The evaluation with the early warning applied, what it found (notes for the run
    ledger: how many accounts it flagged, the model it used) and its warnings (why it was
    skipped, if it was).

    It learns from the evaluation's metric grid (`evaluate(..., history=True)`); when an
    incremental run had none to extend, it reads the usage history, and the returned
    evaluation keeps that grid (the rows the warning can read: `journey.watch`) for the next
    run.
    """
    # Imported here, on use: scikit-learn takes a second to load (and only a fit needs it).
    from journey.risk import RiskOptions, risk_detail, with_risk
    from journey.risk.history import History, watched_history
    from journey.risk.kept import model_folder

    settings = config.settings.risk
    options = RiskOptions(
        horizon=settings.horizon_days,
        threshold=settings.threshold,
        max_rows=settings.max_training_rows,
    )
    try:
        if evaluation.history_grid is None or evaluation.history_accounts is None:
            history = watched_history(config, evaluation.as_of)
            evaluation = dataclasses.replace(evaluation, history_grid=history.grid)
        else:
            history = History(
                until=evaluation.as_of,
                accounts=evaluation.history_accounts,
                grid=evaluation.history_grid,
                metrics=tuple(config.metrics),
            )
        detail = risk_detail(
            config, evaluation.as_of, options, history=history, keep=model_folder(config.root)
        )
    except Exception as exc:  # an early warning must never fail the nightly run
        note = f"early warning skipped: {type(exc).__name__}: {exc}"
        log.warning(note)
        return evaluation, (), (note,)
    accounts = with_risk(evaluation.accounts, detail.accounts, settings.horizon_days)
    before = evaluation.accounts.select("account_id", pl.col("status").alias("before"))
    flagged = (
        accounts.join(before, on="account_id")
        .filter((pl.col("before") == "on_track") & (pl.col("status") == "at_risk"))
        .height
    )
    note = (
        f"early warning: {flagged} on-track account(s) likely off track within "
        f"{settings.horizon_days} days (probability >= {settings.threshold:g})"
    )
    return dataclasses.replace(evaluation, accounts=accounts), (note, detail.describe()), ()
