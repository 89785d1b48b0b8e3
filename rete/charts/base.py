"""What every Rete chart shares: the look, the sizes, the helpers the builders draft with.

Every figure reads the same on a laptop and on a projector: Italian labels and number formats
(`separators=",."` with explicit `hovertemplate`/`texttemplate` formats, so 1234 shows as 1.234),
whole numbers only on the axes and colour bars of counts, month names from our own labels on a
category axis (not plotly's English dates), one colour per area everywhere (a specific need is
drawn in its area's colour) and a palette of their own for referral outcomes, a sober white
template, the app's own font at 16 px or more. The title sits at the top of the figure and the
legend under it, both in figure coordinates, above the plot: plotly reserves the room they
really take (automargin), so however many rows a legend wraps to, it never covers the title or
the plot. Names from the data (partners, neighbourhoods, needs) are drawn as plain text, never
as plotly's HTML-like markup.

Every public builder takes `presenting=True` for a meeting room: larger text, taller bars
(`Scale`). A builder starts from `_italian_layout(_Draft(), title, _scale(presenting))`, returns
`_empty(fig)` when there is nothing to draw, and ends with `fig.figure()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from rete.taxonomy import FALLBACK_COLOUR

# No plotly template: "plotly_white" costs ~20 ms to validate per figure and ~8 KB of JSON per
# chart for the browser to read; the few things it gave (white background, light grid, no
# dark zero line) are set here, and every colour of every trace is Rete's own.
TEMPLATE = "none"
GRID_COLOUR = "#EBF0F8"
AXIS_STYLE = {
    "gridcolor": GRID_COLOUR,
    "zerolinecolor": GRID_COLOUR,
    "showline": False,
    "ticks": "",
    "automargin": True,
}
SEPARATORS = ",."  # decimal comma, thousands dot
# The font Streamlit 1.67 draws its body text in (its theme's `sansSerif`, served with the app),
# so a chart reads as part of the page.
FONT_FAMILY = '"Source Sans", "Source Sans Pro", sans-serif'
TEXT_COLOUR = "#10171f"  # .streamlit/config.toml's textColor
EMPTY_MESSAGE = "Nessun dato per i filtri scelti"
NOT_KNOWN = "n.d."
COUNT_FORMAT = ",d"  # whole numbers with the thousands dot: 1.234


@dataclass(frozen=True)
class Scale:
    """Sizes in pixels: text, and the room a bar or a heatmap row takes."""

    font: int  # ticks, legend, hover labels, annotations, colour bar, numbers on bars
    title: int
    cell: int  # numbers inside heatmap cells
    row: int  # one bar of a horizontal bar chart
    heat_row: int  # one row of the heatmap
    chrome: int  # title, legend and axis title around the bars
    min_height: int
    line: int  # width of a trend line
    marker: int


SCREEN = Scale(
    font=16, title=22, cell=16, row=36, heat_row=30, chrome=200, min_height=420, line=3, marker=8
)
PRESENTING = Scale(
    font=22, title=28, cell=22, row=52, heat_row=40, chrome=280, min_height=560, line=5, marker=12
)

NEEDS_AXIS = "Bisogni"
PER_HOMES_AXIS = "Bisogni ogni 100 alloggi ALER"
REFERRALS_AXIS = "Segnalazioni"

# Referral fates, stacked in this order; together they add up to the referrals sent. A palette
# of their own, no colour shared with the areas (data/categorie.csv uses Okabe–Ito): good in
# green, bad in brown, in progress in indigo, waiting grey, overdue a warning ochre, refused
# purple, cancelled dark grey. Every one is at least 3:1 against white (WCAG's non-text
# contrast), and neighbours stay apart under deuteranopia, protanopia and tritanopia
# (simulated; CIELAB distance ≥ 11).
OUTCOME_POSITIVE = "Esito positivo"
OUTCOME_NEGATIVE = "Esito negativo"
OUTCOME_IN_CHARGE = "Presa in carico"
OUTCOME_WAITING = "In attesa di risposta"
OUTCOME_OVERDUE = "In ritardo"
OUTCOME_REFUSED = "Rifiutata"
OUTCOME_CANCELLED = "Annullata"
OUTCOME_COLOURS = {
    OUTCOME_POSITIVE: "#117733",  # green
    OUTCOME_NEGATIVE: "#A6611A",  # muted brown
    OUTCOME_IN_CHARGE: "#332288",  # indigo
    OUTCOME_WAITING: "#949494",  # mid grey
    OUTCOME_OVERDUE: "#AD9000",  # ochre: a warning
    OUTCOME_REFUSED: "#AA4499",  # purple
    OUTCOME_CANCELLED: "#3B3B3B",  # dark grey
}


def _plain(text: object) -> str:
    """A name from the data (a partner, a neighbourhood, a need) as plain text: plotly reads
    tags such as <b> or <br> in any text it draws, and shows entities such as &lt; as the
    character."""
    return escape(str(text), quote=False)


# Property groups whose "group_name" keyword means {"group": {"name": ...}} (plotly's "magic
# underscore"), as the builders below use them.
_GROUPS = ("legend", "title", "marker")


def _merge(into: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Merge `changes` into `into` as plotly's `update_*` do: nested dictionaries merge, any
    other value replaces; "legend_y" means {"legend": {"y": ...}}."""
    for key, value in changes.items():
        group, _, name = key.partition("_")
        if name and group in _GROUPS:
            key, value = group, {name: value}
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


