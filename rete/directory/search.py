"""Finding partners in the directory, and what each one's card says.

`search_partners` filters and pages in SQL: free text, what a partner covers, where it works,
its kind, whether it is active. Free text ignores accents and case on both databases without a
column of its own (no migration, nothing for the write path to keep): each side is folded the
same way, `fold_text` in Python, registered as a SQLite function on the connection, and
PostgreSQL's `lower(translate(...))` with the same table. Nothing is indexed, so every search
folds every partner's texts: a few milliseconds for the demo's 40 partners, about 0.1-0.2 s on
SQLite for 2,000 partners with 6,000 contacts (measured on a busy machine), which is where a
folded column kept by the write path would start to pay.

`partner_records` is each card's record in the network, built from the Cruscotto's own parts
(`queries.referrals.referral_sums` over `referral_monthly`, `overdue_referrals`,
`common.share`): the same counts, the same share taken in charge, the same overdue rule; plus
the median days to taking in charge and what is open and overdue now.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    SQLColumnExpression,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from rete import config
from rete.db import read_setting
from rete.directory.ranking import TAKEN, ContactCard, contacts_by_partner
from rete.filters import Filters, month_add, month_last_day, month_of, month_range
from rete.models import (
    Category,
    Contact,
    Neighbourhood,
    Partner,
    PartnerArea,
    PartnerCategory,
)
from rete.queries.common import REFERRAL_FACT, REFERRAL_MONTHLY, judged, share
from rete.queries.common import conditions as period_conditions
from rete.queries.referrals import overdue_referrals, referral_sums
from rete.taxonomy import PARTNER_KINDS

PAGE_SIZE = 20
OPEN = ("sent", "accepted")  # as the partial index ix_referral_fact_open says
FOLD_FUNCTION = "rete_fold"  # the SQLite function `fold_text` is registered as


def _fold_table() -> tuple[str, str]:
    """Every Latin letter with a diacritic (Latin-1 and Latin Extended-A) and its plain letter,
    and typographic apostrophes as the one on the keyboard: «Università» finds «universita»,
    «Sant’Ambrogio» finds «sant'ambrogio»."""
    source, target = "’‘", "''"
    for code in range(0xC0, 0x180):
        letter = chr(code)
        plain = unicodedata.normalize("NFKD", letter)[0]
        if plain != letter and plain.isascii() and plain.isalpha():
            source, target = source + letter, target + plain
    return source, target


FOLD_FROM, FOLD_TO = _fold_table()
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def fold_text(value: str | None) -> str | None:
    """A text as search compares it: without accents, lower case."""
    return None if value is None else value.translate(_FOLD).lower()


def folded(column: SQLColumnExpression[Any], dialect: str) -> ColumnElement[str]:
    """`column` folded in SQL as `fold_text` folds in Python (the same table on both sides)."""
    if dialect == "sqlite":
        return getattr(func, FOLD_FUNCTION)(column)  # type: ignore[no-any-return]
    return func.lower(func.translate(column, FOLD_FROM, FOLD_TO))


def register_fold(connection: Connection) -> None:
    """SQLite learns `rete_fold` per connection; doing it on each use costs a C call and keeps
    the engine (rete.db) unaware of the directory."""
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        raw.create_function(FOLD_FUNCTION, 1, fold_text, deterministic=True)  # type: ignore[union-attr]


# --- The query and its conditions


@dataclass(frozen=True)
class DirectoryQuery:
    """What the directory is searched by; None or "" means any.

    - `text`: every word must appear (accents and case ignored) in the partner's name, its
      description, or the name or role of one of its contact persons.
    - `category_id`: a specific need: the partners covering it or its whole area. It narrows
      `area_id` (the same rule as the Cruscotto's filters); an area's id here acts as `area_id`.
    - `area_id`: the partners covering the whole area or any of its specific needs.
    - `neighbourhood_id`: the partners serving it or its whole municipality. It narrows
      `municipality`.
    - `municipality`: the partners serving the whole municipality or any of its neighbourhoods
      (where they work, not where their seat is).
    - `kind`: a key of `taxonomy.PARTNER_KINDS`.
    - `active`: True the active partners (default), False the deactivated ones, None both.
    """

    text: str = ""
    area_id: int | None = None
    category_id: int | None = None
    municipality: str | None = None
    neighbourhood_id: int | None = None
    kind: str | None = None
    active: bool | None = True


