"""An HSDS directory's rows by the keys the mapping follows: an organization's services,
locations, phones, contacts (through whichever row links them), a service's areas, an entity's
attributes, the terms and taxonomies by id."""

from __future__ import annotations

from collections import defaultdict

from rete.hsds.check import LINKABLE
from rete.hsds.source import Record, Source


class Index:
    """The file's rows by the keys the mapping follows."""

    def __init__(self, source: Source) -> None:
        self.services: dict[str, list[Record]] = defaultdict(list)
        self.service_org: dict[str, str] = {}
        for service in source.rows("service"):
            self.services[service.get("organization_id")].append(service)
            self.service_org[service.get("id")] = service.get("organization_id")
        self.locations: dict[str, list[Record]] = defaultdict(list)
        self.location_org = {}
        for location in source.rows("location"):
            self.locations[location.get("organization_id")].append(location)
            self.location_org[location.get("id")] = location.get("organization_id")
        self.addresses = _by(source.rows("address"), "location_id")
        self.sal_service = {
            r.get("id"): r.get("service_id") for r in source.rows("service_at_location")
        }
        self.phones: dict[tuple[str, str], list[Record]] = defaultdict(list)
        for phone in source.rows("phone"):
            for owner in (
                "contact_id",
                "organization_id",
                "service_id",
                "location_id",
                "service_at_location_id",
            ):
                if phone.get(owner):
                    self.phones[(owner, phone.get(owner))].append(phone)
                    break
        self.contacts: dict[str, list[Record]] = defaultdict(list)
        for contact in source.rows("contact"):
            self.contacts[self._contact_org(contact)].append(contact)
        self.areas = _by(source.rows("service_area"), "service_id")
        self.attributes: dict[tuple[str, str], list[Record]] = defaultdict(list)
        for attribute in source.rows("attribute"):
            key = (attribute.get("link_entity"), attribute.get("link_id"))
            self.attributes[key].append(attribute)
        self.terms = {t.get("id"): t for t in source.rows("taxonomy_term")}
        self.stray = [a for a in source.rows("attribute") if a.get("link_entity") not in LINKABLE]
        self.taxonomies = {t.get("id"): t for t in source.rows("taxonomy")}

    def _contact_org(self, contact: Record) -> str:
        if contact.get("organization_id"):
            return contact.get("organization_id")
        if contact.get("service_id"):
            return self.service_org.get(contact.get("service_id"), "")
        if contact.get("location_id"):
            return self.location_org.get(contact.get("location_id"), "")
        service = self.sal_service.get(contact.get("service_at_location_id"), "")
        return self.service_org.get(service, "")

    def taxonomy_name(self, term: Record) -> str:
        parent = self.taxonomies.get(term.get("taxonomy_id"))
        return parent.get("name") if parent else term.get("taxonomy")


def _by(records: list[Record], key: str) -> dict[str, list[Record]]:
    found: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        found[record.get(key)].append(record)
    return found
