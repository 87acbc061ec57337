"""JSON Schemas: committed copies are current, example files point at them and pass them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from journey.config.loader import validate_config
from journey.config.model import FILE_KINDS
from journey.config.schema import modeline, schema_file_name, schema_texts

EXAMPLE = Path(__file__).resolve().parents[3] / "config"


def _example_files() -> list[tuple[str, Path]]:
    files = []
    for kind, (_, where) in FILE_KINDS.items():
        files += [(kind, path) for path in sorted(EXAMPLE.glob(where))]
    return files


def test_committed_schemas_are_up_to_date() -> None:
    committed = {p.name: p.read_text() for p in (EXAMPLE / "schemas").glob("*.json")}
    assert committed == schema_texts(), "run: journey schema --out config/schemas"


@pytest.mark.parametrize("kind,path", _example_files(), ids=lambda v: str(v))
def test_example_file_starts_with_its_modeline(kind: str, path: Path) -> None:
    prefix = "../schemas" if path.parent.name == "journeys" else "schemas"
    first_line = path.read_text().splitlines()[0]
    assert first_line == modeline(kind, prefix)
    assert (path.parent / prefix / schema_file_name(kind)).is_file()


@pytest.mark.parametrize("kind,path", _example_files(), ids=lambda v: str(v))
def test_example_file_is_valid_under_its_schema(kind: str, path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_texts()[schema_file_name(kind)])
    data = YAML(typ="safe").load(path)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors == []


def test_schema_flags_a_misspelt_key_and_accepts_flat_weighted_criteria() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    segments = json.loads(schema_texts()["segments.schema.json"])
    bad = {"segments": [{"id": "a", "journey": "j", "when": {"feild": "plan", "eq": "x"}}]}
    assert list(jsonschema.Draft202012Validator(segments).iter_errors(bad))
    icp = json.loads(schema_texts()["icp.schema.json"])
    good = {"icps": [{"id": "p", "criteria": [{"field": "region", "in": ["NA"], "weight": 0.5}]}]}
    assert list(jsonschema.Draft202012Validator(icp).iter_errors(good)) == []


def test_example_config_passes_check_strict() -> None:
    report = validate_config(EXAMPLE)
    assert [p.render() for p in report.problems] == []
    assert report.config is not None
