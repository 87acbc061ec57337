"""Sources: the only place that reads data files. Each returns a LazyFrame in canonical names.

A source is a file, a folder or a glob of CSV or Parquet files (`hive: true` reads
`key=value` folder names as columns), or a SQL query on a database URL (`url` + `query`, see
`metrics.sql_source`). `columns` maps canonical names to the source's own names, e.g.
`{timestamp: ts}`; `schema` gives CSV columns explicit types instead of inferred ones.
"""

from __future__ import annotations

import codecs
import csv
import glob
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from metrics.errors import InputError, first_line

#: Type names a CSV `schema:` may use, and the polars type each reads as.
COLUMN_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
}
ColumnType = Literal["string", "int", "float", "bool", "date", "datetime"]

#: CSV sources up to this size are checked row by row for their shape before reading, so that
#: a malformed row is reported with its line number (polars' own message has none). Larger
#: sources skip the check (it costs a pass over the file): polars then rejects a row wider
#: than the header only if the run reads all of its columns.
STRUCTURE_CHECK_MAX_BYTES = 32 << 20


class SourceSpec(BaseModel):
    """Where one input lives (a `sources:` entry of settings.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    path: str | None = Field(
        default=None, description="A file, folder or glob, relative to the project folder."
    )
    format: Literal["parquet", "csv"] | None = Field(
        default=None, description="Defaults to the file extension."
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Canonical name -> the source's column name."
    )
    csv_separator: str = Field(default=",", min_length=1, max_length=1)
    hive: bool = Field(
        default=False, description="Read `key=value` folder names (hive partitions) as columns."
    )
    column_types: dict[str, ColumnType] = Field(
        default_factory=dict,
        alias="schema",
        description="CSV only: the source's column -> string, int, float, bool, date or "
        "datetime, instead of inferring types.",
    )
    url: str | None = Field(
        default=None,
        description="Database URL for a SQL source; write credentials as ${ENV_VAR} references.",
    )
    query: str | None = Field(default=None, description="The SQL query of a SQL source.")

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSpec:
        from metrics.sql_source import plain_password

        if (self.path is None) == (self.query is None):
            raise ValueError("give either `path` (files) or `url` + `query` (SQL)")
        if (self.url is None) != (self.query is None):
            raise ValueError("a SQL source needs both `url` and `query`")
        if self.url is not None and plain_password(self.url):
            raise ValueError(
                "the url holds a password; put the URL (or its password) in an environment "
                'variable and write e.g. url: "${JOURNEY_WAREHOUSE_URL}"'
            )
        return self


def resolve_files(spec: SourceSpec, root: Path, name: str) -> list[Path]:
    """The files a source names, sorted (none for a SQL source); an InputError when a path
    matches no file. A folder stands for every file below it (hidden ones aside)."""
    if spec.path is None:
        return []
    pattern = Path(spec.path)
    if not pattern.is_absolute():
        pattern = root / pattern
    if pattern.is_dir():
        pattern = pattern / "**" / "[!.]*"
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


def check_utf8(path: Path, name: str, chunk_size: int = 1 << 20) -> None:
    """An InputError naming the line when `path` is not valid UTF-8 (read in chunks).

    Reading text with invalid bytes "lossily" would silently change account ids and names,
    so the run stops with a message that says where and how to fix it. A chunk of ASCII
    alone is valid as it is: only others are decoded (3.3 GB of CSV: 0.5 s, from 3.6 s).
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # bytes before `chunk`
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            pending = decoder.getstate()[0]  # the start of a character cut by the last chunk
            if chunk and not pending and chunk.isascii():
                offset += len(chunk)
                continue
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = offset - len(pending) + max(exc.start, 0)
                handle.seek(at)
                bad = handle.read(4)
                raise InputError(
                    f"source `{name}`: {path.name} is not UTF-8 text: byte(s) {bad!r} on line "
                    f"{_line_at(path, at)} (byte offset {at}). Save or export the file as "
                    "UTF-8 (in Excel: CSV UTF-8).",
                    source=name,
                ) from None
            if not chunk:
                return
            offset += len(chunk)


def _line_at(path: Path, offset: int, chunk_size: int = 1 << 20) -> int:
    """The line (from 1) that byte `offset` of `path` is on."""
    lines = 1
    with path.open("rb") as handle:
        while offset > 0:
            chunk = handle.read(min(chunk_size, offset))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            offset -= len(chunk)
    return lines


