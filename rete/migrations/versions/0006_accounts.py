"""accounts and the access log: lockout, password resets, who saw what, erasure

- `user`: the last login (shown to the admin), when the password was last changed, and a
  pending password reset (the SHA-256 of its one-time code and when it expires).
- `user_session`: the browser a session was opened from, as a short label ("Chrome su
  Windows"), so that "Il mio profilo" can tell one's sessions apart.
- `audit_entry`: the acting user's role at the time of the act (the access log says who *and*
  in which role), and indexes for the access log's filters: by record ("chi ha visto questo
  nucleo?"), by user and by action.
- `household`: when its personal data were erased (on request, or by the retention job).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USER_COLUMNS = (
    sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reset_hash", sa.String(length=64), nullable=True),
    sa.Column("reset_expires_at", sa.DateTime(timezone=True), nullable=True),
)
_AUDIT_INDEXES = {
    "ix_audit_entry_record": ["entity", "entity_id", "id"],
    "ix_audit_entry_user": ["user_id", "id"],
    "ix_audit_entry_action": ["action", "id"],
}


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild: other tables point at user and household, and on
    # SQLite a rebuild of such a table fails with foreign keys on (see 0005).
    for column in _USER_COLUMNS:
        op.add_column("user", column)
    op.create_index("ix_user_reset_hash", "user", ["reset_hash"], unique=True)
    op.add_column("user_session", sa.Column("client", sa.String(length=120), nullable=True))
    op.add_column("audit_entry", sa.Column("role", sa.String(length=16), nullable=True))
    for name, columns in _AUDIT_INDEXES.items():
        op.create_index(name, "audit_entry", columns)
    op.add_column("household", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("household", "erased_at")
    for name in _AUDIT_INDEXES:
        op.drop_index(name, table_name="audit_entry")
    op.drop_column("audit_entry", "role")
    op.drop_column("user_session", "client")
    op.drop_index("ix_user_reset_hash", table_name="user")
    for column in reversed(_USER_COLUMNS):
        op.drop_column("user", column.name)
