"""The directory as an Open Referral HSDS 3.0 package: a zip of CSVs with the official
`datapackage.json`, or the same rows as HSDS JSON (a page of `organization_full` objects).

Every partner, active or not, becomes an `organization` with one `service` (its status says
whether the partner is active, its `assured_date` when the entry was last verified with the
partner); the partner's phone a `phone` of the organization; each contact person a `contact`
with its phone; the coverage `attribute`s of the service on Rete's taxonomy of needs, which the
package publishes (`taxonomies.csv`, `taxonomy_terms.csv`); the places served `service_area`s;
the address a `location` (and an `address` when it has a postal code and a province). See
`rete.hsds.vocabulary` for the ids and the conventions the import reads back.

The CSV cells go through `rete.export.spreadsheet_text`, as every cell Rete writes for a
spreadsheet: a phone number written «+39 …» is exported as «'+39 …» (the import takes the
apostrophe off again). The JSON carries the values as they are.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete.directory.edit import CONTACT_CHANNELS
from rete.export import spreadsheet_text
from rete.hsds import descriptor, json_form
from rete.hsds import vocabulary as v
from rete.hsds.descriptor import Row, Tables
from rete.models import Category, Contact, Neighbourhood, Partner, PartnerArea, PartnerCategory
from rete.taxonomy import PARTNER_KINDS

# A zip's entries carry a date: a fixed one, so two exports of the same directory are the
# same bytes.
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
DESCRIPTOR_NAME = "datapackage.json"


def row(resource: str, **values: str | None) -> Row:
    """A row of `resource` with every field of the descriptor, in its order; a field the
    descriptor does not have is a programming error (KeyError)."""
    fields = descriptor.resource(resource).fields
    unknown = set(values) - set(fields)
    if unknown:
        raise KeyError(f"{resource} has no field {sorted(unknown)}")
    return {name: values.get(name) or "" for name in fields}


@dataclass
class _Links:
    """What hangs from each partner, by partner id, read in one query each."""

    coverage: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    places: defaultdict[int, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    towns: defaultdict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    contacts: defaultdict[int, list[Contact]] = field(default_factory=lambda: defaultdict(list))


def _links(session: Session) -> _Links:
    links = _Links()
    codes = {id_: code for id_, code in session.execute(select(Category.id, Category.code))}
    for partner_id, category_id in session.execute(
        select(PartnerCategory.partner_id, PartnerCategory.category_id)
    ):
        links.coverage[partner_id].append(codes[category_id])
    for partner_id, name, municipality in session.execute(
        select(PartnerArea.partner_id, Neighbourhood.name, Neighbourhood.municipality)
        .join(Neighbourhood, Neighbourhood.id == PartnerArea.neighbourhood_id)
        .order_by(Neighbourhood.municipality, Neighbourhood.name)
    ):
        links.places[partner_id].append((name, municipality))
    for partner_id, town in session.execute(
        select(PartnerArea.partner_id, PartnerArea.municipality)
        .where(PartnerArea.municipality.is_not(None))
        .order_by(PartnerArea.municipality)
    ):
        links.towns[partner_id].append(town or "")
    for contact in session.scalars(
        select(Contact).order_by(Contact.is_primary.desc(), Contact.name, Contact.id)
    ):
        links.contacts[contact.partner_id].append(contact)
    return links


def directory_tables(session: Session) -> Tables:
    """Every resource of the descriptor, with the rows of the whole directory."""
    tables: Tables = {resource.name: [] for resource in descriptor.resources()}
    _taxonomies(session, tables)
    links = _links(session)
    for partner in session.scalars(select(Partner).order_by(Partner.name, Partner.uuid)):
        _partner(tables, partner)
        _service_links(tables, partner, links)
        for contact in links.contacts[partner.id]:
            _contact(tables, partner, contact)
    return tables


def _service_links(tables: Tables, partner: Partner, links: _Links) -> None:
    """The partner's coverage (attributes on Rete's terms) and places (service areas)."""
    service_id = v.derived_id(partner.uuid, "service")
    for code in sorted(links.coverage[partner.id]):
        tables["attribute"].append(
            row(
                "attribute",
                id=v.derived_id(partner.uuid, "attribute", code),
                link_id=service_id,
                taxonomy_term_id=v.term_id(code),
                link_type=v.SERVICE_LINK,
                link_entity=v.SERVICE_LINK,
            )
        )
    areas = [
        (v.neighbourhood_area(name, town), f"Quartiere {name} del comune di {town}")
        for name, town in links.places[partner.id]
    ]
    areas += [(town, f"Tutto il comune di {town}") for town in links.towns[partner.id]]
    for name, description in areas:
        tables["service_area"].append(
            row(
                "service_area",
                id=v.derived_id(partner.uuid, "area", name),
                service_id=service_id,
                name=name,
                description=description,
            )
        )


def _taxonomies(session: Session, tables: Tables) -> None:
    tables["taxonomy"] += [
        row(
            "taxonomy",
            id=v.NEEDS_TAXONOMY_ID,
            name=v.NEEDS_TAXONOMY,
            description=v.NEEDS_TAXONOMY_DESCRIPTION,
        ),
        row(
            "taxonomy",
            id=v.CONTACTS_TAXONOMY_ID,
            name=v.CONTACTS_TAXONOMY,
            description=v.CONTACTS_TAXONOMY_DESCRIPTION,
        ),
    ]
    categories = session.scalars(
        select(Category).order_by(Category.sort_order, Category.code)
    ).all()
    areas = {c.id: c for c in categories if c.parent_id is None}
    ordered = sorted(
        categories,
        key=lambda c: (
            c.parent_id is not None,
            areas[c.parent_id].sort_order if c.parent_id in areas else c.sort_order,
            c.sort_order,
            c.code,
        ),
    )
    for category in ordered:
        area = areas.get(category.parent_id) if category.parent_id else None
        tables["taxonomy_term"].append(
            row(
                "taxonomy_term",
                id=v.term_id(category.code),
                code=category.code,
                name=category.name,
                description=(
                    f"Bisogno specifico dell'area «{area.name}»: {category.name}"
                    if area
                    else f"Area «{category.name}»: tutti i suoi bisogni specifici"
                ),
                parent_id=v.term_id(area.code) if area else None,
                taxonomy=v.NEEDS_TAXONOMY,
                language=v.LANGUAGE,
                taxonomy_id=v.NEEDS_TAXONOMY_ID,
            )
        )
    contact_terms = [(v.PRIMARY_CODE, "Referente principale", "Il primo referente da chiamare")]
    contact_terms += [
        (v.channel_code(code), f"Canale preferito: {label.lower()}", f"Preferisce {label}")
        for code, label in CONTACT_CHANNELS.items()
    ]
    for code, name, description in contact_terms:
        tables["taxonomy_term"].append(
            row(
                "taxonomy_term",
                id=v.term_id(code),
                code=code,
                name=name,
                description=description,
                taxonomy=v.CONTACTS_TAXONOMY,
                language=v.LANGUAGE,
                taxonomy_id=v.CONTACTS_TAXONOMY_ID,
            )
        )


def _partner(tables: Tables, partner: Partner) -> None:
    kind = PARTNER_KINDS.get(partner.kind, partner.kind)
    tables["organization"].append(
        row(
            "organization",
            id=partner.uuid,
            name=partner.name,
            # HSDS requires a description: a partner without one is described by its kind.
            description=partner.description or kind,
            email=partner.email,
            website=partner.website,
            legal_status=kind,
        )
    )
    service_id = v.derived_id(partner.uuid, "service")
    tables["service"].append(
        row(
            "service",
            id=service_id,
            organization_id=partner.uuid,
            name=partner.name,
            status=v.ACTIVE_STATUS if partner.active else v.INACTIVE_STATUS,
            assured_date=partner.last_verified_on.isoformat() if partner.last_verified_on else None,
            last_modified=_moment(partner),
        )
    )
    if partner.phone:
        _phone(
            tables, v.derived_id(partner.uuid, "phone"), partner.phone, organization_id=partner.uuid
        )
    if partner.address or partner.municipality:
        location_id = v.derived_id(partner.uuid, "location")
        tables["location"].append(
            row(
                "location",
                id=location_id,
                location_type="physical",
                organization_id=partner.uuid,
                name=partner.address,
                description=f"{v.MUNICIPALITY_PREFIX}{partner.municipality}"
                if partner.municipality
                else None,
            )
        )
        parts = v.italian_address(partner.address or "")
        if parts:
            tables["address"].append(
                row(
                    "address",
                    id=v.derived_id(partner.uuid, "address"),
                    location_id=location_id,
                    address_1=parts["street"],
                    city=parts["city"],
                    state_province=parts["province"],
                    postal_code=parts["postal_code"],
                    country="IT",
                    address_type="physical",
                )
            )


def _moment(partner: Partner) -> str | None:
    if partner.updated_at is None:
        return None
    return (
        partner.updated_at.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{partner.updated_at.microsecond // 1000:03d}Z"
    )


def _phone(tables: Tables, phone_id: str, text: str, **owner: str) -> None:
    number, extension = v.split_extension(text)
    tables["phone"].append(
        row("phone", id=phone_id, number=number, extension=extension, type="voice", **owner)
    )


def _contact(tables: Tables, partner: Partner, contact: Contact) -> None:
    contact_id = v.derived_id(partner.uuid, "contact", contact.id)
    tables["contact"].append(
        row(
            "contact",
            id=contact_id,
            organization_id=partner.uuid,
            name=contact.name,
            title=contact.role,
            email=contact.email,
        )
    )
    if contact.phone:
        _phone(tables, v.derived_id(contact_id, "phone"), contact.phone, contact_id=contact_id)
    codes = [v.PRIMARY_CODE] if contact.is_primary else []
    if contact.preferred_channel:
        codes.append(v.channel_code(contact.preferred_channel))
    for code in codes:
        tables["attribute"].append(
            row(
                "attribute",
                id=v.derived_id(contact_id, "attribute", code),
                link_id=contact_id,
                taxonomy_term_id=v.term_id(code),
                link_type=v.CONTACT_LINK,
                link_entity=v.CONTACT_LINK,
            )
        )


# --- The two forms


def export_tables(engine: Engine) -> Tables:
    with Session(engine) as session:
        return directory_tables(session)


def package_zip(tables: Tables) -> bytes:
    """The tabular data package: one CSV per resource of the descriptor (a header alone when
    Rete has nothing for it), and the descriptor itself."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, DESCRIPTOR_NAME, descriptor.text().encode("utf-8"))
        for resource in descriptor.resources():
            _add(archive, resource.path, _csv(resource.fields, tables[resource.name]))
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    entry = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    archive.writestr(entry, data)


def _csv(fields: tuple[str, ...], rows: list[Row]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(fields)
    for values in rows:
        writer.writerow([spreadsheet_text(values[name]) for name in fields])
    return text.getvalue().encode("utf-8")


def export_zip(engine: Engine) -> bytes:
    """The whole directory as an HSDS 3.0 tabular data package (zip)."""
    return package_zip(export_tables(engine))


def export_json(engine: Engine) -> bytes:
    """The whole directory as HSDS 3.0 JSON."""
    return json_form.package_json(export_tables(engine))


def export_file(engine: Engine, path: Path) -> int:
    """Write the directory to `path`: HSDS JSON when it ends in .json, else the zip package.
    Returns how many partners it holds."""
    tables = export_tables(engine)
    as_json = path.suffix.lower() == ".json"
    data = json_form.package_json(tables) if as_json else package_zip(tables)
    path.write_bytes(data)
    return len(tables["organization"])
