"""Errors about input data. The CLI maps them to exit code 4."""

from __future__ import annotations


class InputError(ValueError):
    """Input data failed its contract: a missing file or column, or a wrong type."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source
