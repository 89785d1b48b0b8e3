"""The meeting's Word report and Excel workbook, read back with python-docx and openpyxl as a
word processor or a spreadsheet would, and opened by LibreOffice."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from deck_sample import TENANT_TEXTS, sample_deck
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from rete.export import FORMULA_STARTS, runnable
from rete.meeting.model import Chart, Deck, Series, Slide, Value
from rete.meeting.report import CONTACTS_HEADING, METHOD_HEADING, deck_docx
from rete.meeting.workbook import COVER_TITLE, NUMBER_FORMATS, deck_xlsx, sheet_name

SOFFICE = Path("/usr/bin/soffice")
INJECTION = "=cmd|' /C calc'!A0"


def data_slides(deck: Deck) -> list[Slide]:
    return [slide for slide in deck.slides if slide.table is not None]


def table_texts(slide: Slide) -> list[list[str]]:
    """The slide's table as the reader sees it: every hidden value by its text."""
    assert slide.table is not None
    header, rows = slide.table
    return [header, *([c.text if isinstance(c, Value) else c for c in row] for row in rows)]


def relabelled(deck: Deck, key: str, label: str) -> Deck:
    """The deck with the first category of slide `key`'s chart renamed `label`."""
    slides = []
    for slide in deck.slides:
        if slide.key == key:
            assert slide.chart is not None
            categories = (label, *slide.chart.categories[1:])
            chart = dataclasses.replace(slide.chart, categories=categories)
            slide = dataclasses.replace(slide, chart=chart)
        slides.append(slide)
    return dataclasses.replace(deck, slides=tuple(slides))


def docx_of(deck: Deck) -> DocxDocument:
    return Document(io.BytesIO(deck_docx(deck)))


def xlsx_of(deck: Deck) -> Workbook:
    return load_workbook(io.BytesIO(deck_xlsx(deck)))


