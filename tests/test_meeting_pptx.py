"""The meeting deck as a PowerPoint file, read back with python-pptx and opened in LibreOffice."""

from __future__ import annotations

import dataclasses
import io
import itertools
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from deck_sample import HIDDEN, SMALL, TENANT_TEXTS, count, sample_deck
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE, MSO_SHAPE_TYPE
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Inches, Pt

from rete.meeting.model import Chart, Deck, Series, Slide, Value
from rete.meeting.pptx_charts import COUNT_FORMAT
from rete.meeting.pptx_deck import deck_pptx
from rete.meeting.pptx_matrix import OTHERS_FILL

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
    """The paragraphs of the slide's text boxes and tiles, in order."""
    return [
        paragraph.text
        for shape in page.shapes
        if shape.has_text_frame
        for paragraph in shape.text_frame.paragraphs
    ]


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


def test_a_label_already_saying_its_hidden_value_does_not_say_it_twice() -> None:
    labelled = ("Sangallo · Varese", "Bosto · Varese (n.d.)", "Altri quartieri (< 5)")
    places = Chart(
        kind="hbar",
        category_title="Quartiere",
        categories=labelled,
        series=(Series("Bisogni", "#0072B2", (count(420), HIDDEN, SMALL)),),
        value_title="Bisogni",
    )
    slide = Slide("quartieri", "Quartieri", "Sangallo", "Definizioni.", chart=places)
    data = deck_pptx(dataclasses.replace(sample_deck(), slides=(slide,)))
    assert list(chart_on(Presentation(io.BytesIO(data)).slides[0]).plots[0].categories) == list(
        labelled
    )


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


# --- Layout on a deck as crowded as a real one

LONG_NETWORK = "Rete territoriale ALER Varese-Como-Monza Brianza-Busto Arsizio e Comuni vicini"
AREAS = (
    "Abitare",
    "Economica",
    "Salute",
    "Relazioni e inclusione",
    "Famiglia e cura",
    "Orientamento amministrativo",
    "Lavoro e formazione",
    "Dipendenze",
)
PLACES = (
    "San Rocco · Monza",
    "Rebbio · Como",
    "Sant'Edoardo · Busto Arsizio",
    "Sangallo · Varese",
    "Valle Olona · Varese",
    "San Fermo · Varese",
    "Biumo · Varese",
    "Cantalupo · Monza",
    "Bustecche · Varese",
    "Montello · Varese",
)
NEEDS = (
    "Manutenzione e guasti",
    "Convivenza e conflitti di vicinato",
    "Barriere architettoniche",
    "Morosità canone e spese",
    "Utenze ed energia",
    "Accesso a contributi e misure (ISEE, ADI)",
    "Malattia cronica e cure",
    "Non autosufficienza",
    "Minori e scuola",
    "Isolamento e solitudine",
)
PARTNERS = (
    "Lega Inquilini Prealpina (95)",
    "Sportello energia «Luce Amica» (71)",
    "Servizi sociali comunali di Varese – Area adulti e inclusione (62)",
    "Fondazione «Un Tetto per Tutti» (58)",
    "ASST Colli Varesini – Cure domiciliari e fragilità (52)",
    "Servizi sociali comunali di Varese – Area anziani e disabilità (50)",
    "Mediazione di quartiere «Vicini di Casa» (38)",
    "Servizi sociali comunali di Como (38)",
    "Servizi sociali comunali di Monza (36)",
    "ASST Lario e Brianza – Servizi territoriali (34)",
    "Altri enti (423)",
)
MONTH_NAMES = ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic")
MONTHS = ("dic 2025", *(f"{name} 2026" for name in MONTH_NAMES[:-1]))
LONG_HEADLINE = (
    "Il bisogno più frequente in un solo quartiere è «Convivenza e conflitti di vicinato» a "
    "San Rocco · Monza: 30."
)
FOOTNOTE = (
    "Valori inferiori a 5 non mostrati («< 5»); «n.d.»: non mostrato perché non si possano "
    "ricavare."
)