def check_parquet(spec: SourceSpec, root: Path, files: list[Path], name: str) -> None:
    """Open each Parquet file's footer (metadata only): a file that is not Parquet, or cut
    short (a failed copy), is named here rather than failing the read of them all."""
    for path in files:
        try:
            pl.scan_parquet(path).collect_schema()
        except (pl.exceptions.PolarsError, OSError) as exc:
            shown = path.relative_to(root) if path.is_relative_to(root) else path
            raise InputError(
                f"source `{name}` ({spec.path}): cannot read {shown} as Parquet: "
                f"{first_line(exc)[:300]}",
                source=name,
            ) from exc


def csv_problem(path: Path, separator: str) -> str | None:
    """Where a CSV file stops being well formed: a row wider than the header, an open quote.

    Polars rejects such files with a message that has no line number; this says where. Rows
    narrower than the header are allowed (polars reads the missing fields as empty).
    """
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=separator, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                return f"{path.name} has no header row"
            for row in reader:
                if len(row) > len(header):
                    return (
                        f"{path.name} line {reader.line_num} has {len(row)} field(s), the "
                        f"header has {len(header)} (an unquoted {separator!r}?)"
                    )
        except csv.Error as exc:
            return f"{path.name} line {reader.line_num}: {exc} (an unclosed quote?)"
    return None


#: The column `scan(..., file_column=True)` adds: the file each row was read from.
FILE = "__file"


def scan(
    spec: SourceSpec,
    root: Path,
    name: str,
    *,
    files: list[Path] | None = None,
    file_column: bool = False,
    spill: Callable[[], Path] | None = None,
) -> pl.LazyFrame:
    """Scan a source lazily and rename its columns to canonical names.

    `files` reads only those of a file source's files (an incremental run's new ones);
    `file_column` adds the path each row comes from as `__file` (file sources only); `spill`
    gives a folder for a large SQL result's files instead of memory (`metrics.sql_adbc`).
    """
    if spec.query is not None and spec.url is not None:
        from metrics.sql_source import read_sql

        frame = read_sql(spec.url, spec.query, name, spill)
        return _canonical(frame, frame.collect_schema(), spec, name)
    files = resolve_files(spec, root, name) if files is None else files
    paths = FILE if file_column else None
    fmt = source_format(spec, files)
    try:
        if fmt == "parquet":
            frame = pl.scan_parquet(
                files,
                missing_columns="insert",
                extra_columns="ignore",
                hive_partitioning=spec.hive,
                include_file_paths=paths,
            )
        else:
            for path in files:
                if path.stat().st_size == 0:
                    raise InputError(
                        f"source `{name}`: {path} is empty (0 bytes); expected a header row "
                        "and data. Was the export interrupted?",
                        source=name,
                    )
                check_utf8(path, name)
            if sum(p.stat().st_size for p in files) <= STRUCTURE_CHECK_MAX_BYTES:
                problem = next(
                    filter(None, (csv_problem(p, spec.csv_separator) for p in files)), None
                )
                if problem:
                    raise InputError(f"source `{name}`: {problem}", source=name)
            frame = pl.scan_csv(
                files,
                separator=spec.csv_separator,
                infer_schema_length=10_000,
                encoding="utf8-lossy",
                schema_overrides={c: COLUMN_TYPES[t] for c, t in spec.column_types.items()},
                include_file_paths=paths,
            )
        schema = frame.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(
            f"source `{name}` ({spec.path}): cannot read: {first_line(exc)[:300]}", source=name
        ) from exc
    return _canonical(frame, schema, spec, name)


def _canonical(frame: pl.LazyFrame, schema: pl.Schema, spec: SourceSpec, name: str) -> pl.LazyFrame:
    """The frame with its columns renamed to canonical names (`columns:`)."""
    renames = {source: canonical for canonical, source in spec.columns.items()}
    missing = [source for source in renames if source not in schema]
    if missing:
        raise InputError(
            f"source `{name}` ({spec.path or 'query'}): "
            f"mapped column(s) {', '.join(missing)} not found; "
            f"columns are: {', '.join(schema.names())}",
            source=name,
        )
    # Drop source columns whose name is taken by a mapped canonical column.
    clashes = [c for c in schema.names() if c in spec.columns and c not in renames]
    return frame.drop(clashes).rename(renames)
