"""Database engines, made when a command runs (never at import time).

SQLite is the default (a file next to the config); PostgreSQL via a URL in settings or
JOURNEY_DATABASE_URL. `make_engine` brings the schema up to date with the alembic migrations
in journey/store/migrations (see `journey.store.migrate`), so no separate step is needed after
an upgrade of journey. Connection problems become a `StoreError` whose message never holds a
password.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from journey.errors import ExitCode, JourneyError
from journey.security import mask_secrets
from journey.sessions import tables as session_tables  # noqa: F401  (sessions, snoozes)
from journey.store import outbox, tables  # noqa: F401  (registers the tables)

ENV_URL = "JOURNEY_DATABASE_URL"


class StoreError(JourneyError):
    """The database cannot be reached or used (exit 1); the message is password-free."""

    exit_code = ExitCode.INTERNAL


def database_url(configured: str, root: Path) -> str:
    """The database URL: JOURNEY_DATABASE_URL, else settings; relative SQLite paths -> root.

    A relative SQLite path from settings.yaml must stay inside the project folder.
    """
    from_env = os.environ.get(ENV_URL)
    url = from_env or configured
    try:
        parsed = make_url(url)
    except ArgumentError:
        where = ENV_URL if from_env else "settings.yaml `database`"
        raise StoreError(
            f"{where} is not a database URL: {mask_secrets(url)!r}; expected e.g. "
            "sqlite:///journey.db or postgresql+psycopg://user@host/db"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.is_absolute():
            if not from_env:
                from journey.config.loader import confined_path

                confined_path(root, str(path), "database")
            parsed = parsed.set(database=str(root / path))
        return parsed.render_as_string(hide_password=False)
    return url


def safe_url(url: str) -> str:
    """The URL with any password masked, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return mask_secrets(url)


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": 10, "application_name": "journey"}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def check_connection(engine: Engine) -> None:
    """Connect once; a StoreError with a password-free message if that fails."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        raise StoreError(describe_db_error(engine, exc)) from None


def describe_db_error(engine: Engine, exc: BaseException) -> str:
    """A one-line, password-free description of a database error."""
    orig = getattr(exc, "orig", None) or exc
    detail = " ".join(str(orig).split()) or type(orig).__name__
    where = engine.url.render_as_string(hide_password=True)
    return mask_secrets(f"cannot use the database {where}: {detail[:500]}")


#: Every engine this process made and still holds (`dispose_engines`).
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_engines() -> None:
    """Close the pooled connections of every engine this process made. A SQLite file's last
    connection to close checkpoints its write-ahead log into the file and removes it; a
    connection never closed leaves the log for the next process to replay (seconds after a
    large run)."""
    for engine in list(_ENGINES):
        engine.dispose()


def make_engine(url: str, *, migrate: bool = True) -> Engine:
    """An engine whose schema is up to date (migrations applied unless `migrate=False`)."""
    try:
        engine = _create(url)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(mask_secrets(f"cannot open the database {safe_url(url)}: {exc}")) from None
    _ENGINES.add(engine)
    from journey.store.migrate import sqlite_file_lock, upgrade

    with sqlite_file_lock(engine):  # the first connection to a new SQLite file makes it WAL
        check_connection(engine)
    if migrate:
        try:
            upgrade(engine)
        except SQLAlchemyError as exc:
            raise StoreError(describe_db_error(engine, exc)) from None
    return engine
