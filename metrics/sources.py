"""Sources: the only place that reads data files. Each returns a LazyFrame in canonical names.

A source is a file or a glob of CSV or Parquet files (a hive-partitioned folder works as a
glob such as `data/events/**/*.parquet`). `columns` maps canonical names to the source's own
names, e.g. `{timestamp: ts}`.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from metrics.errors import InputError


class SourceSpec(BaseModel):
    """Where one input lives (a `sources:` entry of settings.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="A file or glob, relative to the project folder.")
    format: Literal["parquet", "csv"] | None = Field(
        default=None, description="Defaults to the file extension."
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical name -> the source's column name."
    )
    csv_separator: str = Field(default=",", min_length=1, max_length=1)


def resolve_files(spec: SourceSpec, root: Path, name: str) -> list[Path]:
    """The files a source names, sorted; an InputError when there are none."""
    pattern = Path(spec.path)
    if not pattern.is_absolute():
        pattern = root / pattern
    matches = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True))
    files = [p for p in matches if p.is_file()]
    if not files:
        raise InputError(
            f"source `{name}`: no file matches {spec.path!r} (looked in {pattern.parent})",
            source=name,
        )
    return files


def source_format(spec: SourceSpec, files: list[Path]) -> Literal["parquet", "csv"]:
    if spec.format is not None:
        return spec.format
    suffixes = {p.suffix.lower() for p in files}
    if suffixes <= {".parquet", ".pq"}:
        return "parquet"
    if suffixes <= {".csv", ".txt", ".tsv"}:
        return "csv"
    raise InputError(
        f"cannot tell the format of {', '.join(sorted(suffixes))} files; "
        "set `format: parquet` or `format: csv` on the source"
    )


def scan(spec: SourceSpec, root: Path, name: str) -> pl.LazyFrame:
    """Scan a source lazily and rename its columns to canonical names."""
    files = resolve_files(spec, root, name)
    fmt = source_format(spec, files)
    try:
        if fmt == "parquet":
            frame = pl.scan_parquet(files, missing_columns="insert", extra_columns="ignore")
        else:
            frame = pl.scan_csv(
                files,
                separator=spec.csv_separator,
                infer_schema_length=10_000,
                encoding="utf8-lossy",
            )
        schema = frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"source `{name}` ({spec.path}): cannot read: {first}") from exc
    renames = {source: canonical for canonical, source in spec.columns.items()}
    missing = [source for source in renames if source not in schema]
    if missing:
        raise InputError(
            f"source `{name}` ({spec.path}): mapped column(s) {', '.join(missing)} not found; "
            f"columns are: {', '.join(schema.names())}",
            source=name,
        )
    # Drop source columns whose name is taken by a mapped canonical column.
    clashes = [c for c in schema.names() if c in spec.columns and c not in renames]
    return frame.drop(clashes).rename(renames)
