"""the network's directory: partners edited by two people at once

A partner is now edited in the app (`rete.directory.edit`): its row gets the optimistic-locking
version every edited record has (a second editor's save is refused, not written over the
first) and the time of its last change. Existing partners start at version 1.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild: on SQLite a rebuild of a table that other rows
    # point to (referrals, contacts) fails with foreign keys on.
    op.add_column("partner", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("partner", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    # In place, as 0003 does (SQLite 3.35+ drops a column without rebuilding the table).
    for column in ("version", "updated_at"):
        op.drop_column("partner", column)
