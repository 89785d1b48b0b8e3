"""Read side of the Cruscotto: aggregates computed in SQL over the read model, as DataFrames.

Sources (kept current by `rete.readmodel` inside every write transaction):
- need counts come from `need_monthly` (month x neighbourhood x specific need x channel);
- distinct interviews and households come from `need_fact` (one row per live need);
- referrals come from `referral_fact` (one row per referral of a live need);
- names, colours and homes come from the small tables `neighbourhood`, `category`, `partner`.
Nothing here reads `interview`, `need` or `referral`, and nothing loads a whole table into pandas:
SQL does the grouping, pandas only receives the aggregated rows.

Filter semantics, the same for every function (built once, in `_conditions`):
- period: the months `filters.start`..`filters.end` inclusive, on `month` (the interview's month)
  for needs, interviews and households, on `sent_month` for referrals;
- place: `neighbourhood_ids` when not empty, otherwise `municipalities` when not empty (turned
  into the ids of their neighbourhoods with a subquery on `neighbourhood`);
- need: `category_ids` (specific needs) when not empty, otherwise `area_ids` (`need_monthly` has
  no area column: its specific needs are looked up in `category`);
- channel: `channel_codes`, the interview's channel (for referrals too).
An empty tuple means "all". Interviews and households counted are those with at least one need
matching the filters; referrals are those of the needs matching them, sent in the period.

Everything runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Engine, and_, case, cast, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, FromClause, Select, Subquery
from sqlalchemy.sql.elements import Label

from rete.filters import Filters, month_label, month_range
from rete.models import (
    Category,
    NeedFact,
    NeedMonthly,
    Neighbourhood,
    Partner,
    ReferralDays,
    ReferralFact,
    ReferralMonthly,
)
from rete.taxonomy import FALLBACK_COLOUR

TOP_NEIGHBOURHOODS = 15  # neighbourhoods shown one by one; the rest are summed as OTHERS_LABEL
OTHERS_LABEL = "Altri"
LABEL_SEPARATOR = " · "  # "Sangallo · Varese": the same name may exist in two municipalities
# Distinct households over this many months or more are counted in household order.
HOUSEHOLD_ORDER_FROM_MONTHS = 3

NEED_FACT: FromClause = NeedFact.__table__
NEED_MONTHLY: FromClause = NeedMonthly.__table__
REFERRAL_FACT: FromClause = ReferralFact.__table__
REFERRAL_MONTHLY: FromClause = ReferralMonthly.__table__
REFERRAL_DAYS: FromClause = ReferralDays.__table__
OUTCOME_COLUMNS = ("sent", "accepted", "positive", "negative", "refused", "cancelled")

_area = aliased(Category, name="area")

AREA_COLUMNS = ["area_code", "area", "colour", "needs"]
NEIGHBOURHOOD_AREA_COLUMNS = [
    "neighbourhood",
    "municipality",
    "label",
    "area_code",
    "area",
    "colour",
    "needs",
    "total",
    "homes",
    "per_100_homes",
]
HEATMAP_COLUMNS = [
    "neighbourhood",
    "category_code",
    "need",
    "need_order",
    "area_code",
    "area",
    "colour",
    "needs",
]
TREND_COLUMNS = ["month", "month_label", "area_code", "area", "colour", "needs"]
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


@dataclass(frozen=True)
class Kpis:
    """The Cruscotto's headline figures for one set of filters."""

    interviews: int
    households: int
    needs: int
    referrals_sent: int
    share_accepted: float | None  # None when no referral (other than cancelled ones) was sent
    median_days_to_accept: float | None  # None when no referral was taken in charge
    overdue: int
    referrals_accepted: int = 0
    referrals_cancelled: int = 0


# --- Building blocks


