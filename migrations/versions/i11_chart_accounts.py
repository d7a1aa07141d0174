"""the chart's accounts for closing the books: input tax credits, goods received not
billed, opening balance and retained earnings, shrinkage, price variance, revaluation,
non-recoverable tax, bank charges

Revision ID: i11_chart
Revises: i10_auth
Create Date: 2026-12-01 11:50:00

Books that were already started get the new accounts; an empty chart is seeded by
the application as before. A code the owner already used for an account of their
own moves the new account to the next free code.
"""
from alembic import op
import sqlalchemy as sa


revision = "i11_chart"
down_revision = "i10_auth"
branch_labels = None
depends_on = None

# code, name, type, role: frozen here as released (the chart in shop/ may change later)
NEW_ACCOUNTS = [
    ("1310", "GST input tax credits", "asset", "itc:GST"),
    ("1311", "HST input tax credits", "asset", "itc:HST"),
    ("1312", "QST input tax refunds", "asset", "itc:QST"),
    ("2050", "Goods received not billed", "liability", "received_not_billed"),
    ("3100", "Opening balance equity", "equity", "opening_balance"),
    ("3900", "Retained earnings", "equity", "retained_earnings"),
    ("5010", "Inventory shrinkage", "expense", "shrinkage"),
    ("5020", "Purchase price variance", "expense", "price_variance"),
    ("5030", "Inventory revaluation", "expense", "revaluation"),
    ("5040", "Non-recoverable sales tax", "expense", "tax_expense"),
    ("5300", "Bank charges", "expense", "bank_charges"),
]

accounts = sa.table(
    "accounts",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("type", sa.String),
    sa.column("role", sa.String),
    sa.column("is_active", sa.Boolean),
)


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(accounts.c.code, accounts.c.role)).all()
    if not rows:
        return
    codes = {code for code, _ in rows}
    roles = {role for _, role in rows if role}
    for code, name, kind, role in NEW_ACCOUNTS:
        if role in roles:
            continue
        while code in codes:
            code = str(int(code) + 1)
        codes.add(code)
        bind.execute(
            accounts.insert().values(code=code, name=name, type=kind, role=role, is_active=True)
        )


def downgrade():
    bind = op.get_bind()
    roles = [role for *_, role in NEW_ACCOUNTS]
    bind.execute(accounts.delete().where(accounts.c.role.in_(roles)))
