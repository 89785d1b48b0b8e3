"""The «Rete» page (the network's directory) in Chromium: partner cards whose phones and e-mails
are working `tel:`/`mailto:` links, direzione reading without a way to change anything, an edit
end to end (a wrong phone refused next to its field, then saved and shown), «Chi può aiutare?»
with the reason of each rank in words, and «Copertura della rete» with its gaps chart.

Every view of the page and the partner editor are also checked with axe-core (the default view
is already in test_browser_a11y, which opens every page of the registry) and for sideways
scrolling; with $RETE_SCREENSHOTS set, screenshots of each at 1280×800, 1440×900 and 1920×1080.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from browser_helpers import (
    Rete,
    choose,
    fits_every_screen,
    severe_violations,
    shared_rete,
    visit,
    wait_idle,
)
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import Engine, create_engine, text

from rete import config, directory
from rete.directory import coverage
from rete.filters import PRESET_LAST_12, period_bounds
from rete.ui.directory_view import PAGE_SIZE

pytestmark = pytest.mark.browser

READ_ONLY = ("Nuovo ente", "Modifica", "Verificato oggi", "Disattiva", "Elimina")
EXPORTS = ("Open Referral (zip di CSV)", "Open Referral (JSON)", "Referenti (Excel)")
# «Chi può aiutare?»: a specific need and a neighbourhood the demo directory covers.
HELP_NEED = ("Abitare", "Manutenzione e guasti")
HELP_PLACE = ("Biumo", "Varese")
TEL = re.compile(r"^tel:\+?[0-9]+$")  # digits only, '+' for an international prefix
MAILTO = re.compile(r"^mailto:[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


@pytest.fixture(scope="module")
def rete(request: pytest.FixtureRequest) -> Rete:
    return shared_rete(request)


@pytest.fixture(scope="module")
def engine(rete: Rete) -> Iterator[Engine]:
    """The test server's database, to know what the page should show."""
    engine = create_engine(rete.app.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def operatore(rete: Rete) -> Page:
    return rete.as_user("operatore")


@pytest.fixture
def direzione(rete: Rete) -> Page:
    return rete.as_user("direzione")


def open_view(page: Page, label: str) -> None:
    """One of the page's views, from its segmented control «Vista»."""
    page.get_by_role("radiogroup", name="Vista").get_by_role("radio", name=label).click()
    wait_idle(page)
    expect(
        page.get_by_role("radiogroup", name="Vista").get_by_role("radio", name=label)
    ).to_be_checked()


def cards(page: Page) -> Locator:
    """The partner cards of the list: bordered blocks with «Apri la scheda»."""
    return page.locator('[data-testid="stLayoutWrapper"] > [data-testid="stVerticalBlock"]').filter(
        has=page.get_by_role("button", name="Apri la scheda")
    )


def card_named(page: Page, name: str) -> Locator:
    """The card of the partner `name` (its name is the card's first bold text)."""
    title = page.locator("strong").filter(has_text=re.compile(f"^{re.escape(name)}$"))
    return cards(page).filter(has=title)


def contacts_of(engine: Engine, name: str) -> list[tuple[str, str | None, str | None, bool]]:
    """The partner's contact persons: name, phone, e-mail, primary or not."""
    with engine.connect() as connection:
        return [
            (row.name, row.phone, row.email, bool(row.is_primary))
            for row in connection.execute(
                text(
                    "SELECT c.name, c.phone, c.email, c.is_primary FROM contact c"
                    " JOIN partner p ON p.id = c.partner_id WHERE p.name = :name"
                ),
                {"name": name},
            )
        ]


def dialled(phone: str) -> str:
    """What a `tel:` link of `phone` dials: its digits and '+', without the extension."""
    return re.sub(r"[^0-9+]", "", re.split(r"\bint\.?", phone)[0])


# --- 1. Cards with contact persons and working links


def test_partner_cards_show_contact_persons_with_working_tel_and_mailto_links(
    rete: Rete, operatore: Page, engine: Engine
):
    page = operatore
    visit(page, rete.url + "/rete")
    expect(page.get_by_role("heading", name="Rete", exact=True)).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_text(re.compile(r"^\d+ enti trovati\.$"))).to_be_visible()

    phones = main.locator('a[href^="tel:"]')
    mails = main.locator('a[href^="mailto:"]')
    expect(phones.first).to_be_visible()
    expect(mails.first).to_be_visible()
    for link in phones.all():
        href = link.get_attribute("href") or ""
        assert TEL.match(href), href
        assert href == f"tel:{dialled(link.inner_text())}", (href, link.inner_text())
    for link in mails.all():
        href = link.get_attribute("href") or ""
        assert MAILTO.match(href), href
        assert href == f"mailto:{link.inner_text().strip()}", (href, link.inner_text())

    # The first card: each of its contact persons, with their own direct channels as links.
    expect(cards(page)).to_have_count(PAGE_SIZE)  # a full page: the demo has 40 partners
    name = cards(page).first.locator("strong").first.inner_text()
    card = card_named(page, name)
    people = contacts_of(engine, name)
    assert people, name
    for person, phone, email, _ in people:
        expect(card.locator("strong", has_text=person)).to_be_visible()
        if phone:
            expect(card.locator(f'a[href="tel:{dialled(phone)}"]').first).to_be_visible()
        if email:
            expect(card.locator(f'a[href="mailto:{email}"]')).to_be_visible()
    # Exactly one primary contact, and it comes first.
    lines = [
        line
        for line in card.inner_text().splitlines()
        if any(line.startswith(f"{person} ") for person, *_ in people)
    ]
    primary = next(person for person, *_, is_primary in people if is_primary)
    assert len(lines) == len(people), lines
    assert lines[0].startswith(f"{primary} ") and "referente principale" in lines[0], lines
    assert sum("referente principale" in line for line in lines) == 1, lines
    # Nothing of the Markdown escaping shows.
    assert "\\" not in main.inner_text()


