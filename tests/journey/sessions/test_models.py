"""Session input models and the small parsers behind flags and prompts."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from journey.sessions.models import (
    CommitmentIn,
    SessionIn,
    date_problems,
    parse_commitment_flag,
    parse_day,
)

TODAY = dt.date(2024, 3, 8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", dt.date(2024, 3, 15)),
        ("today", TODAY),
        ("+7", dt.date(2024, 3, 15)),
        ("+3d", dt.date(2024, 3, 11)),
        ("+2w", dt.date(2024, 3, 22)),
    ],
)
def test_parse_day_accepts_iso_and_relative_days(text: str, expected: dt.date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize("text", ["2024-13-01", "next week", "+x", ""])
def test_parse_day_rejects_non_dates_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day(text, TODAY)


def test_session_accepts_the_scribes_short_forms() -> None:
    session = SessionIn.model_validate(
        {
            "date": "2024-03-08",
            "attendees": "Ana,  Ben , ",
            "goal": " admins run the report themselves ",
            "notes": [{"fact": "one admin logged in"}, {"kind": "opinion", "text": "bored"}],
            "commitments": [{"owner": "ana", "next_step": "train admins", "due": "2024-03-15"}],
        }
    )
    assert session.held_on == TODAY
    assert session.attendees == ("Ana", "Ben")
    assert session.goal == "admins run the report themselves"
    assert [(n.kind, n.text) for n in session.notes] == [
        ("fact", "one admin logged in"),
        ("opinion", "bored"),
    ]
    assert session.commitments == (
        CommitmentIn(owner="ana", next_step="train admins", due=dt.date(2024, 3, 15)),
    )


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"date": "2024-03-08"}, ("goal",)),
        ({"date": "2024-03-08", "goal": "   "}, ("goal",)),
        ({"date": "not a date", "goal": "g"}, ("date",)),
        ({"date": "2024-03-08", "goal": "g", "notes": [{"guess": "x"}]}, ("notes", 0)),
        (
            {
                "date": "2024-03-08",
                "goal": "g",
                "commitments": [{"owner": " ", "next_step": "s", "due": "2024-03-09"}],
            },
            ("commitments", 0, "owner"),
        ),
        ({"date": "2024-03-08", "goal": "g", "why": "typo"}, ("why",)),
    ],
)
def test_invalid_sessions_point_at_the_field(data: dict[str, object], loc: tuple) -> None:
    with pytest.raises(ValidationError) as caught:
        SessionIn.model_validate(data)
    assert loc in [tuple(error["loc"]) for error in caught.value.errors()]


def test_commitment_due_before_its_session_is_a_problem() -> None:
    session = SessionIn.model_validate(
        {
            "date": "2024-03-08",
            "goal": "g",
            "commitments": [
                {"owner": "a", "next_step": "s", "due": "2024-03-08"},
                {"owner": "b", "next_step": "s", "due": "2024-03-01"},
            ],
        }
    )
    assert date_problems(session) == [
        (("commitments", 1, "due"), "due 2024-03-01 is before the session date 2024-03-08")
    ]


def test_commit_flag_splits_owner_step_and_due() -> None:
    assert parse_commitment_flag("ana@x.com | Book training | A/B test | +7", TODAY) == (
        CommitmentIn(
            owner="ana@x.com", next_step="Book training | A/B test", due=dt.date(2024, 3, 15)
        )
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ana | step", "OWNER | NEXT STEP | DUE"),
        (" | step | 2024-03-09", "no owner"),
        ("ana |  | 2024-03-09", "no next step"),
        ("ana | step | soon", "not a date"),
    ],
)
def test_commit_flag_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_commitment_flag(text, TODAY)
