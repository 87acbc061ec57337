"""Snapshot features use only what was known on their day."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.risk.features import feature_names, metric_features, metric_snapshots, snapshots
from journey.risk.history import load_history
from journey.risk.timeline import milestone_table, snapshot_progress
from support import Project

DAY = dt.date(2026, 3, 10)
LATER = dt.date(2026, 5, 1)


def _rows(project: Project, until: dt.date, days: list[dt.date]) -> pl.DataFrame:
    config = project.config()
    history = load_history(config, until)
    milestones = milestone_table(history.grid, history.accounts, config.journeys)
    progress = snapshot_progress(history.grid, history.accounts, config.journeys, days)
    return snapshots(history, milestones, progress, days, horizon=14)


def test_features_of_a_day_do_not_change_when_later_data_arrives(synthetic: Project) -> None:
    # Features of DAY from a history that ends on DAY, and from one that runs 7 weeks on:
    # identical, so nothing after DAY leaks into them.
    known_then = _rows(synthetic, DAY, [DAY])
    known_later = _rows(synthetic, LATER, [DAY, LATER]).filter(pl.col("as_of") == DAY)
    assert known_then.height > 50
    assert_frame_equal(known_then, known_later)


def test_every_feature_is_present_and_typed(synthetic: Project) -> None:
    rows = _rows(synthetic, DAY, [DAY])
    names = feature_names(("logins", "reports"))
    assert set(names) <= set(rows.columns)
    for name in names:
        if name not in ("segment", "journey"):
            assert rows.schema[name] == pl.Float64, name


def test_metric_level_change_and_days_flat(make_project) -> None:  # type: ignore[no-untyped-def]
    project = make_project(
        milestones="- {id: ten, due_day: 30, when: {metric: logins, gte: 10}}\n",
        accounts="a,A,2026-01-01,ana@example.com,1000,x\n",
        events="""
        a,2026-01-01T10:00:00Z,login,u1,
        a,2026-01-02T10:00:00Z,login,u1,
        a,2026-01-09T10:00:00Z,login,u1,
        """,
    )
    day = dt.date(2026, 1, 13)
    row = _rows(project, day, [day]).row(0, named=True)
    assert row["logins.level"] == 3
    assert row["logins.change_7d"] == 1  # logins on 01-06 .. 01-13: only 01-09
    assert row["logins.days_flat"] == 4  # last change on 01-09
    assert row["days_since_activity"] == 4
    assert row["next_progress"] == pytest.approx(0.3)
    assert row["next_days_to_due"] == 18
    assert row["journey_day"] == 12


def _per_account(history_grid: pl.DataFrame, metrics: tuple[str, ...]) -> pl.DataFrame:
    """The metric features the slow and obvious way: windows per account."""
    account, day = pl.col("account_id"), pl.col("day")
    exprs = []
    for m in metrics:
        value, previous = pl.col(m), pl.col(m).shift(1).over(account)
        changed = pl.when(previous.is_null()).then(value != 0).otherwise(value != previous)
        last_change = pl.when(changed).then(day).forward_fill().over(account)
        exprs += [
            value.alias(f"{m}.level"),
            (value - value.shift(7).over(account).fill_null(0.0)).alias(f"{m}.change_7d"),
            (day - last_change.fill_null(pl.col("start_date")))
            .dt.total_days()
            .cast(pl.Float64)
            .alias(f"{m}.days_flat"),
        ]
    return history_grid.sort("account_id", "day").with_columns(exprs)


def test_metric_features_stay_within_each_account(synthetic: Project) -> None:
    # The features shift and fill down the whole grid; an account's first days must never see
    # the account before it (accounts start on different days, some before DAY - 7).
    config = synthetic.config()
    history = load_history(config, DAY)
    days = [DAY - dt.timedelta(days=k) for k in range(0, 40, 3)]
    got = metric_snapshots(history, days).sort("account_id", "as_of")
    names = metric_features(history.metrics)
    expected = (
        _per_account(history.grid, history.metrics)
        .filter(pl.col("day").is_in(days))
        .select("account_id", pl.col("day").alias("as_of"), *names)
        .sort("account_id", "as_of")
    )
    assert got.height > 500
    assert got.filter(pl.col("logins.days_flat") > 0).height > 100
    assert_frame_equal(got.select(expected.columns), expected)
    progress = snapshot_progress(history.grid, history.accounts, config.journeys, days)
    first = progress.filter(pl.col("position") == 0)
    by_account = (
        history.grid.sort("account_id", "day")
        .with_columns(p=(pl.col("logins") / 1.0).clip(0.0, 1.0))
        .with_columns(p7=pl.col("p") - pl.col("p").shift(7).over("account_id").fill_null(0.0))
        .filter(pl.col("day").is_in(days))
        .select("account_id", "day", "p7")
    )
    joined = first.join(by_account, on=["account_id", "day"])
    assert joined.height == first.height
    assert (joined["progress_7d"] - joined["p7"]).abs().max() == 0
