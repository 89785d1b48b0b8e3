"""The retention job (`python -m rete retention`): personal data kept no longer than needed.

Two things, each set by the administrator (`config.SETTING_RETENTION_YEARS`,
`config.SETTING_AUDIT_MONTHS`):

- a household with no activity for `retention_years` years has its personal data erased
  (`workspace.erasure`, as the system, reason «conservazione scaduta»), its counts kept. Its
  last activity is the latest of: its interviews' days (deleted ones too: they were contacts
  all the same), its needs' closing days, its referrals' events' days (sent, answered,
  closed), and the day it was recorded (a household with nothing else is as old as that);
- audit entries older than `audit_retention_months` months, never fewer than
  `AUDIT_MONTHS_MIN` whatever is stored, are removed, and the removal itself is recorded
  (`audit_purged`, with the count and the cut-off day). This is the one place of Rete that
  deletes audit entries.

Everything is decided in SQL and done in batches, each its own transaction, so at a million
needs no table is loaded and no lock is held for long. A dry run counts and changes nothing.
Days are Rome's; `today` is given, so a test (or a rerun) can freeze it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from rete import config, formats
from rete.db import read_setting, session_scope
from rete.errors import ReteError
from rete.models import AuditEntry, Household, Interview, Need, Referral, ReferralEvent
from rete.workspace import erasure
from rete.writes import SYSTEM, write

AUDIT_MONTHS_MIN = 24  # the audit trail is kept at least this long, whatever the setting says
HOUSEHOLD_BATCH = 500  # households erased per transaction
AUDIT_BATCH = 50_000  # audit entries removed per transaction (each batch records its removal)


@dataclass(frozen=True)
class Policy:
    """How long things are kept, as the settings say (checked)."""

    years: int
    audit_months: int


@dataclass(frozen=True)
class Plan:
    """What the job would do on `today`."""

    today: dt.date
    policy: Policy
    idle_since: dt.date  # households with no activity on or after this day are erased
    households: int
    audit_before: dt.date  # audit entries before this day (in Rome) are removed
    audit_entries: int

    def lines(self) -> list[str]:
        years = "1 anno" if self.policy.years == 1 else f"{self.policy.years} anni"
        return [
            f"Nuclei senza attività dal {formats.date(self.idle_since)} (da più di {years}): "
            f"{formats.number(self.households)}.",
            f"Voci del registro accessi anteriori al {formats.date(self.audit_before)} "
            f"(conservate {self.policy.audit_months} mesi): {formats.number(self.audit_entries)}.",
        ]


@dataclass(frozen=True)
class Done:
    """What a run did."""

    plan: Plan
    households: int
    audit_entries: int

    def lines(self) -> list[str]:
        return [
            f"Nuclei anonimizzati (nessuna attività dal {formats.date(self.plan.idle_since)}): "
            f"{formats.number(self.households)}. I loro colloqui, bisogni e segnalazioni "
            "restano contati.",
            f"Voci del registro accessi eliminate (anteriori al "
            f"{formats.date(self.plan.audit_before)}): {formats.number(self.audit_entries)}.",
        ]


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier; the month's last day when it has fewer
    (31/05 → 28/02 or 29/02)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight in Rome at the start of `day`, as a UTC moment (how moments are stored)."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(config.TIMEZONE))
    return midnight.astimezone(dt.UTC)


def policy(session: Session) -> Policy:
    """The two settings, refused when they are not whole numbers (the job cannot be undone:
    it does not guess); the audit trail kept at least `AUDIT_MONTHS_MIN` months."""
    years = _whole(read_setting(session, config.SETTING_RETENTION_YEARS), "retention_years")
    if years < 1:
        raise ReteError(
            f"L'impostazione retention_years vale {years}: deve essere almeno 1 (anni senza "
            "attività prima di anonimizzare un nucleo). Correggerla, poi ripetere."
        )
    months = _whole(read_setting(session, config.SETTING_AUDIT_MONTHS), "audit_retention_months")
    return Policy(years=years, audit_months=max(AUDIT_MONTHS_MIN, months))


def _whole(value: str, key: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ReteError(
            f"L'impostazione {key} non è un numero intero: correggerla, poi ripetere."
        ) from None


# --- Households with no activity


def idle(since: dt.date) -> list[ColumnElement[bool]]:
    """Conditions on `Household`: not erased yet, and no activity on or after `since`.

    Correlated NOT EXISTS, each an index seek per household (interview by household, need by
    interview, referral by need, event by referral)."""
    interviews = Interview.household_id == Household.id
    return [
        Household.erased_at.is_(None),
        Household.created_at < start_of_day(since),
        ~exists().where(interviews, Interview.held_on >= since),
        ~exists().where(interviews, Need.interview_id == Interview.id, Need.closed_on >= since),
        ~exists().where(
            interviews,
            Need.interview_id == Interview.id,
            Referral.need_id == Need.id,
            ReferralEvent.referral_id == Referral.id,
            ReferralEvent.happened_on >= since,
        ),
    ]


def idle_households(
    session: Session, since: dt.date, *, after: int = 0, limit: int = HOUSEHOLD_BATCH
) -> list[int]:
    """The next `limit` idle households by id, after the id `after`."""
    return list(
        session.scalars(
            select(Household.id)
            .where(Household.id > after, *idle(since))
            .order_by(Household.id)
            .limit(limit)
        )
    )


# --- The plan and the run


def plan(engine: Engine, today: dt.date) -> Plan:
    """What a run on `today` would do, counted in SQL; nothing is written."""
    with session_scope(engine) as session:
        kept = policy(session)
        since = months_before(today, 12 * kept.years)
        audit_before = months_before(today, kept.audit_months)
        households = _count(session, select(func.count(Household.id)).where(*idle(since)))
        entries = _count(
            session,
            select(func.count(AuditEntry.id)).where(AuditEntry.at < start_of_day(audit_before)),
        )
    return Plan(today, kept, since, households, audit_before, entries)


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def run(engine: Engine, today: dt.date, *, dry_run: bool = False) -> str:
    """Carry out the plan for `today` (or, `dry_run`, only say it), in Italian."""
    started = dt.datetime.now(dt.UTC)  # entries from now on are this run's own
    planned = plan(engine, today)
    if dry_run:
        return "\n".join([*planned.lines(), "Prova (--dry-run): non è stato cambiato nulla."])
    erased = _erase_idle(engine, planned.idle_since)
    done = Done(planned, erased, _purge(engine, planned, started))
    return "\n".join(done.lines())


def _erase_idle(engine: Engine, since: dt.date) -> int:
    """Erase every idle household, a batch per transaction; how many were erased."""
    erased, after = 0, 0
    while True:
        with session_scope(engine) as session:
            batch = idle_households(session, since, after=after)
            if not batch:
                break
            erased += erasure.erase_households(
                session, SYSTEM, batch, erasure.REASON_RETENTION
            ).households
        after = batch[-1]
    if erased:
        erasure.settle(engine)
    return erased


def _purge(engine: Engine, planned: Plan, started: dt.datetime) -> int:
    """Remove the audit entries older than the cut-off, a batch per transaction, each batch
    recording its own removal (so none is ever removed unrecorded); how many were removed."""
    # Never an entry this run writes (its erasures', its own records of the removal), even
    # with a `today` ahead of the clock: SQLite may give a new entry the id of one removed.
    cut_off = min(start_of_day(planned.audit_before), started)
    removed = 0
    while True:
        with session_scope(engine) as session:
            batch = (
                select(AuditEntry.id)
                .where(AuditEntry.at < cut_off)
                .order_by(AuditEntry.id)
                .limit(AUDIT_BATCH)
            )
            count = session.execute(
                delete(AuditEntry)
                .where(AuditEntry.id.in_(batch))
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if not count:
                break
            with write(session, SYSTEM) as unit:
                unit.audit(
                    "audit_purged",
                    "database",
                    None,
                    f"{formats.number(count)} voci anteriori al "
                    f"{formats.date(planned.audit_before)} "
                    f"(conservazione {planned.policy.audit_months} mesi)",
                )
        removed += count
    return removed
