"""The fast path of SQL sources: PostgreSQL and SQLite through their ADBC drivers.

The drivers hand over Arrow columns (PostgreSQL's binary COPY) instead of a Python object per
value: at 10M events 0.13x the time and memory of rows through SQLAlchemy on PostgreSQL
(benchmarks/sql_source.py). SQLite files are opened read-only.

The rows arrive as a stream of Arrow batches (read with nanoarrow), gathered into one frame
in memory or, past `metrics.sql_frames.SPILL_ROWS`, in files (`metrics.sql_frames.gather`).

`read_adbc` returns None wherever this path cannot serve a query as SQLAlchemy's path would:
no driver for the database, a column type it does not take (uuid, bytea, arrays, ...), batches
whose types differ, any error. The caller then reads through SQLAlchemy, which also words the
error of a query that fails. Both paths give the same column types (`uniform`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from metrics.sql_frames import EXTENSIONS, Spilling, Unlike, extension_kind, gather, uniform

#: Rows a batch from SQLite (PostgreSQL's driver sizes its own).
SQLITE_BATCH_ROWS = 65_536


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

            uri = libpq_uri(parsed)
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


def libpq_uri(parsed: URL) -> str:
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
            stream = nanoarrow.ArrayStream(cursor.fetch_arrow())
            frame = gather(_taken(stream), spill)
            if frame is None:  # no rows: the columns as the database describes them
                empty = pl.DataFrame(nanoarrow.c_array([], stream.schema))
                frame = uniform(next(_taken([empty]))).lazy()
            return frame
    except Spilling as exc:  # the folder or the disk: the caller's to hear, not to retry
        assert exc.__cause__ is not None
        raise exc.__cause__ from None
    except Exception:  # any other failure: SQLAlchemy reads the rows, or words the error
        return None


def _taken(arrays: Any) -> Iterator[pl.DataFrame]:
    """Each Arrow array of the stream as a frame; `Unlike` at the first whose column types
    this path does not read as SQLAlchemy's does."""
    for array in arrays:
        batch = pl.DataFrame(array)
        if not all(_takes(dtype) for dtype in batch.schema.values()):
            raise Unlike
        yield batch


def _takes(dtype: pl.DataType) -> bool:
    """Whether the fast path reads a column of this type as SQLAlchemy's path does."""
    if dtype.is_extension():
        return extension_kind(dtype) in EXTENSIONS
    simple = dtype.is_numeric() or dtype in (pl.String, pl.Boolean, pl.Date, pl.Null)
    return simple or isinstance(dtype, pl.Datetime)
