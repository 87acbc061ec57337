"""Frames in and out of tables (journey.store.bulk): every route stores the same rows, reads
return exactly what was stored, and the stored form does not depend on the input's types."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine
from store_support import snapshot

from journey.store import bulk, load_current, save_run
from journey.store.current import digests
from journey.store.writes import (
    ACCOUNTS_TABLE,
    HISTORY_TABLE,
    MILESTONES_TABLE,
    STORED_MILESTONES,
    RunRecordIn,
)

Night = Callable[..., tuple[pl.DataFrame, pl.DataFrame]]
Stores = Callable[[int], list[Engine]]
DAYS = [dt.date(2026, 1, d) for d in (1, 2, 3, 2, 5, 5)]


def store_days(engine: Engine, night: Night) -> None:
    for n, day in enumerate(DAYS):
        now = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
        record = RunRecordIn(day, now, now, "cfg", "inputs", 0, 0, 0, None, ())
        save_run(engine, record, *night(day, n % 2))


def test_the_portable_route_stores_what_the_fast_route_stores(
    stores: Stores, night: Night, monkeypatch: pytest.MonkeyPatch
):
    fast, portable = stores(2)
    store_days(fast, night)
    with monkeypatch.context() as patch:
        patch.setattr(bulk, "route", lambda _conn: "portable")
        store_days(portable, night)
    assert snapshot(portable) == snapshot(fast)


def test_every_route_reads_current_state_back_exactly(
    stores: Stores, night: Night, monkeypatch: pytest.MonkeyPatch
):
    """Current state reads back exactly as stored, on the fast route, the portable one (rows
    through the driver), in chunks, and a few columns at a time."""
    (engine,) = stores(1)
    store_days(engine, night)
    accounts, milestones = load_current(engine)
    stored_accounts, stored_milestones = night(DAYS[-1], 1)
    no_list = pl.lit([], pl.List(pl.String))
    stored_accounts = stored_accounts.with_columns(  # a missing list reads as an empty one
        pl.col(c).fill_null(no_list) for c in bulk.LIST_COLUMNS
    )
    # Exactly: floats like 0.1 + 0.2 and 12345678.901234567 keep every bit.
    assert_frame_equal(accounts, stored_accounts.sort("account_id"), check_exact=True)
    assert_frame_equal(
        milestones, stored_milestones.sort("account_id", "position"), check_exact=True
    )
    monkeypatch.setattr(bulk, "route", lambda _conn: "portable")
    assert_frame_equal(load_current(engine)[0], accounts, check_exact=True)
    assert_frame_equal(load_current(engine)[1], milestones, check_exact=True)
    monkeypatch.undo()
    monkeypatch.setattr(bulk, "SQLITE_CHUNK", 2)
    monkeypatch.setattr(bulk, "COPY_CHUNK", 7)  # PostgreSQL: most rows parsed on their own
    chunked = load_current(engine)
    assert_frame_equal(chunked[0], accounts, check_exact=True)
    assert_frame_equal(chunked[1], milestones, check_exact=True)
    only_accounts, no_milestones = load_current(engine, milestone_columns=())
    assert_frame_equal(only_accounts, accounts, check_exact=True)
    assert no_milestones.is_empty()
    # Some columns only: the keys come with them, first.
    picked = load_current(engine, columns=["status", "arr"], milestone_columns=["value"])
    assert_frame_equal(picked[0], accounts.select("account_id", "status", "arr"))
    assert_frame_equal(picked[1], milestones.select("account_id", "position", "value"))
    one = load_current(engine, "a1", columns=["arr"], milestone_columns=["state"])
    assert_frame_equal(
        one[0], accounts.filter(pl.col("account_id") == "a1").select("account_id", "arr")
    )
    assert (
        one[1]["state"].to_list()
        == milestones.filter(pl.col("account_id") == "a1")["state"].to_list()
    )


def test_writing_in_chunks_stores_what_writing_at_once_stores(
    stores: Stores, night: Night, monkeypatch: pytest.MonkeyPatch
):
    whole, chunked = stores(2)
    store_days(whole, night)
    with monkeypatch.context() as patch:
        patch.setattr(bulk, "SQLITE_WRITE_CHUNK", 4)  # inserts, upserts, updates, deletes
        store_days(chunked, night)
    assert snapshot(chunked) == snapshot(whole)
    assert len(snapshot(whole)["milestone_state"]) > 4


def test_reading_in_chunks_reads_every_row_once(
    stores: Stores, night: Night, monkeypatch: pytest.MonkeyPatch
):
    (engine,) = stores(1)
    store_days(engine, night)
    where = "as_of < '2026-01-03'"
    columns = {"id": pl.Int64(), "as_of": pl.Date(), "new_value": pl.String()}
    with engine.connect() as conn:
        whole = bulk.read_rows(conn, MILESTONES_TABLE, STORED_MILESTONES)
        history = bulk.read_rows(conn, HISTORY_TABLE, columns, where=where)
        monkeypatch.setattr(bulk, "SQLITE_CHUNK", 7)
        assert_frame_equal(bulk.read_rows(conn, MILESTONES_TABLE, STORED_MILESTONES), whole)
        assert_frame_equal(bulk.read_rows(conn, HISTORY_TABLE, columns, where=where), history)
    assert whole.height == night(DAYS[-1], 1)[1].height
    assert history["as_of"].max() == dt.date(2026, 1, 2)
    assert whole["digest"].null_count() == 0


def test_a_csv_text_is_cut_only_where_a_row_ends(night: Night):
    """`rows_end` of every prefix of COPY-like CSV text (quoted newlines, doubled quotes,
    empty text and nulls) is the end of the last row the prefix holds whole."""
    accounts = (
        night(DAYS[-1], 1)[0]
        .select("account_id", "name", "reasons")
        .with_columns(pl.col("reasons").list.join("\n"))
    )
    rows = [accounts.slice(i, 1).write_csv(include_header=False) for i in range(accounts.height)]
    assert any('"' in r and "\n" in r[:-1] for r in rows)  # a quoted field with a newline
    text = "".join(rows).encode()
    ends = [len("".join(rows[: i + 1]).encode()) for i in range(len(rows))]
    for k in range(len(text) + 1):
        assert bulk.rows_end(text[:k]) == max([0, *(e for e in ends if e <= k)]), k


def test_lists_are_stored_as_the_json_python_writes_compactly():
    awkward = ['say "hi"', "back\\slash", "new\nline\ttab\x01", "café ☃ \u2028", ""]
    lists = [awkward, [], None, ["one"]]
    accounts = pl.DataFrame({"account_id": ["a", "b", "c", "d"], "reasons": lists})
    stored = bulk.stored_form(accounts, ACCOUNTS_TABLE)["reasons"].to_list()
    compact = (",", ":")
    assert stored == [json.dumps(v or [], ensure_ascii=False, separators=compact) for v in lists]
    assert [json.loads(text) for text in stored] == [awkward, [], [], ["one"]]


def with_digests(frame: pl.DataFrame) -> pl.DataFrame:
    stored = bulk.stored_form(frame, MILESTONES_TABLE)
    return stored.with_columns(digests(stored, MILESTONES_TABLE))


def test_the_stored_form_does_not_depend_on_the_inputs_types(night: Night):
    accounts, milestones = night(dt.date(2026, 1, 4))
    other_types = milestones.with_columns(
        pl.col("position", "due_day").cast(pl.Int64), pl.col("first_move").cast(pl.Categorical)
    )
    assert_frame_equal(with_digests(other_types), with_digests(milestones))
    changed = milestones.with_columns(pl.col("value_on_due").fill_null(0.5))
    assert not with_digests(changed)["digest"].equals(with_digests(milestones)["digest"])
    assert with_digests(changed)["moving_digest"].equals(with_digests(milestones)["moving_digest"])
    # Moving columns: compared on their own.
    later = milestones.with_columns(pl.col("days_late") + 1, pl.col("value").fill_null(0.5))
    assert with_digests(later)["digest"].equals(with_digests(milestones)["digest"])
    assert not with_digests(later)["moving_digest"].equals(
        with_digests(milestones)["moving_digest"]
    )
    stored = bulk.stored_form(accounts, ACCOUNTS_TABLE)
    assert stored["reasons"].to_list() == [
        json.dumps(v or [], ensure_ascii=False, separators=(",", ":"))
        for v in accounts["reasons"].to_list()
    ]
    assert stored["start_date"][0] == "2026-01-01"
