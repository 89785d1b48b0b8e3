"""Write side of households and interviews: validated, one transaction per user action.

Every writer goes through `rete.writes` (role check, read model, data version, audit with the
acting user) and takes the caller's session, leaving the commit to it (`db.session_scope`), so
a failure anywhere leaves nothing behind. Referral moves and a need's closing live in
`rete.referrals`; taxonomy changes in `rete.taxonomy`.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rete import access, config
from rete.errors import IllegalMove, NotFound, ValidationError
from rete.models import (
    Category,
    Channel,
    Household,
    HouseholdContact,
    Interview,
    Need,
    Neighbourhood,
    Referral,
    utcnow,
)
from rete.taxonomy import SEVERITY_LABELS
from rete.validation import email, optional_text, phone
from rete.writes import Actor, as_editor, write

# A pseudonymous tenancy code such as VA-000123: plain ASCII, so it prints and sorts everywhere.
HOUSEHOLD_CODE = re.compile(r"^[A-Z0-9][A-Z0-9./_-]{0,39}$")
# The codes of households whose personal data were erased (`workspace.erasure`): no other.
ERASED_CODE_PREFIX = "CANC-"
MAX_MEMBERS = 30
NOTES_MAX = 4000
MAX_NEEDS = 50


@dataclass(frozen=True)
class NeedInput:
    """A need as the interview form gives it; `id` is set for a need that already exists."""

    category_id: int
    severity: str = "medium"
    notes: str | None = None
    id: int | None = None


@dataclass(frozen=True)
class HouseholdInput:
    code: str
    neighbourhood_id: int
    members: int = 1
    has_elderly: bool = False
    has_minors: bool = False
    has_disability: bool = False


@dataclass(frozen=True)
class ContactInput:
    """The household's personal contact block: only the community manager and admin see it."""

    full_name: str = ""
    phone: str = ""
    email: str = ""


def clean_household_code(code: str) -> str:
    """The code as stored: trimmed, upper case; refused unless it follows `HOUSEHOLD_CODE`."""
    cleaned = code.strip().upper()
    if not cleaned:
        raise ValidationError(
            "Indicare il codice del nucleo (ad esempio il codice contratto).", field="code"
        )
    if not HOUSEHOLD_CODE.match(cleaned):
        raise ValidationError(
            "Codice del nucleo non valido: usare fino a 40 caratteri tra lettere, cifre "
            "e i segni - / . _ (ad esempio VA-000123).",
            field="code",
        )
    return cleaned


def _check_not_reserved(code: str) -> None:
    if code.startswith(ERASED_CODE_PREFIX):
        raise ValidationError(
            f"I codici che iniziano con «{ERASED_CODE_PREFIX}» sono dei nuclei i cui dati "
            "personali sono stati cancellati: usare il codice del contratto.",
            field="code",
        )


# --- Households


def create_household(
    session: Session, actor: Actor, data: HouseholdInput, contact: ContactInput | None = None
) -> Household:
    """A new household, known by its pseudonymous code (e.g. the tenancy code)."""
    with as_editor(session, actor) as unit:
        code = clean_household_code(data.code)
        _check_not_reserved(code)
        if session.scalar(select(Household.id).where(Household.code == code)) is not None:
            raise ValidationError(
                f"Esiste già un nucleo con codice «{code}»: sceglierlo dall'elenco invece di "
                "crearlo di nuovo.",
                field="code",
            )
        _check_household(session, data)
        household = Household(
            code=code,
            neighbourhood_id=data.neighbourhood_id,
            members=data.members,
            has_elderly=data.has_elderly,
            has_minors=data.has_minors,
            has_disability=data.has_disability,
        )
        session.add(household)
        session.flush()
        _save_contact(session, household.id, contact)
        unit.audit("household_created", "household", household.id)
    return household


