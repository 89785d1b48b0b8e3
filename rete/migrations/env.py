"""Alembic environment: runs on the connection Rete hands over, or on RETE_DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from rete.config import load_settings
from rete.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # Batch mode lets later migrations alter tables on SQLite too.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    with create_engine(url).connect() as fresh:
        run_migrations(fresh)
        fresh.commit()
