"""Suggested segment rules: they parse with the config loader and reproduce the tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from journey.config import load_config
from journey.config.loader import SegmentsFile
from journey.config.yaml_source import load_yaml
from segments.icp import Icp, with_icp_fit
from segments.rules import assign_segments
from segments.suggest import _nice, flow, learn_rules, rule_id, rules_yaml
from support import ProjectFactory

ICP = Icp.model_validate(
    {"id": "saas", "min_fit": 1.0, "criteria": [{"field": "industry", "in": ["software"]}]}
)


def accounts(n: int = 400, seed: int = 5) -> tuple[pl.DataFrame, list[str]]:
    """Attributes with missing values everywhere, and a group that depends on them."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["starter", "growth", "enterprise"], n).astype(object)
    plan[rng.random(n) < 0.1] = None
    employees = rng.integers(5, 5000, n).astype(object)
    employees[rng.random(n) < 0.15] = None
    arr = np.round(rng.uniform(1000, 90000, n), 2).astype(object)
    arr[rng.random(n) < 0.2] = None
    champion = [None if rng.random() < 0.3 else f"person {i}" for i in range(n)]
    industry = rng.choice(["software", "retail", "NO"], n)
    frame = pl.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(n)],
            "plan": pl.Series(plan.tolist(), dtype=pl.String),
            "employees": pl.Series(employees.tolist(), dtype=pl.Int64),
            "arr": pl.Series(arr.tolist(), dtype=pl.Float64),
            "champion": pl.Series(champion, dtype=pl.String),
            "industry": industry.tolist(),
        }
    )
    engaged = (
        (frame["champion"].is_not_null() & (frame["plan"] != "starter").fill_null(True))
        | (frame["employees"] > 3000).fill_null(False)
        | (frame["industry"] == "software")
    ).to_numpy()
    noise = rng.random(n) < 0.08
    groups = ["engaged" if e != f else "quiet" for e, f in zip(engaged, noise, strict=True)]
    return with_icp_fit(frame.lazy(), (ICP,)).collect(), groups


def _suggested_yaml(tmp_path: Path, depth: int = 3) -> tuple[Path, pl.DataFrame, np.ndarray, list]:  # type: ignore[type-arg]
    frame, groups = accounts()
    learned = learn_rules(frame, groups, ("saas",), skip={"account_id"}, max_depth=depth)
    text = rules_yaml(learned.rules, ["j"] * len(learned.rules), ["suggested"])
    path = tmp_path / "segments.yaml"
    path.write_text(text, encoding="utf-8")
    return path, frame, learned.predicted, list(learned.rules)


@pytest.mark.parametrize("depth", [1, 3, 4])
def test_rules_parse_and_reproduce_the_tree_on_the_training_accounts(
    tmp_path: Path, depth: int
) -> None:
    path, frame, predicted, rules = _suggested_yaml(tmp_path, depth)
    parsed = SegmentsFile.model_validate(load_yaml(path, "segments.yaml").data)
    assert len(parsed.segments) == len(rules)
    group_of = {segment.id: segment.id.rsplit("_", 1)[0] for segment in parsed.segments}
    assigned = assign_segments(frame.lazy(), parsed.segments, (ICP,)).collect()
    # Every account matches exactly one rule, and it is the rule of the tree's leaf.
    assert assigned["segment"].null_count() == 0
    assert [group_of[s] for s in assigned["segment"]] == predicted.tolist()


def test_rules_cover_missing_values_and_tell_precision_and_coverage(tmp_path: Path) -> None:
    path, _, _, rules = _suggested_yaml(tmp_path)
    text = path.read_text()
    assert "is_null" in text  # missing values are placed explicitly, not by accident
    assert "precision" in text and "coverage" in text
    for rule in rules:
        assert 0 < rule.precision <= 1 and 0 < rule.coverage <= 1
    # The coverage of each group's rules adds up to the whole group.
    by_group: dict[str, float] = {}
    for rule in rules:
        by_group[rule.group] = by_group.get(rule.group, 0) + rule.coverage * (rule.precision > 0)
    assert all(total <= 1.0 + 1e-9 for total in by_group.values())


def test_suggested_file_loads_as_the_projects_segments(
    tmp_path: Path, make_project: ProjectFactory
) -> None:
    path, *_ = _suggested_yaml(tmp_path)
    project = make_project(milestones="- {id: m, due_day: 3, when: {metric: logins, gte: 1}}\n")
    (project.config_dir / "icp.yaml").write_text(
        "icps:\n  - {id: saas, min_fit: 1.0, criteria: [{field: industry, in: [software]}]}\n"
    )
    shutil.copy(path, project.config_dir / "segments.yaml")
    config = load_config(project.config_dir)
    assert {s.id.rsplit("_", 1)[0] for s in config.segments} == {"engaged", "quiet"}


def test_thresholds_are_round_but_split_the_same_values() -> None:
    assert _nice(1024.5, 1003.0, 1046.0) == 1020
    assert _nice(999.5, 950.0, 1003.0) == 1000
    assert _nice(0.35, 0.3, 0.4) == 0.3
    assert _nice(7.5, 7.0, 8.0) == 7


def test_flow_quotes_text_values_but_not_names() -> None:
    assert flow({"field": "region", "in": ["NO", "EMEA"]}) == '{field: region, in: ["NO", "EMEA"]}'
    assert flow({"not": {"icp": "saas"}}) == "{not: {icp: saas}}"
    assert rule_id("b", 1) == "b_a" and rule_id("b", 27) == "b_aa"


def test_a_split_of_the_missing_values_is_a_rule_on_missing() -> None:
    """scikit-learn splits a numeric column's missing values from the rest at `x <= inf`:
    that is a rule on `is_null`, not a threshold (it raised OverflowError)."""
    frame, _ = accounts()
    groups = ["unsized" if e is None else "sized" for e in frame["employees"].to_list()]
    learned = learn_rules(frame, groups, ("saas",), skip={"account_id"}, max_depth=1)
    assert {rule.group: rule.when for rule in learned.rules} == {
        "sized": {"field": "employees", "is_null": False},
        "unsized": {"field": "employees", "is_null": True},
    }
    assert all(rule.precision == 1.0 for rule in learned.rules)
