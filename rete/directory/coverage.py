"""«Copertura della rete»: the needs recorded against the partners able to take them.

The needs are summed in SQL from the read model's `need_monthly` (the needs of live
interviews, per month × neighbourhood × specific need) into one row per neighbourhood × specific
need (`_cells`: at most a few hundred rows whatever the volume); the section's four tables add
those rows up, so `coverage_section` reads the roll-up once. The partners are counted in SQL on
the small directory tables. The frames are for the page and the meeting deck's chart.

What "covers" and "serves" mean is the ranking's (`directory.ranking.propose_partners`): an
**active** partner takes a need when it covers its specific need or the whole area, and serves
its neighbourhood or the whole municipality. So a gap here is exactly a need for which «Chi può
aiutare?» would propose nobody.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, SQLColumnExpression, case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from rete.directory.search import folded, recheck_cutoff, recheck_months, register_fold
from rete.filters import month_range
from rete.models import Category, Neighbourhood, Partner, PartnerArea, PartnerCategory
from rete.queries.common import AREA, NEED_MONTHLY, REFERRAL_FACT, as_frame
from rete.taxonomy import FALLBACK_COLOUR, PARTNER_KINDS

NEED_COVERAGE_COLUMNS = [
    "area_id",
    "area_code",
    "area",
    "colour",
    "category_id",
    "code",
    "need",
    "needs",
    "partners",
]
AREA_COVERAGE_COLUMNS = [
    "area_id",
    "area_code",
    "area",
    "colour",
    "needs",
    "partners_area",
    "partners_any",
]
GAP_COLUMNS = [
    "neighbourhood_id",
    "neighbourhood",
    "municipality",
    "area_id",
    "area_code",
    "area",
    "colour",
    "needs",
    "uncovered",
]
GAP_NEED_COLUMNS = [
    "neighbourhood_id",
    "neighbourhood",
    "municipality",
    "area_id",
    "area_code",
    "area",
    "category_id",
    "code",
    "need",
    "needs",
]
UNUSED_COLUMNS = ["partner_id", "name", "kind", "municipality", "joined_on"]
RECHECK_COLUMNS = ["partner_id", "name", "kind", "municipality", "last_verified_on"]


# --- What the section's tables are made of: one pass over the roll-up, the small tables


@dataclass(frozen=True)
class _Cell:
    """Needs of one specific need in one neighbourhood, and whether anyone takes them there."""

    neighbourhood_id: int
    neighbourhood: str
    municipality: str
    area_id: int
    category_id: int
    needs: int
    taken: bool


def _cells(connection: Connection, start_month: int, end_month: int) -> list[_Cell]:
    """Needs recorded in the months start..end per neighbourhood × specific need (at most
    neighbourhoods × specific needs rows, whatever the volume), each with `taken`: whether an
    active partner can take that need there (`_taken_there`). Every table of the section is
    summed from these rows, so the roll-up is read once."""
    nm = NEED_MONTHLY.c
    counts = (
        select(nm.neighbourhood_id, nm.category_id, func.sum(nm.needs).label("needs"))
        .where(nm.month.between(start_month, end_month))
        .group_by(nm.neighbourhood_id, nm.category_id)
        .subquery("counts")
    )
    statement = (
        select(
            Neighbourhood.id,
            Neighbourhood.name,
            Neighbourhood.municipality,
            Category.parent_id,
            Category.id,
            counts.c.needs,
            case((_taken_there(), 1), else_=0),
        )
        .select_from(counts)
        .join(Category, Category.id == counts.c.category_id)
        .join(Neighbourhood, Neighbourhood.id == counts.c.neighbourhood_id)
        .where(counts.c.needs > 0)
    )
    return [
        _Cell(place, name, town, area, need, int(needs), bool(taken))
        for place, name, town, area, need, needs, taken in connection.execute(statement)
    ]


def _taken_there() -> ColumnElement[bool]:
    """Some active partner covers the outer row's specific need (`Category`) or its whole area,
    and serves the outer row's neighbourhood (`Neighbourhood`) or its whole municipality."""
    pc, pa = PartnerCategory, PartnerArea
    return exists().where(
        Partner.active,
        pc.partner_id == Partner.id,
        pa.partner_id == Partner.id,
        or_(pc.category_id == Category.id, pc.category_id == Category.parent_id),
        or_(
            pa.neighbourhood_id == Neighbourhood.id,
            pa.municipality == Neighbourhood.municipality,
        ),
    )


def _active_partners_covering(*categories: SQLColumnExpression[int]) -> ColumnElement[int]:
    """How many active partners have a coverage row on one of `categories` (a scalar
    subquery, correlated with the outer query's categories)."""
    pc = PartnerCategory
    return (
        select(func.count(func.distinct(pc.partner_id)))
        .join(Partner, Partner.id == pc.partner_id)
        .where(Partner.active, pc.category_id.in_(categories))
        .scalar_subquery()
    )


