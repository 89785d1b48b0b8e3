"""The referral life cycle: the only way a referral's status, and so its need's, changes.

The partners do not log in: the community manager records what they said (a "logged"
referral). Each move is checked against `MOVES`, claims the referral's version (two users
answering the same referral: the second is refused), writes a `ReferralEvent` with the day it
happened and who recorded it, and keeps the need's status and the read model in step.

    sent ──accept──> accepted ──close_positive / close_negative──> closed
     │                  │
     ├──refuse──> refused (reason)
     └──cancel──> cancelled <──cancel──┘
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import config, formats
from rete.db import read_setting
from rete.errors import ConcurrentEdit, IllegalMove, NotFound, ValidationError
from rete.models import Channel, Contact, Interview, Need, Partner, Referral, ReferralEvent
from rete.taxonomy import (
    NEED_STATUS_LABELS,
    NEGATIVE_REASONS,
    OUTCOME_LABELS,
    REFUSAL_REASONS,
)
from rete.writes import Actor, Write, as_editor

ACTIVE_STATUSES = ("sent", "accepted")  # the partner has still to answer, or is on it
NOTE_MAX = 2000
OTHER_REASON = "other"  # "altro": the note must say what


@dataclass(frozen=True)
class Move:
    """One step of the life cycle, as the community manager records it."""

    key: str
    label: str  # the button, in Italian
    sources: tuple[str, ...]  # the statuses it may start from
    target: str
    outcome: str | None = None
    reasons: Mapping[str, str] | None = None  # a reason is required from these


MOVES: dict[str, Move] = {
    move.key: move
    for move in (
        Move("accept", "Presa in carico", ("sent",), "accepted"),
        Move("refuse", "Rifiutata", ("sent",), "refused", reasons=REFUSAL_REASONS),
        Move("close_positive", "Conclusa: esito positivo", ("accepted",), "closed", "positive"),
        Move(
            "close_negative",
            "Conclusa: esito negativo",
            ("accepted",),
            "closed",
            "negative",
            reasons=NEGATIVE_REASONS,
        ),
        Move("cancel", "Annullata", ACTIVE_STATUSES, "cancelled"),
    )
}


def moves_from(status: str) -> list[Move]:
    """The moves a referral in `status` allows, in the order the buttons show them."""
    return [move for move in MOVES.values() if status in move.sources]


def need_status(referrals: Iterable[tuple[str, str | None]], closed_as: str | None = None) -> str:
    """A need's status from its referrals' (status, outcome) pairs and its own closing.

    Any referral `sent` or `accepted` -> `in_progress`; otherwise a closing recorded by the
    community manager (`resolved` / `unresolved`) wins; otherwise any `closed` with a positive
    outcome -> `resolved`; otherwise, when refusals or negative closings are left ->
    `unresolved`; no referral, or only cancelled ones -> `open`.
    """
    states = list(referrals)
    if any(status in ACTIVE_STATUSES for status, _ in states):
        return "in_progress"
    if closed_as is not None:
        return closed_as
    if any(status == "closed" and outcome == "positive" for status, outcome in states):
        return "resolved"
    if any(status in ("refused", "closed") for status, _ in states):
        return "unresolved"
    return "open"


def due_on(sent_on: dt.date, overdue_days: int) -> dt.date:
    """The last day the partner may answer before the referral is *in ritardo*."""
    return sent_on + dt.timedelta(days=overdue_days)


def is_overdue(status: str, due: dt.date, today: dt.date) -> bool:
    """Still waiting for an answer after its due day (from the day after)."""
    return status == "sent" and today > due


# --- Sending


@dataclass(frozen=True)
class ReferralInput:
    need_id: int
    partner_id: int
    contact_id: int | None
    channel_code: str | None
    sent_on: dt.date
    consent_given: bool
    consent_override_note: str = ""
    note: str = ""


def send_referral(
    session: Session, actor: Actor, data: ReferralInput, *, today: dt.date | None = None
) -> Referral:
    """Send a need to a partner, with the tenant's consent (or a noted, audited override)."""
    today = today or config.today()
    with as_editor(session, actor) as write:
        need = write.claim(Need, data.need_id, None, "il bisogno")
        interview = session.get(Interview, need.interview_id)
        if interview is None or interview.deleted_at is not None:
            raise NotFound(
                "Il colloquio di questo bisogno è stato eliminato: non si può segnalare."
            )
        partner = session.get(Partner, data.partner_id)
        if partner is None or not partner.active:
            raise ValidationError("Scegliere un ente attivo della rete.", field="partner")
        _check_contact(session, partner, data.contact_id)
        _check_channel(session, data.channel_code)
        _check_day(data.sent_on, today, "La data di invio", "sent_on")
        if data.sent_on < interview.held_on:
            raise ValidationError(
                "La data di invio non può precedere il colloquio in cui è emerso il bisogno "
                f"({formats.date(interview.held_on)}).",
                field="sent_on",
            )
        override = data.consent_override_note.strip()
        if not data.consent_given and not override:
            raise ValidationError(
                "Serve il consenso dell'inquilino all'invio. Se si procede senza consenso, "
                "scriverne il motivo nella nota di deroga.",
                field="consent",
            )
        note = _clean_note(data.note)
        if _already_waiting_at(session, need.id, partner.id):
            raise ValidationError(
                f"Questo bisogno è già segnalato a {partner.name} e la segnalazione è ancora "
                "aperta: registrare prima la risposta dell'ente.",
                field="partner",
            )
        referral = Referral(
            need_id=need.id,
            partner_id=partner.id,
            contact_id=data.contact_id,
            channel_code=data.channel_code,
            note=note,
            sent_on=data.sent_on,
            due_on=due_on(data.sent_on, _overdue_days(session)),
            consent_given=data.consent_given,
            consent_on=data.sent_on if data.consent_given else None,
            consent_override_note=None if data.consent_given else _clean_note(override),
            status="sent",
            created_by=actor.id,
        )
        session.add(referral)
        session.flush()
        _event(session, write, referral, "sent", data.sent_on, note=note)
        need.closed_as = need.closed_reason = need.closed_on = None  # a new try reopens it
        write.referrals_changed([referral.id])
        _refresh_need_status(session, write, need)
        write.audit("referral_sent", "referral", referral.id, f"ente n. {partner.id}")
        if not data.consent_given:
            write.audit("referral_consent_override", "referral", referral.id)
    return referral


