"""A test hook for crash-safety tests: kill this process at a named point of a run.

Set ``JOURNEY_FAULT_POINT`` to one of `FAULT_POINTS` and the process sends itself SIGKILL
when it reaches that point, exactly as `kill -9` or the OOM killer would. It exists so the
fault tests can prove that a run killed anywhere leaves the store as it was before the run or
as after it. Never set it in production; with it unset the hook does nothing.
"""

from __future__ import annotations

import os
import signal

ENV_FAULT_POINT = "JOURNEY_FAULT_POINT"

FAULT_POINTS = (
    "after_lock",  # the run lock is held, nothing read yet
    "after_evaluate",  # results computed, nothing written
    "mid_write",  # inside the transaction: history and ledger written, current state not
    "before_commit",  # inside the transaction: everything written, not committed
    "after_commit",  # committed, quarantine files not yet written
)


def fault_point(name: str) -> None:
    """Kill this process with SIGKILL if JOURNEY_FAULT_POINT names this point."""
    if name not in FAULT_POINTS:  # a typo in a call site must not silently never fire
        raise ValueError(f"unknown fault point {name!r}")
    if os.environ.get(ENV_FAULT_POINT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
