"""The demo's cast: its accounts and settings, its neighbourhoods, its partners and their contacts."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import auth, config, taxonomy
from rete.demo_catalogue import (
    CONTACT_ROLES,
    FICTIONAL_SURNAMES,
    FIRST_NAMES,
    MIXED,
    NEIGHBOURHOOD_PROFILES,
    PARTNERS,
    PHONE_AREA_CODES,
    UFFICIO_MOBILE_MUNICIPALITIES,
    PartnerSpec,
)
from rete.demo_world import World, at_hour, slug, whole_days
from rete.models import Setting, User

DEMO_ACCOUNTS = (
    ("admin", "Amministratore (demo)", "admin"),
    ("direzione", "Direzione (demo)", "direzione"),
    ("operatore", "Community manager (demo)", "operatore"),
)
DEMO_PASSWORD = auth.DEMO_PASSWORD
OPERATOR_USERNAME = "operatore"

# --- Partners: who they are
CONTACTS_PER_PARTNER = (1, 2, 2, 3)
EMAIL_PREFERRED_SHARE = 0.6
STALE_PARTNER_SHARE = 0.2  # entries not verified for over six months: the "da ricontrollare" list
MAX_JOINED_BEFORE_WINDOW_DAYS = 400

# --- Partners: how they answer referrals
RESPONSE_DAYS = {"fast": 3.0, "normal": 7.0, "slow": 18.0}
REFUSAL_SHARE = {"rare": 0.04, "normal": 0.1, "often": 0.3}
POSITIVE_SHARE_RANGE = (0.5, 0.82)


@dataclass(frozen=True)
class Place:
    """A neighbourhood as the generator sees it."""

    id: int
    name: str
    municipality: str
    profile: str
    homes: int

    @property
    def on_route(self) -> bool:
        return self.municipality in UFFICIO_MOBILE_MUNICIPALITIES


@dataclass(frozen=True)
class Partner:
    """A partner as the generator sees it: where it works, what it takes, how it answers."""

    id: int
    contacts: tuple[tuple[int, str], ...]  # (contact id, preferred channel), primary first
    category_ids: frozenset[int]
    area_ids: frozenset[int]
    municipalities: frozenset[str]
    neighbourhood_ids: frozenset[int]
    response_days: float
    refusal_share: float
    positive_share: float
    usual_refusal: str | None

    def serves(self, place: Place) -> bool:
        return place.municipality in self.municipalities or place.id in self.neighbourhood_ids


@dataclass(frozen=True)
class Cast:
    """Who the households meet: the operator, the neighbourhoods, the partners."""

    operator_id: int
    places: list[Place]
    partners: list[Partner]


def create_cast(world: World) -> Cast:
    """Write the accounts, settings, neighbourhoods and partners the households will meet."""
    operator_id = _create_accounts(world.session)
    _write_settings(world.session)
    places = _create_places(world.session)
    partners = [_create_partner(world, places, spec, index) for index, spec in enumerate(PARTNERS)]
    world.session.flush()
    world.batch.write(world.session)
    return Cast(operator_id, places, partners)


def _create_accounts(session: Session) -> int:
    """The demo accounts, created where missing (a `--replace` keeps the users)."""
    users = {}
    for username, name, role in DEMO_ACCOUNTS:
        existing = session.scalar(select(User).where(User.username == username))
        users[username] = existing or auth.create_user(
            session, username, name, role, DEMO_PASSWORD, demo_account=True
        )
    return users[OPERATOR_USERNAME].id


# The closing slide of the meeting deck: invented, like every demo contact.
DEMO_COORDINATION = (
    "Community Manager ALER (demo)\nUfficio Mobile · 0332 000 000\nrete.demo@aler.example.it"
)


def _write_settings(session: Session) -> None:
    values = config.SETTING_DEFAULTS | {
        config.SETTING_DEMO_DATA: "1",
        config.SETTING_COORDINATION: DEMO_COORDINATION,
    }
    for key, value in values.items():
        setting = session.get(Setting, key)
        if setting is None:
            session.add(Setting(key=key, value=value))
        elif key == config.SETTING_DEMO_DATA:
            setting.value = value


def _create_places(session: Session) -> list[Place]:
    return [
        Place(
            n.id,
            n.name,
            n.municipality,
            NEIGHBOURHOOD_PROFILES.get(n.name, MIXED),
            n.homes or 1,
        )
        for n in taxonomy.seed_demo_neighbourhoods(session)
    ]


def _create_partner(world: World, places: list[Place], spec: PartnerSpec, index: int) -> Partner:
    partner_id = world.ids.next("partner")
    verified_on, joined_on = _partner_dates(world)
    phone = f"{PHONE_AREA_CODES.get(spec.home, '0332')} 000 1{index % 100:02d}"
    web_name = slug(spec.name)
    world.batch.add(
        "partner",
        id=partner_id,
        uuid=str(uuid.UUID(int=world.rng.getrandbits(128), version=4)),
        name=spec.name,
        kind=spec.kind,
        description=f"Ente dimostrativo. {spec.summary}",
        email=f"info@{web_name}.example.org",
        phone=phone,
        website=f"https://{web_name}.example.org",
        address=f"Via dell'Esempio {index + 1}, {spec.home}",
        municipality=spec.home,
        active=True,
        joined_on=joined_on,
        last_verified_on=verified_on,
        created_at=at_hour(joined_on, 9),
    )
    category_ids = _add_partner_categories(world, partner_id, spec, joined_on)
    place_ids = _add_partner_areas(world, places, partner_id, spec, joined_on)
    return Partner(
        id=partner_id,
        contacts=_add_contacts(world, partner_id, spec, phone, joined_on),
        category_ids=frozenset(category_ids),
        area_ids=frozenset(world.area_of[c] for c in category_ids),
        municipalities=frozenset(spec.municipalities),
        neighbourhood_ids=frozenset(place_ids),
        response_days=RESPONSE_DAYS[spec.pace] * world.rng.uniform(0.8, 1.25),
        refusal_share=REFUSAL_SHARE[spec.refusals],
        positive_share=world.rng.uniform(*POSITIVE_SHARE_RANGE),
        usual_refusal=spec.usual_refusal,
    )


def _partner_dates(world: World) -> tuple[dt.date, dt.date]:
    """(last verified, joined): members since before the window; some not checked lately."""
    if world.rng.random() < STALE_PARTNER_SHARE:
        verified_on = world.today - whole_days(world.rng.randint(190, 420))
    else:
        verified_on = world.today - whole_days(world.rng.randint(0, 150))
    window_start = world.calendar.start
    joined_on = window_start - whole_days(world.rng.randint(0, MAX_JOINED_BEFORE_WINDOW_DAYS))
    return max(verified_on, joined_on), joined_on


def _add_partner_categories(
    world: World, partner_id: int, spec: PartnerSpec, joined_on: dt.date
) -> list[int]:
    category_ids = [world.need_ids[code] for code in spec.needs if code in world.need_ids]
    for category_id in category_ids:
        world.batch.add(
            "partner_category",
            partner_id=partner_id,
            category_id=category_id,
            created_at=at_hour(joined_on, 9),
        )
    return category_ids


def _add_partner_areas(
    world: World, places: list[Place], partner_id: int, spec: PartnerSpec, joined_on: dt.date
) -> list[int]:
    by_name = {place.name: place.id for place in places}
    place_ids = [by_name[name] for name in spec.neighbourhoods if name in by_name]
    areas = [(None, m) for m in spec.municipalities] + [(p, None) for p in place_ids]
    for neighbourhood_id, municipality in areas:
        world.batch.add(
            "partner_area",
            id=world.ids.next("partner_area"),
            partner_id=partner_id,
            neighbourhood_id=neighbourhood_id,
            municipality=municipality,
            created_at=at_hour(joined_on, 9),
        )
    return place_ids


def _add_contacts(
    world: World, partner_id: int, spec: PartnerSpec, phone: str, joined_on: dt.date
) -> tuple[tuple[int, str], ...]:
    contacts = []
    roles = CONTACT_ROLES.get(spec.kind, CONTACT_ROLES["other"])
    rng = world.rng
    for position in range(rng.choice(CONTACTS_PER_PARTNER)):
        first, surname = rng.choice(FIRST_NAMES), rng.choice(FICTIONAL_SURNAMES)
        channel = "email" if rng.random() < EMAIL_PREFERRED_SHARE else "telefono"
        contact_id = world.ids.next("contact")
        world.batch.add(
            "contact",
            id=contact_id,
            partner_id=partner_id,
            name=f"{first} {surname}",
            role=roles[position % len(roles)],
            phone=phone if position == 0 else f"{phone} int. {rng.randint(10, 49)}",
            email=f"{slug(first, '.')}.{slug(surname, '.')}@example.org",
            preferred_channel=channel,
            is_primary=position == 0,
            created_at=at_hour(joined_on, 9),
        )
        contacts.append((contact_id, channel))
    return tuple(contacts)
