"""supplier bills and payments; suppliers' payment terms and province

Revision ID: i11_bills
Revises: i11_valuation
Create Date: 2026-12-01 11:47:25.312523

Suppliers already kept get Net 30 terms and no province (their bills' tax is not
checked until one is entered).
"""

from alembic import op
import sqlalchemy as sa

import shop.db


# revision identifiers, used by Alembic.
revision = "i11_bills"
down_revision = "i11_valuation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "supplier_bills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("invoice_number", sa.String(length=60), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("pay_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("void_entry_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_paid >= 0 AND amount_paid <= total",
            name=op.f("ck_supplier_bills_paid_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_supplier_bills_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_supplier_bills_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_supplier_bills_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_supplier_bills_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["void_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_supplier_bills_void_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_bills")),
        sa.UniqueConstraint("supplier_id", "invoice_number", name="uq_supplier_bills_number"),
    )
    with op.batch_alter_table("supplier_bills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_bills_due_date"), ["due_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supplier_bills_purchase_order_id"), ["purchase_order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_supplier_bills_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_supplier_bills_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "supplier_bill_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("po_unit_cost", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(po_line_id IS NULL) <> (account_id IS NULL)",
            name=op.f("ck_supplier_bill_lines_goods_or_charge"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supplier_bill_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_cost >= 0", name=op.f("ck_supplier_bill_lines_unit_cost_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_supplier_bill_lines_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["supplier_bills.id"],
            name=op.f("fk_supplier_bill_lines_bill_id_supplier_bills"),
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_supplier_bill_lines_po_line_id_purchase_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_bill_lines")),
    )
    with op.batch_alter_table("supplier_bill_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_bill_lines_bill_id"), ["bill_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_bill_lines_po_line_id"), ["po_line_id"], unique=False
        )

    op.create_table(
        "supplier_bill_taxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_supplier_bill_taxes_amount_positive")),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["supplier_bills.id"],
            name=op.f("fk_supplier_bill_taxes_bill_id_supplier_bills"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_bill_taxes")),
        sa.UniqueConstraint("bill_id", "component", name="uq_supplier_bill_taxes_component"),
    )
    with op.batch_alter_table("supplier_bill_taxes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_bill_taxes_bill_id"), ["bill_id"], unique=False
        )

    op.create_table(
        "supplier_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shop.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_supplier_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["bill_id"],
            ["supplier_bills.id"],
            name=op.f("fk_supplier_payments_bill_id_supplier_bills"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_supplier_payments_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_supplier_payments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_payments")),
    )
    with op.batch_alter_table("supplier_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_payments_bill_id"), ["bill_id"], unique=False)

    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payment_terms_days", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(sa.Column("province", sa.String(length=3), nullable=True))


def downgrade():
    with op.batch_alter_table("suppliers", schema=None) as batch_op:
        batch_op.drop_column("province")
        batch_op.drop_column("payment_terms_days")

    with op.batch_alter_table("supplier_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_payments_bill_id"))

    op.drop_table("supplier_payments")
    with op.batch_alter_table("supplier_bill_taxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_bill_taxes_bill_id"))

    op.drop_table("supplier_bill_taxes")
    with op.batch_alter_table("supplier_bill_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_bill_lines_po_line_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_bill_lines_bill_id"))

    op.drop_table("supplier_bill_lines")
    with op.batch_alter_table("supplier_bills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_bills_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_bills_status"))
        batch_op.drop_index(batch_op.f("ix_supplier_bills_purchase_order_id"))
        batch_op.drop_index(batch_op.f("ix_supplier_bills_due_date"))

    op.drop_table("supplier_bills")
