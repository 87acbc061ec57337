"""The fast path (one grid, statuses derived per day) agrees with evaluate() on each day."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_series_equal

from journey.risk.features import snapshots
from journey.risk.history import load_history
from journey.risk.timeline import milestone_table, progress_expr, snapshot_progress
from segments.conditions import AllOf, Comparison
from support import Project

DAYS = [dt.date(2026, 3, 1), dt.date(2026, 3, 20), dt.date(2026, 4, 9), dt.date(2026, 5, 1)]


def test_off_track_and_completed_match_evaluate_on_every_day(synthetic: Project) -> None:
    config = synthetic.config()
    history = load_history(config, DAYS[-1])
    milestones = milestone_table(history.grid, history.accounts, config.journeys)
    progress = snapshot_progress(history.grid, history.accounts, config.journeys, DAYS)
    rows = snapshots(history, milestones, progress, DAYS, horizon=14)
    for day in DAYS:
        expected = (
            synthetic.evaluate(day.isoformat())
            .accounts.select(
                "account_id",
                off_track=pl.col("status") == "off_track",
                completed=pl.col("status") == "completed",
                rule_at_risk=pl.col("status") == "at_risk",
            )
            .sort("account_id")
        )
        mine = rows.filter(pl.col("as_of") == day).sort("account_id")
        assert mine["account_id"].to_list() == expected["account_id"].to_list()
        for column in ("off_track", "completed"):
            assert_series_equal(mine[column], expected[column])
        # The rule's at_risk shows as status only when the account is not off track.
        assert_series_equal(mine["rule_at_risk"] & ~mine["off_track"], expected["rule_at_risk"])


def test_progress_of_compound_conditions_is_the_weakest_or_strongest_part() -> None:
    frame = pl.DataFrame({"a": [1.0, 4.0, 0.0], "b": [5.0, 10.0, 0.0]})
    both = AllOf.model_validate({"all": [{"metric": "a", "gte": 4}, {"metric": "b", "gte": 10}]})
    single = Comparison.model_validate({"metric": "b", "gte": 10})
    result = frame.select(
        both=progress_expr(both),
        single=progress_expr(single),
    )
    assert result["both"].to_list() == [0.25, 1.0, 0.0]
    assert result["single"].to_list() == [0.5, 1.0, 0.0]
