"""Reproducible, plausible, fictional demo data at any scale (`python -m rete demo`).

Everything comes from one `random.Random(seed)` and the given `today`: the same seed and the
same day give the same rows. Households are generated a chunk at a time and written with Core
`insert` executemany, ids counted here, so memory stays flat from 60 to 400,000 households.
The cast (partners, names, neighbourhood profiles) lives in `rete.demo_catalogue`.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, TypeVar

from sqlalchemy import Engine, Table, delete, exists, insert, select, text
from sqlalchemy.orm import Session

from rete import audit, auth, config, readmodel, taxonomy
from rete.db import bump_data_version, session_scope
from rete.demo_catalogue import (
    CONTACT_ROLES,
    FICTIONAL_SURNAMES,
    FIRST_NAMES,
    FLAG_NEED_BOOSTS,
    HANDLED_IN_HOUSE,
    HOUSEHOLD_CODE_PREFIXES,
    LARGE_FAMILY_PROFILES,
    MIXED,
    NEED_WEIGHTS,
    NEIGHBOURHOOD_PROFILES,
    PARTNERS,
    PHONE_AREA_CODES,
    PROFILE_ELDERLY_BOOST,
    PROFILE_NEED_BOOSTS,
    SEASONAL_NEED_BOOSTS,
    SEVERITY_WEIGHTS_BY_NEED,
    UFFICIO_MOBILE_MUNICIPALITIES,
    PartnerSpec,
)
from rete.errors import NotEmptyError, ValidationError
from rete.formats import number
from rete.models import (
    Base,
    Category,
    Channel,
    Household,
    Interview,
    Neighbourhood,
    Partner,
    Setting,
    User,
)

DEFAULT_HOUSEHOLDS = 1500
DEFAULT_SEED = 20260225
DEFAULT_MONTHS = 24
CHUNK_HOUSEHOLDS = 2_000

DEMO_ACCOUNTS = (
    ("admin", "Amministratore (demo)", "admin"),
    ("direzione", "Direzione (demo)", "direzione"),
    ("operatore", "Community manager (demo)", "operatore"),
)
DEMO_PASSWORD = "demo"
OPERATOR_USERNAME = "operatore"

# --- Households
MEMBERS_WEIGHTS = {1: 30, 2: 25, 3: 17, 4: 14, 5: 9, 6: 5}
LARGE_FAMILY_WEIGHTS = {1: 15, 2: 18, 3: 20, 4: 22, 5: 15, 6: 10}
ELDERLY_SHARE = {"small": 0.55, "large": 0.12}  # small = 1-2 members
MINORS_SHARE = {1: 0.0, 2: 0.12, 3: 0.6, 4: 0.8, 5: 0.85, 6: 0.9}
DISABILITY_SHARE = {"with_elderly": 0.2, "without": 0.07}
HOUSEHOLD_CONTACT_SHARE = 0.3

# --- Interviews: when, how, how many
INTERVIEWS_WEIGHTS = {1: 53, 2: 32, 3: 10, 4: 5}  # mean 1.67 per household
NEEDS_WEIGHTS = {1: 60, 2: 30, 3: 10}  # mean 1.5 per interview
MONTH_WEIGHTS = (1.15, 1.15, 1.05, 1.0, 1.0, 0.9, 0.8, 0.3, 1.0, 1.15, 1.2, 0.9)  # Jan..Dec
SATURDAY_WEIGHT = 0.1
HOLIDAYS = {(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)}
TREND_START = 0.8  # the service grows: the window's first day weighs this much, today 1
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

# --- Referrals: how many, to whom, how they end
REFERRAL_SHARE_BY_SEVERITY = {"low": 0.27, "medium": 0.46, "high": 0.66, "urgent": 0.85}
MAX_SEND_DELAY_DAYS = 10
RETRY_SHARE = 0.45  # after a refusal, cancellation or negative outcome, another partner is tried
MAX_RETRY_DELAY_DAYS = 7
MAX_REFERRALS_PER_NEED = 3
PRIMARY_CONTACT_SHARE = 0.7
RESPONSE_DAYS = {"fast": 3.0, "normal": 7.0, "slow": 18.0}
REFUSAL_SHARE = {"rare": 0.04, "normal": 0.1, "often": 0.3}
USUAL_REFUSAL_SHARE = 0.6
POSITIVE_SHARE_RANGE = (0.5, 0.82)
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

# --- Partners
CONTACTS_PER_PARTNER = (1, 2, 2, 3)
EMAIL_PREFERRED_SHARE = 0.6
STALE_PARTNER_SHARE = 0.2  # entries not verified for over six months: the "da ricontrollare" list
MAX_JOINED_BEFORE_WINDOW_DAYS = 400

# Every table except the reference data (category, channel) and the data version, which only
# ever grows: resetting it could let a cache serve results of the data we are deleting.
# Kept by `--replace`: reference data, and the people and their audit trail (DESIGN: no code
# path deletes the audit trail, and it points to the users).
KEPT_TABLES = frozenset(
    {"category", "channel", "data_version", "user", "user_session", "audit_entry", "setting"}
)
LOADED_TABLES = (
    "partner",
    "partner_category",
    "partner_area",
    "contact",
    "household",
    "household_contact",
    "interview",
    "need",
    "referral",
    "referral_event",
)

SUMMARY_WORDS = {
    "household": "nuclei",
    "interview": "colloqui",
    "need": "bisogni",
    "referral": "segnalazioni",
    "partner": "enti",
}

T = TypeVar("T")


def load_demo(
    engine: Engine,
    *,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    months: int = DEFAULT_MONTHS,
    replace: bool = False,
    today: dt.date | None = None,
) -> str:
    """Fill the database with demo data in one transaction; returns an Italian summary."""
    _check_size(households, months)
    with session_scope(engine) as session:
        taxonomy.seed_reference_data(session)
        if replace:
            _clear(session)
        elif _holds_data(session):
            raise NotEmptyError(
                "Il database contiene già dei dati: i dati dimostrativi non sono stati caricati. "
                "Per sostituire tutto con i dati dimostrativi usare `python -m rete demo --replace` "
                "(cancella i dati presenti)."
            )
        generator = _Generator(session, random.Random(seed), today or config.today(), months)
        generator.create_cast()
        generator.create_households(households)
        _sync_sequences(session, LOADED_TABLES)
        readmodel.rebuild(session)
        summary = generator.ids.summary()
        bump_data_version(session)
        audit.record(session, "demo_loaded", summary=summary)
    return summary


def _check_size(households: int, months: int) -> None:
    if households < 0:
        raise ValidationError("Il numero di nuclei dimostrativi non può essere negativo.")
    if months < 1:
        raise ValidationError("Indicare almeno un mese di dati dimostrativi.")


def clear_data(engine: Engine) -> None:
    """Delete every record except the reference data, the users and the audit trail."""
    with session_scope(engine) as session:
        _clear(session)
        bump_data_version(session)


def need_status(referrals: Iterable[tuple[str, str | None]]) -> str:
    """A need's status from its referrals' (status, outcome) pairs.

    No referral, or only cancelled ones -> `open`; any referral `sent` or `accepted` ->
    `in_progress`; otherwise any `closed` with outcome `positive` -> `resolved`; otherwise (only
    refusals, negative closures and cancellations are left) -> `unresolved`.
    """
    states = list(referrals)
    if any(status in ("sent", "accepted") for status, _ in states):
        return "in_progress"
    if any(status == "closed" and outcome == "positive" for status, outcome in states):
        return "resolved"
    if any(status in ("refused", "closed") for status, _ in states):
        return "unresolved"
    return "open"


# --- Emptying the database


def holds_data(engine: Engine) -> bool:
    """True once anything but reference data is in the database (a user counts)."""
    with Session(engine) as session:
        return _holds_data(session)


def _holds_data(session: Session) -> bool:
    return any(
        session.scalar(select(exists().select_from(model)))
        for model in (Household, Interview, Partner, User, Neighbourhood)
    )


def _clear(session: Session) -> None:
    """Delete children before parents, then restart the ids, so a reload matches a fresh load."""
    session.flush()
    cleared = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    for table in cleared:
        session.execute(delete(table))
    _restart_sequences(session, cleared)
    session.expunge_all()


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _restart_sequences(session: Session, tables: Iterable[Table]) -> None:
    if not _is_postgresql(session):
        return  # SQLite's rowid ids restart by themselves once a table is empty
    for table in tables:
        if table.autoincrement_column is not None:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), 1, false)"),
                {"table": _quoted(session, table.name)},
            )


def _sync_sequences(session: Session, table_names: Iterable[str]) -> None:
    """After inserting explicit ids on PostgreSQL, move each sequence past the highest id."""
    if not _is_postgresql(session):
        return
    for name in table_names:
        table = Base.metadata.tables[name]
        if table.autoincrement_column is None:
            continue
        quoted = _quoted(session, name)
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence(:table, 'id'), max(id)) FROM {quoted}"),
            {"table": quoted},
        )


def _quoted(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)


# --- Small helpers


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class _Weighted:
    """A population with cumulative weights, for many fast draws."""

    items: tuple[Any, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: Mapping[Any, float]) -> _Weighted:
        return cls(tuple(weights), tuple(accumulate(weights.values())))

    def draw(self, rng: random.Random, k: int = 1) -> list[Any]:
        return rng.choices(self.items, cum_weights=self.cumulative, k=k)

    def one(self, rng: random.Random) -> Any:
        return self.draw(rng)[0]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _days(count: float) -> dt.timedelta:
    return dt.timedelta(days=int(count))


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last_day = (dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - _days(1)).day
    return dt.date(year, month + 1, min(day.day, last_day))


def _slug(text_: str, separator: str = "-") -> str:
    ascii_text = unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return separator.join(words)[:48].strip(separator)


class _Calendar:
    """The days of the window, weighted by season, weekday, holidays and the service's growth."""

    def __init__(self, today: dt.date, months: int) -> None:
        self.start = _months_before(today, months) + _days(1)
        span = (today - self.start).days
        days = [self.start + _days(k) for k in range(span + 1)]
        weights = [self._weight(day, k / max(span, 1)) for k, day in enumerate(days)]
        if not any(weights):  # a window of holidays only: any day will do
            weights = [1.0] * len(days)
        self._days = _Weighted(tuple(days), tuple(accumulate(weights)))

    @staticmethod
    def _weight(day: dt.date, progress: float) -> float:
        if day.weekday() == 6 or (day.month, day.day) in HOLIDAYS:
            return 0.0
        weekday = SATURDAY_WEIGHT if day.weekday() == 5 else 1.0
        return MONTH_WEIGHTS[day.month - 1] * weekday * (TREND_START + (1 - TREND_START) * progress)

    def pick_days(self, rng: random.Random, count: int) -> list[dt.date]:
        return sorted(self._days.draw(rng, count))


