"""The one write path: every change of Rete's records goes through `write(session, actor)`.

A writer opens a `Write` on the caller's session (the caller commits, `db.session_scope`) and
says what it touches; the write then
- keeps the read model current: `changing(...)` takes the needs' facts out before the change
  and puts them back after it (an edit), `added(...)` mirrors new rows, `referrals_changed(...)`
  rewrites referral facts;
- refuses an actor whose role may not make the change, and a record someone else saved since
  it was opened (`claim`, optimistic locking on `version`);
- records who did it (`audit`): a write that moved anything and left no audit entry is a bug,
  and raises; an audited write bumps the data version, so every cache sees it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rete import access, audit, readmodel
from rete.config import SETTING_DEFAULTS
from rete.db import bump_data_version
from rete.errors import ConcurrentEdit, NotFound
from rete.models import Base, Setting, utcnow

M = TypeVar("M", bound=Base)


Actor = audit.Actor  # who makes a change: a logged-in user (`auth.CurrentUser`), or `SYSTEM`


@dataclass(frozen=True)
class SystemActor:
    """The command line and the first start: no user, said so in the audit trail."""

    id: None = None
    role: str = "sistema"


SYSTEM = SystemActor()


class UnauditedWrite(RuntimeError):
    """A writer changed the read model without saying who did what: a programming error."""


@dataclass
class Write:
    """One user action inside the caller's transaction. Use through `write(...)`."""

    session: Session
    actor: Actor
    audited: bool = False
    moved: bool = False
    _now: dt.datetime = field(default_factory=utcnow)

    # --- Optimistic locking

    def claim(self, model: type[M], record_id: int, version: int | None, what: str) -> M:
        """The record, locked for this transaction, if nobody saved it since `version`.

        One conditional UPDATE raises the version and takes the row's write lock; zero rows
        means another user got there first (or the record is gone). `version=None` claims it
        whatever its version (a move whose legality is checked on the row itself).
        """
        table = cast(Table, model.__table__)
        condition = [table.c.id == record_id]
        if version is not None:
            condition.append(table.c.version == version)
        values: dict[str, Any] = {"version": table.c.version + 1}
        if "updated_at" in table.c:
            values["updated_at"] = self._now
        result = self.session.execute(update(table).where(*condition).values(values))
        record = self.session.get(model, record_id, populate_existing=True)
        if record is None:
            raise NotFound(f"{what[:1].upper()}{what[1:]} non esiste più: ricaricare la pagina.")
        if not result.rowcount:  # type: ignore[attr-defined]
            raise ConcurrentEdit(
                f"Qualcun altro ha salvato {what} nel frattempo: le tue modifiche non sono state "
                "salvate e sono ancora nel modulo. Ricarica la pagina per vedere la versione "
                "aggiornata, poi riapplica le modifiche."
            )
        return record

    def claim_setting(self, key: str, seen: str, value: str, changed_meanwhile: str) -> None:
        """Write a setting's `value` if it still holds `seen` (what the form showed): one
        conditional UPDATE, refused with `changed_meanwhile` (not overwritten) when someone
        saved another value since, on SQLite as on PostgreSQL. A setting never saved is
        inserted; two first saves at once meet on its primary key."""
        result = self.session.execute(
            update(Setting)
            .where(Setting.key == key, Setting.value == seen)
            .values(value=value, updated_by=self.actor.id, updated_at=self._now)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            return
        stored = self.session.scalar(select(Setting.value).where(Setting.key == key))
        if stored is not None or seen != SETTING_DEFAULTS[key]:
            raise ConcurrentEdit(changed_meanwhile)
        self.session.add(
            Setting(key=key, value=value, updated_by=self.actor.id, updated_at=self._now)
        )
        try:
            self.session.flush()
        except IntegrityError as error:
            raise ConcurrentEdit(changed_meanwhile) from error

    # --- The read model

    @contextmanager
    def changing(
        self,
        *,
        interview_ids: readmodel.Ids | None = None,
        need_ids: readmodel.Ids | None = None,
    ) -> Iterator[None]:
        """The facts of these needs (and their referrals) follow the change made in the block."""
        readmodel.remove_facts(self.session, interview_ids=interview_ids, need_ids=need_ids)
        self.moved = True
        yield
        readmodel.add_facts(self.session, interview_ids=interview_ids, need_ids=need_ids)

    def added(
        self,
        *,
        interview_ids: readmodel.Ids | None = None,
        need_ids: readmodel.Ids | None = None,
    ) -> None:
        """Mirror new live needs (with their referrals) into the read model."""
        readmodel.add_facts(self.session, interview_ids=interview_ids, need_ids=need_ids)
        self.moved = True

    def removed(self, *, interview_ids: readmodel.Ids) -> None:
        """Take needs out of the read model (their interview is now hidden)."""
        readmodel.remove_facts(self.session, interview_ids=interview_ids)
        self.moved = True

    def referrals_changed(self, referral_ids: readmodel.Ids) -> None:
        readmodel.refresh_referral_facts(self.session, referral_ids)
        self.moved = True

    def need_status_changed(self, need_id: int, status: str) -> None:
        readmodel.set_need_status(self.session, need_id, status)
        self.moved = True

    # --- Who did what

    def audit(
        self, action: str, entity: str, entity_id: int | None, summary: str | None = None
    ) -> None:
        """The audit entry of this action; never the sensitive text itself."""
        audit.record(
            self.session,
            action,
            user_id=self.actor.id,
            role=self.actor.role,
            entity=entity,
            entity_id=entity_id,
            summary=summary,
        )
        self.audited = True


@contextmanager
def write(
    session: Session, actor: Actor, *, allowed: Callable[[str], bool] | None = None
) -> Iterator[Write]:
    """One user action: checks the actor's role (`allowed`, a rule of `rete.access`), then
    on success bumps the data version; refuses to end a write that changed the read model
    without an audit entry."""
    if allowed is not None:
        access.require(actor.role, allowed, "modificare questi dati")
    unit = Write(session, actor)
    yield unit
    if unit.moved and not unit.audited:
        raise UnauditedWrite("a write changed the read model without an audit entry")
    if unit.audited:
        session.flush()
        bump_data_version(session)


def as_editor(session: Session, actor: Actor) -> AbstractContextManager[Write]:
    """The write of a community manager's or administrator's action on the records."""
    return write(session, actor, allowed=access.may_edit_records)
