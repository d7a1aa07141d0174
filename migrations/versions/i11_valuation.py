"""stock valued at moving average cost: stock_levels.stock_value, the value each movement
moved, the cost of each shipment line; an upgraded store's books start agreeing

Revision ID: i11_valuation
Revises: i11_chart
Create Date: 2026-12-01 12:10:00

A store that ran before valuation has its stock valued at the catalogue cost
(on_hand x variants.cost). Where the inventory account says something else (opening
stock never posted, shipments taken at today's cost), one opening-balance entry brings
it to the stock's value: inventory against opening balance equity, or the reverse.
Movements recorded before keep no value (NULL); shipment lines get unit_cost x quantity.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import shop.db

revision = "i11_valuation"
down_revision = "i11_chart"
branch_labels = None
depends_on = None

SOURCE_KEY = "valuation:opening"

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
    sa.column("debit", sa.BigInteger),
    sa.column("credit", sa.BigInteger),
    sa.column("memo", sa.String),
)


def upgrade():
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stock_value", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("value", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost", sa.BigInteger(), server_default="0", nullable=False))
    op.execute("UPDATE shipment_lines SET cost = unit_cost * quantity")
    op.execute(
        "UPDATE stock_levels SET stock_value = on_hand * "
        "(SELECT variants.cost FROM variants WHERE variants.id = stock_levels.variant_id)"
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_stock_levels_stock_value_not_negative"), "stock_value >= 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_stock_levels_stock_value_of_units_on_hand"),
            "on_hand > 0 OR stock_value = 0",
        )
    _post_opening_difference(op.get_bind())


def _post_opening_difference(bind) -> None:
    """One entry bringing the inventory account to the stock's value, when they differ."""
    roles = dict(bind.execute(sa.select(accounts.c.role, accounts.c.id)).all())
    if "inventory" not in roles or "opening_balance" not in roles:
        return  # no books yet: the application seeds the chart, and posts as it goes
    stock = bind.execute(sa.text("SELECT COALESCE(SUM(stock_value), 0) FROM stock_levels"))
    account = bind.execute(
        sa.select(sa.func.coalesce(sa.func.sum(lines.c.debit - lines.c.credit), 0)).where(
            lines.c.account_id == roles["inventory"]
        )
    )
    difference = int(stock.scalar()) - int(account.scalar())
    if not difference:
        return
    now = datetime.now(UTC)
    bind.execute(
        entries.insert().values(
            date=now.date(), created_at=now, source_type="stock", source_key=SOURCE_KEY,
            description="Stock valued at cost when the store started valuing it (opening balance)",
        )  # fmt: skip
    )
    entry_id = bind.execute(
        sa.select(entries.c.id).where(entries.c.source_key == SOURCE_KEY)
    ).scalar_one()
    amount, up = abs(difference), difference > 0
    memo = "Stock at cost: on hand x catalogue cost"
    bind.execute(
        lines.insert(),
        [
            {"entry_id": entry_id, "account_id": roles["inventory"], "memo": memo,
             "debit": amount if up else 0, "credit": 0 if up else amount},
            {"entry_id": entry_id, "account_id": roles["opening_balance"], "memo": memo,
             "debit": 0 if up else amount, "credit": amount if up else 0},
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
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_stock_levels_stock_value_of_units_on_hand"), type_="check"
        )
        batch_op.drop_constraint(op.f("ck_stock_levels_stock_value_not_negative"), type_="check")
        batch_op.drop_column("stock_value")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_column("value")
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_column("cost")
