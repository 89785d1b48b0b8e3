"""Password rules and hashing (OWASP ASVS 5.0, V6): length, not a common password, argon2id.

- 12 to 128 characters, any characters, no composition rules (ASVS 6.2.1, 6.2.9, 6.2.5).
- Not one of the 10,000 most common passwords (`data/common_passwords.txt`, ASVS 6.2.4),
  nor the user's own name.
- argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes): above OWASP's
  minimum for argon2id (19 MiB, 2 passes, 1 lane). A stored hash made with weaker
  parameters is replaced at the next good login (`needs_rehash`).
"""

from __future__ import annotations

import functools
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from rete.config import DATA_DIR
from rete.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_FILE = DATA_DIR / "common_passwords.txt"

# OWASP's password storage cheat sheet: argon2id, at least m=19 MiB, t=2, p=1.
MINIMUM_PARAMETERS = {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}
HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, type=Type.ID)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, one password per line, lower case (compared in lower case)."""
    with COMMON_FILE.open(encoding="utf-8") as handle:
        return frozenset(line.rstrip("\n") for line in handle if line.strip())


def _normalised(password: str) -> str:
    """As users type it on any device: Unicode NFKC (ASVS 6.2.8 asks to keep it as typed,
    normalisation only makes the same characters the same bytes)."""
    return unicodedata.normalize("NFKC", password)


def problem(password: str, username: str = "") -> str | None:
    """What is wrong with a new password, in Italian, or None when it is acceptable."""
    length = len(_normalised(password))
    if length < MIN_LENGTH:
        return (
            f"La password è troppo corta ({length} caratteri): ne servono almeno {MIN_LENGTH}. "
            "Una frase di qualche parola è facile da ricordare e difficile da indovinare."
        )
    if length > MAX_LENGTH:
        return f"La password è troppo lunga: al massimo {MAX_LENGTH} caratteri."
    lowered = _normalised(password).casefold()
    if lowered in common_passwords():
        return "Questa password è tra le più usate e si indovina facilmente: sceglierne un'altra."
    if username and lowered == username.casefold():
        return "La password non può essere uguale al nome utente: sceglierne un'altra."
    return None


def check(password: str, username: str = "") -> None:
    """Raise ValidationError with the Italian reason when `password` is not acceptable."""
    reason = problem(password, username)
    if reason is not None:
        raise ValidationError(reason)


DEMO_PASSWORD = "demo"  # the demo accounts' password: valid only while the data are a demo's


def is_demo_password(password: str) -> bool:
    """The demo password as the hash compares it (normalised: "ｄｅｍｏ" is "demo" too)."""
    return _normalised(password) == DEMO_PASSWORD


def hash_password(password: str) -> str:
    return HASHER.hash(_normalised(password))


def matches(password_hash: str, password: str) -> bool:
    """One argon2 verification, whatever the outcome (an unusable hash is simply no match)."""
    try:
        return HASHER.verify(password_hash, _normalised(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other (older, weaker) parameters than today's."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


@functools.cache
def dummy_hash() -> str:
    """Verified when the username is unknown, so a wrong name takes as long as a wrong
    password."""
    return HASHER.hash("rete-dummy-password-not-for-any-account")
