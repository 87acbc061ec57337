"""Honest evaluation: split by time, score the model and a simple baseline on the same rows.

The split never lets a training label look into the test period: a training row's label is
known on its `label_date` (as_of + horizon), and only rows with label_date < the first test
day are trained on, so there is a gap of at least the horizon between the two periods.

Scores reported for the model and two simple baselines on the same test rows: ROC AUC,
average precision, precision among the top k accounts of each CSM on each test day; for the
model also the Brier score and a calibration table. The baselines are what a CSM would
eyeball: how little progress the next milestone has made (`1 - progress`), and how far it is
behind pace (share of the time to its due day elapsed minus progress, the continuous form of
the existing at_risk rule). The model is judged against the *better* of the two, and the AUC
difference comes with a 90% interval from resampling accounts, because the rows of one
account on different days are not independent. The existing `at_risk` rule is compared at
its own number of flags.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Split:
    """Training rows (labels known before the test period) and test rows."""

    train: pl.DataFrame
    test: pl.DataFrame
    test_start: dt.date

    @property
    def max_train_label_date(self) -> dt.date | None:
        value = self.train["label_date"].max()
        return value if isinstance(value, dt.date) else None


def time_split(labelled: pl.DataFrame, test_share: float = 0.3) -> Split:
    """The last `test_share` of snapshot days are the test period; train on what came before."""
    days = sorted(labelled["as_of"].unique().to_list())
    if len(days) < 2:
        raise ValueError("need at least two snapshot days to split by time")
    n_test = min(len(days) - 1, max(1, round(len(days) * test_share)))
    test_start = days[-n_test]
    return Split(
        train=labelled.filter(pl.col("label_date") < test_start),
        test=labelled.filter(pl.col("as_of") >= test_start),
        test_start=test_start,
    )


def _column(rows: pl.DataFrame, expr: pl.Expr) -> np.ndarray:
    return np.asarray(rows.select(expr.fill_null(0.0)).to_series().to_numpy(), dtype=float)


#: The baselines, by the name `journey risk evaluate` prints.
BASELINES: dict[str, pl.Expr] = {
    "baseline: 1 - next milestone progress": 1.0 - pl.col("next_progress"),
    "baseline: behind pace on next milestone": pl.col("next_pace_gap"),
}


def baseline_scores(rows: pl.DataFrame) -> dict[str, np.ndarray]:
    """Each baseline's risk score per row (higher = riskier)."""
    return {name: _column(rows, expr) for name, expr in BASELINES.items()}


def precision_at_k(rows: pl.DataFrame, score: np.ndarray, k: int) -> float:
    """Share of positives among each CSM's top k accounts on each day (ties: account_id)."""
    if rows.height == 0:
        return float("nan")
    picked = (
        rows.select("as_of", "csm_email", "account_id", "label")
        .with_columns(score=pl.Series(score, dtype=pl.Float64))
        .sort("score", "account_id", descending=[True, False])
        .group_by("as_of", "csm_email", maintain_order=True)
        .head(k)
    )
    return float(picked["label"].cast(pl.Float64).to_numpy().mean())


def _safe_auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score  # on use: scikit-learn takes a second to load

    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else float("nan")


def _rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic (ties count half); fast for resampling."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    # Average the ranks of tied scores.
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    ranks = (sums / counts)[inverse]
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def auc_difference_interval(
    rows: pl.DataFrame, model: np.ndarray, baseline: np.ndarray, draws: int = 200, seed: int = 0
) -> tuple[float, float]:
    """A 90% interval of AUC(model) - AUC(baseline), resampling whole accounts."""
    y = rows["label"].cast(pl.Int8).to_numpy()
    accounts = rows["account_id"].to_numpy()
    unique, index = np.unique(accounts, return_inverse=True)
    members = [np.flatnonzero(index == i) for i in range(unique.size)]
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(draws):
        chosen = np.concatenate([members[i] for i in rng.integers(0, unique.size, unique.size)])
        ys = y[chosen]
        if 0 < ys.sum() < len(ys):
            diffs.append(_rank_auc(ys, model[chosen]) - _rank_auc(ys, baseline[chosen]))
    if not diffs:
        return float("nan"), float("nan")
    low, high = np.percentile(diffs, [5, 95])
    return float(low), float(high)


@dataclass(frozen=True)
class Scores:
    roc_auc: float
    average_precision: float
    precision_at_k: float


@dataclass(frozen=True)
class Subset:
    """The accounts the existing rule does not flag: where an early warning adds news."""

    rows: int
    positive_rate: float
    model: Scores
    baseline: Scores
    threshold: float
    flagged: int  # rows with model probability >= threshold
    precision: float
    recall: float


@dataclass(frozen=True)
class Report:
    """Everything `journey risk evaluate` prints."""

    train_rows: int
    train_positive_rate: float
    train_days: tuple[dt.date, dt.date]
    max_train_label_date: dt.date
    test_rows: int
    test_accounts: int
    test_positive_rate: float
    test_days: tuple[dt.date, dt.date]
    k: int
    model: Scores
    baselines: dict[str, Scores]
    best_baseline: str
    brier: float
    auc_interval: tuple[float, float]
    rule_flags: int
    rule_precision: float
    rule_recall: float
    model_precision_at_rule_flags: float
    model_recall_at_rule_flags: float
    unflagged: Subset | None = None
    unseen: tuple[int, float, float] | None = None  # rows, model AUC, best baseline AUC
    calibration: list[tuple[str, int, float, float]] = field(default_factory=list)

    @property
    def beats_baseline(self) -> bool:
        """Better AUC and average precision than the best baseline, the AUC clearly so."""
        best = self.baselines[self.best_baseline]
        low, _ = self.auc_interval
        return (
            self.model.roc_auc > best.roc_auc
            and self.model.average_precision > best.average_precision
            and low > 0
        )


