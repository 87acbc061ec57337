"""Milestone states and account status — DESIGN §6, exactly, as lazy polars.

Input: metric values per account per day (`metrics.compute.metric_values`) and the accounts
with their assigned journey. For every account and milestone of its journey:

- achieved_on: the first day d (start_date <= d <= as_of) on which the condition holds;
  achievement is permanent — if the condition no longer holds on as_of the milestone is
  `regressed`, not un-achieved.
- due_on = start_date + due_day.
- state on as_of: done (achieved_on <= due_on), done_late (achieved after due_on), overdue
  (not achieved and as_of > due_on + grace_days), pending otherwise.
- at_risk: pending, due within the journey's `warning_days` (or past due, inside the grace
  period), and behind pace: progress (metric value / threshold for a `gte`/`gt` comparison,
  else 1 if the condition holds and 0 if not) is below the share of the due day elapsed.

Account status: off_track if any milestone is overdue; at_risk if any is at risk; completed
if every milestone is achieved; on_track otherwise. Lag = days since the earliest overdue
milestone's due_on. Every status carries reasons, each one sentence.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import polars.selectors as cs

from journey.journeys import Journey, Milestone
from segments.conditions import describe, to_expr

_SYMBOL = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


def _now(metric: str) -> str:
    return f"now.{metric}"


def number_text(expr: pl.Expr) -> pl.Expr:
    """A Float64 as text without a needless `.0` (3.0 -> "3", 2.5 -> "2.5")."""
    return (
        pl.when(expr.is_null())
        .then(pl.lit("n/a"))
        .when(expr == expr.round(0))
        .then(expr.cast(pl.Int64).cast(pl.String))
        .otherwise(expr.round(2).cast(pl.String))
    )


def _threshold(milestone: Milestone) -> tuple[str | None, float | None]:
    cmp = milestone.single_comparison
    if cmp is None or cmp.operator not in _SYMBOL:
        return None, None
    operand = cmp.operand
    if isinstance(operand, bool) or not isinstance(operand, int | float):
        return cmp.operator, None
    return cmp.operator, float(operand)


def _values_text(milestone: Milestone) -> pl.Expr:
    """`weekly_active_users is 4 (needs ≥ 10)`, or `now logins 3, invites 0` for compounds."""
    op, threshold = _threshold(milestone)
    metrics = milestone.metrics
    if threshold is not None and op is not None:
        metric = metrics[0]
        return pl.concat_str(
            pl.lit(f"{metric} is "),
            number_text(pl.col(_now(metric))),
            pl.lit(f" (needs {_SYMBOL[op]} "),
            number_text(pl.lit(threshold)),
            pl.lit(")"),
        )
    parts: list[pl.Expr] = [pl.lit("now ")]
    for i, metric in enumerate(metrics):
        if i:
            parts.append(pl.lit(", "))
        parts += [pl.lit(f"{metric} "), number_text(pl.col(_now(metric)))]
    return pl.concat_str(parts)


def _prior_wide(prior: pl.LazyFrame, positions: int) -> pl.LazyFrame:
    """An earlier run's (account_id, position, achieved_on, value_on_due), one row per
    account: `prior.achieved.{i}`, `prior.on_due.{i}`."""
    position = pl.col("position")
    return prior.group_by("account_id").agg(
        [
            pl.col(column).filter(position == i).first().alias(f"prior.{name}.{i}")
            for i in range(positions)
            for column, name in (("achieved_on", "achieved"), ("value_on_due", "on_due"))
        ]
    )


def _with_prior(per_account: pl.LazyFrame, wide: pl.LazyFrame) -> pl.LazyFrame:
    """Achievements and due-day values an earlier run found (an incremental run's `values`
    hold only the days after it), taking precedence: they are earlier."""
    names = [
        c for c in per_account.collect_schema().names() if c.startswith(("achieved.", "on_due."))
    ]
    return (
        per_account.join(wide, on="account_id", how="left")
        .with_columns([pl.coalesce(f"prior.{name}", name).alias(name) for name in names])
        .drop(cs.starts_with("prior."))
    )


def _milestone_frame(
    values: pl.LazyFrame,
    account_ids: pl.LazyFrame,
    journey: Journey,
    as_of: dt.date,
    prior: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per account x milestone of one journey, before states are derived.

    `prior`: an earlier run's findings (`_prior_wide`), for an incremental run."""
    grid = values.join(account_ids, on="account_id", how="semi")
    on_as_of = pl.col("day") == as_of
    metrics = list(dict.fromkeys(m for ms in journey.milestones for m in ms.metrics))
    aggs: list[pl.Expr] = [pl.col("start_date").first()]
    aggs += [pl.col(m).filter(on_as_of).first().alias(_now(m)) for m in metrics]
    for i, milestone in enumerate(journey.milestones):
        holds = to_expr(milestone.when)
        due = pl.col("day") == pl.col("start_date") + pl.duration(days=milestone.due_day)
        aggs += [
            pl.col("day").filter(holds).min().alias(f"achieved.{i}"),
            holds.filter(on_as_of).first().alias(f"holds.{i}"),
        ]
        if milestone.metrics:
            aggs.append(pl.col(milestone.metrics[0]).filter(due).first().alias(f"on_due.{i}"))
    per_account = grid.group_by("account_id").agg(aggs)
    if prior is not None:
        per_account = _with_prior(per_account, prior)

    rows = []
    for i, milestone in enumerate(journey.milestones):
        op, threshold = _threshold(milestone)
        primary = milestone.metrics[0] if milestone.metrics else None
        null_float = pl.lit(None, dtype=pl.Float64)
        metric_values = (
            pl.struct([pl.col(_now(m)).alias(m) for m in milestone.metrics]).struct.json_encode()
            if milestone.metrics
            else pl.lit("{}")
        )
        rows.append(
            per_account.select(
                "account_id",
                "start_date",
                journey=pl.lit(journey.id),
                milestone=pl.lit(milestone.id),
                position=pl.lit(i, dtype=pl.Int32),
                due_day=pl.lit(milestone.due_day, dtype=pl.Int32),
                achieved_on=pl.col(f"achieved.{i}"),
                condition=pl.lit(describe(milestone.when)),
                metric=pl.lit(primary, dtype=pl.String),
                value=pl.col(_now(primary)) if primary else null_float,
                threshold=pl.lit(threshold, dtype=pl.Float64),
                value_on_due=pl.col(f"on_due.{i}") if primary else null_float,
                metric_values=metric_values,
                holds_now=pl.col(f"holds.{i}").fill_null(False),
                critical=pl.lit(milestone.critical),
                first_move=pl.lit(milestone.first_move, dtype=pl.String),
                values_text=_values_text(milestone),
                pace_by_ratio=pl.lit(op in ("gte", "gt") and bool(threshold and threshold > 0)),
                grace_days=pl.lit(journey.grace_days, dtype=pl.Int32),
                warning_days=pl.lit(journey.warning_days, dtype=pl.Int32),
            )
        )
    return pl.concat(rows, how="vertical")


