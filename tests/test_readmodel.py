"""The read model must always equal what the base tables say, whatever sequence of writes led there."""

import datetime as dt
import threading
import time
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import readmodel, records, taxonomy
from rete.db import session_scope
from rete.models import (
    AuditEntry,
    Category,
    Household,
    Interview,
    Need,
    NeedFact,
    NeedMonthly,
    Neighbourhood,
    Partner,
    Referral,
    ReferralDays,
    ReferralFact,
    ReferralMonthly,
)

TODAY = dt.date(2026, 11, 25)


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
                records.create_household(
                    session, code=f"T{index}", neighbourhood_id=neighbourhood.id
                )
            session.add(Partner(uuid="p-1", name="Ente di prova", kind="association"))
        needs = session.scalars(
            select(Category.id).where(Category.parent_id.is_not(None)).order_by(Category.id)
        ).all()
        return {
            "households": session.scalars(select(Household.id)).all(),
            "categories": [needs[0], needs[1], needs[10], needs[20]],
            "partner": session.scalar(select(Partner.id)),
        }


action = st.one_of(
    st.tuples(
        st.just("record"),
        st.integers(0, 2),
        st.integers(0, 400),
        st.sampled_from(["telefono", "sportello"]),
        st.lists(st.integers(0, 3), min_size=1, max_size=3),
    ),
    st.tuples(st.just("edit_need"), st.integers(0, 50), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("restore"), st.integers(0, 50)),
    st.tuples(st.just("refer"), st.integers(0, 50), st.integers(0, 20)),
    st.tuples(st.just("accept"), st.integers(0, 50), st.integers(0, 20)),
    st.tuples(
        st.just("settle"),
        st.integers(0, 50),
        st.sampled_from(["refused", "cancelled", "positive", "negative"]),
    ),
)


def apply(session: Session, world: dict, step: tuple) -> None:
    kind = step[0]
    interviews = session.scalars(select(Interview.id).order_by(Interview.id)).all()
    needs = session.scalars(select(Need.id).order_by(Need.id)).all()
    if kind == "record":
        _, household, days_ago, channel, categories = step
        records.record_interview(
            session,
            household_id=world["households"][household],
            held_on=TODAY - dt.timedelta(days=days_ago),
            channel_code=channel,
            needs=[records.NeedInput(world["categories"][c]) for c in categories],
            today=TODAY,
        )
    elif kind == "edit_need" and needs:
        records.update_need(
            session,
            needs[step[1] % len(needs)],
            category_id=world["categories"][step[2]],
            severity="high",
        )
    elif kind in ("delete", "restore") and interviews:
        target = interviews[step[1] % len(interviews)]
        (records.soft_delete_interview if kind == "delete" else records.restore_interview)(
            session, target
        )
    elif kind == "refer" and needs:
        sent = TODAY - dt.timedelta(days=step[2])
        referral = Referral(
            need_id=needs[step[1] % len(needs)],
            partner_id=world["partner"],
            sent_on=sent,
            due_on=sent + dt.timedelta(days=14),
        )
        session.add(referral)
        session.flush()
        readmodel.refresh_referral_facts(session, [referral.id])
    elif kind == "accept":
        referrals = session.scalars(
            select(Referral).where(Referral.status == "sent").order_by(Referral.id)
        ).all()
        if referrals:
            referral = referrals[step[1] % len(referrals)]
            referral.status, referral.accepted_on = (
                "accepted",
                referral.sent_on + dt.timedelta(days=step[2]),
            )
            readmodel.refresh_referral_facts(session, [referral.id])
    elif kind == "settle":
        referrals = session.scalars(select(Referral).order_by(Referral.id)).all()
        if referrals:
            referral = referrals[step[1] % len(referrals)]
            if step[2] in ("positive", "negative"):
                referral.status, referral.outcome = "closed", step[2]
                referral.accepted_on = referral.accepted_on or referral.sent_on
            else:
                referral.status, referral.outcome, referral.accepted_on = step[2], None, None
            readmodel.refresh_referral_facts(session, [referral.id])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(action, min_size=1, max_size=12))
def test_the_read_model_always_equals_the_base_tables(engine, steps):
    world = setup_world(engine)
    with session_scope(engine) as session:
        for step in steps:
            apply(session, world, step)
    with Session(engine) as session:
        assert actual_read_model(session) == expected_read_model(session)


def test_rebuild_gives_the_same_read_model_as_the_incremental_writes(engine):
    world = setup_world(engine)
    with session_scope(engine) as session:
        for step in [
            ("record", 0, 3, "telefono", [0, 1]),
            ("record", 1, 40, "sportello", [2]),
            ("refer", 0, 2),
            ("delete", 1),
            ("accept", 0, 5),
        ]:
            apply(session, world, step)
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
            apply(session, world, ("record", 0, 3, "telefono", [0]))
            records.record_interview(
                session,
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
    with session_scope(engine) as session:
        apply(session, world, ("record", 0, 3, "telefono", [0, 1]))
        apply(session, world, ("record", 0, 5, "telefono", [0]))
        first = session.scalars(select(Interview.id).order_by(Interview.id)).first()

    def delete(session: Session) -> None:
        records.soft_delete_interview(session, first)

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
    with session_scope(engine) as session:
        for need in (0, 1):  # two referrals counted in the same roll-up rows
            apply(session, world, ("record", 0, 3, "telefono", [0]))
            apply(session, world, ("refer", need, 2))
        interview = session.scalars(select(Interview.id).order_by(Interview.id)).first()
        referral = session.scalars(select(Referral.id).order_by(Referral.id)).first()

    def delete(session: Session) -> None:
        records.soft_delete_interview(session, interview)

    def answer(session: Session) -> None:
        answered = session.get(Referral, referral)
        answered.status, answered.accepted_on = "accepted", answered.sent_on
        readmodel.refresh_referral_facts(session, [referral])

    assert while_the_first_writer_holds_its_rows(engine, delete, answer) == []
    with Session(engine) as session:
        assert actual_read_model(session) == expected_read_model(session)
