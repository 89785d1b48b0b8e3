"""Who writes in tests that only need *somebody* allowed to: one community manager and one
administrator per database, created on first use (the audit trail points to real users)."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import auth, records, taxonomy
from rete.db import session_scope
from rete.models import Category, Household, User


def _user(session: Session, username: str, role: str) -> auth.CurrentUser:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = auth.create_user(session, username, username.title(), role, "password-di-prova")
    return auth.CurrentUser(user.id, user.username, user.display_name, user.role)


def editor(session: Session) -> auth.CurrentUser:
    """A community manager (role operatore)."""
    return _user(session, "cm-prova", "operatore")


def administrator(session: Session) -> auth.CurrentUser:
    return _user(session, "admin-prova", "admin")


def add_household(
    session: Session, *, code: str, neighbourhood_id: int, members: int = 1
) -> Household:
    """A household created through the write side by the test community manager."""
    return records.create_household(
        session,
        editor(session),
        records.HouseholdInput(code=code, neighbourhood_id=neighbourhood_id, members=members),
    )


def category(session: Session, code: str) -> int:
    """The id of the category with this code (e.g. ECO01)."""
    found = session.scalar(select(Category.id).where(Category.code == code))
    assert found is not None, code
    return found


def seed_places(engine: Engine) -> dict[str, int]:
    """The demo neighbourhoods, by name."""
    with session_scope(engine) as session:
        return {place.name: place.id for place in taxonomy.seed_demo_neighbourhoods(session)}
