"""period closes: the books closed through a month end (the lock date), with who closed
and reopened them

Revision ID: i11_periods
Revises: i11_chart
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import shop.db


revision = "i11_periods"
down_revision = "i11_chart"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "period_closes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closed_through", sa.Date(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", shop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reopened_by_id", sa.Integer(), nullable=True),
        sa.Column("reopened_at", shop.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_period_closes_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reopened_by_id"], ["users.id"], name=op.f("fk_period_closes_reopened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_closes")),
    )
    op.create_index(
        op.f("ix_period_closes_closed_through"), "period_closes", ["closed_through"]
    )


def downgrade():
    op.drop_index(op.f("ix_period_closes_closed_through"), table_name="period_closes")
    op.drop_table("period_closes")
