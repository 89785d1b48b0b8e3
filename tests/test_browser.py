"""End to end in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

The login and the Cruscotto here; the community manager's workspace in test_browser_workspace.py,
accessibility (axe-core) in test_browser_a11y.py; what they share in browser_helpers.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_helpers import Rete, log_in, new_page, screenshot, shared_rete
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
