"""The retention job with a frozen `today`: only households idle for N years are anonymised
(whatever their last activity was), a dry run writes nothing, the audit trail keeps at least
24 months whatever the setting says, and the job says what it did."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from actors import category, editor, seed_places
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from rete import cli, config, db, records, referrals, retention
from rete.db import session_scope
from rete.errors import ReteError
from rete.models import (
    AuditEntry,
    Household,
    HouseholdContact,
    Interview,
    Need,
    Partner,
    Referral,
    ReferralEvent,
    Setting,
)

TODAY = dt.date(2026, 11, 25)
IDLE_SINCE = dt.date(2021, 11, 25)  # five years before TODAY (the default setting)
LONG_AGO = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)


def set_setting(engine: Engine, key: str, value: str) -> None:
    with session_scope(engine) as session:
        session.merge(Setting(key=key, value=value))


def household(engine: Engine, code: str, place: int, *, old: bool = True) -> int:
    """A household with a contact block; recorded long ago unless `old` is False."""
    with session_scope(engine) as session:
        found = records.create_household(
            session,
            editor(session),
            records.HouseholdInput(code, place),
            records.ContactInput(f"Nome {code}", "", ""),
        ).id
        if old:
            session.execute(
                update(Household).where(Household.id == found).values(created_at=LONG_AGO)
            )
    return found


def interview(
    engine: Engine, household_id: int, held_on: dt.date, code: str = "ECO01"
) -> tuple[int, int]:
    """(interview, need) on that day, with notes."""
    with session_scope(engine) as session:
        saved = records.record_interview(
            session, editor(session), household_id=household_id, held_on=held_on,
            channel_code="telefono", needs=[records.NeedInput(category(session, code), notes="nota")],
            notes=f"colloquio del {held_on}", today=TODAY,
        )  # fmt: skip
        need = session.scalar(select(Need.id).where(Need.interview_id == saved.id))
    return saved.id, need


@pytest.fixture
def town(engine: Engine) -> dict[str, int]:
    """Households whose last activity is each kind of activity, on either side of the cut-off:

    idle        interview 01/03/2020, nothing since                         -> anonymised
    closed      interview 2020, need closed 10/01/2022                      -> kept
    answered    interview 2020, sent 2020, partner's answer 01/12/2021      -> kept
    recent      interview 01/06/2026                                        -> kept
    deleted     interview 2019, another 01/02/2025 deleted                  -> kept
    empty       no interview, recorded long ago                             -> anonymised
    new         no interview, recorded today                                -> kept
    on_the_day  interview on the cut-off day itself                         -> kept
    day_before  interview the day before the cut-off                        -> anonymised
    """
    place = seed_places(engine)["Biumo"]
    ids = {
        name: household(engine, f"VA-{index:03d}", place, old=name != "new")
        for index, name in enumerate(
            ("idle", "closed", "answered", "recent", "deleted", "empty", "new", "on_the_day", "day_before")
        )
    }  # fmt: skip
    interview(engine, ids["idle"], dt.date(2020, 3, 1))
    _, need = interview(engine, ids["closed"], dt.date(2020, 3, 1))
    with session_scope(engine) as session:
        referrals.close_need(
            session, editor(session), need, version=1, resolved=True, on=dt.date(2022, 1, 10),
            today=TODAY,
        )  # fmt: skip
    _, need = interview(engine, ids["answered"], dt.date(2020, 3, 1))
    with session_scope(engine) as session:
        partner = Partner(uuid="p-1", name="Ente", kind="association")
        session.add(partner)
        session.flush()
        sent = referrals.send_referral(
            session, editor(session),
            referrals.ReferralInput(need, partner.id, None, "telefono", dt.date(2020, 3, 2), True),
            today=TODAY,
        )  # fmt: skip
    with session_scope(engine) as session:
        referrals.move_referral(
            session, editor(session), sent.id, "accept", version=1, on=dt.date(2021, 12, 1),
            today=TODAY,
        )  # fmt: skip
    interview(engine, ids["recent"], dt.date(2026, 6, 1))
    interview(engine, ids["deleted"], dt.date(2019, 5, 1))
    gone, _ = interview(engine, ids["deleted"], dt.date(2025, 2, 1))
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), gone)
    interview(engine, ids["on_the_day"], IDLE_SINCE)
    interview(engine, ids["day_before"], IDLE_SINCE - dt.timedelta(days=1))
    return ids


ANONYMISED = {"idle", "empty", "day_before"}


def state(engine: Engine) -> tuple:
    """Everything a run could change: households, contacts, notes, audit trail, data version."""
    with Session(engine) as session:
        return (
            session.execute(select(Household.id, Household.code, Household.erased_at, Household.version).order_by(Household.id)).all(),
            session.execute(select(HouseholdContact.household_id, HouseholdContact.full_name).order_by(HouseholdContact.household_id)).all(),
            session.execute(select(Interview.id, Interview.notes).order_by(Interview.id)).all(),
            session.execute(select(Need.id, Need.notes).order_by(Need.id)).all(),
            session.execute(select(AuditEntry.id, AuditEntry.action).order_by(AuditEntry.id)).all(),
            db.data_version(engine),
        )  # fmt: skip


def erased(engine: Engine, town: dict[str, int]) -> set[str]:
    with Session(engine) as session:
        ids = set(session.scalars(select(Household.id).where(Household.erased_at.is_not(None))))
    return {name for name, id_ in town.items() if id_ in ids}


def test_the_plan_counts_the_households_idle_for_five_years_whatever_their_last_activity(
    engine, town
):
    planned = retention.plan(engine, TODAY)
    assert (planned.idle_since, planned.households) == (IDLE_SINCE, len(ANONYMISED))
    with Session(engine) as session:
        found = retention.idle_households(session, IDLE_SINCE)
    assert {name for name, id_ in town.items() if id_ in found} == ANONYMISED


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(engine, town):
    before = state(engine)
    said = retention.run(engine, TODAY, dry_run=True)
    assert state(engine) == before
    assert said.splitlines() == [
        "Nuclei senza attività dal 25/11/2021 (da più di 5 anni): 3.",
        "Voci del registro accessi anteriori al 25/11/2024 (conservate 24 mesi): 0.",
        "Prova (--dry-run): non è stato cambiato nulla.",
    ]


def test_the_run_anonymises_only_the_idle_households_and_says_so(engine, town):
    with Session(engine) as session:
        counted = session.scalar(select(func.count()).select_from(Need))
    said = retention.run(engine, TODAY)
    assert erased(engine, town) == ANONYMISED
    assert said.splitlines()[0].startswith(
        "Nuclei anonimizzati (nessuna attività dal 25/11/2021): 3."
    )
    with Session(engine) as session:
        for name in ANONYMISED:
            household = session.get(Household, town[name])
            assert household.code == f"CANC-{household.id:06d}"
            assert session.get(HouseholdContact, household.id) is None
            notes = session.scalars(
                select(Interview.notes).where(Interview.household_id == household.id)
            )
            assert set(notes) <= {None}
        kept = session.get(HouseholdContact, town["recent"])
        assert kept is not None and kept.full_name == "Nome VA-003"
        assert session.scalar(select(func.count()).select_from(Need)) == counted
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "household_erased")
            .order_by(AuditEntry.entity_id)
        ).all()
    assert [(e.entity_id, e.user_id, e.summary) for e in entries] == [
        (town[name], None, "conservazione scaduta") for name in ("idle", "empty", "day_before")
    ]
    before = state(engine)  # a second run finds nothing more to do
    assert (
        retention.run(engine, TODAY)
        .splitlines()[0]
        .endswith(": 0. I loro colloqui, bisogni e segnalazioni restano contati.")
    )
    assert state(engine)[:4] == before[:4]


def test_the_years_follow_the_setting(engine, town):
    set_setting(engine, config.SETTING_RETENTION_YEARS, "1")
    planned = retention.plan(engine, TODAY)
    assert planned.idle_since == dt.date(2025, 11, 25)
    # Everything before 25/11/2025 but "recent" (06/2026) and "new" (recorded today).
    assert planned.households == len(town) - 2


def test_the_households_are_erased_in_batches(engine, town, monkeypatch):
    monkeypatch.setattr(retention, "HOUSEHOLD_BATCH", 2)
    retention.run(engine, TODAY)
    assert erased(engine, town) == ANONYMISED


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (config.SETTING_RETENTION_YEARS, "0"),
        (config.SETTING_RETENTION_YEARS, "cinque"),
        (config.SETTING_AUDIT_MONTHS, "due anni"),
    ],
)
def test_a_setting_that_is_not_a_sensible_number_stops_the_job_before_anything(
    engine, town, key, value
):
    set_setting(engine, key, value)
    before = state(engine)
    with pytest.raises(ReteError, match=key):
        retention.run(engine, TODAY)
    assert state(engine) == before


# --- The audit trail


def add_entries(engine: Engine, *moments: dt.datetime) -> list[int]:
    with session_scope(engine) as session:
        entries = [
            AuditEntry(at=at, action="login", summary=f"voce {at:%Y-%m-%d %H:%M}") for at in moments
        ]
        session.add_all(entries)
        session.flush()
        return [entry.id for entry in entries]


def kept_ids(engine: Engine, ids: list[int]) -> list[int]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(AuditEntry.id).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id)
            )
        )


def rome(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return retention.start_of_day(day) + dt.timedelta(hours=hour, minutes=minute)


@pytest.mark.parametrize("months", ["12", "0", "-5", "24"])
def test_no_entry_younger_than_24_months_is_ever_removed_whatever_the_setting(engine, months):
    set_setting(engine, config.SETTING_AUDIT_MONTHS, months)
    cut_off = dt.date(2024, 11, 25)  # 24 months before TODAY
    old, last_minute, first_minute, young = add_entries(
        engine,
        rome(dt.date(2023, 1, 1)),
        rome(cut_off) - dt.timedelta(minutes=1),  # 23:59 in Rome the day before
        rome(cut_off),  # 00:00 in Rome on the cut-off day: 24 months old, not more
        rome(dt.date(2025, 11, 1)),  # 12 months old
    )
    said = retention.run(engine, TODAY)
    assert kept_ids(engine, [old, last_minute, first_minute, young]) == [first_minute, young]
    assert (
        said.splitlines()[1] == "Voci del registro accessi eliminate (anteriori al 25/11/2024): 2."
    )
    with Session(engine) as session:
        purged = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "audit_purged")
        ).all()
    assert [(p.summary, p.user_id, p.entity) for p in purged] == [
        ("2 voci anteriori al 25/11/2024 (conservazione 24 mesi)", None, "database")
    ]


def test_a_longer_setting_keeps_more_and_a_dry_run_removes_none(engine):
    set_setting(engine, config.SETTING_AUDIT_MONTHS, "36")
    ids = add_entries(engine, rome(dt.date(2023, 11, 24), 23), rome(dt.date(2023, 11, 25), 1))
    assert retention.plan(engine, TODAY).audit_entries == 1
    retention.run(engine, TODAY, dry_run=True)
    assert kept_ids(engine, ids) == ids
    retention.run(engine, TODAY)
    assert kept_ids(engine, ids) == ids[1:]


def test_a_large_purge_goes_in_batches_each_recorded(engine, monkeypatch):
    monkeypatch.setattr(retention, "AUDIT_BATCH", 3)
    ids = add_entries(engine, *(rome(dt.date(2020, 1, 1), minute=m) for m in range(7)))
    assert retention.run(engine, TODAY).endswith(": 7.")
    assert kept_ids(engine, ids) == []
    with Session(engine) as session:
        summaries = session.scalars(
            select(AuditEntry.summary)
            .where(AuditEntry.action == "audit_purged")
            .order_by(AuditEntry.id)
        ).all()
    assert [s.split(" voci")[0] for s in summaries] == ["3", "3", "1"]


def test_a_today_ahead_of_the_clock_never_removes_what_the_run_writes(engine, town):
    """Everything is old on 2040's calendar, the entries this run writes included: they stay."""
    said = retention.run(engine, dt.date(2040, 1, 1))
    with Session(engine) as session:
        left = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert set(left) == {"household_erased", "audit_purged"} and left[-1] == "audit_purged"
    assert said.splitlines()[0].startswith(
        f"Nuclei anonimizzati (nessuna attività dal 01/01/2035): {len(town)}."
    )


