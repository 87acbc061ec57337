"""metrics.sql_frames: a SQL result's batches as one frame, in memory or in files."""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import metrics.sql_frames as sql_frames
from metrics.sql_frames import Unlike, gather, uniform

# As SQLAlchemy's batches can come: a column of nulls only in the first, ints of two widths.
BATCHES = [
    pl.DataFrame({"a": ["x", "y"], "note": [None, None], "n": pl.Series([1, 2], dtype=pl.Int32)}),
    pl.DataFrame({"a": ["z"], "note": ["late"], "n": pl.Series([3], dtype=pl.Int64)}),
    pl.DataFrame({"a": ["w", "v"], "note": [None, "x"], "n": pl.Series([4, 5], dtype=pl.Int64)}),
]
EXPECTED = pl.DataFrame(
    {"a": ["x", "y", "z", "w", "v"], "note": [None, None, "late", None, "x"], "n": [1, 2, 3, 4, 5]}
)


def test_relaxed_batches_take_their_common_types_in_memory() -> None:
    frame = gather(iter(BATCHES), None, relaxed=True)
    assert frame is not None
    assert_frame_equal(frame.collect(), EXPECTED)


def test_relaxed_batches_read_back_from_files_as_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_frames, "SPILL_ROWS", 0)  # every batch: a file of its own
    frame = gather(iter(BATCHES), lambda: tmp_path, relaxed=True)
    assert frame is not None
    assert_frame_equal(frame.collect(), EXPECTED)
    files = sorted(tmp_path.rglob("*.parquet"))
    assert [pl.read_parquet(f).height for f in files] == [2, 1, 2]


def test_batches_that_differ_are_unlike_unless_relaxed() -> None:
    with pytest.raises(Unlike):
        gather(iter(BATCHES), None)


def test_no_batch_is_no_frame() -> None:
    assert gather(iter([]), None, relaxed=True) is None


def test_python_objects_become_their_text() -> None:
    value = uuid.UUID("6c0a0b8e-0d1c-4f59-9d5a-4a8f0c1b2d3e")
    frame = pl.DataFrame({"u": pl.Series([value, None], dtype=pl.Object)})
    assert uniform(frame)["u"].to_list() == [str(value), None]
