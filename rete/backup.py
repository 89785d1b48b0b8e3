"""Backup and restore of Rete's SQLite database (`python -m rete backup` / `restore`).

A backup is taken online through SQLite's backup API, so the app may keep writing meanwhile:
the copy is one consistent snapshot, WAL included (copying the file would miss what is still
in the WAL and could catch a page half written). The copy is made a single self-contained file
and proved with `PRAGMA integrity_check` before it takes its name.

A restore checks the file first (SQLite, intact, a Rete database, a schema this code knows),
upgrades a copy of it to the code's schema and records the restore in it, and only then swaps
it in place, the previous database kept aside under a name with the time: a file refused, or
anything failing before the swap, leaves the current database as it was.

PostgreSQL has its own tools (`pg_dump`, `pg_restore`, see the README); both commands refuse it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from rete import db, formats
from rete.config import local_time, sqlite_file
from rete.errors import ReteError, SchemaOutdated, SchemaTooNew
from rete.workspace import erasure
from rete.writes import SYSTEM, write

SQLITE_HEADER = b"SQLite format 3\x00"
# A Rete database has its migrations' table and these, whatever its schema revision.
REQUIRED_TABLES = ("alembic_version", "audit_entry", "data_version", "interview", "need")
# How long a restore waits for the current database before saying it is in use.
IN_USE_TIMEOUT_S = 2.0
ASIDE_INFIX = "prima-del-ripristino"


class BackupError(ReteError):
    """A backup or a restore that cannot be done as asked; the message says what to do."""


class InvalidBackup(BackupError):
    """The file given to restore is not a sound backup of a Rete database."""


class DatabaseInUse(BackupError):
    """Another program (Rete itself, most likely) has the database open: a restore waits."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    revision: str
    audited: bool

    def summary(self) -> str:
        lines = [
            f"Backup del database scritto in {self.path} ({_size(self.size)}, schema "
            f"{self.revision}): controllo di integrità superato."
        ]
        if not self.audited:
            lines.append(
                "Lo schema del database è precedente a quello del codice: il backup non è "
                "stato annotato nel registro accessi."
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    target: Path
    kept_aside: Path | None
    revision: str  # the backup's schema revision
    head: str  # the code's, which the restored database now has

    def summary(self) -> str:
        lines = [f"Database {self.target} ripristinato dal backup {self.source}."]
        if self.kept_aside is not None:
            lines.append(f"Il database precedente è conservato in {self.kept_aside}.")
        else:
            lines.append("Non c'era un database precedente da conservare.")
        if self.revision != self.head:
            lines.append(f"Schema aggiornato dalla versione {self.revision} alla {self.head}.")
        lines.append("Avviare Rete: userà il database ripristinato.")
        return "\n".join(lines)


# --- Backup


def backup(url: str, out: Path) -> BackupResult:
    """Copy the live database at `url` into the new file `out`, checked; recorded in the
    database's audit trail when its schema is the code's."""
    source = _sqlite_database(url, "backup")
    if not source.is_file():
        raise BackupError(f"Il database {source} non esiste: non c'è nulla da salvare.")
    engine = db.get_engine(url)
    state = db.schema_state(engine)
    if state.is_empty:
        raise BackupError("Il database è vuoto: non c'è nulla da salvare.")
    with suppress(SchemaOutdated):  # an older schema is saved (before an upgrade, say)
        db.check_schema(engine)  # a newer one is refused: this code could not restore it
    out = out.expanduser()
    if out.exists():
        raise BackupError(
            f"Il file «{out}» esiste già: scegliere un altro nome, per non sovrascrivere un "
            "backup precedente."
        )
    folder = out.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise BackupError(f"Non si può scrivere nella cartella «{folder}»: sceglierne un'altra.")
    if out.resolve() == source.resolve():
        raise BackupError("Il backup non può sovrascrivere il database stesso.")
    with _temporary_file(folder, out.name) as partial:
        _copy_online(source, partial)
        revision = _check(partial, name=out.name)
        _durable_rename(partial, out)
    audited = state.is_current
    if audited:
        with db.session_scope(engine) as session, write(session, SYSTEM) as unit:
            summary = f"{out.name} ({_size(out.stat().st_size)})"
            unit.audit("database_backed_up", "database", None, summary)
    return BackupResult(out, out.stat().st_size, revision, audited)


def _copy_online(source: Path, destination: Path) -> None:
    """One consistent snapshot of a database others may be writing, as one file."""
    try:
        with (
            closing(_connect(source, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)) as live,
            closing(sqlite3.connect(destination)) as copy,
        ):
            # pages=-1: the whole database in one step, under one read transaction, so a
            # concurrent commit can neither tear the copy nor restart it.
            live.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # no -wal file to carry along
    except sqlite3.Error as error:
        raise BackupError(
            f"Il backup non è riuscito ({error}): controllare lo spazio libero e riprovare."
        ) from error
    _fsync(destination)


# --- Checking a file


def _check_header(path: Path, name: str) -> None:
    if not path.is_file():
        raise InvalidBackup(f"Il file «{path}» non esiste: indicare il file del backup.")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise InvalidBackup(
                f"Il file «{name}» non è un database SQLite: indicare un file creato con "
                "`python -m rete backup`."
            )


def _check(path: Path, *, name: str) -> str:
    """The schema revision of a sound copy of a Rete database; `InvalidBackup` or
    `SchemaTooNew` saying what is wrong with any other file."""
    _check_header(path, name)
    try:
        with closing(_connect(path, timeout=0)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revisions = (
                [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
    except sqlite3.DatabaseError as error:
        raise InvalidBackup(
            f"Il file «{name}» è danneggiato ({error}): usare un altro backup."
        ) from error
    if problems != ["ok"]:
        raise InvalidBackup(
            f"Il file «{name}» non ha superato il controllo di integrità (è danneggiato): usare "
            "un altro backup."
        )
    if not set(REQUIRED_TABLES) <= tables or len(revisions) != 1:
        raise InvalidBackup(
            f"Il file «{name}» è un database SQLite ma non un database di Rete: indicare un "
            "file creato con `python -m rete backup`."
        )
    revision = str(revisions[0])
    if revision not in known_revisions():
        raise SchemaTooNew(
            f"Il backup «{name}» viene da una versione di Rete più recente di questa (schema "
            f"{revision}): installare la versione più recente di Rete, poi ripristinarlo."
        )
    return revision


def known_revisions() -> set[str]:
    """Every schema revision the code's migrations know."""
    script = ScriptDirectory(str(db.MIGRATIONS_DIR))
    return {revision.revision for revision in script.walk_revisions()}


# --- Restore


def restore(url: str, source: Path, *, now: dt.datetime | None = None) -> RestoreResult:
    """Put the backup `source` in place of the database at `url`, keeping the current one
    aside; the restored database is upgraded to the code's schema and records the restore."""
    target = _sqlite_database(url, "restore")
    source = source.expanduser()
    _check_header(source, source.name)
    if source.resolve() == target.resolve():
        raise BackupError("Il file indicato è il database in uso: indicare il file del backup.")
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    db.dispose_engine(url)  # this process's own connections would hold the file
    with _temporary_file(folder, target.name) as staging:
        # The checks run on the copy that goes in place, and the user's file is never opened
        # by SQLite (which could add a -wal beside it or roll back a journal in it).
        shutil.copyfile(source, staging)
        revision = _check(staging, name=source.name)
        erased = _erased_households(target)
        _prepare(staging, source.name, revision, erased)
        _fsync(staging)
        if target.exists():
            shutil.copymode(target, staging)  # the app's user reads it as it read the previous
        aside = _take_aside(target, now or dt.datetime.now(dt.UTC))
        try:
            _durable_rename(staging, target)
        except OSError:
            if aside is not None:
                os.replace(aside, target)
            raise
    return RestoreResult(source, target, aside, revision, db.head_revision())


REERASED_NOTE = "cancellazione ripetuta dopo il ripristino di un backup"


def _erased_households(target: Path) -> list[int]:
    """The households whose personal data the current database has erased: a backup made
    before an erasure still holds them, and a restore must not bring them back."""
    if not target.exists():
        return []
    try:
        with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                "SELECT id FROM household WHERE erased_at IS NOT NULL ORDER BY id"
            ).fetchall()
    except sqlite3.DatabaseError:
        return []  # no readable database, or one from before erasures existed
    return [int(row[0]) for row in rows]


def _prepare(staging: Path, source_name: str, revision: str, erased: Sequence[int]) -> None:
    """Upgrade the copy to the code's schema, erase again there the households the current
    database had erased, and record the restore in its audit trail."""
    staging_url = f"sqlite:///{staging}"
    engine = db.get_engine(staging_url)
    try:
        db.upgrade(engine)
        again = 0
        for start in range(0, len(erased), erasure.BATCH_MAX):
            with db.session_scope(engine) as session:
                batch = erased[start : start + erasure.BATCH_MAX]
                again += erasure.erase_households(
                    session, SYSTEM, batch, erasure.REASON_REQUEST, REERASED_NOTE
                ).households
        with db.session_scope(engine) as session, write(session, SYSTEM) as unit:
            summary = f"da {source_name} (schema {revision})"
            if again:
                households = "1 nucleo" if again == 1 else f"{again} nuclei"
                summary += f"; cancellati di nuovo i dati personali di {households}"
            unit.audit("database_restored", "database", None, summary)
    finally:
        db.dispose_engine(staging_url)
    with closing(sqlite3.connect(staging)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal left beside it


def _take_aside(target: Path, now: dt.datetime) -> Path | None:
    """Move the current database (and any -wal/-shm file of it) to a name with the time;
    refuses while another program has it open."""
    if not target.exists():
        return None
    try:
        with closing(_connect(target, timeout=IN_USE_TIMEOUT_S)) as connection:
            # Leaving WAL mode needs the only connection: it fails while Rete has the file
            # open, and it moves what is still in the WAL into the file.
            connection.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.DatabaseError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseInUse(
                "Il database è in uso (Rete è avviata?): fermare Rete, poi ripetere il "
                "ripristino. Il database non è stato modificato."
            ) from error
        # Any other error: a damaged database, likely the reason for restoring. It is set
        # aside as it is, with its WAL, for whoever wants to look into it.
    stamp = local_time(now).strftime("%Y%m%d-%H%M%S")
    aside = target.with_name(f"{target.stem}.{ASIDE_INFIX}-{stamp}{target.suffix}")
    number = 1
    while aside.exists():
        number += 1
        aside = target.with_name(f"{target.stem}.{ASIDE_INFIX}-{stamp}-{number}{target.suffix}")
    os.replace(target, aside)
    for sidecar in ("-wal", "-shm", "-journal"):
        companion = target.with_name(target.name + sidecar)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + sidecar))
    return aside


# --- Helpers


def _sqlite_database(url: str, command: str) -> Path:
    """The database file; PostgreSQL is refused with its own tool."""
    if make_url(url).get_backend_name() != "sqlite":
        tool = "pg_dump" if command == "backup" else "pg_restore"
        raise BackupError(
            f"Con PostgreSQL il comando `{command}` di Rete non si usa: usare {tool} come "
            "spiegato nel README, sezione «Backup and restore»."
        )
    path = sqlite_file(url)
    if path is None:
        raise BackupError(
            "RETE_DATABASE_URL non indica un file SQLite (sqlite:///percorso/rete.db): "
            "correggerlo e riprovare."
        )
    return path


def _connect(path: Path, *, timeout: float) -> sqlite3.Connection:
    """An existing database file, never created by opening it."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout)


@contextmanager
def _temporary_file(folder: Path, name: str) -> Iterator[Path]:
    """A file beside its final place (same file system, so the rename is atomic), removed
    if it is still there when the block ends."""
    handle, raw = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".parziale")
    os.close(handle)
    path = Path(raw)
    try:
        yield path
    finally:
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            with suppress(FileNotFoundError):
                leftover.unlink()


def _durable_rename(source: Path, destination: Path) -> None:
    os.replace(source, destination)
    _fsync_folder(destination.parent)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _size(size: int) -> str:
    if size < 1_000_000:
        return f"{formats.number(size / 1000, 1)} kB"
    return f"{formats.number(size / 1_000_000, 1)} MB"
