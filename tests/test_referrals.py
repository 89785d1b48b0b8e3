"""The referral life cycle: every move allowed or refused, dates, reasons, consent, concurrency."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from actors import add_household, editor
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import config, records, referrals, taxonomy
from rete.db import session_scope
from rete.errors import ConcurrentEdit, IllegalMove, NotFound, ValidationError
from rete.models import (
    AuditEntry,
    Category,
    Contact,
    Need,
    NeedFact,
    Partner,
    Referral,
    ReferralEvent,
    ReferralFact,
    Setting,
)

TODAY = dt.date(2026, 11, 25)
HELD_ON = TODAY - dt.timedelta(days=30)


@pytest.fixture
def need(engine) -> dict:
    """One need found 30 days ago; a partner with two contacts, another partner with none."""
    with session_scope(engine) as session:
        place = taxonomy.seed_demo_neighbourhoods(session)[0]
        household = add_household(session, code="VA-9", neighbourhood_id=place.id)
        category = session.scalar(select(Category.id).where(Category.code == "ECO01"))
        interview = records.record_interview(
            session,
            editor(session),
            household_id=household.id,
            held_on=HELD_ON,
            channel_code="ufficio_mobile",
            needs=[records.NeedInput(category)],
            today=TODAY,
        )
        partners = [Partner(uuid=f"p-{k}", name=f"Ente {k}", kind="association") for k in (1, 2)]
        session.add_all(partners)
        session.flush()
        contacts = [Contact(partner_id=partners[0].id, name=n) for n in ("Anna", "Bruno")]
        session.add_all(contacts)
        session.flush()
        need_id = session.scalar(select(Need.id).where(Need.interview_id == interview.id))
    return {
        "need": need_id,
        "interview": interview.id,
        "partner": partners[0].id,
        "contact": contacts[0].id,
        "other_partner": partners[1].id,
        "other_contact": contacts[1].id,
    }


def send(engine, need: dict, **change) -> int:
    data = {
        "need_id": need["need"],
        "partner_id": need["partner"],
        "contact_id": need["contact"],
        "channel_code": "telefono",
        "sent_on": HELD_ON + dt.timedelta(days=1),
        "consent_given": True,
    } | change
    with session_scope(engine) as session:
        return referrals.send_referral(
            session, editor(session), referrals.ReferralInput(**data), today=TODAY
        ).id


def move(engine, referral_id: int, key: str, *, on=None, reason=None, note="", version=None):
    with session_scope(engine) as session:
        current = session.get(Referral, referral_id)
        referrals.move_referral(
            session,
            editor(session),
            referral_id,
            key,
            version=current.version if version is None else version,
            on=on or TODAY,
            reason=reason,
            note=note,
            today=TODAY,
        )


REASONS = {"refuse": "no_capacity", "close_negative": "unreachable_tenant"}
# How to bring a referral to each status from "sent".
PATHS = {
    "sent": [],
    "accepted": ["accept"],
    "refused": ["refuse"],
    "closed": ["accept", "close_positive"],
    "cancelled": ["cancel"],
}
ALLOWED = {
    ("sent", "accept"),
    ("sent", "refuse"),
    ("sent", "cancel"),
    ("accepted", "close_positive"),
    ("accepted", "close_negative"),
    ("accepted", "cancel"),
}
REFUSED_BECAUSE = {
    "sent": "non ha ancora preso in carico",
    "accepted": "già",
    "refused": "già rifiutato",
    "closed": "già conclusa",
    "cancelled": "annullata",
}


@pytest.mark.parametrize(("status", "key"), list(itertools.product(PATHS, sorted(referrals.MOVES))))
def test_every_move_from_every_status_is_allowed_or_refused_in_italian(engine, need, status, key):
    referral = send(engine, need)
    for step in PATHS[status]:
        move(engine, referral, step, reason=REASONS.get(step))
    if (status, key) in ALLOWED:
        move(engine, referral, key, reason=REASONS.get(key))
        with Session(engine) as session:
            assert session.get(Referral, referral).status == referrals.MOVES[key].target
        return
    with Session(engine) as session:
        before = session.get(Referral, referral).version
    with pytest.raises(IllegalMove, match=REFUSED_BECAUSE[status]):
        move(engine, referral, key, reason=REASONS.get(key))
    with Session(engine) as session:
        after = session.get(Referral, referral)
        assert (after.status, after.version) == (status, before)


def test_the_table_of_moves_is_the_life_cycle_of_the_design():
    table = {(s, m.key) for m in referrals.MOVES.values() for s in m.sources}
    assert table == ALLOWED


@pytest.mark.parametrize(
    ("key", "reason", "note", "message"),
    [
        ("refuse", None, "", "Indicare il motivo"),
        ("refuse", "simpatia", "", "Indicare il motivo"),
        ("refuse", "other", "", "altro"),
        ("close_negative", None, "", "Indicare il motivo"),
    ],
)
def test_a_refusal_or_a_negative_outcome_needs_a_reason(engine, need, key, reason, note, message):
    referral = send(engine, need)
    if key == "close_negative":
        move(engine, referral, "accept")
    with pytest.raises(ValidationError, match=message):
        move(engine, referral, key, reason=reason, note=note)


def test_a_move_records_its_day_its_reason_and_who_in_the_history(engine, need):
    referral = send(engine, need, note="chiamata la referente")
    answered = HELD_ON + dt.timedelta(days=6)
    move(engine, referral, "accept", on=answered)
    move(engine, referral, "close_negative", reason="other", note="trasferito")
    with Session(engine) as session:
        saved = session.get(Referral, referral)
        events = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral)
            .order_by(ReferralEvent.id)
        ).all()
        fact = session.get(ReferralFact, referral)
        cm = editor(session)
    assert (saved.accepted_on, saved.closed_on, saved.outcome, saved.reason) == (
        answered,
        TODAY,
        "negative",
        "other",
    )
    assert [(e.status, e.happened_on, e.reason, e.note) for e in events] == [
        ("sent", HELD_ON + dt.timedelta(days=1), None, "chiamata la referente"),
        ("accepted", answered, None, None),
        ("closed", TODAY, "other", "trasferito"),
    ]
    assert {e.user_id for e in events} == {cm.id}
    # Lead time from the days entered, never from the moment of the save.
    assert fact.days_to_accept == 5


@pytest.mark.parametrize(
    ("key", "on", "message"),
    [
        ("accept", TODAY + dt.timedelta(days=1), "nel futuro"),
        ("accept", HELD_ON, "non può precedere"),
        ("refuse", HELD_ON - dt.timedelta(days=3), "non può precedere"),
    ],
)
def test_an_answer_dated_in_the_future_or_before_the_sending_is_refused(
    engine, need, key, on, message
):
    referral = send(engine, need)
    with pytest.raises(ValidationError, match=message):
        move(engine, referral, key, on=on, reason=REASONS.get(key))


def test_a_closing_cannot_precede_the_taking_in_charge(engine, need):
    referral = send(engine, need)
    move(engine, referral, "accept", on=TODAY - dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="presa in carico"):
        move(engine, referral, "close_positive", on=TODAY - dt.timedelta(days=3))


def test_answering_with_a_stale_screen_is_refused_with_the_current_state(engine, need):
    """Two users open the same referral; the first records "presa in carico"; the second,
    still seeing "inviata", records a refusal: refused, nothing overwritten."""
    referral = send(engine, need)
    with Session(engine) as session:
        seen = session.get(Referral, referral).version
    move(engine, referral, "accept", version=seen)
    with pytest.raises(IllegalMove, match="già preso in carico"):
        move(engine, referral, "refuse", reason="no_capacity", version=seen)
    with pytest.raises(ConcurrentEdit):
        move(engine, referral, "close_positive", version=seen)
    with Session(engine) as session:
        assert session.get(Referral, referral).status == "accepted"


# --- Sending


def test_a_referral_without_consent_needs_a_note_and_is_audited(engine, need):
    with pytest.raises(ValidationError, match="consenso"):
        send(engine, need, consent_given=False)
    referral = send(engine, need, consent_given=False, consent_override_note="emergenza sfratto")
    with Session(engine) as session:
        saved = session.get(Referral, referral)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == referral)
        ).all()
    assert (saved.consent_given, saved.consent_override_note) == (False, "emergenza sfratto")
    assert "referral_consent_override" in actions


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"contact_id": "other_contact_of_nobody"}, ValidationError, "non lavora presso"),
        ({"contact_id": None}, ValidationError, "Scegliere il referente"),
        ({"sent_on": TODAY + dt.timedelta(days=1)}, ValidationError, "nel futuro"),
        ({"sent_on": HELD_ON - dt.timedelta(days=1)}, ValidationError, "precedere il colloquio"),
        ({"channel_code": "piccione"}, ValidationError, "Canale non valido"),
        ({"partner_id": 999_999}, ValidationError, "ente attivo"),
    ],
)
def test_a_bad_referral_is_refused_and_nothing_is_sent(engine, need, change, error, message):
    if change.get("contact_id") == "other_contact_of_nobody":
        with session_scope(engine) as session:
            stranger = Contact(partner_id=need["other_partner"], name="Carla")
            session.add(stranger)
            session.flush()
            change = {"contact_id": stranger.id}
    with pytest.raises(error, match=message):
        send(engine, need, **change)
    with Session(engine) as session:
        assert session.scalars(select(Referral)).all() == []
        assert session.get(Need, need["need"]).status == "open"


def test_a_partner_without_contacts_takes_a_referral_without_one(engine, need):
    send(engine, need, partner_id=need["other_partner"], contact_id=None)


def test_the_same_need_is_not_sent_twice_to_a_partner_still_on_it(engine, need):
    send(engine, need)
    with pytest.raises(ValidationError, match="già segnalato"):
        send(engine, need)
    send(engine, need, partner_id=need["other_partner"], contact_id=None)  # another partner: fine


def test_a_referral_of_a_deleted_interview_cannot_be_sent_or_answered(engine, need):
    referral = send(engine, need)
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), need["interview"])
    with pytest.raises(NotFound):
        move(engine, referral, "accept")
    with pytest.raises(NotFound):
        send(engine, need, partner_id=need["other_partner"], contact_id=None)


def test_the_due_day_follows_the_overdue_setting_at_sending_time(engine, need):
    with session_scope(engine) as session:
        session.add(Setting(key=config.SETTING_OVERDUE_DAYS, value="7"))
    referral = send(engine, need, sent_on=TODAY - dt.timedelta(days=10))
    with Session(engine) as session:
        assert session.get(Referral, referral).due_on == TODAY - dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("status", "days_after_due", "overdue"),
    [("sent", 0, False), ("sent", 1, True), ("accepted", 30, False), ("refused", 30, False)],
)
def test_in_ritardo_means_still_waiting_from_the_day_after_the_due_day(
    status, days_after_due, overdue
):
    due = dt.date(2026, 11, 10)
    assert referrals.is_overdue(status, due, due + dt.timedelta(days=days_after_due)) is overdue


# --- The need's status


def need_status(engine, need_id: int) -> tuple[str, str]:
    with Session(engine) as session:
        return session.get(Need, need_id).status, session.get(NeedFact, need_id).status


def test_the_need_follows_its_referrals_in_the_base_table_and_the_read_model(engine, need):
    assert need_status(engine, need["need"]) == ("open", "open")
    first = send(engine, need)
    assert need_status(engine, need["need"]) == ("in_progress", "in_progress")
    move(engine, first, "refuse", reason="out_of_area")
    assert need_status(engine, need["need"]) == ("unresolved", "unresolved")
    second = send(engine, need, partner_id=need["other_partner"], contact_id=None)
    move(engine, second, "accept")
    move(engine, second, "close_positive")
    assert need_status(engine, need["need"]) == ("resolved", "resolved")


def close(engine, need_id: int, *, resolved: bool, reason: str = "") -> None:
    with session_scope(engine) as session:
        referrals.close_need(
            session,
            editor(session),
            need_id,
            version=session.get(Need, need_id).version,
            resolved=resolved,
            reason=reason,
            on=TODAY,
            today=TODAY,
        )


def test_a_need_is_closed_without_a_referral_and_reopened(engine, need):
    with pytest.raises(ValidationError, match="motivo"):
        close(engine, need["need"], resolved=False)
    close(engine, need["need"], resolved=False, reason="l'inquilino ha rinunciato")
    assert need_status(engine, need["need"]) == ("unresolved", "unresolved")
    with session_scope(engine) as session:
        referrals.reopen_need(
            session, editor(session), need["need"], version=session.get(Need, need["need"]).version
        )
    assert need_status(engine, need["need"]) == ("open", "open")
    close(engine, need["need"], resolved=True)
    assert need_status(engine, need["need"]) == ("resolved", "resolved")


def test_a_need_with_an_open_referral_cannot_be_closed_by_hand(engine, need):
    send(engine, need)
    with pytest.raises(IllegalMove, match="ancora aperta"):
        close(engine, need["need"], resolved=True)


def test_a_new_referral_reopens_a_need_closed_by_hand(engine, need):
    close(engine, need["need"], resolved=False, reason="non rintracciabile")
    send(engine, need)
    with Session(engine) as session:
        assert session.get(Need, need["need"]).closed_as is None
    assert need_status(engine, need["need"]) == ("in_progress", "in_progress")


@pytest.mark.parametrize(
    ("states", "closed_as", "status"),
    [
        ([], None, "open"),
        ([("cancelled", None)], None, "open"),
        ([("sent", None)], None, "in_progress"),
        ([("sent", None)], "resolved", "in_progress"),
        ([("refused", None), ("accepted", None)], None, "in_progress"),
        ([("closed", "negative"), ("closed", "positive")], None, "resolved"),
        ([("closed", "positive")], "unresolved", "unresolved"),
        ([("closed", "negative")], None, "unresolved"),
        ([("refused", None), ("cancelled", None)], None, "unresolved"),
        ([], "resolved", "resolved"),
    ],
)
def test_need_status_follows_the_rule(states, closed_as, status):
    assert referrals.need_status(states, closed_as) == status


referral_state = st.tuples(
    st.sampled_from(list(PATHS)), st.sampled_from([None, "positive", "negative"])
)


@given(st.lists(referral_state, max_size=6), st.sampled_from([None, "resolved", "unresolved"]))
def test_a_need_is_in_progress_exactly_while_a_referral_is_open(states, closed_as):
    status = referrals.need_status(states, closed_as)
    assert (status == "in_progress") == any(s in ("sent", "accepted") for s, _ in states)
    assert status in ("open", "in_progress", "resolved", "unresolved")
