"""Needs by area, by month, and by neighbourhood (the first ones, then "Altri")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import Label

from rete.filters import Filters, month_label, month_range
from rete.models import Category, Neighbourhood
from rete.queries.common import AREA, NEED_MONTHLY, as_frame, conditions, need_counts, with_area
from rete.taxonomy import FALLBACK_COLOUR

TOP_NEIGHBOURHOODS = 15  # neighbourhoods shown one by one; the rest are summed as OTHERS_LABEL
OTHERS_LABEL = "Altri"
LABEL_SEPARATOR = " · "  # "Sangallo · Varese": the same name may exist in two municipalities


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


def needs_by_area(engine: Engine, filters: Filters) -> pd.DataFrame:
    """[area_code, area, colour, needs], most needs first; areas with no need left out."""
    counts = need_counts(filters)
    needs = func.sum(counts.c.needs)
    statement = (
        with_area(counts, AREA.code, AREA.name, AREA.colour, needs)
        .group_by(AREA.id, AREA.code, AREA.name, AREA.colour, AREA.sort_order)
        .having(needs > 0)
        .order_by(needs.desc(), AREA.sort_order, AREA.code)
    )
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return as_frame(
        [(code, name, colour or FALLBACK_COLOUR, int(n)) for code, name, colour, n in rows],
        AREA_COLUMNS,
    )


def monthly_trend(engine: Engine, filters: Filters) -> pd.DataFrame:
    """[month, month_label, area_code, area, colour, needs]: every month of the period for every
    area with at least one need in it (zeros filled), ordered by month, then area."""
    counts = need_counts(filters, NEED_MONTHLY.c.month.label("month"))
    statement = (
        with_area(
            counts,
            counts.c.month,
            AREA.code,
            AREA.name,
            AREA.colour,
            func.sum(counts.c.needs),
        )
        .group_by(counts.c.month, AREA.id, AREA.code, AREA.name, AREA.colour, AREA.sort_order)
        .order_by(AREA.sort_order, AREA.code, counts.c.month)
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
    return as_frame(grid, TREND_COLUMNS)


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
        .where(*conditions(NEED_MONTHLY, filters))
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
            return as_frame([], NEIGHBOURHOOD_AREA_COLUMNS)
        counts = need_counts(filters, _bucket(places))
        rows = connection.execute(
            with_area(
                counts,
                counts.c.bucket,
                AREA.code,
                AREA.name,
                AREA.colour,
                AREA.sort_order,
                func.sum(counts.c.needs),
            ).group_by(counts.c.bucket, AREA.id, AREA.code, AREA.name, AREA.colour, AREA.sort_order)
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
    frame = as_frame(records, NEIGHBOURHOOD_AREA_COLUMNS)
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
            return as_frame([], HEATMAP_COLUMNS)
        counts = need_counts(filters, _bucket(places))
        rows = connection.execute(
            with_area(
                counts,
                counts.c.bucket,
                Category.code,
                Category.name,
                AREA.sort_order.label("area_sort"),
                Category.sort_order.label("need_sort"),
                AREA.code.label("area_code"),
                AREA.name.label("area"),
                AREA.colour,
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
    return as_frame(records, HEATMAP_COLUMNS)
