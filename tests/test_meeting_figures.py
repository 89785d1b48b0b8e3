"""The meeting deck drawn for the screen (`rete.meeting.figures`) and as one HTML file
(`rete.meeting.html_deck`): the right trace for each kind of chart, hidden values absent from the
figures' data but their text shown, the deck's colours, text readable from the back of a room,
and a file that opens offline, escapes every text and moves between slides with the keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from deck_sample import SMALL, TENANT_TEXTS, count, sample_deck
from plotly.offline import get_plotlyjs

from rete.charts.base import SEPARATORS, TEXT_COLOUR
from rete.meeting.figures import FONT_SIZE, OTHERS_GREY, WHITE, slide_figure
from rete.meeting.html_deck import deck_html
from rete.meeting.model import Chart, Deck, Series, Slide

HOSTILE = "<img src=x onerror=alert(1)>"


def slide(key: str) -> Slide:
    return next(s for s in sample_deck().slides if s.key == key)


def chart_of(key: str) -> Chart:
    chart = slide(key).chart
    assert chart is not None
    return chart


def figure(key: str, **options: Any) -> go.Figure:
    drawn = slide_figure(slide(key), **options)
    assert drawn is not None
    return drawn


def data_of(fig: go.Figure) -> dict[str, Any]:
    """The figure as the browser gets it."""
    return json.loads(fig.to_json())


def hostile_deck() -> Deck:
    """The sample deck with a label that would be a tag, were it read as HTML, in a chart's
    categories and series, a slide's title and headline, a tile and a line of text."""
    deck = sample_deck()
    slides = []
    for s in deck.slides:
        if s.chart is not None:
            chart = replace(
                s.chart,
                categories=(HOSTILE, *s.chart.categories[1:]),
                series=(replace(s.chart.series[0], name=HOSTILE), *s.chart.series[1:]),
            )
            s = replace(s, chart=chart, headline=HOSTILE)
        elif s.tiles:
            s = replace(s, tiles=(replace(s.tiles[0], label=HOSTILE), *s.tiles[1:]))
        else:
            s = replace(s, title=HOSTILE, lines=(HOSTILE, *s.lines))
        slides.append(s)
    return replace(deck, network=HOSTILE, slides=tuple(slides))


# --- Figures: what each kind of chart draws


@pytest.mark.parametrize(
    ("key", "kind", "traces"),
    [
        ("aree", "bar", ["bar"]),
        ("quartieri", "hbar", ["bar"]),
        ("esiti", "stacked_hbar", ["bar", "bar", "bar"]),
        ("andamento", "line", ["scatter", "scatter", "scatter"]),
        ("matrice", "matrix", ["heatmap"]),
    ],
)
def test_each_kind_of_chart_draws_its_own_traces(key: str, kind: str, traces: list[str]):
    assert chart_of(key).kind == kind
    fig = figure(key)
    assert [trace.type for trace in fig.data] == traces


def test_bars_stand_up_and_hbars_lie_down_first_category_on_top():
    assert figure("aree").data[0].orientation == "v"
    hbar = figure("quartieri")
    assert hbar.data[0].orientation == "h"
    assert hbar.layout.yaxis.autorange == "reversed"
    assert list(hbar.layout.yaxis.categoryarray) == list(chart_of("quartieri").categories)


def test_segments_stack_with_the_legend_under_the_chart():
    fig = figure("esiti")
    assert fig.layout.barmode == "stack"
    assert fig.layout.showlegend is True
    assert fig.layout.legend.y == 0 and fig.layout.legend.yanchor == "bottom"
    assert [trace.name for trace in fig.data] == [s.name for s in chart_of("esiti").series]


def test_lines_have_markers_and_leave_gaps():
    for trace in figure("andamento").data:
        assert trace.mode == "lines+markers"
        assert trace.connectgaps is False


def test_slides_without_a_chart_have_no_figure():
    for key in ("titolo", "numeri", "chiusura"):
        assert slide_figure(slide(key)) is None


# --- Figures: hidden values


