"""The «Riunione» page driven through Streamlit's AppTest: preparing (the slide list, the period
and territory from the URL, leaving slides out, the network's name and contacts), presenting
(previous, next, the index, the slide number in the URL for a refresh or a shared link,
«Nascondi»), and nothing of a household on any slide."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import auth, config, db, demo
from rete.filters import Filters, period_bounds
from rete.meeting import build, settings
from rete.meeting.model import Deck
from rete.models import Contact, Household, HouseholdContact, Interview, Need, Referral, User

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120
TODAY = dt.date(2026, 11, 25)  # the demo's data and the page's «oggi»
KEYS = list(build.SLIDE_TITLES)
ROLES = ("direzione", "operatore", "admin")
SETTINGS_NETWORK, SETTINGS_CONTACTS = "mt_settings_network", "mt_settings_contacts"
SAVE = "FormSubmitter:mt_settings-Salva"
# Free texts written into the base tables so that a leak of any kind of note would show.
SECRET_NOTES = {
    "interview": "Colloquio riservato: la signora Zanardelli teme lo sfratto",
    "need": "Bisogno riservato: debito con il padrone di casa Brambillasca",
    "referral": "Nota riservata all'ente: figlio seguito dal SerD di Tradate",
    "closed": "Chiuso per trasferimento presso la sorella Ottolenghi",
}
DEMO_CODE = re.compile(r"\b[A-Z]{2}-\d{6}\b")


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page reads «oggi» through rete.config.today: the demo's data were made on TODAY."""
    monkeypatch.setattr(config, "today", lambda: TODAY)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("meeting") / "demo.db"
    url = f"sqlite:///{path}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.load_demo(engine, households=60, seed=7, today=TODAY)
    with engine.begin() as connection:
        for table, column, note in (
            ("interview", "notes", SECRET_NOTES["interview"]),
            ("need", "notes", SECRET_NOTES["need"]),
            ("referral", "note", SECRET_NOTES["referral"]),
            ("need", "closed_reason", SECRET_NOTES["closed"]),
        ):
            connection.execute(
                text(f"UPDATE {table} SET {column} = :note WHERE id % 3 = 0"), {"note": note}
            )
    db.dispose_engine(url)
    return path


