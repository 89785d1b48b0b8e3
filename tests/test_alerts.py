"""The early warnings: hand-built months where each rule must fire, and where it must not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from actors import add_household, category, editor
from sqlalchemy import Engine, select

from rete import alerts, records, referrals, taxonomy
from rete.db import session_scope
from rete.models import Need, Partner
from rete.queries import alerts as data
from rete.queries.alerts import OVERDUE_COLUMNS, PARTNER_WINDOW_COLUMNS, SEVERE_COLUMNS

LAST = 202610  # the last complete month


def severe(counts: dict[int, int], place: tuple[int, str, str] = (4, "San Fermo", "Varese"),
           area: tuple[str, str] = ("ABI", "Abitare")) -> pd.DataFrame:  # fmt: skip
    rows = [(month, *place, *area, n) for month, n in counts.items() if n]
    return pd.DataFrame(rows, columns=SEVERE_COLUMNS)


def history(values: list[int], now: int) -> dict[int, int]:
    months_before = [202510, 202511, 202512] + [202601 + i for i in range(9)]  # Oct 25 – Sep 26
    return {**dict(zip(months_before, values, strict=True)), LAST: now}


NO_OVERDUE = pd.DataFrame([], columns=OVERDUE_COLUMNS)
NO_PARTNERS = pd.DataFrame([], columns=PARTNER_WINDOW_COLUMNS)
EVERYWHERE_SINCE = 202401  # each place and area has records from this month


def evidence(
    frame: pd.DataFrame, households: int = 5, since: int = EVERYWHERE_SINCE
) -> alerts.SevereNeeds:
    """`frame` with `households` behind the last month's needs and records since `since`, for
    every neighbourhood and area in it."""
    units = [("quartiere", str(i)) for i in frame["neighbourhood_id"]]
    units += [("area", str(code)) for code in frame["area_code"]]
    return alerts.SevereNeeds(
        frame, {unit: households for unit in units}, {unit: since for unit in units}
    )


def run(
    frame: pd.DataFrame, households: int = 5, since: int = EVERYWHERE_SINCE
) -> list[alerts.Alert]:
    return alerts.alerts(
        evidence(frame, households, since), NO_OVERDUE, NO_PARTNERS, NO_PARTNERS, LAST, 202401
    )


# --- 1. Rising severe needs


def test_a_month_far_above_its_normal_variation_raises_an_alert_for_the_place_and_the_area():
    found = run(severe(history([2, 3, 2, 1, 2, 3, 2, 2, 3, 2, 1, 2], 9)), households=4)
    assert [alert.kind for alert in found] == ["rise", "rise"]
    assert found[0].text == (
        "Bisogni urgenti o di gravità alta in aumento nel quartiere San Fermo (Varese): 9 nel "
        "mese di ottobre 2026 (4 nuclei), contro una media di 2,1 al mese nei 12 mesi "
        "precedenti."
    )
    # The view shows the thirteen months, so the monthly trend shows the rise.
    assert found[0].query == {"periodo": "2025-10:2026-10", "quartiere": "4"}
    assert found[1].query == {"periodo": "2025-10:2026-10", "area": "ABI"}


def test_a_month_within_the_normal_variation_raises_nothing():
    # Mean 6, population deviation 3,03: the bar is 12,06.
    wide = [1, 11, 2, 10, 3, 9, 4, 8, 5, 7, 6, 6]
    assert run(severe(history(wide, 12))) == []
    assert run(severe(history(wide, 13))) != []


def test_too_few_needs_raise_nothing():
    # From 0 to 4 is far above a flat history, but below the minimum of 5 severe needs.
    assert run(severe(history([0] * 12, 4))) == []
    assert [a.kind for a in run(severe(history([0] * 12, 5)))] == ["rise", "rise"]


def test_one_household_does_not_raise_an_alarm():
    """Ten urgent needs of one family (or two) are that family's crisis, not a neighbourhood's."""
    spike = severe(history([1] * 12, 10))
    assert run(spike, households=1) == []
    assert run(spike, households=2) == []
    assert len(run(spike, households=3)) == 2


def test_a_rise_of_less_than_three_needs_over_the_mean_raises_nothing():
    # Flat at 5, then 7: far above a deviation of 0, but only 2 more than usual.
    assert run(severe(history([5] * 12, 7))) == []
    assert run(severe(history([5] * 12, 8))) != []


def test_a_place_without_twelve_months_of_records_before_raises_nothing():
    """A neighbourhood visited for the first time has no normal to compare with."""
    spike = severe(history([0] * 12, 9))
    assert run(spike, since=202511) == []  # its first record is inside the history window
    assert run(spike, since=LAST) == []
    assert run(spike, since=202510) != []  # the window's first month


def test_the_strongest_rises_come_first_and_two_at_most():
    frames = [
        severe(history([2] * 12, 6), (1, "Biumo", "Varese"), ("ABI", "Abitare")),
        severe(history([2] * 12, 20), (2, "Rebbio", "Como"), ("ECO", "Economica")),
        severe(history([2] * 12, 9), (3, "Sangallo", "Varese"), ("SAN", "Salute")),
    ]
    found = run(pd.concat(frames))
    assert len(found) == 2
    assert "Rebbio (Como)" in found[0].text and "Economica" in found[1].text  # both 20


# --- 2. Overdue referrals


def test_overdue_referrals_name_the_partners_with_the_most():
    overdue = pd.DataFrame(
        [(1, "Caritas", 12), (2, "ASST", 5), (3, "Comune", 2), (4, "Acli", 1)],
        columns=OVERDUE_COLUMNS,
    )
    alert = alerts.overdue_alert(overdue)
    assert alert is not None and alert.query == {}
    assert alert.text == (
        "20 segnalazioni attendono una risposta oltre la data prevista: Caritas (12), ASST (5), "
        "Comune (2) e altri enti."
    )
    one = pd.DataFrame([(1, "Caritas", 1)], columns=OVERDUE_COLUMNS)
    assert alerts.overdue_alert(one).text == (  # type: ignore[union-attr]
        "1 segnalazione attende una risposta oltre la data prevista: Caritas (1)."
    )
    assert alerts.overdue_alert(NO_OVERDUE) is None


# --- 3. A partner's share taken in charge


def window(accepted: int, refused: int, overdue: int, partner: str = "Caritas") -> pd.DataFrame:
    return pd.DataFrame([(1, partner, accepted, refused, overdue)], columns=PARTNER_WINDOW_COLUMNS)


def share_alerts(recent: pd.DataFrame, before: pd.DataFrame) -> list[alerts.Alert]:
    return alerts.alerts(
        evidence(severe({})), NO_OVERDUE, recent, before, LAST, first_recorded=202401
    )


def test_a_sharp_fall_of_a_partners_share_raises_an_alert():
    found = share_alerts(recent=window(4, 4, 2), before=window(40, 5, 5))  # 80% → 40%
    assert [alert.kind for alert in found] == ["share"]
    assert found[0].text == (
        "Prese in carico in calo per Caritas: il 40% delle segnalazioni inviate da agosto 2026 "
        "a ottobre 2026 con una risposta o in ritardo, contro l'80% nei 12 mesi precedenti."
    )
    assert found[0].query == {"periodo": "2026-08:2026-10"}


@pytest.mark.parametrize(
    ("recent", "before"),
    [
        (window(6, 4, 0), window(35, 15, 0)),  # 70% → 60%: a fall, not a sharp one
        (window(1, 3, 0), window(40, 5, 5)),  # 4 judged: too few to say
        (window(4, 4, 2), window(4, 1, 0)),  # 5 judged before: too few
        (window(4, 4, 2), window(40, 5, 5, partner="ASST")),  # not the same partner
    ],
)
def test_a_small_fall_or_too_few_referrals_raise_nothing(recent, before):
    assert share_alerts(recent, before) == []


def test_never_more_than_three_alerts():
    overdue = pd.DataFrame([(1, "Caritas", 3)], columns=OVERDUE_COLUMNS)
    frames = pd.concat(
        [
            severe(history([1] * 12, 9), (1, "Biumo", "Varese"), ("ABI", "Abitare")),
            severe(history([1] * 12, 9), (2, "Rebbio", "Como"), ("ECO", "Economica")),
        ]
    )
    found = alerts.alerts(
        evidence(frames), overdue, window(4, 4, 2), window(40, 5, 5), LAST, 202401
    )
    assert [alert.kind for alert in found] == ["rise", "rise", "overdue"]


# --- The queries behind them


def test_the_queries_count_severe_needs_overdue_referrals_and_answers(engine: Engine):
    with session_scope(engine) as session:
        places = {n.name: n.id for n in taxonomy.seed_demo_neighbourhoods(session)}
        partner = Partner(uuid="p-1", name="Caritas", kind="association")
        session.add(partner)
        session.flush()
        user = editor(session)
        household = add_household(session, code="VA-001", neighbourhood_id=places["Sangallo"])
        interview = records.record_interview(
            session,
            user,
            household_id=household.id,
            held_on=dt.date(2026, 10, 5),
            channel_code="telefono",
            needs=[
                records.NeedInput(category(session, "ABI01"), "urgent"),
                records.NeedInput(category(session, "ABI02"), "high"),
                records.NeedInput(category(session, "SAN01"), "low"),  # not severe
            ],
            today=dt.date(2026, 10, 5),
        )
        severe_needs = session.scalars(
            select(Need).where(Need.interview_id == interview.id, Need.severity != "low")
        ).all()
        for need in severe_needs:
            referrals.send_referral(
                session,
                user,
                referrals.ReferralInput(
                    need.id, partner.id, None, None, dt.date(2026, 10, 5), consent_given=True
                ),
                today=dt.date(2026, 10, 5),
            )
    frame = data.severe_needs(engine, 202510, 202610)
    assert frame[["month", "neighbourhood", "area_code", "needs"]].values.tolist() == [
        [202610, "Sangallo", "ABI", 2]
    ]
    assert data.severe_needs(engine, 202510, 202609).empty
    sangallo = str(places["Sangallo"])
    # Two severe needs, one household; the low one is not counted.
    assert data.severe_households(engine, 202610) == {
        ("quartiere", sangallo): 1,
        ("area", "ABI"): 1,
    }
    assert data.severe_households(engine, 202609) == {}
    # Any need dates a place or an area, the low one too.
    assert data.first_months(engine) == {
        ("quartiere", sangallo): 202610,
        ("area", "ABI"): 202610,
        ("area", "SAN"): 202610,
    }
    # Sent on 05/10 with 14 days to answer: due 19/10, overdue from the 20th.
    assert data.overdue_by_partner(engine, dt.date(2026, 10, 19)).empty
    overdue = data.overdue_by_partner(engine, dt.date(2026, 10, 20))
    assert overdue[["partner", "overdue"]].values.tolist() == [["Caritas", 2]]
    assert data.partner_window(engine, 202607, 202609, dt.date(2026, 10, 20)).empty  # sent later
    answers = data.partner_window(engine, 202608, 202610, dt.date(2026, 10, 20))
    assert answers[["partner", "accepted", "refused", "overdue"]].values.tolist() == [
        ["Caritas", 0, 0, 2]
    ]


@pytest.mark.parametrize(
    ("share", "said"),
    [
        (0.8, "l'80%"),
        (0.08, "l'8%"),
        (0.11, "l'11%"),
        (0.01, "l'1%"),
        (0.18, "il 18%"),
        (0.4, "il 40%"),
        (1.0, "il 100%"),
    ],
)
def test_a_percentage_takes_the_article_italian_gives_it(share, said):
    assert alerts.the_percent(share) == said


def test_no_share_is_compared_without_records_from_the_start_of_the_earlier_window():
    recent, before = window(4, 4, 2), window(40, 5, 5)
    # The earlier window is August 2025 – July 2026.
    found = alerts.alerts(evidence(severe({})), NO_OVERDUE, recent, before, LAST, 202508)
    assert [alert.kind for alert in found] == ["share"]
    assert alerts.alerts(evidence(severe({})), NO_OVERDUE, recent, before, LAST, 202509) == []
