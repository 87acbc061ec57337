"""journey.usage_read: counting the usage rows a full run sizes its batches by."""

from __future__ import annotations

from pathlib import Path

import pytest
from incremental_support import day, usage_project, write_events

from journey.evaluate import evaluate
from journey.usage_read import parquet_usage_rows
from metrics.errors import InputError


def test_parquet_rows_are_counted_and_an_unreadable_file_is_left_to_the_read(
    tmp_path: Path,
) -> None:
    project = usage_project(tmp_path, [("a1", day(0), "pro")])
    write_events(project, "d0", [("a1", day(0), 10, "login", "u1", None)] * 3)
    write_events(project, "d1", [("a1", day(1), 10, "login", "u2", None)] * 2)
    config = project.config()
    assert parquet_usage_rows(config) == 5
    (project.root / "data" / "events" / "d2.parquet").write_bytes(b"not parquet at all")
    assert parquet_usage_rows(config) == 0  # not known: the batches go by account-days
    with pytest.raises(InputError) as raised:
        evaluate(config, day(3))
    assert "source `events`" in str(raised.value) and "cannot read" in str(raised.value)