def crowded_deck() -> Deck:
    """A deck as full as the demo network's: eight areas, ten places and «Altri quartieri»,
    ten needs and «Altri bisogni» with long names, twelve months, eleven partners with long
    names, two-line headlines and footnotes."""

    def values(numbers: list[int]) -> tuple[Value, ...]:
        return tuple(SMALL if n < 5 else count(n) for n in numbers)

    areas = Chart(
        "bar",
        "Area",
        AREAS,
        (Series("Bisogni", "#0072B2", values([493, 459, 315, 210, 185, 132, 123, 49])),),
        "Bisogni",
    )
    places = Chart(
        "hbar",
        "Quartiere",
        PLACES,
        (Series("Bisogni", "#0072B2", values([180, 179, 116, 109, 108, 100, 97, 95, 93, 91])),),
        "Bisogni",
    )
    cells = [[(7 * row + 3 * column) % 31 for column in range(10)] for row in range(10)]
    matrix = Chart(
        "matrix",
        "Quartiere",
        (*PLACES, "Altri quartieri"),
        (
            *(
                Series(name, "#0072B2", values([*(row[column] for row in cells), 60 + column]))
                for column, name in enumerate(NEEDS)
            ),
            Series(
                "Altri bisogni", "#777777", values([84, 95, 52, 48, 44, 41, 38, 38, 46, 32, 354])
            ),
        ),
        "Bisogni",
    )
    trend = Chart(
        "line",
        "Mese",
        MONTHS,
        tuple(
            Series(
                area, "#0072B2", values([20 + (index * 7 + month * 5) % 40 for month in range(12)])
            )
            for index, area in enumerate(AREAS[:6])
        ),
        "Bisogni",
    )
    outcomes = Chart(
        "stacked_hbar",
        "Ente",
        PARTNERS,
        (
            Series(
                "Presa in carico", "#1B9E77", values([80, 57, 52, 41, 47, 40, 30, 30, 30, 27, 342])
            ),
            Series("Rifiutata o annullata", "#7570B3", values([8, 7, 5, 9, 2, 5, 4, 4, 3, 4, 59])),
            Series(
                "In attesa di risposta (anche in ritardo)",
                "#D95F02",
                values([7, 7, 5, 8, 3, 5, 4, 4, 3, 3, 22]),
            ),
        ),
        "Segnalazioni",
    )
    days = Chart(
        "bar",
        "Giorni",
        ("0–2 giorni", "3–7 giorni", "8–14 giorni", "15–30 giorni", "oltre 30 giorni"),
        (Series("Segnalazioni prese in carico", "#1B9E77", values([183, 313, 178, 88, 13])),),
        "Segnalazioni prese in carico",
    )
    charts = {
        "aree": areas,
        "quartieri": places,
        "matrice": matrix,
        "andamento": trend,
        "esiti": outcomes,
        "tempi": days,
    }
    title = Slide(
        "titolo",
        LONG_NETWORK,
        "I bisogni rilevati e le segnalazioni alla rete · dicembre 2025 – novembre 2026",
        "Note.",
        lines=("Tutta la rete", "Dati al 03/12/2026"),
    )
    slides = [
        Slide(key, f"Titolo {key}", LONG_HEADLINE, "Note.", chart=chart, footnote=FOOTNOTE)
        for key, chart in charts.items()
    ]
    return dataclasses.replace(sample_deck(), network=LONG_NETWORK, slides=(title, *slides))


@pytest.fixture(scope="module")
def crowded() -> Deck:
    return crowded_deck()


@pytest.fixture(scope="module")
def crowded_file(crowded: Deck) -> Any:
    return Presentation(io.BytesIO(deck_pptx(crowded)))


def chart_of_key(deck: Deck, key: str) -> Chart:
    chart = deck.slides[deck.keys.index(key)].chart
    assert chart is not None
    return chart


def test_every_category_carries_its_label_in_every_program(
    crowded: Deck, crowded_file: Any
) -> None:
    for slide in chart_slides(crowded):
        axis = chart_on(page_of(crowded_file, crowded, slide.key)).category_axis._element
        # PowerPoint reads the skips; LibreOffice hides crowded labels unless their rotation
        # is stated.
        assert axis.xpath("c:tickLblSkip/@val") == ["1"], slide.key
        assert axis.xpath("c:tickMarkSkip/@val") == ["1"], slide.key
        assert axis.xpath("c:txPr/a:bodyPr/@rot") == ["0"], slide.key


