"""account throttles: failed attempts per account, for the growing lockout

Revision ID: i10_auth
Revises: i10_totp
Create Date: 2026-12-01 09:45:00

"""
from alembic import op
import sqlalchemy as sa

import shop.db


revision = "i10_auth"
down_revision = 'i10_totp'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", shop.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", shop.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_throttles")),
        sa.UniqueConstraint("scope", "key_digest", name=op.f("uq_account_throttles_scope")),
    )


def downgrade():
    op.drop_table("account_throttles")
