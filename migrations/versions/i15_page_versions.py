"""page versions: one counter row that every transaction changing what a cached
storefront page shows bumps before it commits (shop/page_cache.py).

Revision ID: i15_page_versions
Revises: i15_search
Create Date: 2026-12-02 05:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i15_page_versions"
down_revision = "i15_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "page_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_versions")),
    )


def downgrade():
    op.drop_table("page_versions")
