"""Which partners can take a need, best first, and why.

`propose_partners` is the one ranking of Rete: the referral form calls it for a need, and the
directory's «Chi può aiutare?» calls it for a specific need and a neighbourhood. A partner is
proposed when it is active, covers the specific need or its whole area, and serves the
neighbourhood or its municipality. Ranked by: the exact need before the area, the neighbourhood
before the municipality, then the share it took in charge of such needs before, then how fast
(mean days to taking in charge), then by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, case, func, or_, select
from sqlalchemy.orm import Session

from rete import formats
from rete.errors import NotFound
from rete.models import (
    Category,
    Contact,
    Neighbourhood,
    Partner,
    PartnerArea,
    PartnerCategory,
    ReferralFact,
)
from rete.taxonomy import PARTNER_KINDS

ANSWERED = ("accepted", "closed", "refused")  # the partner said yes or no
TAKEN = ("accepted", "closed")


@dataclass(frozen=True)
class ContactCard:
    id: int
    name: str
    role: str | None
    phone: str | None
    email: str | None
    preferred_channel: str | None
    is_primary: bool


@dataclass(frozen=True)
class Proposal:
    partner_id: int
    name: str
    kind: str  # Italian label
    exact_need: bool  # covers the specific need (else its whole area)
    in_neighbourhood: bool  # serves the neighbourhood itself (else its whole municipality)
    answered: int  # such needs it answered before (taken in charge or refused)
    taken: int  # ... of which taken in charge
    mean_days: float | None  # mean days from sending to taking in charge
    contacts: tuple[ContactCard, ...]  # the primary contact first
    reason: str  # the rank in words


def propose_partners(engine: Engine, category_id: int, neighbourhood_id: int) -> list[Proposal]:
    """The partners that can take this specific need in this neighbourhood, best first."""
    with Session(engine) as session:
        category = session.get(Category, category_id)
        place = session.get(Neighbourhood, neighbourhood_id)
        if category is None or category.parent_id is None or place is None:
            raise NotFound("Bisogno specifico o quartiere non trovato.")
        exact = (
            select(
                PartnerCategory.partner_id,
                func.max(case((PartnerCategory.category_id == category_id, 1), else_=0)).label(
                    "exact"
                ),
            )
            .where(PartnerCategory.category_id.in_((category_id, category.parent_id)))
            .group_by(PartnerCategory.partner_id)
            .subquery()
        )
        near = (
            select(
                PartnerArea.partner_id,
                func.max(
                    case((PartnerArea.neighbourhood_id == neighbourhood_id, 1), else_=0)
                ).label("near"),
            )
            .where(
                or_(
                    PartnerArea.neighbourhood_id == neighbourhood_id,
                    PartnerArea.municipality == place.municipality,
                )
            )
            .group_by(PartnerArea.partner_id)
            .subquery()
        )
        candidates = session.execute(
            select(Partner.id, Partner.name, Partner.kind, exact.c.exact, near.c.near)
            .join(exact, exact.c.partner_id == Partner.id)
            .join(near, near.c.partner_id == Partner.id)
            .where(Partner.active)
        ).all()
        ids = [row[0] for row in candidates]
        record = _record(session, category_id, ids)
        contacts = contacts_by_partner(session, ids)
    proposals = []
    for partner_id, name, kind, is_exact, is_near in candidates:
        answered, taken, mean_days = record.get(partner_id, (0, 0, None))
        proposal = Proposal(
            partner_id=partner_id,
            name=name,
            kind=PARTNER_KINDS.get(kind, kind),
            exact_need=bool(is_exact),
            in_neighbourhood=bool(is_near),
            answered=answered,
            taken=taken,
            mean_days=mean_days,
            contacts=tuple(contacts.get(partner_id, ())),
            reason="",
        )
        proposals.append(
            Proposal(**{**proposal.__dict__, "reason": _reason(proposal, place, category.name)})
        )
    proposals.sort(key=_rank)
    return proposals


def _rank(proposal: Proposal) -> tuple[object, ...]:
    share = proposal.taken / proposal.answered if proposal.answered else 0.0
    days = proposal.mean_days if proposal.mean_days is not None else float("inf")
    return (not proposal.exact_need, not proposal.in_neighbourhood, -share, days, proposal.name)


def _record(
    session: Session, category_id: int, partner_ids: list[int]
) -> dict[int, tuple[int, int, float | None]]:
    """How each partner answered this specific need before (live needs only)."""
    if not partner_ids:
        return {}
    rf = ReferralFact
    rows = session.execute(
        select(
            rf.partner_id,
            func.sum(case((rf.status.in_(ANSWERED), 1), else_=0)),
            func.sum(case((rf.status.in_(TAKEN), 1), else_=0)),
            func.avg(case((rf.status.in_(TAKEN), rf.days_to_accept), else_=None)),
        )
        .where(rf.category_id == category_id, rf.partner_id.in_(partner_ids))
        .group_by(rf.partner_id)
    ).all()
    return {
        partner: (int(answered or 0), int(taken or 0), None if mean is None else float(mean))
        for partner, answered, taken, mean in rows
    }


def contacts_by_partner(
    session: Session, partner_ids: Sequence[int]
) -> dict[int, list[ContactCard]]:
    """Each partner's contact persons, the primary first, then by name."""
    found: dict[int, list[ContactCard]] = {}
    for contact in session.scalars(
        select(Contact)
        .where(Contact.partner_id.in_(partner_ids))
        .order_by(Contact.partner_id, Contact.is_primary.desc(), Contact.name)
    ):
        found.setdefault(contact.partner_id, []).append(
            ContactCard(
                contact.id,
                contact.name,
                contact.role,
                contact.phone,
                contact.email,
                contact.preferred_channel,
                contact.is_primary,
            )
        )
    return found


def _reason(proposal: Proposal, place: Neighbourhood, need_name: str) -> str:
    """'copre questo bisogno · serve Biumo · 12 prese in carico su 14, in media 4 giorni'."""
    parts = [
        "copre questo bisogno" if proposal.exact_need else "copre tutta l'area di questo bisogno",
        f"serve {place.name}"
        if proposal.in_neighbourhood
        else f"serve il comune di {place.municipality}",
    ]
    if proposal.answered:
        taken = "presa" if proposal.taken == 1 else "prese"
        record = (
            f"{formats.number(proposal.taken)} {taken} in carico su "
            f"{formats.number(proposal.answered)}"
        )
        if proposal.mean_days is not None:
            days = round(proposal.mean_days)
            record += f", in media {formats.number(days)} {'giorno' if days == 1 else 'giorni'}"
        parts.append(record)
    else:
        parts.append(f"nessuna segnalazione di «{need_name}» finora")
    return " · ".join(parts)


def active_partners(engine: Engine) -> list[tuple[int, str]]:
    """Every active partner (id, name), by name: the choice when no proposal fits."""
    with Session(engine) as session:
        return [
            (id_, name)
            for id_, name in session.execute(
                select(Partner.id, Partner.name).where(Partner.active).order_by(Partner.name)
            )
        ]


def partner_contacts(engine: Engine, partner_id: int) -> list[ContactCard]:
    with Session(engine) as session:
        return contacts_by_partner(session, [partner_id]).get(partner_id, [])
