"""What every part of the demo generator shares: random draws, the calendar, the rows to write."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rete.formats import number
from rete.models import Base, Category, Channel

# --- When interviews happen (the calendar's weights)
MONTH_WEIGHTS = (1.15, 1.15, 1.05, 1.0, 1.0, 0.9, 0.8, 0.3, 1.0, 1.15, 1.2, 0.9)  # Jan..Dec
SATURDAY_WEIGHT = 0.1
HOLIDAYS = {(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)}
TREND_START = 0.8  # the service grows: the window's first day weighs this much, today 1

# The tables the generator fills, parents before children: the order its rows are written in.
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


def pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    """One item, drawn as likely as its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Weighted:
    """A population with cumulative weights, for many fast draws."""

    items: tuple[Any, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: Mapping[Any, float]) -> Weighted:
        return cls(tuple(weights), tuple(accumulate(weights.values())))

    def draw(self, rng: random.Random, k: int = 1) -> list[Any]:
        return rng.choices(self.items, cum_weights=self.cumulative, k=k)

    def one(self, rng: random.Random) -> Any:
        return self.draw(rng)[0]


def at_hour(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """That day at that time, in UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def whole_days(count: float) -> dt.timedelta:
    """A span of days, the fraction dropped."""
    return dt.timedelta(days=int(count))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day so many months earlier, or that month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last_day = (dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - whole_days(1)).day
    return dt.date(year, month + 1, min(day.day, last_day))


def slug(text_: str, separator: str = "-") -> str:
    """Plain lowercase ASCII words joined by the separator, for e-mail and web addresses."""
    ascii_text = unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return separator.join(words)[:48].strip(separator)


class Calendar:
    """The days of the window, weighted by season, weekday, holidays and the service's growth."""

    def __init__(self, today: dt.date, months: int) -> None:
        self.start = months_before(today, months) + whole_days(1)
        span = (today - self.start).days
        days = [self.start + whole_days(k) for k in range(span + 1)]
        weights = [self._weight(day, k / max(span, 1)) for k, day in enumerate(days)]
        if not any(weights):  # a window of holidays only: any day will do
            weights = [1.0] * len(days)
        self._days = Weighted(tuple(days), tuple(accumulate(weights)))

    @staticmethod
    def _weight(day: dt.date, progress: float) -> float:
        if day.weekday() == 6 or (day.month, day.day) in HOLIDAYS:
            return 0.0
        weekday = SATURDAY_WEIGHT if day.weekday() == 5 else 1.0
        return MONTH_WEIGHTS[day.month - 1] * weekday * (TREND_START + (1 - TREND_START) * progress)

    def pick_days(self, rng: random.Random, count: int) -> list[dt.date]:
        return sorted(self._days.draw(rng, count))


@dataclass
class Batch:
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


class Ids:
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


class World:
    """The demo being built: its session, random source, day and window, ids and waiting rows."""

    def __init__(self, session: Session, rng: random.Random, today: dt.date, months: int):
        self.session = session
        self.rng = rng
        self.today = today
        self.calendar = Calendar(today, months)
        self.ids = Ids()
        self.batch = Batch()
        self._read_reference_data()

    def _read_reference_data(self) -> None:
        """The active specific needs (with their area) and channels the demo may use."""
        rows = self.session.execute(
            select(Category.id, Category.code, Category.parent_id)
            .where(Category.active, Category.parent_id.is_not(None))
            .order_by(Category.id)
        ).all()
        self.need_ids = {code: id_ for id_, code, _ in rows}
        self.need_codes = {id_: code for id_, code, _ in rows}
        self.area_of = {id_: parent for id_, _, parent in rows if parent is not None}
        self.channel_codes = set(self.session.scalars(select(Channel.code).where(Channel.active)))