def test_three_years_of_months_turn_and_label_as_many_as_fit_apart() -> None:
    months = tuple(f"{name} {year}" for year in (2024, 2025, 2026) for name in MONTH_NAMES)
    trend = Chart(
        kind="line",
        category_title="Mese",
        categories=months,
        series=(Series("Abitare", "#0072B2", tuple(count(10 + n % 7) for n in range(36))),),
        value_title="Bisogni",
    )
    slide = Slide("andamento", "Andamento", "Crescono", "Definizioni.", chart=trend)
    data = deck_pptx(dataclasses.replace(sample_deck(), slides=(slide,)))
    axis = chart_on(Presentation(io.BytesIO(data)).slides[0]).category_axis._element
    assert axis.xpath("c:txPr/a:bodyPr/@rot") == ["-2700000"]  # 45°
    assert axis.xpath("c:tickLblSkip/@val") == ["2"]  # 18 pt lines cannot stand closer


def test_a_bar_chart_whose_labels_would_turn_is_drawn_across(
    crowded: Deck, crowded_file: Any
) -> None:
    areas = chart_on(page_of(crowded_file, crowded, "aree"))
    assert areas.chart_type == XL_CHART_TYPE.BAR_CLUSTERED  # «Orientamento amministrativo»
    assert areas.category_axis.reverse_order  # still the first area on top
    days = chart_on(page_of(crowded_file, crowded, "tempi"))
    assert days.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED  # «0–2 giorni» fits upright


