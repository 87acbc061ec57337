"""Which keys are valid at a given place of a config file, read off the pydantic models.

Used for did-you-mean hints: a misspelt key is compared with the keys allowed *where it was
written* (`gte` inside a condition, `due_day` inside a milestone), not with every key of
every file. Locations are pydantic error locations: field aliases, list indexes, dict keys
and the tags of tagged unions (`comparison`, `count_metric`, ...).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Tag

from segments.icp import Criterion


def _members(annotation: Any) -> list[tuple[str | None, Any]]:
    """The alternatives of an annotation, each with its union tag (if any)."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        tag = next((m.tag for m in metadata if isinstance(m, Tag)), None)
        members = _members(base)
        return [(tag, t) for _, t in members] if tag is not None else members
    if get_origin(annotation) in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    if annotation is type(None):
        return []
    return [(None, annotation)]


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _step(annotation: Any, segment: str | int) -> tuple[Any, bool]:
    """The annotation one step down; True when the step chose a member of a tagged union."""
    members = _members(annotation)
    for tag, member in members:
        if tag is not None and tag == segment:
            return member, True
    for _, member in members:
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(segment, str):
            found = _field(member, segment)
            if found is not None:
                return found, False
        elif origin in (tuple, list) and isinstance(segment, int):
            args = [a for a in get_args(member) if a is not Ellipsis]
            return (args[min(segment, len(args) - 1)] if args else Any), False
        elif origin is dict and isinstance(segment, str):
            return get_args(member)[1], False
    return None, False


def keys_of(annotation: Any) -> list[str]:
    """The keys of every mapping model an annotation can be, by their YAML names."""
    keys: list[str] = []
    for _, member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            keys += [info.alias or name for name, info in member.model_fields.items()]
    return list(dict.fromkeys(keys))


def keys_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys allowed in the mapping at `loc` of a file validated by `root`.

    At a tagged union (a condition, a metric) the keys of every alternative are allowed,
    since the writer may have meant any of them; a flat ICP criterion also allows `weight`.
    """
    annotation: Any = root
    union: Any = None
    extra: list[str] = []
    for segment in loc:
        previous = annotation
        annotation, chose_tag = _step(annotation, segment)
        if annotation is None:
            return []
        union = previous if chose_tag else None
        if segment == "condition" and any(m is Criterion for _, m in _members(previous)):
            extra = ["weight"]
    return keys_of(union if union is not None else annotation) + extra


def literal_values(annotation: Any) -> list[Any]:
    """The allowed values of a Literal annotation (empty for anything else)."""
    values: list[Any] = []
    for _, member in _members(annotation):
        if get_origin(member) is Literal:
            values += list(get_args(member))
    return values
