"""Domain errors. Each carries an Italian message that a page may show as it is."""


class ReteError(Exception):
    """Base class: `str(error)` is a plain-Italian message for the user."""


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


class PermissionDenied(ReteError):
    """The user's role may not do what was asked."""
