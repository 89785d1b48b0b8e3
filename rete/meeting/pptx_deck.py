"""The meeting deck as a PowerPoint file: one 16:9 slide per `Slide`, native editable charts.

Every chart is a PowerPoint chart carrying its data (the presenter can restyle it or read its
numbers with «Modifica dati»), the matrix a PowerPoint table shaded by value. A hidden value is
a blank in the chart's data, never a number: its text ("< 5", "n.d.") goes into the category
label of a one-series chart, or into the footnote of a chart with several series.

Numbers read in Italian whatever the viewer's locale. A plain `#,##0` follows the viewer
(1,234 in an English LibreOffice, 1 234 in a French one), so:
- counts and days use literal dots, `[>=1000]#"."###`: a literal is drawn as it is by every
  program;
- rates and shares need a decimal comma, which no literal can give: `[$-410]` (Italian) pins
  the format's locale, and LibreOffice then draws 12,3 and 45,6% in any locale. PowerPoint
  keeps its own separators under `[$-410]` (an English Office shows 12.3).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from openpyxl import Workbook
from pptx import Presentation
from pptx.chart.chart import Chart as PptxChart
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.dml.fill import FillFormat
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
)
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.parts.coreprops import CorePropertiesPart
from pptx.shapes.graphfrm import GraphicFrame
from pptx.slide import Slide as PptxSlide
from pptx.table import _Cell
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Inches, Pt

from rete import formats
from rete.export import append_xlsx_row
from rete.meeting.model import Chart, ChartKind, Deck, NumberKind, Slide, Tile

# Counts and days: literal dots (1.234, 1.234.567) that no locale can change.
COUNT_FORMAT = '[>=1000000]#"."###"."###;[>=1000]#"."###;0'
NUMBER_FORMATS: dict[NumberKind, str] = {
    "count": COUNT_FORMAT,
    "days": COUNT_FORMAT,
    "rate": "[$-410]#,##0.0",
    "percent": "[$-410]#,##0.0%",  # Value.number is a share (0.456), as formats.percent takes
}

CHART_TYPES: dict[ChartKind, XL_CHART_TYPE] = {
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "hbar": XL_CHART_TYPE.BAR_CLUSTERED,
    "stacked_hbar": XL_CHART_TYPE.BAR_STACKED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
}

# Type sizes for a projector, read from the back of the room.
TITLE_PT = 36
COVER_TITLE_PT = 44
HEADLINE_PT = 26
LINE_PT = 24
CHART_PT = 18  # axes, data labels, legend, table cells
FOOTNOTE_PT = 14
TILE_LABEL_PT = 20
TILE_VALUE_PT = 48

# Dark text on white; a neutral blue scale for the matrix; grey for a hidden cell.
INK = "1A1A1A"
MUTED = "404040"
WHITE = "FFFFFF"
GRID = "D9D9D9"
TILE_FILL = "F2F5F9"
TILE_LINE = "C5D0DC"
HIDDEN_FILL = "E3E3E3"
BLUE_LIGHT = (0xDE, 0xEB, 0xF7)
BLUE_DARK = (0x08, 0x51, 0x9C)

# The page: 16:9, margins, and the bands every data slide shares.
SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_WIDTH = Emu(SLIDE_WIDTH - 2 * MARGIN)
BODY_TOP, BODY_HEIGHT = Inches(2.15), Inches(4.55)


@dataclass(frozen=True)
class Box:
    """Where a text box goes: its top and height, across the page between the margins."""

    top: int
    height: int


TITLE = Box(Inches(0.35), Inches(0.75))
HEADLINE = Box(Inches(1.1), Inches(1.0))
FOOTNOTE = Box(Inches(6.8), Inches(0.55))
LINES = Box(BODY_TOP, Inches(4.75))
COVER_TITLE = Box(Inches(1.4), Inches(1.2))
COVER_HEADLINE = Box(Inches(2.6), Inches(1.0))
COVER_LINES = Box(Inches(3.6), Inches(3.3))

# A footnote listing the hidden values of a multi-series chart stays within two lines;
# past that it counts them and the notes list them.
FOOTNOTE_MAX_CHARS = 220


@dataclass(frozen=True)
class Line:
    """A paragraph of a text box: its text and type."""

    text: str
    size: int
    bold: bool = False
    colour: str = INK


def deck_pptx(deck: Deck) -> bytes:
    """The deck as a .pptx file: one slide per `Slide`, in the deck's order."""
    presentation = Presentation()
    presentation.slide_width = SLIDE_WIDTH
    presentation.slide_height = SLIDE_HEIGHT
    blank = presentation.slide_layouts[6]
    for index, slide in enumerate(deck.slides):
        page = presentation.slides.add_slide(blank)
        _draw(page, slide, deck, cover=index == 0)
        page.notes_slide.notes_text_frame.text = _notes(slide)
    _set_properties(presentation.core_properties, deck)
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def _set_properties(properties: CorePropertiesPart, deck: Deck) -> None:
    """Title of the file, nothing about who made it (the template names its own author)."""
    properties.title = f"{deck.network} · {deck.period_label}"
    properties.subject = deck.territory_label
    properties.author = ""
    properties.last_modified_by = ""
    properties.comments = ""
    properties.language = "it-IT"
    properties.created = properties.modified = dt.datetime.combine(deck.data_date, dt.time())


