"""Tables for spreadsheets: CSV that Italian Excel and LibreOffice open as they are, and the one
rule that keeps a cell from running as a formula. Every CSV cell Rete writes goes through
`spreadsheet_text`, every Excel row through `append_xlsx_row`; both ask `runnable`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from rete import formats

# OWASP's CSV injection list: a cell starting with one of these may run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def runnable(value: object) -> bool:
    """A text a spreadsheet could run: = + - @, tab, carriage return or NUL first."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def spreadsheet_text(value: object) -> object:
    """For a CSV cell: a text a spreadsheet could run is written with a leading apostrophe,
    which makes the cell plain text; anything else as it is. A text that already looks guarded
    («'=1») gets one more, so that `unguarded` gives every text back as it was."""
    if isinstance(value, str) and (runnable(value) or _behind_apostrophes(value)):
        return "'" + value
    return value


def unguarded(cell: str) -> str:
    """A CSV cell read back as it was before `spreadsheet_text` (an import of a file Rete
    wrote): one apostrophe less before a text a spreadsheet could run, «'+39 0332…» is
    «+39 0332…»; `unguarded(spreadsheet_text(text)) == text` for every text."""
    return cell[1:] if _behind_apostrophes(cell) else cell


def _behind_apostrophes(text: str) -> bool:
    """«'=1», «''+39»: apostrophes before a text a spreadsheet could run."""
    return text.startswith("'") and runnable(text.lstrip("'"))


def append_xlsx_row(sheet: Any, values: Sequence[object]) -> None:
    """For an .xlsx sheet (openpyxl): the row, each text a spreadsheet could run stored as a
    text cell marked "quote prefix" — Excel and LibreOffice show it as typed, without the
    apostrophe a CSV needs, and never evaluate it (openpyxl would store "=…" as a formula).
    Control characters an .xlsx may not hold are dropped from texts (openpyxl would refuse
    the whole file)."""
    sheet.append(
        [
            ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
            for value in values
        ]
    )
    for cell in sheet[sheet.max_row]:
        if runnable(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


def to_csv(
    frame: pd.DataFrame, columns: Mapping[str, str], decimals: Mapping[str, int] | None = None
) -> bytes:
    """`frame`'s `columns` (name → Italian header), in that order, as CSV for Italian Excel:
    ';' separator, ',' decimals, UTF-8 with BOM.

    Numbers stay numbers: a column of whole numbers is written without decimals even where
    pandas made it float because of an empty cell (310, not 310,0); `decimals` rounds the
    columns it names (58,1, not 58,06451612903226), half away from zero as the screen does. Texts go through `spreadsheet_text`.
    """
    table = frame[list(columns)].copy()
    for column, places in (decimals or {}).items():
        table[column] = [formats.rounded(value, places) for value in table[column]]
    for column in table.columns:
        values = table[column]
        if (
            pd.api.types.is_float_dtype(values)
            and _whole(values)
            and column not in (decimals or {})
        ):
            table[column] = values.astype("Int64")
        elif not pd.api.types.is_numeric_dtype(values):
            table[column] = values.map(spreadsheet_text)
    # CRLF as RFC 4180 says: the csv module then quotes a text holding a carriage return,
    # which with "\n" it wrote bare, and a reader took for the end of the row.
    text: str = table.rename(columns=dict(columns)).to_csv(
        index=False, sep=";", decimal=",", lineterminator="\r\n"
    )
    return text.encode("utf-8-sig")


def _whole(values: pd.Series) -> bool:
    known = values.dropna()
    return bool((known == known.round()).all())
