"""The demo data generator: deterministic, well-typed, fresh, and shaped to exercise the config."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.demo_data import (
    DEMO_AS_OF,
    EVENT_NAMES,
    INDUSTRIES,
    PLANS,
    REGIONS,
    generate_accounts,
    generate_events,
    write_demo_data,
)

N = 200

ACCOUNT_SCHEMA = pl.Schema(
    {
        "account_id": pl.String,
        "name": pl.String,
        "start_date": pl.Date,
        "csm_email": pl.String,
        "arr": pl.Float64,
        "industry": pl.String,
        "employees": pl.Int64,
        "plan": pl.String,
        "region": pl.String,
        "seats": pl.Int64,
        "products": pl.String,
        "contract_renewal": pl.Date,
        "champion": pl.String,
        "competitor": pl.String,
        "website": pl.String,
    }
)
EVENT_SCHEMA = pl.Schema(
    {
        "account_id": pl.String(),
        "timestamp": pl.Datetime("us", "UTC"),
        "event": pl.String(),
        "user_id": pl.String(),
        "value": pl.Float64(),
    }
)


@pytest.fixture(scope="module")
def accounts() -> pl.DataFrame:
    return generate_accounts(N)


@pytest.fixture(scope="module")
def events(accounts: pl.DataFrame) -> pl.DataFrame:
    return generate_events(accounts)


def last_event_day(accounts: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Every account with the UTC day of its newest event (null when it has none)."""
    last = events.group_by("account_id").agg(pl.col("timestamp").max().dt.date().alias("last"))
    return accounts.join(last, on="account_id", how="left")


def test_same_seed_gives_the_same_frames(accounts: pl.DataFrame, events: pl.DataFrame) -> None:
    again = generate_accounts(N)
    assert_frame_equal(again, accounts)
    assert_frame_equal(generate_events(again), events)


def test_another_seed_gives_other_frames(accounts: pl.DataFrame, events: pl.DataFrame) -> None:
    other = generate_accounts(N, seed=8)
    assert not other.equals(accounts)
    assert not generate_events(accounts, seed=8).equals(events)


def test_schemas_are_exact(accounts: pl.DataFrame, events: pl.DataFrame) -> None:
    assert accounts.schema == ACCOUNT_SCHEMA
    assert events.schema == EVENT_SCHEMA
    assert accounts.height == N


def test_empty_frames_keep_their_schema() -> None:
    none = generate_accounts(0)
    assert none.schema == ACCOUNT_SCHEMA
    assert generate_events(none).schema == EVENT_SCHEMA


def test_accounts_are_unique_and_well_formed(accounts: pl.DataFrame) -> None:
    assert accounts["account_id"].to_list() == [f"ACC-{i:05d}" for i in range(1, N + 1)]
    assert accounts["name"].n_unique() == N
    assert accounts["website"].n_unique() == N
    assert accounts["website"].str.ends_with(".example").all()
    assert accounts["csm_email"].str.contains(r"^[a-z]+\.[a-z]+@example\.com$").all()
    assert set(accounts["industry"]) <= set(INDUSTRIES)
    assert set(accounts["region"]) <= set(REGIONS)
    assert (accounts["contract_renewal"] > accounts["start_date"]).all()


def test_start_dates_span_the_window_up_to_as_of(accounts: pl.DataFrame) -> None:
    start = accounts["start_date"]
    assert start.max() <= DEMO_AS_OF  # type: ignore[operator]
    assert start.min() >= DEMO_AS_OF - timedelta(days=180)  # type: ignore[operator]
    assert (start > DEMO_AS_OF - timedelta(days=14)).sum() > 0  # some journeys just began


def test_plan_mix_and_sizes_follow_the_plan(accounts: pl.DataFrame) -> None:
    share = accounts["plan"].value_counts(normalize=True)
    shares = dict(zip(share["plan"], share["proportion"], strict=True))
    assert set(shares) == set(PLANS)
    for plan, expected in zip(PLANS, (0.50, 0.35, 0.15), strict=True):
        assert abs(shares[plan] - expected) < 0.05, plan
    ranges = accounts.group_by("plan").agg(
        pl.col("employees").min().alias("lo"), pl.col("employees").max().alias("hi")
    )
    bounds = {"starter": (5, 200), "growth": (50, 1500), "enterprise": (500, 20000)}
    for plan, lo, hi in ranges.iter_rows():
        assert bounds[plan][0] <= lo <= hi <= bounds[plan][1]


