"""The write side refuses bad input with an Italian message and changes nothing."""

import datetime as dt
from dataclasses import replace

import pytest
from actors import add_household, editor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rete import auth, db, records, taxonomy
from rete.db import session_scope
from rete.errors import ConcurrentEdit, IllegalMove, NotFound, ValidationError
from rete.models import AuditEntry, Category, Household, Interview, Need, Neighbourhood

TODAY = dt.date(2026, 11, 25)
fixture_ok = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def place(engine) -> dict:
    with session_scope(engine) as session:
        neighbourhood = taxonomy.seed_demo_neighbourhoods(session)[0]
        household = add_household(session, code="va-1", neighbourhood_id=neighbourhood.id)
        specific = session.scalars(
            select(Category.id).where(Category.parent_id.is_not(None))
        ).first()
        area = session.scalars(select(Category.id).where(Category.parent_id.is_(None))).first()
    return {
        "neighbourhood": neighbourhood.id,
        "household": household.id,
        "need": specific,
        "area": area,
    }


def counts(engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(m))
            for m in (Household, Interview, Need, AuditEntry)
        )


def test_household_codes_are_stored_trimmed_and_upper_case(engine, place):
    with Session(engine) as session:
        assert session.get(Household, place["household"]).code == "VA-1"


@fixture_ok
@given(
    code=st.one_of(st.text(max_size=50), st.from_regex(r"[a-z]{2}-[0-9]{1,45}", fullmatch=True)),
    members=st.integers(-5, 40),
)
def test_any_household_input_is_saved_or_refused_in_italian_never_half_saved(
    engine, place, code, members
):
    before = counts(engine)
    version = db.data_version(engine)
    try:
        with session_scope(engine) as session:
            add_household(
                session, code=code, neighbourhood_id=place["neighbourhood"], members=members
            )
    except ValidationError as error:
        assert str(error)[0].isupper() and str(error).endswith(".")
        assert counts(engine) == before and db.data_version(engine) == version
    else:
        assert records.HOUSEHOLD_CODE.match(code.strip().upper()) and 1 <= members <= 30
        assert counts(engine)[0] == before[0] + 1 and db.data_version(engine) > version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"held_on": TODAY + dt.timedelta(days=1)}, "nel futuro"),
        ({"channel_code": "piccione"}, "Canale non valido"),
        ({"needs": []}, "almeno un bisogno"),
        ({"household_id": 999_999}, "Nucleo non trovato"),
        ({"needs": "area"}, "bisogno specifico valido"),
        ({"needs": "severity"}, "Gravità non valida"),
    ],
)
def test_an_invalid_interview_is_refused_and_nothing_is_saved(engine, place, change, message):
    arguments = {
        "household_id": place["household"],
        "held_on": TODAY,
        "channel_code": "telefono",
        "needs": [records.NeedInput(place["need"])],
        "today": TODAY,
    }
    if change.get("needs") == "area":
        change = {"needs": [records.NeedInput(place["area"])]}
    elif change.get("needs") == "severity":
        change = {"needs": [records.NeedInput(place["need"], severity="gravissima")]}
    before = counts(engine)
    with pytest.raises(ValidationError, match=message), session_scope(engine) as session:
        records.record_interview(session, editor(session), **(arguments | change))
    assert counts(engine) == before


def test_a_saved_interview_is_audited_without_its_notes(engine, place):
    with session_scope(engine) as session:
        records.record_interview(
            session,
            editor(session),
            household_id=place["household"],
            held_on=TODAY,
            channel_code="telefono",
            needs=[records.NeedInput(place["need"], notes="vive da sola, depressa")],
            notes="segreto",
            today=TODAY,
        )
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "interview_created" and entry.entity == "interview"
    assert "segreto" not in (entry.summary or "") and "depressa" not in (entry.summary or "")


@settings(max_examples=60, deadline=None)
@given(username=st.text(max_size=70))
def test_usernames_follow_one_rule(username):
    valid = auth.USERNAME_PATTERN.match(username.strip().lower()) is not None
    assert valid == (
        2 <= len(username.strip()) <= 60
        and all(c.isascii() and (c.isalnum() or c in "._-") for c in username.strip().lower())
        and username.strip().lower()[0].isalnum()
    )


# --- Households: details, contact block, moving


def test_a_household_contact_block_is_validated_and_an_empty_one_is_no_block(engine, place):
    from rete.models import HouseholdContact

    def save(contact: records.ContactInput) -> None:
        with session_scope(engine) as session:
            household = session.get(Household, place["household"])
            records.update_household(
                session,
                editor(session),
                household.id,
                records.HouseholdInput(household.code, place["neighbourhood"]),
                contact,
                version=household.version,
            )

    with pytest.raises(ValidationError, match="non sembra un numero italiano"):
        save(records.ContactInput("Maria Rossi", "12ab", ""))
    with pytest.raises(ValidationError, match=r"nome@dominio\.it"):
        save(records.ContactInput("Maria Rossi", "", "maria@"))
    save(records.ContactInput("  Maria Rossi ", "+39 333 123 4567", "maria@example.org"))
    with Session(engine) as session:
        row = session.get(HouseholdContact, place["household"])
        assert (row.full_name, row.phone, row.email) == (
            "Maria Rossi",
            "+39 333 123 4567",
            "maria@example.org",
        )
    save(records.ContactInput("", " ", ""))
    with Session(engine) as session:
        assert session.get(HouseholdContact, place["household"]) is None


