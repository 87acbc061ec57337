"""Features of every account on each of many as-of days, all derived from one metric grid.

A snapshot row is (account, as_of) and uses only what was known on as_of: metric values on
that day and the 7 days before, milestones achieved by then, and the account's attributes.
(`tests/journey/risk/test_features.py` checks this by comparing snapshots built from
truncated data with snapshots built from the full history.)

Feature columns:

- journey: `journey_day`, `achieved_share` (milestones achieved / total), `due_done_share`
  (milestones due so far reached on time), `due_soon` (milestones not yet achieved that turn
  overdue within the horizon);
- the next milestone (the earliest-due one not yet achieved): `next_due_day`,
  `next_days_to_due`, `next_progress` (metric value / threshold), `next_progress_7d`,
  `next_pace_gap` (share of its due day elapsed minus progress), `next_critical`;
- activity: `days_since_activity`;
- per metric M: `M.level`, `M.change_7d`, `M.days_flat` (days since the value last changed);
- the account: `icp_fit`, `arr`, and the categories `segment`, `journey`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from journey.risk.history import History, days_earlier, days_in

#: Account-level categorical features (encoded as codes by `journey.risk.model`).
CATEGORICAL = ("segment", "journey")

#: Numeric features that do not depend on the configured metrics.
BASE_NUMERIC = (
    "journey_day",
    "achieved_share",
    "due_done_share",
    "due_soon",
    "next_due_day",
    "next_days_to_due",
    "next_progress",
    "next_progress_7d",
    "next_pace_gap",
    "next_critical",
    "days_since_activity",
    "icp_fit",
    "arr",
)

METRIC_PARTS = ("level", "change_7d", "days_flat")


def metric_features(metrics: tuple[str, ...]) -> list[str]:
    return [f"{m}.{part}" for m in metrics for part in METRIC_PARTS]


def feature_names(metrics: tuple[str, ...]) -> list[str]:
    """Every model feature, numeric first, then the categorical ones."""
    return [*BASE_NUMERIC, *metric_features(metrics), *CATEGORICAL]


def _days(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_days().cast(pl.Float64)


def metric_snapshots(history: History, days: list[dt.date]) -> pl.DataFrame:
    """Per (account_id, as_of): each metric's level, 7-day change and days flat; activity.

    The grid holds each account's days from start_date on, one row per day in (account,
    day) order, so "the same account, k days earlier" is k rows up when the account is at
    least k days in: plain shifts and fills over the whole column, no window per account.
    One metric at a time, kept to the snapshot days at once, which bounds the memory to a
    few grid columns.
    """
    day = pl.col("day")
    wanted = day.is_in(days)
    row = pl.int_range(pl.len())
    journey_day = days_in()
    first_row = row - journey_day
    grid = history.grid.lazy()
    frames = [
        grid.filter(wanted).select(
            "account_id",
            day.alias("as_of"),
            pl.when(pl.col("last_active").is_null())
            .then(_days(day - pl.col("start_date")) + 1)
            .otherwise(_days(day - pl.col("last_active")))
            .alias("days_since_activity"),
        )
    ]
    for m in history.metrics:
        value = pl.col(m)
        # A change on start_date is a value other than 0.
        changed = pl.when(journey_day == 0).then(value != 0).otherwise(value != value.shift(1))
        # The latest changed row so far; before the account's first row it is another's.
        last_change = pl.when(changed).then(row).forward_fill()
        frames.append(
            grid.select(
                value.alias(f"{m}.level"),
                (value - days_earlier(value, 7)).alias(f"{m}.change_7d"),
                (row - pl.max_horizontal(last_change, first_row))
                .cast(pl.Float64)
                .alias(f"{m}.days_flat"),
                wanted.alias("__wanted"),
            )
            .filter(pl.col("__wanted"))
            .drop("__wanted")
        )
    return pl.concat([frame.collect() for frame in frames], how="horizontal")


def milestone_snapshots(
    milestones: pl.DataFrame, progress: pl.DataFrame, days: list[dt.date], horizon: int
) -> pl.DataFrame:
    """Per (account_id, as_of): status flags, milestone shares and the next milestone."""
    t = pl.col("as_of")
    achieved = pl.col("achieved_on").is_not_null() & (pl.col("achieved_on") <= t)
    open_ = ~achieved
    # `progress` has a row for each milestone on each of `days` its account had started by.
    started = pl.col("due_on") - pl.duration(days=pl.col("due_day")) <= t
    rows = (
        milestones.join(progress.rename({"day": "as_of"}), on=["account_id", "position"])
        .filter(t.is_in(days) & started)
        .with_columns(days_to_due=_days(pl.col("due_on") - t))
    )
    overdue_soon = open_ & (pl.col("overdue_from") <= t + pl.duration(days=horizon))
    due = pl.col("due_on") <= t
    on_time = achieved & (pl.col("achieved_on") <= pl.col("due_on"))
    journey_day = _days(t - (pl.col("due_on") - pl.duration(days=pl.col("due_day"))))
    expected_share = (journey_day / pl.max_horizontal(pl.col("due_day"), 1)).clip(0.0, 1.0)
    # The existing rule (journey.progress): pending, due within warning_days, behind pace.
    rule_progress = (
        pl.when(pl.col("threshold").is_not_null())
        .then(pl.col("progress"))
        .otherwise((pl.col("progress") >= 1.0).cast(pl.Float64))
    )
    rule = (
        open_
        & (t < pl.col("overdue_from"))
        & (pl.col("days_to_due") <= pl.col("warning_days"))
        & (rule_progress < expected_share)
    )
    return (
        rows.sort("account_id", "as_of", "due_on", "position")
        .group_by("account_id", "as_of", maintain_order=True)
        .agg(
            journey_day=journey_day.first(),
            off_track=(open_ & (t >= pl.col("overdue_from"))).any(),
            completed=achieved.all(),
            rule_at_risk=rule.any(),
            achieved_share=achieved.mean().cast(pl.Float64),
            due_done_share=pl.when(due.any())
            .then(on_time.filter(due).sum() / due.sum())
            .otherwise(1.0)
            .cast(pl.Float64),
            due_soon=overdue_soon.sum().cast(pl.Float64),
            next_milestone=pl.col("milestone").filter(open_).first(),
            next_metric=pl.col("metric").filter(open_).first(),
            next_threshold=pl.col("threshold").filter(open_).first(),
            next_due_day=pl.col("due_day").filter(open_).first().cast(pl.Float64),
            next_days_to_due=pl.col("days_to_due").filter(open_).first(),
            next_progress=pl.col("progress").filter(open_).first(),
            next_progress_7d=pl.col("progress_7d").filter(open_).first(),
            next_pace_gap=(expected_share - pl.col("progress")).filter(open_).first(),
            next_critical=pl.col("critical").filter(open_).first().cast(pl.Float64),
        )
    )


def snapshots(
    history: History,
    milestones: pl.DataFrame,
    progress: pl.DataFrame,
    days: list[dt.date],
    horizon: int,
) -> pl.DataFrame:
    """Every started account on each of `days`: keys, status flags and all features."""
    attributes = history.accounts.select(
        "account_id",
        "csm_email",
        "segment",
        "journey",
        pl.col("icp_fit").cast(pl.Float64),
        pl.col("arr").cast(pl.Float64),
    )
    return (
        milestone_snapshots(milestones, progress, days, horizon)
        .join(metric_snapshots(history, days), on=["account_id", "as_of"], how="inner")
        .join(attributes, on="account_id", how="inner")
        .sort("as_of", "account_id")
    )