def test_optional_attributes_are_sometimes_missing(accounts: pl.DataFrame) -> None:
    assert 0 < accounts["arr"].null_count() < N * 0.05
    assert 0.15 < accounts["champion"].null_count() / N < 0.45
    assert 0.25 < accounts["competitor"].null_count() / N < 0.55


def test_events_fall_between_start_date_and_as_of(
    accounts: pl.DataFrame, events: pl.DataFrame
) -> None:
    days = events.join(accounts.select("account_id", "start_date"), on="account_id").select(
        pl.col("timestamp").dt.date().alias("day"), "start_date"
    )
    assert days.height == events.height  # no event for an unknown account
    assert (days["day"] >= days["start_date"]).all()
    assert (days["day"] <= DEMO_AS_OF).all()


def test_newest_event_is_on_as_of(events: pl.DataFrame) -> None:
    assert events["timestamp"].max().date() == DEMO_AS_OF  # type: ignore[union-attr]


def test_events_are_sorted_and_never_duplicated(events: pl.DataFrame) -> None:
    assert_frame_equal(events.sort("timestamp", "account_id", maintain_order=True), events)
    assert not events.select("account_id", "timestamp", "event", "user_id").is_duplicated().any()


def test_events_are_well_formed(events: pl.DataFrame) -> None:
    assert set(events["event"]) == set(EVENT_NAMES)
    assert (events["user_id"].str.slice(0, 9) == events["account_id"]).all()
    assert events["user_id"].str.contains(r"^ACC-\d{5}-u\d{2}$").all()
    timed = events["event"].is_in(["login", "dashboard_viewed"])
    assert events.filter(timed)["value"].null_count() == 0
    assert (events.filter(timed)["value"] > 0).all()
    assert events.filter(~timed)["value"].null_count() == events.filter(~timed).height


def test_some_accounts_never_started_and_some_went_quiet(
    accounts: pl.DataFrame, events: pl.DataFrame
) -> None:
    last = last_event_day(accounts, events)["last"]
    assert last.null_count() >= 1
    assert (last < DEMO_AS_OF - timedelta(days=60)).sum() >= 1


def test_enterprise_accounts_can_reach_ten_weekly_active_users(
    accounts: pl.DataFrame, events: pl.DataFrame
) -> None:
    """The hardest milestone of the example config is reachable by day 45."""
    old_enterprise = accounts.filter(
        pl.col("plan") == "enterprise", pl.col("start_date") <= DEMO_AS_OF - timedelta(days=45)
    )
    best = (
        events.join(old_enterprise.select("account_id", "start_date"), on="account_id")
        .filter(pl.col("timestamp").dt.date() <= pl.col("start_date") + timedelta(days=45))
        .sort("timestamp")
        .group_by_dynamic("timestamp", every="1d", period="7d", group_by="account_id")
        .agg(pl.col("user_id").n_unique().alias("wau"))
        .group_by("account_id")
        .agg(pl.col("wau").max())
    )
    assert (best["wau"] >= 10).sum() >= old_enterprise.height / 2


def test_write_demo_data_is_idempotent(
    tmp_path: Path, accounts: pl.DataFrame, events: pl.DataFrame
) -> None:
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "1999-01.parquet").write_bytes(b"stale")
    write_demo_data(tmp_path, accounts, events)
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    months = sorted(events["timestamp"].dt.strftime("%Y-%m").unique())
    assert files == [
        Path("accounts.parquet"),
        *(Path("events") / f"{m}.parquet" for m in months),
    ]
    write_demo_data(tmp_path, accounts, events)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet")) == files
    assert_frame_equal(pl.read_parquet(tmp_path / "accounts.parquet"), accounts)
    stored = pl.read_parquet(tmp_path / "events" / "*.parquet").sort(
        "timestamp", "account_id", maintain_order=True
    )
    assert_frame_equal(stored, events)
