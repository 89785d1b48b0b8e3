"""Accounts: lockout, the demo password, rehashing, session limits from the settings, the
admin's acts on users (with the last-admin rule), resets, one's own password and sessions."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rete import accounts, auth, config, passwords, security
from rete.db import session_scope
from rete.errors import ConcurrentEdit, InvalidCredentials, PermissionDenied, ValidationError
from rete.models import AuditEntry, Setting, User, UserSession

GOOD = "password-di-prova"


class Clock:
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


def who(engine, name: str) -> auth.CurrentUser:
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == name)).one()
        return auth.CurrentUser(user.id, user.username, user.display_name, user.role)


def entries(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def token_for(engine, name: str, password: str = GOOD) -> str:
    redeemed = auth.redeem_ticket(
        engine, auth.issue_ticket(engine, auth.authenticate(engine, name, password))
    )
    assert redeemed is not None
    return redeemed.token


def refused(engine, name: str, password: str) -> str:
    with pytest.raises(InvalidCredentials) as error:
        auth.authenticate(engine, name, password)
    return str(error.value)


# --- Lockout


def test_six_failures_in_a_row_lock_the_account_for_30_minutes(engine, cast, clock):
    for _ in range(5):
        refused(engine, "olga", "sbagliata")
    assert auth.authenticate(engine, "olga", GOOD).username == "olga"  # 5 failures: not locked
    for _ in range(6):
        refused(engine, "olga", "sbagliata")
    assert refused(engine, "olga", GOOD) == auth.WRONG_CREDENTIALS  # the right one, refused
    clock.advance(minutes=29, seconds=59)
    refused(engine, "olga", GOOD)
    clock.advance(seconds=2)
    assert auth.authenticate(engine, "olga", GOOD).username == "olga"
    locks = entries(engine, "account_locked")
    assert len(locks) == 1 and locks[0].entity_id == cast["olga"]
    reasons = [e.summary for e in entries(engine, "login_failed")]
    assert reasons == ["password errata"] * 11 + ["account bloccato"] * 2


def test_the_success_before_the_sixth_failure_starts_the_count_again(engine, cast, clock):
    for _ in range(5):
        refused(engine, "olga", "sbagliata")
    auth.authenticate(engine, "olga", GOOD)
    for _ in range(5):
        refused(engine, "olga", "sbagliata")
    assert auth.authenticate(engine, "olga", GOOD).username == "olga"


def test_after_a_lock_six_more_failures_lock_it_again(engine, cast, clock):
    for _ in range(6):
        refused(engine, "olga", "sbagliata")
    clock.advance(minutes=31)
    for _ in range(5):
        refused(engine, "olga", "sbagliata")
    auth.authenticate(engine, "olga", GOOD)  # the first failure after the lock did not relock
    for _ in range(6):
        refused(engine, "olga", "sbagliata")
    refused(engine, "olga", GOOD)
    assert len(entries(engine, "account_locked")) == 2


def test_every_refusal_says_the_same_words(engine, cast, clock):
    for _ in range(6):
        refused(engine, "dora", "sbagliata")
    messages = {
        refused(engine, "nessuno", GOOD),  # no such account
        refused(engine, "olga", "sbagliata"),  # wrong password
        refused(engine, "ugo", GOOD),  # deactivated, right password
        refused(engine, "dora", GOOD),  # locked, right password
    }
    assert messages == {auth.WRONG_CREDENTIALS}


def test_every_path_verifies_exactly_one_hash(engine, cast, monkeypatch):
    """The timing check: an unknown user, a wrong password, a deactivated and a locked account
    each cost one argon2 verification, as a good login does."""
    verified: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "HASHER", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    with session_scope(engine) as session:
        session.get(User, cast["dora"]).locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(
            minutes=5
        )
    cases = [("nessuno", GOOD), ("olga", "sbagliata"), ("ugo", GOOD), ("dora", GOOD), ("ada", GOOD)]
    for name, password in cases:
        verified.clear()
        with contextlib.suppress(InvalidCredentials):
            auth.authenticate(engine, name, password)
        assert len(verified) == 1, name
    # The unknown user's hash has the same parameters as the accounts' hashes.
    with Session(engine) as session:
        stored = session.get(User, cast["olga"]).password_hash
    assert passwords.dummy_hash().split("$")[2:4] == stored.split("$")[2:4]


def test_the_admin_unlocks_an_account(engine, cast):
    for _ in range(6):
        refused(engine, "olga", "sbagliata")
    with session_scope(engine) as session:
        accounts.unlock(session, who(engine, "ada"), cast["olga"])
    assert auth.authenticate(engine, "olga", GOOD).username == "olga"
    assert entries(engine, "user_unlocked")[0].user_id == cast["ada"]


# --- The demo password, rehashing


def test_the_demo_password_works_only_while_the_database_is_marked_demo(engine, cast):
    with session_scope(engine) as session:
        auth.create_user(session, "prova", "Prova", "operatore", "demo", demo_account=True)
        session.merge(Setting(key=config.SETTING_DEMO_DATA, value="1"))
    assert auth.authenticate(engine, "prova", "demo").username == "prova"
    with session_scope(engine) as session:
        session.merge(Setting(key=config.SETTING_DEMO_DATA, value="0"))
    assert refused(engine, "prova", "demo") == auth.WRONG_CREDENTIALS
    assert entries(engine, "login_failed")[-1].summary == "password dimostrativa non più valida"


def test_a_login_rehashes_a_password_stored_with_weaker_parameters(engine, cast, monkeypatch):
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(passwords, "HASHER", stronger)
    with Session(engine) as session:
        before = session.get(User, cast["olga"]).password_hash
    assert "m=1024,t=1" in before  # the tests' cheap hash
    auth.authenticate(engine, "olga", GOOD)
    with Session(engine) as session:
        after = session.get(User, cast["olga"]).password_hash
    assert "m=2048,t=2" in after and after.startswith("$argon2id$")
    assert auth.authenticate(engine, "olga", GOOD).username == "olga"


def test_the_production_parameters_are_at_least_owasps_minimum():
    from rete.passwords import MINIMUM_PARAMETERS

    hasher = passwords.PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)
    assert hasher.type.name == "ID"
    assert hasher.memory_cost >= MINIMUM_PARAMETERS["memory_cost"]
    assert hasher.time_cost >= MINIMUM_PARAMETERS["time_cost"]


# --- Passwords


def test_the_common_password_list_loads_about_ten_thousand_lower_case_entries():
    common = passwords.common_passwords()
    assert 9_900 <= len(common) <= 10_100
    assert {"password", "123456", "qwerty123456", "1q2w3e4r5t6y"} <= common
    assert all(entry == entry.lower() for entry in common)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("corta", "troppo corta (5 caratteri)"),
        ("a" * 11, "almeno 12"),
        ("a" * 129, "al massimo 128"),
        ("QWERTY123456", "tra le più usate"),
        ("Mario.Rossi1", "uguale al nome utente"),
    ],
)
def test_a_bad_new_password_is_refused_with_the_reason(password, fragment):
    assert fragment in (passwords.problem(password, "mario.rossi1") or "")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=140))
def test_only_length_the_common_list_and_the_name_decide(password):
    length = len(passwords._normalised(password))
    common = passwords._normalised(password).casefold() in passwords.common_passwords()
    expected_ok = 12 <= length <= 128 and not common and password.casefold() != "mario"
    assert (passwords.problem(password, "mario") is None) == expected_ok


# --- Sessions follow the settings


def set_limits(engine, **values: int) -> None:
    with session_scope(engine) as session:
        seen = security.read(session)
    new = security.Limits(**{**seen.__dict__, **values})
    with session_scope(engine) as session:
        security.save(session, who(engine, "ada"), new, seen)


def test_the_idle_and_absolute_limits_are_the_admins_settings(engine, cast, clock):
    set_limits(engine, idle_minutes=10, session_hours=2)
    token = token_for(engine, "olga")
    start = clock.now
    clock.advance(minutes=9)
    assert auth.user_for_token(engine, token)
    clock.advance(minutes=11)
    assert auth.user_for_token(engine, token) is None  # 11 minutes idle
    token = token_for(engine, "olga")
    start = clock.now
    while clock.now + dt.timedelta(minutes=8) < start + dt.timedelta(hours=2):
        clock.advance(minutes=8)
        assert auth.user_for_token(engine, token), clock.now - start
    clock.now = start + dt.timedelta(hours=2, seconds=1)
    assert auth.user_for_token(engine, token) is None


def test_security_settings_refuse_values_out_of_range_and_concurrent_saves(engine, cast):
    with session_scope(engine) as session:
        seen = security.read(session)
    assert seen == security.Limits(30, 12, 5, 24)
    with pytest.raises(ValidationError, match="tra 24 e 240 mesi"), session_scope(engine) as s:
        security.save(s, who(engine, "ada"), security.Limits(30, 12, 5, 12), seen)
    with pytest.raises(PermissionDenied), session_scope(engine) as s:
        security.save(s, who(engine, "olga"), security.Limits(60, 12, 5, 24), seen)
    set_limits(engine, idle_minutes=45)
    with pytest.raises(ConcurrentEdit), session_scope(engine) as s:
        security.save(s, who(engine, "ada"), security.Limits(20, 12, 5, 24), seen)
    with session_scope(engine) as session:
        assert security.read(session).idle_minutes == 45
    assert "Uscita dopo minuti di inattività: 45 minuti" in (
        entries(engine, "security_settings_changed")[0].summary
    )


def test_a_stored_audit_retention_below_24_months_reads_as_24(engine, cast):
    with session_scope(engine) as session:
        session.merge(Setting(key=config.SETTING_AUDIT_MONTHS, value="6"))
    with Session(engine) as session:
        assert security.read(session).audit_months == 24


# --- The admin's acts


def test_a_new_user_chooses_their_password_with_the_one_time_link(engine, cast):
    admin = who(engine, "ada")
    with session_scope(engine) as session:
        user_id, code = accounts.create(session, admin, " MRossi ", "Maria Rossi", "operatore")
    refused(engine, "mrossi", "")  # no password yet
    assert accounts.reset_user(engine, code) == "mrossi"
    with pytest.raises(ValidationError, match="troppo corta"):
        accounts.complete_reset(engine, code, "breve")
    assert accounts.complete_reset(engine, code, "una frase lunga abbastanza") == "mrossi"
    assert auth.authenticate(engine, "mrossi", "una frase lunga abbastanza").role == "operatore"
    with pytest.raises(ValidationError, match="non è valido o è scaduto"):
        accounts.complete_reset(engine, code, "un'altra frase lunga")  # once only
    with Session(engine) as session:
        stored = session.get(User, user_id)
        assert stored.reset_hash is None and code not in stored.password_hash
    created = entries(engine, "user_created")[-1]
    assert (created.user_id, created.role, created.entity_id) == (cast["ada"], "admin", user_id)


def test_a_reset_stops_the_old_password_ends_sessions_and_expires(engine, cast, clock):
    token = token_for(engine, "olga")
    with session_scope(engine) as session:
        code = accounts.start_reset(session, who(engine, "ada"), cast["olga"])
    assert auth.user_for_token(engine, token) is None
    refused(engine, "olga", GOOD)
    clock.advance(hours=72, seconds=1)
    assert accounts.reset_user(engine, code) is None
    with pytest.raises(ValidationError, match="scaduto"):
        accounts.complete_reset(engine, code, "una frase lunga abbastanza")


def test_deactivating_ends_every_open_session_at_once(engine, cast):
    tokens = [token_for(engine, "olga"), token_for(engine, "olga")]
    with session_scope(engine) as session:
        assert accounts.set_active(session, who(engine, "ada"), cast["olga"], False) == 2
    assert [auth.user_for_token(engine, t) for t in tokens] == [None, None]
    with Session(engine) as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    UserSession.user_id == cast["olga"], UserSession.ended_at.is_(None)
                )
            )
            == 0
        )
    refused(engine, "olga", GOOD)
    with session_scope(engine) as session:
        accounts.set_active(session, who(engine, "ada"), cast["olga"], True)
    assert auth.authenticate(engine, "olga", GOOD)


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(engine, cast):
    ada = who(engine, "ada")
    with session_scope(engine) as session:
        accounts.change_role(session, ada, cast["olga"], "operatore", "admin")
    olga = who(engine, "olga")
    with session_scope(engine) as session:  # olga, now admin, demotes ada: fine, one is left
        accounts.change_role(session, olga, cast["ada"], "admin", "operatore")
    # ada's page, drawn before she was demoted, still holds her as admin (two admins acting on
    # each other at once): the last admin is kept all the same.
    last = "ultimo amministratore"
    with pytest.raises(ValidationError, match=last), session_scope(engine) as session:
        accounts.set_active(session, ada, cast["olga"], False)
    with pytest.raises(ValidationError, match=last), session_scope(engine) as session:
        accounts.change_role(session, ada, cast["olga"], "admin", "direzione")
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        accounts.set_active(session, who(engine, "ada"), cast["olga"], False)  # her next run
    with pytest.raises(ValidationError, match="sé stessi"), session_scope(engine) as session:
        accounts.change_role(session, olga, cast["olga"], "admin", "operatore")
    with Session(engine) as session:
        admins = session.scalars(select(User.username).where(User.role == "admin")).all()
    assert admins == ["olga"]


def test_a_deactivated_admin_does_not_count_as_the_one_left(engine, cast):
    ada = who(engine, "ada")
    with session_scope(engine) as session:
        accounts.change_role(session, ada, cast["ugo"], "operatore", "admin")  # ugo: inactive
    with pytest.raises(ValidationError, match="sé stessi"), session_scope(engine) as session:
        accounts.set_active(session, ada, cast["ada"], False)
    with session_scope(engine) as session:
        accounts.set_active(session, ada, cast["ugo"], True)
    with session_scope(engine) as session:
        accounts.set_active(session, who(engine, "ugo"), cast["ada"], False)


def test_only_the_admin_acts_on_accounts(engine, cast):
    for name in ("dora", "olga"):
        actor = who(engine, name)
        for act in (
            lambda s, a=actor: accounts.create(s, a, "nuovo", "Nuovo", "admin"),
            lambda s, a=actor: accounts.change_role(s, a, cast["dora"], "direzione", "admin"),
            lambda s, a=actor: accounts.start_reset(s, a, cast["dora"]),
            lambda s, a=actor: accounts.unlock(s, a, cast["dora"]),
            lambda s, a=actor: accounts.set_active(s, a, cast["dora"], False),
            lambda s, a=actor: accounts.end_user_sessions(s, a, cast["dora"]),
        ):
            with pytest.raises(PermissionDenied), session_scope(engine) as session:
                act(session)
    with Session(engine) as session:
        assert session.scalar(select(User.role).where(User.id == cast["dora"])) == "direzione"


def test_a_role_change_made_meanwhile_by_another_admin_is_refused(engine, cast):
    ada = who(engine, "ada")
    with session_scope(engine) as session:
        accounts.change_role(session, ada, cast["dora"], "direzione", "operatore")
    with pytest.raises(ConcurrentEdit), session_scope(engine) as session:
        accounts.change_role(session, ada, cast["dora"], "direzione", "admin")  # form was stale
    with Session(engine) as session:
        assert session.get(User, cast["dora"]).role == "operatore"


def test_the_list_shows_state_last_login_and_open_sessions(engine, cast, clock):
    token_for(engine, "olga")
    for _ in range(6):
        refused(engine, "dora", "sbagliata")
    rows = {row.username: row for row in accounts.users(engine)}
    assert rows["olga"].open_sessions == 1 and rows["olga"].last_login == clock.now
    assert rows["dora"].state == "bloccato"
    assert rows["ugo"].state == "disattivato"
    assert rows["ada"].state == "attivo" and rows["ada"].last_login is None


# --- One's own password and sessions


def test_changing_my_password_asks_the_old_one_and_ends_my_other_sessions(engine, cast):
    here, there = token_for(engine, "olga"), token_for(engine, "olga")
    olga = who(engine, "olga")
    here_id = auth.session_id_for_token(engine, here)
    with pytest.raises(ValidationError, match="attuale non è corretta"):
        accounts.change_password(engine, olga, "sbagliata", "una frase nuova e lunga", here_id)
    with pytest.raises(ValidationError, match="più usate"):
        accounts.change_password(engine, olga, GOOD, "qwerty123456", here_id)
    assert accounts.change_password(engine, olga, GOOD, "una frase nuova e lunga", here_id) == 1
    assert auth.user_for_token(engine, here) and auth.user_for_token(engine, there) is None
    refused(engine, "olga", GOOD)
    assert auth.authenticate(engine, "olga", "una frase nuova e lunga")


def test_i_end_my_own_sessions_and_never_anothers(engine, cast):
    mine, theirs = token_for(engine, "olga"), token_for(engine, "dora")
    olga = who(engine, "olga")
    assert not accounts.end_own_session(engine, olga, auth.session_id_for_token(engine, theirs))
    assert auth.user_for_token(engine, theirs)
    assert [s.id for s in auth.open_sessions(engine, olga.id)] == [
        auth.session_id_for_token(engine, mine)
    ]
    assert accounts.end_own_session(engine, olga, auth.session_id_for_token(engine, mine))
    assert auth.user_for_token(engine, mine) is None


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131 Safari/537.36",
            "Chrome su Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox su Linux",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
            "Safari su iPadOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131 Safari/537.36 Edg/131",
            "Edge su Windows",
        ),
        ("", "Browser"),
    ],
)
def test_a_browser_is_named_in_a_few_words(agent, label):
    assert auth.client_label(agent) == label


def test_guesses_made_in_parallel_each_count_towards_the_lock(engine, cast):
    """Twelve wrong passwords at once (twelve browsers): each counts, so the account locks."""
    from concurrent.futures import ThreadPoolExecutor

    def guess(_: int) -> str:
        return refused(engine, "olga", "sbagliata")

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(guess, range(12))) == {auth.WRONG_CREDENTIALS}
    assert len(entries(engine, "account_locked")) >= 1
    refused(engine, "olga", GOOD)


def test_the_demo_password_in_any_unicode_spelling_is_refused_outside_the_demo(engine, cast):
    with session_scope(engine) as session:
        auth.create_user(session, "prova", "Prova", "operatore", "demo", demo_account=True)
    assert refused(engine, "prova", "ｄｅｍｏ") == auth.WRONG_CREDENTIALS  # full-width letters


def test_two_admins_deactivating_each_other_at_once_leave_one(engine, cast, monkeypatch):
    """Both pass the check made before the change (each still sees the other active); the
    check after the change, made once the write is under way, refuses the second."""
    import threading

    ada = who(engine, "ada")
    with session_scope(engine) as session:
        accounts.change_role(session, ada, cast["olga"], "operatore", "admin")
    olga = who(engine, "olga")
    both_checked = threading.Barrier(2, timeout=20)
    checked = accounts._keep_an_admin

    def check_then_wait(session, user):
        checked(session, user)
        # On PostgreSQL the first holds the admins' rows and the second waits in `checked`.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()

    monkeypatch.setattr(accounts, "_keep_an_admin", check_then_wait)
    outcomes: list[str] = []

    def deactivate(actor, target):
        try:
            with session_scope(engine) as session:
                accounts.set_active(session, actor, target, False)
            outcomes.append("done")
        except ValidationError as error:
            outcomes.append(str(error))

    threads = [
        threading.Thread(target=deactivate, args=(ada, cast["olga"])),
        threading.Thread(target=deactivate, args=(olga, cast["ada"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["done", accounts.LAST_ADMIN])
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(User.role == "admin", User.active)) == 1


def test_an_admin_cannot_reset_their_own_password(engine, cast):
    with pytest.raises(ValidationError, match="Il mio profilo"), session_scope(engine) as session:
        accounts.start_reset(session, who(engine, "ada"), cast["ada"])
    assert auth.authenticate(engine, "ada", GOOD)


def test_deactivation_kills_a_pending_reset_link_for_good(engine, cast):
    ada = who(engine, "ada")
    with session_scope(engine) as session:
        code = accounts.start_reset(session, ada, cast["olga"])
    with session_scope(engine) as session:
        accounts.set_active(session, ada, cast["olga"], False)
    with session_scope(engine) as session:
        accounts.set_active(session, ada, cast["olga"], True)
    assert accounts.reset_user(engine, code) is None


def test_a_new_account_is_audited_once_naming_the_admin(engine, cast):
    with session_scope(engine) as session:
        user_id, _ = accounts.create(session, who(engine, "ada"), "nuova", "Nuova", "direzione")
    created = [e for e in entries(engine, "user_created") if e.entity_id == user_id]
    assert [(e.user_id, e.role) for e in created] == [(cast["ada"], "admin")]


def test_wrong_current_passwords_in_the_profile_count_towards_the_lock(engine, cast):
    olga = who(engine, "olga")
    for _ in range(6):
        with pytest.raises(ValidationError, match="attuale non è corretta"):
            accounts.change_password(engine, olga, "sbagliata", "una frase nuova e lunga", None)
    assert [e.summary for e in entries(engine, "login_failed")] == ["password attuale errata"] * 6
    with pytest.raises(ValidationError, match="Troppi tentativi"):
        accounts.change_password(engine, olga, GOOD, "una frase nuova e lunga", None)
    refused(engine, "olga", GOOD)


def test_a_shorter_session_limit_applies_to_sessions_already_open(engine, cast, clock):
    token = token_for(engine, "olga")
    for _ in range(7):  # in use for 2 h 20 min: within the 12 hours
        clock.advance(minutes=20)
        assert auth.user_for_token(engine, token)
    set_limits(engine, session_hours=2)
    assert auth.user_for_token(engine, token) is None
