"""The read model must always equal what the base tables say, whatever sequence of writes led there."""

import datetime as dt
import threading
import time
from collections import Counter, defaultdict

from actors import add_household, administrator, editor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import readmodel, records, referrals, taxonomy
from rete.db import session_scope
from rete.errors import NotFound, ReteError
from rete.models import (
    AuditEntry,
    Category,
    Contact,
    Household,
    Interview,
    Need,
    NeedFact,
    NeedMonthly,
    Neighbourhood,
    Partner,
    Referral,
    ReferralDays,
    ReferralEvent,
    ReferralFact,
    ReferralMonthly,
)

TODAY = dt.date(2026, 11, 25)
ENDED = ("refused", "closed", "cancelled")


def expected_referral_rollups(referrals: set) -> tuple[Counter, Counter]:
    """referral_monthly and referral_days, summed in Python from the expected referral facts."""
    monthly, days = Counter(), Counter()
    for referral in referrals:
        _, _, partner, _, month, _, neighbourhood, _, _, category, channel = referral[:11]
        status, outcome, _, days_to_accept = referral[11:]
        key = (month, neighbourhood, category, channel, partner)
        monthly[(*key, "sent")] += 1
        if status in ("accepted", "closed"):
            monthly[(*key, "accepted")] += 1
            if days_to_accept is not None:
                days[(days_to_accept, month, neighbourhood, category, channel)] += 1
        if status == "closed":
            monthly[(*key, outcome)] += 1
        if status in ("refused", "cancelled"):
            monthly[(*key, status)] += 1
    return monthly, days


def actual_referral_rollups(session: Session) -> tuple[Counter, Counter]:
    """The two roll-ups as counters; a row left at zero or below fails here."""
    monthly = Counter()
    for row in session.scalars(select(ReferralMonthly)):
        counts = {
            column: getattr(row, column) for column in readmodel.REFERRAL_MONTHLY_ROLLUP.measures
        }
        assert counts["sent"] > 0 and min(counts.values()) >= 0, counts
        key = (row.sent_month, row.neighbourhood_id, row.category_id, row.channel_code)
        for column, count in counts.items():
            if count:
                monthly[(*key, row.partner_id, column)] = count
    days = Counter()
    for row in session.scalars(select(ReferralDays)):
        assert row.referrals > 0, row.referrals
        key = (row.days_to_accept, row.sent_month, row.neighbourhood_id, row.category_id)
        days[(*key, row.channel_code)] = row.referrals
    return monthly, days


def expected_read_model(session: Session) -> tuple:
    """Recompute the read model in plain Python from the base tables."""
    live = {i.id: i for i in session.scalars(select(Interview)) if i.deleted_at is None}
    households = {h.id: h for h in session.scalars(select(Household))}
    towns = {n.id: n.municipality for n in session.scalars(select(Neighbourhood))}
    parents = {c.id: c.parent_id for c in session.scalars(select(Category))}
    facts, monthly = set(), Counter()
    for need in session.scalars(select(Need)):
        interview = live.get(need.interview_id)
        if interview is None:
            continue
        neighbourhood = households[interview.household_id].neighbourhood_id
        month = interview.held_on.year * 100 + interview.held_on.month
        facts.add(
            (
                need.id,
                interview.id,
                interview.household_id,
                interview.held_on,
                month,
                neighbourhood,
                towns[neighbourhood],
                parents[need.category_id],
                need.category_id,
                interview.channel_code,
                need.severity,
                need.status,
            )
        )
        monthly[(month, neighbourhood, need.category_id, interview.channel_code)] += 1
    fact_by_need = {fact[0]: fact for fact in facts}
    referrals = set()
    for referral in session.scalars(select(Referral)):
        fact = fact_by_need.get(referral.need_id)
        if fact is None:
            continue
        days = (referral.accepted_on - referral.sent_on).days if referral.accepted_on else None
        referrals.add(
            (
                referral.id,
                referral.need_id,
                referral.partner_id,
                referral.sent_on,
                referral.sent_on.year * 100 + referral.sent_on.month,
                referral.due_on,
                *fact[5:10],  # neighbourhood, municipality, area, category, channel
                referral.status,
                referral.outcome,
                referral.accepted_on,
                days,
            )
        )
    return facts, monthly, referrals, *expected_referral_rollups(referrals)


