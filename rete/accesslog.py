"""The access log («Registro accessi»): the audit trail read back in Italian, filtered, paged and
exported as CSV; and "chi ha visto questo nucleo?".

Reading only. The one entry written here is the CSV export's own (`audit_exported`); nothing
here, nor anywhere but the retention purge (`rete.retention`), updates or deletes an entry.
Every list is keyset-paged on the entry's id, newest first, over the trail's indexes
(`ix_audit_entry_record`, `_user`, `_action`, and `at`): no call reads the whole table,
however long the trail grows. Moments are stored in UTC and shown in Rome's time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Row, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from rete import access, audit, config, export, formats
from rete.audit import ACTION_LABELS, ENTITY_LABELS, Actor
from rete.filters import Filters, period_label
from rete.models import AuditEntry, Interview, Need, Referral, User
from rete.taxonomy import ROLE_LABELS, Taxonomy
from rete.workspace.followup import FollowUpFilters
from rete.workspace.interviews import InterviewFilters

PAGE_SIZE = 50
CSV_CHUNK = 5_000  # entries read per statement while writing the CSV
WHO_SAW_LIMIT = 20  # entries the household card lists
NO_USER = 0  # the user filter's value for entries no account made (the system, unknown names)
UNKNOWN_USER = "sconosciuto"  # a failed login under a name no account has: never the name typed
SYSTEM_USER = "sistema"  # the command line and the app's own start (demo data, reference data)
NO_USER_LABEL = "sistema o sconosciuto"
ROME = ZoneInfo(config.TIMEZONE)


@dataclass(frozen=True)
class LogFilters:
    """What the Registro shows: one user (`NO_USER`: entries of no account), one action, one
    kind of record and maybe its number, and a period of whole days in Rome's calendar."""

    user_id: int | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: int | None = None  # only with `entity`
    start: dt.date | None = None  # the first day, in Rome
    end: dt.date | None = None  # the last day, included, in Rome

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The period as UTC moments: from midnight in Rome of the first day (included) to
        midnight in Rome after the last day (excluded). A day of a DST change is 23 or 25
        hours long, and so is its span."""
        return (
            None if self.start is None else rome_midnight_utc(self.start),
            None if self.end is None else rome_midnight_utc(self.end + dt.timedelta(days=1)),
        )

    def summary(self) -> str:
        """The filters in Italian, for the export's own audit entry: numbers and labels only."""
        parts = []
        if self.user_id is not None:
            parts.append(
                f"utente: {NO_USER_LABEL}"
                if self.user_id == NO_USER
                else f"utente n. {self.user_id}"
            )
        if self.action:
            parts.append(f"azione: {ACTION_LABELS.get(self.action, self.action)}")
        if self.entity:
            parts.append(f"oggetto: {record_label(self.entity, self.entity_id)}")
        if self.start is not None:
            parts.append(f"dal {formats.date(self.start)}")
        if self.end is not None:
            parts.append(f"al {formats.date(self.end)}")
        return "; ".join(parts) or "nessun filtro"


def rome_midnight_utc(day: dt.date) -> dt.datetime:
    """The moment a day begins in Rome, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ROME).astimezone(dt.UTC)


@dataclass(frozen=True)
class LogRow:
    """One entry as the Registro shows it."""

    id: int
    at_utc: dt.datetime  # aware, UTC
    at: dt.datetime  # Rome's wall-clock time, naive (`config.local_time`)
    user_id: int | None
    username: str  # the account's name, or "sistema" / "sconosciuto"
    role: str  # the role at the time, in Italian; "" when none was recorded
    action: str  # in Italian
    record: str  # "nucleo n. 12"; "" for none
    summary: str


@dataclass(frozen=True)
class LogPage:
    rows: tuple[LogRow, ...]  # newest first
    next_before: int | None  # the `before_id` of the next page; None on the last one


@dataclass(frozen=True)
class LogOptions:
    """The filters' choices: users (with `NO_USER`), the actions present, the kinds of record."""

    users: tuple[tuple[int, str], ...]
    actions: tuple[tuple[str, str], ...]  # (code, label), by label
    entities: tuple[tuple[str, str], ...]  # (code, label), by label


