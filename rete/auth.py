"""Logging in, locking out, and server-side sessions.

The login flow (see DESIGN.md): a good password gets a one-time *ticket* (seconds long);
the browser swaps it at `/auth/session` for a session *token* kept in an HttpOnly cookie.
Only SHA-256 hashes of tickets and tokens are stored, so every process on the database knows
every session and a logout anywhere ends it everywhere.

- After `LOCK_AFTER` failed logins in a row an account is locked for `LOCK_FOR`; the message is
  the same for an unknown user, a wrong password, a deactivated or a locked account, and every
  path verifies exactly one argon2 hash (the timing tells nothing either).
- A session ends after the idle time and the absolute time the admin sets
  (`rete.security`), when its user is deactivated or their password changes, and at logout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from rete import audit, config, db, passwords, security
from rete.access import ROLES
from rete.errors import InvalidCredentials, ValidationError
from rete.models import User, UserSession

log = logging.getLogger(__name__)

TICKET_SECONDS = 60
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)  # at most one write per minute per session
LOCK_AFTER = 6  # failed logins in a row
LOCK_FOR = dt.timedelta(minutes=30)
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
SESSION_COOKIE = "rete_session"
DEMO_PASSWORD = passwords.DEMO_PASSWORD
WRONG_CREDENTIALS = (
    "Nome utente o password non corretti. Controllare e riprovare (attenzione a maiuscole e "
    "minuscole nella password). Dopo 6 tentativi sbagliati l'accesso resta bloccato per 30 "
    "minuti: in caso di dubbio chiedere all'amministratore."
)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def unusable_hash() -> str:
    """A password hash no password matches (a new account before its first password, an
    account whose reset is pending): the hash of a random secret nobody keeps."""
    return passwords.hash_password(secrets.token_urlsafe(32))


def check_username(username: str) -> str:
    """The name as stored (trimmed, lower case); ValidationError when it is not valid."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ValidationError(
            "Nome utente non valido: usare da 2 a 60 caratteri tra lettere minuscole, "
            "cifre, punto, trattino e trattino basso (per esempio «mrossi»)."
        )
    return username


def create_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str | None,
    *,
    demo_account: bool = False,
    audited: bool = True,
) -> User:
    """Add a user (the command line, the first admin, the demo accounts; the admin's page uses
    `rete.accounts.create`). `password=None` makes an account with no usable password yet;
    `demo_account` allows the demo password `demo`, which logs in only while the database is
    marked demo."""
    username = check_username(username)
    if role not in ROLES:
        raise ValidationError("Ruolo non valido: scegliere tra direzione, operatore e admin.")
    if password is not None and not demo_account:
        passwords.check(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"Esiste già un utente «{username}»: scegliere un altro nome.")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=passwords.hash_password(password) if password else unusable_hash(),
        password_changed_at=_now() if password else None,
    )
    session.add(user)
    session.flush()
    if audited:  # the admin's page audits it itself, naming the admin
        audit.record(session, "user_created", entity="user", entity_id=user.id, summary=role)
    return user


def count_failure(session: Session, user: User | None, reason: str, now: dt.datetime) -> None:
    """A wrong password (at login, or as the current one in «Il mio profilo»): counted
    towards the lock and audited."""
    _refused(session, user, reason, now)


def _refused(
    session: Session, user: User | None, reason: str, now: dt.datetime
) -> InvalidCredentials:
    """Count a failed login against the account, lock it at the sixth, audit it: the error
    to raise, the same whatever the reason. The count is one atomic UPDATE, so logins tried in
    parallel each count (a count read, then written, would let them overwrite one another)."""
    if user is not None and reason != "account bloccato":
        failures = session.scalar(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        )
        locked = session.execute(
            update(User)
            .where(User.id == user.id, User.failed_logins >= LOCK_AFTER)
            .values(locked_until=now + LOCK_FOR, failed_logins=0)  # six more lock it again
            .execution_options(synchronize_session=False)
        )
        if failures is not None and locked.rowcount:  # type: ignore[attr-defined]
            audit.record(
                session,
                "account_locked",
                entity="user",
                entity_id=user.id,
                summary=f"{LOCK_AFTER} accessi non riusciti di fila: bloccato per 30 minuti",
            )
    audit.record(
        session,
        "login_failed",
        user_id=user.id if user else None,
        role=user.role if user else None,
        entity="user",
        entity_id=user.id if user else None,
        summary=reason,
    )
    return InvalidCredentials(WRONG_CREDENTIALS)


def _let_in(session: Session, user: User, now: dt.datetime) -> bool:
    """Clear the failures and note the login, unless a lock was set meanwhile (by guesses
    counted in parallel with this login): one conditional UPDATE."""
    result = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def authenticate(engine: Engine, username: str, password: str) -> CurrentUser:
    """The user whose password this is; raises InvalidCredentials (the same message for every
    reason, each audited with its reason) otherwise."""
    username = username.strip().lower()
    now = _now()
    error: InvalidCredentials | None = None
    with db.session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        # Always exactly one argon2 verification, so timing tells nothing about the account.
        stored = user.password_hash if user is not None else passwords.dummy_hash()
        matches = passwords.matches(stored, password)
        locked_until = aware(user.locked_until) if user is not None else None
        if user is None:
            error = _refused(session, None, "utente inesistente", now)
        elif locked_until is not None and locked_until > now:
            error = _refused(session, user, "account bloccato", now)
        elif not matches:
            error = _refused(session, user, "password errata", now)
        elif not user.active:
            error = _refused(session, user, "utente disattivato", now)
        elif passwords.is_demo_password(password) and not _demo(session):
            error = _refused(session, user, "password dimostrativa non più valida", now)
        elif not _let_in(session, user, now):
            error = _refused(session, user, "account bloccato", now)
        else:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            audit.record(
                session, "login", user_id=user.id, role=user.role, entity="user", entity_id=user.id
            )
            return CurrentUser(user.id, user.username, user.display_name, user.role)
    log.info("failed login")
    raise error


