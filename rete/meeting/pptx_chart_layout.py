"""Where everything goes inside a PowerPoint chart's frame, worked out before it is drawn.

A viewer's automatic chart layout differs between programs and, when crowded, drops every
other category label. So the plot area, the legend, the category labels' size and turn, and
the value axis's maximum and step are set here from the labels' measured lengths
(`pptx_text`), and `pptx_charts` writes them into the file. Sizes are in points, from the
frame's top left corner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rete import formats
from rete.meeting.model import Chart, ChartKind, NumberKind
from rete.meeting.pptx_style import CHART_PT, LABEL_MIN_PT, PAD
from rete.meeting.pptx_text import line_height, text_width, widest_word, wrap

LABEL_SHARE = 0.45  # a horizontal bar chart's labels at 18 pt take at most this share…
LABEL_LINES = 3  # …and a vertical one's at most three lines, else they turn 45°
TURNED = 0.7071  # sin 45°


@dataclass(frozen=True)
class Rect:
    """A rectangle inside a chart's frame, in points from its top left corner."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class Axis:
    """The value axis: its round maximum and step, and how wide its widest tick is."""

    maximum: float
    step: float
    tick: float


@dataclass(frozen=True)
class Plan:
    """How a chart is drawn in its frame: as which kind (a bar chart whose labels would have
    to turn is drawn across), the plot area (without the axes' labels), the legend's place,
    the category labels' size, whether they are turned 45° and how many of them carry a label
    (1: every one), and the value axis."""

    kind: ChartKind
    plot: Rect
    legend: Rect | None
    label_pt: int
    turned: bool
    label_every: int
    axis: Axis


def plan_chart(chart: Chart, labels: Sequence[str], width: float, height: float) -> Plan:
    """The chart's layout in a frame `width` × `height` points: the legend across the
    bottom, the rest for the plot and its axes."""
    maximum, step = _scale(_largest(chart), chart.number_kind)
    axis = Axis(maximum, step, text_width(_tick_text(maximum, chart.number_kind), CHART_PT))
    names = [series.name for series in chart.series]
    legend = None
    if len(names) > 1:
        legend_height = _legend_height(names, width)
        legend = Rect(0.0, height - legend_height, width, legend_height)
        height -= legend_height
    if chart.kind in ("hbar", "stacked_hbar"):
        return _plan_across(chart, labels, width, height, legend, axis)
    upright = _plan_upright(chart, labels, width, height, legend, axis)
    if upright.turned and chart.kind == "bar":
        return _plan_across(chart, labels, width, height, legend, axis)
    return upright


def _scale(largest: float, kind: NumberKind) -> tuple[float, float]:
    """The value axis's maximum and step: a round step (1, 2 or 5 times a power of ten, whole
    for counts and days) giving at most five steps, and the first step at or past `largest`.
    Stated in the file, so that every program draws the same axis and a segment's length is
    known here."""
    if largest <= 0:
        return 1.0, 1.0
    power = 10.0 ** math.floor(math.log10(largest / 5))
    step = next(round(power * m, 12) for m in (1, 2, 5, 10) if power * m * 5 >= largest)
    if kind in ("count", "days"):
        step = max(step, 1.0)
    return math.ceil(largest / step - 1e-9) * step, step


def _tick_text(number: float, kind: NumberKind) -> str:
    """A value axis tick as the chart draws it (for its width)."""
    if kind == "percent":
        return formats.percent(number)
    return formats.number(number, 1 if kind == "rate" else 0)


def _largest(chart: Chart) -> float:
    """The value axis must reach the longest bar: a stacked bar's total of what is shown."""
    rows = [[value.number or 0.0 for value in values] for _, values in chart.rows()]
    if chart.kind == "stacked_hbar":
        return max((sum(row) for row in rows), default=0.0)
    return max((number for row in rows for number in row), default=0.0)


def _legend_height(names: Sequence[str], width: float) -> float:
    """A legend under the chart, in as many columns of its longest entry as fit the width."""
    entry = max(text_width(name, CHART_PT) for name in names) + line_height(CHART_PT) + 3 * PAD
    columns = max(1, min(len(names), math.floor(width / entry)))
    return math.ceil(len(names) / columns) * line_height(CHART_PT) + 2 * PAD


def _every(pitch: float, needed: float) -> int:
    """1 when labels `needed` points apart fit `pitch` apart, else every how many to label."""
    return max(1, math.ceil(needed / pitch - 1e-9)) if pitch > 0 else 1


def _plan_across(
    chart: Chart,
    labels: Sequence[str],
    width: float,
    height: float,
    legend: Rect | None,
    axis: Axis,
) -> Plan:
    """Horizontal bars: the labels in a column on the left, each on one line (LibreOffice
    breaks a label narrower than the column it is given, even inside a word), at 16 pt when
    18 pt would take more than `LABEL_SHARE` of the width; the value axis and its title under
    the bars."""
    plot_height = height - PAD - 2 * line_height(CHART_PT) - 3 * PAD
    pitch = plot_height / max(1, len(labels))
    size, column = CHART_PT, 0.0
    for size in (CHART_PT, LABEL_MIN_PT):
        column = max(text_width(label, size) for label in labels)
        if column <= width * LABEL_SHARE:
            break
    kind: ChartKind = "stacked_hbar" if chart.kind == "stacked_hbar" else "hbar"
    if kind == "hbar":  # the number past the end of the longest bar
        shown = [value.text for value in chart.series[0].values if not value.hidden]
        right = max((text_width(text, CHART_PT) for text in shown), default=0.0) + PAD
    else:
        right = axis.tick / 2 + PAD
    left = column + 3 * PAD
    plot = Rect(left, PAD, width - left - right, plot_height)
    return Plan(kind, plot, legend, size, False, _every(pitch, line_height(size)), axis)


def _plan_upright(
    chart: Chart,
    labels: Sequence[str],
    width: float,
    height: float,
    legend: Rect | None,
    axis: Axis,
) -> Plan:
    """Vertical bars and lines: the value axis's title and ticks on the left, the category
    labels under the plot, upright and wrapped when every word fits its category's width (at
    18 or 16 pt), else turned 45°; a bar's number above it."""
    left = line_height(CHART_PT) + axis.tick + 4 * PAD
    top = line_height(CHART_PT) + PAD if chart.kind == "bar" else line_height(CHART_PT) / 2
    plot_width = width - left - 2 * PAD
    slot = plot_width / max(1, len(labels)) - 2 * PAD
    for size in (CHART_PT, LABEL_MIN_PT):
        lines = max(len(wrap(label, size, slot)) for label in labels)
        if lines <= LABEL_LINES and all(widest_word(label, size) <= slot for label in labels):
            below = lines * line_height(size) + 2 * PAD
            plot = Rect(left, top, plot_width, height - top - below)
            return Plan(chart.kind, plot, legend, size, False, 1, axis)
    widest = max(text_width(label, CHART_PT) for label in labels)
    below = (widest + line_height(CHART_PT)) * TURNED + 2 * PAD
    every = _every(slot + 2 * PAD, line_height(CHART_PT) / TURNED)
    plot = Rect(left, top, plot_width, height - top - below)
    return Plan(chart.kind, plot, legend, CHART_PT, True, every, axis)
