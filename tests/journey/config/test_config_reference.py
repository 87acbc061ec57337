"""docs/config-reference.md documents every key the config models accept."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from journey.config.model import FILE_KINDS
from journey.config.model_keys import _members
from segments.conditions import AllOf, AnyOf, Comparison, IcpRef, NotOf

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "config-reference.md"
CONDITION_MODELS = {Comparison, AllOf, AnyOf, NotOf, IcpRef}
HEADINGS = {
    "settings": "settings.yaml",
    "icp": "icp.yaml",
    "segments": "segments.yaml",
    "metrics": "metrics.yaml",
    "journey": "journeys/*.yaml",
}


def _models(annotation: Any, found: list[type[BaseModel]]) -> list[type[BaseModel]]:
    """Every model reachable from an annotation (through unions, lists, dicts)."""
    for _, member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            if member not in found:
                found.append(member)
                for info in member.model_fields.values():
                    _models(info.annotation, found)
        else:
            for arg in get_args(member):
                _models(arg, found)
    return found


def _sections() -> dict[str, str]:
    text = REFERENCE.read_text(encoding="utf-8")
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _documented_keys() -> list[tuple[str, str, str]]:
    rows = []
    for kind, (model, _) in FILE_KINDS.items():
        for found in _models(model, []):
            section = "Conditions" if found in CONDITION_MODELS else HEADINGS[kind]
            for name, info in found.model_fields.items():
                rows.append((section, found.__name__, info.alias or name))
    return sorted(set(rows))


@pytest.mark.parametrize("section,model,key", _documented_keys(), ids=lambda v: str(v))
def test_every_model_key_is_in_the_reference(section: str, model: str, key: str) -> None:
    sections = _sections()
    assert section in sections, f"docs/config-reference.md lacks a `## {section}` section"
    assert f"| `{key}` |" in sections[section], (
        f"`{key}` ({model}) is not documented under `## {section}` in docs/config-reference.md"
    )


def test_each_file_section_has_an_example() -> None:
    sections = _sections()
    for heading in [*HEADINGS.values(), "Conditions"]:
        assert "```yaml" in sections[heading], heading


@pytest.mark.parametrize("kind", list(HEADINGS))
def test_each_example_is_valid(kind: str) -> None:
    example = _sections()[HEADINGS[kind]].split("```yaml", 1)[1].split("```", 1)[0]
    model, _ = FILE_KINDS[kind]
    model.model_validate(YAML(typ="safe").load(example))
