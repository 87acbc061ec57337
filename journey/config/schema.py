"""JSON Schemas for the config files, generated from the pydantic models.

Editors that speak the YAML language server (VS Code's YAML extension, JetBrains, Neovim)
read the modeline at the top of each example file::

    # yaml-language-server: $schema=schemas/segments.schema.json

and then autocomplete keys and flag mistakes while typing. The schemas live in
`config/schemas/` and are written by `journey schema --out config/schemas`; a test fails when
the committed ones are out of date.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from journey.config.model import FILE_KINDS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(kind: str) -> str:
    """`segments` -> `segments.schema.json`."""
    return f"{kind}.schema.json"


def modeline(kind: str, relative_to_schemas: str = "schemas") -> str:
    """The yaml-language-server comment that points a file of `kind` at its schema."""
    return f"# yaml-language-server: $schema={relative_to_schemas}/{schema_file_name(kind)}"


def _flat_criteria(schema: dict[str, Any]) -> None:
    """An ICP criterion is written flat (`{field: x, in: [...], weight: 0.5}`): say so.

    The model wraps it as `{condition, weight}` in a before-validator, which pydantic's
    schema cannot see; here each condition form gets an optional `weight` key.
    """
    defs = schema.get("$defs", {})
    criterion = defs.get("Criterion")
    if criterion is None:
        return
    weight = criterion["properties"]["weight"]
    forms: list[dict[str, Any]] = []
    for member in criterion["properties"]["condition"]["oneOf"]:
        ref = member.get("$ref")
        if ref is None:
            forms.append(member)
            continue
        name = ref.rsplit("/", 1)[-1]
        flat = copy.deepcopy(defs[name])
        flat["properties"]["weight"] = weight
        flat["title"] = f"{name} criterion"
        defs[f"{name}Criterion"] = flat
        forms.append({"$ref": f"#/$defs/{name}Criterion"})
    forms.append({k: v for k, v in criterion.items() if k != "description"})
    defs["Criterion"] = {"description": criterion.get("description", ""), "oneOf": forms}


def file_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of config file."""
    model, where = FILE_KINDS[kind]
    schema = model.model_json_schema(by_alias=True)
    _flat_criteria(schema)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"journey config: {where}",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_texts() -> dict[str, str]:
    """File name -> JSON text of every schema, stable (sorted keys, trailing newline)."""
    return {
        schema_file_name(kind): json.dumps(file_schema(kind), indent=2, sort_keys=True) + "\n"
        for kind in FILE_KINDS
    }


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every schema into `out_dir`; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in schema_texts().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
