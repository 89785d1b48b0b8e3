"""The Cruscotto's numbers in one comparable form, and the filter cases every implementation runs.

Rete, the naive baseline and the floor each turn their results into `Numbers`: for every
aggregate a tuple of plain rows (ints, strings, floats rounded to `DECIMALS`), in the order the
Cruscotto shows them. Two implementations agree when their `Numbers` are equal, row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from rete import queries
from rete.filters import Filters, default_filters

# The clock of every measurement is frozen, so a dataset generated once keeps meaning the same:
# its needs fill the 12 complete months before FROZEN_TODAY, the Cruscotto's default period.
FROZEN_TODAY = dt.date(2026, 11, 16)
DATA_LAST_DAY = dt.date(2026, 10, 31)
DECIMALS = 9  # shares and medians are compared after rounding to this many decimals

AGGREGATES = (
    "kpis",
    "kpis_previous",
    "by_area",
    "by_neighbourhood_area",
    "heatmap",
    "trend",
    "referrals",
)
DEFAULT_CASE = "default"
AREA_CASE = "area"

Rows = tuple[tuple[Any, ...], ...]
Numbers = dict[str, Rows]  # aggregate name -> its rows


@dataclass(frozen=True)
class Case:
    """A set of filters whose numbers all three implementations must agree on."""

    name: str
    filters: Filters


def benchmark_cases(first_area_id: int) -> tuple[Case, Case]:
    """The default view, and the view after choosing the first area (the page's filter change)."""
    default = default_filters(FROZEN_TODAY)
    return Case(DEFAULT_CASE, default), Case(AREA_CASE, replace(default, area_ids=(first_area_id,)))


def rounded(value: float | None) -> float | None:
    """A float as compared across implementations."""
    return None if value is None else round(float(value), DECIMALS)


def share(accepted: int, refused: int, overdue: int) -> float | None:
    """Share taken in charge, with the Cruscotto's formula: accepted / (accepted + refused +
    overdue); the referrals still within their time and the cancelled ones are left out."""
    denominator = accepted + refused + overdue
    return accepted / denominator if denominator > 0 else None


def kpi_rows(
    *,
    interviews: int,
    households: int,
    needs: int,
    sent: int,
    accepted: int,
    cancelled: int,
    overdue: int,
    share_accepted: float | None,
    median_days: float | None,
) -> Rows:
    """The headline figures as one row."""
    return (
        (
            int(interviews),
            int(households),
            int(needs),
            int(sent),
            int(accepted),
            int(cancelled),
            int(overdue),
            rounded(share_accepted),
            rounded(median_days),
        ),
    )


def place_label(name: str, municipality: str) -> str:
    """How the Cruscotto names a neighbourhood: 'Sangallo · Varese'."""
    return f"{name}{queries.LABEL_SEPARATOR}{municipality}"


def optional_int(value: Any) -> int | None:
    """An int, or None for NULL / NaN."""
    return None if value is None or pd.isna(value) else int(value)


# --- Rete's results in the common form


def from_kpis(kpis: queries.Kpis) -> Rows:
    """`queries.kpis` as rows."""
    return kpi_rows(
        interviews=kpis.interviews,
        households=kpis.households,
        needs=kpis.needs,
        sent=kpis.referrals_sent,
        accepted=kpis.referrals_accepted,
        cancelled=kpis.referrals_cancelled,
        overdue=kpis.overdue,
        share_accepted=kpis.share_accepted,
        median_days=kpis.median_days_to_accept,
    )


def from_by_area(frame: pd.DataFrame) -> Rows:
    """`queries.needs_by_area` as rows: (area code, needs)."""
    return tuple((str(r.area_code), int(r.needs)) for r in frame.itertuples())


def from_by_neighbourhood_area(frame: pd.DataFrame) -> Rows:
    """`queries.needs_by_neighbourhood_area` as rows: (label, area code, needs, total, homes)."""
    return tuple(
        (str(r.label), str(r.area_code), int(r.needs), int(r.total), optional_int(r.homes))
        for r in frame.itertuples()
    )


def from_heatmap(frame: pd.DataFrame) -> Rows:
    """`queries.heatmap_neighbourhood_need` as rows: (label, need code, need order, needs)."""
    return tuple(
        (str(r.neighbourhood), str(r.category_code), int(r.need_order), int(r.needs))
        for r in frame.itertuples()
    )


def from_trend(frame: pd.DataFrame) -> Rows:
    """`queries.monthly_trend` as rows: (month, area code, needs)."""
    return tuple((int(r.month), str(r.area_code), int(r.needs)) for r in frame.itertuples())


def from_referrals(frame: pd.DataFrame) -> Rows:
    """`queries.referral_outcomes_by_partner` as rows of counts per partner."""
    return tuple(
        (
            int(r.partner_id),
            int(r.sent),
            int(r.accepted),
            int(r.positive),
            int(r.negative),
            int(r.refused),
            int(r.cancelled),
            int(r.overdue),
        )
        for r in frame.itertuples()
    )


def differences(expected: Numbers, actual: Numbers) -> list[str]:
    """The aggregates whose rows differ (or are missing on either side)."""
    return [name for name in AGGREGATES if expected.get(name) != actual.get(name)]
