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

Nothing is left to the viewer's automatic layout, which differs between programs and, when
crowded, drops every other category label or lets texts overlap. Texts are measured (with
DejaVu Sans's widths, wider than the theme's Calibri, so what fits here fits in PowerPoint
too), and every box placed from those measures: the heading and the footnote take the lines
they need and the chart, table or tiles fill the band between them; inside a chart the plot
area, the legend, the label size and which segment carries its number are set from the
labels' lengths, and every category label is drawn; the matrix's rows share the height its
header leaves, the needs' names turned upright when they do not fit across.
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
from pptx.chart.axis import CategoryAxis
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
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.oxml.xmlchemy import BaseOxmlElement, OxmlElement
from pptx.parts.coreprops import CorePropertiesPart
from pptx.shapes.graphfrm import GraphicFrame
from pptx.slide import Slide as PptxSlide
from pptx.table import _Cell
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Inches, Pt

from rete import formats
from rete.export import append_xlsx_row
from rete.meeting.model import Chart, ChartKind, Deck, NumberKind, Slide, Tile, Value

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
LABEL_MIN_PT = 16  # category labels and table cells, when 18 pt does not fit
HEADER_MIN_PT = 14  # the matrix's column headers, when 16 pt does not fit
FOOTNOTE_PT = 14
TILE_LABEL_PT = 20
TILE_VALUE_PT = 48

# Dark text on white; a neutral blue scale for the matrix; grey for a hidden cell and, lighter,
# for the «Altri…» row and column (sums of many places or needs, off the blue scale).
INK = "1A1A1A"
MUTED = "404040"
WHITE = "FFFFFF"
GRID = "D9D9D9"
TILE_FILL = "F2F5F9"
TILE_LINE = "C5D0DC"
HIDDEN_FILL = "E3E3E3"
OTHERS_FILL = "F0F0F0"
BLUE_LIGHT = (0xDE, 0xEB, 0xF7)
BLUE_DARK = (0x08, 0x51, 0x9C)
OTHERS_PREFIX = "Altri"  # «Altri quartieri», «Altri bisogni», «Altri enti»: the rest, summed

# The page: 16:9, margins, and the gap between the bands of a slide.
SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_WIDTH = Emu(SLIDE_WIDTH - 2 * MARGIN)
TOP_MARGIN = Inches(0.25)
BOTTOM_MARGIN = Inches(0.15)
GAP = Inches(0.08)
# A text box's own insets (python-pptx's, PowerPoint's default).
INSET_X, INSET_Y = Inches(0.1), Inches(0.05)

# A footnote listing the hidden values of a multi-series chart stays within two lines;
# past that it counts them and the notes list them.
FOOTNOTE_LINES = 2

# --- Measuring text

