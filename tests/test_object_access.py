"""Record-level pages refuse the ids of records the role may not see, whatever the URL says.

The record pages and what their URL names: /nucleo?nucleo=ID, /colloqui?colloquio=ID,
/segnala?bisogno=ID and ?ente=ID, /rete?ente=ID (&modifica=1), /nuovo_colloquio?nucleo=CODE
and the Registro's filters (?utente, ?numero). Each rule is checked twice: on the page (AppTest,
logged in through the session-token seam, so the real session check runs) and in the loader
of rete/ the page calls (plain pytest, SQLite and PostgreSQL), because the rule lives there and
a page that forgot it must still show nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from actors import add_household, administrator, category, editor, seed_places
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from rete import accounts, auth, bootstrap, config, db, records
from rete.db import session_scope
from rete.directory import edit
from rete.errors import NotFound, PermissionDenied
from rete.models import AuditEntry, Household, Interview, Need, Partner, User, UserSession
from rete.records import ContactInput, HouseholdInput, NeedInput
from rete.ui import session as ui_session
from rete.workspace import erasure, households, interviews

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120
REFUSAL = "Pagina non disponibile: accedere dalla pagina iniziale di Rete."
HOUSEHOLD_NOT_FOUND = "Nucleo non trovato: cercarlo di nuovo per codice."
INTERVIEW_NOT_FOUND = "Colloquio non trovato: potrebbe essere stato eliminato."
NEED_NOT_FOUND = "Bisogno non trovato: potrebbe essere stato tolto o il colloquio eliminato."

# Contact blocks and notes of the module's own households: none may reach a page that refuses.
LIVE_CONTACT = ContactInput("Zelinda Marcovaldi", "0332 987654", "zelinda.marcovaldi@example.org")
ERASED_CONTACT = ContactInput("Ermenegildo Pastorino", "0332 111222", "e.pastorino@example.org")
LIVE_NOTE = "Colloquio riservato con la signora Marcovaldi"
DELETED_NOTE = "Colloquio eliminato: nota che nessun operatore deve più leggere"

# What a URL may hold instead of an id: never a number of a record, never repeated on the page.
NOT_IDS = [
    "abc",
    "-1",
    "²",  # a digit to str.isdigit, not to int
    "1.5",
    "1e3",
    " 7",
    "0x10",
    "1 OR 1=1",
    "1; DROP TABLE household; --",
    "0",
    "2147483648",  # one more than an INTEGER column holds (PostgreSQL: "integer out of range")
    "9" * 30,
]


@dataclass(frozen=True)
class World:
    household: int  # live, with a contact block and an interview with a need
    code: str
    interview: int
    need: int
    deleted_household: int  # its only interview soft-deleted
    deleted_code: str
    deleted_interview: int
    deleted_need: int
    erased_household: int  # its personal data erased (rete.workspace.erasure)
    erased_code_before: str
    partner: int  # active
    partner_name: str
    inactive_partner: int
    inactive_partner_name: str
    tokens: dict[str, str]  # role -> session token of the demo account


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('objects') / 'demo.db'}"
    bootstrap.initialise(db.get_engine(url), with_demo=True, households=40, seed=5)
    yield url
    db.dispose_engine(url)


def _interview(session: Session, actor: auth.CurrentUser, household_id: int, note: str) -> Need:
    interview = records.record_interview(
        session,
        actor,
        household_id=household_id,
        held_on=config.today(),
        channel_code="sportello",
        needs=[NeedInput(category(session, "ECO01"), "high")],
        notes=note,
    )
    session.flush()
    need = session.scalar(select(Need).where(Need.interview_id == interview.id))
    assert need is not None
    return need


@pytest.fixture(scope="module")
def world(demo_url: str) -> World:
    engine = db.get_engine(demo_url)
    with session_scope(engine) as session:
        users = {u.username: u for u in session.scalars(select(User))}
        people = {
            role: auth.CurrentUser(u.id, u.username, u.display_name, u.role)
            for role, u in ((r, users[r]) for r in ("direzione", "operatore", "admin"))
        }
        admin = people["admin"]
        place = session.scalar(select(Household.neighbourhood_id).limit(1))
        assert place is not None

        def household(code: str, contact: ContactInput | None) -> Household:
            data = HouseholdInput(code=code, neighbourhood_id=place, members=2)
            return records.create_household(session, admin, data, contact)

        live = household("OA-900001", LIVE_CONTACT)
        live_need = _interview(session, admin, live.id, LIVE_NOTE)
        gone = household("OA-900002", None)
        gone_need = _interview(session, admin, gone.id, DELETED_NOTE)
        erased = household("OA-900003", ERASED_CONTACT)
        _interview(session, admin, erased.id, "Nota del nucleo che chiederà la cancellazione")
        partners = session.scalars(select(Partner).where(Partner.active).order_by(Partner.id))
        partner, other = list(partners)[:2]
        ids = (live.id, live_need.id, live_need.interview_id)
        gone_ids = (gone.id, gone_need.id, gone_need.interview_id)
        partner_ids = (partner.id, partner.name, other.id, other.name, other.version)
    with session_scope(engine) as session:
        records.soft_delete_interview(session, admin, gone_ids[2])
    with session_scope(engine) as session:
        version = session.get(Household, erased.id).version  # type: ignore[union-attr]
        erasure.erase_household(session, admin, erased.id, version, erasure.REASON_REQUEST)
    with session_scope(engine) as session:
        edit.set_active(session, admin, partner_ids[2], False, version=partner_ids[4])
    tokens = {}
    for role, person in people.items():
        redeemed = auth.redeem_ticket(engine, auth.issue_ticket(engine, person))
        assert redeemed is not None
        tokens[role] = redeemed.token
    return World(
        household=ids[0],
        code="OA-900001",
        interview=ids[2],
        need=ids[1],
        deleted_household=gone_ids[0],
        deleted_code="OA-900002",
        deleted_interview=gone_ids[2],
        deleted_need=gone_ids[1],
        erased_household=erased.id,
        erased_code_before="OA-900003",
        partner=partner_ids[0],
        partner_name=partner_ids[1],
        inactive_partner=partner_ids[2],
        inactive_partner_name=partner_ids[3],
        tokens=tokens,
    )


@pytest.fixture
def visit(demo_url: str, world: World, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """visit(role, key, **params): the app at /key?params, logged in as the role's demo user."""
    monkeypatch.setenv("RETE_DATABASE_URL", demo_url)

    def go(role: str, key: str, app: AppTest | None = None, **params: str) -> AppTest:
        if app is None:
            app = AppTest.from_file(APP, default_timeout=TIMEOUT)
            app.session_state[ui_session.TOKEN_KEY] = world.tokens[role]
        app.query_params.clear()
        app.query_params.update(params)
        # AppTest opens pages by file only; a browser asks by address, whose page hash is the
        # hash of its URL path (st.Page's own rule), which is what this sets.
        app._page_hash = calc_hash(key)
        app.run()
        assert not app.exception
        return app

    return go


