"""Writing an import: every partner of the preview through the directory's own writers
(`rete.directory.edit`), in the caller's one transaction, so it is all or nothing.

Each partner added or updated is audited with the acting user by those writers; a partner
the file says is not active is deactivated after its save (`set_active`). A partner someone
saved after the preview was made refuses the whole import (the version the preview saw), as
a form does: make the preview again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from rete import access
from rete.directory import edit
from rete.errors import ValidationError
from rete.hsds.plan import ACTIVE, ADD, INACTIVE, UPDATE, ImportPreview
from rete.writes import Actor


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int

    def summary(self) -> str:
        added = "ente aggiunto" if self.added == 1 else "enti aggiunti"
        updated = "aggiornato" if self.updated == 1 else "aggiornati"
        return f"Importazione completata: {self.added} {added}, {self.updated} {updated}."


def commit_import(session: Session, actor: Actor, preview: ImportPreview) -> ImportResult:
    """Write what `preview` says, on the caller's session (the caller commits: on any error
    it rolls back, and nothing of the import is written)."""
    access.require(actor.role, access.may_edit_records, "importare enti nell'elenco della rete")
    if preview.errors:
        raise ValidationError(
            f"Il file ha {len(preview.errors)} "
            f"{'errore: correggerlo' if len(preview.errors) == 1 else 'errori: correggerli'} "
            "e ripetere l'anteprima. "
            "Non è stato importato nulla."
        )
    added = updated = 0
    for change in preview.partners:
        if change.action == ADD and change.data is not None:
            partner = edit.create_partner(session, actor, change.data)
            if not change.active:
                edit.set_active(session, actor, partner.id, False, version=partner.version)
            added += 1
        elif change.action == UPDATE and change.partner_id is not None:
            assert change.data is not None and change.version is not None
            version = change.version
            if not change.only_active_changes:
                version = edit.update_partner(
                    session, actor, change.partner_id, change.data, version=version
                ).version
            if ACTIVE in change.changes or INACTIVE in change.changes:
                edit.set_active(session, actor, change.partner_id, change.active, version=version)
            updated += 1
    return ImportResult(added, updated)
