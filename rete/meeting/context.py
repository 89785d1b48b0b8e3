"""What every slide builder of the meeting deck needs: the period's data, the two releases
suppressed by `rete.privacy`, and how a figure, a place and the suppression are said."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rete import privacy
from rete.filters import Filters
from rete.meeting.data import MeetingData
from rete.meeting.model import OTHERS_PREFIX, Value
from rete.meeting.release import OTHERS, Key, NeedsRelease, ReferralsRelease


@dataclass(frozen=True)
class Context:
    """What every slide builder needs: the data, the releases and the labels."""

    data: MeetingData
    needs: NeedsRelease
    referrals: ReferralsRelease
    distinct: privacy.Suppressed[Key]
    # The previous period's own releases (same territory and threshold): a change is said only
    # against a figure that period's deck shows, or it would give away what that deck hid.
    before: MeetingData
    before_needs: privacy.Suppressed[Key]
    before_referrals: privacy.Suppressed[Key]
    before_distinct: privacy.Suppressed[Key]
    filters: Filters
    today: dt.date
    threshold: int
    comparable: bool  # the previous period may be compared (`tiles.comparison_gap`)
    one_town: bool  # every place is in one municipality: labels without it

    def value(self, figures: privacy.Suppressed[Key], key: Key) -> Value:
        shown = figures.shown(key)
        return Value(None if shown is None else float(shown), figures.label(key))

    def place_label(self, place: int) -> str:
        if place == OTHERS:
            return f"{OTHERS_PREFIX} quartieri"
        info = self.data.places[place]
        return info.name if self.one_town else f"{info.name} · {info.municipality}"

    @property
    def rule(self) -> str:
        return f"Valori inferiori a {self.threshold} non mostrati."

    @property
    def footnote(self) -> str:
        return (
            f"Valori inferiori a {self.threshold} non mostrati («< {self.threshold}»); "
            "«n.d.»: non mostrato perché non si possano ricavare."
        )
