"""The community manager's workspace end to end in Chromium, on the 10-inch tablet (1280×800).

One flow from an interview with a new household to a referral concluded with a positive outcome,
read back on the household card and on management's Cruscotto; management kept out of every
workspace page; and every workspace page checked for sideways scrolling at the tablet's size
(screenshots at 1280×800, 1440×900 and 1920×1080 into $RETE_SCREENSHOTS when set).
"""

from __future__ import annotations

import re
import uuid

import pytest
from browser_helpers import (
    DEMO_CODE,
    TABLET,
    Rete,
    choose,
    fits_every_screen,
    italian_integer,
    menu,
    metrics,
    new_page,
    open_list,
    screenshot,
    shared_rete,
    shown_text,
    visit,
    wait_idle,
    workspace_titles_shown,
)
from playwright.sync_api import Locator, Page, expect

from rete import config

pytestmark = pytest.mark.browser

PLACE = "Beata Giuliana (Busto Arsizio)"  # the new household's neighbourhood
COUNTS = ("Colloqui", "Nuclei raggiunti", "Bisogni rilevati", "Segnalazioni inviate")


@pytest.fixture(scope="module")
def rete(request: pytest.FixtureRequest) -> Rete:
    return shared_rete(request)


@pytest.fixture
def operatore(rete: Rete) -> Page:
    """The community manager, logged in once on the tablet; each test starts from an address
    (a new Streamlit session: no widget state leaks from one test to the next)."""
    return rete.as_user("operatore")


def today_shown() -> str:
    """Today as the app sees it (in Rome), as it shows dates."""
    return config.today().strftime("%d/%m/%Y")


def card_of(page: Page, text: str, button: str) -> Locator:
    """The innermost bordered block holding both `text` and the button `button`."""
    return (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=page.get_by_text(text))
        .filter(has=page.get_by_role("button", name=button))
        .last
    )


def counts(page: Page) -> dict[str, int]:
    shown = metrics(page)
    return {label: italian_integer(shown[label]) for label in COUNTS}


# --- 1. The flow


