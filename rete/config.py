"""Settings from the environment (or secrets.toml) and run-time settings kept in the database."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'rete.db'}"  # documented as sqlite:///data/rete.db
SECRETS_FILE = PROJECT_DIR / ".streamlit" / "secrets.toml"

# Run-time settings the admin may change; stored in the `setting` table.
SETTING_SUPPRESSION_K = "suppression_k"
SETTING_OVERDUE_DAYS = "overdue_days"
SETTING_RECHECK_MONTHS = "recheck_months"
SETTING_DEMO_DATA = "demo_data"
SETTING_NETWORK_NAME = "network_name"  # the meeting deck's title
SETTING_COORDINATION = "coordination"  # the deck's closing slide: one contact line per line
SETTING_SESSION_IDLE_MINUTES = "session_idle_minutes"  # logged out after this long idle
SETTING_SESSION_HOURS = "session_hours"  # ...and this long after the login in any case
SETTING_RETENTION_YEARS = "retention_years"  # households with no activity this long: anonymised
SETTING_AUDIT_MONTHS = "audit_retention_months"  # audit entries kept at least this long (>= 24)
SETTING_DEFAULTS = {
    SETTING_SUPPRESSION_K: "5",
    SETTING_OVERDUE_DAYS: "14",
    SETTING_RECHECK_MONTHS: "6",
    SETTING_DEMO_DATA: "0",
    SETTING_NETWORK_NAME: "Rete territoriale ALER Varese-Como-Monza Brianza-Busto Arsizio",
    SETTING_COORDINATION: "",
    SETTING_SESSION_IDLE_MINUTES: "30",
    SETTING_SESSION_HOURS: "12",
    SETTING_RETENTION_YEARS: "5",
    SETTING_AUDIT_MONTHS: "24",
}

TIMEZONE = "Europe/Rome"


@dataclass(frozen=True)
class Settings:
    database_url: str
    demo_requested: bool

    @property
    def is_default_embedded(self) -> bool:
        """True for the embedded SQLite file of a fresh checkout (data/rete.db), however the
        URL spells it: unset, `sqlite:///data/rete.db`, or its absolute path."""
        path = sqlite_file(self.database_url)
        return path is not None and path == _default_file()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _default_file() -> Path:
    return (DATA_DIR / "rete.db").resolve()


def _default_url() -> str:
    return f"sqlite:///{DATA_DIR / 'rete.db'}"


def _sqlite_path(url: str) -> Path | None:
    """The path in an SQLite URL as written (maybe relative); None for any other database, an
    in-memory one, a `file:` URI or a malformed URL."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if "uri" in parsed.query or database.startswith("file:"):
        return None
    return Path(database)


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL opens, symlinks resolved; a relative path is taken from Rete's
    folder, as the documented default `sqlite:///data/rete.db` is, whatever the working
    directory. None when the URL is not of an SQLite file."""
    path = _sqlite_path(url)
    return None if path is None else (PROJECT_DIR / path).resolve()


def _normalised_url(url: str) -> str:
    """The URL Rete opens: any spelling of the default file (`sqlite:///data/rete.db`, its
    absolute path, `./data/…`) as the default URL, so it gets the same engine and demo data on
    a first start; another relative SQLite path made absolute from Rete's folder; everything
    else as written."""
    path = _sqlite_path(url)
    if path is None:
        return url
    parsed = make_url(url)
    if sqlite_file(url) == _default_file() and parsed.drivername == "sqlite" and not parsed.query:
        return _default_url()
    if path.is_absolute():
        return url
    return parsed.set(database=str(PROJECT_DIR / path)).render_as_string(hide_password=False)


def _secret(key: str) -> str | None:
    if not SECRETS_FILE.is_file():
        return None
    with SECRETS_FILE.open("rb") as handle:
        value = tomllib.load(handle).get(key)
    return str(value) if value is not None else None


def load_settings() -> Settings:
    url = (os.environ.get("RETE_DATABASE_URL") or _secret("RETE_DATABASE_URL") or "").strip()
    return Settings(
        database_url=_normalised_url(url) if url else _default_url(),
        demo_requested=os.environ.get("RETE_DEMO", "") == "1",
    )


def today() -> dt.date:
    """Today in Rome: "in ritardo", the default period and "not in the future" follow it."""
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored UTC moment (SQLite gives it back naive) as Rome's wall-clock time, naive."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
