"""The security and retention settings the admin changes on «Utenti»: how long a session may
sit idle and last in any case, after how many years of no activity a household is anonymised,
and how long the audit trail is kept (never less than 24 months: the Garante's guidance for
health records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy.orm import Session

from rete import access, config, db
from rete.errors import ValidationError
from rete.writes import Actor, write


@dataclass(frozen=True)
class Limits:
    idle_minutes: int
    session_hours: int
    retention_years: int
    audit_months: int

    @property
    def idle(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.idle_minutes)

    @property
    def absolute(self) -> dt.timedelta:
        return dt.timedelta(hours=self.session_hours)


@dataclass(frozen=True)
class Rule:
    key: str  # the setting's key
    label: str  # the form's label
    unit: str
    low: int
    high: int


RULES = {
    "idle_minutes": Rule(
        config.SETTING_SESSION_IDLE_MINUTES, "Uscita dopo minuti di inattività", "minuti", 5, 240
    ),
    "session_hours": Rule(
        config.SETTING_SESSION_HOURS, "Durata massima di una sessione", "ore", 1, 24
    ),
    "retention_years": Rule(
        config.SETTING_RETENTION_YEARS, "Anonimizzare i nuclei inattivi da", "anni", 1, 30
    ),
    "audit_months": Rule(
        config.SETTING_AUDIT_MONTHS, "Conservare il registro accessi per", "mesi", 24, 240
    ),
}


def _value(session: Session, rule: Rule) -> int:
    """The stored value kept within its limits; the default when it is not a whole number."""
    try:
        stored = int(db.read_setting(session, rule.key).strip())
    except ValueError:
        stored = int(config.SETTING_DEFAULTS[rule.key])
    return min(max(stored, rule.low), rule.high)


def read(session: Session) -> Limits:
    return Limits(**{name: _value(session, rule) for name, rule in RULES.items()})


def problems(limits: Limits) -> dict[str, str]:
    """Italian messages per field for values outside their limits."""
    found = {}
    for name, rule in RULES.items():
        value = getattr(limits, name)
        if not rule.low <= value <= rule.high:
            found[name] = f"{rule.label}: scegliere tra {rule.low} e {rule.high} {rule.unit}."
    return found


CHANGED_MEANWHILE = (
    "Qualcun altro ha cambiato queste impostazioni nel frattempo: le tue modifiche non sono "
    "state salvate e sono ancora nel modulo. Ricarica la pagina, poi riapplica le modifiche."
)


def save(session: Session, actor: Actor, new: Limits, seen: Limits) -> list[str]:
    """Save the settings that changed since `seen` (what the form showed), refused when
    someone changed one of them meanwhile; returns the labels of those changed (audited with
    their new values: they are not personal data)."""
    for name, message in problems(new).items():
        raise ValidationError(message, field=name)
    changed = [f.name for f in fields(Limits) if getattr(new, f.name) != getattr(seen, f.name)]
    with write(session, actor, allowed=access.may_manage_users) as unit:
        if not changed:
            return []
        for name in changed:
            rule = RULES[name]
            unit.claim_setting(
                rule.key, str(getattr(seen, name)), str(getattr(new, name)), CHANGED_MEANWHILE
            )
        unit.audit(
            "security_settings_changed",
            "setting",
            None,
            "; ".join(f"{RULES[n].label}: {getattr(new, n)} {RULES[n].unit}" for n in changed),
        )
    return [RULES[name].label for name in changed]
