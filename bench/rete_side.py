"""Rete's own queries, the ones the Cruscotto page runs (`rete.queries.chart_frames` and `headline`).

The page runs seven: the KPIs of the period and of the previous one, then one per chart. They are
called here straight on `rete.queries` (no Streamlit cache), so each is measured on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from bench import canonical
from bench.canonical import Numbers, Rows
from rete import queries
from rete.filters import Filters


@dataclass(frozen=True)
class PageQuery:
    """One call the Cruscotto makes, and how its result reads in the common form."""

    aggregate: str
    label: str
    run: Callable[[Engine, Filters, dt.date], Rows]


def _kpis(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_kpis(queries.kpis(engine, filters, today))


def _kpis_previous(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_kpis(queries.kpis(engine, filters.previous(), today))


def _by_area(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_by_area(queries.needs_by_area(engine, filters))


def _by_neighbourhood_area(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_by_neighbourhood_area(
        queries.needs_by_neighbourhood_area(engine, filters)
    )


def _heatmap(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_heatmap(queries.heatmap_neighbourhood_need(engine, filters))


def _trend(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_trend(queries.monthly_trend(engine, filters))


def _referrals(engine: Engine, filters: Filters, today: dt.date) -> Rows:
    return canonical.from_referrals(queries.referral_outcomes_by_partner(engine, filters, today))


PAGE_QUERIES = {
    query.aggregate: query
    for query in (
        PageQuery("kpis", "`kpis` (the period)", _kpis),
        PageQuery("kpis_previous", "`kpis` (the previous period)", _kpis_previous),
        PageQuery("by_area", "`needs_by_area`", _by_area),
        PageQuery("by_neighbourhood_area", "`needs_by_neighbourhood_area`", _by_neighbourhood_area),
        PageQuery("heatmap", "`heatmap_neighbourhood_need`", _heatmap),
        PageQuery("trend", "`monthly_trend`", _trend),
        PageQuery("referrals", "`referral_outcomes_by_partner`", _referrals),
    )
}


def rete_numbers(engine: Engine, filters: Filters, today: dt.date) -> Numbers:
    """Every aggregate of the page, computed by Rete."""
    return {name: query.run(engine, filters, today) for name, query in PAGE_QUERIES.items()}
