"""The Cruscotto's aggregates, checked against small datasets whose numbers are counted by hand.

The dataset of `world` (today = 25/11/2026; "first half" = 2026-01..2026-06):

    household  neighbourhood         interview                     needs
    VA-001     Sangallo, Varese      I1 10/02/2026 ufficio_mobile  ABI01, ABI02, SAN02
    VA-001     Sangallo, Varese      I2 15/04/2026 telefono        ABI01
    VA-002     Biumo, Varese         I3 20/04/2026 ufficio_mobile  SAN01
    CO-001     Rebbio, Como          I4 05/11/2025 sportello       ECO01, ECO02

    referral  need       partner    sent        due         status     accepted (days)
    R1        I1 ABI01   Caritas    12/02/2026  26/02/2026  accepted   15/02 (3)
    R2        I1 SAN02   ASST       12/02/2026  26/02/2026  closed +   17/02 (5)
    R3        I2 ABI01   Caritas    16/04/2026  30/04/2026  closed -   26/04 (10)
    R4        I3 SAN01   ASST       21/04/2026  05/05/2026  refused
    R5        I1 ABI02   Comune     01/05/2026  15/05/2026  sent       (overdue after 15/05)
    R6        I3 SAN01   Comune     01/06/2026  15/06/2026  cancelled
    R7        I2 ABI01   Caritas    03/06/2026  17/06/2026  sent       (overdue after 17/06)
    R8        I4 ECO01   Comune     06/11/2025  20/11/2025  accepted   10/11 (4)
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest
from actors import add_household, editor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import db, downloads, queries, readmodel, records, taxonomy
from rete.db import session_scope
from rete.filters import Filters, month_of, month_range
from rete.models import Category, Need, Neighbourhood, Partner, Referral

TODAY = dt.date(2026, 11, 25)
FIRST_HALF = Filters(period="2026-01:2026-06", start=202601, end=202606)
TWELVE_MONTHS = Filters(period="2025-07:2026-06", start=202507, end=202606)
NOTHING_THERE = Filters(period="2024-01:2024-03", start=202401, end=202403)


def category_ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {code: id_ for code, id_ in session.execute(select(Category.code, Category.id))}


def add_interview(
    session: Session, household_id: int, held_on: dt.date, channel: str, codes: list[str]
) -> list[int]:
    """Record an interview through the write side; returns its need ids in the given order."""
    ids = {code: id_ for code, id_ in session.execute(select(Category.code, Category.id))}
    interview = records.record_interview(
        session,
        editor(session),
        household_id=household_id,
        held_on=held_on,
        channel_code=channel,
        needs=[records.NeedInput(category_id=ids[code]) for code in codes],
        today=TODAY,
    )
    return list(
        session.scalars(select(Need.id).where(Need.interview_id == interview.id).order_by(Need.id))
    )


def add_partner(session: Session, name: str) -> int:
    partner = Partner(uuid=str(uuid.uuid4()), name=name, kind="association")
    session.add(partner)
    session.flush()
    return partner.id


def add_referral(
    session: Session,
    need_id: int,
    partner_id: int,
    sent_on: dt.date,
    status: str = "sent",
    *,
    accepted_after: int | None = None,
    outcome: str | None = None,
) -> int:
    """A referral row as the state machine would leave it (that module comes later)."""
    referral = Referral(
        need_id=need_id,
        partner_id=partner_id,
        sent_on=sent_on,
        due_on=sent_on + dt.timedelta(days=14),
        consent_given=True,
        consent_on=sent_on,
        status=status,
        outcome=outcome,
        accepted_on=None if accepted_after is None else sent_on + dt.timedelta(days=accepted_after),
    )
    session.add(referral)
    session.flush()
    readmodel.refresh_referral_facts(session, [referral.id])
    return referral.id


@dataclass(frozen=True)
class World:
    engine: Engine
    neighbourhood: dict[str, int]  # by name
    category: dict[str, int]  # by code
    interview_of: dict[str, int]  # "I1" -> interview id


@pytest.fixture
def world(engine: Engine) -> World:
    with session_scope(engine) as session:
        places = {n.name: n.id for n in taxonomy.seed_demo_neighbourhoods(session)}
        sangallo = add_household(session, code="VA-001", neighbourhood_id=places["Sangallo"])
        biumo = add_household(session, code="VA-002", neighbourhood_id=places["Biumo"])
        rebbio = add_household(session, code="CO-001", neighbourhood_id=places["Rebbio"])
        i1 = add_interview(
            session,
            sangallo.id,
            dt.date(2026, 2, 10),
            "ufficio_mobile",
            ["ABI01", "ABI02", "SAN02"],
        )
        i2 = add_interview(session, sangallo.id, dt.date(2026, 4, 15), "telefono", ["ABI01"])
        i3 = add_interview(session, biumo.id, dt.date(2026, 4, 20), "ufficio_mobile", ["SAN01"])
        i4 = add_interview(
            session, rebbio.id, dt.date(2025, 11, 5), "sportello", ["ECO01", "ECO02"]
        )
        caritas = add_partner(session, "Caritas Varese")
        asst = add_partner(session, "ASST Sette Laghi")
        comune = add_partner(session, "Servizi sociali Varese")
        add_referral(session, i1[0], caritas, dt.date(2026, 2, 12), "accepted", accepted_after=3)
        add_referral(
            session,
            i1[2],
            asst,
            dt.date(2026, 2, 12),
            "closed",
            accepted_after=5,
            outcome="positive",
        )
        add_referral(
            session,
            i2[0],
            caritas,
            dt.date(2026, 4, 16),
            "closed",
            accepted_after=10,
            outcome="negative",
        )
        add_referral(session, i3[0], asst, dt.date(2026, 4, 21), "refused")
        add_referral(session, i1[1], comune, dt.date(2026, 5, 1), "sent")
        add_referral(session, i3[0], comune, dt.date(2026, 6, 1), "cancelled")
        add_referral(session, i2[0], caritas, dt.date(2026, 6, 3), "sent")
        add_referral(session, i4[0], comune, dt.date(2025, 11, 6), "accepted", accepted_after=4)
        interview_of = {}
        for name, need_ids in {"I1": i1, "I2": i2, "I3": i3, "I4": i4}.items():
            interview_of[name] = session.get(Need, need_ids[0]).interview_id  # type: ignore[union-attr]
    return World(engine, places, category_ids(engine), interview_of)


# --- KPIs


def test_kpis_count_interviews_households_needs_and_referrals_of_the_period(world: World) -> None:
    assert queries.kpis(world.engine, FIRST_HALF, TODAY) == queries.Kpis(
        interviews=3,
        households=2,
        needs=5,
        referrals_sent=7,
        share_accepted=3 / 6,  # 3 taken in charge of 3 + 1 refused + 2 overdue
        median_days_to_accept=5.0,
        overdue=2,
        referrals_accepted=3,
        referrals_cancelled=1,
        referrals_refused=1,
    )


def test_share_accepted_leaves_cancelled_referrals_out_of_the_denominator(world: World) -> None:
    only_comune_month = replace(FIRST_HALF, start=202606, end=202606)  # R6 cancelled, R7 sent
    figures = queries.kpis(world.engine, only_comune_month, TODAY)
    assert (figures.referrals_sent, figures.referrals_cancelled, figures.overdue) == (2, 1, 1)
    assert figures.share_accepted == 0.0  # R7, overdue: 0 of 1
    assert figures.referrals_judged == 1


def test_a_referral_still_within_its_time_is_not_judged_yet(world: World) -> None:
    """A month just begun whose only referral awaits a reply reads "no share yet", not 0%."""
    june = replace(FIRST_HALF, start=202606, end=202606)
    figures = queries.kpis(world.engine, june, dt.date(2026, 6, 5))  # R7 sent 03/06, in time
    assert (figures.referrals_sent, figures.overdue) == (2, 0)
    assert figures.share_accepted is None
    assert figures.referrals_judged == 0


def test_share_accepted_is_none_when_only_cancelled_referrals_were_sent(world: World) -> None:
    figures = queries.kpis(
        world.engine,
        replace(FIRST_HALF, category_ids=(world.category["SAN01"],), start=202606, end=202606),
        TODAY,
    )
    assert (figures.referrals_sent, figures.referrals_cancelled) == (1, 1)
    assert figures.share_accepted is None


def test_median_of_an_even_number_of_lead_times_averages_the_middle_two(world: World) -> None:
    february = replace(FIRST_HALF, start=202602, end=202602)  # R1 (3 days) and R2 (5 days)
    assert queries.kpis(world.engine, february, TODAY).median_days_to_accept == 4.0


def test_median_ignores_referrals_never_taken_in_charge(world: World) -> None:
    april_to_june = replace(FIRST_HALF, start=202604, end=202606)  # only R3 (10 days) accepted
    assert queries.kpis(world.engine, april_to_june, TODAY).median_days_to_accept == 10.0


def test_overdue_depends_on_today(world: World) -> None:
    assert queries.kpis(world.engine, FIRST_HALF, dt.date(2026, 5, 15)).overdue == 0  # due today
    assert queries.kpis(world.engine, FIRST_HALF, dt.date(2026, 5, 16)).overdue == 1  # R5
    assert queries.kpis(world.engine, FIRST_HALF, dt.date(2026, 6, 18)).overdue == 2  # R5, R7


def test_the_previous_period_has_the_same_length_just_before(world: World) -> None:
    previous = FIRST_HALF.previous()
    assert (previous.start, previous.end) == (202507, 202512)
    figures = queries.kpis(world.engine, previous, TODAY)
    assert (figures.interviews, figures.households, figures.needs) == (1, 1, 2)
    assert (figures.referrals_sent, figures.share_accepted, figures.median_days_to_accept) == (
        1,
        1.0,
        4.0,
    )


def test_an_empty_period_gives_zero_kpis_and_no_share_or_median(world: World) -> None:
    assert queries.kpis(world.engine, NOTHING_THERE, TODAY) == queries.Kpis(
        interviews=0,
        households=0,
        needs=0,
        referrals_sent=0,
        share_accepted=None,
        median_days_to_accept=None,
        overdue=0,
    )


# --- How each filter changes the counts


def headline(world: World, filters: Filters) -> tuple[int, int, int, int]:
    figures = queries.kpis(world.engine, filters, TODAY)
    return figures.interviews, figures.households, figures.needs, figures.referrals_sent


def test_the_period_filters_needs_on_the_interview_month(world: World) -> None:
    assert headline(world, replace(FIRST_HALF, start=202604, end=202604)) == (2, 2, 2, 2)
    assert headline(world, TWELVE_MONTHS) == (4, 3, 7, 8)


def test_a_municipality_keeps_its_neighbourhoods_only(world: World) -> None:
    assert headline(world, replace(TWELVE_MONTHS, municipalities=("Varese",))) == (3, 2, 5, 7)
    assert headline(world, replace(TWELVE_MONTHS, municipalities=("Como",))) == (1, 1, 2, 1)
    assert headline(world, replace(TWELVE_MONTHS, municipalities=("Monza",))) == (0, 0, 0, 0)


def test_a_neighbourhood_keeps_its_households_only(world: World) -> None:
    sangallo = replace(FIRST_HALF, neighbourhood_ids=(world.neighbourhood["Sangallo"],))
    assert headline(world, sangallo) == (2, 1, 4, 5)


def test_a_neighbourhood_choice_overrides_the_municipality_choice(world: World) -> None:
    filters = replace(
        FIRST_HALF, municipalities=("Como",), neighbourhood_ids=(world.neighbourhood["Biumo"],)
    )
    assert headline(world, filters) == (1, 1, 1, 2)


def test_an_area_counts_interviews_and_households_with_a_need_in_it(world: World) -> None:
    health = replace(FIRST_HALF, area_ids=(world.category["SAN"],))
    assert headline(world, health) == (2, 2, 2, 3)  # I1 and I3; R2, R4, R6


def test_a_specific_need_overrides_the_area_choice(world: World) -> None:
    filters = replace(
        FIRST_HALF, area_ids=(world.category["ECO"],), category_ids=(world.category["ABI01"],)
    )
    assert headline(world, filters) == (2, 1, 2, 3)  # I1 and I2; R1, R3, R7


def test_a_channel_keeps_the_interviews_held_through_it(world: World) -> None:
    assert headline(world, replace(FIRST_HALF, channel_codes=("telefono",))) == (1, 1, 1, 2)
    both = replace(FIRST_HALF, channel_codes=("telefono", "sportello"))
    assert headline(world, replace(both, start=202507)) == (2, 2, 3, 3)


# --- Needs by area


def test_needs_by_area_lists_areas_with_needs_most_first(world: World) -> None:
    frame = queries.needs_by_area(world.engine, FIRST_HALF)
    assert list(frame.columns) == ["area_code", "area", "colour", "needs"]
    assert frame.to_dict("records") == [
        {"area_code": "ABI", "area": "Abitare", "colour": "#0072B2", "needs": 3},
        {"area_code": "SAN", "area": "Salute", "colour": "#D55E00", "needs": 2},
    ]


def test_needs_by_area_follows_the_filters(world: World) -> None:
    frame = queries.needs_by_area(world.engine, replace(TWELVE_MONTHS, municipalities=("Como",)))
    assert frame[["area_code", "needs"]].values.tolist() == [["ECO", 2]]
    telephone = queries.needs_by_area(
        world.engine, replace(FIRST_HALF, channel_codes=("telefono",))
    )
    assert telephone[["area_code", "needs"]].values.tolist() == [["ABI", 1]]


# --- Neighbourhoods


def test_neighbourhood_by_area_gives_labels_totals_and_needs_per_100_homes(world: World) -> None:
    frame = queries.needs_by_neighbourhood_area(world.engine, FIRST_HALF)
    assert list(frame.columns) == queries.NEIGHBOURHOOD_AREA_COLUMNS
    rows = frame[["label", "area_code", "needs", "total", "homes"]].values.tolist()
    assert rows == [
        ["Sangallo · Varese", "ABI", 3, 4, 190],
        ["Sangallo · Varese", "SAN", 1, 4, 190],
        ["Biumo · Varese", "SAN", 1, 1, 120],
    ]
    assert frame["per_100_homes"].tolist() == pytest.approx([400 / 190, 400 / 190, 100 / 120])
    assert frame["municipality"].unique().tolist() == ["Varese"]


def test_neighbourhoods_beyond_the_top_are_grouped_as_altri_at_the_end(world: World) -> None:
    frame = queries.needs_by_neighbourhood_area(world.engine, TWELVE_MONTHS, top=1)
    rows = frame[["label", "municipality", "area_code", "needs", "total", "homes"]]
    assert rows.values.tolist() == [
        ["Sangallo · Varese", "Varese", "ABI", 3, 4, 190],
        ["Sangallo · Varese", "Varese", "SAN", 1, 4, 190],
        ["Altri", "", "ECO", 2, 3, 380],  # Rebbio (260 homes) and Biumo (120)
        ["Altri", "", "SAN", 1, 3, 380],
    ]
    assert frame["per_100_homes"].iloc[-1] == pytest.approx(300 / 380)


def test_the_top_two_keep_their_names_and_the_third_becomes_altri(world: World) -> None:
    frame = queries.needs_by_neighbourhood_area(world.engine, TWELVE_MONTHS, top=2)
    assert frame["label"].unique().tolist() == ["Sangallo · Varese", "Rebbio · Como", "Altri"]


def test_fifteen_neighbourhoods_are_shown_by_default_and_the_rest_summed(engine: Engine) -> None:
    with session_scope(engine) as session:
        places = taxonomy.seed_demo_neighbourhoods(session)[:17]
        places[0].homes = None  # one with 1 need, so it falls into "Altri"
        for count, place in enumerate(places, start=1):
            household = add_household(session, code=f"H{count}", neighbourhood_id=place.id)
            add_interview(
                session, household.id, dt.date(2026, 3, 1), "sportello", ["AMM01"] * count
            )
    frame = queries.needs_by_neighbourhood_area(engine, FIRST_HALF)
    assert queries.TOP_NEIGHBOURHOODS == 15
    assert len(frame) == 16
    assert frame["total"].tolist() == [*range(17, 2, -1), 3]
    altri = frame.iloc[-1]
    assert (altri["label"], altri["municipality"]) == ("Altri", "")
    assert pd_isna(altri["homes"]) and pd_isna(altri["per_100_homes"])


def add_need_in(engine: Engine, name: str, municipality: str, homes: int | None, code: str):
    """One need, in March 2026, of a household in a new neighbourhood with `homes` homes."""
    with session_scope(engine) as session:
        place = Neighbourhood(name=name, municipality=municipality, homes=homes)
        session.add(place)
        session.flush()
        household = add_household(session, code=code, neighbourhood_id=place.id)
        add_interview(session, household.id, dt.date(2026, 3, 1), "sportello", ["AMM01"])


def test_a_neighbourhood_without_homes_has_no_rate(engine: Engine) -> None:
    add_need_in(engine, "San Rocco", "Como", None, "X1")
    frame = queries.needs_by_neighbourhood_area(engine, FIRST_HALF)
    assert frame["label"].tolist() == ["San Rocco · Como"]
    assert pd_isna(frame["per_100_homes"].iloc[0])


def test_heatmap_lists_neighbourhood_and_specific_need_cells_with_needs(world: World) -> None:
    frame = queries.heatmap_neighbourhood_need(world.engine, FIRST_HALF)
    assert list(frame.columns) == queries.HEATMAP_COLUMNS
    assert frame[["neighbourhood", "category_code", "area", "needs"]].values.tolist() == [
        ["Sangallo · Varese", "ABI01", "Abitare", 2],
        ["Sangallo · Varese", "ABI02", "Abitare", 1],
        ["Sangallo · Varese", "SAN02", "Salute", 1],
        ["Biumo · Varese", "SAN01", "Salute", 1],
    ]
    order = dict(zip(frame["category_code"], frame["need_order"], strict=True))
    assert order["ABI01"] < order["ABI02"] < order["SAN01"] < order["SAN02"]
    assert frame["need"].iloc[0] == "Manutenzione e guasti"


def test_heatmap_groups_the_rest_as_altri_like_the_bar_chart(world: World) -> None:
    frame = queries.heatmap_neighbourhood_need(world.engine, TWELVE_MONTHS, top=1)
    altri = frame[frame["neighbourhood"] == "Altri"]
    assert altri[["category_code", "needs"]].values.tolist() == [
        ["ECO01", 1],
        ["ECO02", 1],
        ["SAN01", 1],
    ]


# --- Monthly trend


def test_monthly_trend_fills_every_month_of_the_period_with_zeros(world: World) -> None:
    frame = queries.monthly_trend(world.engine, FIRST_HALF)
    assert list(frame.columns) == queries.TREND_COLUMNS
    assert len(frame) == 12  # 6 months x 2 areas
    assert frame["month"].tolist()[:4] == [202601, 202601, 202602, 202602]
    assert frame["month_label"].tolist()[:4] == ["gen 2026", "gen 2026", "feb 2026", "feb 2026"]
    abitare = frame[frame["area_code"] == "ABI"]["needs"].tolist()
    salute = frame[frame["area_code"] == "SAN"]["needs"].tolist()
    assert abitare == [0, 2, 0, 1, 0, 0]
    assert salute == [0, 1, 0, 1, 0, 0]
    assert frame["area"].tolist()[:2] == ["Abitare", "Salute"]


def test_monthly_trend_of_a_period_without_needs_is_empty(world: World) -> None:
    frame = queries.monthly_trend(world.engine, NOTHING_THERE)
    assert frame.empty and list(frame.columns) == queries.TREND_COLUMNS


# --- Referrals by partner


def test_referral_outcomes_by_partner_count_each_fate(world: World) -> None:
    frame = queries.referral_outcomes_by_partner(world.engine, FIRST_HALF, TODAY)
    assert list(frame.columns) == queries.PARTNER_COLUMNS
    counts = frame.drop(columns=["partner_id", "share_accepted"]).values.tolist()
    assert counts == [
        # partner, sent, accepted, positive, negative, refused, cancelled, overdue
        ["Caritas Varese", 3, 2, 0, 1, 0, 0, 1],
        ["ASST Sette Laghi", 2, 1, 1, 0, 1, 0, 0],
        ["Servizi sociali Varese", 2, 0, 0, 0, 0, 1, 1],
    ]
    assert frame["share_accepted"].tolist() == pytest.approx([2 / 3, 1 / 2, 0.0])


def test_referral_outcomes_follow_the_filters_and_today(world: World) -> None:
    frame = queries.referral_outcomes_by_partner(
        world.engine, replace(FIRST_HALF, channel_codes=("telefono",)), dt.date(2026, 6, 1)
    )
    assert frame[["partner", "sent", "negative", "overdue"]].values.tolist() == [
        ["Caritas Varese", 2, 1, 0]
    ]


# --- Soft delete and empty results


def test_a_soft_deleted_interview_disappears_from_every_number(world: World) -> None:
    with session_scope(world.engine) as session:
        records.soft_delete_interview(session, editor(session), world.interview_of["I1"])
    assert queries.kpis(world.engine, FIRST_HALF, TODAY) == queries.Kpis(
        interviews=2,
        households=2,
        needs=2,
        referrals_sent=4,
        share_accepted=1 / 3,
        median_days_to_accept=10.0,
        overdue=1,
        referrals_accepted=1,
        referrals_cancelled=1,
        referrals_refused=1,
    )
    by_area = queries.needs_by_area(world.engine, FIRST_HALF)
    assert by_area[["area_code", "needs"]].values.tolist() == [["ABI", 1], ["SAN", 1]]
    heatmap = queries.heatmap_neighbourhood_need(world.engine, FIRST_HALF)
    assert "ABI02" not in heatmap["category_code"].tolist()
    trend = queries.monthly_trend(world.engine, FIRST_HALF)
    assert trend[trend["month"] == 202602]["needs"].sum() == 0
    partners = queries.referral_outcomes_by_partner(world.engine, FIRST_HALF, TODAY)
    assert partners["sent"].sum() == 4


def test_every_frame_of_an_empty_period_is_empty_with_its_columns(world: World) -> None:
    frames = {
        tuple(queries.AREA_COLUMNS): queries.needs_by_area(world.engine, NOTHING_THERE),
        tuple(queries.NEIGHBOURHOOD_AREA_COLUMNS): queries.needs_by_neighbourhood_area(
            world.engine, NOTHING_THERE
        ),
        tuple(queries.HEATMAP_COLUMNS): queries.heatmap_neighbourhood_need(
            world.engine, NOTHING_THERE
        ),
        tuple(queries.TREND_COLUMNS): queries.monthly_trend(world.engine, NOTHING_THERE),
        tuple(queries.PARTNER_COLUMNS): queries.referral_outcomes_by_partner(
            world.engine, NOTHING_THERE, TODAY
        ),
    }
    for columns, frame in frames.items():
        assert frame.empty
        assert tuple(frame.columns) == columns


def pd_isna(value: object) -> bool:
    return value is None or value != value  # NaN is the only value unequal to itself


# --- Property: the queries agree with counts made in plain Python from what was inserted

CODES = ["ABI01", "ABI02", "SAN01", "ECO01"]
CHANNELS = ["ufficio_mobile", "telefono", "sportello"]
DAYS = [dt.date(2026, 1, 15), dt.date(2026, 2, 3), dt.date(2026, 3, 28)]
STATUSES = ["sent", "accepted", "refused", "closed", "cancelled"]
HOUSEHOLD_PLACES = ["Sangallo", "Sangallo", "Biumo", "Rebbio"]  # Rebbio is in Como
PROPERTY_TODAY = dt.date(2026, 3, 1)


@dataclass(frozen=True)
class Visit:
    """A generated interview: its needs, each with an optional referral (status, days)."""

    household: int
    held_on: dt.date
    channel: str
    needs: list[tuple[str, tuple[str, int] | None]]
    deleted: bool


visits_strategy = st.lists(
    st.builds(
        Visit,
        household=st.integers(0, len(HOUSEHOLD_PLACES) - 1),
        held_on=st.sampled_from(DAYS),
        channel=st.sampled_from(CHANNELS),
        needs=st.lists(
            st.tuples(
                st.sampled_from(CODES),
                st.none() | st.tuples(st.sampled_from(STATUSES), st.integers(0, 20)),
            ),
            min_size=1,
            max_size=3,
        ),
        deleted=st.booleans(),
    ),
    max_size=8,
)
filters_strategy = st.fixed_dictionaries(
    {
        "first": st.integers(0, 2),  # January to March 2026
        "length": st.integers(0, 2),
        "channels": st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True).map(tuple),
        "areas": st.lists(st.sampled_from(["ABI", "SAN", "ECO"]), max_size=2, unique=True).map(
            tuple
        ),
        "varese_only": st.booleans(),
    }
)


def fresh_sqlite_engine(url: str) -> Engine:
    """A new migrated database: hypothesis examples do not get fresh pytest fixtures."""
    engine = db.get_engine(url)
    db.upgrade(engine)
    with session_scope(engine) as session:
        taxonomy.seed_reference_data(session)
    return engine


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(visits=visits_strategy, choice=filters_strategy)
def test_queries_agree_with_plain_python_counts(visits: list[Visit], choice: dict) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'property.db'}"
        try:
            check_agreement(fresh_sqlite_engine(url), visits, **choice)
        finally:
            db.dispose_engine(url)


def insert_visits(engine: Engine, visits: list[Visit]) -> None:
    with session_scope(engine) as session:
        places = {n.name: n.id for n in taxonomy.seed_demo_neighbourhoods(session)}
        households = [
            add_household(session, code=f"P{k}", neighbourhood_id=places[name]).id
            for k, name in enumerate(HOUSEHOLD_PLACES)
        ]
        partner = add_partner(session, "Ente")
        for visit in visits:
            codes = [code for code, _ in visit.needs]
            need_ids = add_interview(
                session, households[visit.household], visit.held_on, visit.channel, codes
            )
            for need_id, (_, referral) in zip(need_ids, visit.needs, strict=True):
                if referral is None:
                    continue
                status, days = referral
                add_referral(
                    session,
                    need_id,
                    partner,
                    visit.held_on,
                    status,
                    accepted_after=days if status in ("accepted", "closed") else None,
                    outcome="positive" if status == "closed" else None,
                )
            if visit.deleted:
                interview_id = session.get(Need, need_ids[0]).interview_id  # type: ignore[union-attr]
                records.soft_delete_interview(session, editor(session), interview_id)


def check_agreement(
    engine: Engine,
    visits: list[Visit],
    first: int,
    length: int,
    channels: tuple[str, ...],
    areas: tuple[str, ...],
    varese_only: bool,
) -> None:
    ids = category_ids(engine)
    filters = Filters(
        period="x",
        start=202601 + first,
        end=202601 + min(first + length, 2),
        municipalities=("Varese",) if varese_only else (),
        area_ids=tuple(ids[area] for area in areas),
        channel_codes=channels,
    )
    insert_visits(engine, visits)

    needs = []  # (visit number, household, month) of every need the filters keep
    referrals = []  # (status, days, sent on) of every referral of those needs
    for number, visit in enumerate(visits):
        if (
            visit.deleted
            or not filters.includes_month(month_of(visit.held_on))
            or (channels and visit.channel not in channels)
            or (varese_only and HOUSEHOLD_PLACES[visit.household] == "Rebbio")
        ):
            continue
        for code, referral in visit.needs:
            if areas and code[:3] not in areas:
                continue
            needs.append((number, visit.household, month_of(visit.held_on)))
            if referral is not None:
                referrals.append((*referral, visit.held_on))
    accepted_days = [days for status, days, _ in referrals if status in ("accepted", "closed")]
    overdue = [
        sent_on
        for status, _, sent_on in referrals
        if status == "sent" and sent_on + dt.timedelta(days=14) < PROPERTY_TODAY
    ]

    figures = queries.kpis(engine, filters, PROPERTY_TODAY)
    assert figures.interviews == len({number for number, _, _ in needs})
    assert figures.households == len({household for _, household, _ in needs})
    assert figures.needs == len(needs)
    assert figures.referrals_sent == len(referrals)
    assert figures.referrals_accepted == len(accepted_days)
    assert figures.overdue == len(overdue)
    assert figures.median_days_to_accept == (
        statistics.median(accepted_days) if accepted_days else None
    )
    assert queries.needs_by_area(engine, filters)["needs"].sum() == len(needs)
    by_place = queries.needs_by_neighbourhood_area(engine, filters, top=1)
    assert by_place["needs"].sum() == len(needs)
    assert queries.heatmap_neighbourhood_need(engine, filters, top=1)["needs"].sum() == len(needs)
    trend = queries.monthly_trend(engine, filters)
    for month in month_range(filters.start, filters.end):
        expected = sum(1 for _, _, need_month in needs if need_month == month)
        assert trend[trend["month"] == month]["needs"].sum() == expected
    partners = queries.referral_outcomes_by_partner(engine, filters, PROPERTY_TODAY)
    assert partners["sent"].sum() == len(referrals)


# --- The whole page at once


@pytest.mark.parametrize("threads", [1, 2])
def test_the_cruscotto_numbers_run_side_by_side_equal_each_query_on_its_own(
    world: World, threads: int
) -> None:
    engine, filters = world.engine, TWELVE_MONTHS
    top = queries.headline(engine, filters, TODAY, threads=threads)
    assert top.kpis == queries.kpis(engine, filters, TODAY)
    assert top.previous_kpis == queries.kpis(engine, filters.previous(), TODAY)
    assert top.kpis.needs > 0 and top.previous_kpis != top.kpis
    assert top.first_month == queries.first_month(engine) is not None
    data = queries.chart_frames(engine, filters, TODAY, threads=threads)
    expected = {
        "by_area": queries.needs_by_area(engine, filters),
        "by_neighbourhood": queries.needs_by_neighbourhood_area(engine, filters),
        "heatmap": queries.heatmap_neighbourhood_need(engine, filters),
        "trend": queries.monthly_trend(engine, filters),
        "referral_outcomes": queries.referral_outcomes_by_partner(engine, filters, TODAY),
    }
    for name, frame in expected.items():
        assert not frame.empty, name
        pd.testing.assert_frame_equal(getattr(data, name), frame)


# --- The charts' data as files (rete.downloads)


def csv_rows(data: bytes) -> list[list[str]]:
    return [line.split(";") for line in data.decode("utf-8-sig").splitlines()]


def test_the_neighbourhood_file_lists_every_neighbourhood_none_summed_as_altri(world: World):
    rows = csv_rows(downloads.needs_by_neighbourhood(world.engine, TWELVE_MONTHS))
    assert rows[0] == [
        "Quartiere",
        "Comune",
        "Area",
        "Bisogni",
        "Totale quartiere",
        "Alloggi ALER",
        "Bisogni ogni 100 alloggi",
    ]
    assert rows[1:] == [
        ["Sangallo", "Varese", "Abitare", "3", "4", "190", "2,1"],  # 400 / 190 = 2,105…
        ["Sangallo", "Varese", "Salute", "1", "4", "190", "2,1"],
        ["Rebbio", "Como", "Economica", "2", "2", "260", "0,8"],
        ["Biumo", "Varese", "Salute", "1", "1", "120", "0,8"],
    ]


def test_a_neighbourhood_without_homes_leaves_its_cells_empty_and_the_others_whole(
    engine: Engine,
):
    add_need_in(engine, "San Rocco", "Como", None, "X1")
    add_need_in(engine, "Sangallo", "Varese", 310, "X2")
    rows = csv_rows(downloads.needs_by_neighbourhood(engine, FIRST_HALF))
    homes = {row[0]: row[5:] for row in rows[1:]}
    assert homes == {"San Rocco": ["", ""], "Sangallo": ["310", "0,3"]}  # not "310,0"


def test_the_specific_needs_file_names_places_as_the_neighbourhood_file_does(world: World):
    rows = csv_rows(downloads.needs_by_neighbourhood_need(world.engine, TWELVE_MONTHS))
    assert rows[0] == ["Quartiere", "Comune", "Area", "Bisogno specifico", "Bisogni"]
    places = {(row[0], row[1]) for row in rows[1:]}
    assert places == {("Sangallo", "Varese"), ("Rebbio", "Como"), ("Biumo", "Varese")}
    assert sum(int(row[4]) for row in rows[1:]) == 7  # every need of the period, none lost
    neighbourhood_file = csv_rows(downloads.needs_by_neighbourhood(world.engine, TWELVE_MONTHS))
    assert places == {(row[0], row[1]) for row in neighbourhood_file[1:]}


def test_the_outcomes_file_gives_the_share_as_a_percentage_that_says_of_what(world: World):
    frame = queries.referral_outcomes_by_partner(world.engine, FIRST_HALF, TODAY)
    rows = csv_rows(downloads.referral_outcomes(frame))
    assert rows[0][-1] == "Prese in carico su risposte e ritardi (%)"
    assert [(row[0], row[-1]) for row in rows[1:]] == [
        ("Caritas Varese", "66,7"),  # 2 taken in charge of 2 + 1 overdue
        ("ASST Sette Laghi", "50,0"),
        ("Servizi sociali Varese", "0,0"),
    ]


def test_per_100_homes_the_neighbourhoods_are_ranked_by_rate_not_size(world: World):
    by_count = queries.needs_by_neighbourhood_area(world.engine, TWELVE_MONTHS)
    assert list(dict.fromkeys(by_count["neighbourhood"])) == ["Sangallo", "Rebbio", "Biumo"]
    by_rate = queries.needs_by_neighbourhood_rate(world.engine, TWELVE_MONTHS)
    # Biumo: 1 need in 120 homes (0,83) is more fragile than Rebbio: 2 in 260 (0,77).
    assert list(dict.fromkeys(by_rate["neighbourhood"])) == ["Sangallo", "Biumo", "Rebbio"]
    # Cut after ranking by rate: Biumo (fewer needs than Rebbio) keeps its bar.
    top_two = queries.needs_by_neighbourhood_rate(world.engine, TWELVE_MONTHS, top=2)
    assert list(dict.fromkeys(top_two["label"])) == ["Sangallo · Varese", "Biumo · Varese", "Altri"]
    top_one = queries.needs_by_neighbourhood_rate(world.engine, TWELVE_MONTHS, top=1)
    altri = top_one[top_one["label"] == "Altri"].iloc[0]
    assert (altri["homes"], altri["per_100_homes"]) == (380, pytest.approx(300 / 380))


def test_per_100_homes_leaves_out_the_neighbourhoods_without_homes(engine: Engine):
    add_need_in(engine, "San Rocco", "Como", None, "X1")
    assert queries.needs_by_neighbourhood_rate(engine, FIRST_HALF).empty
