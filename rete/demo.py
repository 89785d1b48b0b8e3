"""Reproducible, plausible, fictional demo data at any scale (`python -m rete demo`).

Everything comes from one `random.Random(seed)` and the given `today`: the same seed and the
same day give the same rows. Households are generated a chunk at a time and written with Core
`insert` executemany, ids counted in Python, so memory stays flat from 60 to 400,000 households.
This module loads and clears; the generator's parts are `rete.demo_world` (what they share),
`rete.demo_cast` (accounts, neighbourhoods, partners), `rete.demo_people` (households,
interviews, needs) and `rete.demo_referrals`; the catalogue of names is `rete.demo_catalogue`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

from sqlalchemy import Engine, Table, delete, exists, select, text
from sqlalchemy.orm import Session

from rete import config, readmodel, taxonomy
from rete.db import session_scope
from rete.demo_cast import create_cast
from rete.demo_people import create_households
from rete.demo_world import LOADED_TABLES, World
from rete.errors import NotEmptyError, ValidationError
from rete.models import Base, Household, Interview, Neighbourhood, Partner, User
from rete.writes import SYSTEM, write

__all__ = [
    "DEFAULT_HOUSEHOLDS",
    "DEFAULT_MONTHS",
    "DEFAULT_SEED",
    "KEPT_TABLES",
    "clear_data",
    "holds_data",
    "load_demo",
]

DEFAULT_HOUSEHOLDS = 1500
DEFAULT_SEED = 20260225
DEFAULT_MONTHS = 24

# Every table except the reference data (category, channel) and the data version, which only
# ever grows: resetting it could let a cache serve results of the data we are deleting.
# Kept by `--replace`: reference data, and the people and their audit trail (DESIGN: no code
# path deletes the audit trail, and it points to the users).
KEPT_TABLES = frozenset(
    {"category", "channel", "data_version", "user", "user_session", "audit_entry", "setting"}
)


def load_demo(
    engine: Engine,
    *,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    months: int = DEFAULT_MONTHS,
    replace: bool = False,
    today: dt.date | None = None,
) -> str:
    """Fill the database with demo data in one transaction; returns an Italian summary."""
    _check_size(households, months)
    with session_scope(engine) as session:
        taxonomy.seed_reference_data(session)
        if replace:
            _clear(session)
        elif _holds_data(session):
            raise NotEmptyError(
                "Il database contiene già dei dati: i dati dimostrativi non sono stati caricati. "
                "Per sostituire tutto con i dati dimostrativi usare `python -m rete demo --replace` "
                "(cancella i dati presenti)."
            )
        world = World(session, random.Random(seed), today or config.today(), months)
        cast = create_cast(world)
        create_households(world, cast, households)
        _sync_sequences(session, LOADED_TABLES)
        summary = world.ids.summary()
        with write(session, SYSTEM) as unit:
            readmodel.rebuild(session)
            unit.audit("demo_loaded", "database", None, summary)
    refresh_planner_statistics(engine)
    return summary


def refresh_planner_statistics(engine: Engine) -> None:
    """After a bulk load on PostgreSQL: without statistics (autovacuum may be off or late) its
    planner scans whole tables, and saving one interview at 1M needs took 100 ms, not 20.
    SQLite's plans are fixed by the queries themselves (see rete.queries)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def _check_size(households: int, months: int) -> None:
    if households < 0:
        raise ValidationError("Il numero di nuclei dimostrativi non può essere negativo.")
    if months < 1:
        raise ValidationError("Indicare almeno un mese di dati dimostrativi.")


def clear_data(engine: Engine) -> None:
    """Delete every record except the reference data, the users and the audit trail."""
    with session_scope(engine) as session, write(session, SYSTEM) as unit:
        _clear(session)
        unit.audit("data_cleared", "database", None)


# --- Emptying the database


def holds_data(engine: Engine) -> bool:
    """True once anything but reference data is in the database (a user counts)."""
    with Session(engine) as session:
        return _holds_data(session)


def _holds_data(session: Session) -> bool:
    return any(
        session.scalar(select(exists().select_from(model)))
        for model in (Household, Interview, Partner, User, Neighbourhood)
    )


def _clear(session: Session) -> None:
    """Delete children before parents, then restart the ids, so a reload matches a fresh load."""
    session.flush()
    cleared = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    for table in cleared:
        session.execute(delete(table))
    _restart_sequences(session, cleared)
    session.expunge_all()


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _restart_sequences(session: Session, tables: Iterable[Table]) -> None:
    if not _is_postgresql(session):
        return  # SQLite's rowid ids restart by themselves once a table is empty
    for table in tables:
        if table.autoincrement_column is not None:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), 1, false)"),
                {"table": _quoted(session, table.name)},
            )


def _sync_sequences(session: Session, table_names: Iterable[str]) -> None:
    """After inserting explicit ids on PostgreSQL, move each sequence past the highest id."""
    if not _is_postgresql(session):
        return
    for name in table_names:
        table = Base.metadata.tables[name]
        if table.autoincrement_column is None:
            continue
        quoted = _quoted(session, name)
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence(:table, 'id'), max(id)) FROM {quoted}"),
            {"table": quoted},
        )


def _quoted(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)
