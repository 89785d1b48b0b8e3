"""`python -m rete`: every command explains itself, and does what it says."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from rete import access, auth, cli, db
from rete.models import Household, User

PROJECT = Path(__file__).resolve().parent.parent


def commands() -> dict:
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    return subparsers.choices


def test_every_command_has_help_with_an_example():
    assert set(commands()) == {
        "init",
        "demo",
        "create-user",
        "status",
        "export-hsds",
        "import-hsds",
        "deck",
        "backup",
        "restore",
        "retention",
    }
    for name, sub in commands().items():
        assert sub.description, name
        assert "Example: python -m rete " + name in sub.description, name


def test_python_dash_m_rete_prints_its_help():
    result = subprocess.run(
        [sys.executable, "-m", "rete", "--help"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in commands():
        assert name in result.stdout


def test_every_command_and_every_page_is_named_in_the_readme():
    readme = (PROJECT / "README.md").read_text()
    for name in commands():
        assert f"`{name}" in readme, name
    for spec in access.PAGES:  # the registry names every page (tests/test_access.py)
        assert spec.title in readme, spec.file


def test_init_no_demo_creates_the_first_admin_from_the_environment(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    monkeypatch.setenv("RETE_ADMIN_PASSWORD", "una-password-lunga")
    assert cli.main(["init", "--no-demo"]) == 0
    assert "admin" in capsys.readouterr().out
    engine = db.get_engine(url)
    assert auth.authenticate(engine, "admin", "una-password-lunga").role == "admin"
    with Session(engine) as session:
        assert session.scalar(select(Household.id)) is None  # a real installation: no demo data


def test_init_no_demo_refuses_a_short_password_and_creates_nobody(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    monkeypatch.setenv("RETE_ADMIN_PASSWORD", "corta")
    assert cli.main(["init", "--no-demo"]) == 1
    assert "almeno 12" in capsys.readouterr().err
    with Session(db.get_engine(url)) as session:
        assert session.scalars(select(User)).all() == []


def test_init_without_a_terminal_or_password_says_how_to_give_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RETE_DATABASE_URL", f"sqlite:///{tmp_path / 'real.db'}")
    monkeypatch.delenv("RETE_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))  # noqa: SIM115
    assert cli.main(["init", "--no-demo"]) == 1
    assert "RETE_ADMIN_PASSWORD" in capsys.readouterr().err


def test_demo_refuses_a_database_with_data_unless_replace(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RETE_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    assert cli.main(["demo", "--households", "20", "--seed", "3"]) == 0
    assert "20 nuclei" in capsys.readouterr().out
    assert cli.main(["demo", "--households", "20"]) == 1
    assert "--replace" in capsys.readouterr().err
    assert cli.main(["demo", "--households", "30", "--replace"]) == 0
    assert "30 nuclei" in capsys.readouterr().out


def test_create_user_adds_a_user_who_can_log_in(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    monkeypatch.setenv("RETE_ADMIN_PASSWORD", "una-password-lunga")
    cli.main(["init", "--no-demo"])
    monkeypatch.setenv("RETE_NEW_PASSWORD", "password-di-maria")
    assert cli.main(["create-user", "mrossi", "--role", "operatore", "--name", "Maria Rossi"]) == 0
    assert (
        auth.authenticate(db.get_engine(url), "mrossi", "password-di-maria").display_name
        == "Maria Rossi"
    )
    assert cli.main(["create-user", "mrossi", "--role", "operatore"]) == 1
    assert "Esiste già" in capsys.readouterr().err


@pytest.mark.parametrize("demo_flag", [True, False])
def test_status_tells_which_database_and_whether_it_is_demo(
    tmp_path, monkeypatch, capsys, demo_flag
):
    monkeypatch.setenv("RETE_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    monkeypatch.setenv("RETE_ADMIN_PASSWORD", "una-password-lunga")
    cli.main(["demo", "--households", "10"] if demo_flag else ["init", "--no-demo"])
    capsys.readouterr()
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"Schema: {db.head_revision()}" in out
    assert ("Dati dimostrativi: sì" if demo_flag else "Dati dimostrativi: no") in out