def test_a_second_save_of_the_same_household_is_refused_not_overwritten(engine, place):
    with Session(engine) as session:
        opened = session.get(Household, place["household"]).version
    with session_scope(engine) as session:
        records.update_household(
            session,
            editor(session),
            place["household"],
            records.HouseholdInput("VA-1", place["neighbourhood"], members=4),
            version=opened,
        )
    with pytest.raises(ConcurrentEdit, match="Qualcun altro"), session_scope(engine) as session:
        records.update_household(
            session,
            editor(session),
            place["household"],
            records.HouseholdInput("VA-1", place["neighbourhood"], members=2),
            version=opened,  # what the second user had on screen
        )
    with Session(engine) as session:
        assert session.get(Household, place["household"]).members == 4


def test_a_household_moving_takes_its_needs_to_the_new_neighbourhood(engine, place):
    from rete import queries
    from rete.filters import Filters

    with session_scope(engine) as session:
        records.record_interview(
            session,
            editor(session),
            household_id=place["household"],
            held_on=TODAY,
            channel_code="telefono",
            needs=[records.NeedInput(place["need"])],
            today=TODAY,
        )
        other = session.scalars(
            select(Neighbourhood.id).where(Neighbourhood.id != place["neighbourhood"])
        ).first()
        household = session.get(Household, place["household"])
        records.update_household(
            session,
            editor(session),
            household.id,
            records.HouseholdInput(household.code, other),
            version=household.version,
        )
    period = Filters(period="2026-11", start=202611, end=202611)
    there = queries.kpis(engine, replace(period, neighbourhood_ids=(other,)), TODAY)
    before = queries.kpis(
        engine, replace(period, neighbourhood_ids=(place["neighbourhood"],)), TODAY
    )
    assert (there.interviews, there.households, there.needs) == (1, 1, 1)
    assert (before.interviews, before.households, before.needs) == (0, 0, 0)


# --- Interviews: corrections


@pytest.fixture
def interview(engine, place) -> dict:
    with session_scope(engine) as session:
        codes = {c: i for c, i in session.execute(select(Category.code, Category.id))}
        saved = records.record_interview(
            session,
            editor(session),
            household_id=place["household"],
            held_on=TODAY - dt.timedelta(days=2),
            channel_code="telefono",
            needs=[records.NeedInput(codes["ABI01"]), records.NeedInput(codes["ECO01"])],
            today=TODAY,
        )
        needs = session.scalars(
            select(Need.id).where(Need.interview_id == saved.id).order_by(Need.id)
        ).all()
    return {"id": saved.id, "needs": needs, "codes": codes}


def edit(engine, interview, needs, *, version=None, held_on=TODAY) -> None:
    with session_scope(engine) as session:
        records.edit_interview(
            session,
            editor(session),
            interview["id"],
            version=version or session.get(Interview, interview["id"]).version,
            held_on=held_on,
            channel_code="sportello",
            needs=needs,
            notes="  corretto ",
            today=TODAY,
        )


def test_an_interview_is_corrected_with_a_need_changed_one_added_and_one_removed(engine, interview):
    codes = interview["codes"]
    edit(
        engine,
        interview,
        [
            records.NeedInput(codes["SAN01"], "urgent", id=interview["needs"][0]),
            records.NeedInput(codes["FAM01"], "low"),
        ],
    )
    with Session(engine) as session:
        saved = session.get(Interview, interview["id"])
        needs = session.scalars(
            select(Need).where(Need.interview_id == saved.id).order_by(Need.id)
        ).all()
        assert (saved.held_on, saved.channel_code, saved.notes) == (TODAY, "sportello", "corretto")
        assert [(n.category_id, n.severity) for n in needs] == [
            (codes["SAN01"], "urgent"),
            (codes["FAM01"], "low"),
        ]
        assert needs[0].id == interview["needs"][0]


def test_a_second_save_of_the_same_interview_is_refused_and_keeps_the_first(engine, interview):
    with Session(engine) as session:
        opened = session.get(Interview, interview["id"]).version
    keep = [records.NeedInput(interview["codes"]["ABI01"], id=interview["needs"][0])]
    edit(engine, interview, keep, version=opened)
    with pytest.raises(ConcurrentEdit):
        edit(engine, interview, keep, version=opened, held_on=TODAY - dt.timedelta(days=9))
    with Session(engine) as session:
        assert session.get(Interview, interview["id"]).held_on == TODAY


def test_a_need_already_referred_cannot_be_removed_from_its_interview(engine, interview):
    from rete import referrals
    from rete.models import Partner

    with session_scope(engine) as session:
        partner = Partner(uuid="p", name="Ente", kind="other")
        session.add(partner)
        session.flush()
        referrals.send_referral(
            session,
            editor(session),
            referrals.ReferralInput(interview["needs"][1], partner.id, None, None, TODAY, True),
            today=TODAY,
        )
    before = counts(engine)
    with pytest.raises(IllegalMove, match="già stato segnalato"):
        edit(
            engine,
            interview,
            [records.NeedInput(interview["codes"]["ABI01"], id=interview["needs"][0])],
        )
    assert counts(engine) == before


def test_an_interview_of_another_household_cannot_be_given_its_needs(engine, interview, place):
    """A need id from elsewhere is refused, never moved across interviews."""
    with session_scope(engine) as session:
        other = records.record_interview(
            session,
            editor(session),
            household_id=place["household"],
            held_on=TODAY,
            channel_code="telefono",
            needs=[records.NeedInput(place["need"])],
            today=TODAY,
        )
    stranger = interview["needs"][0]
    with pytest.raises(NotFound), session_scope(engine) as session:
        records.edit_interview(
            session,
            editor(session),
            other.id,
            version=1,
            held_on=TODAY,
            channel_code="telefono",
            needs=[records.NeedInput(place["need"], id=stranger)],
            today=TODAY,
        )
