"""Write side: one transaction per user action, validated, audited, the read model kept current.

Every function here takes the caller's session and leaves the commit to it (`db.session_scope`),
so a failure anywhere leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rete import audit, config, readmodel
from rete.db import bump_data_version
from rete.errors import ValidationError
from rete.models import Category, Channel, Household, Interview, Need, Neighbourhood, utcnow
from rete.taxonomy import SEVERITY_LABELS

# A pseudonymous tenancy code such as VA-000123: plain ASCII, so it prints and sorts everywhere.
HOUSEHOLD_CODE = re.compile(r"^[A-Z0-9][A-Z0-9./_-]{0,39}$")


@dataclass(frozen=True)
class NeedInput:
    category_id: int
    severity: str = "medium"
    notes: str | None = None


def _check_specific_need(session: Session, category_id: int) -> None:
    category = session.get(Category, category_id)
    if category is None or category.parent_id is None or not category.active:
        raise ValidationError(
            "Scegliere un bisogno specifico valido (prima l'area, poi il bisogno)."
        )


def _check_severity(severity: str) -> None:
    if severity not in SEVERITY_LABELS:
        raise ValidationError("Gravità non valida: scegliere bassa, media, alta o urgente.")


def record_interview(
    session: Session,
    *,
    household_id: int,
    held_on: dt.date,
    channel_code: str,
    needs: list[NeedInput],
    operator_id: int | None = None,
    notes: str | None = None,
    today: dt.date | None = None,
) -> Interview:
    """Save an interview with its needs (at least one)."""
    if session.get(Household, household_id) is None:
        raise ValidationError("Nucleo non trovato: cercarlo di nuovo per codice o crearlo.")
    if held_on > (today or config.today()):
        raise ValidationError("La data del colloquio non può essere nel futuro.")
    channel = session.get(Channel, channel_code)
    if channel is None or not channel.active:
        raise ValidationError("Canale non valido: sceglierne uno dall'elenco.")
    if not needs:
        raise ValidationError("Indicare almeno un bisogno emerso nel colloquio.")
    for need in needs:
        _check_specific_need(session, need.category_id)
        _check_severity(need.severity)
    interview = Interview(
        household_id=household_id,
        held_on=held_on,
        channel_code=channel_code,
        operator_id=operator_id,
        notes=notes or None,
    )
    session.add(interview)
    session.flush()
    session.add_all(
        Need(
            interview_id=interview.id,
            category_id=need.category_id,
            severity=need.severity,
            notes=need.notes or None,
        )
        for need in needs
    )
    readmodel.add_facts(session, interview_ids=[interview.id])
    bump_data_version(session)
    audit.record(
        session,
        "interview_created",
        user_id=operator_id,
        entity="interview",
        entity_id=interview.id,
        summary=f"{len(needs)} bisogni",
    )
    return interview


def _flip_deleted(session: Session, interview_id: int, *, delete: bool) -> bool:
    """Soft-delete (or restore) in one conditional UPDATE; True if this transaction did it.

    It runs before the read model is touched, so it takes the row's write lock first: of two
    users deleting the same interview at once, the second waits, changes nothing and leaves
    the roll-up counts alone.
    """
    if session.get(Interview, interview_id) is None:
        raise ValidationError("Colloquio non trovato.")
    still = Interview.deleted_at.is_(None) if delete else Interview.deleted_at.is_not(None)
    result = session.execute(
        update(Interview)
        .where(Interview.id == interview_id, still)
        .values(deleted_at=utcnow() if delete else None, version=Interview.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def soft_delete_interview(session: Session, interview_id: int, user_id: int | None = None) -> None:
    """Hide an interview with its needs and referrals everywhere; an admin can restore it."""
    if not _flip_deleted(session, interview_id, delete=True):
        return
    readmodel.remove_facts(session, interview_ids=[interview_id])
    bump_data_version(session)
    audit.record(
        session, "interview_deleted", user_id=user_id, entity="interview", entity_id=interview_id
    )


def restore_interview(session: Session, interview_id: int, user_id: int | None = None) -> None:
    if not _flip_deleted(session, interview_id, delete=False):
        return
    readmodel.add_facts(session, interview_ids=[interview_id])
    bump_data_version(session)
    audit.record(
        session, "interview_restored", user_id=user_id, entity="interview", entity_id=interview_id
    )


def update_need(
    session: Session,
    need_id: int,
    *,
    category_id: int,
    severity: str,
    user_id: int | None = None,
) -> None:
    """Correct a need's specific category or severity."""
    _check_specific_need(session, category_id)
    _check_severity(severity)
    changed = session.execute(
        update(Need)
        .where(Need.id == need_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        raise ValidationError("Bisogno non trovato.")
    # The row is now locked by this transaction: the read model below cannot be read stale.
    readmodel.remove_facts(session, need_ids=[need_id])
    session.execute(
        update(Need)
        .where(Need.id == need_id)
        .values(category_id=category_id, severity=severity)
        .execution_options(synchronize_session="fetch")
    )
    readmodel.add_facts(session, need_ids=[need_id])
    bump_data_version(session)
    audit.record(session, "need_updated", user_id=user_id, entity="need", entity_id=need_id)


def create_household(
    session: Session,
    *,
    code: str,
    neighbourhood_id: int,
    members: int = 1,
    has_elderly: bool = False,
    has_minors: bool = False,
    has_disability: bool = False,
    user_id: int | None = None,
) -> Household:
    """A new household, known by its pseudonymous code (e.g. the tenancy code)."""
    code = code.strip().upper()
    if not code:
        raise ValidationError("Indicare il codice del nucleo (ad esempio il codice contratto).")
    if not HOUSEHOLD_CODE.match(code):
        raise ValidationError(
            "Codice del nucleo non valido: usare fino a 40 caratteri tra lettere, cifre "
            "e i segni - / . _ (ad esempio VA-000123)."
        )
    if session.scalar(select(Household.id).where(Household.code == code)) is not None:
        raise ValidationError(f"Esiste già un nucleo con codice «{code}»: cercarlo per codice.")
    if not 1 <= members <= 30:
        raise ValidationError("Il numero di componenti deve essere tra 1 e 30.")
    if session.get(Neighbourhood, neighbourhood_id) is None:
        raise ValidationError("Quartiere non valido: sceglierne uno dall'elenco.")
    household = Household(
        code=code,
        neighbourhood_id=neighbourhood_id,
        members=members,
        has_elderly=has_elderly,
        has_minors=has_minors,
        has_disability=has_disability,
    )
    session.add(household)
    session.flush()
    bump_data_version(session)
    audit.record(
        session, "household_created", user_id=user_id, entity="household", entity_id=household.id
    )
    return household
