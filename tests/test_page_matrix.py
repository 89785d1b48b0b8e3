"""Every page × every kind of user, generated from the navigation (`rete.access.PAGES`).

The subjects: the three roles; a deactivated user of each role (deactivated after logging in,
so they hold a session token); a user of each role locked by six wrong passwords before they
logged in; a user of each role locked *after* logging in; and a visitor not logged in.

Every subject reaches the app through the session-token seam (`rete.ui.session.TOKEN_KEY`):
the token is checked by `auth.user_for_token` exactly as a browser's cookie would be, so the
real session check runs on every cell. What each subject gets at each page's address:

- an active user of a role the page is for: the page;
- an active user of another role: the role's home, saying the page is not for their role
  (the menu does not even hold it);
- a deactivated user: the login page, at every address (deactivation ended the session, and a
  session of an inactive user is refused even if it were still open);
- a locked user: the login page, and the right password does not open it: the form says
  `auth.WRONG_CREDENTIALS` and no ticket is issued;
- a user locked after logging in: what an active user of the role gets. On purpose: a lock
  stops password guessing; ending the sessions too would let anyone log a user out by typing
  six wrong passwords for their name. The admin ends a user's sessions in «Utenti» when that
  is what is wanted (deactivation, a reset or «Chiudi le sessioni»).

A new page must be known here: `MAY_OPEN` is the matrix's own table of who may open what,
written out by hand, and a page of the registry (or a file of pages/) without an entry fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from rete import access, accounts, auth, bootstrap, db
from rete.db import session_scope
from rete.errors import InvalidCredentials
from rete.models import User, UserSession
from rete.ui import session as ui_session

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 120  # a first run migrates a database
PASSWORD = "password-di-prova"
LOGIN_TITLE = "Rete · accesso"
REFUSAL = "Pagina non disponibile: accedere dalla pagina iniziale di Rete."

WORKSPACE = {"operatore", "admin"}
EVERYONE = {"direzione", "operatore", "admin"}
# Who may open each page: the matrix's own statement, not read from the registry, so that a
# new page (or a page whose roles change) fails until someone writes its rule here.
MAY_OPEN: dict[str, set[str]] = {
    "da_seguire": WORKSPACE,
    "nuovo_colloquio": WORKSPACE,
    "colloqui": WORKSPACE,
    "nucleo": WORKSPACE,
    "segnala": WORKSPACE,
    "cruscotto": EVERYONE,
    "riunione": EVERYONE,
    "rete": EVERYONE,
    "utenti": {"admin"},
    "registro": {"admin"},
    "profilo": EVERYONE,
}

ACTIVE = "attivo"
DEACTIVATED = "disattivato"
LOCKED = "bloccato"
LOCKED_AFTER_LOGIN = "bloccato dopo l'accesso"
VISITOR = "non autenticato"

OPENS = "opens the page"
TURNED_AWAY = "home, page said not for the role"
LOGIN = "login page"
LOGIN_REFUSED = "login page, the right password refused"


@dataclass(frozen=True)
class Subject:
    state: str
    role: str | None  # None: a visitor

    @property
    def id(self) -> str:
        return f"{self.role}-{self.state}" if self.role else self.state

    @property
    def username(self) -> str:
        suffix = {ACTIVE: "", DEACTIVATED: "-off", LOCKED: "-lock", LOCKED_AFTER_LOGIN: "-dopo"}
        return f"mx-{self.role}{suffix[self.state]}"


SUBJECTS = [
    *(Subject(state, role) for state in (ACTIVE, DEACTIVATED, LOCKED) for role in access.ROLES),
    *(Subject(LOCKED_AFTER_LOGIN, role) for role in access.ROLES),
    Subject(VISITOR, None),
]


def expected(subject: Subject, key: str) -> str:
    """What `subject` gets at the address of page `key`, from the matrix's own table."""
    if key not in MAY_OPEN:
        pytest.fail(f"the page «{key}» has no rule in the page matrix: add it to MAY_OPEN")
    if subject.state in (DEACTIVATED, VISITOR):
        return LOGIN
    if subject.state == LOCKED:
        return LOGIN_REFUSED
    return OPENS if subject.role in MAY_OPEN[key] else TURNED_AWAY


# --- One demo database and one cast of subjects for the whole module


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'demo.db'}"
    bootstrap.initialise(db.get_engine(url), with_demo=True, households=40, seed=3)
    yield url
    db.dispose_engine(url)


def _fail_six_times(engine: object, username: str) -> None:
    for _ in range(auth.LOCK_AFTER):
        with pytest.raises(InvalidCredentials):
            auth.authenticate(engine, username, "non-e-la-password")  # type: ignore[arg-type]


def _token(engine: object, user: auth.CurrentUser) -> str:
    """A live session as the browser gets it: ticket issued, then redeemed for the token."""
    redeemed = auth.redeem_ticket(engine, auth.issue_ticket(engine, user))  # type: ignore[arg-type]
    assert redeemed is not None
    return redeemed.token


