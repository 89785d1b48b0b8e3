"""The import's preview: for each organization of the file, whether Rete adds it, finds it
already there (by its id, then by name and municipality, accents and case ignored) and what
would change, or leaves it out and why; with every problem found, and what Rete does not keep.

Updating a partner Rete already has, the file wins where it says something: an empty value
never erases what Rete knows; the coverage and the places served are replaced only when the
file gives some that Rete recognises; a contact is matched by its id (one Rete exported) or
its name, and Rete's contacts the file does not name are kept (a referral may name them); the
verification date is the later of the two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from rete.directory.edit import ContactInput, PartnerInput, partner_input
from rete.hsds import vocabulary as v
from rete.hsds.check import Problem, check_structure, error, warning
from rete.hsds.mapping import Category, Draft, DraftContact, Known, Mapper
from rete.hsds.source import NotHsds, Origin, Source
from rete.models import Category as CategoryRow
from rete.models import Neighbourhood, Partner
from rete.taxonomy import PARTNER_KINDS

ADD, UPDATE, UNCHANGED, SKIP = "add", "update", "unchanged", "skip"
NEW_CONTACT_NAME = "Recapito dell'ente"
ACTIVE, INACTIVE = "attivo", "non attivo"  # a change of state, as the preview names it

# The changes a preview names, in the order the form shows them.
FIELD_LABELS = {
    "name": "nome",
    "kind": "tipo",
    "description": "descrizione",
    "email": "e-mail",
    "phone": "telefono",
    "website": "sito",
    "address": "indirizzo",
    "municipality": "comune",
    "category_ids": "bisogni coperti",
    "neighbourhood_ids": "quartieri serviti",
    "municipalities": "comuni serviti",
    "contacts": "referenti",
    "last_verified_on": "data di verifica",
}


@dataclass(frozen=True)
class PartnerChange:
    """What the import does with one organization of the file."""

    action: str  # ADD, UPDATE, UNCHANGED or SKIP
    name: str
    origin: Origin
    data: PartnerInput | None = None  # what is written (ADD, UPDATE)
    active: bool = True  # the partner's state after the import
    partner_id: int | None = None  # the partner found in Rete
    version: int | None = None  # ... and the version the preview saw
    matched_by: str | None = None  # "identificativo" or "nome e comune"
    changes: tuple[str, ...] = ()  # Italian names of what changes
    reason: str | None = None  # SKIP: why

    @property
    def only_active_changes(self) -> bool:
        """Nothing but the active state changes: no save of the partner, only that."""
        return set(self.changes) <= {ACTIVE, INACTIVE}

    def describe(self) -> str:
        where = self.origin.where()
        if self.action == ADD:
            state = "" if self.active else ", non attivo"
            return f"{self.name} ({where}): aggiunto{state}"
        if self.action == SKIP:
            return f"{self.name} ({where}): non importato, {self.reason}"
        found = f"trovato in Rete per {self.matched_by}"
        if self.action == UNCHANGED:
            return f"{self.name} ({where}): {found}, nessuna modifica"
        return f"{self.name} ({where}): {found}, cambia: {', '.join(self.changes)}"


@dataclass(frozen=True)
class ImportPreview:
    """Everything the user should see before confirming an import."""

    source: str
    version: str  # "HSDS 3.0", "HSDS 1.x"; empty when the file could not be read
    partners: tuple[PartnerChange, ...]
    problems: tuple[Problem, ...]
    ignored: tuple[str, ...]  # what Rete does not keep, with how many

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.error)

    def of(self, action: str) -> tuple[PartnerChange, ...]:
        return tuple(change for change in self.partners if change.action == action)

    @property
    def can_import(self) -> bool:
        return not self.errors and any(c.action in (ADD, UPDATE) for c in self.partners)

    def summary(self) -> str:
        if self.errors:
            return (
                f"{len(self.errors)} {_plural(len(self.errors), 'errore', 'errori')}: "
                "non verrà importato nulla finché non "
                f"{_plural(len(self.errors), 'è corretto', 'sono corretti')} nel file."
            )
        return (
            f"Da aggiungere: {len(self.of(ADD))}; da aggiornare: {len(self.of(UPDATE))}; "
            f"già uguali: {len(self.of(UNCHANGED))}; non importabili: {len(self.of(SKIP))}."
        )

    def lines(self) -> list[str]:
        """The preview as text, for the command line."""
        found = [f"{self.source} ({self.version or 'formato non riconosciuto'})", self.summary()]
        for title, problems in (("Errori", self.errors), ("Avvisi", self.warnings)):
            if problems:
                found += ["", f"{title}:"] + [f"- {p}" for p in problems]
        if self.partners:
            found += ["", "Enti:"] + [f"- {change.describe()}" for change in self.partners]
        if self.ignored:
            found += ["", "Non gestito da Rete (non importato):"] + [f"- {i}" for i in self.ignored]
        return found


def _plural(count: int, one: str, many: str) -> str:
    """`one` for 1, `many` otherwise (0 enti, 2 enti)."""
    return one if count == 1 else many


def not_hsds(name: str, problem: NotHsds) -> ImportPreview:
    return ImportPreview(name, "", (), (Problem(True, str(problem)),), ())


def known(session: Session) -> Known:
    categories = [
        Category(row.id, row.code, row.name, row.active)
        for row in session.scalars(select(CategoryRow).order_by(CategoryRow.id))
    ]
    names: dict[str, Category | None] = {}
    for category in categories:
        key = v.folded(category.name)
        names[key] = None if key in names else category  # «altro» is in every area: no match
    places = session.execute(
        select(Neighbourhood.id, Neighbourhood.name, Neighbourhood.municipality).where(
            Neighbourhood.active
        )
    ).all()
    place_names: dict[str, int | None] = {}
    for place_id, name, _ in places:
        key = v.folded(name)
        place_names[key] = None if key in place_names else place_id
    return Known(
        categories={c.code: c for c in categories},
        category_names=names,
        neighbourhoods={(v.folded(n), v.folded(m)): i for i, n, m in places},
        neighbourhood_names=place_names,
        municipalities={v.folded(m): m for _, _, m in places},
    )


def preview(session: Session, source: Source, today: dt.date | None = None) -> ImportPreview:
    """What importing `source` would do to the directory in `session` (which it only reads)."""
    problems = check_structure(source)
    mapper = Mapper(source, known(session), today)
    drafts = mapper.drafts()
    problems += mapper.problems
    planner = _Planner(session)
    changes = [planner.change(draft) for draft in drafts]
    problems += planner.problems
    ignored = [f"{kind}: {count}" for kind, count in sorted(source.unread.items())]
    ignored += [f"{kind}: {count}" for kind, count in sorted(mapper.left_out.items())]
    return ImportPreview(
        source.name, source.version, tuple(changes), tuple(problems), tuple(ignored)
    )


class _Planner:
    def __init__(self, session: Session) -> None:
        self.session = session
        rows = session.execute(
            select(Partner.id, Partner.uuid, Partner.name, Partner.municipality, Partner.active)
        ).all()
        self.by_uuid = {row.uuid: row for row in rows}
        self.by_key = {(v.folded(row.name), v.folded(row.municipality)): row for row in rows}
        self.claimed: dict[int, Draft] = {}  # partner id -> the organization matched to it
        self.keys: dict[tuple[str, str], Draft] = {}  # (name, municipality) after the import
        self.problems: list[Problem] = []

    def change(self, draft: Draft) -> PartnerChange:
        found = self.by_uuid.get(draft.uuid)
        matched_by = "identificativo"
        if found is None:
            found = self.by_key.get((v.folded(draft.name), v.folded(draft.municipality)))
            matched_by = "nome e comune"
        if found is not None and found.id in self.claimed:
            other = self.claimed[found.id].record.origin.where()
            self.problems.append(
                error(
                    f"«{draft.name}» corrisponde allo stesso ente di Rete di {other}: "
                    "ogni ente può comparire una volta sola.",
                    draft.record,
                    "name",
                )
            )
            return PartnerChange(SKIP, draft.name, draft.record.origin, reason="doppione")
        if found is None:
            return self._new(draft)
        self.claimed[found.id] = draft
        return self._update(draft, found.id, bool(found.active), matched_by)

    def _unique(self, draft: Draft, data: PartnerInput, partner_id: int | None) -> bool:
        """No two partners with one name in one municipality, in the file or against Rete."""
        key = (v.folded(data.name), v.folded(data.municipality))
        twin = self.keys.get(key)
        other = self.by_key.get(key)
        if twin is not None:
            where = f"in {twin.record.origin.where()}"
        elif other is not None and other.id != partner_id and other.id not in self.claimed:
            where = "in Rete"
        else:
            self.keys[key] = draft
            return True
        town = f" a {data.municipality}" if data.municipality else ""
        self.problems.append(
            error(
                f"esiste già un ente «{data.name}»{town} {where}: due enti non possono avere "
                "lo stesso nome nello stesso comune.",
                draft.record,
                "name",
            )
        )
        return False

    def _new(self, draft: Draft) -> PartnerChange:
        contacts = [_contact_input(c) for c in draft.contacts]
        note = None
        if not contacts and (draft.phone or draft.email):
            contacts = [ContactInput(NEW_CONTACT_NAME, phone=draft.phone, email=draft.email)]
            note = (
                "nessun referente nel file: creato «Recapito dell'ente» con i recapiti dell'ente."
            )
        missing = [
            what
            for what, empty in (
                ("un bisogno coperto che Rete riconosca", not draft.category_ids),
                (
                    "un quartiere o comune servito che Rete riconosca",
                    not draft.neighbourhood_ids and not draft.municipalities,
                ),
                ("un referente con telefono o e-mail", not contacts),
            )
            if empty
        ]
        if missing:
            listed = " e ".join([", ".join(missing[:-1]), missing[-1]] if missing[:-1] else missing)
            reason = (
                f"{_plural(len(missing), 'manca', 'mancano')} {listed}: completare il file "
                "(i bisogni con i codici "
                "della classificazione che l'export HSDS di Rete pubblica, i luoghi con i nomi "
                "dei quartieri o dei comuni di Rete) oppure inserire l'ente a mano."
            )
            return PartnerChange(SKIP, draft.name, draft.record.origin, reason=reason)
        if note:
            self.problems.append(warning(note, draft.record))
        if draft.kind is None and draft.record.get("legal_status"):
            self.problems.append(
                warning(
                    f"tipo «{draft.record.get('legal_status')[:40]}» non è tra quelli di Rete: "
                    "importato come «altro».",
                    draft.record,
                    "legal_status",
                )
            )
        data = PartnerInput(
            name=draft.name,
            kind=draft.kind or "other",
            description=draft.description,
            email=draft.email,
            phone=draft.phone,
            website=draft.website,
            address=draft.address,
            municipality=draft.municipality,
            category_ids=tuple(sorted(draft.category_ids)),
            neighbourhood_ids=tuple(sorted(draft.neighbourhood_ids)),
            municipalities=tuple(sorted(draft.municipalities)),
            contacts=_with_one_primary(contacts, given=draft.primary_given),
            last_verified_on=draft.verified,
            uuid=draft.uuid,
        )
        if not self._unique(draft, data, None):
            return PartnerChange(SKIP, draft.name, draft.record.origin, reason="doppione")
        active = draft.active is not False
        return PartnerChange(ADD, draft.name, draft.record.origin, data, active)

    def _update(
        self, draft: Draft, partner_id: int, active: bool, matched_by: str
    ) -> PartnerChange:
        current, version = partner_input(self.session, partner_id)
        contacts = _merged_contacts(current, draft)
        data = replace(
            current,
            name=draft.name,
            kind=draft.kind or current.kind,
            description=draft.description or current.description,
            email=draft.email or current.email,
            phone=draft.phone or current.phone,
            website=draft.website or current.website,
            address=draft.address or current.address,
            municipality=draft.municipality or current.municipality,
            category_ids=tuple(sorted(draft.category_ids)) or current.category_ids,
            neighbourhood_ids=(
                tuple(sorted(draft.neighbourhood_ids))
                if draft.neighbourhood_ids or draft.municipalities
                else current.neighbourhood_ids
            ),
            municipalities=(
                tuple(sorted(draft.municipalities))
                if draft.neighbourhood_ids or draft.municipalities
                else current.municipalities
            ),
            contacts=contacts,
            last_verified_on=max(
                (d for d in (draft.verified, current.last_verified_on) if d), default=None
            ),
        )
        self._unique(draft, data, partner_id)
        changes = [label for name, label in FIELD_LABELS.items() if _differs(name, current, data)]
        after = active if draft.active is None else draft.active
        if after != active:
            changes.append(ACTIVE if after else INACTIVE)
        action = UPDATE if changes else UNCHANGED
        return PartnerChange(
            action,
            draft.name,
            draft.record.origin,
            data,
            after,
            partner_id,
            version,
            matched_by,
            tuple(changes),
        )


def _contact_input(contact: DraftContact, contact_id: int | None = None) -> ContactInput:
    return ContactInput(
        name=contact.name,
        role=contact.role,
        phone=contact.phone,
        email=contact.email,
        preferred_channel=contact.channel,
        is_primary=contact.primary,
        id=contact_id,
    )


def _with_one_primary(contacts: list[ContactInput], *, given: bool) -> tuple[ContactInput, ...]:
    """Exactly one primary contact: the first the file marks, else the first one."""
    chosen = next((i for i, c in enumerate(contacts) if c.is_primary), 0) if given else 0
    return tuple(replace(c, is_primary=i == chosen) for i, c in enumerate(contacts))


def _merged_contacts(current: PartnerInput, draft: Draft) -> tuple[ContactInput, ...]:
    """Rete's contacts, those the file names updated, the file's new ones added; one primary:
    the file's when it says which, else Rete's."""
    assert current.uuid is not None
    by_id = {v.derived_id(current.uuid, "contact", c.id): c for c in current.contacts}
    by_name = {v.folded(c.name): c for c in current.contacts}
    merged = {
        c.id: replace(c, is_primary=c.is_primary and not draft.primary_given)
        for c in current.contacts
    }
    added: list[ContactInput] = []
    for contact in draft.contacts:
        match = by_id.get(contact.hsds_id) or by_name.get(v.folded(contact.name))
        if match is None:
            added.append(_contact_input(contact))
            continue
        merged[match.id] = ContactInput(
            name=contact.name,
            role=contact.role or match.role,
            phone=contact.phone or match.phone,
            email=contact.email or match.email,
            preferred_channel=contact.channel or match.preferred_channel,
            is_primary=contact.primary if draft.primary_given else match.is_primary,
            id=match.id,
        )
    every = [*merged.values(), *added]
    if draft.primary_given:
        return _with_one_primary(every, given=True)
    if not any(c.is_primary for c in every):
        return _with_one_primary(every, given=False)
    return tuple(every)


def _differs(name: str, before: PartnerInput, after: PartnerInput) -> bool:
    old, new = getattr(before, name), getattr(after, name)
    if name == "contacts":
        return sorted(map(repr, old)) != sorted(map(repr, new))
    if isinstance(old, tuple):
        return sorted(old) != sorted(new)
    if name == "kind":
        return bool(PARTNER_KINDS.get(old) != PARTNER_KINDS.get(new))
    return bool(old != new)
