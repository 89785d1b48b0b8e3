"""Engine, sessions, schema migrations and the data version."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from rete.config import SETTING_DEFAULTS
from rete.errors import DatabaseUnavailable, SchemaOutdated, SchemaTooNew
from rete.models import DataVersion, Setting

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000

_engines: dict[str, Engine] = {}


def loggable(error: SQLAlchemyError) -> str:
    """A database error as the log may say it: its class and the driver's, SQLAlchemy's code
    and where it was raised (file, line, function), never its message, which quotes the
    statement's values (a household's code, a note) and, on PostgreSQL, the row that clashed
    («Key (code)=(VA-000123) already exists»)."""
    driver = getattr(error, "orig", None)
    kind = type(error).__name__
    if driver is not None:
        kind += f" ({type(driver).__module__}.{type(driver).__name__})"
    if error.code:
        kind += f" [{error.code}]"
    frames = traceback.extract_tb(error.__traceback__)
    # Our own frames, and the innermost (the library's): not every step inside the libraries.
    own = [f for f in frames[:-1] if not ("site-packages" in f.filename or f.filename[:1] == "<")]
    shown = own + frames[-1:]
    return "\n".join([kind, *(f"  {f.filename}:{f.lineno} in {f.name}" for f in shown)])


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged save survives a power cut.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Freed space is zeroed: an erased note or an old version of a rewritten row is not left in
    # the file (Debian's SQLite does it by default, other builds do not).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class _SQLiteCompiler(SQLiteCompiler):
    """Renders table hints (`Select.with_hint(table, "INDEXED BY ...", "sqlite")`), which
    SQLAlchemy's SQLite compiler drops: SQLite's planner misses some covering indexes."""

    def get_from_hint_text(self, table: Any, text: str | None) -> str | None:
        return text


def get_engine(url: str) -> Engine:
    """One engine per database URL for the whole process."""
    engine = _engines.get(url)
    if engine is None:
        engine = _create_engine(url)
        _engines[url] = engine
    return engine


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    except (ArgumentError, NoSuchModuleError) as error:
        log.error("invalid database URL: %s", type(error).__name__)
        raise DatabaseUnavailable(
            "L'indirizzo del database in RETE_DATABASE_URL non è valido: deve iniziare con "
            "sqlite:/// oppure postgresql+psycopg://. Correggerlo e riavviare Rete."
        ) from error
    except OSError as error:
        log.error("cannot create the database folder: %s", type(error).__name__)
        raise DatabaseUnavailable(
            "Non è possibile creare la cartella del database indicata in RETE_DATABASE_URL: "
            "controllare il percorso e i permessi, poi riavviare Rete."
        ) from error
    event.listen(engine, "connect", _set_sqlite_pragmas)
    engine.dialect.statement_compiler = _SQLiteCompiler
    return engine


def dispose_engine(url: str) -> None:
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def bump_data_version(session: Session) -> None:
    """Call inside every write transaction: caches keyed on the version then see the write."""
    result = session.execute(
        update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DataVersion(id=1, version=1))
        session.flush()


def read_setting(session: Session, key: str) -> str:
    """A run-time setting the admin may change, or its default."""
    value = session.scalar(select(Setting.value).where(Setting.key == key))
    return value if value is not None else SETTING_DEFAULTS[key]


def data_version(engine: Engine) -> int:
    with engine.connect() as connection:
        value = connection.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar()
    return int(value or 0)


# --- Schema migrations (Alembic) ---


def alembic_config() -> Config:
    """Alembic finds its scripts through the package; the connection is handed to it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    return head


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str

    @property
    def is_empty(self) -> bool:
        return self.current is None

    @property
    def is_current(self) -> bool:
        return self.current == self.head


def schema_state(engine: Engine) -> SchemaState:
    """Where the database stands against the code's migrations; raises if it cannot be read."""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        log.error("database unreachable: %s", type(error).__name__)
        raise DatabaseUnavailable(
            "Il database non è raggiungibile. Controllare l'indirizzo in RETE_DATABASE_URL "
            "e che il server del database sia acceso, poi ricaricare la pagina."
        ) from error
    return SchemaState(current=current, head=head_revision())


def check_schema(engine: Engine) -> SchemaState:
    """Raise a clear error when the database schema is not the one this code expects."""
    state = schema_state(engine)
    if state.is_current or state.is_empty:
        return state
    known = {rev.revision for rev in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}
    if state.current not in known:
        raise SchemaTooNew(
            "Il database è stato aggiornato da una versione di Rete più recente di questa. "
            "Installare la versione più recente dell'applicazione."
        )
    raise SchemaOutdated(
        "Il database usa una versione precedente dello schema. "
        "Un amministratore deve eseguire `python -m rete init` per aggiornarlo."
    )


def upgrade(engine: Engine) -> None:
    """Bring the schema to the code's head revision (refuses a database newer than the code)."""
    state = schema_state(engine)
    if state.is_current:
        return
    if not state.is_empty:
        with suppress(SchemaOutdated):
            check_schema(engine)
    log.info("upgrading database schema from %s to %s", state.current, state.head)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
