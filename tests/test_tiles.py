"""The KPI tiles' rules: which change is shown, and when a figure says it cannot be judged yet."""

from __future__ import annotations

import pytest

from rete.filters import Filters
from rete.queries import Kpis
from rete.tiles import MIN_CASES, change, comparison_gap, current_month_note, tiles

YEAR_2026 = Filters(period="anno:2026", start=202601, end=202612)
FIRST_HALF = Filters(period="2026-01:2026-06", start=202601, end=202606)  # previous: 2025-07..12


def kpis(**values: object) -> Kpis:
    base: dict[str, object] = {
        "interviews": 0,
        "households": 0,
        "needs": 0,
        "referrals_sent": 0,
        "share_accepted": None,
        "median_days_to_accept": None,
        "overdue": 0,
    }
    return Kpis(**{**base, **values})  # type: ignore[arg-type]


def by_label(now: Kpis, before: Kpis, compare: bool = True) -> dict[str, tuple[str, str | None]]:
    return {tile.label: (tile.value, tile.delta) for tile in tiles(now, before, compare)}


# --- When two periods can be compared


def test_a_period_that_includes_the_running_month_is_not_compared():
    gap = comparison_gap(FIRST_HALF, current_month=202606, first_month=202001)
    assert gap == "il periodo comprende il mese in corso, ancora incompleto"


def test_a_previous_period_before_the_first_records_is_not_compared():
    # The records start in December 2025: July–December 2025 is mostly empty.
    gap = comparison_gap(FIRST_HALF, current_month=202611, first_month=202512)
    assert (
        gap == "il periodo precedente comincia prima dei primi dati registrati (da dicembre 2025)"
    )
    assert comparison_gap(FIRST_HALF, current_month=202611, first_month=None) is not None


def test_a_closed_period_with_records_before_it_is_compared():
    assert comparison_gap(FIRST_HALF, current_month=202611, first_month=202507) is None
    assert comparison_gap(FIRST_HALF, current_month=202607, first_month=202401) is None


def test_without_a_comparison_no_tile_shows_a_change():
    now = kpis(interviews=40, households=30, needs=90, referrals_sent=20, share_accepted=0.5,
               median_days_to_accept=4.0, referrals_accepted=10, referrals_refused=10)  # fmt: skip
    before = kpis(interviews=1, households=1, needs=1, referrals_sent=1, share_accepted=1.0,
                  median_days_to_accept=2.0, referrals_accepted=10, referrals_refused=0)  # fmt: skip
    shown = tiles(now, before, compare=False)
    assert [tile.delta for tile in shown] == [None] * 6
    assert [tile.value for tile in shown] == ["40", "30", "90", "20", "50,0%", "4,0"]


# --- Changes


@pytest.mark.parametrize(
    ("current", "previous", "decimals", "unit", "expected"),
    [
        (1246, 12, 0, "", "+1.234"),  # thousands separator, ASCII sign for st.metric
        (12, 1246, 0, "", "-1.234"),
        (7.25, 10.75, 1, " gg", "-3,5 gg"),
        (5, 5, 0, "", "invariato"),
        (4.04, 4.0, 1, " gg", "invariato"),  # a change that rounds to 0,0 is no change
        (0.25, 0.0, 1, " punti", "+0,3 punti"),  # rounded as the figures are: half up
        (None, 3, 0, "", None),
        (3, None, 0, "", None),
    ],
)
def test_a_change_is_signed_and_in_italian(current, previous, decimals, unit, expected):
    assert change(current, previous, decimals, unit) == expected


def test_the_counts_are_compared_with_the_previous_period():
    shown = by_label(kpis(interviews=1500, needs=2), kpis(interviews=250, needs=2))
    assert shown["Colloqui"] == ("1.500", "+1.250")
    assert shown["Bisogni rilevati"] == ("2", "invariato")


# --- Shares and medians need enough cases


def test_a_share_with_no_referral_judged_yet_says_it_waits_for_answers():
    # The case: the month's only referral still awaits a reply within its time.
    now = kpis(referrals_sent=1, share_accepted=None)
    before = kpis(referrals_sent=40, share_accepted=0.708, referrals_accepted=17,
                  referrals_refused=7)  # fmt: skip
    share = next(t for t in tiles(now, before, True) if t.label == "Prese in carico")
    assert (share.value, share.delta, share.is_change) == ("–", "in attesa di risposte", False)


def test_a_share_of_too_few_cases_is_not_shown():
    now = kpis(referrals_sent=9, share_accepted=0.0, overdue=MIN_CASES - 1)
    before = kpis(referrals_sent=40, share_accepted=0.708, referrals_accepted=17,
                  referrals_refused=7)  # fmt: skip
    assert by_label(now, before)["Prese in carico"] == ("–", "troppo pochi casi")


def test_a_share_of_enough_cases_is_compared_in_points():
    now = kpis(referrals_sent=12, share_accepted=0.6, referrals_accepted=6, referrals_refused=4)
    before = kpis(referrals_sent=12, share_accepted=0.5, referrals_accepted=5, overdue=5)
    assert by_label(now, before)["Prese in carico"] == ("60,0%", "+10,0 punti")
    thin_before = kpis(referrals_sent=3, share_accepted=1.0, referrals_accepted=3)
    assert by_label(now, thin_before)["Prese in carico"] == ("60,0%", None)
    assert by_label(kpis(), kpis())["Prese in carico"] == ("–", None)  # nothing sent: no word


def test_the_median_is_compared_only_with_enough_referrals_taken_in_charge_on_both_sides():
    now = kpis(median_days_to_accept=6.0, referrals_accepted=MIN_CASES)
    before = kpis(median_days_to_accept=4.5, referrals_accepted=MIN_CASES)
    assert by_label(now, before)["Giorni alla presa in carico"] == ("6,0", "+1,5 gg")
    few = kpis(median_days_to_accept=1.0, referrals_accepted=MIN_CASES - 1)
    assert by_label(now, few)["Giorni alla presa in carico"] == ("6,0", None)
    slower = next(t for t in tiles(now, before, True) if t.label.startswith("Giorni"))
    assert slower.colour == "inverse"  # more days is worse: st.metric paints the rise red


def test_every_tile_explains_itself():
    assert all(tile.help for tile in tiles(kpis(), kpis(), True))


def test_a_period_with_the_running_month_says_its_numbers_are_partial():
    assert current_month_note(FIRST_HALF, 202606) == (
        "Il periodo comprende giugno 2026, mese ancora in corso: i numeri di questo mese sono "
        "parziali."
    )
    assert current_month_note(FIRST_HALF, 202601) is not None  # the first month counts too
    assert current_month_note(FIRST_HALF, 202607) is None
    assert current_month_note(FIRST_HALF, 202512) is None
