"""Reading HSDS JSON (3.0) into the same rows as the CSVs (`rete.hsds.read`).

Accepted: one `organization_full` object, a list of them, a page of them (the API's
`contents`), the same for `service_full` objects (each with its `organization`), or the
`tabular.json` form (an object of CSV file names → rows). Nested objects become rows whose
foreign key is their parent's id; an object repeated in several places (the examples repeat a
contact under its location) is one row; what Rete does not read is counted once per object.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rete.hsds import descriptor
from rete.hsds.source import ITALIAN_NAMES, NotHsds, Origin, Record, Source, keep

# Nested lists: parent resource -> key -> (child resource, the child's field naming the parent).
CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {
        "services": ("service", "organization_id"),
        "contacts": ("contact", "organization_id"),
        "phones": ("phone", "organization_id"),
        "locations": ("location", "organization_id"),
    },
    "service": {
        "phones": ("phone", "service_id"),
        "contacts": ("contact", "service_id"),
        "service_areas": ("service_area", "service_id"),
        "service_at_locations": ("service_at_location", "service_id"),
    },
    "service_at_location": {
        "contacts": ("contact", "service_at_location_id"),
        "phones": ("phone", "service_at_location_id"),
    },
    "location": {
        "addresses": ("address", "location_id"),
        "phones": ("phone", "location_id"),
        "contacts": ("contact", "location_id"),
    },
    "contact": {"phones": ("phone", "contact_id")},
}
# Nested single objects: (parent, key) -> (child resource, the parent's field naming the child).
SINGLE: dict[tuple[str, str], tuple[str, str]] = {
    ("service", "organization"): ("organization", "organization_id"),
    ("service_at_location", "location"): ("location", "location_id"),
    ("attribute", "taxonomy_term"): ("taxonomy_term", "taxonomy_term_id"),
    ("taxonomy_term", "taxonomy_detail"): ("taxonomy", "taxonomy_id"),
}
# Keys only an organization object has (a taxonomy also has an id and a name).
ORGANIZATION_KEYS = frozenset(
    {
        "alternate_name",
        "contacts",
        "email",
        "funding",
        "legal_status",
        "locations",
        "logo",
        "organization_identifiers",
        "parent_organization_id",
        "phones",
        "programs",
        "services",
        "tax_id",
        "tax_status",
        "website",
        "year_incorporated",
    }
)
PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "contents"}


def read_json(data: bytes, name: str) -> Source:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise NotHsds(f"«{name}» non è un file JSON leggibile ({error}).") from None
    if isinstance(document, dict) and any(key.endswith(".csv") for key in document):
        return _tabular_json(document, name)
    items, prefix = _items(document)
    reader = _JsonReader(name)
    for index, item in enumerate(items):
        where = f"{prefix}[{index}]" if prefix is not None else ""
        if not isinstance(item, dict) or not item.get("id"):
            raise NotHsds(
                f"«{name}»: l'oggetto {where or 'principale'} non è un'organizzazione né un "
                "servizio HSDS (manca «id»)."
            )
        if "organization" in item or "status" in item:
            reader.add("service", item, where, parent=None)
        elif set(item) & ORGANIZATION_KEYS:
            reader.add("organization", item, where, parent=None)
        else:
            raise NotHsds(
                f"«{name}»: l'oggetto {where or 'principale'} non è un'organizzazione né un "
                "servizio HSDS (ad esempio una tassonomia): Rete importa organizzazioni."
            )
    if not reader.records.get("organization"):
        raise NotHsds(
            f"«{name}» non contiene organizzazioni HSDS: servono oggetti «organization» (con "
            "i loro servizi) o «service» con la loro «organization»."
        )
    return Source(name, f"HSDS {descriptor.version()[:3]}", reader.records, reader.unread, False)


def _items(document: Any) -> tuple[list[Any], str | None]:
    if isinstance(document, list):
        return document, ""
    if (
        isinstance(document, dict)
        and "contents" in document
        and set(document)
        <= PAGE_KEYS
        | {
            "first_page",
            "last_page",
            "empty",
        }
    ):
        contents = document["contents"]
        return (contents if isinstance(contents, list) else []), "contents"
    if isinstance(document, dict):
        return [document], None
    return [], None


class _JsonReader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.records: dict[str, list[Record]] = {}
        self.seen: dict[tuple[str, str], Record] = {}
        self.unread: Counter[str] = Counter()
        self.left_out: set[tuple[str, str]] = set()  # (kind, id) of objects counted

    def add(
        self, resource: str, item: dict[str, Any], path: str, parent: tuple[str, str] | None
    ) -> Record:
        values = {key: _text(value) for key, value in item.items() if _scalar(value)}
        if parent is not None:
            values[parent[0]] = parent[1]
        key = (resource, values.get("id", ""))
        record = self.seen.get(key) if key[1] else None
        if record is None:
            record = Record(resource, values, Origin(self.file, path=path or None))
            self.records.setdefault(resource, []).append(record)
            if key[1]:
                self.seen[key] = record
        else:  # the same object again: whatever it adds (another parent) completes it
            for name, value in values.items():
                if value and not record.values.get(name):
                    record.values[name] = value
        self._children(resource, item, record, path)
        return record

    def _children(self, resource: str, item: dict[str, Any], record: Record, path: str) -> None:
        own_id = record.values.get("id", "")
        for key, value in item.items():
            at = f"{path}.{key}" if path else key
            if isinstance(value, list) and key == "attributes":
                for index, child in enumerate(value):
                    if isinstance(child, dict):
                        attribute = dict(child)
                        attribute.setdefault("link_id", own_id)
                        attribute.setdefault("link_entity", resource)
                        self.add("attribute", attribute, f"{at}[{index}]", None)
            elif isinstance(value, list) and key in CHILDREN.get(resource, {}):
                child_resource, parent_field = CHILDREN[resource][key]
                for index, child in enumerate(value):
                    if isinstance(child, dict):
                        self.add(child_resource, child, f"{at}[{index}]", (parent_field, own_id))
            elif isinstance(value, dict) and (resource, key) in SINGLE:
                child_resource, own_field = SINGLE[(resource, key)]
                child = self.add(child_resource, value, at, None)
                if not record.values.get(own_field):
                    record.values[own_field] = child.values.get("id", "")
            elif isinstance(value, list | dict) and value:
                self._left_out(key, value if isinstance(value, list) else [value])

    def _left_out(self, key: str, objects: list[Any]) -> None:
        """Count what Rete does not read, once per object (the examples repeat them)."""
        singular = key[:-1] if key.endswith("s") else key
        kind = ITALIAN_NAMES.get(singular, ITALIAN_NAMES.get(key, key))
        for index, item in enumerate(objects):
            identity = (
                str(item.get("id") or f"{id(objects)}/{index}")
                if isinstance(item, dict)
                else f"{id(objects)}/{index}"
            )
            if (kind, identity) not in self.left_out:
                self.left_out.add((kind, identity))
                self.unread[kind] += 1


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tabular_json(document: dict[str, Any], name: str) -> Source:
    """The `tabular.json` form: {"organizations.csv": [rows], ...}, read as the CSVs."""
    source = Source(name, f"HSDS {descriptor.version()[:3]}", {})
    paths = {resource.path: resource.name for resource in descriptor.resources()}
    for file, rows in document.items():
        resource = paths.get(file)
        if resource is None or not isinstance(rows, list):
            continue
        records = [
            Record(
                resource,
                {key: _text(value) for key, value in row.items() if _scalar(value)},
                Origin(name, path=f"{file}[{index}]"),
            )
            for index, row in enumerate(rows)
            if isinstance(row, dict)
        ]
        keep(source, resource, records)
    if not source.rows("organization"):
        raise NotHsds(f"«{name}» non contiene organizzazioni HSDS (organizations.csv).")
    return source
