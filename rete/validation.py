"""Checks of what people type, each with an Italian message that says how to fix it.

Pure functions: no database. Each returns the cleaned value (trimmed, `None` when empty) or
raises `ValidationError`, and nothing else, whatever it is given.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from rete.errors import ValidationError

# A letter or digit of any script; a label of a domain name: those, with hyphens inside.
_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_TOP_LEVEL = r"[^\W\d_]{2,}"  # it, org, museum: letters only
_HOST = re.compile(rf"(?:{_LABEL}\.)+{_TOP_LEVEL}")
# The name part of an address: letters, digits and . _ % + - ' (d'angelo@...), no leading,
# trailing or double dot. No ? & , ; < > ( ) or quotes: they would end up in a mailto: link.
_EMAIL = re.compile(rf"[\w%+'-]+(?:\.[\w%+'-]+)*@{_HOST.pattern}")
EMAIL_MAX = 160  # the columns' size
EMAIL_LOCAL_MAX = 64

_PHONE_SEPARATORS = re.compile(r"[\s./()-]")
_ITALIAN_PREFIX = re.compile(r"^(\+39|0039)")
# An extension for the switchboard, after the number: "int. 23", "interno 23", "est 23",
# "ext 23". The one pattern: the form, the links and the HSDS exchange all split with it.
_EXTENSION = re.compile(
    r"^(?P<number>.*?)\s*\b(?:int|interno|ext|est)\b\.?\s*(?P<extension>[0-9]{1,5})$",
    re.IGNORECASE,
)
# Digits after +39, by the first one: landlines keep their 0 (0332 123456: 6 to 11 digits),
# mobiles have 9 or 10 (333 1234567), 8xx numbers 6 to 10 (800 123456, 803 116).
_PHONE_DIGITS = {"0": (6, 11), "3": (9, 10), "8": (6, 10)}
PHONE_MAX = 40

# C0 control characters but tab, line feed and carriage return, and DEL: pasted from another
# program they pass unseen, then a spreadsheet refuses the file and PostgreSQL a NUL.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>\"\\^`{|}]")
WEBSITE_MAX = 200


# Every record id is an INTEGER column: PostgreSQL's holds up to 2^31 - 1, and a query asking
# for more fails there ("integer out of range") instead of finding nothing.
RECORD_ID_MAX = 2**31 - 1


def is_record_id(value: int) -> bool:
    """Whether `value` can be the id of a record (a positive number a column can hold)."""
    return 0 < value <= RECORD_ID_MAX


def split_extension(phone: str) -> tuple[str, str | None]:
    """(number, extension) of «0332 123456 int. 23» (or «interno», «est», «ext»);
    (phone, None) without one. The number keeps its spaces, trimmed."""
    found = _EXTENSION.match(phone.strip())
    if found is None:
        return phone.strip(), None
    return found["number"], found["extension"]


def unprintable(value: str | None) -> bool:
    """Whether `value` holds a control character (tab and line breaks aside)."""
    return bool(value) and _UNPRINTABLE.search(value or "") is not None


def printable(value: str | None, what: str, *, field: str | None = None) -> None:
    """Refuses text with a control character (tab and line breaks aside)."""
    if unprintable(value):
        raise ValidationError(
            f"{what} contiene caratteri non stampabili: ricopiarlo a mano.", field=field
        )


def optional_text(
    value: str | None, what: str, limit: int, *, field: str | None = None
) -> str | None:
    """Trimmed text, or None when empty; refused past `limit` characters or with a control
    character (tab and line breaks aside)."""
    cleaned = (value or "").strip()
    printable(cleaned, what, field=field)
    if len(cleaned) > limit:
        raise ValidationError(
            f"{what} supera il limite di {limit} caratteri (ora {len(cleaned)}): togliere qualcosa.",
            field=field,
        )
    return cleaned or None


def email(
    value: str | None, what: str = "L'indirizzo e-mail", *, field: str | None = None
) -> str | None:
    """A plausible e-mail address (name@domain.tld, the domain's last part letters only), kept
    as typed, or None when empty."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None
    local = cleaned.rsplit("@", 1)[0]
    if len(cleaned) > EMAIL_MAX or len(local) > EMAIL_LOCAL_MAX or not _EMAIL.fullmatch(cleaned):
        raise ValidationError(
            f"{what} «{cleaned[:60]}» non è valido: scriverlo come nome@dominio.it.",
            field=field,
        )
    return cleaned


def phone(
    value: str | None, what: str = "Il numero di telefono", *, field: str | None = None
) -> str | None:
    """An Italian phone number, kept as typed (runs of spaces made one), or None when empty.

    Landlines from 0, mobiles from 3, 8xx numbers; +39 or 0039 allowed; spaces, dots, dashes,
    slashes and brackets ignored; an extension after the number ("int. 23") allowed.
    """
    cleaned = " ".join((value or "").split())
    if not cleaned:
        return None
    if len(cleaned) > PHONE_MAX:
        raise ValidationError(
            f"{what} supera il limite di {PHONE_MAX} caratteri (ora {len(cleaned)}): togliere qualcosa.",
            field=field,
        )
    number, _ = split_extension(cleaned)
    digits = _ITALIAN_PREFIX.sub("", _PHONE_SEPARATORS.sub("", number))
    low, high = _PHONE_DIGITS.get(digits[:1], (1, 0))
    if not (re.fullmatch(r"[0-9]+", digits) and low <= len(digits) <= high):
        raise ValidationError(
            f"{what} «{cleaned[:40]}» non sembra un numero italiano: scrivere solo cifre, "
            "con prefisso (ad esempio 0332 123456 oppure 333 1234567; +39 facoltativo; "
            "un interno come «int. 12»).",
            field=field,
        )
    return cleaned


def website(
    value: str | None, what: str = "L'indirizzo del sito", *, field: str | None = None
) -> str | None:
    """A web address: http or https, a host name with a dot, no user name or password in it.
    A bare address (www.comune.varese.it) gets https:// in front; None when empty."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None
    url = cleaned if "://" in cleaned else f"https://{cleaned}"
    invalid = ValidationError(
        f"{what} «{cleaned[:60]}» non è valido: scriverlo come https://www.esempio.it "
        "(oppure www.esempio.it).",
        field=field,
    )
    if _URL_FORBIDDEN.search(url):
        raise invalid
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a port that is not a number, a broken [IPv6] bracket
        raise invalid from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError(
            f"{what} deve cominciare con http:// o https:// (ad esempio https://www.esempio.it).",
            field=field,
        )
    host = parts.hostname or ""
    if "@" in parts.netloc or not port_ok or not _HOST.fullmatch(host):
        raise invalid
    url = f"{parts.scheme}{url[len(parts.scheme) :]}"  # the scheme in lower case, the rest as typed
    if len(url) > WEBSITE_MAX:
        raise ValidationError(
            f"{what} supera il limite di {WEBSITE_MAX} caratteri (ora {len(url)}): togliere qualcosa.",
            field=field,
        )
    return url