def update_household(
    session: Session,
    actor: Actor,
    household_id: int,
    data: HouseholdInput,
    contact: ContactInput | None = None,
    *,
    version: int,
) -> Household:
    """Correct a household's details; a move to another neighbourhood moves its needs in the
    Cruscotto too (the read model copies the neighbourhood and its municipality)."""
    with as_editor(session, actor) as unit:
        household = unit.claim(Household, household_id, version, "il nucleo")
        code = clean_household_code(data.code)
        if household.erased_at is not None and code != household.code:
            raise ValidationError(
                "I dati personali di questo nucleo sono stati cancellati: il suo codice non "
                "si può cambiare (tornerebbe a indicare un contratto).",
                field="code",
            )
        if code != household.code:
            _check_not_reserved(code)
        taken = session.scalar(
            select(Household.id).where(Household.code == code, Household.id != household_id)
        )
        if taken is not None:
            raise ValidationError(
                f"Il codice «{code}» è già di un altro nucleo: sceglierne un altro.",
                field="code",
            )
        _check_household(session, data)
        interviews = select(Interview.id).where(Interview.household_id == household_id)
        moved = household.neighbourhood_id != data.neighbourhood_id
        with unit.changing(interview_ids=interviews) if moved else nullcontext():
            household.code = code
            household.neighbourhood_id = data.neighbourhood_id
            household.members = data.members
            household.has_elderly = data.has_elderly
            household.has_minors = data.has_minors
            household.has_disability = data.has_disability
            session.flush()
        if contact is not None:
            _save_contact(session, household.id, contact)
        unit.audit("household_updated", "household", household.id, "quartiere" if moved else None)
    return household


def _check_household(session: Session, data: HouseholdInput) -> None:
    if not 1 <= data.members <= MAX_MEMBERS:
        raise ValidationError(
            f"Il numero di componenti deve essere tra 1 e {MAX_MEMBERS}.", field="members"
        )
    neighbourhood = session.get(Neighbourhood, data.neighbourhood_id)
    if neighbourhood is None or not neighbourhood.active:
        raise ValidationError(
            "Quartiere non valido: sceglierne uno dall'elenco.", field="neighbourhood"
        )


