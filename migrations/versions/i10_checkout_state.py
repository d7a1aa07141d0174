"""Checkout state on the server, beside the cart (no longer in the session cookie).

Revision ID: i10_checkout_state
Revises: f242387da8fa
Create Date: 2026-12-01 09:32:36.350245

"""

from alembic import op
import sqlalchemy as sa

import shop.db


# revision identifiers, used by Alembic.
revision = "i10_checkout_state"
down_revision = "f242387da8fa"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "checkout_states",
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("policy", sa.String(length=30), nullable=True),
        sa.Column("updated_at", shop.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["carts.id"],
            name=op.f("fk_checkout_states_cart_id_carts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cart_id", name=op.f("pk_checkout_states")),
    )


def downgrade():
    op.drop_table("checkout_states")
