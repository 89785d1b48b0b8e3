"""Plotly figure builders: a DataFrame of `rete.queries` (or `rete.directory`) in, a `go.Figure`
out; never the database.

- `base`: the look every chart shares (Italian formats, fonts, sizes for the screen and for
  presenting, whole-number ticks for counts, plain-text names) and the helpers the builders
  draft with.
- `cruscotto`: the Cruscotto's five charts.
- `network`: the network's gaps («Copertura della rete», and the meeting deck).

Streamlit should draw the figures with `theme=None`, otherwise its own theme replaces this
template.
"""

from rete.charts.base import (
    AXIS_STYLE,
    COUNT_FORMAT,
    EMPTY_MESSAGE,
    FONT_FAMILY,
    GRID_COLOUR,
    NEEDS_AXIS,
    NOT_KNOWN,
    OUTCOME_CANCELLED,
    OUTCOME_COLOURS,
    OUTCOME_IN_CHARGE,
    OUTCOME_NEGATIVE,
    OUTCOME_OVERDUE,
    OUTCOME_POSITIVE,
    OUTCOME_REFUSED,
    OUTCOME_WAITING,
    PER_HOMES_AXIS,
    PRESENTING,
    REFERRALS_AXIS,
    SCREEN,
    SEPARATORS,
    TEMPLATE,
    TEXT_COLOUR,
    Scale,
)
from rete.charts.cruscotto import (
    HEATMAP_SCALE,
    OTHERS_SCALE,
    OTHERS_TICK,
    monthly_trend_lines,
    needs_by_area_bar,
    neighbourhood_area_stacked,
    neighbourhood_need_heatmap,
    referral_outcomes_bar,
)
from rete.charts.network import GAPS_AXIS, NO_GAPS_MESSAGE, network_gaps_bar

__all__ = [
    "AXIS_STYLE",
    "COUNT_FORMAT",
    "EMPTY_MESSAGE",
    "FONT_FAMILY",
    "GAPS_AXIS",
    "GRID_COLOUR",
    "HEATMAP_SCALE",
    "NEEDS_AXIS",
    "NOT_KNOWN",
    "NO_GAPS_MESSAGE",
    "OTHERS_SCALE",
    "OTHERS_TICK",
    "OUTCOME_CANCELLED",
    "OUTCOME_COLOURS",
    "OUTCOME_IN_CHARGE",
    "OUTCOME_NEGATIVE",
    "OUTCOME_OVERDUE",
    "OUTCOME_POSITIVE",
    "OUTCOME_REFUSED",
    "OUTCOME_WAITING",
    "PER_HOMES_AXIS",
    "PRESENTING",
    "REFERRALS_AXIS",
    "SCREEN",
    "SEPARATORS",
    "TEMPLATE",
    "TEXT_COLOUR",
    "Scale",
    "monthly_trend_lines",
    "needs_by_area_bar",
    "neighbourhood_area_stacked",
    "neighbourhood_need_heatmap",
    "network_gaps_bar",
    "referral_outcomes_bar",
]
