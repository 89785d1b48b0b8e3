"""The deck's own settings: the network's name (title slide) and the coordination's contacts
(closing slide), read from the `setting` table and changed through the one write path."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from rete import access, config, db, privacy, validation
from rete.errors import ValidationError
from rete.writes import Actor, write

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


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def read(engine: Engine) -> DeckSettings:
    with Session(engine) as session:
        return DeckSettings(
            network=db.read_setting(session, config.SETTING_NETWORK_NAME),
            contacts=_lines(db.read_setting(session, config.SETTING_COORDINATION)),
            # Below 3, "< k" would tell the value itself ("< 2" is 1): never lower.
            threshold=_threshold(db.read_setting(session, config.SETTING_SUPPRESSION_K)),
        )


def _threshold(stored: str) -> int:
    """k from the setting; never below 3 ("< 2" would tell the value itself: 1), and the
    default when the stored text is not a whole number."""
    default = int(config.SETTING_DEFAULTS[config.SETTING_SUPPRESSION_K])
    try:
        chosen = int(stored.strip())
    except ValueError:
        chosen = default
    return max(chosen, privacy.MINIMUM_THRESHOLD)


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


CHANGED_MEANWHILE = (
    "Qualcun altro ha cambiato i dati della riunione nel frattempo: le tue modifiche non sono "
    "state salvate e sono ancora nel modulo. Ricarica la pagina per vedere i dati aggiornati, "
    "poi riapplica le modifiche."
)


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
    changed = [key for key in new if new[key] != before[key]]
    with write(session, actor, allowed=access.may_prepare_meeting) as unit:
        if not changed:
            return
        for key in changed:
            unit.claim_setting(key, before[key], new[key], CHANGED_MEANWHILE)
        labels = {
            config.SETTING_NETWORK_NAME: "nome della rete",
            config.SETTING_COORDINATION: "contatti",
        }
        unit.audit(
            "meeting_settings_changed", "setting", None, ", ".join(labels[k] for k in changed)
        )