def test_an_interview_with_a_new_household_becomes_a_referral_followed_to_its_outcome(
    rete: Rete, operatore: Page
):
    page = operatore
    code = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    today_it = today_shown()

    # Management's reading before: this year, so today's interview falls in the period (the
    # default period is the last 12 *complete* months).
    direzione = rete.as_user("direzione")
    visit(direzione, rete.url)
    expect(direzione.get_by_role("heading", name="Cruscotto")).to_be_visible()
    choose(direzione, "Periodo", "Anno in corso")
    expect(direzione).to_have_url(re.compile(r"[?&]periodo=anno\b"))
    before = counts(direzione)

    # Nuovo colloquio: the code field looks households up while the user types (no Enter).
    visit(page, rete.url)
    expect(page.get_by_role("heading", name="Da seguire", exact=True)).to_be_visible()
    menu(page, "Nuovo colloquio")
    code_field = page.get_by_role("textbox", name="Codice del nucleo")
    code_field.press_sequentially("va-0000", delay=60)
    households = page.get_by_role("radiogroup", name="Nucleo")
    expect(households.get_by_role("radio", name=re.compile(r"^VA-0000\d\d · "))).not_to_have_count(
        0
    )
    code_field.press("ControlOrMeta+a")
    code_field.press_sequentially(code, delay=60)
    new_household = households.get_by_role("radio", name=f"Nuovo nucleo con codice {code}")
    expect(new_household).to_be_checked()
    expect(households.get_by_role("radio")).to_have_count(1)
    wait_idle(page)
    expect(page.get_by_text("Nuovo nucleo", exact=True)).to_be_visible()
    choose(page, "Quartiere", PLACE)
    members = page.get_by_role("spinbutton", name="Componenti")
    members.fill("3")
    members.press("Tab")
    wait_idle(page)
    # The date is left as it is: today.
    expect(page.get_by_role("group", name="Data del colloquio")).to_have_text(today_it)
    choose(page, "Canale", "Telefono")
    choose(page, "Area del bisogno 1", "Abitare")
    choose(page, "Bisogno specifico 1", "Manutenzione e guasti")
    page.get_by_role("button", name="Aggiungi un altro bisogno").click()
    wait_idle(page)
    choose(page, "Area del bisogno 2", "Economica")
    choose(page, "Bisogno specifico 2", "Utenze ed energia")
    screenshot(page, "flusso/1-nuovo_colloquio")
    page.get_by_role("button", name="Salva il colloquio").click()
    expect(page.get_by_text("Colloquio salvato.")).to_be_visible()

    # The household card, from the confirmation's link.
    page.get_by_role("link", name=f"Apri la scheda del nucleo {code}").click()
    expect(page.get_by_role("heading", name=f"Nucleo {code}")).to_be_visible()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"/nucleo\?nucleo=\d+$"))
    main = page.get_by_role("main")
    expect(main.get_by_text(f"{PLACE} · 3 componenti")).to_be_visible()
    expect(main.get_by_text(f"Colloquio del {today_it} · Telefono")).to_be_visible()
    expect(main.get_by_text("Abitare · Manutenzione e guasti")).to_be_visible()
    expect(main.get_by_text("Economica · Utenze ed energia")).to_be_visible()

    # Segnala a un ente, from the first need.
    main.get_by_role("link", name="Segnala a un ente").first.click()
    expect(page.get_by_role("heading", name="A quale ente?")).to_be_visible()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"/segnala\?bisogno=\d+$"))
    expect(page.get_by_text("Abitare · Manutenzione e guasti")).to_be_visible()
    expect(page.get_by_text(f"Nucleo {code} · {PLACE}")).to_be_visible()
    partners = page.get_by_role("radiogroup", name="Ente")
    proposed = partners.locator("label").first
    partner = proposed.locator("strong").first.inner_text()
    assert partner != "Un altro ente della rete", "no partner proposed for this need"
    proposed.click()
    wait_idle(page)
    expect(partners.get_by_role("radio").first).to_be_checked()
    contacts = page.get_by_role("radiogroup", name="Referente")
    contact = contacts.locator("label strong").first.inner_text()
    contacts.locator("label").first.click()
    wait_idle(page)
    expect(contacts.get_by_role("radio").first).to_be_checked()
    consent = page.get_by_role("radiogroup", name=re.compile("ha dato il consenso"))
    consent.get_by_text("Sì, ha dato il consenso").click()
    wait_idle(page)
    expect(consent.get_by_role("radio", name="Sì, ha dato il consenso")).to_be_checked()
    screenshot(page, "flusso/2-segnala")
    page.get_by_role("button", name="Invia la segnalazione").click()
    expect(page.get_by_text("Segnalazione inviata.")).to_be_visible()
    wait_idle(page)

    # Da seguire: filtered by the partner, the referral is there; one click takes it in charge.
    menu(page, "Da seguire")
    partner_filter = page.get_by_role("combobox", name="Ente")
    open_list(page, partner_filter)
    partner_filter.press_sequentially(partner[:12], delay=30)
    page.get_by_role("option", name=partner, exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)
    place_filter = page.get_by_role("combobox", name="Quartiere")
    open_list(page, place_filter)
    page.get_by_role("option", name=PLACE, exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)
    card = card_of(page, f"nucleo {code}", "Altra risposta o nota…")
    expect(card).to_contain_text(f"{partner} · {contact}")
    expect(card).to_contain_text("Manutenzione e guasti (Abitare)")
    expect(card).to_contain_text("Inviata")  # the badge (the rest says "inviata il …")
    card.get_by_role("button", name="Presa in carico").click()
    expect(page.get_by_text(f"Registrato: presa in carico ({partner}).")).to_be_visible()
    wait_idle(page)
    expect(card).to_contain_text(f"Ultima azione: presa in carico il {today_it}")

    # … then "Altra risposta o nota…" → concluded with a positive outcome.
    card.get_by_role("button", name="Altra risposta o nota…").click()
    wait_idle(page)
    answers = card.get_by_role("radiogroup", name="Che cosa ha detto l'ente?")
    answers.get_by_role("radio", name="Conclusa: esito positivo").click()
    wait_idle(page)
    screenshot(page, "flusso/3-da_seguire")
    card.get_by_role("button", name="Registra: Conclusa: esito positivo").click()
    expect(page.get_by_text("Registrato: conclusa: esito positivo.")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text(f"nucleo {code}")).to_have_count(0)  # no longer open

    # The card's history of that referral: sent, taken in charge, concluded, all today.
    menu(page, "Scheda nucleo")
    page.get_by_role("textbox", name="Cerca un nucleo per codice").press_sequentially(
        code.lower(), delay=30
    )
    page.get_by_role("link", name=re.compile(rf"^{code} · Beata Giuliana")).click()
    expect(page.get_by_role("heading", name=f"Nucleo {code}")).to_be_visible()
    wait_idle(page)
    by = "registrato da Community manager (demo)"
    referral = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=page.get_by_text(f"Segnalazione a {partner} · {contact}"))
        .filter(has=page.get_by_text(by))
        .last
    )
    for step in ("inviata", "presa in carico", "conclusa (esito positivo)"):
        expect(referral.get_by_text(f"{today_it} · {step} · {by}", exact=True)).to_be_visible()
    expect(referral.get_by_text("conclusa (esito positivo)", exact=True)).to_be_visible()
    expect(referral.get_by_role("button", name="Registra la risposta dell'ente")).to_have_count(0)
    need_rows = page.get_by_test_id("stHorizontalBlock")
    expect(need_rows.filter(has_text="Abitare · Manutenzione e guasti")).to_contain_text("risolto")
    expect(need_rows.filter(has_text="Economica · Utenze ed energia")).to_contain_text("aperto")
    screenshot(page, "flusso/4-scheda_nucleo")

    # Management sees the Cruscotto move: one interview, one household, two needs, one referral.
    direzione.reload()
    wait_idle(direzione)
    expect(direzione.get_by_role("heading", name="Cruscotto")).to_be_visible()
    after = counts(direzione)
    assert {label: after[label] - before[label] for label in COUNTS} == {
        "Colloqui": 1,
        "Nuclei raggiunti": 1,
        "Bisogni rilevati": 2,
        "Segnalazioni inviate": 1,
    }, (before, after)
    screenshot(direzione, "flusso/5-cruscotto")

    # … and cannot open any workspace page, by any address: Rete says so in Italian
    # and draws the Cruscotto; no workspace title or menu entry, no household code anywhere.
    for path in (
        "/nuovo_colloquio",
        "/colloqui",
        "/nucleo?nucleo=1",
        "/segnala?bisogno=1",
        "/da_seguire",
    ):
        visit(direzione, rete.url + path)
        expect(
            direzione.get_by_test_id("stAlert").filter(
                has_text="non è disponibile per il suo ruolo"
            )
        ).to_have_count(1)
        expect(direzione.get_by_role("dialog")).to_have_count(0)
        expect(direzione.get_by_role("heading", name="Cruscotto")).to_be_visible()
        shown = shown_text(direzione)
        leaked = workspace_titles_shown(shown)
        assert not leaked, (path, leaked, shown["headings"], shown["links"])
        assert code not in shown["body"] and not DEMO_CODE.search(shown["body"]), (path, shown)


