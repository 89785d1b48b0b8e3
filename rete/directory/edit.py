"""Writes of the partner directory: a partner, what it covers, where it works, whom to call.

Every function is one user action through the one write path (`rete.writes`: the role check
`access.may_edit_records`, the audit entry with the acting user, the data version) on the
caller's session; the caller commits. Saving an existing partner claims the version the form
was opened with, so of two people editing the same partner the second is refused and nothing
of theirs is written.

What is checked, each with an Italian message and `field=` naming the input (a contact's
inputs as `contacts.<index>.<name>`, the index in `PartnerInput.contacts`, from 0):
- a name (unique within the municipality, case and accents ignored) and a known kind;
- the partner's and each contact's e-mail, phone and website (`rete.validation`);
- at least one specific need or whole area covered, at least one neighbourhood or whole
  municipality served (the municipalities of the neighbourhood table, written as there);
- at least one contact person, exactly one of them primary, each with a phone or an e-mail
  of their own, and a preferred channel they actually have.

A contact person that a referral names is never deleted: leaving them out of a save is
refused with a message, since the referral's history shows whom it went to. A partner with
referrals is never deleted either: it is deactivated (`set_active`), which takes it out of
the proposals and keeps its history.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid as uuids
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rete import config, validation
from rete.errors import IllegalMove, NotFound, ValidationError
from rete.models import (
    Category,
    Contact,
    Neighbourhood,
    Partner,
    PartnerArea,
    PartnerCategory,
    Referral,
)
from rete.taxonomy import PARTNER_KINDS
from rete.writes import Actor, as_editor

CONTACT_CHANNELS = {"telefono": "Telefono", "email": "E-mail"}
# The input a preferred channel needs, and its name in a message.
_CHANNEL_INPUT = {
    "telefono": ("phone", "il numero di telefono"),
    "email": ("email", "l'indirizzo e-mail"),
}

NAME_MAX = 200
DESCRIPTION_MAX = 4000
ADDRESS_MAX = 200
MUNICIPALITY_MAX = 120
CONTACT_NAME_MAX = 160
CONTACT_ROLE_MAX = 120


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


@dataclass
class _Checked:
    """A partner input once checked: the row's values, and what goes in the other tables."""

    values: dict[str, Any]
    category_ids: set[int]
    neighbourhood_ids: set[int]
    municipalities: set[str]
    contacts: list[dict[str, Any]] = field(default_factory=list)


# --- The writers


def create_partner(
    session: Session, actor: Actor, data: PartnerInput, *, today: dt.date | None = None
) -> Partner:
    """A new, active partner with its coverage, places and contact persons."""
    with as_editor(session, actor) as unit:
        checked = _check(session, data, None, today)
        partner = Partner(uuid=_new_uuid(session, data.uuid), active=True, **checked.values)
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
        checked = _check(session, data, partner_id, today)
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
        _not_future(day, today, "La data di verifica", "last_verified_on")
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


# --- Checks


