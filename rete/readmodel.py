"""The Cruscotto's read model, kept current inside each write transaction.

- `need_fact`: one row per need of a live (not soft-deleted) interview, with the filter columns;
- `need_monthly`: counts per month x neighbourhood x specific need x channel, moved by +n/-n;
- `referral_fact`: one row per referral of a live need, with the same filter columns;
- `referral_monthly`: referrals per sent month x neighbourhood x specific need x channel x
  partner, with a count per outcome; `referral_days`: the days each one taken in charge took.

Writers call `add_facts` after inserting rows and `remove_facts` before changing or hiding them
(an edit is a remove followed by an add), in the same session. `rebuild` recomputes everything
from the base tables, for bulk loads.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Table,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from rete.models import (
    Base,
    Category,
    Household,
    Interview,
    Need,
    NeedFact,
    NeedMonthly,
    Neighbourhood,
    Referral,
    ReferralDays,
    ReferralFact,
    ReferralMonthly,
)

ACCEPTED_STATUSES = ("accepted", "closed")  # the referral reached "presa in carico"

# Which rows a writer touches: ids, or a SELECT of ids (a whole category's needs at 1M).
Ids = Collection[int] | Select[Any]


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


def _need_fact_source(interview_ids: Ids | None, need_ids: Ids | None):  # type: ignore[no-untyped-def]
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


def _referral_fact_source(need_ids: Ids | None, referral_ids: Ids | None):  # type: ignore[no-untyped-def]
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


def _selected_facts(interview_ids: Ids | None, need_ids: Ids | None):  # type: ignore[no-untyped-def]
    condition = []
    if interview_ids is not None:
        condition.append(NeedFact.interview_id.in_(interview_ids))
    if need_ids is not None:
        condition.append(NeedFact.need_id.in_(need_ids))
    return condition


# --- Roll-ups: sums of fact rows per key, moved by the facts that come and go


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class Rollup:
    """A table of sums over a fact table: `measures` (aggregates of fact rows) per `keys`.

    The first measure counts every row the roll-up holds: a row whose first measure falls to
    zero is deleted.
    """

    model: type[Base]
    keys: dict[str, Any]  # roll-up column -> fact column (a mapped attribute)
    measures: dict[str, ColumnElement[int]]  # roll-up column -> aggregate of the fact rows
    only: tuple[ColumnElement[bool], ...] = ()  # the fact rows it counts at all

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    def sums(self, *condition: ColumnElement[bool]) -> Select[Any]:
        """The roll-up's rows for the fact rows matching `condition`."""
        return (
            select(
                *(column.label(name) for name, column in self.keys.items()),
                *(aggregate.label(name) for name, aggregate in self.measures.items()),
            )
            .where(*self.only, *condition)
            .group_by(*self.keys.values())
            .order_by(*self.keys.values())  # rows are then locked in one order by every writer
        )


_REFERRAL_KEYS = {
    "sent_month": ReferralFact.sent_month,
    "neighbourhood_id": ReferralFact.neighbourhood_id,
    "category_id": ReferralFact.category_id,
    "channel_code": ReferralFact.channel_code,
}
_CLOSED = ReferralFact.status == "closed"

NEED_MONTHLY_ROLLUP = Rollup(
    NeedMonthly,
    keys={
        "month": NeedFact.month,
        "neighbourhood_id": NeedFact.neighbourhood_id,
        "category_id": NeedFact.category_id,
        "channel_code": NeedFact.channel_code,
    },
    measures={"needs": func.count()},
)
REFERRAL_MONTHLY_ROLLUP = Rollup(
    ReferralMonthly,
    keys={**_REFERRAL_KEYS, "partner_id": ReferralFact.partner_id},
    measures={
        "sent": func.count(),
        "accepted": _count_if(ReferralFact.status.in_(ACCEPTED_STATUSES)),
        "positive": _count_if(and_(_CLOSED, ReferralFact.outcome == "positive")),
        "negative": _count_if(and_(_CLOSED, ReferralFact.outcome == "negative")),
        "refused": _count_if(ReferralFact.status == "refused"),
        "cancelled": _count_if(ReferralFact.status == "cancelled"),
    },
)
REFERRAL_DAYS_ROLLUP = Rollup(
    ReferralDays,
    keys={"days_to_accept": ReferralFact.days_to_accept, **_REFERRAL_KEYS},
    measures={"referrals": func.count()},
    only=(
        ReferralFact.status.in_(ACCEPTED_STATUSES),
        ReferralFact.days_to_accept.is_not(None),
    ),
)
REFERRAL_ROLLUPS = (REFERRAL_MONTHLY_ROLLUP, REFERRAL_DAYS_ROLLUP)