def test_a_household_card_opened_from_the_search_keeps_its_address(rete: Rete, operatore: Page):
    """The card's address names the household, so a refresh or a shared link opens it again."""
    page = operatore
    visit(page, rete.url + "/nucleo")
    page.get_by_role("textbox", name="Cerca un nucleo per codice").press_sequentially("VA-00004")
    link = page.get_by_role("link", name=re.compile(r"^VA-00004\d · ")).first
    code = DEMO_CODE.findall(link.inner_text())[0]
    link.click()
    expect(page.get_by_role("heading", name=f"Nucleo {code}")).to_be_visible()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"/nucleo\?nucleo=\d+$"), timeout=3_000)
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name=f"Nucleo {code}")).to_be_visible()


def test_deleting_the_selected_interview_leaves_no_other_one_open(rete: Rete, operatore: Page):
    """The list's selection is a row number: after a deletion the next interview moves up into
    that row, and must not open in the editor with its «Sì, elimina» still showing."""
    page = operatore
    visit(page, rete.url + "/colloqui")
    grid = page.get_by_test_id("stDataFrame").first
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 15, box["y"] + 55)  # the first row's check box
    wait_idle(page)
    heading = page.get_by_role("heading", name=re.compile(r"^Colloquio del nucleo "))
    expect(heading).to_be_visible()
    page.get_by_role("button", name="Elimina il colloquio").click()
    page.get_by_role("button", name="Sì, elimina").click()
    expect(page.get_by_text("Colloquio eliminato.")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text("Selezionare una riga per correggere il colloquio.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Colloquio del nucleo "))).to_have_count(0)
    expect(page.get_by_role("button", name="Sì, elimina")).to_have_count(0)


