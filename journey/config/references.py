"""Checks that span files: every journey, metric and ICP a rule names must be defined.

Also checks that each kind of condition names the right kind of thing (segment rules and ICP
criteria compare account `field`s, milestones compare `metric`s, a metric's `where` filters
source rows by `field`). Every problem points at the key that names the missing thing.
"""

from __future__ import annotations

from collections.abc import Iterator

from journey.config.errors import ConfigProblem
from journey.config.model import ConfigModels
from journey.config.validation import suggest
from segments.conditions import AllOf, AnyOf, Comparison, Condition, IcpRef, NotOf

Loc = tuple[str | int, ...]


def walk_located(condition: Condition, loc: Loc) -> Iterator[tuple[Condition, Loc]]:
    """Every node of a condition with the key path where it is written in the YAML."""
    yield condition, loc
    if isinstance(condition, AllOf):
        for index, child in enumerate(condition.all):
            yield from walk_located(child, (*loc, "all", index))
    elif isinstance(condition, AnyOf):
        for index, child in enumerate(condition.any):
            yield from walk_located(child, (*loc, "any", index))
    elif isinstance(condition, NotOf):
        yield from walk_located(condition.not_, (*loc, "not"))


def _wrong_subject(node: Condition, allowed: str) -> str | None:
    """The key a node should not use where only `allowed` (field or metric) is valid."""
    if isinstance(node, IcpRef) and allowed != "segment":
        return "icp"
    if isinstance(node, Comparison):
        if node.metric is not None and allowed != "metric":
            return "metric"
        if node.field is not None and allowed == "metric":
            return "field"
    return None


_ADVICE = {
    "segment": "segment rules compare account fields: use `field:` (or `icp:`), not `metric:`",
    "icp": "ICP criteria compare account fields: use `field:`",
    "where": "a metric's `where` filters source rows: use `field:`",
    "metric": "milestone conditions compare metrics: use `metric:`",
}


def conditions(models: ConfigModels) -> Iterator[tuple[str, Loc, Condition, str]]:
    """Every condition of the config: (file, its key path, the condition, its kind)."""
    for i, segment in models.segment_items:
        yield "segments.yaml", ("segments", i, "when"), segment.when, "segment"
    for i, icp in models.icp_items:
        for j, criterion in enumerate(icp.criteria):
            yield "icp.yaml", ("icps", i, "criteria", j), criterion.condition, "icp"
    for name, metric in models.metrics.items():
        if metric.where is not None:
            yield "metrics.yaml", ("metrics", name, "where"), metric.where, "where"
    for rel, milestones in models.milestone_items.items():
        for i, milestone in milestones:
            yield rel, ("milestones", i, "when"), milestone.when, "metric"


def check_references(models: ConfigModels) -> list[ConfigProblem]:
    """Undefined journeys, metrics and ICPs; fields, metrics or ICPs used in the wrong place."""
    problems: list[ConfigProblem] = []
    icp_ids = models.defined_icps()
    journey_ids = models.defined_journeys()
    metric_names = models.defined_metrics()

    def problem(rel: str, loc: Loc, message: str, code: str, hint: str | None) -> None:
        doc = models.docs.get(rel)
        if doc is not None:
            problems.append(doc.problem(loc, message, code=code, hint=hint, at_value=True))

    for i, segment in models.segment_items:
        if journey_ids is not None and segment.journey not in journey_ids:
            problem(
                "segments.yaml",
                ("segments", i, "journey"),
                f"journey `{segment.journey}` is not defined in journeys/",
                "undefined-journey",
                suggest(segment.journey, journey_ids, "journeys"),
            )
    for rel, loc, condition, kind in conditions(models):
        for node, node_loc in walk_located(condition, loc):
            wrong = _wrong_subject(node, kind)
            if wrong is not None:
                problem(rel, (*node_loc, wrong), _ADVICE[kind], "wrong-subject", None)
            elif (
                isinstance(node, IcpRef)
                and "icp.yaml" not in models.unreadable
                and node.icp not in icp_ids
            ):
                problem(
                    rel,
                    (*node_loc, "icp"),
                    f"ICP `{node.icp}` is not defined in icp.yaml",
                    "undefined-icp",
                    suggest(node.icp, icp_ids, "ICPs") if icp_ids else "icp.yaml defines no ICP",
                )
            elif (
                isinstance(node, Comparison)
                and node.metric is not None
                and metric_names is not None
                and node.metric not in metric_names
            ):
                problem(
                    rel,
                    (*node_loc, "metric"),
                    f"metric `{node.metric}` is not defined in metrics.yaml",
                    "undefined-metric",
                    suggest(node.metric, metric_names, "metrics"),
                )
    return problems


def used_metrics(models: ConfigModels) -> set[str]:
    """The metrics some milestone reads."""
    return {
        node.metric
        for _, _, condition, kind in conditions(models)
        if kind == "metric"
        for node, _ in walk_located(condition, ())
        if isinstance(node, Comparison) and node.metric is not None
    }
