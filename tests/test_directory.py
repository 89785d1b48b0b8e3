"""The partner directory: who is proposed for a need in a place, in which order, and why.

Partners, their contacts and what they cover are ORM rows (the directory's own writers come
later); needs and referrals go through the write side, so the record a ranking reads is the
one the read model keeps.
"""

from __future__ import annotations

import datetime as dt
import uuid

import actors
import pytest
from actors import add_household, category, editor, seed_places
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import directory, records
from rete.db import session_scope
from rete.errors import NotFound
from rete.models import (
    Contact,
    Need,
    Partner,
    PartnerArea,
    PartnerCategory,
)

TODAY = dt.date(2026, 11, 25)
NEED = "Morosità canone e spese"  # ECO01, in the area Economica (ECO)


def day(month: int, number: int) -> dt.date:
    return dt.date(2026, month, number)


def partner(
    engine: Engine,
    name: str,
    *,
    covers: tuple[str, ...],
    serves: tuple[int, ...] = (),
    towns: tuple[str, ...] = (),
    contacts: tuple[Contact, ...] = (),
    active: bool = True,
    kind: str = "association",
) -> int:
    """A partner covering specific needs or whole areas (by code), serving neighbourhoods (by
    id) and whole municipalities."""
    with session_scope(engine) as session:
        row = Partner(uuid=str(uuid.uuid4()), name=name, kind=kind, active=active)
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


def proposed(engine: Engine, places: dict[str, int], place: str, code: str = "ECO01"):
    with Session(engine) as session:
        need = category(session, code)
    return directory.propose_partners(engine, need, places[place])


# --- Who is proposed, and in which order


@pytest.fixture
def places(engine) -> dict[str, int]:
    return seed_places(engine)


@pytest.fixture
def partners(engine, places) -> dict[str, int]:
    """Named so that the alphabet gives the opposite of the expected order for Biumo:

      Dimora            Morosità and all Economica   Biumo and all Varese   contacts Anna,
                                                                            Zeno (primary), Bruno
      Caritas           Morosità                     all Varese
      Banco Alimentare  all Economica                Biumo
      Anziani Insieme   all Economica                all Varese
    never proposed for Morosità in Biumo:
      Energia Amica     Utenze (the sibling need)    Biumo
      Salute Bene       all Salute                   Biumo
      Sangallo Solidale Morosità                     Sangallo (another neighbourhood of Varese)
      Como Aiuta        Morosità                     all Como
      Chiuso            Morosità                     Biumo                  inactive
    """
    biumo, sangallo = places["Biumo"], places["Sangallo"]
    return {
        "Dimora": partner(
            engine,
            "Dimora",
            covers=("ECO01", "ECO"),
            serves=(biumo,),
            towns=("Varese",),
            contacts=(
                Contact(name="Anna", role="educatrice"),
                Contact(
                    name="Zeno",
                    role="coordinatore",
                    phone="0332 111222",
                    email="zeno@dimora.example",
                    preferred_channel="telefono",
                    is_primary=True,
                ),
                Contact(name="Bruno"),
            ),
        ),
        "Caritas": partner(
            engine, "Caritas", covers=("ECO01",), towns=("Varese",), kind="parish_caritas"
        ),
        "Banco Alimentare": partner(engine, "Banco Alimentare", covers=("ECO",), serves=(biumo,)),
        "Anziani Insieme": partner(engine, "Anziani Insieme", covers=("ECO",), towns=("Varese",)),
        "Energia Amica": partner(engine, "Energia Amica", covers=("ECO02",), serves=(biumo,)),
        "Salute Bene": partner(engine, "Salute Bene", covers=("SAN",), serves=(biumo,)),
        "Sangallo Solidale": partner(
            engine, "Sangallo Solidale", covers=("ECO01",), serves=(sangallo,)
        ),
        "Como Aiuta": partner(engine, "Como Aiuta", covers=("ECO01",), towns=("Como",)),
        "Chiuso": partner(engine, "Chiuso", covers=("ECO01",), serves=(biumo,), active=False),
    }


def test_the_exact_need_comes_before_the_area_and_the_neighbourhood_before_the_town(
    engine, places, partners
):
    found = proposed(engine, places, "Biumo")
    assert [(p.name, p.exact_need, p.in_neighbourhood) for p in found] == [
        ("Dimora", True, True),
        ("Caritas", True, False),
        ("Banco Alimentare", False, True),
        ("Anziani Insieme", False, False),
    ]
    assert [p.partner_id for p in found] == [
        partners[name] for name in ("Dimora", "Caritas", "Banco Alimentare", "Anziani Insieme")
    ]


def test_the_reason_says_what_the_partner_covers_and_where(engine, places, partners):
    reasons = {p.name: p.reason for p in proposed(engine, places, "Biumo")}
    assert reasons["Dimora"] == (
        f"copre questo bisogno · serve Biumo · nessuna segnalazione di «{NEED}» finora"
    )
    assert reasons["Anziani Insieme"] == (
        "copre tutta l'area di questo bisogno · serve il comune di Varese · "
        f"nessuna segnalazione di «{NEED}» finora"
    )


