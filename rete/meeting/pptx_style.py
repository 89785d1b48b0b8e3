"""The PowerPoint deck's page and type: the 16:9 page and its margins, the type sizes for a
projector, the ink, and how a text or a fill is written into a shape. Shared by the slides
(`pptx_deck`), the charts (`pptx_charts`) and the matrix table (`pptx_matrix`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pptx.dml.color import RGBColor
from pptx.dml.fill import FillFormat
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.text import PP_ALIGN
from pptx.text.text import Font, TextFrame
from pptx.util import Emu, Inches, Pt

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

# Dark text on white.
INK = "1A1A1A"
MUTED = "404040"
WHITE = "FFFFFF"

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
PAD = 6.0  # points between a label and what it labels


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


def fill_text(frame: TextFrame, lines: Sequence[Line], align: PP_ALIGN) -> None:
    """Each line a paragraph of plain text (python-pptx escapes it; no field, no link)."""
    frame.word_wrap = True
    for index, line in enumerate(lines):
        if index:
            frame.add_paragraph()  # type: ignore[no-untyped-call]
        paragraph = frame.paragraphs[index]
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line.text
        set_font(run.font, line.size, line.colour, line.bold)
        run.font.language_id = MSO_LANGUAGE_ID.ITALIAN


def set_font(font: Font, size: int, colour: str = INK, bold: bool = False) -> None:
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = rgb(colour)


def rgb(colour: str) -> RGBColor:
    """'#0072B2' (the model's colours) or '0072B2' as python-pptx's colour."""
    return RGBColor(*bytes.fromhex(colour.lstrip("#")))  # type: ignore[no-untyped-call]


def solid_fill(fill: FillFormat, colour: str) -> None:
    fill.solid()  # type: ignore[no-untyped-call]
    fill.fore_color.rgb = rgb(colour)


def readable_on(colour: str) -> str:
    """Dark text on a light fill, white on a dark one (relative luminance, WCAG)."""
    red, green, blue = (channel / 255 for channel in bytes.fromhex(colour.lstrip("#")))

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return INK if luminance > 0.18 else WHITE
