"""How Rete's directory is said in HSDS: the ids, Rete's own taxonomies, places and addresses.

The export writes with these rules and the import reads with the same ones, so a package Rete
wrote comes back as the directory it was.

- **Ids.** An organization's id is the partner's `uuid`; every other row's id is a UUID 5
  derived from it (the partner's service, phone, location, each contact by its Rete id, each
  coverage attribute by the category code...), so two exports of the same directory are the
  same bytes and a row keeps its id from one export to the next. Rete's taxonomies and their
  terms have ids derived from a fixed namespace: the same in every Rete installation, so an
  export of another Rete is recognised as speaking Rete's taxonomy.
- **Rete's taxonomies.** «Rete ALER – bisogni»: the areas and specific needs (`code` = Rete's
  category code, a specific need's `parent_id` its area); a partner's coverage is an
  `attribute` of its service on those terms. «Rete ALER – referenti»: the primary contact and
  each contact's preferred channel, as attributes of the contact.
- **Places served** are `service_area` rows named «Biumo (Varese)» for a neighbourhood and
  «Varese» for a whole municipality.
- **Addresses.** Rete keeps one line of text and the municipality. HSDS's `address` requires a
  postal code and a province, which Rete only has when the line is written the Italian way,
  «Via Roma 1, 21100 Varese (VA)»: then the line is also written as an `address` row. The
  `location` always carries the line as its `name` (as the official 1.1 sample names a
  location «4830 Highland Drive») and the municipality as «Comune di Varese» in its
  `description`.
"""

from __future__ import annotations

import re
import uuid

from rete import validation

# For matching names: accents, case and runs of spaces ignored («Città» = «citta»), as the
# directory's form matches them.
from rete.directory.checks import folded as folded

# Fixed for good: changing it changes every taxonomy id Rete has ever published.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://openreferral.org/hsds/rete-aler")

NEEDS_TAXONOMY = "Rete ALER – bisogni"
NEEDS_TAXONOMY_DESCRIPTION = (
    "Le aree e i bisogni specifici della rete territoriale di welfare di ALER "
    "Varese-Como-Monza Brianza-Busto Arsizio: le aree non hanno genitore, ogni bisogno "
    "specifico ha per genitore la sua area."
)
CONTACTS_TAXONOMY = "Rete ALER – referenti"
CONTACTS_TAXONOMY_DESCRIPTION = (
    "Il referente principale di un ente e il canale con cui ogni referente preferisce essere "
    "contattato."
)
PRIMARY_CODE = "REF-PRINCIPALE"
CHANNEL_CODE_PREFIX = "REF-CANALE-"
LANGUAGE = "it"

SERVICE_LINK = "service"  # link_type and link_entity of a coverage attribute
CONTACT_LINK = "contact"  # ... of a contact's attribute

# What `service.status` says, and whether Rete takes the partner as active.
ACTIVE_STATUS = "active"
INACTIVE_STATUS = "inactive"

MUNICIPALITY_PREFIX = "Comune di "
_NEIGHBOURHOOD = re.compile(r"^(?P<name>.+) \((?P<municipality>[^()]+)\)$")
# "Via Roma 1, 21100 Varese (VA)": single spaces, so the line is rebuilt exactly.
_ITALIAN_ADDRESS = re.compile(
    r"^(?P<street>.+), (?P<postal_code>[0-9]{5}) (?P<city>[^,()]+) \((?P<province>[A-Z]{2})\)$"
)


def derived_id(parent: str | uuid.UUID, *parts: object) -> str:
    """A stable UUID 5 for a row that belongs to `parent` (an organization id, or NAMESPACE)."""
    base = parent if isinstance(parent, uuid.UUID) else uuid.UUID(parent)
    return str(uuid.uuid5(base, "/".join(str(part) for part in parts)))


NEEDS_TAXONOMY_ID = derived_id(NAMESPACE, "taxonomy", "bisogni")
CONTACTS_TAXONOMY_ID = derived_id(NAMESPACE, "taxonomy", "referenti")


def term_id(code: str) -> str:
    """The id of the term with this code in Rete's taxonomies (category codes, REF-...)."""
    return derived_id(NAMESPACE, "term", code)


def channel_code(channel: str) -> str:
    return f"{CHANNEL_CODE_PREFIX}{channel.upper()}"


def channel_of(code: str) -> str | None:
    """The preferred channel a REF-CANALE-... code names, or None for another code."""
    if code.startswith(CHANNEL_CODE_PREFIX):
        return code[len(CHANNEL_CODE_PREFIX) :].lower()
    return None


def neighbourhood_area(name: str, municipality: str) -> str:
    return f"{name} ({municipality})"


def split_neighbourhood_area(text: str) -> tuple[str, str] | None:
    """(neighbourhood, municipality) of a name written «Biumo (Varese)», else None."""
    found = _NEIGHBOURHOOD.match(text.strip())
    return (found["name"].strip(), found["municipality"].strip()) if found else None


def italian_address(line: str) -> dict[str, str] | None:
    """The parts of an address line written «Via Roma 1, 21100 Varese (VA)», else None."""
    found = _ITALIAN_ADDRESS.match(line)
    return found.groupdict() if found else None


def address_line(
    address_1: str, address_2: str, postal_code: str, city: str, province: str
) -> str | None:
    """One line from an HSDS address; an Italian one comes back exactly as it was written."""
    place = " ".join(part for part in (postal_code, city) if part)
    if place and province:
        place = f"{place} ({province})"
    line = ", ".join(part for part in (address_1, address_2, place) if part)
    return line or None


def split_extension(number: str) -> tuple[str, str]:
    """(number, extension) of «0332 000 101 int. 23» (or «interno», «est», «ext»: the form's
    one pattern, `validation.split_extension`); (number, "") without one."""
    found, extension = validation.split_extension(number)
    return (found, extension) if extension else (number, "")


def join_extension(number: str, extension: str) -> str:
    return f"{number} int. {extension}" if extension else number
