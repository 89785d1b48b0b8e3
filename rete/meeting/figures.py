"""A meeting slide's chart as a Plotly figure: the «Riunione» page on a 1920×1080 projector, and
the HTML file of the deck (`rete.meeting.html_deck`).

Read from the back of a room: text of 24 px or more everywhere (ticks, legend, numbers on the
bars, hovers), the app's font in dark text, Italian separators, no title (the page writes the
slide's title and headline above the chart). A figure only draws the deck: every number it
writes is a `Value.text`, and a hidden value is None in the figure's data (no bar, a gap in a
line, a blank cell), its text ("< 5", "n.d.") written where its bar or cell would be.

Shares (`number_kind="percent"`) are read as fractions (0.456 for "45,6%"), as
`rete.formats.percent` takes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go

from rete.charts.base import (
    AXIS_STYLE,
    FONT_FAMILY,
    PRESENTING,
    SEPARATORS,
    TEMPLATE,
    TEXT_COLOUR,
    _count_ticks,
    _Draft,
    _plain,
    _reversed_categories,
)
from rete.meeting.model import Chart, Slide, Value, summed

DEFAULT_HEIGHT = 640
FONT_SIZE = 24  # the smallest text on the projector
WHITE = "#FFFFFF"
# The matrix's neutral blue scale: its palest shade is not white, so a hidden (blank) cell
# never reads as a small value. The «Altri…» row and column sum many places or needs: a
# neutral grey, off the scale, which is made from the other cells (else they are the only
# dark cells and every place's cell is pale).
HEAT_LOW = "#DCE9F5"
HEAT_HIGH = "#08306B"
OTHERS_GREY = "#E6E6E6"
# A stacked segment carries its number when the number fits in it on a plot this wide (px):
# less than a stacked chart's plot has beside its labels on a 1440-px screen.
NARROWEST_PLOT = 600
DIGIT_WIDTH = 0.6  # a character's width over the type size, generous
TEXT_PAD = 6  # px plotly keeps around a text inside a bar


def slide_figure(slide: Slide, height: int = DEFAULT_HEIGHT) -> go.Figure | None:
    """The chart of `slide`, `height` pixels tall, or None for a slide without one (tiles or
    lines of text)."""
    chart = slide.chart
    if chart is None:
        return None
    fig = _layout(height)
    _BUILDERS[chart.kind](chart, fig)
    return fig.figure()


def _layout(height: int) -> _Draft:
    """What every meeting chart shares: Rete's look at the projector's sizes, no title."""
    fig = _Draft()
    fig.update_layout(
        template=TEMPLATE,
        separators=SEPARATORS,
        font={"family": FONT_FAMILY, "size": FONT_SIZE, "color": TEXT_COLOUR},
        hoverlabel={"font": {"size": FONT_SIZE, "family": FONT_FAMILY}},
        height=height,
        margin={"l": 10, "r": 40, "t": 20, "b": 10, "autoexpand": True},
        paper_bgcolor=WHITE,
        plot_bgcolor=WHITE,
        showlegend=False,
        xaxis=_axis(),
        yaxis=_axis(),
    )
    return fig


# A new dictionary on every call: `_Draft` merges later changes into the one it was given.


def _axis() -> dict[str, Any]:
    return {**AXIS_STYLE, "title": {"font": {"size": FONT_SIZE}}}


def _font() -> dict[str, Any]:
    return {"size": FONT_SIZE, "color": TEXT_COLOUR}


def _legend_below() -> dict[str, Any]:
    """A legend under the chart, in figure coordinates: plotly reserves the room it takes."""
    return {
        "orientation": "h",
        "xref": "container",
        "yref": "container",
        "x": 0,
        "xanchor": "left",
        "y": 0,
        "yanchor": "bottom",
        "title": {"text": ""},
        "font": {"size": FONT_SIZE},
        "traceorder": "normal",
    }


# --- Values


def _numbers(values: Sequence[Value]) -> list[float | None]:
    """What the figure's data holds: the number, None for a hidden value."""
    return [value.number for value in values]


def _labels(values: Sequence[Value]) -> list[str]:
    """The text written on each shown point; a hidden one has no bar or point to carry it."""
    return ["" if value.hidden else _plain(value.text) for value in values]


def _hover_texts(values: Sequence[Value]) -> list[str]:
    return [_plain(value.text) for value in values]


def _largest(numbers: Sequence[float | None]) -> float:
    return max((number for number in numbers if number is not None), default=0.0)


def _value_axis(chart: Chart, maximum: float) -> dict[str, Any]:
    """The value axis: counts and days in whole numbers, rates with up to one decimal, shares
    as whole percentages."""
    axis: dict[str, Any] = {"title_text": _plain(chart.value_title), "rangemode": "tozero"}
    if chart.number_kind == "rate":
        axis["tickformat"] = ",.1~f"
    elif chart.number_kind == "percent":
        axis["tickformat"] = ".0%"
    else:
        axis.update(_count_ticks(maximum))
    return axis


