"""«Copertura della rete»: needs recorded against the partners able to take them, the gaps,
the partners never used, the entries to check again; on a hand-built network.

    needs (interviews through the write side)      period: September-October 2026
      Biumo (Varese)     ECO01 ×3, ECO02 ×1         09/2026
      Sangallo (Varese)  ECO01 ×2                   10/2026
      Rebbio (Como)      SAN02 ×1                   10/2026
      Biumo              LAV01 ×1                   05/2026, before the period

    partners
      Alfa    Morosità (ECO01), Biumo               verified 25/05/2026 (6 months ago today)
      Beta    Utenze (ECO02), Sangallo              verified 24/05/2026 (more than 6)
      Chiuso  all Salute, all Como, deactivated     never verified
"""

from __future__ import annotations

import datetime as dt

import pytest
from actors import add_household, category, editor, seed_places
from sqlalchemy import Engine, select
from test_directory_search import add_partner

from rete import config, records, referrals
from rete.db import session_scope
from rete.directory import coverage
from rete.models import Category, Need, Partner, Setting

TODAY = dt.date(2026, 11, 25)
START, END = 202609, 202610


def record(engine: Engine, place: int, held_on: dt.date, *codes: str) -> list[int]:
    """An interview in `place` with needs of these specific needs; their ids."""
    with session_scope(engine) as session:
        household = add_household(
            session, code=f"H-{place}-{held_on:%m%d}-{len(codes)}", neighbourhood_id=place
        )
        saved = records.record_interview(
            session,
            editor(session),
            household_id=household.id,
            held_on=held_on,
            channel_code="sportello",
            needs=[records.NeedInput(category(session, code)) for code in codes],
            today=TODAY,
        )
        return list(
            session.scalars(select(Need.id).where(Need.interview_id == saved.id).order_by(Need.id))
        )


@pytest.fixture
def places(engine) -> dict[str, int]:
    return seed_places(engine)


@pytest.fixture
def network(engine, places) -> dict[str, int]:
    record(engine, places["Biumo"], dt.date(2026, 9, 10), "ECO01", "ECO01", "ECO01", "ECO02")
    record(engine, places["Sangallo"], dt.date(2026, 10, 3), "ECO01", "ECO01")
    record(engine, places["Rebbio"], dt.date(2026, 10, 20), "SAN02")
    record(engine, places["Biumo"], dt.date(2026, 5, 4), "LAV01")
    return {
        "Alfa": add_partner(
            engine,
            "Alfa",
            covers=("ECO01",),
            serves=(places["Biumo"],),
            verified=dt.date(2026, 5, 25),
        ),
        "Beta": add_partner(
            engine,
            "Beta",
            covers=("ECO02",),
            serves=(places["Sangallo"],),
            verified=dt.date(2026, 5, 24),
        ),
        "Chiuso": add_partner(engine, "Chiuso", covers=("SAN",), towns=("Como",), active=False),
    }


def gaps(engine: Engine) -> list[tuple[str, str, int, int]]:
    frame = coverage.network_gaps(engine, START, END)
    return [
        (row.neighbourhood, row.area_code, row.needs, row.uncovered)
        for row in frame.itertuples(index=False)
    ]


def gap_needs(engine: Engine) -> list[tuple[str, str, int]]:
    frame = coverage.gap_needs(engine, START, END)
    return [(row.neighbourhood, row.code, row.needs) for row in frame.itertuples(index=False)]


# --- Buchi della rete


def test_a_gap_is_a_need_no_active_partner_takes_there(engine, network):
    assert gaps(engine) == [
        ("Rebbio", "SAN", 1, 1),  # Chiuso would take it, but it is deactivated
        ("Biumo", "ECO", 4, 1),  # Alfa takes Morosità there; nobody takes Utenze in Biumo
        ("Sangallo", "ECO", 2, 2),  # Alfa serves only Biumo, Beta covers only Utenze
    ]
    assert gap_needs(engine) == [
        ("Rebbio", "SAN02", 1),
        ("Biumo", "ECO02", 1),
        ("Sangallo", "ECO01", 2),
    ]


def test_a_partner_covering_the_whole_area_in_the_whole_town_closes_its_gaps(engine, network):
    add_partner(engine, "Comune", covers=("ECO",), towns=("Varese",))
    assert gaps(engine) == [
        ("Rebbio", "SAN", 1, 1),
        ("Biumo", "ECO", 4, 0),
        ("Sangallo", "ECO", 2, 0),
    ]
    assert gap_needs(engine) == [("Rebbio", "SAN02", 1)]


def test_a_partner_reactivated_closes_the_gap_it_covers(engine, network):
    with session_scope(engine) as session:
        session.get(Partner, network["Chiuso"]).active = True  # type: ignore[union-attr]
    assert gaps(engine)[0] == ("Rebbio", "SAN", 1, 0)


def test_a_partner_of_another_town_or_a_sibling_need_does_not_close_a_gap(engine, network, places):
    add_partner(engine, "Como Economia", covers=("ECO",), towns=("Como",))
    add_partner(engine, "Biumo Utenze", covers=("ECO02",), serves=(places["Biumo"],))
    assert gap_needs(engine) == [("Rebbio", "SAN02", 1), ("Sangallo", "ECO01", 2)]


