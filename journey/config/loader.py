"""Load `config/` into one frozen `Config`, collecting every problem before failing.

Each file is read with positions (`yaml_source`), validated by its model (`model.FILE_KINDS`)
with errors mapped back to file:line (`validation`); then references across files are checked
(`references`) and likely mistakes flagged (`lint`). `validate_config` returns everything it
found; `load_config` raises ConfigError when any of it is an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from journey.config.errors import ConfigError, ConfigProblem, sort_key
from journey.config.lint import lint
from journey.config.model import ConfigModels, IcpFile, SegmentsFile
from journey.config.references import check_references
from journey.config.validation import did_you_mean, validation_problems
from journey.config.yaml_source import YamlDocument, YamlSyntaxError, load_yaml
from journey.journeys import Journey, Milestone
from journey.settings import Settings
from metrics.definitions import Metric, MetricsFile
from segments.icp import Icp
from segments.rules import Segment

__all__ = [
    "Config",
    "ConfigReport",
    "IcpFile",
    "SegmentsFile",
    "confined_path",
    "did_you_mean",
    "load_config",
    "validate_config",
]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    """Everything CS ops configured, validated. `root` is the folder that holds config/."""

    root: Path
    config_dir: Path
    settings: Settings
    icps: tuple[Icp, ...]
    segments: tuple[Segment, ...]
    metrics: dict[str, Metric]
    journeys: dict[str, Journey]
    fingerprint: str
    warnings: tuple[ConfigProblem, ...] = ()

    def resolve(self, value: str, what: str) -> Path:
        """A configured path, relative to `root`; it may not point outside the project."""
        return confined_path(self.root, value, what)


@dataclass(frozen=True)
class ConfigReport:
    """The outcome of validating a config folder: the config (if no errors) and all problems."""

    config: Config | None
    problems: tuple[ConfigProblem, ...]
    models: ConfigModels

    @property
    def errors(self) -> list[ConfigProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ConfigProblem]:
        return [p for p in self.problems if p.severity == "warning"]


def confined_path(root: Path, value: str, what: str) -> Path:
    """`value` resolved against `root`; ConfigError when it points outside the project."""
    path = Path(value)
    if path.is_absolute():
        return path
    resolved = (root / path).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise ConfigError(
            [
                ConfigProblem(
                    "config/settings.yaml",
                    f"{what} {value!r} points outside the project folder {root}",
                    hint="use a path inside the project, or an absolute path",
                    code="path-outside-project",
                )
            ]
        )
    return root / path


def _validate(doc: YamlDocument, model: type[M], problems: list[ConfigProblem]) -> M | None:
    if doc.data is None:
        problems.append(
            doc.problem(
                (),
                "the file is empty",
                hint="see docs/config-reference.md for what this file holds",
                code="empty-file",
            )
        )
        return None
    if not isinstance(doc.data, dict):
        problems.append(
            doc.problem((), "expected a mapping of keys at the top of the file", code="not-mapping")
        )
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(validation_problems(doc, model, exc))
        return None


def _items(doc: YamlDocument, key: str, model: type[M]) -> list[tuple[int, M]]:
    """The entries of the list under `key` that validate on their own, with their index."""
    raw = doc.data.get(key) if isinstance(doc.data, dict) else None
    adapter = TypeAdapter(model)
    items = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        try:
            items.append((index, adapter.validate_python(item)))
        except ValidationError:
            continue
    return items


def _metrics(doc: YamlDocument) -> dict[str, Metric]:
    """The metrics of metrics.yaml that validate on their own."""
    raw = doc.data.get("metrics") if isinstance(doc.data, dict) else None
    adapter: TypeAdapter[Metric] = TypeAdapter(Metric)
    metrics = {}
    for name, item in (raw if isinstance(raw, dict) else {}).items():
        try:
            metrics[str(name)] = adapter.validate_python(item)
        except ValidationError:
            continue
    return metrics


def _read_models(config_dir: Path, problems: list[ConfigProblem]) -> ConfigModels:
    models = ConfigModels(config_dir.name)

    def load(rel: str, model: type[M], required: bool = True) -> M | None:
        path = config_dir / rel
        display = f"{models.name}/{rel}"
        if not path.is_file():
            if required:
                models.failed.add(rel)
                problems.append(ConfigProblem(display, "file not found", code="missing-file"))
            return None
        try:
            doc = load_yaml(path, display)
        except YamlSyntaxError as exc:
            models.failed.add(rel)
            models.unreadable.add(rel)
            problems.append(exc.problem)
            return None
        models.docs[rel] = doc
        problems.extend(doc.warnings)
        result = _validate(doc, model, problems)
        if result is None:
            models.failed.add(rel)
        return result

    models.settings = load("settings.yaml", Settings)
    icp_file = load("icp.yaml", IcpFile, required=False)
    segments_file = load("segments.yaml", SegmentsFile)
    metrics_file = load("metrics.yaml", MetricsFile)
    models.icps = icp_file.icps if icp_file else ()
    models.segments = segments_file.segments if segments_file else ()
    docs = models.docs
    models.icp_items = (
        list(enumerate(models.icps))
        if icp_file or "icp.yaml" not in docs
        else _items(docs["icp.yaml"], "icps", Icp)
    )
    models.segment_items = (
        list(enumerate(models.segments))
        if segments_file or "segments.yaml" not in docs
        else _items(docs["segments.yaml"], "segments", Segment)
    )
    models.metrics = (
        dict(metrics_file.metrics)
        if metrics_file is not None
        else {}
        if "metrics.yaml" not in docs
        else _metrics(docs["metrics.yaml"])
    )
    journey_files = sorted((config_dir / "journeys").glob("*.y*ml"))
    if not journey_files:
        problems.append(
            ConfigProblem(
                f"{models.name}/journeys/",
                "no journey files (*.yaml) found",
                hint="add one file per journey, e.g. journeys/onboarding.yaml",
                code="missing-file",
            )
        )
    for path in journey_files:
        rel = f"journeys/{path.name}"
        journey = load(rel, Journey)
        if journey is not None:
            models.journeys[rel] = journey
            models.milestone_items[rel] = list(enumerate(journey.milestones))
        elif rel in docs:
            models.milestone_items[rel] = _items(docs[rel], "milestones", Milestone)
    return models


def validate_config(config_dir: Path) -> ConfigReport:
    """Validate every file in `config_dir`; never raises for problems in the files."""
    config_dir = config_dir.resolve()
    if not config_dir.is_dir():
        problem = ConfigProblem(str(config_dir), "config folder not found", code="missing-file")
        return ConfigReport(None, (problem,), ConfigModels(config_dir.name))
    problems: list[ConfigProblem] = []
    models = _read_models(config_dir, problems)
    problems += check_references(models)
    problems += lint(models)
    problems.sort(key=sort_key)
    config = None
    if models.settings is not None and not any(p.severity == "error" for p in problems):
        digest = hashlib.sha256()
        for rel in sorted(models.docs):
            digest.update(rel.encode() + b"\0" + models.docs[rel].path.read_bytes() + b"\0")
        config = Config(
            root=config_dir.parent,
            config_dir=config_dir,
            settings=models.settings,
            icps=models.icps,
            segments=models.segments,
            metrics=models.metrics,
            journeys=models.journeys_by_id(),
            fingerprint=digest.hexdigest()[:16],
            warnings=tuple(p for p in problems if p.severity == "warning"),
        )
    return ConfigReport(config, tuple(problems), models)


def load_config(config_dir: Path) -> Config:
    """Load and validate every file in `config_dir`; raise ConfigError listing all problems."""
    report = validate_config(config_dir)
    if report.config is None:
        raise ConfigError(list(report.problems))
    return report.config
