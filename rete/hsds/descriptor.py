"""The official HSDS 3.0 descriptor (`datapackage.json`, see NOTICE.md), read once.

The export writes every resource the descriptor lists, with its field names in its order; the
import checks required fields and foreign keys as it declares them. Nothing else in Rete
spells an HSDS field list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("datapackage.json")

Row = dict[str, str]  # field -> text, every field of the resource ("" when empty)
Tables = dict[str, list[Row]]  # resource name -> rows


@dataclass(frozen=True)
class ForeignKey:
    field: str
    resource: str  # the resource it points at, always through that resource's `id`


@dataclass(frozen=True)
class Resource:
    """One table of the package: its name (`organization`), its file (`organizations.csv`),
    its fields in order, the required ones, and its foreign keys."""

    name: str
    path: str
    fields: tuple[str, ...]
    required: frozenset[str]
    foreign_keys: tuple[ForeignKey, ...]
    numbers: frozenset[str]  # fields of type number: numbers in the JSON form


@cache
def text() -> str:
    """The descriptor exactly as published: it goes into every exported package."""
    return PATH.read_text(encoding="utf-8")


@cache
def version() -> str:
    found: str = json.loads(text())["version"]
    return found


@cache
def resources() -> tuple[Resource, ...]:
    """Every resource, in the descriptor's order."""
    return tuple(_resource(entry) for entry in json.loads(text())["resources"])


@cache
def _by_name() -> dict[str, Resource]:
    return {resource.name: resource for resource in resources()}


def resource(name: str) -> Resource:
    """The resource called `name` (`organization`, `service`, ...); KeyError for another."""
    return _by_name()[name]


def _resource(entry: dict[str, Any]) -> Resource:
    schema = entry["schema"]
    fields = tuple(field["name"] for field in schema["fields"])
    required = frozenset(
        field["name"]
        for field in schema["fields"]
        if field.get("constraints", {}).get("required", False)
    )
    numbers = frozenset(field["name"] for field in schema["fields"] if field["type"] == "number")
    keys = []
    for key in schema.get("foreignKeys", []):
        reference = key["reference"]
        # HSDS 3.0 only has single-field keys onto another resource's id.
        assert isinstance(key["fields"], str) and reference["fields"] == "id", key
        keys.append(ForeignKey(key["fields"], reference["resource"]))
    return Resource(entry["name"], entry["path"], fields, required, tuple(keys), numbers)
