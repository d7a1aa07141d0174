"""receipts posted to accounts payable before supplier bills existed move to goods
received not billed

Revision ID: i11_grni
Revises: i11_periods
Create Date: 2026-12-01 13:20:00

Until issue 11 a purchase-order receipt credited accounts payable; now it credits
goods received not billed, and accounts payable follows the supplier's bill. A
store that received goods before the upgrade gets one entry moving what its
receipts credited to accounts payable over to goods received not billed, so that
accounts payable equals its open bills (none yet) and the received goods wait for
their bills like any others.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import shop.db

revision = "i11_grni"
down_revision = "i11_periods"
branch_labels = None
depends_on = None

SOURCE_KEY = "receipts:to-received-not-billed"

accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("role", sa.String))
entries = sa.table(
    "journal_entries",
    sa.column("id", sa.Integer),
    sa.column("date", sa.Date),
    sa.column("description", sa.String),
    sa.column("source_type", sa.String),
    sa.column("source_key", sa.String),
    sa.column("created_at", shop.db.UTCDateTime(timezone=True)),
)
lines = sa.table(
    "journal_lines",
    sa.column("entry_id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("date", sa.Date),
    sa.column("debit", sa.BigInteger),
    sa.column("credit", sa.BigInteger),
    sa.column("memo", sa.String),
)


def upgrade():
    bind = op.get_bind()
    roles = dict(bind.execute(sa.select(accounts.c.role, accounts.c.id)).all())
    if "payable" not in roles or "received_not_billed" not in roles:
        return
    owed = bind.execute(
        sa.select(sa.func.coalesce(sa.func.sum(lines.c.credit - lines.c.debit), 0))
        .select_from(lines.join(entries, entries.c.id == lines.c.entry_id))
        .where(lines.c.account_id == roles["payable"], entries.c.source_type == "po_receipt")
    ).scalar()
    amount = int(owed or 0)
    if amount <= 0:
        return
    now = datetime.now(UTC)
    bind.execute(
        entries.insert().values(
            date=now.date(), created_at=now, source_type="po_receipt", source_key=SOURCE_KEY,
            description="Receipts posted to accounts payable before supplier bills were "
            "entered: moved to goods received not billed",
        )
    )
    entry_id = bind.execute(
        sa.select(entries.c.id).where(entries.c.source_key == SOURCE_KEY)
    ).scalar_one()
    memo = "Goods received before the upgrade, waiting for their bills"
    bind.execute(
        lines.insert(),
        [
            {"entry_id": entry_id, "account_id": roles["payable"], "date": now.date(),
             "debit": amount, "credit": 0, "memo": memo},
            {"entry_id": entry_id, "account_id": roles["received_not_billed"],
             "date": now.date(), "debit": 0, "credit": amount, "memo": memo},
        ],
    )  # fmt: skip


def downgrade():
    bind = op.get_bind()
    entry_id = bind.execute(
        sa.select(entries.c.id).where(entries.c.source_key == SOURCE_KEY)
    ).scalar()
    if entry_id is not None:
        bind.execute(lines.delete().where(lines.c.entry_id == entry_id))
        bind.execute(entries.delete().where(entries.c.id == entry_id))