def _move(session: Session, rollup: Rollup, condition: list[Any], sign: int) -> None:
    """Add (sign +1) or take away (-1) the fact rows matching `condition` in `rollup`."""
    rows = session.execute(rollup.sums(*condition)).mappings().all()
    dialect = session.get_bind().dialect.name
    upsert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = rollup.table
    total = table.c[next(iter(rollup.measures))]
    for row in rows:
        key = {name: row[name] for name in rollup.keys}
        statement = upsert(table).values(
            {**key, **{name: sign * row[name] for name in rollup.measures}}
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=list(key),
                set_={name: table.c[name] + sign * row[name] for name in rollup.measures},
            )
        )
        if sign < 0:
            session.execute(
                delete(table)
                .where(*(table.c[name] == value for name, value in key.items()))
                .where(total <= 0)
            )


def _refill(session: Session, rollup: Rollup) -> None:
    table = rollup.table
    session.execute(delete(table))
    session.execute(insert(table).from_select([*rollup.keys, *rollup.measures], rollup.sums()))


# --- Writers' entry points


def _lock_needs(session: Session, need_ids: Any) -> None:
    """Hold the needs whose facts are about to change, in id order, before reading any fact.

    Moving a roll-up reads fact rows in one statement and deletes them in another. On
    PostgreSQL (READ COMMITTED) a writer changing the same need's facts in between would make
    the two disagree and the roll-up drift; with the needs held, such writers run one after the
    other and each sees the other's committed rows. SQLite lets one writer in at a time anyway
    (it renders no FOR UPDATE).
    """
    session.execute(
        select(Need.id).where(Need.id.in_(need_ids)).order_by(Need.id).with_for_update()
    )


def _needs_of(interview_ids: Ids | None, need_ids: Ids | None) -> Any:
    query = select(Need.id)
    if interview_ids is not None:
        query = query.where(Need.interview_id.in_(interview_ids))
    if need_ids is not None:
        query = query.where(Need.id.in_(need_ids))
    return query


def add_facts(
    session: Session,
    *,
    interview_ids: Ids | None = None,
    need_ids: Ids | None = None,
) -> None:
    """Mirror the selected live needs (and their referrals) into the read model."""
    session.flush()
    _lock_needs(session, _needs_of(interview_ids, need_ids))
    session.execute(
        insert(NeedFact).from_select(NEED_FACT_COLUMNS, _need_fact_source(interview_ids, need_ids))
    )
    condition = _selected_facts(interview_ids, need_ids)
    _move(session, NEED_MONTHLY_ROLLUP, condition, +1)
    selected_needs = select(NeedFact.need_id).where(*condition)
    session.execute(
        insert(ReferralFact).from_select(
            REFERRAL_FACT_COLUMNS,
            _referral_fact_source(selected_needs, None),
        )
    )
    for rollup in REFERRAL_ROLLUPS:
        _move(session, rollup, [ReferralFact.need_id.in_(selected_needs)], +1)


def remove_facts(
    session: Session,
    *,
    interview_ids: Ids | None = None,
    need_ids: Ids | None = None,
) -> None:
    """Take the selected needs (and their referrals) out of the read model."""
    session.flush()
    _lock_needs(session, _needs_of(interview_ids, need_ids))
    condition = _selected_facts(interview_ids, need_ids)
    selected_needs = select(NeedFact.need_id).where(*condition)
    _move(session, NEED_MONTHLY_ROLLUP, condition, -1)  # roll-ups in the same order as add_facts
    for rollup in REFERRAL_ROLLUPS:
        _move(session, rollup, [ReferralFact.need_id.in_(selected_needs)], -1)
    session.execute(delete(ReferralFact).where(ReferralFact.need_id.in_(selected_needs)))
    session.execute(delete(NeedFact).where(*condition))


def refresh_referral_facts(session: Session, referral_ids: Ids) -> None:
    """Rewrite the fact rows of referrals whose status, dates or outcome changed."""
    session.flush()
    _lock_needs(session, select(Referral.need_id).where(Referral.id.in_(referral_ids)))
    selected = [ReferralFact.referral_id.in_(referral_ids)]
    for rollup in REFERRAL_ROLLUPS:
        _move(session, rollup, selected, -1)
    session.execute(delete(ReferralFact).where(*selected))
    session.execute(
        insert(ReferralFact).from_select(
            REFERRAL_FACT_COLUMNS, _referral_fact_source(None, referral_ids)
        )
    )
    for rollup in REFERRAL_ROLLUPS:
        _move(session, rollup, selected, +1)


def rebuild(session: Session) -> None:
    """Recompute the whole read model from the base tables (bulk loads, repairs)."""
    session.flush()
    session.execute(delete(ReferralFact))
    session.execute(delete(NeedFact))
    session.execute(insert(NeedFact).from_select(NEED_FACT_COLUMNS, _need_fact_source(None, None)))
    _refill(session, NEED_MONTHLY_ROLLUP)
    session.execute(
        insert(ReferralFact).from_select(REFERRAL_FACT_COLUMNS, _referral_fact_source(None, None))
    )
    for rollup in REFERRAL_ROLLUPS:
        _refill(session, rollup)


def set_need_status(session: Session, need_id: int, status: str) -> None:
    """Keep a need's status in step in its fact row (its counts do not move)."""
    session.execute(update(NeedFact).where(NeedFact.need_id == need_id).values(status=status))
