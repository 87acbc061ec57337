"""Segment rules learned from data: a shallow decision tree from account attributes to a group.

`learn_rules` encodes the account attributes a segment rule can test (numbers, a few text
values, missing values, ICP fits), fits a shallow tree that predicts each account's group
(e.g. its behaviour cluster), and turns every leaf into a condition of the segments.yaml
language together with its precision (share of the leaf's accounts in the predicted group)
and coverage (share of the group's accounts that the leaf catches).

Each split becomes two complementary conditions with the language's null semantics (a
comparison with a missing value is false), so the leaves partition all accounts exactly as
the tree does; `tests/segments/test_suggest.py` checks that the printed rules, parsed by the
config loader, reproduce the tree's assignments.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sklearn.tree import DecisionTreeClassifier

from segments.icp import fits_column

#: Text columns with at most this many values are split on each value.
MAX_VALUES = 12

Cond = Any  # a condition as plain data: {"field": ..., "eq": ...}, {"all": [...]}, "always"


@dataclass(frozen=True)
class Feature:
    """One tree input: how it is computed and how a split on it reads as a condition."""

    kind: str  # "number", "equals", "is_null" or "icp"
    column: str
    value: Any = None

    def column_values(self, accounts: pl.DataFrame) -> np.ndarray:
        col = pl.col(self.column)
        if self.kind == "number":
            expr = col.cast(pl.Float64)
        elif self.kind == "equals":
            expr = (col == self.value).fill_null(False).cast(pl.Float64)
        elif self.kind == "is_null":
            expr = col.is_null().cast(pl.Float64)
        else:
            expr = pl.col(fits_column(self.column)).fill_null(False).cast(pl.Float64)
        return accounts.select(expr.fill_null(float("nan"))).to_series().to_numpy()


def attribute_features(
    accounts: pl.DataFrame, icp_ids: tuple[str, ...], skip: set[str]
) -> list[Feature]:
    """The features a segment rule can express, from the accounts frame's columns."""
    features: list[Feature] = []
    for name, dtype in accounts.schema.items():
        if name in skip or name.startswith(("_", "fit.", "fits.")):
            continue
        column = accounts[name]
        has_nulls = column.null_count() > 0
        if dtype.is_numeric():
            features.append(Feature("number", name))
        elif dtype == pl.Boolean:
            features.append(Feature("equals", name, True))
        elif dtype == pl.String:
            values = column.drop_nulls().unique().sort().to_list()
            if len(values) <= MAX_VALUES:
                features += [Feature("equals", name, v) for v in values if len(values) > 1]
        else:
            continue
        if has_nulls and dtype != pl.Boolean:
            features.append(Feature("is_null", name))
    features += [Feature("icp", icp) for icp in icp_ids]
    return features


def _nice(threshold: float, low: float, high: float) -> float | int:
    """The roundest number t with low <= t < high: the same split of the training values."""
    for digits in range(-6, 7):
        step = 10.0**-digits
        for candidate in (round(threshold / step) * step, math.floor(threshold / step) * step):
            candidate = round(candidate, max(digits, 0))
            if low <= candidate < high:
                return int(candidate) if float(candidate).is_integer() else float(candidate)
    return threshold


def _split(
    feature: Feature, threshold: float, values: np.ndarray, nan_left: bool
) -> tuple[Cond, Cond]:
    """(condition for the left branch `x <= threshold`, condition for the right branch)."""
    field = feature.column
    if feature.kind == "icp":
        return {"not": {"icp": field}}, {"icp": field}
    if feature.kind == "is_null":
        return {"field": field, "is_null": False}, {"field": field, "is_null": True}
    if feature.kind == "equals":
        return {"not": {"field": field, "eq": feature.value}}, {"field": field, "eq": feature.value}
    if math.isinf(threshold) and (threshold > 0) != nan_left:
        # scikit-learn's split of the missing values from all the others (`x <= inf` or
        # `x <= -inf`, the missing ones sent the other way): no threshold to write.
        present: Cond = {"field": field, "is_null": False}
        absent: Cond = {"field": field, "is_null": True}
        return (present, absent) if threshold > 0 else (absent, present)
    finite = values[~np.isnan(values)]
    low = float(finite[finite <= threshold].max()) if (finite <= threshold).any() else threshold
    high = float(finite[finite > threshold].min()) if (finite > threshold).any() else math.inf
    t = _nice(threshold, low, high)
    left: Cond = {"field": field, "lte": t}
    right: Cond = {"field": field, "gt": t}
    missing = {"field": field, "is_null": True}
    if not np.isnan(values).any():
        return left, right
    if nan_left:
        return {"any": [left, missing]}, right
    return left, {"any": [right, missing]}


@dataclass(frozen=True)
class Rule:
    """One leaf of the tree as a rule."""

    group: str
    when: Cond
    accounts: int
    precision: float
    coverage: float


