"""Demo referrals: to whom a need is sent, the statuses it goes through, the events it leaves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rete import config
from rete.demo_cast import Cast, Partner, Place
from rete.demo_catalogue import HANDLED_IN_HOUSE
from rete.demo_world import World, at_hour, pick, whole_days
from rete.referrals import due_on

# --- How many, to whom
REFERRAL_SHARE_BY_SEVERITY = {"low": 0.27, "medium": 0.46, "high": 0.66, "urgent": 0.85}
MAX_SEND_DELAY_DAYS = 10
RETRY_SHARE = 0.45  # after a refusal, cancellation or negative outcome, another partner is tried
MAX_RETRY_DELAY_DAYS = 7
MAX_REFERRALS_PER_NEED = 3
PRIMARY_CONTACT_SHARE = 0.7

# --- How they end (how fast and how often each partner answers: see rete.demo_cast)
USUAL_REFUSAL_SHARE = 0.6
CLOSING_DAYS_MEAN = 40.0
FORGOTTEN_SHARE = 0.02  # never answered nor chased: old referrals still "sent", long overdue
CANCEL_SHARE = 0.04
REFUSAL_REASON_WEIGHTS = {
    "no_capacity": 35,
    "not_eligible": 25,
    "out_of_area": 10,
    "missing_documents": 20,
    "other": 10,
}
NEGATIVE_REASON_WEIGHTS = {
    "unreachable_tenant": 30,
    "unreachable_partner": 10,
    "no_longer_interested": 20,
    "no_longer_needed": 15,
    "sent_elsewhere": 15,
    "other": 10,
}
ENDED_STATUSES = ("refused", "closed", "cancelled")  # closed_on is the day it ended
DUE_DAYS = int(config.SETTING_DEFAULTS[config.SETTING_OVERDUE_DAYS])


@dataclass(frozen=True)
class _Step:
    """One status a referral went through."""

    status: str
    on: dt.date
    outcome: str | None = None
    reason: str | None = None


class Referrals:
    """Sends needs to the cast's partners and writes each referral with its events."""

    def __init__(self, world: World, cast: Cast) -> None:
        self.world = world
        self.rng = world.rng
        self.cast = cast
        self._candidate_cache: dict[tuple[int, int], tuple[Partner, ...]] = {}

    def send_need(
        self, need_id: int, place: Place, category_id: int, severity: str, held_on: dt.date
    ) -> list[tuple[str, str | None]]:
        """Send the need to a fitting partner, and to another one if that one fails."""
        code = self.world.need_codes[category_id]
        share = REFERRAL_SHARE_BY_SEVERITY[severity] * HANDLED_IN_HOUSE.get(code, 1.0)
        if self.rng.random() >= share:
            return []
        candidates = list(self._candidates(place, category_id))
        sent_on = held_on + whole_days(self.rng.randint(0, MAX_SEND_DELAY_DAYS))
        results: list[tuple[str, str | None]] = []
        while candidates and sent_on <= self.world.today and len(results) < MAX_REFERRALS_PER_NEED:
            partner = candidates.pop(self.rng.randrange(len(candidates)))
            steps = self._referral_story(partner, sent_on)
            self._write_referral(need_id, partner, steps)
            results.append((steps[-1].status, steps[-1].outcome))
            if not _failed(steps[-1]) or self.rng.random() >= RETRY_SHARE:
                break
            sent_on = steps[-1].on + whole_days(self.rng.randint(1, MAX_RETRY_DELAY_DAYS))
        return results

    def _candidates(self, place: Place, category_id: int) -> tuple[Partner, ...]:
        """Partners serving the place that take this specific need; failing that, its area."""
        key = (place.id, category_id)
        if key not in self._candidate_cache:
            serving = [p for p in self.cast.partners if p.serves(place)]
            exact = tuple(p for p in serving if category_id in p.category_ids)
            area = self.world.area_of[category_id]
            self._candidate_cache[key] = exact or tuple(p for p in serving if area in p.area_ids)
        return self._candidate_cache[key]

    def _referral_story(self, partner: Partner, sent_on: dt.date) -> list[_Step]:
        """The statuses a referral goes through, cut at today."""
        steps = [_Step("sent", sent_on)]
        if self.rng.random() >= FORGOTTEN_SHARE:
            steps += self._answer(partner, sent_on)
            if self.rng.random() < CANCEL_SHARE:
                steps = self._cancelled_midway(steps)
        return [step for step in steps if step.on <= self.world.today]

    def _answer(self, partner: Partner, sent_on: dt.date) -> list[_Step]:
        answered_on = sent_on + whole_days(self.rng.gammavariate(2.0, partner.response_days / 2))
        if self.rng.random() < partner.refusal_share:
            return [_Step("refused", answered_on, reason=self._refusal_reason(partner))]
        closed_on = answered_on + whole_days(1 + self.rng.gammavariate(2.0, CLOSING_DAYS_MEAN / 2))
        if self.rng.random() < partner.positive_share:
            closing = _Step("closed", closed_on, outcome="positive")
        else:
            reason = pick(self.rng, NEGATIVE_REASON_WEIGHTS)
            closing = _Step("closed", closed_on, outcome="negative", reason=reason)
        return [_Step("accepted", answered_on), closing]

    def _refusal_reason(self, partner: Partner) -> str:
        if partner.usual_refusal and self.rng.random() < USUAL_REFUSAL_SHARE:
            return partner.usual_refusal
        return pick(self.rng, REFUSAL_REASON_WEIGHTS)

    def _cancelled_midway(self, steps: list[_Step]) -> list[_Step]:
        """Cancelled while sent, or (when it was taken in charge) while accepted."""
        cut = self.rng.choice((1, 2)) if steps[1].status == "accepted" else 1
        gap = (steps[cut].on - steps[cut - 1].on).days
        cancelled_on = steps[cut - 1].on + whole_days(self.rng.randint(1, max(1, gap)))
        return [*steps[:cut], _Step("cancelled", cancelled_on)]

    def _write_referral(self, need_id: int, partner: Partner, steps: list[_Step]) -> None:
        """The referral as it stands today, and one event per status it went through.

        `accepted_on` is the day it was taken in charge (kept if it was cancelled later);
        `closed_on` the day it ended: refused, closed or cancelled.
        """
        world = self.world
        referral_id = world.ids.next("referral")
        contact_id, channel = self._pick_contact(partner)
        moments = [_event_time(step, referral_id, position) for position, step in enumerate(steps)]
        last = steps[-1]
        dates = {step.status: step.on for step in steps}
        world.batch.add(
            "referral",
            id=referral_id,
            need_id=need_id,
            partner_id=partner.id,
            contact_id=contact_id,
            channel_code=channel if channel in world.channel_codes else None,
            sent_on=steps[0].on,
            due_on=due_on(steps[0].on, DUE_DAYS),
            consent_given=True,
            consent_on=steps[0].on,
            status=last.status,
            outcome=last.outcome,
            reason=last.reason,
            accepted_on=dates.get("accepted"),
            closed_on=last.on if last.status in ENDED_STATUSES else None,
            created_by=self.cast.operator_id,
            created_at=moments[0],
            updated_at=moments[-1] if len(steps) > 1 else None,
            version=len(steps),
        )
        for step, moment in zip(steps, moments, strict=True):
            world.batch.add(
                "referral_event",
                id=world.ids.next("referral_event"),
                referral_id=referral_id,
                status=step.status,
                happened_on=step.on,
                outcome=step.outcome,
                reason=step.reason,
                at=moment,
                user_id=self.cast.operator_id,
                created_at=moment,
            )

    def _pick_contact(self, partner: Partner) -> tuple[int, str]:
        if self.rng.random() < PRIMARY_CONTACT_SHARE:
            return partner.contacts[0]
        return self.rng.choice(partner.contacts)


def _failed(step: _Step) -> bool:
    return step.status in ("refused", "cancelled") or step.outcome == "negative"


def _event_time(step: _Step, referral_id: int, position: int) -> dt.datetime:
    """Office hours (UTC): sending in the morning, later steps after it on the same day."""
    if position == 0:
        return at_hour(step.on, 7 + referral_id % 3, referral_id % 60)
    return at_hour(step.on, 10 + (referral_id + position) % 6, (referral_id * 7) % 60)
