"""Searching the directory, the cards it shows, and each partner's record in the network.

Partners are ORM rows, as in test_directory.py (what is searched is the stored directory,
whatever wrote it); needs and referrals go through the write side, so the record is the one
the read model keeps.
"""

from __future__ import annotations

import datetime as dt
import uuid

import actors
import pytest
from actors import add_household, category, editor, seed_places
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import config, records
from rete.db import session_scope
from rete.directory.search import (
    DirectoryQuery,
    fold_text,
    partner_cards,
    partner_records,
    recheck_cutoff,
    search_partners,
)
from rete.filters import Filters
from rete.models import Contact, Need, Partner, PartnerArea, PartnerCategory, Setting
from rete.queries.referrals import referral_outcomes_by_partner

TODAY = dt.date(2026, 11, 25)


def add_partner(
    engine: Engine,
    name: str,
    *,
    covers: tuple[str, ...] = (),
    serves: tuple[int, ...] = (),
    towns: tuple[str, ...] = (),
    contacts: tuple[Contact, ...] = (),
    kind: str = "association",
    description: str | None = None,
    active: bool = True,
    verified: dt.date | None = None,
) -> int:
    """A partner covering specific needs or whole areas (by code), serving neighbourhoods (by
    id) and whole municipalities."""
    with session_scope(engine) as session:
        row = Partner(
            uuid=str(uuid.uuid4()),
            name=name,
            kind=kind,
            description=description,
            active=active,
            last_verified_on=verified,
        )
        session.add(row)
        session.flush()
        session.add_all(
            PartnerCategory(partner_id=row.id, category_id=category(session, code))
            for code in covers
        )
        session.add_all(PartnerArea(partner_id=row.id, neighbourhood_id=place) for place in serves)
        session.add_all(PartnerArea(partner_id=row.id, municipality=town) for town in towns)
        for contact in contacts:
            contact.partner_id = row.id
        session.add_all(contacts)
        return row.id


@pytest.fixture
def places(engine) -> dict[str, int]:
    return seed_places(engine)


@pytest.fixture
def directory(engine, places) -> dict[str, int]:
    """
    San Vincenzo   «Società San Vincenzo», Morosità (ECO01), Biumo; description «bollette»;
                   contacts Zoë Bianchi (volontaria), Marco Verdi (primary, coordinatore)
    Caritas        «CARITAS Ambrosiana», all Economica and Alcol (DIP01), all Varese;
                   contact Don Luca (Parroco)
    Energia        «Energia Amica», Utenze (ECO02), Sangallo
    Salute         «Salute Bene», Salute mentale (SAN02), all Como, a health body
    Lavoro         «Lavoro 100%_», Ricerca lavoro (LAV01), Rebbio (Como)
    Chiuso         «Chiuso per ferie», Morosità, Biumo, deactivated
    """
    return {
        "San Vincenzo": add_partner(
            engine,
            "Società San Vincenzo",
            covers=("ECO01",),
            serves=(places["Biumo"],),
            description="Aiuto per le bollette e la spesa",
            kind="parish_caritas",
            contacts=(
                Contact(name="Zoë Bianchi", role="Volontaria", email="zoe@example.org"),
                Contact(
                    name="Marco Verdi",
                    role="Coordinatore",
                    phone="0332 111222",
                    preferred_channel="telefono",
                    is_primary=True,
                ),
            ),
        ),
        "Caritas": add_partner(
            engine,
            "CARITAS Ambrosiana",
            covers=("DIP01", "ECO"),
            towns=("Varese",),
            contacts=(Contact(name="Don Luca", role="Parroco", is_primary=True),),
            kind="parish_caritas",
        ),
        "Energia": add_partner(
            engine, "Energia Amica", covers=("ECO02",), serves=(places["Sangallo"],)
        ),
        "Salute": add_partner(
            engine, "Salute Bene", covers=("SAN02",), towns=("Como",), kind="health"
        ),
        "Lavoro": add_partner(
            engine, "Lavoro 100%_", covers=("LAV01",), serves=(places["Rebbio"],)
        ),
        "Chiuso": add_partner(
            engine,
            "Chiuso per ferie",
            covers=("ECO01",),
            serves=(places["Biumo"],),
            active=False,
        ),
    }


def names(engine: Engine, **query) -> list[str]:
    page = search_partners(engine, DirectoryQuery(**query), page_size=100, today=TODAY)
    assert page.total == len(page.cards)
    return [card.name for card in page.cards]


