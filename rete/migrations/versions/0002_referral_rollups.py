"""referral roll-ups and the indexes of the benchmark's findings

Adds `referral_monthly` and `referral_days` (filled from `referral_fact`), an index in household
order for distinct households, and an index for the referrals still waiting; drops
`ix_need_fact_month_household`, which `ix_need_fact_month_interview` covers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL_REFERRAL_MONTHLY = """
INSERT INTO referral_monthly (sent_month, neighbourhood_id, category_id, channel_code, partner_id,
    sent, accepted, positive, negative, refused, cancelled)
SELECT sent_month, neighbourhood_id, category_id, channel_code, partner_id,
    count(*),
    sum(CASE WHEN status IN ('accepted', 'closed') THEN 1 ELSE 0 END),
    sum(CASE WHEN status = 'closed' AND outcome = 'positive' THEN 1 ELSE 0 END),
    sum(CASE WHEN status = 'closed' AND outcome = 'negative' THEN 1 ELSE 0 END),
    sum(CASE WHEN status = 'refused' THEN 1 ELSE 0 END),
    sum(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END)
FROM referral_fact
GROUP BY sent_month, neighbourhood_id, category_id, channel_code, partner_id
"""

FILL_REFERRAL_DAYS = """
INSERT INTO referral_days (days_to_accept, sent_month, neighbourhood_id, category_id,
    channel_code, referrals)
SELECT days_to_accept, sent_month, neighbourhood_id, category_id, channel_code, count(*)
FROM referral_fact
WHERE status IN ('accepted', 'closed') AND days_to_accept IS NOT NULL
GROUP BY days_to_accept, sent_month, neighbourhood_id, category_id, channel_code
"""


def upgrade() -> None:
    op.create_table(
        "referral_monthly",
        sa.Column("sent_month", sa.Integer(), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("channel_code", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "sent_month",
            "neighbourhood_id",
            "category_id",
            "channel_code",
            "partner_id",
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "referral_days",
        sa.Column("days_to_accept", sa.Integer(), nullable=False),
        sa.Column("sent_month", sa.Integer(), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("channel_code", sa.String(length=32), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "days_to_accept",
            "sent_month",
            "neighbourhood_id",
            "category_id",
            "channel_code",
        ),
        sqlite_with_rowid=False,
    )
    op.execute(FILL_REFERRAL_MONTHLY)
    op.execute(FILL_REFERRAL_DAYS)
    if op.get_bind().dialect.name == "postgresql":  # statistics for the planner at once
        op.execute("ANALYZE referral_monthly")
        op.execute("ANALYZE referral_days")
    with op.batch_alter_table("need_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_need_fact_month_household")
        batch_op.create_index(
            "ix_need_fact_household",
            [
                "household_id",
                "month",
                "neighbourhood_id",
                "area_id",
                "category_id",
                "channel_code",
            ],
            unique=False,
        )
    with op.batch_alter_table("referral_fact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referral_fact_waiting",
            [
                "due_on",
                "sent_month",
                "partner_id",
                "neighbourhood_id",
                "area_id",
                "category_id",
                "channel_code",
            ],
            unique=False,
            sqlite_where=sa.text("status = 'sent'"),
            postgresql_where=sa.text("status = 'sent'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_fact_waiting")
    with op.batch_alter_table("need_fact", schema=None) as batch_op:
        batch_op.drop_index("ix_need_fact_household")
        batch_op.create_index(
            "ix_need_fact_month_household",
            ["month", "household_id", "neighbourhood_id", "area_id", "category_id", "channel_code"],
            unique=False,
        )
    op.drop_table("referral_days")
    op.drop_table("referral_monthly")
