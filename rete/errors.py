"""Domain errors. Each carries an Italian message that a page may show as it is."""


class ReteError(Exception):
    """Base class: `str(error)` is a plain-Italian message for the user; `field`, when set,
    names the input it is about, so a form can show the message next to it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DatabaseUnavailable(ReteError):
    """The database cannot be reached or opened."""


class SchemaOutdated(ReteError):
    """The database schema is older than the code and must be upgraded."""


class SchemaTooNew(ReteError):
    """The database was written by a newer version of Rete."""


class NotEmptyError(ReteError):
    """An operation that needs an empty database found data in it."""


class ValidationError(ReteError):
    """A value given by the user is not acceptable."""


class InvalidCredentials(ReteError):
    """Wrong username or password (never says which)."""


class NotFound(ReteError):
    """The record asked for does not exist (or is hidden, e.g. soft-deleted)."""


class ConcurrentEdit(ReteError):
    """Someone else saved the same record since this user opened it."""


class IllegalMove(ReteError):
    """A referral or need cannot go from its current status to the one asked for."""


class PermissionDenied(ReteError):
    """The user's role may not do what was asked."""
