import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import auth
from rete.db import session_scope
from rete.errors import InvalidCredentials, ValidationError
from rete.models import AuditEntry, User, UserSession


def redeemed(engine, user) -> str:
    result = auth.redeem_ticket(engine, auth.issue_ticket(engine, user))
    assert result is not None
    return result.token


def actions(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_passwords_are_stored_as_argon2_hashes(engine, cast):
    with Session(engine) as session:
        stored = session.get(User, cast["dora"]).password_hash
    assert stored.startswith("$argon2id$")
    assert "password-di-prova" not in stored


def test_a_good_password_logs_in_and_is_audited(engine, cast):
    user = auth.authenticate(engine, "Dora ", "password-di-prova")
    assert (user.username, user.role) == ("dora", "direzione")
    assert actions(engine)[-1] == "login"


def test_a_wrong_password_says_nothing_about_which_part_was_wrong(engine, cast):
    with pytest.raises(InvalidCredentials) as wrong_password:
        auth.authenticate(engine, "dora", "sbagliata")
    with pytest.raises(InvalidCredentials) as unknown_user:
        auth.authenticate(engine, "nessuno", "sbagliata")
    assert str(wrong_password.value) == str(unknown_user.value)
    assert "non corretti" in str(wrong_password.value)
    assert actions(engine)[-2:] == ["login_failed", "login_failed"]
    with Session(engine) as session:
        assert session.get(User, cast["dora"]).failed_logins == 1


def test_a_deactivated_user_cannot_log_in(engine, cast):
    with pytest.raises(InvalidCredentials):
        auth.authenticate(engine, "ugo", "password-di-prova")


def test_a_ticket_becomes_a_session_token_once(engine, cast):
    user = auth.authenticate(engine, "olga", "password-di-prova")
    ticket = auth.issue_ticket(engine, user)
    redeemed = auth.redeem_ticket(engine, ticket, "Chrome su Linux")
    assert redeemed and auth.redeem_ticket(engine, ticket) is None
    token = redeemed.token
    assert 12 * 3600 - 5 <= redeemed.max_age <= 12 * 3600  # the cookie dies with the session
    assert auth.user_for_token(engine, token) == user
    with Session(engine) as session:
        stored = session.scalars(select(UserSession)).one()
    assert stored.token_hash != token and ticket not in (stored.ticket_hash or "")


def test_an_expired_ticket_is_refused(engine, cast):
    user = auth.authenticate(engine, "olga", "password-di-prova")
    ticket = auth.issue_ticket(engine, user)
    with session_scope(engine) as session:
        stored = session.scalars(select(UserSession)).one()
        stored.ticket_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert auth.redeem_ticket(engine, ticket) is None


def test_logout_ends_the_session(engine, cast):
    user = auth.authenticate(engine, "ada", "password-di-prova")
    token = redeemed(engine, user)
    auth.end_session(engine, token)
    assert auth.user_for_token(engine, token) is None
    assert actions(engine)[-1] == "logout"


def test_an_idle_session_expires(engine, cast):
    user = auth.authenticate(engine, "ada", "password-di-prova")
    token = redeemed(engine, user)
    with session_scope(engine) as session:
        stored = session.scalars(select(UserSession)).one()
        stored.last_seen_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)
    assert auth.user_for_token(engine, token) is None


def test_a_session_ends_when_its_user_is_deactivated(engine, cast):
    user = auth.authenticate(engine, "olga", "password-di-prova")
    token = redeemed(engine, user)
    with session_scope(engine) as session:
        session.get(User, cast["olga"]).active = False
    assert auth.user_for_token(engine, token) is None


def test_an_unknown_token_finds_nobody(engine, cast):
    assert auth.user_for_token(engine, "inventato") is None


@pytest.mark.parametrize(
    ("username", "role", "password", "message"),
    [
        ("x", "admin", "abbastanza-lunga", "Nome utente non valido"),
        ("nuovo", "capo", "abbastanza-lunga", "Ruolo non valido"),
        ("nuovo", "admin", "undici-cifr", "troppo corta \\(11 caratteri\\): ne servono almeno 12"),
        ("nuovo", "admin", "x" * 129, "al massimo 128"),
        ("nuovo", "admin", "Q1W2E3R4T5Y6", "tra le più usate"),
        ("nuovoutente12", "admin", "NuovoUtente12", "uguale al nome utente"),
        ("dora", "admin", "abbastanza-lunga", "Esiste già"),
    ],
)
def test_create_user_refuses_bad_input_in_italian(engine, cast, username, role, password, message):
    with pytest.raises(ValidationError, match=message), session_scope(engine) as session:
        auth.create_user(session, username, "Nuovo", role, password)


class Clock:
    """auth's clock, moved by hand: every session check happens at a moment the test chose."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth, "_now", clock)
    return clock


def logged_in(engine, username: str, clock: Clock) -> str:
    """A session token, the login done at the clock's time (the ticket swapped 2 s later)."""
    ticket = auth.issue_ticket(engine, auth.authenticate(engine, username, "password-di-prova"))
    clock.advance(seconds=2)
    result = auth.redeem_ticket(engine, ticket)
    assert result
    return result.token


def test_a_session_ends_12_hours_after_login_however_busy_it_has_been(engine, cast, clock):
    token = logged_in(engine, "olga", clock)
    login = clock.now
    while clock.now < login + dt.timedelta(hours=12, seconds=-30):
        assert auth.user_for_token(engine, token) is not None, clock.now - login
        clock.advance(minutes=20)
    clock.now = login + dt.timedelta(hours=12, seconds=-30)
    assert auth.user_for_token(engine, token) is not None  # used half a minute before the limit
    clock.advance(minutes=1)
    assert auth.user_for_token(engine, token) is None  # 12 h 30 s after login: over
    clock.advance(seconds=1)
    assert auth.user_for_token(engine, token) is None
    with Session(engine) as session:
        assert session.scalars(select(UserSession)).one().ended_at is not None


def test_a_session_left_idle_for_half_an_hour_ends(engine, cast, clock):
    token = logged_in(engine, "ada", clock)
    clock.advance(minutes=29)
    assert auth.user_for_token(engine, token) is not None  # 29 minutes idle: still in
    clock.advance(minutes=29)
    assert auth.user_for_token(engine, token) is not None  # the last use restarted the clock
    clock.advance(minutes=31)
    assert auth.user_for_token(engine, token) is None  # 31 minutes idle: over
    clock.advance(seconds=1)
    assert auth.user_for_token(engine, token) is None  # and it stays over
    with Session(engine) as session:
        assert session.scalars(select(UserSession)).one().ended_at is not None


def test_a_ticket_is_good_for_one_minute(engine, cast, clock):
    user = auth.authenticate(engine, "dora", "password-di-prova")
    on_time, late = auth.issue_ticket(engine, user), auth.issue_ticket(engine, user)
    clock.advance(seconds=59)
    assert auth.redeem_ticket(engine, on_time)
    clock.advance(seconds=2)
    assert auth.redeem_ticket(engine, late) is None
