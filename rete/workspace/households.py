"""Households: found by code as the user types, and the card with everything about one of them.

Opening a card is reading personal data: `household_card` writes it to the audit trail (once
per user and household every few minutes, so that a page redrawing itself does not flood it).
Whether the contact block is in the card is decided here, by `rete.access`, not by the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import access, audit
from rete.errors import NotFound
from rete.models import (
    Category,
    Channel,
    Contact,
    Household,
    HouseholdContact,
    Interview,
    Need,
    Neighbourhood,
    Partner,
    Referral,
    ReferralEvent,
    User,
)
from rete.records import HOUSEHOLD_CODE
from rete.validation import is_record_id
from rete.writes import Actor

SUGGESTIONS = 12


@dataclass(frozen=True)
class HouseholdSummary:
    id: int
    code: str
    neighbourhood: str  # "Biumo (Varese)"


def _code_prefix(text: str) -> str:
    return text.strip().upper()


def find_households(engine: Engine, text: str, limit: int = SUGGESTIONS) -> list[HouseholdSummary]:
    """Households whose code starts with `text` (case ignored), in code order.

    A range on the unique index of `code` (codes are stored upper case), never a scan.
    """
    prefix = _code_prefix(text)
    if not prefix or not HOUSEHOLD_CODE.match(prefix):
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    with Session(engine) as session:
        rows = session.execute(
            select(Household.id, Household.code, Neighbourhood.name, Neighbourhood.municipality)
            .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
            .where(Household.code >= prefix, Household.code < upper)
            .order_by(Household.code)
            .limit(limit)
        ).all()
    return [HouseholdSummary(id_, code, f"{name} ({town})") for id_, code, name, town in rows]


def household_by_code(engine: Engine, code: str) -> HouseholdSummary | None:
    exact = [h for h in find_households(engine, code, 1) if h.code == _code_prefix(code)]
    return exact[0] if exact else None


# --- The card


@dataclass(frozen=True)
class EventCard:
    status: str
    happened_on: dt.date
    recorded_at: dt.datetime
    by: str
    outcome: str | None
    reason: str | None
    note: str | None


@dataclass(frozen=True)
class ReferralCard:
    id: int
    version: int
    partner: str
    contact: str | None
    status: str
    outcome: str | None
    reason: str | None
    sent_on: dt.date
    due_on: dt.date
    consent_given: bool
    consent_override_note: str | None
    events: tuple[EventCard, ...]


@dataclass(frozen=True)
class NeedCard:
    id: int
    version: int
    area: str
    area_colour: str | None
    name: str
    severity: str
    status: str
    notes: str | None
    closed_as: str | None
    closed_reason: str | None
    closed_on: dt.date | None
    referrals: tuple[ReferralCard, ...]


@dataclass(frozen=True)
class InterviewCard:
    id: int
    version: int
    held_on: dt.date
    channel: str
    operator: str
    notes: str | None
    deleted: bool
    needs: tuple[NeedCard, ...]


@dataclass(frozen=True)
class ContactBlock:
    full_name: str | None
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class HouseholdCard:
    id: int
    code: str
    version: int
    neighbourhood_id: int
    neighbourhood: str
    municipality: str
    members: int
    has_elderly: bool
    has_minors: bool
    has_disability: bool
    contact: ContactBlock | None  # None: not shown to this role, or none recorded
    interviews: tuple[InterviewCard, ...] = field(default=())  # newest first
    erased_at: dt.datetime | None = None  # its personal data erased (`workspace.erasure`)


def household_card(engine: Engine, viewer: Actor, household_id: int) -> HouseholdCard:
    """Everything about one household, for `viewer`; the reading is audited."""
    access.require(viewer.role, access.may_see_personal_data, "vedere la scheda di un nucleo")
    with Session(engine) as session:
        household = session.get(Household, household_id) if is_record_id(household_id) else None
        if household is None:
            raise NotFound("Nucleo non trovato: cercarlo di nuovo per codice.")
        place = session.get(Neighbourhood, household.neighbourhood_id)
        assert place is not None
        contact = None
        if access.may_see_personal_data(viewer.role):
            row = session.get(HouseholdContact, household_id)
            if row is not None:
                contact = ContactBlock(row.full_name, row.phone, row.email)
        card = HouseholdCard(
            id=household.id,
            code=household.code,
            version=household.version,
            neighbourhood_id=place.id,
            neighbourhood=place.name,
            municipality=place.municipality,
            members=household.members,
            has_elderly=household.has_elderly,
            has_minors=household.has_minors,
            has_disability=household.has_disability,
            contact=contact,
            interviews=_interviews(session, household_id, access.may_see_deleted(viewer.role)),
            erased_at=household.erased_at,
        )
    audit.record_access(engine, viewer, "household_viewed", "household", household_id)
    return card


def _interviews(
    session: Session, household_id: int, with_deleted: bool
) -> tuple[InterviewCard, ...]:
    query = (
        select(Interview, Channel.name, User.display_name)
        .join(Channel, Channel.code == Interview.channel_code)
        .outerjoin(User, User.id == Interview.operator_id)
        .where(Interview.household_id == household_id)
        .order_by(Interview.held_on.desc(), Interview.id.desc())
    )
    if not with_deleted:
        query = query.where(Interview.deleted_at.is_(None))
    interviews = session.execute(query).all()
    ids = [interview.id for interview, _, _ in interviews]
    needs = _needs(session, ids)
    return tuple(
        InterviewCard(
            id=interview.id,
            version=interview.version,
            held_on=interview.held_on,
            channel=channel,
            operator=operator or "",
            notes=interview.notes,
            deleted=interview.deleted_at is not None,
            needs=tuple(needs.get(interview.id, ())),
        )
        for interview, channel, operator in interviews
    )


def _needs(session: Session, interview_ids: list[int]) -> dict[int, list[NeedCard]]:
    area = Category.__table__.alias("area")
    rows = session.execute(
        select(Need, Category.name, area.c.name, area.c.colour)
        .join(Category, Category.id == Need.category_id)
        .join(area, area.c.id == Category.parent_id)
        .where(Need.interview_id.in_(interview_ids))
        .order_by(Need.id)
    ).all()
    referrals = _referrals(session, [need.id for need, _, _, _ in rows])
    found: dict[int, list[NeedCard]] = {}
    for need, name, area_name, colour in rows:
        found.setdefault(need.interview_id, []).append(
            NeedCard(
                id=need.id,
                version=need.version,
                area=area_name,
                area_colour=colour,
                name=name,
                severity=need.severity,
                status=need.status,
                notes=need.notes,
                closed_as=need.closed_as,
                closed_reason=need.closed_reason,
                closed_on=need.closed_on,
                referrals=tuple(referrals.get(need.id, ())),
            )
        )
    return found


def _referrals(session: Session, need_ids: list[int]) -> dict[int, list[ReferralCard]]:
    rows = session.execute(
        select(Referral, Partner.name, Contact.name)
        .join(Partner, Partner.id == Referral.partner_id)
        .outerjoin(Contact, Contact.id == Referral.contact_id)
        .where(Referral.need_id.in_(need_ids))
        .order_by(Referral.sent_on, Referral.id)
    ).all()
    events: dict[int, list[EventCard]] = {}
    for event, by in session.execute(
        select(ReferralEvent, User.display_name)
        .outerjoin(User, User.id == ReferralEvent.user_id)
        .where(ReferralEvent.referral_id.in_([referral.id for referral, _, _ in rows]))
        .order_by(ReferralEvent.id)
    ):
        events.setdefault(event.referral_id, []).append(
            EventCard(
                event.status,
                event.happened_on,
                event.at,
                by or "",
                event.outcome,
                event.reason,
                event.note,
            )
        )
    found: dict[int, list[ReferralCard]] = {}
    for referral, partner, contact in rows:
        found.setdefault(referral.need_id, []).append(
            ReferralCard(
                id=referral.id,
                version=referral.version,
                partner=partner,
                contact=contact,
                status=referral.status,
                outcome=referral.outcome,
                reason=referral.reason,
                sent_on=referral.sent_on,
                due_on=referral.due_on,
                consent_given=referral.consent_given,
                consent_override_note=referral.consent_override_note,
                events=tuple(events.get(referral.id, ())),
            )
        )
    return found


@dataclass(frozen=True)
class NeedSummary:
    id: int
    household_id: int
    household_code: str
    neighbourhood_id: int
    neighbourhood: str
    municipality: str
    category_id: int
    area: str
    name: str
    severity: str
    status: str
    held_on: dt.date


def need_summary(engine: Engine, viewer: Actor, need_id: int) -> NeedSummary:
    """A recorded need with its household and place, as the referral form shows it."""
    access.require(viewer.role, access.may_see_personal_data, "vedere i bisogni di un nucleo")
    if not is_record_id(need_id):
        raise NotFound("Bisogno non trovato: potrebbe essere stato tolto o il colloquio eliminato.")
    area = Category.__table__.alias("area")
    with Session(engine) as session:
        row = session.execute(
            select(
                Need.id,
                Household.id,
                Household.code,
                Neighbourhood.id,
                Neighbourhood.name,
                Neighbourhood.municipality,
                Category.id,
                area.c.name,
                Category.name,
                Need.severity,
                Need.status,
                Interview.held_on,
            )
            .join(Interview, Interview.id == Need.interview_id)
            .join(Household, Household.id == Interview.household_id)
            .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
            .join(Category, Category.id == Need.category_id)
            .join(area, area.c.id == Category.parent_id)
            .where(Need.id == need_id, Interview.deleted_at.is_(None))
        ).first()
    if row is None:
        raise NotFound("Bisogno non trovato: potrebbe essere stato tolto o il colloquio eliminato.")
    return NeedSummary(*row)
