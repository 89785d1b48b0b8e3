"""The meeting deck as a PowerPoint file, read back with python-pptx and opened in LibreOffice."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from deck_sample import SMALL, TENANT_TEXTS, count, sample_deck
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE, MSO_SHAPE_TYPE
from pptx.util import Inches

from rete.meeting.model import Chart, Deck, Series, Slide, Value
from rete.meeting.pptx_deck import COUNT_FORMAT, deck_pptx

SOFFICE = Path("/usr/bin/soffice")
SOFFICE_SECONDS = 180
NATIVE = {
    "bar": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "hbar": XL_CHART_TYPE.BAR_CLUSTERED,
    "stacked_hbar": XL_CHART_TYPE.BAR_STACKED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
}
INJECTION = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def deck() -> Deck:
    return sample_deck()


@pytest.fixture(scope="module")
def presentation(deck: Deck) -> Any:
    return Presentation(io.BytesIO(deck_pptx(deck)))


def page_of(presentation: Any, deck: Deck, key: str) -> Any:
    return presentation.slides[deck.keys.index(key)]


def chart_on(page: Any) -> Any:
    (frame,) = [shape for shape in page.shapes if shape.has_chart]
    return frame.chart


def texts_on(page: Any) -> list[str]:
    return [shape.text_frame.text for shape in page.shapes if shape.has_text_frame]


def runs_of(page: Any) -> Iterator[Any]:
    """Every run of text on the slide: text boxes, tiles and table cells."""
    for shape in page.shapes:
        frames = [shape.text_frame] if shape.has_text_frame else []
        if shape.has_table:
            frames = [cell.text_frame for row in shape.table.rows for cell in row.cells]
        for frame in frames:
            for paragraph in frame.paragraphs:
                yield from paragraph.runs


def chart_slides(deck: Deck) -> list[Slide]:
    return [s for s in deck.slides if s.chart is not None and s.chart.kind != "matrix"]


def parts_of(data: bytes) -> dict[str, bytes]:
    """Every part of the file, and of the workbooks embedded in it (each chart's data)."""
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            parts[name] = package.read(name)
            if name.endswith(".xlsx"):
                parts.update(
                    (f"{name}/{inner}", blob) for inner, blob in parts_of(parts[name]).items()
                )
    return parts


def embedded_sheet(chart: Any) -> Any:
    blob = chart.part.chart_workbook.xlsx_part.blob
    return openpyxl.load_workbook(io.BytesIO(blob))["Sheet1"]


def test_it_has_one_16_9_slide_per_deck_slide_in_order(deck: Deck, presentation: Any) -> None:
    assert len(presentation.slides) == len(deck.slides)
    assert (presentation.slide_width, presentation.slide_height) == (Inches(13.333), Inches(7.5))
    for page, slide in zip(presentation.slides, deck.slides, strict=True):
        assert slide.title in texts_on(page)


def test_each_chart_is_native_with_the_decks_categories_and_series(
    deck: Deck, presentation: Any
) -> None:
    for slide in chart_slides(deck):
        assert slide.chart is not None
        chart = chart_on(page_of(presentation, deck, slide.key))
        assert chart.chart_type == NATIVE[slide.chart.kind], slide.key
        assert [s.name for s in chart.plots[0].series] == [s.name for s in slide.chart.series]
        if len(slide.chart.series) > 1:
            assert list(chart.plots[0].categories) == list(slide.chart.categories)


def test_a_hidden_value_is_blank_and_its_text_joins_a_one_series_label(
    deck: Deck, presentation: Any
) -> None:
    chart = chart_on(page_of(presentation, deck, "quartieri"))
    assert list(chart.plots[0].categories) == [
        "Sangallo · Varese",
        "Bosto · Varese (n.d.)",
        "Altri quartieri (< 5)",
    ]
    assert chart.plots[0].series[0].values == (420.0, None, None)
    assert [row[1].value for row in embedded_sheet(chart).iter_rows(min_row=2)] == [
        420,
        None,
        None,
    ]


def test_series_values_are_the_numbers_with_hidden_ones_blank(
    deck: Deck, presentation: Any
) -> None:
    for slide in chart_slides(deck):
        assert slide.chart is not None
        chart = chart_on(page_of(presentation, deck, slide.key))
        for drawn, series in zip(chart.plots[0].series, slide.chart.series, strict=True):
            assert drawn.values == tuple(value.number for value in series.values), slide.key


def rgb(colour: str) -> str:
    return colour.lstrip("#").upper()


def test_bars_and_lines_wear_the_areas_colours(deck: Deck, presentation: Any) -> None:
    by_area = chart_on(page_of(presentation, deck, "aree")).plots[0].series[0]
    assert [str(by_area.points[i].format.fill.fore_color.rgb) for i in range(3)] == [
        "E69F00",
        "009E73",
        "0072B2",
    ]
    outcomes, trend = (deck.slides[deck.keys.index(key)].chart for key in ("esiti", "andamento"))
    assert outcomes is not None and trend is not None
    segments = chart_on(page_of(presentation, deck, "esiti")).plots[0].series
    assert [str(s.format.fill.fore_color.rgb) for s in segments] == [
        rgb(series.colour) for series in outcomes.series
    ]
    lines = chart_on(page_of(presentation, deck, "andamento")).plots[0].series
    assert [str(s.format.line.color.rgb) for s in lines] == [
        rgb(series.colour) for series in trend.series
    ]


def test_horizontal_bars_put_the_first_category_on_top_and_the_values_at_the_bottom(
    deck: Deck, presentation: Any
) -> None:
    for key in ("quartieri", "alloggi", "esiti"):
        chart = chart_on(page_of(presentation, deck, key))
        assert chart.category_axis.reverse_order
        # The value axis crosses the reversed categories at the last one, i.e. the bottom.
        assert chart.value_axis._element.xpath("c:crosses/@val") == ["max"]


def test_numbers_carry_a_format_that_reads_italian_in_any_locale(
    deck: Deck, presentation: Any
) -> None:
    counts = chart_on(page_of(presentation, deck, "aree"))
    rates = chart_on(page_of(presentation, deck, "alloggi"))
    for chart, expected in ((counts, COUNT_FORMAT), (rates, "[$-410]#,##0.0")):
        labels = chart.plots[0].series[0].data_labels
        assert (labels.number_format, labels.number_format_is_linked) == (expected, False)
        ticks = chart.value_axis.tick_labels
        assert (ticks.number_format, ticks.number_format_is_linked) == (expected, False)
        assert {cell.number_format for cell in embedded_sheet(chart)["B"][1:]} == {expected}


def test_value_axis_title_and_a_legend_at_the_bottom_for_several_series(
    deck: Deck, presentation: Any
) -> None:
    for slide in chart_slides(deck):
        assert slide.chart is not None
        chart = chart_on(page_of(presentation, deck, slide.key))
        assert chart.value_axis.axis_title.text_frame.text == slide.chart.value_title
        several = len(slide.chart.series) > 1
        assert chart.has_legend == several, slide.key
        if several:
            assert chart.legend.position == XL_LEGEND_POSITION.BOTTOM


def test_a_multi_series_footnote_lists_what_the_chart_leaves_blank(
    deck: Deck, presentation: Any
) -> None:
    outcomes = texts_on(page_of(presentation, deck, "esiti"))[-1]
    assert outcomes.startswith("Valori inferiori a 5 non mostrati.")
    assert "Rifiutata: Caritas Varese (< 5), Comune di Varese – Servizi sociali (n.d.)" in outcomes
    assert "In ritardo: Comune di Varese – Servizi sociali (< 5)" in outcomes
    assert "Salute: feb 2026 (< 5)" in texts_on(page_of(presentation, deck, "andamento"))[-1]


def test_a_long_listing_is_counted_on_the_slide_and_listed_in_the_notes() -> None:
    months = tuple(f"mese {n}" for n in range(1, 13))
    trend = Chart(
        kind="line",
        category_title="Mese",
        categories=months,
        series=tuple(
            Series(name, "#0072B2", tuple(SMALL if n % 2 else count(10) for n in range(12)))
            for name in ("Economia e lavoro", "Salute", "Abitare")
        ),
        value_title="Bisogni",
    )
    slide = Slide("andamento", "Andamento", "Crescono", "Definizioni.", chart=trend)
    page = Presentation(io.BytesIO(deck_pptx(dataclasses.replace(sample_deck(), slides=(slide,)))))
    footnote = texts_on(page.slides[0])[-1]
    assert footnote == "Assenti dal grafico 18 valori nascosti, elencati nelle note."
    notes = page.slides[0].notes_slide.notes_text_frame.text
    assert "Abitare: mese 2 (< 5), mese 4 (< 5)" in notes


def test_the_matrix_is_a_table_shaded_by_value_with_hidden_cells_grey(
    deck: Deck, presentation: Any
) -> None:
    page = page_of(presentation, deck, "matrice")
    assert not any(shape.has_chart for shape in page.shapes)
    (table,) = [shape.table for shape in page.shapes if shape.has_table]
    texts = [[cell.text for cell in row.cells] for row in table.rows]
    assert texts == [
        ["Quartiere", "Bollette e utenze", "Salute mentale"],
        ["Sangallo · Varese", "40", "n.d."],
        ["Bosto · Varese", "< 5", "12"],
    ]

    def fill(row: int, column: int) -> str:
        return str(table.cell(row, column).fill.fore_color.rgb)

    def ink(row: int, column: int) -> str:
        return str(table.cell(row, column).text_frame.paragraphs[0].runs[0].font.color.rgb)

    assert fill(1, 2) == fill(2, 1) == "E3E3E3"  # hidden: grey, whatever their text
    darkest, lighter = fill(1, 1), fill(2, 2)
    assert sum(bytes.fromhex(darkest)) < sum(bytes.fromhex(lighter))  # 40 darker than 12
    assert (ink(1, 1), ink(2, 2)) == ("FFFFFF", "1A1A1A")  # white on dark, dark on light


def test_the_title_slide_says_network_period_territory_and_date(
    deck: Deck, presentation: Any
) -> None:
    said = " ".join(texts_on(presentation.slides[0])).casefold()
    for fact in (deck.network, deck.period_label, deck.territory_label, "03/12/2026"):
        assert fact.casefold() in said
    assert said.count("tutta la rete") == 1  # a fact its lines give is not repeated


def test_the_closing_slide_shows_its_lines(deck: Deck, presentation: Any) -> None:
    texts = " ".join(texts_on(presentation.slides[-1]))
    for line in deck.slides[-1].lines:
        assert line in texts


def test_tiles_are_rounded_boxes_with_label_value_and_change(deck: Deck, presentation: Any) -> None:
    page = page_of(presentation, deck, "numeri")
    boxes = [
        shape.text_frame.text.split("\n")
        for shape in page.shapes
        if shape.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE
        and shape.auto_shape_type == MSO_SHAPE.ROUNDED_RECTANGLE
    ]
    assert boxes == [
        ["Colloqui", "800", "+12"],
        ["Nuclei", "< 5"],
        ["Presi in carico", "58,1%", "-3,5 punti"],
    ]


def test_headlines_and_footnotes_are_on_their_slides(deck: Deck, presentation: Any) -> None:
    for page, slide in zip(presentation.slides, deck.slides, strict=True):
        texts = texts_on(page)
        assert slide.headline in texts
        if slide.footnote:
            assert texts[-1].startswith(slide.footnote)


def test_notes_hold_the_definitions_and_the_footnote(deck: Deck, presentation: Any) -> None:
    for page, slide in zip(presentation.slides, deck.slides, strict=True):
        notes = page.notes_slide.notes_text_frame.text
        assert slide.notes in notes
        assert slide.footnote is None or slide.footnote in notes
    tiles = page_of(presentation, deck, "numeri").notes_slide.notes_text_frame.text
    assert "Nuclei: Nuclei distinti." in tiles


def chart_fonts(chart: Any) -> list[Any]:
    """The fonts of a chart's axes, axis title, legend and bar labels."""
    fonts = [
        chart.font,
        chart.category_axis.tick_labels.font,
        chart.value_axis.tick_labels.font,
        chart.value_axis.axis_title.text_frame.paragraphs[0].runs[0].font,
    ]
    if chart.has_legend:
        fonts.append(chart.legend.font)
    if chart.chart_type != XL_CHART_TYPE.LINE_MARKERS:
        fonts += [series.data_labels.font for series in chart.plots[0].series]
    return fonts


def test_type_is_large_enough_for_a_projector(deck: Deck, presentation: Any) -> None:
    for page, slide in zip(presentation.slides, deck.slides, strict=True):
        least = {slide.title: 32, slide.headline: 24}
        for run in runs_of(page):
            assert run.font.size.pt >= least.get(run.text, 14), (slide.key, run.text)
        for shape in page.shapes:
            if shape.has_table:
                cells = [cell for row in shape.table.rows for cell in row.cells]
                assert all(c.text_frame.paragraphs[0].runs[0].font.size.pt >= 16 for c in cells)
            if shape.has_chart:
                assert all(font.size.pt >= 16 for font in chart_fonts(shape.chart)), slide.key


def test_properties_name_the_deck_and_nobody(deck: Deck, presentation: Any) -> None:
    properties = presentation.core_properties
    assert properties.title == f"{deck.network} · {deck.period_label}"
    assert (properties.author, properties.last_modified_by, properties.comments) == ("", "", "")
    core = parts_of(deck_pptx(deck))["docProps/core.xml"].decode()
    assert "Steve Canny" not in core  # python-pptx's template names its author


def test_no_tenant_text_reaches_any_part_of_the_file(deck: Deck) -> None:
    for name, blob in parts_of(deck_pptx(deck)).items():
        for text in TENANT_TEXTS:
            assert text.encode() not in blob, (name, text)


def with_label(deck: Deck, key: str, label: str) -> Deck:
    """The deck with `label` as the first category of slide `key`'s chart."""
    slide = deck.slides[deck.keys.index(key)]
    assert slide.chart is not None
    chart = dataclasses.replace(slide.chart, categories=(label, *slide.chart.categories[1:]))
    slides = list(deck.slides)
    slides[deck.keys.index(key)] = dataclasses.replace(slide, chart=chart)
    return dataclasses.replace(deck, slides=tuple(slides))


def test_a_formula_like_label_is_stored_as_plain_text(deck: Deck) -> None:
    data = deck_pptx(with_label(deck, "aree", INJECTION))
    chart = chart_on(page_of(Presentation(io.BytesIO(data)), deck, "aree"))
    assert chart.plots[0].categories[0] == INJECTION
    cell = embedded_sheet(chart)["A2"]
    # python-pptx's own sheet (XlsxWriter) would hold it as a formula («Modifica dati» runs it).
    assert (cell.value, cell.data_type) == (INJECTION, "s")
    for name, blob in parts_of(data).items():
        if "/xl/worksheets/" in name:
            assert b"<f>" not in blob, name
        if name.startswith(("ppt/slides/", "ppt/notesSlides/", "ppt/charts/")):
            assert b"<a:fld" not in blob and b"hlinkClick" not in blob, name


# --- LibreOffice


def libreoffice() -> Path:
    if SOFFICE.exists():
        return SOFFICE
    if os.environ.get("RETE_REQUIRE_SOFFICE") == "1":
        pytest.fail(f"RETE_REQUIRE_SOFFICE=1 but {SOFFICE} is missing: install LibreOffice")
    pytest.skip(f"{SOFFICE} not found: LibreOffice checks skipped")


def english_profile(folder: Path) -> str:
    """A private LibreOffice profile whose locale is English (United States), where a plain
    `#,##0` reads 1,234: the Italian 1.234 must come from the file's own format."""
    user = folder / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Setup/L10N">'
        '<prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>en-US</value></prop>'
        "</item>\n</oor:items>\n"
    )
    return folder.as_uri()


