"""Demo households, their interviews, and the needs heard in them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rete.demo_cast import Cast, Place
from rete.demo_catalogue import (
    FICTIONAL_SURNAMES,
    FIRST_NAMES,
    FLAG_NEED_BOOSTS,
    HOUSEHOLD_CODE_PREFIXES,
    LARGE_FAMILY_PROFILES,
    NEED_WEIGHTS,
    PROFILE_ELDERLY_BOOST,
    PROFILE_NEED_BOOSTS,
    SEASONAL_NEED_BOOSTS,
    SEVERITY_WEIGHTS_BY_NEED,
)
from rete.demo_referrals import Referrals
from rete.demo_world import Weighted, World, at_hour, pick, slug
from rete.referrals import need_status

CHUNK_HOUSEHOLDS = 2_000

# --- Households
MEMBERS_WEIGHTS = {1: 30, 2: 25, 3: 17, 4: 14, 5: 9, 6: 5}
LARGE_FAMILY_WEIGHTS = {1: 15, 2: 18, 3: 20, 4: 22, 5: 15, 6: 10}
ELDERLY_SHARE = {"small": 0.55, "large": 0.12}  # small = 1-2 members
MINORS_SHARE = {1: 0.0, 2: 0.12, 3: 0.6, 4: 0.8, 5: 0.85, 6: 0.9}
DISABILITY_SHARE = {"with_elderly": 0.2, "without": 0.07}
HOUSEHOLD_CONTACT_SHARE = 0.3

# --- Interviews: how, how many (when: the calendar in rete.demo_world)
INTERVIEWS_WEIGHTS = {1: 53, 2: 32, 3: 10, 4: 5}  # mean 1.67 per household
NEEDS_WEIGHTS = {1: 60, 2: 30, 3: 10}  # mean 1.5 per interview
CHANNELS_ON_ROUTE = {
    "ufficio_mobile": 62,
    "telefono": 14,
    "sportello": 8,
    "visita_domiciliare": 8,
    "email": 5,
    "altro": 3,
}
CHANNELS_ELSEWHERE = {
    "sportello": 48,
    "telefono": 28,
    "visita_domiciliare": 10,
    "email": 9,
    "altro": 5,
}
ELDERLY_HOME_VISIT_BOOST = 2.5
FIRST_INTERVIEW_NOTE = "Primo colloquio: presentazione del servizio e ascolto della situazione."
FOLLOW_UP_NOTE = "Colloquio di aggiornamento."

# --- Needs: how severe (which needs are common where: see rete.demo_catalogue)
OTHER_NEED_WEIGHT = 1.0  # a specific need the admin added and the demo does not know
SEVERITY_WEIGHTS = {"low": 30, "medium": 45, "high": 20, "urgent": 5}


@dataclass(frozen=True)
class _Household:
    id: int
    place: Place
    elderly: bool
    minors: bool
    disability: bool


def create_households(world: World, cast: Cast, count: int) -> None:
    """Write the households with their interviews, needs and referrals, a chunk at a time."""
    households = _Households(world, cast)
    place_weights = _place_weights(cast.places)
    for start in range(0, count, CHUNK_HOUSEHOLDS):
        for _ in range(min(CHUNK_HOUSEHOLDS, count - start)):
            households.add(place_weights.one(world.rng))
        world.batch.write(world.session)


def _place_weights(places: Sequence[Place]) -> Weighted:
    """Households spread like the ALER homes of each neighbourhood."""
    return Weighted.of({place: place.homes for place in places})


class _Households:
    """Adds one household at a time with its interviews and needs, sending the needs on."""

    def __init__(self, world: World, cast: Cast) -> None:
        self.world = world
        self.rng = world.rng
        self.operator_id = cast.operator_id
        self.referrals = Referrals(world, cast)
        self.severities = {
            id_: Weighted.of(SEVERITY_WEIGHTS_BY_NEED.get(code, SEVERITY_WEIGHTS))
            for id_, code in world.need_codes.items()
        }
        self.household_numbers: dict[str, int] = {}
        self._channel_cache: dict[tuple[bool, bool], Weighted] = {}
        self._need_cache: dict[tuple[object, ...], Weighted] = {}

    def add(self, place: Place) -> None:
        household_id = self.world.ids.next("household")
        members = self._pick_members(place)
        household = self._with_flags(household_id, place, members)
        days = self.world.calendar.pick_days(self.rng, pick(self.rng, INTERVIEWS_WEIGHTS))
        self.world.batch.add(
            "household",
            id=household_id,
            code=self._household_code(place.municipality),
            neighbourhood_id=place.id,
            members=members,
            has_elderly=household.elderly,
            has_minors=household.minors,
            has_disability=household.disability,
            created_at=at_hour(days[0], 8),
        )
        if self.rng.random() < HOUSEHOLD_CONTACT_SHARE:
            self._add_household_contact(household_id, days[0])
        for position, day in enumerate(days):
            self._add_interview(household, day, first=position == 0)

    def _pick_members(self, place: Place) -> int:
        large = place.profile in LARGE_FAMILY_PROFILES
        return pick(self.rng, LARGE_FAMILY_WEIGHTS if large else MEMBERS_WEIGHTS)

    def _with_flags(self, household_id: int, place: Place, members: int) -> _Household:
        """Elderly mostly in small households, minors in large ones, disability with age."""
        elderly_share = ELDERLY_SHARE["small" if members <= 2 else "large"]
        elderly = self.rng.random() < elderly_share + PROFILE_ELDERLY_BOOST.get(place.profile, 0)
        minors = self.rng.random() < MINORS_SHARE[min(members, 6)]
        disability_share = DISABILITY_SHARE["with_elderly" if elderly else "without"]
        return _Household(
            household_id, place, elderly, minors, self.rng.random() < disability_share
        )

    def _household_code(self, municipality: str) -> str:
        """Pseudonymous tenancy codes, e.g. VA-000123, with gaps as in a real register."""
        prefix = HOUSEHOLD_CODE_PREFIXES.get(municipality) or slug(municipality)[:2].upper()
        next_number = self.household_numbers.get(prefix, 0) + self.rng.randint(1, 3)
        self.household_numbers[prefix] = next_number
        return f"{prefix}-{next_number:06d}"

    def _add_household_contact(self, household_id: int, day: dt.date) -> None:
        first, surname = self.rng.choice(FIRST_NAMES), self.rng.choice(FICTIONAL_SURNAMES)
        with_email = self.rng.random() < 0.5
        email = f"{slug(first, '.')}.{slug(surname, '.')}{household_id}@example.org"
        self.world.batch.add(
            "household_contact",
            household_id=household_id,
            full_name=f"{first} {surname}",
            phone=f"000 000 {household_id % 10_000:04d}",
            email=email if with_email else None,
            created_at=at_hour(day, 8),
        )

    def _add_interview(self, household: _Household, day: dt.date, *, first: bool) -> None:
        interview_id = self.world.ids.next("interview")
        created_at = at_hour(day, 8 + interview_id % 8, interview_id % 60)
        self.world.batch.add(
            "interview",
            id=interview_id,
            household_id=household.id,
            held_on=day,
            channel_code=self._pick_channel(household),
            operator_id=self.operator_id,
            notes=FIRST_INTERVIEW_NOTE if first else FOLLOW_UP_NOTE,
            created_at=created_at,
            version=1,
        )
        for category_id in self._pick_needs(household, day):
            self._add_need(interview_id, household, category_id, day, created_at)

    def _pick_channel(self, household: _Household) -> str:
        key = (household.place.on_route, household.elderly)
        if key not in self._channel_cache:
            weights: dict[str, float] = dict(
                CHANNELS_ON_ROUTE if household.place.on_route else CHANNELS_ELSEWHERE
            )
            if household.elderly:
                weights["visita_domiciliare"] *= ELDERLY_HOME_VISIT_BOOST
            known = {c: w for c, w in weights.items() if c in self.world.channel_codes}
            self._channel_cache[key] = Weighted.of(known or {"altro": 1})
        return str(self._channel_cache[key].one(self.rng))

    def _pick_needs(self, household: _Household, day: dt.date) -> list[int]:
        """One to three different specific needs, as likely as the household and season say."""
        weights = self._need_weights(household, day.month)
        wanted = pick(self.rng, NEEDS_WEIGHTS)
        chosen: list[int] = []
        for category_id in weights.draw(self.rng, wanted * 3):
            if category_id not in chosen:
                chosen.append(category_id)
        return chosen[:wanted]

    def _need_weights(self, household: _Household, month: int) -> Weighted:
        """Base weights boosted by neighbourhood profile, household flags and month."""
        flags = {"elderly": household.elderly, "minors": household.minors}
        flags["disability"] = household.disability
        key = (household.place.profile, *flags.values(), month)
        if key not in self._need_cache:
            boosts: list[Mapping[str, float]] = [
                PROFILE_NEED_BOOSTS.get(household.place.profile, {})
            ]
            boosts += [FLAG_NEED_BOOSTS[flag] for flag, on in flags.items() if on]
            boosts += [
                {code: by_month.get(month, 1.0)} for code, by_month in SEASONAL_NEED_BOOSTS.items()
            ]
            weights = {id_: _boosted(code, boosts) for code, id_ in self.world.need_ids.items()}
            self._need_cache[key] = Weighted.of(weights)
        return self._need_cache[key]

    def _add_need(
        self,
        interview_id: int,
        household: _Household,
        category_id: int,
        held_on: dt.date,
        created_at: dt.datetime,
    ) -> None:
        need_id = self.world.ids.next("need")
        severity = str(self.severities[category_id].one(self.rng))
        sent = self.referrals.send_need(need_id, household.place, category_id, severity, held_on)
        self.world.batch.add(
            "need",
            id=need_id,
            interview_id=interview_id,
            category_id=category_id,
            severity=severity,
            status=need_status(sent),
            created_at=created_at,
        )


def _boosted(code: str, boosts: Sequence[Mapping[str, float]]) -> float:
    weight = NEED_WEIGHTS.get(code, OTHER_NEED_WEIGHT)
    for boost in boosts:
        weight *= boost.get(code, 1.0)
    return weight