def _covers(category_id: int | None, area_id: int | None) -> ColumnElement[bool] | None:
    pc = PartnerCategory
    if category_id is not None:
        area_of_need = (
            select(Category.parent_id).where(Category.id == category_id).scalar_subquery()
        )
        # An area's id given as a need: its parent is NULL and the IN drops it, so the row of
        # the area itself matches; the area's specific needs are added below.
        needs_of_area = select(Category.id).where(Category.parent_id == category_id)
        return exists().where(
            pc.partner_id == Partner.id,
            or_(
                pc.category_id == category_id,
                pc.category_id == area_of_need,
                pc.category_id.in_(needs_of_area),
            ),
        )
    if area_id is not None:
        needs = select(Category.id).where(
            or_(Category.id == area_id, Category.parent_id == area_id)
        )
        return exists().where(pc.partner_id == Partner.id, pc.category_id.in_(needs))
    return None


def _serves(neighbourhood_id: int | None, municipality: str | None) -> ColumnElement[bool] | None:
    pa = PartnerArea
    if neighbourhood_id is not None:
        town = (
            select(Neighbourhood.municipality)
            .where(Neighbourhood.id == neighbourhood_id)
            .scalar_subquery()
        )
        return exists().where(
            pa.partner_id == Partner.id,
            or_(pa.neighbourhood_id == neighbourhood_id, pa.municipality == town),
        )
    if municipality:
        places = select(Neighbourhood.id).where(Neighbourhood.municipality == municipality)
        return exists().where(
            pa.partner_id == Partner.id,
            or_(pa.municipality == municipality, pa.neighbourhood_id.in_(places)),
        )
    return None


def _mentions(word: str, dialect: str) -> ColumnElement[bool]:
    """The partner's name, description or one of its contacts' names or roles holds `word`
    (already folded); LIKE's wildcards in it are escaped."""

    def holds(column: SQLColumnExpression[Any]) -> ColumnElement[bool]:
        return folded(column, dialect).contains(word, autoescape=True)

    in_contacts = exists().where(
        Contact.partner_id == Partner.id, or_(holds(Contact.name), holds(Contact.role))
    )
    return or_(holds(Partner.name), holds(Partner.description), in_contacts)


