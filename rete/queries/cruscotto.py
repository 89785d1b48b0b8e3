"""Everything the Cruscotto shows for one set of filters, in two parts (its KPI tiles, its
charts), the queries of each run side by side.

Each query waits on the database, which does its work outside Python's GIL (sqlite3 and psycopg
both release it), so two threads use both cores of a small server: at 1M needs on SQLite the
seven queries take about half the time they take one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from rete.filters import Filters
from rete.queries.kpis import Kpis, first_month, kpis
from rete.queries.needs import (
    heatmap_neighbourhood_need,
    monthly_trend,
    needs_by_area,
    needs_by_neighbourhood_area,
)
from rete.queries.referrals import referral_outcomes_by_partner

QUERY_THREADS = 2  # more threads than cores only make the queries contend


@dataclass(frozen=True)
class Headline:
    """The KPI tiles' numbers: the period's, the previous period's (for the changes) and the
    first month with records (for whether the two can be compared)."""

    kpis: Kpis
    previous_kpis: Kpis
    first_month: int | None  # YYYYMM


@dataclass(frozen=True)
class ChartFrames:
    """The frame of each of the Cruscotto's five charts."""

    by_area: pd.DataFrame
    by_neighbourhood: pd.DataFrame
    heatmap: pd.DataFrame
    trend: pd.DataFrame
    referral_outcomes: pd.DataFrame


def _run(calls: dict[str, Callable[[], Any]], threads: int) -> dict[str, Any]:
    """Each call's result, `threads` at a time, each query on its own connection."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rete-query") as pool:
        running = {name: pool.submit(call) for name, call in calls.items()}
        return {name: future.result() for name, future in running.items()}


def headline(
    engine: Engine, filters: Filters, today: dt.date, *, threads: int = QUERY_THREADS
) -> Headline:
    """The KPI tiles' numbers. The slower half of the page at 1M needs (distinct households and
    interviews): the page asks for them after its charts, so the browser draws those meanwhile."""
    calls: dict[str, Callable[[], Any]] = {
        "kpis": lambda: kpis(engine, filters, today),
        "previous_kpis": lambda: kpis(engine, filters.previous(), today),
        "first_month": lambda: first_month(engine),
    }
    return Headline(**_run(calls, threads))


def chart_frames(
    engine: Engine, filters: Filters, today: dt.date, *, threads: int = QUERY_THREADS
) -> ChartFrames:
    """The five charts' frames, the slowest query first so that it starts at once."""
    calls: dict[str, Callable[[], Any]] = {
        "by_neighbourhood": lambda: needs_by_neighbourhood_area(engine, filters),
        "referral_outcomes": lambda: referral_outcomes_by_partner(engine, filters, today),
        "heatmap": lambda: heatmap_neighbourhood_need(engine, filters),
        "trend": lambda: monthly_trend(engine, filters),
        "by_area": lambda: needs_by_area(engine, filters),
    }
    return ChartFrames(**_run(calls, threads))