def _draw(page: PptxSlide, slide: Slide, deck: Deck, cover: bool) -> None:
    if cover and slide.lines:
        _cover(page, slide, deck)
        return
    _heading(page, slide)
    if slide.lines:
        _text_box(page, LINES, [Line(text, LINE_PT) for text in slide.lines])
    elif slide.chart is not None and slide.chart.kind == "matrix":
        _matrix(page, slide.chart)
    elif slide.chart is not None:
        _chart(page, slide.chart)
    elif slide.tiles:
        _tiles(page, slide.tiles)
    footnote = _footnote(slide)
    if footnote:
        _text_box(page, FOOTNOTE, [Line(footnote, FOOTNOTE_PT, colour=MUTED)])


# --- Text


def _text_box(
    page: PptxSlide, box: Box, lines: Sequence[Line], align: PP_ALIGN = PP_ALIGN.LEFT
) -> None:
    shape = page.shapes.add_textbox(MARGIN, Emu(box.top), CONTENT_WIDTH, Emu(box.height))
    _fill_text(shape.text_frame, lines, align)


def _fill_text(frame: TextFrame, lines: Sequence[Line], align: PP_ALIGN) -> None:
    """Each line a paragraph of plain text (python-pptx escapes it; no field, no link)."""
    frame.word_wrap = True
    for index, line in enumerate(lines):
        if index:
            frame.add_paragraph()  # type: ignore[no-untyped-call]
        paragraph = frame.paragraphs[index]
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line.text
        _style(run.font, line.size, line.colour, line.bold)
        run.font.language_id = MSO_LANGUAGE_ID.ITALIAN


def _style(font: Font, size: int, colour: str = INK, bold: bool = False) -> None:
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = _rgb(colour)


def _heading(page: PptxSlide, slide: Slide) -> None:
    _text_box(page, TITLE, [Line(slide.title, TITLE_PT, bold=True)])
    _text_box(page, HEADLINE, [Line(slide.headline, HEADLINE_PT)])


def _cover_lines(slide: Slide, deck: Deck) -> tuple[str, ...]:
    """The title slide's lines, plus whichever of network, period, territory and date of the
    data its texts do not already say: a deck always says what it is about."""
    said = " ".join((slide.title, slide.headline, *slide.lines)).casefold()
    facts = (
        deck.network,
        deck.period_label,
        deck.territory_label,
        f"Dati al {formats.date(deck.data_date)}",
    )
    return (*slide.lines, *(fact for fact in facts if fact.casefold() not in said))


