"""The checks of a partner's input before it is written (`rete.directory.edit` saves it).

What is checked, each with an Italian message and `field=` naming the input (a contact's
inputs as `contacts.<index>.<name>`, the index in `PartnerInput.contacts`, from 0):
- a name (unique within the municipality, case and accents ignored) and a known kind;
- the partner's and each contact's e-mail, phone and website (`rete.validation`);
- at least one specific need or whole area covered, at least one neighbourhood or whole
  municipality served (the municipalities of the neighbourhood table, written as there);
- at least one contact person, exactly one of them primary, each with a phone or an e-mail
  of their own, and a preferred channel they actually have.

The limits and the contact channels live here, with the checks that enforce them;
`rete.directory.edit` re-exports them beside the inputs they limit.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid as uuids
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import config, validation
from rete.errors import NotFound, ValidationError
from rete.models import Category, Neighbourhood, Partner, PartnerArea, PartnerCategory
from rete.taxonomy import PARTNER_KINDS

if TYPE_CHECKING:  # the inputs are edit's; only their types are needed here
    from rete.directory.edit import ContactInput, PartnerInput

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


@dataclass
class Checked:
    """A partner input once checked: the row's values, and what goes in the other tables."""

    values: dict[str, Any]
    category_ids: set[int]
    neighbourhood_ids: set[int]
    municipalities: set[str]
    contacts: list[dict[str, Any]] = field(default_factory=list)


def folded(text: str | None) -> str:
    """A name as compared: accents, case and runs of spaces ignored ('Caritas  Cantù' and
    'caritas cantu' are the same; None as ''). The form's checks and the HSDS import
    (`rete.hsds.vocabulary.folded`) match names with this one."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def check_partner(
    session: Session, data: PartnerInput, partner_id: int | None, today: dt.date | None
) -> Checked:
    """`data` checked and cleaned for saving, as new (`partner_id` None) or over that partner;
    the first problem found is raised as a `ValidationError` naming its input."""
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
        not_future(data.joined_on, today, "La data di adesione alla rete", "joined_on")
    if data.last_verified_on is not None:
        not_future(data.last_verified_on, today, "La data di verifica", "last_verified_on")
    checked = Checked(
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


def not_future(day: dt.date, today: dt.date | None, what: str, field_name: str) -> None:
    """A date the partner already lived (joined, verified) is not after today."""
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
    kept = current_links(session, PartnerCategory.category_id, PartnerCategory, partner_id)
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
    kept = current_links(session, PartnerArea.neighbourhood_id, PartnerArea, partner_id)
    for place in sorted(found.values(), key=lambda n: n.id):
        if not place.active and place.id not in kept:
            raise ValidationError(
                f"Il quartiere «{place.name}» non è più in uso: sceglierne un altro.",
                field="neighbourhood_ids",
            )
    return wanted


def current_links(session: Session, column: Any, model: Any, partner_id: int | None) -> set[Any]:
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


def new_uuid(session: Session, given: str | None) -> str:
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
