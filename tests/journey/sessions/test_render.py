"""Commitments and sessions as text: the state a CSM reads at a glance."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from journey.sessions.reads import COMMITMENT_DETAIL_SCHEMA, NOTE_SCHEMA, SESSION_SCHEMA
from journey.sessions.render import commitment_state, session_lines, sessions_json

AS_OF = dt.date(2024, 3, 15)


@pytest.mark.parametrize(
    ("due", "status", "expected"),
    [
        (dt.date(2024, 3, 12), "open", "OVERDUE 3d"),
        (dt.date(2024, 3, 15), "open", "open, due today"),
        (dt.date(2024, 3, 17), "open", "open, due in 2d"),
        (dt.date(2024, 3, 12), "done", "done 2024-03-14"),
    ],
)
def test_commitment_state(due: dt.date, status: str, expected: str) -> None:
    row = {"due_on": due, "status": status, "done_on": dt.date(2024, 3, 14)}
    assert commitment_state(row, AS_OF) == expected


SESSIONS = pl.DataFrame(
    [{"session_id": 1, "account_id": "A", "held_on": dt.date(2024, 3, 1), "goal": "why",
      "attendees": ["Ana"], "recorded_by": "ana"}],
    schema=SESSION_SCHEMA,
)  # fmt: skip
NOTES = pl.DataFrame([{"session_id": 1, "kind": "fact", "text": "one admin"}], schema=NOTE_SCHEMA)
COMMITMENTS = pl.DataFrame(
    [
        {"commitment_id": cid, "account_id": "A", "session_id": 1,
         "session_date": dt.date(2024, 3, 1), "owner": "ana", "next_step": f"step {cid}",
         "due_on": due, "status": "open", "done_on": None, "done_note": None}
        for cid, due in ((1, dt.date(2024, 3, 20)), (2, dt.date(2024, 3, 10)))
    ],
    schema=COMMITMENT_DETAIL_SCHEMA,
)  # fmt: skip


def test_session_lines_put_overdue_commitments_first() -> None:
    assert session_lines(SESSIONS, NOTES, COMMITMENTS, AS_OF) == [
        "session #1 A on 2024-03-01: Ana",
        "  why the journey will work: why",
        "  fact     one admin",
        "  #2 [OVERDUE 5d] ana: step 2 (due 2024-03-10)",
        "  #1 [open, due in 5d] ana: step 1 (due 2024-03-20)",
        "",
    ]


def test_sessions_json_is_plain_data_with_an_overdue_flag() -> None:
    payload = sessions_json(SESSIONS, NOTES, COMMITMENTS, AS_OF)
    (session,) = payload["sessions"]
    assert session["held_on"] == "2024-03-01"
    assert session["notes"] == [{"kind": "fact", "text": "one admin"}]
    assert [(c["commitment_id"], c["overdue"]) for c in session["commitments"]] == [
        (2, True),
        (1, False),
    ]
