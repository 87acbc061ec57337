"""A SQL result's batches as one frame, read either way (`metrics.sql_adbc`, SQLAlchemy).

Up to `SPILL_ROWS` rows are kept in memory; past that, when the caller gives a folder, the
batches go to LZ4 Parquet files there as they arrive and the frame scans those files, so a
query of any size takes about one batch's memory to read (the files live as long as the
folder: the caller's to remove).

Column types do not depend on the path or the driver (`uniform`): integers Int64, decimals and
floats Float64, timestamps in microseconds (in UTC where they have a zone), a uuid as text.
(PostgreSQL JSON comes as its text through ADBC, and as the driver decodes it through
SQLAlchemy.)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl

#: A query's rows kept in memory at most before they go to files (when a folder is given).
SPILL_ROWS = 2_000_000

#: PostgreSQL types ADBC hands over as an extension holding text, and what they become.
EXTENSIONS: dict[str, pl.DataType] = {"numeric": pl.Float64(), "json": pl.String()}


class Spilling(Exception):
    """Writing a result's files failed (raised from the error): the caller's to report."""


class Unlike(Exception):
    """A batch's column types differ from the first batch's (`gather(..., relaxed=False)`)."""


def gather(
    batches: Iterable[pl.DataFrame],
    spill: Callable[[], Path] | None,
    *,
    relaxed: bool = False,
) -> pl.LazyFrame | None:
    """The batches as one frame (`uniform` types): in memory, or past SPILL_ROWS in files of
    `spill()`; None when there was no batch.

    Batches whose types differ raise `Unlike`, unless `relaxed`: then each batch's types are
    made uniform first and the rest are joined to their common type (a column of nulls only in
    one batch takes the others' type), as one read of all the rows would type them.
    """
    held: list[pl.DataFrame] = []
    rows = 0
    folder: Path | None = None
    files: list[Path] = []
    first: pl.Schema | None = None
    for batch in batches:
        if relaxed:
            batch = uniform(batch)
        elif first is None:
            first = batch.schema
        elif batch.schema != first:
            raise Unlike
        held.append(batch)
        rows += batch.height
        if spill is not None and rows > SPILL_ROWS:
            folder = folder or _own_folder(spill)
            files.append(_write(held, folder / f"{len(files):06}.parquet", relaxed))
            held, rows = [], 0
    if folder is None:
        return _together(held, relaxed).lazy() if held else None
    if held:
        files.append(_write(held, folder / f"{len(files):06}.parquet", relaxed))
    if not relaxed:  # one schema: one scan of the folder
        return pl.scan_parquet(folder / "*.parquet")
    return pl.concat([pl.scan_parquet(path) for path in files], how="vertical_relaxed")


def _write(batches: list[pl.DataFrame], path: Path, relaxed: bool) -> Path:
    try:
        _together(batches, relaxed).write_parquet(path, compression="lz4")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise Spilling from exc
    return path


def _together(batches: list[pl.DataFrame], relaxed: bool) -> pl.DataFrame:
    if relaxed:
        return pl.concat(batches, how="vertical_relaxed", rechunk=False)
    return uniform(pl.concat(batches, rechunk=False))


def _own_folder(spill: Callable[[], Path]) -> Path:
    try:
        folder = spill() / f"sql-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
    except Exception as exc:
        raise Spilling from exc
    return folder


def extension_kind(dtype: pl.DataType) -> str | None:
    """What an Arrow extension column of PostgreSQL's driver holds: "json", "numeric",
    "other"; None for a column that is no extension."""
    if not dtype.is_extension():
        return None
    name = str(getattr(dtype, "ext_name", ""))
    metadata = str(getattr(dtype, "ext_metadata", ""))
    if name == "arrow.json" or '"type_name": "json' in metadata:
        return "json"
    if '"type_name": "numeric"' in metadata:
        return "numeric"
    return "other"


def uniform(frame: pl.DataFrame) -> pl.DataFrame:
    """Column types that do not depend on the path or the driver: integers Int64, decimals
    and floats Float64, timestamps in microseconds (in UTC where they have a zone), extensions
    their target type, Python objects (a uuid through SQLAlchemy) their text."""
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        kind = extension_kind(dtype)
        if kind in EXTENSIONS:
            exprs.append(column.ext.storage().cast(EXTENSIONS[kind]))
        elif dtype.is_integer():
            exprs.append(column.cast(pl.Int64))
        elif dtype.is_float() or dtype.is_decimal():
            exprs.append(column.cast(pl.Float64))
        elif isinstance(dtype, pl.Datetime):
            us = column.dt.cast_time_unit("us")
            exprs.append(us if dtype.time_zone is None else us.dt.convert_time_zone("UTC"))
        elif dtype == pl.Object:
            exprs.append(column.map_elements(_text, return_dtype=pl.String))
        else:
            exprs.append(column)
    return frame.select(exprs)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