def need_id(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        return category(session, code)


# --- Which partners a query finds


def test_no_query_lists_the_active_partners_by_name_whatever_the_case(engine, directory):
    assert names(engine) == [
        "CARITAS Ambrosiana",
        "Energia Amica",
        "Lavoro 100%_",
        "Salute Bene",
        "Società San Vincenzo",
    ]


def test_the_deactivated_partners_are_found_on_request(engine, directory):
    assert names(engine, active=False) == ["Chiuso per ferie"]
    assert len(names(engine, active=None)) == 6


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("societa", ["Società San Vincenzo"]),  # the accent typed or not
        ("SOCIETÀ", ["Società San Vincenzo"]),
        ("caritas", ["CARITAS Ambrosiana"]),  # the case
        ("ZOE", ["Società San Vincenzo"]),  # a contact's name, with a diaeresis stored
        ("parroco", ["CARITAS Ambrosiana"]),  # a contact's role
        ("bollette", ["Società San Vincenzo"]),  # the description
        ("vincenzo  società", ["Società San Vincenzo"]),  # every word, in any order
        ("vincenzo caritas", []),  # ... each word must be found
        ("100%", ["Lavoro 100%_"]),  # LIKE's wildcards are plain characters
        ("_", ["Lavoro 100%_"]),
        ("coordinatrice", []),
        ("ferie", []),  # the deactivated one, unless asked
    ],
)
def test_free_text_ignores_accents_and_case(engine, directory, text, found):
    assert names(engine, text=text) == found


def test_a_specific_need_finds_the_partners_covering_it_or_its_whole_area(engine, directory):
    assert names(engine, category_id=need_id(engine, "ECO01")) == [
        "CARITAS Ambrosiana",  # all Economica
        "Società San Vincenzo",
    ]
    assert names(engine, category_id=need_id(engine, "ECO02")) == [
        "CARITAS Ambrosiana",
        "Energia Amica",
    ]


def test_an_area_finds_the_partners_covering_it_or_any_of_its_needs(engine, directory):
    assert names(engine, area_id=need_id(engine, "ECO")) == [
        "CARITAS Ambrosiana",
        "Energia Amica",
        "Società San Vincenzo",
    ]
    assert names(engine, area_id=need_id(engine, "DIP")) == ["CARITAS Ambrosiana"]
    assert names(engine, area_id=need_id(engine, "FAM")) == []


def test_a_specific_need_narrows_the_area_and_an_area_given_as_a_need_acts_as_one(
    engine, directory
):
    both = names(engine, area_id=need_id(engine, "ECO"), category_id=need_id(engine, "ECO02"))
    assert both == ["CARITAS Ambrosiana", "Energia Amica"]
    assert names(engine, category_id=need_id(engine, "SAN")) == ["Salute Bene"]


def test_a_neighbourhood_finds_the_partners_serving_it_or_its_whole_town(engine, directory, places):
    assert names(engine, neighbourhood_id=places["Biumo"]) == [
        "CARITAS Ambrosiana",  # all Varese
        "Società San Vincenzo",
    ]
    assert names(engine, neighbourhood_id=places["Rebbio"]) == ["Lavoro 100%_", "Salute Bene"]
    assert names(engine, neighbourhood_id=places["Matteotti"]) == []


def test_a_town_finds_the_partners_serving_all_of_it_or_one_of_its_neighbourhoods(
    engine, directory, places
):
    assert names(engine, municipality="Varese") == [
        "CARITAS Ambrosiana",
        "Energia Amica",
        "Società San Vincenzo",
    ]
    assert names(engine, municipality="Como") == ["Lavoro 100%_", "Salute Bene"]
    # The neighbourhood narrows the town, as in the Cruscotto's filters.
    assert names(engine, municipality="Como", neighbourhood_id=places["Sangallo"]) == [
        "CARITAS Ambrosiana",
        "Energia Amica",
    ]


def test_kind_and_every_filter_together(engine, directory, places):
    assert names(engine, kind="parish_caritas") == [
        "CARITAS Ambrosiana",
        "Società San Vincenzo",
    ]
    assert names(
        engine,
        text="verdi",
        kind="parish_caritas",
        category_id=need_id(engine, "ECO01"),
        neighbourhood_id=places["Biumo"],
    ) == ["Società San Vincenzo"]


def test_pages_follow_the_order_and_the_total_counts_every_page(engine, directory):
    first = search_partners(engine, DirectoryQuery(), page=1, page_size=2, today=TODAY)
    third = search_partners(engine, DirectoryQuery(), page=3, page_size=2, today=TODAY)
    beyond = search_partners(engine, DirectoryQuery(), page=4, page_size=2, today=TODAY)
    assert [c.name for c in first.cards] == ["CARITAS Ambrosiana", "Energia Amica"]
    assert [c.name for c in third.cards] == ["Società San Vincenzo"]
    assert (first.total, third.total, beyond.total, beyond.cards) == (5, 5, 5, ())


def test_folding_is_the_same_in_python_and_in_sql():
    assert fold_text("Università Sant’Àngelo ÇÖß") == "universita sant'angelo coß"
    assert fold_text(None) is None