def _every_tick(categories: Sequence[str]) -> dict[str, Any]:
    """A tick and its label for every category: plotly's automatic ticks drop every other
    label when they are crowded (a neighbourhood, a month would have no name)."""
    return {"tickmode": "array", "tickvals": list(categories), "ticktext": list(categories)}


def _category_axis(categories: Sequence[str], title: str | None) -> dict[str, Any]:
    """A category axis in the deck's order (left to right), every category labelled."""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": list(categories),
        "title_text": title,
        "showgrid": False,
        **_every_tick(categories),
    }


def _listed_categories(categories: Sequence[str]) -> dict[str, Any]:
    """A category axis listing the labels from the top down, every one labelled."""
    return {**_reversed_categories(categories), **_every_tick(categories)}


# --- Bars


def _bars(chart: Chart, fig: _Draft) -> None:
    """One bar per category in its colour (`point_colours`, or the series'), its text at the
    end; a hidden value draws no bar and its text sits at the bar's base."""
    if len(chart.series) != 1:
        raise ValueError(f"a {chart.kind} chart draws one series, not {len(chart.series)}")
    (series,) = chart.series
    horizontal = chart.kind == "hbar"
    categories = [_plain(category) for category in chart.categories]
    numbers = _numbers(series.values)
    category_key, value_key = ("y", "x") if horizontal else ("x", "y")
    fig.add_trace(
        {
            "type": "bar",
            category_key: categories,
            value_key: numbers,
            "orientation": "h" if horizontal else "v",
            "name": _plain(series.name),
            "marker": {"color": list(chart.point_colours or [series.colour] * len(numbers))},
            "text": _labels(series.values),
            "textposition": "outside",
            "textangle": 0,
            "textfont": _font(),
            "constraintext": "none",  # never shrunk below the projector's size
            "cliponaxis": False,
            "hovertemplate": (
                f"<b>%{{{category_key}}}</b><br>{_plain(chart.value_title)}: %{{text}}"
                "<extra></extra>"
            ),
        }
    )
    for category, value in zip(categories, series.values, strict=True):
        if value.hidden:
            fig.add_annotation(**_at_base(category, value, horizontal))
    value_axis = _value_axis(chart, _largest(numbers))
    if horizontal:
        fig.update_layout(bargap=0.3)
        fig.update_yaxes(title_text=None, **_listed_categories(categories))
        fig.update_xaxes(**value_axis)
    else:
        fig.update_layout(bargap=0.35)
        fig.update_xaxes(**_category_axis(categories, _plain(chart.category_title)))
        fig.update_yaxes(**value_axis)


def _at_base(category: str, value: Value, horizontal: bool) -> dict[str, Any]:
    """An annotation with a hidden value's text at the base of its (undrawn) bar."""
    place = (
        {"x": 0, "y": category, "xanchor": "left", "xshift": 6}
        if horizontal
        else {"x": category, "y": 0, "yanchor": "bottom", "yshift": 6}
    )
    return {
        **place,
        "xref": "x",
        "yref": "y",
        "text": _plain(value.text),
        "showarrow": False,
        "font": _font(),
    }


def _stacked_bars(chart: Chart, fig: _Draft) -> None:
    """One horizontal bar per category, one segment per series in its colour, the legend under
    the chart; a hidden segment is left out (the slide's footnote says so), and a segment's
    number shows only where it fits at the projector's size (`_fits_segment`)."""
    categories = [_plain(category) for category in chart.categories]
    shown_totals = [sum(value.number or 0.0 for value in values) for _, values in chart.rows()]
    longest = _largest(shown_totals)
    for series in chart.series:
        fig.add_trace(
            {
                "type": "bar",
                "x": _numbers(series.values),
                "y": categories,
                "orientation": "h",
                "name": _plain(series.name),
                "marker": {"color": series.colour},
                "text": [
                    label if _fits_segment(value, longest) else ""
                    for label, value in zip(_labels(series.values), series.values, strict=True)
                ],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textangle": 0,  # plotly turns a text on its side to fit a thin segment
                "textfont": {"size": FONT_SIZE},
                "customdata": _hover_texts(series.values),
                "hovertemplate": "<b>%{y}</b><br>%{fullData.name}: %{customdata}<extra></extra>",
            }
        )
    fig.update_layout(
        barmode="stack",
        bargap=0.15,
        showlegend=True,
        legend=_legend_below(),
        # At 24 px whatever the bar's thickness: plotly's own test of a text's fit takes the
        # font's whole line height, taller than an 11-bar chart's bars on the page, and would
        # hide every number; which segments carry one is decided above, by their length.
        uniformtext={"minsize": FONT_SIZE, "mode": "show"},
    )
    fig.update_yaxes(title_text=None, **_listed_categories(categories))
    fig.update_xaxes(**_value_axis(chart, longest))


def _fits_segment(value: Value, longest: float) -> bool:
    """Whether a segment is long enough for its number on a `NARROWEST_PLOT` px plot whose
    longest bar is `longest`."""
    if value.number is None or longest <= 0:
        return False
    length = value.number / longest * NARROWEST_PLOT
    return length >= len(value.text) * FONT_SIZE * DIGIT_WIDTH + 2 * TEXT_PAD