def everything(node: object) -> str:
    """Every text, label and table cell drawn under a block of AppTest's tree."""
    children = getattr(node, "children", None)
    if children is not None:
        return "\n".join(everything(child) for child in children.values())
    parts = []
    for name in ("value", "label", "body", "placeholder", "options"):
        try:
            value = getattr(node, name, None)
        except Exception:  # some elements compute values they cannot give
            continue
        if value is not None:
            parts.append(value.to_string() if hasattr(value, "to_string") else str(value))
    return "\n".join(parts)


def unescaped(markdown: str) -> str:
    """Text as read: without the backslashes that make it inert for Markdown (forms.plain)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def page_text(app: AppTest) -> str:
    return unescaped(everything(app.main) + "\n" + everything(app.sidebar))


def warnings(app: AppTest) -> list[str]:
    return [unescaped(w.value) for w in app.warning]


def errors(app: AppTest) -> list[str]:
    return [unescaped(e.value) for e in app.error]


def audited(url: str, role: str, action: str, entity_id: int) -> int:
    with Session(db.get_engine(url)) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .join(User, User.id == AuditEntry.user_id)
                .where(
                    User.username == role,
                    AuditEntry.action == action,
                    AuditEntry.entity_id == entity_id,
                )
            )
            or 0
        )


def assert_nothing_of(text: str, *values: str) -> None:
    for value in values:
        assert value not in text, value


# --- The records open for those who may see them (so that the refusals below mean something)


@pytest.mark.parametrize("role", ["operatore", "admin"])
def test_the_household_card_opens_with_its_contact_block_for_the_workspace(visit, world, role):
    app = visit(role, "nucleo", nucleo=str(world.household))
    assert app.title[0].value == f"Nucleo {world.code}"
    assert LIVE_CONTACT.full_name in page_text(app)
    assert LIVE_NOTE in page_text(app)


# --- Ids that are no ids


@pytest.mark.parametrize(
    ("key", "parameter", "noun", "page_title"),
    [
        ("nucleo", "nucleo", "un nucleo", "Scheda nucleo"),
        ("colloqui", "colloquio", "un colloquio", "Colloqui"),
        ("segnala", "bisogno", "un bisogno", "Segnala a un ente"),
        ("segnala", "ente", "un ente", "Segnala a un ente"),
        ("rete", "ente", "un ente", "Rete"),
    ],
)
def test_a_link_whose_id_is_not_a_number_is_refused_with_an_italian_notice(
    visit, world, key, parameter, noun, page_title
):
    app = None
    for value in NOT_IDS:
        app = visit("operatore", key, app, **{parameter: value})
        assert app.title[0].value == page_title, value
        notice = (
            f"Il link non indica {noun} valido: è stato ignorato. Cercarlo di nuovo nella pagina."
        )
        assert warnings(app).count(notice) == 1, value
        text = page_text(app)
        if any(c.isalpha() for c in value) or len(value) > 5:  # never repeated on the page
            assert value not in text, value
        assert_nothing_of(text, LIVE_CONTACT.full_name, LIVE_NOTE, "Colloquio del nucleo")
        if key != "colloqui":  # the list of live interviews names their households
            assert world.code not in text


@pytest.mark.parametrize(
    ("key", "parameter", "message"),
    [
        ("nucleo", "nucleo", HOUSEHOLD_NOT_FOUND),
        ("colloqui", "colloquio", INTERVIEW_NOT_FOUND),
        ("segnala", "bisogno", NEED_NOT_FOUND),
    ],
)
@pytest.mark.parametrize("number", ["2147483647", "1999999999"])
def test_a_number_of_no_record_is_not_found(visit, key, parameter, message, number):
    app = visit("admin", key, **{parameter: number})
    assert message in errors(app)
    assert "Colloquio del nucleo" not in page_text(app)


def test_a_partner_number_of_no_partner_is_not_found(visit):
    app = visit("direzione", "rete", ente="2147483647")
    assert "Ente non trovato: cercarlo di nuovo nell'elenco." in warnings(app)
    assert not [b for b in app.button if b.label == "Salva"]


# --- Deleted interviews: only the administrator sees them


def test_operatore_cannot_open_a_deleted_interview_by_its_address(visit, world, demo_url):
    app = visit("operatore", "colloqui", colloquio=str(world.deleted_interview))
    assert INTERVIEW_NOT_FOUND in errors(app)
    text = page_text(app)
    assert_nothing_of(
        text, world.deleted_code, DELETED_NOTE, "Colloquio del nucleo", "è stato eliminato."
    )
    assert not [b for b in app.button if b.label == "Ripristina il colloquio"]
    assert audited(demo_url, "operatore", "interview_viewed", world.deleted_interview) == 0


def test_admin_opens_a_deleted_interview_to_restore_it(visit, world):
    app = visit("admin", "colloqui", colloquio=str(world.deleted_interview))
    text = page_text(app)
    assert f"Colloquio del nucleo {world.deleted_code}" in text
    assert "Questo colloquio è stato eliminato." in warnings(app)
    assert [b.label for b in app.button if b.label == "Ripristina il colloquio"]


def test_operatore_opens_a_live_interview_by_its_address(visit, world):
    app = visit("operatore", "colloqui", colloquio=str(world.interview))
    assert f"Colloquio del nucleo {world.code}" in page_text(app)


@pytest.mark.parametrize("role", ["operatore", "admin"])
def test_a_need_of_a_deleted_interview_cannot_be_referred(visit, world, role):
    app = visit(role, "segnala", bisogno=str(world.deleted_need))
    assert NEED_NOT_FOUND in errors(app)
    assert_nothing_of(page_text(app), world.deleted_code, "A quale ente?", "Consenso e invio")


def test_a_need_of_a_live_interview_opens_the_referral_form(visit, world):
    app = visit("operatore", "segnala", bisogno=str(world.need))
    assert world.code in page_text(app)
    assert "A quale ente?" in [h.value for h in app.header]


# --- An erased household: its card holds no personal data any more


@pytest.mark.parametrize("role", ["operatore", "admin"])
def test_an_erased_households_card_shows_no_contact_data(visit, world, role):
    app = visit(role, "nucleo", nucleo=str(world.erased_household))
    assert app.title[0].value == f"Nucleo {erasure.erased_code(world.erased_household)}"
    text = page_text(app)
    assert "Dati personali cancellati il" in text
    assert "Recapiti" not in text
    assert_nothing_of(
        text,
        world.erased_code_before,
        ERASED_CONTACT.full_name,
        ERASED_CONTACT.phone,
        ERASED_CONTACT.email,
        "Nota del nucleo che chiederà la cancellazione",
    )


def test_the_erased_households_old_code_finds_nothing(visit, world):
    app = visit("operatore", "nucleo")
    app.text_input(key="card_search").input(world.erased_code_before).run()
    assert not app.exception
    assert "Nessun nucleo con un codice che inizia così." in [i.value for i in app.info]


# --- direzione on the record pages: refused at the page, whatever the URL names


def direzione_links(world: World) -> list[tuple[str, dict[str, str]]]:
    return [
        ("nucleo", {"nucleo": str(world.household)}),
        ("colloqui", {"colloquio": str(world.interview)}),
        ("colloqui", {"colloquio": str(world.deleted_interview)}),
        ("segnala", {"bisogno": str(world.need)}),
        ("segnala", {"ente": str(world.partner)}),
        ("nuovo_colloquio", {"nucleo": world.code}),
        ("registro", {"oggetto": "household", "numero": str(world.household)}),
        ("utenti", {}),
    ]


def test_direzione_gets_no_record_page_whatever_the_url_names(visit, world, demo_url):
    app = None
    for key, params in direzione_links(world):
        app = visit("direzione", key, app, **params)
        assert app.title[0].value == "Cruscotto", key
        assert any("non è disponibile per il suo ruolo" in w for w in warnings(app)), key
        text = page_text(app)
        assert_nothing_of(text, world.code, LIVE_CONTACT.full_name, LIVE_NOTE, DELETED_NOTE)
    assert audited(demo_url, "direzione", "household_viewed", world.household) == 0
    assert audited(demo_url, "direzione", "interview_viewed", world.interview) == 0
    assert audited(demo_url, "direzione", "need_viewed", world.need) == 0


@pytest.mark.parametrize("key", ["nucleo", "colloqui", "segnala", "nuovo_colloquio"])
def test_a_record_page_file_run_alone_refuses_direzione_with_the_record_in_its_url(
    demo_url, world, monkeypatch, key
):
    """The second lock (rete.ui.session.require_page), for a page file Streamlit would run on
    its own: nothing but the refusal, whatever record the URL names."""
    monkeypatch.setenv("RETE_DATABASE_URL", demo_url)
    params = dict(direzione_links(world))[key]
    with Session(db.get_engine(demo_url)) as session:
        user = session.scalar(select(User).where(User.username == "direzione"))
        assert user is not None
        person = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
    direct = AppTest.from_file(str(ROOT / "pages" / f"{key}.py"), default_timeout=TIMEOUT)
    direct.session_state[ui_session.USER_KEY] = person
    direct.query_params.update(params)
    direct.run()
    assert errors(direct) == [REFUSAL]
    assert_nothing_of(page_text(direct), world.code, LIVE_CONTACT.full_name)


# --- The directory: everyone reads a partner's card, only the workspace edits it


def test_direzione_following_an_edit_link_gets_the_card_not_the_form(visit, world):
    app = visit("direzione", "rete", ente=str(world.partner), modifica="1")
    assert world.partner_name in page_text(app)
    assert not [b for b in app.button if b.label in ("Salva", "Modifica")]
    assert not [t for t in app.text_input if (t.key or "").startswith(f"pf{world.partner}_")]


def test_operatore_following_the_same_edit_link_gets_the_form(visit, world):
    app = visit("operatore", "rete", ente=str(world.partner), modifica="1")
    assert [b for b in app.button if b.label == "Salva"]


def test_direzione_asking_for_a_new_partner_form_gets_the_list(visit):
    app = visit("direzione", "rete", ente="nuovo")
    assert not [b for b in app.button if b.label in ("Salva", "Nuovo ente")]
    assert (
        "Il link non indica un ente valido: è stato ignorato. Cercarlo di nuovo nella pagina."
        in (warnings(app))
    )


def test_an_inactive_partner_is_not_offered_for_a_referral_whatever_the_url_says(visit, world):
    app = visit("operatore", "segnala", ente=str(world.inactive_partner))
    assert any("non è attivo nella rete" in w for w in warnings(app))
    assert not app.text_input  # no household search for it
    app = visit("operatore", "segnala", bisogno=str(world.need), ente=str(world.inactive_partner))
    assert world.inactive_partner_name not in page_text(app)
    chosen = [s for s in app.selectbox if s.value == world.inactive_partner]
    assert not chosen


# --- The Registro's filters from the URL


def test_the_registro_ignores_filters_that_are_not_numbers(visit, world):
    app = None
    for value in NOT_IDS:
        app = visit("admin", "registro", app, utente=value, oggetto="household", numero=value)
        assert app.title[0].value == "Registro accessi", value
        assert app.selectbox(key="al_user").value is None, value
        assert app.number_input(key="al_number").value is None, value


def test_the_registro_is_the_admins_only(visit, world):
    for role in ("operatore", "direzione"):
        app = visit(role, "registro", utente="1", oggetto="household", numero=str(world.household))
        assert app.title[0].value != "Registro accessi"
        assert any("«Registro accessi» non è disponibile" in w for w in warnings(app))


# --- The loaders of rete/ keep the rules without any page (SQLite and PostgreSQL)


@pytest.fixture
def records_world(engine: Engine, cast: dict[str, int]) -> dict[str, int]:
    places = seed_places(engine)
    with session_scope(engine) as session:
        admin = administrator(session)
        place = places["Biumo"]
        live = records.create_household(
            session, admin, HouseholdInput("VA-1", place), ContactInput("Ada Prova", "0332 255111")
        )
        need = _interview(session, admin, live.id, "nota")
        gone = add_household(session, code="VA-2", neighbourhood_id=place)
        gone_need = _interview(session, admin, gone.id, "nota del colloquio eliminato")
        erased = records.create_household(
            session,
            admin,
            HouseholdInput("VA-3", place),
            ContactInput("Bruno Prova", "0332 255112"),
        )
        found = {
            "household": live.id,
            "interview": need.interview_id,
            "need": need.id,
            "deleted_interview": gone_need.interview_id,
            "deleted_need": gone_need.id,
            "erased": erased.id,
        }
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), found["deleted_interview"])
    with session_scope(engine) as session:
        version = session.get(Household, found["erased"]).version  # type: ignore[union-attr]
        erasure.erase_household(
            session, administrator(session), found["erased"], version, erasure.REASON_MISTAKE
        )
    return found


def person(engine: Engine, cast: dict[str, int], name: str) -> auth.CurrentUser:
    with Session(engine) as session:
        user = session.get(User, cast[name])
        assert user is not None
        return auth.CurrentUser(user.id, user.username, user.display_name, user.role)


def test_interview_draft_hides_a_deleted_interview_from_operatore(engine, cast, records_world):
    olga, ada = person(engine, cast, "olga"), person(engine, cast, "ada")
    with pytest.raises(NotFound) as refused:
        interviews.interview_draft(engine, olga, records_world["deleted_interview"])
    assert str(refused.value) == INTERVIEW_NOT_FOUND  # the same words as an unknown id
    assert interviews.interview_draft(engine, ada, records_world["deleted_interview"]).deleted
    assert not interviews.interview_draft(engine, olga, records_world["interview"]).deleted


def test_interview_draft_and_the_deleted_list_refuse_roles_without_the_right(
    engine, cast, records_world
):
    dora, olga = person(engine, cast, "dora"), person(engine, cast, "olga")
    with pytest.raises(PermissionDenied):
        interviews.interview_draft(engine, dora, records_world["interview"])
    for viewer in (dora, olga):
        with pytest.raises(PermissionDenied):
            interviews.deleted_interviews(engine, viewer)
    page = interviews.deleted_interviews(engine, person(engine, cast, "ada"))
    assert list(page.rows["interview_id"]) == [records_world["deleted_interview"]]


@pytest.mark.parametrize("number", [0, -1, 2**31, 10**11 - 1])
def test_ids_of_no_record_are_not_found_by_every_loader(engine, cast, records_world, number):
    ada = person(engine, cast, "ada")
    with pytest.raises(NotFound):
        households.household_card(engine, ada, number)
    with pytest.raises(NotFound):
        households.need_summary(engine, ada, number)
    with pytest.raises(NotFound):
        interviews.interview_draft(engine, ada, number)


@pytest.mark.parametrize("name", ["olga", "ada"])
def test_a_need_of_a_deleted_interview_is_not_found_for_a_referral(
    engine, cast, records_world, name
):
    viewer = person(engine, cast, name)
    with pytest.raises(NotFound):
        households.need_summary(engine, viewer, records_world["deleted_need"])
    assert (
        households.need_summary(engine, viewer, records_world["need"]).id == records_world["need"]
    )


def test_direzione_gets_no_household_card_and_no_need(engine, cast, records_world):
    dora = person(engine, cast, "dora")
    with pytest.raises(PermissionDenied):
        households.household_card(engine, dora, records_world["household"])
    with pytest.raises(PermissionDenied):
        households.need_summary(engine, dora, records_world["need"])


@pytest.mark.parametrize("name", ["olga", "ada"])
def test_the_card_of_an_erased_household_has_no_contact_block(engine, cast, records_world, name):
    card = households.household_card(engine, person(engine, cast, name), records_world["erased"])
    assert card.contact is None
    assert card.erased_at is not None
    assert card.code == erasure.erased_code(records_world["erased"])
    assert all(interview.notes is None for interview in card.interviews)
    live = households.household_card(engine, person(engine, cast, name), records_world["household"])
    assert live.contact is not None  # the same loader still shows a live household's block


def test_the_deleted_interview_of_a_card_is_the_admins_only(engine, cast, records_world):
    with Session(engine) as session:
        household_id = session.scalar(
            select(Interview.household_id).where(Interview.id == records_world["deleted_interview"])
        )
    assert household_id is not None
    for_olga = households.household_card(engine, person(engine, cast, "olga"), household_id)
    for_ada = households.household_card(engine, person(engine, cast, "ada"), household_id)
    assert for_olga.interviews == ()
    assert [i.id for i in for_ada.interviews] == [records_world["deleted_interview"]]


def test_a_user_cannot_end_another_users_session_by_its_number(engine, cast):
    olga, dora = person(engine, cast, "olga"), person(engine, cast, "dora")
    ticket = auth.issue_ticket(engine, dora)
    assert auth.redeem_ticket(engine, ticket) is not None
    with Session(engine) as session:
        doras = session.scalar(select(UserSession.id).where(UserSession.user_id == dora.id))
    assert doras is not None
    assert accounts.end_own_session(engine, olga, doras) is False
    assert [s.id for s in auth.open_sessions(engine, dora.id)] == [doras]