def _demo(session: Session) -> bool:
    return db.read_setting(session, config.SETTING_DEMO_DATA) == "1"


def issue_ticket(engine: Engine, user: CurrentUser) -> str:
    """Start a session for a just-authenticated user; returns the one-time ticket."""
    ticket = secrets.token_urlsafe(32)
    now = _now()
    with db.session_scope(engine) as session:
        limits = security.read(session)
        session.add(
            UserSession(
                user_id=user.id,
                ticket_hash=digest(ticket),
                ticket_expires_at=now + dt.timedelta(seconds=TICKET_SECONDS),
                created_at=now,
                expires_at=now + limits.absolute,
            )
        )
    return ticket


@dataclass(frozen=True)
class Redeemed:
    """A new session: the token for the cookie, and how long the cookie may live."""

    token: str
    max_age: int  # seconds


def redeem_ticket(engine: Engine, ticket: str, client: str | None = None) -> Redeemed | None:
    """Swap a valid, unused ticket for a new session token (once); None if it is not valid.
    `client` labels the browser ("Chrome su Windows") for the user's list of sessions."""
    now = _now()
    with db.session_scope(engine) as session:
        user_session = session.scalar(
            select(UserSession).where(UserSession.ticket_hash == digest(ticket))
        )
        if user_session is None:
            return None
        expires = aware(user_session.ticket_expires_at)
        user_session.ticket_hash = None  # one use only, valid or not
        user_session.ticket_expires_at = None
        if expires is None or expires < now or user_session.ended_at is not None:
            return None
        token = secrets.token_urlsafe(32)
        user_session.token_hash = digest(token)
        user_session.last_seen_at = now
        user_session.client = (client or "")[:120] or None
        ends = aware(user_session.expires_at) or now
    return Redeemed(token, max(0, int((ends - now).total_seconds())))


def user_for_token(engine: Engine, token: str) -> CurrentUser | None:
    """The user of a live session, refreshing its idle clock; None if ended or expired."""
    now = _now()
    with db.session_scope(engine) as session:
        row = session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == digest(token), UserSession.ended_at.is_(None))
        ).first()
        if row is None:
            return None
        user_session, user = row
        last_seen = aware(user_session.last_seen_at) or now
        expires = aware(user_session.expires_at) or now
        limits = security.read(session)
        started = aware(user_session.created_at) or now
        expires = min(expires, started + limits.absolute)  # a shorter limit applies at once
        if not user.active or expires <= now or last_seen + limits.idle < now:
            user_session.ended_at = now
            return None
        if now - last_seen > LAST_SEEN_RESOLUTION:
            user_session.last_seen_at = now
        return CurrentUser(user.id, user.username, user.display_name, user.role)


def session_id_for_token(engine: Engine, token: str) -> int | None:
    """The id of the live session this token opens (to mark "this browser" in a list)."""
    with Session(engine) as session:
        return session.scalar(
            select(UserSession.id).where(
                UserSession.token_hash == digest(token), UserSession.ended_at.is_(None)
            )
        )


def end_session(engine: Engine, token: str) -> None:
    """Logout: the session ends on the server, for every process."""
    with db.session_scope(engine) as session:
        user_session = session.scalar(
            select(UserSession).where(
                UserSession.token_hash == digest(token), UserSession.ended_at.is_(None)
            )
        )
        if user_session is not None:
            user_session.ended_at = _now()
            user = session.get(User, user_session.user_id)
            audit.record(
                session,
                "logout",
                user_id=user_session.user_id,
                role=user.role if user else None,
            )


def end_sessions(
    session: Session, user_id: int, *, except_id: int | None = None, now: dt.datetime | None = None
) -> int:
    """End every open session of a user (but `except_id`), in the caller's transaction;
    returns how many. The caller audits why."""
    condition = [UserSession.user_id == user_id, UserSession.ended_at.is_(None)]
    if except_id is not None:
        condition.append(UserSession.id != except_id)
    result = session.execute(
        update(UserSession).where(*condition).values(ended_at=now or _now(), ticket_hash=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OpenSession:
    id: int
    started: dt.datetime  # UTC
    last_seen: dt.datetime | None  # UTC
    expires: dt.datetime  # UTC
    client: str


def open_sessions(engine: Engine, user_id: int) -> list[OpenSession]:
    """A user's sessions still open (not ended, not past their limits), newest first."""
    now = _now()
    with Session(engine) as session:
        idle = security.read(session).idle
        rows = session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.ended_at.is_(None),
                UserSession.token_hash.is_not(None),
            )
            .order_by(UserSession.id.desc())
        ).all()
    result = []
    for row in rows:
        last_seen = aware(row.last_seen_at)
        expires = aware(row.expires_at) or now
        if expires <= now or (last_seen is not None and last_seen + idle < now):
            continue
        started = aware(row.created_at) or now
        result.append(OpenSession(row.id, started, last_seen, expires, row.client or "—"))
    return result


_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPad", "iPadOS"),
    ("iPhone", "iOS"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def client_label(user_agent: str) -> str:
    """A browser's User-Agent as a short Italian label: "Chrome su Windows"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "Browser")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return f"{browser} su {system}" if system else browser
