"""Behaviour clusters: group accounts by what they did in their first N days.

Each account that is at least N days into its journey is described by every metric's value
on three checkpoint days (N/3, 2N/3 and N), log-scaled and standardised, and clustered with
k-means (k chosen by silhouette unless given). Clusters are numbered by engagement, the
most engaged first, and described by their journey outcomes today: milestones reached on
time, completed and off-track shares, and how today's segments spread over them. Then
`segments.suggest.learn_rules` finds attribute rules that predict the cluster.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from journey.risk.model import single_thread
from journey.suggest.summary import OUTCOMES, Behaviour
from segments.suggest import LearnedRules, learn_rules

#: Account columns that are bookkeeping, not attributes a segment rule should test.
NOT_ATTRIBUTES = {"account_id", "name", "csm_email", "start_date", "segment", "journey", "icp"}
NOT_ATTRIBUTES |= {"icp_fit"}


@dataclass(frozen=True)
class Cluster:
    name: str
    accounts: int
    medians: dict[str, float]  # each metric's median value on day N
    on_time: float  # share of milestones due so far that were reached on time
    completed: float
    off_track: float
    segments: dict[str, int]  # today's segment -> accounts


@dataclass(frozen=True)
class Suggestion:
    days: int
    as_of: dt.date
    clusters: tuple[Cluster, ...]
    agreement: float  # adjusted Rand index of today's segments vs the clusters
    rules: LearnedRules
    journeys: tuple[str, ...]  # the most common journey today among each rule's accounts
    depth: int


def cluster(matrix: np.ndarray, k: int | None, seed: int = 0) -> np.ndarray:
    """K-means labels on standardised log values; k by silhouette (2..6) when not given."""
    scaled = np.log1p(np.maximum(matrix, 0.0))
    scaled = (scaled - scaled.mean(axis=0)) / np.where(
        scaled.std(axis=0) > 0, scaled.std(axis=0), 1
    )
    candidates = [k] if k else list(range(2, min(6, len(scaled) - 1) + 1))
    best: tuple[float, np.ndarray] | None = None
    for n in candidates:
        labels = KMeans(n_clusters=n, n_init=10, random_state=seed).fit_predict(scaled)
        if len(candidates) == 1:
            return _by_engagement(labels, scaled)
        score = silhouette_score(
            scaled, labels, sample_size=min(2000, len(scaled)), random_state=seed
        )
        if best is None or score > best[0]:
            best = (float(score), labels)
    assert best is not None
    return _by_engagement(best[1], scaled)


def _by_engagement(labels: np.ndarray, scaled: np.ndarray) -> np.ndarray:
    """Renumber clusters so that 0 is the most engaged (highest mean standardised value)."""
    means = [scaled[labels == c].mean() for c in range(labels.max() + 1)]
    order = np.argsort(-np.asarray(means), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[labels]


def _share(part: pl.Series, whole: pl.Series | None = None) -> float:
    numerator = float(part.cast(pl.Float64).fill_null(0).to_numpy().sum())
    denominator = (
        float(whole.cast(pl.Float64).to_numpy().sum()) if whole is not None else part.len()
    )
    return numerator / denominator if denominator else 0.0


def _most_common(values: pl.Series) -> str:
    modes = values.drop_nulls().mode().sort()
    return str(modes[0]) if modes.len() else ""


def suggest(
    behaviour: Behaviour,
    icp_ids: tuple[str, ...],
    k: int | None = None,
    depth: int = 3,
) -> Suggestion:
    """Cluster early behaviour, describe the clusters, and learn attribute rules for them."""
    days, rows = behaviour.days, behaviour.rows
    if rows.height < 20:
        raise ValueError(
            f"only {rows.height} accounts are {days}+ days into their journey; use a smaller --days"
        )
    with single_thread():  # k-means uses OpenMP too (see journey.risk.model.single_thread)
        labels = cluster(rows.select(behaviour.columns).to_numpy(), k)
    names = [f"behaviour_{i + 1}" for i in labels]
    frame = rows.with_columns(cluster=pl.Series(names)).join(
        behaviour.accounts, on="account_id", how="inner", maintain_order="left"
    )
    clusters = []
    for name in sorted(set(names), key=lambda n: int(n.split("_")[1])):
        members = frame.filter(pl.col("cluster") == name)
        clusters.append(
            Cluster(
                name=name,
                accounts=members.height,
                medians={
                    m: float(np.median(members[f"{m}@{days}"].to_numpy()))
                    for m in behaviour.metrics
                },
                on_time=_share(members["on_time"], members["due"]),
                completed=_share(members["completed"]),
                off_track=_share(members["off_track"]),
                segments=dict(
                    members.group_by("segment").len().sort("len", descending=True).iter_rows()
                ),
            )
        )
    attributes = frame.drop(*behaviour.columns, "cluster", *OUTCOMES)
    learned = learn_rules(
        attributes, frame["cluster"].to_list(), icp_ids, skip=NOT_ATTRIBUTES, max_depth=depth
    )
    journey_of = [
        _most_common(frame.filter(pl.Series(learned.rule_of == i))["journey"])
        for i in range(len(learned.rules))
    ]
    return Suggestion(
        days=days,
        as_of=behaviour.until,
        clusters=tuple(clusters),
        agreement=float(
            adjusted_rand_score(frame["segment"].to_list(), frame["cluster"].to_list())
        ),
        rules=learned,
        journeys=tuple(journey_of),
        depth=depth,
    )
