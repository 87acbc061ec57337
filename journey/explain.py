"""Why an account is where it is: the segment rule that matched, ICP fit, milestone values.

Pure: takes the account's row (attributes plus ICP fit columns), its metric values per day
and its milestone states, and returns a structured explanation and its text. Every condition
is shown as a tree with each node's truth value, computed by the same polars expressions the
run uses (`segments.conditions.to_expr`), so the explanation cannot disagree with the run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from journey.journeys import Journey
from segments.conditions import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    IcpRef,
    NotOf,
    describe,
    to_expr,
    walk,
)
from segments.icp import Icp, fit_column, fits_column
from segments.rules import Segment, icp_resolver


@dataclass(frozen=True)
class ConditionNode:
    """One node of a condition, its truth for this account, and the value it compared."""

    label: str
    holds: bool
    value: str | None = None
    children: tuple[ConditionNode, ...] = ()

    def lines(self, indent: int = 0) -> list[str]:
        mark = "true " if self.holds else "false"
        value = f"   ({self.value})" if self.value is not None else ""
        own = [f"{mark}  {'  ' * indent}{self.label}{value}"]
        return own + [line for child in self.children for line in child.lines(indent + 1)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "condition": self.label,
            "holds": self.holds,
            "value": self.value,
            "children": [c.as_dict() for c in self.children],
        }


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "missing" if value is None else repr(value) if isinstance(value, str) else str(value)


def _with_columns(row: pl.DataFrame, condition: Condition) -> pl.DataFrame:
    """The row, with a null column for every subject it lacks (so the node is false)."""
    missing = {
        node.subject
        for node in walk(condition)
        if isinstance(node, Comparison) and node.subject not in row.columns
    }
    missing |= {
        fits_column(node.icp)
        for node in walk(condition)
        if isinstance(node, IcpRef) and fits_column(node.icp) not in row.columns
    }
    return row.with_columns([pl.lit(None).alias(name) for name in missing]) if missing else row


def condition_tree(condition: Condition, row: pl.DataFrame) -> ConditionNode:
    """The condition as a tree, each node with its truth on the (one-row) frame `row`."""
    row = _with_columns(row, condition)
    nodes = list(walk(condition))
    truths = row.select(
        [pl.lit(True) if n == "always" else _expr(n).alias(f"n{i}") for i, n in enumerate(nodes)]
    ).row(0)
    values = row.row(0, named=True)
    position = iter(range(len(nodes)))

    def build(node: Condition) -> ConditionNode:
        holds = bool(truths[next(position)])
        if isinstance(node, AllOf | AnyOf):
            parts = node.all if isinstance(node, AllOf) else node.any
            label = "all of:" if isinstance(node, AllOf) else "any of:"
            return ConditionNode(label, holds, None, tuple(build(c) for c in parts))
        if isinstance(node, NotOf):
            return ConditionNode("not:", holds, None, (build(node.not_),))
        if isinstance(node, IcpRef):
            fit = values.get(fit_column(node.icp))
            shown = None if fit is None else f"fit {fit:.2f}"
            return ConditionNode(describe(node), holds, shown)
        if isinstance(node, Comparison):
            shown = f"{node.subject} = {_shown(values.get(node.subject))}"
            return ConditionNode(describe(node), holds, shown)
        return ConditionNode(describe(node), holds)

    return build(condition)


def _expr(node: Condition) -> pl.Expr:
    return to_expr(node, icp_resolver)


@dataclass(frozen=True)
class RuleResult:
    """One segment rule, evaluated for the account."""

    segment: Segment
    tree: ConditionNode


def segment_rules(segments: tuple[Segment, ...], row: pl.DataFrame) -> list[RuleResult]:
    """Each rule in order, down to and including the first that matches."""
    results = []
    for segment in segments:
        result = RuleResult(segment, condition_tree(segment.when, row))
        results.append(result)
        if result.tree.holds:
            break
    return results


@dataclass(frozen=True)
class IcpResult:
    """An ICP's fit for the account and each criterion's truth."""

    icp: Icp
    fit: float
    fits: bool
    criteria: tuple[tuple[float, ConditionNode], ...]


def icp_fits(icps: tuple[Icp, ...], row: pl.DataFrame) -> list[IcpResult]:
    """Fit per ICP (from the row's fit columns) with each weighted criterion as a tree."""
    values = row.row(0, named=True)
    return [
        IcpResult(
            icp,
            float(values.get(fit_column(icp.id)) or 0.0),
            bool(values.get(fits_column(icp.id))),
            tuple((c.weight, condition_tree(c.condition, row)) for c in icp.criteria),
        )
        for icp in icps
    ]


@dataclass(frozen=True)
class MilestoneResult:
    """A milestone: its state row and its condition evaluated on the due day and today."""

    state: dict[str, Any]
    on_due: ConditionNode | None
    today: ConditionNode | None


def milestone_results(
    journey: Journey, values: pl.DataFrame, states: pl.DataFrame, as_of: dt.date
) -> list[MilestoneResult]:
    """Each milestone of the journey with its condition on due_on (if reached) and as_of.

    `values` has one row per day (`day`) and one column per metric; `states` is the
    milestone-states frame of this account (`journey.progress.milestone_states`).
    """
    by_id = {row["milestone"]: row for row in states.iter_rows(named=True)}
    results = []
    for milestone in journey.milestones:
        state = by_id.get(milestone.id, {"milestone": milestone.id})
        trees = []
        for day in (state.get("due_on"), as_of):
            row = values.filter(pl.col("day") == day) if day is not None else values.clear()
            reached = day is not None and day <= as_of and row.height == 1
            trees.append(condition_tree(milestone.when, row) if reached else None)
        results.append(MilestoneResult(state, trees[0], trees[1]))
    return results


@dataclass(frozen=True)
class Explanation:
    """Everything `journey explain` shows for one account."""

    account: dict[str, Any]
    as_of: dt.date
    rules: list[RuleResult]
    icps: list[IcpResult]
    journey: Journey | None = None
    status: str | None = None
    milestones: list[MilestoneResult] = field(default_factory=list)