def with_shares(deck: Deck) -> Deck:
    """The deck and a chart of shares: a percent Value's number is the share (0.456)."""
    shares = Chart(
        kind="bar",
        category_title="Area",
        categories=("Economia e lavoro", "Salute"),
        series=(Series("Quota", "#0072B2", (Value(0.456, "45,6%"), Value(0.25, "25,0%"))),),
        value_title="Quota presa in carico",
        number_kind="percent",
    )
    slide = Slide("quote", "Quote prese in carico", "Quasi metà", "Quota.", chart=shares)
    return dataclasses.replace(deck, slides=(*deck.slides, slide))


@pytest.fixture(scope="module")
def rendered(deck: Deck) -> Deck:
    return with_shares(deck)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, rendered: Deck) -> Path:
    """The deck opened by LibreOffice and saved as PDF (its pages) and SVG (its drawn text,
    readable without a PDF tool)."""
    soffice = libreoffice()
    folder = tmp_path_factory.mktemp("pptx")
    (folder / "deck.pptx").write_bytes(deck_pptx(rendered))
    profile = english_profile(folder / "profile")
    for target in ("pdf", "svg"):
        subprocess.run(
            [
                str(soffice),
                f"-env:UserInstallation={profile}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(folder),
                str(folder / "deck.pptx"),
            ],
            check=True,
            capture_output=True,
            timeout=SOFFICE_SECONDS,
        )
    return folder


def test_libreoffice_opens_it_with_one_page_per_slide(rendered: Deck, converted: Path) -> None:
    pdf = (converted / "deck.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == len(rendered.slides)


def test_libreoffice_draws_the_numbers_in_italian_in_an_english_locale(
    converted: Path,
) -> None:
    drawn = set(re.findall(r">([^<>]+)<", (converted / "deck.svg").read_text(encoding="utf-8")))
    # Data labels and axis ticks: counts, rates, shares.
    assert {"1.234", "1.200", "12,3", "14,0", "45,6%", "25,0%"} <= drawn
    assert not {"1,234", "1,200", "12.3", "45.6%"} & drawn