# --- Activity on random days around the cut-off


KINDS = ("interview", "deleted interview", "closure", "answer")
_codes = itertools.count()


@st.composite
def activity(draw) -> tuple[dt.date, list[tuple[str, dt.date]]]:
    """When the household was recorded, and its activities, on days near the cut-off (where a
    mistake of one day shows) or anywhere in ten years."""
    near = st.integers(-3, 3).map(lambda d: IDLE_SINCE + dt.timedelta(days=d))
    anywhere = st.dates(dt.date(2016, 1, 1), TODAY)
    day = st.one_of(near, anywhere)
    return draw(day), draw(st.lists(st.tuples(st.sampled_from(KINDS), day), max_size=4))


def insert_household(
    session: Session, place: int, channel: str, need: int, partner: int, recorded: dt.date, done
) -> int:
    """A household with these activities, written directly (the write path has its own tests)."""
    household = Household(
        code=f"HY-{next(_codes)}",
        neighbourhood_id=place,
        created_at=retention.start_of_day(recorded) + dt.timedelta(hours=12),
    )
    session.add(household)
    session.flush()
    first = Interview(
        household_id=household.id,
        held_on=dt.date(2016, 1, 1),
        channel_code=channel,
        created_at=LONG_AGO,
    )
    session.add(first)
    session.flush()
    base = Need(interview_id=first.id, category_id=need)
    session.add(base)
    session.flush()
    for kind, day in done:
        if kind in ("interview", "deleted interview"):
            deleted = LONG_AGO if kind == "deleted interview" else None
            session.add(
                Interview(
                    household_id=household.id, held_on=day, channel_code=channel, deleted_at=deleted
                )
            )
        elif kind == "closure":
            session.add(
                Need(interview_id=first.id, category_id=need, closed_as="resolved", closed_on=day)
            )
        else:
            referral = Referral(
                need_id=base.id,
                partner_id=partner,
                sent_on=dt.date(2016, 1, 2),
                due_on=dt.date(2016, 1, 16),
            )
            session.add(referral)
            session.flush()
            session.add(ReferralEvent(referral_id=referral.id, status="accepted", happened_on=day))
    session.flush()
    return household.id


