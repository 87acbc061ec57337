"""Reading current state back: the portfolio `journey status` shows is counted and ordered by
the database, and equals what polars makes of every stored row. On SQLite and on PostgreSQL
(the `backend` fixture), there with a locale's collation on account_id, which orders text
otherwise than bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, text

from journey.store import load_current, reads, save_run
from journey.store.reads import load_portfolio, load_statuses
from journey.store.writes import RunRecordIn
from reports.schema import ACCOUNT_SCHEMA, MILESTONE_SCHEMA

Night = Callable[..., tuple[pl.DataFrame, pl.DataFrame]]
Stores = Callable[[int], list[Engine]]
AS_OF = dt.date(2026, 3, 1)
STATUSES = ("off_track", "at_risk", "on_track", "completed")
COLUMNS = ("name", "csm_email", "arr", "segment", "status", "lag_days", "location")
#: Ids whose byte order is not a locale's: upper case before lower, `_` after letters.
PREFIXES = ("b", "B", "a_", "A-", "á", "a")


def portfolio_accounts(night: Night, count: int = 240) -> pl.DataFrame:
    """`count` accounts in groups of six that share status, lag_days and arr (the first sort
    keys; some missing) and differ in the id's prefix; segments, some missing."""
    template = night(AS_OF)[0].row(0, named=True)
    return pl.DataFrame(
        [
            {
                **template,
                "account_id": f"{PREFIXES[i % len(PREFIXES)]}{i // len(PREFIXES)}",
                "name": None if i % 13 == 0 else f"Account {i}",
                "status": STATUSES[(i // 6) % 4],
                "segment": None if i % 11 == 0 else ("pro", "smb", "ent")[i % 3],
                "lag_days": None if (i // 6) % 5 == 0 else (i // 24) % 2,
                "arr": None if (i // 6) % 7 == 0 else 1000.0 * ((i // 48) % 2),
                "location": [str(i)] * (i % 3),
            }
            for i in range(count)
        ],
        schema=ACCOUNT_SCHEMA,
    )


def store(engine: Engine, accounts: pl.DataFrame) -> None:
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    record = RunRecordIn(AS_OF, now, now, "cfg", "inputs", 0, 0, 0, None, (), None)
    save_run(engine, record, accounts, pl.DataFrame(schema=MILESTONE_SCHEMA))


@pytest.mark.parametrize(("status", "limit"), [("off_track", 5), ("at_risk", 1000), ("x", 3)])
def test_the_portfolio_is_what_polars_makes_of_every_row(
    backend: str, stores: Stores, night: Night, status: str, limit: int
) -> None:
    engine = stores(1)[0]
    accounts = portfolio_accounts(night)
    assert accounts.height > 30
    store(engine, accounts)
    if backend == "postgresql":  # as on a server whose default collation is a locale's
        with engine.begin() as conn:
            conn.execute(
                text(
                    "ALTER TABLE account_state ALTER COLUMN account_id TYPE varchar "
                    'COLLATE "en-US-x-icu"'
                )
            )

    portfolio = load_portfolio(engine, status, limit, COLUMNS)

    stored = load_current(engine, columns=COLUMNS, milestone_columns=())[0]
    assert portfolio.counts == dict(stored.group_by("status").len().iter_rows())
    pairs = stored.group_by("segment", "status").len().iter_rows()
    assert portfolio.by_segment == {
        segment: dict(stored.filter(pl.col("segment").eq_missing(segment)).group_by("status")
                      .len().iter_rows())
        for segment, _, _ in pairs
    }  # fmt: skip
    expected = (
        stored.filter(pl.col("status") == status)
        .sort(["lag_days", "arr", "account_id"], descending=[True, True, False], nulls_last=True)
        .head(limit)
    )
    assert expected.height == min(limit, portfolio.counts.get(status, 0))
    assert_frame_equal(portfolio.listed, expected)


def test_statuses_of_some_accounts_are_read_in_batches(
    stores: Stores, night: Night, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = stores(1)[0]
    accounts = portfolio_accounts(night)
    store(engine, accounts)
    monkeypatch.setattr(reads, "STATUS_BATCH", 7)
    wanted = [*accounts.get_column("account_id").to_list()[::3], "not-stored", "a0"]

    statuses = load_statuses(engine, wanted)

    expected = accounts.filter(pl.col("account_id").is_in(wanted)).select("account_id", "status")
    assert_frame_equal(statuses, expected.sort("account_id"))
    assert load_statuses(engine, []).height == 0


def test_milestones_can_be_read_for_the_accounts_of_one_status(
    stores: Stores, night: Night
) -> None:
    engine = stores(1)[0]
    record = RunRecordIn(AS_OF, *[dt.datetime(2026, 3, 2, tzinfo=dt.UTC)] * 2,
                         "cfg", "inputs", 0, 0, 0, None, (), None)  # fmt: skip
    save_run(engine, record, *night(AS_OF))
    accounts, every = load_current(engine)

    sizes = []
    for status in STATUSES:
        _, some = load_current(engine, milestones_of=status)
        of_status = accounts.filter(pl.col("status") == status).select("account_id")
        assert_frame_equal(some, every.join(of_status, on="account_id", how="semi"))
        sizes.append(some.height)
    assert 0 < max(sizes) < every.height
    with pytest.raises(ValueError, match="not a status"):
        load_current(engine, milestones_of="x' OR '1'='1")
