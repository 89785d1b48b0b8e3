"""The Cruscotto's headline figures (KPI tiles)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Engine, and_, cast, func, or_, select
from sqlalchemy.sql import ColumnElement, Select

from rete.filters import Filters
from rete.queries.common import (
    NEED_FACT,
    NEED_MONTHLY,
    REFERRAL_DAYS,
    REFERRAL_MONTHLY,
    conditions,
    judged,
    share,
)
from rete.queries.referrals import overdue_referrals, referral_sums

HOUSEHOLD_ORDER_FROM_MONTHS = 3  # distinct households over this many months: household order


@dataclass(frozen=True)
class Kpis:
    """The Cruscotto's headline figures for one set of filters."""

    interviews: int
    households: int
    needs: int
    referrals_sent: int
    share_accepted: float | None  # see `common.share`; None when no referral is judged yet
    median_days_to_accept: float | None  # None when no referral was taken in charge
    overdue: int
    referrals_accepted: int = 0
    referrals_cancelled: int = 0
    referrals_refused: int = 0

    @property
    def referrals_judged(self) -> int:
        """The referrals the share taken in charge is computed on (see `common.share`)."""
        return judged(self.referrals_accepted, self.referrals_refused, self.overdue)


def _distinct_counts(filters: Filters, dialect: str) -> Select[int, int]:
    """Distinct interviews and households with a need matching the filters, from `need_fact`.

    PostgreSQL: both in one plain statement. SQLite: each in its own subquery, answered from a
    covering index without a temporary B-tree (4x faster at 1M needs): interviews as distinct
    (month, interview_id) pairs, in month order (an interview lives in one month); households of
    a long period in household order, through an index the planner does not pick by itself.
    """
    where = conditions(NEED_FACT, filters)
    if dialect != "sqlite":
        return select(
            func.count(func.distinct(NEED_FACT.c.interview_id)).label("interviews"),
            func.count(func.distinct(NEED_FACT.c.household_id)).label("households"),
        ).where(*where)
    interviews = (
        select(NEED_FACT.c.month, NEED_FACT.c.interview_id).where(*where).distinct().subquery()
    )
    households = select(func.count(func.distinct(NEED_FACT.c.household_id))).where(*where)
    if filters.months >= HOUSEHOLD_ORDER_FROM_MONTHS:
        households = households.with_hint(NEED_FACT, "INDEXED BY ix_need_fact_household", "sqlite")
    return select(
        select(func.count()).select_from(interviews).scalar_subquery().label("interviews"),
        households.scalar_subquery().label("households"),
    )


def _median_days_to_accept(filters: Filters) -> Select[Any]:
    """Median of days_to_accept, in SQL with window functions (SQLite has no percentile_cont).

    Running totals over the histogram of `referral_days` say which number of days holds the
    middle position (or the two middle ones, averaged): the same answer as numbering every
    referral, without sorting them all.
    """
    days = REFERRAL_DAYS.c
    histogram = (
        select(days.days_to_accept.label("days"), func.sum(days.referrals).label("referrals"))
        .where(*conditions(REFERRAL_DAYS, filters))
        .group_by(days.days_to_accept)
        .subquery("histogram")
    )
    # Cast: on PostgreSQL sum(bigint) is numeric, and `//` below must stay integer division.
    running = cast(func.sum(histogram.c.referrals).over(order_by=histogram.c.days), BigInteger)
    cumulative = select(
        histogram.c.days,
        (running - histogram.c.referrals).label("before"),
        running.label("through"),
        cast(func.sum(histogram.c.referrals).over(), BigInteger).label("size"),
    ).subquery("cumulative")

    def holds(position: ColumnElement[int]) -> ColumnElement[bool]:
        return and_(cumulative.c.before < position, position <= cumulative.c.through)

    size = cumulative.c.size
    return select(func.avg(cumulative.c.days)).where(
        or_(holds((size + 1) // 2), holds((size + 2) // 2))
    )


def first_month(engine: Engine) -> int | None:
    """The first month (YYYYMM) with a recorded need, whatever the filters: before it there is
    nothing to compare with. The roll-up's key starts with the month, so this reads one row."""
    with engine.connect() as connection:
        month = connection.execute(
            select(func.min(NEED_MONTHLY.c.month)).where(NEED_MONTHLY.c.needs > 0)
        ).scalar()
    return None if month is None else int(month)


def kpis(engine: Engine, filters: Filters, today: dt.date) -> Kpis:
    """Headline figures; `today` decides which referrals are overdue ("in ritardo")."""
    with engine.connect() as connection:
        distinct = _distinct_counts(filters, engine.dialect.name)
        interviews, households = connection.execute(distinct).one()
        needs = connection.execute(
            select(func.coalesce(func.sum(NEED_MONTHLY.c.needs), 0)).where(
                *conditions(NEED_MONTHLY, filters)
            )
        ).scalar_one()
        referrals = connection.execute(
            select(*referral_sums()).where(*conditions(REFERRAL_MONTHLY, filters))
        ).one()
        overdue = connection.execute(overdue_referrals(filters, today, func.count())).scalar_one()
        median = connection.execute(_median_days_to_accept(filters)).scalar()
    return Kpis(
        interviews=int(interviews),
        households=int(households),
        needs=int(needs),
        referrals_sent=int(referrals.sent),
        share_accepted=share(referrals.accepted, referrals.refused, int(overdue)),
        median_days_to_accept=None if median is None else float(median),
        overdue=int(overdue),
        referrals_accepted=int(referrals.accepted),
        referrals_cancelled=int(referrals.cancelled),
        referrals_refused=int(referrals.refused),
    )
