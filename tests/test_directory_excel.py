"""The directory's Excel workbook: opened with openpyxl, as a spreadsheet program would."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from actors import seed_places
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from test_directory_search import add_partner

from rete.directory.excel import HEADERS, directory_workbook
from rete.models import Contact


@pytest.fixture
def sheet(engine) -> Worksheet:
    """
    Dimora       Morosità and all Salute, Biumo and all Como, verified 03/02/2026;
                 contacts Anna (educatrice), Zeno (primary), Bruno «=cmd»-like role
    =cmd         a name a spreadsheet would run; one contact
    Senza        no contact person
    Chiuso       deactivated, one contact: not exported
    """
    places = seed_places(engine)
    add_partner(
        engine,
        "Dimora",
        covers=("SAN", "ECO01"),
        serves=(places["Biumo"],),
        towns=("Como",),
        verified=dt.date(2026, 2, 3),
        kind="social_cooperative",
        contacts=(
            Contact(name="Anna", role="Educatrice", email="anna@dimora.example"),
            Contact(
                name="Zeno",
                role="Coordinatore",
                phone="0332 111222",
                email="zeno@dimora.example",
                preferred_channel="telefono",
                is_primary=True,
            ),
            Contact(name="Bruno", role="@SUM(1+1)", phone="-1", preferred_channel="email"),
        ),
    )
    add_partner(engine, "=cmd|'/C calc'!A0", contacts=(Contact(name="+Lia", is_primary=True),))
    add_partner(engine, "Senza referenti", covers=("LAV01",))
    add_partner(engine, "Chiuso", active=False, contacts=(Contact(name="Ugo", is_primary=True),))
    book = load_workbook(io.BytesIO(directory_workbook(engine)))
    found = book.active
    assert isinstance(found, Worksheet)
    return found


def rows(sheet: Worksheet) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(min_row=2, values_only=True))


def column(name: str) -> int:
    return HEADERS.index(name)


def test_the_headers_are_italian_on_a_frozen_first_row(sheet):
    assert [cell.value for cell in sheet[1]] == [
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
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet.title == "Referenti"


def test_one_row_per_contact_person_of_the_active_partners_the_primary_first(sheet):
    people = [(row[0], row[column("Referente")]) for row in rows(sheet)]
    assert people == [
        ("=cmd|'/C calc'!A0", "+Lia"),
        ("Dimora", "Zeno"),
        ("Dimora", "Anna"),
        ("Dimora", "Bruno"),
        ("Senza referenti", None),  # listed, with no contact person
    ]


def test_a_contact_row_carries_the_partner_and_the_contact(sheet):
    zeno = rows(sheet)[1]
    assert zeno == (
        "Dimora",
        "cooperativa sociale",
        None,
        "Morosità canone e spese; tutta l'area Salute",
        "comune di Como; Biumo (Varese)",
        "Zeno",
        "Coordinatore",
        "0332 111222",
        "zeno@dimora.example",
        "Telefono",
        "Sì",
        dt.datetime(2026, 2, 3),
    )
    anna = rows(sheet)[2]
    assert (anna[column("Canale preferito")], anna[column("Referente principale")]) == (
        None,
        "No",
    )
    assert rows(sheet)[4][column("Referente principale")] is None  # no contact at all


def test_cells_a_spreadsheet_would_run_are_written_as_text_shown_as_typed(sheet):
    """Text cells marked "quote prefix": never evaluated, and no apostrophe to see."""
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    bruno = rows(sheet)[3]
    assert (bruno[column("Ruolo")], bruno[column("Telefono")]) == ("@SUM(1+1)", "-1")
    assert not sheet["A3"].quotePrefix  # «Dimora»: nothing to guard
    assert bruno[column("Canale preferito")] == "E-mail"


def test_dates_are_dates_shown_day_first(sheet):
    verified = sheet.cell(row=3, column=column("Ultima verifica") + 1)
    assert verified.is_date
    assert verified.number_format == "DD/MM/YYYY"
    assert sheet.cell(row=2, column=column("Ultima verifica") + 1).value is None  # never


def test_columns_are_wide_enough_to_read(sheet):
    widths = {
        header: sheet.column_dimensions[chr(ord("A") + index)].width
        for index, header in enumerate(HEADERS)
    }
    assert widths["Ente"] >= len("=cmd|'/C calc'!A0")
    assert widths["E-mail"] >= len("zeno@dimora.example")
    assert all(10 <= width <= 50 for width in widths.values())


def test_an_empty_directory_gives_the_headers_alone(engine):
    book = load_workbook(io.BytesIO(directory_workbook(engine)))
    assert book.active.max_row == 1  # type: ignore[union-attr]


def test_a_control_character_never_breaks_the_workbook():
    """The backstop under the form's check: openpyxl refuses such a cell, and the file."""
    from openpyxl import Workbook

    from rete.export import append_xlsx_row

    sheet = Workbook().active
    assert isinstance(sheet, Worksheet)
    append_xlsx_row(sheet, ["Cari\x00tas\x1b", "=1+1\x0b", 3, None, "riga\nsotto"])
    assert [cell.value for cell in sheet[1]] == ["Caritas", "=1+1", 3, None, "riga\nsotto"]
    assert sheet["B1"].data_type == "s"
