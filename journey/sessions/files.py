"""Read a session from a file the scribe filled in: YAML, or CSV with one row per contribution.

Every problem names the file and the line to fix, all problems at once (exit code 3).

YAML::

    date: 2024-03-08
    attendees: [Ana Lopez, Ben (champion)]
    goal: Their admins run the weekly report themselves, so usage spreads to the team.
    notes:
      - fact: Only one admin has logged in since kickoff.
      - opinion: The champion is losing interest.
    commitments:
      - {owner: ana@example.com, next_step: Book admin training, due: 2024-03-15}

CSV (columns ``kind,text,owner,due``; kind is date, attendee, goal, fact, opinion or
commitment; a commitment's text is its next step)::

    kind,text,owner,due
    date,2024-03-08,,
    goal,Their admins run the weekly report themselves,,
    fact,Only one admin has logged in since kickoff,,
    commitment,Book admin training,ana@example.com,2024-03-15
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from journey.config.errors import ConfigProblem
from journey.config.loader import did_you_mean
from journey.config.yaml_source import YamlDocument, YamlSyntaxError, load_yaml
from journey.errors import ExitCode, JourneyError
from journey.sessions.models import SessionIn, date_problems

CSV_COLUMNS = ("kind", "text", "owner", "due")
_DATE_LIKE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
CSV_KINDS = ("date", "attendee", "goal", "fact", "opinion", "commitment")


class SessionFileError(JourneyError):
    """A session file with problems; each is rendered as file:line: message."""

    exit_code = ExitCode.CONFIG

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = [f"invalid session file ({len(problems)} problem(s)):"]
        lines += [f"  {problem.render()}" for problem in problems]
        super().__init__("\n".join(lines))


def load_session_file(path: Path) -> SessionIn:
    """The session in `path` (.yaml/.yml or .csv), validated; SessionFileError otherwise."""
    display = str(path)
    if not path.is_file():
        raise SessionFileError([ConfigProblem(display, "no such file")])
    if path.suffix.lower() == ".csv":
        doc = _csv_document(path, display)
    elif path.suffix.lower() in (".yaml", ".yml"):
        try:
            doc = load_yaml(path, display)
        except YamlSyntaxError as exc:
            raise SessionFileError([exc.problem]) from None
        except ValueError as exc:  # ruamel rejects a date like 2024-13-01 without a position
            raise SessionFileError([_bad_date_problem(path, display, exc)]) from None
    else:
        raise SessionFileError(
            [ConfigProblem(display, "unknown file type", hint="use .yaml, .yml or .csv")]
        )
    if not isinstance(doc.data, dict):
        raise SessionFileError([ConfigProblem(display, "expected a session (date, goal, ...)", 1)])
    try:
        session = SessionIn.model_validate(doc.data)
    except ValidationError as exc:
        raise SessionFileError(_problems(doc, exc)) from None
    late = [_problem(doc, loc, message) for loc, message in date_problems(session)]
    if late:
        raise SessionFileError(late)
    return session


def _bad_date_problem(path: Path, display: str, exc: ValueError) -> ConfigProblem:
    """The first line holding a date-like value that is not a real date."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, text in enumerate(lines, start=1):
        for match in _DATE_LIKE.finditer(text):
            try:
                dt.date.fromisoformat(match.group(0))
            except ValueError:
                return ConfigProblem(display, f"{match.group(0)} is not a date ({exc})", number)
    return ConfigProblem(display, f"invalid value: {exc}")


def _problem(doc: YamlDocument, loc: tuple[Any, ...], message: str) -> ConfigProblem:
    line, column, key = doc.locate(loc)
    return ConfigProblem(doc.display, message, line, column, key)


def _problems(doc: YamlDocument, exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    known = set(SessionIn.model_fields) | {"date", "fact", "opinion", "kind", "text", "owner"}
    known |= {"next_step", "due"}
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        hint = None
        if error["type"] == "extra_forbidden":
            message = f"unknown key `{loc[-1]}`"
            hint = did_you_mean(str(loc[-1]), known)
        elif error["type"] == "missing":
            message = f"missing required key `{loc[-1]}`"
        elif error["type"] == "string_too_short":
            message = "must not be empty"
        problem = _problem(doc, loc, message)
        problems.append(
            ConfigProblem(problem.file, message, problem.line, problem.column, problem.key, hint)
        )
    return problems


def _csv_document(path: Path, display: str) -> YamlDocument:
    """A CSV session as the same plain data a YAML file gives, with each row's line."""
    data: dict[str, Any] = {"attendees": [], "notes": [], "commitments": []}
    positions: dict[tuple[str | int, ...], tuple[int, int]] = {(): (1, 1)}
    problems: list[ConfigProblem] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("kind", "text") if c not in (reader.fieldnames or [])]
        if missing:
            raise SessionFileError(
                [ConfigProblem(display, f"missing column(s) {', '.join(missing)}", 1)]
            )
        for row in reader:
            line = reader.line_num
            kind = (row.get("kind") or "").strip().lower()
            text = (row.get("text") or "").strip()
            if kind in ("attendee", "fact", "opinion", "commitment"):
                group = {"attendee": "attendees", "commitment": "commitments"}.get(kind, "notes")
                positions.setdefault((group,), (line, 1))
            if kind in ("date", "goal"):
                data[kind] = text
                positions[(kind,)] = (line, 1)
            elif kind == "attendee":
                data["attendees"].append(text)
            elif kind in ("fact", "opinion"):
                positions[("notes", len(data["notes"]))] = (line, 1)
                data["notes"].append({"kind": kind, "text": text})
            elif kind == "commitment":
                index = len(data["commitments"])
                positions[("commitments", index)] = (line, 1)
                for key in ("owner", "next_step", "due"):
                    positions[("commitments", index, key)] = (line, 1)
                due = (row.get("due") or "").strip() or None
                owner = (row.get("owner") or "").strip()
                data["commitments"].append({"owner": owner, "next_step": text, "due": due})
            elif kind or text:
                hint = did_you_mean(kind, CSV_KINDS) or f"one of {', '.join(CSV_KINDS)}"
                problems.append(ConfigProblem(display, f"unknown kind {kind!r}", line, 1, "", hint))
    if problems:
        raise SessionFileError(problems)
    return YamlDocument(path, display, data, positions)
