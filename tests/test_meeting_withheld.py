"""A release that nothing can protect is not shown: four needs of one neighbourhood and
month, one in each of four areas, read «< 5» four times with a total «< 5», and an intruder
knows each is 1 (zeros are shown and «< 5» means at least 1). `rete.privacy` reports such
counts as unresolved; the deck then shows none of that release's figures, and says why."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rete.filters import Filters
from rete.meeting import build
from rete.meeting.data import AreaInfo, MeetingData, Need, Place
from rete.meeting.release import OTHERS, needs_release
from rete.queries.kpis import Kpis
from rete.queries.referrals import PARTNER_COLUMNS

MONTH = 202611
FILTERS = Filters("2026-11", MONTH, MONTH)
NOTHING = Kpis(
    interviews=4,
    households=4,
    needs=4,
    referrals_sent=0,
    share_accepted=None,
    median_days_to_accept=None,
    overdue=0,
)
AREAS = (10, 20, 30, 40)


def needs_data(cube: dict[tuple[int, int, int], int]) -> MeetingData:
    """`cube`'s needs in two neighbourhoods and four areas, and no referral: specific need 11
    and 12 are of area 10, 21 of area 20, and so on."""
    needs = sorted({need for (_, _, need) in cube})
    return MeetingData(
        cube=cube,
        places={1: Place(1, "Bosto", "Varese", 100), 2: Place(2, "Biumo", "Varese", 80)},
        needs={
            n: Need(n, f"Bisogno {n}", n // 10 * 10, (AREAS.index(n // 10 * 10), n, f"N{n}"))
            for n in needs
        },
        areas={a: AreaInfo(a, f"Area {a}", "#E69F00", (i, f"A{a}")) for i, a in enumerate(AREAS)},
        kpis=NOTHING,
        first_month=202601,
        partners=pd.DataFrame([], columns=PARTNER_COLUMNS),
        days={},
        gaps={},
    )


def serve(monkeypatch: pytest.MonkeyPatch, by_period: dict[int, MeetingData]) -> None:
    """`build.meeting_data` answers with the data of the period that starts in that month: the
    deck reads the previous period too, to compare only with what that period's deck shows."""
    monkeypatch.setattr(build, "meeting_data", lambda _, filters, __: by_period[filters.start])


def four_lonely_needs() -> MeetingData:
    """One need in each area, all in Bosto in the same month: the areas add up to the total."""
    return needs_data({(MONTH, 1, area + 1): 1 for area in AREAS})


def test_four_areas_of_one_need_each_are_reported_as_unresolved() -> None:
    release = needs_release(four_lonely_needs(), (MONTH,), 5)
    assert release.figures.unresolved >= {("area", area) for area in AREAS}


def test_a_table_of_four_ones_has_no_row_of_its_own_so_nothing_is_unresolved() -> None:
    """Two neighbourhoods × two needs of one area, one need in each cell: no neighbourhood or
    need reaches 5, so neither gets a row or a column of its own; «Altri» × «Altri» holds the
    4, and nothing (the total, the area, the month, all 4) gives a small count away."""
    cube = {(MONTH, place, need): 1 for place in (1, 2) for need in (11, 12)}
    release = needs_release(needs_data(cube), (MONTH,), 5)
    assert (release.rows, release.columns, release.rated) == ((OTHERS,), (OTHERS,), ())
    assert release.summed_places == 2
    assert not any(key[0] == "place" for key in release.figures.values)
    assert release.figures.primary and not release.figures.unresolved


def test_the_deck_withholds_every_slide_of_that_release_and_shows_no_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serve(monkeypatch, {MONTH: four_lonely_needs(), MONTH - 1: needs_data({})})
    deck = build.build_deck(
        None,  # type: ignore[arg-type]  # the data are given above
        FILTERS,
        dt.date(2026, 12, 3),
        threshold=5,
        network="Rete",
        contacts=(),
    )
    for slide in deck.slides:
        if slide.key in build.NEEDS_SLIDES:
            assert slide.chart is None and slide.lines == (build.WITHHELD,), slide.key
            assert slide.headline == build.WITHHELD_HEADLINE
            # No figure of the withheld release: not a 1 or a 4, nor any other number.
            assert not any(c.isdigit() for c in slide.headline + " ".join(slide.lines))
    needs_tile = next(t for t in deck.slides[1].tiles if t.label == "Bisogni rilevati")
    assert needs_tile.value == "< 5" and needs_tile.change is None
