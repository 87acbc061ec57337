"""Storing runs: a night newer than every stored run takes its previous values from current
state instead of replaying history, and stores exactly what the replay stores; current state is
rewritten only where it changed. On SQLite and on PostgreSQL (the `backend` fixture)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Connection, Engine, text
from store_support import snapshot

from journey.store import load_current, save_run, writes
from journey.store.bulk import LIST_COLUMNS
from journey.store.current import MOVING
from journey.store.writes import RunRecordIn, latest_run, previous_statuses

Night = Callable[..., tuple[pl.DataFrame, pl.DataFrame]]
Stores = Callable[[int], list[Engine]]
D = dt.date


def record(as_of: dt.date, state_key: str | None = None) -> RunRecordIn:
    now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    return RunRecordIn(as_of, now, now, "cfg", "inputs", 0, 0, 0, None, ("a note",), state_key)


def as_stored(accounts: pl.DataFrame) -> pl.DataFrame:
    """Accounts as the store gives them back: a missing list is an empty one."""
    no_list = pl.lit([], pl.List(pl.String))
    return accounts.with_columns(pl.col(c).fill_null(no_list) for c in LIST_COLUMNS)


def replayed(conn: Connection, as_of: dt.date) -> pl.DataFrame:
    """The previous values as journey found them before current state was used: replayed."""
    return writes._replayed_values(conn, as_of)


#: Nights as (as_of, variant): new nights, an older date re-run, the newest date re-run with
#: the same and with other inputs, and a gap of several days.
NIGHTS = [
    (D(2026, 1, 1), 0),
    (D(2026, 1, 2), 0),
    (D(2026, 1, 3), 0),
    (D(2026, 1, 2), 0),
    (D(2026, 1, 4), 0),
    (D(2026, 1, 4), 0),
    (D(2026, 1, 4), 1),
    (D(2026, 1, 5), 0),
    (D(2026, 1, 9), 0),
    (D(2026, 1, 10), 2),
]


def test_a_new_night_stores_exactly_what_the_replay_of_history_stores(
    stores: Stores, night: Night, monkeypatch: pytest.MonkeyPatch
):
    fast, reference = stores(2)
    for as_of, variant in NIGHTS:
        accounts, milestones = night(as_of, variant)
        changes = save_run(fast, record(as_of), accounts, milestones)
        with monkeypatch.context() as patch:
            patch.setattr(writes, "_follows_newest", lambda *_: False)  # always replay
            assert save_run(reference, record(as_of), accounts, milestones) == changes
        assert snapshot(fast) == snapshot(reference), (as_of, variant)
    stored = snapshot(fast)
    assert len(stored["run"]) == 7
    assert len(stored["state_change"]) > len(stored["account_state"])


def test_previous_statuses_are_the_replayed_ones(stores: Stores, night: Night):
    (engine,) = stores(1)
    assert previous_statuses(engine, D(2026, 1, 1)).is_empty()
    for as_of, variant in NIGHTS[:7]:
        save_run(engine, record(as_of), *night(as_of, variant))
    for as_of in (D(2026, 1, 5), D(2026, 1, 4), D(2026, 1, 3)):  # a new night; re-runs
        with engine.connect() as conn:
            expected = (
                replayed(conn, as_of)
                .filter(pl.col("milestone") == "", pl.col("field") == "status")
                .select("account_id", pl.col("value").alias("status"))
            )
        assert_frame_equal(
            previous_statuses(engine, as_of).sort("account_id"), expected.sort("account_id")
        )


def test_current_state_holds_exactly_the_newest_run(stores: Stores, night: Night):
    (engine,) = stores(1)
    shown: tuple[dt.date, tuple[pl.DataFrame, pl.DataFrame]] | None = None
    for as_of, variant in NIGHTS:
        results = night(as_of, variant)
        save_run(engine, record(as_of), *results)
        if shown is None or as_of >= shown[0]:
            shown = (as_of, results)
        accounts, milestones = load_current(engine)
        assert_frame_equal(accounts, as_stored(shown[1][0]).sort("account_id"))
        assert_frame_equal(milestones, shown[1][1].sort("account_id", "position"))


def test_only_changed_rows_of_current_state_are_rewritten(stores: Stores, night: Night):
    (engine,) = stores(1)
    accounts, milestones = night(D(2026, 1, 4))
    save_run(engine, record(D(2026, 1, 4)), accounts, milestones)
    with engine.begin() as conn:  # marks every row; the digests still match the results
        conn.execute(text("UPDATE milestone_state SET first_move = 'untouched'"))
    changed = milestones.with_columns(
        pl.when(pl.col("account_id") == "a1", pl.col("milestone") == "first_login")
        .then(pl.lit(99.5))
        .otherwise(pl.col("value_on_due"))
        .alias("value_on_due")
    )
    save_run(engine, record(D(2026, 1, 4)), accounts, changed)  # a re-run with one new value
    with engine.connect() as conn:
        rewritten = conn.execute(
            text(
                "SELECT account_id, milestone, value_on_due FROM milestone_state"
                " WHERE first_move IS DISTINCT FROM 'untouched'"
            )
        ).all()
    assert [tuple(r) for r in rewritten] == [("a1", "first_login", 99.5)]


def test_a_row_where_only_moving_columns_changed_gets_only_those(stores: Stores, night: Night):
    (engine,) = stores(1)
    accounts, milestones = night(D(2026, 1, 4))
    save_run(engine, record(D(2026, 1, 4)), accounts, milestones)
    with engine.begin() as conn:  # marks every row; the digests still match the results
        conn.execute(text("UPDATE milestone_state SET first_move = 'untouched'"))
        conn.execute(text("UPDATE account_state SET name = 'untouched'"))
    later_accounts = accounts.with_columns(
        pl.lit(D(2026, 1, 5)).alias("as_of"),
        pl.col("day_of_journey") + 1,
        pl.col("lag_days") + 1,
        pl.lit(D(2026, 1, 5)).alias("last_activity"),
        pl.col("reasons").list.concat(pl.lit(["a day later"])),
    )
    later_milestones = milestones.with_columns(
        pl.col("days_late") + 1,
        pl.col("value").fill_null(0) + 1,
        pl.lit("m=1").alias("metric_values"),
    )
    changes = save_run(engine, record(D(2026, 1, 5)), later_accounts, later_milestones)
    assert changes == 0
    stored_accounts, stored_milestones = load_current(engine)
    assert set(stored_accounts["name"]) == set(stored_milestones["first_move"]) == {"untouched"}
    assert_frame_equal(
        stored_accounts.drop("name"), as_stored(later_accounts).drop("name").sort("account_id")
    )
    assert_frame_equal(
        stored_milestones.drop("first_move"),
        later_milestones.drop("first_move").sort("account_id", "position"),
    )


def rows_without(engine: Engine, column: str) -> list[int]:
    """How many milestone_state and account_state rows have `column` null."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    f"SELECT count(*) FROM milestone_state WHERE {column} IS NULL"
                    f" UNION ALL SELECT count(*) FROM account_state WHERE {column} IS NULL"
                )
            ).scalars()
        )


