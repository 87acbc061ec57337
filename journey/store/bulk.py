"""Moving whole frames in and out of tables, fast, inside the caller's transaction.

A nightly run stores hundreds of thousands of rows and reads as many back. SQLAlchemy's
per-row objects and per-value processing cost more than the database does, so rows go to and
come from the driver directly. Frames travel in their stored form (`stored_form`: dates as ISO
text, booleans as 0/1, lists as JSON text — what SQLAlchemy stores). SQLite takes plain tuples
and hands each column back as one JSON array; PostgreSQL with psycopg takes COPY; any other
database takes SQLAlchemy's portable path.

The SQL here is built from table and column names and ISO dates, never from user input.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Float,
    Integer,
    Table,
    and_,
    bindparam,
    delete,
    insert,
    update,
)

#: Columns that hold a list in result frames and a JSON list in the store.
LIST_COLUMNS = ("location", "expected_location", "reasons")
DATE_FORMAT = "%Y-%m-%d"
#: Rows per read on SQLite: each column of that many rows comes back as one JSON text (which
#: SQLite caps at 1 GB), held as a Python string while polars decodes it. 1,000,000 accounts'
#: current state in 1,000,000-row chunks peaked at 2.6 GB, in 100,000-row chunks at 1.4 GB.
SQLITE_CHUNK = 100_000
#: Rows per write on SQLite, turned into Python values at a time: a full run at 1,000,000
#: accounts stores 3.7M milestone rows of 22 columns, ~4 GB as Python objects all at once.
SQLITE_WRITE_CHUNK = 100_000
#: Bytes of PostgreSQL's COPY text parsed at a time (whole rows: a row is never cut), so
#: that a read holds the frames and this much text, not the whole text of every row.
COPY_CHUNK = 64 << 20
#: What SQLite hands back for the types it has no storage class of its own for.
_SQLITE_TYPES: dict[pl.DataType, pl.DataType] = {pl.Date(): pl.String(), pl.Boolean(): pl.Int64()}


def route(conn: Connection) -> str:
    """How rows travel: "sqlite" (driver tuples), "copy" (psycopg) or "portable"."""
    if conn.dialect.name == "sqlite":
        return "sqlite"
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return "copy"
    return "portable"


def stored_form(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """The frame's values as `table` (text, numbers, booleans, dates) stores them, in the
    table's column order.

    Every column takes the one polars type of its stored values, so two frames with equal
    stored rows are equal frames whatever types the inputs had.
    """
    columns = [c for c in table.columns if c.name in frame.columns]
    typed = frame.select(c.name for c in columns).with_columns(
        pl.col(pl.Date).dt.to_string(DATE_FORMAT),
        pl.col(pl.Boolean).cast(pl.Int64),
        *[_json_list(c.name) for c in columns if c.name in LIST_COLUMNS],
    )
    return typed.cast({c.name: _stored_dtype(c) for c in columns})


def _stored_dtype(column: Column[Any]) -> pl.DataType:
    if isinstance(column.type, Boolean | Integer):
        return pl.Int64()
    if isinstance(column.type, Float):
        return pl.Float64()
    return pl.String()  # text, JSON lists, dates


def _json_list(name: str) -> pl.Expr:
    """Each list of the column as compact JSON text (null as "[]"), encoded by polars: the
    column wrapped in a struct encodes as `{"<name>":[...]}`, which is cut down to the list."""
    listed = pl.col(name).fill_null(pl.lit([], pl.List(pl.String)))
    wrapped = pl.struct(listed).struct.json_encode()
    return wrapped.str.slice(len(json.dumps(name)) + 2).str.head(-1).alias(name)


def read_rows(
    conn: Connection, table: Table, schema: dict[str, pl.DataType], where: str = ""
) -> pl.DataFrame:
    """The columns `schema` names, of the rows of `table` that match `where`, as a frame.

    List columns come back decoded from their stored JSON text; dates and booleans as the
    types `schema` names, whatever the database stores them as.
    """
    how = route(conn)
    fetched = {name: _fetched_type(dtype, conn.dialect.name, how) for name, dtype in schema.items()}
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        if how == "sqlite":
            frame = _sqlite_read(cursor, table.name, fetched, where)
        elif how == "copy":
            frame = _copy_read(cursor, table.name, fetched, where)
        else:
            names = ", ".join(f'"{c}"' for c in schema)
            condition = f" WHERE {where}" if where else ""
            cursor.execute(f'SELECT {names} FROM "{table.name}"{condition}')
            frame = pl.DataFrame(cursor.fetchall(), schema=fetched, orient="row")
    finally:
        cursor.close()
    return frame.with_columns(
        _from_fetched(name, fetched[name], dtype)
        for name, dtype in schema.items()
        if fetched[name] != dtype
    )


def _fetched_type(dtype: pl.DataType, dialect: str, how: str) -> pl.DataType:
    """The type a column of `dtype` comes from the database as, by dialect and `route`."""
    if isinstance(dtype, pl.List):
        return dtype if how == "sqlite" else pl.String()  # else JSON text
    if dialect == "sqlite":
        return _SQLITE_TYPES.get(dtype, dtype)
    if how == "copy" and dtype == pl.Boolean:
        return pl.String()  # t or f
    return dtype


def _from_fetched(name: str, fetched: pl.DataType, dtype: pl.DataType) -> pl.Expr:
    """Column `name`, fetched as `fetched`, as `dtype`."""
    column = pl.col(name)
    if isinstance(dtype, pl.List):
        return column.str.json_decode(dtype)
    if dtype == pl.Date:
        return column.str.to_date(DATE_FORMAT)
    if dtype == pl.Boolean and fetched == pl.String:
        return column == "t"
    return column.cast(dtype)


def _copy_read(cursor: Any, table: str, schema: dict[str, pl.DataType], where: str) -> pl.DataFrame:
    """The rows as PostgreSQL's COPY writes them in CSV, read by polars: null is an unquoted
    empty field and empty text a quoted one, which polars reads back as they were."""
    names = ", ".join(f'"{c}"' for c in schema)
    condition = f" WHERE {where}" if where else ""
    sql = f'COPY (SELECT {names} FROM "{table}"{condition}) TO STDOUT (FORMAT csv)'
    frames = [pl.DataFrame(schema=schema)]
    text = bytearray()
    with cursor.copy(sql) as copy:
        for data in copy:
            text += data
            if len(text) >= COPY_CHUNK and (end := rows_end(text)):
                frames.append(pl.read_csv(bytes(text[:end]), has_header=False, schema=schema))
                del text[:end]
    if text:
        frames.append(pl.read_csv(bytes(text), has_header=False, schema=schema))
    return pl.concat(frames, rechunk=False)


def rows_end(text: bytes | bytearray) -> int:
    """Where the last whole row of CSV `text` ends (after its newline; 0: no whole row yet).

    A newline ends a row unless it is inside a quoted field, which is when an odd number of
    quotes comes before it: a quote inside a field is written twice.
    """
    quotes = text.count(b'"')
    newline = text.rfind(b"\n")
    while newline >= 0:
        if (quotes - text.count(b'"', newline)) % 2 == 0:
            return newline + 1
        newline = text.rfind(b"\n", 0, newline)
    return 0


def _sqlite_read(
    cursor: Any, table: str, schema: dict[str, pl.DataType], where: str
) -> pl.DataFrame:
    """Each column as one JSON array per chunk of rowids: polars decodes that much faster than
    Python makes a tuple per row. Floats travel as SQLite's `quote` text, which reads back as
    the same double (its JSON numbers keep only 15 digits); lists as the JSON they are stored
    as."""
    low, high = cursor.execute(f'SELECT min(rowid), max(rowid) FROM "{table}"').fetchone()
    arrays = ", ".join(f"json_group_array({_sqlite_value(c, t)})" for c, t in schema.items())
    condition = f" AND ({where})" if where else ""
    chunks = [pl.DataFrame(schema=schema)]
    for start in range(low or 0, (high or -1) + 1, SQLITE_CHUNK):
        texts = cursor.execute(
            f'SELECT {arrays} FROM "{table}"'
            f" WHERE rowid BETWEEN {start} AND {start + SQLITE_CHUNK - 1}{condition}"
        ).fetchone()
        columns = [
            _decoded(text, name, dtype)
            for text, (name, dtype) in zip(texts, schema.items(), strict=True)
        ]
        chunks.append(pl.DataFrame(columns))
    return pl.concat(chunks, rechunk=False)


def _sqlite_value(column: str, dtype: pl.DataType) -> str:
    """A column's value as it goes into the chunk's JSON array: a float as `quote` text, a
    list (stored as JSON text) as JSON itself, so that it is decoded once."""
    if dtype == pl.Float64:
        return f'CASE WHEN "{column}" IS NULL THEN NULL ELSE quote("{column}") END'
    if isinstance(dtype, pl.List):
        return f'json("{column}")'
    return f'"{column}"'


def _decoded(text: str, name: str, dtype: pl.DataType) -> pl.Series:
    """One column from its JSON array (of `quote` texts, for floats)."""
    sent = pl.String() if dtype == pl.Float64 else dtype
    return pl.Series([text]).str.json_decode(pl.List(sent))[0].cast(dtype).alias(name)


def insert_rows(conn: Connection, table: Table, stored: pl.DataFrame) -> None:
    """Insert the rows of `stored` (in `stored_form`) into `table`."""
    if stored.is_empty():
        return
    names = ", ".join(f'"{c}"' for c in stored.columns)
    if route(conn) == "sqlite":
        marks = ", ".join("?" for _ in stored.columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        _sqlite_executemany(conn, sql, stored)
    elif route(conn) == "copy":
        _copy(conn, table.name, stored)
    else:
        conn.execute(insert(table), _python_rows(stored, table))


def upsert_rows(conn: Connection, table: Table, stored: pl.DataFrame, key: list[str]) -> None:
    """Insert the rows of `stored`, each replacing the stored row with the same `key`.

    An update in place where the database can (ON CONFLICT): cheaper than a delete and an
    insert, as the key's index entries stay.
    """
    if stored.is_empty():
        return
    names = ", ".join(f'"{c}"' for c in stored.columns)
    keys = ", ".join(f'"{c}"' for c in key)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in stored.columns if c not in key)
    conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    if route(conn) == "sqlite":
        marks = ", ".join("?" for _ in stored.columns)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks}) {conflict}'
        _sqlite_executemany(conn, sql, stored)
    elif route(conn) == "copy":
        with _incoming(conn, table, stored) as incoming:
            conn.exec_driver_sql(
                f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{incoming}" {conflict}'
            )
    else:
        delete_keys(conn, table, stored.select(key))
        insert_rows(conn, table, stored)


def update_rows(conn: Connection, table: Table, stored: pl.DataFrame, key: list[str]) -> None:
    """Set the other columns of `stored` in the rows of `table` with the same `key`."""
    if stored.is_empty():
        return
    values = [c for c in stored.columns if c not in key]
    if route(conn) == "sqlite":
        sets = ", ".join(f'"{c}" = ?' for c in values)
        where = " AND ".join(f'"{c}" = ?' for c in key)
        sql = f'UPDATE "{table.name}" SET {sets} WHERE {where}'
        _sqlite_executemany(conn, sql, stored.select(*values, *key))
    elif route(conn) == "copy":
        with _incoming(conn, table, stored) as incoming:
            sets = ", ".join(f'"{c}" = i."{c}"' for c in values)
            where = " AND ".join(f't."{c}" = i."{c}"' for c in key)
            conn.exec_driver_sql(
                f'UPDATE "{table.name}" AS t SET {sets} FROM "{incoming}" AS i WHERE {where}'
            )
    else:
        statement = (
            update(table)
            .where(and_(*[table.c[c] == bindparam(f"key_{c}") for c in key]))
            .values({c: bindparam(f"new_{c}") for c in values})
        )
        rows = [
            {f"key_{c}" if c in key else f"new_{c}": v for c, v in row.items()}
            for row in _python_rows(stored, table)
        ]
        conn.execute(statement, rows)


def delete_keys(conn: Connection, table: Table, keys: pl.DataFrame) -> None:
    """Delete the rows of `table` whose columns equal one row of `keys`."""
    if keys.is_empty():
        return
    if route(conn) == "sqlite":
        where = " AND ".join(f'"{c}" = ?' for c in keys.columns)
        _sqlite_executemany(conn, f'DELETE FROM "{table.name}" WHERE {where}', keys)
        return
    matches = [table.c[c] == bindparam(f"key_{c}") for c in keys.columns]
    conn.execute(delete(table).where(and_(*matches)), keys.rename(lambda c: f"key_{c}").to_dicts())


def _sqlite_executemany(conn: Connection, sql: str, rows: pl.DataFrame) -> None:
    """Run `sql` once per row of `rows`, in the caller's transaction, straight on the driver.

    The rows go as an iterator of tuples zipped from each column's Python values: cheaper than
    polars making the tuples (`DataFrame.rows`); SQLITE_WRITE_CHUNK rows' values at a time.
    """
    raw: Any = conn.connection.dbapi_connection
    cursor = raw.cursor()
    try:
        for chunk in rows.iter_slices(SQLITE_WRITE_CHUNK):
            values = [chunk[c].to_list() for c in chunk.columns]
            cursor.executemany(sql, zip(*values, strict=True))
    finally:
        cursor.close()


@contextmanager
def _incoming(conn: Connection, table: Table, stored: pl.DataFrame) -> Iterator[str]:
    """A temporary table holding the rows of `stored` (by COPY), to read from in one statement.

    Made once per connection and emptied after use: a table made and dropped on every run
    would churn the system catalogs.
    """
    incoming = f"incoming_{table.name}"
    conn.exec_driver_sql(
        f'CREATE TEMP TABLE IF NOT EXISTS "{incoming}" AS SELECT * FROM "{table.name}" WITH NO DATA'
    )
    _copy(conn, incoming, stored)
    yield incoming
    conn.exec_driver_sql(f'DELETE FROM "{incoming}"')


def _copy(conn: Connection, table: str, stored: pl.DataFrame) -> None:
    """COPY the rows into `table`. CSV as polars writes it is what COPY reads: null as an
    unquoted empty field, "" for empty text, floats in their shortest exact form."""
    names = ", ".join(f'"{c}"' for c in stored.columns)
    raw: Any = conn.connection.dbapi_connection
    sql = f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv)'
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(stored.write_csv(include_header=False))


def _python_rows(stored: pl.DataFrame, table: Table) -> list[dict[str, Any]]:
    """Stored-form rows as the Python values SQLAlchemy's column types take."""
    kinds = {c.name: c.type for c in table.columns}
    return stored.with_columns(
        pl.col(c).str.to_date(DATE_FORMAT) if isinstance(kinds[c], Date) else pl.col(c).cast(bool)
        for c in stored.columns
        if isinstance(kinds[c], Boolean | Date)
    ).to_dicts()
