"""«Da seguire»: the referrals still open, the overdue ones first, with what to do next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from rete import formats
from rete.models import (
    Category,
    Contact,
    Household,
    NeedFact,
    Neighbourhood,
    Partner,
    Referral,
    ReferralEvent,
    ReferralFact,
)
from rete.referrals import ACTIVE_STATUSES
from rete.taxonomy import REFERRAL_STATUS_LABELS

PAGE_SIZE = 25
COLUMNS = [
    "referral_id",
    "version",
    "status_code",
    "status",
    "overdue",
    "household_id",
    "household_code",
    "neighbourhood",
    "area",
    "need",
    "partner",
    "contact",
    "contact_phone",
    "contact_email",
    "days",
    "last_action",
    "next_action",
]


@dataclass(frozen=True)
class FollowUpFilters:
    partner_ids: tuple[int, ...] = ()
    area_ids: tuple[int, ...] = ()
    neighbourhood_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class FollowUpPage:
    rows: pd.DataFrame  # COLUMNS, overdue first, then by due day
    total: int  # open referrals matching the filters
    overdue: int  # of which still waiting past their due day
    page: int
    pages: int


def _conditions(filters: FollowUpFilters) -> list[ColumnElement[bool]]:
    rf = ReferralFact
    # Rendered as literals, as the partial index `ix_referral_fact_open` is defined: with bound
    # parameters SQLite cannot tell that the index holds every row asked for, and scans.
    where: list[ColumnElement[bool]] = [
        rf.status.in_([literal(status, literal_execute=True) for status in ACTIVE_STATUSES])
    ]
    if filters.partner_ids:
        where.append(rf.partner_id.in_(filters.partner_ids))
    if filters.area_ids:
        where.append(rf.area_id.in_(filters.area_ids))
    if filters.neighbourhood_ids:
        where.append(rf.neighbourhood_id.in_(filters.neighbourhood_ids))
    return where


def _overdue(today: dt.date) -> ColumnElement[bool]:
    """Still waiting for an answer after the due day (from the day after)."""
    return (ReferralFact.status == "sent") & (ReferralFact.due_on < today)


def open_referrals(
    engine: Engine, filters: FollowUpFilters, today: dt.date, *, page: int = 0
) -> FollowUpPage:
    """One page of the open referrals: overdue first (longest overdue first), then by due day."""
    where = _conditions(filters)
    overdue = _overdue(today)
    with Session(engine) as session:
        total, late = session.execute(
            select(func.count(), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0)).where(
                *where
            )
        ).one()
        pages = max(1, -(-int(total) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        ids = session.scalars(
            select(ReferralFact.referral_id)
            .where(*where)
            .order_by(case((overdue, 0), else_=1), ReferralFact.due_on, ReferralFact.referral_id)
            .limit(PAGE_SIZE)
            .offset(page * PAGE_SIZE)
        ).all()
        rows = _rows(session, list(ids), today)
    return FollowUpPage(rows, int(total), int(late), page, pages)


def _rows(session: Session, ids: list[int], today: dt.date) -> pd.DataFrame:
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    area = Category.__table__.alias("area")
    found = session.execute(
        select(
            Referral.id,
            Referral.version,
            Referral.status,
            Referral.sent_on,
            Referral.due_on,
            Referral.accepted_on,
            Household.id,
            Household.code,
            Neighbourhood.name,
            area.c.name,
            Category.name,
            Partner.name,
            Contact.name,
            Contact.phone,
            Contact.email,
        )
        .join(NeedFact, NeedFact.need_id == Referral.need_id)
        .join(Household, Household.id == NeedFact.household_id)
        .join(Neighbourhood, Neighbourhood.id == NeedFact.neighbourhood_id)
        .join(Category, Category.id == NeedFact.category_id)
        .join(area, area.c.id == NeedFact.area_id)
        .join(Partner, Partner.id == Referral.partner_id)
        .outerjoin(Contact, Contact.id == Referral.contact_id)
        .where(Referral.id.in_(ids))
    ).all()
    last = _last_events(session, ids)
    by_id: dict[int, dict[str, Any]] = {}
    for row in found:
        (rid, version, status, sent_on, due, accepted_on, hid, code, place, area_name) = row[:10]
        need, partner, contact, phone, email = row[10:]
        is_late = status == "sent" and today > due
        since = accepted_on if status == "accepted" and accepted_on else sent_on
        event_status, event_day = last.get(rid, (status, since))
        by_id[rid] = {
            "referral_id": rid,
            "version": version,
            "status_code": status,
            "status": REFERRAL_STATUS_LABELS[status],
            "overdue": is_late,
            "household_id": hid,
            "household_code": code,
            "neighbourhood": place,
            "area": area_name,
            "need": need,
            "partner": partner,
            "contact": contact or "",
            "contact_phone": phone or "",
            "contact_email": email or "",
            "days": (today - since).days,
            "last_action": f"{REFERRAL_STATUS_LABELS[event_status]} il {formats.date(event_day)}",
            "next_action": next_action(status, due, today),
        }
    return pd.DataFrame([by_id[rid] for rid in ids if rid in by_id], columns=COLUMNS)


def _last_events(session: Session, ids: list[int]) -> dict[int, tuple[str, dt.date]]:
    newest = (
        select(func.max(ReferralEvent.id)).where(ReferralEvent.referral_id.in_(ids))
    ).group_by(ReferralEvent.referral_id)
    rows = session.execute(
        select(ReferralEvent.referral_id, ReferralEvent.status, ReferralEvent.happened_on).where(
            ReferralEvent.id.in_(newest)
        )
    ).all()
    return {rid: (status, day) for rid, status, day in rows}


def next_action(status: str, due: dt.date, today: dt.date) -> str:
    """What the community manager should do next, in Italian."""
    if status == "accepted":
        return "Chiedere all'ente come procede e registrare l'esito"
    if today > due:
        late = (today - due).days
        return f"Sollecitare l'ente: risposta attesa entro il {formats.date(due)} ({late} gg di ritardo)"
    return f"Attendere la risposta entro il {formats.date(due)}"
