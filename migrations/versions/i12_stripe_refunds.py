"""the idempotency token a refund is sent to the provider with: the same for every retry of
it, a new one when staff send a failed refund again

Revision ID: i12_stripe_refunds
Revises: i12_after_sale
Create Date: 2026-12-01 15:10:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "i12_stripe_refunds"
down_revision = "i12_after_sale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("idempotency_token", sa.String(length=32), nullable=True))
    refunds = sa.table("refunds", sa.column("id"), sa.column("idempotency_token"))
    conn = op.get_bind()
    for (refund_id,) in conn.execute(sa.select(refunds.c.id)).all():
        conn.execute(
            refunds.update()
            .where(refunds.c.id == refund_id)
            .values(idempotency_token=secrets.token_hex(8))
        )
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("idempotency_token", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("idempotency_token")
