"""Read side of the Cruscotto: aggregates computed in SQL over the read model, as DataFrames.

Sources (kept current by `rete.readmodel` inside every write transaction):
- need counts come from `need_monthly` (month x neighbourhood x specific need x channel);
- distinct interviews and households come from `need_fact` (one row per live need);
- referral outcomes come from `referral_monthly` (the same keys x partner, a count per outcome),
  the median days to "presa in carico" from `referral_days`, the overdue referrals from
  `referral_fact` through its partial index on status 'sent';
- names, colours and homes come from the small tables `neighbourhood`, `category`, `partner`.
Nothing here reads `interview`, `need` or `referral`, and nothing loads a whole table into pandas:
SQL does the grouping, pandas only receives the aggregated rows.

Filter semantics, the same for every function (built once, in `common.conditions`):
- period: the months `filters.start`..`filters.end` inclusive, on `month` (the interview's month)
  for needs, interviews and households, on `sent_month` for referrals;
- place: `neighbourhood_ids` when not empty, otherwise `municipalities` when not empty (turned
  into the ids of their neighbourhoods with a subquery on `neighbourhood`);
- need: `category_ids` (specific needs) when not empty, otherwise `area_ids` (the roll-ups have
  no area column: their specific needs are looked up in `category`);
- channel: `channel_codes`, the interview's channel (for referrals too).
An empty tuple means "all". Interviews and households counted are those with at least one need
matching the filters; referrals are those of the needs matching them, sent in the period.

The same statements run on SQLite and PostgreSQL, except the distinct counts, whose fastest
shape differs (see `kpis._distinct_counts`); SQLite is told which index to use where its planner
would pick a slower one (`with_hint`, rendered by `rete.db`).
"""

from rete.queries.cruscotto import QUERY_THREADS, ChartFrames, Headline, chart_frames, headline
from rete.queries.kpis import HOUSEHOLD_ORDER_FROM_MONTHS, Kpis, first_month, kpis
from rete.queries.needs import (
    AREA_COLUMNS,
    HEATMAP_COLUMNS,
    LABEL_SEPARATOR,
    NEIGHBOURHOOD_AREA_COLUMNS,
    OTHERS_LABEL,
    PLACE_NEED_COLUMNS,
    TOP_NEIGHBOURHOODS,
    TREND_COLUMNS,
    heatmap_neighbourhood_need,
    monthly_trend,
    needs_by_area,
    needs_by_neighbourhood_area,
    needs_by_neighbourhood_need,
    needs_by_neighbourhood_rate,
)
from rete.queries.referrals import PARTNER_COLUMNS, referral_outcomes_by_partner

__all__ = [
    "AREA_COLUMNS",
    "HEATMAP_COLUMNS",
    "HOUSEHOLD_ORDER_FROM_MONTHS",
    "LABEL_SEPARATOR",
    "NEIGHBOURHOOD_AREA_COLUMNS",
    "OTHERS_LABEL",
    "PARTNER_COLUMNS",
    "PLACE_NEED_COLUMNS",
    "QUERY_THREADS",
    "TOP_NEIGHBOURHOODS",
    "TREND_COLUMNS",
    "ChartFrames",
    "Headline",
    "Kpis",
    "chart_frames",
    "first_month",
    "headline",
    "heatmap_neighbourhood_need",
    "kpis",
    "monthly_trend",
    "needs_by_area",
    "needs_by_neighbourhood_area",
    "needs_by_neighbourhood_need",
    "needs_by_neighbourhood_rate",
    "referral_outcomes_by_partner",
]
