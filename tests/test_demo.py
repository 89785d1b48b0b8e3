"""The demo data: reproducible, plausible, consistent with every rule of the data model."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from actors import add_household, editor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from rete import auth, config, db, demo, demo_cast, readmodel, records, referrals, taxonomy
from rete.db import session_scope
from rete.errors import NotEmptyError, ValidationError
from rete.models import (
    AuditEntry,
    Base,
    Category,
    Channel,
    Contact,
    Household,
    Interview,
    Need,
    Neighbourhood,
    Partner,
    PartnerArea,
    PartnerCategory,
    Referral,
    ReferralEvent,
    Setting,
    User,
)

SMALL = 60
SEED = 7
# Rows made by the ORM or by argon2 carry the clock or a random salt: left out of fingerprints.
NOT_REPRODUCIBLE = {"created_at", "password_hash", "password_changed_at"}  # clocks, salts
FINGERPRINT_SKIPS = {"audit_entry", "user_session", "data_version"}
VALID_PATHS = {
    ("sent",),
    ("sent", "accepted"),
    ("sent", "refused"),
    ("sent", "cancelled"),
    ("sent", "accepted", "closed"),
    ("sent", "accepted", "cancelled"),
}


def load(engine: Engine, today: dt.date, **options: Any) -> str:
    options = {"households": SMALL, "seed": SEED, "today": today, **options}
    return demo.load_demo(engine, **options)


def _plain(value: Any) -> Any:
    """Moments as naive UTC, so SQLite and PostgreSQL rows compare equal."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def fingerprint(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, in primary-key order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in FINGERPRINT_SKIPS:
                continue
            columns = [c for c in table.columns if c.name not in NOT_REPRODUCIBLE]
            query = select(*columns).order_by(*table.primary_key.columns)
            rows = connection.execute(query).all()
            tables[table.name] = [tuple(_plain(v) for v in row) for row in rows]
    return tables


