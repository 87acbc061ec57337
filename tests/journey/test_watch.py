"""The days of an account the early warning can read: up to its journey's last open day."""

from __future__ import annotations

import datetime as dt

import polars as pl

from journey.journeys import Journey
from journey.watch import UNTIL, watch_end, watched


def _journey(grace_days: int) -> Journey:
    return Journey.model_validate(
        {
            "id": "j",
            "grace_days": grace_days,
            "milestones": [
                {"id": "late", "due_day": 30, "when": {"metric": "m", "gte": 1}},
                {"id": "early", "due_day": 3, "when": {"metric": "m", "gte": 1}},
            ],
        }
    )


def test_last_open_day_is_the_latest_due_day_plus_grace() -> None:
    assert _journey(0).last_open_day == 30
    assert _journey(4).last_open_day == 34


def test_watched_keeps_each_accounts_days_up_to_its_watch_end_in_order() -> None:
    journeys = {"j": _journey(2)}  # watch end: start + 32 days
    start = dt.date(2026, 1, 1)
    days = pl.date_range(start, start + dt.timedelta(days=40), eager=True)
    grid = pl.DataFrame(
        {
            "account_id": ["a"] * len(days) + ["b"] * 5,
            "day": [*days, *days[:5]],
            "m": list(range(len(days) + 5)),
        }
    )
    accounts = pl.DataFrame(
        {"account_id": ["b", "a"], "journey": ["j", "j"], "start_date": [start, start]}
    )
    kept = watched(grid.lazy(), accounts.lazy(), journeys).collect()
    assert kept["account_id"].to_list() == ["a"] * 33 + ["b"] * 5
    assert kept["day"].max() == start + dt.timedelta(days=32)
    assert kept.columns == grid.columns
    assert accounts.select(watch_end(journeys))[UNTIL].to_list() == [dt.date(2026, 2, 2)] * 2
