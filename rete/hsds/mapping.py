"""From HSDS rows to what Rete keeps of a partner (`Draft`): one per organization, with every
value checked as the directory's form checks it, and a warning for each one left out. A text
with a control character (tab and line breaks aside) is left out with a warning, as the form
refuses it; in a partner's or a contact's name, which cannot be left out, it is an error.

What comes from where (see `rete.hsds.vocabulary` for Rete's own conventions):
- name, description, e-mail, website: the organization's (a service's e-mail or url when the
  organization has none); an HTML description (from another directory) becomes plain text; a
  description equal to the legal status is the one Rete's export writes for a partner without
  one, and is dropped;
- kind: the legal status, when it is one of Rete's kinds (its Italian label or its code);
- phone: the organization's own, else its service's, else its location's (the first that Rete
  accepts; the extension written «int. 23»);
- address and municipality: its first location (the address row, else the location's name;
  the municipality from «Comune di …», else, in another directory's file, the address's city);
- active: whether any of its services is `active`; verified: the latest `assured_date`;
- coverage: the attributes of its services (or of itself) on Rete's taxonomy of needs, by code;
  a term of another taxonomy counts when its name is exactly the name of one Rete area or
  specific need (accents and case ignored), otherwise it is left out with a warning;
- places: its services' areas named as Rete's neighbourhoods («Biumo (Varese)», or a
  neighbourhood name found in one municipality only) or municipalities («Varese»);
- contacts: those of the organization, of its services, locations or services at a location,
  with their phone; the primary one and the preferred channel from Rete's taxonomy of contacts,
  otherwise the first contact is the primary one.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from rete import config, validation
from rete.directory.edit import (
    ADDRESS_MAX,
    CONTACT_CHANNELS,
    CONTACT_NAME_MAX,
    CONTACT_ROLE_MAX,
    DESCRIPTION_MAX,
    MUNICIPALITY_MAX,
    NAME_MAX,
)
from rete.errors import ValidationError
from rete.hsds import vocabulary as v
from rete.hsds.check import Problem, error, warning
from rete.hsds.index import Index
from rete.hsds.source import Record, Source
from rete.taxonomy import PARTNER_KINDS

INACTIVE_STATUSES = frozenset({"inactive", "defunct", "temporarily closed"})
# The markup HSDS allows in a description that a directory's editor usually writes.
_TAG = re.compile(r"</?(?:p|ul|ol|li|br|b|i|u|em|strong|a|div|span|h[1-6])\b[^>]*>", re.IGNORECASE)
_ITEM = re.compile(r"<li[^>]*>", re.IGNORECASE)
# What a value with a control character is told, as the directory's form tells it.
_UNPRINTABLE = "contiene caratteri non stampabili: ricopiarlo a mano"
_BREAK = re.compile(r"<(br|/p|/li|/ul|/ol|/div)[^>]*>", re.IGNORECASE)


class Check(Protocol):
    """The shape of `validation.email`, `validation.website`: the cleaned value, or raises."""

    def __call__(self, value: str | None, *, field: str | None = None) -> str | None: ...


@dataclass(frozen=True)
class Category:
    id: int
    code: str
    name: str
    active: bool


@dataclass
class Known:
    """What Rete's database knows that a file can name: categories, places."""

    categories: dict[str, Category]  # by code
    category_names: dict[str, Category | None]  # folded name -> the one category, or None
    neighbourhoods: dict[tuple[str, str], int]  # (folded name, folded municipality) -> id
    neighbourhood_names: dict[str, int | None]  # folded name -> the one neighbourhood, or None
    municipalities: dict[str, str]  # folded -> as written in Rete


@dataclass
class DraftContact:
    name: str
    role: str | None
    phone: str | None
    email: str | None
    channel: str | None
    primary: bool
    hsds_id: str


@dataclass
class Draft:
    """A partner as the file describes it, values checked; None where the file says nothing."""

    record: Record
    uuid: str
    name: str
    kind: str | None = None
    description: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    municipality: str | None = None
    category_ids: set[int] = field(default_factory=set)
    neighbourhood_ids: set[int] = field(default_factory=set)
    municipalities: set[str] = field(default_factory=set)
    contacts: list[DraftContact] = field(default_factory=list)
    primary_given: bool = False  # the file says which contact is the primary one
    active: bool | None = None
    verified: dt.date | None = None


