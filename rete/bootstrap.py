"""Getting a database ready: migrations, reference data, demo data or the first admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from rete import auth, config, db, demo, taxonomy
from rete.config import Settings
from rete.db import check_schema, get_engine, session_scope, upgrade
from rete.errors import ValidationError
from rete.models import User
from rete.writes import SYSTEM, write

log = logging.getLogger(__name__)


def has_users(engine: Engine) -> bool:
    with Session(engine) as session:
        return bool(session.scalar(select(func.count()).select_from(User)))


def read_setting(engine: Engine, key: str) -> str:
    with Session(engine) as session:
        return db.read_setting(session, key)


def is_demo(engine: Engine) -> bool:
    return read_setting(engine, config.SETTING_DEMO_DATA) == "1"


def seed_reference_data(engine: Engine) -> None:
    with session_scope(engine) as session, write(session, SYSTEM) as unit:
        added = taxonomy.seed_reference_data(session)
        if added:
            unit.audit("reference_data_seeded", "database", None, f"{added} voci")


def initialise(
    engine: Engine,
    *,
    with_demo: bool,
    admin_password: str | None = None,
    households: int = demo.DEFAULT_HOUSEHOLDS,
    seed: int = demo.DEFAULT_SEED,
) -> str:
    """Upgrade the schema and seed it; then demo data, or the first admin. Returns what it did."""
    upgrade(engine)
    seed_reference_data(engine)
    if with_demo:
        if demo.holds_data(engine):
            return "Database aggiornato; contiene già dati, nessun dato dimostrativo aggiunto."
        summary = demo.load_demo(engine, households=households, seed=seed)
        return f"Database pronto con dati dimostrativi: {summary}."
    if has_users(engine):
        return "Database aggiornato; gli utenti esistenti sono stati lasciati come sono."
    if not admin_password:
        raise ValidationError("Serve una password per il primo amministratore.")
    with session_scope(engine) as session:
        auth.create_user(session, "admin", "Amministratore", "admin", admin_password)
        with write(session, SYSTEM) as unit:
            unit.audit("database_initialised", "database", None)
    return "Database pronto. Accedere come «admin» con la password scelta."


@dataclass(frozen=True)
class AppDatabase:
    engine: Engine
    needs_init: bool  # an empty database that is not for demo: run `python -m rete init --no-demo`
    demo: bool


def prepare_engine(settings: Settings) -> Engine:
    """Done once per process on start; raises a ReteError with an Italian message if it cannot.

    An embedded SQLite database is upgraded here; PostgreSQL only by `python -m rete init`,
    so several app processes never race on a migration. An empty database gets demo data only
    when it is the default embedded file or RETE_DEMO=1 says so.
    """
    engine = get_engine(settings.database_url)
    if settings.is_sqlite:
        upgrade(engine)
        seed_reference_data(engine)
    elif check_schema(engine).is_empty:
        return engine
    may_demo = settings.is_default_embedded or settings.demo_requested
    if may_demo and not has_users(engine):
        log.info("empty database: loading demo data")
        demo.load_demo(engine)
    return engine


def database_status(engine: Engine) -> AppDatabase:
    """Checked on every run: another process may have upgraded or initialised it meanwhile."""
    if check_schema(engine).is_empty or not has_users(engine):
        return AppDatabase(engine, needs_init=True, demo=False)
    return AppDatabase(engine, needs_init=False, demo=is_demo(engine))
