"""What a fresh-eyes review of the meeting deck found, kept from coming back: a change against
a figure the previous period's own deck hid, and a settings save lost to another one made
while it ran (the ordering of hidden bars and the command line: `test_meeting_deck`)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from test_meeting_deck import slide_of, who
from test_meeting_withheld import FILTERS, MONTH, needs_data, serve

from rete.db import session_scope
from rete.errors import ConcurrentEdit
from rete.meeting import build, settings
from rete.meeting.model import Deck
from rete.meeting.release import needs_release
from rete.writes import Write

BEFORE = MONTH - 1  # FILTERS' previous period: October 2026
# October: Bosto's 5 needs of one area and 1 of another. The 1 is «< 5», and the whole table
# is needed to keep it from being worked out, so «Bisogni rilevati» reads «n.d.»: 6 needs.
HIDDEN_SIX = {(BEFORE, 1, 11): 5, (BEFORE, 1, 21): 1}
SHOWN_TWELVE = {(MONTH, 1, 11): 12}  # November: 12 needs, all shown


def deck_after(monkeypatch: pytest.MonkeyPatch, before: dict[tuple[int, int, int], int]) -> Deck:
    """November's deck (12 needs), the previous period's needs being `before`."""
    serve(monkeypatch, {MONTH: needs_data(SHOWN_TWELVE), BEFORE: needs_data(before)})
    return build.build_deck(
        None,  # type: ignore[arg-type]  # the data are given above
        FILTERS,
        dt.date(2026, 12, 3),
        threshold=5,
        network="Rete",
        contacts=(),
    )


def test_the_previous_deck_hides_its_total_of_six_needs() -> None:
    """The premise of the next test: the previous period's own deck hides a count of k or
    more, so a change against it would tell it (12 and «+6» make 6)."""
    earlier = needs_release(needs_data(HIDDEN_SIX), (BEFORE,), 5).figures
    assert earlier.values[("all",)] == 6 and earlier.label(("all",)) == "n.d."
    assert earlier.label(("area", 10)) == "n.d."


def test_no_change_is_said_against_a_figure_the_previous_deck_hides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deck = deck_after(monkeypatch, HIDDEN_SIX)
    numbers = slide_of(deck, "numeri")
    needs = next(tile for tile in numbers.tiles if tile.label == "Bisogni rilevati")
    assert (needs.value, needs.change) == ("12", None)
    assert "rispetto al periodo precedente" not in numbers.headline
    # The area's share is not compared either: its previous count is hidden too.
    assert "periodo precedente" not in slide_of(deck, "aree").headline
    # Against a previous deck that shows its 7 needs, the change is said.
    compared = slide_of(deck_after(monkeypatch, {(BEFORE, 1, 11): 7}), "numeri")
    tiles = {tile.label: tile for tile in compared.tiles}
    assert tiles["Bisogni rilevati"].change == "+5"


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_save_overtaken_by_another_while_it_runs_is_refused_and_the_other_stays(
    engine: Engine, cast: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dora and Ada both opened the form on the same values; Ada's save commits while Dora's
    is under way (after it read, before it wrote). On SQLite a row lock is no lock, so only
    the conditional write tells: Dora's save is refused and Ada's name stays."""
    with session_scope(engine) as session:  # the settings exist: an update, not an insert
        settings.save(session, who(cast, "ada"), "Rete di prima", "Anna", settings.read(engine))
    seen = settings.read(engine)
    claim = Write.claim_setting
    overtaken: list[bool] = []

    def overtaken_claim(unit: Write, key: str, before: str, value: str, message: str) -> None:
        if not overtaken:  # Ada's save commits between Dora's read and Dora's write
            overtaken.append(True)
            with session_scope(engine) as other:
                settings.save(other, who(cast, "ada"), "Rete di Ada", "Anna", seen)
        claim(unit, key, before, value, message)

    monkeypatch.setattr(Write, "claim_setting", overtaken_claim)
    with pytest.raises(ConcurrentEdit), session_scope(engine) as session:
        settings.save(session, who(cast, "dora"), "Rete di Dora", "Dora", seen)
    assert overtaken
    assert settings.read(engine).network == "Rete di Ada"
    assert settings.read(engine).contacts == ("Anna",)