def actual_read_model(session: Session) -> tuple:
    facts = {
        tuple(getattr(f, c) for c in readmodel.NEED_FACT_COLUMNS)
        for f in session.scalars(select(NeedFact))
    }
    monthly = Counter()  # Counter equality ignores zeros: a row left at zero is checked apart
    for row in session.scalars(select(NeedMonthly)):
        assert row.needs > 0, row.needs
        monthly[(row.month, row.neighbourhood_id, row.category_id, row.channel_code)] = row.needs
    referrals = {
        tuple(getattr(r, c) for c in readmodel.REFERRAL_FACT_COLUMNS)
        for r in session.scalars(select(ReferralFact))
    }
    return facts, monthly, referrals, *actual_referral_rollups(session)


def setup_world(engine) -> dict:
    with session_scope(engine) as session:
        if not session.scalar(select(Partner.id)):
            neighbourhoods = taxonomy.seed_demo_neighbourhoods(session)[:3]
            for index, neighbourhood in enumerate(neighbourhoods):
                add_household(session, code=f"T{index}", neighbourhood_id=neighbourhood.id)
            partner = Partner(uuid="p-1", name="Ente di prova", kind="association")
            session.add(partner)
            session.flush()
            session.add(Contact(partner_id=partner.id, name="Referente", is_primary=True))
        needs = session.scalars(
            select(Category.id).where(Category.parent_id.is_not(None)).order_by(Category.id)
        ).all()
        areas = session.scalars(
            select(Category.id).where(Category.parent_id.is_(None)).order_by(Category.id)
        ).all()
        return {
            "households": session.scalars(select(Household.id).order_by(Household.id)).all(),
            "neighbourhoods": session.scalars(
                select(Neighbourhood.id).order_by(Neighbourhood.id)
            ).all()[:4],
            "categories": [needs[0], needs[1], needs[10], needs[20]],
            "areas": areas[:3],
            "partner": session.scalar(select(Partner.id)),
            "contact": session.scalar(select(Contact.id)),
        }