def folded(text: str) -> str:
    """A name as compared: accents, case and runs of spaces ignored ('Caritas  Cantù' and
    'caritas cantu' are the same)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _check(
    session: Session, data: PartnerInput, partner_id: int | None, today: dt.date | None
) -> _Checked:
    name = validation.optional_text(data.name, "Il nome dell'ente", NAME_MAX, field="name")
    if name is None:
        raise ValidationError("Indicare il nome dell'ente.", field="name")
    if data.kind not in PARTNER_KINDS:
        raise ValidationError("Tipo di ente non valido: sceglierne uno dall'elenco.", field="kind")
    known = _known_municipalities(session)
    municipality = validation.optional_text(
        data.municipality, "Il comune della sede", MUNICIPALITY_MAX, field="municipality"
    )
    if municipality is not None:
        municipality = known.get(folded(municipality), municipality)
    values: dict[str, Any] = {
        "name": name,
        "kind": data.kind,
        "description": validation.optional_text(
            data.description, "Il testo della descrizione", DESCRIPTION_MAX, field="description"
        ),
        "email": validation.email(data.email, "L'indirizzo e-mail dell'ente", field="email"),
        "phone": validation.phone(data.phone, "Il telefono dell'ente", field="phone"),
        "website": validation.website(data.website, "Il sito dell'ente", field="website"),
        "address": validation.optional_text(
            data.address, "L'indirizzo", ADDRESS_MAX, field="address"
        ),
        "municipality": municipality,
        "joined_on": data.joined_on,
        "last_verified_on": data.last_verified_on,
    }
    if data.joined_on is not None:
        _not_future(data.joined_on, today, "La data di adesione alla rete", "joined_on")
    if data.last_verified_on is not None:
        _not_future(data.last_verified_on, today, "La data di verifica", "last_verified_on")
    checked = _Checked(
        values=values,
        category_ids=_check_categories(session, data.category_ids, partner_id),
        neighbourhood_ids=_check_neighbourhoods(session, data.neighbourhood_ids, partner_id),
        municipalities=_check_municipalities(data.municipalities, known),
    )
    if not checked.neighbourhood_ids and not checked.municipalities:
        raise ValidationError(
            "Indicare almeno un quartiere o un comune in cui l'ente lavora.",
            field="neighbourhood_ids",
        )
    checked.contacts = _check_contacts(data.contacts)
    _check_unique_name(session, name, municipality, partner_id)
    return checked


def _not_future(day: dt.date, today: dt.date | None, what: str, field_name: str) -> None:
    if day > (today or config.today()):
        raise ValidationError(f"{what} non può essere nel futuro.", field=field_name)


def _known_municipalities(session: Session) -> dict[str, str]:
    """The municipalities of the neighbourhood table, by their folded name."""
    names = session.scalars(select(Neighbourhood.municipality).distinct())
    return {folded(name): name for name in names}


def _check_categories(session: Session, ids: tuple[int, ...], partner_id: int | None) -> set[int]:
    wanted = set(ids)
    if not wanted:
        raise ValidationError(
            "Indicare almeno un bisogno specifico o un'area intera che l'ente copre.",
            field="category_ids",
        )
    found = {c.id: c for c in session.scalars(select(Category).where(Category.id.in_(wanted)))}
    if set(found) != wanted:
        raise ValidationError(
            "Uno dei bisogni o delle aree non esiste più: ricaricare la pagina e sceglierli "
            "dall'elenco.",
            field="category_ids",
        )
    kept = _current(session, PartnerCategory.category_id, PartnerCategory, partner_id)
    for category in sorted(found.values(), key=lambda c: c.id):
        if not category.active and category.id not in kept:
            raise ValidationError(
                f"«{category.name}» non è più in uso: sceglierne un altro.", field="category_ids"
            )
    return wanted


def _check_neighbourhoods(
    session: Session, ids: tuple[int, ...], partner_id: int | None
) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return wanted
    found = {
        n.id: n for n in session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(wanted)))
    }
    if set(found) != wanted:
        raise ValidationError(
            "Uno dei quartieri non esiste più: ricaricare la pagina e sceglierli dall'elenco.",
            field="neighbourhood_ids",
        )
    kept = _current(session, PartnerArea.neighbourhood_id, PartnerArea, partner_id)
    for place in sorted(found.values(), key=lambda n: n.id):
        if not place.active and place.id not in kept:
            raise ValidationError(
                f"Il quartiere «{place.name}» non è più in uso: sceglierne un altro.",
                field="neighbourhood_ids",
            )
    return wanted


def _current(session: Session, column: Any, model: Any, partner_id: int | None) -> set[Any]:
    """What the partner has now: a retired need or neighbourhood it already had may stay."""
    if partner_id is None:
        return set()
    return set(session.scalars(select(column).where(model.partner_id == partner_id)))


def _check_municipalities(names: tuple[str, ...], known: dict[str, str]) -> set[str]:
    """Whole municipalities served, written as the neighbourhood table writes them (the
    ranking compares them with a neighbourhood's municipality)."""
    found = set()
    for name in names:
        cleaned = " ".join(name.split())
        if not cleaned:
            continue
        if folded(cleaned) not in known:
            raise ValidationError(
                f"Comune «{cleaned[:60]}» sconosciuto: sceglierne uno dall'elenco "
                "(i comuni con quartieri ALER).",
                field="municipalities",
            )
        found.add(known[folded(cleaned)])
    return found


def _check_contacts(contacts: tuple[ContactInput, ...]) -> list[dict[str, Any]]:
    if not contacts:
        raise ValidationError(
            "Indicare almeno un referente, con un telefono o un'e-mail diretti.",
            field="contacts",
        )
    ids = [c.id for c in contacts if c.id is not None]
    if len(ids) != len(set(ids)):
        raise NotFound("Lo stesso referente compare due volte: ricaricare la pagina.")
    cleaned = [_check_contact(index, contact) for index, contact in enumerate(contacts)]
    primary = [index for index, contact in enumerate(cleaned) if contact["is_primary"]]
    if not primary:
        raise ValidationError(
            "Indicare quale referente è il principale (uno solo): è il primo da chiamare.",
            field="contacts",
        )
    if len(primary) > 1:
        first, second = (cleaned[index]["name"] for index in primary[:2])
        raise ValidationError(
            f"Un solo referente può essere il principale: ora lo sono «{first}» e «{second}». "
            "Togliere «principale» a uno dei due.",
            field=f"contacts.{primary[1]}.is_primary",
        )
    return cleaned


def _check_contact(index: int, contact: ContactInput) -> dict[str, Any]:
    at = f"contacts.{index}"
    name = validation.optional_text(
        contact.name, "Il nome del referente", CONTACT_NAME_MAX, field=f"{at}.name"
    )
    if name is None:
        raise ValidationError(f"Indicare il nome del referente n. {index + 1}.", field=f"{at}.name")
    values: dict[str, Any] = {
        "id": contact.id,
        "name": name,
        "role": validation.optional_text(
            contact.role, f"Il ruolo di «{name}»", CONTACT_ROLE_MAX, field=f"{at}.role"
        ),
        "phone": validation.phone(contact.phone, f"Il telefono di «{name}»", field=f"{at}.phone"),
        "email": validation.email(
            contact.email, f"L'indirizzo e-mail di «{name}»", field=f"{at}.email"
        ),
        "preferred_channel": contact.preferred_channel or None,
        "is_primary": contact.is_primary,
    }
    if values["phone"] is None and values["email"] is None:
        raise ValidationError(
            f"Il referente «{name}» non ha né telefono né e-mail: indicarne almeno uno, perché "
            "sia raggiungibile direttamente.",
            field=f"{at}.phone",
        )
    channel = values["preferred_channel"]
    if channel is not None:
        if channel not in CONTACT_CHANNELS:
            raise ValidationError(
                f"Canale preferito di «{name}» non valido: scegliere "
                f"{' o '.join(label.lower() for label in CONTACT_CHANNELS.values())}.",
                field=f"{at}.preferred_channel",
            )
        needed, what = _CHANNEL_INPUT[channel]
        if values[needed] is None:
            raise ValidationError(
                f"Il canale preferito di «{name}» è «{CONTACT_CHANNELS[channel].lower()}», ma "
                f"manca {what}: aggiungerlo o scegliere un altro canale preferito.",
                field=f"{at}.preferred_channel",
            )
    return values


def _check_unique_name(
    session: Session, name: str, municipality: str | None, partner_id: int | None
) -> None:
    """No two partners with the same name in the same municipality. Compared in Python (the
    accents): the directory is some hundred partners, three short columns each."""
    key = (folded(name), folded(municipality or ""))
    rows = session.execute(select(Partner.id, Partner.name, Partner.municipality)).all()
    for other_id, other_name, other_municipality in rows:
        if other_id == partner_id:
            continue
        if (folded(other_name), folded(other_municipality or "")) == key:
            where = f" a {other_municipality}" if other_municipality else " senza comune"
            raise ValidationError(
                f"Esiste già un ente «{other_name}»{where}: se è lo stesso, modificare quello; "
                "se è un altro, distinguerne il nome (ad esempio con la sede o il quartiere).",
                field="name",
            )


def _new_uuid(session: Session, given: str | None) -> str:
    """The partner's lasting identifier (HSDS exchanges it): the one given, as a canonical
    UUID, or a new one."""
    if given is None:
        return str(uuids.uuid4())
    try:
        value = str(uuids.UUID(given.strip()))
    except ValueError:
        raise ValidationError(
            f"Identificativo dell'ente «{given[:40]}» non valido: deve essere un UUID.",
            field="uuid",
        ) from None
    if session.scalar(select(Partner.id).where(Partner.uuid == value)) is not None:
        raise ValidationError(
            f"Esiste già un ente con l'identificativo {value}: modificare quello.", field="uuid"
        )
    return value


# --- Saving the links and the contacts


def _save_links(session: Session, partner_id: int, checked: _Checked) -> None:
    """Coverage and places as checked: rows no longer wanted removed, new ones added."""
    categories = _current(session, PartnerCategory.category_id, PartnerCategory, partner_id)
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
