"""The directory as an Excel workbook to hand out at meetings: one row per contact person.

Business contacts of the active partners only (a partner's contact persons are not tenant
data; nothing about households is read here). A partner without contact persons still gets
its row, with the contact's cells empty, so the handout lists every partner of the network.
Every row goes through `rete.export.append_xlsx_row`, so a name typed as `=cmd` stays text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete.directory.edit import CONTACT_CHANNELS
from rete.directory.search import covered_in_words, folded, register_fold, served_in_words
from rete.export import append_xlsx_row
from rete.models import Contact, Partner
from rete.taxonomy import PARTNER_KINDS

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

SHEET_TITLE = "Referenti"
HEADERS = (
    "Ente",
    "Tipo",
    "Comune",
    "Bisogni e aree coperti",
    "Dove opera",
    "Referente",
    "Ruolo",
    "Telefono",
    "E-mail",
    "Canale preferito",
    "Referente principale",
    "Ultima verifica",
)
DATE_COLUMNS = frozenset({"Ultima verifica"})
DATE_FORMAT = "DD/MM/YYYY"
LIST_SEPARATOR = "; "
MIN_WIDTH, MAX_WIDTH = 10, 50  # characters; longer texts wrap within MAX_WIDTH
DATE_WIDTH = 14

Cell = str | dt.date | None


def directory_rows(session: Session) -> list[tuple[Cell, ...]]:
    """The workbook's rows, as `HEADERS` says: by partner name, each partner's primary contact
    first, then its other contacts by name."""
    register_fold(session.connection())
    by_name = folded(Partner.name, session.get_bind().dialect.name)
    rows = session.execute(
        select(
            Partner.id,
            Partner.name,
            Partner.kind,
            Partner.municipality,
            Partner.last_verified_on,
            Contact.name,
            Contact.role,
            Contact.phone,
            Contact.email,
            Contact.preferred_channel,
            Contact.is_primary,
        )
        .outerjoin(Contact, Contact.partner_id == Partner.id)
        .where(Partner.active)
        .order_by(by_name, Partner.id, Contact.is_primary.desc(), Contact.name, Contact.id)
    ).all()
    ids = list(dict.fromkeys(row[0] for row in rows))
    covers = covered_in_words(session, ids)
    serves = served_in_words(session, ids)
    table: list[tuple[Cell, ...]] = []
    for (
        partner_id,
        name,
        kind,
        municipality,
        verified,
        contact,
        role,
        phone,
        email,
        channel,
        primary,
    ) in rows:
        has_contact = contact is not None
        table.append(
            (
                name,
                PARTNER_KINDS.get(kind, kind),
                municipality,
                LIST_SEPARATOR.join(covers.get(partner_id, ())),
                LIST_SEPARATOR.join(serves.get(partner_id, ())),
                contact,
                role,
                phone,
                email,
                CONTACT_CHANNELS.get(channel, channel) if channel else None,
                ("Sì" if primary else "No") if has_contact else None,
                verified,
            )
        )
    return table


def directory_workbook(engine: Engine) -> bytes:
    """The .xlsx file: Italian headers on a frozen first row with filters, dates as dates
    (dd/mm/yyyy), columns wide enough to read, long lists wrapped, landscape on paper.

    openpyxl is imported here: a quarter of a second that only the download pays, not every
    page that imports the directory."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    with Session(engine) as session:
        rows = directory_rows(session)
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET_TITLE
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_xlsx_row(sheet, row)
    _format(sheet, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _format(sheet: Worksheet, rows: Sequence[tuple[Cell, ...]]) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    last = get_column_letter(len(HEADERS))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for index, header in enumerate(HEADERS):
        values = [row[index] for row in rows]
        letter = get_column_letter(index + 1)
        if header in DATE_COLUMNS:
            width = max(DATE_WIDTH, len(header) + 2)
            for cell in sheet[letter][1:]:
                cell.number_format = DATE_FORMAT
                cell.alignment = top
        else:
            longest = max([len(header), *(len(str(value)) for value in values if value)])
            width = min(max(longest + 2, MIN_WIDTH), MAX_WIDTH)
            alignment = wrap if longest + 2 > MAX_WIDTH else top
            for cell in sheet[letter][1:]:
                cell.alignment = alignment
        sheet.column_dimensions[letter].width = width
