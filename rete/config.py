"""Settings from the environment (or secrets.toml) and run-time settings kept in the database."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'rete.db'}"
SECRETS_FILE = PROJECT_DIR / ".streamlit" / "secrets.toml"

# Run-time settings the admin may change; stored in the `setting` table.
SETTING_SUPPRESSION_K = "suppression_k"
SETTING_OVERDUE_DAYS = "overdue_days"
SETTING_RECHECK_MONTHS = "recheck_months"
SETTING_DEMO_DATA = "demo_data"
SETTING_DEFAULTS = {
    SETTING_SUPPRESSION_K: "5",
    SETTING_OVERDUE_DAYS: "14",
    SETTING_RECHECK_MONTHS: "6",
    SETTING_DEMO_DATA: "0",
}

TIMEZONE = "Europe/Rome"


@dataclass(frozen=True)
class Settings:
    database_url: str
    demo_requested: bool

    @property
    def is_default_embedded(self) -> bool:
        """True for the embedded SQLite file that ships with a fresh checkout."""
        return self.database_url == DEFAULT_DATABASE_URL

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret(key: str) -> str | None:
    if not SECRETS_FILE.is_file():
        return None
    with SECRETS_FILE.open("rb") as handle:
        value = tomllib.load(handle).get(key)
    return str(value) if value is not None else None


def load_settings() -> Settings:
    url = os.environ.get("RETE_DATABASE_URL") or _secret("RETE_DATABASE_URL")
    return Settings(
        database_url=url or DEFAULT_DATABASE_URL,
        demo_requested=os.environ.get("RETE_DEMO", "") == "1",
    )


def today() -> dt.date:
    """Today in Rome: "in ritardo", the default period and "not in the future" follow it."""
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored UTC moment (SQLite gives it back naive) as Rome's wall-clock time, naive."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