# Every public writer of rete/ that moves the read model, as a step of a random sequence.
action = st.one_of(
    st.tuples(
        st.just("record"),
        st.integers(0, 2),
        st.integers(0, 400),
        st.sampled_from(["telefono", "sportello"]),
        st.lists(st.integers(0, 3), min_size=1, max_size=3),
    ),
    st.tuples(
        st.just("edit"),
        st.integers(0, 50),
        st.integers(0, 400),
        st.sampled_from(["telefono", "visita_domiciliare"]),
        st.integers(0, 3),
        st.booleans(),  # add a need
        st.booleans(),  # drop the last need (refused when it was referred)
    ),
    st.tuples(st.just("move_household"), st.integers(0, 2), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("restore"), st.integers(0, 50)),
    st.tuples(st.just("refer"), st.integers(0, 50), st.integers(0, 20), st.booleans()),
    st.tuples(
        st.just("answer"),
        st.integers(0, 50),
        st.sampled_from(sorted(referrals.MOVES)),
        st.integers(0, 20),
    ),
    st.tuples(st.just("close_need"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("reopen_need"), st.integers(0, 50)),
    st.tuples(st.just("move_category"), st.integers(0, 3), st.integers(0, 2)),
)


def _nth(session: Session, model, index: int):
    rows = session.scalars(select(model).order_by(model.id)).all()
    return rows[index % len(rows)] if rows else None


def apply(engine, world: dict, step: tuple) -> None:
    """One step, one transaction, as a page runs it: a refused write (ReteError) is rolled
    back and leaves nothing behind."""
    try:
        with session_scope(engine) as session:
            _apply(session, world, step)
    except ReteError:
        pass


def _apply(session: Session, world: dict, step: tuple) -> None:
    kind = step[0]
    cm, admin = editor(session), administrator(session)
    if kind == "record":
        _, household, days_ago, channel, categories = step
        records.record_interview(
            session,
            cm,
            household_id=world["households"][household],
            held_on=TODAY - dt.timedelta(days=days_ago),
            channel_code=channel,
            needs=[records.NeedInput(world["categories"][c]) for c in categories],
            today=TODAY,
        )
    elif kind == "edit" and (interview := _nth(session, Interview, step[1])):
        _, _, days_ago, channel, category, add, drop = step
        existing = session.scalars(
            select(Need).where(Need.interview_id == interview.id).order_by(Need.id)
        ).all()
        needs = [records.NeedInput(n.category_id, n.severity, n.notes, n.id) for n in existing]
        needs[0] = records.NeedInput(world["categories"][category], "high", None, existing[0].id)
        if drop and len(needs) > 1:
            needs.pop()
        if add:
            needs.append(records.NeedInput(world["categories"][category], "low"))
        records.edit_interview(
            session,
            cm,
            interview.id,
            version=interview.version,
            held_on=TODAY - dt.timedelta(days=days_ago),
            channel_code=channel,
            needs=needs,
            today=TODAY,
        )
    elif kind == "move_household":
        household = session.get(Household, world["households"][step[1]])
        records.update_household(
            session,
            cm,
            household.id,
            records.HouseholdInput(household.code, world["neighbourhoods"][step[2]]),
            version=household.version,
        )
    elif kind in ("delete", "restore") and (interview := _nth(session, Interview, step[1])):
        if kind == "delete":
            records.soft_delete_interview(session, cm, interview.id)
        else:
            records.restore_interview(session, admin, interview.id)
    elif kind == "refer" and (need := _nth(session, Need, step[1])):
        held_on = session.get(Interview, need.interview_id).held_on
        referrals.send_referral(
            session,
            cm,
            referrals.ReferralInput(
                need_id=need.id,
                partner_id=world["partner"],
                contact_id=world["contact"],
                channel_code="telefono",
                sent_on=min(TODAY, held_on + dt.timedelta(days=step[2])),
                consent_given=step[3],
                consent_override_note="" if step[3] else "urgente, inquilino non raggiungibile",
            ),
            today=TODAY,
        )
    elif kind == "answer" and (referral := _nth(session, Referral, step[1])):
        start = referral.accepted_on or referral.sent_on
        referrals.move_referral(
            session,
            cm,
            referral.id,
            step[2],
            version=referral.version,
            on=min(TODAY, start + dt.timedelta(days=step[3])),
            reason={"refuse": "no_capacity", "close_negative": "no_longer_needed"}.get(step[2]),
            today=TODAY,
        )
    elif kind == "close_need" and (need := _nth(session, Need, step[1])):
        referrals.close_need(
            session,
            cm,
            need.id,
            version=need.version,
            resolved=step[2],
            reason="" if step[2] else "rinuncia dell'inquilino",
            on=TODAY,
            today=TODAY,
        )
    elif kind == "reopen_need" and (need := _nth(session, Need, step[1])):
        referrals.reopen_need(session, cm, need.id, version=need.version)
    elif kind == "move_category":
        taxonomy.move_specific_need(
            session, admin, world["categories"][step[1]], world["areas"][step[2]]
        )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(action, min_size=1, max_size=12))
def test_the_read_model_always_equals_the_base_tables(engine, steps):
    world = setup_world(engine)
    for step in steps:
        apply(engine, world, step)
    with Session(engine) as session:
        assert actual_read_model(session) == expected_read_model(session)
        assert_every_status_possible(session)


def assert_every_status_possible(session: Session) -> None:
    """No referral or need left in a state the life cycle cannot reach."""
    by_need = defaultdict(list)
    for referral in session.scalars(select(Referral)):
        by_need[referral.need_id].append((referral.status, referral.outcome))
        events = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.id)
        ).all()
        path = [event.status for event in events]
        assert path[0] == "sent" and path[-1] == referral.status, path
        assert [e.happened_on for e in events] == sorted(e.happened_on for e in events)
        assert (referral.accepted_on is not None) == ("accepted" in path)
        assert (referral.closed_on is not None) == (referral.status in ENDED)
        assert (referral.outcome is not None) == (referral.status == "closed")
        assert (referral.reason is not None) == (
            referral.status == "refused" or referral.outcome == "negative"
        )
        assert referral.consent_given or referral.consent_override_note
    for need in session.scalars(select(Need)):
        assert need.status == referrals.need_status(by_need[need.id], need.closed_as)


