"""The snooze rule: hidden until `until` (exclusive) or until the status changes."""

from __future__ import annotations

import datetime as dt

import polars as pl

from journey.sessions.snoozes import SNOOZE_DETAIL_SCHEMA, describe_snoozes, select_active
from reports.schema import SNOOZE_SCHEMA

D = dt.date
REVOKED = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)


def snoozes(*rows: tuple[str, dt.date, str, dt.datetime | None]) -> pl.DataFrame:
    """(account_id, until, status_at_snooze, revoked_at) -> stored snoozes."""
    return pl.DataFrame(
        [
            {
                "snooze_id": index,
                "account_id": account,
                "until": until,
                "reason": "renewal call booked",
                "created_by": "ana",
                "created_on": D(2024, 3, 1),
                "status_at_snooze": status,
                "run_as_of": D(2024, 3, 1),
                "revoked_at": revoked,
                "revoked_by": "ana" if revoked else None,
            }
            for index, (account, until, status, revoked) in enumerate(rows, start=1)
        ],
        schema=SNOOZE_DETAIL_SCHEMA,
    )


STORED = snoozes(
    ("active", D(2024, 3, 20), "off_track", None),
    ("expired", D(2024, 3, 10), "off_track", None),
    ("ends_today", D(2024, 3, 15), "off_track", None),
    ("recovered", D(2024, 3, 20), "off_track", None),
    ("worse", D(2024, 3, 20), "at_risk", None),
    ("revoked", D(2024, 3, 20), "off_track", REVOKED),
    ("gone", D(2024, 3, 20), "off_track", None),
)
STATUSES = pl.DataFrame(
    {
        "account_id": ["active", "expired", "ends_today", "recovered", "worse", "revoked", "x"],
        "status": [
            "off_track",
            "off_track",
            "off_track",
            "on_track",
            "off_track",
            "off_track",
            "off_track",
        ],
    }
)
AS_OF = D(2024, 3, 15)


def test_only_unrevoked_unexpired_snoozes_of_an_unchanged_status_are_active() -> None:
    active = select_active(STORED, AS_OF, STATUSES)
    assert active.schema == pl.Schema(SNOOZE_SCHEMA)
    assert active["account_id"].to_list() == ["active"]


def test_the_day_before_until_is_still_snoozed() -> None:
    active = select_active(STORED, D(2024, 3, 14), STATUSES)
    assert active["account_id"].to_list() == ["active", "ends_today"]


def test_describe_says_why_each_snooze_no_longer_hides_the_flag() -> None:
    described = describe_snoozes(STORED, AS_OF, STATUSES)
    assert dict(zip(described["account_id"], described["state"], strict=True)) == {
        "active": "active",
        "expired": "expired",
        "ends_today": "expired",
        "recovered": "status now on_track",
        "worse": "status now off_track",
        "revoked": "revoked",
        "gone": "status now gone",
    }
