"""The «Riunione» page in Chromium as a projector shows it: every slide at 1920×1080 with no
sidebar, nothing scrolling (sideways or inside the slide) and no text under 24 px, the chart's
SVG text included; the ArrowRight key moves on and the address follows; a reload stays on the
slide; axe-core on the preparing page and on a tiles, a chart and a matrix slide; the preparing
page and a slide at 1440×900.

Every slide's screenshot is kept: in $RETE_SCREENSHOTS/riunione when that variable is set,
otherwise in a new folder under the system's temporary directory, printed at the start.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import (
    FULL_HD,
    LAPTOP,
    Rete,
    horizontal_overflow,
    logged_in,
    screenshot_folder,
    severe_violations,
    shared_rete,
    visit,
    wait_idle,
    whole_page_in_view,
)
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine

from rete import config
from rete.filters import default_filters
from rete.meeting import build
from rete.meeting.model import Deck

pytestmark = pytest.mark.browser

SMALLEST_TEXT = 24  # px: read from the back of a meeting room

# Every visible text node and input value in the slide and its controls, with the size it is
# drawn at (an SVG <text>/<tspan> of Plotly included): what is too small.
_READABILITY = """
(smallest) => {
  const problems = [];
  if (!document.querySelector('.st-key-mt_slide')) return ['no .st-key-mt_slide on the page'];
  const visible = (e) => e.getClientRects().length > 0
    && e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const small = (e, what) => {
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < smallest) problems.push(`${size}px: ${what.slice(0, 60)} (<${e.tagName.toLowerCase()}>)`);
  };
  let texts = 0;
  for (const root of document.querySelectorAll('.st-key-mt_slide, .st-key-mt_nav')) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if (!text || !node.parentElement || !visible(node.parentElement)) continue;
      texts += 1;
      small(node.parentElement, text);
    }
    for (const input of root.querySelectorAll('input, textarea')) {
      if (input.value && visible(input)) small(input, `value «${input.value}»`);
    }
  }
  if (texts < 5) problems.push(`only ${texts} text nodes found: the slide did not draw`);
  return problems;
}
"""
# The slide area's content against its fixed height: more would mean a scroll inside the slide.
_SLIDE_HEIGHTS = """
() => {
  const slide = document.querySelector('.st-key-mt_slide');
  return [slide.scrollHeight, slide.clientHeight];
}
"""


@pytest.fixture(scope="module")
def rete(request: pytest.FixtureRequest) -> Rete:
    return shared_rete(request)


@pytest.fixture(scope="module")
def deck(rete: Rete) -> Deck:
    """The deck the page presents by default (the last 12 months, the whole network)."""
    engine = create_engine(rete.app.database_url)
    try:
        today = config.today()
        return build.meeting_deck(engine, default_filters(today), today)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def projector(rete: Rete) -> Iterator[Page]:
    """Direzione at 1920×1080 in a page of its own (the shared pages are at the tablet's size)."""
    page = logged_in(rete.browser, rete.url, "direzione", FULL_HD)
    yield page
    page.context.close()


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest) -> Path:
    """Where the screenshots go; kept after the run so that a person can look at them."""
    base = screenshot_folder()
    folder = base / "riunione" if base else Path(tempfile.mkdtemp(prefix="rete-riunione-"))
    folder.mkdir(parents=True, exist_ok=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nScreenshots of the meeting slides: {folder}")
    return folder


def slide_number(page: Page) -> int:
    found = re.search(r"[?&]slide=(\d+)", page.url)
    assert found, page.url
    return int(found[1])


def wait_for_slide(page: Page, deck: Deck, number: int) -> None:
    """Until slide `number` is drawn: its title, and its chart's text when it has a chart."""
    slide = deck.slides[number - 1]
    area = page.locator(".st-key-mt_slide")
    expect(area.get_by_role("heading", level=1)).to_have_text(slide.title)
    if slide.chart is not None:
        expect(area.locator(".js-plotly-plot svg.main-svg text").first).to_be_attached()
        page.wait_for_timeout(300)  # Plotly settles its margins after the first draw


def present(page: Page, url: str, deck: Deck, number: int) -> None:
    visit(page, f"{url}/riunione?presenta=1&slide={number}")
    wait_for_slide(page, deck, number)


def shoot(page: Page, path: Path, *, whole: bool = False) -> None:
    if whole:
        with whole_page_in_view(page):
            page.screenshot(path=str(path))
    else:
        page.screenshot(path=str(path))


# --- Every slide on the projector


def test_every_slide_fits_a_1920x1080_projector_in_large_type(
    rete: Rete, projector: Page, deck: Deck, shots: Path
):
    page = projector
    visit(page, rete.url + "/riunione")
    expect(page.get_by_role("heading", name="Riunione", exact=True)).to_be_visible()
    shoot(page, shots / "1920x1080-preparazione.png", whole=True)
    page.get_by_role("button", name="Presenta").click()
    wait_idle(page)
    problems: list[str] = []
    for number, slide in enumerate(deck.slides, start=1):
        wait_for_slide(page, deck, number)
        assert slide_number(page) == number
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        expect(page.get_by_role("combobox", name="Vai alla slide")).to_have_value(
            f"{number} / {len(deck.slides)} · {build.SLIDE_TITLES[slide.key]}"
        )
        shoot(page, shots / f"1920x1080-{number:02d}-{slide.key}.png")
        found = horizontal_overflow(page) + page.evaluate(_READABILITY, SMALLEST_TEXT)
        problems += [f"slide {number} ({slide.key}): {problem}" for problem in found]
        if number < len(deck.slides):
            page.keyboard.press("ArrowRight")  # «Successiva»'s shortcut
            wait_idle(page)
    assert slide_number(page) == len(deck.slides)
    expect(page.get_by_role("button", name="Successiva")).to_be_disabled()
    assert not problems, "\n".join(problems)


def test_a_reload_stays_on_the_slide_and_arrow_left_goes_back(
    rete: Rete, projector: Page, deck: Deck
):
    page = projector
    present(page, rete.url, deck, 4)
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    wait_for_slide(page, deck, 5)
    page.reload()
    wait_idle(page)
    wait_for_slide(page, deck, 5)
    assert slide_number(page) == 5
    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    wait_for_slide(page, deck, 4)
    assert slide_number(page) == 4


def test_no_slide_needs_to_scroll_inside_its_area(rete: Rete, projector: Page, deck: Deck):
    page = projector
    present(page, rete.url, deck, 1)
    scrolling = []
    for number, slide in enumerate(deck.slides, start=1):
        wait_for_slide(page, deck, number)
        content, area = page.evaluate(_SLIDE_HEIGHTS)
        if content > area + 1:
            scrolling.append(f"slide {number} ({slide.key}): {content}px of content in {area}px")
        if number < len(deck.slides):
            page.keyboard.press("ArrowRight")
            wait_idle(page)
    assert not scrolling, "\n".join(scrolling)


# --- Accessibility


def test_the_preparing_page_passes_axe(rete: Rete, projector: Page):
    page = projector
    visit(page, rete.url + "/riunione")
    expect(page.get_by_role("button", name="Presenta")).to_be_visible()
    problems = severe_violations(page, "riunione")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("numeri", id="tiles"),
        pytest.param("aree", id="chart"),
        pytest.param("matrice", id="matrix"),
    ],
)
def test_a_presented_slide_passes_axe(rete: Rete, projector: Page, deck: Deck, key: str):
    page = projector
    present(page, rete.url, deck, deck.keys.index(key) + 1)
    problems = severe_violations(page, f"riunione-{key}")
    assert not problems, "\n".join(problems)


# --- A laptop


def test_the_preparing_page_and_a_slide_fit_a_1440x900_screen(
    rete: Rete, projector: Page, deck: Deck, shots: Path
):
    page = projector
    page.set_viewport_size(LAPTOP)
    try:
        visit(page, rete.url + "/riunione")
        expect(page.get_by_role("button", name="Presenta")).to_be_visible()
        shoot(page, shots / "1440x900-preparazione.png", whole=True)
        problems = [f"preparing: {p}" for p in horizontal_overflow(page)]
        number = deck.keys.index("matrice") + 1
        present(page, rete.url, deck, number)
        shoot(page, shots / f"1440x900-{number:02d}-matrice.png")
        problems += [f"slide {number}: {p}" for p in horizontal_overflow(page)]
    finally:
        page.set_viewport_size(FULL_HD)
    assert not problems, "\n".join(problems)
