"""Who writes in tests that only need *somebody* allowed to: one community manager and one
administrator per database, created on first use (the audit trail points to real users)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import auth, records, referrals, taxonomy
from rete.db import session_scope
from rete.models import Category, Household, Referral, User


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


def send(engine: Engine, need_id: int, partner_id: int, sent_on: dt.date, today: dt.date) -> int:
    """A referral of the need to the partner, with consent, by the community manager."""
    with session_scope(engine) as session:
        return referrals.send_referral(
            session,
            editor(session),
            referrals.ReferralInput(
                need_id=need_id,
                partner_id=partner_id,
                contact_id=None,
                channel_code="telefono",
                sent_on=sent_on,
                consent_given=True,
            ),
            today=today,
        ).id


def answer(engine: Engine, referral_id: int, *moves: tuple[str, dt.date], today: dt.date) -> None:
    """The partner's answers, each move on its day (a refusal: no capacity)."""
    for key, on in moves:
        with session_scope(engine) as session:
            referrals.move_referral(
                session,
                editor(session),
                referral_id,
                key,
                version=session.get(Referral, referral_id).version,  # type: ignore[union-attr]
                on=on,
                reason="no_capacity" if key == "refuse" else None,
                today=today,
            )