def parts(data: bytes) -> dict[str, bytes]:
    """Every part of an Office file (a zip): XML, relationships, the template's thumbnail."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- The Word report


def test_the_report_opens_with_a_cover_and_has_a_section_per_slide_with_data():
    deck = sample_deck()
    paragraphs = [(p.style.name, p.text) for p in docx_of(deck).paragraphs if p.text]
    assert paragraphs[:5] == [
        ("Title", deck.network),
        ("Subtitle", "Report per la riunione della rete"),
        ("Normal", "dicembre 2025 – novembre 2026"),
        ("Normal", "Tutta la rete"),
        ("Normal", "Dati al 03/12/2026"),
    ]
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    # The title slide is the cover; the closing slide's contacts come last, after the method.
    assert headings == [
        *(slide.title for slide in data_slides(deck)),
        METHOD_HEADING,
        CONTACTS_HEADING,
    ]
    for slide in data_slides(deck):
        at = paragraphs.index(("Heading 1", slide.title))
        assert paragraphs[at + 1][1] == slide.headline
    contacts = paragraphs.index(("Heading 1", CONTACTS_HEADING))
    assert [text for _, text in paragraphs[contacts + 1 :]] == [
        "Per segnalare un bisogno alla rete",
        "Community Manager ALER",
        "0332 123456",
        "rete@aler.example.it",
    ]


def test_each_table_of_the_report_is_the_slides_table_with_hidden_values_as_texts():
    deck = sample_deck()
    tables = docx_of(deck).tables
    assert len(tables) == len(data_slides(deck))
    for table, slide in zip(tables, data_slides(deck), strict=True):
        assert [[cell.text for cell in row.cells] for row in table.rows] == table_texts(slide)
        assert table.style is not None and table.style.name == "Table Grid"
        assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
        for row in table.rows[1:]:
            label, *figures = row.cells
            assert not any(run.bold for run in label.paragraphs[0].runs)
            assert label.paragraphs[0].alignment is None  # left, as text reads
            assert all(c.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT for c in figures)


def test_a_slides_footnote_and_definitions_follow_its_table_in_smaller_type():
    document = docx_of(sample_deck())
    small = [p for p in document.paragraphs if p.runs and p.runs[0].font.size is not None]
    texts = [p.text for p in small]
    assert texts.count("Valori inferiori a 5 non mostrati.") == 8
    assert texts.count("Bisogni: i bisogni rilevati nei colloqui del periodo.") == 8
    assert all(p.runs[0].font.size.pt < 11 for p in small)


def test_the_method_note_gives_the_threshold_what_hidden_texts_mean_and_the_date():
    deck = sample_deck()
    paragraphs = [p.text for p in docx_of(deck).paragraphs if p.text]
    start = paragraphs.index(METHOD_HEADING)
    method = paragraphs[start + 1 : paragraphs.index(CONTACTS_HEADING)]
    assert method[:2] == list(deck.method)
    assert "Valori inferiori a 5 non mostrati." in method
    assert any(line.startswith("«< 5»: un conteggio da 1 a 4") for line in method)
    assert any(line.startswith("«n.d.»") and "per sottrazione" in line for line in method)
    assert method[-1] == "Dati al 03/12/2026."


def test_the_report_is_in_italian_a4_and_names_no_author():
    document = docx_of(sample_deck())
    properties = document.core_properties
    assert properties.title == (
        "Rete ALER Varese-Como-Monza Brianza-Busto Arsizio · dicembre 2025 – novembre 2026"
    )
    assert (properties.author, properties.last_modified_by, properties.comments) == ("", "", "")
    assert properties.language == "it-IT"
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size.pt) == ("Calibri", 11)
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_a_label_that_looks_like_a_formula_or_holds_a_control_character_is_plain_text():
    deck = relabelled(relabelled(sample_deck(), "aree", INJECTION), "quartieri", "Bosto\x01")
    data = deck_docx(deck)
    tables = Document(io.BytesIO(data)).tables
    assert tables[1].rows[1].cells[0].text == INJECTION
    assert tables[2].rows[1].cells[0].text == "Bosto"
    body = parts(data)["word/document.xml"]
    assert not re.search(rb"<w:(fldSimple|instrText|fldChar|hyperlink)\b", body)


@pytest.mark.parametrize("render", [deck_docx, deck_xlsx], ids=["docx", "xlsx"])
def test_no_tenant_text_reaches_any_part_of_the_file(render):
    for name, content in parts(render(sample_deck())).items():
        for secret in TENANT_TEXTS:
            assert secret.encode() not in content, f"{secret!r} in {name}"


# --- The Excel workbook


def cover_facts(sheet: Worksheet) -> dict[str, object]:
    return {row[0].value: row[1] for row in sheet.iter_rows(min_col=1, max_col=2) if row[0].value}


def test_the_cover_sheet_says_what_the_workbook_holds_with_the_date_as_a_date():
    deck = sample_deck()
    sheet = xlsx_of(deck)[COVER_TITLE]
    assert (sheet["A1"].value, sheet["A2"].value) == (
        deck.network,
        "Tabelle per la riunione della rete",
    )
    facts = cover_facts(sheet)
    assert facts["Periodo"].value == "dicembre 2025 – novembre 2026"
    assert facts["Territorio"].value == "Tutta la rete"
    day = facts["Dati al"]
    assert day.is_date and day.value.date() == deck.data_date
    assert day.number_format == "DD/MM/YYYY"
    assert (facts["Soglia"].value, facts["Soglia"].data_type) == (5, "n")
    lines = [row[0] for row in sheet.iter_rows(min_col=1, max_col=1, values_only=True)]
    method = lines[lines.index("Nota di metodo") + 1 :]
    assert method[:3] == [*deck.method, "Valori inferiori a 5 non mostrati."]
    assert method[3].startswith("«< 5»: un conteggio da 1 a 4")
    assert method[4].startswith("«n.d.»") and "per sottrazione" in method[4]


def test_each_slide_with_a_table_has_its_own_validly_named_sheet():
    deck = sample_deck()
    book = xlsx_of(deck)
    assert book.sheetnames == [COVER_TITLE, *(slide.title for slide in data_slides(deck))]
    for name in book.sheetnames:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    assert len({name.casefold() for name in book.sheetnames}) == len(book.sheetnames)


def test_a_sheet_holds_the_slides_table_with_figures_as_numbers_and_hidden_ones_as_text():
    deck = sample_deck()
    book = xlsx_of(deck)
    for slide in data_slides(deck):
        sheet = book[slide.title]
        assert (sheet["A1"].value, sheet["A2"].value) == (slide.title, slide.headline)
        assert sheet.freeze_panes == "A5"  # the header row, 4, stays in sight
        header_row = 4
        assert slide.table is not None
        header, rows = slide.table
        cells = list(sheet.iter_rows(min_row=header_row, max_row=header_row + len(rows)))
        assert [cell.value for cell in cells[0]] == header
        assert all(cell.font.bold for cell in cells[0])
        kind = slide.chart.number_kind if slide.chart else "count"
        for line, row in zip(cells[1:], rows, strict=True):
            for cell, value in zip(line, row, strict=True):
                if isinstance(value, Value) and not value.hidden:
                    assert (cell.value, cell.data_type) == (value.number, "n")
                    assert cell.number_format == NUMBER_FORMATS[kind]
                elif value == "":  # a tile without a change
                    assert cell.value is None
                else:
                    text = value.text if isinstance(value, Value) else value
                    assert (cell.value, cell.data_type) == (text, "s")
        below = [
            row[0] for row in sheet.iter_rows(min_row=header_row + len(rows) + 1, values_only=True)
        ]
        assert [line for line in below if line] == [slide.footnote, slide.notes]


def test_counts_rates_and_shares_have_their_own_number_format():
    sheet = xlsx_of(sample_deck())["Bisogni per area"]
    assert (sheet["B5"].value, sheet["B5"].number_format) == (1234, "#,##0")
    assert (sheet["B7"].value, sheet["B7"].data_type) == ("< 5", "s")
    rates = xlsx_of(sample_deck())["Bisogni ogni 100 alloggi"]
    assert (rates["B5"].value, rates["B5"].number_format) == (12.3, "0.0")
    share = Chart(
        kind="bar",
        category_title="Ente",
        categories=("Caritas Varese",),
        series=(Series("Prese in carico", "#1B9E77", (Value(0.456, "45,6%"),)),),
        value_title="Quota presa in carico",
        number_kind="percent",
    )
    deck = dataclasses.replace(
        sample_deck(), slides=(Slide("quota", "Quota presa in carico", "Quasi metà", "", share),)
    )
    cell = xlsx_of(deck)["Quota presa in carico"]["B5"]
    # The share itself under a percent format: Excel shows 45,6% (or 45.6%), not 4560%.
    assert (cell.value, cell.number_format) == (0.456, "0.0%")


def test_the_tiles_changes_stay_texts_though_they_start_with_a_sign():
    sheet = xlsx_of(sample_deck())["Il periodo in numeri"]
    assert [(c.value, c.data_type) for c in sheet["C"][4:7:2]] == [
        ("+12", "s"),
        ("-3,5 punti", "s"),
    ]


def test_columns_are_as_wide_as_their_longest_text():
    sheet = xlsx_of(sample_deck())["Segnalazioni e esiti"]
    assert sheet.column_dimensions["A"].width >= len("Comune di Varese – Servizi sociali")
    assert sheet.column_dimensions["B"].width >= len("Presa in carico")


@pytest.mark.parametrize(
    ("label", "stored"),
    [
        *(
            (start + INJECTION[1:], start + INJECTION[1:])
            for start in FORMULA_STARTS
            if start != "\0"
        ),
        # append_xlsx_row drops the NUL an .xlsx cannot hold: what it uncovers must stay text too.
        ("\0" + INJECTION, INJECTION),
        ("\0cmd", "cmd"),
    ],
    ids=repr,
)
def test_a_label_a_spreadsheet_could_run_comes_back_as_text(label, stored):
    data = deck_xlsx(relabelled(sample_deck(), "aree", label))
    cell = load_workbook(io.BytesIO(data))["Bisogni per area"]["A5"]
    assert (cell.value, cell.data_type) == (stored, "s")
    # Marked as typed text, so that editing the cell in Excel does not make it a formula.
    assert cell.quotePrefix == runnable(stored)
    sheets = [xml for name, xml in parts(data).items() if name.startswith("xl/worksheets/")]
    assert not any(re.search(rb"<f[ >]", xml) for xml in sheets)


def test_a_sheet_name_drops_what_excel_refuses_and_stays_unique():
    taken = {"copertina", "history"}
    assert sheet_name("Bisogni [area]: casa/lavoro?*\\", taken) == "Bisogni -area-- casa-lavoro---"
    long = "Bisogni specifici per quartiere e per area"
    assert sheet_name(long, taken) == long[:31]
    assert sheet_name(long, {long[:31].casefold()}) == "Bisogni specifici per quart (2)"
    assert sheet_name("COPERTINA", taken) == "COPERTINA (2)"
    assert sheet_name("History", taken) == "History (2)"
    assert sheet_name("'Bosto'", taken) == "Bosto"
    assert sheet_name("?", set()) == "-"


def test_two_slides_with_the_same_title_get_two_sheets():
    deck = sample_deck()
    twice = dataclasses.replace(deck, slides=(deck.slides[2], deck.slides[2]))
    assert xlsx_of(twice).sheetnames == [COVER_TITLE, "Bisogni per area", "Bisogni per area (2)"]


# --- Outside Office


def test_libreoffice_opens_the_report_and_the_workbook(tmp_path):
    """One soffice run for both files: starting LibreOffice takes seconds. soffice exits 0 even
    when it cannot load a file (a workbook without LibreOffice Calc installed), so the PDFs
    themselves are the proof."""
    if not SOFFICE.exists():
        if os.environ.get("RETE_REQUIRE_SOFFICE") == "1":
            pytest.fail(f"RETE_REQUIRE_SOFFICE=1 but {SOFFICE} is missing: install LibreOffice")
        pytest.skip(f"{SOFFICE} not found: LibreOffice check skipped")
    deck = sample_deck()
    (tmp_path / "report.docx").write_bytes(deck_docx(deck))
    (tmp_path / "tabelle.xlsx").write_bytes(deck_xlsx(deck))
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "report.docx"),
            str(tmp_path / "tabelle.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for name in ("report.pdf", "tabelle.pdf"):
        pdf = (tmp_path / name).read_bytes()
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2, name