@pytest.fixture
def random_town(engine: Engine) -> dict[str, int]:
    place = seed_places(engine)["Biumo"]
    with session_scope(engine) as session:
        partner = Partner(uuid="p-h", name="Ente", kind="association")
        session.add(partner)
        session.flush()
        return {"place": place, "need": category(session, "ECO01"), "partner": partner.id}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases=st.lists(activity(), min_size=1, max_size=5))
def test_a_household_is_idle_exactly_when_its_latest_activity_is_before_the_cut_off(
    engine, random_town, cases
):
    with session_scope(engine) as session:
        # The first interview (2016) is always before the cut-off: it never keeps a household.
        made = {
            insert_household(session, random_town["place"], "telefono", random_town["need"], random_town["partner"], recorded, done): max(
                [recorded] + [day for _, day in done]
            )
            for recorded, done in cases
        }  # fmt: skip
    first = min(made) - 1
    with Session(engine) as session:
        found = set(retention.idle_households(session, IDLE_SINCE, after=first, limit=len(made)))
    assert found == {id_ for id_, last in made.items() if last < IDLE_SINCE}


# --- Dates and the command


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 11, 25), 24, dt.date(2024, 11, 25)),
        (dt.date(2026, 5, 31), 3, dt.date(2026, 2, 28)),
        (dt.date(2028, 5, 31), 3, dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
        (dt.date(2028, 2, 29), 12, dt.date(2027, 2, 28)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_month_s_last(day, months, expected):
    assert retention.months_before(day, months) == expected


def test_the_command_s_dry_run_says_what_it_would_do(engine, town, capsys, monkeypatch):
    monkeypatch.setattr(config, "today", lambda: TODAY)
    before = state(engine)
    assert cli.main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Nuclei senza attività dal 25/11/2021 (da più di 5 anni): 3." in out
    assert "Prova (--dry-run)" in out
    assert state(engine) == before
    assert cli.main(["retention"]) == 0
    assert "Nuclei anonimizzati" in capsys.readouterr().out
    assert erased(engine, town) == ANONYMISED


def test_the_command_refuses_an_empty_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RETE_DATABASE_URL", f"sqlite:///{tmp_path / 'vuoto.db'}")
    assert cli.main(["retention", "--dry-run"]) == 1
    assert "Il database è vuoto" in capsys.readouterr().err