def _save_contact(session: Session, household_id: int, contact: ContactInput | None) -> None:
    """Write (or clear) the contact block; an all-empty block is no block."""
    if contact is None:
        return
    values = {
        "full_name": optional_text(contact.full_name, "Il nome", 160, field="full_name"),
        "phone": phone(contact.phone, field="phone"),
        "email": email(contact.email, field="email"),
    }
    row = session.get(HouseholdContact, household_id)
    if not any(values.values()):
        if row is not None:
            session.delete(row)
        return
    household = session.get(Household, household_id)
    if household is not None and household.erased_at is not None:
        raise ValidationError(
            "I dati personali di questo nucleo sono stati cancellati: non si possono "
            "aggiungere recapiti. Se l'inquilino torna, registrarlo come nuovo nucleo."
        )
    if row is None:
        session.add(HouseholdContact(household_id=household_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


# --- Interviews


def record_interview(
    session: Session,
    actor: Actor,
    *,
    household_id: int,
    held_on: dt.date,
    channel_code: str,
    needs: list[NeedInput],
    notes: str | None = None,
    today: dt.date | None = None,
) -> Interview:
    """Save an interview with its needs (at least one)."""
    with as_editor(session, actor) as unit:
        if session.get(Household, household_id) is None:
            raise ValidationError(
                "Nucleo non trovato: cercarlo di nuovo per codice o crearlo.", field="household"
            )
        _check_interview(session, held_on, channel_code, needs, today)
        interview = Interview(
            household_id=household_id,
            held_on=held_on,
            channel_code=channel_code,
            operator_id=actor.id,
            notes=optional_text(notes, "Il testo delle note", NOTES_MAX, field="notes"),
        )
        session.add(interview)
        session.flush()
        session.add_all(_new_need(interview.id, need) for need in needs)
        unit.added(interview_ids=[interview.id])
        unit.audit("interview_created", "interview", interview.id, f"{len(needs)} bisogni")
    return interview


def edit_interview(
    session: Session,
    actor: Actor,
    interview_id: int,
    *,
    version: int,
    held_on: dt.date,
    channel_code: str,
    needs: list[NeedInput],
    notes: str | None = None,
    today: dt.date | None = None,
) -> Interview:
    """Correct an interview: its date, channel and notes, and its needs (a need with an `id`
    is changed, one without is added, one left out is removed unless it was referred)."""
    with as_editor(session, actor) as unit:
        interview = unit.claim(Interview, interview_id, version, "il colloquio")
        if interview.deleted_at is not None:
            raise NotFound("Il colloquio è stato eliminato: ripristinarlo prima di modificarlo.")
        _check_interview(session, held_on, channel_code, needs, today)
        existing = {
            need.id: need
            for need in session.scalars(select(Need).where(Need.interview_id == interview_id))
        }
        kept = {need.id for need in needs if need.id is not None}
        if not kept <= set(existing):
            raise NotFound("Uno dei bisogni non è più in questo colloquio: ricaricare la pagina.")
        dropped = set(existing) - kept
        _check_not_referred(session, dropped)
        with unit.changing(interview_ids=[interview_id]):
            interview.held_on = held_on
            interview.channel_code = channel_code
            interview.notes = optional_text(notes, "Il testo delle note", NOTES_MAX, field="notes")
            for need in needs:
                if need.id is None:
                    session.add(_new_need(interview_id, need))
                    continue
                row = existing[need.id]
                row.category_id, row.severity = need.category_id, need.severity
                row.notes = optional_text(need.notes, "La nota del bisogno", NOTES_MAX)
                row.updated_at = utcnow()
            for need_id in dropped:
                session.delete(existing[need_id])
            session.flush()
        unit.audit("interview_updated", "interview", interview_id, f"{len(needs)} bisogni")
    return interview


def _check_not_referred(session: Session, need_ids: set[int]) -> None:
    if not need_ids:
        return
    referred = session.scalar(
        select(func.count()).select_from(Referral).where(Referral.need_id.in_(need_ids))
    )
    if referred:
        raise IllegalMove(
            "Un bisogno tolto dal colloquio è già stato segnalato a un ente: non si può "
            "togliere. Annullare la segnalazione non basta a cancellarne la storia; se il "
            "colloquio è sbagliato per intero, eliminarlo."
        )


def _new_need(interview_id: int, need: NeedInput) -> Need:
    return Need(
        interview_id=interview_id,
        category_id=need.category_id,
        severity=need.severity,
        notes=optional_text(need.notes, "La nota del bisogno", NOTES_MAX),
    )


def _check_interview(
    session: Session,
    held_on: dt.date,
    channel_code: str,
    needs: list[NeedInput],
    today: dt.date | None,
) -> None:
    if held_on > (today or config.today()):
        raise ValidationError("La data del colloquio non può essere nel futuro.", field="held_on")
    channel = session.get(Channel, channel_code)
    if channel is None or not channel.active:
        raise ValidationError("Canale non valido: sceglierne uno dall'elenco.", field="channel")
    if not needs:
        raise ValidationError("Indicare almeno un bisogno emerso nel colloquio.", field="needs")
    if len(needs) > MAX_NEEDS:
        raise ValidationError(f"Al massimo {MAX_NEEDS} bisogni per colloquio.", field="needs")
    for need in needs:
        category = session.get(Category, need.category_id)
        if category is None or category.parent_id is None:
            raise ValidationError(
                "Scegliere un bisogno specifico valido (prima l'area, poi il bisogno).",
                field="needs",
            )
        if not category.active and need.id is None:
            raise ValidationError(
                f"Il bisogno «{category.name}» non è più in uso: sceglierne un altro.",
                field="needs",
            )
        if need.severity not in SEVERITY_LABELS:
            raise ValidationError(
                "Gravità non valida: scegliere bassa, media, alta o urgente.", field="needs"
            )


def _flip_deleted(session: Session, interview_id: int, *, delete: bool) -> bool:
    """Soft-delete (or restore) in one conditional UPDATE; True if this transaction did it.

    It runs before the read model is touched, so it takes the row's write lock first: of two
    users deleting the same interview at once, the second waits, changes nothing and leaves
    the roll-up counts alone.
    """
    if session.get(Interview, interview_id) is None:
        raise NotFound("Colloquio non trovato.")
    still = Interview.deleted_at.is_(None) if delete else Interview.deleted_at.is_not(None)
    result = session.execute(
        update(Interview)
        .where(Interview.id == interview_id, still)
        .values(deleted_at=utcnow() if delete else None, version=Interview.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def soft_delete_interview(session: Session, actor: Actor, interview_id: int) -> None:
    """Hide an interview with its needs and referrals everywhere; an admin can restore it."""
    with as_editor(session, actor) as unit:
        if _flip_deleted(session, interview_id, delete=True):
            unit.removed(interview_ids=[interview_id])
            unit.audit("interview_deleted", "interview", interview_id)


def restore_interview(session: Session, actor: Actor, interview_id: int) -> None:
    """Bring a soft-deleted interview back (administrator only)."""
    with write(session, actor, allowed=access.may_see_deleted) as unit:
        if _flip_deleted(session, interview_id, delete=False):
            unit.added(interview_ids=[interview_id])
            unit.audit("interview_restored", "interview", interview_id)
