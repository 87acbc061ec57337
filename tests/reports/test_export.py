"""`journey export`: frame shape and order, CSV/JSON/Parquet output, safety of the files."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from reports.export import (
    atomic_write,
    export_frame,
    export_text,
    neutralise_formulas,
    write_export,
)
from reports.schema import ACCOUNT_SCHEMA, EXPORT_COLUMNS, MILESTONE_SCHEMA


def accounts() -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for account_id, segment in [("b-2", '=HYPERLINK("http://x","y")'), ("a-1", "growth")]:
        row: dict[str, Any] = dict.fromkeys(ACCOUNT_SCHEMA)
        row.update(account_id=account_id, segment=segment, status="on_track")
        rows.append(row)
    return pl.DataFrame(rows, schema=ACCOUNT_SCHEMA)


def milestones() -> pl.DataFrame:
    """Deliberately out of order: account b-2 first, positions reversed."""
    spec = [
        ("b-2", "go_live", 1, date(2024, 2, 1), None, "overdue"),
        ("b-2", "first_login", 0, date(2024, 1, 4), date(2024, 1, 2), "done"),
        ("a-1", "+cmd", 1, date(2024, 2, 15), None, "pending"),
        ("a-1", "first_login", 0, date(2024, 1, 4), date(2024, 1, 9), "done_late"),
    ]
    rows: list[dict[str, Any]] = []
    for account_id, milestone, position, due_on, achieved_on, state in spec:
        row: dict[str, Any] = dict.fromkeys(MILESTONE_SCHEMA)
        row.update(
            account_id=account_id,
            journey="onboarding",
            milestone=milestone,
            position=position,
            due_on=due_on,
            achieved_on=achieved_on,
            state=state,
        )
        rows.append(row)
    return pl.DataFrame(rows, schema=MILESTONE_SCHEMA)


@pytest.fixture
def frame() -> pl.DataFrame:
    return export_frame(accounts(), milestones())


def test_export_frame_columns_and_order(frame: pl.DataFrame) -> None:
    assert tuple(frame.columns) == EXPORT_COLUMNS
    assert frame.select("account_id", "milestone").rows() == [
        ("a-1", "first_login"),
        ("a-1", "+cmd"),
        ("b-2", "first_login"),
        ("b-2", "go_live"),
    ]
    assert frame.get_column("segment").to_list()[:2] == ["growth", "growth"]
    assert frame.schema["due_on"] == pl.Date


def test_export_frame_keeps_milestones_of_unknown_accounts(frame: pl.DataFrame) -> None:
    extra = export_frame(accounts().head(1), milestones())
    assert extra.height == 4
    assert extra.filter(pl.col("account_id") == "a-1").get_column("segment").is_null().all()


def test_csv_neutralises_formulas_and_writes_iso_dates(frame: pl.DataFrame) -> None:
    lines = export_text(frame, "csv").splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert lines[1] == "a-1,growth,onboarding,first_login,2024-01-04,2024-01-09,done_late"
    assert lines[2] == "a-1,growth,onboarding,'+cmd,2024-02-15,,pending"  # null -> empty
    assert lines[4].startswith('b-2,"\'=HYPERLINK(""http://x"",""y"")",')


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=HYPERLINK(...)", "'=HYPERLINK(...)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=b", "a=b"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_neutralise_formulas(cell: str, safe: str) -> None:
    frame = pl.DataFrame({"s": [cell, None], "n": [1, 2]})
    out = neutralise_formulas(frame)
    assert out.get_column("s").to_list() == [safe, None]
    assert out.columns == ["s", "n"]


def test_json_is_an_array_of_objects_with_iso_dates(frame: pl.DataFrame) -> None:
    rows = json.loads(export_text(frame, "json"))
    assert isinstance(rows, list) and len(rows) == 4
    assert rows[0] == {
        "account_id": "a-1",
        "segment": "growth",
        "journey": "onboarding",
        "milestone": "first_login",
        "due_on": "2024-01-04",
        "achieved_on": "2024-01-09",
        "state": "done_late",
    }
    assert rows[1]["achieved_on"] is None
    assert rows[1]["milestone"] == "+cmd"  # JSON is data, not a spreadsheet: left as is


def test_empty_exports(frame: pl.DataFrame) -> None:
    assert json.loads(export_text(frame.clear(), "json")) == []
    assert export_text(frame.clear(), "csv") == ",".join(EXPORT_COLUMNS) + "\n"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_formats_go_to_stdout_without_out(
    fmt: Any, frame: pl.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    write_export(frame, fmt, None)
    assert capsys.readouterr().out == export_text(frame, fmt)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_formats_to_a_file(fmt: Any, frame: pl.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / f"export.{fmt}"
    write_export(frame, fmt, out)
    assert out.read_text(encoding="utf-8") == export_text(frame, fmt)
    assert os.listdir(tmp_path) == [out.name]


def test_parquet_round_trip(frame: pl.DataFrame, tmp_path: Path) -> None:
    out = tmp_path / "export.parquet"
    write_export(frame, "parquet", out)
    assert_frame_equal(pl.read_parquet(out), frame)
    assert os.listdir(tmp_path) == ["export.parquet"]


def test_parquet_needs_an_output_file(frame: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"parquet.*output file"):
        write_export(frame, "parquet", None)


def test_unknown_format_is_rejected(frame: pl.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        write_export(frame, "xlsx", tmp_path / "x")  # type: ignore[arg-type]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    frame: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "export.parquet"
    out.write_bytes(b"previous export")

    def broken(self: pl.DataFrame, file: Any, **kwargs: Any) -> None:
        file.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        write_export(frame, "parquet", out)

    assert out.read_bytes() == b"previous export"
    assert os.listdir(tmp_path) == ["export.parquet"]


def test_atomic_write_cleans_up_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_replace(src: Any, dst: Any) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(PermissionError):
        atomic_write(tmp_path / "x.csv", b"data")
    assert os.listdir(tmp_path) == []
