"""A fixed week of data for the report tests (tests/reports): results, trends, commitments,
snoozes and account facts.

Two CSMs. ana@ has four off-track accounts — Acme (chronic, critical, with session
commitments), a hostile name (new this week), Globex (still off track) and Initech (snoozed)
— plus Hooli, which recovered since last week. bo@ has nothing off track.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from reports.schema import (
    ACCOUNT_SCHEMA,
    COMMITMENT_SCHEMA,
    MILESTONE_SCHEMA,
    SNOOZE_SCHEMA,
    TREND_SCHEMA,
)

AS_OF = date(2024, 3, 6)  # a Wednesday; the week starts Monday 2024-03-04
START = date(2024, 1, 1)
EVIL = "<script>alert(1)</script>"
JOURNEY = [
    ("first_login", 3, False),
    ("integration_live", 21, True),
    ("first_reports", 30, False),
    ("weekly_active_5", 45, True),
]


def _account(account_id: str, name: str, status: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ACCOUNT_SCHEMA)
    row.update(
        account_id=account_id,
        name=name,
        csm_email="ana@example.com",
        arr=50_000.0,
        start_date=START,
        segment="growth",
        journey="growth_onboarding",
        journey_name="Growth onboarding",
        as_of=AS_OF,
        day_of_journey=(AS_OF - START).days,
        status=status,
        milestones_total=4,
        milestones_achieved=2,
        milestones_expected=4,
        location=[],
        expected_location=[],
        last_activity=AS_OF - timedelta(days=2),
        reasons=[],
    )
    row.update(values)
    return row


def _milestones(
    account_id: str, states: str, *, first_move: str | None = None, regressed: str = ""
) -> list[dict[str, Any]]:
    """One row per journey milestone; `states` has a letter each: d(one), l(ate), o(verdue),
    p(ending)."""
    names = {"d": "done", "l": "done_late", "o": "overdue", "p": "pending"}
    rows = []
    for position, ((milestone, due_day, critical), letter) in enumerate(
        zip(JOURNEY, states, strict=True)
    ):
        due_on = START + timedelta(days=due_day)
        state = names[letter]
        row: dict[str, Any] = dict.fromkeys(MILESTONE_SCHEMA)
        row.update(
            account_id=account_id,
            journey="growth_onboarding",
            milestone=milestone,
            position=position,
            due_day=due_day,
            due_on=due_on,
            state=state,
            critical=critical,
            condition=f"{milestone} metric >= 1",
            metric="weekly_active_users",
            value=1.0,
            threshold=5.0,
            holds_now=state != "overdue",
            regressed=milestone == regressed,
            at_risk=False,
            first_move=first_move or f"Talk to them about {milestone}.",
        )
        if state == "done":
            row["achieved_on"] = due_on - timedelta(days=1)
        elif state == "done_late":
            row.update(achieved_on=due_on + timedelta(days=4), days_late=4)
        elif state == "overdue":
            row["days_late"] = (AS_OF - due_on).days
        rows.append(row)
    return rows


def week_frames() -> dict[str, pl.DataFrame]:
    accounts = [
        _account(
            "acc-001",
            "Acme Corporation",
            "off_track",
            arr=120_000.0,
            lag_days=44,
            milestones_achieved=1,
            last_activity=AS_OF - timedelta(days=75),
            reasons=[
                "integration_live is 44 days overdue (due 2024-01-22): integrations is 0 "
                "(needs ≥ 1).",
                "first_reports is 35 days overdue (due 2024-01-31): reports_created is 2 "
                "(needs ≥ 5).",
            ],
        ),
        _account(
            "acc-002",
            EVIL,
            "off_track",
            segment="<b>bold</b>",
            arr=None,
            lag_days=21,
            milestones_achieved=3,
            last_activity=None,
            reasons=[
                "weekly_active_5 is 21 days overdue: weekly_active_users is 1 <needs> ≥ 5 & more."
            ],
        ),
        _account(
            "acc-003",
            "Globex",
            "off_track",
            arr=30_000.0,
            lag_days=21,
            milestones_achieved=3,
            reasons=[
                "weekly_active_5 is 21 days overdue (due 2024-02-15): weekly_active_users is 2 "
                "(needs ≥ 5)."
            ],
        ),
        _account(
            "acc-004",
            "Initech",
            "off_track",
            arr=80_000.0,
            lag_days=21,
            milestones_achieved=3,
            reasons=["weekly_active_5 is 21 days overdue."],
        ),
        _account("acc-005", "Hooli", "on_track", milestones_achieved=4),
        _account(
            "acc-006", "Umbrella", "completed", csm_email="bo@example.com", milestones_achieved=4
        ),
    ]
    milestones = [
        *_milestones(
            "acc-001", "doop", first_move="Pair their engineer with a solutions architect."
        ),
        *_milestones("acc-002", "dddo", first_move=f"Call {EVIL}", regressed="first_reports"),
        *_milestones("acc-003", "dldo"),
        *_milestones("acc-004", "dddo"),
        *_milestones("acc-005", "dddd"),
        *_milestones("acc-006", "dddd"),
    ]
    trends = [
        ("acc-001", "off_track", date(2024, 1, 23), 6, False, False, []),
        ("acc-002", "at_risk", date(2024, 3, 4), 0, True, False, ["first_reports"]),
        ("acc-003", "off_track", date(2024, 2, 20), 2, False, False, []),
        ("acc-004", "off_track", date(2024, 2, 20), 2, False, False, []),
        ("acc-005", "off_track", date(2024, 3, 2), 0, False, True, []),
        ("acc-006", "completed", date(2024, 2, 1), 4, False, False, []),
    ]
    commitments = [
        (
            1,
            "acc-001",
            10,
            date(2024, 2, 20),
            "Solutions architect",
            "Connect the warehouse with their engineer",
            date(2024, 3, 1),
            "open",
            None,
        ),
        (
            2,
            "acc-001",
            10,
            date(2024, 2, 20),
            "CSM",
            "Agree a rollout plan with the sponsor",
            date(2024, 3, 15),
            "open",
            None,
        ),
        (
            3,
            "acc-001",
            10,
            date(2024, 2, 20),
            "CSM",
            "Send the recap",
            date(2024, 2, 21),
            "done",
            date(2024, 2, 21),
        ),
    ]
    snoozes = [
        ("acc-004", date(2024, 3, 20), "renewal call booked", "ana", date(2024, 3, 1), "off_track")
    ]
    extras = pl.DataFrame(
        {
            "account_id": ["acc-001", "acc-002"],
            "industry": ["software", None],
            "employees": [1200, None],
            "region": ["EMEA", None],
            "website": ["acme.example", None],
            "plan": ["growth", "starter"],
            "seats": [40, None],
            "products": ["analytics, api", None],
            "contract_renewal": [date(2024, 9, 1), None],
            "champion": ["Priya Raman (VP Operations)", None],
            "competitor": ["Looker", None],
            "tier": ["gold", None],
        }
    )
    return {
        "accounts": pl.DataFrame(accounts, schema=ACCOUNT_SCHEMA),
        "milestones": pl.DataFrame(milestones, schema=MILESTONE_SCHEMA),
        "trends": pl.DataFrame(trends, schema=TREND_SCHEMA, orient="row"),
        "commitments": pl.DataFrame(commitments, schema=COMMITMENT_SCHEMA, orient="row"),
        "snoozes": pl.DataFrame(snoozes, schema=SNOOZE_SCHEMA, orient="row"),
        "extras": extras,
    }
