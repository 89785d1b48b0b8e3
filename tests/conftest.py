"""Shared fixtures: a fresh real database per test (SQLite, and PostgreSQL when its URL is set)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import log_privacy
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from rete import db, taxonomy
from rete.db import session_scope
from rete.models import User

POSTGRES_URL = os.environ.get("RETE_TEST_POSTGRES_URL")
SKIP_POSTGRES = "RETE_TEST_POSTGRES_URL is not set: PostgreSQL cases skipped"


def pytest_configure(config: pytest.Config) -> None:
    """Keep the whole session's log (tests/log_privacy.py)."""
    log_privacy.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """No personal data of the test data in the session's log, or the session fails."""
    log_privacy.check(session)


@pytest.fixture(autouse=True)
def _isolated_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever touches data/rete.db: each one points Rete at its own file."""
    monkeypatch.setenv("RETE_DATABASE_URL", f"sqlite:///{tmp_path / 'isolated.db'}")
    monkeypatch.delenv("RETE_DEMO", raising=False)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its real cost is most of a small test's time; verification reads the cost
    from the hash itself, so logging in works the same."""
    from argon2 import PasswordHasher

    from rete import passwords

    monkeypatch.setattr(
        passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(autouse=True)
def _navigation_as_in_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest rerun app.py like the server does.

    AppTest resets `PagesManager.uses_pages_directory` before every run; with a `pages/` folder
    present, every run after the first then executes the page file alone (the old pages-folder
    mode), skipping app.py. The server sets the flag once, on the first `st.navigation` call.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield server
    server.dispose()


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL or "").set(database=name).render_as_string(hide_password=False)


def _fresh_postgres_url(server: Engine, template: str | None = None) -> str:
    name = f"rete_test_{uuid.uuid4().hex[:12]}"
    with server.connect() as connection:
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    return _postgres_url(name)


def _migrate_and_seed(url: str) -> None:
    engine = db.get_engine(url)
    db.upgrade(engine)
    with session_scope(engine) as session:
        taxonomy.seed_reference_data(session)
    db.dispose_engine(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file, copied for each test: migrating every time is slow."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate_and_seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: Engine) -> Iterator[str]:
    url = _fresh_postgres_url(postgres_server)
    _migrate_and_seed(url)
    yield url
    _drop_postgres(postgres_server, url)


def _drop_postgres(server: Engine, url: str) -> None:
    name = make_url(url).database
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rete.db'}"
        yield url
        db.dispose_engine(url)
        return
    server = request.getfixturevalue("postgres_server")
    url = _fresh_postgres_url(server)
    yield url
    db.dispose_engine(url)
    _drop_postgres(server, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """A migrated database with the reference data (categories, channels), and nothing else."""
    if request.param == "sqlite":
        path = tmp_path / "rete.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("postgres_server")
        template = make_url(request.getfixturevalue("postgres_template")).database
        url = _fresh_postgres_url(server, template)
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    yield db.get_engine(url)
    db.dispose_engine(url)
    if request.param == "postgresql":
        _drop_postgres(request.getfixturevalue("postgres_server"), url)


@pytest.fixture
def today() -> dt.date:
    """The frozen 'today' of tests where the date matters."""
    return dt.date(2026, 11, 25)


@pytest.fixture
def cast(engine: Engine) -> dict[str, int]:
    """A user per permission case, password 'password-di-prova' for all: name -> id."""
    from rete import auth

    people = {
        "dora": "direzione",  # management: charts only
        "olga": "operatore",  # community manager: personal data too
        "ada": "admin",
        "ugo": "operatore",  # deactivated below
    }
    ids = {}
    with session_scope(engine) as session:
        for name, role in people.items():
            ids[name] = auth.create_user(session, name, name.title(), role, "password-di-prova").id
        session.get(User, ids["ugo"]).active = False  # type: ignore[union-attr]
    return ids
