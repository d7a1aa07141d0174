"""discount codes: the owner's codes, each order's use of one, what a code took off an
order, its lines and its invoice (goods and shipping), the code a checkout entered, and the
Sales discounts account (4050) in a chart that has none

Revision ID: i15_discounts
Revises: i14_event_kinds
Create Date: 2026-12-02 04:46:20

"""

import sqlalchemy as sa
from alembic import op

revision = 'i15_discounts'
down_revision = 'i14_event_kinds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('discounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('min_subtotal', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('max_uses_per_customer', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discounts')),
    sa.UniqueConstraint('code', name=op.f('uq_discounts_code'))
    )
    op.create_table('discount_categories',
    sa.Column('discount_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_discount_categories_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['discount_id'], ['discounts.id'], name=op.f('fk_discount_categories_discount_id_discounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('discount_id', 'category_id', name=op.f('pk_discount_categories'))
    )
    op.create_table('discount_products',
    sa.Column('discount_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['discount_id'], ['discounts.id'], name=op.f('fk_discount_products_discount_id_discounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_discount_products_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('discount_id', 'product_id', name=op.f('pk_discount_products'))
    )
    op.create_table('discount_redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('discount_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['discount_id'], ['discounts.id'], name=op.f('fk_discount_redemptions_discount_id_discounts')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_discount_redemptions_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discount_redemptions')),
    sa.UniqueConstraint('order_id', name=op.f('uq_discount_redemptions_order_id'))
    )
    with op.batch_alter_table('discount_redemptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discount_redemptions_discount_id'), ['discount_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_discount_redemptions_email'), ['email'], unique=False)

    with op.batch_alter_table('checkout_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), nullable=True))

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', sa.BigInteger(), server_default='0', nullable=False))

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('discount_total', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('shipping_discount', sa.BigInteger(), server_default='0', nullable=False))

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount', sa.BigInteger(), server_default='0', nullable=False))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('discount_total', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('shipping_discount', sa.BigInteger(), server_default='0', nullable=False))

    _add_sales_discounts_account()


ACCOUNTS = sa.table(
    "accounts",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("type", sa.String),
    sa.column("role", sa.String),
    sa.column("is_active", sa.Boolean),
)


def _add_sales_discounts_account():
    """A store whose chart exists gets the new role's account (a new store's chart is
    seeded whole, with it); the next free code from 4050 if the owner took 4050."""
    bind = op.get_bind()
    codes = set(bind.execute(sa.select(ACCOUNTS.c.code)).scalars())
    roles = set(bind.execute(sa.select(ACCOUNTS.c.role)).scalars())
    if not codes or "sales_discounts" in roles:
        return
    code = "4050"
    while code in codes:
        code = str(int(code) + 1)
    bind.execute(ACCOUNTS.insert().values(
        code=code, name="Sales discounts", type="income", role="sales_discounts",
        is_active=True,
    ))  # fmt: skip


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+ has it): a batch copy of `orders`
    # would lose its expression index, ix_orders_customer_paid_at.
    for table, column in (
        ("orders", "shipping_discount"), ("orders", "discount_total"),
        ("orders", "discount_code"), ("order_lines", "discount"),
        ("invoices", "shipping_discount"), ("invoices", "discount_total"),
        ("invoices", "discount_code"), ("invoice_lines", "discount"),
        ("checkout_states", "discount_code"),
    ):  # fmt: skip
        op.drop_column(table, column)
    # The account goes unless something was posted to it (then it stays, with its lines).
    posted = sa.table("journal_lines", sa.column("account_id", sa.Integer))
    op.get_bind().execute(ACCOUNTS.delete().where(
        ACCOUNTS.c.role == "sales_discounts",
        ACCOUNTS.c.id.not_in(sa.select(posted.c.account_id)),
    ))  # fmt: skip
    with op.batch_alter_table('discount_redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discount_redemptions_email'))
        batch_op.drop_index(batch_op.f('ix_discount_redemptions_discount_id'))

    op.drop_table('discount_redemptions')
    op.drop_table('discount_products')
    op.drop_table('discount_categories')
    op.drop_table('discounts')
