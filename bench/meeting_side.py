"""The meeting (issue 15): its deck as files, and its page, measured on each dataset.

The files: `rete.meeting.build.meeting_deck` for the default period (the 12 complete months
before today) over the whole network, then `rete.meeting.pptx_deck.deck_pptx`, in a new
process each time (`meeting_files`): nothing imported past the modules, connected or cached
before it, as for the first file asked of a server or `python -m rete deck`. The same process
then writes the Word, Excel and HTML files from that deck, as a click on their buttons does
once the page has built it. The page: «Riunione» presenting the neighbourhood × specific need
matrix, the largest chart of the deck, and «Riunione» preparing, through AppTest like the
workspace's pages (`page_visits`); its deck is cached, so a warm run draws it again from the
cache. Nothing here writes: the items run on the dataset itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bench.canonical import FROZEN_TODAY
from bench.items import Measurement, Task, peak_mb, timed
from bench.workspace_side import PageVisit
from rete.meeting.model import Deck

MEETING_PAGE = "pages/riunione.py"
PRESENTED_SLIDE = 6  # «Bisogni specifici per quartiere»: the matrix, when no slide is hidden
PRESENTED_TITLE = "Bisogni specifici per quartiere"
SLIDE_PAGE = "Riunione, presenting the matrix (slide 6)"
PREPARING_PAGE = "Riunione, preparing"
OTHER_FILES = ("Word", "Excel", "HTML")  # the parts of `meeting_files`'s second measurement


def page_visits() -> dict[str, PageVisit]:
    """The «Riunione» page presenting one slide, and preparing the meeting, by their names in
    the table. The slide must draw its chart; the preparation must show the deck's caption
    (its territory), which it writes only once the deck is built."""
    return {
        SLIDE_PAGE: PageVisit(
            MEETING_PAGE,
            PRESENTED_TITLE,
            params=(("presenta", "1"), ("slide", str(PRESENTED_SLIDE))),
            charts=1,
        ),
        PREPARING_PAGE: PageVisit(MEETING_PAGE, "Riunione", shows="Tutta la rete"),
    }


def _written(write: Callable[[Deck], bytes], deck: Deck) -> float:
    """Seconds to write one file of the deck; an empty file measures nothing."""
    elapsed, content = timed(partial(write, deck))
    if not content:
        raise RuntimeError(f"{write.__name__} wrote an empty file")
    return elapsed


def meeting_files(task: Task) -> tuple[Measurement, Measurement]:
    """In a new process: the deck built and written as PowerPoint (timed together, and each
    part on its own; the process's peak right after), then the other three files from that
    deck, each timed (the peak after all four). The modules are imported first, untimed, each
    before its own file: the PowerPoint's peak does not hold the HTML's Plotly."""
    from rete import db
    from rete.filters import default_filters
    from rete.meeting import build
    from rete.meeting.pptx_deck import deck_pptx

    engine = db.get_engine(task.url)
    filters = default_filters(FROZEN_TODAY)
    built, deck = timed(lambda: build.meeting_deck(engine, filters, FROZEN_TODAY))
    written = _written(deck_pptx, deck)
    counts = {
        "slides": len(deck.slides),
        "charts": sum(slide.chart is not None for slide in deck.slides),
    }
    export = Measurement(
        (built + written,), peak_mb(), parts={"deck": built, "pptx": written}, counts=counts
    )

    from rete.meeting.html_deck import deck_html
    from rete.meeting.report import deck_docx
    from rete.meeting.workbook import deck_xlsx

    writers = dict(zip(OTHER_FILES, (deck_docx, deck_xlsx, deck_html), strict=True))
    others = {label: _written(write, deck) for label, write in writers.items()}
    return export, Measurement((sum(others.values()),), peak_mb(), parts=others)