def read_model(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    prints = fingerprint(engine)
    return {
        name: prints[name]
        for name in (
            "need_fact",
            "need_monthly",
            "referral_fact",
            "referral_monthly",
            "referral_days",
        )
    }


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def other_sqlite(tmp_path: Path) -> Iterator[Engine]:
    """A second fresh database, to load the same demo twice side by side."""
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    yield engine
    db.dispose_engine(url)


# --- Invariants, checked on any demo load


def assert_demo_invariants(engine: Engine, today: dt.date, months: int) -> None:
    with Session(engine) as session:
        assert_dates_in_the_window(session, today, months)
        assert_every_interview_has_a_need(session)
        assert_referral_fields_follow_the_status(session)
        assert_events_retrace_each_referral(session)
        assert_partners_fit_the_needs_they_receive(session)
        assert_need_status_follows_the_referrals(session)


def assert_dates_in_the_window(session: Session, today: dt.date, months: int) -> None:
    earliest = today - dt.timedelta(days=31 * months)
    for (held_on,) in session.execute(select(Interview.held_on)):
        assert earliest <= held_on <= today
    for row in session.execute(
        select(Referral.sent_on, Referral.consent_on, Referral.accepted_on, Referral.closed_on)
    ):
        assert all(day <= today for day in row if day is not None)
    for (moment,) in session.execute(select(ReferralEvent.at)):
        assert moment.date() <= today
    for partner in session.scalars(select(Partner)):
        assert partner.joined_on and partner.last_verified_on
        assert partner.joined_on <= partner.last_verified_on <= today


def assert_every_interview_has_a_need(session: Session) -> None:
    without = session.scalar(
        select(func.count())
        .select_from(Interview)
        .where(~select(Need.id).where(Need.interview_id == Interview.id).exists())
    )
    assert without == 0


def assert_referral_fields_follow_the_status(session: Session) -> None:
    rows = session.execute(
        select(Referral, Interview.held_on)
        .join(Need, Need.id == Referral.need_id)
        .join(Interview, Interview.id == Need.interview_id)
    ).all()
    for referral, held_on in rows:
        assert held_on <= referral.sent_on
        assert referral.due_on == referral.sent_on + dt.timedelta(days=14)
        assert referral.consent_given and referral.consent_on == referral.sent_on
        assert_fields_match(referral)


def assert_fields_match(r: Referral) -> None:
    if r.status == "sent":
        assert (r.accepted_on, r.closed_on, r.outcome, r.reason) == (None, None, None, None)
    elif r.status == "accepted":
        assert r.accepted_on is not None and r.accepted_on >= r.sent_on
        assert (r.closed_on, r.outcome, r.reason) == (None, None, None)
    elif r.status == "refused":
        assert r.accepted_on is None and r.outcome is None
        assert r.closed_on is not None and r.closed_on >= r.sent_on
        assert r.reason in taxonomy.REFUSAL_REASONS
    elif r.status == "closed":
        assert r.accepted_on is not None and r.closed_on is not None
        assert r.sent_on <= r.accepted_on < r.closed_on
        assert r.outcome in ("positive", "negative")
        if r.outcome == "negative":
            assert r.reason in taxonomy.NEGATIVE_REASONS
        else:
            assert r.reason is None
    else:
        assert r.status == "cancelled"
        assert r.closed_on is not None and r.closed_on > (r.accepted_on or r.sent_on)
        assert r.outcome is None and r.reason is None


def assert_events_retrace_each_referral(session: Session) -> None:
    events = defaultdict(list)
    for event in session.scalars(select(ReferralEvent).order_by(ReferralEvent.at)):
        events[event.referral_id].append(event)
    operator = session.scalar(text("SELECT id FROM \"user\" WHERE username = 'operatore'"))
    for referral in session.scalars(select(Referral)):
        path = events[referral.id]
        assert tuple(e.status for e in path) in VALID_PATHS
        assert path[-1].status == referral.status
        days = {e.status: e.at.date() for e in path}
        assert days["sent"] == referral.sent_on
        assert days.get("accepted") == referral.accepted_on
        if referral.status in ("refused", "closed", "cancelled"):
            assert days[referral.status] == referral.closed_on
        assert {e.user_id for e in path} == {operator}


def assert_partners_fit_the_needs_they_receive(session: Session) -> None:
    """Each referral goes to a partner that takes the specific need (or at least its area),
    serves the household's neighbourhood or municipality, and is reached through its own contact."""
    area_of = dict(session.execute(select(Category.id, Category.parent_id)).all())
    needs_taken: dict[int, set[int]] = defaultdict(set)
    areas_taken: dict[int, set[int | None]] = defaultdict(set)
    for partner_id, category_id in session.execute(
        select(PartnerCategory.partner_id, PartnerCategory.category_id)
    ):
        needs_taken[partner_id].add(category_id)
        areas_taken[partner_id].add(area_of[category_id])
    places_served: dict[int, set[int | str | None]] = defaultdict(set)
    for partner_id, neighbourhood_id, municipality in session.execute(
        select(PartnerArea.partner_id, PartnerArea.neighbourhood_id, PartnerArea.municipality)
    ):
        places_served[partner_id].add(neighbourhood_id or municipality)
    partner_of_contact = dict(session.execute(select(Contact.id, Contact.partner_id)).all())
    rows = session.execute(
        select(
            Referral.partner_id,
            Referral.contact_id,
            Need.category_id,
            Neighbourhood.id,
            Neighbourhood.municipality,
        )
        .join(Need, Need.id == Referral.need_id)
        .join(Interview, Interview.id == Need.interview_id)
        .join(Household, Household.id == Interview.household_id)
        .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
    )
    for partner_id, contact_id, category_id, neighbourhood_id, municipality in rows:
        assert (
            category_id in needs_taken[partner_id]
            or area_of[category_id] in areas_taken[partner_id]
        )
        assert {neighbourhood_id, municipality} & places_served[partner_id]
        assert contact_id is not None and partner_of_contact[contact_id] == partner_id


def assert_need_status_follows_the_referrals(session: Session) -> None:
    sent = defaultdict(list)
    for need_id, status, outcome in session.execute(
        select(Referral.need_id, Referral.status, Referral.outcome)
    ):
        sent[need_id].append((status, outcome))
    for need_id, status in session.execute(select(Need.id, Need.status)):
        assert status == referrals.need_status(sent[need_id])


# --- Loading


def test_load_demo_summarises_what_it_created_in_italian(engine: Engine, today: dt.date) -> None:
    summary = load(engine, today)
    numbers = re.fullmatch(
        r"([\d.]+) nuclei, ([\d.]+) colloqui, ([\d.]+) bisogni, ([\d.]+) segnalazioni, "
        r"([\d.]+) enti",
        summary,
    )
    assert numbers is not None
    counted = [count(engine, m) for m in (Household, Interview, Need, Referral, Partner)]
    assert [int(n.replace(".", "")) for n in numbers.groups()] == counted
    assert counted[0] == SMALL


def test_the_default_size_is_realistic(tmp_path: Path) -> None:
    """About 1,500 households, 2,500 interviews, 3,750 needs, 40-50% of them referred."""
    url = f"sqlite:///{tmp_path / 'default.db'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.load_demo(engine, today=dt.date(2026, 2, 25))
    interviews, needs = count(engine, Interview), count(engine, Need)
    with Session(engine) as session:
        referred = session.scalar(select(func.count(func.distinct(Referral.need_id))))
    db.dispose_engine(url)
    assert 2_300 <= interviews <= 2_700
    assert 3_400 <= needs <= 4_100
    assert 0.38 <= (referred or 0) / needs <= 0.5
    assert 35 <= count(engine, Partner) <= 45


def test_the_same_seed_and_day_give_the_same_data(
    engine: Engine, other_sqlite: Engine, today: dt.date
) -> None:
    assert load(engine, today) == load(other_sqlite, today)
    assert fingerprint(engine) == fingerprint(other_sqlite)


def test_a_different_seed_gives_different_data(
    engine: Engine, other_sqlite: Engine, today: dt.date
) -> None:
    load(engine, today, seed=1)
    load(other_sqlite, today, seed=2)
    first, second = fingerprint(engine), fingerprint(other_sqlite)
    for table in ("household", "interview", "need", "partner", "contact"):
        assert first[table] != second[table]


def test_it_refuses_a_database_that_holds_data(engine: Engine, today: dt.date) -> None:
    load(engine, today)
    with pytest.raises(NotEmptyError, match="--replace"):
        load(engine, today, seed=SEED + 1)


def test_it_refuses_a_database_with_a_user_only(engine: Engine, today: dt.date) -> None:
    with session_scope(engine) as session:
        auth.create_user(session, "mrossi", "Maria", "operatore", "una-password-lunga")
    with pytest.raises(NotEmptyError):
        load(engine, today)
    assert count(engine, Household) == 0


def test_replace_gives_the_same_data_as_a_fresh_load(engine: Engine, today: dt.date) -> None:
    load(engine, today)
    fresh = fingerprint(engine)
    load(engine, today, seed=SEED + 1, replace=True)
    load(engine, today, replace=True)
    assert fingerprint(engine) == fresh


@pytest.mark.parametrize("size", [{"households": -1}, {"months": 0}])
def test_it_refuses_a_size_that_makes_no_sense(engine: Engine, today: dt.date, size: Any) -> None:
    with pytest.raises(ValidationError):
        load(engine, today, **size)


def test_it_works_on_a_database_without_reference_data(tmp_path: Path, today: dt.date) -> None:
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    load(engine, today)
    assert count(engine, Channel) == len(taxonomy.read_csv(taxonomy.CHANNELS_CSV))
    assert count(engine, Household) == SMALL
    db.dispose_engine(url)


def test_clear_data_keeps_reference_data_users_and_the_audit_trail(
    engine: Engine, today: dt.date
) -> None:
    categories, channels = count(engine, Category), count(engine, Channel)
    load(engine, today)
    users, audit_entries = count(engine, User), count(engine, AuditEntry)
    demo.clear_data(engine)
    assert (count(engine, Category), count(engine, Channel)) == (categories, channels)
    # The trail keeps every entry and says that the data were cleared.
    assert (count(engine, User), count(engine, AuditEntry)) == (users, audit_entries + 1)
    with Session(engine) as session:
        last = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc())).first()
    assert last == "data_cleared"
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name not in demo.KEPT_TABLES:
                rows = connection.execute(select(func.count()).select_from(table)).scalar()
                assert rows == 0, table.name