@pytest.mark.parametrize(
    ("key", "axis"), [("aree", "y"), ("quartieri", "x"), ("alloggi", "x"), ("tempi", "y")]
)
def test_a_hidden_bar_is_none_in_the_data_and_its_text_stands_at_its_base(key: str, axis: str):
    chart = chart_of(key)
    (series,) = chart.series
    data = data_of(figure(key))
    drawn = data["data"][0][axis]
    annotations = data["layout"].get("annotations", [])
    category_axis = "x" if axis == "y" else "y"
    for index, value in enumerate(series.values):
        if value.hidden:
            assert drawn[index] is None
            assert data["data"][0]["text"][index] == ""  # no bar carries it
            (note,) = [a for a in annotations if a[category_axis] == chart.categories[index]]
            assert unescape(note["text"]) == value.text
            assert note[axis] == 0  # at the base of the bar
        else:
            assert drawn[index] == value.number
            assert data["data"][0]["text"][index] == value.text
    assert len(annotations) == sum(value.hidden for value in series.values)


def test_hidden_segments_and_line_points_are_none_in_the_data():
    for key, axis in (("esiti", "x"), ("andamento", "y")):
        chart = chart_of(key)
        data = data_of(figure(key))
        assert chart.has_hidden
        for series, trace in zip(chart.series, data["data"], strict=True):
            assert trace[axis] == [value.number for value in series.values]  # None when hidden


def test_hidden_cells_are_blank_with_their_text():
    chart = chart_of("matrice")
    data = data_of(figure("matrice"))
    z = data["data"][0]["z"]
    texts = {(a["y"], a["x"]): unescape(a["text"]) for a in data["layout"]["annotations"]}
    for row, (category, values) in enumerate(chart.rows()):
        for column, (series, value) in enumerate(zip(chart.series, values, strict=True)):
            assert z[row][column] == value.number  # None when hidden
            assert texts[(category, series.name)] == value.text
    assert {"< 5", "n.d."} <= set(texts.values())


def test_no_number_of_a_hidden_value_reaches_the_figure():
    """Every hidden value of the deck is None in the figure's data: the figures carry the
    shown numbers and nothing else."""
    for s in sample_deck().slides:
        if s.chart is None:
            continue
        fig = slide_figure(s)
        assert fig is not None
        shown = {value.number for series in s.chart.series for value in series.values}
        assert _numbers_in(data_of(fig)["data"]) <= shown, s.key


def _numbers_in(traces: list[dict[str, Any]]) -> set[float | None]:
    found: set[float | None] = set()
    for trace in traces:
        for key in ("x", "y", "z"):
            values = trace.get(key, [])
            rows = values if values and isinstance(values[0], list) else [values]
            found |= {v for row in rows for v in row if v is None or isinstance(v, float | int)}
    return found


# --- Figures: crowded charts as a real deck's


def with_chart(key: str, chart: Chart) -> Slide:
    return replace(slide(key), chart=chart)


def crowded_matrix() -> Chart:
    """Twelve places and «Altri quartieri» × two needs and «Altri bisogni»: the sums dwarf
    every place's cells."""
    places = tuple(f"Quartiere numero {n} · Comune" for n in range(1, 13))
    return Chart(
        kind="matrix",
        category_title="Quartiere",
        categories=(*places, "Altri quartieri"),
        series=(
            Series("Bollette e utenze", "#E69F00", (*(count(5 + n) for n in range(12)), count(90))),
            Series("Salute mentale", "#009E73", (*(count(20 - n) for n in range(12)), SMALL)),
            Series("Altri bisogni", "#777777", (*(count(60 + n) for n in range(12)), count(400))),
        ),
        value_title="Bisogni",
    )


def test_every_category_is_labelled_however_crowded():
    matrix = crowded_matrix()
    drawn = slide_figure(with_chart("matrice", matrix))
    assert drawn is not None
    # plotly's automatic ticks label every other row of a crowded axis: these are listed.
    assert list(drawn.layout.yaxis.tickvals) == list(matrix.categories)
    assert list(drawn.layout.xaxis.tickvals) == [series.name for series in matrix.series]
    for key, axis in (
        ("aree", "xaxis"),
        ("quartieri", "yaxis"),
        ("esiti", "yaxis"),
        ("andamento", "xaxis"),
    ):
        ticks = figure(key).layout[axis]
        assert list(ticks.tickvals) == list(ticks.ticktext) == list(chart_of(key).categories), key


