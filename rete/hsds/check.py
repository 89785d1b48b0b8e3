"""Checks of an HSDS directory's structure, before anything is mapped to Rete: each problem
with its file, row and field, in Italian.

Errors (nothing is imported while one is left):
- a field Rete reads that HSDS requires is empty (an organization's `id` and `name`, a
  service's `organization_id` and `status`, a phone's `number`...; HSDS's other required fields,
  such as an address's postal code, are the publisher's business and are not checked);
- an id repeated within a CSV file;
- a foreign key that does not resolve: every key the descriptor declares on the tables Rete
  reads, an attribute's `link_id` (on the table its `link_entity` names) and, in CSV, a
  taxonomy term's `parent_id`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rete.hsds import descriptor
from rete.hsds.read import V1_FILES
from rete.hsds.source import READ, Origin, Record, Source

# The fields Rete reads, of those HSDS requires.
NEEDED: dict[str, frozenset[str]] = {
    "organization": frozenset({"id", "name"}),
    "service": frozenset({"id", "organization_id", "status"}),
    "service_at_location": frozenset({"id", "service_id", "location_id"}),
    "location": frozenset({"id"}),
    "address": frozenset({"id", "address_1", "city"}),
    "phone": frozenset({"id", "number"}),
    "contact": frozenset({"id"}),
    "service_area": frozenset({"id"}),
    "attribute": frozenset({"id", "link_id", "taxonomy_term_id", "link_entity"}),
    "taxonomy_term": frozenset({"id", "name"}),
    "taxonomy": frozenset({"id", "name"}),
}
# What an attribute may be about, among the tables Rete reads.
LINKABLE = frozenset({"organization", "service", "contact", "location", "service_at_location"})


@dataclass(frozen=True)
class Problem:
    """Something to tell about the file: an error stops the import, a warning does not."""

    error: bool
    message: str
    origin: Origin | None = None
    field: str | None = None  # as the file names it

    @property
    def level(self) -> str:
        return "Errore" if self.error else "Avviso"

    def where(self) -> str:
        place = self.origin.where() if self.origin else ""
        if self.field:
            place = f"{place}, campo «{self.field}»" if place else f"campo «{self.field}»"
        return place

    def __str__(self) -> str:
        place = self.where()
        return f"{place}: {self.message}" if place else self.message


def error(message: str, record: Record | None = None, field: str | None = None) -> Problem:
    return Problem(True, message, record.origin if record else None, _column(record, field))


def warning(message: str, record: Record | None = None, field: str | None = None) -> Problem:
    return Problem(False, message, record.origin if record else None, _column(record, field))


def _column(record: Record | None, field: str | None) -> str | None:
    return record.column(field) if record is not None and field is not None else field


def file_of(source: Source, resource: str) -> str:
    """The file (or the JSON) that holds a resource, as the user knows it."""
    rows = source.rows(resource)
    if rows:
        return rows[0].origin.file
    if source.version == "HSDS 1.x":
        for name, (known, _) in V1_FILES.items():
            if known == resource:
                return name
    try:
        return descriptor.resource(resource).path
    except KeyError:
        return resource


def check_structure(source: Source) -> list[Problem]:
    """The errors of the package's structure, in file order."""
    problems: list[Problem] = []
    ids: dict[str, set[str]] = defaultdict(set)
    for resource, records in source.records.items():
        seen: dict[str, Record] = {}
        for record in records:
            identity = record.get("id")
            ids[resource].add(identity)
            if resource in READ and source.from_csv and identity and identity in seen:
                problems.append(
                    error(
                        f"l'identificativo {identity} è già usato alla riga "
                        f"{seen[identity].origin.row}: ogni riga deve avere il suo.",
                        record,
                        "id",
                    )
                )
            seen.setdefault(identity, record)
    for resource in READ:
        for record in source.rows(resource):
            problems += _required(resource, record)
            problems += _references(source, resource, record, ids)
    return problems


def _required(resource: str, record: Record) -> list[Problem]:
    found = []
    required = descriptor.resource(resource).required & NEEDED[resource]
    for field in sorted(required, key=descriptor.resource(resource).fields.index):
        if not record.get(field):
            found.append(error("campo obbligatorio vuoto o mancante.", record, field))
    return found


def _references(
    source: Source, resource: str, record: Record, ids: dict[str, set[str]]
) -> list[Problem]:
    keys = [(key.field, key.resource) for key in descriptor.resource(resource).foreign_keys]
    if resource == "taxonomy_term" and source.from_csv:
        # In JSON a term comes inside the attributes that use it: its parent may not be there.
        keys.append(("parent_id", "taxonomy_term"))
    if resource == "attribute":
        entity = record.get("link_entity")
        if entity in LINKABLE:
            keys.append(("link_id", entity))
    found = []
    for field, target in keys:
        value = record.get(field)
        if value and value not in ids.get(target, set()):
            found.append(
                error(
                    f"{value} non corrisponde a nessuna riga di {file_of(source, target)}: "
                    "il riferimento non si risolve.",
                    record,
                    field,
                )
            )
    return found
