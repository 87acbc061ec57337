"""Configuration problems, each tied to a file, a line, a column and a key path.

A problem renders like a compiler message, so that someone who does not read Python can find
the line to fix and see what to write instead:

    config/journeys/j.yaml:5:20: error: milestones.0.when.metric: metric `loginz` is not
    defined in metrics.yaml
        5 |     when: {metric: loginz, gte: 1}
          |                    ^
      hint: did you mean `logins`?
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong (or doubtful) in the configuration.

    `code` names the kind of problem (e.g. `unknown-key`, `undefined-metric`) for machines and
    tests; `source` is the text of the offending line, shown with a caret under `column`.
    """

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    key: str = ""
    hint: str | None = None
    severity: Severity = "error"
    code: str = "invalid"
    source: str | None = None

    def location(self) -> str:
        """`file:line:column`, as far as it is known."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def headline(self) -> str:
        """The first line: location, severity, key path and message."""
        key = f" {self.key}:" if self.key else ""
        return f"{self.location()}: {self.severity}:{key} {self.message}"

    def render(self) -> str:
        """The headline, the offending source line with a caret, and the hint."""
        lines = [self.headline()]
        if self.source is not None and self.line is not None:
            gutter = f"{self.line:>5} | "
            lines.append(gutter + self.source.rstrip())
            caret_at = max((self.column or 1) - 1, 0)
            lines.append(" " * (len(gutter) - 2) + "| " + " " * caret_at + "^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (`journey check --format json`)."""
        return asdict(self)


def sort_key(problem: ConfigProblem) -> tuple[str, int, int, str]:
    """Order problems by file, then position, so output reads top to bottom."""
    return (problem.file, problem.line or 0, problem.column or 0, problem.message)


class ConfigError(Exception):
    """The configuration is invalid; carries every problem found (exit code 3)."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(p.headline() for p in errors or problems))