def test_the_others_are_grey_and_the_blue_scale_is_the_places_own():
    matrix = crowded_matrix()
    drawn = slide_figure(with_chart("matrice", matrix))
    assert drawn is not None
    blue, grey = drawn.data
    assert blue.zmax == 20  # the largest place × need cell, not 400
    assert list(blue.z[-1]) == [None, None, None] and {row[-1] for row in blue.z} == {None}
    assert list(grey.z[-1]) == [90, None, 400] and list(grey.z[0]) == [None, None, 60]
    assert {colour for _, colour in grey.colorscale} == {OTHERS_GREY}
    assert grey.showscale is False
    ink = {(a.y, a.x): a.font.color for a in drawn.layout.annotations}
    assert ink[("Altri quartieri", "Altri bisogni")] == TEXT_COLOUR  # dark on light grey
    assert ink[("Quartiere numero 1 · Comune", "Salute mentale")] == WHITE  # 20: the darkest


def test_a_segment_shows_its_number_only_when_long_enough_for_it():
    outcomes = Chart(
        kind="stacked_hbar",
        category_title="Ente",
        categories=("Altri enti (423)", "Caritas Varese (12)"),
        series=(
            Series("Presa in carico", "#1B9E77", (count(342), count(6))),
            Series("Rifiutata", "#7570B3", (count(59), count(6))),
            Series("In ritardo", "#D95F02", (count(22), SMALL)),
        ),
        value_title="Segnalazioni",
    )
    drawn = slide_figure(with_chart("esiti", outcomes))
    assert drawn is not None
    assert [list(trace.text) for trace in drawn.data] == [["342", ""], ["59", ""], ["", ""]]
    # The hover still tells every segment's number, and plotly shrinks no text below 24 px.
    assert [list(trace.customdata) for trace in drawn.data] == [
        ["342", "6"],
        ["59", "6"],
        ["22", "&lt; 5"],
    ]
    assert drawn.layout.uniformtext.minsize == FONT_SIZE


# --- Figures: colours, type and formats


def test_bars_take_the_areas_colours_point_by_point():
    assert list(figure("aree").data[0].marker.color) == list(chart_of("aree").point_colours or ())


def test_a_bar_without_point_colours_takes_its_series_colour():
    chart = chart_of("quartieri")
    assert list(figure("quartieri").data[0].marker.color) == [chart.series[0].colour] * 3


def test_segments_and_lines_take_their_series_colours():
    for trace, series in zip(figure("esiti").data, chart_of("esiti").series, strict=True):
        assert trace.marker.color == series.colour
    for trace, series in zip(figure("andamento").data, chart_of("andamento").series, strict=True):
        assert trace.line.color == series.colour
        assert trace.marker.color == series.colour


