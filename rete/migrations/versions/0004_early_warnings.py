"""early warnings: the urgent and high-severity needs by month, from an index of their own

The Cruscotto's early warnings (`rete.alerts`) count the urgent and high-severity needs per
month, neighbourhood and area over thirteen months, whatever the filters: without an index they
read the whole of `need_fact` (1.5 s at 1M needs on SQLite). A partial index holds just those
needs, with the columns the count groups by and the households it counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEVERE = "severity IN ('urgent', 'high')"


def upgrade() -> None:
    with op.batch_alter_table("need_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_need_fact_severe",
            ["month", "neighbourhood_id", "area_id", "household_id"],
            unique=False,
            sqlite_where=sa.text(SEVERE),
            postgresql_where=sa.text(SEVERE),
        )


def downgrade() -> None:
    with op.batch_alter_table("need_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_need_fact_severe")