@pytest.fixture(scope="module")
def tokens(demo_url: str) -> Iterator[dict[str, str]]:
    """Each subject's account, brought to its state; the session token of those who hold one."""
    from argon2 import PasswordHasher

    from rete import passwords

    engine = db.get_engine(demo_url)
    found: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as patch:  # argon2 at test cost (conftest's, per module)
        patch.setattr(passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024))
        with session_scope(engine) as session:
            admin = session.scalar(select(User).where(User.username == "admin"))
            assert admin is not None
            actor = auth.CurrentUser(admin.id, admin.username, admin.display_name, admin.role)
            users = {
                subject.id: auth.create_user(
                    session, subject.username, subject.username, subject.role, PASSWORD
                )
                for subject in SUBJECTS
                if subject.role is not None
            }
            people = {
                key: auth.CurrentUser(u.id, u.username, u.display_name, u.role)
                for key, u in users.items()
            }
        for subject in SUBJECTS:
            if subject.state in (ACTIVE, DEACTIVATED, LOCKED_AFTER_LOGIN):
                found[subject.id] = _token(engine, people[subject.id])
            if subject.state in (LOCKED, LOCKED_AFTER_LOGIN):
                _fail_six_times(engine, subject.username)
            if subject.state == DEACTIVATED:
                assert auth.user_for_token(engine, found[subject.id]) is not None
                with session_scope(engine) as session:
                    ended = accounts.set_active(session, actor, people[subject.id].id, False)
                assert ended == 1
        yield found


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RETE_DATABASE_URL", demo_url)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


@pytest.fixture(scope="module")
def browsers() -> dict[str, AppTest]:
    """One app session per subject, kept across the matrix's cells as a user moves from page
    to page (a fresh AppTest's first run costs ten times a later one)."""
    return {}


