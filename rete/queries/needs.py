"""Needs by area, by month, and by neighbourhood (the first ones, then "Altri")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func

from rete.filters import Filters, month_label, month_range
from rete.models import Category, Neighbourhood
from rete.queries.common import AREA, NEED_MONTHLY, as_frame, need_counts, with_area
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
PLACE_NEED_COLUMNS = ["neighbourhood", "municipality", "area", "need", "needs"]
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


def _cells(engine: Engine, filters: Filters) -> Sequence[Any]:
    """Needs per neighbourhood x specific need (with their names, areas and homes), one statement:
    a few thousand rows at most, which the two charts below rank and bucket in Python."""
    counts = need_counts(filters, NEED_MONTHLY.c.neighbourhood_id.label("neighbourhood_id"))
    statement = (
        with_area(
            counts,
            counts.c.neighbourhood_id,
            Neighbourhood.name.label("place"),
            Neighbourhood.municipality,
            Neighbourhood.homes,
            Category.code,
            Category.name.label("need"),
            Category.sort_order.label("need_sort"),
            AREA.code.label("area_code"),
            AREA.name.label("area"),
            AREA.sort_order.label("area_sort"),
            AREA.colour,
            counts.c.needs,
        )
        .join(Neighbourhood, Neighbourhood.id == counts.c.neighbourhood_id)
        .where(counts.c.needs > 0)
    )
    with engine.connect() as connection:
        return connection.execute(statement).all()


def _ranked_places(
    cells: Sequence[Any], top: int | None, by_rate: bool = False
) -> dict[int | None, _Place]:
    """The neighbourhoods with needs, most needs first, cut at `top` (None: every one); the key
    None holds the rest summed as "Altri" (homes known only if known for all of them). Dict
    order = display order. `by_rate`: ranked by needs per home instead (every cell's
    neighbourhood must have its homes)."""
    totals: dict[int, int] = defaultdict(int)
    about: dict[int, Any] = {}
    for cell in cells:
        totals[cell.neighbourhood_id] += int(cell.needs)
        about[cell.neighbourhood_id] = cell

    def rank(id_: int) -> tuple[float, str, str]:
        first = totals[id_] / about[id_].homes if by_rate else totals[id_]
        return (-first, about[id_].place, about[id_].municipality)

    ranked = sorted(totals, key=rank)
    places: dict[int | None, _Place] = {}
    for id_ in ranked[:top]:
        name, municipality = about[id_].place, about[id_].municipality
        label = f"{name}{LABEL_SEPARATOR}{municipality}"
        places[id_] = _Place(name, municipality, label, about[id_].homes, totals[id_])
    rest = ranked[top:] if top is not None else []
    if rest:
        homes = [about[id_].homes for id_ in rest]
        places[None] = _Place(
            neighbourhood=OTHERS_LABEL,
            municipality="",
            label=OTHERS_LABEL,
            homes=None if None in homes else sum(homes),
            total=sum(totals[id_] for id_ in rest),
        )
    return places


def _bucketed(
    cells: Sequence[Any], places: dict[int | None, _Place], key: Callable[[Any], Any]
) -> list[tuple[_Place, Any, int]]:
    """Needs summed per place (a shown neighbourhood, or "Altri") and `key(cell)`, in display
    order: places as ranked, then by key. Each item: (place, the key's first cell, needs)."""
    sums: dict[tuple[int | None, Any], int] = defaultdict(int)
    first: dict[tuple[int | None, Any], Any] = {}
    for cell in cells:
        bucket = cell.neighbourhood_id if cell.neighbourhood_id in places else None
        sums[(bucket, key(cell))] += int(cell.needs)
        first.setdefault((bucket, key(cell)), cell)
    rank = {id_: position for position, id_ in enumerate(places)}
    ordered = sorted(sums, key=lambda pair: (rank[pair[0]], pair[1]))
    return [(places[bucket], first[(bucket, k)], sums[(bucket, k)]) for bucket, k in ordered]


def _per_100_homes(total: int, homes: int | None) -> float | None:
    return total / homes * 100 if homes else None


def _neighbourhood_area_frame(
    cells: Sequence[Any], places: dict[int | None, _Place]
) -> pd.DataFrame:
    records = [
        (
            place.neighbourhood,
            place.municipality,
            place.label,
            cell.area_code,
            cell.area,
            cell.colour or FALLBACK_COLOUR,
            needs,
            place.total,
            place.homes,
            _per_100_homes(place.total, place.homes),
        )
        for place, cell, needs in _bucketed(
            cells, places, lambda cell: (cell.area_sort, cell.area_code)
        )
    ]
    frame = as_frame(records, NEIGHBOURHOOD_AREA_COLUMNS)
    return frame.astype({"homes": "float64", "per_100_homes": "float64"})


def needs_by_neighbourhood_area(
    engine: Engine, filters: Filters, top: int | None = TOP_NEIGHBOURHOODS
) -> pd.DataFrame:
    """Long format, one row per neighbourhood x area with needs: [neighbourhood, municipality,
    label, area_code, area, colour, needs, total, homes, per_100_homes].

    Neighbourhoods by total needs (most first), the first `top` one by one and the others as one
    row group "Altri" (last, municipality ""; top=None: no "Altri", every one); `label` ("Sangallo · Varese", or "Altri") is what
    charts show. `total` is the neighbourhood's needs over all areas; `homes` and
    `per_100_homes` are NaN where the number of homes is not known.
    """
    cells = _cells(engine, filters)
    places = _ranked_places(cells, top)
    return _neighbourhood_area_frame(cells, places)


def heatmap_neighbourhood_need(
    engine: Engine, filters: Filters, top: int = TOP_NEIGHBOURHOODS
) -> pd.DataFrame:
    """Long format, one row per neighbourhood x specific need with needs: [neighbourhood (the
    label, as in `needs_by_neighbourhood_area`), category_code, need, need_order, area_code,
    area, colour, needs]. Rows come neighbourhood by neighbourhood (same order and "Altri" rule
    as `needs_by_neighbourhood_area`); `need_order` ranks the specific needs of the frame in
    taxonomy order (area order, then need order), for the chart's need axis."""
    cells = _cells(engine, filters)
    places = _ranked_places(cells, top)

    def taxonomy_order(cell: Any) -> tuple[Any, ...]:
        return (cell.area_sort, cell.area_code, cell.need_sort, cell.code)

    need_order = {
        key[3]: rank for rank, key in enumerate(sorted({taxonomy_order(c) for c in cells}))
    }
    records = [
        (
            place.label,
            cell.code,
            cell.need,
            need_order[cell.code],
            cell.area_code,
            cell.area,
            cell.colour or FALLBACK_COLOUR,
            needs,
        )
        for place, cell, needs in _bucketed(cells, places, taxonomy_order)
    ]
    return as_frame(records, HEATMAP_COLUMNS)


def needs_by_neighbourhood_need(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Every neighbourhood x specific need with needs, none summed into "Altri": [neighbourhood,
    municipality, area, need, needs], neighbourhoods as ranked by the charts (most needs first),
    needs in taxonomy order. The heatmap's data as a table, for its download."""
    cells = _cells(engine, filters)
    places = _ranked_places(cells, None)
    records = [
        (place.neighbourhood, place.municipality, cell.area, cell.need, needs)
        for place, cell, needs in _bucketed(
            cells, places, lambda c: (c.area_sort, c.area_code, c.need_sort, c.code)
        )
    ]
    return as_frame(records, PLACE_NEED_COLUMNS)


def needs_by_neighbourhood_rate(
    engine: Engine, filters: Filters, top: int | None = TOP_NEIGHBOURHOODS
) -> pd.DataFrame:
    """As `needs_by_neighbourhood_area`, for the neighbourhoods whose ALER homes are known, ranked
    by needs per 100 homes (the highest first); the rest beyond `top` summed as "Altri" (its rate
    over their homes together). Neighbourhoods without homes are left out: no rate to rank."""
    cells = [cell for cell in _cells(engine, filters) if cell.homes]
    places = _ranked_places(cells, top, by_rate=True)
    return _neighbourhood_area_frame(cells, places)
