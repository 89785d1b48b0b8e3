"""Users, roles, argon2 password hashes and server-side sessions.

The login flow (see DESIGN.md): a good password gets a one-time *ticket* (seconds long);
the browser swaps it at `/auth/session` for a session *token* kept in an HttpOnly cookie.
Only SHA-256 hashes of tickets and tokens are stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import audit
from rete.access import ROLES
from rete.db import session_scope
from rete.errors import InvalidCredentials, ValidationError
from rete.models import User, UserSession

log = logging.getLogger(__name__)

TICKET_SECONDS = 60
SESSION_IDLE = dt.timedelta(hours=1)
SESSION_ABSOLUTE = dt.timedelta(hours=12)
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)  # at most one write per minute per session
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
SESSION_COOKIE = "rete_session"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so a wrong name takes as long as a wrong password."""
    return _hasher.hash("rete-dummy-password")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"La password deve avere almeno {MIN_PASSWORD_LENGTH} caratteri: sceglierne una più lunga."
        )


def create_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    allow_short_password: bool = False,
) -> User:
    """Add a user; `allow_short_password` only for the demo accounts."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ValidationError(
            "Nome utente non valido: usare da 2 a 60 caratteri tra lettere minuscole, "
            "cifre, punto, trattino e trattino basso."
        )
    if role not in ROLES:
        raise ValidationError("Ruolo non valido: scegliere tra direzione, operatore e admin.")
    if not allow_short_password:
        check_new_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError(f"Esiste già un utente «{username}»: scegliere un altro nome.")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    audit.record(session, "user_created", entity="user", entity_id=user.id, summary=role)
    return user


def authenticate(engine: Engine, username: str, password: str) -> CurrentUser:
    """The user whose password this is; raises InvalidCredentials (and audits it) otherwise."""
    username = username.strip().lower()
    with session_scope(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        # Always one argon2 verification, so timing tells nothing about the account.
        matches = _password_matches(user.password_hash if user else _dummy_hash(), password)
        if user is not None and user.active and matches:
            user.failed_logins = 0
            audit.record(session, "login", user_id=user.id, entity="user", entity_id=user.id)
            return CurrentUser(user.id, user.username, user.display_name, user.role)
        if user is not None:
            user.failed_logins += 1
        audit.record(
            session,
            "login_failed",
            user_id=user.id if user else None,
            entity="user",
            entity_id=user.id if user else None,
        )
    log.info("failed login")
    raise InvalidCredentials(
        "Nome utente o password non corretti. Controllare e riprovare "
        "(attenzione a maiuscole e minuscole nella password)."
    )


def issue_ticket(engine: Engine, user: CurrentUser) -> str:
    """Start a session for a just-authenticated user; returns the one-time ticket."""
    ticket = secrets.token_urlsafe(32)
    now = _now()
    with session_scope(engine) as session:
        session.add(
            UserSession(
                user_id=user.id,
                ticket_hash=_digest(ticket),
                ticket_expires_at=now + dt.timedelta(seconds=TICKET_SECONDS),
                created_at=now,
                expires_at=now + SESSION_ABSOLUTE,
            )
        )
    return ticket


def redeem_ticket(engine: Engine, ticket: str) -> str | None:
    """Swap a valid, unused ticket for a session token (once); None if it is not valid."""
    now = _now()
    with session_scope(engine) as session:
        user_session = session.scalar(
            select(UserSession).where(UserSession.ticket_hash == _digest(ticket))
        )
        if user_session is None:
            return None
        expires = _aware(user_session.ticket_expires_at)
        user_session.ticket_hash = None  # one use only, valid or not
        user_session.ticket_expires_at = None
        if expires is None or expires < now or user_session.ended_at is not None:
            return None
        token = secrets.token_urlsafe(32)
        user_session.token_hash = _digest(token)
        user_session.last_seen_at = now
    return token


def user_for_token(engine: Engine, token: str) -> CurrentUser | None:
    """The user of a live session, refreshing its idle clock; None if ended or expired."""
    now = _now()
    with session_scope(engine) as session:
        row = session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
        ).first()
        if row is None:
            return None
        user_session, user = row
        last_seen = _aware(user_session.last_seen_at) or now
        expires = _aware(user_session.expires_at) or now
        if not user.active or expires <= now or last_seen + SESSION_IDLE < now:
            user_session.ended_at = now
            return None
        if now - last_seen > LAST_SEEN_RESOLUTION:
            user_session.last_seen_at = now
        return CurrentUser(user.id, user.username, user.display_name, user.role)


def end_session(engine: Engine, token: str) -> None:
    with session_scope(engine) as session:
        user_session = session.scalar(
            select(UserSession).where(
                UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None)
            )
        )
        if user_session is not None:
            user_session.ended_at = _now()
            audit.record(session, "logout", user_id=user_session.user_id)
