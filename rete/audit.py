"""The audit trail: who did what, when. Append-only; never the sensitive values themselves."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete.models import AuditEntry

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
    "household_erased": "dati personali del nucleo cancellati",
    "audit_purged": "registro: voci scadute eliminate",
    "account_locked": "utente bloccato per troppi tentativi",
    "user_role_changed": "ruolo cambiato",
    "user_deactivated": "utente disattivato",
    "user_activated": "utente riattivato",
    "user_unlocked": "utente sbloccato",
    "password_reset_started": "reimpostazione password avviata",
    "password_reset_completed": "password scelta con il link",
    "password_changed": "password cambiata",
    "sessions_ended": "sessioni chiuse dall'amministratore",
    "session_ended": "sessione chiusa dal profilo",
    "security_settings_changed": "impostazioni di sicurezza modificate",
    "database_backed_up": "backup del database",
    "database_restored": "database ripristinato da un backup",
    # The access log: reads of personal data and exports (rete.accesslog)
    "interview_viewed": "colloquio consultato",
    "need_viewed": "bisogno consultato",
    "interviews_listed": "elenco colloqui consultato",
    "deleted_interviews_listed": "elenco colloqui eliminati consultato",
    "followup_listed": "elenco «Da seguire» consultato",
    "households_searched": "nuclei cercati per codice",
    "dashboard_exported": "dati del Cruscotto scaricati",
    "directory_exported": "elenco enti esportato",
    "audit_exported": "registro accessi scaricato",
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
    "list": "elenco",
    "dashboard": "cruscotto",
    "directory": "elenco enti",
    "audit": "registro accessi",
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


LIST_WINDOW = dt.timedelta(minutes=5)
LIST_LOOKBACK = 20  # the user's latest entries a list view is compared with


def record_list_view(
    engine: Engine,
    actor: Actor,
    action: str,
    summary: str,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    window: dt.timedelta = LIST_WINDOW,
) -> None:
    """Who saw a list of personal data, and which (its filters and page as `summary`, never
    the values themselves; a list of one household's records names it as the entity): one
    entry per user, list and filters every `window`, so that a rerun does not flood the
    trail. The user's latest entries are compared (newest first on `ix_audit_entry_user`,
    never a scan): a list seen again after `LIST_LOOKBACK` other acts is recorded again.
    Its own transaction, as a read: the data version stays as it is."""
    now = dt.datetime.now(dt.UTC)
    text = summary[:SUMMARY_MAX] or None
    with Session(engine) as session, session.begin():
        latest = session.execute(
            select(
                AuditEntry.at,
                AuditEntry.action,
                AuditEntry.summary,
                AuditEntry.entity,
                AuditEntry.entity_id,
            )
            .where(
                AuditEntry.user_id.is_(None) if actor.id is None else AuditEntry.user_id == actor.id
            )
            .order_by(AuditEntry.id.desc())
            .limit(LIST_LOOKBACK)
        ).all()
        for at, *key in latest:
            moment = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            if now - moment < window and tuple(key) == (action, text, entity, entity_id):
                return
        record(
            session,
            action,
            user_id=actor.id,
            role=actor.role,
            entity=entity,
            entity_id=entity_id,
            summary=summary,
        )


def record_export(
    engine: Engine, actor: Actor, action: str, summary: str, *, entity: str = "meeting"
) -> None:
    """An export leaving Rete (who, what, which filters): its own transaction, as a read;
    every export is recorded, however often."""
    with Session(engine) as session, session.begin():
        record(session, action, user_id=actor.id, role=actor.role, entity=entity, summary=summary)