def _cover(page: PptxSlide, slide: Slide, deck: Deck) -> None:
    """The title slide: a large title, centred, and what the deck is about."""
    lines = [Line(text, LINE_PT, colour=MUTED) for text in _cover_lines(slide, deck)]
    centred = PP_ALIGN.CENTER
    _text_box(page, COVER_TITLE, [Line(slide.title, COVER_TITLE_PT, bold=True)], centred)
    _text_box(page, COVER_HEADLINE, [Line(slide.headline, HEADLINE_PT)], centred)
    _text_box(page, COVER_LINES, lines, centred)


# --- Footnote and notes


def _hidden_listing(chart: Chart) -> str:
    """Which values of a multi-series chart are blank, by series: 'Rifiutata: Caritas (< 5)'."""
    groups = []
    for series in chart.series:
        hidden = [
            f"{category} ({value.text})"
            for category, value in zip(chart.categories, series.values, strict=True)
            if value.hidden
        ]
        if hidden:
            groups.append(f"{series.name}: {', '.join(hidden)}")
    return "; ".join(groups)


def _lists_hidden_in_footnote(slide: Slide) -> bool:
    """A chart with several series has no category label of its own for a hidden value: the
    footnote says which are blank (a matrix shows them in its cells)."""
    chart = slide.chart
    if chart is None or chart.kind == "matrix":
        return False
    return len(chart.series) > 1 and chart.has_hidden


def _footnote(slide: Slide, full: bool = False) -> str:
    """The slide's footnote, with the hidden values of a multi-series chart: listed when they
    fit in two lines (or `full`), else counted (the notes list them)."""
    parts = [slide.footnote] if slide.footnote else []
    if slide.chart is not None and _lists_hidden_in_footnote(slide):
        listing = f"Assenti dal grafico: {_hidden_listing(slide.chart)}."
        if not full and len(" ".join([*parts, listing])) > FOOTNOTE_MAX_CHARS:
            count = sum(v.hidden for s in slide.chart.series for v in s.values)
            listing = f"Assenti dal grafico {count} valori nascosti, elencati nelle note."
        parts.append(listing)
    return " ".join(parts)


def _notes(slide: Slide) -> str:
    """Speaker notes: the definitions, each tile's own, and the whole footnote."""
    parts = [slide.notes, *(f"{tile.label}: {tile.definition}" for tile in slide.tiles)]
    return "\n\n".join(part for part in (*parts, _footnote(slide, full=True)) if part)


# --- Charts


def _category_labels(chart: Chart) -> list[str]:
    """The categories; with one series, a hidden value's text joins its label
    ("Bosto · Varese (n.d.)"), as the chart's bar is blank."""
    if len(chart.series) != 1:
        return list(chart.categories)
    values = chart.series[0].values
    return [
        f"{category} ({value.text})" if value.hidden else category
        for category, value in zip(chart.categories, values, strict=True)
    ]


def _chart(page: PptxSlide, chart: Chart) -> None:
    labels = _category_labels(chart)
    number_format = NUMBER_FORMATS[chart.number_kind]
    data = CategoryChartData(number_format=number_format)  # type: ignore[no-untyped-call]
    data.categories = labels
    for series in chart.series:
        values = [value.number for value in series.values]
        data.add_series(series.name, values)  # type: ignore[no-untyped-call]
    # python-pptx annotates add_chart as taking its deprecated ChartData alias and returning
    # the chart; it takes any CategoryChartData and returns the frame holding the chart.
    frame = cast(
        GraphicFrame,
        page.shapes.add_chart(
            CHART_TYPES[chart.kind],
            MARGIN,
            BODY_TOP,
            CONTENT_WIDTH,
            BODY_HEIGHT,
            data,  # type: ignore[arg-type]
        ),
    )
    frame.chart_part.chart_workbook.update_from_xlsx_blob(_workbook(chart, labels, number_format))
    drawn = frame.chart
    drawn.has_title = False  # the slide's title and headline say it; LibreOffice adds one
    _style(drawn.font, CHART_PT)
    _axes(drawn, chart, number_format)
    _legend(drawn, multi=len(chart.series) > 1)
    if chart.kind == "line":
        _lines(drawn, chart)
    else:
        _bars(drawn, chart, number_format)


