"""the community manager's workspace: versions, need closing, referral event days, list indexes

Adds optimistic-locking versions to households and needs, the columns of a need closed without a
referral, the day (and outcome, reason) of each referral event, and the indexes of the
workspace's lists: open referrals by due date, interviews newest first, the partners' record
per specific need, and the few deleted interviews. On PostgreSQL household codes compare byte
by byte (collation "C"), so a typed prefix is a range of their unique index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The day of each existing event: the referral's own dates, else the day it was recorded.
FILL_HAPPENED_ON = """
UPDATE referral_event SET happened_on = (
    SELECT CASE referral_event.status
        WHEN 'sent' THEN referral.sent_on
        WHEN 'accepted' THEN coalesce(referral.accepted_on, referral.sent_on)
        ELSE coalesce(referral.closed_on, referral.sent_on)
    END
    FROM referral WHERE referral.id = referral_event.referral_id
)
"""
FILL_OUTCOME = """
UPDATE referral_event SET
    outcome = (SELECT referral.outcome FROM referral WHERE referral.id = referral_event.referral_id),
    reason = (SELECT referral.reason FROM referral WHERE referral.id = referral_event.referral_id)
WHERE status IN ('refused', 'closed')
"""


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild: on SQLite a rebuild of a table that other rows
    # point to fails with foreign keys on.
    op.add_column("household", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "household", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column("need", sa.Column("closed_as", sa.String(length=16), nullable=True))
    op.add_column("need", sa.Column("closed_reason", sa.Text(), nullable=True))
    op.add_column("need", sa.Column("closed_on", sa.Date(), nullable=True))
    op.add_column("need", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    if op.get_bind().dialect.name == "postgresql":  # SQLite compares bytes already
        op.alter_column(
            "household",
            "code",
            existing_type=sa.String(length=40),
            type_=sa.String(length=40, collation="C"),
            existing_nullable=False,
        )
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("happened_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=40), nullable=True))
    op.execute(FILL_HAPPENED_ON)
    op.execute(FILL_OUTCOME)
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.alter_column("happened_on", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.create_index(
            "ix_interview_deleted",
            ["deleted_at"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
        )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_need_id")
        batch_op.create_index(
            "ix_referral_need_partner", ["need_id", "partner_id", "status"], unique=False
        )
    with op.batch_alter_table("need_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_need_fact_held_on",
            [
                "held_on",
                "interview_id",
                "household_id",
                "neighbourhood_id",
                "area_id",
                "channel_code",
                "status",
            ],
            unique=False,
        )
    with op.batch_alter_table("referral_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_fact_open",
            ["due_on", "status", "referral_id", "partner_id", "neighbourhood_id", "area_id"],
            unique=False,
            sqlite_where=sa.text("status IN ('sent', 'accepted')"),
            postgresql_where=sa.text("status IN ('sent', 'accepted')"),
        )
        batch_op.create_index(
            "ix_referral_fact_category_partner",
            ["category_id", "partner_id", "status", "days_to_accept"],
            unique=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "household",
            "code",
            existing_type=sa.String(length=40, collation="C"),
            type_=sa.String(length=40),
            existing_nullable=False,
        )
    with op.batch_alter_table("referral_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_fact_category_partner")
        batch_op.drop_index("ix_referral_fact_open")
    with op.batch_alter_table("need_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_need_fact_held_on")
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_index("ix_interview_deleted")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_need_partner")
        batch_op.create_index("ix_referral_need_id", ["need_id"], unique=False)
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("outcome")
        batch_op.drop_column("happened_on")
    for table, column in (
        ("need", "version"),
        ("need", "closed_on"),
        ("need", "closed_reason"),
        ("need", "closed_as"),
        ("household", "version"),
        ("household", "updated_at"),
    ):
        op.drop_column(table, column)
