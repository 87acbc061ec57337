"""journey.batches: the scratch folder a large run sets its usage rows aside in goes away
however the run ends. (That batches change no result: test_evaluate_batches.)"""

from __future__ import annotations

import errno
from pathlib import Path

import polars as pl
import pytest

import journey.batches as batches
from journey.batches import set_aside
from journey.errors import ExitCode
from journey.scratch import ScratchSpaceError, spill_root


def test_rows_set_aside_are_gone_when_reading_them_fails(tmp_path: Path) -> None:
    rows = pl.LazyFrame(
        {"__r": [0, 1, 5], "__end": [2, 2, 6], "x": [1.0, 2.0, 3.0]},
        schema={"__r": pl.UInt32, "__end": pl.UInt32, "x": pl.Float64},
    )
    index = pl.DataFrame({"account_id": ["a", "b"], "__offset": [0, 2], "__end": [2, 6]})
    accounts = index.select("account_id")
    failing = pytest.raises(pl.exceptions.ColumnNotFoundError)
    with failing, set_aside(spill_root(tmp_path), {"events": rows}, index, [accounts]) as spilled:
        assert spilled.rows("events").collect().height == 3
        spilled.rows("events").select("no_such_column").collect()
    assert list(spill_root(tmp_path).iterdir()) == []


def _rows() -> tuple[dict[str, pl.LazyFrame], pl.DataFrame]:
    rows = pl.LazyFrame(
        {"__r": [0, 3], "__end": [2, 6], "x": [1.0, 2.0]},
        schema={"__r": pl.UInt32, "__end": pl.UInt32, "x": pl.Float64},
    )
    return {"events": rows}, pl.DataFrame({"account_id": ["a", "b"], "__end": [2, 6]})


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device"), pl.exceptions.ComputeError("os error 28")],
)
def test_a_full_disk_is_said_plainly_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    def fill_the_disk(self: pl.LazyFrame, target: pl.PartitionBy, **_: object) -> None:
        part = next(spill_root(tmp_path).iterdir()) / "events" / "__batch=0"
        part.mkdir(parents=True)
        (part / "00000000.parquet").write_bytes(b"x" * 1000)
        raise failure

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", fill_the_disk)
    compacted, index = _rows()
    accounts = [index.select("account_id")]
    with (
        pytest.raises(ScratchSpaceError) as raised,
        set_aside(spill_root(tmp_path), compacted, index, accounts),
    ):
        pytest.fail("no rows were set aside")
    message = str(raised.value)
    assert str(spill_root(tmp_path)) in message and "ran out of space" in message
    assert raised.value.exit_code == ExitCode.INTERNAL
    assert list(spill_root(tmp_path).iterdir()) == []


def test_other_write_errors_are_not_taken_for_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: pl.LazyFrame, target: pl.PartitionBy, **_: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(pl.LazyFrame, "sink_parquet", refuse)
    compacted, index = _rows()
    accounts = [index.select("account_id")]
    scratch = spill_root(tmp_path)
    with pytest.raises(PermissionError), set_aside(scratch, compacted, index, accounts):
        pytest.fail("no rows were set aside")
    assert list(spill_root(tmp_path).iterdir()) == []


def test_each_batch_reads_its_own_rows_in_its_own_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "BATCH_ROWS", 6)
    # Accounts a (rows 0-1), b (2-5), c (6-8): batches [a, b] and [c]; one row of no account.
    index = pl.DataFrame({"account_id": ["a", "b", "c"], "__offset": [0, 2, 6], "__end": [2, 6, 9]})
    started = index.select("account_id", start=pl.lit(1))
    rows = pl.LazyFrame(
        {"__r": [0, 3, 5, 6, 8, None], "__end": [2, 6, 6, 9, 9, None], "x": [1.0, 2, 3, 4, 5, 6]},
        schema={"__r": pl.UInt32, "__end": pl.UInt32, "x": pl.Float64},
    )
    empty = rows.head(0)  # a source with no rows writes no files
    parts = batches.account_batches(started, index)
    assert [p["account_id"].to_list() for p in parts] == [["a", "b"], ["c"]]
    with set_aside(spill_root(tmp_path), {"events": rows, "daily": empty}, index, parts) as spilled:
        assert spilled.rows("events").collect().height == 6  # every row, for the counts
        assert spilled.rows("daily").collect().height == 0
        first, second = list(spilled.each())
        assert first.index["__offset"].to_list() == [0, 2]
        assert sorted(first.rows["events"].collect()["x"].to_list()) == [1.0, 2.0, 3.0]
        assert second.index.select("__offset", "__end").rows() == [(0, 3)]  # its own row 0
        got = second.rows["events"].collect().sort("__r")
        assert got.select("__r", "__end", "x").rows() == [(0, 3, 4.0), (2, 3, 5.0)]
        assert second.accounts["account_id"].to_list() == ["c"]
        assert first.rows["daily"].collect().is_empty()


def test_a_denser_usage_makes_smaller_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches, "BATCH_ROWS", 1_000)
    monkeypatch.setattr(batches, "BATCH_USAGE_ROWS", 5_500)  # 5.5 rows an account-day
    assert batches.batch_limit(10_000, 0) == 1_000  # usage not known (CSV, SQL)
    assert batches.batch_limit(10_000, 30_000) == 1_000  # 3 a day: sparser than the budget
    assert batches.batch_limit(10_000, 55_000) == 1_000
    assert batches.batch_limit(10_000, 110_000) == 500  # twice as dense: half the days
    assert batches.batch_limit(10, 10**12) == 1  # never empty
    assert batches.batch_limit(0, 0) == 1_000
    index = pl.DataFrame({"account_id": ["a", "b", "c"], "__end": [400, 800, 1200]})
    started = index.select("account_id")
    assert len(batches.plan_batches(started, index, 0)[0]) == 2
    planned, limit = batches.plan_batches(started, index, 13_200)  # 11 a day: 500 days
    assert limit == 500 and [p["account_id"].to_list() for p in planned] == [["a"], ["b"], ["c"]]