def _font_sizes(node: Any, inside_font: bool = False) -> Iterator[float]:
    """Every `size` set in a font of the figure (font, textfont, tickfont…)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "size" and inside_font:
                yield value
            else:
                yield from _font_sizes(value, key.endswith("font"))
    elif isinstance(node, list):
        for item in node:
            yield from _font_sizes(item, inside_font)


@pytest.mark.parametrize("key", ["aree", "quartieri", "alloggi", "matrice", "andamento", "esiti"])
def test_every_text_is_24_px_or_more_in_the_apps_dark_font(key: str):
    data = data_of(figure(key))
    layout = data["layout"]
    assert layout["font"]["size"] >= 24 and FONT_SIZE >= 24  # what every text inherits
    assert layout["font"]["color"] == TEXT_COLOUR
    sizes = list(_font_sizes(data))
    assert sizes and min(sizes) >= 24


def test_no_title_italian_separators_and_the_height_asked_for():
    fig = figure("aree", height=500)
    assert not fig.layout.title.text
    assert fig.layout.separators == SEPARATORS == ",."
    assert fig.layout.height == 500
    assert figure("aree").layout.height == 640


def test_count_axes_tick_whole_numbers_and_rates_one_decimal():
    assert figure("aree").layout.yaxis.tickformat == ",d"
    trend = figure("andamento").layout.yaxis  # up to 32: plotly alone would tick 0,5 steps
    assert trend.tickformat == ",d" and trend.dtick == 5
    assert figure("alloggi").layout.xaxis.tickformat == ",.1~f"


def test_every_trace_hovers_in_italian_with_the_decks_texts():
    assert figure("aree").data[0].hovertemplate.startswith("<b>%{x}</b><br>Bisogni: %{text}")
    for key in ("quartieri", "esiti", "andamento", "matrice"):
        for trace in figure(key).data:
            assert trace.hovertemplate and trace.hovertemplate.endswith("<extra></extra>")
    assert [unescape(t) for t in figure("andamento").data[1].text] == ["31", "< 5", "12"]


def test_matrix_text_is_white_on_dark_cells_and_dark_on_pale_ones():
    colours = {unescape(a.text): a.font.color for a in figure("matrice").layout.annotations}
    assert colours == {"40": WHITE, "12": TEXT_COLOUR, "< 5": TEXT_COLOUR, "n.d.": TEXT_COLOUR}


def test_names_from_the_data_are_drawn_as_plain_text():
    fig = slide_figure(next(s for s in hostile_deck().slides if s.key == "aree"))
    assert fig is not None
    assert fig.data[0].x[0] == "&lt;img src=x onerror=alert(1)&gt;"
    assert HOSTILE not in fig.to_json()


def test_a_bar_chart_of_two_series_is_refused():
    chart = chart_of("aree")
    two = replace(chart, series=chart.series * 2)
    with pytest.raises(ValueError, match="one series"):
        slide_figure(replace(slide("aree"), chart=two))


# --- The HTML file


class _Page(HTMLParser):
    """What a browser would read: the tags, their attributes, and the text outside scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "script" not in self._in and "style" not in self._in:
            self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parsed(deck: Deck) -> tuple[_Page, str]:
    html = deck_html(deck).decode("utf-8")
    page = _Page()
    page.feed(html)
    page.close()
    return page, html


@pytest.fixture(scope="module")
def sample_page() -> tuple[_Page, str]:
    return parsed(sample_deck())


def test_one_section_per_slide_in_the_decks_order(sample_page: tuple[_Page, str]):
    page, _ = sample_page
    deck = sample_deck()
    sections = page.named("section")
    assert len(sections) == len(deck.slides)
    assert [s["aria-label"] for s in sections] == [s.title for s in deck.slides]
    charts = [a["id"] for a in page.named("div") if a.get("class") == "chart"]
    assert charts == [f"chart-{i}" for i, s in enumerate(deck.slides, 1) if s.chart is not None]


def test_the_file_is_italian_with_a_title_and_italian_buttons(sample_page: tuple[_Page, str]):
    page, html = sample_page
    assert page.named("html") == [{"lang": "it"}]
    assert "<title>Rete ALER Varese-Como-Monza Brianza-Busto Arsizio · dicembre 2025" in html
    shown = "".join(page.text)
    assert "Precedente" in shown and "Successiva" in shown and "1 / 10" in shown
    assert "Valori inferiori a 5 non mostrati." in shown
    assert "58,1%" in shown and "-3,5 punti" in shown  # a tile


def test_the_file_fetches_nothing(sample_page: tuple[_Page, str]):
    page, html = sample_page
    addresses = [
        value for _, attrs in page.tags for name, value in attrs.items() if name in {"src", "href"}
    ]
    assert addresses == []  # plotly.js and everything else inlined
    assert not page.named("link") and not page.named("iframe")
    assert all("src" not in attrs for attrs in page.named("script"))
    assert html.count(get_plotlyjs()[:2000]) == 1  # plotly.js once, not once per chart


def test_speaker_notes_and_tenant_texts_stay_out(sample_page: tuple[_Page, str]):
    _, html = sample_page
    assert "Bisogni: i bisogni rilevati nei colloqui del periodo." not in html
    for text in TENANT_TEXTS:
        assert text not in html


