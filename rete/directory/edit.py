"""Writes of the partner directory: a partner, what it covers, where it works, whom to call.

Every function is one user action through the one write path (`rete.writes`: the role check
`access.may_edit_records`, the audit entry with the acting user, the data version) on the
caller's session; the caller commits. Saving an existing partner claims the version the form
was opened with, so of two people editing the same partner the second is refused and nothing
of theirs is written.

What is checked before a save, each problem with an Italian message and `field=` naming
the input, is in `rete.directory.checks`.

A contact person that a referral names is never deleted: leaving them out of a save is
refused with a message, since the referral's history shows whom it went to. A partner with
referrals is never deleted either: it is deactivated (`set_active`), which takes it out of
the proposals and keeps its history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rete.directory.checks import (
    ADDRESS_MAX,
    CONTACT_CHANNELS,
    CONTACT_NAME_MAX,
    CONTACT_ROLE_MAX,
    DESCRIPTION_MAX,
    MUNICIPALITY_MAX,
    NAME_MAX,
    Checked,
    check_partner,
    current_links,
    new_uuid,
    not_future,
)
from rete.errors import IllegalMove, NotFound, ValidationError
from rete.models import Contact, Partner, PartnerArea, PartnerCategory, Referral
from rete.writes import Actor, as_editor

# The limits and channels are checked in rete.directory.checks; they are part of this
# module's API too, beside the inputs they limit.
__all__ = [
    "ADDRESS_MAX",
    "CONTACT_CHANNELS",
    "CONTACT_NAME_MAX",
    "CONTACT_ROLE_MAX",
    "DESCRIPTION_MAX",
    "MUNICIPALITY_MAX",
    "NAME_MAX",
    "ContactInput",
    "PartnerInput",
    "create_partner",
    "delete_partner",
    "mark_verified",
    "partner_input",
    "set_active",
    "update_partner",
]


@dataclass(frozen=True)
class ContactInput:
    """A contact person as the form gives it; `id` is set for one the partner already has."""

    name: str
    role: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_channel: str | None = None  # a key of CONTACT_CHANNELS, or None
    is_primary: bool = False
    id: int | None = None


@dataclass(frozen=True)
class PartnerInput:
    """A partner as the form (or an import) gives it."""

    name: str
    kind: str  # a key of rete.taxonomy.PARTNER_KINDS
    description: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: str | None = None
    municipality: str | None = None  # where its office is
    category_ids: tuple[int, ...] = ()  # specific needs and/or whole areas covered
    neighbourhood_ids: tuple[int, ...] = ()  # neighbourhoods served
    municipalities: tuple[str, ...] = ()  # whole municipalities served
    contacts: tuple[ContactInput, ...] = ()
    joined_on: dt.date | None = None
    last_verified_on: dt.date | None = None
    uuid: str | None = None  # kept on import; a new uuid4 when None on create


# --- The writers


def create_partner(
    session: Session, actor: Actor, data: PartnerInput, *, today: dt.date | None = None
) -> Partner:
    """A new, active partner with its coverage, places and contact persons."""
    with as_editor(session, actor) as unit:
        checked = check_partner(session, data, None, today)
        partner = Partner(uuid=new_uuid(session, data.uuid), active=True, **checked.values)
        session.add(partner)
        session.flush()
        _save_links(session, partner.id, checked)
        _save_contacts(session, partner.id, checked.contacts)
        unit.audit("partner_created", "partner", partner.id, partner.name)
    return partner


def update_partner(
    session: Session,
    actor: Actor,
    partner_id: int,
    data: PartnerInput,
    *,
    version: int,
    today: dt.date | None = None,
) -> Partner:
    """Save the partner as the form shows it: contacts with an `id` are changed, those without
    are added, those left out are removed (refused for one a referral names)."""
    with as_editor(session, actor) as unit:
        partner = unit.claim(Partner, partner_id, version, "l'ente")
        if data.uuid is not None and data.uuid != partner.uuid:
            raise ValidationError(
                "L'identificativo di un ente non cambia: ricaricare la pagina.", field="uuid"
            )
        checked = check_partner(session, data, partner_id, today)
        for name, value in checked.values.items():
            setattr(partner, name, value)
        _save_links(session, partner_id, checked)
        _save_contacts(session, partner_id, checked.contacts)
        session.flush()
        unit.audit("partner_updated", "partner", partner_id, partner.name)
    return partner


def mark_verified(
    session: Session,
    actor: Actor,
    partner_id: int,
    day: dt.date,
    *,
    version: int,
    today: dt.date | None = None,
) -> Partner:
    """The entry was confirmed with the partner on `day` («verificato oggi»)."""
    with as_editor(session, actor) as unit:
        partner = unit.claim(Partner, partner_id, version, "l'ente")
        not_future(day, today, "La data di verifica", "last_verified_on")
        partner.last_verified_on = day
        unit.audit("partner_verified", "partner", partner_id, f"{partner.name}: {day:%d/%m/%Y}")
    return partner


def set_active(
    session: Session, actor: Actor, partner_id: int, active: bool, *, version: int
) -> Partner:
    """Deactivate a partner (no longer proposed for new referrals; its referrals, contacts and
    record stay) or bring it back."""
    with as_editor(session, actor) as unit:
        partner = unit.claim(Partner, partner_id, version, "l'ente")
        partner.active = active
        action = "partner_activated" if active else "partner_deactivated"
        unit.audit(action, "partner", partner_id, partner.name)
    return partner


def delete_partner(session: Session, actor: Actor, partner_id: int, *, version: int) -> None:
    """Delete a partner entered by mistake, with its contacts, coverage and places; refused
    when it has any referral (deactivate it instead)."""
    with as_editor(session, actor) as unit:
        partner = unit.claim(Partner, partner_id, version, "l'ente")
        referred = session.scalar(
            select(func.count()).select_from(Referral).where(Referral.partner_id == partner_id)
        )
        if referred:
            raise IllegalMove(
                f"L'ente «{partner.name}» ha ricevuto {referred} "
                f"{'segnalazione' if referred == 1 else 'segnalazioni'}: non si può eliminare, "
                "perché la loro storia lo nomina. Disattivarlo invece: non verrà più proposto "
                "e la sua storia resterà."
            )
        name = partner.name
        for model in (Contact, PartnerCategory, PartnerArea):
            session.execute(delete(model).where(model.partner_id == partner_id))
        session.delete(partner)
        session.flush()
        unit.audit("partner_deleted", "partner", partner_id, name)


def partner_input(session: Session, partner_id: int) -> tuple[PartnerInput, int]:
    """The form's starting values (contacts with their ids, the primary first) and the
    version to save them against."""
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound("L'ente non esiste più: ricaricare la pagina.")
    contacts = session.scalars(
        select(Contact)
        .where(Contact.partner_id == partner_id)
        .order_by(Contact.is_primary.desc(), Contact.name, Contact.id)
    )
    categories = session.scalars(
        select(PartnerCategory.category_id)
        .where(PartnerCategory.partner_id == partner_id)
        .order_by(PartnerCategory.category_id)
    )
    areas = session.execute(
        select(PartnerArea.neighbourhood_id, PartnerArea.municipality).where(
            PartnerArea.partner_id == partner_id
        )
    ).all()
    data = PartnerInput(
        name=partner.name,
        kind=partner.kind,
        description=partner.description,
        email=partner.email,
        phone=partner.phone,
        website=partner.website,
        address=partner.address,
        municipality=partner.municipality,
        category_ids=tuple(categories),
        neighbourhood_ids=tuple(sorted(n for n, _ in areas if n is not None)),
        municipalities=tuple(sorted(m for _, m in areas if m is not None)),
        contacts=tuple(
            ContactInput(
                name=c.name,
                role=c.role,
                phone=c.phone,
                email=c.email,
                preferred_channel=c.preferred_channel,
                is_primary=c.is_primary,
                id=c.id,
            )
            for c in contacts
        ),
        joined_on=partner.joined_on,
        last_verified_on=partner.last_verified_on,
        uuid=partner.uuid,
    )
    return data, partner.version


# --- Saving the links and the contacts


def _save_links(session: Session, partner_id: int, checked: Checked) -> None:
    """Coverage and places as checked: rows no longer wanted removed, new ones added."""
    categories = current_links(session, PartnerCategory.category_id, PartnerCategory, partner_id)
    session.execute(
        delete(PartnerCategory).where(
            PartnerCategory.partner_id == partner_id,
            PartnerCategory.category_id.not_in(checked.category_ids),
        )
    )
    session.add_all(
        PartnerCategory(partner_id=partner_id, category_id=category_id)
        for category_id in sorted(checked.category_ids - categories)
    )
    areas = session.scalars(select(PartnerArea).where(PartnerArea.partner_id == partner_id))
    have_places, have_towns = set(), set()
    for area in areas:
        if area.neighbourhood_id is not None and area.neighbourhood_id in checked.neighbourhood_ids:
            have_places.add(area.neighbourhood_id)
        elif area.municipality is not None and area.municipality in checked.municipalities:
            have_towns.add(area.municipality)
        else:
            session.delete(area)
    session.add_all(
        PartnerArea(partner_id=partner_id, neighbourhood_id=place)
        for place in sorted(checked.neighbourhood_ids - have_places)
    )
    session.add_all(
        PartnerArea(partner_id=partner_id, municipality=town)
        for town in sorted(checked.municipalities - have_towns)
    )


def _save_contacts(session: Session, partner_id: int, contacts: list[dict[str, Any]]) -> None:
    existing = {
        c.id: c for c in session.scalars(select(Contact).where(Contact.partner_id == partner_id))
    }
    kept = {values["id"] for values in contacts if values["id"] is not None}
    if not kept <= set(existing):
        raise NotFound("Uno dei referenti non è più di questo ente: ricaricare la pagina.")
    dropped = set(existing) - kept
    if dropped:
        referred = session.scalars(
            select(Referral.contact_id).where(Referral.contact_id.in_(dropped)).limit(1)
        ).first()
        if referred is not None:
            raise IllegalMove(
                f"Il referente «{existing[referred].name}» ha ricevuto segnalazioni: non si "
                "può togliere, perché la loro storia lo nomina. Lasciarlo nell'elenco "
                "(si può aggiornarne il ruolo e togliergli «principale»).",
                field="contacts",
            )
        for contact_id in sorted(dropped):
            session.delete(existing[contact_id])
    for values in contacts:
        fields = {name: value for name, value in values.items() if name != "id"}
        if values["id"] is None:
            session.add(Contact(partner_id=partner_id, **fields))
        else:
            for name, value in fields.items():
                setattr(existing[values["id"]], name, value)
