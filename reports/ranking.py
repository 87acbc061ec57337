"""Rank each CSM's off-track accounts by priority (DESIGN §9).

Only accounts with ``status == "off_track"`` are ranked. For each one, its *missed* milestone
is the earliest overdue milestone (smallest ``due_on``, then smallest ``position``), and::

    priority = round(L ** w.lateness * A ** w.arr * C * N * T * K, 4)

    L  lateness   = min(days_late / max(due_day, 7), 4.0), raised to w.lateness (0.5)
                    days_late and due_day of the missed milestone (days_late falls back to the
                    account's lag_days). Lateness is relative to the milestone's own horizon, so
                    10 days late on a day-90 milestone weighs less than 10 days late on a day-7
                    one; the 7-day floor keeps very early milestones from dominating and the cap
                    at 4 keeps chronic accounts from burying everything else. The square root
                    (the default exponent) gives diminishing returns: twice as late is not
                    twice as urgent, so a fresh miss on a big account can still outrank an
                    old miss on a small one.
    A  ARR        = 1 + log10(1 + arr / 10_000)
                    $0 -> 1.0, $10k -> 1.30, $100k -> 2.04, $1M -> 3.0. A null ARR is treated as
                    the median ARR of all accounts in the frame (the whole portfolio, not only
                    the off-track ones), or 0 when no account has an ARR: unknown revenue is
                    neither rewarded nor punished.
    C  critical   = w.critical (1.5) if any overdue milestone is marked critical, else 1.0
    N  breadth    = 1 + w.breadth (0.25) * (min(overdue_count, 5) - 1)    (1.0 .. 2.0)
    T  trend      = w.newly_off_track (2.0) if the account went off track since last week;
                    w.chronic (0.5) if it is chronic: lag_days >= 7 * w.chronic_after_weeks (8),
                    i.e. off track for two months or more; else 1.0. A fresh miss is the
                    cheapest one to fix, so it climbs; an account that has been behind for
                    months (often one that needs an escalation, not another nudge) does not
                    crowd out everything that went wrong recently. Chronic is measured by
                    lag_days, not by stored history, so it holds from the first week.
    K  commitment = w.overdue_commitment (1.5) if a commitment made for the account in a
                    whiteboard session is open and past its due date, else 1.0: a promise
                    nobody kept is the surest sign the loop has gone stale.

The weights ``w`` come from ``report.weights`` in settings.yaml (`PriorityWeights`); an
exponent of 0 switches lateness or ARR off, a multiplier of 1 switches the others off.
Without trends (no history yet) T is 1.0 for every account.

Ties are broken deterministically: priority desc, lag_days desc, arr desc (nulls last),
account_id asc. Within each ``csm_email`` the first ``top_n`` get ``rank`` 1..top_n.
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from reports.commitments import OVERDUE_COUNT_SCHEMA

#: Columns that `rank_off_track` adds to the accounts-result columns, in order.
RANK_COLUMNS: tuple[str, ...] = (
    "missed",
    "missed_due_on",
    "missed_due_day",
    "missed_days_late",
    "first_move",
    "overdue_count",
    "critical_overdue",
    "newly_off_track",
    "weeks_off_track",
    "overdue_commitments",
    "priority",
    "rank",
)

LATENESS_FLOOR_DAYS = 7
LATENESS_CAP = 4.0
ARR_SCALE = 10_000.0
BREADTH_MAX_COUNT = 5


class PriorityWeights(BaseModel):
    """`report.weights` in settings.yaml: how much each factor of the priority counts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lateness: float = Field(default=0.5, ge=0, le=5, description="Exponent of lateness.")
    arr: float = Field(default=1.0, ge=0, le=5, description="Exponent of the ARR factor.")
    critical: float = Field(
        default=1.5, ge=1, le=10, description="Multiplier when a critical milestone is overdue."
    )
    breadth: float = Field(
        default=0.25, ge=0, le=2, description="Added per extra overdue milestone (up to 4)."
    )
    newly_off_track: float = Field(
        default=2.0, ge=0.1, le=10, description="Multiplier when off track since last week."
    )
    chronic: float = Field(
        default=0.5, ge=0.1, le=10, description="Multiplier when off track for a long time."
    )
    chronic_after_weeks: int = Field(
        default=8, ge=1, le=104, description="Weeks behind (lag) after which `chronic` applies."
    )
    overdue_commitment: float = Field(
        default=1.5,
        ge=1,
        le=10,
        description="Multiplier when a session commitment on the account is overdue.",
    )


