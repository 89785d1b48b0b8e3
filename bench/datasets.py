"""The benchmark's datasets: generated once with `rete.demo`, then reused while they fit.

A dataset is a SQLite file under `bench/data/` (git-ignored) or a PostgreSQL database named
`rete_bench_<size>`. Once its demo data are loaded it gets a marker (a `setting` row saying how
it was made) and an `operatore` user for the page runs; a run reuses a dataset whose marker
matches (migrating its schema to the code's first, when behind) and regenerates it otherwise,
or when asked to.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.canonical import DATA_LAST_DAY
from rete import auth, db, demo, taxonomy
from rete.db import session_scope
from rete.models import Household, Interview, Need, Referral, Setting, User

# Households per dataset: the demo makes ~2.5 needs per household (1.67 interviews x 1.5 needs).
SIZES = {"10k": 4_000, "100k": 40_000, "1M": 400_000}
SEED = demo.DEFAULT_SEED
MONTHS = 12  # the needs are dated within one year
DATA_DIR = Path(__file__).resolve().parent / "data"
MARKER_KEY = "bench_dataset"
GENERATION_KEY = "bench_generation_s"
BENCH_USER = "bench"
BENCH_ROLE = "operatore"  # the workspace's pages are theirs; they see the Cruscotto too
BENCH_PASSWORD = "benchmark-non-interattivo"  # never used to log in: page runs set the user
SQLITE = "SQLite"
POSTGRESQL = "PostgreSQL"

UserTuple = tuple[int, str, str, str]  # auth.CurrentUser's fields, picklable for child processes


@dataclass(frozen=True)
class Dataset:
    """A database filled with demo data, ready to be measured."""

    label: str
    backend: str
    url: str
    households: int
    interviews: int
    needs: int
    referrals: int
    generation_seconds: float
    generated_now: bool
    user: UserTuple

    @property
    def current_user(self) -> auth.CurrentUser:
        return auth.CurrentUser(*self.user)


def marker(households: int) -> str:
    """What a dataset made by this benchmark says about itself."""
    return f"{households} nuclei, seme {SEED}, {MONTHS} mesi fino al {DATA_LAST_DAY.isoformat()}"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def postgres_url(server_url: str, database: str) -> str:
    """The server's URL pointed at another database."""
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


# --- Generating and checking


def _read_setting(engine: Engine, key: str) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(Setting.value).where(Setting.key == key))


def _user_role(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(User.role).where(User.username == BENCH_USER))


def _is_ready(url: str, households: int) -> bool:
    """True when the database holds a finished dataset of this benchmark with this size, whose
    user has the role the page items need (datasets made before the workspace had `direzione`).

    A dataset whose schema is behind the code's is brought to it in place, as `python -m rete
    init` does (adding a column takes a second; regenerating 1M needs takes minutes). A
    migration that needs rows the demo makes is not enough for that: change `marker()` with it,
    so the datasets are made again."""
    engine = db.get_engine(url)
    try:
        if not (
            _read_setting(engine, MARKER_KEY) == marker(households)
            and _user_role(engine) == BENCH_ROLE
        ):
            return False
        db.upgrade(engine)  # nothing when current; refuses a schema newer than the code
        return True
    except Exception:  # a half-written, foreign or newer file: regenerate it
        return False
    finally:
        db.dispose_engine(url)


