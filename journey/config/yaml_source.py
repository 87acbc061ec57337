"""Safe YAML loading that remembers where every key and value came from.

ruamel.yaml's round-trip loader is safe (it builds only plain data, never Python objects),
reads YAML 1.2 (so `no` and `on` stay strings), and rejects duplicate keys. The data is
converted to plain Python values; `positions` maps each key path to the 1-based line and
column of its key (or list item) and `value_positions` to where its value starts, so that
validation errors can point at the line to fix and show it.

YAML 1.1 surprises: an unquoted `yes`, `no`, `on`, `off`, `y` or `n` (any case) is text in
YAML 1.2, which journey reads, but a boolean to YAML 1.1 tools and to many readers. Each one
is reported as a warning (`yaml11-boolean`): quote it if you mean text, write true/false if you
mean a boolean.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import ScalarString

from journey.config.errors import ConfigProblem, Severity

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]

#: Plain scalars that YAML 1.1 reads as booleans but YAML 1.2 (journey) reads as text.
YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "y", "n"})


@dataclass
class YamlDocument:
    """A loaded YAML file: plain data, its source lines, and the position of every node."""

    path: Path
    display: str
    data: Any
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    value_positions: dict[KeyPath, Position] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)

    def known_path(self, loc: tuple[Any, ...]) -> KeyPath:
        """The deepest prefix of `loc` that exists in the file.

        Segments that are not in the YAML (pydantic's union tags, wrapper fields) are skipped.
        """
        path: KeyPath = ()
        for segment in loc:
            candidate = (*path, segment)
            if candidate in self.positions:
                path = candidate
        return path

    def locate(
        self, loc: tuple[Any, ...], at_value: bool = False
    ) -> tuple[int | None, int | None, str]:
        """Line, column and dotted key path of the deepest node of `loc` in the file."""
        path = self.known_path(loc)
        spot = self.value_positions.get(path) if at_value else None
        found = spot or self.positions.get(path)
        line, column = found if found else (1, 1) if self.positions else (None, None)
        return line, column, ".".join(str(p) for p in path)

    def source_line(self, line: int | None) -> str | None:
        """The text of a 1-based line, if the file has it."""
        if line is None or not 1 <= line <= len(self.lines):
            return None
        return self.lines[line - 1]

    def problem(
        self,
        loc: tuple[Any, ...],
        message: str,
        *,
        code: str,
        hint: str | None = None,
        severity: Severity = "error",
        at_value: bool = False,
    ) -> ConfigProblem:
        """A problem at `loc`, with the offending line attached."""
        line, column, key = self.locate(loc, at_value)
        return ConfigProblem(
            self.display,
            message,
            line,
            column,
            key,
            hint,
            severity,
            code,
            self.source_line(line),
        )


class _Walker:
    """Converts ruamel nodes to plain data, recording positions and YAML 1.1 booleans."""

    def __init__(self) -> None:
        self.positions: dict[KeyPath, Position] = {(): (1, 1)}
        self.value_positions: dict[KeyPath, Position] = {(): (1, 1)}
        self.ambiguous: list[KeyPath] = []

    def plain(self, node: Any, path: KeyPath) -> Any:
        if isinstance(node, CommentedMap):
            out: dict[Any, Any] = {}
            for key, value in node.items():
                child = (*path, str(key))
                self._record(
                    child, path, lambda k=key: node.lc.key(k), lambda k=key: node.lc.value(k)
                )
                out[str(key) if not isinstance(key, bool | int) else key] = self.plain(value, child)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for index, value in enumerate(node):
                child = (*path, index)
                self._record(child, path, lambda i=index: node.lc.item(i), None)
                items.append(self.plain(value, child))
            return items
        return self.scalar(node, path)

    def _record(self, child: KeyPath, parent: KeyPath, key_pos: Any, value_pos: Any) -> None:
        try:
            line, col = key_pos()
            self.positions[child] = (line + 1, col + 1)
        except (KeyError, TypeError, AttributeError):
            self.positions[child] = self.positions.get(parent, (1, 1))
        try:
            line, col = (value_pos or key_pos)()
            self.value_positions[child] = (line + 1, col + 1)
        except (KeyError, TypeError, AttributeError):
            self.value_positions[child] = self.positions[child]

    def scalar(self, node: Any, path: KeyPath) -> Any:
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
            if not isinstance(node, ScalarString) and node.lower() in YAML11_BOOLEANS:
                self.ambiguous.append(path)
            return str(node)
        return node


_TAB_OUTSIDE_COMMENT = re.compile(r"^[^#]*?\t")


def _tab_problem(display: str, text: str) -> ConfigProblem | None:
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TAB_OUTSIDE_COMMENT.match(line)
        if match:
            return ConfigProblem(
                display,
                "tab character; YAML indentation and spacing must use spaces",
                number,
                match.end(),
                hint="replace each tab with spaces (set your editor to insert spaces)",
                code="tab",
                source=line.replace("\t", " "),
            )
    return None


def _syntax_problem(display: str, lines: list[str], exc: MarkedYAMLError) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    message = (exc.problem or exc.context or "invalid YAML").strip()
    code, hint = "yaml-syntax", "check the indentation, colons and brackets on this line"
    duplicate = re.search(r'found duplicate key "(.*?)"', str(exc.problem or ""))
    if duplicate:
        code = "duplicate-key"
        message = f"duplicate key `{duplicate.group(1)}` in the same mapping"
        hint = "delete one of the two, or merge them; only one value can win"
    if line is not None and message in _KEY_TROUBLE:
        hint = _missing_colon(lines, line) or _KEY_TROUBLE[message]
    source = lines[line - 1] if line is not None and 0 < line <= len(lines) else None
    return ConfigProblem(display, message, line, column, "", hint, "error", code, source)


#: Messages of a `key: value` where YAML cannot start one, with the hint when no line before
#: it lost its colon.
_KEY_TROUBLE = {
    "mapping values are not allowed here": (
        "check the indentation (keys of one mapping start in the same column); "
        'a value with ": " in it needs quotes, e.g. name: "Acme: EMEA"'
    ),
    "expected <block end>, but found '<block mapping start>'": (
        "check the indentation: keys of one mapping start in the same column"
    ),
}


def _missing_colon(lines: list[str], line: int) -> str | None:
    """A hint naming the line before `line` when it is a key that lost its colon (`- id
    first_login`, `- id:first_login`): YAML read it as text and fails only at `line`."""
    before = [
        (number, text)
        for number, text in enumerate(lines[: line - 1], start=1)
        if text.strip() and not text.lstrip().startswith("#")
    ]
    if before:
        number, text = before[-1]
        entry = text.split("#", 1)[0].strip().removeprefix("- ").strip()
        keyed = ": " in entry or entry.endswith(":")
        if not keyed and not entry.startswith(("{", "[", "'", '"')):
            return (
                f"line {number} (`{text.strip()}`) is not `key: value`: "
                "it needs a colon followed by a space"
            )
    return None


def load_yaml(path: Path, display: str) -> YamlDocument:
    """Load one YAML file; raises YamlSyntaxError (carrying the problem) if it is not valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(
            ConfigProblem(display, f"not UTF-8 text ({exc.reason})", code="encoding")
        ) from exc
    lines = text.splitlines()
    tab = _tab_problem(display, text)
    if tab is not None:
        raise YamlSyntaxError(tab)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True  # so an unquoted `no` can be told from a quoted "no"
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        raise YamlSyntaxError(_syntax_problem(display, lines, exc)) from exc
    except YAMLError as exc:
        raise YamlSyntaxError(
            ConfigProblem(display, f"invalid YAML: {exc}", code="yaml-syntax")
        ) from exc
    walker = _Walker()
    data = walker.plain(node, ())
    doc = YamlDocument(path, display, data, walker.positions, walker.value_positions, lines, [])
    for ambiguous in walker.ambiguous:
        value = _get(data, ambiguous)
        doc.warnings.append(
            doc.problem(
                ambiguous,
                f"unquoted `{value}` is read as the text {value!r} (YAML 1.2), but YAML 1.1 "
                "tools and many readers take it as a boolean",
                code="yaml11-boolean",
                hint=f'write "{value}" (quoted) if you mean text, or true/false for a boolean',
                severity="warning",
                at_value=True,
            )
        )
    return doc


def _get(data: Any, path: KeyPath) -> Any:
    for segment in path:
        data = data[segment]
    return data


class YamlSyntaxError(ValueError):
    """A file that is not valid YAML; carries the problem with its position."""

    def __init__(self, problem: ConfigProblem) -> None:
        super().__init__(problem.headline())
        self.problem = problem