def test_another_neighbourhood_of_the_same_town_ranks_by_its_own_rows(engine, places, partners):
    # Dimora's row for Biumo does not make it a neighbour of Sangallo.
    found = proposed(engine, places, "Sangallo")
    assert [(p.name, p.in_neighbourhood) for p in found] == [
        ("Sangallo Solidale", True),
        ("Caritas", False),
        ("Dimora", False),
        ("Anziani Insieme", False),
    ]


def test_another_town_gets_its_own_partners(engine, places, partners):
    assert [p.name for p in proposed(engine, places, "Rebbio")] == ["Como Aiuta"]


def test_a_sibling_need_gets_the_area_partners_and_its_own(engine, places, partners):
    found = proposed(engine, places, "Biumo", code="ECO02")
    assert [(p.name, p.exact_need) for p in found] == [
        ("Energia Amica", True),
        ("Banco Alimentare", False),
        ("Dimora", False),
        ("Anziani Insieme", False),
    ]


def test_a_proposal_carries_its_kind_and_its_contacts_the_primary_first(engine, places, partners):
    found = {p.name: p for p in proposed(engine, places, "Biumo")}
    assert found["Caritas"].kind == "parrocchia/Caritas"
    assert found["Caritas"].contacts == ()
    assert [c.name for c in found["Dimora"].contacts] == ["Zeno", "Anna", "Bruno"]
    zeno = found["Dimora"].contacts[0]
    assert (zeno.role, zeno.phone, zeno.email, zeno.preferred_channel, zeno.is_primary) == (
        "coordinatore",
        "0332 111222",
        "zeno@dimora.example",
        "telefono",
        True,
    )


def test_a_partners_contacts_are_its_own_the_primary_first(engine, partners):
    contacts = directory.partner_contacts(engine, partners["Dimora"])
    assert [(c.name, c.is_primary) for c in contacts] == [
        ("Zeno", True),
        ("Anna", False),
        ("Bruno", False),
    ]
    assert directory.partner_contacts(engine, partners["Caritas"]) == []


def test_the_choice_beyond_the_proposals_is_every_active_partner_by_name(engine, partners):
    assert directory.active_partners(engine) == [
        (partners[name], name)
        for name in (
            "Anziani Insieme",
            "Banco Alimentare",
            "Caritas",
            "Como Aiuta",
            "Dimora",
            "Energia Amica",
            "Salute Bene",
            "Sangallo Solidale",
        )
    ]


def test_an_area_or_an_unknown_place_is_not_a_need_to_propose_for(engine, places, partners):
    with Session(engine) as session:
        area, need = category(session, "ECO"), category(session, "ECO01")
    with pytest.raises(NotFound):
        directory.propose_partners(engine, area, places["Biumo"])
    with pytest.raises(NotFound):
        directory.propose_partners(engine, need, 999_999)
    with pytest.raises(NotFound):
        directory.propose_partners(engine, 999_999, places["Biumo"])


# --- The record: how each partner answered this specific need before


def send(engine: Engine, need: int, partner_id: int, sent_on: dt.date) -> int:
    return actors.send(engine, need, partner_id, sent_on, TODAY)


def answer(engine: Engine, referral_id: int, *moves: tuple[str, dt.date]) -> None:
    actors.answer(engine, referral_id, *moves, today=TODAY)


def interview(engine: Engine, household_id: int, *codes: str) -> tuple[int, list[int]]:
    with session_scope(engine) as session:
        saved = records.record_interview(
            session,
            editor(session),
            household_id=household_id,
            held_on=day(9, 1),
            channel_code="sportello",
            needs=[records.NeedInput(category(session, code)) for code in codes],
            today=TODAY,
        )
        return saved.id, list(
            session.scalars(select(Need.id).where(Need.interview_id == saved.id).order_by(Need.id))
        )