def _conditions(table: FromClause, filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters on one read-model table (see the module docstring)."""
    columns = table.c
    month = columns["sent_month"] if "sent_month" in columns else columns["month"]
    conditions: list[ColumnElement[bool]] = [month.between(filters.start, filters.end)]
    if filters.neighbourhood_ids:
        conditions.append(columns.neighbourhood_id.in_(filters.neighbourhood_ids))
    elif filters.municipalities:
        # Through neighbourhood ids even where a municipality column exists: the
        # neighbourhood_id column is the one a covering index holds.
        places = select(Neighbourhood.id).where(
            Neighbourhood.municipality.in_(filters.municipalities)
        )
        conditions.append(columns.neighbourhood_id.in_(places))
    if filters.category_ids:
        conditions.append(columns.category_id.in_(filters.category_ids))
    elif filters.area_ids:
        if "area_id" in columns:
            conditions.append(columns.area_id.in_(filters.area_ids))
        else:
            needs = select(Category.id).where(Category.parent_id.in_(filters.area_ids))
            conditions.append(columns.category_id.in_(needs))
    if filters.channel_codes:
        conditions.append(columns.channel_code.in_(filters.channel_codes))
    return conditions


def _need_counts(filters: Filters, *keys: Label[Any]) -> Subquery:
    """Needs summed per specific need and the given labelled keys, from `need_monthly`.

    The keys are tagged in an inner select and grouped outside it: PostgreSQL refuses a GROUP BY
    on an expression with bound parameters (the bucket CASE below) repeated in the SELECT list.
    """
    tagged = (
        select(NEED_MONTHLY.c.category_id, NEED_MONTHLY.c.needs, *keys)
        .where(*_conditions(NEED_MONTHLY, filters))
        .subquery("tagged")
    )
    key_columns = [tagged.c[key.name] for key in keys]
    return (
        select(tagged.c.category_id, *key_columns, func.sum(tagged.c.needs).label("needs"))
        .group_by(tagged.c.category_id, *key_columns)
        .subquery("counts")
    )


def _with_area(counts: Subquery, *columns: Any) -> Select[Any]:
    """Join summed counts to their specific need and its area."""
    return (
        select(*columns)
        .select_from(counts)
        .join(Category, Category.id == counts.c.category_id)
        .join(_area, _area.id == Category.parent_id)
    )


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _referral_sums(filters: Filters) -> list[Label[int]]:
    """Referrals by what became of them, summed from `referral_monthly`."""
    rm = REFERRAL_MONTHLY.c
    return [func.coalesce(func.sum(rm[name]), 0).label(name) for name in OUTCOME_COLUMNS]


def _overdue(filters: Filters, today: dt.date, *columns: Any) -> Select[Any]:
    """`columns` over the referrals still 'sent' with `due_on` before today: few rows, read from
    the partial index `ix_referral_fact_waiting` (named on SQLite: its planner prefers the month
    index, not knowing how small the partial one is)."""
    rf = REFERRAL_FACT.c
    waiting = rf.status == literal("sent", literal_execute=True)  # as the partial index says
    return (
        select(*columns)
        .select_from(REFERRAL_FACT)
        .where(*_conditions(REFERRAL_FACT, filters), waiting, rf.due_on < today)
        .with_hint(REFERRAL_FACT, "INDEXED BY ix_referral_fact_waiting", "sqlite")
    )


def _share(accepted: int, sent: int, cancelled: int) -> float | None:
    denominator = sent - cancelled
    return accepted / denominator if denominator > 0 else None


# --- KPIs


def _distinct_counts(filters: Filters, dialect: str) -> Select[int, int]:
    """Distinct interviews and households with a need matching the filters, from `need_fact`.

    PostgreSQL: both in one plain statement. SQLite: each in its own subquery, answered from a
    covering index without a temporary B-tree (4x faster at 1M needs): interviews as distinct
    (month, interview_id) pairs, in month order (an interview lives in one month); households of
    a long period in household order, through an index the planner does not pick by itself.
    """
    conditions = _conditions(NEED_FACT, filters)
    if dialect != "sqlite":
        return select(
            func.count(func.distinct(NEED_FACT.c.interview_id)).label("interviews"),
            func.count(func.distinct(NEED_FACT.c.household_id)).label("households"),
        ).where(*conditions)
    interviews = (
        select(NEED_FACT.c.month, NEED_FACT.c.interview_id).where(*conditions).distinct().subquery()
    )
    households = select(func.count(func.distinct(NEED_FACT.c.household_id))).where(*conditions)
    if filters.months >= HOUSEHOLD_ORDER_FROM_MONTHS:
        households = households.with_hint(NEED_FACT, "INDEXED BY ix_need_fact_household", "sqlite")
    return select(
        select(func.count()).select_from(interviews).scalar_subquery().label("interviews"),
        households.scalar_subquery().label("households"),
    )


def _median_days_to_accept(filters: Filters) -> Select[Any]:
    """Median of days_to_accept, in SQL with window functions (SQLite has no percentile_cont).

    The histogram comes from `referral_days`; running totals over it say
    which number of days holds the middle position (or the two middle ones, averaged). The same
    answer as numbering every row, without sorting them all: 4x faster at 400k referrals.
    """
    days = REFERRAL_DAYS.c
    histogram = (
        select(days.days_to_accept.label("days"), func.sum(days.referrals).label("referrals"))
        .where(*_conditions(REFERRAL_DAYS, filters))
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


def kpis(engine: Engine, filters: Filters, today: dt.date) -> Kpis:
    """Headline figures; `today` decides which referrals are overdue ("in ritardo")."""
    with engine.connect() as connection:
        distinct = _distinct_counts(filters, engine.dialect.name)
        interviews, households = connection.execute(distinct).one()
        needs = connection.execute(
            select(func.coalesce(func.sum(NEED_MONTHLY.c.needs), 0)).where(
                *_conditions(NEED_MONTHLY, filters)
            )
        ).scalar_one()
        referrals = connection.execute(
            select(*_referral_sums(filters)).where(*_conditions(REFERRAL_MONTHLY, filters))
        ).one()
        overdue = connection.execute(_overdue(filters, today, func.count())).scalar_one()
        median = connection.execute(_median_days_to_accept(filters)).scalar()
    return Kpis(
        interviews=int(interviews),
        households=int(households),
        needs=int(needs),
        referrals_sent=int(referrals.sent),
        share_accepted=_share(referrals.accepted, referrals.sent, referrals.cancelled),
        median_days_to_accept=None if median is None else float(median),
        overdue=int(overdue),
        referrals_accepted=int(referrals.accepted),
        referrals_cancelled=int(referrals.cancelled),
    )


# --- Needs by area, and by month


def needs_by_area(engine: Engine, filters: Filters) -> pd.DataFrame:
    """[area_code, area, colour, needs], most needs first; areas with no need left out."""
    counts = _need_counts(filters)
    needs = func.sum(counts.c.needs)
    statement = (
        _with_area(counts, _area.code, _area.name, _area.colour, needs)
        .group_by(_area.id, _area.code, _area.name, _area.colour, _area.sort_order)
        .having(needs > 0)
        .order_by(needs.desc(), _area.sort_order, _area.code)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return _frame(
        [(code, name, colour or FALLBACK_COLOUR, int(n)) for code, name, colour, n in rows],
        AREA_COLUMNS,
    )


def monthly_trend(engine: Engine, filters: Filters) -> pd.DataFrame:
    """[month, month_label, area_code, area, colour, needs]: every month of the period for every
    area with at least one need in it (zeros filled), ordered by month, then area."""
    counts = _need_counts(filters, NEED_MONTHLY.c.month.label("month"))
    statement = (
        _with_area(
            counts,
            counts.c.month,
            _area.code,
            _area.name,
            _area.colour,
            func.sum(counts.c.needs),
        )
        .group_by(counts.c.month, _area.id, _area.code, _area.name, _area.colour, _area.sort_order)
        .order_by(_area.sort_order, _area.code, counts.c.month)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    found = {(month, code): int(n) for month, code, _, _, n in rows}
    areas = list(
        dict.fromkeys((code, name, colour or FALLBACK_COLOUR) for _, code, name, colour, _ in rows)
    )
    grid = [
        (month, month_label(month, short=True), code, name, colour, found.get((month, code), 0))
        for month in month_range(filters.start, filters.end)
        for code, name, colour in areas
    ]
    return _frame(grid, TREND_COLUMNS)


# --- Neighbourhoods: the first `top` by needs, then "Altri"


@dataclass(frozen=True)
class _Place:
    neighbourhood: str
    municipality: str
    label: str
    homes: int | None
    total: int


def _ranked_places(connection: Connection, filters: Filters, top: int) -> dict[int | None, _Place]:
    """The neighbourhoods with needs, most needs first, cut at `top`; the key None holds the rest
    summed as "Altri" (homes known only if known for all of them). Dict order = display order."""
    totals = (
        select(NEED_MONTHLY.c.neighbourhood_id, func.sum(NEED_MONTHLY.c.needs).label("total"))
        .where(*_conditions(NEED_MONTHLY, filters))
        .group_by(NEED_MONTHLY.c.neighbourhood_id)
        .subquery("totals")
    )
    rows = connection.execute(
        select(
            Neighbourhood.id, Neighbourhood.name, Neighbourhood.municipality, Neighbourhood.homes
        )
        .add_columns(totals.c.total)
        .join(totals, totals.c.neighbourhood_id == Neighbourhood.id)
        .where(totals.c.total > 0)
        .order_by(totals.c.total.desc(), Neighbourhood.name, Neighbourhood.municipality)
    ).all()
    places: dict[int | None, _Place] = {
        id_: _Place(name, municipality, f"{name}{LABEL_SEPARATOR}{municipality}", homes, int(total))
        for id_, name, municipality, homes, total in rows[:top]
    }
    rest = rows[top:]
    if rest:
        homes = [row.homes for row in rest]
        places[None] = _Place(
            neighbourhood=OTHERS_LABEL,
            municipality="",
            label=OTHERS_LABEL,
            homes=None if None in homes else sum(homes),
            total=sum(int(row.total) for row in rest),
        )
    return places


def _in_place_order(
    rows: Sequence[Any], places: dict[int | None, _Place], then: Any
) -> list[tuple[_Place, Any]]:
    """Rows of bucketed counts with their place, in display order, then by `then(row)`.

    The ranking and the counts are two statements: on PostgreSQL (READ COMMITTED) a write may
    land between them, so a bucket missing from the ranking is shown as "Altri", not a crash.
    """
    others = places.get(None) or _Place(OTHERS_LABEL, "", OTHERS_LABEL, None, 0)
    rank = {id_: position for position, id_ in enumerate(places)}
    ordered = sorted(rows, key=lambda row: (rank.get(row[0], len(rank)), then(row)))
    return [(places.get(row[0], others), row) for row in ordered]


def _bucket(places: dict[int | None, _Place]) -> Label[Any]:
    """The neighbourhood itself when among the first ones, NULL (= "Altri") otherwise."""
    shown = [id_ for id_ in places if id_ is not None]
    column = NEED_MONTHLY.c.neighbourhood_id
    return case((column.in_(shown), column), else_=None).label("bucket")


def _per_100_homes(total: int, homes: int | None) -> float | None:
    return total / homes * 100 if homes else None


def needs_by_neighbourhood_area(
    engine: Engine, filters: Filters, top: int = TOP_NEIGHBOURHOODS
) -> pd.DataFrame:
    """Long format, one row per neighbourhood x area with needs: [neighbourhood, municipality,
    label, area_code, area, colour, needs, total, homes, per_100_homes].

    Neighbourhoods by total needs (most first), the first `top` one by one and the others as one
    row group "Altri" (last, municipality ""); `label` ("Sangallo · Varese", or "Altri") is what
    charts show. `total` is the neighbourhood's needs over all areas; `homes` and
    `per_100_homes` are NaN where the number of homes is not known.
    """
    with engine.connect() as connection:
        places = _ranked_places(connection, filters, top)
        if not places:
            return _frame([], NEIGHBOURHOOD_AREA_COLUMNS)
        counts = _need_counts(filters, _bucket(places))
        rows = connection.execute(
            _with_area(
                counts,
                counts.c.bucket,
                _area.code,
                _area.name,
                _area.colour,
                _area.sort_order,
                func.sum(counts.c.needs),
            ).group_by(
                counts.c.bucket, _area.id, _area.code, _area.name, _area.colour, _area.sort_order
            )
        ).all()
    records = []
    for place, (_, code, name, colour, _, needs) in _in_place_order(
        rows, places, lambda row: (row.sort_order, row.code)
    ):
        records.append(
            (
                place.neighbourhood,
                place.municipality,
                place.label,
                code,
                name,
                colour or FALLBACK_COLOUR,
                int(needs),
                place.total,
                place.homes,
                _per_100_homes(place.total, place.homes),
            )
        )
    frame = _frame(records, NEIGHBOURHOOD_AREA_COLUMNS)
    return frame.astype({"homes": "float64", "per_100_homes": "float64"})


def heatmap_neighbourhood_need(
    engine: Engine, filters: Filters, top: int = TOP_NEIGHBOURHOODS
) -> pd.DataFrame:
    """Long format, one row per neighbourhood x specific need with needs: [neighbourhood (the
    label, as in `needs_by_neighbourhood_area`), category_code, need, need_order, area_code,
    area, colour, needs]. Rows come neighbourhood by neighbourhood (same order and "Altri" rule
    as `needs_by_neighbourhood_area`); `need_order` ranks the specific needs of the frame in
    taxonomy order (area order, then need order), for the chart's need axis."""
    with engine.connect() as connection:
        places = _ranked_places(connection, filters, top)
        if not places:
            return _frame([], HEATMAP_COLUMNS)
        counts = _need_counts(filters, _bucket(places))
        rows = connection.execute(
            _with_area(
                counts,
                counts.c.bucket,
                Category.code,
                Category.name,
                _area.sort_order.label("area_sort"),
                Category.sort_order.label("need_sort"),
                _area.code.label("area_code"),
                _area.name.label("area"),
                _area.colour,
                counts.c.needs,
            ).where(counts.c.needs > 0)
        ).all()
    # Taxonomy order of the specific needs present: area order, then need order within it.
    taxonomy = sorted({(row.area_sort, row.area_code, row.need_sort, row.code) for row in rows})
    need_order = {key[3]: rank for rank, key in enumerate(taxonomy)}
    records = [
        (
            place.label,
            code,
            need,
            need_order[code],
            area_code,
            area,
            colour or FALLBACK_COLOUR,
            int(needs),
        )
        for place, (_, code, need, _, _, area_code, area, colour, needs) in _in_place_order(
            rows, places, lambda row: need_order[row.code]
        )
    ]
    return _frame(records, HEATMAP_COLUMNS)


# --- Referrals


def referral_outcomes_by_partner(engine: Engine, filters: Filters, today: dt.date) -> pd.DataFrame:
    """One row per partner with referrals sent in the period, most referrals first:
    [partner_id, partner, sent, accepted, positive, negative, refused, cancelled, overdue,
    share_accepted]. `accepted` = now accepted or closed; `positive`/`negative` = closed with that
    outcome; `overdue` = still 'sent' with `due_on` before `today`; `share_accepted` = accepted /
    (sent - cancelled), NaN when nothing but cancelled referrals was sent."""
    rm, rf = REFERRAL_MONTHLY.c, REFERRAL_FACT.c
    counts = (
        select(rm.partner_id, *_referral_sums(filters))
        .where(*_conditions(REFERRAL_MONTHLY, filters))
        .group_by(rm.partner_id)
        .subquery("counts")
    )
    overdue = (
        _overdue(filters, today, rf.partner_id, func.count().label("overdue"))
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
        .where(counts.c.sent > 0)
        .order_by(counts.c.sent.desc(), Partner.name, Partner.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    records = [(*row, _share(row.accepted, row.sent, row.cancelled)) for row in rows]
    frame = _frame(records, PARTNER_COLUMNS)
    return frame.astype({"share_accepted": "float64"})