class Mapper:
    """Turns each organization of a source into a Draft, collecting warnings."""

    def __init__(self, source: Source, known: Known, today: dt.date | None = None) -> None:
        self.source = source
        self.known = known
        self.index = Index(source)
        self.today = today or config.today()
        self.problems: list[Problem] = []
        self.left_out: Counter[str] = Counter()
        # A package Rete exported holds plain text: a «<b>» there was typed as such.
        self.own = v.NEEDS_TAXONOMY_ID in self.index.taxonomies

    def drafts(self) -> list[Draft]:
        for attribute in self.index.stray:
            entity = attribute.get("link_entity")[:40]
            self.problems.append(
                warning(
                    f"attributo di «{entity}», che non è un'organizzazione, un servizio o un "
                    "referente: Rete non lo legge.",
                    attribute,
                    "link_entity",
                )
            )
        found = []
        for record in self.source.rows("organization"):
            draft = self.draft(record)
            if draft is not None:
                found.append(draft)
        return found

    def draft(self, org: Record) -> Draft | None:
        name = self._text(org, "name", "Il nome", NAME_MAX, cut=False)
        if name is None or not org.get("id"):
            return None  # already reported by the structure check
        draft = Draft(org, self._uuid(org), name)
        services = self.index.services.get(org.get("id"), [])
        draft.kind = self._kind(org)
        draft.description = self._description(org)
        draft.email = self._first_valid(
            [(org, "email")] + [(s, "email") for s in services], validation.email
        )
        draft.website = self._first_valid(
            [(org, "website")] + [(s, "url") for s in services], validation.website
        )
        draft.phone = self._organization_phone(org, services)
        self._place(draft, org)
        self._status(draft, services)
        self._coverage(draft, org, services)
        self._places(draft, services)
        self._contacts(draft, org)
        return draft

    # --- Values

    def _text(
        self, record: Record, name: str, what: str, limit: int, *, cut: bool = True
    ) -> str | None:
        text = " ".join(record.get(name).split())
        if not text:
            return None
        if validation.unprintable(text):
            if not cut:
                self.problems.append(error(f"{what} {_UNPRINTABLE}.", record, name))
                return None
            self.problems.append(warning(f"{what} {_UNPRINTABLE}: lasciato fuori.", record, name))
            return None
        if len(text) > limit:
            if not cut:
                self.problems.append(
                    error(f"{what} supera i {limit} caratteri che Rete accetta.", record, name)
                )
                return None
            self.problems.append(
                warning(f"{what} supera i {limit} caratteri: importato tagliato.", record, name)
            )
            text = text[: limit - 1].rstrip() + "…"
        return text

    def _uuid(self, org: Record) -> str:
        given = org.get("id")
        try:
            return str(uuid.UUID(given))
        except ValueError:
            derived = v.derived_id(v.NAMESPACE, "organization", given)
            self.problems.append(
                warning(
                    f"l'identificativo «{given[:40]}» non è un UUID: Rete usa {derived}, lo "
                    "stesso a ogni importazione di questo file.",
                    org,
                    "id",
                )
            )
            return derived

    def _kind(self, org: Record) -> str | None:
        status = v.folded(org.get("legal_status"))
        if not status:
            return None
        for code, label in PARTNER_KINDS.items():
            if status in (v.folded(code), v.folded(label)):
                return code
        return None

    def _description(self, org: Record) -> str | None:
        text = org.get("description")
        if not text:
            return None
        if not self.own and _TAG.search(text):
            text = _ITEM.sub("\n• ", text)
            text = html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))
            text = "\n".join(" ".join(line.split()) for line in text.splitlines())
            text = re.sub(r"\n{2,}", "\n", text).strip()
        if validation.unprintable(text):
            self.problems.append(
                warning(f"la descrizione {_UNPRINTABLE}: lasciata fuori.", org, "description")
            )
            return None
        if v.folded(text) == v.folded(org.get("legal_status")):
            return None  # Rete's export describes a partner without a description by its kind
        if len(text) > DESCRIPTION_MAX:
            self.problems.append(
                warning(
                    f"la descrizione supera i {DESCRIPTION_MAX} caratteri: importata tagliata.",
                    org,
                    "description",
                )
            )
            text = text[: DESCRIPTION_MAX - 1].rstrip() + "…"
        return text

    def _first_valid(self, places: list[tuple[Record, str]], check: Check) -> str | None:
        for record, name in places:
            value = record.get(name)
            if not value:
                continue
            try:
                return check(value, field=name)
            except ValidationError as refused:
                self.problems.append(
                    warning(f"{refused} Lasciato fuori dall'importazione.", record, name)
                )
        return None

    def _phone_of(self, phones: list[Record]) -> str | None:
        """The first of these phones that Rete accepts; the others are reported or counted."""
        found = None
        for phone in phones:
            number = v.join_extension(phone.get("number").strip('"'), phone.get("extension"))
            try:
                checked = validation.phone(number)
            except ValidationError as refused:
                self.problems.append(
                    warning(f"{refused} Lasciato fuori dall'importazione.", phone, "number")
                )
                continue
            if found is None:
                found = checked
            elif checked != found:
                self.left_out["altri telefoni (Rete ne tiene uno per ente e per referente)"] += 1
        return found

    def _organization_phone(self, org: Record, services: list[Record]) -> str | None:
        phones = list(self.index.phones.get(("organization_id", org.get("id")), []))
        for service in services:
            phones += self.index.phones.get(("service_id", service.get("id")), [])
        for location in self.index.locations.get(org.get("id"), []):
            phones += self.index.phones.get(("location_id", location.get("id")), [])
        return self._phone_of(phones)

    def _place(self, draft: Draft, org: Record) -> None:
        locations = self.index.locations.get(org.get("id"), [])
        if not locations:
            return
        physical = [loc for loc in locations if loc.get("location_type") in ("", "physical")]
        location = (physical or locations)[0]
        if len(locations) > 1:
            self.left_out["altre sedi (Rete ne tiene una per ente)"] += len(locations) - 1
        addresses = self.index.addresses.get(location.get("id"), [])
        line = None
        city = ""
        if addresses:
            address = addresses[0]
            line = v.address_line(
                address.get("address_1"),
                address.get("address_2"),
                address.get("postal_code"),
                address.get("city"),
                address.get("state_province"),
            )
            city = address.get("city")
        line = line or location.get("name") or None
        if validation.unprintable(line):
            self.problems.append(
                warning(f"l'indirizzo {_UNPRINTABLE}: lasciato fuori.", location, "name")
            )
            line = None
        if line and len(line) > ADDRESS_MAX:
            self.problems.append(
                warning(
                    f"l'indirizzo supera i {ADDRESS_MAX} caratteri: importato tagliato.",
                    location,
                    "name",
                )
            )
            line = line[: ADDRESS_MAX - 1].rstrip() + "…"
        draft.address = line
        described = location.get("description")
        if described.startswith(v.MUNICIPALITY_PREFIX):
            city = described[len(v.MUNICIPALITY_PREFIX) :]
        elif self.own:
            city = ""  # Rete writes the municipality there, when the partner has one
        city = " ".join(city.split())
        if validation.unprintable(city):
            self.problems.append(
                warning(f"il comune {_UNPRINTABLE}: lasciato fuori.", location, "description")
            )
            city = ""
        if len(city) > MUNICIPALITY_MAX:
            self.problems.append(
                warning(
                    f"il comune supera i {MUNICIPALITY_MAX} caratteri: lasciato fuori.",
                    location,
                    "description",
                )
            )
            city = ""
        draft.municipality = self.known.municipalities.get(v.folded(city), city) or None

    def _status(self, draft: Draft, services: list[Record]) -> None:
        statuses = [s.get("status").lower() for s in services if s.get("status")]
        if statuses:
            draft.active = any(s not in INACTIVE_STATUSES for s in statuses)
        for service in services:
            text = service.get("assured_date")
            if not text:
                continue
            try:
                day = dt.date.fromisoformat(text[:10])
            except ValueError:
                self.problems.append(
                    warning(
                        f"«{text[:20]}» non è una data (AAAA-MM-GG): data di verifica lasciata fuori.",
                        service,
                        "assured_date",
                    )
                )
                continue
            if day > self.today:
                self.problems.append(
                    warning(
                        f"la data di verifica {day:%d/%m/%Y} è nel futuro: lasciata fuori.",
                        service,
                        "assured_date",
                    )
                )
                continue
            draft.verified = max(day, draft.verified or day)

    # --- Coverage and places

    def _coverage(self, draft: Draft, org: Record, services: list[Record]) -> None:
        attributes = list(self.index.attributes.get(("organization", org.get("id")), []))
        for service in services:
            attributes += self.index.attributes.get(("service", service.get("id")), [])
        for attribute in attributes:
            term = self.index.terms.get(attribute.get("taxonomy_term_id"))
            if term is None:
                continue  # an unresolved key: already an error
            category = self._category(term, attribute)
            if category is not None:
                draft.category_ids.add(category.id)

    def _category(self, term: Record, attribute: Record) -> Category | None:
        taxonomy = self.index.taxonomy_name(term)
        if term.get("taxonomy_id") == v.NEEDS_TAXONOMY_ID or v.folded(taxonomy) == v.folded(
            v.NEEDS_TAXONOMY
        ):
            category = self.known.categories.get(term.get("code"))
            if category is None:
                self.problems.append(
                    error(
                        f"il codice «{term.get('code')[:20]}» («{term.get('name')[:60]}») non è "
                        "nella classificazione dei bisogni di questa installazione di Rete: "
                        "l'amministratore lo aggiunga, oppure si tolga la riga dal file.",
                        term,
                        "code",
                    )
                )
                return None
            if not category.active:
                self.problems.append(
                    warning(
                        f"«{category.name}» non è più in uso in Rete: non importato tra i "
                        "bisogni coperti.",
                        term,
                        "code",
                    )
                )
                return None
            return category
        if term.get("taxonomy_id") == v.CONTACTS_TAXONOMY_ID:
            return None  # a contact's attribute hung on a service: nothing to cover
        category = self.known.category_names.get(v.folded(term.get("name")))
        if category is not None and category.active:
            return category
        where = f" della tassonomia «{taxonomy[:60]}»" if taxonomy else ""
        self.problems.append(
            warning(
                f"il termine «{term.get('name')[:60]}»{where} non corrisponde a nessun bisogno "
                "di Rete: non diventa un bisogno coperto.",
                attribute,
                "taxonomy_term_id",
            )
        )
        return None

    def _places(self, draft: Draft, services: list[Record]) -> None:
        for service in services:
            for area in self.index.areas.get(service.get("id"), []):
                name = " ".join(area.get("name").split())
                if not name:
                    continue
                pair = v.split_neighbourhood_area(name)
                if pair is not None:
                    found = self.known.neighbourhoods.get((v.folded(pair[0]), v.folded(pair[1])))
                    if found is not None:
                        draft.neighbourhood_ids.add(found)
                        continue
                town = self.known.municipalities.get(v.folded(name))
                if town is not None:
                    draft.municipalities.add(town)
                    continue
                place = self.known.neighbourhood_names.get(v.folded(name))
                if place is not None:
                    draft.neighbourhood_ids.add(place)
                    continue
                self.problems.append(
                    warning(
                        f"«{name[:60]}» non è un quartiere né un comune di Rete: non diventa "
                        "un luogo servito.",
                        area,
                        "name",
                    )
                )

    # --- Contacts

    def _contacts(self, draft: Draft, org: Record) -> None:
        seen: set[str] = set()
        for contact in self.index.contacts.get(org.get("id"), []):
            found = self._contact(contact)
            if found is None:
                continue
            if v.folded(found.name) in seen:
                self.problems.append(
                    warning(
                        f"«{found.name}» compare due volte tra i referenti dell'ente: tenuto "
                        "il primo.",
                        contact,
                        "name",
                    )
                )
                continue
            seen.add(v.folded(found.name))
            draft.contacts.append(found)
        draft.primary_given = any(c.primary for c in draft.contacts)

    def _contact(self, contact: Record) -> DraftContact | None:
        label = "name" if contact.get("name") else "title" if contact.get("title") else "department"
        name = self._text(contact, label, "Il nome del referente", CONTACT_NAME_MAX, cut=False)
        if name is None:
            self.problems.append(warning("referente senza nome: non importato.", contact, "name"))
            return None
        role = None
        if label == "name":
            role = self._text(contact, "title", "Il ruolo", CONTACT_ROLE_MAX)
            role = role or self._text(contact, "department", "Il reparto", CONTACT_ROLE_MAX)
        phone = self._phone_of(self.index.phones.get(("contact_id", contact.get("id")), []))
        email = self._first_valid([(contact, "email")], validation.email)
        if phone is None and email is None:
            self.problems.append(
                warning(
                    f"il referente «{name}» non ha né un telefono né un'e-mail che Rete accetti: "
                    "non importato.",
                    contact,
                    "name",
                )
            )
            return None
        codes = [
            term.get("code")
            for attribute in self.index.attributes.get(("contact", contact.get("id")), [])
            if (term := self.index.terms.get(attribute.get("taxonomy_term_id"))) is not None
            and term.get("taxonomy_id") == v.CONTACTS_TAXONOMY_ID
        ]
        channel = next((c for code in codes if (c := v.channel_of(code)) in CONTACT_CHANNELS), None)
        if channel is not None and {"telefono": phone, "email": email}.get(channel) is None:
            channel = None  # the channel it prefers was left out
        return DraftContact(
            name=name,
            role=role,
            phone=phone,
            email=email,
            channel=channel,
            primary=v.PRIMARY_CODE in codes,
            hsds_id=contact.get("id"),
        )
