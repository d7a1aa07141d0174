"""period closes: the books closed through a month end (the lock date), with who closed
and reopened them; each journal line carries its entry's date, indexed with its account,
so the statements sum an account over days without reading the entries

Revision ID: i11_periods
Revises: i11_tax_classes
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import shop.db


revision = "i11_periods"
down_revision = "i11_tax_classes"
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
    op.add_column("journal_lines", sa.Column("date", sa.Date(), nullable=True))
    op.execute(
        "UPDATE journal_lines SET date = "
        "(SELECT date FROM journal_entries WHERE journal_entries.id = journal_lines.entry_id)"
    )
    with op.batch_alter_table("journal_lines") as batch:
        batch.alter_column("date", existing_type=sa.Date(), nullable=False)
    op.create_index(
        "ix_journal_lines_account_date", "journal_lines", ["account_id", "date"],
        postgresql_include=["debit", "credit"],
    )


def downgrade():
    op.drop_index("ix_journal_lines_account_date", table_name="journal_lines")
    with op.batch_alter_table("journal_lines") as batch:
        batch.drop_column("date")
    op.drop_index(op.f("ix_period_closes_closed_through"), table_name="period_closes")
    op.drop_table("period_closes")
