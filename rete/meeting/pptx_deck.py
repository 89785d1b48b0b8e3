"""The meeting deck as a PowerPoint file: one 16:9 slide per `Slide`, native editable charts.

Each slide is laid out in three bands, every one measured (`pptx_text`) rather than left to
the viewer's automatic layout, which differs between programs and lets crowded texts overlap:
the title and headline take the lines they need at the top, the footnote at the foot, and the
body (a chart, the matrix table, KPI tiles or lines of text) fills the band between. The title
slide is one centred text box, so that a long network name wraps and pushes the rest down.

The charts are drawn by `pptx_charts`, the matrix by `pptx_matrix`. A hidden value is a blank
in a chart's data: a one-series chart says its text in the category label, a chart with
several series in this footnote, which the speaker notes always carry whole.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.parts.coreprops import CorePropertiesPart
from pptx.slide import Slide as PptxSlide
from pptx.text.text import TextFrame
from pptx.util import Emu, Inches, Pt

from rete import formats
from rete.meeting.model import Chart, Deck, Slide, Tile
from rete.meeting.pptx_charts import add_chart
from rete.meeting.pptx_matrix import add_matrix
from rete.meeting.pptx_style import (
    BOTTOM_MARGIN,
    CONTENT_WIDTH,
    COVER_TITLE_PT,
    FOOTNOTE_PT,
    GAP,
    HEADLINE_PT,
    INSET_X,
    INSET_Y,
    LINE_PT,
    MARGIN,
    MUTED,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    TILE_LABEL_PT,
    TILE_VALUE_PT,
    TITLE_PT,
    TOP_MARGIN,
    Box,
    Line,
    fill_text,
    rgb,
    solid_fill,
)
from rete.meeting.pptx_text import line_height, points, wrap

TILE_FILL = "F2F5F9"
TILE_LINE = "C5D0DC"

# A footnote listing the hidden values of a multi-series chart stays within two lines;
# past that it counts them and the notes list them.
FOOTNOTE_LINES = 2


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
        add_matrix(page, slide.chart, body)
    elif slide.chart is not None:
        add_chart(page, slide.chart, body)
    elif slide.tiles:
        _tiles(page, slide.tiles, body)
    if footnote:
        _text_box(page, foot, [Line(footnote, FOOTNOTE_PT, colour=MUTED)])


# --- Text


def _text_height(text: str, size: int, bold: bool = False) -> int:
    """How tall a text box across the page must be for `text` (EMU)."""
    lines = len(wrap(text, size, points(CONTENT_WIDTH - 2 * INSET_X), bold))
    return Pt(lines * line_height(size)) + 2 * INSET_Y


def _text_box(
    page: PptxSlide, box: Box, lines: Sequence[Line], align: PP_ALIGN = PP_ALIGN.LEFT
) -> TextFrame:
    shape = page.shapes.add_textbox(MARGIN, Emu(box.top), CONTENT_WIDTH, Emu(box.height))
    frame: TextFrame = shape.text_frame
    frame.auto_size = MSO_AUTO_SIZE.NONE  # the box was measured: no program resizes it
    fill_text(frame, lines, align)
    return frame


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
        width = points(CONTENT_WIDTH - 2 * INSET_X)
        if not full and len(wrap(" ".join([*parts, listing]), FOOTNOTE_PT, width)) > FOOTNOTE_LINES:
            count = sum(v.hidden for s in slide.chart.series for v in s.values)
            listing = f"Assenti dal grafico {count} valori nascosti, elencati nelle note."
        parts.append(listing)
    return " ".join(parts)


def _notes(slide: Slide) -> str:
    """Speaker notes: the definitions, each tile's own, and the whole footnote."""
    parts = [slide.notes, *(f"{tile.label}: {tile.definition}" for tile in slide.tiles)]
    return "\n\n".join(part for part in (*parts, _footnote(slide, full=True)) if part)


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
        solid_fill(box.fill, TILE_FILL)
        box.line.color.rgb = rgb(TILE_LINE)
        box.shadow.inherit = False
        frame = box.text_frame
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        lines = [Line(tile.label, TILE_LABEL_PT), Line(tile.value, TILE_VALUE_PT, bold=True)]
        if tile.change:
            lines.append(Line(tile.change, TILE_LABEL_PT, colour=MUTED))
        fill_text(frame, lines, PP_ALIGN.CENTER)
