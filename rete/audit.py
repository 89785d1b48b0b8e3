"""The audit trail: who did what, when. Append-only; never the sensitive values themselves."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete.config import local_time
from rete.models import AuditEntry, User

SUMMARY_MAX = 300


class Actor(Protocol):
    """Who acts: a logged-in user (`auth.CurrentUser`), or `writes.SYSTEM` (no id)."""

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...


ACTION_LABELS = {
    "login": "accesso",
    "login_failed": "accesso non riuscito",
    "logout": "uscita",
    "user_created": "utente creato",
    "demo_loaded": "dati dimostrativi caricati",
    "database_initialised": "database inizializzato",
    "interview_created": "colloquio registrato",
    "interview_deleted": "colloquio eliminato",
    "interview_restored": "colloquio ripristinato",
    "reference_data_seeded": "classificazioni aggiunte",
    "data_cleared": "dati cancellati",
    "household_created": "nucleo creato",
    "household_updated": "nucleo modificato",
    "interview_updated": "colloquio modificato",
    "need_closed": "bisogno chiuso",
    "need_reopened": "bisogno riaperto",
    "referral_sent": "segnalazione inviata",
    "referral_consent_override": "segnalazione senza consenso",
    "referral_moved": "risposta dell'ente registrata",
    "category_renamed": "voce rinominata",
    "category_moved": "bisogno spostato di area",
    "category_activated": "voce riattivata",
    "category_deactivated": "voce disattivata",
    "household_viewed": "scheda nucleo consultata",
    "partner_created": "ente aggiunto alla rete",
    "partner_updated": "ente modificato",
    "partner_verified": "ente verificato",
    "partner_deactivated": "ente disattivato",
    "partner_activated": "ente riattivato",
    "partner_deleted": "ente eliminato",
    "meeting_exported": "riunione esportata",
    "meeting_settings_changed": "dati della riunione modificati",
}

ENTITY_LABELS = {
    "user": "utente",
    "household": "nucleo",
    "interview": "colloquio",
    "need": "bisogno",
    "referral": "segnalazione",
    "partner": "ente",
    "category": "classificazione",
    "database": "database",
    "meeting": "riunione",
    "setting": "impostazione",
}


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None = None,
    role: str | None = None,
    entity: str | None = None,
    entity_id: int | None = None,
    summary: str | None = None,
) -> None:
    """Add an entry to the trail, in the caller's transaction: who (and in which role at the
    time), what, on which record, and details that never hold the sensitive values."""
    session.add(
        AuditEntry(
            at=dt.datetime.now(dt.UTC),
            user_id=user_id,
            role=role if user_id is not None else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            summary=(summary or "")[:SUMMARY_MAX] or None,
        )
    )


ACCESS_WINDOW = dt.timedelta(minutes=10)


def record_access(
    engine: Engine,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int,
    *,
    window: dt.timedelta = ACCESS_WINDOW,
) -> None:
    """Who read whose personal data: one entry per user, record and `window`, so that a page
    redrawing itself on every click does not bury the trail. Its own transaction: reading
    moves no data, so the data version stays as it is."""
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session, session.begin():
        recent = session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.at >= now - window,
                AuditEntry.action == action,
                AuditEntry.user_id == actor.id,
                AuditEntry.entity == entity,
                AuditEntry.entity_id == entity_id,
            )
            .limit(1)
        )
        if recent is None:
            record(
                session,
                action,
                user_id=actor.id,
                role=actor.role,
                entity=entity,
                entity_id=entity_id,
            )


def record_export(
    engine: Engine, actor: Actor, action: str, summary: str, *, entity: str = "meeting"
) -> None:
    """An export leaving Rete (who, what, which filters): its own transaction, as a read;
    every export is recorded, however often."""
    with Session(engine) as session, session.begin():
        record(session, action, user_id=actor.id, role=actor.role, entity=entity, summary=summary)


UNKNOWN_USER = "sconosciuto"  # a failed login under a name no account has: never the name typed
SYSTEM_USER = "sistema"  # the command line and the app's own start (demo data, reference data)


def recent_entries(engine: Engine, limit: int = 200) -> list[dict[str, object]]:
    """The latest entries, newest first, in Italian: when, who, what, on which record, details
    (and the entry's own id, which tells one list from the next).

    Who is the account's name; a failed login under a name no account has is "sconosciuto"
    (the name typed is never stored, so it cannot be shown); entries with no user are the
    system's. The record is its kind and number ("nucleo n. 12"), the number being how Rete
    addresses it (`/nucleo?nucleo=12`)."""
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry, User.username)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "id": entry.id,
            "at": local_time(entry.at),
            "username": username or _nobody(entry.action),
            "action": ACTION_LABELS.get(entry.action, entry.action),
            "entity": _record_label(entry.entity, entry.entity_id),
            "summary": entry.summary or "",
        }
        for entry, username in rows
    ]


def _nobody(action: str) -> str:
    return UNKNOWN_USER if action == "login_failed" else SYSTEM_USER


def _record_label(entity: str | None, entity_id: int | None) -> str:
    label = ENTITY_LABELS.get(entity or "", entity or "")
    if entity_id is None:
        return label
    return f"{label} n. {entity_id}" if label else f"n. {entity_id}"
