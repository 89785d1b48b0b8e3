"""What surrounds Rete's pages, in Chromium: the login card, no English where Rete controls the
chrome (Streamlit's ⋮ menu, Plotly's toolbar), and an address the user may not open answered
in Italian with the home page, nothing of the page asked for drawn."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from browser_helpers import (
    DEMO_CODE,
    FULL_HD,
    LAPTOP,
    Rete,
    log_in,
    new_page,
    shared_rete,
    shown_text,
    visit,
    wait_idle,
    workspace_titles_shown,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

ENGLISH_CHROME = ("Made with Streamlit", "Record screen", "Print", "Page not found")


@pytest.fixture(scope="module")
def rete(request: pytest.FixtureRequest) -> Rete:
    return shared_rete(request)


@pytest.fixture
def full_hd(rete: Rete) -> Iterator[Page]:
    """A visitor not logged in, on a 1920×1080 screen."""
    page = new_page(rete.browser, FULL_HD)
    yield page
    page.context.close()


# --- The login page


@pytest.mark.parametrize("screen", [LAPTOP, FULL_HD], ids=["1440", "1920"])
def test_the_login_form_is_a_card_in_the_middle_with_one_demo_notice(rete: Rete, screen):
    page = new_page(rete.browser, screen)
    try:
        visit(page, rete.url)
        form = page.get_by_test_id("stForm")
        expect(form).to_be_visible()
        box = form.bounding_box()
        assert box is not None
        assert box["width"] <= 600, box
        assert abs(box["x"] + box["width"] / 2 - screen["width"] / 2) < 40, box
        notices = page.get_by_test_id("stAlert")
        expect(notices).to_have_count(1)
        expect(notices).to_contain_text("Dati dimostrativi")
        expect(notices).to_contain_text("direzione")
    finally:
        page.context.close()


# --- Streamlit's chrome and Plotly's toolbar


def test_there_is_no_english_main_menu(rete: Rete, full_hd: Page):
    visit(full_hd, rete.url)
    expect(full_hd.get_by_test_id("stMainMenu")).to_have_count(0)
    admin = rete.as_user("admin")
    visit(admin, rete.url + "/registro")
    expect(admin.get_by_role("heading", name="Registro accessi")).to_be_visible()
    expect(admin.get_by_test_id("stMainMenu")).to_have_count(0)
    expect(admin.get_by_test_id("stToolbar").get_by_role("button")).to_have_count(0)
    body = admin.locator("body").inner_text()
    assert not [text for text in ENGLISH_CHROME if text in body]


def test_the_charts_have_no_english_toolbar(rete: Rete):
    page = rete.as_user("direzione")
    visit(page, rete.url)
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(5)
    charts.first.hover()
    page.wait_for_timeout(300)
    expect(page.locator(".js-plotly-plot .modebar-btn")).to_have_count(0)
    expect(page.locator("[data-title='Download plot as a PNG']")).to_have_count(0)


# --- Addresses the user may not open

REFUSED = [
    ("/colloqui", "La pagina «Colloqui» non è disponibile per il suo ruolo"),
    ("/nucleo?nucleo=1", "La pagina «Scheda nucleo» non è disponibile per il suo ruolo"),
    ("/segnala?bisogno=1", "La pagina «Segnala a un ente» non è disponibile per il suo ruolo"),
    ("/registro", "La pagina «Registro accessi» non è disponibile per il suo ruolo"),
    ("/pagina-che-non-esiste?x=%3Cb%3Eciao%3C%2Fb%3E", "Pagina non trovata"),
]


@pytest.mark.parametrize(("path", "notice"), REFUSED, ids=[path for path, _ in REFUSED])
def test_direzione_at_an_address_it_may_not_open_is_told_so_and_sees_its_home(
    rete: Rete, path: str, notice: str
):
    page = rete.as_user("direzione")
    visit(page, rete.url + path)
    alert = page.get_by_test_id("stAlert").filter(has_text=notice)
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("si è aperta la pagina iniziale")
    expect(page.get_by_role("heading", name="Cruscotto", exact=True)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    address = urlsplit(page.url)
    assert (address.path, address.query) == ("/", ""), page.url
    seen = shown_text(page)
    leaked = workspace_titles_shown(seen)
    assert not leaked, (path, leaked)
    body = str(seen["body"])
    assert not DEMO_CODE.search(body), body
    assert "ciao" not in body and "Page not found" not in body


def test_the_notice_goes_with_the_next_click(rete: Rete):
    page = rete.as_user("direzione")
    visit(page, rete.url + "/colloqui")
    expect(page.get_by_test_id("stAlert").filter(has_text="«Colloqui»")).to_have_count(1)
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Cruscotto", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(has_text="«Colloqui»")).to_have_count(0)


def test_the_home_s_own_address_opens_the_home_with_the_link_s_filters(rete: Rete):
    page = rete.as_user("direzione")
    visit(page, rete.url + "/cruscotto?periodo=anno")
    expect(page.get_by_role("heading", name="Cruscotto", exact=True)).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_test_id("stAlert").filter(has_text="non è disponibile")).to_have_count(0)
    address = urlsplit(page.url)
    assert (address.path, address.query) == ("/", "periodo=anno"), page.url


def test_a_visitor_at_an_unknown_address_is_told_on_the_login_page(rete: Rete, full_hd: Page):
    visit(full_hd, rete.url + "/pagina-che-non-esiste")
    expect(full_hd.get_by_role("heading", name="Rete · accesso")).to_be_visible()
    expect(full_hd.get_by_test_id("stAlert").filter(has_text="Pagina non trovata")).to_have_count(1)
    expect(full_hd.get_by_role("dialog")).to_have_count(0)


# --- The audit trail


def test_a_failed_login_under_an_unknown_name_reads_sconosciuto_in_the_trail(
    rete: Rete, full_hd: Page
):
    log_in(full_hd, rete.url, "utente.inventato.x", "sbagliata")
    expect(full_hd.get_by_text("Nome utente o password non corretti", exact=False)).to_be_visible()
    admin = rete.as_user("admin")
    visit(admin, rete.url + "/registro")
    table = admin.get_by_test_id("stDataFrame")
    expect(table).to_be_visible()
    # The grid is drawn on a canvas; its accessible copy is a table of the same cells.
    cells = table.locator("table").text_content() or ""
    assert "sconosciuto" in cells
    assert "utente.inventato" not in cells
    headers = table.locator("table th").all_text_contents()
    assert [h.strip() for h in headers if h.strip()] == [
        "Quando",
        "Utente",
        "Ruolo",
        "Azione",
        "Oggetto",
        "Dettagli",
    ]