def priority_expr(weights: PriorityWeights | None = None) -> pl.Expr:
    """The priority score (Float64) of an account, as documented in the module docstring.

    Reads ``missed_days_late``, ``missed_due_day``, ``lag_days``, ``arr``, ``critical_overdue``,
    ``overdue_count``, ``newly_off_track`` and ``overdue_commitments``. The null-ARR median is
    taken over the frame the expression is evaluated on, so evaluate it on the whole portfolio
    before filtering.
    """
    w = weights or PriorityWeights()
    days_late = pl.coalesce(pl.col("missed_days_late"), pl.col("lag_days"), pl.lit(0))
    horizon = pl.max_horizontal(pl.col("missed_due_day").fill_null(0), LATENESS_FLOOR_DAYS)
    lateness = (days_late.cast(pl.Float64) / horizon.cast(pl.Float64)).clip(0.0, LATENESS_CAP)

    arr = pl.col("arr").fill_null(pl.col("arr").median()).fill_null(0.0).clip(lower_bound=0.0)
    arr_factor = 1.0 + (1.0 + arr / ARR_SCALE).log10()

    critical = (
        pl.when(pl.col("critical_overdue").fill_null(False))
        .then(pl.lit(w.critical))
        .otherwise(pl.lit(1.0))
    )
    count = pl.col("overdue_count").fill_null(1).clip(1, BREADTH_MAX_COUNT).cast(pl.Float64)
    breadth = 1.0 + w.breadth * (count - 1.0)
    trend = (
        pl.when(pl.col("newly_off_track").fill_null(False))
        .then(pl.lit(w.newly_off_track))
        .when(pl.col("lag_days").fill_null(0) >= 7 * w.chronic_after_weeks)
        .then(pl.lit(w.chronic))
        .otherwise(pl.lit(1.0))
    )
    promise = (
        pl.when(pl.col("overdue_commitments").fill_null(0) > 0)
        .then(pl.lit(w.overdue_commitment))
        .otherwise(pl.lit(1.0))
    )
    score = lateness.pow(w.lateness) * arr_factor.pow(w.arr) * critical * breadth * trend * promise
    return score.round(4).cast(pl.Float64)


def _earliest(column: str) -> pl.Expr:
    """The value of `column` on the earliest overdue milestone of the group."""
    return pl.col(column).sort_by("due_on", "position", nulls_last=True).first()


def overdue_summary(milestones: pl.LazyFrame) -> pl.LazyFrame:
    """Per account with an overdue milestone: the missed milestone and overdue aggregates."""
    return (
        milestones.filter(pl.col("state") == "overdue")
        .group_by("account_id")
        .agg(
            missed=_earliest("milestone"),
            missed_due_on=_earliest("due_on"),
            missed_due_day=_earliest("due_day"),
            missed_days_late=_earliest("days_late"),
            first_move=_earliest("first_move"),
            overdue_count=pl.len().cast(pl.Int32),
            critical_overdue=pl.col("critical").fill_null(False).any(),
        )
    )


def _overdue_counts(counts: pl.DataFrame | None) -> pl.LazyFrame:
    if counts is None:
        return pl.LazyFrame(schema=OVERDUE_COUNT_SCHEMA)
    return counts.lazy().select(*OVERDUE_COUNT_SCHEMA)


def _trend_columns(trends: pl.DataFrame | None) -> pl.LazyFrame:
    """account_id, newly_off_track, weeks_off_track from a TREND_SCHEMA frame (or none)."""
    if trends is None:
        trends = pl.DataFrame(
            schema={
                "account_id": pl.String,
                "newly_off_track": pl.Boolean,
                "weeks_in_status": pl.Int32,
            }
        )
    return trends.lazy().select(
        "account_id",
        "newly_off_track",
        pl.col("weeks_in_status").alias("weeks_off_track"),
    )


def rank_off_track(
    accounts: pl.DataFrame,
    milestones: pl.DataFrame,
    *,
    top_n: int = 15,
    weights: PriorityWeights | None = None,
    trends: pl.DataFrame | None = None,
    overdue_commitments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The top `top_n` off-track accounts of every CSM, best first.

    Returns the accounts-result columns plus `RANK_COLUMNS`, sorted by ``csm_email`` then
    ``rank``. An off-track account without overdue milestone rows still ranks (on its
    ``lag_days``), with null ``missed`` and ``first_move``. `trends` (TREND_SCHEMA) feeds the
    newly-off-track / chronic factor; ``weeks_off_track`` is null when no trend is known.
    `overdue_commitments` (reports.commitments.OVERDUE_COUNT_SCHEMA) feeds the commitment factor.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    ranked = (
        accounts.lazy()
        .join(overdue_summary(milestones.lazy()), on="account_id", how="left")
        .join(_trend_columns(trends), on="account_id", how="left")
        .join(_overdue_counts(overdue_commitments), on="account_id", how="left")
        .with_columns(
            overdue_commitments=pl.col("overdue_commitments").fill_null(0),
            overdue_count=pl.col("overdue_count").fill_null(0),
            critical_overdue=pl.col("critical_overdue").fill_null(False),
            newly_off_track=pl.col("newly_off_track").fill_null(False),
        )
        .with_columns(priority=priority_expr(weights))
        .filter(pl.col("status") == "off_track")
        .sort(
            ["priority", "lag_days", "arr", "account_id"],
            descending=[True, True, True, False],
            nulls_last=True,
        )
        .with_columns(
            rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("csm_email"),
        )
        .filter(pl.col("rank") <= top_n)
        .sort(["csm_email", "rank"], nulls_last=True)
        .select(*accounts.columns, *RANK_COLUMNS)
    )
    return ranked.collect()
