"""`journey export`: one row per account x milestone (DESIGN §7), as CSV, JSON or Parquet;
and `journey report --format csv|json`: the ranked off-track list (`ranked_frame`).

`export_frame` and `export_text` are pure; `write_export` writes to stdout or, atomically, to a
file. Dates are ISO ``YYYY-MM-DD``; nulls are empty cells in CSV and ``null`` in JSON; JSON is
one array of objects. CSV cells that a spreadsheet would run as a formula (starting with
``= + - @``, tab or carriage return) are prefixed with a single quote (DESIGN §10).
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal, get_args

import polars as pl

from reports.schema import EXPORT_COLUMNS
from reports.views import CsmReport

ExportFormat = Literal["csv", "json", "parquet"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)

#: Leading characters that make a spreadsheet treat a cell as a formula.
FORMULA_PATTERN = r"^([=+\-@\t\r])"


#: What `export_frame` reads of the accounts and of the milestones.
EXPORT_ACCOUNT_COLUMNS = ("account_id", "segment")
EXPORT_MILESTONE_COLUMNS = tuple(c for c in (*EXPORT_COLUMNS, "position") if c != "segment")


def export_frame(accounts: pl.DataFrame, milestones: pl.DataFrame) -> pl.DataFrame:
    """Milestone results with the account's segment: exactly `EXPORT_COLUMNS`.

    Sorted by account_id, then the milestone's position in its journey. Reads only
    `EXPORT_ACCOUNT_COLUMNS` and `EXPORT_MILESTONE_COLUMNS`.
    """
    segments = accounts.lazy().select("account_id", "segment")
    return (
        milestones.lazy()
        .join(segments, on="account_id", how="left", validate="m:1")
        .sort("account_id", "position")
        .select(EXPORT_COLUMNS)
        .collect()
    )


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix a single quote to string cells that a spreadsheet would evaluate."""
    return frame.with_columns(pl.col(pl.String).str.replace(FORMULA_PATTERN, "'$1"))


def _iso_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Date columns as ``YYYY-MM-DD`` strings, whatever the writer's default would be."""
    return frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))


def export_text(frame: pl.DataFrame, fmt: Literal["csv", "json"]) -> str:
    """The frame as CSV (formulas neutralised) or as a JSON array of objects."""
    if fmt == "csv":
        return _iso_dates(neutralise_formulas(frame)).write_csv(null_value="")
    if fmt == "json":
        return _iso_dates(frame).write_json() + "\n"
    raise ValueError(f"unknown text export format {fmt!r}; expected csv or json")


def write_export(frame: pl.DataFrame, fmt: ExportFormat, out: Path | None) -> None:
    """Write the export to `out` (atomically) or, for csv/json when `out` is None, stdout."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if out is None:
            raise ValueError(
                "parquet is a binary format and cannot go to stdout: give an output file "
                "(e.g. --out export.parquet)"
            )
        with atomic_open(out) as fh:
            frame.write_parquet(fh)
        return
    text = export_text(frame, fmt)
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write(out, text.encode("utf-8"))


@contextmanager
def atomic_open(path: Path) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces `path` only if the block completes.

    Writes go to a hidden temp file in the same folder (so `os.replace` is atomic), which is
    fsynced, then renamed over `path`; on any error the temp file is removed and `path` is
    untouched. The temp file is created with mode 0o666 so the umask applies as usual.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically (see `atomic_open`)."""
    with atomic_open(path) as fh:
        fh.write(data)


#: Columns of `journey report --format csv|json`: the ranked off-track list, in order.
RANKED_COLUMNS: dict[str, pl.DataType] = {
    "week_of": pl.Date(),
    "csm_email": pl.String(),
    "rank": pl.Int32(),
    "account_id": pl.String(),
    "name": pl.String(),
    "segment": pl.String(),
    "journey": pl.String(),
    "arr": pl.Float64(),
    "day_of_journey": pl.Int32(),
    "lag_days": pl.Int32(),
    "missed": pl.String(),
    "missed_due_on": pl.Date(),
    "critical": pl.Boolean(),
    "newly_off_track": pl.Boolean(),
    "weeks_off_track": pl.Int32(),
    "priority": pl.Float64(),
    "first_move": pl.String(),
    "last_activity": pl.Date(),
    "dormant": pl.Boolean(),
    "open_commitments": pl.Int32(),
    "overdue_commitments": pl.Int32(),
    "reasons": pl.String(),  # joined with " | "
}


def ranked_frame(reports: Sequence[CsmReport]) -> pl.DataFrame:
    """The ranked off-track accounts of every report, exactly as the emails list them."""
    rows = [
        {
            "week_of": r.week_of,
            "csm_email": r.csm_email,
            "rank": a.rank,
            "account_id": a.account_id,
            "name": a.name,
            "segment": a.segment,
            "journey": a.journey_name,
            "arr": a.arr,
            "day_of_journey": a.day_of_journey,
            "lag_days": a.lag_days,
            "missed": a.missed,
            "missed_due_on": a.missed_due_on,
            "critical": a.critical,
            "newly_off_track": a.newly_off_track,
            "weeks_off_track": a.weeks_off_track,
            "priority": a.priority,
            "first_move": a.first_move,
            "last_activity": a.last_activity,
            "dormant": a.dormant,
            "open_commitments": len(a.commitments),
            "overdue_commitments": a.overdue_commitments,
            "reasons": " | ".join(a.reasons),
        }
        for r in reports
        for a in r.accounts
    ]
    return pl.DataFrame(rows, schema=RANKED_COLUMNS, orient="row")
