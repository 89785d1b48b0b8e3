"""End to end in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

The login and the Cruscotto here; the community manager's workspace in test_browser_workspace.py,
accessibility (axe-core) in test_browser_a11y.py; what they share in browser_helpers.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_helpers import (
    FULL_HD,
    LAPTOP,
    TABLET,
    Rete,
    log_in,
    new_page,
    screenshot,
    shared_rete,
    visit,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rete(request: pytest.FixtureRequest) -> Rete:
    """The real app on a free port over a small demo dataset, and Chromium (shared)."""
    return shared_rete(request)


@pytest.fixture
def page(rete: Rete) -> Iterator[Page]:
    """A page in a context of its own: these tests log in and out themselves."""
    page = new_page(rete.browser, {"width": 1400, "height": 1000})
    yield page
    page.context.close()


def test_direzione_logs_in_and_sees_the_cruscotto_drawn(page: Page, rete: Rete):
    log_in(page, rete.url, "direzione")
    expect(page.get_by_role("heading", name="Cruscotto")).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=60_000)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(6)
    expect(page.get_by_text("Dati dimostrativi")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
    # Italian formats whatever the browser's locale: the share is "45,6%", never "45.6%".
    share = (
        page.locator('[data-testid="stMetric"]')
        .nth(4)
        .locator('[data-testid="stMetricValue"]')
        .inner_text()
    )
    assert share.endswith("%") and "." not in share
    screenshot(page, "cruscotto")

    page.reload()  # the session cookie keeps the user logged in
    expect(page.get_by_role("heading", name="Cruscotto")).to_be_visible(timeout=60_000)

    page.get_by_role("button", name="Esci").click()
    expect(page.get_by_role("button", name="Accedi")).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_role("button", name="Accedi")).to_be_visible(timeout=30_000)


def test_a_wrong_password_is_refused_in_the_browser(page: Page, rete: Rete):
    log_in(page, rete.url, "direzione", "sbagliata")
    expect(page.get_by_text("Nome utente o password non corretti")).to_be_visible(timeout=30_000)
    assert page.context.cookies() == [] or all(
        c["name"] != "rete_session" for c in page.context.cookies()
    )


# Each chart's title, legend and plot area boxes (the legend only where the chart has one).
_CHART_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((plot) => {
  const title = plot.querySelector('.gtitle');
  const legend = plot.querySelector('.legend');
  const area = plot.querySelector('.nsewdrag');
  if (!title || !area) return [];
  const box = (e) => { const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  return [{title: title.textContent, t: box(title), l: legend ? box(legend) : null,
           p: box(area)}];
})"""


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["top"] < b["bottom"] - 2
        and b["top"] < a["bottom"] - 2
        and a["left"] < b["right"]
        and b["left"] < a["right"]
    )


def test_the_cruscotto_chart_titles_are_not_covered_by_their_legends(rete: Rete):
    """At every width (where 8 areas or 7 outcomes wrap to several rows) the title, the
    legend and the plot area of each chart lie apart: title on top, legend under it."""
    page = rete.as_user("direzione")
    visit(page, rete.url)
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    covered = []
    measured = 0
    for screen in (TABLET, LAPTOP, FULL_HD):
        page.set_viewport_size(screen)
        page.wait_for_timeout(600)  # the charts follow the new width
        for chart in page.evaluate(_CHART_BOXES):
            where = f"{screen['width']}px: {chart['title']}"
            title, legend, plot = chart["t"], chart["l"], chart["p"]
            if _overlap(title, plot):
                covered.append(f"{where}: title over the plot")
            if legend is None:
                continue
            measured += 1
            if _overlap(title, legend) or legend["top"] < title["bottom"] - 2:
                covered.append(f"{where}: legend over the title")
            if _overlap(legend, plot):
                covered.append(f"{where}: legend over the plot")
    page.set_viewport_size(TABLET)
    assert measured >= 9, measured  # three charts with a legend, at three widths
    assert not covered, covered


# Every text plotly draws in the charts: its size and font, and the page's body font.
_CHART_TEXT = """() => {
  const body = getComputedStyle(document.querySelector('[data-testid="stMarkdownContainer"] p')
    || document.body).fontFamily;
  const texts = [...document.querySelectorAll('.js-plotly-plot svg text')]
    .filter((e) => e.textContent.trim() && e.getClientRects().length);
  return {body, texts: texts.map((e) => { const s = getComputedStyle(e);
    return {text: e.textContent.trim().slice(0, 30), size: parseFloat(s.fontSize),
            family: s.fontFamily, title: !!e.closest('.gtitle, .g-gtitle')}; })};
}"""


def test_the_cruscotto_charts_speak_in_the_page_font_at_16_px_or_more(rete: Rete):
    """Readable on a projector at 1920×1080: every chart text (ticks, legend, colour bar,
    numbers in cells and on bars) in the app's own font at 16 px or more, titles larger."""
    page = rete.as_user("direzione")
    visit(page, rete.url)
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    page.set_viewport_size(FULL_HD)
    page.wait_for_timeout(600)
    try:
        found = page.evaluate(_CHART_TEXT)
        screenshot(page, "1920x1080/cruscotto_charts")
    finally:
        page.set_viewport_size(TABLET)
    body_font = found["body"].split(",")[0].strip().strip('"')
    assert body_font.startswith("Source Sans"), found["body"]
    texts = found["texts"]
    assert len(texts) > 50
    small = [t for t in texts if t["size"] < 16]
    assert not small, small[:10]
    other_font = [t for t in texts if t["family"].split(",")[0].strip().strip('"') != body_font]
    assert not other_font, other_font[:10]
    titles = [t for t in texts if t["title"]]
    assert len(titles) == 5 and all(t["size"] >= 20 for t in titles), titles
