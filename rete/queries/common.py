"""What every Cruscotto query shares: the read-model tables, the filters as SQL conditions,
need counts from `need_monthly` with their area, and the small helpers around them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, FromClause, Select, Subquery
from sqlalchemy.sql.elements import Label

from rete.filters import Filters
from rete.models import (
    Category,
    NeedFact,
    NeedMonthly,
    Neighbourhood,
    ReferralDays,
    ReferralFact,
    ReferralMonthly,
)

NEED_FACT: FromClause = NeedFact.__table__
NEED_MONTHLY: FromClause = NeedMonthly.__table__
REFERRAL_FACT: FromClause = ReferralFact.__table__
REFERRAL_MONTHLY: FromClause = ReferralMonthly.__table__
REFERRAL_DAYS: FromClause = ReferralDays.__table__


AREA = aliased(Category, name="area")  # the area a specific need belongs to


def conditions(table: FromClause, filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters on one read-model table (see the module docstring)."""
    columns = table.c
    month = columns["sent_month"] if "sent_month" in columns else columns["month"]
    where: list[ColumnElement[bool]] = [month.between(filters.start, filters.end)]
    if filters.neighbourhood_ids:
        where.append(columns.neighbourhood_id.in_(filters.neighbourhood_ids))
    elif filters.municipalities:
        # Through neighbourhood ids even where a municipality column exists: the
        # neighbourhood_id column is the one a covering index holds.
        places = select(Neighbourhood.id).where(
            Neighbourhood.municipality.in_(filters.municipalities)
        )
        where.append(columns.neighbourhood_id.in_(places))
    if filters.category_ids:
        where.append(columns.category_id.in_(filters.category_ids))
    elif filters.area_ids:
        if "area_id" in columns:
            where.append(columns.area_id.in_(filters.area_ids))
        else:
            needs = select(Category.id).where(Category.parent_id.in_(filters.area_ids))
            where.append(columns.category_id.in_(needs))
    if filters.channel_codes:
        where.append(columns.channel_code.in_(filters.channel_codes))
    return where


def need_counts(filters: Filters, *keys: Label[Any]) -> Subquery:
    """Needs summed per specific need and the given labelled keys, from `need_monthly`.

    The keys are tagged in an inner select and grouped outside it: PostgreSQL refuses a GROUP BY
    on an expression with bound parameters (the neighbourhood bucket CASE of `needs`) repeated in
    the SELECT list.
    """
    tagged = (
        select(NEED_MONTHLY.c.category_id, NEED_MONTHLY.c.needs, *keys)
        .where(*conditions(NEED_MONTHLY, filters))
        .subquery("tagged")
    )
    key_columns = [tagged.c[key.name] for key in keys]
    return (
        select(tagged.c.category_id, *key_columns, func.sum(tagged.c.needs).label("needs"))
        .group_by(tagged.c.category_id, *key_columns)
        .subquery("counts")
    )


def with_area(counts: Subquery, *columns: Any) -> Select[Any]:
    """Join summed counts to their specific need and its area."""
    return (
        select(*columns)
        .select_from(counts)
        .join(Category, Category.id == counts.c.category_id)
        .join(AREA, AREA.id == Category.parent_id)
    )


def as_frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def judged(accepted: int, refused: int, overdue: int) -> int:
    """The referrals a share taken in charge is computed on (see `share`)."""
    return accepted + refused + overdue


def share(accepted: int, refused: int, overdue: int) -> float | None:
    """The share taken in charge among the referrals whose fate is known or overdue: taken in
    charge, refused, or still awaiting a reply past their date. Those still within their time
    are not counted yet (a month just begun would otherwise read 0%), nor the cancelled ones.
    None when there is none."""
    denominator = judged(accepted, refused, overdue)
    return accepted / denominator if denominator > 0 else None
