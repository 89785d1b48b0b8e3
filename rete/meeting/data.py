"""What the meeting deck is made of, read from the read model in a few aggregated queries.

Every count of the needs' slides comes from one cube (month × neighbourhood × specific need,
summed in SQL), so that each released figure is a sum of the same cells (`rete.privacy` needs
the relations between them to be exact); the referrals' slides come from the per-partner
outcomes and the days-to-accept histogram. Nothing here reads a record-level table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from rete.directory.coverage import network_gaps
from rete.filters import Filters
from rete.models import Category, Neighbourhood
from rete.queries.common import NEED_MONTHLY, REFERRAL_DAYS, conditions
from rete.queries.kpis import Kpis, first_month, kpis
from rete.queries.referrals import referral_outcomes_by_partner
from rete.taxonomy import FALLBACK_COLOUR


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    municipality: str
    homes: int | None


@dataclass(frozen=True)
class Need:
    """A specific need and its area (inactive ones too: their needs still count)."""

    id: int
    name: str
    area_id: int
    order: tuple[int, int, str]  # the area's sort order, the need's, its code


@dataclass(frozen=True)
class AreaInfo:
    id: int
    name: str
    colour: str
    order: tuple[int, str]


@dataclass(frozen=True)
class MeetingData:
    """The period's aggregates for one territory."""

    cube: dict[tuple[int, int, int], int]  # (month, neighbourhood id, need id) -> needs
    places: dict[int, Place]
    needs: dict[int, Need]
    areas: dict[int, AreaInfo]
    kpis: Kpis
    first_month: int | None
    partners: pd.DataFrame  # `queries.referral_outcomes_by_partner`
    days: dict[int, int]  # days to taking in charge -> referrals
    gaps: dict[tuple[int, int], int]  # (neighbourhood id, area id) -> uncovered needs


def _cube(engine: Engine, filters: Filters) -> dict[tuple[int, int, int], int]:
    nm = NEED_MONTHLY.c
    statement = (
        select(nm.month, nm.neighbourhood_id, nm.category_id, func.sum(nm.needs))
        .where(*conditions(NEED_MONTHLY, filters))
        .group_by(nm.month, nm.neighbourhood_id, nm.category_id)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return {(m, n, c): int(total) for m, n, c, total in rows if total}


def _days(engine: Engine, filters: Filters) -> dict[int, int]:
    rd = REFERRAL_DAYS.c
    statement = (
        select(rd.days_to_accept, func.sum(rd.referrals))
        .where(*conditions(REFERRAL_DAYS, filters))
        .group_by(rd.days_to_accept)
    )
    with engine.connect() as connection:
        return {int(d): int(n) for d, n in connection.execute(statement).all() if n}


def _places(engine: Engine) -> dict[int, Place]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Neighbourhood.id,
                Neighbourhood.name,
                Neighbourhood.municipality,
                Neighbourhood.homes,
            )
        ).all()
    return {row.id: Place(row.id, row.name, row.municipality, row.homes) for row in rows}


def _taxonomy(engine: Engine) -> tuple[dict[int, Need], dict[int, AreaInfo]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                Category.id,
                Category.code,
                Category.name,
                Category.parent_id,
                Category.colour,
                Category.sort_order,
            )
        ).all()
    areas = {
        row.id: AreaInfo(
            row.id, row.name, row.colour or FALLBACK_COLOUR, (row.sort_order, row.code)
        )
        for row in rows
        if row.parent_id is None
    }
    needs = {
        row.id: Need(
            row.id,
            row.name,
            row.parent_id,
            (*areas[row.parent_id].order[:1], row.sort_order, row.code),
        )
        for row in rows
        if row.parent_id in areas
    }
    return needs, areas


def _gaps(engine: Engine, filters: Filters, places: dict[int, Place]) -> dict[tuple[int, int], int]:
    """Needs no active partner can take where they were recorded, per neighbourhood and area
    (`directory.coverage.network_gaps`), within the territory."""
    frame = network_gaps(engine, filters.start, filters.end)
    chosen = set(filters.neighbourhood_ids)
    towns = set(filters.municipalities)
    gaps: dict[tuple[int, int], int] = {}
    for row in frame.itertuples(index=False):
        place = places.get(int(row.neighbourhood_id))
        if chosen and int(row.neighbourhood_id) not in chosen:
            continue
        if not chosen and towns and (place is None or place.municipality not in towns):
            continue
        if row.uncovered:
            gaps[(int(row.neighbourhood_id), int(row.area_id))] = int(row.uncovered)
    return gaps


def meeting_data(engine: Engine, filters: Filters, today: dt.date) -> MeetingData:
    """Everything the deck shows for `filters` (period and territory), read on `today`; the
    deck reads it for the previous period too, to compare only with what that period's own
    deck would show."""
    places = _places(engine)
    needs, areas = _taxonomy(engine)
    return MeetingData(
        cube=_cube(engine, filters),
        places=places,
        needs=needs,
        areas=areas,
        kpis=kpis(engine, filters, today),
        first_month=first_month(engine),
        partners=referral_outcomes_by_partner(engine, filters, today),
        days=_days(engine, filters),
        gaps=_gaps(engine, filters, places),
    )
