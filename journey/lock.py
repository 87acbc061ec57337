"""One run at a time: an OS file lock that a crash cannot leave stale.

`flock` locks are released by the kernel when the holding process exits, however it exits
(including kill -9), so there is never a stale lock to clean up. The file records who holds it
so a second run can say so.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from journey.errors import LockedError


@contextmanager
def run_lock(path: Path, purpose: str) -> Iterator[None]:
    """Hold the lock at `path` for the duration of the block, or raise LockedError (75)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the block)
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LockedError(f"another run holds the lock {path}: {holder}") from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "purpose": purpose,
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
        yield
    finally:
        handle.close()