def _scores(rows: pl.DataFrame, score: np.ndarray, k: int) -> Scores:
    from sklearn.metrics import average_precision_score

    y = rows["label"].cast(pl.Int8).to_numpy()
    ap = float(average_precision_score(y, score)) if y.sum() else float("nan")
    return Scores(_safe_auc(y, score), ap, precision_at_k(rows, score, k))


def _at_rule_flags(rows: pl.DataFrame, model: np.ndarray) -> tuple[float, float]:
    """Model precision and recall when it flags as many accounts per day as the rule does."""
    ranked = (
        rows.select("as_of", "account_id", "label", "rule_at_risk")
        .with_columns(score=pl.Series(model, dtype=pl.Float64))
        .with_columns(n=pl.col("rule_at_risk").sum().over("as_of"))
        .sort("score", "account_id", descending=[True, False])
        .with_columns(rank=pl.int_range(pl.len()).over("as_of"))
        .filter(pl.col("rank") < pl.col("n"))
    )
    total = int(rows["label"].cast(pl.Int64).sum())
    hits = int(ranked["label"].cast(pl.Int64).sum())
    precision = hits / ranked.height if ranked.height else float("nan")
    return float(precision), float(hits / total) if total else float("nan")


def calibration_table(y: np.ndarray, p: np.ndarray) -> list[tuple[str, int, float, float]]:
    """(bucket, rows, mean predicted, observed rate) for predicted-probability buckets."""
    edges = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]
    table = []
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & (p < high)
        if inside.any():
            label = f"{low:.1f}-{min(high, 1.0):.1f}"
            observed = float(y[inside].mean())
            table.append((label, int(inside.sum()), float(p[inside].mean()), observed))
    return table


def _unflagged(
    test: pl.DataFrame, model: np.ndarray, baseline: np.ndarray, k: int, threshold: float
) -> Subset | None:
    keep = ~test["rule_at_risk"].to_numpy()
    rows = test.filter(pl.Series(keep))
    if rows.height == 0:
        return None
    y = rows["label"].cast(pl.Int8).to_numpy()
    flagged = model[keep] >= threshold
    hits = int((flagged & (y == 1)).sum())
    return Subset(
        rows=rows.height,
        positive_rate=float(y.mean()),
        model=_scores(rows, model[keep], k),
        baseline=_scores(rows, baseline[keep], k),
        threshold=threshold,
        flagged=int(flagged.sum()),
        precision=hits / int(flagged.sum()) if flagged.any() else float("nan"),
        recall=hits / int(y.sum()) if y.sum() else float("nan"),
    )


def _unseen(
    split: Split, model: np.ndarray, baseline: np.ndarray
) -> tuple[int, float, float] | None:
    """AUCs on test accounts that never appear in training (no memorised history)."""
    new = ~split.test["account_id"].is_in(split.train["account_id"].implode()).to_numpy()
    if not new.any():
        return None
    y = split.test["label"].cast(pl.Int8).to_numpy()[new]
    return int(new.sum()), _safe_auc(y, model[new]), _safe_auc(y, baseline[new])


def report(split: Split, model_score: np.ndarray, k: int, threshold: float = 0.5) -> Report:
    """Score the model's test predictions against the baseline and the rule."""
    from sklearn.metrics import brier_score_loss

    test, train = split.test, split.train
    y = test["label"].cast(pl.Int8).to_numpy()
    baselines = baseline_scores(test)
    scored = {name: _scores(test, score, k) for name, score in baselines.items()}
    best = max(scored, key=lambda name: np.nan_to_num(scored[name].roc_auc))
    rule = test["rule_at_risk"].to_numpy()
    positives = int(y.sum())
    rule_hits = int((rule & (y == 1)).sum())
    precision, recall = _at_rule_flags(test, model_score)
    max_label = split.max_train_label_date
    assert max_label is not None
    return Report(
        train_rows=train.height,
        train_positive_rate=float(train["label"].mean() or 0.0),  # type: ignore[arg-type]
        train_days=(train["as_of"].min(), train["as_of"].max()),  # type: ignore[arg-type]
        max_train_label_date=max_label,
        test_rows=test.height,
        test_accounts=test["account_id"].n_unique(),
        test_positive_rate=float(y.mean()) if len(y) else float("nan"),
        test_days=(test["as_of"].min(), test["as_of"].max()),  # type: ignore[arg-type]
        k=k,
        model=_scores(test, model_score, k),
        baselines=scored,
        best_baseline=best,
        brier=float(brier_score_loss(y, model_score)) if len(y) else float("nan"),
        auc_interval=auc_difference_interval(test, model_score, baselines[best]),
        rule_flags=int(rule.sum()),
        rule_precision=rule_hits / int(rule.sum()) if rule.sum() else float("nan"),
        rule_recall=rule_hits / positives if positives else float("nan"),
        model_precision_at_rule_flags=precision,
        model_recall_at_rule_flags=recall,
        unflagged=_unflagged(test, model_score, baselines[best], k, threshold),
        unseen=_unseen(split, model_score, baselines[best]),
        calibration=calibration_table(y, model_score),
    )
