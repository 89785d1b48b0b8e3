"""The admin's accounts work («Utenti») and everyone's own («Il mio profilo»).

The admin creates users, changes roles, deactivates and reactivates, unlocks, ends sessions and
starts password resets; the admin never sets nor sees a password. A reset (also how a new
account gets its first password) is a one-time code shown once to the admin, who hands the link
to the user; the user chooses the password on the login page. Every act goes through the one
write path, audited with the acting admin. Nobody can deactivate or demote the last active
admin, and an admin does not deactivate or demote themself (another admin does).
"""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from rete import access, auth, db, passwords, security
from rete.errors import ConcurrentEdit, NotFound, ValidationError
from rete.models import User, UserSession
from rete.writes import Actor, Write, write

RESET_VALID = dt.timedelta(hours=72)
RESET_PARAMETER = "reimposta"  # the login page's query parameter that carries the code

CHANGED_MEANWHILE = (
    "Qualcun altro ha modificato questo utente nel frattempo: la modifica non è stata salvata. "
    "Ricarica la pagina per vedere i dati aggiornati, poi riprova."
)
LAST_ADMIN = (
    "È l'ultimo amministratore attivo: prima dare il ruolo admin a un altro utente, "
    "altrimenti nessuno potrebbe più gestire gli utenti."
)
NOT_YOURSELF = (
    "Non si può togliere a sé stessi il ruolo o l'accesso: chiedere a un altro amministratore."
)


@dataclass(frozen=True)
class UserRow:
    """One line of the admin's list (no password, no hash)."""

    id: int
    username: str
    display_name: str
    role: str
    active: bool
    locked_until: dt.datetime | None  # UTC, only while the lock lasts
    last_login: dt.datetime | None  # UTC
    reset_pending: bool
    open_sessions: int

    @property
    def state(self) -> str:
        if not self.active:
            return "disattivato"
        if self.locked_until is not None:
            return "bloccato"
        if self.reset_pending:
            return "in attesa della password"
        return "attivo"


def users(engine: Engine) -> list[UserRow]:
    """Every account, by name, with its state and its open sessions (a few dozen rows)."""
    now = auth._now()
    with Session(engine) as session:
        idle = security.read(session).idle
        live = (
            select(UserSession.user_id, func.count().label("n"))
            .where(
                UserSession.ended_at.is_(None),
                UserSession.token_hash.is_not(None),
                UserSession.expires_at > now,
                UserSession.last_seen_at >= now - idle,
            )
            .group_by(UserSession.user_id)
            .subquery()
        )
        rows = session.execute(
            select(User, live.c.n)
            .outerjoin(live, live.c.user_id == User.id)
            .order_by(User.username)
        ).all()
    result = []
    for user, sessions in rows:
        locked = auth.aware(user.locked_until)
        reset_expires = auth.aware(user.reset_expires_at)
        result.append(
            UserRow(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                active=user.active,
                locked_until=locked if locked is not None and locked > now else None,
                last_login=auth.aware(user.last_login_at),
                reset_pending=reset_expires is not None and reset_expires > now,
                open_sessions=int(sessions or 0),
            )
        )
    return result


def _as_admin(session: Session, actor: Actor) -> AbstractContextManager[Write]:
    """The write of an admin's act on accounts."""
    return write(session, actor, allowed=access.may_manage_users)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound("Questo utente non esiste più: ricaricare la pagina.")
    return user