def test_rebuild_gives_the_same_read_model_as_the_incremental_writes(engine):
    world = setup_world(engine)
    for step in [
        ("record", 0, 3, "telefono", [0, 1]),
        ("record", 1, 40, "sportello", [2]),
        ("refer", 0, 2, True),
        ("delete", 1),
        ("answer", 0, "accept", 5),
        ("move_household", 0, 3),
        ("move_category", 0, 2),
    ]:
        apply(engine, world, step)
    with Session(engine) as session:
        before = actual_read_model(session)
    with session_scope(engine) as session:
        readmodel.rebuild(session)
    with Session(engine) as session:
        assert actual_read_model(session) == before


def test_a_failed_write_leaves_the_read_model_and_the_data_untouched(engine):
    world = setup_world(engine)
    with Session(engine) as session:
        before = actual_read_model(session), session.scalars(select(Interview.id)).all()
    try:
        with session_scope(engine) as session:
            _apply(session, world, ("record", 0, 3, "telefono", [0]))
            records.record_interview(
                session,
                editor(session),
                household_id=world["households"][0],
                held_on=TODAY + dt.timedelta(days=1),
                channel_code="telefono",
                needs=[records.NeedInput(world["categories"][0])],
                today=TODAY,
            )
    except records.ValidationError:
        pass
    with Session(engine) as session:
        assert (actual_read_model(session), session.scalars(select(Interview.id)).all()) == before


def while_the_first_writer_holds_its_rows(engine, first, second) -> list[Exception]:
    """Run `first` in a transaction that stays open half a second after its writes, and
    `second` in another transaction started meanwhile; the errors of `second`, if any."""
    first_wrote, errors = threading.Event(), []

    def first_user() -> None:
        with session_scope(engine) as session:
            first(session)
            first_wrote.set()
            time.sleep(0.5)  # changed but not committed while the second user starts

    def second_user() -> None:
        first_wrote.wait()
        try:
            with session_scope(engine) as session:
                second(session)
        except Exception as error:  # returned to the test, not swallowed
            errors.append(error)

    threads = [threading.Thread(target=first_user), threading.Thread(target=second_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_users_deleting_the_same_interview_at_once_move_the_counts_once(engine):
    """The second delete waits for the first, then finds nothing left to do."""
    world = setup_world(engine)
    apply(engine, world, ("record", 0, 3, "telefono", [0, 1]))
    apply(engine, world, ("record", 0, 5, "telefono", [0]))
    with Session(engine) as session:
        first = session.scalars(select(Interview.id).order_by(Interview.id)).first()

    def delete(session: Session) -> None:
        records.soft_delete_interview(session, editor(session), first)

    assert while_the_first_writer_holds_its_rows(engine, delete, delete) == []
    with Session(engine) as session:
        assert actual_read_model(session) == expected_read_model(session)
        deletions = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "interview_deleted")
        ).all()
    assert len(deletions) == 1


def test_a_referral_answered_while_its_interview_is_deleted_leaves_the_counts_right(engine):
    """On PostgreSQL the second writer reads the facts only after the first has committed."""
    world = setup_world(engine)
    for need in (0, 1):  # two referrals counted in the same roll-up rows
        apply(engine, world, ("record", 0, 3, "telefono", [0]))
        apply(engine, world, ("refer", need, 2, True))
    with Session(engine) as session:
        interview = session.scalars(select(Interview.id).order_by(Interview.id)).first()
        referral = session.scalars(select(Referral.id).order_by(Referral.id)).first()

    def delete(session: Session) -> None:
        records.soft_delete_interview(session, editor(session), interview)

    def answer(session: Session) -> None:
        answered = session.get(Referral, referral)
        referrals.move_referral(
            session,
            editor(session),
            referral,
            "accept",
            version=answered.version,
            on=answered.sent_on,
            today=TODAY,
        )

    errors = while_the_first_writer_holds_its_rows(engine, delete, answer)
    # SQLite's second writer waits for the first and finds the interview gone; PostgreSQL's
    # may answer first. Either way the counts must be right.
    assert all(isinstance(error, NotFound) for error in errors), errors
    with Session(engine) as session:
        assert actual_read_model(session) == expected_read_model(session)
