"""Load `config/` into one frozen `Config`, collecting every problem before failing.

Each file is validated by its pydantic model; every validation error is mapped back to the
file, line and key path it came from. Cross-file references (segment -> journey, milestone ->
metric, `{icp: ID}` -> icp.yaml) are checked afterwards, with did-you-mean hints.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from journey.config.errors import ConfigError, ConfigProblem
from journey.config.yaml_source import YamlDocument, YamlSyntaxError, load_yaml
from journey.journeys import Journey
from journey.settings import Settings
from metrics.definitions import Metric, MetricsFile
from segments.conditions import Comparison, IcpRef, walk
from segments.icp import Icp
from segments.rules import Segment

M = TypeVar("M", bound=BaseModel)


class IcpFile(BaseModel):
    """The whole of `icp.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    icps: tuple[Icp, ...] = ()


class SegmentsFile(BaseModel):
    """The whole of `segments.yaml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segments: tuple[Segment, ...] = Field(min_length=1)


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


def confined_path(root: Path, value: str, what: str) -> Path:
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
                )
            ]
        )
    return root / path


_KNOWN_KEYS: set[str] = set()


def _known_keys() -> set[str]:
    if not _KNOWN_KEYS:
        from segments.conditions import OPERATORS

        for model in (Settings, IcpFile, SegmentsFile, MetricsFile, Journey):
            _KNOWN_KEYS.update(_field_names(model))
        _KNOWN_KEYS.update(OPERATORS)
    return _KNOWN_KEYS


def _field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    seen = seen or set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for arg in _model_args(info.annotation):
            names |= _field_names(arg, seen)
    return names