# --- The card


def card(engine: Engine, partner_id: int):
    (found,) = partner_cards(engine, [partner_id], today=TODAY)
    return found


def test_a_card_says_what_the_partner_covers_in_taxonomy_order_and_where(engine, directory):
    caritas = card(engine, directory["Caritas"])
    assert caritas.covers == ("tutta l'area Economica", "Alcol")  # Economica comes first
    assert caritas.serves == ("comune di Varese",)
    assert caritas.kind == "parrocchia/Caritas"
    vincenzo = card(engine, directory["San Vincenzo"])
    assert vincenzo.covers == ("Morosità canone e spese",)
    assert vincenzo.serves == ("Biumo (Varese)",)
    assert vincenzo.description == "Aiuto per le bollette e la spesa"
    assert (vincenzo.active, vincenzo.version) == (True, 1)


def test_a_card_lists_its_contacts_the_primary_first(engine, directory):
    contacts = card(engine, directory["San Vincenzo"]).contacts
    assert [(c.name, c.role, c.is_primary) for c in contacts] == [
        ("Marco Verdi", "Coordinatore", True),
        ("Zoë Bianchi", "Volontaria", False),
    ]
    assert (contacts[0].phone, contacts[0].preferred_channel) == ("0332 111222", "telefono")


def test_whole_towns_come_before_neighbourhoods(engine, places):
    mixed = add_partner(
        engine,
        "Misto",
        serves=(places["Sangallo"], places["Biumo"], places["Rebbio"]),
        towns=("Saronno", "Como"),
    )
    assert card(engine, mixed).serves == (
        "comune di Como",
        "comune di Saronno",
        "Rebbio (Como)",
        "Biumo (Varese)",
        "Sangallo (Varese)",
    )


def test_cards_keep_the_order_asked_for_and_leave_unknown_ids_out(engine, directory):
    cards = partner_cards(engine, [directory["Lavoro"], 999_999, directory["Caritas"]])
    assert [c.name for c in cards] == ["Lavoro 100%_", "CARITAS Ambrosiana"]


@pytest.mark.parametrize(
    ("verified", "months", "needs_check"),
    [
        (None, "6", True),  # never verified
        (dt.date(2026, 5, 25), "6", False),  # six months ago to the day
        (dt.date(2026, 5, 24), "6", True),  # more than six
        (dt.date(2026, 5, 24), "12", False),  # the setting changed
        (dt.date(2026, 9, 1), "2", True),
    ],
)
def test_an_entry_needs_checking_when_older_than_the_setting(engine, verified, months, needs_check):
    partner_id = add_partner(engine, "Verificato", verified=verified)
    with session_scope(engine) as session:
        session.add(Setting(key=config.SETTING_RECHECK_MONTHS, value=months))
    assert card(engine, partner_id).needs_check is needs_check


def test_the_recheck_cutoff_moves_by_whole_months():
    assert recheck_cutoff(dt.date(2026, 11, 25), 6) == dt.date(2026, 5, 25)
    assert recheck_cutoff(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert recheck_cutoff(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)


# --- The record in the network


def send(engine: Engine, need: int, partner_id: int, sent_on: dt.date) -> int:
    return actors.send(engine, need, partner_id, sent_on, TODAY)


def answer(engine: Engine, referral_id: int, *moves: tuple[str, dt.date]) -> None:
    actors.answer(engine, referral_id, *moves, today=TODAY)


def interview(engine: Engine, household_id: int, count: int) -> tuple[int, list[int]]:
    with session_scope(engine) as session:
        saved = records.record_interview(
            session,
            editor(session),
            household_id=household_id,
            held_on=dt.date(2026, 7, 1),
            channel_code="sportello",
            needs=[records.NeedInput(category(session, "ECO01")) for _ in range(count)],
            today=TODAY,
        )
        return saved.id, list(
            session.scalars(select(Need.id).where(Need.interview_id == saved.id).order_by(Need.id))
        )


PERIOD = (202609, 202610)  # September and October 2026; today is 25/11/2026


@pytest.fixture
def history(engine, places) -> dict[str, int]:
    """Referrals to Alfa and Beta, counted by hand (D = days to taking in charge):

    Alfa  r1 02/09 taken 03/09 (D 1)      in the period
          r2 02/09 taken 06/09 (D 4), concluded
          r3 02/09 refused
          r4 01/10 cancelled
          r5 05/10 waiting, due 19/10: overdue in the period and now
          r6 01/08 waiting: overdue now, before the period
          r7 03/08 taken 13/08 (D 10): before the period, open now
          r8 20/11 waiting, due 04/12: open now, not overdue, after the period
          r9 02/09 refused, of an interview deleted afterwards: never counted
      -> received 5, taken 2, refused 1, cancelled 1, overdue 1, share 2 / 4,
         median of (1, 4) = 2.5; open now r1 r5 r6 r7 r8, overdue now r5 r6
    Beta  taken after 2, 3 and 9 days -> median 3 (an odd count)
    Gamma nothing
    """
    ids = {name: add_partner(engine, name, covers=("ECO01",)) for name in ("Alfa", "Beta", "Gamma")}
    with session_scope(engine) as session:
        household = add_household(session, code="VA-001", neighbourhood_id=places["Biumo"]).id
    _, needs = interview(engine, household, 11)
    deleted, (gone,) = interview(engine, household, 1)
    alfa, beta = ids["Alfa"], ids["Beta"]
    day = dt.date
    answer(engine, send(engine, needs[0], alfa, day(2026, 9, 2)), ("accept", day(2026, 9, 3)))
    answer(
        engine,
        send(engine, needs[1], alfa, day(2026, 9, 2)),
        ("accept", day(2026, 9, 6)),
        ("close_positive", day(2026, 9, 30)),
    )
    answer(engine, send(engine, needs[2], alfa, day(2026, 9, 2)), ("refuse", day(2026, 9, 4)))
    answer(engine, send(engine, needs[3], alfa, day(2026, 10, 1)), ("cancel", day(2026, 10, 2)))
    send(engine, needs[4], alfa, day(2026, 10, 5))
    send(engine, needs[5], alfa, day(2026, 8, 1))
    answer(engine, send(engine, needs[6], alfa, day(2026, 8, 3)), ("accept", day(2026, 8, 13)))
    send(engine, needs[7], alfa, day(2026, 11, 20))
    answer(engine, send(engine, gone, alfa, day(2026, 9, 2)), ("refuse", day(2026, 9, 3)))
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), deleted)
    for need, taken_on in zip(needs[8:], (3, 4, 10), strict=True):
        answer(
            engine,
            send(engine, need, beta, day(2026, 10, 1)),
            ("accept", day(2026, 10, taken_on)),
        )
    return ids


