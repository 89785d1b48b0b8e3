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
from rete.meeting.model import Chart, Slide, Value

DEFAULT_HEIGHT = 640
FONT_SIZE = 24  # the smallest text on the projector
WHITE = "#FFFFFF"
# The matrix's neutral blue scale: its palest shade is not white, so a hidden (blank) cell
# never reads as a small value.
HEAT_LOW = "#DCE9F5"
HEAT_HIGH = "#08306B"


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


def _category_axis(categories: Sequence[str], title: str | None) -> dict[str, Any]:
    """A category axis in the deck's order (left to right)."""
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": list(categories),
        "title_text": title,
        "showgrid": False,
    }


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
        fig.update_yaxes(title_text=None, **_reversed_categories(categories))
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
    the chart; a hidden segment is left out (the slide's footnote says so), and a segment's text
    shows only where it fits at the projector's size."""
    categories = [_plain(category) for category in chart.categories]
    for series in chart.series:
        fig.add_trace(
            {
                "type": "bar",
                "x": _numbers(series.values),
                "y": categories,
                "orientation": "h",
                "name": _plain(series.name),
                "marker": {"color": series.colour},
                "text": _labels(series.values),
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textangle": 0,  # plotly turns a text on its side to fit a thin segment
                "textfont": {"size": FONT_SIZE},
                "hovertemplate": "<b>%{y}</b><br>%{fullData.name}: %{text}<extra></extra>",
            }
        )
    shown_totals = [sum(value.number or 0.0 for value in values) for _, values in chart.rows()]
    fig.update_layout(
        barmode="stack",
        bargap=0.2,  # thick enough to carry a segment's text
        showlegend=True,
        legend=_legend_below(),
        uniformtext={"minsize": FONT_SIZE, "mode": "hide"},
    )
    fig.update_yaxes(title_text=None, **_reversed_categories(categories))
    fig.update_xaxes(**_value_axis(chart, _largest(shown_totals)))


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
    written in it, dark or white, whichever reads better on its shade; a hidden cell is left
    blank with its text."""
    categories = [_plain(category) for category in chart.categories]
    columns = [_plain(series.name) for series in chart.series]
    rows = chart.rows()
    grid = [_numbers(values) for _, values in rows]
    top = max(_largest([number for row in grid for number in row]), 1.0)
    fig.add_trace(
        {
            "type": "heatmap",
            "z": grid,
            "x": columns,
            "y": categories,
            "zmin": 0,
            "zmax": top,
            "colorscale": [[0.0, HEAT_LOW], [1.0, HEAT_HIGH]],
            "showscale": False,  # every cell carries its number
            "xgap": 3,
            "ygap": 3,
            "hoverongaps": False,
            "customdata": [_hover_texts(values) for _, values in rows],
            "hovertemplate": "<b>%{y}</b><br>%{x}: %{customdata}<extra></extra>",
        }
    )
    for category, (_, values) in zip(categories, rows, strict=True):
        for column, value in zip(columns, values, strict=True):
            colour = TEXT_COLOUR if value.number is None else _text_on(value.number / top)
            fig.add_annotation(
                x=column,
                y=category,
                xref="x",
                yref="y",
                text=_plain(value.text),
                showarrow=False,
                font={"size": FONT_SIZE, "color": colour},
            )
    fig.update_yaxes(title_text=None, showgrid=False, **_reversed_categories(categories))
    fig.update_xaxes(side="top", **_category_axis(columns, None))


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
