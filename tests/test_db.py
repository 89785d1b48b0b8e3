import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from rete import bootstrap, db, demo
from rete.config import Settings
from rete.db import session_scope
from rete.errors import DatabaseUnavailable, SchemaOutdated, SchemaTooNew
from rete.models import Base, ReferralDays, ReferralEvent, ReferralMonthly


def test_the_first_migration_creates_every_table_of_the_model(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert db.schema_state(engine).is_current


def test_upgrading_twice_changes_nothing(engine):
    db.upgrade(engine)
    assert db.check_schema(engine).current == db.head_revision()


def test_sqlite_runs_with_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS


def test_a_rolled_back_write_does_not_move_the_data_version(engine):
    before = db.data_version(engine)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        db.bump_data_version(session)
        raise RuntimeError("boom")
    assert db.data_version(engine) == before


def test_a_database_newer_than_the_code_is_refused_in_italian(engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(SchemaTooNew, match="versione di Rete più recente"):
        db.check_schema(engine)
    with pytest.raises(SchemaTooNew):
        db.upgrade(engine)


def test_an_older_schema_is_reported_until_init_upgrades_it(engine, monkeypatch):
    monkeypatch.setattr(db, "head_revision", lambda: "9999")
    with pytest.raises(SchemaOutdated, match="python -m rete init"):
        db.check_schema(engine)


def test_an_unreachable_database_gives_a_clear_message():
    engine = db.get_engine("postgresql+psycopg://nessuno@127.0.0.1:1/niente")
    with pytest.raises(DatabaseUnavailable, match="non è raggiungibile"):
        db.check_schema(engine)


def test_an_empty_database_that_is_not_the_demo_one_asks_for_init(database_url):
    engine = bootstrap.prepare_engine(Settings(database_url=database_url, demo_requested=False))
    state = bootstrap.database_status(engine)
    assert state.needs_init and not state.demo


def test_an_empty_database_with_demo_requested_gets_demo_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = bootstrap.prepare_engine(Settings(database_url=url, demo_requested=True))
    state = bootstrap.database_status(engine)
    assert not state.needs_init and state.demo


@pytest.mark.parametrize("url", ["postgres://x@127.0.0.1/y", "nonsense", "mysql+nodriver://x@h/d"])
def test_a_malformed_database_url_gives_a_clear_message(url):
    with pytest.raises(DatabaseUnavailable, match="non è valido"):
        db.get_engine(url)


def test_a_percent_sign_in_the_database_url_does_not_break_the_migrations(tmp_path):
    """Alembic's config syntax would read '%' (as in an escaped password) as interpolation;
    Rete hands Alembic the connection instead of the URL."""
    engine = db.get_engine(f"sqlite:///{tmp_path / 'p%40ss.db'}")
    db.upgrade(engine)
    assert db.schema_state(engine).is_current


def test_the_migrations_build_exactly_the_schema_of_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []


def test_what_compare_metadata_cannot_see_is_as_the_models_say(engine):
    """The partial index on waiting referrals, and SQLite roll-ups stored in key order."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            index = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_referral_fact_waiting'")
            ).scalar_one()
            for table in ("referral_monthly", "referral_days"):
                definition = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": table}
                ).scalar_one()
                assert "WITHOUT ROWID" in definition
        else:
            index = connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_referral_fact_waiting'")
            ).scalar_one()
    assert "WHERE" in index and "'sent'" in index.split("WHERE", 1)[1]


def test_migration_0002_fills_the_referral_roll_ups_from_the_facts(engine):
    demo.load_demo(engine, households=60, seed=7, months=6, today=dt.date(2026, 10, 31))
    before = _referral_rollups(engine)
    assert before[0] and before[1], "the demo sent and accepted no referral"
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert not {"referral_monthly", "referral_days"} & set(inspect(engine).get_table_names())
    db.upgrade(engine)
    assert _referral_rollups(engine) == before


def _referral_rollups(engine) -> tuple[list, list]:
    with engine.connect() as connection:
        return tuple(
            sorted(tuple(row) for row in connection.execute(select(model.__table__)))
            for model in (ReferralMonthly, ReferralDays)
        )


def test_migration_0003_dates_the_existing_referral_events_from_the_referrals(engine):
    demo.load_demo(engine, households=60, seed=7, months=6, today=dt.date(2026, 10, 31))
    with Session(engine) as session:
        before = {
            (event.referral_id, event.status): (event.happened_on, event.outcome, event.reason)
            for event in session.scalars(select(ReferralEvent))
        }
    assert before, "the demo wrote no referral event"
    config = db.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    db.upgrade(engine)
    with Session(engine) as session:
        after = {
            (event.referral_id, event.status): (event.happened_on, event.outcome, event.reason)
            for event in session.scalars(select(ReferralEvent))
        }
    assert after == before