EMU_PER_PT = 12700
LINE_HEIGHT = 1.2  # a line's height over its type size
BOLD_WIDER = 1.11
MARGIN_OF_ERROR = 1.05  # rounding of the widths below, and of each program's text layout
ROUNDING = 0.01  # points: a width measured here and stored in whole EMU still fits
# DejaVu Sans's advance widths (em), the widest of the fonts standing in for Calibri.
_CHAR_WIDTHS = {
    0.25: "'",
    0.3: "ijlIJ .,·ìÌ",
    0.35: "f;:-/",
    0.4: "rt!()[]",
    0.45: '"',
    0.5: "sz–°_*",
    0.55: "cL?",
    0.6: "aekovxyFPTY«»àèéò",
    0.65: "bdghnpquEKS0123456789ùÈÉ€",
    0.7: "ABCRVXZÀ",
    0.75: "DGHNUÙ",
    0.8: "wOQ&Ò",
    0.85: "M+<>=#",
    0.95: "m%",
    1.0: "W—@",
}
CHAR_WIDTH = {char: width for width, chars in _CHAR_WIDTHS.items() for char in chars}
WIDE_CHAR = 0.7  # any other character


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide `text` is at `size` points, in points (a generous estimate)."""
    em = sum(CHAR_WIDTH.get(char, WIDE_CHAR) for char in text)
    return em * size * MARGIN_OF_ERROR * (BOLD_WIDER if bold else 1.0)


def _wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` points, as a text box breaks
    it; a word wider than `width` has a line to itself."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", size, bold) <= width + ROUNDING:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _narrowest(text: str, size: float, lines: int) -> float:
    """The least width (points) in which `text` breaks into at most `lines` lines: the width
    of one of its runs of words."""
    words = text.split()
    runs = {
        _text_width(" ".join(words[start:end]), size)
        for start in range(len(words))
        for end in range(start + 1, len(words) + 1)
    }
    return next((width for width in sorted(runs) if len(_wrap(text, size, width)) <= lines), 0.0)


def _widest_word(text: str, size: float) -> float:
    return max((_text_width(word, size) for word in text.split()), default=0.0)


def _line(size: float) -> float:
    return size * LINE_HEIGHT


def _pt(emu: int) -> float:
    return emu / EMU_PER_PT


# --- The file


@dataclass(frozen=True)
class Box:
    """A band across the page, between the margins: its top and height in EMU."""

    top: int
    height: int

    @property
    def bottom(self) -> int:
        return self.top + self.height


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
    """A slide in three bands: the title and headline, the body, the footnote at the foot of
    the page; the body takes whatever height the other two leave."""
    if cover and slide.lines:
        _cover(page, slide, deck)
        return
    title = Box(TOP_MARGIN, _text_height(slide.title, TITLE_PT, bold=True))
    headline = Box(title.bottom, _text_height(slide.headline, HEADLINE_PT))
    footnote = _footnote(slide)
    foot_height = _text_height(footnote, FOOTNOTE_PT) if footnote else 0
    foot = Box(SLIDE_HEIGHT - BOTTOM_MARGIN - foot_height, foot_height)
    body = Box(headline.bottom + GAP, foot.top - headline.bottom - 2 * GAP)
    _text_box(page, title, [Line(slide.title, TITLE_PT, bold=True)])
    _text_box(page, headline, [Line(slide.headline, HEADLINE_PT)])
    if slide.lines:
        _text_box(page, body, [Line(text, LINE_PT) for text in slide.lines])
    elif slide.chart is not None and slide.chart.kind == "matrix":
        _matrix(page, slide.chart, body)
    elif slide.chart is not None:
        _chart(page, slide.chart, body)
    elif slide.tiles:
        _tiles(page, slide.tiles, body)
    if footnote:
        _text_box(page, foot, [Line(footnote, FOOTNOTE_PT, colour=MUTED)])


# --- Text


def _text_height(text: str, size: int, bold: bool = False) -> int:
    """How tall a text box across the page must be for `text` (EMU)."""
    lines = len(_wrap(text, size, _pt(CONTENT_WIDTH - 2 * INSET_X), bold))
    return Pt(lines * _line(size)) + 2 * INSET_Y


def _text_box(
    page: PptxSlide, box: Box, lines: Sequence[Line], align: PP_ALIGN = PP_ALIGN.LEFT
) -> TextFrame:
    shape = page.shapes.add_textbox(MARGIN, Emu(box.top), CONTENT_WIDTH, Emu(box.height))
    frame: TextFrame = shape.text_frame
    frame.auto_size = MSO_AUTO_SIZE.NONE  # the box was measured: no program resizes it
    _fill_text(frame, lines, align)
    return frame


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
    """The title slide: one text box, centred on the page, whose paragraphs are the large title,
    the headline and what the deck is about. A long name wraps and pushes the rest down: in one
    box nothing can overlap."""
    lines = [
        Line(slide.title, COVER_TITLE_PT, bold=True),
        Line(slide.headline, HEADLINE_PT),
        *(Line(text, LINE_PT, colour=MUTED) for text in _cover_lines(slide, deck)),
    ]
    box = Box(TOP_MARGIN, SLIDE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN)
    frame = _text_box(page, box, lines, PP_ALIGN.CENTER)
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.paragraphs[1].space_before = Pt(HEADLINE_PT)
    frame.paragraphs[2].space_before = Pt(HEADLINE_PT)


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
        width = _pt(CONTENT_WIDTH - 2 * INSET_X)
        if (
            not full
            and len(_wrap(" ".join([*parts, listing]), FOOTNOTE_PT, width)) > FOOTNOTE_LINES
        ):
            count = sum(v.hidden for s in slide.chart.series for v in s.values)
            listing = f"Assenti dal grafico {count} valori nascosti, elencati nelle note."
        parts.append(listing)
    return " ".join(parts)


def _notes(slide: Slide) -> str:
    """Speaker notes: the definitions, each tile's own, and the whole footnote."""
    parts = [slide.notes, *(f"{tile.label}: {tile.definition}" for tile in slide.tiles)]
    return "\n\n".join(part for part in (*parts, _footnote(slide, full=True)) if part)


# --- Chart layout

