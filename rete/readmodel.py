"""The Cruscotto's read model, kept current inside each write transaction.

- `need_fact`: one row per need of a live (not soft-deleted) interview, with the filter columns;
- `need_monthly`: counts per month x neighbourhood x specific need x channel, moved by +n/-n;
- `referral_fact`: one row per referral of a live need, with the same filter columns.

Writers call `add_facts` after inserting rows and `remove_facts` before changing or hiding them
(an edit is a remove followed by an add), in the same session. `rebuild` recomputes everything
from the base tables, for bulk loads.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Integer, cast, delete, extract, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from rete.models import (
    Category,
    Household,
    Interview,
    Need,
    NeedFact,
    NeedMonthly,
    Neighbourhood,
    Referral,
    ReferralFact,
)


class days_between(FunctionElement[int]):
    """Whole days from the first date to the second, compiled per database."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return f"({compiler.process(end, **kw)} - {compiler.process(start, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(end, **kw)}) "
        f"- julianday({compiler.process(start, **kw)}) AS INTEGER)"
    )


def month_number(date_column: Any) -> ColumnElement[int]:
    """yyyymm of a date column, e.g. 202602 for 25/02/2026."""
    return cast(extract("year", date_column) * 100 + extract("month", date_column), Integer)


def _need_fact_source(interview_ids: Collection[int] | None, need_ids: Collection[int] | None):  # type: ignore[no-untyped-def]
    query = (
        select(
            Need.id,
            Interview.id,
            Interview.household_id,
            Interview.held_on,
            month_number(Interview.held_on),
            Household.neighbourhood_id,
            Neighbourhood.municipality,
            Category.parent_id,
            Need.category_id,
            Interview.channel_code,
            Need.severity,
            Need.status,
        )
        .join(Interview, Interview.id == Need.interview_id)
        .join(Household, Household.id == Interview.household_id)
        .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
        .join(Category, Category.id == Need.category_id)
        .where(Interview.deleted_at.is_(None))
    )
    if interview_ids is not None:
        query = query.where(Interview.id.in_(interview_ids))
    if need_ids is not None:
        query = query.where(Need.id.in_(need_ids))
    return query


NEED_FACT_COLUMNS = [
    "need_id",
    "interview_id",
    "household_id",
    "held_on",
    "month",
    "neighbourhood_id",
    "municipality",
    "area_id",
    "category_id",
    "channel_code",
    "severity",
    "status",
]
REFERRAL_FACT_COLUMNS = [
    "referral_id",
    "need_id",
    "partner_id",
    "sent_on",
    "sent_month",
    "due_on",
    "neighbourhood_id",
    "municipality",
    "area_id",
    "category_id",
    "channel_code",
    "status",
    "outcome",
    "accepted_on",
    "days_to_accept",
]


def _referral_fact_source(need_ids: Collection[int] | None, referral_ids: Collection[int] | None):  # type: ignore[no-untyped-def]
    query = select(
        Referral.id,
        Referral.need_id,
        Referral.partner_id,
        Referral.sent_on,
        month_number(Referral.sent_on),
        Referral.due_on,
        NeedFact.neighbourhood_id,
        NeedFact.municipality,
        NeedFact.area_id,
        NeedFact.category_id,
        NeedFact.channel_code,
        Referral.status,
        Referral.outcome,
        Referral.accepted_on,
        days_between(Referral.sent_on, Referral.accepted_on),
    ).join(NeedFact, NeedFact.need_id == Referral.need_id)
    if need_ids is not None:
        query = query.where(Referral.need_id.in_(need_ids))
    if referral_ids is not None:
        query = query.where(Referral.id.in_(referral_ids))
    return query


def _selected_facts(interview_ids: Collection[int] | None, need_ids: Collection[int] | None):  # type: ignore[no-untyped-def]
    condition = []
    if interview_ids is not None:
        condition.append(NeedFact.interview_id.in_(interview_ids))
    if need_ids is not None:
        condition.append(NeedFact.need_id.in_(need_ids))
    return condition