def test_rows_from_before_digests_are_rewritten(stores: Stores, night: Night):
    (engine,) = stores(1)
    accounts, milestones = night(D(2026, 1, 4))
    save_run(engine, record(D(2026, 1, 4)), accounts, milestones)
    with engine.begin() as conn:  # what migration 0002 leaves: no digests, maybe stale rows
        conn.execute(text("UPDATE milestone_state SET digest = NULL, value = -1"))
        conn.execute(text("UPDATE account_state SET digest = NULL"))
    save_run(engine, record(D(2026, 1, 4)), accounts, milestones)
    assert_frame_equal(load_current(engine)[1], milestones.sort("account_id", "position"))
    assert rows_without(engine, "digest") == [0, 0]


def test_rows_without_a_moving_digest_get_their_moving_columns_rewritten(
    stores: Stores, night: Night
):
    (engine,) = stores(1)
    accounts, milestones = night(D(2026, 1, 4))
    save_run(engine, record(D(2026, 1, 4)), accounts, milestones)
    with engine.begin() as conn:  # what migration 0003 adds to a store: no moving digests
        conn.execute(text("UPDATE milestone_state SET moving_digest = NULL, value = -1"))
        conn.execute(text("UPDATE account_state SET moving_digest = NULL, lag_days = -1"))
    # The next night, with the same results: nothing tracked changed.
    assert save_run(engine, record(D(2026, 1, 5)), accounts, milestones) == 0
    stored_accounts, stored_milestones = load_current(engine)
    assert_frame_equal(stored_accounts, as_stored(accounts).sort("account_id"))
    assert_frame_equal(stored_milestones, milestones.sort("account_id", "position"))
    assert rows_without(engine, "moving_digest") == [0, 0]


