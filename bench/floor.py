"""The floor: the page's aggregates as hand-written SQL on the read model, one statement each.

The same tables, indexes and query shapes Rete uses (`need_monthly` for counts, `need_fact` for
distinct interviews and households, `referral_monthly` for referral outcomes, `referral_days` for
the median, the partial index of `referral_fact` for the overdue ones; on SQLite, distinct
(month, interview) pairs and households in household order), written by hand as one statement
per aggregate with no ORM and no DataFrame: what is left is the database's own work, so
Rete / floor is Rete's overhead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Engine, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter, TextClause

from bench import canonical
from bench.canonical import Numbers, Rows
from rete import queries
from rete.filters import Filters, month_range

TOP = queries.TOP_NEIGHBOURHOODS
OTHERS = TOP + 1  # the bucket number of "Altri": after every neighbourhood shown on its own


@dataclass(frozen=True)
class Where:
    """The WHERE clause of the filters on one read-model table, with its parameters."""

    sql: str
    lists: dict[str, list[Any]]


def where(filters: Filters, alias: str, *, month: str = "month", has_area: bool = True) -> Where:
    """The filters on `alias` (the same rules as `rete.queries.common.conditions`)."""
    clauses = [f"{alias}.{month} BETWEEN :start AND :end"]
    lists: dict[str, list[Any]] = {}
    if filters.neighbourhood_ids:
        clauses.append(f"{alias}.neighbourhood_id IN :neighbourhoods")
        lists["neighbourhoods"] = list(filters.neighbourhood_ids)
    elif filters.municipalities:
        clauses.append(
            f"{alias}.neighbourhood_id IN "
            "(SELECT id FROM neighbourhood WHERE municipality IN :municipalities)"
        )
        lists["municipalities"] = list(filters.municipalities)
    if filters.category_ids:
        clauses.append(f"{alias}.category_id IN :categories")
        lists["categories"] = list(filters.category_ids)
    elif filters.area_ids:
        clauses.append(
            f"{alias}.area_id IN :areas"
            if has_area
            else f"{alias}.category_id IN (SELECT id FROM category WHERE parent_id IN :areas)"
        )
        lists["areas"] = list(filters.area_ids)
    if filters.channel_codes:
        clauses.append(f"{alias}.channel_code IN :channels")
        lists["channels"] = list(filters.channel_codes)
    return Where(" AND ".join(clauses), lists)


def _run(
    connection: Connection, sql: str, filters: Filters, today: dt.date, lists: dict[str, list[Any]]
) -> Sequence[Any]:
    """Execute one hand-written statement with the filters' parameters."""
    typed: list[BindParameter[Any]] = [bindparam(name, expanding=True) for name in lists]
    parameters: dict[str, Any] = {"start": filters.start, "end": filters.end, **lists}
    if ":today" in sql:
        typed.append(bindparam("today", type_=Date()))
        parameters["today"] = today
    statement: TextClause = text(sql).bindparams(*typed)
    return connection.execute(statement, parameters).all()


# --- KPIs: one statement for the six figures


