"""Pydantic validation errors -> ConfigProblems with a line, the source text and a hint.

Each error is located in the YAML (`YamlDocument.locate`) and reworded for someone who edits
YAML, not Python: an unknown key gets a did-you-mean from the keys valid at that place, an
enum the allowed values, a wrong type the expected type and what was written. The several
errors pydantic reports for one value of a union type become one problem.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from journey.config.errors import ConfigProblem
from journey.config.model_keys import keys_at
from journey.config.yaml_source import YamlDocument

#: What each pydantic type error expected, in words.
EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "datetime_type": "a date-time",
    "datetime_parsing": "a date-time",
    "datetime_from_date_parsing": "a date-time",
    "tuple_type": "a list, e.g. [a, b]",
    "list_type": "a list, e.g. [a, b]",
    "dict_type": "a mapping of keys, e.g. {key: value}",
    "model_type": "a mapping of keys, e.g. {key: value}",
    "model_attributes_type": "a mapping of keys, e.g. {key: value}",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """`did you mean `x`?` for the closest choice, or None when nothing is close."""
    match = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


def suggest(word: str, choices: Iterable[str], what: str) -> str:
    """A did-you-mean, or else the list of valid choices."""
    options = list(dict.fromkeys(choices))
    close = did_you_mean(word, options)
    if close:
        return close
    if not options:
        return f"no {what} is allowed here"
    return f"{what} allowed here: " + ", ".join(f"`{o}`" for o in options)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (an empty value)"
    return f"`{value}`"


def _problem(
    doc: YamlDocument, root: type[BaseModel], error: ErrorDetails, loc: tuple[Any, ...]
) -> ConfigProblem:
    kind = error["type"]
    value = error.get("input")
    message = error["msg"].removeprefix("Value error, ")
    hint: str | None = None
    # A block mapping or list starts on the line after its key: point at the key then.
    at_value = not isinstance(value, dict | list)
    code = "invalid-value"
    if kind == "extra_forbidden":
        unknown = str(loc[-1])
        message, code, at_value = f"unknown key `{unknown}`", "unknown-key", False
        hint = suggest(unknown, keys_at(root, loc[:-1]), "keys")
    elif kind == "missing":
        message, code, at_value = f"missing required key `{loc[-1]}`", "missing-key", False
    elif kind == "literal_error":
        allowed = error.get("ctx", {}).get("expected", "")
        message, code = f"{_shown(value)} is not one of the allowed values: {allowed}", "enum"
        hint = did_you_mean(str(value), re.findall(r"'([^']*)'", allowed))
    elif kind in EXPECTED:
        message, code = f"expected {EXPECTED[kind]}, got {_shown(value)}", "wrong-type"
    elif kind == "condition":
        code = "invalid-condition"
        if isinstance(value, str):
            hint = did_you_mean(value, ["always"]) or "conditions are written as mappings"
    elif kind == "metric":
        code = "invalid-metric"
        if isinstance(value, dict):
            words = [k for k in value if k not in ("where", "window_days", "description", "from")]
            found = [k for k in value if k in ("count", "sum", "distinct")]
            if len(found) > 1:
                message = f"a metric has one kind, but this one has {', '.join(found)}"
            else:
                hint = next(
                    (h for w in words if (h := did_you_mean(w, ["count", "sum", "distinct"]))),
                    None,
                )
    elif kind == "string_pattern_mismatch":
        code = "invalid-id"
        message, hint = _pattern_words(str(error.get("ctx", {}).get("pattern", "")), value)
    elif kind == "too_short":
        message, code = "needs at least one item", "empty-list"
    duplicate = re.match(r"milestone id `(.+)` is used twice", message)
    if duplicate:
        loc, code, at_value = _second_milestone(doc, duplicate.group(1)), "duplicate-id", True
        hint = "give each milestone of a journey its own id"
    return doc.problem(loc, message, code=code, hint=hint, at_value=at_value)


def _pattern_words(pattern: str, value: Any) -> tuple[str, str]:
    """A message and hint for a value that does not match a model's pattern."""
    if "@" in pattern:
        return f"{_shown(value)} is not an email address", "write it as name@example.com"
    if "http" in pattern:
        return f"{_shown(value)} is not a web address", "write it as https://host/path"
    if "\\-" not in pattern:  # metric names: no `-`
        return f"{_shown(value)} is not a valid name", "use letters, digits and `_` (no spaces)"
    return (
        f"{_shown(value)} is not a valid name",
        "use letters, digits, `_` and `-`, starting with a letter (no spaces)",
    )


def _second_milestone(doc: YamlDocument, milestone_id: str) -> tuple[Any, ...]:
    """Where a repeated milestone id is written the second time."""
    milestones = doc.data.get("milestones") if isinstance(doc.data, dict) else None
    seen = 0
    for index, item in enumerate(milestones or []):
        if isinstance(item, dict) and item.get("id") == milestone_id:
            seen += 1
            if seen == 2:
                return ("milestones", index, "id")
    return ("milestones",)


#: Short names of the kinds of value a union can take, for the merged message.
_SHORT = {
    "true or false": "true/false",
    "a whole number": "a number",
    "a date-time": "a date (YYYY-MM-DD)",
}


def _merge_union(problems: list[ConfigProblem], value: Any) -> ConfigProblem:
    """One problem for a value that fits none of a union's types."""
    kinds = [p.message.split(", got ")[0].removeprefix("expected ") for p in problems]
    expected = list(dict.fromkeys(_SHORT.get(kind, kind) for kind in kinds))
    first = problems[0]
    listed = ", ".join(expected[:-1]) + f" or {expected[-1]}" if len(expected) > 1 else expected[0]
    message = f"expected {listed}, got {_shown(value)}"
    if len(expected) > 2 and "a list, e.g. [a, b]" not in expected:
        message = f"expected a single value ({listed}), got {_shown(value)}"
    return ConfigProblem(
        first.file,
        message,
        first.line,
        first.column,
        first.key,
        first.hint,
        first.severity,
        first.code,
        first.source,
    )


def _misspelt_missing(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """Drop `missing key x` when an unknown key next to it is a misspelling of x."""
    meant = {
        (p.key.rsplit(".", 1)[0], p.hint)
        for p in problems
        if p.code == "unknown-key" and p.hint and p.hint.startswith("did you mean")
    }
    return [
        p
        for p in problems
        if not (
            p.code == "missing-key"
            and (p.key, f"did you mean `{p.message.split('`')[1]}`?") in meant
        )
    ]


def validation_problems(
    doc: YamlDocument, root: type[BaseModel], exc: ValidationError
) -> list[ConfigProblem]:
    """Every error of one file's validation, located and reworded, without repeats."""
    grouped: dict[tuple[Any, ...], list[tuple[ConfigProblem, Any]]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        problem = _problem(doc, root, error, loc)
        key: tuple[Any, ...] = (problem.key, problem.line, problem.column)
        if problem.code != "wrong-type":
            key = (*key, problem.message)
        grouped.setdefault(key, []).append((problem, error.get("input")))
    problems = [
        _merge_union([p for p, _ in group], group[0][1]) if len(group) > 1 else group[0][0]
        for group in grouped.values()
    ]
    return _misspelt_missing(problems)
