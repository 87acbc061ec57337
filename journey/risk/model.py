"""The early-warning model: gradient-boosted trees with calibrated probabilities.

`HistGradientBoostingClassifier` handles missing values (no ARR, no next milestone) and the
segment/journey categories natively, and trains in a few seconds on tens of thousands of
rows. What it fits is copied into plain arrays (`journey.risk.trees.Forest`), and every
prediction comes from those: a model kept between nights (`journey.risk.kept`) is data that
loads without running code, and predicting needs no scikit-learn, which is imported only to
fit (see docs/risk.md, "How the model is kept").

Probabilities are calibrated (Platt scaling, `sigmoid`) on folds of the training rows, so
"0.7" means roughly seven in ten such accounts went off track. Isotonic calibration was
tried: on a few thousand rows it returns many tied values, including exact 0 and 1, which
hurts per-CSM ranking and reads as false certainty; the sigmoid keeps the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from journey.risk.features import feature_names
from journey.risk.trees import Forest

if TYPE_CHECKING:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits


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
    forest: Forest | None  # None when the training rows held too few of one class
    constant: float  # the training positive rate, used when one class is missing

    def predict(self, rows: pl.DataFrame) -> np.ndarray:
        """Probability of turning off track within the horizon, one per row."""
        if rows.height == 0:
            return np.empty(0)
        return self.probabilities(self.encoding.matrix(rows))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities for an already encoded matrix."""
        if self.forest is None:
            return np.full(matrix.shape[0], self.constant)
        return self.forest.probabilities(matrix)


def single_thread() -> threadpool_limits:
    """Run OpenMP code on one thread.

    The booster's OpenMP threads spin while they wait; on a shared, busy machine (the nightly
    box, CI) that made a one-second fit take over thirty. The data is small: one thread is
    plenty and never oversubscribes.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _booster(encoding: Encoding, seed: int) -> HistGradientBoostingClassifier:
    from sklearn.ensemble import HistGradientBoostingClassifier

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
    from sklearn.calibration import CalibratedClassifierCV  # ~1 s to import: only to fit

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
    return RiskModel(encoding, forest_of(classifier), rate)


def forest_of(classifier: CalibratedClassifierCV) -> Forest:
    """The arrays of a fitted sigmoid-calibrated ensemble of boosted trees (two classes).

    Reads scikit-learn's fitted attributes, some of them private (`_predictors`,
    `_baseline_prediction`, `_preprocessor`, `_bin_mapper`): a test checks the arrays give
    scikit-learn's own probabilities, so a release that changes them fails there first.
    """
    folds = [_fold(calibrated) for calibrated in classifier.calibrated_classifiers_]
    arrays: dict[str, Any] = {}
    for name in ("baseline", "sigmoid_a", "sigmoid_b"):
        arrays[name] = np.array([fold[name] for fold in folds], dtype=np.float64)
    arrays["column_order"] = np.array([fold["order"] for fold in folds], dtype=np.int64)
    arrays["known_index"] = np.array([fold["known_index"] for fold in folds], dtype=np.int64)
    known = [fold["known"] for fold in folds]
    arrays["known_offsets"] = _offsets([len(k) for k in known])
    arrays["known_bitsets"] = _stacked(known)
    categories = [c for fold in folds for c in fold["categories"]]
    sizes = [len(c) for c in categories]
    per_fold = len(folds[0]["categories"]) if folds else 0
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    arrays["category_offsets"] = np.array(
        [starts[f * per_fold : (f + 1) * per_fold + 1] for f in range(len(folds))],
        dtype=np.int64,
    ).reshape(len(folds), per_fold + 1)
    arrays["categories"] = np.concatenate([np.zeros(0), *categories]).astype(np.float64)
    trees = [tree for fold in folds for tree in fold["trees"]]
    arrays["fold_trees"] = _offsets([len(fold["trees"]) for fold in folds])
    arrays["tree_nodes"] = _offsets([len(t.nodes) for t in trees])
    arrays["tree_bitsets"] = _offsets([len(t.raw_left_cat_bitsets) for t in trees])
    arrays["left_bitsets"] = _stacked([t.raw_left_cat_bitsets for t in trees])
    nodes = np.concatenate([t.nodes for t in trees]) if trees else None
    fields = {
        "feature": ("feature_idx", np.int64),
        "threshold": ("num_threshold", np.float64),
        "missing_left": ("missing_go_to_left", np.bool_),
        "left": ("left", np.int64),
        "right": ("right", np.int64),
        "is_leaf": ("is_leaf", np.bool_),
        "value": ("value", np.float64),
        "is_categorical": ("is_categorical", np.bool_),
        "bitset": ("bitset_idx", np.int64),
    }
    for name, (field, dtype) in fields.items():
        arrays[name] = np.zeros(0, dtype=dtype) if nodes is None else nodes[field].astype(dtype)
    return Forest.checked(arrays)


def _fold(calibrated: Any) -> dict[str, Any]:
    """One calibration fold: its booster's trees and input mapping, and its sigmoid."""
    booster = calibrated.estimator
    (calibrator,) = calibrated.calibrators
    features = booster.n_features_in_
    if booster.n_trees_per_iteration_ != 1:
        raise ValueError("the early warning's model has two classes")
    preprocessor = booster._preprocessor
    if preprocessor is None:
        order = np.arange(features)
        categorical = np.zeros(features, dtype=bool)
        values: list[np.ndarray] = []
    else:
        # The fold's columns: the categorical ones first (numbered in their sorted order,
        # unknown and NaN as NaN), then the others, as its ColumnTransformer lays them out.
        mask = np.asarray(booster.is_categorical_, dtype=bool)
        order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        categorical = np.zeros(features, dtype=bool)
        categorical[: mask.sum()] = True
        encoder = preprocessor.named_transformers_["encoder"]
        values = [np.asarray(c, dtype=np.float64) for c in encoder.categories_]
        values = [c[~np.isnan(c)] for c in values]
    categories = [values[j] if categorical[j] else np.zeros(0) for j in range(features)]
    if any(np.any(np.diff(c) <= 0) for c in categories):
        raise ValueError("a fold's categories are not sorted")
    known, index = booster._bin_mapper.make_known_categories_bitsets()
    return {
        "baseline": float(np.asarray(booster._baseline_prediction).ravel()[0]),
        "sigmoid_a": float(calibrator.a_),
        "sigmoid_b": float(calibrator.b_),
        "order": order,
        "categories": categories,
        "known": np.asarray(known, dtype=np.uint32).reshape(-1, 8),
        "known_index": np.asarray(index, dtype=np.int64),
        "trees": [predictors[0] for predictors in booster._predictors],
    }


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)


def _stacked(bitsets: list[np.ndarray]) -> np.ndarray:
    parts = [np.asarray(b, dtype=np.uint32).reshape(-1, 8) for b in bitsets]
    return np.concatenate([np.zeros((0, 8), dtype=np.uint32), *parts])