def record_label(entity: str | None, entity_id: int | None) -> str:
    """The record as its kind and number ("nucleo n. 12"), the number being how Rete addresses
    it (`/nucleo?nucleo=12`)."""
    label = ENTITY_LABELS.get(entity or "", entity or "")
    if entity_id is None:
        return label
    return f"{label} n. {entity_id}" if label else f"n. {entity_id}"


def who(username: str | None, action: str) -> str:
    """The account's name; a failed login under a name no account has is "sconosciuto" (the
    name typed is never stored, so it cannot be shown); other entries with no user are the
    system's."""
    if username:
        return username
    return UNKNOWN_USER if action == "login_failed" else SYSTEM_USER


def _conditions(filters: LogFilters) -> list[ColumnElement[bool]]:
    entry = AuditEntry
    where: list[ColumnElement[bool]] = []
    if filters.user_id == NO_USER:
        where.append(entry.user_id.is_(None))
    elif filters.user_id is not None:
        where.append(entry.user_id == filters.user_id)
    if filters.action:
        where.append(entry.action == filters.action)
    if filters.entity:
        where.append(entry.entity == filters.entity)
        if filters.entity_id is not None:
            where.append(entry.entity_id == filters.entity_id)
    start, end = filters.bounds()
    if start is not None:
        where.append(entry.at >= start)
    if end is not None:
        where.append(entry.at < end)
    return where


SORT_AT_MOST = 250_000  # entries a page may take from a range and sort, rather than walk


def _at_most(session: Session, index: str, where: list[ColumnElement[bool]]) -> bool:
    """Whether `where` holds for at most SORT_AT_MOST entries, counted on `index` alone and
    never past that many."""
    probe = (
        select(literal(1))
        .select_from(AuditEntry)
        .where(*where)
        .limit(SORT_AT_MOST + 1)
        .with_hint(AuditEntry, f"INDEXED BY {index}", "sqlite")
        .subquery()
    )
    return (session.scalar(select(func.count()).select_from(probe)) or 0) <= SORT_AT_MOST


def _period(filters: LogFilters) -> list[ColumnElement[bool]]:
    start, end = filters.bounds()
    return [
        *([] if start is None else [AuditEntry.at >= start]),
        *([] if end is None else [AuditEntry.at < end]),
    ]


def _postgresql_sorts_the_period(session: Session, filters: LogFilters) -> bool:
    """Whether PostgreSQL should take the period's range and sort it: its planner walks the
    primary key backwards whatever the period (it does not know that ids grow with time), so
    an old month cost 0.25 s at 1M entries, its range sorted 0.05 s. Its own estimate of the
    range's size decides, as `_sqlite_plan`'s count does."""
    period = _period(filters)
    if not period or (filters.entity and filters.entity_id is not None):
        return False
    probe = select(literal(1)).select_from(AuditEntry).where(*period)
    compiled = probe.compile(dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params
    )
    estimated = plan.scalar_one()[0]["Plan"]["Plan Rows"]
    return bool(estimated <= SORT_AT_MOST)