@pytest.fixture
def browser(
    demo_url: str,
    tokens: dict[str, str],
    browsers: dict[str, AppTest],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> AppTest:
    """The app session of the cell's subject, holding their session token if they have one."""
    monkeypatch.setenv("RETE_DATABASE_URL", demo_url)
    subject: Subject = request.node.callspec.params["subject"]
    if subject.id not in browsers:
        app = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if subject.id in tokens:
            app.session_state[ui_session.TOKEN_KEY] = tokens[subject.id]
        browsers[subject.id] = app
    return browsers[subject.id]


def open_address(app: AppTest, key: str) -> AppTest:
    """Open `/<key>` as a browser's address bar would, in whatever navigation the run built.

    AppTest's public `switch_page` finds pages by file only; a role's turned-away pages and the
    login's addresses are pages without a file. Their hash follows the URL path, so the hash
    the last run registered for that path is what a browser at that address asks for."""
    if not app._registered_pages:
        app.run()
    registered = app._registered_pages.items()
    hashes = [h for h, info in registered if info.get("url_pathname") == key]
    assert hashes, f"no address /{key} in the navigation"
    app._page_hash = hashes[0]
    return app.run()


def titles(app: AppTest) -> list[str]:
    return [t.value for t in app.title]


def assert_login_page(app: AppTest) -> None:
    assert not app.exception
    assert titles(app) == [LOGIN_TITLE]
    assert [b.label for b in app.button] == ["Accedi"]
    # Nothing of an ended session stays behind for the page guard (require_page) to accept.
    user = app.session_state.get(ui_session.USER_KEY)
    assert not isinstance(user, auth.CurrentUser)
    assert not app.sidebar.button  # no user box, no logout: nobody is logged in


def sessions_of(url: str, username: str) -> list[UserSession]:
    with Session(db.get_engine(url)) as session:
        return list(
            session.scalars(
                select(UserSession)
                .join(User, User.id == UserSession.user_id)
                .where(User.username == username)
            )
        )


# --- The registry, the files and the matrix agree


def test_every_file_of_pages_is_a_page_of_the_registry_and_back():
    files = {f"pages/{path.name}" for path in (ROOT / "pages").glob("*.py")}
    assert files == {spec.file for spec in access.PAGES}


def test_the_matrix_has_a_rule_written_out_for_every_page_of_the_registry():
    assert set(MAY_OPEN) == {spec.key for spec in access.PAGES}


@pytest.mark.parametrize("spec", access.PAGES, ids=lambda spec: spec.key)
def test_the_registry_gives_each_page_the_roles_of_the_matrix(spec):
    assert set(spec.roles) == MAY_OPEN.get(spec.key)
    assert {role for role in access.ROLES if access.may_open(role, spec.key)} == spec.roles


def test_each_role_has_its_home_among_its_pages():
    for role in access.ROLES:
        assert role in MAY_OPEN[access.home(role).key]


# --- The matrix


MATRIX = [
    pytest.param(spec, subject, id=f"{spec.key}-{subject.id}")
    for spec in access.PAGES
    for subject in SUBJECTS
]


@pytest.mark.parametrize(("spec", "subject"), MATRIX)
def test_page_matrix(browser, demo_url, tokens, spec, subject):
    app = browser
    outcome = expected(subject, spec.key)
    if outcome == OPENS:
        open_address(app, spec.key)
        assert not app.exception
        assert titles(app)[0] == spec.title
        assert REFUSAL not in [e.value for e in app.error]
        assert isinstance(app.session_state[ui_session.USER_KEY], auth.CurrentUser)
        assert app.session_state[ui_session.USER_KEY].username == subject.username
        return
    if outcome == TURNED_AWAY:
        assert subject.role is not None
        open_address(app, spec.key)
        assert not app.exception
        assert titles(app)[0] == access.home(subject.role).title
        assert spec.title not in titles(app)
        notice = ui_session.turned_away_notice(subject.role, spec.key)
        assert notice in [w.value for w in app.warning]
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(spec.file)  # not in the role's menu either
        return
    open_address(app, spec.key)
    assert_login_page(app)
    if outcome == LOGIN:
        if subject.id in tokens:  # the deactivated user's session stays ended
            assert all(s.ended_at is not None for s in sessions_of(demo_url, subject.username))
        return
    # A locked user: the right password is refused with the one message, and no ticket issued.
    assert outcome == LOGIN_REFUSED
    app.text_input[0].input(subject.username)
    app.text_input[1].input(PASSWORD)
    app.button[0].click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [auth.WRONG_CREDENTIALS]
    assert not any("/auth/session" in h.proto.body for h in app.get("html"))
    assert sessions_of(demo_url, subject.username) == []
    assert titles(app) == [LOGIN_TITLE]


# --- Deactivation and locks, as they happen to a user at work


def test_a_user_deactivated_while_on_a_page_gets_the_login_page_at_the_next_click(
    app, demo_url, monkeypatch
):
    engine = db.get_engine(demo_url)
    with session_scope(engine) as session:
        user = auth.create_user(session, "mx-al-lavoro", "Al lavoro", "operatore", PASSWORD)
        admin = session.scalar(select(User).where(User.username == "admin"))
        person = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
        actor = auth.CurrentUser(admin.id, admin.username, admin.display_name, admin.role)
    app.session_state[ui_session.TOKEN_KEY] = token = _token(engine, person)
    open_address(app, "colloqui")
    assert titles(app)[0] == "Colloqui"
    with session_scope(engine) as session:
        assert accounts.set_active(session, actor, person.id, False) == 1
    app.run()
    assert_login_page(app)
    # Reactivated, the account needs a new login: the old session does not come back.
    with session_scope(engine) as session:
        accounts.set_active(session, actor, person.id, True)
    assert auth.user_for_token(engine, token) is None
    app.run()
    assert_login_page(app)


def test_a_session_of_an_inactive_user_is_refused_even_if_nothing_ended_it(app, demo_url):
    """Deactivation ends the sessions; the session check also refuses an inactive user, so a
    session left open some other way (a database edited by hand, a restore) opens nothing."""
    engine = db.get_engine(demo_url)
    with session_scope(engine) as session:
        user = auth.create_user(session, "mx-a-mano", "A mano", "admin", PASSWORD)
        person = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
    app.session_state[ui_session.TOKEN_KEY] = _token(engine, person)
    open_address(app, "utenti")
    assert titles(app)[0] == "Utenti"
    with session_scope(engine) as session:
        session.get(User, person.id).active = False  # type: ignore[union-attr]
    open_address(app, "utenti")
    assert_login_page(app)


def test_six_wrong_passwords_typed_elsewhere_lock_the_account_but_do_not_log_its_user_out(
    app, demo_url, monkeypatch
):
    """The lock stops password guessing; it is not a way to throw a user out (see the
    module's docstring): the user at work keeps their page, nobody can log in meanwhile."""
    engine = db.get_engine(demo_url)
    with session_scope(engine) as session:
        user = auth.create_user(session, "mx-bersaglio", "Bersaglio", "direzione", PASSWORD)
        person = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
    app.session_state[ui_session.TOKEN_KEY] = _token(engine, person)
    open_address(app, "riunione")
    assert titles(app)[0] == "Riunione"

    guesser = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for _ in range(auth.LOCK_AFTER):
        guesser.text_input[0].input("mx-bersaglio")
        guesser.text_input[1].input("forse-questa-password")
        guesser.button[0].click().run()
        assert [e.value for e in guesser.error] == [auth.WRONG_CREDENTIALS]
    guesser.text_input[0].input("mx-bersaglio")
    guesser.text_input[1].input(PASSWORD)  # even the right one, while the lock lasts
    guesser.button[0].click().run()
    assert [e.value for e in guesser.error] == [auth.WRONG_CREDENTIALS]

    with Session(engine) as session:
        locked_until = session.scalar(select(User.locked_until).where(User.id == person.id))
        tickets = session.scalar(
            select(func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == person.id, UserSession.token_hash.is_(None))
        )
    assert locked_until is not None
    assert tickets == 0  # the one session is the one opened before; no ticket was issued
    app.run()
    assert titles(app)[0] == "Riunione"
    assert [s.id for s in auth.open_sessions(engine, person.id)] != []