def _monthly_deltas(session: Session, condition: list[Any]) -> list[Any]:
    return list(
        session.execute(
            select(
                NeedFact.month,
                NeedFact.neighbourhood_id,
                NeedFact.category_id,
                NeedFact.channel_code,
                func.count(),
            )
            .where(*condition)
            .group_by(
                NeedFact.month,
                NeedFact.neighbourhood_id,
                NeedFact.category_id,
                NeedFact.channel_code,
            )
        ).all()
    )


def _move_monthly(session: Session, deltas: list[Any], sign: int) -> None:
    dialect = session.get_bind().dialect.name
    upsert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for month, neighbourhood_id, category_id, channel_code, count in deltas:
        statement = upsert(NeedMonthly).values(
            month=month,
            neighbourhood_id=neighbourhood_id,
            category_id=category_id,
            channel_code=channel_code,
            needs=sign * count,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["month", "neighbourhood_id", "category_id", "channel_code"],
                set_={"needs": NeedMonthly.needs + sign * count},
            )
        )
    if sign < 0 and deltas:
        session.execute(delete(NeedMonthly).where(NeedMonthly.needs <= 0))


def add_facts(
    session: Session,
    *,
    interview_ids: Collection[int] | None = None,
    need_ids: Collection[int] | None = None,
) -> None:
    """Mirror the selected live needs (and their referrals) into the read model."""
    session.flush()
    session.execute(
        insert(NeedFact).from_select(NEED_FACT_COLUMNS, _need_fact_source(interview_ids, need_ids))
    )
    condition = _selected_facts(interview_ids, need_ids)
    _move_monthly(session, _monthly_deltas(session, condition), +1)
    selected_needs = select(NeedFact.need_id).where(*condition)
    session.execute(
        insert(ReferralFact).from_select(
            REFERRAL_FACT_COLUMNS,
            _referral_fact_source(selected_needs, None),  # type: ignore[arg-type]
        )
    )


def remove_facts(
    session: Session,
    *,
    interview_ids: Collection[int] | None = None,
    need_ids: Collection[int] | None = None,
) -> None:
    """Take the selected needs (and their referrals) out of the read model."""
    session.flush()
    condition = _selected_facts(interview_ids, need_ids)
    _move_monthly(session, _monthly_deltas(session, condition), -1)
    selected_needs = select(NeedFact.need_id).where(*condition)
    session.execute(delete(ReferralFact).where(ReferralFact.need_id.in_(selected_needs)))
    session.execute(delete(NeedFact).where(*condition))


def refresh_referral_facts(session: Session, referral_ids: Collection[int]) -> None:
    """Rewrite the fact rows of referrals whose status, dates or outcome changed."""
    session.flush()
    session.execute(delete(ReferralFact).where(ReferralFact.referral_id.in_(referral_ids)))
    session.execute(
        insert(ReferralFact).from_select(
            REFERRAL_FACT_COLUMNS, _referral_fact_source(None, referral_ids)
        )
    )


def rebuild(session: Session) -> None:
    """Recompute the whole read model from the base tables (bulk loads, repairs)."""
    session.flush()
    session.execute(delete(ReferralFact))
    session.execute(delete(NeedMonthly))
    session.execute(delete(NeedFact))
    session.execute(insert(NeedFact).from_select(NEED_FACT_COLUMNS, _need_fact_source(None, None)))
    session.execute(
        insert(NeedMonthly).from_select(
            ["month", "neighbourhood_id", "category_id", "channel_code", "needs"],
            select(
                NeedFact.month,
                NeedFact.neighbourhood_id,
                NeedFact.category_id,
                NeedFact.channel_code,
                func.count(),
            ).group_by(
                NeedFact.month,
                NeedFact.neighbourhood_id,
                NeedFact.category_id,
                NeedFact.channel_code,
            ),
        )
    )
    session.execute(
        insert(ReferralFact).from_select(REFERRAL_FACT_COLUMNS, _referral_fact_source(None, None))
    )


def set_need_status(session: Session, need_id: int, status: str) -> None:
    """Keep a need's status in step in its fact row (its counts do not move)."""
    session.execute(update(NeedFact).where(NeedFact.need_id == need_id).values(status=status))
