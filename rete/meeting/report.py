"""The meeting's detailed report: a Word handout of the deck (python-docx), in Italian.

A cover (network, period, territory, date of the data), then one section per slide with data:
its title, the headline, the table behind the chart or the tiles, the suppression footnote and
the definitions; a note on method that says what "< 5" and "n.d." mean; and last the closing
slide's contacts. The title slide is the cover, so it gets no section of its own.

Like every renderer it only draws a `Deck`: a hidden value is its text, nothing else. Every deck
text goes into a run as plain text (never a field, a hyperlink or markup), so a label typed as
"=cmd…" or "{ HYPERLINK … }" reads as typed.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from rete import formats
from rete.meeting.model import Deck, Slide, Value

SUBTITLE = "Report per la riunione della rete"
CONTACTS_HEADING = "Contatti del coordinamento"
METHOD_HEADING = "Nota di metodo"
FONT = "Calibri"  # LibreOffice substitutes the metric-compatible Carlito where Calibri is missing
BODY_SIZE = Pt(11)
TABLE_SIZE = Pt(10)
WIDE_TABLE_SIZE = Pt(8)  # a table of more than WIDE_FROM columns (the matrix, the months)
WIDE_FROM = 6
TEXT_WIDTH = Cm(21 - 2 * 2.2)
FIRST_COLUMN = Cm(4.2)  # the names of places and partners, kept on one or two lines
SMALL_SIZE = Pt(9)  # footnotes and definitions
SMALL_COLOUR = RGBColor(0x44, 0x4C, 0x56)  # dark grey: quieter than the body, still readable
TABLE_STYLE = "Table Grid"
LANGUAGE = "it-IT"

# Characters an XML 1.0 document may not hold (C0 controls but tab and line breaks): lxml
# refuses them, and one stray control character in a label would lose the whole report.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def suppression_legend(deck: Deck) -> tuple[str, str, str]:
    """What a reader of any export must know about hidden figures: the threshold sentence and
    the meaning of the two texts that stand in for a hidden value."""
    k = deck.threshold
    return (
        deck.suppression_note,
        f"«< {k}»: un conteggio da 1 a {k - 1}, non mostrato perché riguarda troppo pochi casi "
        "per tutelarne la riservatezza.",
        "«n.d.»: un valore non mostrato perché, insieme ai totali e agli altri valori della "
        f"tabella, permetterebbe di ricavare per sottrazione un valore inferiore a {k}.",
    )


def deck_docx(deck: Deck) -> bytes:
    """The report as a .docx file: A4, Calibri 11 pt, Italian, tables in a grid."""
    document = Document()
    _set_up(document, deck)
    _cover(document, deck)
    for slide in deck.slides:
        if slide.table is not None:
            _slide_section(document, slide)
    _method_section(document, deck)
    # The first slide, when it is text, is the title: the cover already says it all.
    for slide in deck.slides[1:]:
        if slide.table is None:
            _contacts_section(document, slide)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_up(document: DocxDocument, deck: Deck) -> None:
    """Page, fonts, language and the file's properties. python-docx's template names
    "python-docx" as author and comment: the report names no one."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(2.2))
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), LANGUAGE)
    normal.element.get_or_add_rPr().append(lang)
    for name in ("Title", "Subtitle", "Heading 1"):
        document.styles[name].font.name = FONT
    properties = document.core_properties
    properties.title = f"{_plain(deck.network)} · {_plain(deck.period_label)}"
    properties.subject = SUBTITLE
    properties.author = ""
    properties.last_modified_by = ""
    properties.comments = ""
    properties.language = LANGUAGE
    properties.created = properties.modified = dt.datetime.now(dt.UTC).replace(microsecond=0)
    properties.revision = 1


def _cover(document: DocxDocument, deck: Deck) -> None:
    document.add_paragraph(_plain(deck.network), style="Title")
    document.add_paragraph(SUBTITLE, style="Subtitle")
    for line in (
        deck.period_label,
        deck.territory_label,
        f"Dati al {formats.date(deck.data_date)}",
    ):
        document.add_paragraph(_plain(line))
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _slide_section(document: DocxDocument, slide: Slide) -> None:
    """Heading, headline, table, footnote and definitions of one slide with data."""
    table = slide.table
    assert table is not None
    document.add_heading(_plain(slide.title), level=1)
    headline = document.add_paragraph()
    headline.paragraph_format.keep_with_next = True
    headline.add_run(_plain(slide.headline)).bold = True
    _table(document, *table)
    if slide.footnote:
        _small(document, slide.footnote, italic=True)
    for line in slide.notes.splitlines():
        if line.strip():
            _small(document, line)


def _table(document: DocxDocument, header: list[str], rows: list[list[str | Value]]) -> None:
    """The table behind a slide: the header bold, the first column (the categories) left and
    every other column (figures, or "< 5" and "n.d." in their place) right-aligned."""
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.style = document.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    texts = [
        header,
        *([cell.text if isinstance(cell, Value) else cell for cell in row] for row in rows),
    ]
    wide = len(header) > WIDE_FROM
    table.autofit = False
    other = (TEXT_WIDTH - FIRST_COLUMN) // max(1, len(header) - 1)
    for index, grid_column in enumerate(table.columns):  # LibreOffice reads the grid's widths
        grid_column.width = FIRST_COLUMN if index == 0 else other
    for row_index, (row, line) in enumerate(zip(table.rows, texts, strict=True)):
        for column, (cell, text) in enumerate(zip(row.cells, line, strict=True)):
            cell.width = FIRST_COLUMN if column == 0 else other
            paragraph = cell.paragraphs[0]
            if column > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            run = paragraph.add_run(_plain(text))
            run.font.size = WIDE_TABLE_SIZE if wide else TABLE_SIZE
            run.bold = row_index == 0
    # Space between the table and the footnote, which Word would otherwise glue to its border.
    document.add_paragraph().paragraph_format.space_after = Pt(0)


def _contacts_section(document: DocxDocument, slide: Slide) -> None:
    document.add_heading(CONTACTS_HEADING, level=1)
    document.add_paragraph(_plain(slide.headline))
    for line in slide.lines:
        document.add_paragraph(_plain(line))


def _method_section(document: DocxDocument, deck: Deck) -> None:
    document.add_heading(METHOD_HEADING, level=1)
    for line in (
        *deck.method,
        *suppression_legend(deck),
        f"Dati al {formats.date(deck.data_date)}.",
    ):
        document.add_paragraph(_plain(line))


def _small(document: DocxDocument, text: str, *, italic: bool = False) -> None:
    run = document.add_paragraph().add_run(_plain(text))
    run.font.size = SMALL_SIZE
    run.font.color.rgb = SMALL_COLOUR
    run.italic = italic


def _plain(text: str) -> str:
    """The text as the report can hold it: without the control characters XML refuses."""
    return _NOT_XML.sub("", text)