def _change(session: Session, user_id: int, seen: dict[str, object], **values: object) -> None:
    """Set `values` if the account still holds what the form showed (`seen`): one conditional
    UPDATE, refused when another admin changed it meanwhile."""
    conditions = [User.id == user_id] + [getattr(User, key) == value for key, value in seen.items()]
    result = session.execute(update(User).where(*conditions).values(**values))
    if not result.rowcount:  # type: ignore[attr-defined]
        _user(session, user_id)
        raise ConcurrentEdit(CHANGED_MEANWHILE)


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse when `user` is the last active admin (the admins' rows locked on PostgreSQL, so
    two admins demoting each other at once cannot both succeed)."""
    if user.role != "admin" or not user.active:
        return
    admins = session.scalars(
        select(User.id).where(User.role == "admin", User.active).with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise ValidationError(LAST_ADMIN)


def _an_admin_left(session: Session) -> None:
    """After the change, in its transaction: at least one active admin remains. On SQLite the
    check before the change cannot see another admin's change still being written; this one,
    made once this transaction holds the write lock, sees every change committed before it."""
    if not session.scalar(select(func.count()).where(User.role == "admin", User.active)):
        raise ValidationError(LAST_ADMIN)


def _new_reset(session: Session, user: User, now: dt.datetime) -> str:
    """A one-time reset code for `user`; the old password stops working and sessions end."""
    code = secrets.token_urlsafe(32)
    user.reset_hash = auth.digest(code)
    user.reset_expires_at = now + RESET_VALID
    user.password_hash = auth.unusable_hash()
    user.failed_logins = 0
    user.locked_until = None
    auth.end_sessions(session, user.id, now=now)
    return code


def create(
    session: Session, actor: Actor, username: str, display_name: str, role: str
) -> tuple[int, str]:
    """A new account with no password yet: its id and the one-time code of the link with
    which the user chooses one."""
    with _as_admin(session, actor) as unit:
        user = auth.create_user(session, username, display_name, role, None, audited=False)
        code = _new_reset(session, user, auth._now())
        unit.audit("user_created", "user", user.id, f"ruolo {role}; link per la prima password")
    return user.id, code


def change_role(session: Session, actor: Actor, user_id: int, seen_role: str, role: str) -> None:
    if role not in access.ROLES:
        raise ValidationError("Ruolo non valido: scegliere tra direzione, operatore e admin.")
    with _as_admin(session, actor) as unit:
        user = _user(session, user_id)
        if role == user.role == seen_role:
            return
        if user.id == actor.id:
            raise ValidationError(NOT_YOURSELF)
        if role != "admin":
            _keep_an_admin(session, user)
        _change(session, user_id, {"role": seen_role}, role=role)
        _an_admin_left(session)
        unit.audit("user_role_changed", "user", user_id, f"da {seen_role} a {role}")


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> int:
    """Deactivate (every open session ends at once) or reactivate; returns the sessions
    ended."""
    with _as_admin(session, actor) as unit:
        user = _user(session, user_id)
        if user.active == active:
            return 0
        ended = 0
        if not active:
            if user.id == actor.id:
                raise ValidationError(NOT_YOURSELF)
            _keep_an_admin(session, user)
            ended = auth.end_sessions(session, user_id)
            user.reset_hash = None  # a link handed out before is dead, even after reactivation
            user.reset_expires_at = None
        _change(session, user_id, {"active": not active}, active=active)
        _an_admin_left(session)
        summary = f"sessioni chiuse: {ended}" if not active else None
        unit.audit("user_deactivated" if not active else "user_activated", "user", user_id, summary)
    return ended


def start_reset(session: Session, actor: Actor, user_id: int) -> str:
    """A password reset: the one-time code (shown once to the admin, stored only as a hash)."""
    with _as_admin(session, actor) as unit:
        user = _user(session, user_id)
        if user.id == actor.id:
            raise ValidationError(
                "La propria password si cambia in «Il mio profilo»: una reimpostazione chiuderebbe "
                "questa sessione prima di mostrare il link."
            )
        if not user.active:
            raise ValidationError("L'utente è disattivato: riattivarlo prima di reimpostare.")
        code = _new_reset(session, user, auth._now())
        unit.audit("password_reset_started", "user", user_id, "valido 72 ore")
    return code


def unlock(session: Session, actor: Actor, user_id: int) -> None:
    with _as_admin(session, actor) as unit:
        _user(session, user_id)
        session.execute(
            update(User).where(User.id == user_id).values(locked_until=None, failed_logins=0)
        )
        unit.audit("user_unlocked", "user", user_id)


def end_user_sessions(session: Session, actor: Actor, user_id: int) -> int:
    with _as_admin(session, actor) as unit:
        _user(session, user_id)
        ended = auth.end_sessions(session, user_id)
        unit.audit("sessions_ended", "user", user_id, f"sessioni chiuse: {ended}")
    return ended


# --- The user's own: the reset link, the password, the sessions

RESET_INVALID = (
    "Il link per scegliere la password non è valido o è scaduto (vale 72 ore e una volta "
    "sola): chiederne uno nuovo all'amministratore."
)


def reset_user(engine: Engine, code: str) -> str | None:
    """The username a still-valid reset code is for (to greet them), or None."""
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.reset_hash == auth.digest(code)))
        if user is None or not user.active:
            return None
        expires = auth.aware(user.reset_expires_at)
        return user.username if expires is not None and expires > auth._now() else None


def complete_reset(engine: Engine, code: str, password: str) -> str:
    """Set the password chosen with a reset link (once); returns the username."""
    now = auth._now()
    with db.session_scope(engine) as session:
        user = session.scalar(select(User).where(User.reset_hash == auth.digest(code)))
        expires = auth.aware(user.reset_expires_at) if user else None
        if user is None or not user.active or expires is None or expires <= now:
            raise ValidationError(RESET_INVALID)
        passwords.check(password, user.username)
        actor = auth.CurrentUser(user.id, user.username, user.display_name, user.role)
        with write(session, actor) as unit:
            used = session.execute(
                update(User)
                .where(User.id == user.id, User.reset_hash == auth.digest(code))
                .values(reset_hash=None)
                .execution_options(synchronize_session=False)
            )
            if not used.rowcount:  # type: ignore[attr-defined]
                raise ValidationError(RESET_INVALID)  # the same link, used at the same moment
            _set_password(session, user, password, now)
            unit.audit("password_reset_completed", "user", user.id)
        return user.username


def _set_password(session: Session, user: User, password: str, now: dt.datetime) -> None:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.reset_hash = None
    user.reset_expires_at = None
    user.failed_logins = 0
    user.locked_until = None


def change_password(
    engine: Engine, actor: auth.CurrentUser, old: str, new: str, keep_session: int | None
) -> int:
    """Change one's own password (the old one asked); every other session ends. Returns how
    many ended."""
    now = auth._now()
    with db.session_scope(engine) as session:
        user = _user(session, actor.id)
        locked = auth.aware(user.locked_until)
        if locked is not None and locked > now:
            raise ValidationError(
                "Troppi tentativi sbagliati: la password si potrà cambiare tra 30 minuti.",
                field="old_password",
            )
        failed = not passwords.matches(user.password_hash, old)
    if failed:
        # Outside the transaction above, so it is kept: counted and audited like a failed
        # login, towards the same lock (guessing here is guessing the password).
        with db.session_scope(engine) as session:
            auth.count_failure(session, session.get(User, actor.id), "password attuale errata", now)
        raise ValidationError(
            "La password attuale non è corretta: riscriverla.", field="old_password"
        )
    with db.session_scope(engine) as session:
        user = _user(session, actor.id)
        if new == old:
            raise ValidationError(
                "La nuova password è uguale a quella attuale: sceglierne un'altra.",
                field="new_password",
            )
        reason = passwords.problem(new, user.username)
        if reason is not None:
            raise ValidationError(reason, field="new_password")
        with write(session, actor) as unit:
            _set_password(session, user, new, now)
            ended = auth.end_sessions(session, user.id, except_id=keep_session, now=now)
            unit.audit("password_changed", "user", user.id, f"altre sessioni chiuse: {ended}")
        return ended


def end_own_session(engine: Engine, actor: auth.CurrentUser, session_id: int) -> bool:
    """End one of one's own sessions (another's id is refused: nothing happens)."""
    with db.session_scope(engine) as session, write(session, actor) as unit:
        result = session.execute(
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.user_id == actor.id,
                UserSession.ended_at.is_(None),
            )
            .values(ended_at=auth._now())
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        unit.audit("session_ended", "user", actor.id, "dal profilo")
        return True
