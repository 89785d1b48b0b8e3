"""Checks of what people type, each with an Italian message that says how to fix it.

Pure functions: no database. Each returns the cleaned value (trimmed, `None` when empty) or
raises `ValidationError`.
"""

from __future__ import annotations

import re

from rete.errors import ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE_SEPARATORS = re.compile(r"[\s./()-]")
_ITALIAN_PREFIX = re.compile(r"^(\+39|0039)")


def optional_text(
    value: str | None, what: str, limit: int, *, field: str | None = None
) -> str | None:
    """Trimmed text, or None when empty; refused past `limit` characters."""
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise ValidationError(
            f"{what} è troppo lungo: al massimo {limit} caratteri (ora {len(cleaned)}).",
            field=field,
        )
    return cleaned or None


def email(
    value: str | None, what: str = "L'indirizzo e-mail", *, field: str | None = None
) -> str | None:
    """A plausible e-mail address, or None when empty."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None
    if len(cleaned) > 160 or not _EMAIL.match(cleaned):
        raise ValidationError(
            f"{what} «{cleaned[:60]}» non è valido: scriverlo come nome@dominio.it.",
            field=field,
        )
    return cleaned


def phone(
    value: str | None, what: str = "Il numero di telefono", *, field: str | None = None
) -> str | None:
    """An Italian phone number (landline from 0, mobile from 3, 8xx numbers; +39 or 0039
    allowed; spaces, dots, dashes and slashes ignored), kept as typed, or None when empty."""
    cleaned = " ".join((value or "").split())
    if not cleaned:
        return None
    digits = _ITALIAN_PREFIX.sub("", _PHONE_SEPARATORS.sub("", cleaned))
    if not (digits.isdigit() and 6 <= len(digits) <= 11 and digits[0] in "038"):
        raise ValidationError(
            f"{what} «{cleaned[:40]}» non sembra un numero italiano: scrivere solo cifre, "
            "con prefisso (ad esempio 0332 123456 oppure 333 1234567; +39 facoltativo).",
            field=field,
        )
    return cleaned
