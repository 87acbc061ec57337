"""The early warning folded into the accounts-result frame."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from journey.risk.status import with_risk


def test_on_track_accounts_at_risk_turn_amber_with_the_reason_first() -> None:
    accounts = pl.DataFrame(
        {
            "account_id": ["calm", "warned", "rule", "late"],
            "status": ["on_track", "on_track", "at_risk", "off_track"],
            "reasons": [["summary a"], ["summary b"], ["behind pace", "summary c"], ["late"]],
        }
    )
    detail = pl.DataFrame(
        {
            "account_id": ["warned", "rule"],
            "risk_probability": [0.874, 0.999],
            "risk_drivers": [["no logins in 9 days", "first_report due in 4 days"], ["x"]],
        }
    )
    expected = pl.DataFrame(
        {
            "account_id": ["calm", "warned", "rule", "late"],
            "status": ["on_track", "at_risk", "at_risk", "off_track"],
            "reasons": [
                ["summary a"],
                [
                    "Early warning: 87% chance of turning off track within 14 days: "
                    "no logins in 9 days; first_report due in 4 days.",
                    "summary b",
                ],
                [
                    "Early warning: 99% chance of turning off track within 14 days: x.",
                    "behind pace",
                    "summary c",
                ],
                ["late"],
            ],
        }
    )
    assert_frame_equal(with_risk(accounts, detail), expected)


def test_no_detail_changes_nothing() -> None:
    accounts = pl.DataFrame({"account_id": ["a"], "status": ["on_track"], "reasons": [["s"]]})
    empty = pl.DataFrame(
        schema={
            "account_id": pl.String,
            "risk_probability": pl.Float64,
            "risk_drivers": pl.List(pl.String),
        }
    )
    assert_frame_equal(with_risk(accounts, empty), accounts)
