"""The fast path of SQL sources: PostgreSQL and SQLite through their ADBC drivers.

The drivers hand over Arrow columns (PostgreSQL's binary COPY) instead of a Python object per
value: at 10M events 0.13x the time and memory of rows through SQLAlchemy on PostgreSQL
(benchmarks/sql_source.py). SQLite files are opened read-only.

The rows arrive as a stream of Arrow batches (read with nanoarrow). Up to `SPILL_ROWS` of them
are kept in memory; past that, when the caller gives a folder, they go to LZ4 Parquet files
there as they arrive and the frame scans those files, so a query of any size takes about one
batch's memory to read (the files live as long as the folder: the caller's to remove).

`read_adbc` returns None wherever this path cannot serve a query as SQLAlchemy's path would:
no driver for the database, a column type it does not take (uuid, bytea, arrays, ...), batches
whose types differ, any error. The caller then reads through SQLAlchemy, which also words the
error of a query that fails. Both paths give the same column types (`uniform`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

#: A query's rows kept in memory at most before they go to files (when a folder is given).
SPILL_ROWS = 2_000_000

#: Rows a batch from SQLite (PostgreSQL's driver sizes its own).
SQLITE_BATCH_ROWS = 65_536

#: PostgreSQL types ADBC hands over as an extension holding text, and what they become.
_EXTENSIONS: dict[str, pl.DataType] = {"numeric": pl.Float64(), "json": pl.String()}


def adbc_connector(expanded: str) -> Callable[[], Any] | None:
    """A function that opens an ADBC connection to the database at `expanded` (a URL with its
    variables expanded), or None when no ADBC driver serves it here."""
    try:
        parsed = make_url(expanded)
    except ArgumentError:
        return None
    backend = parsed.get_backend_name()
    try:
        if backend == "postgresql":
            import adbc_driver_postgresql.dbapi as postgresql

            uri = _libpq_uri(parsed)
            return lambda: postgresql.connect(uri)
        if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
            import adbc_driver_sqlite.dbapi as sqlite

            path = quote(str(parsed.database))
            return lambda: sqlite.connect(f"file:{path}?mode=ro")
    except ImportError:
        return None
    return None


def is_postgresql(url: str) -> bool:
    return _backend(url) == "postgresql"


def is_sqlite(url: str) -> bool:
    return _backend(url) == "sqlite"


def _backend(url: str) -> str | None:
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return None


def _libpq_uri(parsed: URL) -> str:
    """The URL as libpq takes it: no SQLAlchemy driver name (`+psycopg`)."""
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def body(query: str) -> str:
    """The query without surrounding space and a final `;`."""
    return query.strip().rstrip(";").rstrip()


def read_adbc(
    expanded: str, query: str, spill: Callable[[], Path] | None = None
) -> pl.LazyFrame | None:
    """The query's rows through ADBC, None when this path cannot serve them (module doc).
    `spill` gives the folder for rows past SPILL_ROWS (made only if needed)."""
    connect = adbc_connector(expanded)
    if connect is None:
        return None
    try:
        import nanoarrow

        with connect() as conn, closing(conn.cursor()) as cursor:
            if is_sqlite(expanded):  # 1,024 rows a batch by default: many small frames
                rows = str(SQLITE_BATCH_ROWS)
                cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": rows})
            # The driver wraps the query in `COPY (...)`: a line of its own, without the `;`.
            cursor.execute(body(query) + "\n")
            return _gather(nanoarrow.ArrayStream(cursor.fetch_arrow()), spill)
    except _Spilling as exc:  # the folder or the disk: the caller's to hear, not to retry
        assert exc.__cause__ is not None
        raise exc.__cause__ from None
    except Exception:  # any other failure: SQLAlchemy reads the rows, or words the error
        return None


class _Spilling(Exception):
    """Writing a result's files failed (raised from the error)."""


def _gather(stream: Any, spill: Callable[[], Path] | None) -> pl.LazyFrame | None:
    """The stream's batches as one frame: in memory, or past SPILL_ROWS in files of `spill()`."""
    import nanoarrow

    held: list[pl.DataFrame] = []
    rows = 0
    folder: Path | None = None
    written = 0
    first: pl.Schema | None = None
    for array in stream:
        batch = pl.DataFrame(array)
        if first is None:
            first = batch.schema
            if not all(_takes(dtype) for dtype in first.values()):
                return None
        elif batch.schema != first:
            return None
        held.append(batch)
        rows += batch.height
        if spill is not None and rows > SPILL_ROWS:
            folder = folder or _own_folder(spill)
            _write(held, folder / f"{written:06}.parquet")
            held, rows, written = [], 0, written + 1
    if folder is None:
        if not held:  # no rows: the columns as the database describes them
            empty = pl.DataFrame(nanoarrow.c_array([], stream.schema))
            if not all(_takes(dtype) for dtype in empty.schema.values()):
                return None
            return uniform(empty).lazy()
        return _together(held).lazy()
    if held:
        _write(held, folder / f"{written:06}.parquet")
    return pl.scan_parquet(folder / "*.parquet")


def _write(batches: list[pl.DataFrame], path: Path) -> None:
    try:
        _together(batches).write_parquet(path, compression="lz4")
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _Spilling from exc


def _together(batches: list[pl.DataFrame]) -> pl.DataFrame:
    return uniform(pl.concat(batches, rechunk=False))


def _own_folder(spill: Callable[[], Path]) -> Path:
    try:
        folder = spill() / f"sql-{secrets.token_hex(4)}"
        folder.mkdir(parents=True)
    except Exception as exc:
        raise _Spilling from exc
    return folder


def _extension_kind(dtype: pl.DataType) -> str | None:
    if not dtype.is_extension():
        return None
    name = str(getattr(dtype, "ext_name", ""))
    metadata = str(getattr(dtype, "ext_metadata", ""))
    if name == "arrow.json" or '"type_name": "json' in metadata:
        return "json"
    if '"type_name": "numeric"' in metadata:
        return "numeric"
    return "other"


def _takes(dtype: pl.DataType) -> bool:
    """Whether the fast path reads a column of this type as SQLAlchemy's path does."""
    if dtype.is_extension():
        return _extension_kind(dtype) in _EXTENSIONS
    simple = dtype.is_numeric() or dtype in (pl.String, pl.Boolean, pl.Date, pl.Null)
    return simple or isinstance(dtype, pl.Datetime)


def uniform(frame: pl.DataFrame) -> pl.DataFrame:
    """Column types that do not depend on the path or the driver: integers Int64, decimals
    and floats Float64, timestamps in microseconds (in UTC where they have a zone), extensions
    their target type."""
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        kind = _extension_kind(dtype)
        if kind in _EXTENSIONS:
            exprs.append(column.ext.storage().cast(_EXTENSIONS[kind]))
        elif dtype.is_integer():
            exprs.append(column.cast(pl.Int64))
        elif dtype.is_float() or dtype.is_decimal():
            exprs.append(column.cast(pl.Float64))
        elif isinstance(dtype, pl.Datetime):
            us = column.dt.cast_time_unit("us")
            exprs.append(us if dtype.time_zone is None else us.dt.convert_time_zone("UTC"))
        else:
            exprs.append(column)
    return frame.select(exprs)
