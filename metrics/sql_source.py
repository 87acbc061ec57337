"""SQL sources: accounts, events or daily rows from a query on a database URL.

    sources:
      events: {url: "${JOURNEY_WAREHOUSE_URL}", query: "SELECT account_id, ts AS timestamp, ..."}

The URL is written with `${VAR}` references that are expanded from the environment when the
source is read, so credentials never sit in YAML: a URL written with a plain password is
rejected when the config is loaded. The rows arrive as one polars frame; the rest of the run
treats it like any other source.

PostgreSQL and SQLite are read through their ADBC drivers (`metrics.sql_adbc`: Arrow
columns); any other database, or what that path cannot serve, through SQLAlchemy batch by
batch (a Python object per value, ALCHEMY_BATCH_ROWS at a time), which also words the error
when the query fails. Either way a large result goes to files rather than memory when the
caller gives a folder (`metrics.sql_frames`), and the frame has the same types: integers
Int64, PostgreSQL `numeric` Float64, zoned timestamps in UTC.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from metrics.errors import InputError
from metrics.sql_adbc import adbc_connector, body, is_postgresql, read_adbc
from metrics.sql_frames import Spilling, gather, uniform

#: Rows a batch read through SQLAlchemy: a Python object per value until the batch is a frame.
ALCHEMY_BATCH_ROWS = 100_000

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def plain_password(url: str) -> bool:
    """Whether a URL as written in YAML holds a literal password (not a `${VAR}`)."""
    if _REFERENCE.search(url):
        literal = _REFERENCE.sub("x", url)
        try:
            password = make_url(literal).password
        except ArgumentError:
            return False
        # `user:${PASSWORD}@host` expands from the environment: fine.
        return password is not None and "${" not in url.split("@", 1)[0].split(":", 2)[-1]
    try:
        return make_url(url).password is not None
    except ArgumentError:
        return False


def expand_env(url: str, source: str) -> str:
    """The URL with every `${VAR}` replaced from the environment; an InputError if unset."""
    missing = [name for name in _REFERENCE.findall(url) if not os.environ.get(name)]
    if missing:
        raise InputError(
            f"source `{source}`: environment variable(s) {', '.join(missing)} not set "
            "(the database URL is read from the environment)",
            source=source,
        )
    return _REFERENCE.sub(lambda m: os.environ[m.group(1)], url)


def _detail(exc: BaseException, url: str) -> str:
    """The error's text on one line, at most 300 characters, without the URL's password."""
    text = " ".join(str(exc).split())[:300]
    try:
        password = make_url(url).password
    except ArgumentError:
        return text
    return text.replace(str(password), "***") if password else text


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def read_sql(
    url: str, query: str, source: str, spill: Callable[[], Path] | None = None
) -> pl.LazyFrame:
    """Run `query` on the database at `url` (with `${VAR}`s) and return its rows, lazily.
    `spill` gives a folder for a large result's files (`metrics.sql_adbc`), made only if
    needed; without it the rows are held in memory."""
    expanded = expand_env(url, source)
    fast = read_adbc(expanded, query, spill)
    if fast is not None:
        return fast
    try:
        engine = create_engine(expanded)
    except (ArgumentError, ImportError) as exc:
        raise InputError(
            f"source `{source}`: cannot open {_safe(expanded)}: {exc}", source=source
        ) from None
    try:
        with engine.connect() as conn:
            frame = _read_alchemy(conn, query, spill)
    except Spilling as exc:  # the folder or the disk: said as it is (journey.errors)
        assert exc.__cause__ is not None
        raise exc.__cause__ from None
    except (SQLAlchemyError, pl.exceptions.PolarsError, OSError) as exc:
        orig = getattr(exc, "orig", None) or exc
        detail = _detail(orig, expanded)
        raise InputError(
            f"source `{source}`: the query on {_safe(expanded)} failed: {detail}", source=source
        ) from None
    finally:
        engine.dispose()
    return frame


def _read_alchemy(conn: Connection, query: str, spill: Callable[[], Path] | None) -> pl.LazyFrame:
    """The query's rows through SQLAlchemy, ALCHEMY_BATCH_ROWS at a time from a server-side
    cursor where the driver has one (`stream_results`), gathered as the fast path's are."""
    # Taken as written: a colon in the query (`'{"a":1}'`) is text, never a bind parameter.
    statement = text(query.replace(":", "\\:"))
    batches = pl.read_database(
        statement,
        conn.execution_options(stream_results=True),
        iter_batches=True,
        batch_size=ALCHEMY_BATCH_ROWS,
        infer_schema_length=None,
    )
    frame = gather(batches, spill, relaxed=True)
    if frame is None:  # no rows: their columns, as one read of them all gives them
        empty = pl.read_database(statement, conn)
        assert isinstance(empty, pl.DataFrame)
        frame = uniform(empty).lazy()
    return frame


def from_query(query: str, where: str = "") -> str:
    """`SELECT * FROM (query) ... [WHERE where]`: the query's rows, filtered by the database.
    The query goes on lines of its own, so that a trailing `-- comment` ends before `)`."""
    condition = f" WHERE {where}" if where else ""
    return f"SELECT * FROM (\n{body(query)}\n) AS journey_source{condition}"


def quoted(column: str) -> str:
    """A column name as an SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def column_type(url: str, query: str, column: str, source: str) -> pl.DataType | None:
    """The type of the query's `column` as the fast path reads it, from the database's own
    description of the query (no rows are read); None when that is not known here: not
    PostgreSQL (SQLite's columns have no type of their own: its values do), no ADBC driver, no
    such column, or a query that cannot be a subquery."""
    expanded = expand_env(url, source)
    if not is_postgresql(expanded):
        return None
    connect = adbc_connector(expanded)
    if connect is None:
        return None
    try:
        with connect() as conn:
            frame = pl.read_database(
                f"SELECT {quoted(column)} FROM ({from_query(query)}) AS probe LIMIT 0", conn
            )
    except Exception:  # any failure: the source is read whole, which reports real errors
        return None
    assert isinstance(frame, pl.DataFrame)
    return frame.schema.get(column)


def count_rows(url: str, query: str, where: str, source: str) -> int:
    """How many of the query's rows match `where`, counted by the database (ADBC)."""
    expanded = expand_env(url, source)
    connect = adbc_connector(expanded)
    if connect is None:
        raise InputError(
            f"source `{source}`: cannot count rows on {_safe(expanded)}", source=source
        )
    try:
        with connect() as conn:
            frame = pl.read_database(
                f"SELECT COUNT(*) AS n FROM ({from_query(query, where)}) AS c", conn
            )
    except Exception as exc:
        detail = _detail(exc, expanded)
        raise InputError(
            f"source `{source}`: counting rows on {_safe(expanded)} failed: {detail}",
            source=source,
        ) from None
    assert isinstance(frame, pl.DataFrame)
    return int(frame["n"][0])
