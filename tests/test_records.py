"""The write side refuses bad input with an Italian message and changes nothing."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rete import auth, db, records, taxonomy
from rete.db import session_scope
from rete.errors import ValidationError
from rete.models import AuditEntry, Category, Household, Interview, Need

TODAY = dt.date(2026, 11, 25)
fixture_ok = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def place(engine) -> dict:
    with session_scope(engine) as session:
        neighbourhood = taxonomy.seed_demo_neighbourhoods(session)[0]
        household = records.create_household(
            session, code="va-1", neighbourhood_id=neighbourhood.id
        )
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
            records.create_household(
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
        records.record_interview(session, **(arguments | change))
    assert counts(engine) == before


def test_a_saved_interview_is_audited_without_its_notes(engine, place):
    with session_scope(engine) as session:
        records.record_interview(
            session,
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
