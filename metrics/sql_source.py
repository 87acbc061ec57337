"""SQL sources: accounts, events or daily rows from a query on a database URL.

    sources:
      events: {url: "${JOURNEY_WAREHOUSE_URL}", query: "SELECT account_id, ts AS timestamp, ..."}

The URL is written with `${VAR}` references that are expanded from the environment when the
source is read, so credentials never sit in YAML: a URL written with a plain password is
rejected when the config is loaded. The rows arrive as one polars frame; the rest of the run
treats it like any other source.

PostgreSQL and SQLite are read through their ADBC drivers, which hand polars Arrow columns
(PostgreSQL's binary COPY): 4-6x faster than rows through SQLAlchemy, with no Python object
per value (benchmarks/sql_read.py). SQLite files are opened read-only. Any other database, a
column type the fast path does not take (uuid, bytea, arrays, ...) or any failure of the fast
path reads through SQLAlchemy as before, which also words the error when the query fails.
Both paths give the same frame: integers Int64, PostgreSQL `numeric` Float64, JSON as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import polars as pl
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from metrics.errors import InputError

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


def _without_password(text: str, url: str) -> str:
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


def read_sql(url: str, query: str, source: str) -> pl.LazyFrame:
    """Run `query` on the database at `url` (with `${VAR}`s) and return its rows, lazily."""
    expanded = expand_env(url, source)
    fast = _read_adbc(expanded, query)
    if fast is not None:
        return fast.lazy()
    try:
        engine = create_engine(expanded)
    except (ArgumentError, ImportError) as exc:
        raise InputError(
            f"source `{source}`: cannot open {_safe(expanded)}: {exc}", source=source
        ) from None
    try:
        with engine.connect() as conn:
            frame = pl.read_database(query, conn, infer_schema_length=None)
    except (SQLAlchemyError, pl.exceptions.PolarsError, OSError) as exc:
        orig = getattr(exc, "orig", None) or exc
        detail = _without_password(" ".join(str(orig).split())[:300], expanded)
        raise InputError(
            f"source `{source}`: the query on {_safe(expanded)} failed: {detail}", source=source
        ) from None
    finally:
        engine.dispose()
    assert isinstance(frame, pl.DataFrame)
    return _uniform(frame).lazy()


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
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except ArgumentError:
        return False


def _libpq_uri(parsed: URL) -> str:
    """The URL as libpq takes it: no SQLAlchemy driver name (`+psycopg`)."""
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _read_adbc(expanded: str, query: str) -> pl.DataFrame | None:
    """The query's rows through ADBC; None when that cannot serve them (see the module doc)."""
    connect = adbc_connector(expanded)
    if connect is None:
        return None
    try:
        with connect() as conn:
            # The driver wraps the query in `COPY (...)`: a line of its own, without the `;`.
            frame = pl.read_database(_body(query) + "\n", conn)
    except Exception:  # any failure: SQLAlchemy reads the rows, or words the error
        return None
    assert isinstance(frame, pl.DataFrame)
    if not all(_takes(dtype) for dtype in frame.schema.values()):
        return None
    return _uniform(frame)


#: PostgreSQL types ADBC hands over as an extension holding text, and what they become.
_EXTENSIONS: dict[str, pl.DataType] = {"numeric": pl.Float64(), "json": pl.String()}


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
    return (dtype.is_numeric() or dtype in (pl.String, pl.Boolean, pl.Date, pl.Null)) or isinstance(
        dtype, pl.Datetime
    )


def _uniform(frame: pl.DataFrame) -> pl.DataFrame:
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


def from_query(query: str, where: str = "") -> str:
    """`SELECT * FROM (query) ... [WHERE where]`: the query's rows, filtered by the database.
    The query goes on lines of its own, so that a trailing `-- comment` ends before `)`."""
    condition = f" WHERE {where}" if where else ""
    return f"SELECT * FROM (\n{_body(query)}\n) AS journey_source{condition}"


def _body(query: str) -> str:
    """The query without surrounding space and a final `;`."""
    return query.strip().rstrip(";").rstrip()


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
        detail = _without_password(" ".join(str(exc).split())[:300], expanded)
        raise InputError(
            f"source `{source}`: counting rows on {_safe(expanded)} failed: {detail}",
            source=source,
        ) from None
    assert isinstance(frame, pl.DataFrame)
    return int(frame["n"][0])