def _check_contact(session: Session, partner: Partner, contact_id: int | None) -> None:
    if contact_id is None:
        has_contacts = session.scalar(select(Contact.id).where(Contact.partner_id == partner.id))
        if has_contacts is not None:
            raise ValidationError(
                f"Scegliere il referente di {partner.name} a cui si invia.", field="contact"
            )
        return
    contact = session.get(Contact, contact_id)
    if contact is None or contact.partner_id != partner.id:
        raise ValidationError(
            f"Il referente scelto non lavora presso {partner.name}: sceglierne un altro.",
            field="contact",
        )


def _check_channel(session: Session, channel_code: str | None) -> None:
    if channel_code is None:
        return
    channel = session.get(Channel, channel_code)
    if channel is None or not channel.active:
        raise ValidationError("Canale non valido: sceglierne uno dall'elenco.", field="channel")


def _already_waiting_at(session: Session, need_id: int, partner_id: int) -> bool:
    return (
        session.scalar(
            select(Referral.id).where(
                Referral.need_id == need_id,
                Referral.partner_id == partner_id,
                Referral.status.in_(ACTIVE_STATUSES),
            )
        )
        is not None
    )


def _overdue_days(session: Session) -> int:
    return int(read_setting(session, config.SETTING_OVERDUE_DAYS))


# --- Answers


