"""journey.usage_read: counting the usage rows a full run sizes its batches by."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from incremental_support import day, usage_project, write_events

from journey.evaluate import evaluate
from journey.usage_read import usage_rows
from metrics.errors import InputError


def test_parquet_rows_are_counted_and_an_unreadable_file_is_left_to_the_read(
    tmp_path: Path,
) -> None:
    project = usage_project(tmp_path, [("a1", day(0), "pro")])
    write_events(project, "d0", [("a1", day(0), 10, "login", "u1", None)] * 3)
    write_events(project, "d1", [("a1", day(1), 10, "login", "u2", None)] * 2)
    config = project.config()
    assert usage_rows(config) == 5
    (project.root / "data" / "events" / "d2.parquet").write_bytes(b"not parquet at all")
    assert usage_rows(config) == 0  # not known: the batches go by account-days
    with pytest.raises(InputError) as raised:
        evaluate(config, day(3))
    assert str(raised.value).startswith(
        "source `events` (data/events/*.parquet): cannot read data/events/d2.parquet as Parquet: "
    )


def test_a_full_run_over_more_files_than_polars_has_blocking_threads_reads_them_at_once(
    tmp_path: Path,
) -> None:
    # Every file's first and last day was a scan per file, all concatenated: over 512 files
    # the streaming engine ran out of its blocking threads ("may indicate a deadlock").
    project = usage_project(tmp_path, [("a1", day(0), "pro")])
    for n in range(1200):
        write_events(project, f"h{n:04d}", [("a1", day(n // 24), n % 24, "login", "u1", None)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate(project.config(), day(50))
    assert not [w for w in caught if "BLOCKING_THREAD" in str(w.message)]
    assert result.state is not None
    files = result.state.files.sort("path")
    assert files.height == 1200
    assert files["first_day"].to_list() == files["last_day"].to_list()  # a day per file
    assert files["first_day"].to_list() == [day(n // 24) for n in range(1200)]


def test_csv_rows_are_estimated_from_the_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import journey.usage_read as usage_read

    project = usage_project(tmp_path, [("a1", day(0), "pro")])
    project.write(
        "config/settings.yaml",
        (project.config_dir / "settings.yaml")
        .read_text()
        .replace('"data/events/*.parquet"', "data/events.csv"),
    )
    line = "a1,2026-01-01T10:00:00Z,login,u1,1\n"
    events = project.root / "data" / "events.csv"
    events.write_text("account_id,timestamp,event,user_id,value\n" + line * 1000)
    config = project.config()
    assert usage_rows(config) == 1000  # read whole: counted
    monkeypatch.setattr(usage_read, "CSV_SAMPLE_BYTES", 4096)  # a sample: estimated
    assert abs(usage_rows(config) - 1000) <= 20
    events.write_text("account_id,timestamp,event,user_id,value\n" + line * 10 + line.strip())
    monkeypatch.setattr(usage_read, "CSV_SAMPLE_BYTES", 1 << 20)
    assert usage_rows(config) == 11  # the last line without its newline counts too