def _specific_needs(connection: Connection) -> list[Any]:
    """Every specific need in taxonomy order: its area, itself, whether it is active, and how
    many active partners cover it (the need itself or its whole area)."""
    statement = (
        select(
            AREA.id.label("area_id"),
            AREA.code.label("area_code"),
            AREA.name.label("area"),
            func.coalesce(AREA.colour, FALLBACK_COLOUR).label("colour"),
            Category.id.label("category_id"),
            Category.code.label("code"),
            Category.name.label("need"),
            Category.active.label("active"),
            _active_partners_covering(Category.id, AREA.id).label("partners"),
        )
        .join(AREA, AREA.id == Category.parent_id)
        .order_by(AREA.sort_order, AREA.code, Category.sort_order, Category.code)
    )
    return list(connection.execute(statement))


def _areas(connection: Connection) -> list[Any]:
    """Every area in taxonomy order, whether it is active, the active partners covering all of
    it and those covering it or at least one of its specific needs."""
    pc = PartnerCategory
    any_of_it = (
        select(func.count(func.distinct(pc.partner_id)))
        .join(Partner, Partner.id == pc.partner_id)
        .join(Category, Category.id == pc.category_id)
        .where(Partner.active, or_(Category.id == AREA.id, Category.parent_id == AREA.id))
        .scalar_subquery()
    )
    statement = (
        select(
            AREA.id.label("area_id"),
            AREA.code.label("area_code"),
            AREA.name.label("area"),
            func.coalesce(AREA.colour, FALLBACK_COLOUR).label("colour"),
            AREA.active.label("active"),
            _active_partners_covering(AREA.id).label("partners_area"),
            any_of_it.label("partners_any"),
        )
        .where(AREA.parent_id.is_(None))
        .order_by(AREA.sort_order, AREA.code)
    )
    return list(connection.execute(statement))


# The tables are sums over the cells: a few hundred rows at most, added up in plain Python
# (pandas' groupby and merge cost more than the SQL at that size).


def _needs_table(needs: list[Any], cells: list[_Cell]) -> pd.DataFrame:
    counted: Counter[int] = Counter()
    for cell in cells:
        counted[cell.category_id] += cell.needs
    rows = [
        (*need[:7], counted[need.category_id], need.partners)
        for need in needs
        if need.active or counted[need.category_id]
    ]
    return as_frame(rows, NEED_COVERAGE_COLUMNS)


def _areas_table(areas: list[Any], cells: list[_Cell]) -> pd.DataFrame:
    counted: Counter[int] = Counter()
    for cell in cells:
        counted[cell.area_id] += cell.needs
    rows = [
        (*area[:4], counted[area.area_id], area.partners_area, area.partners_any)
        for area in areas
        if area.active or counted[area.area_id]
    ]
    return as_frame(rows, AREA_COVERAGE_COLUMNS)


def _place_order(cell: _Cell) -> tuple[str, str, int]:
    return (cell.municipality, cell.neighbourhood, cell.neighbourhood_id)


def _gaps_table(cells: list[_Cell], areas: list[Any]) -> pd.DataFrame:
    rank = {area.area_id: index for index, area in enumerate(areas)}
    summed: dict[tuple[int, str, str, int], list[int]] = {}
    for cell in sorted(cells, key=lambda c: (*_place_order(c), rank[c.area_id])):
        key = (cell.neighbourhood_id, cell.neighbourhood, cell.municipality, cell.area_id)
        counts = summed.setdefault(key, [0, 0])
        counts[0] += cell.needs
        counts[1] += 0 if cell.taken else cell.needs
    rows = [
        (*place, *areas[rank[area_id]][:4], needs, uncovered)
        for (*place, area_id), (needs, uncovered) in summed.items()
    ]
    return as_frame(rows, GAP_COLUMNS)


def _gap_needs_table(cells: list[_Cell], needs: list[Any]) -> pd.DataFrame:
    rank = {need.category_id: index for index, need in enumerate(needs)}
    uncovered = sorted(
        (cell for cell in cells if not cell.taken),
        key=lambda c: (*_place_order(c), rank[c.category_id]),
    )
    rows = []
    for cell in uncovered:
        need = needs[rank[cell.category_id]]
        rows.append(
            (
                cell.neighbourhood_id,
                cell.neighbourhood,
                cell.municipality,
                need.area_id,
                need.area_code,
                need.area,
                need.category_id,
                need.code,
                need.need,
                cell.needs,
            )
        )
    return as_frame(rows, GAP_NEED_COLUMNS)


# --- Needs against the partners covering them


def coverage_by_need(engine: Engine, start_month: int, end_month: int) -> pd.DataFrame:
    """One row per specific need, taxonomy order: the needs recorded in the months
    start..end and the active partners that cover it (the need itself or its whole area).
    Inactive specific needs only when needs were recorded in the period.
    [area_id, area_code, area, colour, category_id, code, need, needs, partners]"""
    with engine.connect() as connection:
        return _needs_table(_specific_needs(connection), _cells(connection, start_month, end_month))


def coverage_by_area(engine: Engine, start_month: int, end_month: int) -> pd.DataFrame:
    """One row per area, taxonomy order: the needs recorded in the months start..end, the
    active partners covering the whole area, and those covering the area or at least one of its
    specific needs. Inactive areas only when needs were recorded in the period.
    [area_id, area_code, area, colour, needs, partners_area, partners_any]"""
    with engine.connect() as connection:
        return _areas_table(_areas(connection), _cells(connection, start_month, end_month))