def test_clear_data_moves_the_data_version_forward(engine: Engine, today: dt.date) -> None:
    load(engine, today)
    before = db.data_version(engine)
    demo.clear_data(engine)
    assert db.data_version(engine) > before


# --- Consistency


def test_the_demo_satisfies_every_invariant(engine: Engine, today: dt.date) -> None:
    load(engine, today, households=300)
    assert_demo_invariants(engine, today, demo.DEFAULT_MONTHS)


def test_the_read_model_equals_a_fresh_rebuild(engine: Engine, today: dt.date) -> None:
    load(engine, today)
    loaded = read_model(engine)
    with session_scope(engine) as session:
        readmodel.rebuild(session)
    assert read_model(engine) == loaded
    assert len(loaded["need_fact"]) == count(engine, Need)
    assert sum(row[-1] for row in loaded["need_monthly"]) == count(engine, Need)
    assert len(loaded["referral_fact"]) == count(engine, Referral)


def test_records_can_be_added_after_a_load(engine: Engine, today: dt.date) -> None:
    """Explicit ids in bulk must leave PostgreSQL's sequences past them."""
    load(engine, today)
    with session_scope(engine) as session:
        neighbourhood_id = session.scalar(select(Neighbourhood.id).limit(1))
        household = add_household(session, code="NUOVO-1", neighbourhood_id=neighbourhood_id or 0)
        need_id = session.scalar(select(Category.id).where(Category.code == "ECO01"))
        records.record_interview(
            session,
            editor(session),
            household_id=household.id,
            held_on=today,
            channel_code="sportello",
            needs=[records.NeedInput(category_id=need_id or 0)],
            today=today,
        )
        session.add(Partner(uuid=str(uuid.uuid4()), name="Nuovo ente", kind="other"))
    assert count(engine, Household) == SMALL + 1


