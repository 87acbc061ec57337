"""The early-warning model: gradient-boosted trees with calibrated probabilities.

`HistGradientBoostingClassifier` handles missing values (no ARR, no next milestone) and the
segment/journey categories natively, and trains in about a second on a few thousand rows,
so the model is retrained on every run from the usage history instead of being stored.
No model file is ever written or loaded: there is no pickle to tamper with (see
docs/risk.md, "Why the model is not saved").

Probabilities are calibrated (Platt scaling, `sigmoid`) on folds of the training rows, so
"0.7" means roughly seven in ten such accounts went off track. Isotonic calibration was
tried: on a few thousand rows it returns many tied values, including exact 0 and 1, which
hurts per-CSM ranking and reads as false certainty; the sigmoid keeps the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from journey.risk.features import feature_names


@dataclass(frozen=True)
class Encoding:
    """How snapshot rows become a numeric matrix: feature order and category codes."""

    features: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    def matrix(self, rows: pl.DataFrame) -> np.ndarray:
        """Features as float64; categories as codes (unknown -> NaN, i.e. missing)."""
        columns = []
        for name in self.features:
            if name in self.categories:
                codes = {value: float(i) for i, value in enumerate(self.categories[name])}
                column = rows[name].replace_strict(codes, default=None, return_dtype=pl.Float64)
            else:
                column = rows[name].cast(pl.Float64)
            columns.append(column.fill_null(float("nan")).to_numpy())
        if not columns:
            return np.empty((rows.height, 0))
        return np.column_stack(columns)

    @property
    def categorical_mask(self) -> list[bool]:
        return [name in self.categories for name in self.features]


def make_encoding(
    metrics: tuple[str, ...], segments: tuple[str, ...], journeys: tuple[str, ...]
) -> Encoding:
    """The encoding for a config: category codes follow the config's order, so they are stable."""
    return Encoding(
        features=tuple(feature_names(metrics)),
        categories={"segment": segments, "journey": journeys},
    )


@dataclass(frozen=True)
class RiskModel:
    """A fitted model and the encoding it expects."""

    encoding: Encoding
    classifier: CalibratedClassifierCV | None
    constant: float  # the training positive rate, used when one class is missing

    def predict(self, rows: pl.DataFrame) -> np.ndarray:
        """Probability of turning off track within the horizon, one per row."""
        if rows.height == 0:
            return np.empty(0)
        if self.classifier is None:
            return np.full(rows.height, self.constant)
        return self.probabilities(self.encoding.matrix(rows))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities for an already encoded matrix (one thread, see `single_thread`)."""
        if self.classifier is None:
            return np.full(matrix.shape[0], self.constant)
        with single_thread():
            return np.asarray(self.classifier.predict_proba(matrix)[:, 1])


def single_thread() -> threadpool_limits:
    """Run OpenMP code on one thread.

    The booster's OpenMP threads spin while they wait; on a shared, busy machine (the nightly
    box, CI) that made a one-second fit take over thirty. The data is small: one thread is
    plenty and never oversubscribes.
    """
    return threadpool_limits(limits=1, user_api="openmp")


def _booster(encoding: Encoding, seed: int) -> HistGradientBoostingClassifier:
    # Small trees, a minimum leaf size and L2: a few thousand correlated weekly rows (the
    # same account on several days) overfit quickly otherwise.
    return HistGradientBoostingClassifier(
        learning_rate=0.1,
        max_iter=100,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=encoding.categorical_mask,
        early_stopping=False,
        random_state=seed,
    )


def training_sample(rows: pl.DataFrame, max_rows: int | None, seed: int = 0) -> pl.DataFrame:
    """At most `max_rows` of `rows`: a random sample fixed by `seed`, in the rows' own order
    (the calibration folds are cut in order); all of them when they are no more.

    The fit's time grows with its rows (9.3 s for 266,259 at 200,000 accounts, one thread);
    its quality barely does past ~100,000 (measured on the benchmark data at 200,000 accounts,
    testing on the newest 30% of days: ROC AUC 0.8946 on all 160,686 training rows, 0.8936-0.8942
    on 100,000, 0.8925-0.8928 on 50,000; average precision 0.9728, 0.9725-0.9726, 0.9721-0.9722).
    """
    if max_rows is None or rows.height <= max_rows:
        return rows
    chosen = np.random.default_rng(seed).choice(rows.height, size=max_rows, replace=False)
    return rows[np.sort(chosen)]


def fit(rows: pl.DataFrame, encoding: Encoding, seed: int = 0) -> RiskModel:
    """Fit on labelled snapshot rows (`label` column)."""
    y = rows["label"].cast(pl.Int8).to_numpy()
    positives = int(y.sum())
    rate = positives / len(y) if len(y) else 0.0
    smaller = min(positives, len(y) - positives)
    if smaller < 3:
        return RiskModel(encoding, None, rate)
    classifier = CalibratedClassifierCV(
        _booster(encoding, seed), method="sigmoid", cv=min(3, smaller), ensemble=True
    )
    with single_thread():
        classifier.fit(encoding.matrix(rows), y)
    return RiskModel(encoding, classifier, rate)
