"""`journey check --with-data`: do the rules fit the data they will run on?

Pure: takes the column types of the sources (and the event names seen) and returns problems
located in the YAML. Errors: a rule reads a column the source lacks, or compares a column with
a value of another type (`segments.conditions.type_problems`); a metric sums or counts a
column that is missing. Warning: a metric's `where` names an event that never occurs.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import polars as pl

from journey.config.errors import ConfigProblem
from journey.config.model import ConfigModels
from journey.config.references import conditions, walk_located
from journey.config.validation import suggest
from journey.config.yaml_source import YamlDocument
from metrics.definitions import SumMetric, value_column
from segments.conditions import Comparison, type_problems

Schema = dict[str, pl.DataType]
#: source -> a column it holds as text that a metric sums -> a few values that are no number.
NotNumbers = dict[str, dict[str, list[str]]]

#: The column of the events source that holds the event name.
EVENT_COLUMN = "event"


def _source_of(models: ConfigModels, rel: str, loc: tuple[str | int, ...]) -> str:
    if rel != "metrics.yaml":
        return "accounts"
    return models.metrics[str(loc[1])].source


def data_problems(
    models: ConfigModels,
    schemas: dict[str, Schema],
    event_names: Collection[str] | None = None,
    not_numbers: NotNumbers | None = None,
) -> list[ConfigProblem]:
    """Problems of the rules against the sources' columns (`schemas` maps source -> columns)
    and, with `not_numbers`, against text in columns metrics sum."""
    problems: list[ConfigProblem] = []
    for rel, loc, condition, kind in conditions(models):
        if kind == "metric":
            continue
        source = _source_of(models, rel, loc)
        schema = schemas.get(source)
        doc = models.docs.get(rel)
        if schema is None or doc is None:
            continue
        for node, node_loc in walk_located(condition, loc):
            if not isinstance(node, Comparison):
                continue
            for message in type_problems(node, schema):
                problems.append(_type_problem(doc, node, node_loc, source, schema, message))
            if source == "events" and event_names is not None:
                problems += _unknown_events(doc, node, node_loc, event_names)
    doc = models.docs.get("metrics.yaml")
    for name, metric in models.metrics.items():
        column, schema = value_column(metric), schemas.get(metric.source)
        if doc is None or column is None or schema is None:
            continue
        if column in schema:
            examples = (not_numbers or {}).get(metric.source, {}).get(column)
            if isinstance(metric, SumMetric) and examples:
                problems.append(_not_a_number(doc, name, metric.source, column, examples))
            continue
        key = "sum" if isinstance(metric, SumMetric) else "distinct"
        problems.append(
            doc.problem(
                ("metrics", name, key),
                f"the {metric.source} source has no column `{column}`",
                code="unknown-field",
                hint=suggest(column, schema, "columns"),
                at_value=True,
            )
        )
    return problems


def _not_a_number(
    doc: YamlDocument, metric: str, source: str, column: str, examples: list[str]
) -> ConfigProblem:
    """A metric sums a text column with values that are no number: a run reads them as empty,
    so the sum comes out too low without a word."""
    shown = ", ".join(repr(v) for v in examples)
    return doc.problem(
        ("metrics", metric, "sum"),
        f"the {source} source's `{column}` holds text that is not a number ({shown}): a run "
        "reads such a value as empty, so this sum comes out too low",
        code="not-a-number",
        hint=f"export numbers with a `.` decimal point and no thousands separator, or set "
        f"`schema: {{{column}: float}}` on the source so that such a value stops the run",
        severity="warning",
        at_value=True,
    )


def _type_problem(
    doc: YamlDocument,
    node: Comparison,
    loc: tuple[str | int, ...],
    source: str,
    schema: Schema,
    message: str,
) -> ConfigProblem:
    """A rule that reads a missing column, or compares a column with the wrong kind of value."""
    if node.subject not in schema:
        return doc.problem(
            (*loc, "field"),
            f"the {source} source has no column `{node.subject}`",
            code="unknown-field",
            hint=suggest(node.subject, schema, "columns"),
            at_value=True,
        )
    kind = re.search(r"compares (\w+) column", message)
    operand = node.operand
    hint = f"`{node.subject}` holds {kind.group(1) if kind else 'other'} values"
    if isinstance(operand, str) and re.fullmatch(r"-?\d+(\.\d+)?", operand):
        hint = f"write the number without quotes: `{node.operator}: {operand}`"
    return doc.problem(
        (*loc, node.operator), message, code="type-mismatch", hint=hint, at_value=True
    )


def _unknown_events(
    doc: YamlDocument, node: Comparison, loc: tuple[str | int, ...], event_names: Collection[str]
) -> list[ConfigProblem]:
    if node.field != EVENT_COLUMN or node.operator not in ("eq", "in"):
        return []
    operand = node.operand
    values = operand if isinstance(operand, tuple) else (operand,)
    problems = []
    for index, value in enumerate(values):
        if isinstance(value, str) and value not in event_names:
            where = (*loc, node.operator) if node.operator == "eq" else (*loc, "in", index)
            problems.append(
                doc.problem(
                    where,
                    f"no `{value}` event occurs in the events source",
                    code="unknown-event",
                    hint=suggest(value, event_names, "events"),
                    severity="warning",
                    at_value=True,
                )
            )
    return problems
