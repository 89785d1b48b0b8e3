"""The meeting deck as data: what every slide says, whatever draws it.

`rete.meeting.build` fills a `Deck` from the database, every figure already through
`rete.privacy`; the screen (`rete.meeting.figures`, the «Riunione» page), the PowerPoint file,
the Word report, the Excel workbook and the HTML file only draw it. A renderer therefore never
sees a number that may not be shown: a hidden value is `Value(None, "< 5")`, and that text is
all there is of it.

Pure data: no database, no Streamlit, no drawing library.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

# How a chart's numbers read: counts "1.234", rates "12,3", shares "45,6%" (the number is the
# fraction, 0.456), days "7".
NumberKind = Literal["count", "rate", "percent", "days"]

# bar: vertical bars, one per category (one series, coloured per point);
# hbar: horizontal bars, one per category, the first category on top;
# stacked_hbar: horizontal bars, one segment per series (referrals by partner and outcome);
# line: one line per series over the categories (months);
# matrix: a table of rows (categories) × columns (series), shaded by value (a heatmap).
ChartKind = Literal["bar", "hbar", "stacked_hbar", "line", "matrix"]


OTHERS_PREFIX = "Altri"  # «Altri quartieri», «Altri bisogni», «Altri enti»: the rest, summed


def summed(name: str) -> bool:
    """A row or column that sums what is not shown on its own («Altri…»): never a headline's
    «most», and off a heatmap's scale (it is larger than any cell)."""
    return name.startswith(OTHERS_PREFIX)


@dataclass(frozen=True)
class Value:
    """One released figure: the number a chart may carry (None when it is hidden) and its
    Italian text ("1.234", "12,3", "45,6%", "< 5" for a small count, "n.d." for a value hidden
    so that a small one cannot be worked out)."""

    number: float | None
    text: str

    @property
    def hidden(self) -> bool:
        return self.number is None


@dataclass(frozen=True)
class Series:
    """One series of a chart: its name (legend, table column), colour (#RRGGBB) and one value
    per category of the chart."""

    name: str
    colour: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Chart:
    """A chart and the table behind it: `categories` are the rows (bars, months, places),
    `series` the columns. `point_colours`, when set, colours each category of a one-series
    chart (the areas' own colours)."""

    kind: ChartKind
    category_title: str  # the rows' header: "Area", "Quartiere", "Mese", "Ente"
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_title: str  # the value axis: "Bisogni", "Bisogni ogni 100 alloggi ALER"
    number_kind: NumberKind = "count"
    point_colours: tuple[str, ...] | None = None

    def rows(self) -> list[tuple[str, list[Value]]]:
        """The table behind the chart: one row per category, one value per series."""
        return [
            (category, [series.values[index] for series in self.series])
            for index, category in enumerate(self.categories)
        ]

    @property
    def has_hidden(self) -> bool:
        return any(value.hidden for series in self.series for value in series.values)


@dataclass(frozen=True)
class Tile:
    """A KPI tile: the figure, and its change against the previous period (a signed change
    such as "+12" or "-3,5 punti", a word such as "troppo pochi casi", or None)."""

    label: str
    value: str
    change: str | None
    definition: str


@dataclass(frozen=True)
class Slide:
    """One slide: one message. `key` is stable across meetings ("aree", "quartieri"…) and is
    what the presenter hides; `headline` is the sentence computed from the data; `notes` are the
    speaker notes (definitions of every figure); `footnote` says what was hidden, when anything
    was. A slide has a chart, tiles or lines of text (title and closing slides)."""

    key: str
    title: str
    headline: str
    notes: str
    chart: Chart | None = None
    tiles: tuple[Tile, ...] = ()
    lines: tuple[str, ...] = ()
    footnote: str | None = None

    @property
    def table(self) -> tuple[list[str], list[list[str | Value]]] | None:
        """The table behind the slide for the report and the workbook: a header and rows, or
        None for the title and closing slides."""
        if self.chart is not None:
            header = [self.chart.category_title, *(series.name for series in self.chart.series)]
            return header, [[category, *values] for category, values in self.chart.rows()]
        if self.tiles:
            rows: list[list[str | Value]] = [
                [tile.label, tile.value, tile.change or ""] for tile in self.tiles
            ]
            return ["Indicatore", "Valore", "Variazione"], rows
        return None


@dataclass(frozen=True)
class Deck:
    """The meeting's slides for one period and territory, with what a reader of any export must
    know: which network, period and territory, the date of the data, the threshold below which
    counts are not shown, and what each figure means (`method`)."""

    network: str
    period_label: str  # "dicembre 2025 – novembre 2026"
    territory_label: str  # "Tutta la rete", "Comune di Varese", "Quartieri: Bosto, Sangallo"
    data_date: dt.date  # the day the data were read
    threshold: int  # k: counts below it are shown as "< k"
    slides: tuple[Slide, ...]
    method: tuple[str, ...] = field(default=())  # the note on method, one paragraph each

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(slide.key for slide in self.slides)

    def without(self, hidden: Iterable[str]) -> Deck:
        """The deck without the slides the presenter hid for this meeting."""
        gone = set(hidden)
        return replace(self, slides=tuple(s for s in self.slides if s.key not in gone))

    @property
    def suppression_note(self) -> str:
        return f"Valori inferiori a {self.threshold} non mostrati."