# --- Accounts and settings


def test_the_demo_accounts_log_in_with_password_demo(engine: Engine, today: dt.date) -> None:
    load(engine, today, households=5)
    for username in ("admin", "direzione", "operatore"):
        user = auth.authenticate(engine, username, "demo")
        assert user.role == username
        assert "(demo)" in user.display_name


def test_the_demo_setting_is_on_and_the_others_are_defaults(engine: Engine, today: dt.date) -> None:
    """Only the demo flag and the meeting deck's closing contacts (invented, like every demo
    contact) differ from the defaults."""
    load(engine, today, households=5)
    with Session(engine) as session:
        stored = dict(session.execute(select(Setting.key, Setting.value)).all())
    assert stored == config.SETTING_DEFAULTS | {
        config.SETTING_DEMO_DATA: "1",
        config.SETTING_COORDINATION: demo_cast.DEMO_COORDINATION,
    }


# --- Plausibility, on one default-size load shared by the read-only tests below


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'default.db'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.load_demo(engine, households=1_000, today=dt.date(2026, 11, 25))
    yield engine
    db.dispose_engine(url)


def test_partners_are_fictional_and_marked_as_demo(default_demo: Engine) -> None:
    with Session(default_demo) as session:
        partners = session.scalars(select(Partner)).all()
        contacts = session.scalars(select(Contact)).all()
    assert all(p.description and p.description.startswith("Ente dimostrativo.") for p in partners)
    assert all("demo" not in p.name.lower() for p in partners)
    assert all(p.kind in taxonomy.PARTNER_KINDS for p in partners)
    assert all(p.email and p.email.endswith(".example.org") for p in partners)
    assert all(re.fullmatch(r"0\d{1,3} 000 1\d\d", p.phone or "") for p in partners)
    assert len({p.uuid for p in partners}) == len(partners)
    assert all(uuid.UUID(p.uuid).version == 4 for p in partners)
    assert all(c.email and c.email.endswith("@example.org") for c in contacts)
    per_partner = Counter(c.partner_id for c in contacts)
    primaries = Counter(c.partner_id for c in contacts if c.is_primary)
    assert all(1 <= per_partner[p.id] <= 3 and primaries[p.id] == 1 for p in partners)


def test_some_partners_need_checking_again(default_demo: Engine) -> None:
    six_months_ago = dt.date(2026, 5, 25)
    with Session(default_demo) as session:
        stale = session.scalar(
            select(func.count()).where(Partner.last_verified_on < six_months_ago)
        )
    assert 1 <= (stale or 0) < 20


def test_referrals_reach_every_status_and_some_are_overdue(default_demo: Engine) -> None:
    today = dt.date(2026, 11, 25)
    with Session(default_demo) as session:
        statuses = Counter(session.scalars(select(Referral.status)))
        overdue = session.scalar(
            select(func.count()).where(Referral.status == "sent", Referral.due_on < today)
        )
    assert set(statuses) == set(taxonomy.REFERRAL_STATUS_LABELS)
    assert (overdue or 0) > 0
    assert statuses["closed"] > statuses["refused"] > statuses["cancelled"]