def _workbook(chart: Chart, labels: Sequence[str], number_format: str) -> bytes:
    """The chart's data sheet, where «Modifica dati» opens. python-pptx writes it through
    XlsxWriter, which turns a label starting with "=" into a formula; this one goes through
    `append_xlsx_row`, so every label stays text. Same layout (Sheet1, categories from A2)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    append_xlsx_row(sheet, [chart.category_title, *(series.name for series in chart.series)])
    for label, (_, values) in zip(labels, chart.rows(), strict=True):
        append_xlsx_row(sheet, [label, *(value.number for value in values)])
    for row in sheet.iter_rows(min_row=2, min_col=2):
        for cell in row:
            cell.number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _axes(drawn: PptxChart, chart: Chart, number_format: str) -> None:
    categories = drawn.category_axis
    _style(categories.tick_labels.font, CHART_PT)
    categories.format.line.color.rgb = _rgb(MUTED)
    values = drawn.value_axis
    if chart.kind in ("hbar", "stacked_hbar"):
        # The first category on top; the value axis then crosses the categories at the last
        # one, the bottom ("at maximum category": the value axis's own c:crosses, which
        # python-pptx's `crosses` setters never write).
        categories.reverse_order = True
        values._element.find(qn("c:crosses")).set("val", "max")
    values.minimum_scale = 0
    values.has_major_gridlines = True
    values.major_gridlines.format.line.color.rgb = _rgb(GRID)
    values.format.line.fill.background()
    values.tick_labels.number_format = number_format
    values.tick_labels.number_format_is_linked = False
    _style(values.tick_labels.font, CHART_PT)
    values.has_title = True
    title = values.axis_title.text_frame
    title.text = chart.value_title
    _style(title.paragraphs[0].runs[0].font, CHART_PT)


def _legend(drawn: PptxChart, multi: bool) -> None:
    """A legend at the bottom for several series; one series needs none (the axis says it)."""
    drawn.has_legend = multi
    if multi:
        drawn.legend.position = XL_LEGEND_POSITION.BOTTOM
        drawn.legend.include_in_layout = False
        _style(drawn.legend.font, CHART_PT)


def _bars(drawn: PptxChart, chart: Chart, number_format: str) -> None:
    """Bars in the areas' colours, each labelled with its number in Italian."""
    plot = drawn.plots[0]
    plot.vary_by_categories = False
    stacked = chart.kind == "stacked_hbar"
    plot.gap_width = 50 if stacked else 60
    if stacked:
        plot.overlap = 100
    for drawn_series, series in zip(plot.series, chart.series, strict=True):
        if stacked:
            _fill(drawn_series.format.fill, series.colour)
        else:
            colours = chart.point_colours or (series.colour,) * len(chart.categories)
            for index, colour in enumerate(colours):
                _fill(drawn_series.points[index].format.fill, colour)
        labels = drawn_series.data_labels
        labels.number_format = number_format
        labels.number_format_is_linked = False
        labels.show_value = True
        labels.position = XL_LABEL_POSITION.CENTER if stacked else XL_LABEL_POSITION.OUTSIDE_END
        _style(labels.font, CHART_PT, _readable_on(series.colour) if stacked else INK)


def _lines(drawn: PptxChart, chart: Chart) -> None:
    """One line per series in its colour, with round markers; a blank value is a gap."""
    for drawn_series, series in zip(drawn.plots[0].series, chart.series, strict=True):
        colour = _rgb(series.colour)
        drawn_series.smooth = False
        drawn_series.format.line.color.rgb = colour
        drawn_series.format.line.width = Pt(3)
        drawn_series.marker.style = XL_MARKER_STYLE.CIRCLE
        drawn_series.marker.size = 9
        drawn_series.marker.format.fill.solid()
        drawn_series.marker.format.fill.fore_color.rgb = colour
        drawn_series.marker.format.line.color.rgb = colour


def _rgb(colour: str) -> RGBColor:
    """'#0072B2' (the model's colours) or '0072B2' as python-pptx's colour."""
    return RGBColor(*bytes.fromhex(colour.lstrip("#")))  # type: ignore[no-untyped-call]


