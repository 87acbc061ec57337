"""Rank each CSM's off-track accounts by priority (DESIGN §9).

Only accounts with ``status == "off_track"`` are ranked. For each one, its *missed* milestone
is the earliest overdue milestone (smallest ``due_on``, then smallest ``position``), and::

    priority = round(L * A * C * N, 4)

    L  lateness   = min(days_late / max(due_day, 7), 4.0)
                    days_late and due_day of the missed milestone (days_late falls back to the
                    account's lag_days). Lateness is relative to the milestone's own horizon, so
                    10 days late on a day-90 milestone weighs less than 10 days late on a day-7
                    one; the 7-day floor keeps very early milestones from dominating and the cap
                    at 4 keeps chronic accounts from burying everything else.
    A  ARR        = 1 + log10(1 + arr / 10_000)
                    $0 -> 1.0, $10k -> 1.30, $100k -> 2.04, $1M -> 3.0. A null ARR is treated as
                    the median ARR of all accounts in the frame (the whole portfolio, not only
                    the off-track ones), or 0 when no account has an ARR: unknown revenue is
                    neither rewarded nor punished.
    C  critical   = 1.5 if any overdue milestone is marked critical, else 1.0
    N  breadth    = 1 + 0.25 * (min(overdue_count, 5) - 1)    (1.0 .. 2.0)

Ties are broken deterministically: priority desc, lag_days desc, arr desc (nulls last),
account_id asc. Within each ``csm_email`` the first ``top_n`` get ``rank`` 1..top_n.
"""

from __future__ import annotations

import polars as pl

#: Columns that `rank_off_track` adds to the accounts-result columns, in order.
RANK_COLUMNS: tuple[str, ...] = (
    "missed",
    "missed_due_on",
    "missed_due_day",
    "missed_days_late",
    "first_move",
    "overdue_count",
    "critical_overdue",
    "priority",
    "rank",
)

LATENESS_FLOOR_DAYS = 7
LATENESS_CAP = 4.0
ARR_SCALE = 10_000.0
CRITICAL_MULTIPLIER = 1.5
BREADTH_STEP = 0.25
BREADTH_MAX_COUNT = 5


def priority_expr() -> pl.Expr:
    """The priority score (Float64) of an account, as documented in the module docstring.

    Reads ``missed_days_late``, ``missed_due_day``, ``lag_days``, ``arr``, ``critical_overdue``
    and ``overdue_count``. The null-ARR median is taken over the frame the expression is
    evaluated on, so evaluate it on the whole portfolio before filtering.
    """
    days_late = pl.coalesce(pl.col("missed_days_late"), pl.col("lag_days"), pl.lit(0))
    horizon = pl.max_horizontal(pl.col("missed_due_day").fill_null(0), LATENESS_FLOOR_DAYS)
    lateness = (days_late.cast(pl.Float64) / horizon.cast(pl.Float64)).clip(0.0, LATENESS_CAP)

    arr = pl.col("arr").fill_null(pl.col("arr").median()).fill_null(0.0).clip(lower_bound=0.0)
    arr_factor = 1.0 + (1.0 + arr / ARR_SCALE).log10()

    critical = (
        pl.when(pl.col("critical_overdue").fill_null(False))
        .then(pl.lit(CRITICAL_MULTIPLIER))
        .otherwise(pl.lit(1.0))
    )
    count = pl.col("overdue_count").fill_null(1).clip(1, BREADTH_MAX_COUNT).cast(pl.Float64)
    breadth = 1.0 + BREADTH_STEP * (count - 1.0)

    return (lateness * arr_factor * critical * breadth).round(4).cast(pl.Float64)


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


def rank_off_track(
    accounts: pl.DataFrame, milestones: pl.DataFrame, *, top_n: int = 15
) -> pl.DataFrame:
    """The top `top_n` off-track accounts of every CSM, best first.

    Returns the accounts-result columns plus `RANK_COLUMNS`, sorted by ``csm_email`` then
    ``rank``. An off-track account without overdue milestone rows still ranks (on its
    ``lag_days``), with null ``missed`` and ``first_move``.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    ranked = (
        accounts.lazy()
        .join(overdue_summary(milestones.lazy()), on="account_id", how="left")
        .with_columns(
            overdue_count=pl.col("overdue_count").fill_null(0),
            critical_overdue=pl.col("critical_overdue").fill_null(False),
            priority=priority_expr(),
        )
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
