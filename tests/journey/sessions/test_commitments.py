"""Pure commitment logic: overdue, reading order, per-account overdue counts."""

from __future__ import annotations

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from journey.sessions.commitments import (
    OVERDUE_COUNT_SCHEMA,
    order_commitments,
    overdue_commitment_counts,
    select_commitments,
)
from reports.schema import COMMITMENT_SCHEMA

AS_OF = dt.date(2024, 3, 15)
D = dt.date


def commitments(*rows: tuple[int, str, dt.date, str]) -> pl.DataFrame:
    """(commitment_id, account_id, due_on, status) -> a COMMITMENT_SCHEMA frame."""
    return pl.DataFrame(
        [
            {
                "commitment_id": cid,
                "account_id": account,
                "session_id": 1,
                "session_date": D(2024, 3, 1),
                "owner": "ana",
                "next_step": f"step {cid}",
                "due_on": due,
                "status": status,
                "done_on": D(2024, 3, 10) if status == "done" else None,
            }
            for cid, account, due, status in rows
        ],
        schema=COMMITMENT_SCHEMA,
    )


FRAME = commitments(
    (1, "A", D(2024, 3, 20), "open"),  # open, not yet due
    (2, "A", D(2024, 3, 14), "open"),  # overdue by a day
    (3, "A", D(2024, 3, 15), "open"),  # due today: not overdue
    (4, "B", D(2024, 3, 2), "done"),  # was due earlier, done: not overdue
    (5, "B", D(2024, 3, 10), "open"),  # overdue
    (6, "B", D(2024, 3, 1), "open"),  # overdue, longer
    (7, "C", D(2024, 3, 30), "open"),
)


def test_overdue_first_then_by_due_date_done_last() -> None:
    ordered = order_commitments(FRAME, AS_OF)
    assert ordered["commitment_id"].to_list() == [6, 5, 2, 3, 1, 7, 4]


def test_overdue_counts_per_account_skip_accounts_without_any() -> None:
    expected = pl.DataFrame(
        {"account_id": ["A", "B"], "overdue_commitments": [1, 2]}, schema=OVERDUE_COUNT_SCHEMA
    )
    assert_frame_equal(overdue_commitment_counts(FRAME, AS_OF), expected)


def test_overdue_counts_of_no_commitments_is_an_empty_typed_frame() -> None:
    counts = overdue_commitment_counts(commitments(), AS_OF)
    assert counts.height == 0
    assert counts.schema == pl.Schema(OVERDUE_COUNT_SCHEMA)


def test_select_open_and_overdue() -> None:
    def ids(frame: pl.DataFrame) -> list[int]:
        return sorted(frame["commitment_id"].to_list())

    assert ids(select_commitments(FRAME, AS_OF, open_only=False, overdue_only=False)) == [
        1, 2, 3, 4, 5, 6, 7,
    ]  # fmt: skip
    assert ids(select_commitments(FRAME, AS_OF, open_only=True, overdue_only=False)) == [
        1, 2, 3, 5, 6, 7,
    ]  # fmt: skip
    assert ids(select_commitments(FRAME, AS_OF, open_only=False, overdue_only=True)) == [2, 5, 6]
