"""orders.placed_from_cart: the SHA-256 of the token of the cart an order was placed
from, so a second click of "Place order" finds the order instead of an empty cart.

Revision ID: i15_order_cart
Revises: i15_page_versions
Create Date: 2026-12-02 21:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i15_order_cart"
down_revision = "i15_page_versions"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("orders", sa.Column("placed_from_cart", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_orders_placed_from_cart"), "orders", ["placed_from_cart"])


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): a batch copy of `orders`
    # would lose its expression index, ix_orders_customer_paid_at.
    op.drop_index(op.f("ix_orders_placed_from_cart"), table_name="orders")
    op.drop_column("orders", "placed_from_cart")