def test_lead_times_differ_by_partner(default_demo: Engine) -> None:
    with Session(default_demo) as session:
        rows = session.execute(
            select(Referral.partner_id, Referral.sent_on, Referral.accepted_on).where(
                Referral.accepted_on.is_not(None)
            )
        ).all()
    days = defaultdict(list)
    for partner_id, sent_on, accepted_on in rows:
        days[partner_id].append((accepted_on - sent_on).days)  # type: ignore[operator]
    means = [sum(d) / len(d) for d in days.values() if len(d) >= 10]
    assert max(means) > 2.5 * min(means)


def test_interviews_follow_the_seasons(default_demo: Engine) -> None:
    with Session(default_demo) as session:
        held = list(session.scalars(select(Interview.held_on)))
    by_month = Counter(day.month for day in held)
    assert by_month[8] < 0.5 * by_month[10]


def test_energy_bills_peak_in_winter(default_demo: Engine) -> None:
    with Session(default_demo) as session:
        rows = session.execute(
            select(Interview.held_on, Category.code)
            .join(Need, Need.interview_id == Interview.id)
            .join(Category, Category.id == Need.category_id)
        ).all()
    winter = [code for day, code in rows if day.month in (1, 2)]
    summer = [code for day, code in rows if day.month in (6, 7)]
    assert winter.count("ECO02") / len(winter) > 2 * summer.count("ECO02") / len(summer)


def test_the_ufficio_mobile_works_in_varese_only(default_demo: Engine) -> None:
    with Session(default_demo) as session:
        rows = session.execute(
            select(Neighbourhood.municipality, Interview.channel_code)
            .join(Household, Household.neighbourhood_id == Neighbourhood.id)
            .join(Interview, Interview.household_id == Household.id)
        ).all()
    in_varese = Counter(channel for town, channel in rows if town == "Varese")
    elsewhere = Counter(channel for town, channel in rows if town != "Varese")
    assert in_varese.most_common(1)[0][0] == "ufficio_mobile"
    assert elsewhere["ufficio_mobile"] == 0


def test_neighbourhoods_differ_in_what_they_need(default_demo: Engine) -> None:
    share = _area_share_by_neighbourhood(default_demo)
    assert share["Sangallo"]["ECO"] > share["Biumo"]["ECO"]
    assert share["Biumo"]["SAN"] > share["Sangallo"]["SAN"]
    assert share["Valle Olona"]["ABI"] > share["Belfiore"]["ABI"]


def _area_share_by_neighbourhood(engine: Engine) -> dict[str, dict[str, float]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Neighbourhood.name, Category.code)
            .join(Household, Household.neighbourhood_id == Neighbourhood.id)
            .join(Interview, Interview.household_id == Household.id)
            .join(Need, Need.interview_id == Interview.id)
            .join(Category, Category.id == Need.category_id)
        ).all()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, code in rows:
        counts[name][code[:3]] += 1
    return {
        name: {area: n / sum(c.values()) for area, n in c.items()} for name, c in counts.items()
    }


def test_few_needs_are_urgent(default_demo: Engine) -> None:
    with Session(default_demo) as session:
        severities = Counter(session.scalars(select(Need.severity)))
    assert 0 < severities["urgent"] < 0.1 * sum(severities.values())
    assert severities["medium"] == max(severities.values())


# --- Properties


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    households=st.integers(min_value=0, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
    months=st.integers(min_value=1, max_value=36),
    today=st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2031, 12, 31)),
)
def test_any_small_demo_satisfies_every_invariant(
    engine: Engine, households: int, seed: int, months: int, today: dt.date
) -> None:
    summary = demo.load_demo(
        engine, households=households, seed=seed, months=months, today=today, replace=True
    )
    assert summary.startswith(f"{households} nuclei")
    assert_demo_invariants(engine, today, months)


def test_a_demo_load_on_postgresql_leaves_planner_statistics(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    demo.load_demo(engine, households=30, seed=3, months=3, today=dt.date(2026, 10, 31))
    with engine.connect() as connection:
        never_analysed = connection.execute(
            text(
                "SELECT relname FROM pg_class WHERE relname IN "
                "('need', 'need_fact', 'referral', 'referral_fact') AND reltuples < 0"
            )
        ).all()
    assert never_analysed == []