PAD = 6.0  # points between a label and what it labels
LABEL_SHARE = 0.45  # a horizontal bar chart's labels at 18 pt take at most this share…
LABEL_LINES = 3  # …and a vertical one's at most three lines, else they turn 45°
TURNED = 0.7071  # sin 45°
BAR_GAP = 40  # the gap between bars, in percent of a bar's thickness
STACKED_GAP = 25


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
    entry = max(_text_width(name, CHART_PT) for name in names) + _line(CHART_PT) + 3 * PAD
    columns = max(1, min(len(names), math.floor(width / entry)))
    return math.ceil(len(names) / columns) * _line(CHART_PT) + 2 * PAD


def _every(pitch: float, needed: float) -> int:
    """1 when labels `needed` points apart fit `pitch` apart, else every how many to label."""
    return max(1, math.ceil(needed / pitch - 1e-9)) if pitch > 0 else 1


def _plan(chart: Chart, labels: Sequence[str], width: float, height: float) -> Plan:
    """The chart's layout in a frame `width` × `height` points: the legend across the
    bottom, the rest for the plot and its axes."""
    maximum, step = _scale(_largest(chart), chart.number_kind)
    axis = Axis(maximum, step, _text_width(_tick_text(maximum, chart.number_kind), CHART_PT))
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
    plot_height = height - PAD - 2 * _line(CHART_PT) - 3 * PAD
    pitch = plot_height / max(1, len(labels))
    size, column = CHART_PT, 0.0
    for size in (CHART_PT, LABEL_MIN_PT):
        column = max(_text_width(label, size) for label in labels)
        if column <= width * LABEL_SHARE:
            break
    kind: ChartKind = "stacked_hbar" if chart.kind == "stacked_hbar" else "hbar"
    if kind == "hbar":  # the number past the end of the longest bar
        shown = [value.text for value in chart.series[0].values if not value.hidden]
        right = max((_text_width(text, CHART_PT) for text in shown), default=0.0) + PAD
    else:
        right = axis.tick / 2 + PAD
    left = column + 3 * PAD
    plot = Rect(left, PAD, width - left - right, plot_height)
    return Plan(kind, plot, legend, size, False, _every(pitch, _line(size)), axis)


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
    left = _line(CHART_PT) + axis.tick + 4 * PAD
    top = _line(CHART_PT) + PAD if chart.kind == "bar" else _line(CHART_PT) / 2
    plot_width = width - left - 2 * PAD
    slot = plot_width / max(1, len(labels)) - 2 * PAD
    for size in (CHART_PT, LABEL_MIN_PT):
        lines = max(len(_wrap(label, size, slot)) for label in labels)
        if lines <= LABEL_LINES and all(_widest_word(label, size) <= slot for label in labels):
            below = lines * _line(size) + 2 * PAD
            plot = Rect(left, top, plot_width, height - top - below)
            return Plan(chart.kind, plot, legend, size, False, 1, axis)
    widest = max(_text_width(label, CHART_PT) for label in labels)
    below = (widest + _line(CHART_PT)) * TURNED + 2 * PAD
    every = _every(slot + 2 * PAD, _line(CHART_PT) / TURNED)
    plot = Rect(left, top, plot_width, height - top - below)
    return Plan(chart.kind, plot, legend, CHART_PT, True, every, axis)


def _manual_layout(rect: Rect, width: float, height: float, inner: bool) -> BaseOxmlElement:
    """A `c:layout` placing a chart part at `rect`, as fractions of the chart's frame; `inner`
    for the plot area without its axes' labels."""
    target = '<c:layoutTarget val="inner"/>' if inner else ""
    return cast(
        BaseOxmlElement,
        parse_xml(
            f"<c:layout {nsdecls('c')}><c:manualLayout>{target}"
            '<c:xMode val="edge"/><c:yMode val="edge"/>'
            f'<c:x val="{rect.left / width:.4f}"/><c:y val="{rect.top / height:.4f}"/>'
            f'<c:w val="{rect.width / width:.4f}"/><c:h val="{rect.height / height:.4f}"/>'
            "</c:manualLayout></c:layout>"
        ),
    )


def _place(drawn: PptxChart, plan: Plan, width: float, height: float) -> None:
    """Write the plan's plot area and legend into the chart."""
    plot_area = drawn._chartSpace.chart.plotArea
    for old in plot_area.findall(qn("c:layout")):
        plot_area.remove(old)
    plot_area.insert(0, _manual_layout(plan.plot, width, height, inner=True))
    if plan.legend is not None:
        legend = drawn.legend._element
        legend._remove_layout()
        legend.find(qn("c:legendPos")).addnext(
            _manual_layout(plan.legend, width, height, inner=False)
        )


# --- Charts


