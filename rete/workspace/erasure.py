"""A household's personal data erased (on request, or by the retention job), its counts kept.

What goes, everywhere it is stored: the contact block, the free text of its interviews
(deleted ones too), needs (notes and the reason a need was closed unresolved), referrals (the
note and the reason for sending without consent) and their events (the partner's answers'
notes), and the household code, which links it to a tenancy: it becomes `CANC-000123`, from
its id. What stays: every interview, need and referral with its dates, channel, category,
severity, status and outcome, so the read model, the Cruscotto and the meeting's figures do
not move. The act is audited with its reason (one of `REASONS`, with an optional short note
that must not hold personal data), never with what was erased.

On SQLite the removed text would linger in the file's free space and in the write-ahead log:
the erasure runs with `secure_delete` on (freed space is zeroed) and `settle` checkpoints and
truncates the log once the transaction is committed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from rete import access, formats
from rete.config import local_time
from rete.errors import IllegalMove, ValidationError
from rete.models import (
    Household,
    HouseholdContact,
    Interview,
    Need,
    Referral,
    ReferralEvent,
    utcnow,
)
from rete.records import ERASED_CODE_PREFIX
from rete.writes import SYSTEM, Actor, write

# Why a household's personal data were erased: the audit entry says it in these words.
REASON_REQUEST = "request"
REASON_MISTAKE = "mistake"
REASON_RETENTION = "retention"
REASONS = {
    REASON_REQUEST: "richiesta dell'interessato (art. 17 GDPR)",
    REASON_MISTAKE: "dati raccolti per errore",
    REASON_RETENTION: "conservazione scaduta",
}
NOTE_MAX = 200
BATCH_MAX = 1000  # households per `erase_households` call: the IN lists stay small

# What a note may not hold: it stays in the audit trail, which keeps no personal data.
_EMAIL_LIKE = re.compile(r"\S@\S")
# An Italian phone number: 0 (landline) or 3 (mobile) and at least 7 more digits, maybe spaced.
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+39\s?)?[03]\d(?:\s?\d){6,}")
_NAME_PART_MIN = 3  # parts of the name checked in a note: "Rossi", not "De"


def erased_code(household_id: int) -> str:
    """The code an erased household is known by: says nothing of the tenancy."""
    return f"{ERASED_CODE_PREFIX}{household_id:06d}"


def erased_label(erased_at: dt.datetime) -> str:
    """What the household card says of an erased household, in Rome's calendar."""
    return f"Dati personali cancellati il {formats.date(local_time(erased_at).date())}"


@dataclass(frozen=True)
class Erased:
    """What an erasure removed: how many households, and how many texts of each kind."""

    households: int
    contacts: int
    interview_notes: int
    need_notes: int
    referral_notes: int
    event_notes: int


def may_erase(role: str) -> bool:
    """The administrator (`access.may_erase_personal_data`), and the retention job, which runs
    as the system: no account has the system's role (the user table's check refuses it)."""
    return access.may_erase_personal_data(role) or role == SYSTEM.role


def erase_household(
    session: Session,
    actor: Actor,
    household_id: int,
    version: int,
    reason: str,
    note: str = "",
) -> Erased:
    """Erase one household's personal data (the administrator, on the household card).

    `version` is the household's as the card showed it: a change saved meanwhile is refused
    (`writes.Write.claim`), so an erasure never follows details nobody saw. `reason` is a key
    of `REASONS`; `note` at most `NOTE_MAX` characters, with no personal data."""
    with write(session, actor, allowed=may_erase) as unit:
        household = unit.claim(Household, household_id, version, "il nucleo")
        if household.erased_at is not None:
            raise IllegalMove(
                f"{erased_label(household.erased_at)}: non c'è più nulla da cancellare."
            )
        contact = session.get(HouseholdContact, household_id)
        known: list[str | None] = [household.code]
        if contact is not None:
            known += [contact.full_name, contact.phone, contact.email]
        label, cleaned = checked_request(reason, note, known)
        erased = _erase(session, [household_id])
        unit.audit("household_erased", "household", household_id, _summary(label, cleaned))
    return erased


