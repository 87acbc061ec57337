"""Errors about input data. The CLI maps them to exit code 4."""

from __future__ import annotations


class InputError(ValueError):
    """Input data failed its contract: a missing file or column, or a wrong type."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (polars puts its plan below it); the error's
    type when the message is empty."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