@pytest.fixture
def url(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    copy = tmp_path / "rete.db"
    shutil.copyfile(demo_file, copy)
    address = f"sqlite:///{copy}"
    monkeypatch.setenv("RETE_DATABASE_URL", address)
    yield address
    db.dispose_engine(address)


def user(url: str, username: str) -> auth.CurrentUser:
    with Session(db.get_engine(url)) as session:
        row = session.scalar(select(User).where(User.username == username))
    assert row is not None
    return auth.CurrentUser(row.id, row.username, row.display_name, row.role)


def open_page(url: str, username: str = "direzione", **params: str | list[str]) -> AppTest:
    """The page as opened from an address with `params` in its query string."""
    app = AppTest.from_file(APP, default_timeout=TIMEOUT)
    app.session_state["rete_user"] = user(url, username)
    app.run()
    for key, value in params.items():
        app.query_params[key] = value
    app.switch_page("pages/riunione.py").run()
    assert not app.exception, app.exception
    return app


def presenting(url: str, slide: str = "1", **params: str | list[str]) -> AppTest:
    return open_page(url, presenta="1", slide=slide, **params)


def unescaped(value: str) -> str:
    """A text as the user reads it: the page escapes Markdown in every text it writes."""
    return value.replace("\\", "")


def title(app: AppTest) -> str:
    return unescaped(app.title[0].value)


def headline(app: AppTest) -> str:
    return unescaped(app.subheader[0].value)


def param(app: AppTest, key: str) -> Any:
    return app.query_params.get(key)


def click(app: AppTest, key: str) -> AppTest:
    app.button(key=key).click().run()
    assert not app.exception, app.exception
    return app


def click_label(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, app.exception
    return app


def index(app: AppTest) -> list[str]:
    return list(app.selectbox(key="mt_index").options)


def caption(app: AppTest) -> str:
    return "\n".join(unescaped(c.value) for c in app.caption)


def network_name(url: str) -> str:
    return settings.read(db.get_engine(url)).network


def deck_for(url: str, spec: str, **territory: Any) -> Deck:
    """The deck the page should show for the period `spec` and the territory."""
    bounds = period_bounds(spec, TODAY)
    assert bounds is not None
    return build.meeting_deck(db.get_engine(url), Filters(spec, *bounds, **territory), TODAY)


# --- Everything the page shows, for the privacy check


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        yield from _strings(_json(value))


def _json(value: str) -> Any:
    """A chart's figure travels as JSON, with its non-ASCII text escaped: decoded, or None."""
    if value[:1] not in "{[":
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values():
        yield from _nodes(child)


def page_text(app: AppTest) -> str:
    """Every string of every element and block of the page (labels, values, options, help
    texts, the charts' figures), unescaped (Markdown for the page, HTML for Plotly)."""
    found = []
    for node in _nodes(app._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            found += _strings(MessageToDict(proto))
    return html.unescape(unescaped("\n".join(found)))


def flat(app: AppTest) -> list[Any]:
    """The page's elements in the order they are drawn."""
    return [node for node in _nodes(app._tree) if not getattr(node, "children", None)]


# --- Who opens it; what preparing lists


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_the_page_and_sees_the_eleven_slides_in_order(url, role):
    app = open_page(url, role)
    assert [t.value for t in app.title] == ["Riunione"]
    boxes = list(app.checkbox)
    assert [box.key for box in boxes] == [f"mt_show_{key}" for key in KEYS]
    titles = list(build.SLIDE_TITLES.values())  # «Titolo», not the network's long name
    assert [box.label for box in boxes] == [f"{n}. {t}" for n, t in enumerate(titles, start=1)]
    assert all(box.value for box in boxes)
    assert "Presenta" in {b.label for b in app.button}
    assert [b.key for b in app.get("download_button")] == [
        f"mt_file_{kind}" for kind in ("pptx", "docx", "xlsx", "html")
    ]
    assert param(app, "periodo") == "ultimi12" and param(app, "presenta") is None


# --- Presenting: moving, the slide in the URL


def test_presenta_opens_slide_one_and_next_and_previous_move_with_the_url(url):
    app = open_page(url)
    click_label(app, "Presenta")
    assert param(app, "presenta") == "1" and param(app, "slide") == "1"
    assert title(app) == network_name(url)
    assert app.button(key="mt_back").disabled
    click(app, "mt_forward")
    assert param(app, "slide") == "2"
    assert title(app) == "Il periodo in numeri"
    assert app.selectbox(key="mt_index").value == "2 / 11 · Il periodo in numeri"
    click(app, "mt_forward")
    assert param(app, "slide") == "3" and title(app) == "Bisogni per area"
    click(app, "mt_back")
    assert param(app, "slide") == "2" and title(app) == "Il periodo in numeri"
    assert param(app, "periodo") == "ultimi12"


def test_the_index_jumps_to_the_slide_chosen(url):
    app = presenting(url, "2")
    assert len(index(app)) == 11
    app.selectbox(key="mt_index").select("6 / 11 · Bisogni specifici per quartiere").run()
    assert not app.exception, app.exception
    assert param(app, "slide") == "6"
    assert title(app) == "Bisogni specifici per quartiere"
    click(app, "mt_forward")  # and the buttons go on from there
    assert param(app, "slide") == "7" and title(app) == "Andamento mese per mese"


def test_an_address_with_the_slide_opens_that_slide_as_after_a_refresh(url):
    app = presenting(url, "5")
    assert title(app) == "Bisogni ogni 100 alloggi ALER"
    assert app.selectbox(key="mt_index").value == "5 / 11 · Bisogni ogni 100 alloggi ALER"
    assert not app.checkbox  # presenting: no preparation widgets
    assert param(app, "slide") == "5"


def test_a_slide_number_past_the_end_shows_the_last_slide_and_previous_goes_before_it(url):
    app = presenting(url, "999")
    assert title(app) == "Contatti del coordinamento"
    assert app.button(key="mt_forward").disabled
    click(app, "mt_back")
    assert param(app, "slide") == "10" and title(app) == "Copertura della rete"


@pytest.mark.parametrize("slide", ["abc", "0", "-3", ""])
def test_a_slide_number_that_is_not_one_shows_the_first_slide(url, slide):
    app = presenting(url, slide)
    assert title(app) == network_name(url)
    assert not app.error


def test_esci_goes_back_to_preparing_with_the_same_period_and_territory(url):
    town = "Varese"
    app = presenting(url, "4", periodo="2026-01:2026-06", comune=town)
    click(app, "mt_forward")
    assert param(app, "comune") == town and param(app, "periodo") == "2026-01:2026-06"
    click(app, "mt_leave")
    assert param(app, "presenta") is None and param(app, "slide") is None
    assert [t.value for t in app.title] == ["Riunione"]
    assert app.radio(key="mt_territory").value == "comune"
    assert app.selectbox(key="mt_town").value == town
    assert f"gennaio 2026 – giugno 2026 · Comune di {town}" in caption(app)


# --- Leaving slides out


def test_an_unchecked_slide_is_not_presented_and_is_named_in_the_url(url):
    app = open_page(url)
    app.checkbox(key="mt_show_aree").uncheck().run()
    assert param(app, "nascoste") == "aree"
    click_label(app, "Presenta")
    assert len(index(app)) == 10
    assert not [t for t in index(app) if "Bisogni per area" in t]
    click(app, "mt_forward")
    click(app, "mt_forward")
    assert param(app, "slide") == "3" and title(app) == "Bisogni per quartiere"
    assert param(app, "nascoste") == "aree"


def test_nascondi_hides_the_current_slide_and_the_next_one_takes_its_number(url):
    app = presenting(url, "3")
    assert title(app) == "Bisogni per area"
    click(app, "mt_hide")
    assert param(app, "nascoste") == "aree" and param(app, "slide") == "3"
    assert title(app) == "Bisogni per quartiere"
    assert app.selectbox(key="mt_index").value == "3 / 10 · Bisogni per quartiere"
    click(app, "mt_hide")
    assert param(app, "nascoste") == "aree,quartieri"
    assert title(app) == "Bisogni ogni 100 alloggi ALER"
    # back to preparing: the hidden slides are unchecked there too
    click(app, "mt_leave")
    assert app.checkbox(key="mt_show_aree").value is False
    assert app.checkbox(key="mt_show_quartieri").value is False
    assert app.checkbox(key="mt_show_alloggi").value is True
    assert param(app, "nascoste") == "aree,quartieri"


def test_nascondi_on_the_last_slide_shows_the_one_before(url):
    app = presenting(url, "11")
    click(app, "mt_hide")
    assert param(app, "nascoste") == "contatti" and param(app, "slide") == "10"
    assert title(app) == "Copertura della rete"
    assert app.button(key="mt_forward").disabled


def test_with_every_slide_hidden_presenting_says_so_without_failing(url):
    app = presenting(url, "1", nascoste=",".join(KEYS[1:]))
    assert title(app) == network_name(url) and len(index(app)) == 1
    click(app, "mt_hide")  # the last one left
    assert "Tutte le slide sono nascoste" in "\n".join(i.value for i in app.info)
    assert not app.selectbox and not app.error
    click_label(app, "Torna alla preparazione")
    assert all(box.value is False for box in app.checkbox)
    presenta = next(b for b in app.button if b.label == "Presenta")
    assert presenta.disabled


def test_unchecking_every_slide_disables_presenta(url):
    app = open_page(url)
    for key in KEYS:
        app.checkbox(key=f"mt_show_{key}").uncheck()
    app.run()
    assert not app.exception, app.exception
    assert next(b for b in app.button if b.label == "Presenta").disabled
    assert param(app, "nascoste") == ",".join(KEYS)


def test_unknown_slide_keys_in_the_url_are_ignored(url):
    app = presenting(url, "2", nascoste="aree,sconosciuta,<script>")
    assert len(index(app)) == 10
    assert title(app) == "Il periodo in numeri"


# --- Period and territory from the URL


def test_a_range_of_months_in_the_url_shapes_the_deck(url):
    spec = "2026-01:2026-06"
    expected = deck_for(url, spec)
    app = open_page(url, periodo=spec)
    assert "gennaio 2026 – giugno 2026 · Tutta la rete" in caption(app)
    assert app.selectbox(key="mt_kind").value == "mesi"
    assert (app.selectbox(key="mt_from").value, app.selectbox(key="mt_to").value) == (
        202601,
        202606,
    )
    assert param(app, "periodo") == spec
    app = presenting(url, "3", periodo=spec)
    assert headline(app) == expected.slides[2].headline
    assert headline(app) != deck_for(url, "ultimi12").slides[2].headline
    app = presenting(url, "1", periodo=spec)
    assert "gennaio 2026 – giugno 2026" in headline(app)


def test_one_municipality_in_the_url_shapes_the_deck(url):
    town = "Como"  # two neighbourhoods: a small deck
    expected = deck_for(url, "ultimi12", municipalities=(town,))
    app = open_page(url, comune=town)
    assert f"· Comune di {town} ·" in caption(app)
    assert app.radio(key="mt_territory").value == "comune"
    assert app.selectbox(key="mt_town").value == town
    assert param(app, "comune") == town
    app = presenting(url, "1", comune=town)
    assert f"Comune di {town}" in page_text(app)
    for number in (2, 4):
        app = presenting(url, str(number), comune=town)
        assert headline(app) == expected.slides[number - 1].headline
        assert param(app, "comune") == town


def test_neighbourhoods_in_the_url_shape_the_deck(url):
    with Session(db.get_engine(url)) as session:
        places = session.execute(
            text("SELECT id, name FROM neighbourhood WHERE municipality = 'Varese' ORDER BY id")
        ).all()
    (first, first_name), (second, second_name) = places[:2]
    app = open_page(url, quartiere=str(first))
    assert f"· Quartiere: {first_name} ·" in caption(app)
    assert app.radio(key="mt_territory").value == "quartieri"
    assert app.multiselect(key="mt_places").value == [first]
    app = open_page(url, quartiere=[str(second), str(first)])
    names = ", ".join(sorted([first_name, second_name]))
    assert f"· Quartieri: {names} ·" in caption(app)
    assert param(app, "quartiere") == [str(first), str(second)]
    expected = deck_for(url, "ultimi12", neighbourhood_ids=(first, second))
    app = presenting(url, "3", quartiere=[str(first), str(second)])
    assert headline(app) == expected.slides[2].headline


@pytest.mark.parametrize(
    "params",
    [
        {"periodo": "ieri"},
        {"periodo": "2026-13:2027-99"},
        {"periodo": "2026-06:2026-01"},  # backwards
        {"comune": "Atlantide"},
        {"quartiere": "99999"},
        {"quartiere": "abc"},
    ],
    ids=["word", "bad-months", "backwards", "unknown-town", "unknown-place", "not-an-id"],
)
def test_a_bad_period_or_territory_falls_back_quietly_to_the_defaults(url, params):
    app = open_page(url, **params)
    assert not app.error and not app.exception
    assert "novembre 2025 – ottobre 2026 · Tutta la rete ·" in caption(app)
    assert param(app, "periodo") == "ultimi12"
    assert param(app, "comune") is None and param(app, "quartiere") is None
    app = presenting(url, "1", **params)
    assert not app.error and "novembre 2025 – ottobre 2026" in headline(app)


# --- The network's name and contacts


def test_direzione_saves_a_new_network_name_and_the_title_slide_shows_it(url):
    app = open_page(url, "direzione")
    app.text_input(key=SETTINGS_NETWORK).input("Rete Solidale dei Quartieri")
    app.text_area(key=SETTINGS_CONTACTS).input("Coordinamento: 0332 000111\nrete@esempio.it")
    click(app, SAVE)
    assert [unescaped(s.value) for s in app.success] == [
        "Titolo e contatti della riunione salvati."
    ]
    assert network_name(url) == "Rete Solidale dei Quartieri"
    click_label(app, "Presenta")
    assert title(app) == "Rete Solidale dei Quartieri"
    app.selectbox(key="mt_index").select(index(app)[-1]).run()
    assert "rete@esempio.it" in page_text(app)


def refuse_a_blank_name(url: str) -> AppTest:
    app = open_page(url, "admin")
    app.text_input(key=SETTINGS_NETWORK).input("   ")
    app.text_area(key=SETTINGS_CONTACTS).input("Maria Coordinatrice\n0332 000222")
    return click(app, SAVE)


def test_a_blank_network_name_is_refused_with_the_message_under_its_field(url):
    app = refuse_a_blank_name(url)
    elements = flat(app)
    field = next(i for i, e in enumerate(elements) if getattr(e, "key", None) == SETTINGS_NETWORK)
    message = elements[field + 1]
    assert message.type == "error"
    assert unescaped(message.value) == "Indicare il nome della rete: è il titolo della prima slide."


def test_a_refused_save_keeps_what_was_typed_and_saves_nothing(url):
    before = settings.read(db.get_engine(url))
    app = refuse_a_blank_name(url)
    assert app.text_input(key=SETTINGS_NETWORK).value == "   "
    assert app.text_area(key=SETTINGS_CONTACTS).value == "Maria Coordinatrice\n0332 000222"
    assert settings.read(db.get_engine(url)) == before
    assert not app.success
    app.run()  # the next run shows the message (see the test above)
    assert "Indicare il nome della rete" in "\n".join(unescaped(e.value) for e in app.error)
    assert app.text_area(key=SETTINGS_CONTACTS).value == "Maria Coordinatrice\n0332 000222"


def test_operatore_has_no_settings_form(url):
    app = open_page(url, "operatore")
    assert not [t for t in app.text_input if t.key == SETTINGS_NETWORK]
    assert not app.text_area
    assert "Salva" not in {b.label for b in app.button}
    assert not [e for e in app.expander if "Titolo e contatti" in e.label]


# --- Nothing of a household


def _private_texts(url: str) -> list[str]:
    """Household codes, people's names and households' contact details, and every note."""
    with Session(db.get_engine(url)) as session:
        found: list[str | None] = list(session.scalars(select(Household.code)))
        for row in session.execute(
            select(HouseholdContact.full_name, HouseholdContact.phone, HouseholdContact.email)
        ):
            found += list(row)
        found += list(session.scalars(select(Contact.name)))
        found += list(session.scalars(select(Interview.notes)))
        found += list(session.scalars(select(Need.notes)))
        found += list(session.scalars(select(Need.closed_reason)))
        found += list(session.scalars(select(Referral.note)))
    return sorted({value for value in found if value and value.strip()})


def test_no_code_name_or_note_of_the_database_appears_on_any_slide(url):
    private = _private_texts(url)
    assert len(private) > 100 and set(SECRET_NOTES.values()) <= set(private)
    deck = deck_for(url, "ultimi12")
    views = {"preparing": open_page(url)}
    for number, slide in enumerate(deck.slides, start=1):
        views[f"slide {number}"] = app = presenting(url, str(number))
        shown = page_text(app)
        assert slide.headline in shown  # the slide's own texts are all collected…
        if slide.chart is not None:  # …its chart's too
            assert all(category in shown for category in slide.chart.categories), number
    for name, app in views.items():
        shown = page_text(app)
        leaked = [value for value in private if value in shown]
        assert not leaked, f"{name}: {leaked[:5]}"
        assert not DEMO_CODE.search(shown), f"{name}: {DEMO_CODE.search(shown)}"
