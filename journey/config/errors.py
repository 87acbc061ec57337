"""Configuration problems, each tied to a file, a line and a key path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong (or doubtful) in the configuration."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    key: str = ""
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def render(self) -> str:
        key = f" {self.key}:" if self.key else ""
        hint = f" ({self.hint})" if self.hint else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location()}: {prefix}{key} {self.message}{hint}".replace(":  ", ": ")


class ConfigError(Exception):
    """The configuration is invalid; carries every problem found (exit code 3)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(p.render() for p in errors or problems))