def _category_labels(chart: Chart) -> list[str]:
    """The categories; with one series, a hidden value's text joins its label
    ("Bosto · Varese (n.d.)"), as the chart's bar is blank, unless the label already ends
    with it (`rete.meeting.build` writes it there too)."""
    if len(chart.series) != 1:
        return list(chart.categories)
    values = chart.series[0].values
    return [
        f"{category} ({value.text})"
        if value.hidden and not category.endswith(f"({value.text})")
        else category
        for category, value in zip(chart.categories, values, strict=True)
    ]


def _chart(page: PptxSlide, chart: Chart, body: Box) -> None:
    labels = _category_labels(chart)
    width, height = _pt(CONTENT_WIDTH), _pt(body.height)
    plan = _plan(chart, labels, width, height)
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
            CHART_TYPES[plan.kind],
            MARGIN,
            Emu(body.top),
            CONTENT_WIDTH,
            Emu(body.height),
            data,  # type: ignore[arg-type]
        ),
    )
    frame.chart_part.chart_workbook.update_from_xlsx_blob(_workbook(chart, labels, number_format))
    drawn = frame.chart
    drawn.has_title = False  # the slide's title and headline say it; LibreOffice adds one
    _style(drawn.font, CHART_PT)
    _axes(drawn, chart, number_format, plan)
    _legend(drawn, multi=len(chart.series) > 1)
    if plan.kind == "line":
        _lines(drawn, chart)
    else:
        _bars(drawn, chart, number_format, plan)
    _place(drawn, plan, width, height)


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


def _axes(drawn: PptxChart, chart: Chart, number_format: str, plan: Plan) -> None:
    categories = drawn.category_axis
    _style(categories.tick_labels.font, plan.label_pt)
    categories.format.line.color.rgb = _rgb(MUTED)
    _label_categories(categories, plan)
    values = drawn.value_axis
    if plan.kind in ("hbar", "stacked_hbar"):
        # The first category on top; the value axis then crosses the categories at the last
        # one, the bottom ("at maximum category": the value axis's own c:crosses, which
        # python-pptx's `crosses` setters never write).
        categories.reverse_order = True
        values._element.find(qn("c:crosses")).set("val", "max")
    values.minimum_scale = 0
    values.maximum_scale = plan.axis.maximum
    values.major_unit = plan.axis.step
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


def _label_categories(axis: CategoryAxis, plan: Plan) -> None:
    """Every category labelled (or every `label_every`-th, when even turned they would
    overlap): PowerPoint reads c:tickLblSkip; LibreOffice hides labels it finds crowded unless
    their rotation is stated, upright (0) or turned (-45°)."""
    element = axis._element
    follower = element.find(qn("c:noMultiLvlLbl"))
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        skip = OxmlElement(tag)
        skip.set("val", str(plan.label_every))
        if follower is not None:
            follower.addprevious(skip)
        else:
            element.append(skip)
    body = element.find(qn("c:txPr")).find(qn("a:bodyPr"))
    body.set("rot", "-2700000" if plan.turned else "0")
    body.set("vert", "horz")


def _legend(drawn: PptxChart, multi: bool) -> None:
    """A legend at the bottom for several series; one series needs none (the axis says it)."""
    drawn.has_legend = multi
    if multi:
        drawn.legend.position = XL_LEGEND_POSITION.BOTTOM
        drawn.legend.include_in_layout = False
        _style(drawn.legend.font, CHART_PT)


def _bars(drawn: PptxChart, chart: Chart, number_format: str, plan: Plan) -> None:
    """Bars in the areas' colours, each labelled with its number in Italian; a stacked
    segment only when its number fits inside it."""
    plot = drawn.plots[0]
    plot.vary_by_categories = False
    stacked = plan.kind == "stacked_hbar"
    plot.gap_width = STACKED_GAP if stacked else BAR_GAP
    if stacked:
        plot.overlap = 100
    for index, (drawn_series, series) in enumerate(zip(plot.series, chart.series, strict=True)):
        if stacked:
            _fill(drawn_series.format.fill, series.colour)
        else:
            colours = chart.point_colours or (series.colour,) * len(chart.categories)
            for point, colour in enumerate(colours):
                _fill(drawn_series.points[point].format.fill, colour)
        labels = drawn_series.data_labels
        labels.number_format = number_format
        labels.number_format_is_linked = False
        labels.show_value = True
        labels.position = XL_LABEL_POSITION.CENTER if stacked else XL_LABEL_POSITION.OUTSIDE_END
        _style(labels.font, CHART_PT, _readable_on(series.colour) if stacked else INK)
        if stacked:
            for point in _unlabelled_segments(chart, index, plan):
                _delete_label(drawn_series._element, point)


