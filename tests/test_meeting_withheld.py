"""A release that nothing can protect is not shown: four needs, one in each cell of a 2 × 2
table, read «< 5» four times with a total «< 5», and an intruder knows each is 1 (zeros are
shown and «< 5» means at least 1). `rete.privacy` reports such counts as unresolved; the deck
then shows none of that release's figures, and says why."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from rete.filters import Filters
from rete.meeting import build
from rete.meeting.data import AreaInfo, MeetingData, Need, Place
from rete.meeting.release import needs_release
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


def four_lonely_needs() -> MeetingData:
    return MeetingData(
        cube={(MONTH, place, need): 1 for place in (1, 2) for need in (11, 12)},
        previous_by_need={},
        places={1: Place(1, "Bosto", "Varese", 100), 2: Place(2, "Biumo", "Varese", 80)},
        needs={
            11: Need(11, "Bollette", 10, (1, 1, "E1")),
            12: Need(12, "Affitto", 10, (1, 2, "E2")),
        },
        areas={10: AreaInfo(10, "Economica", "#E69F00", (1, "E"))},
        kpis=NOTHING,
        previous_kpis=NOTHING,
        first_month=202601,
        partners=pd.DataFrame([], columns=PARTNER_COLUMNS),
        days={},
        gaps={},
    )


def test_the_table_of_four_ones_is_reported_as_unresolved() -> None:
    release = needs_release(four_lonely_needs(), (MONTH,), 5)
    assert ("cell", 1, 11) in release.figures.unresolved


def test_the_deck_withholds_every_slide_of_that_release_and_shows_no_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(build, "meeting_data", lambda *_: four_lonely_needs())
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
    needs_tile = next(t for t in deck.slides[1].tiles if t.label == "Bisogni rilevati")
    assert needs_tile.value == "< 5" and needs_tile.change is None
    # No figure of the withheld release anywhere: not a 1, a 2 or a 4 in any text.
    texts = [s.headline for s in deck.slides if s.key in build.NEEDS_SLIDES]
    assert not any(digit in text for text in texts for digit in "124")