def conditions(query: DirectoryQuery, dialect: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions of `query` on `partner` (see `DirectoryQuery`)."""
    where: list[ColumnElement[bool]] = []
    if query.active is not None:
        where.append(Partner.active == query.active)
    if query.kind:
        where.append(Partner.kind == query.kind)
    for condition in (
        _covers(query.category_id, query.area_id),
        _serves(query.neighbourhood_id, query.municipality),
    ):
        if condition is not None:
            where.append(condition)
    words = (fold_text(query.text) or "").split()
    where.extend(_mentions(word, dialect) for word in dict.fromkeys(words))
    return where


# --- The cards


@dataclass(frozen=True)
class PartnerCard:
    """One partner as the directory shows it (texts as typed: the page shows them as text)."""

    id: int
    uuid: str
    name: str
    kind: str  # Italian label
    description: str | None
    website: str | None
    email: str | None
    phone: str | None
    address: str | None
    municipality: str | None  # its seat
    active: bool
    last_verified_on: dt.date | None
    needs_check: bool  # never verified, or not for more than the re-check setting's months
    covers: tuple[str, ...]  # in words, taxonomy order: "tutta l'area Economica", "Debiti"
    serves: tuple[str, ...]  # in words: "comune di Varese", "Biumo (Varese)"
    contacts: tuple[ContactCard, ...]  # the primary contact first
    version: int  # what an edit of this partner claims


@dataclass(frozen=True)
class DirectoryPage:
    cards: tuple[PartnerCard, ...]
    total: int  # partners matching the query, over every page


def recheck_months(session: Session) -> int:
    """After how many months an entry not verified again goes on «da ricontrollare»."""
    return int(read_setting(session, config.SETTING_RECHECK_MONTHS))


def recheck_cutoff(today: dt.date, months: int) -> dt.date:
    """Verified before this day means verified more than `months` months ago: 25/11/2026 and
    6 months give 25/05/2026 (verified that day is still fine); the 31st of a shorter month is
    its last day."""
    last = month_last_day(month_add(month_of(today), -months))
    return last.replace(day=min(today.day, last.day))


def search_partners(
    engine: Engine,
    query: DirectoryQuery,
    *,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> DirectoryPage:
    """The partners matching `query`, by name (accents and case ignored), one page of cards;
    `today` decides which entries need checking again (default: today in Rome)."""
    today = today or config.today()
    page = max(page, 1)
    dialect = engine.dialect.name
    where = conditions(query, dialect)
    with Session(engine) as session:
        register_fold(session.connection())
        total = session.scalar(select(func.count()).select_from(Partner).where(*where)) or 0
        rows = session.execute(
            select(*_CARD_COLUMNS)
            .where(*where)
            .order_by(folded(Partner.name, dialect), Partner.id)
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        cards = _cards(session, rows, today)
    return DirectoryPage(tuple(cards), int(total))


def partner_cards(
    engine: Engine, partner_ids: Sequence[int], *, today: dt.date | None = None
) -> list[PartnerCard]:
    """The cards of these partners, in the order given (an unknown id is left out)."""
    with Session(engine) as session:
        rows = session.execute(select(*_CARD_COLUMNS).where(Partner.id.in_(partner_ids))).all()
        found = {card.id: card for card in _cards(session, rows, today or config.today())}
    return [found[id_] for id_ in partner_ids if id_ in found]


_CARD_COLUMNS = (
    Partner.id,
    Partner.uuid,
    Partner.name,
    Partner.kind,
    Partner.description,
    Partner.website,
    Partner.email,
    Partner.phone,
    Partner.address,
    Partner.municipality,
    Partner.active,
    Partner.last_verified_on,
    Partner.version,
)


def _cards(session: Session, rows: Sequence[Any], today: dt.date) -> list[PartnerCard]:
    ids = [row.id for row in rows]
    if not ids:
        return []
    covered = covered_in_words(session, ids)
    served = served_in_words(session, ids)
    contacts = contacts_by_partner(session, ids)
    cutoff = recheck_cutoff(today, recheck_months(session))
    return [
        PartnerCard(
            id=row.id,
            uuid=row.uuid,
            name=row.name,
            kind=PARTNER_KINDS.get(row.kind, row.kind),
            description=row.description,
            website=row.website,
            email=row.email,
            phone=row.phone,
            address=row.address,
            municipality=row.municipality,
            active=bool(row.active),
            last_verified_on=row.last_verified_on,
            needs_check=row.last_verified_on is None or row.last_verified_on < cutoff,
            covers=tuple(covered.get(row.id, ())),
            serves=tuple(served.get(row.id, ())),
            contacts=tuple(contacts.get(row.id, ())),
            version=row.version,
        )
        for row in rows
    ]


def covered_in_words(session: Session, partner_ids: Sequence[int]) -> dict[int, list[str]]:
    """What each partner covers, in taxonomy order: a whole area before its specific needs."""
    area = aliased(Category, name="area")
    pc = PartnerCategory
    rows = session.execute(
        select(pc.partner_id, Category.name, Category.parent_id)
        .join(Category, Category.id == pc.category_id)
        .join(area, area.id == func.coalesce(Category.parent_id, Category.id))
        .where(pc.partner_id.in_(partner_ids))
        .order_by(
            pc.partner_id,
            area.sort_order,
            area.code,
            case((Category.parent_id.is_(None), 0), else_=1),
            Category.sort_order,
            Category.code,
        )
    )
    found: dict[int, list[str]] = {}
    for partner_id, name, parent_id in rows:
        words = f"tutta l'area {name}" if parent_id is None else name
        found.setdefault(partner_id, []).append(words)
    return found


def served_in_words(session: Session, partner_ids: Sequence[int]) -> dict[int, list[str]]:
    """Where each partner works: whole municipalities first, then neighbourhoods by
    municipality and name."""
    pa = PartnerArea
    rows = session.execute(
        select(pa.partner_id, pa.municipality, Neighbourhood.name, Neighbourhood.municipality)
        .outerjoin(Neighbourhood, Neighbourhood.id == pa.neighbourhood_id)
        .where(pa.partner_id.in_(partner_ids))
        .order_by(
            pa.partner_id,
            case((pa.municipality.is_(None), 1), else_=0),
            func.coalesce(pa.municipality, Neighbourhood.municipality),
            Neighbourhood.name,
        )
    )
    found: dict[int, list[str]] = {}
    for partner_id, town, place, place_town in rows:
        words = f"comune di {town}" if town is not None else f"{place} ({place_town})"
        found.setdefault(partner_id, []).append(words)
    return found


# --- The record in the network


@dataclass(frozen=True)
class PartnerRecord:
    """How a partner answered the referrals sent to it: in the period, and what waits now.

    `share_taken` is the Cruscotto's share (`queries.common.share`): taken in charge among those
    taken in charge, refused or overdue (sent in the period); None when there is none."""

    partner_id: int
    received: int  # referrals sent to it in the period (cancelled ones included)
    taken: int  # ... taken in charge (still in charge or concluded)
    refused: int
    cancelled: int
    overdue: int  # ... still awaiting an answer past their date
    share_taken: float | None
    median_days: float | None  # days from sending to taking in charge, of those taken
    open_now: int  # sent or taken in charge, whenever sent
    overdue_now: int  # awaiting an answer past their date, whenever sent

    @property
    def judged(self) -> int:
        """The referrals `share_taken` is computed on."""
        return judged(self.taken, self.refused, self.overdue)


def partner_records(
    engine: Engine,
    partner_ids: Sequence[int],
    start_month: int,
    end_month: int,
    today: dt.date,
) -> dict[int, PartnerRecord]:
    """Each partner's record for the months start..end (yyyymm, inclusive) and `today`.

    Referrals of deleted interviews do not count (the read model holds the live ones only)."""
    ids = list(dict.fromkeys(partner_ids))
    if not ids:
        return {}
    period = Filters(period="", start=start_month, end=end_month)
    with engine.connect() as connection:
        counts = {row.partner_id: row for row in connection.execute(_outcomes(ids, period))}
        overdue = {id_: late for id_, late in connection.execute(_overdue(ids, period, today))}
        medians = {id_: days for id_, days in connection.execute(_median_days(ids, period))}
        waiting = {row.partner_id: row for row in connection.execute(_open_now(ids, today))}
    records = {}
    for id_ in ids:
        found, now, late = counts.get(id_), waiting.get(id_), int(overdue.get(id_, 0))
        taken, refused = (int(found.accepted), int(found.refused)) if found else (0, 0)
        median = medians.get(id_)
        records[id_] = PartnerRecord(
            partner_id=id_,
            received=int(found.sent) if found else 0,
            taken=taken,
            refused=refused,
            cancelled=int(found.cancelled) if found else 0,
            overdue=late,
            share_taken=share(taken, refused, late),
            median_days=None if median is None else float(median),
            open_now=int(now.open) if now else 0,
            overdue_now=int(now.overdue) if now else 0,
        )
    return records


def _outcomes(partner_ids: list[int], period: Filters) -> Any:
    """What became of the referrals sent to each partner in the period, from the Cruscotto's
    roll-up (`queries.referrals.referral_sums`): the partners' filter comes before SQLite's
    grouping sort, so only the page's partners are sorted."""
    rm = REFERRAL_MONTHLY.c
    return (
        select(rm.partner_id, *referral_sums())
        .where(*period_conditions(REFERRAL_MONTHLY, period), rm.partner_id.in_(partner_ids))
        .group_by(rm.partner_id)
    )


def _overdue(partner_ids: list[int], period: Filters, today: dt.date) -> Any:
    """Each partner's referrals sent in the period and overdue today: the Cruscotto's own
    statement (`queries.referrals.overdue_referrals`), for the share."""
    rf = REFERRAL_FACT.c
    return (
        overdue_referrals(period, today, rf.partner_id, func.count())
        .where(rf.partner_id.in_(partner_ids))
        .group_by(rf.partner_id)
    )


def _median_days(partner_ids: list[int], period: Filters) -> Any:
    """Each partner's median days to taking in charge, in SQL: `kpis._median_days_to_accept`'s
    running totals over a histogram, partitioned by partner (the roll-up it reads has no
    partner, so the histogram comes from `referral_fact`'s month index). The months are listed,
    not a range: SQLite then seeks each (month, partner) pair of that index instead of reading
    every partner's referrals of the period."""
    rf = REFERRAL_FACT.c
    histogram = (
        select(
            rf.partner_id,
            rf.days_to_accept.label("days"),
            func.count().label("referrals"),
        )
        .where(
            rf.sent_month.in_(month_range(period.start, period.end)),
            rf.partner_id.in_(partner_ids),
            rf.status.in_(TAKEN),
            rf.days_to_accept.is_not(None),
        )
        .group_by(rf.partner_id, rf.days_to_accept)
        .subquery("histogram")
    )
    h = histogram.c
    running = cast(
        func.sum(h.referrals).over(partition_by=h.partner_id, order_by=h.days), BigInteger
    )
    cumulative = select(
        h.partner_id,
        h.days,
        (running - h.referrals).label("before"),
        running.label("through"),
        cast(func.sum(h.referrals).over(partition_by=h.partner_id), BigInteger).label("size"),
    ).subquery("cumulative")
    c = cumulative.c

    def holds(position: ColumnElement[int]) -> ColumnElement[bool]:
        return and_(c.before < position, position <= c.through)

    return (
        select(c.partner_id, func.avg(c.days))
        .where(or_(holds((c.size + 1) // 2), holds((c.size + 2) // 2)))
        .group_by(c.partner_id)
    )


def _open_now(partner_ids: list[int], today: dt.date) -> Any:
    """Referrals open now per partner, and those of them overdue (still 'sent' with `due_on`
    before today: the rule of `queries.referrals.overdue_referrals`), whenever sent; read from
    the partial index of open referrals (its statuses written out, so the planner sees it
    applies)."""
    rf = REFERRAL_FACT.c
    is_open = rf.status.in_(bindparam("open_statuses", OPEN, expanding=True, literal_execute=True))
    waiting = and_(rf.status == literal("sent", literal_execute=True), rf.due_on < today)
    return (
        select(
            rf.partner_id,
            func.count().label("open"),
            func.coalesce(func.sum(case((waiting, 1), else_=0)), 0).label("overdue"),
        )
        .where(is_open, rf.partner_id.in_(partner_ids))
        .group_by(rf.partner_id)
    )
