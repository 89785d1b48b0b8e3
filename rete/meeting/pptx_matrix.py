"""A matrix slide (places × needs) as a PowerPoint table shaded by value: PowerPoint has no
heatmap. The table fills the band between the headline and the footnote: the places' column as
wide as its longest name, the needs' names across or turned upright in measured lines, the
rows sharing the height the header leaves, at the largest type that fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.slide import Slide as PptxSlide
from pptx.table import _Cell
from pptx.util import Emu, Inches, Pt

from rete.meeting.model import Chart, Value, summed
from rete.meeting.pptx_style import (
    CHART_PT,
    CONTENT_WIDTH,
    HEADER_MIN_PT,
    INK,
    LABEL_MIN_PT,
    MARGIN,
    MUTED,
    PAD,
    WHITE,
    Box,
    Line,
    fill_text,
    readable_on,
    solid_fill,
)
from rete.meeting.pptx_text import line_height, narrowest, points, text_width, widest_word, wrap

# A neutral blue scale; grey for a hidden cell and, lighter, for the «Altri…» row and column
# (sums of many places or needs, off the blue scale).
HIDDEN_FILL = "E3E3E3"
OTHERS_FILL = "F0F0F0"
BLUE_LIGHT = (0xDE, 0xEB, 0xF7)
BLUE_DARK = (0x08, 0x51, 0x9C)

CELL_INSET = Inches(0.04)
ROW_MAX = Inches(0.6)


@dataclass(frozen=True)
class Grid:
    """The matrix table's measures (EMU and points): the first column's width, the header's
    height and whether its text is turned upright (read bottom to top), each row's height, the
    type sizes of the body and the header, and whether it all fits the body."""

    first_width: int
    header_height: int
    upright: bool
    row_height: int
    body_pt: int
    header_pt: int
    fits: bool


def add_matrix(page: PptxSlide, chart: Chart, body: Box) -> None:
    """A table filling the body: rows are categories, columns series, each cell shaded by its
    value on a blue scale made from the places' and needs' own cells; the «Altri…» row and
    column (sums, larger than any cell) light grey, off the scale; a hidden cell grey with its
    text."""
    rows = chart.rows()
    top = max(
        (
            value.number
            for category, values in rows
            if not summed(category)
            for series, value in zip(chart.series, values, strict=True)
            if value.number is not None and not summed(series.name)
        ),
        default=0.0,
    )
    grid = _grid(chart, body)
    height = grid.header_height + grid.row_height * len(rows)
    shape = page.shapes.add_table(
        len(rows) + 1,
        len(chart.series) + 1,
        MARGIN,
        Emu(body.top),
        CONTENT_WIDTH,
        Emu(height),
    )
    table = shape.table
    table.horz_banding = False
    table.first_row = False  # the header is styled here, not by the table style
    table.columns[0].width = Emu(grid.first_width)
    for index in range(1, len(chart.series) + 1):
        table.columns[index].width = Emu((CONTENT_WIDTH - grid.first_width) // len(chart.series))
    table.rows[0].height = Emu(grid.header_height)
    for index in range(1, len(rows) + 1):
        table.rows[index].height = Emu(grid.row_height)
    _cell(table.cell(0, 0), [chart.category_title], grid.header_pt, WHITE, INK, MSO_ANCHOR.BOTTOM)
    for index, series in enumerate(chart.series, start=1):
        _header_cell(table.cell(0, index), series.name, grid)
    for row_index, (category, values) in enumerate(rows, start=1):
        _cell(table.cell(row_index, 0), [category], grid.body_pt, WHITE, INK)
        for column_index, value in enumerate(values, start=1):
            others = summed(category) or summed(chart.series[column_index - 1].name)
            fill, ink = _cell_colours(value, top, others)
            cell = table.cell(row_index, column_index)
            _cell(cell, [value.text], grid.body_pt, fill, ink, align=PP_ALIGN.CENTER)


def _grid(chart: Chart, body: Box) -> Grid:
    """The table at the largest type that fits the body: 18 pt in the body and 16 in the
    header, else 16 and 14 (the last also when nothing fits)."""
    grids = [
        _grid_at(chart, body, body_pt, header_pt)
        for body_pt, header_pt in ((CHART_PT, LABEL_MIN_PT), (LABEL_MIN_PT, HEADER_MIN_PT))
    ]
    return next((grid for grid in grids if grid.fits), grids[-1])


def _grid_at(chart: Chart, body: Box, body_pt: int, header_pt: int) -> Grid:
    """The table's measures at these sizes: the places' column as wide as its longest name,
    the needs' columns sharing the rest, their names across when every word fits a column,
    else turned upright in as many lines as a column holds; the rows share what the header
    leaves of the body."""
    names = [series.name for series in chart.series]
    inset = 2 * points(CELL_INSET)  # left and right; a cell has none above and below
    first = inset + max(
        text_width(chart.category_title, header_pt),
        *(text_width(category, body_pt) for category in chart.categories),
    )
    column = (points(CONTENT_WIDTH) - first) / max(1, len(names)) - inset
    upright = any(widest_word(name, header_pt) > column for name in names)
    if upright:
        lines = max(1, math.floor(column / line_height(header_pt)))
        header = max(narrowest(name, header_pt, lines) for name in names) + PAD
    else:
        header = max(len(wrap(name, header_pt, column)) for name in names) * line_height(header_pt)
    row = (points(body.height) - header) / max(1, len(chart.categories))
    fits = row >= line_height(body_pt)
    height = min(ROW_MAX, Pt(max(row, line_height(body_pt))))
    return Grid(Pt(first), Pt(header), upright, height, body_pt, header_pt, fits)


def _header_cell(cell: _Cell, name: str, grid: Grid) -> None:
    """A need's name over its column: across, or turned to read upwards in the lines measured
    for it (LibreOffice does not break a turned text at the row's height: it grows the row)."""
    if not grid.upright:
        _cell(cell, [name], grid.header_pt, WHITE, INK, MSO_ANCHOR.BOTTOM, PP_ALIGN.CENTER)
        return
    lines = wrap(name, grid.header_pt, points(grid.header_height) - PAD)
    _cell(cell, lines, grid.header_pt, WHITE, INK, MSO_ANCHOR.MIDDLE)
    cell._tc.get_or_add_tcPr().set("vert", "vert270")


def _cell_colours(value: Value, top: float, others: bool) -> tuple[str, str]:
    """A cell's fill and ink: grey for a hidden value, light grey for a sum of «Altri…», else
    its blue on the scale up to `top`."""
    if value.number is None:
        return HIDDEN_FILL, MUTED
    if others:
        return OTHERS_FILL, INK
    fill = _shade(value.number, top)
    return fill, readable_on(fill)


def _shade(number: float, top: float) -> str:
    """The blue of a cell: lighter to darker as its value goes from 0 to the largest shown."""
    share = min(number / top, 1.0) if top > 0 else 0.0
    return "".join(
        f"{round(light + (dark - light) * share):02X}"
        for light, dark in zip(BLUE_LIGHT, BLUE_DARK, strict=True)
    )


def _cell(
    cell: _Cell,
    texts: Sequence[str],
    size: int,
    fill: str,
    ink: str,
    anchor: MSO_ANCHOR = MSO_ANCHOR.MIDDLE,
    align: PP_ALIGN = PP_ALIGN.LEFT,
) -> None:
    """A table cell: its fill, and its text in `texts`' lines; no space above and below."""
    solid_fill(cell.fill, fill)
    cell.vertical_anchor = anchor
    cell.margin_left = cell.margin_right = CELL_INSET
    cell.margin_top = cell.margin_bottom = Emu(0)
    fill_text(cell.text_frame, [Line(text, size, colour=ink) for text in texts], align)