def move_referral(
    session: Session,
    actor: Actor,
    referral_id: int,
    move_key: str,
    *,
    version: int,
    on: dt.date,
    reason: str | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> Referral:
    """Record what the partner said (or that the referral is cancelled) on day `on`."""
    today = today or config.today()
    move = MOVES.get(move_key)
    if move is None:
        raise IllegalMove("Azione non riconosciuta: scegliere una delle risposte proposte.")
    with as_editor(session, actor) as write:
        referral = write.claim(Referral, referral_id, None, "la segnalazione")
        _check_legal(referral, move)
        if referral.version - 1 != version:  # claim raised it by one
            raise _stale()
        need = session.get(Need, referral.need_id)
        interview = session.get(Interview, need.interview_id) if need else None
        if need is None or interview is None or interview.deleted_at is not None:
            raise NotFound("Il colloquio di questa segnalazione è stato eliminato.")
        _check_day(on, today, "La data della risposta", "on")
        start = referral.accepted_on if move.target == "closed" else referral.sent_on
        if start is not None and on < start:
            raise ValidationError(
                f"La data non può precedere il {formats.date(start)} "
                f"({'presa in carico' if move.target == 'closed' else 'invio'}).",
                field="on",
            )
        text = _clean_note(note)
        if move.reasons is not None:
            if reason not in move.reasons:
                raise ValidationError(
                    "Indicare il motivo, scegliendolo dall'elenco.", field="reason"
                )
            if reason == OTHER_REASON and not text:
                raise ValidationError("Motivo «altro»: scriverlo nella nota.", field="note")
        else:
            reason = None
        referral.status = move.target
        if move.target == "accepted":
            referral.accepted_on = on
        if move.target in ("refused", "closed", "cancelled"):
            referral.closed_on = on
        if move.target in ("refused", "closed"):
            referral.outcome, referral.reason = move.outcome, reason
        _event(session, write, referral, move.target, on, move.outcome, reason, text)
        write.referrals_changed([referral.id])
        _refresh_need_status(session, write, need)
        write.audit("referral_moved", "referral", referral.id, move.label)
    return referral


def _check_legal(referral: Referral, move: Move) -> None:
    status = referral.status
    if status in move.sources:
        return
    if status == "cancelled":
        raise IllegalMove(
            f"Questa segnalazione è stata annullata il {formats.date(referral.closed_on)}: non "
            "si può più cambiare. Se serve, inviarne una nuova."
        )
    if status == "refused":
        raise IllegalMove(
            f"L'ente ha già rifiutato questa segnalazione il {formats.date(referral.closed_on)}: "
            "per riprovare inviarne una nuova."
        )
    if status == "closed":
        outcome = OUTCOME_LABELS.get(referral.outcome or "", "")
        raise IllegalMove(
            f"Questa segnalazione è già conclusa ({outcome}) il "
            f"{formats.date(referral.closed_on)}: non si può più cambiare."
        )
    if status == "sent":  # a closing move
        raise IllegalMove(
            "Non si può concludere una segnalazione che l'ente non ha ancora preso in carico: "
            "registrare prima la presa in carico."
        )
    if move.key == "accept":
        raise IllegalMove(
            f"La segnalazione è già stata presa in carico il {formats.date(referral.accepted_on)}."
        )
    raise IllegalMove(
        "L'ente ha già preso in carico questa segnalazione: non può più rifiutarla. Se non la "
        "segue più, concluderla con esito negativo."
    )


# --- A need closed by the community manager


def close_need(
    session: Session,
    actor: Actor,
    need_id: int,
    *,
    version: int,
    resolved: bool,
    reason: str = "",
    on: dt.date,
    today: dt.date | None = None,
) -> Need:
    """Close a need with no referral open: risolto internamente, or non risolto (reason)."""
    today = today or config.today()
    with as_editor(session, actor) as write:
        need = write.claim(Need, need_id, version, "il bisogno")
        if any(status in ACTIVE_STATUSES for status, _ in _referral_states(session, need.id)):
            raise IllegalMove(
                "Il bisogno ha una segnalazione ancora aperta: registrare prima la risposta "
                "dell'ente, oppure annullarla."
            )
        _check_day(on, today, "La data di chiusura", "on")
        text = _clean_note(reason)
        if not resolved and not text:
            raise ValidationError("Per un bisogno non risolto indicare il motivo.", field="reason")
        need.closed_as = "resolved" if resolved else "unresolved"
        need.closed_reason, need.closed_on = text, on
        _refresh_need_status(session, write, need)
        write.audit("need_closed", "need", need.id, NEED_STATUS_LABELS[need.closed_as])
    return need


def reopen_need(session: Session, actor: Actor, need_id: int, *, version: int) -> Need:
    """Undo a closing recorded by the community manager (the need comes back)."""
    with as_editor(session, actor) as write:
        need = write.claim(Need, need_id, version, "il bisogno")
        if need.closed_as is None:
            raise IllegalMove("Il bisogno non era stato chiuso a mano: niente da riaprire.")
        need.closed_as = need.closed_reason = need.closed_on = None
        _refresh_need_status(session, write, need)
        write.audit("need_reopened", "need", need.id)
    return need


# --- Shared steps


def _referral_states(session: Session, need_id: int) -> list[tuple[str, str | None]]:
    rows = session.execute(
        select(Referral.status, Referral.outcome).where(Referral.need_id == need_id)
    ).all()
    return [(status, outcome) for status, outcome in rows]


def _refresh_need_status(session: Session, write: Write, need: Need) -> None:
    session.flush()
    status = need_status(_referral_states(session, need.id), need.closed_as)
    if status != need.status:
        need.status = status
        session.flush()
        write.need_status_changed(need.id, status)


def _event(
    session: Session,
    write: Write,
    referral: Referral,
    status: str,
    on: dt.date,
    outcome: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    session.add(
        ReferralEvent(
            referral_id=referral.id,
            status=status,
            happened_on=on,
            outcome=outcome,
            reason=reason,
            user_id=write.actor.id,
            note=note,
        )
    )


def _check_day(day: dt.date, today: dt.date, what: str, field: str) -> None:
    if day > today:
        raise ValidationError(f"{what} non può essere nel futuro.", field=field)


def _clean_note(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    if len(cleaned) > NOTE_MAX:
        raise ValidationError(
            f"La nota è troppo lunga ({formats.number(len(cleaned))} caratteri): "
            f"restare entro {formats.number(NOTE_MAX)}.",
            field="note",
        )
    return cleaned or None


def _stale() -> Exception:
    return ConcurrentEdit(
        "Qualcun altro ha aggiornato questa segnalazione mentre la guardavi: ricarica la pagina "
        "per vedere il suo stato attuale. Quello che hai scritto è ancora nel modulo."
    )
