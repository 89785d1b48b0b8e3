"""The deck's own settings: the network's name (title slide) and the coordination's contacts
(closing slide), read from the `setting` table and changed through the one write path."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rete import config, db, privacy, validation
from rete.errors import ConcurrentEdit, ValidationError
from rete.models import Setting, utcnow
from rete.writes import Actor, write

PREPARE_MEETING = frozenset({"direzione", "admin"})  # who edits the deck's settings
NAME_MAX = 200
CONTACTS_MAX = 200  # the whole block, lines included (the setting's column)
CONTACT_LINES_MAX = 6  # what the closing slide holds at a readable size


@dataclass(frozen=True)
class DeckSettings:
    network: str
    contacts: tuple[str, ...]
    threshold: int

    @property
    def contacts_text(self) -> str:
        return "\n".join(self.contacts)


def may_prepare(role: str) -> bool:
    return role in PREPARE_MEETING


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def read(engine: Engine) -> DeckSettings:
    with Session(engine) as session:
        return DeckSettings(
            network=db.read_setting(session, config.SETTING_NETWORK_NAME),
            contacts=_lines(db.read_setting(session, config.SETTING_COORDINATION)),
            # Below 3, "< k" would tell the value itself ("< 2" is 1): never lower.
            threshold=max(
                int(db.read_setting(session, config.SETTING_SUPPRESSION_K)),
                privacy.MINIMUM_THRESHOLD,
            ),
        )


def check(network: str, contacts: str) -> dict[str, str]:
    """Italian messages per field ("network", "contacts") for what cannot be saved."""
    problems: dict[str, str] = {}
    name = network.strip()
    if not name:
        problems["network"] = "Indicare il nome della rete: è il titolo della prima slide."
    elif len(name) > NAME_MAX:
        problems["network"] = f"Il nome supera il limite di {NAME_MAX} caratteri: accorciarlo."
    elif validation.unprintable(name):
        problems["network"] = "Il nome contiene caratteri non ammessi: riscriverlo."
    lines = _lines(contacts)
    if len("\n".join(lines)) > CONTACTS_MAX:
        problems["contacts"] = (
            f"I contatti superano il limite di {CONTACTS_MAX} caratteri: accorciarli."
        )
    elif len(lines) > CONTACT_LINES_MAX:
        problems["contacts"] = (
            f"Al massimo {CONTACT_LINES_MAX} righe, perché si leggano sulla slide: "
            "unire o togliere qualche riga."
        )
    elif any(validation.unprintable(line) for line in lines):
        problems["contacts"] = "I contatti contengono caratteri non ammessi: riscriverli."
    return problems


def save(session: Session, actor: Actor, network: str, contacts: str, seen: DeckSettings) -> None:
    """Save the network's name and the coordination's contacts, if nobody changed them since
    `seen` (what the form showed); the audit entry names the fields changed, not their text."""
    for field, message in check(network, contacts).items():
        raise ValidationError(message, field=field)
    new = {
        config.SETTING_NETWORK_NAME: network.strip(),
        config.SETTING_COORDINATION: "\n".join(_lines(contacts)),
    }
    before = {
        config.SETTING_NETWORK_NAME: seen.network,
        config.SETTING_COORDINATION: seen.contacts_text,
    }
    with write(session, actor, allowed=may_prepare) as unit:
        rows = {
            row.key: row
            for row in session.scalars(
                select(Setting).where(Setting.key.in_(new)).with_for_update()
            )
        }
        for key, old in before.items():
            current = rows[key].value if key in rows else config.SETTING_DEFAULTS[key]
            if _lines(current) != _lines(old):
                raise ConcurrentEdit(
                    "Qualcun altro ha cambiato i dati della riunione nel frattempo: le tue "
                    "modifiche non sono state salvate e sono ancora nel modulo. Ricarica la "
                    "pagina per vedere i dati aggiornati, poi riapplica le modifiche."
                )
        changed = [key for key in new if new[key] != before[key]]
        if not changed:
            return
        for key in changed:
            row = rows.get(key)
            if row is None:
                session.add(
                    Setting(key=key, value=new[key], updated_by=actor.id, updated_at=utcnow())
                )
            else:
                row.value, row.updated_by, row.updated_at = new[key], actor.id, utcnow()
        labels = {
            config.SETTING_NETWORK_NAME: "nome della rete",
            config.SETTING_COORDINATION: "contatti",
        }
        unit.audit(
            "meeting_settings_changed", "setting", None, ", ".join(labels[k] for k in changed)
        )