def _fill(fill: FillFormat, colour: str) -> None:
    fill.solid()  # type: ignore[no-untyped-call]
    fill.fore_color.rgb = _rgb(colour)


def _readable_on(colour: str) -> str:
    """Dark text on a light fill, white on a dark one (relative luminance, WCAG)."""
    red, green, blue = (channel / 255 for channel in bytes.fromhex(colour.lstrip("#")))

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return INK if luminance > 0.18 else WHITE


# --- Matrix


def _shade(number: float, top: float) -> str:
    """The blue of a cell: lighter to darker as its value goes from 0 to the largest shown."""
    share = number / top if top > 0 else 0.0
    return "".join(
        f"{round(light + (dark - light) * share):02X}"
        for light, dark in zip(BLUE_LIGHT, BLUE_DARK, strict=True)
    )


def _matrix(page: PptxSlide, chart: Chart) -> None:
    """A table (PowerPoint has no heatmap): rows are categories, columns series, each cell
    shaded by its value; a hidden cell grey with its text."""
    rows = chart.rows()
    shown = [value.number for _, values in rows for value in values if value.number is not None]
    top = max(shown, default=0.0)
    row_height = min(Inches(0.6), BODY_HEIGHT // (len(rows) + 1))
    shape = page.shapes.add_table(
        len(rows) + 1,
        len(chart.series) + 1,
        MARGIN,
        BODY_TOP,
        CONTENT_WIDTH,
        Emu(row_height * (len(rows) + 1)),
    )
    table = shape.table
    table.horz_banding = False
    first_width = CONTENT_WIDTH * 3 // 10
    table.columns[0].width = Emu(first_width)
    for index in range(1, len(chart.series) + 1):
        table.columns[index].width = Emu((CONTENT_WIDTH - first_width) // len(chart.series))
    header = [chart.category_title, *(series.name for series in chart.series)]
    for index, text in enumerate(header):
        _cell(table.cell(0, index), Line(text, CHART_PT, bold=True), WHITE, PP_ALIGN.CENTER)
    for row_index, (category, values) in enumerate(rows, start=1):
        _cell(table.cell(row_index, 0), Line(category, CHART_PT), WHITE, PP_ALIGN.LEFT)
        for column_index, value in enumerate(values, start=1):
            fill = HIDDEN_FILL if value.number is None else _shade(value.number, top)
            ink = MUTED if value.hidden else _readable_on(fill)
            line = Line(value.text, CHART_PT, colour=ink)
            _cell(table.cell(row_index, column_index), line, fill, PP_ALIGN.CENTER)


def _cell(cell: _Cell, line: Line, fill: str, align: PP_ALIGN) -> None:
    _fill(cell.fill, fill)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    _fill_text(cell.text_frame, [line], align)


# --- Tiles


def _tiles(page: PptxSlide, tiles: Sequence[Tile]) -> None:
    """Rounded boxes in a balanced grid (at most four a row): label, big value, change."""
    rows = math.ceil(len(tiles) / 4)
    columns = math.ceil(len(tiles) / rows)
    gap = Inches(0.3)
    width = (CONTENT_WIDTH - gap * (columns - 1)) // columns
    height = min(Inches(2.6), (BODY_HEIGHT - gap * (rows - 1)) // rows)
    top = BODY_TOP + (BODY_HEIGHT - rows * height - (rows - 1) * gap) // 2
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        box = page.shapes.add_shape(
            MSO_SHAPE.ROUNDED_RECTANGLE,
            Emu(MARGIN + column * (width + gap)),
            Emu(top + row * (height + gap)),
            Emu(width),
            Emu(height),
        )
        _fill(box.fill, TILE_FILL)
        box.line.color.rgb = _rgb(TILE_LINE)
        box.shadow.inherit = False
        frame = box.text_frame
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        lines = [Line(tile.label, TILE_LABEL_PT), Line(tile.value, TILE_VALUE_PT, bold=True)]
        if tile.change:
            lines.append(Line(tile.change, TILE_LABEL_PT, colour=MUTED))
        _fill_text(frame, lines, PP_ALIGN.CENTER)