@pytest.fixture
def record(engine, places) -> dict[str, int]:
    """Partners serving Biumo, and how they answered Morosità needs of VA-100 (Sangallo: the
    record is the partner's, wherever the need was). Sent 02/09 unless said otherwise.

      Alfa     Morosità, Biumo    n1 taken after 1 day; n2 refused; n2 again 10/09, taken
                                  11/09 then cancelled (not an answer); n3 still waiting
                                  -> 1 taken of 2 answered, 1 day: the fastest, not the surest
      Beta     Morosità and       n1 taken after 3 days and concluded; n2 taken after 5 days;
      (Utenze), Biumo             n3 refused; two Utenze needs refused (another need)
                                  -> 2 of 3, 4 days
      Gamma    Morosità, Biumo    n1, n2 taken after 2 days; n3 refused; a Morosità need of a
                                  deleted interview refused twice -> 2 of 3, 2 days
      Delta    Morosità, Biumo    nothing yet
      Zeta     Morosità, Varese   n3 taken after 1 day -> 1 of 1, but only the town
      Epsilon  Economica, Biumo   n3 taken after 1 day -> 1 of 1, but only the area
    """
    biumo = places["Biumo"]
    ids = {
        name: partner(engine, name, covers=("ECO01",), serves=(biumo,))
        for name in ("Alfa", "Gamma", "Delta")
    }
    ids["Beta"] = partner(engine, "Beta", covers=("ECO01", "ECO02"), serves=(biumo,))
    ids["Zeta"] = partner(engine, "Zeta", covers=("ECO01",), towns=("Varese",))
    ids["Epsilon"] = partner(engine, "Epsilon", covers=("ECO",), serves=(biumo,))
    with session_scope(engine) as session:
        va100 = add_household(session, code="VA-100", neighbourhood_id=places["Sangallo"]).id
    _, (n1, n2, n3, u1, u2) = interview(engine, va100, "ECO01", "ECO01", "ECO01", "ECO02", "ECO02")
    deleted, (gone,) = interview(engine, va100, "ECO01")
    sent = day(9, 2)

    alfa = ids["Alfa"]
    answer(engine, send(engine, n1, alfa, sent), ("accept", day(9, 3)))
    answer(engine, send(engine, n2, alfa, sent), ("refuse", day(9, 4)))
    answer(
        engine,
        send(engine, n2, alfa, day(9, 10)),
        ("accept", day(9, 11)),
        ("cancel", day(9, 20)),
    )
    send(engine, n3, alfa, sent)

    beta = ids["Beta"]
    answer(
        engine, send(engine, n1, beta, sent), ("accept", day(9, 5)), ("close_positive", day(9, 30))
    )
    answer(engine, send(engine, n2, beta, sent), ("accept", day(9, 7)))
    answer(engine, send(engine, n3, beta, sent), ("refuse", day(9, 3)))
    for utility in (u1, u2):
        answer(engine, send(engine, utility, beta, sent), ("refuse", day(9, 3)))

    gamma = ids["Gamma"]
    answer(engine, send(engine, n1, gamma, sent), ("accept", day(9, 4)))
    answer(engine, send(engine, n2, gamma, sent), ("accept", day(9, 4)))
    answer(engine, send(engine, n3, gamma, sent), ("refuse", day(9, 5)))
    answer(engine, send(engine, gone, gamma, sent), ("refuse", day(9, 3)))
    answer(engine, send(engine, gone, gamma, day(9, 4)), ("refuse", day(9, 5)))
    with session_scope(engine) as session:
        records.soft_delete_interview(session, editor(session), deleted)

    answer(engine, send(engine, n3, ids["Zeta"], sent), ("accept", day(9, 3)))
    answer(engine, send(engine, n3, ids["Epsilon"], sent), ("accept", day(9, 3)))
    return ids


def test_partners_equally_placed_rank_by_share_taken_then_by_speed_then_by_name(
    engine, places, record
):
    found = proposed(engine, places, "Biumo")
    assert [(p.name, p.answered, p.taken, p.mean_days) for p in found] == [
        ("Gamma", 3, 2, 2.0),
        ("Beta", 3, 2, 4.0),
        ("Alfa", 2, 1, 1.0),  # faster than both, but a lower share
        ("Delta", 0, 0, None),
        ("Zeta", 1, 1, 1.0),  # the best record, but only the town
        ("Epsilon", 1, 1, 1.0),  # the best record, but only the area
    ]


def test_the_reason_gives_the_record_in_words(engine, places, record):
    reasons = {p.name: p.reason for p in proposed(engine, places, "Biumo")}
    assert reasons["Beta"] == (
        "copre questo bisogno · serve Biumo · 2 prese in carico su 3, in media 4 giorni"
    )
    assert reasons["Gamma"] == (
        "copre questo bisogno · serve Biumo · 2 prese in carico su 3, in media 2 giorni"
    )


def test_the_reason_speaks_of_one_taking_in_charge_and_one_day_in_the_singular(
    engine, places, record
):
    reasons = {p.name: p.reason for p in proposed(engine, places, "Biumo")}
    assert reasons["Zeta"] == (
        "copre questo bisogno · serve il comune di Varese · 1 presa in carico su 1, "
        "in media 1 giorno"
    )


def test_a_record_is_of_the_specific_need_only(engine, places, record):
    # Beta refused two Utenze needs: for Utenze its record is those, not its Morosità.
    found = proposed(engine, places, "Biumo", code="ECO02")
    assert [(p.name, p.answered, p.taken, p.mean_days) for p in found] == [
        ("Beta", 2, 0, None),
        ("Epsilon", 0, 0, None),
    ]
    assert found[0].reason == "copre questo bisogno · serve Biumo · 0 prese in carico su 2"


def test_an_inactive_partner_is_never_proposed_whatever_its_record(engine, places, record):
    with session_scope(engine) as session:
        session.get(Partner, record["Gamma"]).active = False  # type: ignore[union-attr]
    names = [p.name for p in proposed(engine, places, "Biumo")]
    assert names == ["Beta", "Alfa", "Delta", "Zeta", "Epsilon"]
    assert (record["Gamma"], "Gamma") not in directory.active_partners(engine)