def test_the_gaps_are_of_the_period_only(engine, network, places):
    (may,) = coverage.network_gaps(engine, 202605, 202605).to_dict("records")
    with session_scope(engine) as session:
        area = category(session, "LAV")
    assert may == {
        "neighbourhood_id": places["Biumo"],
        "neighbourhood": "Biumo",
        "municipality": "Varese",
        "area_id": area,
        "area_code": "LAV",
        "area": "Lavoro e formazione",
        "colour": "#009E73",
        "needs": 1,
        "uncovered": 1,
    }
    assert coverage.network_gaps(engine, 202401, 202412).empty


# --- Needs against the partners covering them


def test_each_specific_need_counts_its_needs_and_the_active_partners_covering_it(engine, network):
    add_partner(engine, "Economia ovunque", covers=("ECO",))
    frame = coverage.coverage_by_need(engine, START, END).set_index("code")
    assert list(frame.loc[["ECO01", "ECO02", "ECO03", "SAN02", "LAV01"], "needs"]) == [
        5,
        1,
        0,
        1,
        0,
    ]
    assert list(frame.loc[["ECO01", "ECO02", "ECO03", "SAN02"], "partners"]) == [2, 2, 1, 0]
    assert list(frame.index[:3]) == ["ABI01", "ABI02", "ABI03"]  # taxonomy order
    assert frame.loc["ECO01", "area"] == "Economica"


def test_each_area_counts_its_partners_for_the_whole_area_and_for_any_need(engine, network):
    add_partner(engine, "Economia ovunque", covers=("ECO",))
    frame = coverage.coverage_by_area(engine, START, END).set_index("area_code")
    assert list(frame.index) == ["ABI", "ECO", "LAV", "SAN", "DIP", "FAM", "SOC", "AMM"]
    assert frame.loc["ECO"].drop("area_id").to_dict() == {
        "area": "Economica",
        "colour": "#E69F00",
        "needs": 6,
        "partners_area": 1,
        "partners_any": 3,
    }
    assert (frame.loc["SAN", "needs"], frame.loc["SAN", "partners_any"]) == (1, 0)
    assert frame.loc["LAV", "needs"] == 0  # its need is of May


# --- Partners to look at


def test_the_partners_sent_nothing_in_the_period_are_listed(engine, network, places):
    (need,) = record(engine, places["Biumo"], dt.date(2026, 9, 1), "ECO01")
    with session_scope(engine) as session:
        referrals.send_referral(
            session,
            editor(session),
            referrals.ReferralInput(
                need_id=need,
                partner_id=network["Alfa"],
                contact_id=None,
                channel_code="telefono",
                sent_on=dt.date(2026, 10, 30),
                consent_given=True,
            ),
            today=TODAY,
        )
    assert list(coverage.unused_partners(engine, START, END).name) == ["Beta"]
    # November: Alfa's referral is of October; the deactivated partner is never listed.
    assert list(coverage.unused_partners(engine, 202611, 202611).name) == ["Alfa", "Beta"]


def test_entries_not_verified_for_longer_than_the_setting_are_to_check(engine, network):
    never = add_partner(engine, "Mai verificato", kind="trade_union")
    frame = coverage.partners_to_recheck(engine, TODAY)
    assert list(frame.name) == ["Mai verificato", "Beta"]
    assert frame.kind[0] == "sindacato"
    assert frame.partner_id[0] == never
    assert frame.last_verified_on[1] == dt.date(2026, 5, 24)
    with session_scope(engine) as session:
        session.add(Setting(key=config.SETTING_RECHECK_MONTHS, value="3"))
    assert list(coverage.partners_to_recheck(engine, TODAY).name) == [
        "Mai verificato",
        "Beta",
        "Alfa",
    ]


def test_a_retired_specific_need_shows_only_while_needs_of_it_are_counted(engine, network):
    with session_scope(engine) as session:
        for code in ("ECO02", "ECO03"):
            session.get(Category, category(session, code)).active = False  # type: ignore[union-attr]
    codes = list(coverage.coverage_by_need(engine, START, END).code)
    assert "ECO02" in codes  # one need of it in Biumo
    assert "ECO03" not in codes


def test_the_section_is_the_functions_together(engine, network):
    add_partner(engine, "Comune", covers=("ECO",), towns=("Varese",))
    section = coverage.coverage_section(engine, START, END, TODAY)
    pairs = [
        (section.by_need, coverage.coverage_by_need(engine, START, END)),
        (section.by_area, coverage.coverage_by_area(engine, START, END)),
        (section.gaps, coverage.network_gaps(engine, START, END)),
        (section.gap_needs, coverage.gap_needs(engine, START, END)),
        (section.unused, coverage.unused_partners(engine, START, END)),
        (section.to_recheck, coverage.partners_to_recheck(engine, TODAY)),
    ]
    for together, alone in pairs:
        assert together.equals(alone)
    assert list(section.unused.name) == ["Alfa", "Beta", "Comune"]