def test_moving_columns_are_never_tracked():
    """Rows where only moving columns changed skip the history comparison (`touched`)."""
    for table, moving in MOVING.items():
        assert not set(moving) & set(writes.TRACKED[table]), table


def test_after_an_older_date_is_rerun_with_new_inputs_a_new_night_compares_with_the_newest(
    stores: Stores, night: Night
):
    """Current state shows the newest run, so the next night's changes are against that run,
    even where a re-run of an older date left history out of step with it."""
    (engine,) = stores(1)
    save_run(engine, record(D(2026, 1, 1)), *night(D(2026, 1, 1)))
    save_run(engine, record(D(2026, 1, 2)), *night(D(2026, 1, 2)))
    save_run(engine, record(D(2026, 1, 1)), *night(D(2026, 1, 1), 3))  # other inputs
    newest, _ = load_current(engine)
    accounts, milestones = night(D(2026, 1, 3))
    save_run(engine, record(D(2026, 1, 3)), accounts, milestones)
    with engine.connect() as conn:
        history = pl.DataFrame(
            conn.execute(
                text(
                    "SELECT account_id, old_value, new_value FROM state_change"
                    " WHERE as_of = '2026-01-03' AND milestone = '' AND field = 'status'"
                )
            ).all(),
            schema=["account_id", "old_value", "new_value"],
            orient="row",
        )
    expected = (
        newest.select("account_id", pl.col("status").alias("old_value"))
        .join(accounts.select("account_id", pl.col("status").alias("new_value")), on="account_id")
        .filter(pl.col("old_value") != pl.col("new_value"))
    )
    assert not history.is_empty()
    assert_frame_equal(history.sort("account_id"), expected.sort("account_id"))


def test_latest_run_names_the_newest_run_and_its_state_key(stores: Stores, night: Night):
    (engine,) = stores(1)
    assert latest_run(engine) is None
    save_run(engine, record(D(2026, 1, 2), "2026-01-02-abc"), *night(D(2026, 1, 2)))
    save_run(engine, record(D(2026, 1, 1)), *night(D(2026, 1, 1)))  # an older date
    assert latest_run(engine) == (D(2026, 1, 2), "cfg", "2026-01-02-abc")
    save_run(engine, record(D(2026, 1, 2)), *night(D(2026, 1, 2)))  # re-run, no state
    assert latest_run(engine) == (D(2026, 1, 2), "cfg", None)


def test_a_first_run_stores_every_tracked_value_as_history_in_order(stores: Stores, night: Night):
    """On SQLite the database makes a first run's history from the current state just written
    (journey.store.writes._first_history); it must be exactly, and in the same order, what the
    general path makes: each non-null tracked value, new, sorted by key."""
    (engine,) = stores(1)
    accounts, milestones = night(D(2026, 1, 4))  # null segments; regressed both ways
    assert save_run(engine, record(D(2026, 1, 4)), accounts, milestones) > 0
    nothing = pl.DataFrame(schema={c: pl.String for c in (*writes.KEY, "value")})
    expected = writes.changes_since(
        nothing, writes.tracked_values(accounts, milestones), D(2026, 1, 4)
    ).with_columns(pl.col("as_of").dt.to_string())
    assert expected["field"].is_in(["segment", "regressed"]).sum() > 0
    assert accounts["segment"].null_count() > 0
    with engine.connect() as conn:
        stored = pl.DataFrame(
            conn.execute(
                text(
                    "SELECT CAST(as_of AS TEXT), account_id, milestone, field, old_value,"
                    " new_value FROM state_change ORDER BY id"
                )
            ).all(),
            schema=dict(expected.schema),
            orient="row",
        )
    assert_frame_equal(stored, expected)