class _Draft:
    """A figure being put together, as plain data: plotly validates a `go.Figure` on every
    `update_*` call (about 40 ms of a figure's 50 ms here), so the builders collect the layout
    and the traces and make the figure once, at the end (`figure`)."""

    def __init__(self) -> None:
        self.data: list[Any] = []
        self.layout: dict[str, Any] = {}

    def update_layout(self, **changes: Any) -> None:
        _merge(self.layout, changes)

    def update_xaxes(self, **changes: Any) -> None:
        _merge(self.layout, {"xaxis": changes})

    def update_yaxes(self, **changes: Any) -> None:
        _merge(self.layout, {"yaxis": changes})

    def add_trace(self, trace: Any) -> None:
        self.data.append(trace)

    def add_annotation(self, **annotation: Any) -> None:
        self.layout.setdefault("annotations", []).append(annotation)

    def figure(self) -> go.Figure:
        return go.Figure(data=self.data, layout=self.layout)


def _scale(presenting: bool) -> Scale:
    return PRESENTING if presenting else SCREEN


def _italian_layout(fig: _Draft, title: str, scale: Scale) -> _Draft:
    """The look every Rete chart shares."""
    fig.update_layout(
        template=TEMPLATE,
        separators=SEPARATORS,
        title={
            "text": _plain(title),
            "x": 0,
            "xanchor": "left",
            # At the top of the figure, and the plot (legend included) starts below it.
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": scale.font // 2, "l": 4},
            "automargin": True,
            "font": {"size": scale.title, "family": FONT_FAMILY, "color": TEXT_COLOUR},
        },
        font={"family": FONT_FAMILY, "size": scale.font, "color": TEXT_COLOUR},
        legend={
            "orientation": "h",
            # Under the title, in figure coordinates (placed by `_set_height`): plotly then
            # reserves the top of the figure down to the legend's real bottom, however many
            # rows it wraps to, and draws the plot below. A legend placed on the plot (y=1 of
            # the plot) is not moved again when the plot moves after a resize, and then
            # covers the title.
            "xref": "container",
            "yref": "container",
            "x": 0,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "title": {"text": ""},
            "font": {"size": scale.font},
            "traceorder": "normal",  # stacked bars would otherwise list their areas backwards
        },
        hoverlabel={"font": {"size": scale.font, "family": FONT_FAMILY}},
        margin={"l": 10, "r": 30, "t": 10, "b": 10, "autoexpand": True},
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis=AXIS_STYLE,
        yaxis=AXIS_STYLE,
    )
    return fig


def _empty(fig: _Draft, message: str = EMPTY_MESSAGE) -> go.Figure:
    """A figure with nothing to draw says so (`message`) instead of showing empty axes."""
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig.figure()


def _height(rows: int, scale: Scale) -> int:
    return max(scale.min_height, scale.chrome + scale.row * rows)


def _title_room(scale: Scale) -> int:
    """Pixels from the top of the figure to just under the title (one line of text)."""
    return scale.font // 2 + round(1.5 * scale.title)


def _set_height(fig: _Draft, height: int, scale: Scale) -> None:
    """The figure's height, and the legend right under the title."""
    fig.update_layout(height=height, legend_y=1 - _title_room(scale) / height)


def _integer_step(maximum: float) -> int | None:
    """A whole-number tick step for counts up to `maximum`, where plotly's own step could be a
    fraction (it aims at up to ten ticks: below about ten it picks 0,5 or 0,2 and a whole-number
    format would repeat labels, "0 1 1 2 2"). None from 40 up: plotly's step is whole there."""
    for step in (1, 2, 5):
        if maximum <= 8 * step:
            return step
    return None


def _count_ticks(maximum: float) -> dict[str, Any]:
    """Axis or colour bar settings for counts: whole numbers only, 1.234 with the thousands dot."""
    ticks: dict[str, Any] = {"tickformat": COUNT_FORMAT}
    step = _integer_step(maximum)
    if step is not None:
        ticks.update(tickmode="linear", tick0=0, dtick=step)
    return ticks


def _count_axis(maximum: float, title: str | None) -> dict[str, Any]:
    return {"title_text": title, "rangemode": "tozero", **_count_ticks(maximum)}


def _area_sequence(df: pd.DataFrame, area_order: Sequence[str]) -> list[str]:
    """The areas present in the frame, in the taxonomy's order (unknown ones last)."""
    present = list(dict.fromkeys(df["area"]))
    return [area for area in area_order if area in present] + [
        area for area in present if area not in area_order
    ]


def _area_colour(df: pd.DataFrame, area: str, area_colours: Mapping[str, str]) -> str:
    if area in area_colours:
        return area_colours[area]
    colours = df.loc[df["area"] == area, "colour"]
    return str(colours.iloc[0]) if len(colours) else FALLBACK_COLOUR


def _reversed_categories(labels: Sequence[str]) -> dict[str, Any]:
    """A category axis that lists the labels from the top down, in the given order."""
    return {
        "categoryorder": "array",
        "categoryarray": list(labels),
        "autorange": "reversed",
        "ticksuffix": "  ",  # a little air between a label and its bar
    }


def _add_totals(
    fig: _Draft, totals: Sequence[Any], labels: Sequence[str], decimal: bool = False
) -> None:
    """The total at the end of each stacked horizontal bar (one decimal for a rate)."""
    fig.add_trace(
        dict(  # a scatter trace
            type="scatter",
            x=list(totals),
            y=list(labels),
            mode="text",
            texttemplate="  %{x:,.1f}" if decimal else "  %{x:,.0f}",
            textposition="middle right",
            cliponaxis=False,
            hoverinfo="skip",
            showlegend=False,
        )
    )
