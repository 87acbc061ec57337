"""Early warning end to end: history -> snapshots -> model -> evaluation, scores, drivers.

Every entry point is a function of (config, inputs, as_of, options): it reads usage up to
as_of only, builds the training set from that history, fits the model and uses it. The
nightly run hands in the metric grid its evaluation keeps and extends night by night
(`History`), so that it need not read the whole usage history again, and a folder where the
model is kept while its training set is unchanged (`journey.risk.kept`): six nights of seven
score with the model fitted on the first, which is the model a fit would give.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from journey.config import Config
from journey.risk.evaluation import Report, report, time_split
from journey.risk.explain import drivers, reference_values
from journey.risk.history import History, watched_history
from journey.risk.kept import KeptModel, load_model, save_model, training_key, training_window
from journey.risk.labels import Snapshots, build_snapshots
from journey.risk.model import Encoding, RiskModel, fit, make_encoding, training_sample

#: Columns of `risk_detail`.
RISK_DETAIL_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "risk_probability": pl.Float64(),
    "risk_drivers": pl.List(pl.String()),
}


@dataclass(frozen=True)
class RiskOptions:
    """Knobs of the early warning; the defaults are what the nightly run uses."""

    horizon: int = 14  # days ahead: "goes off track within 14 days"
    every: int = 7  # days between training snapshots
    threshold: float = 0.5  # risk_detail lists accounts at or above this probability
    test_share: float = 0.3  # evaluate: the newest share of snapshot days is the test period
    top_k: int = 5  # evaluate: precision among each CSM's top k accounts per day
    max_days: int = 365  # training snapshots reach back at most this many days
    max_rows: int | None = 200_000  # fit on a sample of this many labelled rows when more
    seed: int = 0


#: The options the training set and the fit depend on (the others act after the fit).
TRAINING_OPTIONS = ("horizon", "every", "max_days", "max_rows", "seed")


@dataclass(frozen=True)
class Training:
    """A fitted model with the data it came from."""

    history: History
    snapshots: Snapshots
    model: RiskModel
    seconds: float


def encoding_for(config: Config, history: History) -> Encoding:
    return make_encoding(
        history.metrics, tuple(s.id for s in config.segments), tuple(config.journeys)
    )


def prepare(
    config: Config, as_of: dt.date, options: RiskOptions, history: History | None = None
) -> tuple[History, Snapshots]:
    """Read usage up to as_of once (unless `history`, read up to as_of, is given) and build
    every snapshot from it. Only each account's days up to its watch end are kept
    (`journey.watch`): the snapshots are the same, from fewer rows."""
    if history is None:
        history = watched_history(config, as_of)
    elif history.until != as_of:
        raise ValueError(f"the history runs to {history.until}, not to {as_of}")
    snapshots = build_snapshots(
        history, config.journeys, as_of, options.horizon, options.every, options.max_days
    )
    return history, snapshots


def train(
    config: Config,
    as_of: dt.date,
    options: RiskOptions = RiskOptions(),
    history: History | None = None,
) -> Training:
    """Fit on every labelled snapshot up to as_of (from `history` when given)."""
    started = time.perf_counter()
    history, snapshots = prepare(config, as_of, options, history)
    rows = training_sample(snapshots.labelled, options.max_rows, options.seed)
    model = fit(rows, encoding_for(config, history), options.seed)
    return Training(history, snapshots, model, time.perf_counter() - started)


def evaluate_model(
    config: Config,
    as_of: dt.date,
    options: RiskOptions = RiskOptions(),
    history: History | None = None,
) -> Report:
    """Train on the earlier snapshot days, test on the later ones (see journey.risk.evaluation),
    from `history` when given."""
    history, snapshots = prepare(config, as_of, options, history)
    split = time_split(snapshots.labelled, options.test_share)
    if split.train.is_empty() or split.test.is_empty():
        raise ValueError(
            "not enough history to train and test; use more data or a shorter --horizon"
        )
    # Trained as the nightly run trains: on a sample when the rows pass `max_rows`.
    split = dataclasses.replace(
        split, train=training_sample(split.train, options.max_rows, options.seed)
    )
    model = fit(split.train, encoding_for(config, history), options.seed)
    return report(split, model.predict(split.test), options.top_k, options.threshold)


def scores(
    training: Training, rows: pl.DataFrame | None = None, at_least: float = 0.0
) -> pl.DataFrame:
    """Probability and drivers for `rows` (default: the eligible accounts on as_of) whose
    probability is `at_least` that (`scored`)."""
    rows = training.snapshots.current if rows is None else rows
    reference = reference_values(training.model, training.snapshots.labelled)
    return scored(training.model, reference, rows, at_least)


def scored(
    model: RiskModel, reference: np.ndarray, rows: pl.DataFrame, at_least: float = 0.0
) -> pl.DataFrame:
    """Probability and drivers for those `rows` whose probability is `at_least` that. A
    row's drivers depend on that row alone, so leaving the others out (the nightly run keeps
    only those it flags) saves their explanation: one prediction per feature group and row,
    and a sentence per row."""
    probability = pl.Series("risk_probability", model.predict(rows), dtype=pl.Float64)
    rows = rows.with_columns(probability).filter(pl.col("risk_probability") >= at_least)
    reasons = drivers(model, reference, rows.drop("risk_probability"))
    return rows.with_columns(
        risk_drivers=pl.Series(reasons, dtype=pl.List(pl.String)),
    ).sort("risk_probability", "account_id", descending=[True, False])


@dataclass(frozen=True)
class Detail:
    """What `risk_detail` found, and how it came by its model."""

    accounts: pl.DataFrame  # RISK_DETAIL_SCHEMA
    model: KeptModel
    fitted: bool  # fitted for this call; else kept from an earlier one

    def describe(self) -> str:
        how = "fitted tonight" if self.fitted else "kept from an earlier night"
        return f"early warning: model {self.model.describe()} ({how})"


def risk_detail(
    config: Config,
    as_of: dt.date,
    options: RiskOptions = RiskOptions(),
    history: History | None = None,
    keep: Path | None = None,
) -> Detail:
    """Accounts not off track on as_of whose risk of turning off track is >= the threshold.

    One row per account (RISK_DETAIL_SCHEMA), highest probability first: `risk_probability`
    (calibrated, of turning off track within `options.horizon` days) and `risk_drivers`
    (two or three sentences, most important first). Accounts whose status today is
    on_track or at_risk can appear; off-track, completed and not-started accounts never do.
    A pure function of (config, inputs, as_of): it trains on the history up to as_of, read
    from the sources unless `history` (the same, e.g. from the nightly evaluation) is given.
    With `keep`, a folder, the model fitted on the same training set by an earlier call is
    used from there, and one fitted here is kept there.
    """
    kept, current, fitted = _model(config, as_of, options, history, keep, save=True)
    found = scored(kept.model, kept.reference, current, at_least=options.threshold)
    accounts = found.select(
        [pl.col(name).cast(dtype) for name, dtype in RISK_DETAIL_SCHEMA.items()]
    )
    return Detail(accounts, kept, fitted)


def current_scores(
    config: Config,
    as_of: dt.date,
    options: RiskOptions = RiskOptions(),
    history: History | None = None,
    keep: Path | None = None,
) -> tuple[pl.DataFrame, KeptModel, bool]:
    """`scores` of every account not off track on as_of, the model, and whether it was
    fitted here: with `keep`, the model kept there when it was fitted on this very training
    set (the nightly run's, when the options are its settings), which is the model a fit
    would give; a model fitted here is not kept (the folder holds the nightly run's)."""
    kept, current, fitted = _model(config, as_of, options, history, keep, save=False)
    return scored(kept.model, kept.reference, current), kept, fitted


def _model(
    config: Config,
    as_of: dt.date,
    options: RiskOptions,
    history: History | None,
    keep: Path | None,
    *,
    save: bool,
) -> tuple[KeptModel, pl.DataFrame, bool]:
    """The model for as_of (kept in `keep` or fitted, and then kept there if `save`), the
    rows of today's eligible accounts, and whether the model was fitted here."""
    if history is None:
        history = watched_history(config, as_of)
    window = training_window(history, as_of, options.horizon, options.every, options.max_days)
    key, kept = "", None
    if keep is not None:
        settings = {name: getattr(options, name) for name in TRAINING_OPTIONS}
        key = training_key(config.fingerprint, history, window, settings)
        kept = load_model(keep, key, encoding_for(config, history))
    if kept is None:
        training = train(config, as_of, options, history)
        labelled = training.snapshots.labelled
        reference = reference_values(training.model, labelled)
        rows = min(labelled.height, options.max_rows or labelled.height)
        kept = KeptModel(key, training.model, reference, rows, window)
        if keep is not None and save:
            save_model(keep, kept)
        return kept, training.snapshots.current, True
    current = build_snapshots(
        history,
        config.journeys,
        as_of,
        options.horizon,
        options.every,
        options.max_days,
        labelled=False,
    ).current
    return kept, current, False