def _sqlite_plan(session: Session, filters: LogFilters) -> str:
    """How SQLite finds a page, newest first; its planner has no statistics to choose.

    Either walk an index that ends in the id backwards (one record's, one user's, one
    action's, or the table itself) and stop at the page, or take a range (a period on `at`, a
    kind of record) and sort it. A walk skips every newer entry that does not match, a range
    sorts all it holds: so a range is taken when it holds at most SORT_AT_MOST entries
    (counted on its index, ~ms), a walk otherwise, when matches are at least that many."""
    entry = AuditEntry
    if filters.entity and filters.entity_id is not None:
        return "INDEXED BY ix_audit_entry_record"
    period = _period(filters)
    if period and _at_most(session, "ix_audit_entry_at", period):
        return "INDEXED BY ix_audit_entry_at"
    if filters.user_id is not None:
        return "INDEXED BY ix_audit_entry_user"
    if filters.action:
        return "INDEXED BY ix_audit_entry_action"
    if filters.entity and _at_most(
        session, "ix_audit_entry_record", [entry.entity == filters.entity]
    ):
        return "INDEXED BY ix_audit_entry_record"
    return "NOT INDEXED"  # the table itself, in id order


def _rows_query(
    session: Session, filters: LogFilters, before_id: int | None, size: int
) -> Select[*tuple[Any, ...]]:
    """The page's ids first (on one index, see `_sqlite_plan`: a range's sort then handles
    ids, not whole rows), then their entries with the user's name."""
    ids = (
        select(AuditEntry.id)
        .where(*_conditions(filters))
        .order_by(AuditEntry.id.desc())
        .limit(size)
    )
    if before_id is not None:
        ids = ids.where(AuditEntry.id < before_id)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        ids = ids.with_hint(AuditEntry, _sqlite_plan(session, filters), "sqlite")
    elif dialect == "postgresql" and _postgresql_sorts_the_period(session, filters):
        # "id + 0" is no index's order: the planner takes the period's range and sorts it.
        ids = ids.order_by(None).order_by((AuditEntry.id + 0).desc())
    return (
        select(*SHOWN, User.username)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.id.in_(ids.scalar_subquery()))
        .order_by(AuditEntry.id.desc())
    )


# What a row shows, read as plain columns: building ORM objects was most of a long CSV's time.
SHOWN = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.user_id,
    AuditEntry.role,
    AuditEntry.action,
    AuditEntry.entity,
    AuditEntry.entity_id,
    AuditEntry.summary,
)


def _row(found: Row[*tuple[Any, ...]]) -> LogRow:
    at_utc = found.at if found.at.tzinfo else found.at.replace(tzinfo=dt.UTC)
    return LogRow(
        id=found.id,
        at_utc=at_utc.astimezone(dt.UTC),
        at=config.local_time(found.at),
        user_id=found.user_id,
        username=who(found.username, found.action),
        role=ROLE_LABELS.get(found.role, found.role) if found.role else "",
        action=ACTION_LABELS.get(found.action, found.action),
        record=record_label(found.entity, found.entity_id),
        summary=found.summary or "",
    )


def page(
    engine: Engine, filters: LogFilters, before_id: int | None = None, size: int = PAGE_SIZE
) -> LogPage:
    """The newest `size` entries matching `filters` older than `before_id` (all, without it);
    the next page starts before the last one shown."""
    with Session(engine) as session:
        found = session.execute(_rows_query(session, filters, before_id, size + 1)).all()
    rows = tuple(_row(row) for row in found[:size])
    return LogPage(rows, rows[-1].id if len(found) > size else None)


def entries(engine: Engine, filters: LogFilters, chunk: int = CSV_CHUNK) -> Iterator[LogRow]:
    """Every entry matching `filters`, newest first, read `chunk` at a time."""
    before_id = None
    while True:
        found = page(engine, filters, before_id, chunk)
        yield from found.rows
        if found.next_before is None:
            return
        before_id = found.next_before


def _actions_present(session: Session) -> list[str]:
    """The distinct actions of the trail, one index seek each (`ix_audit_entry_action`):
    `SELECT DISTINCT` would read the whole index."""
    found: list[str] = []
    while True:
        following = session.scalar(
            select(func.min(AuditEntry.action)).where(
                AuditEntry.action > (found[-1] if found else "")
            )
        )
        if following is None:
            return found
        found.append(following)


