"""Referrals: what became of them, per partner, and the ones still waiting past their date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, literal, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import Label

from rete.filters import Filters
from rete.models import Partner
from rete.queries.common import REFERRAL_FACT, REFERRAL_MONTHLY, as_frame, conditions, share
from rete.readmodel import REFERRAL_MONTHLY_ROLLUP

OUTCOME_COLUMNS = tuple(REFERRAL_MONTHLY_ROLLUP.measures)  # sent, accepted, positive, ...
PARTNER_COLUMNS = [
    "partner_id",
    "partner",
    "sent",
    "accepted",
    "positive",
    "negative",
    "refused",
    "cancelled",
    "overdue",
    "share_accepted",
]


def referral_sums() -> list[Label[int]]:
    """Referrals by what became of them, summed from `referral_monthly`."""
    rm = REFERRAL_MONTHLY.c
    return [func.coalesce(func.sum(rm[name]), 0).label(name) for name in OUTCOME_COLUMNS]


def overdue_referrals(filters: Filters, today: dt.date, *columns: Any) -> Select[Any]:
    """`columns` over the referrals still 'sent' with `due_on` before today: few rows, read from
    the partial index `ix_referral_fact_waiting` (named on SQLite: its planner prefers the month
    index, not knowing how small the partial one is)."""
    rf = REFERRAL_FACT.c
    waiting = rf.status == literal("sent", literal_execute=True)  # as the partial index says
    return (
        select(*columns)
        .select_from(REFERRAL_FACT)
        .where(*conditions(REFERRAL_FACT, filters), waiting, rf.due_on < today)
        .with_hint(REFERRAL_FACT, "INDEXED BY ix_referral_fact_waiting", "sqlite")
    )


def referral_outcomes_by_partner(engine: Engine, filters: Filters, today: dt.date) -> pd.DataFrame:
    """One row per partner with referrals sent in the period, most referrals first:
    [partner_id, partner, sent, accepted, positive, negative, refused, cancelled, overdue,
    share_accepted]. `accepted` = now accepted or closed; `positive`/`negative` = closed with that
    outcome; `overdue` = still 'sent' with `due_on` before `today`; `share_accepted` = accepted /
    (accepted + refused + overdue) (`common.share`), NaN when none of those."""
    rm, rf = REFERRAL_MONTHLY.c, REFERRAL_FACT.c
    counts = (
        select(rm.partner_id, *referral_sums())
        .where(*conditions(REFERRAL_MONTHLY, filters))
        .group_by(rm.partner_id)
        .subquery("counts")
    )
    overdue = (
        overdue_referrals(filters, today, rf.partner_id, func.count().label("overdue"))
        .group_by(rf.partner_id)
        .subquery("overdue")
    )
    statement = (
        select(
            counts.c.partner_id,
            Partner.name,
            *(counts.c[name] for name in OUTCOME_COLUMNS),
            func.coalesce(overdue.c.overdue, 0).label("overdue"),
        )
        .select_from(counts)
        .join(Partner, Partner.id == counts.c.partner_id)
        .outerjoin(overdue, overdue.c.partner_id == counts.c.partner_id)
        .order_by(counts.c.sent.desc(), Partner.name, Partner.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    records = [(*row, share(row.accepted, row.refused, row.overdue)) for row in rows]
    frame = as_frame(records, PARTNER_COLUMNS)
    return frame.astype({"share_accepted": "float64"})
