"""Formula injection: every file Rete writes for a spreadsheet, CSV or Excel, keeps a text that
starts with = + - @, tab, carriage return or NUL as text, through the one guard of
`rete.export` (`spreadsheet_text` for a CSV cell, `append_xlsx_row` for an .xlsx row).

One small demo database (SQLite) where seven areas, seven partners and their primary contact
persons are named like something a spreadsheet would run, one start each. The names are saved
through Rete's own writers where Rete's input keeps the start (= + - @), and straight into the
table where it does not (Rete trims tabs and carriage returns and refuses NUL, but a row
written before that rule or by another program may hold one). Each export is made once, then
read back as a spreadsheet program would: a CSV cell must start with the apostrophe and then
the value; an .xlsx cell must be a text cell marked «quote prefix», and no sheet may hold a
formula. A new export is a new entry of `EXPORTS`; a module of `rete/` that writes CSV or Excel
without one fails `test_every_module_that_writes_a_spreadsheet_is_an_export_tested_here`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from actors import administrator, editor, seed_places
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pptx import Presentation
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import accesslog, audit, db, demo, downloads, hsds, queries, taxonomy
from rete.db import session_scope
from rete.directory import edit
from rete.directory.excel import directory_workbook
from rete.export import runnable, spreadsheet_text, unguarded
from rete.filters import Filters
from rete.hsds.read import read_bytes
from rete.meeting.build import meeting_deck
from rete.meeting.pptx_deck import deck_pptx
from rete.meeting.workbook import deck_xlsx
from rete.models import Category, Contact, Partner

STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
TYPED = STARTS[:4]  # the starts Rete's own forms keep
TODAY = dt.date(2026, 11, 25)
YEAR = Filters("2025-11:2026-10", 202511, 202610)
PROJECT = Path(__file__).resolve().parent.parent


def named(start: str, what: str) -> str:
    """«+=1+1 ente 1»: a formula after the start too, so that what an .xlsx keeps of a value
    whose NUL it cannot hold still needs the guard."""
    return f"{start}=1+1 {what} {STARTS.index(start)}"


def marker(start: str, what: str) -> str:
    """What finds the value in a file whatever the guard did to its start."""
    return named(start, what)[1:]


# --- The data: one demo database, named like formulas


def _rename_areas(engine: Engine) -> None:
    with session_scope(engine) as session:
        areas = session.scalars(
            select(Category).where(Category.parent_id.is_(None)).order_by(Category.code)
        ).all()
        admin = administrator(session)
        for area, start in zip(areas, STARTS, strict=False):
            if start in TYPED:
                taxonomy.rename_category(session, admin, area.id, named(start, "area"))
            else:
                area.name = named(start, "area")


def _rename_partners(engine: Engine) -> None:
    """The seven active partners with most referrals in the year, and each one's primary
    contact person."""
    frame = queries.referral_outcomes_by_partner(engine, YEAR, TODAY)
    with Session(engine) as session:
        active = set(session.scalars(select(Partner.id).where(Partner.active)))
    chosen = [int(p) for p in frame["partner_id"] if int(p) in active][: len(STARTS)]
    assert len(chosen) == len(STARTS)
    for partner_id, start in zip(chosen, STARTS, strict=True):
        with session_scope(engine) as session:
            data, version = edit.partner_input(session, partner_id)
            first, *others = data.contacts
            if start in TYPED:
                contact = edit.ContactInput(**{**first.__dict__, "name": named(start, "referente")})
                changed = edit.PartnerInput(
                    **{
                        **data.__dict__,
                        "name": named(start, "ente"),
                        "contacts": (contact, *others),
                    }
                )
                edit.update_partner(
                    session, editor(session), partner_id, changed, version=version, today=TODAY
                )
            else:
                session.get(Partner, partner_id).name = named(start, "ente")  # type: ignore[union-attr]
                session.get(Contact, first.id).name = named(start, "referente")  # type: ignore[union-attr]


def _audit_details(engine: Engine) -> None:
    """Entries of the trail whose details start like formulas (a partner's name is one)."""
    with session_scope(engine) as session:
        for start in STARTS:
            audit.record(session, "partner_updated", entity="partner", summary=named(start, "voce"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('formulas') / 'demo.db'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.load_demo(engine, households=300, seed=5, months=12, today=TODAY)
    _rename_areas(engine)
    _rename_partners(engine)
    _audit_details(engine)
    yield engine
    db.dispose_engine(url)


# --- Reading the files back as a spreadsheet program would


@dataclass(frozen=True)
class Cell:
    where: str
    text: str
    xlsx: Any = None  # the openpyxl cell, for a workbook's


def csv_cells(data: bytes, name: str, delimiter: str = ";") -> list[Cell]:
    """Every cell, read as the csv module reads (a carriage return in a quoted cell kept)."""
    text = data.decode("utf-8-sig")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [
        Cell(f"{name} row {r} column {c}", value)
        for r, row in enumerate(rows, start=1)
        for c, value in enumerate(row, start=1)
    ]


def xlsx_cells(data: bytes, name: str) -> list[Cell]:
    """Every text cell; no sheet may hold a formula."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for part in package.namelist():
            if part.startswith("xl/worksheets/"):
                xml = package.read(part)
                assert b"<f>" not in xml and b"<f " not in xml, f"a formula in {name}: {part}"
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        Cell(f"{name} {sheet.title}!{cell.coordinate}", cell.value, cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def zip_csv_cells(data: bytes) -> list[Cell]:
    """The CSVs of an HSDS package (comma separated)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return [
            cell
            for name in package.namelist()
            if name.endswith(".csv")
            for cell in csv_cells(package.read(name), name, delimiter=",")
        ]


def pptx_sheet_cells(data: bytes) -> list[Cell]:
    """The data sheet of every chart, where PowerPoint's «Modifica dati» opens."""
    cells = []
    for number, slide in enumerate(Presentation(io.BytesIO(data)).slides, start=1):
        for shape in slide.shapes:
            if getattr(shape, "has_chart", False) and shape.has_chart:
                blob = shape.chart.part.chart_workbook.xlsx_part.blob
                cells += xlsx_cells(blob, f"slide {number} chart")
    return cells


@dataclass(frozen=True)
class Export:
    make: Callable[[Engine], list[Cell]]
    carries: tuple[str, ...]  # which of the names reach it: area, ente, referente, voce


def _deck(engine: Engine) -> Any:
    return meeting_deck(engine, YEAR, TODAY)


EXPORTS: dict[str, Export] = {
    # The Cruscotto's downloads (pages/cruscotto.py), one per chart.
    "cruscotto: bisogni per area": Export(
        lambda e: csv_cells(downloads.needs_by_area(queries.needs_by_area(e, YEAR)), "aree.csv"),
        ("area",),
    ),
    "cruscotto: bisogni per quartiere": Export(
        lambda e: csv_cells(downloads.needs_by_neighbourhood(e, YEAR), "quartieri.csv"),
        ("area",),
    ),
    "cruscotto: quartieri e bisogni specifici": Export(
        lambda e: csv_cells(downloads.needs_by_neighbourhood_need(e, YEAR), "matrice.csv"),
        ("area",),
    ),
    "cruscotto: andamento mensile": Export(
        lambda e: csv_cells(downloads.monthly_trend(queries.monthly_trend(e, YEAR)), "mesi.csv"),
        ("area",),
    ),
    "cruscotto: esiti per ente": Export(
        lambda e: csv_cells(
            downloads.referral_outcomes(queries.referral_outcomes_by_partner(e, YEAR, TODAY)),
            "esiti.csv",
        ),
        ("ente",),
    ),
    # The directory: the contact persons' workbook and the HSDS package.
    "elenco dei referenti (Excel)": Export(
        lambda e: xlsx_cells(directory_workbook(e), "referenti.xlsx"), ("ente", "referente")
    ),
    "HSDS (zip di CSV)": Export(lambda e: zip_csv_cells(hsds.export_zip(e)), ("ente", "referente")),
    # The meeting: its workbook, and the data sheets inside the PowerPoint's charts.
    "riunione: tabelle Excel": Export(
        lambda e: xlsx_cells(deck_xlsx(_deck(e)), "riunione.xlsx"), ("area",)
    ),
    "riunione: dati dei grafici PowerPoint": Export(
        lambda e: pptx_sheet_cells(deck_pptx(_deck(e))), ("area",)
    ),
    # The Registro accessi's CSV.
    "registro accessi (CSV)": Export(
        lambda e: csv_cells(accesslog.to_csv(e, accesslog.LogFilters()), "registro.csv"),
        ("voce",),
    ),
}


@pytest.fixture(scope="module")
def produced(world: Engine) -> dict[str, list[Cell]]:
    """Each export made once."""
    return {name: export.make(world) for name, export in EXPORTS.items()}


def as_text(cell: Cell) -> bool:
    """Whether a spreadsheet program takes the cell as text, whatever it holds."""
    if cell.xlsx is None:
        return not runnable(cell.text)  # a CSV cell is typed in as it is
    return cell.xlsx.data_type == "s" and (cell.xlsx.quotePrefix or not runnable(cell.text))


def starts_as_typed(cell: Cell, value: str) -> bool:
    """Whether the cell holds `value` first: after the CSV's apostrophe; in an .xlsx, less
    what it cannot hold (a NUL) and marked «quote prefix»."""
    if cell.xlsx is None:
        return cell.text.startswith("'" + value)
    kept = ILLEGAL_CHARACTERS_RE.sub("", value)
    return cell.text.startswith(kept) and bool(cell.xlsx.quotePrefix)


@pytest.mark.parametrize("start", STARTS, ids=[repr(s) for s in STARTS])
@pytest.mark.parametrize("export", list(EXPORTS))
def test_a_value_starting_with_a_formula_character_comes_back_as_text(
    produced: dict[str, list[Cell]], export: str, start: str
) -> None:
    cells = produced[export]
    for what in EXPORTS[export].carries:
        value = named(start, what)
        found = [cell for cell in cells if marker(start, what) in cell.text]
        assert found, f"{value!r} is in no cell of {export}: the test no longer reaches it"
        assert [cell.where for cell in found if not as_text(cell)] == []
        # A cell of its own (a label, a name), not only within a sentence (a headline).
        assert any(starts_as_typed(cell, value) for cell in found), [c.text for c in found]


def test_every_module_that_writes_a_spreadsheet_is_an_export_tested_here() -> None:
    """A CSV or Excel writer of `rete/` goes through `rete.export` and is listed in
    `EXPORTS` (by its module, here)."""
    writes = re.compile(
        r"csv\.(?:writer|DictWriter)\(|\.to_csv\(|\bWorkbook\(|xlsxwriter|\.to_excel\("
    )
    tested = {
        "rete/export.py",  # the helper itself
        "rete/downloads.py",
        "rete/directory/excel.py",
        "rete/hsds/export.py",
        "rete/meeting/workbook.py",
        "rete/meeting/pptx_charts.py",
        "rete/accesslog.py",
    }
    found = {
        str(path.relative_to(PROJECT))
        for path in (PROJECT / "rete").rglob("*.py")
        if writes.search(path.read_text())
    }
    assert found == tested, "a new CSV or Excel writer: add it to EXPORTS and to this list"
    guard = re.compile(r"spreadsheet_text|append_xlsx_row|export\.to_csv")
    unguarded_writers = [
        m for m in sorted(found - {"rete/export.py"}) if not guard.search((PROJECT / m).read_text())
    ]
    assert not unguarded_writers


# --- The guard itself, and HSDS's round trip


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+39 0332 123456", "'=1+1", "''@x", "'", "'ciao", "", "Biumo", "\t=x", "-", "a=1"],
)
def test_the_guard_is_undone_exactly(text: str) -> None:
    """What an import of Rete's own CSV reads is what was written, an apostrophe included."""
    guarded = spreadsheet_text(text)
    assert isinstance(guarded, str)
    assert unguarded(guarded) == text
    assert not runnable(guarded)


def test_the_hsds_package_reads_back_every_value_as_it_was(world: Engine) -> None:
    """The import's reader takes off the apostrophe the export put on, for every start."""
    source = read_bytes(hsds.export_zip(world), "rete.zip")
    names = {record.values["name"] for record in source.rows("organization")}
    contacts = {record.values["name"] for record in source.rows("contact")}
    for start in STARTS:
        assert named(start, "ente") in names
        assert named(start, "referente") in contacts


@pytest.fixture
def two_databases(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two fresh SQLite databases with the reference data and the demo places."""
    engines = []
    for name in ("source", "target"):
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        engine = db.get_engine(f"sqlite:///{path}")
        seed_places(engine)
        engines.append(engine)
    yield engines[0], engines[1]
    for engine in engines:
        db.dispose_engine(str(engine.url))


ROUND_TRIP = (*TYPED, "'=", "''+", "'")  # and names that already look guarded


def test_an_hsds_round_trip_gives_back_every_value_as_typed(
    two_databases: tuple[Engine, Engine],
) -> None:
    source, target = two_databases
    with session_scope(source) as session:
        who = editor(session)
        need = session.scalar(select(Category.id).where(Category.code == "ECO01"))
        for index, start in enumerate(ROUND_TRIP):
            edit.create_partner(
                session,
                who,
                edit.PartnerInput(
                    name=f"{start}=1+1 ente {index}",
                    kind="other",
                    description=f"{start}SUM(A1) descrizione {index}",
                    phone="+39 0332 123456",
                    municipality="Varese",
                    category_ids=(need,),  # type: ignore[arg-type]
                    municipalities=("Varese",),
                    contacts=(
                        edit.ContactInput(
                            name=f"{start}@x referente {index}",
                            role=f"{start}-ruolo {index}",
                            phone="+39 333 1234567",
                            is_primary=True,
                        ),
                    ),
                ),
                today=TODAY,
            )
    package = hsds.export_zip(source)
    preview = hsds.preview_upload(target, package, "rete.zip", TODAY)
    assert not preview.errors, preview.lines()
    with session_scope(target) as session:
        hsds.commit_import(session, editor(session), preview)

    def directory(engine: Engine) -> set[tuple[Any, ...]]:
        with Session(engine) as session:
            return set(
                session.execute(
                    select(
                        Partner.name,
                        Partner.description,
                        Partner.phone,
                        Contact.name,
                        Contact.role,
                        Contact.phone,
                    ).join(Contact, Contact.partner_id == Partner.id)
                ).all()
            )

    expected = directory(source)
    assert len(expected) == len(ROUND_TRIP)
    assert directory(target) == expected