def options(engine: Engine) -> LogOptions:
    """The choices of the Registro's filters."""
    with Session(engine) as session:
        users = session.execute(select(User.id, User.username).order_by(User.username)).all()
        actions = _actions_present(session)
    return LogOptions(
        users=(*((id_, name) for id_, name in users), (NO_USER, NO_USER_LABEL)),
        actions=tuple(
            sorted(((code, ACTION_LABELS.get(code, code)) for code in actions), key=lambda a: a[1])
        ),
        entities=tuple(sorted(ENTITY_LABELS.items(), key=lambda item: item[1])),
    )


# --- The CSV

CSV_HEADER = (
    "N. voce",
    "Data e ora (Roma)",
    "Data e ora (UTC)",
    "Utente",
    "Ruolo",
    "Azione",
    "Oggetto",
    "Dettagli",
)


def _csv_cells(row: LogRow) -> list[object]:
    return [
        row.id,
        f"{row.at:%d/%m/%Y %H:%M:%S}",  # formats.date's day, without Babel's cost per row
        f"{row.at_utc:%Y-%m-%dT%H:%M:%SZ}",
        row.username,
        row.role,
        row.action,
        row.record,
        row.summary,
    ]


def to_csv(engine: Engine, filters: LogFilters) -> bytes:
    """Every entry matching `filters`, newest first, as CSV for Italian Excel (';', UTF-8 with
    BOM, like `rete.export.to_csv`), read in chunks. Every cell goes through
    `export.spreadsheet_text`: a detail starting with "=" stays text."""
    out = io.BytesIO()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    # CRLF: the csv module then quotes a detail holding a carriage return, which with "\n" it
    # wrote bare, and a spreadsheet took for a new row (that could start with "=").
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([export.spreadsheet_text(cell) for cell in CSV_HEADER])
    for row in entries(engine, filters):
        writer.writerow([export.spreadsheet_text(cell) for cell in _csv_cells(row)])
    text.flush()
    content = out.getvalue()
    text.detach()
    return content


def export_csv(engine: Engine, actor: Actor, filters: LogFilters) -> bytes:
    """The CSV of `to_csv` for `actor`, who must be allowed the Registro; the export is itself
    recorded in the trail (`audit_exported`, the filters as its details) before it is handed
    out."""
    access.require(
        actor.role, lambda role: access.may_open(role, "registro"), "scaricare il registro"
    )
    content = to_csv(engine, filters)
    audit.record_export(engine, actor, "audit_exported", filters.summary(), entity="audit")
    return content


def csv_file_name(today: dt.date) -> str:
    return f"registro_accessi_{today:%Y%m%d}.csv"


# --- Who saw a household


@dataclass(frozen=True)
class WhoSaw:
    rows: tuple[LogRow, ...]  # newest first
    more: bool  # older entries exist beyond those listed


def _about_household(session: Session, household_id: int) -> ColumnElement[bool]:
    """Entries about the household: its own (card opened, changed, listed by its code, erased)
    and those of its interviews, needs and referrals (deleted interviews included)."""
    interviews = list(
        session.scalars(select(Interview.id).where(Interview.household_id == household_id))
    )
    needs = (
        list(session.scalars(select(Need.id).where(Need.interview_id.in_(interviews))))
        if interviews
        else []
    )
    referrals = (
        list(session.scalars(select(Referral.id).where(Referral.need_id.in_(needs))))
        if needs
        else []
    )
    entry = AuditEntry
    about = [and_(entry.entity == "household", entry.entity_id == household_id)]
    for kind, ids in (("interview", interviews), ("need", needs), ("referral", referrals)):
        if ids:
            about.append(and_(entry.entity == kind, entry.entity_id.in_(ids)))
    return or_(*about)