def test_a_record_counts_the_referrals_of_the_period_and_what_waits_now(engine, history):
    found = partner_records(engine, [history["Alfa"]], *PERIOD, TODAY)
    alfa = found[history["Alfa"]]
    assert (alfa.received, alfa.taken, alfa.refused, alfa.cancelled, alfa.overdue) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert alfa.judged == 4
    assert alfa.share_taken == pytest.approx(0.5)  # the Cruscotto's share: 2 of 2 + 1 + 1
    assert alfa.median_days == pytest.approx(2.5)  # an even count: the two middle ones
    assert (alfa.open_now, alfa.overdue_now) == (5, 2)


def test_the_median_of_an_odd_count_is_the_middle_one(engine, history):
    beta = partner_records(engine, [history["Beta"]], *PERIOD, TODAY)[history["Beta"]]
    assert (beta.received, beta.taken, beta.median_days, beta.share_taken) == (3, 3, 3.0, 1.0)
    assert (beta.open_now, beta.overdue_now) == (3, 0)


def test_a_partner_without_referrals_has_an_empty_record(engine, history):
    gamma = partner_records(engine, [history["Gamma"]], *PERIOD, TODAY)[history["Gamma"]]
    assert (gamma.received, gamma.open_now, gamma.overdue_now) == (0, 0, 0)
    assert (gamma.share_taken, gamma.median_days) == (None, None)


def test_another_period_changes_the_counts_not_what_waits_now(engine, history):
    august = partner_records(engine, [history["Alfa"]], 202608, 202608, TODAY)[history["Alfa"]]
    assert (august.received, august.taken, august.overdue, august.median_days) == (2, 1, 1, 10.0)
    assert (august.open_now, august.overdue_now) == (5, 2)


def test_records_come_for_every_partner_asked_for_and_only_those(engine, history):
    asked = [history["Gamma"], history["Alfa"], history["Gamma"]]
    assert list(partner_records(engine, asked, *PERIOD, TODAY)) == [
        history["Gamma"],
        history["Alfa"],
    ]
    assert partner_records(engine, [], *PERIOD, TODAY) == {}


def test_a_record_says_what_the_cruscotto_says_of_the_partner(engine, history):
    period = Filters(period="2026-09:2026-10", start=PERIOD[0], end=PERIOD[1])
    cruscotto = referral_outcomes_by_partner(engine, period, TODAY).set_index("partner_id")
    found = partner_records(engine, [history["Alfa"], history["Beta"]], *PERIOD, TODAY)
    for partner_id, record in found.items():
        row = cruscotto.loc[partner_id]
        assert (record.received, record.taken, record.refused, record.cancelled) == (
            row.sent,
            row.accepted,
            row.refused,
            row.cancelled,
        )
        assert record.overdue == row.overdue
        assert record.share_taken == pytest.approx(row.share_accepted)
