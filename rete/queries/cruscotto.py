"""Everything the Cruscotto shows for one set of filters, its seven queries run side by side.

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
class CruscottoData:
    """The Cruscotto's numbers: its KPI tiles (with the previous period's, for the deltas) and the
    frame of each chart."""

    kpis: Kpis
    previous_kpis: Kpis
    by_area: pd.DataFrame
    by_neighbourhood: pd.DataFrame
    heatmap: pd.DataFrame
    trend: pd.DataFrame
    referral_outcomes: pd.DataFrame
    first_month: int | None  # the first month with records (YYYYMM), for the comparisons


def _calls(engine: Engine, filters: Filters, today: dt.date) -> dict[str, Callable[[], Any]]:
    """One call per field of CruscottoData, the slowest first so that it starts at once."""
    return {
        "kpis": lambda: kpis(engine, filters, today),
        "previous_kpis": lambda: kpis(engine, filters.previous(), today),
        "by_neighbourhood": lambda: needs_by_neighbourhood_area(engine, filters),
        "referral_outcomes": lambda: referral_outcomes_by_partner(engine, filters, today),
        "heatmap": lambda: heatmap_neighbourhood_need(engine, filters),
        "trend": lambda: monthly_trend(engine, filters),
        "by_area": lambda: needs_by_area(engine, filters),
        "first_month": lambda: first_month(engine),
    }


def cruscotto_data(
    engine: Engine, filters: Filters, today: dt.date, *, threads: int = QUERY_THREADS
) -> CruscottoData:
    """The Cruscotto's numbers, `threads` queries at a time, each on its own connection."""
    calls = _calls(engine, filters, today)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rete-query") as pool:
        running = {name: pool.submit(call) for name, call in calls.items()}
        return CruscottoData(**{name: future.result() for name, future in running.items()})