def boxes_of(page: Any) -> list[tuple[int, int]]:
    """The top and bottom of every shape on the slide, from the top; tiles as one band."""
    shapes = [s for s in page.shapes if s.shape_type != MSO_SHAPE_TYPE.AUTO_SHAPE]
    tiles = [s for s in page.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
    spans = [(s.top, s.top + s.height) for s in shapes]
    if tiles:
        spans.append((min(t.top for t in tiles), max(t.top + t.height for t in tiles)))
    return sorted(spans)


@pytest.mark.parametrize("which", ["sample", "crowded"])
def test_title_headline_body_and_footnote_stack_without_overlapping(
    which: str, deck: Deck, presentation: Any, crowded: Deck, crowded_file: Any
) -> None:
    shown, drawn = (deck, presentation) if which == "sample" else (crowded, crowded_file)
    for page, slide in zip(drawn.slides, shown.slides, strict=True):
        spans = boxes_of(page)
        for (_, bottom), (top, _) in itertools.pairwise(spans):
            assert bottom <= top, slide.key
        assert spans[0][0] >= 0 and spans[-1][1] <= drawn.slide_height, slide.key


def test_a_chart_or_table_fills_the_band_between_headline_and_footnote(
    crowded: Deck, crowded_file: Any
) -> None:
    for page, slide in zip(crowded_file.slides, crowded.slides, strict=True):
        if slide.chart is None:
            continue
        (body,) = [s for s in page.shapes if s.has_chart or s.has_table]
        texts = [s for s in page.shapes if s.has_text_frame]
        above, below = texts[1], texts[-1]  # the headline, the footnote
        assert body.top - (above.top + above.height) <= Inches(0.1), slide.key
        assert below.top - (body.top + body.height) <= Inches(0.25), slide.key


def test_the_title_slide_is_one_box_so_a_long_name_cannot_cover_the_rest(
    crowded: Deck, crowded_file: Any
) -> None:
    (box,) = [shape for shape in crowded_file.slides[0].shapes if shape.has_text_frame]
    title = crowded.slides[0]
    paragraphs = [paragraph.text for paragraph in box.text_frame.paragraphs]
    assert paragraphs[:2] == [title.title, title.headline]
    assert paragraphs[2:4] == list(title.lines)
    assert box.text_frame.vertical_anchor == MSO_ANCHOR.MIDDLE
    assert box.top + box.height <= crowded_file.slide_height


def matrix_table(deck: Deck, drawn: Any) -> Any:
    (table,) = [s for s in page_of(drawn, deck, "matrice").shapes if s.has_table]
    return table


def test_the_matrix_fits_its_band_with_needs_read_upwards(crowded: Deck, crowded_file: Any) -> None:
    shape = matrix_table(crowded, crowded_file)
    table = shape.table
    assert len(table.rows) == 12 and len(table.columns) == 12
    assert shape.top + sum(row.height for row in table.rows) <= texts_top(crowded, crowded_file)
    header = [table.cell(0, column) for column in range(1, 12)]
    assert all(cell._tc.tcPr.get("vert") == "vert270" for cell in header)
    # Each need's name whole, in the lines measured for it; at least 14 pt.
    assert [" ".join(p.text for p in c.text_frame.paragraphs) for c in header] == [
        *NEEDS,
        "Altri bisogni",
    ]
    assert (
        min(run.font.size.pt for c in header for p in c.text_frame.paragraphs for run in p.runs)
        >= 14
    )
    body = [table.cell(row, column) for row in range(1, 12) for column in range(12)]
    sizes = {cell.text_frame.paragraphs[0].runs[0].font.size.pt for cell in body}
    assert min(sizes) >= 16
    # Every row at least as tall as its text.
    assert all(row.height >= Pt(min(sizes) * 1.15) for row in list(table.rows)[1:])


def texts_top(deck: Deck, drawn: Any) -> int:
    """Where the matrix slide's footnote begins."""
    page = page_of(drawn, deck, "matrice")
    return max(shape.top for shape in page.shapes if shape.has_text_frame)


def test_the_others_are_grey_and_the_blue_scale_is_the_places_own(
    crowded: Deck, crowded_file: Any
) -> None:
    table = matrix_table(crowded, crowded_file).table
    fills = [
        [str(table.cell(r, c).fill.fore_color.rgb) for c in range(1, 12)] for r in range(1, 12)
    ]
    assert set(fills[-1]) == {OTHERS_FILL}  # «Altri quartieri»
    assert {row[-1] for row in fills} == {OTHERS_FILL}  # «Altri bisogni»
    # The largest place × need cell (30) is the darkest blue; «Altri» (354) is not on the scale.
    numbers = [[v.number for v in values] for _, values in chart_of_key(crowded, "matrice").rows()]
    largest = max(n for row in numbers[:-1] for n in row[:-1] if n is not None)
    row, column = next((r, c) for r in range(10) for c in range(10) if numbers[r][c] == largest)
    assert fills[row][column] == "08519C"


def test_a_segment_carries_its_number_only_when_it_fits(crowded: Deck, crowded_file: Any) -> None:
    chart = chart_on(page_of(crowded_file, crowded, "esiti"))
    accepted, refused, _ = chart.plots[0].series

    def deleted(series: Any) -> set[int]:
        return {
            int(i) for i in series._element.xpath("c:dLbls/c:dLbl[c:delete/@val='1']/c:idx/@val")
        }

    assert 10 not in deleted(accepted)  # «Altri enti»: 342 of a 500 axis
    assert 3 in deleted(refused)  # 9 of 500: a sliver
    assert chart.plots[0].gap_width <= 30  # thick bars


def test_the_value_axis_states_a_round_maximum_past_the_longest_bar(
    crowded: Deck, crowded_file: Any
) -> None:
    for key, longest in (("esiti", 423), ("quartieri", 180), ("aree", 493)):
        axis = chart_on(page_of(crowded_file, crowded, key)).value_axis
        assert axis.maximum_scale >= longest
        assert (axis.maximum_scale / axis.major_unit).is_integer()
        assert axis.maximum_scale / axis.major_unit <= 5


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


def convert(deck: Deck, folder: Path, targets: tuple[str, ...]) -> Path:
    """The deck written to `folder` and opened by LibreOffice in an English locale, saved as
    each of `targets` (pdf: its pages; svg: its drawn text, readable without a PDF tool)."""
    soffice = libreoffice()
    (folder / "deck.pptx").write_bytes(deck_pptx(deck))
    profile = english_profile(folder / "profile")
    for target in targets:
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


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, rendered: Deck) -> Path:
    return convert(rendered, tmp_path_factory.mktemp("pptx"), ("pdf", "svg"))


