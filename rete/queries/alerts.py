"""What the early warnings (`rete.alerts`) read: small aggregates over the read model, whatever
the Cruscotto's filters.

- urgent and high-severity needs per month, neighbourhood and area, over the last complete month
  and the twelve before it (`need_fact`, through `ix_need_fact_severe`);
- the referrals overdue now, per partner (`referral_fact`, its partial index on 'sent');
- per partner, what became of the referrals sent in two windows of months, for the share taken
  in charge (`referral_monthly`, plus the overdue ones of `referral_fact`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Subquery

from rete.filters import Filters
from rete.models import Category, Neighbourhood, Partner
from rete.queries.common import NEED_FACT, NEED_MONTHLY, REFERRAL_FACT, REFERRAL_MONTHLY, as_frame
from rete.queries.referrals import overdue_referrals

SEVERE = ("urgent", "high")
SPECIFIC = aliased(Category, name="specific")
SEVERE_COLUMNS = ["month", "neighbourhood_id", "neighbourhood", "municipality", "area_code",
                  "area", "needs"]  # fmt: skip
OVERDUE_COLUMNS = ["partner_id", "partner", "overdue"]
PARTNER_WINDOW_COLUMNS = ["partner_id", "partner", "accepted", "refused", "overdue"]


def _severe() -> ColumnElement[bool]:
    """Urgent or high severity, written as the partial index `ix_need_fact_severe` says (literal
    values, so SQLite sees the index applies)."""
    return NEED_FACT.c.severity.in_([literal(s, literal_execute=True) for s in SEVERE])


def severe_needs(engine: Engine, first: int, last: int) -> pd.DataFrame:
    """Urgent and high-severity needs per month (`first`..`last`, YYYYMM), neighbourhood and area:
    [month, neighbourhood_id, neighbourhood, municipality, area_code, area, needs], non-zero
    cells only."""
    nf = NEED_FACT.c
    counts = (
        select(nf.month, nf.neighbourhood_id, nf.area_id, func.count().label("needs"))
        .where(_severe(), nf.month.between(first, last))
        .group_by(nf.month, nf.neighbourhood_id, nf.area_id)
        .subquery("counts")
    )
    statement = (
        select(
            counts.c.month,
            counts.c.neighbourhood_id,
            Neighbourhood.name,
            Neighbourhood.municipality,
            Category.code,
            Category.name,
            counts.c.needs,
        )
        .join(Neighbourhood, Neighbourhood.id == counts.c.neighbourhood_id)
        .join(Category, Category.id == counts.c.area_id)
        .order_by(counts.c.month, counts.c.neighbourhood_id, Category.sort_order)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return as_frame(rows, SEVERE_COLUMNS)


def severe_households(engine: Engine, month: int) -> dict[tuple[str, str], int]:
    """The distinct households with an urgent or high-severity need in `month`, by unit:
    ("quartiere", neighbourhood id) and ("area", area code), the keys of `rete.alerts`."""
    nf = NEED_FACT.c
    severe = [_severe(), nf.month == month]
    households = func.count(func.distinct(nf.household_id))
    by_place = select(nf.neighbourhood_id, households).where(*severe).group_by(nf.neighbourhood_id)
    by_area = (
        select(Category.code, households)
        .join(Category, Category.id == nf.area_id)
        .where(*severe)
        .group_by(Category.code)
    )
    with engine.connect() as connection:
        places = connection.execute(by_place).all()
        areas = connection.execute(by_area).all()
    return {("quartiere", str(id_)): int(n) for id_, n in places} | {
        ("area", str(code)): int(n) for code, n in areas
    }


def first_months(engine: Engine) -> dict[tuple[str, str], int]:
    """The first month with any recorded need, by unit (as `severe_households`); from the
    monthly roll-up, a few thousand rows at most."""
    nm = NEED_MONTHLY.c
    by_place = select(nm.neighbourhood_id, func.min(nm.month)).where(nm.needs > 0)
    by_area = (
        select(Category.code, func.min(nm.month))
        .select_from(NEED_MONTHLY)
        .join(SPECIFIC, SPECIFIC.id == nm.category_id)
        .join(Category, Category.id == SPECIFIC.parent_id)
        .where(nm.needs > 0)
        .group_by(Category.code)
    )
    with engine.connect() as connection:
        places = connection.execute(by_place.group_by(nm.neighbourhood_id)).all()
        areas = connection.execute(by_area).all()
    return {("quartiere", str(id_)): int(m) for id_, m in places} | {
        ("area", str(code)): int(m) for code, m in areas
    }


EVER = (0, 999912)  # every month: the overdue referrals whenever sent


def _overdue(today: dt.date, first: int, last: int) -> Subquery:
    """Overdue referrals per partner, sent in months `first`..`last`: the Cruscotto's own
    statement (`queries.referrals.overdue_referrals`), grouped by partner."""
    rf = REFERRAL_FACT.c
    months = Filters(period="", start=first, end=last)
    return (
        overdue_referrals(months, today, rf.partner_id, func.count().label("overdue"))
        .group_by(rf.partner_id)
        .subquery("overdue")
    )


def overdue_by_partner(engine: Engine, today: dt.date) -> pd.DataFrame:
    """The referrals still awaiting a reply past their date, whenever sent: [partner_id,
    partner, overdue], most first."""
    overdue = _overdue(today, *EVER)
    statement = (
        select(overdue.c.partner_id, Partner.name, overdue.c.overdue)
        .join(Partner, Partner.id == overdue.c.partner_id)
        .order_by(overdue.c.overdue.desc(), Partner.name)
    )
    with engine.connect() as connection:
        return as_frame(connection.execute(statement).all(), OVERDUE_COLUMNS)


def partner_window(engine: Engine, first: int, last: int, today: dt.date) -> pd.DataFrame:
    """Per partner, the referrals sent in months `first`..`last` that were taken in charge,
    refused, or are overdue on `today`: [partner_id, partner, accepted, refused, overdue]."""
    rm = REFERRAL_MONTHLY.c
    answered = (
        select(
            rm.partner_id,
            func.sum(rm.accepted).label("accepted"),
            func.sum(rm.refused).label("refused"),
        )
        .where(rm.sent_month.between(first, last))
        .group_by(rm.partner_id)
        .subquery("answered")
    )
    overdue = _overdue(today, first, last)
    statement = (
        select(
            answered.c.partner_id,
            Partner.name,
            answered.c.accepted,
            answered.c.refused,
            func.coalesce(overdue.c.overdue, 0),
        )
        .join(Partner, Partner.id == answered.c.partner_id)
        .outerjoin(overdue, overdue.c.partner_id == answered.c.partner_id)
        .order_by(Partner.name)
    )
    with engine.connect() as connection:
        return as_frame(connection.execute(statement).all(), PARTNER_WINDOW_COLUMNS)