# --- 2. The same pages on the tablet, and on two desktop screens


def test_the_workspace_pages_fit_a_10_inch_tablet_without_sideways_scrolling(
    rete: Rete, operatore: Page
):
    """The flow's pages at 1280×800, each in its fullest state (the new household's fields and
    two need rows, the answer panel open, a card with referrals and its correction form, the
    referral form without consent, an interview being corrected), nothing saved: nothing may
    scroll sideways, neither the document nor Streamlit's main block (where a Streamlit page
    really scrolls). The login page, the Cruscotto and the Registro too. With
    $RETE_SCREENSHOTS set, the same at 1440×900 and 1920×1080, and screenshots of each."""
    page = operatore
    problems: list[str] = []

    anonymous = new_page(rete.browser, TABLET)
    visit(anonymous, rete.url)
    expect(anonymous.get_by_role("button", name="Accedi")).to_be_visible()
    problems += fits_every_screen(anonymous, "01-login")
    anonymous.context.close()

    visit(page, rete.url)
    expect(page.get_by_role("heading", name="Da seguire", exact=True)).to_be_visible()
    page.get_by_role("button", name="Altra risposta o nota…").first.click()  # the first card
    wait_idle(page)
    expect(page.get_by_role("radiogroup", name="Che cosa ha detto l'ente?")).to_be_visible()
    problems += fits_every_screen(page, "02-da_seguire")

    # A household card with referrals: the first one Da seguire lists.
    page.get_by_role("link", name="Scheda del nucleo").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Nucleo "))).to_be_visible()
    wait_idle(page)
    main = page.get_by_role("main")
    interview_href = main.get_by_role("link", name="Correggi il colloquio").first.get_attribute(
        "href"
    )
    referral_href = main.get_by_role("link", name="Segnala a un ente").first.get_attribute("href")
    page.get_by_text("Correggi i dati del nucleo").click()
    wait_idle(page)
    problems += fits_every_screen(page, "03-nucleo")

    visit(page, rete.url + "/nucleo")
    page.get_by_role("textbox", name="Cerca un nucleo per codice").press_sequentially("VA-0001")
    expect(page.get_by_role("link", name=re.compile(r"^VA-0001\d\d · ")).first).to_be_visible()
    wait_idle(page)
    problems += fits_every_screen(page, "04-nucleo-ricerca")

    visit(page, rete.url + "/nuovo_colloquio")
    page.get_by_role("textbox", name="Codice del nucleo").press_sequentially("E2E-TABLET")
    expect(page.get_by_text("Nuovo nucleo", exact=True)).to_be_visible()
    wait_idle(page)
    page.get_by_text("Recapiti (facoltativi").click()
    page.get_by_role("button", name="Aggiungi un altro bisogno").click()
    wait_idle(page)
    choose(page, "Area del bisogno 1", "Salute")
    problems += fits_every_screen(page, "05-nuovo_colloquio")

    assert interview_href and referral_href
    visit(page, rete.url + "/colloqui")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    problems += fits_every_screen(page, "06-colloqui")
    visit(page, rete.url + "/colloqui?" + interview_href.split("?", 1)[1])
    expect(page.get_by_role("heading", name=re.compile(r"^Colloquio del nucleo "))).to_be_visible()
    problems += fits_every_screen(page, "07-colloqui-correzione")

    visit(page, rete.url + "/segnala?" + referral_href.split("?", 1)[1])
    expect(page.get_by_role("heading", name="A quale ente?")).to_be_visible()
    page.get_by_text("No: si invia senza consenso").click()
    wait_idle(page)
    problems += fits_every_screen(page, "08-segnala")
    visit(page, rete.url + "/segnala")
    problems += fits_every_screen(page, "09-segnala-senza-bisogno")

    visit(page, rete.url + "/cruscotto")
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    problems += fits_every_screen(page, "10-cruscotto")

    admin = rete.as_user("admin")
    visit(admin, rete.url + "/registro")
    expect(admin.get_by_role("heading", name="Registro accessi")).to_be_visible()
    problems += fits_every_screen(admin, "11-registro")

    assert not problems, "\n".join(problems)