@dataclass(frozen=True)
class LearnedRules:
    rules: tuple[Rule, ...]
    predicted: np.ndarray  # the tree's group per training account
    rule_of: np.ndarray  # the index of the rule (leaf) of each training account
    features: tuple[Feature, ...]


def _conjunction(conditions: list[Cond]) -> Cond:
    if not conditions:
        return "always"
    return conditions[0] if len(conditions) == 1 else {"all": conditions}


def learn_rules(
    accounts: pl.DataFrame,
    groups: list[str],
    icp_ids: tuple[str, ...] = (),
    skip: set[str] | None = None,
    max_depth: int = 3,
    seed: int = 0,
) -> LearnedRules:
    """Fit a shallow tree from attributes to `groups` (one per account row) and read its leaves."""
    features = attribute_features(accounts, icp_ids, skip or set())
    matrix = (
        np.column_stack([f.column_values(accounts) for f in features])
        if features
        else np.zeros((accounts.height, 1))
    )
    target = np.asarray(groups)
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=max(5, accounts.height // 50), random_state=seed
    ).fit(matrix, target)
    structure = tree.tree_
    on_path = tree.decision_path(matrix).tocsc()
    predicted = tree.predict(matrix)
    rules: list[Rule] = []
    rule_of = np.zeros(accounts.height, dtype=np.int64)

    def majority(node: int) -> str:
        return str(tree.classes_[int(np.argmax(structure.value[node][0]))])

    def uniform(node: int) -> str | None:
        """The group every leaf under `node` predicts, if they all agree."""
        left, right = structure.children_left[node], structure.children_right[node]
        if left == -1:
            return majority(node)
        group = uniform(left)
        return group if group is not None and group == uniform(right) else None

    def walk(node: int, path: list[Cond]) -> None:
        # Sibling leaves that predict the same group are one rule: fewer, simpler rules.
        group = uniform(node)
        if group is not None:
            members = on_path[:, node].toarray().ravel() > 0
            rule_of[members] = len(rules)
            hits = int((target[members] == group).sum())
            rules.append(
                Rule(
                    group=group,
                    when=_conjunction(path),
                    accounts=int(members.sum()),
                    precision=hits / max(1, int(members.sum())),
                    coverage=hits / max(1, int((target == group).sum())),
                )
            )
            return
        left, right = structure.children_left[node], structure.children_right[node]
        j = int(structure.feature[node])
        nan_left = bool(structure.missing_go_to_left[node])
        go_left, go_right = _split(
            features[j], float(structure.threshold[node]), matrix[:, j], nan_left
        )
        walk(left, [*path, go_left])
        walk(right, [*path, go_right])

    walk(0, [])
    return LearnedRules(tuple(rules), predicted, rule_of, tuple(features))


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"}


def _key_value(key: str, value: Any) -> str:
    # Column and ICP names stay bare when YAML reads them as text anyway; values are quoted.
    bare = isinstance(value, str) and _NAME.match(value) and value.lower() not in _YAML_WORDS
    return f"{key}: {value}" if key in ("field", "icp") and bare else f"{key}: {flow(value)}"


def flow(value: Cond) -> str:
    """A condition as a one-line YAML flow mapping; text values are quoted ("NO" stays text)."""
    if isinstance(value, dict):
        return "{" + ", ".join(_key_value(k, v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def condition_lines(when: Cond, indent: str) -> list[str]:
    """`when:` of a segment, block style for the top-level `all`, flow style below."""
    if isinstance(when, dict) and "all" in when:
        return [
            f"{indent}when:",
            f"{indent}  all:",
            *(f"{indent}    - {flow(c)}" for c in when["all"]),
        ]
    if when == "always":
        return [f"{indent}when: always"]
    return [f"{indent}when: {flow(when)}"]


def rules_yaml(rules: Sequence[Rule], journeys: Sequence[str], header: Sequence[str]) -> str:
    """A segments.yaml document: one segment per rule, ids `<group>_a`, `<group>_b`, ..."""
    lines = [*(f"# {line}" for line in header), "segments:"]
    counters: dict[str, int] = {}
    for rule, journey in zip(rules, journeys, strict=True):
        counters[rule.group] = counters.get(rule.group, 0) + 1
        description = (
            f"{rule.group}: precision {rule.precision:.2f}, coverage {rule.coverage:.2f}, "
            f"{rule.accounts} accounts"
        )
        lines += [
            f"  # {description}",
            f"  - id: {rule_id(rule.group, counters[rule.group])}",
            f"    journey: {journey}",
            f"    description: {flow(description)}",
            *condition_lines(rule.when, "    "),
        ]
    return "\n".join(lines) + "\n"


def rule_id(group: str, n: int) -> str:
    """`behaviour_1_a` for the first rule of group behaviour_1, `_b` for the second, ..."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"{group}_{letters}"
