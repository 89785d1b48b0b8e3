"""The meeting's workbook: the tables behind the deck as an Excel file (openpyxl), in Italian.

A cover sheet «Copertina» says which network, period and territory, the date of the data, the
threshold, the note on method and what "< 5" and "n.d." mean; then one sheet per slide with a
table: the slide's title and headline above it, the footnote and definitions below.

Figures are NUMBERS, so that a partner can sort and sum them: `Value.number` with a number
format in Excel's own (locale-free) code, which Excel and LibreOffice show with the reader's
separators (1.234 and 12,3 in Italian). A hidden figure is its text ("< 5", "n.d."), never a
number. A percent chart's `Value.number` is the share (0.456 for «45,6%», what
`rete.formats.percent` takes), written as it is under a percent format. The tiles carry only
texts ("800", "58,1%"), so their table stays text.

Every row goes through `rete.export.append_xlsx_row`: a label typed as "=cmd…" stays text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from rete.export import append_xlsx_row
from rete.meeting.model import Deck, NumberKind, Slide, Value
from rete.meeting.report import suppression_legend

COVER_TITLE = "Copertina"
SUBTITLE = "Tabelle per la riunione della rete"
NUMBER_FORMATS: dict[NumberKind, str] = {
    "count": "#,##0",
    "rate": "0.0",
    "percent": "0.0%",
    "days": "#,##0",
}
DATE_FORMAT = "DD/MM/YYYY"
SHEET_NAME_LENGTH = 31  # Excel's limit
# Characters Excel refuses in a sheet's name; "History" is a name Excel keeps for itself.
_NOT_IN_SHEET_NAME = str.maketrans(dict.fromkeys("[]:*?/\\", "-"))
_RESERVED_NAMES = frozenset({"history"})
MIN_WIDTH, MAX_WIDTH = 8, 50  # characters
HEADER_ROW = 4  # title, headline, a blank row, then the table's header
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
ITALIC = Font(italic=True)
RIGHT = Alignment(horizontal="right")
LEFT = Alignment(horizontal="left")

Cell = str | float | None


def deck_xlsx(deck: Deck) -> bytes:
    """The workbook as an .xlsx file: the cover, then one sheet per slide with a table."""
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = COVER_TITLE
    _cover(cover, deck)
    names = {COVER_TITLE.casefold(), *_RESERVED_NAMES}
    for slide in deck.slides:
        if slide.table is not None:
            name = sheet_name(slide.title, names)
            names.add(name.casefold())
            _slide_sheet(book.create_sheet(name), slide)
    book.properties.title = f"{deck.network} · {deck.period_label}"
    book.properties.subject = SUBTITLE
    book.properties.creator = None  # openpyxl names itself as author: the workbook names no one
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_name(title: str, taken: set[str]) -> str:
    """A name Excel accepts for the sheet of a slide titled `title`: none of []:*?/\\, at most
    31 characters, not one of `taken` (casefolded: Excel's names ignore case) — a second
    «Bisogni per area» is «Bisogni per area (2)»."""
    base = ILLEGAL_CHARACTERS_RE.sub("", title).translate(_NOT_IN_SHEET_NAME)
    base = base.strip().strip("'").strip() or "Foglio"  # Excel refuses a name that starts with '
    name, copy = base[:SHEET_NAME_LENGTH], 1
    while name.casefold() in taken:
        copy += 1
        suffix = f" ({copy})"
        name = base[: SHEET_NAME_LENGTH - len(suffix)].rstrip() + suffix
    return name


def _cover(sheet: Worksheet, deck: Deck) -> None:
    """Label and value pairs, then the note on method and the meaning of the hidden texts."""
    append_xlsx_row(sheet, [deck.network])
    sheet["A1"].font = TITLE_FONT
    append_xlsx_row(sheet, [SUBTITLE])
    append_xlsx_row(sheet, [None])
    facts: tuple[tuple[str, str | dt.date | int], ...] = (
        ("Periodo", deck.period_label),
        ("Territorio", deck.territory_label),
        ("Dati al", deck.data_date),
        ("Soglia", deck.threshold),
    )
    for label, value in facts:
        append_xlsx_row(sheet, [label, value])
        label_cell, value_cell = sheet[sheet.max_row]
        label_cell.font = BOLD
        value_cell.alignment = LEFT  # a date or a number sits by its label, like the texts
        if isinstance(value, dt.date):
            value_cell.number_format = DATE_FORMAT
    append_xlsx_row(sheet, [None])
    append_xlsx_row(sheet, ["Nota di metodo"])
    sheet.cell(sheet.max_row, 1).font = BOLD
    for line in (*deck.method, *suppression_legend(deck)):
        append_xlsx_row(sheet, [line])
    sheet.column_dimensions["A"].width = _width([label for label, _ in facts])
    sheet.column_dimensions["B"].width = _width(
        [deck.period_label, deck.territory_label, DATE_FORMAT]
    )


def _slide_sheet(sheet: Worksheet, slide: Slide) -> None:
    """Title and headline, the table with its header frozen, then footnote and definitions."""
    table = slide.table
    assert table is not None
    header, rows = table
    number_format = NUMBER_FORMATS[slide.chart.number_kind if slide.chart else "count"]
    append_xlsx_row(sheet, [slide.title])
    sheet["A1"].font = TITLE_FONT
    append_xlsx_row(sheet, [slide.headline])
    sheet["A2"].font = BOLD
    append_xlsx_row(sheet, [None])
    append_xlsx_row(sheet, header)
    for cell in sheet[HEADER_ROW]:
        cell.font = BOLD
        if cell.column > 1:
            cell.alignment = RIGHT
    for row in rows:
        append_xlsx_row(sheet, [_cell(value) for value in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=True):
            if isinstance(value, Value) and not value.hidden:
                cell.number_format = number_format
            elif cell.column > 1:  # "< 5", "n.d." or a tile's text in a column of figures
                cell.alignment = RIGHT
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    _notes(sheet, slide)
    texts = [header, *([_text(value) for value in row] for row in rows)]
    for index, column in enumerate(zip(*texts, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)


def _notes(sheet: Worksheet, slide: Slide) -> None:
    append_xlsx_row(sheet, [None])
    if slide.footnote:
        append_xlsx_row(sheet, [slide.footnote])
        sheet.cell(sheet.max_row, 1).font = ITALIC
    for line in slide.notes.splitlines():
        if line.strip():
            append_xlsx_row(sheet, [line])


def _cell(value: str | Value) -> Cell:
    """What a table cell holds: a shown figure's number, a hidden one's text, a label; an empty
    text (a tile without a change) is an empty cell, not a text of no characters."""
    if isinstance(value, Value):
        return value.text if value.hidden else value.number
    return value or None


def _text(value: str | Value) -> str:
    return value.text if isinstance(value, Value) else value


def _width(texts: Sequence[str]) -> int:
    """A column as wide as its longest text (bold headers need a little more), within limits."""
    longest = max((len(text) for text in texts), default=0)
    return min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