# --- What the generator knows


@dataclass(frozen=True)
class _Place:
    id: int
    name: str
    municipality: str
    profile: str
    homes: int

    @property
    def on_route(self) -> bool:
        return self.municipality in UFFICIO_MOBILE_MUNICIPALITIES


@dataclass(frozen=True)
class _Partner:
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

    def serves(self, place: _Place) -> bool:
        return place.municipality in self.municipalities or place.id in self.neighbourhood_ids


@dataclass(frozen=True)
class _Household:
    id: int
    place: _Place
    elderly: bool
    minors: bool
    disability: bool


@dataclass(frozen=True)
class _Step:
    """One status a referral went through."""

    status: str
    on: dt.date
    outcome: str | None = None
    reason: str | None = None


@dataclass
class _Batch:
    """Rows waiting to be written, by table; written in foreign-key order."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in LOADED_TABLES}
    )

    def add(self, table: str, **row: Any) -> None:
        self.rows[table].append(row)

    def write(self, session: Session) -> None:
        for name, rows in self.rows.items():
            if rows:
                session.execute(insert(Base.metadata.tables[name]), rows)
                rows.clear()


class _Ids:
    """Explicit ids, counted here from 1 (the tables are empty): no round trip per row."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self._last[table] = self._last.get(table, 0) + 1
        return self._last[table]

    def count(self, table: str) -> int:
        return self._last.get(table, 0)

    def summary(self) -> str:
        """What was created, in Italian: '1.500 nuclei, 2.512 colloqui, ...'."""
        counted = zip(SUMMARY_WORDS.values(), map(self.count, SUMMARY_WORDS), strict=True)
        return ", ".join(f"{number(count)} {word}" for word, count in counted)


