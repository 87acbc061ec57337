"""Exit codes and the errors users can cause. The CLI renders them without a traceback."""

from __future__ import annotations

import errno
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of every `journey` command (DESIGN §7)."""

    OK = 0
    """Success. Off-track accounts are output, not failure."""
    INTERNAL = 1
    """An internal error: a bug in journey; please report it with the log."""
    USAGE = 2
    """The command line was wrong: unknown option, bad date, missing argument."""
    CONFIG = 3
    """The YAML in config/ is invalid; every problem is listed with file:line."""
    DATA = 4
    """Input data failed its contract (missing file/column, wrong type) or is stale."""
    DELIVERY = 5
    """Email delivery failed for at least one recipient."""
    LOCKED = 75
    """Another run holds the lock; try again later (EX_TEMPFAIL)."""
    PIPE_CLOSED = 141
    """Whatever read the output stopped reading (`journey status | head`): the shell's code
    for a process ended by SIGPIPE, as `cat` or `grep` would end."""


class JourneyError(Exception):
    """An error a user can cause; carries its exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(JourneyError):
    exit_code = ExitCode.USAGE


class DataError(JourneyError):
    exit_code = ExitCode.DATA


class LockedError(JourneyError):
    exit_code = ExitCode.LOCKED


class NotFoundError(JourneyError):
    """Something asked for (an account, a run) is not in the store."""

    exit_code = ExitCode.USAGE


def out_of_space(exc: BaseException) -> bool:
    """Whether `exc` says a disk is full: an OSError, or polars' text of one."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return "No space left on device" in str(exc) or "os error 28" in str(exc)
