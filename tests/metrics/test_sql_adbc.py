"""metrics.sql_adbc: a large result goes to files as it arrives, and reads back as the rows
held in memory would; what the fast path cannot serve falls back.

PostgreSQL needs JOURNEY_TEST_POSTGRES_URL (see tests/store_support.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from store_support import postgres_database, run_sql

import metrics.sql_adbc as sql_adbc
import metrics.sql_frames as sql_frames
from metrics.sql_adbc import read_adbc

ROWS = [
    (f"a{i % 7}", f"2026-01-{1 + i % 28:02d}T10:00:00Z", "login", f"u{i % 5}", float(i))
    for i in range(3000)
]
QUERY = "SELECT account_id, ts, event, user_id, value FROM events ORDER BY value"


def _sqlite(tmp_path: Path) -> str:
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE events (account_id TEXT, ts TEXT, event TEXT, user_id TEXT, value REAL)"
        )
        conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", ROWS)
    return f"sqlite:///{path}"


def _postgresql(url: str) -> None:
    run_sql(
        url,
        "CREATE TABLE events (account_id TEXT, ts TIMESTAMPTZ, event TEXT, "
        "user_id TEXT, value DOUBLE PRECISION)",
    )
    run_sql(
        url,
        "INSERT INTO events VALUES (:a, :t, :e, :u, :v)",
        [{"a": a, "t": t, "e": e, "u": u, "v": v} for a, t, e, u, v in ROWS],
    )


def _spilled(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[pl.DataFrame, pl.DataFrame, list[Path]]:
    """The rows held in memory, the rows through files (SPILL_ROWS lowered), the files."""
    held = read_adbc(url, QUERY)
    assert held is not None
    # Batches of 1,024 rows: files of 2,048 rows, then the last 952 on their own.
    monkeypatch.setattr(sql_adbc, "SQLITE_BATCH_ROWS", 1024)
    monkeypatch.setattr(sql_frames, "SPILL_ROWS", 1500)
    made: list[Path] = []

    def folder() -> Path:
        made.append(tmp_path / "scratch")
        return made[-1]

    spilled = read_adbc(url, QUERY, folder)
    assert spilled is not None
    return held.collect(), spilled.collect(), sorted((tmp_path / "scratch").rglob("*.parquet"))


def test_a_large_sqlite_result_goes_to_files_and_reads_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held, spilled, files = _spilled(_sqlite(tmp_path), tmp_path, monkeypatch)
    assert held.height == len(ROWS)
    assert_frame_equal(spilled, held)
    assert [pl.read_parquet(f).height for f in files] == [2048, 952]


def test_a_large_postgresql_result_goes_to_files_and_reads_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with postgres_database() as url:
        _postgresql(url)
        held, spilled, files = _spilled(url, tmp_path, monkeypatch)
    assert held.schema["ts"] == pl.Datetime("us", "UTC")
    assert_frame_equal(spilled, held)
    assert files


def test_a_small_result_stays_in_memory(tmp_path: Path) -> None:
    asked: list[Path] = []

    def folder() -> Path:
        asked.append(tmp_path)
        return tmp_path

    frame = read_adbc(_sqlite(tmp_path), QUERY, folder)
    assert frame is not None and frame.collect().height == len(ROWS)
    assert asked == []  # the folder was never asked for


def test_an_empty_result_has_the_database_s_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    with postgres_database() as url:
        _postgresql(url)
        frame = read_adbc(url, QUERY.replace("ORDER BY", "WHERE value < 0 ORDER BY"))
    assert frame is not None
    assert frame.collect_schema() == pl.Schema(
        {
            "account_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "event": pl.String,
            "user_id": pl.String,
            "value": pl.Float64,
        }
    )


def test_batches_whose_types_differ_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)] + [("text",)])
    frame = read_adbc(f"sqlite:///{path}", "SELECT x FROM t")
    # Either the driver types the column as a whole, or the batches differ and the fast path
    # stands aside: never a frame whose rows lost the text.
    assert frame is None or "text" in frame.collect()["x"].cast(pl.String).to_list()


def test_a_folder_or_disk_that_fails_is_said_not_hidden_by_the_slow_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _sqlite(tmp_path)
    monkeypatch.setattr(sql_frames, "SPILL_ROWS", 10)

    def no_folder() -> Path:
        raise PermissionError(13, "Permission denied", str(tmp_path / "scratch"))

    with pytest.raises(PermissionError):
        read_adbc(url, QUERY, no_folder)

    def full_disk(self: pl.DataFrame, path: Path, **_: object) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    with pytest.raises(OSError, match="No space left"):
        read_adbc(url, QUERY, lambda: tmp_path / "scratch")
