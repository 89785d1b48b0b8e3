"""The interviews list (newest first, filtered and paged in SQL) and one interview to correct."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from rete import access
from rete.config import local_time
from rete.errors import NotFound
from rete.models import (
    Category,
    Channel,
    Household,
    Interview,
    Need,
    NeedFact,
    Neighbourhood,
    Referral,
    User,
)
from rete.records import NeedInput
from rete.taxonomy import NEED_STATUS_LABELS
from rete.validation import is_record_id
from rete.writes import Actor

PAGE_SIZE = 25
OPEN_STATUSES = ("open", "in_progress")
COLUMNS = [
    "interview_id",
    "held_on",
    "household_id",
    "household_code",
    "neighbourhood",
    "channel",
    "needs",
    "open_needs",
    "operator",
    "deleted_on",
]


@dataclass(frozen=True)
class InterviewFilters:
    start: dt.date | None = None
    end: dt.date | None = None
    neighbourhood_ids: tuple[int, ...] = ()
    area_ids: tuple[int, ...] = ()
    channel_codes: tuple[str, ...] = ()
    household_code: str = ""
    open_only: bool = False


@dataclass(frozen=True)
class InterviewPage:
    rows: pd.DataFrame  # COLUMNS, newest first
    page: int
    has_next: bool


def _conditions(session: Session, filters: InterviewFilters) -> list[ColumnElement[bool]] | None:
    """Conditions on `need_fact`; None when the household code matches no household."""
    nf = NeedFact
    where: list[ColumnElement[bool]] = []
    if filters.start is not None:
        where.append(nf.held_on >= filters.start)
    if filters.end is not None:
        where.append(nf.held_on <= filters.end)
    if filters.neighbourhood_ids:
        where.append(nf.neighbourhood_id.in_(filters.neighbourhood_ids))
    if filters.area_ids:
        where.append(nf.area_id.in_(filters.area_ids))
    if filters.channel_codes:
        where.append(nf.channel_code.in_(filters.channel_codes))
    if filters.open_only:
        where.append(nf.status.in_(OPEN_STATUSES))
    if filters.household_code.strip():
        household = session.scalar(
            select(Household.id).where(Household.code == filters.household_code.strip().upper())
        )
        if household is None:
            return None
        where.append(nf.household_id == household)
    return where


def interview_page(engine: Engine, filters: InterviewFilters, page: int = 0) -> InterviewPage:
    """One page of the live interviews with at least one need matching the filters.

    No total count: counting every distinct interview of a year at 1M needs costs more than the
    page itself; the page says whether there is a next one (it asks for one row more)."""
    page = max(page, 0)
    with Session(engine) as session:
        where = _conditions(session, filters)
        if where is None:
            return InterviewPage(pd.DataFrame(columns=COLUMNS), 0, False)
        query = (
            select(NeedFact.interview_id, NeedFact.held_on)
            .where(*where)
            .group_by(NeedFact.held_on, NeedFact.interview_id)
            .order_by(NeedFact.held_on.desc(), NeedFact.interview_id.desc())
            .limit(PAGE_SIZE + 1)
            .offset(page * PAGE_SIZE)
        )
        if not filters.household_code.strip():
            # Walk the dates backwards and stop at the page: SQLite would otherwise take an
            # area's whole index range and sort it (one household's few rows it finds itself).
            query = query.with_hint(NeedFact, "INDEXED BY ix_need_fact_held_on", "sqlite")
        found = session.execute(query).all()
        ids = [interview_id for interview_id, _ in found[:PAGE_SIZE]]
        rows = _rows(session, ids)
    return InterviewPage(rows, page, len(found) > PAGE_SIZE)


def deleted_interviews(engine: Engine, viewer: Actor, page: int = 0) -> InterviewPage:
    """The soft-deleted interviews, most recently deleted first (the administrator restores)."""
    access.require(viewer.role, access.may_see_deleted, "vedere i colloqui eliminati")
    page = max(page, 0)
    with Session(engine) as session:
        found = session.scalars(
            select(Interview.id)
            .where(Interview.deleted_at.is_not(None))
            .order_by(Interview.deleted_at.desc(), Interview.id.desc())
            .limit(PAGE_SIZE + 1)
            .offset(page * PAGE_SIZE)
        ).all()
        rows = _rows(session, list(found[:PAGE_SIZE]))
    return InterviewPage(rows, page, len(found) > PAGE_SIZE)


def _rows(session: Session, ids: list[int]) -> pd.DataFrame:
    if not ids:
        return pd.DataFrame(columns=COLUMNS)
    interviews = session.execute(
        select(
            Interview.id,
            Interview.held_on,
            Household.id,
            Household.code,
            Neighbourhood.name,
            Channel.name,
            User.display_name,
            Interview.deleted_at,
        )
        .join(Household, Household.id == Interview.household_id)
        .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
        .join(Channel, Channel.code == Interview.channel_code)
        .outerjoin(User, User.id == Interview.operator_id)
        .where(Interview.id.in_(ids))
    ).all()
    needs: dict[int, list[tuple[str, str]]] = {}
    for interview_id, name, status in session.execute(
        select(Need.interview_id, Category.name, Need.status)
        .join(Category, Category.id == Need.category_id)
        .where(Need.interview_id.in_(ids))
        .order_by(Need.id)
    ):
        needs.setdefault(interview_id, []).append((name, status))
    by_id = {
        row[0]: {
            "interview_id": row[0],
            "held_on": row[1],
            "household_id": row[2],
            "household_code": row[3],
            "neighbourhood": row[4],
            "channel": row[5],
            "needs": " · ".join(
                f"{name} ({NEED_STATUS_LABELS[status]})" for name, status in needs.get(row[0], [])
            ),
            "open_needs": sum(status in OPEN_STATUSES for _, status in needs.get(row[0], [])),
            "operator": row[6] or "",
            "deleted_on": local_time(row[7]).date() if row[7] else None,
        }
        for row in interviews
    }
    return pd.DataFrame([by_id[i] for i in ids if i in by_id], columns=COLUMNS)


# --- One interview, as the correction form starts from it


@dataclass(frozen=True)
class InterviewDraft:
    id: int
    version: int
    household_id: int
    household_code: str
    held_on: dt.date
    channel_code: str
    notes: str
    deleted: bool
    needs: tuple[NeedInput, ...]
    referred_need_ids: frozenset[int]  # these cannot be removed from the interview


def interview_draft(engine: Engine, viewer: Actor, interview_id: int) -> InterviewDraft:
    """One interview for `viewer` to correct; a deleted one only for those who see deleted
    interviews (to others it does not exist: the same message as an id never used)."""
    access.require(viewer.role, access.may_see_personal_data, "vedere un colloquio")
    query = (
        select(Interview, Household.code)
        .join(Household, Household.id == Interview.household_id)
        .where(Interview.id == interview_id)
    )
    if not access.may_see_deleted(viewer.role):
        query = query.where(Interview.deleted_at.is_(None))
    with Session(engine) as session:
        row = session.execute(query).first() if is_record_id(interview_id) else None
        if row is None:
            raise NotFound("Colloquio non trovato: potrebbe essere stato eliminato.")
        interview, code = row
        needs = session.scalars(
            select(Need).where(Need.interview_id == interview_id).order_by(Need.id)
        ).all()
        referred = session.scalars(
            select(func.distinct(Referral.need_id)).where(
                Referral.need_id.in_([need.id for need in needs])
            )
        ).all()
        return InterviewDraft(
            id=interview.id,
            version=interview.version,
            household_id=interview.household_id,
            household_code=code,
            held_on=interview.held_on,
            channel_code=interview.channel_code,
            notes=interview.notes or "",
            deleted=interview.deleted_at is not None,
            needs=tuple(NeedInput(n.category_id, n.severity, n.notes, n.id) for n in needs),
            referred_need_ids=frozenset(referred),
        )