def erase_households(
    session: Session, actor: Actor, household_ids: Sequence[int], reason: str, note: str = ""
) -> Erased:
    """Erase the personal data of many households at once (the retention job, in batches of
    at most `BATCH_MAX`): those already erased are skipped; one audit entry per household."""
    if len(household_ids) > BATCH_MAX:
        raise ValueError(f"at most {BATCH_MAX} households per call")
    with write(session, actor, allowed=may_erase) as unit:
        label, cleaned = checked_request(reason, note)
        # One conditional UPDATE takes the rows' write locks; the households still to erase
        # are then those this transaction holds and nobody erased first.
        session.execute(
            update(Household)
            .where(Household.id.in_(household_ids), Household.erased_at.is_(None))
            .values(version=Household.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        claimed = list(
            session.scalars(
                select(Household.id)
                .where(Household.id.in_(household_ids), Household.erased_at.is_(None))
                .order_by(Household.id)
            )
        )
        erased = _erase(session, claimed)
        for household_id in claimed:
            unit.audit("household_erased", "household", household_id, _summary(label, cleaned))
    return erased


def settle(engine: Engine) -> None:
    """After an erasure is committed, on SQLite: copy the write-ahead log into the database
    and empty it, so the erased text is in neither file any more. Best effort: a reader still
    holding an old snapshot leaves the log for the next checkpoint."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


# --- The erasure itself


def _erase(session: Session, household_ids: list[int]) -> Erased:
    """Remove the personal data of these (claimed) households, set their erasure date and
    give them their non-identifying code. Rows are locked in the order the other writers lock
    them (household, interview, referral, need), so none of them can deadlock with it; the
    versions of the interviews, needs and referrals go up, so a form opened before the erasure
    cannot save the text back."""
    if not household_ids:
        return Erased(0, 0, 0, 0, 0, 0)
    # On SQLite freed space is zeroed on every connection (rete.db), so the removed text and
    # the household row's earlier versions are not left in the file.
    _check_codes_free(session, household_ids)
    interviews = select(Interview.id).where(Interview.household_id.in_(household_ids))
    needs = select(Need.id).where(Need.interview_id.in_(interviews))
    referrals = select(Referral.id).where(Referral.need_id.in_(needs))
    counted = {
        "interview_notes": _count(session, Interview.notes, Interview.id.in_(interviews)),
        "need_notes": _count(session, Need.notes, Need.id.in_(needs))
        + _count(session, Need.closed_reason, Need.id.in_(needs)),
        "referral_notes": _count(session, Referral.note, Referral.id.in_(referrals))
        + _count(session, Referral.consent_override_note, Referral.id.in_(referrals)),
        "event_notes": _count(
            session, ReferralEvent.note, ReferralEvent.referral_id.in_(referrals)
        ),
    }
    contacts = session.execute(
        delete(HouseholdContact)
        .where(HouseholdContact.household_id.in_(household_ids))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    for statement in (
        update(Interview)
        .where(Interview.household_id.in_(household_ids))
        .values(notes=None, version=Interview.version + 1),
        update(Referral)
        .where(Referral.need_id.in_(needs))
        .values(note=None, consent_override_note=None, version=Referral.version + 1),
        update(ReferralEvent)
        .where(ReferralEvent.referral_id.in_(referrals), ReferralEvent.note.is_not(None))
        .values(note=None),
        update(Need)
        .where(Need.interview_id.in_(interviews))
        .values(notes=None, closed_reason=None, version=Need.version + 1),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
    now = utcnow()
    session.execute(
        update(Household),
        [{"id": id_, "code": erased_code(id_), "erased_at": now} for id_ in household_ids],
    )
    session.expire_all()  # objects the caller holds must not keep (or write back) the text
    return Erased(households=len(household_ids), contacts=int(contacts), **counted)


def _count(session: Session, column: Any, condition: Any) -> int:
    """How many texts of `column` the erasure removes (what it says it did)."""
    return int(session.scalar(select(func.count()).where(condition, column.is_not(None))) or 0)


def _check_codes_free(session: Session, household_ids: list[int]) -> None:
    """The new codes are free: `records` refuses the prefix to any other household, but a
    database filled before that rule could hold one."""
    codes = [erased_code(id_) for id_ in household_ids]
    taken = session.scalar(
        select(Household.id)
        .where(Household.code.in_(codes), Household.id.not_in(household_ids))
        .limit(1)
    )
    if taken is not None:
        raise IllegalMove(
            f"Il nucleo n. {taken} ha un codice che inizia con «{ERASED_CODE_PREFIX}», riservato "
            "ai nuclei cancellati: cambiargli codice, poi ripetere la cancellazione."
        )


# --- Reason and note


def checked_request(reason: str, note: str, known: Sequence[str | None] = ()) -> tuple[str, str]:
    """The reason's words and the note as the audit entry keeps them (trimmed), or a
    `ValidationError` naming the field: `reason` must be a key of `REASONS`; `note` at most
    `NOTE_MAX` characters with nothing that looks like personal data: an e-mail address, a
    phone number, or one of `known` (the household's code, name, phone, e-mail), since it
    stays in the audit trail, which keeps none."""
    label = REASONS.get(reason)
    if label is None:
        raise ValidationError("Indicare il motivo, scegliendolo dall'elenco.", field="reason")
    cleaned = " ".join(note.split())
    if len(cleaned) > NOTE_MAX:
        raise ValidationError(
            f"La nota supera il limite di {NOTE_MAX} caratteri (ora {len(cleaned)}): accorciarla.",
            field="note",
        )
    if cleaned and _personal(cleaned, known):
        raise ValidationError(
            "La nota resta nel registro accessi: non deve contenere dati personali (nomi, "
            "telefoni, e-mail, il codice del nucleo). Toglierli e riprovare.",
            field="note",
        )
    return label, cleaned


def _personal(note: str, known: Sequence[str | None]) -> bool:
    if _EMAIL_LIKE.search(note) or _PHONE_LIKE.search(note):
        return True
    lowered = note.casefold()
    words = set(re.findall(r"\w+", lowered))
    for value in known:
        parts = re.split(r"[\s']+", value.casefold()) if value else []
        for part in parts:
            # A word of a name whole ("Rossi", not "rossiccio"); a code, phone or e-mail anywhere.
            if part.isalpha() and len(part) >= _NAME_PART_MIN and part in words:
                return True
        if value and not value.replace(" ", "").isalpha() and value.casefold() in lowered:
            return True
    return False


def _summary(label: str, note: str) -> str:
    return f"{label}: {note}" if note else label
