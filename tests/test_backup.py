"""`python -m rete backup` / `restore`: a backup gives every row back, is consistent while the
app writes, and a restore refuses any file it could not trust, leaving the database untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from actors import add_household, editor
from alembic import command
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from test_readmodel import actual_read_model, expected_read_model

from rete import backup, cli, db, demo, records
from rete.db import session_scope
from rete.errors import SchemaTooNew
from rete.models import AuditEntry, Category, Interview, Need, Neighbourhood

HELD_ON = dt.date(2026, 11, 20)


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch):
    """Rete's SQLite database with a little of everything (the demo data), as the app's."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "rete.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("RETE_DATABASE_URL", url)
    demo.load_demo(db.get_engine(url), households=25, seed=7, months=6, today=HELD_ON)
    yield url
    db.dispose_engine(url)


def path_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def row_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def integrity(path: Path) -> list[tuple[str]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchall()


def files_and_contents(folder: Path) -> dict[str, str]:
    """What a folder holds, byte for byte (the app's connections closed first, so the
    database is one file)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def save_interview(engine: Engine, code: str) -> int:
    """A new household and its interview with two needs, as «Nuovo colloquio» saves them."""
    with session_scope(engine) as session:
        needs = session.scalars(
            select(Category.id).where(Category.parent_id.is_not(None), Category.active).limit(2)
        ).all()
        place = session.scalar(select(Neighbourhood.id).order_by(Neighbourhood.id).limit(1))
        household = add_household(session, code=code, neighbourhood_id=place)
        return records.record_interview(
            session,
            editor(session),
            household_id=household.id,
            held_on=HELD_ON,
            channel_code="telefono",
            needs=[records.NeedInput(category_id=n) for n in needs],
            today=HELD_ON,
        ).id


def last_audit(engine: Engine) -> AuditEntry:
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    return entry


# --- Backup, then restore


def test_backup_then_restore_gives_back_every_row_and_keeps_the_previous_database(live, tmp_path):
    engine = db.get_engine(live)
    before = row_counts(path_of(live))
    out = tmp_path / "copie" / "rete-backup.db"
    out.parent.mkdir()

    result = backup.backup(live, out)

    assert integrity(out) == [("ok",)]
    assert row_counts(out) == before
    assert result.path == out and result.revision == db.head_revision() and result.audited
    entry = last_audit(engine)
    assert (entry.action, entry.entity, entry.user_id) == ("database_backed_up", "database", None)
    assert entry.summary.startswith("rete-backup.db (") and "/" not in entry.summary
    assert out.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only

    new_interview = save_interview(engine, "DOPO-BACKUP")  # a change the restore takes back
    result = backup.restore(live, out)

    restored = row_counts(path_of(live))
    assert integrity(path_of(live)) == [("ok",)]
    assert restored == {**before, "audit_entry": before["audit_entry"] + 1}
    engine = db.get_engine(live)
    assert last_audit(engine).action == "database_restored"
    assert "rete-backup.db" in (last_audit(engine).summary or "")
    with Session(engine) as session:
        assert session.get(Interview, new_interview) is None
        assert actual_read_model(session) == expected_read_model(session)
    # The previous database, with the interview saved after the backup, sits beside it.
    aside = result.kept_aside
    assert aside is not None and aside.parent == path_of(live).parent
    assert aside.name.startswith("rete.prima-del-ripristino-") and aside.suffix == ".db"
    assert row_counts(aside)["interview"] == before["interview"] + 1
    assert integrity(aside) == [("ok",)]
    names = {p.name for p in aside.parent.iterdir()} - {"rete.db-wal", "rete.db-shm"}  # open
    assert names == {"rete.db", aside.name}  # and nothing left of the restore's work


def test_a_backup_taken_while_another_connection_writes_is_consistent(live, tmp_path):
    """The app keeps saving during the backup: the copy is one moment of the database, with
    every save acknowledged before it started (a plain file copy misses those still in the WAL
    and can catch a page half written)."""
    engine = db.get_engine(live)
    acknowledged: list[int] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_saving() -> None:
        try:
            count = 0
            while not stop.is_set():
                count += 1
                acknowledged.append(save_interview(engine, f"CONC-{count:05d}"))
        except BaseException as error:
            failures.append(error)

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        copies = []
        for number in range(3):
            while len(acknowledged) < 5 * (number + 1):
                stop.wait(0.01)
                assert writer.is_alive(), failures
            saved_before = list(acknowledged)
            out = tmp_path / f"durante-{number}.db"
            backup.backup(live, out)
            copies.append((out, saved_before))
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures, failures
    for out, saved_before in copies:
        assert integrity(out) == [("ok",)]
        url = f"sqlite:///{out}"
        try:
            with Session(db.get_engine(url)) as session:
                present = set(session.scalars(select(Interview.id)))
                assert set(saved_before) <= present, out.name
                needs = session.execute(
                    select(Need.interview_id, func.count()).group_by(Need.interview_id)
                ).all()
                assert all(count >= 1 for _, count in needs)
                assert {i for i, _ in needs} == present  # no interview without its needs
                assert actual_read_model(session) == expected_read_model(session)
        finally:
            db.dispose_engine(url)


def test_restore_of_an_older_schema_upgrades_it(live, tmp_path):
    old = tmp_path / "vecchio.db"
    old_url = f"sqlite:///{old}"
    config = db.alembic_config()
    with db.get_engine(old_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    out = tmp_path / "vecchio-backup.db"
    result = backup.backup(old_url, out)
    db.dispose_engine(old_url)
    assert result.revision == "0005" and not result.audited  # its audit trail predates 0006
    assert "non è stato annotato" in result.summary()

    restored = backup.restore(live, out)

    assert db.schema_state(db.get_engine(live)).is_current
    assert f"Schema aggiornato dalla versione 0005 alla {db.head_revision()}" in (
        restored.summary()
    )
    assert last_audit(db.get_engine(live)).action == "database_restored"


def test_restore_replaces_a_damaged_database_and_keeps_it_aside(live, tmp_path):
    """The reason to restore, most often: the current database no longer opens."""
    out = tmp_path / "b.db"
    backup.backup(live, out)
    db.dispose_engine(live)
    corrupt_pages(path_of(live))
    damaged = path_of(live).read_bytes()

    result = backup.restore(live, out)

    assert integrity(path_of(live)) == [("ok",)]
    assert result.kept_aside is not None
    # The same pages; the 100-byte header now says "not WAL" (rollback journal mode).
    assert result.kept_aside.read_bytes()[100:] == damaged[100:]


def test_restore_without_a_previous_database_puts_the_backup_in_place(live, tmp_path):
    out = tmp_path / "b.db"
    backup.backup(live, out)
    elsewhere = f"sqlite:///{tmp_path / 'nuova' / 'rete.db'}"
    result = backup.restore(elsewhere, out)
    assert result.kept_aside is None
    assert "Non c'era un database precedente" in result.summary()
    assert row_counts(tmp_path / "nuova" / "rete.db")["interview"] == row_counts(out)["interview"]
    db.dispose_engine(elsewhere)


# --- What a restore refuses, and leaves as it was


def corrupt_pages(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.seek(4096 * 5)
        handle.write(b"\xa5" * 4096 * 3)


def index_out_of_step(path: Path) -> None:
    """A file SQLite opens whose integrity check lists problems (an index that no longer
    matches its table)."""
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA writable_schema=ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX ix_household_neighbourhood_id "
            "ON household (neighbourhood_id DESC)' WHERE name = 'ix_household_neighbourhood_id'"
        )
        connection.commit()


def newer_schema(path: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()


def text_file(path: Path) -> None:
    path.write_text("nome;telefono\nMaria;0332 123456\n")


def another_database(path: Path) -> None:
    path.unlink()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE spesa (voce TEXT)")
        connection.commit()


def missing(path: Path) -> None:
    path.unlink()


@pytest.mark.parametrize(
    ("spoil", "error", "message"),
    [
        (corrupt_pages, backup.InvalidBackup, "è danneggiato"),
        (index_out_of_step, backup.InvalidBackup, "non ha superato il controllo di integrità"),
        (text_file, backup.InvalidBackup, "non è un database SQLite"),
        (another_database, backup.InvalidBackup, "non un database di Rete"),
        (newer_schema, SchemaTooNew, "versione di Rete più recente"),
        (missing, backup.InvalidBackup, "non esiste"),
    ],
)
def test_restore_refuses_a_file_it_cannot_trust_and_changes_nothing(
    live, tmp_path, spoil, error, message
):
    out = tmp_path / "backup.db"
    backup.backup(live, out)
    spoil(out)
    db.dispose_engine(live)
    folder = path_of(live).parent
    before = files_and_contents(folder)

    with pytest.raises(error, match=message):
        backup.restore(live, out)

    assert files_and_contents(folder) == before  # no file moved, left behind or changed


def test_restore_refuses_while_rete_has_the_database_open(live, tmp_path):
    out = tmp_path / "backup.db"
    backup.backup(live, out)
    save_interview(db.get_engine(live), "DOPO-BACKUP")
    db.dispose_engine(live)
    expected = row_counts(path_of(live))
    with closing(sqlite3.connect(path_of(live))) as app:  # Rete, running
        app.execute("SELECT count(*) FROM interview").fetchone()
        with pytest.raises(backup.DatabaseInUse, match="fermare Rete"):
            backup.restore(live, out)
    assert row_counts(path_of(live)) == expected
    assert sorted(p.name for p in path_of(live).parent.iterdir()) == ["rete.db"]


def test_backup_refuses_to_overwrite_a_file(live, tmp_path):
    out = tmp_path / "esistente.db"
    out.write_bytes(b"un backup di ieri")
    with pytest.raises(backup.BackupError, match="esiste già"):
        backup.backup(live, out)
    assert out.read_bytes() == b"un backup di ieri"


def test_backup_refuses_a_database_that_does_not_exist_and_does_not_create_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'manca.db'}"
    with pytest.raises(backup.BackupError, match="non esiste"):
        backup.backup(url, tmp_path / "b.db")
    assert list(tmp_path.iterdir()) == []


# --- The command line


def test_the_commands_say_what_they_did(live, tmp_path, capsys):
    out = tmp_path / "rete-backup.db"
    assert cli.main(["backup", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"Backup del database scritto in {out}" in said
    assert "controllo di integrità superato" in said

    assert cli.main(["restore", str(out)]) == 0
    said = capsys.readouterr().out
    (aside,) = [p for p in path_of(live).parent.iterdir() if p.name != "rete.db"]
    assert f"ripristinato dal backup {out}" in said
    assert f"Il database precedente è conservato in {aside}" in said


def test_a_refused_restore_says_why_in_italian_and_exits_with_an_error(live, tmp_path, capsys):
    bad = tmp_path / "elenco.csv"
    bad.write_text("nome;telefono\n")
    assert cli.main(["restore", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("Errore: Il file «elenco.csv» non è un database SQLite")


@pytest.mark.parametrize(("command", "tool"), [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_postgresql_is_refused_with_the_tool_to_use(tmp_path, monkeypatch, capsys, command, tool):
    monkeypatch.setenv("RETE_DATABASE_URL", "postgresql+psycopg://rete@db.example/rete")
    given = tmp_path / "rete.dump"
    given.write_bytes(b"PGDMP")
    assert cli.main([command, str(given)]) == 1
    err = capsys.readouterr().err
    assert f"Con PostgreSQL il comando `{command}` di Rete non si usa: usare {tool}" in err
    assert "Backup and restore" in err
    assert given.read_bytes() == b"PGDMP"


def test_a_restore_does_not_bring_back_what_was_erased_after_the_backup(live, tmp_path):
    """A backup made before an erasure still holds the tenant's contact and notes: the restore
    erases them again, and says so in the restored trail."""
    from rete.auth import CurrentUser
    from rete.models import Household, HouseholdContact, User
    from rete.workspace import erasure

    engine = db.get_engine(live)
    with Session(engine) as session:
        household = session.scalars(
            select(Household).join(HouseholdContact).order_by(Household.id)
        ).first()
        admin = session.scalars(select(User).where(User.role == "admin")).first()
        assert household is not None and admin is not None
        target, version = household.id, household.version
        actor = CurrentUser(admin.id, admin.username, admin.display_name, admin.role)
    out = tmp_path / "prima.db"
    backup.backup(live, out)
    with session_scope(engine) as session:
        erasure.erase_household(session, actor, target, version, erasure.REASON_REQUEST)

    backup.restore(live, out)

    engine = db.get_engine(live)
    with Session(engine) as session:
        assert session.get(HouseholdContact, target) is None
        assert session.get(Household, target).erased_at is not None
        entry = last_audit(engine)
    assert entry.action == "database_restored"
    assert "cancellati di nuovo i dati personali di 1 nucleo" in (entry.summary or "")
