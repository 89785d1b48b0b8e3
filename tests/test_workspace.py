"""The workspace's read side: «Da seguire», the interviews list and the household card.

Each fixture builds a small world through the write side on a frozen today (25/11/2026), and
the tests read it back the way the pages do.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pandas as pd
import pytest
from actors import add_household, administrator, category, editor, seed_places
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from rete import audit, auth, config, db, records, referrals, taxonomy
from rete.db import session_scope
from rete.errors import NotFound, PermissionDenied
from rete.models import (
    AuditEntry,
    Contact,
    Household,
    Interview,
    Need,
    Partner,
    Referral,
    Setting,
)
from rete.records import NeedInput
from rete.workspace import followup, households, interviews
from rete.workspace.followup import FollowUpFilters
from rete.workspace.interviews import InterviewFilters

TODAY = dt.date(2026, 11, 25)


def day(month: int, number: int) -> dt.date:
    return dt.date(2026, month, number)


# --- Writing the worlds, one user action per transaction, as the pages do


def household(engine: Engine, code: str, place: int) -> int:
    with session_scope(engine) as session:
        return add_household(session, code=code, neighbourhood_id=place).id


def interview(
    engine: Engine,
    household_id: int,
    held_on: dt.date,
    *needs: str | tuple[str, str],
    channel: str = "sportello",
) -> tuple[int, list[int]]:
    """Record an interview with needs given by code (or (code, severity)): (id, need ids)."""
    with session_scope(engine) as session:
        given = [need if isinstance(need, tuple) else (need, "medium") for need in needs]
        saved = records.record_interview(
            session,
            editor(session),
            household_id=household_id,
            held_on=held_on,
            channel_code=channel,
            needs=[NeedInput(category(session, code), severity) for code, severity in given],
            today=TODAY,
        )
        need_ids = session.scalars(
            select(Need.id).where(Need.interview_id == saved.id).order_by(Need.id)
        ).all()
        return saved.id, list(need_ids)


def partner(engine: Engine, name: str, *contacts: Contact) -> int:
    with session_scope(engine) as session:
        row = Partner(uuid=str(uuid.uuid4()), name=name, kind="association")
        session.add(row)
        session.flush()
        for contact in contacts:
            contact.partner_id = row.id
        session.add_all(contacts)
        return row.id


def send(engine: Engine, need_id: int, partner_id: int, sent_on: dt.date) -> int:
    with session_scope(engine) as session:
        contact = session.scalar(select(Contact.id).where(Contact.partner_id == partner_id))
        return referrals.send_referral(
            session,
            editor(session),
            referrals.ReferralInput(
                need_id=need_id,
                partner_id=partner_id,
                contact_id=contact,
                channel_code="telefono",
                sent_on=sent_on,
                consent_given=True,
            ),
            today=TODAY,
        ).id


def answer(
    engine: Engine, referral_id: int, key: str, on: dt.date, reason: str | None = None
) -> None:
    with session_scope(engine) as session:
        version = session.get(Referral, referral_id).version  # type: ignore[union-attr]
        referrals.move_referral(
            session,
            editor(session),
            referral_id,
            key,
            version=version,
            on=on,
            reason=reason,
            today=TODAY,
        )


def close_by_hand(engine: Engine, need_id: int, on: dt.date) -> None:
    with session_scope(engine) as session:
        referrals.close_need(
            session,
            editor(session),
            need_id,
            version=session.get(Need, need_id).version,  # type: ignore[union-attr]
            resolved=True,
            on=on,
            today=TODAY,
        )


def delete(engine: Engine, interview_id: int) -> None:
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), interview_id)


def restore(engine: Engine, interview_id: int) -> None:
    with session_scope(engine) as session:
        records.restore_interview(session, administrator(session), interview_id)


def set_overdue_days(engine: Engine, days: int) -> None:
    with session_scope(engine) as session:
        session.merge(Setting(key=config.SETTING_OVERDUE_DAYS, value=str(days)))


# --- «Da seguire»


@pytest.fixture
def followup_world(engine) -> dict[str, int]:
    """Referrals in every state; today 25/11, 14 days to answer unless said otherwise.

    VA-1 (Biumo), interview of 01/10:
      late_long   Caritas    Morosità       sent 20/10, due 03/11, waiting: 22 days late
      late_short  Caritas    Salute         sent 10/11, due 24/11, waiting: 1 day late
      taken       Sportello  Morosità       sent 15/10, due 29/10, taken in charge 22/10
      due_today   Sportello  Manutenzione   sent 11/11, due 25/11: not late yet
    VA-2 (Sangallo), interview of 01/10:
      slow        Caritas    Manutenzione   sent 01/11 while the setting said 40 days: due 11/12
      quick       Sportello  Salute         sent 20/11, due 04/12: sent after `slow`, due before
    Never listed: a refused, a concluded and a cancelled referral of VA-1, and a late one of
    VA-3 (Biumo) whose interview was deleted.
    """
    places = seed_places(engine)
    va1 = household(engine, "VA-1", places["Biumo"])
    va2 = household(engine, "VA-2", places["Sangallo"])
    va3 = household(engine, "VA-3", places["Biumo"])
    caritas = partner(
        engine,
        "Caritas",
        Contact(name="Anna", phone="0332 123456", email="anna@caritas.example"),
    )
    sportello = partner(engine, "Sportello")
    _, (debt, health, repair, bills) = interview(
        engine, va1, day(10, 1), "ECO01", "SAN01", "ABI01", "ECO02"
    )
    _, (repair2, health2) = interview(engine, va2, day(10, 1), "ABI01", "SAN01")
    ghost_interview, (ghost_need,) = interview(engine, va3, day(10, 1), "ECO01")

    world = {
        "caritas": caritas,
        "sportello": sportello,
        "va1": va1,
        "va2": va2,
        **{f"place:{name}": id_ for name, id_ in places.items()},
    }
    world["late_long"] = send(engine, debt, caritas, day(10, 20))
    world["late_short"] = send(engine, health, caritas, day(11, 10))
    world["taken"] = send(engine, debt, sportello, day(10, 15))
    answer(engine, world["taken"], "accept", day(10, 22))
    world["due_today"] = send(engine, repair, sportello, day(11, 11))
    set_overdue_days(engine, 40)
    world["slow"] = send(engine, repair2, caritas, day(11, 1))
    set_overdue_days(engine, 14)
    world["quick"] = send(engine, health2, sportello, day(11, 20))

    world["refused"] = send(engine, bills, caritas, day(10, 2))
    answer(engine, world["refused"], "refuse", day(10, 5), reason="no_capacity")
    world["closed"] = send(engine, bills, sportello, day(10, 2))
    answer(engine, world["closed"], "accept", day(10, 3))
    answer(engine, world["closed"], "close_positive", day(10, 30))
    world["cancelled"] = send(engine, repair, caritas, day(10, 2))
    answer(engine, world["cancelled"], "cancel", day(10, 3))
    world["ghost"] = send(engine, ghost_need, caritas, day(10, 10))
    world["ghost_interview"] = ghost_interview
    delete(engine, ghost_interview)
    return world


def listed(page: followup.FollowUpPage) -> list[int]:
    return [int(rid) for rid in page.rows["referral_id"]]


def open_referrals(engine, page: int = 0, **filters: tuple[int, ...]) -> followup.FollowUpPage:
    return followup.open_referrals(engine, FollowUpFilters(**filters), TODAY, page=page)


def test_the_overdue_come_first_longest_overdue_first_then_the_rest_by_due_day(
    engine, followup_world
):
    w = followup_world
    page = open_referrals(engine)
    # By sending day the open ones would read taken, slow, due_today, quick.
    assert listed(page) == [
        w["late_long"],
        w["late_short"],
        w["taken"],
        w["due_today"],
        w["quick"],
        w["slow"],
    ]
    assert list(page.rows["overdue"]) == [True, True, False, False, False, False]
    assert (page.total, page.overdue, page.page, page.pages) == (6, 2, 0, 1)


def row(page: followup.FollowUpPage, referral_id: int) -> dict:
    found = page.rows[page.rows["referral_id"] == referral_id]
    assert len(found) == 1
    return found.iloc[0].to_dict()


def test_a_referral_still_waiting_after_its_due_day_says_how_late_it_is(engine, followup_world):
    page = open_referrals(engine)
    late_long = row(page, followup_world["late_long"])
    del late_long["version"]
    assert late_long == {
        "referral_id": followup_world["late_long"],
        "status_code": "sent",
        "status": "inviata",
        "overdue": True,
        "household_id": followup_world["va1"],
        "household_code": "VA-1",
        "neighbourhood": "Biumo",
        "area": "Economica",
        "need": "Morosità canone e spese",
        "partner": "Caritas",
        "contact": "Anna",
        "contact_phone": "0332 123456",
        "contact_email": "anna@caritas.example",
        "days": 36,
        "last_action": "inviata il 20/10/2026",
        "next_action": "Sollecitare l'ente: risposta attesa entro il 03/11/2026 (22 gg di ritardo)",
    }
    late_short = row(page, followup_world["late_short"])
    assert late_short["next_action"] == (
        "Sollecitare l'ente: risposta attesa entro il 24/11/2026 (1 gg di ritardo)"
    )


def test_on_its_due_day_a_referral_is_not_late_yet(engine, followup_world):
    due_today = row(open_referrals(engine), followup_world["due_today"])
    assert not due_today["overdue"]
    assert due_today["days"] == 14
    assert due_today["last_action"] == "inviata il 11/11/2026"
    assert due_today["next_action"] == "Attendere la risposta entro il 25/11/2026"
    tomorrow = followup.open_referrals(engine, FollowUpFilters(), TODAY + dt.timedelta(days=1))
    assert row(tomorrow, followup_world["due_today"])["overdue"]
    assert tomorrow.overdue == 3


def test_a_referral_taken_in_charge_is_never_late_and_counts_from_the_taking(
    engine, followup_world
):
    taken = row(open_referrals(engine), followup_world["taken"])
    assert not taken["overdue"]
    assert (taken["status_code"], taken["status"]) == ("accepted", "presa in carico")
    assert taken["days"] == 34  # since 22/10, not the 41 since sending
    assert taken["last_action"] == "presa in carico il 22/10/2026"
    assert taken["next_action"] == "Chiedere all'ente come procede e registrare l'esito"
    assert (taken["partner"], taken["contact"], taken["contact_phone"]) == ("Sportello", "", "")


def test_refused_concluded_cancelled_and_deleted_referrals_are_not_followed(engine, followup_world):
    shown = set(listed(open_referrals(engine)))
    for gone in ("refused", "closed", "cancelled", "ghost"):
        assert followup_world[gone] not in shown, gone


def test_a_restored_interview_brings_its_referral_back(engine, followup_world):
    restore(engine, followup_world["ghost_interview"])
    page = open_referrals(engine)
    assert listed(page)[0] == followup_world["ghost"]  # due 24/10: the longest overdue
    assert (page.total, page.overdue) == (7, 3)


@pytest.mark.parametrize(
    ("filters", "expected", "late"),
    [
        ({"partner_ids": ["caritas"]}, ["late_long", "late_short", "slow"], 2),
        (
            {"partner_ids": ["caritas", "sportello"]},
            ["late_long", "late_short", "taken", "due_today", "quick", "slow"],
            2,
        ),
        ({"area_ids": ["SAN"]}, ["late_short", "quick"], 1),
        ({"neighbourhood_ids": ["place:Sangallo"]}, ["quick", "slow"], 0),
        ({"partner_ids": ["sportello"], "area_ids": ["ABI"]}, ["due_today"], 0),
        ({"neighbourhood_ids": ["place:Rebbio"]}, [], 0),
    ],
    ids=["partner", "two_partners", "area", "neighbourhood", "partner_and_area", "nobody"],
)
def test_filters_narrow_the_list_and_its_counts(engine, followup_world, filters, expected, late):
    with Session(engine) as session:
        areas = {code: category(session, code) for code in ("SAN", "ABI")}
    resolved = {
        key: tuple(areas.get(name) or followup_world[name] for name in names)
        for key, names in filters.items()
    }
    page = open_referrals(engine, **resolved)
    assert listed(page) == [followup_world[name] for name in expected]
    assert (page.total, page.overdue) == (len(expected), late)


def test_a_household_that_moves_takes_its_referrals_to_the_new_neighbourhood(
    engine, followup_world
):
    w = followup_world
    with session_scope(engine) as session:
        moving = session.get(Household, w["va2"])
        records.update_household(
            session,
            editor(session),
            w["va2"],
            records.HouseholdInput(code="VA-2", neighbourhood_id=w["place:Biumo"]),
            version=moving.version,  # type: ignore[union-attr]
        )
    assert listed(open_referrals(engine, neighbourhood_ids=(w["place:Sangallo"],))) == []
    in_biumo = open_referrals(engine, neighbourhood_ids=(w["place:Biumo"],))
    assert {w["quick"], w["slow"]} <= set(listed(in_biumo))
    assert row(in_biumo, w["slow"])["neighbourhood"] == "Biumo"


@pytest.fixture
def many_referrals(engine) -> list[int]:
    """27 referrals to one partner, sent one a day from 01/10 (so due from 15/10), all late."""
    places = seed_places(engine)
    va1 = household(engine, "VA-1", places["Biumo"])
    _, needs = interview(engine, va1, day(10, 1), *["ECO01"] * 27)
    caritas = partner(engine, "Caritas")
    return [
        send(engine, need, caritas, day(10, 1) + dt.timedelta(days=k))
        for k, need in enumerate(needs)
    ]


def test_the_list_is_paged_and_a_page_out_of_range_is_clamped(engine, many_referrals):
    first = open_referrals(engine)
    second = open_referrals(engine, page=1)
    assert followup.PAGE_SIZE == 25
    assert (first.total, first.overdue, first.pages) == (27, 27, 2)
    assert listed(first) == many_referrals[:25]
    assert (listed(second), second.page) == (many_referrals[25:], 1)
    beyond = open_referrals(engine, page=9)
    assert (listed(beyond), beyond.page) == (many_referrals[25:], 1)
    before = open_referrals(engine, page=-2)
    assert (listed(before), before.page) == (many_referrals[:25], 0)


def test_nothing_to_follow_is_one_empty_page(engine):
    page = open_referrals(engine, page=3)
    assert (page.total, page.overdue, page.page, page.pages) == (0, 0, 0, 1)
    assert page.rows.empty
    assert list(page.rows.columns) == followup.COLUMNS


# --- Colloqui


@pytest.fixture
def interviews_world(engine) -> dict[str, int]:
    """Six interviews, recorded in this order so that ids do not follow the dates:

    two      VA-10 (Biumo)    15/09 telefono      Malattia cronica: sent to Caritas (in carico)
    three    VA-2  (Sangallo) 15/09 sportello     Manutenzione (aperto)
    four     VA-1  (Biumo)    01/10 visita        Salute mentale (aperto), Debiti: taken in
                                                  charge and concluded well (risolto)
    five     VA-2  (Sangallo) 31/10 telefono      Morosità: closed by hand (risolto)
    one      VA-1  (Biumo)    01/09 sportello     Morosità (high), Utenze (low, noted): the
                                                  second sent to Caritas, then cancelled (aperto)
    deleted  VA-1  (Biumo)    01/11 sportello     Morosità, deleted
    """
    places = seed_places(engine)
    va1 = household(engine, "VA-1", places["Biumo"])
    va10 = household(engine, "VA-10", places["Biumo"])
    va2 = household(engine, "VA-2", places["Sangallo"])
    caritas = partner(engine, "Caritas")
    world = {f"place:{name}": id_ for name, id_ in places.items()}
    world["two"], (chronic,) = interview(engine, va10, day(9, 15), "SAN01", channel="telefono")
    world["three"], _ = interview(engine, va2, day(9, 15), "ABI01")
    world["four"], (mind, debts) = interview(
        engine, va1, day(10, 1), "SAN02", "ECO03", channel="visita_domiciliare"
    )
    world["five"], (arrears,) = interview(engine, va2, day(10, 31), "ECO01", channel="telefono")
    with session_scope(engine) as session:
        one = records.record_interview(
            session,
            editor(session),
            household_id=va1,
            held_on=day(9, 1),
            channel_code="sportello",
            needs=[
                NeedInput(category(session, "ECO01"), "high"),
                NeedInput(category(session, "ECO02"), "low", "bollette arretrate"),
            ],
            notes="primo contatto",
            today=TODAY,
        )
        world["one"] = one.id
    with Session(engine) as session:
        world["one:arrears"], world["one:bills"] = session.scalars(
            select(Need.id).where(Need.interview_id == world["one"]).order_by(Need.id)
        ).all()
    world["deleted"], _ = interview(engine, va1, day(11, 1), "ECO01")
    delete(engine, world["deleted"])

    send(engine, chronic, caritas, day(9, 16))
    debts_referral = send(engine, debts, caritas, day(10, 2))
    answer(engine, debts_referral, "accept", day(10, 3))
    answer(engine, debts_referral, "close_positive", day(10, 20))
    close_by_hand(engine, arrears, day(11, 2))
    cancelled = send(engine, world["one:bills"], caritas, day(9, 2))
    answer(engine, cancelled, "cancel", day(9, 3))
    world["four:mind"], world["four:debts"] = mind, debts
    return world


def shown(page: interviews.InterviewPage) -> list[int]:
    return [int(i) for i in page.rows["interview_id"]]


def names(world: dict[str, int], *keys: str) -> list[int]:
    return [world[key] for key in keys]


def test_the_live_interviews_are_listed_newest_first_then_by_newest_id(engine, interviews_world):
    page = interviews.interview_page(engine, InterviewFilters())
    assert shown(page) == names(interviews_world, "five", "four", "three", "two", "one")
    assert (page.page, page.has_next) == (0, False)


def test_a_row_says_what_was_found_and_how_much_is_still_open(engine, interviews_world):
    page = interviews.interview_page(engine, InterviewFilters())
    four = page.rows[page.rows["interview_id"] == interviews_world["four"]].iloc[0].to_dict()
    assert pd.isna(four.pop("deleted_on"))
    assert four == {
        "interview_id": interviews_world["four"],
        "held_on": day(10, 1),
        "household_id": four["household_id"],
        "household_code": "VA-1",
        "neighbourhood": "Biumo",
        "channel": "Visita domiciliare",
        "needs": "Salute mentale (aperto) · Debiti (risolto)",
        "open_needs": 1,
        "operator": "Cm-Prova",
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"start": day(9, 15), "end": day(10, 1)}, ["four", "three", "two"]),
        ({"neighbourhood_ids": ["place:Sangallo"]}, ["five", "three"]),
        ({"area_ids": ["ECO"]}, ["five", "four", "one"]),
        ({"channel_codes": ("telefono",)}, ["five", "two"]),
        ({"channel_codes": ("telefono", "sportello")}, ["five", "three", "two", "one"]),
        ({"household_code": " va-1 "}, ["four", "one"]),
        ({"household_code": "VA-99"}, []),
        ({"open_only": True}, ["four", "three", "two", "one"]),
        ({"area_ids": ["ECO"], "open_only": True}, ["one"]),
        ({"household_code": "VA-2", "neighbourhood_ids": ["place:Biumo"]}, []),
    ],
    ids=[
        "period_bounds_included",
        "neighbourhood",
        "area_once_per_interview",
        "channel",
        "two_channels",
        "household_code_exact_case_ignored",
        "unknown_household",
        "open_needs_include_those_in_charge",
        "every_filter_on_the_same_need",
        "household_elsewhere",
    ],
)
def test_each_filter_keeps_the_interviews_with_a_matching_need(
    engine, interviews_world, filters, expected
):
    with Session(engine) as session:
        economica = category(session, "ECO")
    resolved = {
        key: tuple(economica if name == "ECO" else interviews_world[name] for name in value)
        if key in ("neighbourhood_ids", "area_ids")
        else value
        for key, value in filters.items()
    }
    page = interviews.interview_page(engine, InterviewFilters(**resolved))
    assert shown(page) == names(interviews_world, *expected)
    assert not page.has_next


def test_deleted_interviews_are_listed_apart_most_recently_deleted_first(engine, interviews_world):
    delete(engine, interviews_world["five"])
    page = interviews.deleted_interviews(engine, admin(engine))
    assert shown(page) == names(interviews_world, "five", "deleted")
    assert page.rows["deleted_on"].notna().all()
    assert not page.has_next
    live = interviews.interview_page(engine, InterviewFilters(household_code="VA-2"))
    assert shown(live) == names(interviews_world, "three")


def test_the_day_of_deletion_is_the_day_in_rome(engine, interviews_world):
    with session_scope(engine) as session:
        # Deleted at 00:30 on 25/11 in Rome, 23:30 on 24/11 in UTC.
        session.get(Interview, interviews_world["deleted"]).deleted_at = dt.datetime(  # type: ignore[union-attr]
            2026, 11, 24, 23, 30, tzinfo=dt.UTC
        )
    page = interviews.deleted_interviews(engine, admin(engine))
    assert list(page.rows["deleted_on"]) == [day(11, 25)]


def admin(engine: Engine) -> auth.CurrentUser:
    with session_scope(engine) as session:
        return administrator(session)


def manager(engine: Engine) -> auth.CurrentUser:
    with session_scope(engine) as session:
        return editor(session)


@pytest.fixture
def twenty_six_interviews(engine) -> list[int]:
    """26 interviews of one household, one a day from 01/09: newest first, ids reversed."""
    places = seed_places(engine)
    va1 = household(engine, "VA-1", places["Biumo"])
    with session_scope(engine) as session:
        ids = [
            records.record_interview(
                session,
                editor(session),
                household_id=va1,
                held_on=day(9, 1) + dt.timedelta(days=k),
                channel_code="sportello",
                needs=[NeedInput(category(session, "ECO01"))],
                today=TODAY,
            ).id
            for k in range(26)
        ]
    return ids[::-1]


def test_the_interviews_are_paged_with_a_next_page_only_when_there_is_one(
    engine, twenty_six_interviews
):
    assert interviews.PAGE_SIZE == 25
    first = interviews.interview_page(engine, InterviewFilters())
    second = interviews.interview_page(engine, InterviewFilters(), page=1)
    assert (shown(first), first.has_next) == (twenty_six_interviews[:25], True)
    assert (shown(second), second.page, second.has_next) == (twenty_six_interviews[25:], 1, False)
    before = interviews.interview_page(engine, InterviewFilters(), page=-1)
    assert (shown(before), before.page) == (twenty_six_interviews[:25], 0)
    exactly_a_page = interviews.interview_page(engine, InterviewFilters(start=day(9, 2)))
    assert (len(shown(exactly_a_page)), exactly_a_page.has_next) == (25, False)


def test_the_draft_lists_the_needs_in_order_and_those_already_referred(engine, interviews_world):
    w = interviews_world
    with Session(engine) as session:
        arrears, bills = category(session, "ECO01"), category(session, "ECO02")
    draft = interviews.interview_draft(engine, manager(engine), w["one"])
    assert (draft.id, draft.household_code, draft.held_on, draft.channel_code, draft.notes) == (
        w["one"],
        "VA-1",
        day(9, 1),
        "sportello",
        "primo contatto",
    )
    assert not draft.deleted
    assert draft.needs == (
        NeedInput(arrears, "high", None, w["one:arrears"]),
        NeedInput(bills, "low", "bollette arretrate", w["one:bills"]),
    )
    # Cancelled, but referred all the same: its history stays, so it cannot be removed.
    assert draft.referred_need_ids == {w["one:bills"]}
    four = interviews.interview_draft(engine, manager(engine), w["four"])
    assert four.referred_need_ids == {w["four:debts"]}


def test_the_draft_of_a_deleted_interview_says_so_and_an_unknown_one_is_not_found(
    engine, interviews_world
):
    assert interviews.interview_draft(engine, admin(engine), interviews_world["deleted"]).deleted
    with pytest.raises(NotFound):
        interviews.interview_draft(engine, admin(engine), 999_999)


# --- Households found by code


@pytest.fixture
def codes(engine) -> None:
    places = seed_places(engine)
    for code in ("VA-2", "VA-10", "VA-000123", "VA-1", "VA-001", "VA-9", "VA_7", "CO-5"):
        household(engine, code, places["Rebbio"] if code.startswith("CO") else places["Biumo"])


def found(engine, text_: str, **limit: int) -> list[str]:
    return [h.code for h in households.find_households(engine, text_, **limit)]


def test_a_prefix_finds_the_codes_that_start_with_it_in_code_order_whatever_the_case(engine, codes):
    assert found(engine, "va-") == ["VA-000123", "VA-001", "VA-1", "VA-10", "VA-2", "VA-9"]
    assert found(engine, " va-1") == ["VA-1", "VA-10"]
    assert found(engine, "VA-9") == ["VA-9"]
    assert found(engine, "co") == ["CO-5"]
    assert found(engine, "va_") == ["VA_7"]  # an underscore is itself, not any character


def test_the_prefix_va_00_does_not_match_va_1(engine, codes):
    assert found(engine, "VA-00") == ["VA-000123", "VA-001"]


def test_the_suggestions_stop_at_the_limit(engine, codes):
    assert found(engine, "VA", limit=2) == ["VA-000123", "VA-001"]


@pytest.mark.parametrize(
    "typed", ["", "   ", "VA 1", "VA-1%", "%", "_", "V*", "-VA", "VA-ù", "VA\x00", "V" * 41]
)
def test_a_prefix_no_code_could_have_finds_nothing(engine, codes, typed):
    assert found(engine, typed) == []


def test_a_suggestion_names_its_neighbourhood_and_town(engine, codes):
    (suggestion,) = households.find_households(engine, "co-5")
    assert suggestion.neighbourhood == "Rebbio (Como)"
    assert households.household_by_code(engine, "va-1").code == "VA-1"  # type: ignore[union-attr]
    assert households.household_by_code(engine, "VA-3") is None


POSTGRES_URL = os.environ.get("RETE_TEST_POSTGRES_URL")


@pytest.fixture
def italian_postgres(postgres_server: Engine) -> Iterator[Engine]:
    """A PostgreSQL database created as an Italian installation may be: its default collation
    is Italian (ICU), not the byte order of "C"."""
    name = f"rete_test_{uuid.uuid4().hex[:12]}"
    with postgres_server.connect() as connection:
        connection.execute(
            text(
                f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                "ICU_LOCALE 'it-IT' LOCALE 'C.UTF-8'"
            )
        )
    url = make_url(POSTGRES_URL or "").set(database=name).render_as_string(hide_password=False)
    engine = db.get_engine(url)
    db.upgrade(engine)
    with session_scope(engine) as session:
        taxonomy.seed_reference_data(session)
    yield engine
    db.dispose_engine(url)
    with postgres_server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_code_ending_in_9_is_found_on_a_postgresql_database_with_an_italian_collation(
    italian_postgres,
):
    places = seed_places(italian_postgres)
    household(italian_postgres, "VA-9", places["Biumo"])
    assert found(italian_postgres, "VA-9") == ["VA-9"]


# --- The household card


def person(cast: dict[str, int], name: str) -> auth.CurrentUser:
    roles = {"dora": "direzione", "olga": "operatore", "ada": "admin"}
    return auth.CurrentUser(cast[name], name, name.title(), roles[name])


@pytest.fixture
def card_world(engine) -> dict[str, int]:
    """VA-1 (Biumo, 3 members, an elderly one), with a contact block:

      autumn    01/09  Morosità: sent to Caritas 10/09, taken 15/09, concluded well 20/09;
                       sent to Sportello 05/09 (recorded afterwards), refused 08/09
      october   01/10  Malattia cronica (low), Manutenzione (urgent)
      same_day  01/10  Isolamento, recorded after `october`
      deleted   01/11  Utenze, deleted
    VA-2 (Sangallo): no contact block, no interviews.
    """
    places = seed_places(engine)
    with session_scope(engine) as session:
        va1 = records.create_household(
            session,
            editor(session),
            records.HouseholdInput(
                code="VA-1", neighbourhood_id=places["Biumo"], members=3, has_elderly=True
            ),
            records.ContactInput("Maria Rossi", "0332 123456", "maria@example.org"),
        ).id
    world = {"va1": va1, "va2": household(engine, "VA-2", places["Sangallo"])}
    world["autumn"], (arrears,) = interview(engine, va1, day(9, 1), "ECO01")
    world["october"], _ = interview(
        engine, va1, day(10, 1), ("SAN01", "low"), ("ABI01", "urgent"), channel="telefono"
    )
    world["same_day"], _ = interview(engine, va1, day(10, 1), "SOC01")
    world["deleted"], (bills,) = interview(engine, va1, day(11, 1), "ECO02")
    delete(engine, world["deleted"])
    caritas = partner(engine, "Caritas", Contact(name="Anna"))
    sportello = partner(engine, "Sportello")
    world["to_caritas"] = send(engine, arrears, caritas, day(9, 10))
    answer(engine, world["to_caritas"], "accept", day(9, 15))
    answer(engine, world["to_caritas"], "close_positive", day(9, 20))
    world["to_sportello"] = send(engine, arrears, sportello, day(9, 5))
    answer(engine, world["to_sportello"], "refuse", day(9, 8), reason="no_capacity")
    world["arrears"], world["bills"] = arrears, bills
    return world


def test_the_card_shows_the_household_its_contact_and_its_interviews_newest_first(
    engine, cast, card_world
):
    card = households.household_card(engine, person(cast, "olga"), card_world["va1"])
    assert (card.code, card.neighbourhood, card.municipality) == ("VA-1", "Biumo", "Varese")
    assert (card.members, card.has_elderly, card.has_minors, card.has_disability) == (
        3,
        True,
        False,
        False,
    )
    assert card.contact == households.ContactBlock(
        "Maria Rossi", "0332 123456", "maria@example.org"
    )
    assert [i.id for i in card.interviews] == names(card_world, "same_day", "october", "autumn")
    october = card.interviews[1]
    assert (october.channel, october.operator, october.deleted) == ("Telefono", "Cm-Prova", False)
    assert [(n.area, n.name, n.severity, n.status) for n in october.needs] == [
        ("Salute", "Malattia cronica e cure", "low", "open"),
        ("Abitare", "Manutenzione e guasti", "urgent", "open"),
    ]
    assert october.needs[0].area_colour == "#D55E00"


def test_the_card_shows_each_referral_by_sending_day_with_its_whole_history(
    engine, cast, card_world
):
    card = households.household_card(engine, person(cast, "olga"), card_world["va1"])
    (need,) = card.interviews[-1].needs
    assert need.status == "resolved"
    assert [
        (r.id, r.partner, r.contact, r.status, r.outcome, r.reason) for r in need.referrals
    ] == [
        (card_world["to_sportello"], "Sportello", None, "refused", None, "no_capacity"),
        (card_world["to_caritas"], "Caritas", "Anna", "closed", "positive", None),
    ]
    caritas = need.referrals[1]
    assert (caritas.sent_on, caritas.due_on, caritas.consent_given) == (
        day(9, 10),
        day(9, 24),
        True,
    )
    assert [(e.status, e.happened_on, e.outcome, e.by) for e in caritas.events] == [
        ("sent", day(9, 10), None, "Cm-Prova"),
        ("accepted", day(9, 15), None, "Cm-Prova"),
        ("closed", day(9, 20), "positive", "Cm-Prova"),
    ]


def test_deleted_interviews_are_on_the_card_for_the_administrator_only(engine, cast, card_world):
    for_olga = households.household_card(engine, person(cast, "olga"), card_world["va1"])
    for_ada = households.household_card(engine, person(cast, "ada"), card_world["va1"])
    assert card_world["deleted"] not in [i.id for i in for_olga.interviews]
    assert [i.id for i in for_ada.interviews] == names(
        card_world, "deleted", "same_day", "october", "autumn"
    )
    assert for_ada.interviews[0].deleted
    assert for_ada.contact is not None


def test_a_household_without_contact_block_or_interviews_has_an_empty_card(
    engine, cast, card_world
):
    card = households.household_card(engine, person(cast, "ada"), card_world["va2"])
    assert (card.code, card.contact, card.interviews) == ("VA-2", None, ())
    with pytest.raises(NotFound):
        households.household_card(engine, person(cast, "ada"), 999_999)


def views(engine) -> list[tuple[int | None, str | None, int | None]]:
    with Session(engine) as session:
        return [
            tuple(entry)  # type: ignore[misc]
            for entry in session.execute(
                select(AuditEntry.user_id, AuditEntry.entity, AuditEntry.entity_id)
                .where(AuditEntry.action == "household_viewed")
                .order_by(AuditEntry.id)
            )
        ]


def test_management_may_not_open_a_card_and_leaves_no_trace(engine, cast, card_world):
    with pytest.raises(PermissionDenied):
        households.household_card(engine, person(cast, "dora"), card_world["va1"])
    assert views(engine) == []


def test_a_card_opened_twice_in_the_window_is_one_entry_with_the_viewer(engine, cast, card_world):
    before = db.data_version(engine)
    olga, ada, va1 = person(cast, "olga"), person(cast, "ada"), card_world["va1"]
    households.household_card(engine, olga, va1)
    households.household_card(engine, olga, va1)
    assert views(engine) == [(olga.id, "household", va1)]
    households.household_card(engine, ada, va1)  # another viewer: her own entry
    households.household_card(engine, olga, card_world["va2"])  # another household: its own
    assert views(engine) == [
        (olga.id, "household", va1),
        (ada.id, "household", va1),
        (olga.id, "household", card_world["va2"]),
    ]
    assert db.data_version(engine) == before  # reading moves no cache


def test_a_card_opened_again_after_the_window_is_a_new_entry(engine, cast, card_world):
    olga, va1 = person(cast, "olga"), card_world["va1"]
    households.household_card(engine, olga, va1)
    with session_scope(engine) as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "household_viewed")
        )
        # The clock: that first opening is now a minute older than the window.
        entry.at = dt.datetime.now(dt.UTC) - audit.ACCESS_WINDOW - dt.timedelta(minutes=1)
    households.household_card(engine, olga, va1)
    assert views(engine) == [(olga.id, "household", va1)] * 2
    # With no window at all, every reading is an entry.
    audit.record_access(engine, olga, "household_viewed", "household", va1, window=dt.timedelta(0))
    assert len(views(engine)) == 3


def test_a_need_is_summed_up_with_its_household_and_place(engine, cast, card_world):
    summary = households.need_summary(engine, person(cast, "olga"), card_world["arrears"])
    with Session(engine) as session:
        arrears = category(session, "ECO01")
        biumo = session.get(Household, card_world["va1"]).neighbourhood_id  # type: ignore[union-attr]
    assert summary == households.NeedSummary(
        id=card_world["arrears"],
        household_id=card_world["va1"],
        household_code="VA-1",
        neighbourhood_id=biumo,
        neighbourhood="Biumo",
        municipality="Varese",
        category_id=arrears,
        area="Economica",
        name="Morosità canone e spese",
        severity="medium",
        status="resolved",
        held_on=day(9, 1),
    )


def test_a_need_summary_is_refused_to_management_and_not_found_once_deleted(
    engine, cast, card_world
):
    with pytest.raises(PermissionDenied):
        households.need_summary(engine, person(cast, "dora"), card_world["arrears"])
    with pytest.raises(NotFound):
        households.need_summary(engine, person(cast, "ada"), card_world["bills"])
    with pytest.raises(NotFound):
        households.need_summary(engine, person(cast, "ada"), 999_999)
