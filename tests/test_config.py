"""Which database Rete opens, and when it is the default file that gets demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rete import bootstrap, config, db


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Rete's folder moved into tmp_path (so data/rete.db is a scratch file), and a working
    directory elsewhere, as with `streamlit run /opt/rete/app.py` started from a home folder."""
    root = tmp_path / "rete"
    root.mkdir()
    monkeypatch.setattr(config, "PROJECT_DIR", root)
    monkeypatch.setattr(config, "DATA_DIR", root / "data")
    monkeypatch.setattr(config, "SECRETS_FILE", root / ".streamlit" / "secrets.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    yield root
    for url in list(db._engines):
        if str(tmp_path) in url:
            db.dispose_engine(url)


def settings_for(url: str | None, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    if url is None:
        monkeypatch.delenv("RETE_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("RETE_DATABASE_URL", url)
    return config.load_settings()


DEFAULT_SPELLINGS = [
    None,
    "",
    "sqlite:///data/rete.db",  # as the README writes it
    "  sqlite:///data/rete.db\n",
    "sqlite:///./data/rete.db",
    "sqlite:///data/../data/rete.db",
    "sqlite+pysqlite:///data/rete.db",
    "sqlite:///data/rete.db?timeout=30",
    "ABSOLUTE",  # sqlite:////…/rete/data/rete.db
]


@pytest.mark.parametrize("spelling", DEFAULT_SPELLINGS)
def test_every_spelling_of_the_default_file_is_the_default(project, monkeypatch, spelling):
    url = f"sqlite:///{project / 'data' / 'rete.db'}" if spelling == "ABSOLUTE" else spelling
    settings = settings_for(url, monkeypatch)
    assert settings.is_default_embedded
    assert config.sqlite_file(settings.database_url) == project / "data" / "rete.db"


@pytest.mark.parametrize(
    "spelling",
    [
        "sqlite:///data/rete.db",
        "sqlite:///./data/rete.db",
        "sqlite:///data/../data/rete.db",
        "ABSOLUTE",
    ],
)
def test_the_default_file_gets_one_url_however_it_is_spelled(project, monkeypatch, spelling):
    """One URL, so the app and `python -m rete` share one engine and one cache key."""
    url = f"sqlite:///{project / 'data' / 'rete.db'}" if spelling == "ABSOLUTE" else spelling
    assert (
        settings_for(url, monkeypatch).database_url == settings_for(None, monkeypatch).database_url
    )


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///data/altro.db",
        "sqlite:///rete.db",  # Rete's folder, not its data folder
        "sqlite:///data/rete.db.bak",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://rete:secret@dbhost:5432/rete",
        "WORKING_DIRECTORY",  # a data/rete.db beside where the command was typed
    ],
)
def test_any_other_database_is_not_the_default(project, monkeypatch, url):
    if url == "WORKING_DIRECTORY":
        url = f"sqlite:///{Path.cwd() / 'data' / 'rete.db'}"
    assert not settings_for(url, monkeypatch).is_default_embedded


def test_a_relative_sqlite_path_is_taken_from_retes_folder_not_the_working_directory(
    project, monkeypatch
):
    settings = settings_for("sqlite:///data/prova.db", monkeypatch)
    assert config.sqlite_file(settings.database_url) == project / "data" / "prova.db"
    assert settings.database_url == f"sqlite:///{project / 'data' / 'prova.db'}"


def test_settings_made_by_hand_read_a_relative_path_from_retes_folder_too(project):
    assert config.Settings("sqlite:///data/rete.db", demo_requested=False).is_default_embedded
    assert config.sqlite_file("sqlite:///data/x.db") == project / "data" / "x.db"


def test_the_default_spelled_in_secrets_toml_is_the_default(project, monkeypatch):
    monkeypatch.delenv("RETE_DATABASE_URL")
    (project / ".streamlit").mkdir()
    (project / ".streamlit" / "secrets.toml").write_text(
        'RETE_DATABASE_URL = "sqlite:///data/rete.db"\n'
    )
    assert config.load_settings().is_default_embedded


def test_a_postgresql_url_is_used_as_written(project, monkeypatch):
    url = "postgresql+psycopg://rete:p%40ss@dbhost:5432/rete"
    assert settings_for(url, monkeypatch).database_url == url


@pytest.mark.parametrize(
    ("url", "demo"), [("sqlite:///data/rete.db", True), ("sqlite:///data/altro.db", False)]
)
def test_the_documented_default_gets_demo_data_on_first_start(project, monkeypatch, url, demo):
    """README: "On the first start Rete creates data/rete.db … fills it with demo data"."""
    loaded: list[str] = []
    monkeypatch.setattr(
        bootstrap.demo, "load_demo", lambda engine: loaded.append(str(engine.url.database))
    )
    bootstrap.prepare_engine(settings_for(url, monkeypatch))
    assert loaded == ([str(project / "data" / "rete.db")] if demo else [])
    assert not (Path.cwd() / "data").exists()  # nothing written where the command was typed
