"""Safe YAML loading that remembers where every key and item came from.

ruamel.yaml's round-trip loader is safe (it builds only plain data, never Python objects),
reads YAML 1.2 (so `no` and `on` stay strings), and rejects duplicate keys. The data is
converted to plain Python values; `positions` maps each key path to its 1-based line and
column so that validation errors can point at the line to fix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from journey.config.errors import ConfigProblem

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """A loaded YAML file: plain data plus the position of every node."""

    path: Path
    display: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: tuple[Any, ...]) -> tuple[int | None, int | None, str]:
        """The line, column and dotted key path of the deepest node of `loc` in the file.

        Segments that are not in the YAML (pydantic's union tags, wrapper fields) are skipped.
        """
        path: KeyPath = ()
        for segment in loc:
            candidate = (*path, segment)
            if candidate in self.positions:
                path = candidate
        line, column = self.positions.get(path, (None, None))
        if line is None and self.positions:
            line, column = 1, 1
        return line, column, ".".join(str(p) for p in path)


def _plain(node: Any, path: KeyPath, positions: dict[KeyPath, tuple[int, int]]) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, str(key))
            try:
                line, col = node.lc.key(key)
                positions[child] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                positions[child] = positions.get(path, (1, 1))
            out[str(key) if not isinstance(key, bool | int) else key] = _plain(
                value, child, positions
            )
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
                positions[child] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                positions[child] = positions.get(path, (1, 1))
            items.append(_plain(value, child, positions))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return dt.datetime.fromisoformat(node.isoformat())
    if isinstance(node, dt.date):
        return dt.date(node.year, node.month, node.day)
    if isinstance(node, str):
        return str(node)
    return node


def load_yaml(path: Path, display: str) -> YamlDocument:
    """Load one YAML file; raises a ConfigProblem-carrying ValueError on syntax errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(ConfigProblem(display, f"not UTF-8 text ({exc.reason})")) from exc
    if "\t" in text:
        line_no = text[: text.index("\t")].count("\n") + 1
        raise YamlSyntaxError(
            ConfigProblem(
                display,
                "tab character; YAML indentation must use spaces",
                line=line_no,
                hint="replace tabs with spaces",
            )
        )
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        if "duplicate key" in str(exc):
            problem = "duplicate key: " + str(exc.problem or "").replace("found duplicate key", "")
        raise YamlSyntaxError(
            ConfigProblem(
                display,
                problem.strip(),
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ) from exc
    except YAMLError as exc:
        raise YamlSyntaxError(ConfigProblem(display, f"invalid YAML: {exc}")) from exc
    positions: dict[KeyPath, tuple[int, int]] = {(): (1, 1)}
    return YamlDocument(path, display, _plain(node, (), positions), positions)


class YamlSyntaxError(ValueError):
    """A file that is not valid YAML; carries the problem with its position."""

    def __init__(self, problem: ConfigProblem) -> None:
        super().__init__(problem.render())
        self.problem = problem
