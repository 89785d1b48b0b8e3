"""The one write path: every public writer checks the role, audits who did it, bumps the data
version, and a refused write changes nothing."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable

import pytest
from actors import add_household, administrator, editor
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rete import auth, db, readmodel, records, referrals, taxonomy, writes
from rete.db import session_scope
from rete.directory import edit
from rete.errors import PermissionDenied
from rete.models import AuditEntry, Category, Contact, Interview, Need, Partner, Referral, User
from rete.workspace import erasure

TODAY = dt.date(2026, 11, 25)
WRITER_MODULES = (records, referrals, taxonomy, edit, erasure)


@pytest.fixture
def world(engine) -> dict:
    """A household with one interview (two needs), one referral sent, a partner with a contact,
    and a direzione user."""
    with session_scope(engine) as session:
        places = taxonomy.seed_demo_neighbourhoods(session)
        household = add_household(session, code="VA-1", neighbourhood_id=places[0].id)
        codes = {code: id_ for code, id_ in session.execute(select(Category.code, Category.id))}
        partner = Partner(uuid="p-1", name="Ente", kind="association")
        session.add(partner)
        session.flush()
        contact = Contact(partner_id=partner.id, name="Referente", is_primary=True)
        session.add(contact)
        session.flush()
        cm = editor(session)
        interview = records.record_interview(
            session,
            cm,
            household_id=household.id,
            held_on=TODAY,
            channel_code="telefono",
            needs=[records.NeedInput(codes["ABI01"]), records.NeedInput(codes["ECO01"])],
            today=TODAY,
        )
        needs = session.scalars(select(Need.id).where(Need.interview_id == interview.id)).all()
        referral = referrals.send_referral(
            session,
            cm,
            referrals.ReferralInput(needs[0], partner.id, contact.id, "telefono", TODAY, True),
            today=TODAY,
        )
        boss = auth.create_user(session, "dora", "Dora", "direzione", "password-di-prova")
        administrator(session)
        return {
            "household": household.id,
            "neighbourhood": places[1].id,
            "interview": interview.id,
            "needs": needs,
            "referral": referral.id,
            "partner": partner.id,
            "contact": contact.id,
            "codes": codes,
            "direzione": auth.CurrentUser(boss.id, "dora", "Dora", "direzione"),
        }


def version_of(session: Session, model, record_id: int) -> int:
    return session.get(model, record_id).version


def new_partner(session: Session, who: auth.CurrentUser, world: dict, name: str = "Ente nuovo"):
    """A partner with what the directory asks of one: a need covered, a place, a contact."""
    return edit.create_partner(
        session,
        who,
        edit.PartnerInput(
            name=name,
            kind="association",
            category_ids=(world["codes"]["ABI01"],),
            neighbourhood_ids=(world["neighbourhood"],),
            contacts=(edit.ContactInput(name="Anna Neri", phone="0332 123456", is_primary=True),),
        ),
        today=TODAY,
    )


def renamed(session: Session, who: auth.CurrentUser, world: dict) -> object:
    partner = new_partner(session, who, world)
    data, version = edit.partner_input(session, partner.id)
    return edit.update_partner(
        session,
        who,
        partner.id,
        edit.PartnerInput(**{**data.__dict__, "name": "Ente rinominato"}),
        version=version,
        today=TODAY,
    )


def created_then_deleted(session: Session, who: auth.CurrentUser, world: dict) -> None:
    partner = new_partner(session, who, world)
    edit.delete_partner(session, who, partner.id, version=partner.version)


# Each public writer, called as a user would: (name, role that may do it, call).
Call = Callable[[Session, auth.CurrentUser, dict], object]
WRITERS: dict[str, tuple[str, Call]] = {
    "create_household": (
        "operatore",
        lambda s, who, w: records.create_household(
            s, who, records.HouseholdInput("VA-2", w["neighbourhood"])
        ),
    ),
    "update_household": (
        "operatore",
        lambda s, who, w: records.update_household(
            s,
            who,
            w["household"],
            records.HouseholdInput("VA-1", w["neighbourhood"], members=3),
            version=version_of(s, records.Household, w["household"]),
        ),
    ),
    "record_interview": (
        "operatore",
        lambda s, who, w: records.record_interview(
            s,
            who,
            household_id=w["household"],
            held_on=TODAY,
            channel_code="sportello",
            needs=[records.NeedInput(w["codes"]["SAN01"])],
            today=TODAY,
        ),
    ),
    "edit_interview": (
        "operatore",
        lambda s, who, w: records.edit_interview(
            s,
            who,
            w["interview"],
            version=version_of(s, Interview, w["interview"]),
            held_on=TODAY - dt.timedelta(days=3),
            channel_code="sportello",
            needs=[records.NeedInput(w["codes"]["ABI02"], "high", id=w["needs"][0])],
            today=TODAY,
        ),
    ),
    "soft_delete_interview": (
        "operatore",
        lambda s, who, w: records.soft_delete_interview(s, who, w["interview"]),
    ),
    "restore_interview": (
        "admin",
        lambda s, who, w: (
            records.soft_delete_interview(s, administrator(s), w["interview"]),
            records.restore_interview(s, who, w["interview"]),
        ),
    ),
    "send_referral": (
        "operatore",
        lambda s, who, w: referrals.send_referral(
            s,
            who,
            referrals.ReferralInput(
                w["needs"][1], w["partner"], w["contact"], None, TODAY, False, "urgente"
            ),
            today=TODAY,
        ),
    ),
    "move_referral": (
        "operatore",
        lambda s, who, w: referrals.move_referral(
            s,
            who,
            w["referral"],
            "accept",
            version=version_of(s, Referral, w["referral"]),
            on=TODAY,
            today=TODAY,
        ),
    ),
    "close_need": (
        "operatore",
        lambda s, who, w: referrals.close_need(
            s,
            who,
            w["needs"][1],
            version=version_of(s, Need, w["needs"][1]),
            resolved=True,
            on=TODAY,
            today=TODAY,
        ),
    ),
    "reopen_need": (
        "operatore",
        lambda s, who, w: (
            referrals.close_need(
                s,
                administrator(s),
                w["needs"][1],
                version=version_of(s, Need, w["needs"][1]),
                resolved=True,
                on=TODAY,
                today=TODAY,
            ),
            referrals.reopen_need(
                s, who, w["needs"][1], version=version_of(s, Need, w["needs"][1])
            ),
        ),
    ),
    "rename_category": (
        "admin",
        lambda s, who, w: taxonomy.rename_category(s, who, w["codes"]["ABI01"], "Guasti"),
    ),
    "move_specific_need": (
        "admin",
        lambda s, who, w: taxonomy.move_specific_need(
            s, who, w["codes"]["ABI01"], w["codes"]["ECO"]
        ),
    ),
    "create_partner": ("operatore", new_partner),
    "update_partner": ("operatore", renamed),
    "mark_verified": (
        "operatore",
        lambda s, who, w: edit.mark_verified(
            s, who, w["partner"], TODAY, version=version_of(s, Partner, w["partner"]), today=TODAY
        ),
    ),
    "set_active": (
        "operatore",
        lambda s, who, w: edit.set_active(
            s, who, w["partner"], False, version=version_of(s, Partner, w["partner"])
        ),
    ),
    "delete_partner": ("operatore", created_then_deleted),
    "set_category_active": (
        "admin",
        lambda s, who, w: taxonomy.set_category_active(s, who, w["codes"]["ABI07"], False),
    ),
    "erase_household": (
        "admin",
        lambda s, who, w: erasure.erase_household(
            s, who, w["household"], version_of(s, records.Household, w["household"]), "request"
        ),
    ),
    "erase_households": (
        "admin",
        lambda s, who, w: erasure.erase_households(s, who, [w["household"]], "retention"),
    ),
}


def public_writers() -> set[str]:
    """Every public function of the writer modules that takes an acting user."""
    found = set()
    for module in WRITER_MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            own = function.__module__ == module.__name__ and not name.startswith("_")
            if own and "actor" in inspect.signature(function).parameters:
                found.add(name)
    return found


def test_every_public_writer_is_in_the_table_below():
    """A writer added later without a row here fails: the checks below then cover it."""
    assert public_writers() == set(WRITERS)


def audit_rows(engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_writer_audits_the_acting_user_and_moves_the_data_version(engine, world, name):
    role, call = WRITERS[name]
    before_version, before_audit = db.data_version(engine), len(audit_rows(engine))
    with session_scope(engine) as session:
        who = administrator(session) if role == "admin" else editor(session)
        call(session, who, world)
    new_entries = audit_rows(engine)[before_audit:]
    assert new_entries and new_entries[-1].user_id == who.id
    assert db.data_version(engine) > before_version


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as session:
        rows = [
            session.scalar(select(func.count()).select_from(model))
            for model in (Interview, Need, Referral, AuditEntry, User)
        ]
    return (*rows, db.data_version(engine))


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_direzione_is_refused_by_every_writer_and_nothing_changes(engine, world, name):
    _, call = WRITERS[name]
    before = counts(engine)
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        call(session, world["direzione"], world)
    assert counts(engine) == before


@pytest.mark.parametrize(
    "name", sorted(name for name, (role, _) in WRITERS.items() if role == "admin")
)
def test_the_administrators_writers_refuse_the_community_manager(engine, world, name):
    _, call = WRITERS[name]
    with pytest.raises(PermissionDenied), session_scope(engine) as session:
        call(session, editor(session), world)


def test_a_write_that_moves_the_read_model_without_an_audit_entry_is_refused(engine, world):
    with (
        pytest.raises(writes.UnauditedWrite),
        session_scope(engine) as session,
        writes.write(session, editor(session)) as unit,
        unit.changing(interview_ids=[world["interview"]]),
    ):
        pass


def test_a_write_that_changes_nothing_leaves_the_data_version_alone(engine, world):
    """Deleting an interview twice: the second finds nothing to do, and says nothing."""
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), world["interview"])
    before = counts(engine)
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), world["interview"])
    assert counts(engine) == before


def test_no_module_bypasses_the_write_path():
    """Only the write path bumps the data version or audits a change of the records
    (auth audits logins and accounts, which move no data)."""
    from pathlib import Path

    rete = Path(readmodel.__file__).parent
    offenders = []
    for source in rete.rglob("*.py"):
        text = source.read_text()
        relative = source.relative_to(rete).as_posix()
        if relative not in ("writes.py", "db.py") and "bump_data_version(" in text:
            offenders.append(relative)
        if relative not in ("writes.py", "auth.py") and "audit.record(" in text:
            offenders.append(relative)
    assert offenders == []
