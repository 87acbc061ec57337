"""Pure pieces: placement changes between two configs, and the keys valid at a location."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from journey.config.diff import NONE, NOT_EVALUATED, account_changes, placements, transitions
from journey.config.model import IcpFile, SegmentsFile
from journey.config.model_keys import keys_at
from journey.journeys import Journey
from metrics.definitions import MetricsFile


def _assigned(rows: list[tuple[str, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(a, a.upper(), s, j) for a, s, j in rows],
        schema=["account_id", "name", "segment", "journey"],
        orient="row",
    )


def test_placements_fill_unassigned_and_unevaluated_accounts() -> None:
    assigned = _assigned([("a", "s1", "j1"), ("b", None, None)])
    evaluated = pl.DataFrame({"account_id": ["a"], "status": ["on_track"]})
    assert placements(assigned, evaluated).rows() == [
        ("a", "A", "s1", "j1", "on_track"),
        ("b", "B", NONE, NONE, NOT_EVALUATED),
    ]


def test_only_changed_accounts_are_listed_with_what_changed() -> None:
    before = placements(
        _assigned([("a", "s1", "j1"), ("b", "s1", "j1"), ("c", "s2", "j2")]),
        pl.DataFrame({"account_id": ["a", "b", "c"], "status": ["on_track"] * 3}),
    )
    after = placements(
        _assigned([("a", "s1", "j1"), ("b", "s3", "j1"), ("c", "s1", "j1")]),
        pl.DataFrame(
            {"account_id": ["a", "b", "c"], "status": ["on_track", "on_track", "off_track"]}
        ),
    )
    changes = account_changes(before, after)
    expected = pl.DataFrame(
        {
            "account_id": ["b", "c"],
            "name": ["B", "C"],
            "segment_before": ["s1", "s2"],
            "segment_after": ["s3", "s1"],
            "journey_before": ["j1", "j2"],
            "journey_after": ["j1", "j1"],
            "status_before": ["on_track", "on_track"],
            "status_after": ["on_track", "off_track"],
            "changed": [["segment"], ["segment", "journey", "status"]],
        }
    )
    assert_frame_equal(changes, expected)
    assert transitions(changes, "segment") == [
        {"from": "s1", "to": "s3", "accounts": 1, "sample": ["b"]},
        {"from": "s2", "to": "s1", "accounts": 1, "sample": ["c"]},
    ]


def test_keys_are_the_ones_valid_where_the_typo_was_written() -> None:
    assert keys_at(Journey, ("milestones", 0)) == [
        "id",
        "name",
        "due_day",
        "when",
        "critical",
        "first_move",
        "description",
    ]
    condition = keys_at(SegmentsFile, ("segments", 0, "when", "any_of", "any", 1, "comparison"))
    assert {"field", "gte", "in", "all", "any", "not", "icp"} <= set(condition)
    assert "weight" not in condition
    assert "weight" in keys_at(IcpFile, ("icps", 0, "criteria", 0, "condition", "comparison"))
    assert set(keys_at(MetricsFile, ("metrics", "x", "sum_metric"))) == {
        "where",
        "window_days",
        "description",
        "count",
        "sum",
        "distinct",
        "from",
    }