# --- 2. Direzione reads


def test_direzione_reads_the_directory_but_has_no_way_to_change_it(rete: Rete, direzione: Page):
    page = direzione
    visit(page, rete.url + "/rete")
    main = page.get_by_role("main")
    expect(main.get_by_text(re.compile(r"^\d+ enti trovati\.$"))).to_be_visible()
    expect(main.locator('a[href^="tel:"]').first).to_be_visible()  # business contacts: readable
    expect(main.locator('a[href^="mailto:"]').first).to_be_visible()
    expect(page.get_by_role("button", name="Nuovo ente")).to_have_count(0)
    expect(page.get_by_role("link", name="Segnala un bisogno a questo ente")).to_have_count(0)

    # A partner's card, opened: no action that changes it.
    main.get_by_role("button", name="Apri la scheda").first.click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Tutti gli enti")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]ente=\d+"))
    for label in READ_ONLY:
        expect(page.get_by_role("button", name=label, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Segnala un bisogno a questo ente")).to_have_count(0)

    # … nor by the editor's addresses: the card again, or the list.
    partner = re.search(r"ente=(\d+)", page.url)
    assert partner is not None
    visit(page, f"{rete.url}/rete?ente={partner[1]}&modifica=1")
    expect(page.get_by_role("button", name="Tutti gli enti")).to_be_visible()
    expect(page.get_by_role("heading", name="Modifica l'ente")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Nome dell'ente")).to_have_count(0)
    visit(page, rete.url + "/rete?ente=nuovo")
    expect(page.get_by_role("heading", name="Nuovo ente")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Nome dell'ente")).to_have_count(0)

    # «Chi può aiutare?»: the partners, no referral to send.
    visit(page, rete.url + "/rete")
    open_view(page, "Chi può aiutare?")
    choose(page, "Bisogno specifico", " › ".join(HELP_NEED))
    choose(page, "Quartiere", "{} ({})".format(*HELP_PLACE))
    expect(page.get_by_text(re.compile(r"aiutare$"))).to_be_visible()
    expect(page.get_by_role("link", name="Segnala un bisogno a questo ente")).to_have_count(0)

    # «Esporta e importa»: the three downloads, no import.
    open_view(page, "Esporta e importa")
    for label in EXPORTS:
        expect(page.get_by_role("button", name=label)).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    expect(page.get_by_role("heading", name="Importa da un altro elenco")).to_have_count(0)


# --- 3. An edit, end to end


def test_a_wrong_phone_is_refused_next_to_its_field_then_the_fixed_one_is_saved_and_shown(
    rete: Rete, operatore: Page, engine: Engine
):
    page = operatore
    with engine.connect() as connection:
        name = connection.execute(
            text("SELECT name FROM partner WHERE active ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    visit(page, rete.url + "/rete")
    page.get_by_role("textbox", name="Cerca un ente").fill(name)
    page.get_by_role("textbox", name="Cerca un ente").press("Enter")
    wait_idle(page)
    expect(page.get_by_text("1 ente trovato.")).to_be_visible()
    card_named(page, name).get_by_role("button", name="Apri la scheda").click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Tutti gli enti")).to_be_visible()

    page.get_by_role("button", name="Modifica", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Modifica l'ente")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]modifica=1"))
    phone = page.get_by_role("textbox", name="Telefono dell'ente")
    phone.fill("12345")
    phone.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Salva", exact=True).click()
    wait_idle(page)
    # The message in Italian, in the field's own column, right under it; the value kept.
    column = page.get_by_test_id("stColumn").filter(has=phone)
    message = column.get_by_test_id("stAlert")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Il telefono dell'ente «12345» non sembra un numero italiano")
    assert "\\" not in message.inner_text()
    field_box, message_box = phone.bounding_box(), message.bounding_box()
    assert field_box and message_box and 0 <= message_box["y"] - field_box["y"] < 150
    expect(phone).to_have_value("12345")
    expect(page.get_by_role("heading", name="Modifica l'ente")).to_be_visible()

    number = f"0332 {random.randint(100, 999)} {random.randint(100, 999)}"
    phone.fill(number)
    phone.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="Salva", exact=True).click()
    wait_idle(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="salvato")).to_contain_text(
        f"Ente «{name}» salvato."
    )
    expect(page.get_by_role("heading", name="Modifica l'ente")).to_have_count(0)
    main = page.get_by_role("main")
    office = main.get_by_test_id("stMarkdownContainer").filter(has_text="Sede:")
    expect(office.locator(f'a[href="tel:{dialled(number)}"]')).to_have_text(
        re.compile(re.escape(number))
    )
    with engine.connect() as connection:
        saved = connection.execute(
            text("SELECT phone FROM partner WHERE name = :name"), {"name": name}
        ).scalar_one()
    assert saved == number


# --- 4. Chi può aiutare?


def test_who_can_help_ranks_the_partners_with_the_reason_in_words(
    rete: Rete, operatore: Page, engine: Engine
):
    page = operatore
    with engine.connect() as connection:
        need_id = connection.execute(
            text(
                "SELECT c.id FROM category c JOIN category a ON a.id = c.parent_id"
                " WHERE a.name = :area AND c.name = :need"
            ),
            {"area": HELP_NEED[0], "need": HELP_NEED[1]},
        ).scalar_one()
        place_id = connection.execute(
            text("SELECT id FROM neighbourhood WHERE name = :name AND municipality = :town"),
            {"name": HELP_PLACE[0], "town": HELP_PLACE[1]},
        ).scalar_one()
    proposals = directory.propose_partners(engine, need_id, place_id)
    assert len(proposals) >= 2, "the demo directory no longer covers this need there"

    visit(page, rete.url + "/rete")
    open_view(page, "Chi può aiutare?")
    expect(page.get_by_text("Scegliere un bisogno specifico e un quartiere.")).to_be_visible()
    choose(page, "Bisogno specifico", " › ".join(HELP_NEED))
    choose(page, "Quartiere", "{} ({})".format(*HELP_PLACE))
    main = page.get_by_role("main")
    expect(main.get_by_text(f"{len(proposals)} enti possono aiutare")).to_be_visible()
    ranked = main.get_by_test_id("stVerticalBlock").filter(
        has=page.locator("strong", has_text=re.compile(r"^\d+\. "))
    )
    names = main.locator("strong", has_text=re.compile(r"^\d+\. "))
    expect(names).to_have_text([f"{rank}. {p.name}" for rank, p in enumerate(proposals, 1)])
    for rank, proposal in enumerate(proposals, start=1):
        block = ranked.filter(has=page.locator("strong", has_text=f"{rank}. {proposal.name}")).last
        expect(block.get_by_test_id("stCaptionContainer")).to_have_text(proposal.reason)
        assert "copre" in proposal.reason and "serve" in proposal.reason, proposal.reason
        for contact in proposal.contacts:
            expect(block.locator("strong", has_text=contact.name)).to_be_visible()
        expect(
            block.get_by_role("link", name="Segnala un bisogno a questo ente")
        ).to_have_attribute("href", re.compile(rf"(^|/)segnala\?ente={proposal.partner_id}$"))


# --- 5. Copertura della rete


def test_the_coverage_view_draws_the_gaps_chart_or_says_there_is_no_gap(
    rete: Rete, direzione: Page, engine: Engine
):
    page = direzione
    bounds = period_bounds(PRESET_LAST_12, config.today())
    assert bounds is not None
    gaps = coverage.gap_needs(engine, *bounds)

    visit(page, rete.url + "/rete")
    open_view(page, "Copertura della rete")
    main = page.get_by_role("main")
    for heading in (
        "Bisogni ed enti che li coprono",
        "Buchi della rete",
        "Enti mai usati nel periodo",
        "Da ricontrollare",
    ):
        expect(main.get_by_role("heading", name=heading)).to_be_visible()
    chart = main.locator(".js-plotly-plot")
    if gaps.empty:
        expect(main.get_by_text(re.compile(r"^Nessun buco"))).to_be_visible()
        expect(chart).to_have_count(0)
    else:
        expect(chart).to_have_count(1)
        expect(chart).to_contain_text("Bisogni senza un ente che li prenda")
        for place in set(gaps["neighbourhood"]):
            expect(chart).to_contain_text(place)
        expect(main.get_by_text(re.compile(r"^Nessun buco"))).to_have_count(0)


# --- 6. Accessibility and layout of every view and of the editor


@dataclass(frozen=True)
class View:
    name: str
    role: str
    prepare: Callable[[Page, str], None]


def _enti(page: Page, url: str) -> None:
    visit(page, url + "/rete")
    expect(page.get_by_text(re.compile(r"^\d+ enti trovati\.$"))).to_be_visible()


def _scheda(page: Page, url: str) -> None:
    _enti(page, url)
    page.get_by_role("button", name="Apri la scheda").nth(1).click()
    wait_idle(page)
    expect(page.get_by_role("button", name="Modifica", exact=True)).to_be_visible()


def _editor(page: Page, url: str) -> None:
    """The editor with a refused save: a message next to a field and one on the whole form."""
    _scheda(page, url)
    page.get_by_role("button", name="Modifica", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Modifica l'ente")).to_be_visible()
    page.get_by_role("button", name="Aggiungi un referente").click()
    wait_idle(page)
    page.get_by_role("textbox", name="Sito web").fill("non è un sito")
    page.get_by_role("button", name="Salva", exact=True).click()
    wait_idle(page)
    expect(page.get_by_test_id("stAlert").first).to_be_visible()


def _new_partner(page: Page, url: str) -> None:
    _enti(page, url)
    page.get_by_role("button", name="Nuovo ente").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Nuovo ente")).to_be_visible()


def _aiuto(page: Page, url: str) -> None:
    visit(page, url + "/rete")
    open_view(page, "Chi può aiutare?")
    choose(page, "Bisogno specifico", " › ".join(HELP_NEED))
    choose(page, "Quartiere", "{} ({})".format(*HELP_PLACE))
    expect(page.get_by_text(re.compile(r"aiutare$"))).to_be_visible()


def _copertura(page: Page, url: str) -> None:
    visit(page, url + "/rete")
    open_view(page, "Copertura della rete")
    expect(page.get_by_role("heading", name="Da ricontrollare")).to_be_visible()
    for expander in ("Per bisogno specifico", "Quali bisogni, dove"):
        summary = page.get_by_test_id("stExpander").get_by_text(expander)
        if summary.count():
            summary.click()
            wait_idle(page)


def _scambio(page: Page, url: str) -> None:
    visit(page, url + "/rete")
    open_view(page, "Esporta e importa")
    expect(page.get_by_role("button", name=EXPORTS[0])).to_be_visible()


VIEWS = [
    View("rete-enti", "operatore", _enti),
    View("rete-scheda", "operatore", _scheda),
    View("rete-modifica", "operatore", _editor),
    View("rete-nuovo", "operatore", _new_partner),
    View("rete-aiuto", "operatore", _aiuto),
    View("rete-copertura", "direzione", _copertura),
    View("rete-scambio", "operatore", _scambio),
]


@pytest.mark.parametrize("view", [pytest.param(view, id=view.name) for view in VIEWS])
def test_each_view_and_the_editor_pass_axe_and_fit_every_screen(rete: Rete, view: View):
    """No serious or critical axe-core violation (less Streamlit's own), nothing scrolling
    sideways at 1280×800 (and at 1440×900 and 1920×1080, with screenshots, when
    $RETE_SCREENSHOTS is set)."""
    page = rete.as_user(view.role)
    view.prepare(page, rete.url)
    problems = severe_violations(page, view.name)
    problems += fits_every_screen(page, view.name)
    assert not problems, "\n".join(problems)