def _days(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_days().cast(pl.Int32)


def milestone_states(
    values: pl.LazyFrame,
    assigned: pl.LazyFrame,
    journeys: dict[str, Journey],
    as_of: dt.date,
    prior: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Every account x milestone with its state, lateness, values and reason (if any).

    For an incremental run, `values` hold only the days since the previous run and `prior`
    what that run found: (account_id, position, achieved_on, value_on_due).
    """
    if prior is not None:
        prior = _prior_wide(prior, max(len(j.milestones) for j in journeys.values())).cache()
    frames = []
    for journey in journeys.values():
        ids = assigned.filter(pl.col("journey") == journey.id).select("account_id")
        frames.append(_milestone_frame(values, ids, journey, as_of, prior))
    if not frames:
        raise ValueError("no journeys configured")
    frame = pl.concat(frames, how="vertical")
    as_of_lit = pl.lit(as_of)
    due_on = pl.col("start_date") + pl.duration(days=pl.col("due_day"))
    achieved = pl.col("achieved_on")
    frame = frame.with_columns(due_on=due_on).with_columns(
        state=pl.when(achieved.is_not_null() & (achieved <= pl.col("due_on")))
        .then(pl.lit("done"))
        .when(achieved.is_not_null())
        .then(pl.lit("done_late"))
        .when(as_of_lit > pl.col("due_on") + pl.duration(days=pl.col("grace_days")))
        .then(pl.lit("overdue"))
        .otherwise(pl.lit("pending")),
        regressed=achieved.is_not_null() & ~pl.col("holds_now"),
    )
    elapsed = _days(as_of_lit - pl.col("start_date")).cast(pl.Float64)
    expected_share = (elapsed / pl.max_horizontal(pl.col("due_day"), pl.lit(1))).clip(0.0, 1.0)
    progress = (
        pl.when(pl.col("pace_by_ratio"))
        .then((pl.col("value") / pl.col("threshold")).clip(0.0, 1.0))
        .otherwise(pl.col("holds_now").cast(pl.Float64))
    )
    days_to_due = _days(pl.col("due_on") - as_of_lit)
    frame = frame.with_columns(
        days_late=pl.when(pl.col("state") == "overdue")
        .then(_days(as_of_lit - pl.col("due_on")))
        .when(pl.col("state") == "done_late")
        .then(_days(achieved - pl.col("due_on")))
        .otherwise(pl.lit(None, dtype=pl.Int32)),
        at_risk=(pl.col("state") == "pending")
        & (days_to_due <= pl.col("warning_days"))
        & (progress < expected_share),
        days_to_due=days_to_due,
    )
    return frame.with_columns(reason=_reason())


def _reason() -> pl.Expr:
    """One sentence per milestone that explains a status; null when there is nothing to say."""
    due = pl.col("due_on").dt.to_string("%Y-%m-%d")
    days_to_due = pl.col("days_to_due")
    when_due = (
        pl.when(days_to_due > 0)
        .then(pl.concat_str(pl.lit("due in "), days_to_due.cast(pl.String), pl.lit(" days")))
        .when(days_to_due == 0)
        .then(pl.lit("due today"))
        .otherwise(
            pl.concat_str(
                pl.lit("past due by "), (-days_to_due).cast(pl.String), pl.lit(" days (grace)")
            )
        )
    )
    return (
        pl.when(pl.col("state") == "overdue")
        .then(
            pl.concat_str(
                pl.col("milestone"),
                pl.lit(" is "),
                pl.col("days_late").cast(pl.String),
                pl.lit(" days overdue (due "),
                due,
                pl.lit("): "),
                pl.col("condition"),
                pl.lit(" not met; "),
                pl.col("values_text"),
                pl.lit("."),
            )
        )
        .when(pl.col("at_risk"))
        .then(
            pl.concat_str(
                pl.col("milestone"),
                pl.lit(" is "),
                when_due,
                pl.lit(" ("),
                due,
                pl.lit(") and behind pace: "),
                pl.col("values_text"),
                pl.lit("."),
            )
        )
        .when(pl.col("regressed"))
        .then(
            pl.concat_str(
                pl.col("milestone"),
                pl.lit(" was reached on "),
                pl.col("achieved_on").dt.to_string("%Y-%m-%d"),
                pl.lit(" but no longer holds ("),
                pl.col("condition"),
                pl.lit("); "),
                pl.col("values_text"),
                pl.lit("."),
            )
        )
    )