def kpis(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """Distinct interviews and households, needs, referral counts and the median, in one go."""
    fact = where(filters, "f")
    monthly = where(filters, "m", has_area=False)
    referral = where(filters, "r", month="sent_month", has_area=False)
    days = where(filters, "d", month="sent_month", has_area=False)
    waiting = where(filters, "w", month="sent_month")
    sqlite = connection.dialect.name == "sqlite"
    waiting_hint = "INDEXED BY ix_referral_fact_waiting" if sqlite else ""
    cross_join = ""
    if sqlite:
        by_household = (
            "INDEXED BY ix_need_fact_household"
            if filters.months >= queries.HOUSEHOLD_ORDER_FROM_MONTHS
            else ""
        )
        distinct = f"""
            (SELECT count(*) FROM (
                SELECT DISTINCT f.month, f.interview_id FROM need_fact f WHERE {fact.sql}
            ) AS pairs) AS interviews,
            (SELECT count(DISTINCT f.household_id) FROM need_fact f {by_household}
             WHERE {fact.sql}) AS households"""
    else:
        distinct = """
            distinct_counts.interviews, distinct_counts.households"""
        cross_join = f"""CROSS JOIN (
            SELECT count(DISTINCT f.interview_id) AS interviews,
                   count(DISTINCT f.household_id) AS households
            FROM need_fact f WHERE {fact.sql}
        ) AS distinct_counts"""
    sql = f"""
        WITH histogram AS (
            SELECT d.days_to_accept AS days, sum(d.referrals) AS referrals
            FROM referral_days d
            WHERE {days.sql}
            GROUP BY d.days_to_accept
        ), cumulative AS (
            SELECT days,
                   CAST(sum(referrals) OVER (ORDER BY days) AS BIGINT) - referrals AS below,
                   CAST(sum(referrals) OVER (ORDER BY days) AS BIGINT) AS upto,
                   CAST(sum(referrals) OVER () AS BIGINT) AS size
            FROM histogram
        )
        SELECT {distinct},
            (SELECT coalesce(sum(m.needs), 0) FROM need_monthly m WHERE {monthly.sql}) AS needs,
            counts.sent, counts.accepted, counts.cancelled, counts.refused,
            (SELECT count(*) FROM referral_fact w {waiting_hint}
             WHERE {waiting.sql} AND w.status = 'sent' AND w.due_on < :today) AS overdue,
            (SELECT avg(days) FROM cumulative
             WHERE (below < (size + 1) / 2 AND (size + 1) / 2 <= upto)
                OR (below < (size + 2) / 2 AND (size + 2) / 2 <= upto)) AS median_days
        FROM (
            SELECT coalesce(sum(r.sent), 0) AS sent, coalesce(sum(r.accepted), 0) AS accepted,
                   coalesce(sum(r.cancelled), 0) AS cancelled,
                   coalesce(sum(r.refused), 0) AS refused
            FROM referral_monthly r WHERE {referral.sql}
        ) AS counts
        {cross_join}
    """
    lists = {**fact.lists, **monthly.lists, **referral.lists, **days.lists, **waiting.lists}
    (row,) = _run(connection, sql, filters, today, lists)
    interviews, households, needs, sent, accepted, cancelled, refused, overdue, median = row
    return canonical.kpi_rows(
        interviews=interviews,
        households=households,
        needs=needs,
        sent=sent,
        accepted=accepted,
        cancelled=cancelled,
        overdue=overdue,
        share_accepted=canonical.share(int(accepted), int(refused), int(overdue)),
        median_days=None if median is None else float(median),
    )


def kpis_previous(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """The same figures for the previous period."""
    return kpis(connection, filters.previous(), today)


# --- Needs by area and by month


def by_area(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """Needs per area, most first."""
    monthly = where(filters, "m", has_area=False)
    sql = f"""
        SELECT a.code, sum(k.needs) AS needs
        FROM (
            SELECT m.category_id, sum(m.needs) AS needs
            FROM need_monthly m WHERE {monthly.sql}
            GROUP BY m.category_id
        ) AS k
        JOIN category c ON c.id = k.category_id
        JOIN category a ON a.id = c.parent_id
        GROUP BY a.id, a.code, a.sort_order
        HAVING sum(k.needs) > 0
        ORDER BY needs DESC, a.sort_order, a.code
    """
    rows = _run(connection, sql, filters, today, monthly.lists)
    return tuple((str(code), int(needs)) for code, needs in rows)


def trend(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """Needs per month and area; the months with none are filled with zeros."""
    monthly = where(filters, "m", has_area=False)
    sql = f"""
        SELECT k.month, a.code, a.sort_order, sum(k.needs) AS needs
        FROM (
            SELECT m.month, m.category_id, sum(m.needs) AS needs
            FROM need_monthly m WHERE {monthly.sql}
            GROUP BY m.month, m.category_id
        ) AS k
        JOIN category c ON c.id = k.category_id
        JOIN category a ON a.id = c.parent_id
        GROUP BY k.month, a.code, a.sort_order
    """
    rows = _run(connection, sql, filters, today, monthly.lists)
    found = {(int(month), str(code)): int(needs) for month, code, _, needs in rows}
    areas = [code for _, code in sorted({(order, str(code)) for _, code, order, _ in rows})]
    return tuple(
        (month, code, found.get((month, code), 0))
        for month in month_range(filters.start, filters.end)
        for code in areas
    )


# --- Neighbourhoods: one pass over need_monthly, then the ranking and the "Altri" bucket

_PLACES = """
    counts AS MATERIALIZED (
        SELECT m.neighbourhood_id, m.category_id, sum(m.needs) AS needs
        FROM need_monthly m WHERE {where}
        GROUP BY m.neighbourhood_id, m.category_id
    ), totals AS MATERIALIZED (
        SELECT neighbourhood_id, sum(needs) AS total
        FROM counts GROUP BY neighbourhood_id HAVING sum(needs) > 0
    ), ranked AS MATERIALIZED (
        SELECT t.neighbourhood_id, t.total, n.name, n.municipality, n.homes,
               row_number() OVER (ORDER BY t.total DESC, n.name, n.municipality) AS place
        FROM totals t JOIN neighbourhood n ON n.id = t.neighbourhood_id
    ), buckets AS MATERIALIZED (
        SELECT neighbourhood_id, name, municipality, total, homes,
               CASE WHEN place <= {top} THEN place ELSE {others} END AS bucket
        FROM ranked
    ), places AS MATERIALIZED (
        SELECT bucket, max(name) AS name, max(municipality) AS municipality,
               sum(total) AS total,
               CASE WHEN count(homes) = count(*) THEN sum(homes) END AS homes
        FROM buckets GROUP BY bucket
    )
"""


def _label(bucket: int, name: str, municipality: str) -> str:
    return queries.OTHERS_LABEL if bucket == OTHERS else canonical.place_label(name, municipality)


def by_neighbourhood_area(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """Needs per shown neighbourhood and area, neighbourhood by neighbourhood."""
    monthly = where(filters, "m", has_area=False)
    places = _PLACES.format(where=monthly.sql, top=TOP, others=OTHERS)
    sql = f"""
        WITH {places}
        SELECT p.bucket, p.name, p.municipality, a.code, sum(k.needs) AS needs, p.total, p.homes
        FROM counts k
        JOIN buckets b ON b.neighbourhood_id = k.neighbourhood_id
        JOIN places p ON p.bucket = b.bucket
        JOIN category c ON c.id = k.category_id
        JOIN category a ON a.id = c.parent_id
        GROUP BY p.bucket, p.name, p.municipality, p.total, p.homes, a.code, a.sort_order
        ORDER BY p.bucket, a.sort_order, a.code
    """
    rows = _run(connection, sql, filters, today, monthly.lists)
    return tuple(
        (
            _label(bucket, name, town),
            str(code),
            int(needs),
            int(total),
            canonical.optional_int(homes),
        )
        for bucket, name, town, code, needs, total, homes in rows
    )


def heatmap(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """Needs per shown neighbourhood and specific need, in taxonomy order."""
    monthly = where(filters, "m", has_area=False)
    places = _PLACES.format(where=monthly.sql, top=TOP, others=OTHERS)
    sql = f"""
        WITH {places}
        SELECT p.bucket, p.name, p.municipality, c.code,
               dense_rank() OVER (ORDER BY a.sort_order, a.code, c.sort_order, c.code) - 1
                   AS need_order,
               sum(k.needs) AS needs
        FROM counts k
        JOIN buckets b ON b.neighbourhood_id = k.neighbourhood_id
        JOIN places p ON p.bucket = b.bucket
        JOIN category c ON c.id = k.category_id
        JOIN category a ON a.id = c.parent_id
        GROUP BY p.bucket, p.name, p.municipality, c.code, c.sort_order, a.code, a.sort_order
        HAVING sum(k.needs) > 0
        ORDER BY p.bucket, need_order
    """
    rows = _run(connection, sql, filters, today, monthly.lists)
    return tuple(
        (_label(bucket, name, town), str(code), int(order), int(needs))
        for bucket, name, town, code, order, needs in rows
    )


# --- Referrals


def referrals(connection: Connection, filters: Filters, today: dt.date) -> Rows:
    """Referral outcomes per partner, most referrals first."""
    referral = where(filters, "r", month="sent_month", has_area=False)
    waiting = where(filters, "w", month="sent_month")
    hint = "INDEXED BY ix_referral_fact_waiting" if connection.dialect.name == "sqlite" else ""
    sql = f"""
        SELECT counts.*, coalesce(overdue.overdue, 0) FROM (
            SELECT r.partner_id, sum(r.sent) AS sent, sum(r.accepted), sum(r.positive),
                   sum(r.negative), sum(r.refused), sum(r.cancelled)
            FROM referral_monthly r
            WHERE {referral.sql}
            GROUP BY r.partner_id
        ) AS counts
        JOIN partner p ON p.id = counts.partner_id
        LEFT JOIN (
            SELECT w.partner_id, count(*) AS overdue
            FROM referral_fact w {hint}
            WHERE {waiting.sql} AND w.status = 'sent' AND w.due_on < :today
            GROUP BY w.partner_id
        ) AS overdue ON overdue.partner_id = counts.partner_id
        WHERE counts.sent > 0
        ORDER BY counts.sent DESC, p.name, counts.partner_id
    """
    rows = _run(connection, sql, filters, today, {**referral.lists, **waiting.lists})
    return tuple(tuple(int(value) for value in row) for row in rows)


STATEMENTS: dict[str, Callable[[Connection, Filters, dt.date], Rows]] = {
    "kpis": kpis,
    "kpis_previous": kpis_previous,
    "by_area": by_area,
    "by_neighbourhood_area": by_neighbourhood_area,
    "heatmap": heatmap,
    "trend": trend,
    "referrals": referrals,
}


def floor_numbers(engine: Engine, filters: Filters, today: dt.date) -> Numbers:
    """Every aggregate of the page, each from one hand-written statement."""
    with engine.connect() as connection:
        return {name: run(connection, filters, today) for name, run in STATEMENTS.items()}