def test_libreoffice_opens_it_with_one_page_per_slide(rendered: Deck, converted: Path) -> None:
    pdf = (converted / "deck.pdf").read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == len(rendered.slides)


def test_libreoffice_draws_the_numbers_in_italian_in_an_english_locale(
    converted: Path,
) -> None:
    drawn = set(re.findall(r">([^<>]+)<", (converted / "deck.svg").read_text(encoding="utf-8")))
    # Data labels and axis ticks (up to the round maximum the deck states): counts, rates,
    # shares.
    assert {"1.234", "1.500", "12,3", "15,0", "45,6%", "25,0%", "50,0%"} <= drawn
    assert not {"1,234", "1,500", "12.3", "15.0", "45.6%"} & drawn


SVG = "{http://www.w3.org/2000/svg}"


@dataclasses.dataclass(frozen=True)
class DrawnLine:
    """A line of text LibreOffice drew: its baseline and type size (1/100 mm) and its text."""

    baseline: float
    size: float
    text: str

    @property
    def top(self) -> float:  # the glyphs' top: capitals and accents
        return self.baseline - 0.8 * self.size

    @property
    def bottom(self) -> float:  # the descenders
        return self.baseline + 0.25 * self.size


def drawn_pages(svg: Path) -> list[list[DrawnLine]]:
    """Every line of text of every page, as LibreOffice's SVG export draws it."""
    pages = []
    for page in ElementTree.parse(svg).getroot().iter(f"{SVG}g"):
        if page.get("class") != "Slide" or page.get("id") == "dummy-slide":
            continue
        lines = []
        for paragraph in page.iter(f"{SVG}tspan"):
            if paragraph.get("class") != "TextParagraph":
                continue
            size = float(paragraph.get("font-size", "0").removesuffix("px"))
            for position in paragraph:
                if position.get("class") == "TextPosition":
                    text = "".join(position.itertext())
                    lines.append(DrawnLine(float(position.get("y", "0")), size, text))
        pages.append(lines)
    return pages


def compact(text: str) -> str:
    """The text without its spaces: a line may break at a space or after a hyphen."""
    return "".join(text.split())


def drawn_text(lines: list[DrawnLine]) -> str:
    return compact("".join(line.text for line in lines))


@pytest.fixture(scope="module")
def crowded_pages(tmp_path_factory: pytest.TempPathFactory, crowded: Deck) -> list[list[DrawnLine]]:
    folder = convert(crowded, tmp_path_factory.mktemp("crowded"), ("svg",))
    return drawn_pages(folder / "deck.svg")


PAGE_HEIGHT = 19050  # 7,5 in, in 1/100 mm


def test_libreoffice_draws_every_category_label(crowded: Deck, crowded_pages: Any) -> None:
    assert len(crowded_pages) == len(crowded.slides)
    for slide, page in zip(crowded.slides, crowded_pages, strict=True):
        if slide.chart is not None:
            drawn = drawn_text(page)
            for category in slide.chart.categories:  # wrapped or not, every one
                assert compact(category) in drawn, (slide.key, category)


def test_libreoffice_draws_the_title_slide_without_a_line_over_another(
    crowded_pages: Any,
) -> None:
    lines = sorted(crowded_pages[0], key=lambda line: line.baseline)
    assert drawn_text(lines).startswith(compact(LONG_NETWORK))
    for above, below in itertools.pairwise(lines):
        assert above.bottom <= below.top, (above.text, below.text)


def test_libreoffice_draws_the_matrix_above_its_footnote(crowded: Deck, crowded_pages: Any) -> None:
    page = crowded_pages[crowded.keys.index("matrice")]
    footnote = next(line for line in page if line.text.startswith("Valori inferiori"))
    table = [line for line in page if line.baseline > page[2].baseline and line is not footnote]
    assert any(line.text == "Altri quartieri" for line in table)
    assert max(line.bottom for line in table) <= footnote.top
    assert footnote.bottom <= PAGE_HEIGHT


def test_libreoffice_keeps_every_text_on_the_page(crowded_pages: Any) -> None:
    for page in crowded_pages:
        assert all(line.top >= 0 and line.bottom <= PAGE_HEIGHT for line in page)