# --- Buchi della rete


def network_gaps(engine: Engine, start_month: int, end_month: int) -> pd.DataFrame:
    """«Buchi della rete»: one row per neighbourhood × area where needs were recorded in the
    months start..end; `uncovered` of its `needs` are needs that no active partner can take
    there.

    Precisely: a need recorded in neighbourhood N, of specific need S in area A, is uncovered
    when no active partner both covers S or the whole of A, and serves N or N's whole
    municipality. It is decided per specific need, not per area: a partner covering only
    «Utenze ed energia» in Biumo leaves Biumo's «Morosità canone e spese» needs uncovered, though
    both are Economica; one covering all of Economica in the comune di Varese closes both, in
    every neighbourhood of Varese. So a cell may be partly uncovered (`gap_needs` says which
    specific needs). Ordered by municipality, neighbourhood, area (taxonomy order).
    [neighbourhood_id, neighbourhood, municipality, area_id, area_code, area, colour, needs,
    uncovered]"""
    with engine.connect() as connection:
        return _gaps_table(_cells(connection, start_month, end_month), _areas(connection))


def gap_needs(engine: Engine, start_month: int, end_month: int) -> pd.DataFrame:
    """The uncovered needs of `network_gaps` by neighbourhood and specific need: what to look
    for a partner for, and where. Same order, specific needs in taxonomy order.
    [neighbourhood_id, neighbourhood, municipality, area_id, area_code, area, category_id, code,
    need, needs]"""
    with engine.connect() as connection:
        return _gap_needs_table(
            _cells(connection, start_month, end_month), _specific_needs(connection)
        )


# --- Partners to look at


def _partner_frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    frame = as_frame(rows, columns)
    frame["kind"] = [PARTNER_KINDS.get(str(kind), str(kind)) for kind in frame["kind"]]
    return frame


def unused_partners(engine: Engine, start_month: int, end_month: int) -> pd.DataFrame:
    """The active partners sent no referral in the months start..end (referrals of deleted
    interviews do not count; a referral sent and then cancelled does), by name.
    [partner_id, name, kind (Italian), municipality, joined_on]"""
    rf = REFERRAL_FACT.c
    # The months listed: SQLite seeks (month, partner) in the month index for each partner.
    sent = exists().where(
        rf.partner_id == Partner.id, rf.sent_month.in_(month_range(start_month, end_month))
    )
    statement = (
        select(Partner.id, Partner.name, Partner.kind, Partner.municipality, Partner.joined_on)
        .where(Partner.active, ~sent)
        .order_by(folded(Partner.name, engine.dialect.name), Partner.id)
    )
    with engine.connect() as connection:
        register_fold(connection)
        rows = [tuple(row) for row in connection.execute(statement)]
    return _partner_frame(rows, UNUSED_COLUMNS)


def partners_to_recheck(engine: Engine, today: dt.date) -> pd.DataFrame:
    """«Da ricontrollare»: the active partners whose entry was never verified with them, or not
    for more than the re-check setting's months (6 by default; `search.recheck_cutoff`); the
    never verified first, then the oldest verification, then by name.
    [partner_id, name, kind (Italian), municipality, last_verified_on]"""
    verified = Partner.last_verified_on
    with Session(engine) as session:
        cutoff = recheck_cutoff(today, recheck_months(session))
        register_fold(session.connection())
        by_name = folded(Partner.name, engine.dialect.name)
        rows = [
            tuple(row)
            for row in session.execute(
                select(Partner.id, Partner.name, Partner.kind, Partner.municipality, verified)
                .where(Partner.active, or_(verified.is_(None), verified < cutoff))
                .order_by(case((verified.is_(None), 0), else_=1), verified, by_name, Partner.id)
            )
        ]
    return _partner_frame(rows, RECHECK_COLUMNS)


@dataclass(frozen=True)
class Coverage:
    """Everything «Copertura della rete» shows for one period (see each function)."""

    by_need: pd.DataFrame  # coverage_by_need
    by_area: pd.DataFrame  # coverage_by_area
    gaps: pd.DataFrame  # network_gaps
    gap_needs: pd.DataFrame  # gap_needs
    unused: pd.DataFrame  # unused_partners
    to_recheck: pd.DataFrame  # partners_to_recheck


def coverage_section(engine: Engine, start_month: int, end_month: int, today: dt.date) -> Coverage:
    """The whole section, reading the needs' roll-up once for its four tables."""
    with engine.connect() as connection:
        cells = _cells(connection, start_month, end_month)
        needs = _specific_needs(connection)
        areas = _areas(connection)
    return Coverage(
        by_need=_needs_table(needs, cells),
        by_area=_areas_table(areas, cells),
        gaps=_gaps_table(cells, areas),
        gap_needs=_gap_needs_table(cells, needs),
        unused=unused_partners(engine, start_month, end_month),
        to_recheck=partners_to_recheck(engine, today),
    )
