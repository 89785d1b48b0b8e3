"""The directory as HSDS 3.0 JSON: the rows of `rete.hsds.export` nested as the 3.0 API's
`organization_full` objects (services, contacts, phones, locations inside their organization;
each attribute with its taxonomy term, and the term with its taxonomy), on one page of the
API's paginated list. The foreign key a nesting replaces, and empty fields, are left out;
numbers are numbers. `rete.hsds.read` reads it back.
"""

from __future__ import annotations

import json
from typing import Any

from rete.hsds import descriptor
from rete.hsds.descriptor import Row, Tables

# Where each resource sits in an `organization_full` object: (parent resource, the key of the
# list in the parent, the foreign key to the parent that the nesting replaces).
NESTING: dict[str, tuple[str, str, str]] = {
    "service": ("organization", "services", "organization_id"),
    "location": ("organization", "locations", "organization_id"),
    "address": ("location", "addresses", "location_id"),
    "service_area": ("service", "service_areas", "service_id"),
}
# Phones, contacts and attributes hang from whichever row they name.
OWNERS: dict[str, tuple[tuple[str, str], ...]] = {
    "phone": (("contact_id", "contact"), ("organization_id", "organization")),
    "contact": (("organization_id", "organization"), ("service_id", "service")),
}
LIST_KEYS = {"phone": "phones", "contact": "contacts", "attribute": "attributes"}


def organizations_json(tables: Tables) -> dict[str, Any]:
    """The directory as HSDS JSON: one page (the 3.0 API's paginated list) of
    `organization_full` objects, each with its services, contacts, phones and locations
    nested, the taxonomy term of each attribute inside it. Empty fields are left out."""
    objects: dict[tuple[str, str], dict[str, Any]] = {}
    for name in (
        "organization",
        "service",
        "location",
        "address",
        "service_area",
        "contact",
        "phone",
    ):
        for values in tables[name]:
            objects[(name, values["id"])] = _json_object(name, values, dropped=_parent_keys(name))
    for name, (parent, key, parent_field) in NESTING.items():
        for values in tables[name]:
            objects[(parent, values[parent_field])].setdefault(key, []).append(
                objects[(name, values["id"])]
            )
    for name, owners in OWNERS.items():
        for values in tables[name]:
            for field, owner in owners:
                if values[field]:
                    objects[(owner, values[field])].setdefault(LIST_KEYS[name], []).append(
                        objects[(name, values["id"])]
                    )
                    break
    terms = {values["id"]: values for values in tables["taxonomy_term"]}
    taxonomies = {values["id"]: values for values in tables["taxonomy"]}
    for values in tables["attribute"]:
        term = terms[values["taxonomy_term_id"]]
        nested_term = _json_object("taxonomy_term", term, dropped={"taxonomy_id"})
        if term["taxonomy_id"]:
            nested_term["taxonomy_detail"] = _json_object(
                "taxonomy", taxonomies[term["taxonomy_id"]]
            )
        attribute = _json_object("attribute", values, dropped={"link_id", "taxonomy_term_id"})
        attribute["taxonomy_term"] = nested_term
        objects[(values["link_entity"], values["link_id"])].setdefault("attributes", []).append(
            attribute
        )
    contents = [objects[("organization", values["id"])] for values in tables["organization"]]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }


def _parent_keys(name: str) -> set[str]:
    keys = {NESTING[name][2]} if name in NESTING else set()
    keys |= {field for field, _ in OWNERS.get(name, ())}
    return keys


def _json_object(resource: str, values: Row, dropped: set[str] | None = None) -> dict[str, Any]:
    numbers = descriptor.resource(resource).numbers
    found: dict[str, Any] = {}
    for name, value in values.items():
        if not value or name in (dropped or set()):
            continue
        found[name] = _number(value) if name in numbers else value
    return found


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


def package_json(tables: Tables) -> bytes:
    return (json.dumps(organizations_json(tables), ensure_ascii=False, indent=2) + "\n").encode(
        "utf-8"
    )