def _generate(url: str, households: int) -> float:
    """Migrate, load the demo data, add the marker and the user; returns the seconds it took."""
    started = time.perf_counter()
    engine = db.get_engine(url)
    db.upgrade(engine)
    with session_scope(engine) as session:
        taxonomy.seed_reference_data(session)
    demo.load_demo(engine, households=households, seed=SEED, months=MONTHS, today=DATA_LAST_DAY)
    seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        session.execute(delete(Setting).where(Setting.key.in_([MARKER_KEY, GENERATION_KEY])))
        auth.create_user(session, BENCH_USER, "Benchmark", BENCH_ROLE, BENCH_PASSWORD)
        session.add(Setting(key=GENERATION_KEY, value=f"{seconds:.1f}"))
        session.add(Setting(key=MARKER_KEY, value=marker(households)))
    db.dispose_engine(url)
    return seconds


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _describe(label: str, backend: str, url: str, generated_now: bool) -> Dataset:
    """Count what the dataset holds and find its user."""
    engine = db.get_engine(url)
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == BENCH_USER)).one()
        dataset = Dataset(
            label=label,
            backend=backend,
            url=url,
            households=_count(session, Household),
            interviews=_count(session, Interview),
            needs=_count(session, Need),
            referrals=_count(session, Referral),
            generation_seconds=float(_read_setting(engine, GENERATION_KEY) or "nan"),
            generated_now=generated_now,
            user=(user.id, user.username, user.display_name, user.role),
        )
    db.dispose_engine(url)
    return dataset


# --- SQLite files


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_dataset(label: str, directory: Path, *, regenerate: bool) -> Dataset:
    """The SQLite dataset of this size in `directory`, generated if missing or not matching."""
    households = SIZES[label]
    path = directory / f"rete-bench-{label}.db"
    url = sqlite_url(path)
    fresh = regenerate or not path.exists() or not _is_ready(url, households)
    if fresh:
        _remove_sqlite(path)
        directory.mkdir(parents=True, exist_ok=True)
        _generate(url, households)
    return _describe(label, SQLITE, url, fresh)


@contextmanager
def sqlite_scratch_copy(dataset: Dataset, directory: Path) -> Iterator[str]:
    """A copy of the file to write into, removed afterwards (the dataset stays as generated).

    The copy sits beside the dataset, on the same disk: a save's fsync costs what it costs there.
    """
    source = Path(make_url(dataset.url).database or "")
    copy = directory / f"scratch-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(source, copy)
    try:
        yield sqlite_url(copy)
    finally:
        db.dispose_engine(sqlite_url(copy))
        _remove_sqlite(copy)


# --- PostgreSQL databases


def _server(server_url: str) -> Engine:
    return create_engine(server_url, isolation_level="AUTOCOMMIT")


def _database_exists(server: Engine, name: str) -> bool:
    with server.connect() as connection:
        found = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
    return found is not None


def create_database(server_url: str, name: str, template: str | None = None) -> None:
    server = _server(server_url)
    suffix = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    server.dispose()


def drop_database(server_url: str, name: str) -> None:
    server = _server(server_url)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def postgres_database_name(label: str) -> str:
    return f"rete_bench_{label.lower()}"


def postgres_dataset(label: str, server_url: str, name: str, *, regenerate: bool) -> Dataset:
    """The PostgreSQL dataset of this size in database `name`, generated if missing or stale."""
    households = SIZES[label]
    url = postgres_url(server_url, name)
    server = _server(server_url)
    exists = _database_exists(server, name)
    server.dispose()
    fresh = regenerate or not exists or not _is_ready(url, households)
    if fresh:
        drop_database(server_url, name)
        create_database(server_url, name)
        _generate(url, households)
    return _describe(label, POSTGRESQL, url, fresh)


@contextmanager
def postgres_scratch_copy(dataset: Dataset, server_url: str) -> Iterator[str]:
    """A copy of the database (CREATE DATABASE ... TEMPLATE) to write into, dropped afterwards."""
    source = make_url(dataset.url).database or ""
    name = f"{source}_scratch_{uuid.uuid4().hex[:8]}"
    create_database(server_url, name, template=source)
    try:
        yield postgres_url(server_url, name)
    finally:
        db.dispose_engine(postgres_url(server_url, name))
        drop_database(server_url, name)


def server_version(url: str) -> str:
    """The database server's version, e.g. '15.20'."""
    engine = create_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            version = connection.execute(text("SHOW server_version")).scalar()
        else:
            version = connection.execute(text("SELECT sqlite_version()")).scalar()
    engine.dispose()
    return str(version).split(" ")[0]
