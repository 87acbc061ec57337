"""One run at a time: locks that a crash cannot leave stale.

Two locks, both released by someone other than the holder when the holder dies, however it
dies (including kill -9), so there is never a stale lock for a person to clean up:

- a `flock` on ``<project>/.journey.lock`` (the kernel drops it when the process exits); the
  file records who holds it so a second run can say so;
- on PostgreSQL, also a session-level advisory lock (the server drops it when the holder's
  connection closes), so two machines sharing one database exclude each other too.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from journey.errors import LockedError

#: The advisory lock key every journey run takes on PostgreSQL (any constant < 2**31).
ADVISORY_KEY = 0x4A524E59  # "JRNY"
#: How long to wait for the database lock: long enough for the server to notice that a killed
#: holder's connection has gone, short enough that a second cron job fails fast.
DATABASE_LOCK_WAIT = "5s"


def holder_description(purpose: str) -> str:
    """Who is taking a lock: what, which process on which host, since when."""
    since = datetime.now(UTC).isoformat(timespec="seconds")
    return f"{purpose} (pid {os.getpid()} on {socket.gethostname()}, since {since})"


@contextmanager
def file_lock(path: Path, purpose: str) -> Iterator[None]:
    """Hold the flock at `path` for the block, or raise LockedError (75) naming the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the block)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            with suppress(ValueError, KeyError, TypeError):
                holder = json.loads(holder)["holder"]
            raise LockedError(
                f"another run holds the lock {path}: {holder}. It releases the lock when it "
                "ends, even if it crashes; try again later"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"holder": holder_description(purpose), "pid": os.getpid()}))
        handle.flush()
        yield
    finally:
        handle.close()


def _advisory_holder(conn: Connection) -> str:
    row = conn.execute(
        text(
            "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid = 0 AND l.objid = :key"
        ),
        {"key": ADVISORY_KEY},
    ).first()
    if row is None:
        return "another client (it may just have finished)"
    name, addr, since = row
    return f"{name or 'an unnamed client'} from {addr or 'a local socket'}, connected {since}"


@contextmanager
def database_lock(engine: Engine, purpose: str) -> Iterator[None]:
    """On PostgreSQL, hold the journey advisory lock for the block; elsewhere do nothing."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")
        # application_name is what a second run reports as the holder.
        conn.execute(
            text("SELECT set_config('application_name', :name, false)"),
            {"name": f"journey {os.getpid()}@{socket.gethostname()}: {purpose}"[:63]},
        )
        conn.execute(text(f"SET lock_timeout = '{DATABASE_LOCK_WAIT}'"))
        try:
            conn.execute(text("SELECT pg_advisory_lock(0, :key)"), {"key": ADVISORY_KEY})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            raise LockedError(
                f"another run holds the database lock: {_advisory_holder(conn)}. It releases "
                "the lock when it ends, even if it crashes; try again later"
            ) from None
        try:
            yield
        finally:
            # If the connection died during the run, the server has dropped the lock already.
            with suppress(SQLAlchemyError):
                conn.execute(text("SELECT pg_advisory_unlock(0, :key)"), {"key": ADVISORY_KEY})
                conn.execute(text("RESET lock_timeout"))


@contextmanager
def run_lock(path: Path, purpose: str, engine: Engine | None = None) -> Iterator[None]:
    """The project's run lock (a file) and, on PostgreSQL, the database's; or LockedError."""
    with file_lock(path, purpose):
        if engine is None:
            yield
        else:
            with database_lock(engine, purpose):
                yield