def _model_args(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _model_args(arg)
    for arg in getattr(annotation, "__metadata__", ()) or ():
        yield from _model_args(arg)
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and origin is not annotation:
        yield from _model_args(origin)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


def _validation_problems(doc: YamlDocument, exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line, column, key = doc.locate(loc)
        message = error["msg"].removeprefix("Value error, ")
        hint = None
        if error["type"] == "extra_forbidden":
            unknown = str(loc[-1])
            message = f"unknown key `{unknown}`"
            hint = did_you_mean(unknown, _known_keys())
        elif error["type"] == "missing":
            message = f"missing required key `{loc[-1]}`"
        problems.append(ConfigProblem(doc.display, message, line, column, key, hint))
    return problems


def _validate(doc: YamlDocument, model: type[M], problems: list[ConfigProblem]) -> M | None:
    if doc.data is None:
        problems.append(ConfigProblem(doc.display, "the file is empty", line=1))
        return None
    if not isinstance(doc.data, dict):
        problems.append(ConfigProblem(doc.display, "expected a mapping of keys at the top", 1))
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(doc, exc))
        return None


def _load(path: Path, display: str, problems: list[ConfigProblem]) -> YamlDocument | None:
    if not path.is_file():
        problems.append(ConfigProblem(display, "file not found"))
        return None
    try:
        return load_yaml(path, display)
    except YamlSyntaxError as exc:
        problems.append(exc.problem)
        return None


def load_config(config_dir: Path) -> Config:
    """Load and validate every file in `config_dir`; raise ConfigError listing all problems."""
    config_dir = config_dir.resolve()
    if not config_dir.is_dir():
        raise ConfigError([ConfigProblem(str(config_dir), "config folder not found")])
    name = config_dir.name
    problems: list[ConfigProblem] = []
    docs: dict[str, YamlDocument] = {}

    def load(rel: str, model: type[M], required: bool = True) -> M | None:
        path = config_dir / rel
        if not required and not path.exists():
            return None
        doc = _load(path, f"{name}/{rel}", problems)
        if doc is None:
            return None
        docs[rel] = doc
        return _validate(doc, model, problems)

    settings = load("settings.yaml", Settings)
    icp_file = load("icp.yaml", IcpFile, required=False)
    segments_file = load("segments.yaml", SegmentsFile)
    metrics_file = load("metrics.yaml", MetricsFile)
    journeys: dict[str, Journey] = {}
    journey_files = sorted((config_dir / "journeys").glob("*.y*ml"))
    if not journey_files:
        problems.append(ConfigProblem(f"{name}/journeys/", "no journey files (*.yaml) found"))
    for path in journey_files:
        rel = f"journeys/{path.name}"
        journey = load(rel, Journey)
        if journey is None:
            continue
        if journey.id in journeys:
            line, _, _ = docs[rel].locate(("id",))
            problems.append(
                ConfigProblem(f"{name}/{rel}", f"journey id `{journey.id}` is used twice", line)
            )
        journeys[journey.id] = journey

    icps = icp_file.icps if icp_file else ()
    segments = segments_file.segments if segments_file else ()
    metrics = metrics_file.metrics if metrics_file else {}
    problems += check_references(name, docs, icps, segments, metrics, journeys)
    errors = [p for p in problems if p.severity == "error"]
    if errors or settings is None:
        raise ConfigError(problems)
    digest = hashlib.sha256()
    for rel in sorted(docs):
        digest.update(rel.encode() + b"\0" + docs[rel].path.read_bytes() + b"\0")
    return Config(
        root=config_dir.parent,
        config_dir=config_dir,
        settings=settings,
        icps=icps,
        segments=segments,
        metrics=dict(metrics),
        journeys=journeys,
        fingerprint=digest.hexdigest()[:16],
        warnings=tuple(p for p in problems if p.severity == "warning"),
    )


def check_references(
    name: str,
    docs: dict[str, YamlDocument],
    icps: tuple[Icp, ...],
    segments: tuple[Segment, ...],
    metrics: dict[str, Metric],
    journeys: dict[str, Journey],
) -> list[ConfigProblem]:
    """Problems that span files: undefined journeys, metrics, ICPs; misplaced fields."""
    problems: list[ConfigProblem] = []
    icp_ids = [icp.id for icp in icps]

    def problem(rel: str, loc: tuple[Any, ...], message: str, hint: str | None = None) -> None:
        doc = docs.get(rel)
        line, column, key = doc.locate(loc) if doc else (None, None, "")
        problems.append(ConfigProblem(f"{name}/{rel}", message, line, column, key, hint))

    for i, segment in enumerate(segments):
        if journeys and segment.journey not in journeys:
            problem(
                "segments.yaml",
                ("segments", i, "journey"),
                f"journey `{segment.journey}` is not defined in journeys/",
                did_you_mean(segment.journey, journeys),
            )
        for node in walk(segment.when):
            if isinstance(node, IcpRef) and node.icp not in icp_ids:
                problem(
                    "segments.yaml",
                    ("segments", i, "when"),
                    f"ICP `{node.icp}` is not defined in icp.yaml",
                    did_you_mean(node.icp, icp_ids),
                )
            if isinstance(node, Comparison) and node.metric is not None:
                problem(
                    "segments.yaml",
                    ("segments", i, "when"),
                    "segment rules compare account fields: use `field:`, not `metric:`",
                )
    for i, icp in enumerate(icps):
        for j, criterion in enumerate(icp.criteria):
            for node in walk(criterion.condition):
                if isinstance(node, IcpRef) or (
                    isinstance(node, Comparison) and node.metric is not None
                ):
                    problem(
                        "icp.yaml",
                        ("icps", i, "criteria", j),
                        "ICP criteria compare account fields: use `field:`",
                    )
    for metric_name, metric in metrics.items():
        if metric.where is None:
            continue
        for node in walk(metric.where):
            if isinstance(node, IcpRef) or (
                isinstance(node, Comparison) and node.metric is not None
            ):
                problem(
                    "metrics.yaml",
                    ("metrics", metric_name, "where"),
                    "a metric's `where` filters source rows: use `field:`",
                )
    for journey in journeys.values():
        rel = next(
            (
                r
                for r, d in docs.items()
                if r.startswith("journeys/")
                and d.data
                and isinstance(d.data, dict)
                and d.data.get("id") == journey.id
            ),
            "",
        )
        for i, milestone in enumerate(journey.milestones):
            for node in walk(milestone.when):
                if isinstance(node, IcpRef) or (
                    isinstance(node, Comparison) and node.field is not None
                ):
                    problem(
                        rel,
                        ("milestones", i, "when"),
                        "milestone conditions compare metrics: use `metric:`",
                    )
                if (
                    isinstance(node, Comparison)
                    and node.metric is not None
                    and (node.metric not in metrics)
                ):
                    problem(
                        rel,
                        ("milestones", i, "when"),
                        f"metric `{node.metric}` is not defined in metrics.yaml",
                        did_you_mean(node.metric, metrics),
                    )
    return problems