class _Generator:
    """Builds the demo world into one session, a chunk of households at a time."""

    def __init__(self, session: Session, rng: random.Random, today: dt.date, months: int):
        self.session = session
        self.rng = rng
        self.today = today
        self.calendar = _Calendar(today, months)
        self.ids = _Ids()
        self.batch = _Batch()
        self.household_numbers: dict[str, int] = {}
        self.operator_id = 0
        self.places: list[_Place] = []
        self.partners: list[_Partner] = []
        self._read_reference_data()
        self._caches: dict[str, dict[Any, Any]] = {"needs": {}, "candidates": {}, "channels": {}}

    def _read_reference_data(self) -> None:
        rows = self.session.execute(
            select(Category.id, Category.code, Category.parent_id)
            .where(Category.active, Category.parent_id.is_not(None))
            .order_by(Category.id)
        ).all()
        self.need_ids = {code: id_ for id_, code, _ in rows}
        self.need_codes = {id_: code for id_, code, _ in rows}
        self.area_of = {id_: parent for id_, _, parent in rows if parent is not None}
        self.severities = {
            id_: _Weighted.of(SEVERITY_WEIGHTS_BY_NEED.get(code, SEVERITY_WEIGHTS))
            for id_, code, _ in rows
        }
        self.channel_codes = set(self.session.scalars(select(Channel.code).where(Channel.active)))

    # --- The cast: accounts, settings, neighbourhoods, partners

    def create_cast(self) -> None:
        self.operator_id = self._create_accounts()
        self._write_settings()
        self.places = self._create_places()
        self.partners = [self._create_partner(spec, index) for index, spec in enumerate(PARTNERS)]
        self.session.flush()
        self.batch.write(self.session)

    def _create_accounts(self) -> int:
        """The demo accounts, created where missing (a `--replace` keeps the users)."""
        users = {}
        for username, name, role in DEMO_ACCOUNTS:
            existing = self.session.scalar(select(User).where(User.username == username))
            users[username] = existing or auth.create_user(
                self.session, username, name, role, DEMO_PASSWORD, allow_short_password=True
            )
        return users[OPERATOR_USERNAME].id

    def _write_settings(self) -> None:
        values = config.SETTING_DEFAULTS | {config.SETTING_DEMO_DATA: "1"}
        for key, value in values.items():
            setting = self.session.get(Setting, key)
            if setting is None:
                self.session.add(Setting(key=key, value=value))
            elif key == config.SETTING_DEMO_DATA:
                setting.value = value

    def _create_places(self) -> list[_Place]:
        return [
            _Place(
                n.id,
                n.name,
                n.municipality,
                NEIGHBOURHOOD_PROFILES.get(n.name, MIXED),
                n.homes or 1,
            )
            for n in taxonomy.seed_demo_neighbourhoods(self.session)
        ]

    def _create_partner(self, spec: PartnerSpec, index: int) -> _Partner:
        partner_id = self.ids.next("partner")
        verified_on, joined_on = self._partner_dates()
        phone = f"{PHONE_AREA_CODES.get(spec.home, '0332')} 000 1{index % 100:02d}"
        slug = _slug(spec.name)
        self.batch.add(
            "partner",
            id=partner_id,
            uuid=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            name=spec.name,
            kind=spec.kind,
            description=f"Ente dimostrativo. {spec.summary}",
            email=f"info@{slug}.example.org",
            phone=phone,
            website=f"https://{slug}.example.org",
            address=f"Via dell'Esempio {index + 1}, {spec.home}",
            municipality=spec.home,
            active=True,
            joined_on=joined_on,
            last_verified_on=verified_on,
            created_at=_at(joined_on, 9),
        )
        category_ids = self._add_partner_categories(partner_id, spec, joined_on)
        places = self._add_partner_areas(partner_id, spec, joined_on)
        return _Partner(
            id=partner_id,
            contacts=self._add_contacts(partner_id, spec, phone, joined_on),
            category_ids=frozenset(category_ids),
            area_ids=frozenset(self.area_of[c] for c in category_ids),
            municipalities=frozenset(spec.municipalities),
            neighbourhood_ids=frozenset(places),
            response_days=RESPONSE_DAYS[spec.pace] * self.rng.uniform(0.8, 1.25),
            refusal_share=REFUSAL_SHARE[spec.refusals],
            positive_share=self.rng.uniform(*POSITIVE_SHARE_RANGE),
            usual_refusal=spec.usual_refusal,
        )

    def _partner_dates(self) -> tuple[dt.date, dt.date]:
        """(last verified, joined): members since before the window; some not checked lately."""
        if self.rng.random() < STALE_PARTNER_SHARE:
            verified_on = self.today - _days(self.rng.randint(190, 420))
        else:
            verified_on = self.today - _days(self.rng.randint(0, 150))
        window_start = self.calendar.start
        joined_on = window_start - _days(self.rng.randint(0, MAX_JOINED_BEFORE_WINDOW_DAYS))
        return max(verified_on, joined_on), joined_on

    def _add_partner_categories(
        self, partner_id: int, spec: PartnerSpec, joined_on: dt.date
    ) -> list[int]:
        category_ids = [self.need_ids[code] for code in spec.needs if code in self.need_ids]
        for category_id in category_ids:
            self.batch.add(
                "partner_category",
                partner_id=partner_id,
                category_id=category_id,
                created_at=_at(joined_on, 9),
            )
        return category_ids

    def _add_partner_areas(
        self, partner_id: int, spec: PartnerSpec, joined_on: dt.date
    ) -> list[int]:
        by_name = {place.name: place.id for place in self.places}
        place_ids = [by_name[name] for name in spec.neighbourhoods if name in by_name]
        areas = [(None, m) for m in spec.municipalities] + [(p, None) for p in place_ids]
        for neighbourhood_id, municipality in areas:
            self.batch.add(
                "partner_area",
                id=self.ids.next("partner_area"),
                partner_id=partner_id,
                neighbourhood_id=neighbourhood_id,
                municipality=municipality,
                created_at=_at(joined_on, 9),
            )
        return place_ids

    def _add_contacts(
        self, partner_id: int, spec: PartnerSpec, phone: str, joined_on: dt.date
    ) -> tuple[tuple[int, str], ...]:
        contacts = []
        roles = CONTACT_ROLES.get(spec.kind, CONTACT_ROLES["other"])
        for position in range(self.rng.choice(CONTACTS_PER_PARTNER)):
            first, surname = self.rng.choice(FIRST_NAMES), self.rng.choice(FICTIONAL_SURNAMES)
            channel = "email" if self.rng.random() < EMAIL_PREFERRED_SHARE else "telefono"
            contact_id = self.ids.next("contact")
            self.batch.add(
                "contact",
                id=contact_id,
                partner_id=partner_id,
                name=f"{first} {surname}",
                role=roles[position % len(roles)],
                phone=phone if position == 0 else f"{phone} int. {self.rng.randint(10, 49)}",
                email=f"{_slug(first, '.')}.{_slug(surname, '.')}@example.org",
                preferred_channel=channel,
                is_primary=position == 0,
                created_at=_at(joined_on, 9),
            )
            contacts.append((contact_id, channel))
        return tuple(contacts)

    # --- Households, interviews, needs

    def create_households(self, count: int) -> None:
        place_weights = self._place_weights()
        for start in range(0, count, CHUNK_HOUSEHOLDS):
            for _ in range(min(CHUNK_HOUSEHOLDS, count - start)):
                self._add_household(place_weights.one(self.rng))
            self.batch.write(self.session)

    def _place_weights(self) -> _Weighted:
        """Households spread like the ALER homes of each neighbourhood."""
        return _Weighted.of({place: place.homes for place in self.places})

    def _add_household(self, place: _Place) -> None:
        household_id = self.ids.next("household")
        members = self._pick_members(place)
        household = self._with_flags(household_id, place, members)
        days = self.calendar.pick_days(self.rng, _pick(self.rng, INTERVIEWS_WEIGHTS))
        self.batch.add(
            "household",
            id=household_id,
            code=self._household_code(place.municipality),
            neighbourhood_id=place.id,
            members=members,
            has_elderly=household.elderly,
            has_minors=household.minors,
            has_disability=household.disability,
            created_at=_at(days[0], 8),
        )
        if self.rng.random() < HOUSEHOLD_CONTACT_SHARE:
            self._add_household_contact(household_id, days[0])
        for position, day in enumerate(days):
            self._add_interview(household, day, first=position == 0)

    def _pick_members(self, place: _Place) -> int:
        large = place.profile in LARGE_FAMILY_PROFILES
        return _pick(self.rng, LARGE_FAMILY_WEIGHTS if large else MEMBERS_WEIGHTS)

    def _with_flags(self, household_id: int, place: _Place, members: int) -> _Household:
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
        prefix = HOUSEHOLD_CODE_PREFIXES.get(municipality) or _slug(municipality)[:2].upper()
        next_number = self.household_numbers.get(prefix, 0) + self.rng.randint(1, 3)
        self.household_numbers[prefix] = next_number
        return f"{prefix}-{next_number:06d}"

    def _add_household_contact(self, household_id: int, day: dt.date) -> None:
        first, surname = self.rng.choice(FIRST_NAMES), self.rng.choice(FICTIONAL_SURNAMES)
        with_email = self.rng.random() < 0.5
        email = f"{_slug(first, '.')}.{_slug(surname, '.')}{household_id}@example.org"
        self.batch.add(
            "household_contact",
            household_id=household_id,
            full_name=f"{first} {surname}",
            phone=f"000 000 {household_id % 10_000:04d}",
            email=email if with_email else None,
            created_at=_at(day, 8),
        )

    def _add_interview(self, household: _Household, day: dt.date, *, first: bool) -> None:
        interview_id = self.ids.next("interview")
        created_at = _at(day, 8 + interview_id % 8, interview_id % 60)
        self.batch.add(
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
        if key not in self._caches["channels"]:
            weights: dict[str, float] = dict(
                CHANNELS_ON_ROUTE if household.place.on_route else CHANNELS_ELSEWHERE
            )
            if household.elderly:
                weights["visita_domiciliare"] *= ELDERLY_HOME_VISIT_BOOST
            known = {c: w for c, w in weights.items() if c in self.channel_codes}
            self._caches["channels"][key] = _Weighted.of(known or {"altro": 1})
        return str(self._caches["channels"][key].one(self.rng))

    def _pick_needs(self, household: _Household, day: dt.date) -> list[int]:
        """One to three different specific needs, as likely as the household and season say."""
        weights = self._need_weights(household, day.month)
        wanted = _pick(self.rng, NEEDS_WEIGHTS)
        chosen: list[int] = []
        for category_id in weights.draw(self.rng, wanted * 3):
            if category_id not in chosen:
                chosen.append(category_id)
        return chosen[:wanted]

    def _need_weights(self, household: _Household, month: int) -> _Weighted:
        """Base weights boosted by neighbourhood profile, household flags and month."""
        flags = {"elderly": household.elderly, "minors": household.minors}
        flags["disability"] = household.disability
        key = (household.place.profile, *flags.values(), month)
        cache = self._caches["needs"]
        if key not in cache:
            boosts: list[Mapping[str, float]] = [
                PROFILE_NEED_BOOSTS.get(household.place.profile, {})
            ]
            boosts += [FLAG_NEED_BOOSTS[flag] for flag, on in flags.items() if on]
            boosts += [
                {code: by_month.get(month, 1.0)} for code, by_month in SEASONAL_NEED_BOOSTS.items()
            ]
            weights = {id_: _boosted(code, boosts) for code, id_ in self.need_ids.items()}
            cache[key] = _Weighted.of(weights)
        return cache[key]  # type: ignore[no-any-return]

    def _add_need(
        self,
        interview_id: int,
        household: _Household,
        category_id: int,
        held_on: dt.date,
        created_at: dt.datetime,
    ) -> None:
        need_id = self.ids.next("need")
        severity = str(self.severities[category_id].one(self.rng))
        referrals = self._add_referrals(need_id, household.place, category_id, severity, held_on)
        self.batch.add(
            "need",
            id=need_id,
            interview_id=interview_id,
            category_id=category_id,
            severity=severity,
            status=need_status(referrals),
            created_at=created_at,
        )

    # --- Referrals

    def _add_referrals(
        self, need_id: int, place: _Place, category_id: int, severity: str, held_on: dt.date
    ) -> list[tuple[str, str | None]]:
        """Send the need to a fitting partner, and to another one if that one fails."""
        code = self.need_codes[category_id]
        share = REFERRAL_SHARE_BY_SEVERITY[severity] * HANDLED_IN_HOUSE.get(code, 1.0)
        if self.rng.random() >= share:
            return []
        candidates = list(self._candidates(place, category_id))
        sent_on = held_on + _days(self.rng.randint(0, MAX_SEND_DELAY_DAYS))
        results: list[tuple[str, str | None]] = []
        while candidates and sent_on <= self.today and len(results) < MAX_REFERRALS_PER_NEED:
            partner = candidates.pop(self.rng.randrange(len(candidates)))
            steps = self._referral_story(partner, sent_on)
            self._write_referral(need_id, partner, steps)
            results.append((steps[-1].status, steps[-1].outcome))
            if not _failed(steps[-1]) or self.rng.random() >= RETRY_SHARE:
                break
            sent_on = steps[-1].on + _days(self.rng.randint(1, MAX_RETRY_DELAY_DAYS))
        return results

    def _candidates(self, place: _Place, category_id: int) -> tuple[_Partner, ...]:
        """Partners serving the place that take this specific need; failing that, its area."""
        key = (place.id, category_id)
        cache = self._caches["candidates"]
        if key not in cache:
            serving = [p for p in self.partners if p.serves(place)]
            exact = tuple(p for p in serving if category_id in p.category_ids)
            area = self.area_of[category_id]
            cache[key] = exact or tuple(p for p in serving if area in p.area_ids)
        return cache[key]  # type: ignore[no-any-return]

    def _referral_story(self, partner: _Partner, sent_on: dt.date) -> list[_Step]:
        """The statuses a referral goes through, cut at today."""
        steps = [_Step("sent", sent_on)]
        if self.rng.random() >= FORGOTTEN_SHARE:
            steps += self._answer(partner, sent_on)
            if self.rng.random() < CANCEL_SHARE:
                steps = self._cancelled_midway(steps)
        return [step for step in steps if step.on <= self.today]

    def _answer(self, partner: _Partner, sent_on: dt.date) -> list[_Step]:
        answered_on = sent_on + _days(self.rng.gammavariate(2.0, partner.response_days / 2))
        if self.rng.random() < partner.refusal_share:
            return [_Step("refused", answered_on, reason=self._refusal_reason(partner))]
        closed_on = answered_on + _days(1 + self.rng.gammavariate(2.0, CLOSING_DAYS_MEAN / 2))
        if self.rng.random() < partner.positive_share:
            closing = _Step("closed", closed_on, outcome="positive")
        else:
            reason = _pick(self.rng, NEGATIVE_REASON_WEIGHTS)
            closing = _Step("closed", closed_on, outcome="negative", reason=reason)
        return [_Step("accepted", answered_on), closing]

    def _refusal_reason(self, partner: _Partner) -> str:
        if partner.usual_refusal and self.rng.random() < USUAL_REFUSAL_SHARE:
            return partner.usual_refusal
        return _pick(self.rng, REFUSAL_REASON_WEIGHTS)

    def _cancelled_midway(self, steps: list[_Step]) -> list[_Step]:
        """Cancelled while sent, or (when it was taken in charge) while accepted."""
        cut = self.rng.choice((1, 2)) if steps[1].status == "accepted" else 1
        gap = (steps[cut].on - steps[cut - 1].on).days
        cancelled_on = steps[cut - 1].on + _days(self.rng.randint(1, max(1, gap)))
        return [*steps[:cut], _Step("cancelled", cancelled_on)]

    def _write_referral(self, need_id: int, partner: _Partner, steps: list[_Step]) -> None:
        """The referral as it stands today, and one event per status it went through.

        `accepted_on` is the day it was taken in charge (kept if it was cancelled later);
        `closed_on` the day it ended: refused, closed or cancelled.
        """
        referral_id = self.ids.next("referral")
        contact_id, channel = self._pick_contact(partner)
        moments = [_event_time(step, referral_id, position) for position, step in enumerate(steps)]
        last = steps[-1]
        dates = {step.status: step.on for step in steps}
        self.batch.add(
            "referral",
            id=referral_id,
            need_id=need_id,
            partner_id=partner.id,
            contact_id=contact_id,
            channel_code=channel if channel in self.channel_codes else None,
            sent_on=steps[0].on,
            due_on=steps[0].on + _days(DUE_DAYS),
            consent_given=True,
            consent_on=steps[0].on,
            status=last.status,
            outcome=last.outcome,
            reason=last.reason,
            accepted_on=dates.get("accepted"),
            closed_on=last.on if last.status in ENDED_STATUSES else None,
            created_by=self.operator_id,
            created_at=moments[0],
            updated_at=moments[-1] if len(steps) > 1 else None,
            version=len(steps),
        )
        for step, moment in zip(steps, moments, strict=True):
            self.batch.add(
                "referral_event",
                id=self.ids.next("referral_event"),
                referral_id=referral_id,
                status=step.status,
                at=moment,
                user_id=self.operator_id,
                created_at=moment,
            )

    def _pick_contact(self, partner: _Partner) -> tuple[int, str]:
        if self.rng.random() < PRIMARY_CONTACT_SHARE:
            return partner.contacts[0]
        return self.rng.choice(partner.contacts)


def _boosted(code: str, boosts: Sequence[Mapping[str, float]]) -> float:
    weight = NEED_WEIGHTS.get(code, OTHER_NEED_WEIGHT)
    for boost in boosts:
        weight *= boost.get(code, 1.0)
    return weight


def _failed(step: _Step) -> bool:
    return step.status in ("refused", "cancelled") or step.outcome == "negative"


def _event_time(step: _Step, referral_id: int, position: int) -> dt.datetime:
    """Office hours (UTC): sending in the morning, later steps after it on the same day."""
    if position == 0:
        return _at(step.on, 7 + referral_id % 3, referral_id % 60)
    return _at(step.on, 10 + (referral_id + position) % 6, (referral_id * 7) % 60)
