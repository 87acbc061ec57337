"""Rules that are valid YAML but almost certainly not what was meant.

Errors: an id used twice (segments, ICPs, journeys); a segment rule that can never match
because an earlier rule matches every account (`when: always`) or has the very same condition.

Warnings (fail `journey check` only with `--strict`):
- no catch-all: the last segment rule is not `when: always`, so accounts that match no rule
  are left out of the run (each run reports them as unassigned). DESIGN §5 says the last rule
  *should* be a catch-all; leaving some accounts out on purpose is allowed, hence a warning.
- a metric no milestone uses, and a journey no segment leads to.
"""

from __future__ import annotations

from collections.abc import Iterable

from journey.config.errors import ConfigProblem
from journey.config.model import ConfigModels
from journey.config.references import used_metrics
from segments.conditions import AllOf, Condition


def matches_everything(condition: Condition) -> bool:
    """`always`, or an `all:` whose parts all match everything (an empty `all` does)."""
    if condition == "always":
        return True
    return isinstance(condition, AllOf) and all(matches_everything(c) for c in condition.all)


def _duplicates(ids: Iterable[str]) -> list[tuple[int, str, int]]:
    """(index, id, index of the first use) for every id that was used before."""
    first: dict[str, int] = {}
    repeats = []
    for index, value in enumerate(ids):
        if value in first:
            repeats.append((index, value, first[value]))
        else:
            first.setdefault(value, index)
    return repeats


def lint(models: ConfigModels) -> list[ConfigProblem]:
    """Every lint problem of the loaded models (see the module docstring)."""
    return _duplicate_ids(models) + _segment_order(models) + _unused(models)


def _duplicate_ids(models: ConfigModels) -> list[ConfigProblem]:
    problems = []
    for rel, key, items, what in (
        ("segments.yaml", "segments", models.segment_items, "segment"),
        ("icp.yaml", "icps", models.icp_items, "ICP"),
    ):
        doc = models.docs.get(rel)
        if doc is None:
            continue
        indexes = [index for index, _ in items]
        for position, value, first in _duplicates(item.id for _, item in items):
            line = doc.locate((key, indexes[first], "id"))[0]
            problems.append(
                doc.problem(
                    (key, indexes[position], "id"),
                    f"{what} id `{value}` is used twice (first on line {line})",
                    code="duplicate-id",
                    hint=f"give each {what} its own id",
                    at_value=True,
                )
            )
    files = list(models.journeys)
    for index, value, original in _duplicates(j.id for j in models.journeys.values()):
        doc = models.docs[files[index]]
        problems.append(
            doc.problem(
                ("id",),
                f"journey id `{value}` is also used by {models.docs[files[original]].display}",
                code="duplicate-id",
                hint="give each journey file its own id",
                at_value=True,
            )
        )
    return problems


def _segment_order(models: ConfigModels) -> list[ConfigProblem]:
    doc = models.docs.get("segments.yaml")
    if doc is None or not models.segments:
        return []
    problems = []
    catch_all = None
    for index, segment in enumerate(models.segments):
        earlier = next((s for s in models.segments[:index] if s.when == segment.when), None)
        if catch_all is not None or earlier is not None:
            blocker = catch_all or earlier
            assert blocker is not None
            why = "matches every account" if catch_all else "has the same condition"
            problems.append(
                doc.problem(
                    ("segments", index, "id"),
                    f"segment `{segment.id}` can never match: segment `{blocker.id}` above "
                    f"it {why} (first match wins)",
                    code="shadowed-rule",
                    hint=f"move `{segment.id}` above `{blocker.id}`, or delete it",
                    at_value=True,
                )
            )
        if catch_all is None and matches_everything(segment.when):
            catch_all = segment
    last = len(models.segments) - 1
    if catch_all is None:
        problems.append(
            doc.problem(
                ("segments", last, "when"),
                "no catch-all: accounts that match no rule are left out of every run",
                code="no-catch-all",
                hint="end the list with a rule such as "
                "`- {id: other, journey: JOURNEY, when: always}`",
                severity="warning",
            )
        )
    return problems


def _unused(models: ConfigModels) -> list[ConfigProblem]:
    problems = []
    metrics_doc = models.docs.get("metrics.yaml")
    journeys_valid = not any(rel.startswith("journeys/") for rel in models.failed)
    if metrics_doc is not None and models.journeys and journeys_valid:
        used = used_metrics(models)
        for name in models.metrics:
            if name not in used:
                problems.append(
                    metrics_doc.problem(
                        ("metrics", name),
                        f"metric `{name}` is not used by any milestone",
                        code="unused-metric",
                        hint="use it in a journey's `when:` or delete it",
                        severity="warning",
                    )
                )
    targets = {s.journey for s in models.segments}
    if models.segments and "segments.yaml" not in models.failed:
        for rel, journey in models.journeys.items():
            if journey.id not in targets:
                problems.append(
                    models.docs[rel].problem(
                        ("id",),
                        f"journey `{journey.id}` is not the journey of any segment rule",
                        code="unused-journey",
                        hint="point a rule in segments.yaml at it, or delete the file",
                        severity="warning",
                        at_value=True,
                    )
                )
    return problems