def who_saw(engine: Engine, viewer: Actor, household_id: int, limit: int = WHO_SAW_LIMIT) -> WhoSaw:
    """Who opened this household's card, listed it or changed it (and its interviews, needs
    and referrals), in which role and when: the newest `limit` entries. For `viewer`s allowed
    to ask (`access.may_see_who_saw`)."""
    access.require(viewer.role, access.may_see_who_saw, "vedere chi ha consultato un nucleo")
    with Session(engine) as session:
        found = session.execute(
            select(*SHOWN, User.username)
            .outerjoin(User, User.id == AuditEntry.user_id)
            .where(_about_household(session, household_id))
            .order_by(AuditEntry.id.desc())
            .limit(limit + 1)
        ).all()
    rows = tuple(_row(row) for row in found[:limit])
    return WhoSaw(rows, len(found) > limit)


# --- What a list of personal data records when it is seen (`audit.record_list_view`)


def _named(label: str, ids: tuple[int, ...] | tuple[str, ...], names: dict[Any, str]) -> str:
    return f"{label}: " + ", ".join(names.get(id_, f"n. {id_}") for id_ in ids)


def interviews_summary(filters: InterviewFilters, tax: Taxonomy, page_number: int) -> str:
    """«Colloqui» as seen: its filters and page. The household code typed is never written
    (a list of one household's interviews names the household as its record instead)."""
    places = {id_: f"{name} ({town})" for id_, name, town in tax.neighbourhoods}
    parts = []
    if filters.start is not None:
        parts.append(f"dal {formats.date(filters.start)}")
    if filters.end is not None:
        parts.append(f"al {formats.date(filters.end)}")
    if filters.neighbourhood_ids:
        parts.append(_named("quartieri", filters.neighbourhood_ids, places))
    if filters.area_ids:
        parts.append(_named("aree", filters.area_ids, {a.id: a.name for a in tax.areas}))
    if filters.channel_codes:
        parts.append(_named("canali", filters.channel_codes, dict(tax.channels)))
    if filters.open_only:
        parts.append("solo con bisogni aperti")
    if filters.household_code.strip():
        parts.append("un nucleo per codice")
    return "; ".join([*(parts or ["nessun filtro"]), f"pagina {page_number + 1}"])


def followup_summary(
    filters: FollowUpFilters, tax: Taxonomy, partners: dict[int, str], page_number: int
) -> str:
    """«Da seguire» as seen: its filters (partners by name) and page."""
    places = {id_: f"{name} ({town})" for id_, name, town in tax.neighbourhoods}
    parts = []
    if filters.partner_ids:
        parts.append(_named("enti", filters.partner_ids, partners))
    if filters.area_ids:
        parts.append(_named("aree", filters.area_ids, {a.id: a.name for a in tax.areas}))
    if filters.neighbourhood_ids:
        parts.append(_named("quartieri", filters.neighbourhood_ids, places))
    return "; ".join([*(parts or ["nessun filtro"]), f"pagina {page_number + 1}"])


SEARCH_PLACES = {
    "card": "scheda nucleo",
    "interview": "nuovo colloquio",
    "referral": "segnalazione a un ente",
}


def search_summary(where: str) -> str:
    """A type-ahead's results (codes and neighbourhoods) as seen: where, never what was typed
    (it is the start of a household code)."""
    return f"risultati della ricerca per codice ({SEARCH_PLACES[where]})"


def dashboard_summary(filename: str, filters: Filters) -> str:
    """A Cruscotto file as exported: its name, the period and the other filters (places and
    needs by number, as the URL names them)."""
    parts = [filename, f"periodo: {period_label(filters.period, filters.start, filters.end)}"]
    if filters.municipalities:
        parts.append("comuni: " + ", ".join(filters.municipalities))
    for label, ids in (
        ("quartieri", filters.neighbourhood_ids),
        ("aree", filters.area_ids),
        ("bisogni", filters.category_ids),
    ):
        if ids:
            parts.append(f"{label} n. " + ", ".join(map(str, ids)))
    if filters.channel_codes:
        parts.append("canali: " + ", ".join(filters.channel_codes))
    return "; ".join(parts)