def _unlabelled_segments(chart: Chart, index: int, plan: Plan) -> list[int]:
    """The segments of series `index` too short for their number (empty ones included)."""
    points_per_unit = plan.plot.width / plan.axis.maximum
    return [
        point
        for point, value in enumerate(chart.series[index].values)
        if value.number is not None
        and value.number * points_per_unit < _text_width(value.text, CHART_PT) + 2 * PAD
    ]


def _delete_label(series: BaseOxmlElement, point: int) -> None:
    """Hide one data label of a series: its c:dLbl holds only c:idx and c:delete."""
    label = series.get_or_add_dLbls().get_or_add_dLbl_for_point(point)
    for child in list(label):
        if child.tag != qn("c:idx"):
            label.remove(child)
    delete = OxmlElement("c:delete")
    delete.set("val", "1")
    label.append(delete)


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

CELL_INSET = Inches(0.04)
ROW_MAX = Inches(0.6)


def _is_others(label: str) -> bool:
    """The row or column summing every place or need not shown on its own («Altri…»)."""
    return label.startswith(OTHERS_PREFIX)


def _shade(number: float, top: float) -> str:
    """The blue of a cell: lighter to darker as its value goes from 0 to the largest shown."""
    share = min(number / top, 1.0) if top > 0 else 0.0
    return "".join(
        f"{round(light + (dark - light) * share):02X}"
        for light, dark in zip(BLUE_LIGHT, BLUE_DARK, strict=True)
    )


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
    inset = 2 * _pt(CELL_INSET)  # left and right; a cell has none above and below
    first = inset + max(
        _text_width(chart.category_title, header_pt),
        *(_text_width(category, body_pt) for category in chart.categories),
    )
    column = (_pt(CONTENT_WIDTH) - first) / max(1, len(names)) - inset
    upright = any(_widest_word(name, header_pt) > column for name in names)
    if upright:
        lines = max(1, math.floor(column / _line(header_pt)))
        header = max(_narrowest(name, header_pt, lines) for name in names) + PAD
    else:
        header = max(len(_wrap(name, header_pt, column)) for name in names) * _line(header_pt)
    row = (_pt(body.height) - header) / max(1, len(chart.categories))
    fits = row >= _line(body_pt)
    height = min(ROW_MAX, Pt(max(row, _line(body_pt))))
    return Grid(Pt(first), Pt(header), upright, height, body_pt, header_pt, fits)


def _matrix(page: PptxSlide, chart: Chart, body: Box) -> None:
    """A table (PowerPoint has no heatmap) filling the body: rows are categories, columns
    series, each cell shaded by its value on a blue scale made from the places' and needs' own
    cells; the «Altri…» row and column (sums, larger than any cell) light grey, off the scale;
    a hidden cell grey with its text."""
    rows = chart.rows()
    top = max(
        (
            value.number
            for category, values in rows
            if not _is_others(category)
            for series, value in zip(chart.series, values, strict=True)
            if value.number is not None and not _is_others(series.name)
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
            others = _is_others(category) or _is_others(chart.series[column_index - 1].name)
            fill, ink = _cell_colours(value, top, others)
            cell = table.cell(row_index, column_index)
            _cell(cell, [value.text], grid.body_pt, fill, ink, align=PP_ALIGN.CENTER)


def _header_cell(cell: _Cell, name: str, grid: Grid) -> None:
    """A need's name over its column: across, or turned to read upwards in the lines measured
    for it (LibreOffice does not break a turned text at the row's height: it grows the row)."""
    if not grid.upright:
        _cell(cell, [name], grid.header_pt, WHITE, INK, MSO_ANCHOR.BOTTOM, PP_ALIGN.CENTER)
        return
    lines = _wrap(name, grid.header_pt, _pt(grid.header_height) - PAD)
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
    return fill, _readable_on(fill)


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
    _fill(cell.fill, fill)
    cell.vertical_anchor = anchor
    cell.margin_left = cell.margin_right = CELL_INSET
    cell.margin_top = cell.margin_bottom = Emu(0)
    _fill_text(cell.text_frame, [Line(text, size, colour=ink) for text in texts], align)


# --- Tiles


def _tiles(page: PptxSlide, tiles: Sequence[Tile], body: Box) -> None:
    """Rounded boxes in a balanced grid (at most four a row): label, big value, change."""
    rows = math.ceil(len(tiles) / 4)
    columns = math.ceil(len(tiles) / rows)
    gap = Inches(0.3)
    width = (CONTENT_WIDTH - gap * (columns - 1)) // columns
    height = min(Inches(2.6), (body.height - gap * (rows - 1)) // rows)
    top = body.top + (body.height - rows * height - (rows - 1) * gap) // 2
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
