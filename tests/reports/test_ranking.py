"""Ranking of off-track accounts: order, tie-breaks, top_n per CSM and the priority formula."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from reports.commitments import overdue_commitment_counts
from reports.ranking import RANK_COLUMNS, PriorityWeights, priority_expr, rank_off_track
from reports.schema import (
    ACCOUNT_SCHEMA,
    COMMITMENT_SCHEMA,
    MILESTONE_SCHEMA,
    TREND_SCHEMA,
    empty_accounts,
    empty_milestones,
)

AS_OF = date(2024, 3, 1)
#: The base formula only (no lateness exponent, no trend factor): what most tests pin down.
PLAIN = PriorityWeights(lateness=1.0, newly_off_track=1.0, chronic=1.0)
START = date(2024, 1, 1)


def account(account_id: str, **values: Any) -> dict[str, Any]:
    """An off-track account row with sensible defaults; override any column."""
    row: dict[str, Any] = dict.fromkeys(ACCOUNT_SCHEMA)
    row.update(
        account_id=account_id,
        name=f"Account {account_id}",
        csm_email="ana@example.com",
        arr=50_000.0,
        start_date=START,
        journey="onboarding",
        as_of=AS_OF,
        status="off_track",
        lag_days=10,
    )
    row.update(values)
    return row


def overdue(account_id: str, milestone: str = "m1", **values: Any) -> dict[str, Any]:
    """An overdue milestone row (due_day 30, 10 days late); override any column."""
    row: dict[str, Any] = dict.fromkeys(MILESTONE_SCHEMA)
    row.update(
        account_id=account_id,
        journey="onboarding",
        milestone=milestone,
        position=0,
        due_day=30,
        due_on=START + timedelta(days=30),
        state="overdue",
        days_late=10,
        critical=False,
    )
    row.update(values)
    return row


def frames(
    accounts: list[dict[str, Any]], milestones: list[dict[str, Any]]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (
        pl.DataFrame(accounts, schema=ACCOUNT_SCHEMA),
        pl.DataFrame(milestones, schema=MILESTONE_SCHEMA),
    )


def ranked_ids(accounts: list[dict[str, Any]], milestones: list[dict[str, Any]]) -> list[str]:
    return (
        rank_off_track(*frames(accounts, milestones), weights=PLAIN)
        .get_column("account_id")
        .to_list()
    )


def priority_of(
    *,
    days_late: int = 10,
    due_day: int = 30,
    arr: float | None = 50_000.0,
    critical: bool = False,
    overdue_count: int = 1,
    newly: bool = False,
    weeks: int | None = None,
    weights: PriorityWeights | None = None,
) -> float:
    """priority_expr evaluated on a one-row frame with the given inputs."""
    frame = pl.DataFrame(
        {
            "missed_days_late": [days_late],
            "missed_due_day": [due_day],
            "lag_days": [days_late],
            "arr": [arr],
            "critical_overdue": [critical],
            "overdue_count": [overdue_count],
            "newly_off_track": [newly],
            "weeks_off_track": [weeks],
            "overdue_commitments": [0],
        },
        schema_overrides={"arr": pl.Float64, "weeks_off_track": pl.Int32},
    )
    return float(frame.select(priority_expr(weights or PLAIN)).item())


def test_only_off_track_accounts_are_ranked_per_csm() -> None:
    accounts = [
        account("a1", lag_days=5),
        account("a2", lag_days=20),
        account("b1", csm_email="bo@example.com"),
        account("ok", status="on_track", lag_days=None),
        account("risk", status="at_risk", lag_days=None),
    ]
    milestones = [overdue("a1", days_late=5), overdue("a2", days_late=20), overdue("b1")]

    result = rank_off_track(*frames(accounts, milestones), weights=PLAIN)

    assert result.columns == [*ACCOUNT_SCHEMA, *RANK_COLUMNS]
    assert result.schema["priority"] == pl.Float64
    assert result.select("csm_email", "account_id", "rank").rows() == [
        ("ana@example.com", "a2", 1),
        ("ana@example.com", "a1", 2),
        ("bo@example.com", "b1", 1),
    ]


def test_priority_orders_by_lateness_arr_and_critical() -> None:
    accounts = [account("late"), account("rich"), account("crit"), account("base")]
    milestones = [
        overdue("late", days_late=25),
        overdue("rich"),
        overdue("crit", critical=True),
        overdue("base"),
    ]
    accounts[1]["arr"] = 2_000_000.0
    # late: 25/30 * 1.78 = 1.48; rich: 10/30 * 3.30 = 1.10; crit: 10/30 * 1.78 * 1.5 = 0.89;
    # base: 10/30 * 1.78 = 0.59
    assert ranked_ids(accounts, milestones) == ["late", "rich", "crit", "base"]


def test_ties_break_on_lag_then_arr_then_account_id() -> None:
    # Lateness is capped at 4, so these all share a priority when ARR is equal.
    accounts = [
        account("d", lag_days=200, arr=None),
        account("c", lag_days=200),
        account("b", lag_days=300),
        account("a", lag_days=200),
        account("e", lag_days=200),
    ]
    milestones = [overdue(x, days_late=200, due_day=7) for x in "abcde"]
    acc, ms = frames(accounts, milestones)
    assert acc.get_column("arr").median() == 50_000.0  # so d's null ARR scores like the others

    result = rank_off_track(acc, ms)

    assert result.get_column("priority").n_unique() == 1
    # b: most lag; then a, c, e tie on ARR (account_id asc); d's null ARR sorts last.
    assert result.get_column("account_id").to_list() == ["b", "a", "c", "e", "d"]
    assert result.get_column("rank").to_list() == [1, 2, 3, 4, 5]


def test_top_n_is_applied_per_csm() -> None:
    accounts = [account(f"a{i}", lag_days=i) for i in range(1, 5)]
    accounts += [account(f"b{i}", csm_email="bo@example.com") for i in range(1, 3)]
    milestones = [overdue(f"a{i}", days_late=i) for i in range(1, 5)]
    milestones += [overdue(f"b{i}") for i in range(1, 3)]

    result = rank_off_track(*frames(accounts, milestones), top_n=3)

    assert result.filter(pl.col("csm_email") == "ana@example.com").get_column(
        "account_id"
    ).to_list() == ["a4", "a3", "a2"]
    assert result.filter(pl.col("csm_email") == "bo@example.com").height == 2


def test_missed_is_the_earliest_overdue_milestone() -> None:
    accounts = [account("a1")]
    milestones = [
        overdue("a1", "later", position=2, due_day=40, days_late=1, first_move="later move"),
        overdue("a1", "earliest", position=1, due_day=20, days_late=21, first_move="call them"),
        overdue("a1", "done", position=0, due_day=3, state="done", days_late=None),
    ]

    row = rank_off_track(*frames(accounts, milestones), weights=PLAIN).row(0, named=True)

    assert (row["missed"], row["first_move"], row["overdue_count"]) == ("earliest", "call them", 2)
    assert row["missed_days_late"] == 21
    assert not row["critical_overdue"]


def test_priority_formula_matches_the_docstring() -> None:
    # L = 14/7 = 2, A = 1 + log10(1 + 90k/10k) = 2, C = 1.5, N = 1 + 0.25 * 2 = 1.5
    got = priority_of(days_late=14, due_day=7, arr=90_000.0, critical=True, overdue_count=3)
    assert got == pytest.approx(9.0)
    # due_day below 7 uses 7; lateness is capped at 4; overdue_count is capped at 5
    assert priority_of(days_late=7, due_day=1, arr=0.0) == pytest.approx(1.0)
    assert priority_of(days_late=999, due_day=30, arr=0.0) == pytest.approx(4.0)
    assert priority_of(overdue_count=9) == priority_of(overdue_count=5)


@given(
    d1=st.integers(1, 400),
    d2=st.integers(1, 400),
    arr1=st.floats(0, 1e8),
    arr2=st.floats(0, 1e8),
)
def test_priority_is_monotonic_in_lateness_and_arr(
    d1: int, d2: int, arr1: float, arr2: float
) -> None:
    lo_d, hi_d = sorted((d1, d2))
    lo_a, hi_a = sorted((arr1, arr2))
    assert priority_of(days_late=lo_d) <= priority_of(days_late=hi_d)
    assert priority_of(arr=lo_a) <= priority_of(arr=hi_a)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_critical_and_more_overdue_milestones_raise_priority(count: int) -> None:
    plain = priority_of(overdue_count=count)
    assert priority_of(overdue_count=count, critical=True) == pytest.approx(plain * 1.5, 1e-3)
    assert priority_of(overdue_count=count + 1) > plain


def test_null_arr_counts_as_the_portfolio_median() -> None:
    accounts = [
        account("unknown", arr=None),
        account("known", arr=100_000.0),
        # not off track, but part of the portfolio the median is taken over
        account("small", arr=10_000.0, status="on_track"),
        account("big", arr=1_000_000.0, status="completed"),
    ]
    milestones = [overdue("unknown"), overdue("known")]

    result = rank_off_track(*frames(accounts, milestones), weights=PLAIN)

    by_id = dict(result.select("account_id", "priority").iter_rows())
    assert by_id["unknown"] == by_id["known"]
    assert result.get_column("account_id").to_list() == ["known", "unknown"]  # arr nulls last
    expected = 10 / 30 * (1 + math.log10(1 + 100_000 / 10_000))
    assert by_id["known"] == pytest.approx(expected, abs=1e-4)


def test_off_track_account_without_milestone_rows_still_ranks_on_lag() -> None:
    result = rank_off_track(*frames([account("a1", lag_days=14)], []), weights=PLAIN)
    row = result.row(0, named=True)
    assert row["missed"] is None and row["overdue_count"] == 0
    assert row["priority"] == pytest.approx(2.0 * (1 + math.log10(6)), abs=1e-4)


def test_empty_input_gives_an_empty_ranking_with_all_columns() -> None:
    result = rank_off_track(empty_accounts(), empty_milestones())
    assert result.is_empty()
    assert result.columns == [*ACCOUNT_SCHEMA, *RANK_COLUMNS]


def test_ranking_is_deterministic_regardless_of_input_order() -> None:
    accounts = [account(f"x{i}", lag_days=i % 3, arr=float(i % 2) * 1000) for i in range(12)]
    milestones = [overdue(f"x{i}", days_late=i % 4) for i in range(12)]
    acc, ms = frames(accounts, milestones)
    once = rank_off_track(acc, ms)
    # (not DataFrame.reverse: in polars 2.1 it turns an all-null List(String) into List(Null))
    shuffled = acc.sort("account_id", descending=True)
    again = rank_off_track(shuffled, ms.sample(fraction=1.0, shuffle=True, seed=7))
    assert_frame_equal(once, again)


def test_top_n_must_be_positive() -> None:
    with pytest.raises(ValueError, match="top_n"):
        rank_off_track(empty_accounts(), empty_milestones(), top_n=0)


def test_default_weights_take_the_square_root_of_lateness() -> None:
    base = priority_of(days_late=30, due_day=30, arr=0.0, weights=PriorityWeights())
    assert base == pytest.approx(1.0)
    four_times = priority_of(days_late=120, due_day=30, arr=0.0, weights=PriorityWeights())
    # 120 days late is chronic (lag >= 8 weeks): sqrt(4) * 0.5
    assert four_times == pytest.approx(1.0)


def test_newly_off_track_climbs_and_chronic_sinks() -> None:
    w = PriorityWeights(lateness=1.0, newly_off_track=2.0, chronic=0.5, chronic_after_weeks=8)
    plain = priority_of(days_late=10, weights=w)
    assert priority_of(days_late=10, newly=True, weights=w) == pytest.approx(2 * plain, 1e-3)
    assert priority_of(days_late=56, weights=w) == pytest.approx(
        0.5 * priority_of(days_late=56, weights=PLAIN), 1e-3
    )
    assert priority_of(days_late=55, weights=w) == priority_of(days_late=55, weights=PLAIN)


def test_trends_feed_the_ranking() -> None:
    accounts = [account("a_old", lag_days=10), account("b_new", lag_days=10)]
    milestones = [overdue("a_old"), overdue("b_new")]
    trends = pl.DataFrame(
        [
            {"account_id": "b_new", "newly_off_track": True, "weeks_in_status": 0},
            {"account_id": "a_old", "newly_off_track": False, "weeks_in_status": 3},
        ],
        schema={k: v for k, v in TREND_SCHEMA.items()},
    )
    result = rank_off_track(*frames(accounts, milestones), trends=trends)
    assert result.get_column("account_id").to_list() == ["b_new", "a_old"]
    assert result.get_column("newly_off_track").to_list() == [True, False]
    assert result.get_column("weeks_off_track").to_list() == [0, 3]
    without = rank_off_track(*frames(accounts, milestones))
    assert without.get_column("account_id").to_list() == ["a_old", "b_new"]  # tie: account_id


def test_weights_are_validated() -> None:
    with pytest.raises(ValueError):
        PriorityWeights(critical=0.5)
    with pytest.raises(ValueError):
        PriorityWeights.model_validate({"lateness": 1, "bogus": 2})


def test_an_overdue_session_commitment_lifts_the_account() -> None:
    accounts, milestones = frames(
        [account("A", arr=60_000.0), account("B", arr=50_000.0)], [overdue("A"), overdue("B")]
    )
    commitments = pl.DataFrame(
        {
            "commitment_id": [1, 2],
            "account_id": ["B", "A"],
            "session_id": [1, 1],
            "session_date": [AS_OF - timedelta(days=20)] * 2,
            "owner": ["ana", "ana"],
            "next_step": ["call the sponsor", "done already"],
            "due_on": [AS_OF - timedelta(days=3), AS_OF - timedelta(days=3)],
            "status": ["open", "done"],
            "done_on": [None, AS_OF - timedelta(days=4)],
        },
        schema=COMMITMENT_SCHEMA,
    )
    counts = overdue_commitment_counts(commitments, AS_OF)
    plain = rank_off_track(accounts, milestones, weights=PLAIN)
    lifted = rank_off_track(accounts, milestones, weights=PLAIN, overdue_commitments=counts)
    assert plain["account_id"].to_list() == ["A", "B"]  # A has more ARR
    assert lifted["account_id"].to_list() == ["B", "A"]  # B's promise is overdue (A's is done)
    assert lifted["overdue_commitments"].to_list() == [1, 0]
    b_plain = plain.filter(pl.col("account_id") == "B")["priority"].item()
    b_lifted = lifted.filter(pl.col("account_id") == "B")["priority"].item()
    assert b_lifted == pytest.approx(b_plain * PLAIN.overdue_commitment, rel=1e-3)


def test_a_commitment_due_today_is_not_yet_overdue() -> None:
    commitments = pl.DataFrame(
        {"account_id": ["A"], "status": ["open"], "due_on": [AS_OF]},
    )
    assert overdue_commitment_counts(commitments, AS_OF).height == 0