# --- Lines


def _lines(chart: Chart, fig: _Draft) -> None:
    """One line per series in its colour, with markers; a hidden value is a gap in its line."""
    categories = [_plain(category) for category in chart.categories]
    for series in chart.series:
        fig.add_trace(
            {
                "type": "scatter",
                "x": categories,
                "y": _numbers(series.values),
                "mode": "lines+markers",
                "connectgaps": False,
                "name": _plain(series.name),
                "line": {"color": series.colour, "width": PRESENTING.line},
                "marker": {"color": series.colour, "size": PRESENTING.marker},
                "text": _hover_texts(series.values),
                "hovertemplate": "%{fullData.name}: %{text}<extra></extra>",
            }
        )
    every_number = [number for series in chart.series for number in _numbers(series.values)]
    fig.update_layout(hovermode="x unified", showlegend=True, legend=_legend_below())
    fig.update_xaxes(**_category_axis(categories, None))
    fig.update_yaxes(**_value_axis(chart, _largest(every_number)))


# --- Matrix


def _matrix(chart: Chart, fig: _Draft) -> None:
    """Categories (rows) × series (columns) shaded on a neutral blue scale, each cell's text
    written in it, dark or white, whichever reads better on its shade; the «Altri…» row and
    column grey, off the scale; a hidden cell is left blank with its text."""
    categories = [_plain(category) for category in chart.categories]
    columns = [_plain(series.name) for series in chart.series]
    rows = chart.rows()
    others = [
        [summed(category) or summed(series.name) for series in chart.series]
        for category in chart.categories
    ]
    grid = [_numbers(values) for _, values in rows]
    own = _cells_where(grid, others, False)
    top = max(_largest([number for row in own for number in row]), 1.0)
    cells = {
        "type": "heatmap",
        "x": columns,
        "y": categories,
        "showscale": False,  # every cell carries its number
        "xgap": 3,
        "ygap": 3,
        "hoverongaps": False,
        "customdata": [_hover_texts(values) for _, values in rows],
        "hovertemplate": "<b>%{y}</b><br>%{x}: %{customdata}<extra></extra>",
    }
    scale = [[0.0, HEAT_LOW], [1.0, HEAT_HIGH]]
    fig.add_trace({**cells, "z": own, "zmin": 0, "zmax": top, "colorscale": scale})
    if any(any(row) for row in others):
        grey = [[0.0, OTHERS_GREY], [1.0, OTHERS_GREY]]
        fig.add_trace({**cells, "z": _cells_where(grid, others, True), "colorscale": grey})
    for category, (_, values), sums in zip(categories, rows, others, strict=True):
        for column, value, summed_cell in zip(columns, values, sums, strict=True):
            colour = TEXT_COLOUR
            if value.number is not None and not summed_cell:
                colour = _text_on(value.number / top)
            fig.add_annotation(
                x=column,
                y=category,
                xref="x",
                yref="y",
                text=_plain(value.text),
                showarrow=False,
                font={"size": FONT_SIZE, "color": colour},
            )
    fig.update_yaxes(title_text=None, showgrid=False, **_listed_categories(categories))
    fig.update_xaxes(side="top", **_category_axis(columns, None))


def _cells_where(
    grid: Sequence[Sequence[float | None]], others: Sequence[Sequence[bool]], wanted: bool
) -> list[list[float | None]]:
    """The grid's numbers where a cell is (`wanted`) or is not a sum of «Altri…», None
    elsewhere: the blue and the grey heatmaps each draw their own cells."""
    return [
        [number if is_sum == wanted else None for number, is_sum in zip(row, sums, strict=True)]
        for row, sums in zip(grid, others, strict=True)
    ]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _shade(fraction: float) -> tuple[float, ...]:
    """The colour of the matrix's scale at `fraction` (0 to 1), as plotly blends it."""
    return tuple(
        low + (high - low) * fraction
        for low, high in zip(_rgb(HEAT_LOW), _rgb(HEAT_HIGH), strict=True)
    )


def _luminance(rgb: Sequence[float]) -> float:
    """WCAG's relative luminance of an sRGB colour (channels 0 to 255)."""
    linear = [
        channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
        for channel in (value / 255 for value in rgb)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _text_on(fraction: float) -> str:
    """White or the dark text colour, whichever contrasts more with the shade at `fraction`."""
    shade = _luminance(_shade(fraction))
    on_white = (_luminance(_rgb(WHITE)) + 0.05) / (shade + 0.05)
    on_dark = (shade + 0.05) / (_luminance(_rgb(TEXT_COLOUR)) + 0.05)
    return WHITE if on_white > on_dark else TEXT_COLOUR


_BUILDERS: dict[str, Callable[[Chart, _Draft], None]] = {
    "bar": _bars,
    "hbar": _bars,
    "stacked_hbar": _stacked_bars,
    "line": _lines,
    "matrix": _matrix,
}