def test_every_text_of_the_deck_is_escaped():
    page, html = parsed(hostile_deck())
    assert not page.named("img")
    assert "onerror" not in {name for _, attrs in page.tags for name in attrs}
    shown = "".join(page.text)
    # The <title>, the headlines of the 7 chart slides, a tile, 2 slide titles and 2 lines.
    assert shown.count(HOSTILE) == 1 + 7 + 1 + 2 + 2
    assert "&lt;img src=x onerror=alert(1)&gt;</p>" in html
    assert html.count(HOSTILE) == 0  # never as markup, in a script neither


# --- The HTML file in Chromium


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The session's Chromium, shared with the other browser tests (skipped without it, unless
    RETE_REQUIRE_BROWSER=1): a second Playwright in the same process would find the first's
    event loop running and refuse to start."""
    import browser_helpers  # skips here, at the first browser test, without Chromium

    yield browser_helpers.shared_rete(request).browser


class _Opened:
    """A deck file open in a fresh browser page, with every request for something other than
    the file, every dialog and every script error recorded."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1920, "height": 1080})
        self.context.route("**/*", self._only_the_file)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(path.as_uri())

    def _only_the_file(self, route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def current(self) -> Any:
        return self.page.locator("section.slide.current")


def opened(browser: Any, deck: Deck, folder: Path) -> _Opened:
    path = folder / "riunione.html"
    path.write_bytes(deck_html(deck))
    return _Opened(browser, path)


_TEXT_SIZES = """section => [...section.querySelectorAll('svg text')]
  .filter(t => t.textContent.trim())
  .map(t => parseFloat(getComputedStyle(t).fontSize))"""


@pytest.mark.browser
def test_the_deck_moves_with_the_keys_and_buttons_and_draws_its_charts(
    browser: Any, tmp_path: Path
):
    from playwright.sync_api import expect

    deck = sample_deck()
    shown = opened(browser, deck, tmp_path)
    try:
        page, current = shown.page, shown.current
        counter = page.locator("#counter")
        expect(current()).to_have_attribute("id", "slide-1")
        expect(counter).to_have_text("1 / 10")
        expect(page.get_by_role("button", name="Precedente")).to_be_disabled()

        page.keyboard.press("ArrowRight")
        expect(current()).to_have_attribute("id", "slide-2")
        expect(counter).to_have_text("2 / 10")
        expect(page.locator("#slide-1")).to_be_hidden()
        expect(current().get_by_text("58,1%")).to_be_visible()

        page.keyboard.press("PageDown")
        expect(current()).to_have_attribute("id", "slide-3")
        expect(current().locator("svg.main-svg").first).to_be_visible()
        expect(current().get_by_text("< 5", exact=True)).to_be_visible()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("PageUp")
        expect(counter).to_have_text("1 / 10")

        for number, s in enumerate(deck.slides, start=1):
            if number > 1:
                page.get_by_role("button", name="Successiva").click()
            expect(counter).to_have_text(f"{number} / 10")
            if s.chart is not None:
                chart = current().locator("div.chart")
                expect(chart.locator("svg.main-svg").first).to_be_visible()
                sizes = chart.evaluate(_TEXT_SIZES)
                assert sizes and min(sizes) >= 24, s.key
                box = chart.bounding_box()
                assert box and box["width"] > 1500 and box["height"] > 500  # fills its slide
        expect(page.get_by_role("button", name="Successiva")).to_be_disabled()
        page.keyboard.press("ArrowRight")
        expect(counter).to_have_text("10 / 10")
        assert shown.requests == [] and shown.dialogs == [] and shown.errors == []
    finally:
        shown.context.close()


@pytest.mark.browser
def test_a_hostile_label_shows_as_text_and_runs_nothing(browser: Any, tmp_path: Path):
    from playwright.sync_api import expect

    shown = opened(browser, hostile_deck(), tmp_path)
    try:
        page, current = shown.page, shown.current
        expect(current().get_by_role("heading")).to_have_text(HOSTILE)
        page.keyboard.press("ArrowRight")
        expect(current().get_by_text(HOSTILE, exact=True)).to_be_visible()  # the tile
        page.keyboard.press("ArrowRight")
        expect(current().locator(".headline")).to_have_text(HOSTILE)
        tick = current().locator("svg .xtick text").first
        expect(tick).to_have_text(HOSTILE)
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert shown.dialogs == [] and shown.errors == [] and shown.requests == []
    finally:
        shown.context.close()
